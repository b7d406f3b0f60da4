/*
 * plan_read.c -- the plan's tree into struct plan: the top level, gateway,
 * dns and folders (backends are in plan_backend.c, users and phases in
 * plan_phases.c).
 *
 * Each section is read as far as it goes: a bad value is reported and left
 * at its default, so one run reports every problem.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

char *plan_show(const char *s)
{
	return str_sanitize(s, 64);
}

bool plan_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PLAN_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

void plan_bad_name(struct plan_build *b, struct plan_pos pos, const char *ctx,
		   const char *what, const char *name)
{
	char *shown = plan_show(name);

	plan_err_pos(b, pos, ctx,
		     "%s '%s' may only use letters, digits, '.', '_' and '-', start with a letter or digit, and have at most %d characters",
		     what, shown, PLAN_MAX_NAME);
	free(shown);
}

/* Lexically clean a path in place: no "." components, no empty ones,
 * and "dir/.." pairs removed ("examples/demo/../../build" -> "build").
 * Leading ".." of a relative path stay; "/.." is "/". */
static char *clean_path(char *path)
{
	bool abs = path[0] == '/';
	char *out = path, *seg, *save = NULL, *copy = xstrdup(path);
	size_t len = 0, kept = 0;	/* kept: components that may be popped */

	for (seg = strtok_r(copy, "/", &save); seg;
	     seg = strtok_r(NULL, "/", &save)) {
		if (!strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..") && kept > 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;	/* the slash before it */
			kept--;
			continue;
		}
		if (!strcmp(seg, "..") && abs)
			continue;
		if (len > 0 || abs)
			out[len++] = '/';
		memmove(out + len, seg, strlen(seg));
		len += strlen(seg);
		if (strcmp(seg, ".."))
			kept++;
	}
	if (len == 0)
		out[len++] = abs ? '/' : '.';
	out[len] = 0;
	free(copy);
	return out;
}

char *plan_resolve_path(const struct plan *p, const char *path)
{
	if (path[0] == '/' || strcmp(p->dir, ".") == 0)
		return clean_path(xstrdup(*path ? path : "."));
	return clean_path(xasprintf("%s/%s", p->dir, path));
}

char *plan_norm_domain(const char *s)
{
	char *d = xstrdup(s);
	size_t n = strlen(d), label = 0;

	str_lower(d);
	if (n > 1 && d[n - 1] == '.')
		d[--n] = '\0';
	if (n == 0 || n > 253)
		return x_free(d);
	for (size_t i = 0; i <= n; i++) {
		char c = d[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63)
				return x_free(d);
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_' || c == '*') {
			label++;
		} else {
			return x_free(d);
		}
	}
	return d;
}

int plan_parse_rrkey(const char *s, const char *zone, struct plan_rrkey *out)
{
	const char *sp = s, *t;
	char *name, *dom;
	size_t tlen;

	memset(out, 0, sizeof(*out));
	while (*sp && *sp != ' ' && *sp != '\t')
		sp++;
	for (t = sp; *t == ' ' || *t == '\t'; t++)
		;
	tlen = strcspn(t, " \t");
	if (sp == s || tlen == 0 || tlen > 16 || t[tlen] != '\0')
		return -1;
	for (size_t i = 0; i < tlen; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && c >= '0' && c <= '9')))
			return -1;
	}
	name = xstrndup(s, (size_t)(sp - s));
	if (strcmp(name, "@") == 0) {
		free(name);
		if (!zone)
			return -1;
		dom = xstrdup(zone);
	} else {
		dom = plan_norm_domain(name);
		free(name);
		if (!dom)
			return -1;
		name = dom;
		dom = xasprintf("%s.", name);
		free(name);
	}
	out->name = dom;
	out->type = xstrndup(t, tlen);
	for (char *c = out->type; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	return 0;
}

bool plan_hostport_ok(const char *s)
{
	const char *colon;
	unsigned long long port;

	if (strpbrk(s, " \t\r\n"))
		return false;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end == s + 1 || end[1] != ':')
			return false;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s || memchr(s, ':', (size_t)(colon - s)))
			return false;
	}
	return str_to_uint(colon + 1, 1, 65535, &port) == 0;
}

const struct ptree *plan_read_keynode(const struct ptree *map,
				      const char *key)
{
	for (size_t i = 0; map && map->kind == PTREE_MAP && i < map->n; i++)
		if (strcmp(ptree_key(map, i)->str, key) == 0)
			return ptree_key(map, i);
	return NULL;
}

const struct ptree *plan_read_map(struct plan_build *b,
				  const struct ptree *parent, const char *key,
				  const char *ctx, bool required,
				  const char *example)
{
	const struct ptree *v = plan_get_node(b, parent, key, ctx, required);

	if (v && v->kind != PTREE_MAP) {
		plan_err_at(b, v, ctx, "'%s' must be a mapping%s%s, not %s", key,
			    example ? " " : "", example ? example : "",
			    ptree_kind_name(v));
		return NULL;
	}
	return v;
}

static void plan_read_gateway(struct plan_build *b, const struct ptree *root)
{
	static const char *const keys[] = {
		"kind", "map", "map_type", "postmap", "config_dir", "reload",
		"recipient_map", "default_route", "hostname", "smtp",
		"connect", "queue_max", "min_free_mb", NULL,
	};
	static const char *const kinds[] = { "postfix", NULL };
	struct plan_gateway *g = &b->p->gateway;
	const struct ptree *m;
	const char *ctx = "gateway";
	int e;

	m = plan_read_map(b, root, "gateway", NULL, false,
			  "such as { kind: postfix, map: /etc/postfix/migrate_transport }");
	if (!m)
		return;
	g->present = true;
	g->pos = plan_pos_of(b, m);
	plan_get_keys(b, m, ctx, keys);
	if (plan_get_node(b, m, "kind", ctx, true) &&
	    plan_get_enum(b, m, "kind", ctx, kinds, &e) > 0)
		g->kind = xstrdup(kinds[e]);
	g->map = plan_get_path(b, m, "map", ctx, true);
	if (plan_get_enum(b, m, "map_type", ctx, plan_map_type_names, &e) > 0)
		g->map_type = (enum plan_map_type)e;
	g->postmap = plan_get_str(b, m, "postmap", ctx, false);
	if (!g->postmap)
		g->postmap = xstrdup("postmap");
	g->config_dir = plan_get_path(b, m, "config_dir", ctx, false);
	g->reload = plan_get_strv(b, m, "reload", ctx, true, NULL);
	g->recipient_map = plan_get_path(b, m, "recipient_map", ctx, false);
	if (plan_get_bool(b, m, "default_route", ctx, &g->default_route) > 0 &&
	    g->default_route)
		b->default_route_pos = plan_pos_of(b, ptree_get(m,
							      "default_route"));
	plan_read_gateway_smtp(b, m);
}

static void plan_read_manage(struct plan_build *b, const struct ptree *m,
			     struct plan_dns *dns)
{
	struct plan_pos *posv;
	char **v = plan_get_strv(b, m, "manage", "dns", false, &posv);
	struct strmap *seen = strmap_new();
	size_t n = strv_len(v);

	dns->manage = n ? xcalloc(n, sizeof(*dns->manage)) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct plan_rrkey key;
		char *shown = plan_show(v[i]), *canon;

		if (plan_parse_rrkey(v[i], dns->zone, &key) < 0) {
			plan_err_pos(b, posv[i], "dns",
				     "'manage' item '%s' must be \"NAME TYPE\", such as \"corp.example. MX\"",
				     shown);
			free(shown);
			continue;
		}
		canon = xasprintf("%s %s", key.name, key.type);
		if (dns->zone && strcmp(key.name, dns->zone) != 0 &&
		    !(str_has_suffix(key.name, dns->zone) &&
		      key.name[strlen(key.name) - strlen(dns->zone) - 1] == '.'))
			plan_err_pos(b, posv[i], "dns",
				     "record '%s' is outside the zone '%s'",
				     canon, dns->zone);
		if (strmap_get(seen, canon)) {
			plan_err_pos(b, posv[i], "dns",
				     "record '%s' is listed twice in 'manage'",
				     canon);
			free(key.name);
			free(key.type);
		} else {
			strmap_put(seen, canon, seen);
			key.pos = posv[i];
			dns->manage[dns->n_manage++] = key;
		}
		free(canon);
		free(shown);
	}
	strmap_free(seen);
	strv_free(v);
	free(posv);
}

static void plan_read_endpoint(struct plan_build *b, const struct ptree *m,
			       struct plan_dns *dns)
{
	const struct ptree *v = ptree_get(m, "endpoint");
	const char *s = dns->endpoint;

	if (!s)
		return;
	if (dns->provider == PLAN_DNS_POWERDNS) {
		const char *rest = str_has_prefix(s, "http://") ? s + 7 :
				   str_has_prefix(s, "https://") ? s + 8 : NULL;

		if (!rest || !*rest || *rest == '/' || strpbrk(s, " \t\r\n"))
			plan_err_at(b, v, "dns",
				    "'endpoint' must be an http:// or https:// URL for provider powerdns, such as http://127.0.0.1:8081/api/v1");
	} else if (!plan_hostport_ok(s)) {
		plan_err_at(b, v, "dns",
			    "'endpoint' must be host:port for provider rfc2136, such as 127.0.0.1:53");
	}
}

static void plan_read_dns(struct plan_build *b, const struct ptree *root)
{
	static const char *const keys[] = {
		"provider", "endpoint", "key", "key_name", "algorithm",
		"server_id", "ca", "zone", "manage", "low_ttl", "servers", "mx",
		NULL,
	};
	static const char *const algos[] = {
		"hmac-sha256", "hmac-sha512", NULL,
	};
	struct plan_dns *dns = &b->p->dns;
	const struct ptree *m, *k;
	const char *ctx = "dns";
	struct plan_pos *posv;
	char *zone;
	int e, provider = -1;

	m = plan_read_map(b, root, "dns", NULL, false,
			  "such as { provider: powerdns, endpoint: URL, zone: example.com. }");
	if (!m)
		return;
	dns->present = true;
	dns->pos = plan_pos_of(b, m);
	dns->low_ttl = 300;
	plan_get_keys(b, m, ctx, keys);
	if (plan_get_node(b, m, "provider", ctx, true) &&
	    plan_get_enum(b, m, "provider", ctx, plan_dns_provider_names,
			  &provider) > 0)
		dns->provider = (enum plan_dns_provider)provider;
	dns->endpoint = plan_get_str(b, m, "endpoint", ctx, true);
	if (provider >= 0)
		plan_read_endpoint(b, m, dns);
	plan_get_secret(b, m, "key", ctx, true, &dns->key);
	dns->key_name = plan_get_str(b, m, "key_name", ctx,
				     provider == PLAN_DNS_RFC2136);
	if (plan_get_enum(b, m, "algorithm", ctx, algos, &e) > 0)
		dns->algorithm = xstrdup(algos[e]);
	dns->server_id = plan_get_str(b, m, "server_id", ctx, false);
	if (provider == PLAN_DNS_POWERDNS) {
		if ((k = plan_read_keynode(m, "key_name")))
			plan_err_at(b, k, ctx,
				    "'key_name' does not apply to provider 'powerdns'");
		if ((k = plan_read_keynode(m, "algorithm")))
			plan_err_at(b, k, ctx,
				    "'algorithm' does not apply to provider 'powerdns'");
		if (!dns->server_id)
			dns->server_id = xstrdup("localhost");
	} else if (provider == PLAN_DNS_RFC2136) {
		if ((k = plan_read_keynode(m, "server_id")))
			plan_err_at(b, k, ctx,
				    "'server_id' does not apply to provider 'rfc2136'");
		if (!dns->algorithm)
			dns->algorithm = xstrdup("hmac-sha256");
	}
	dns->ca_file = plan_get_path(b, m, "ca", ctx, false);
	zone = plan_get_str(b, m, "zone", ctx, true);
	if (zone) {
		char *z = plan_norm_domain(zone);

		if (!z) {
			char *shown = plan_show(zone);

			plan_err_at(b, ptree_get(m, "zone"), ctx,
				    "'zone' must be a domain name, not '%s'",
				    shown);
			free(shown);
		} else {
			dns->zone = xasprintf("%s.", z);
			free(z);
		}
		free(zone);
	}
	plan_read_manage(b, m, dns);
	plan_get_uint(b, m, "low_ttl", ctx, 1, 86400, &dns->low_ttl);
	dns->servers = plan_get_strv(b, m, "servers", ctx, false, &posv);
	for (size_t i = 0; dns->servers && dns->servers[i]; i++) {
		if (!plan_hostport_ok(dns->servers[i])) {
			char *shown = plan_show(dns->servers[i]);

			plan_err_pos(b, posv[i], ctx,
				     "'servers' item '%s' must be host:port, such as 192.0.2.53:53",
				     shown);
			free(shown);
		}
	}
	free(posv);
	plan_read_mx(b, m);
}

static void plan_read_folders(struct plan_build *b, const struct ptree *root)
{
	static const char *const keys[] = {
		"special_use", "exclude", "map", NULL,
	};
	static const char *const su[] = {
		"auto", "on", "true", "off", "false", NULL,
	};
	struct plan_folders *f = &b->p->folders;
	const struct ptree *m, *map;
	const char *ctx = "folders";
	int e;

	f->special_use = true;
	m = plan_read_map(b, root, "folders", NULL, false, NULL);
	if (!m)
		return;
	plan_get_keys(b, m, ctx, keys);
	if (plan_get_enum(b, m, "special_use", ctx, su, &e) > 0)
		f->special_use = e <= 2;
	f->exclude = plan_get_strv(b, m, "exclude", ctx, false, NULL);
	map = plan_read_map(b, m, "map", ctx, false,
			    "of source folder to destination folder names");
	if (!map)
		return;
	f->map = map->n ? xcalloc(map->n, sizeof(*f->map)) : NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct ptree *k = ptree_key(map, i), *v = ptree_val(map, i);
		struct plan_folder_map *fm = &f->map[f->n_map];

		if (k->len == 0) {
			plan_err_at(b, k, ctx,
				    "each 'map' key must be a folder name, not empty");
			continue;
		}
		fm->to = plan_get_scalar(b, v, "each 'map' value", ctx);
		if (!fm->to)
			continue;
		fm->pos = plan_pos_of(b, k);
		fm->from = xstrdup(k->str);
		f->n_map++;
	}
}

static void plan_read_top(struct plan_build *b, const struct ptree *root)
{
	struct plan *p = b->p;
	const struct ptree *v;
	struct plan_pos *posv;
	char **dom;
	struct strmap *seen;
	unsigned long long n;
	char *s;

	v = plan_get_node(b, root, "version", NULL, true);
	if (v && (v->kind != PTREE_SCALAR ||
		  str_to_uint(v->str, 0, UINT_MAX, &n) < 0)) {
		plan_err_at(b, v, NULL, "'version' must be %d", PLAN_VERSION);
	} else if (v && n != PLAN_VERSION) {
		plan_err_at(b, v, NULL,
			    "unsupported plan version %llu (this migrate reads version %d)",
			    n, PLAN_VERSION);
	} else if (v) {
		p->version = PLAN_VERSION;
	}
	p->migration = plan_get_str(b, root, "migration", NULL, true);
	if (p->migration && !plan_name_ok(p->migration))
		plan_bad_name(b, plan_pos_of(b, ptree_get(root, "migration")),
			      NULL, "migration name", p->migration);

	plan_get_node(b, root, "domains", NULL, true);
	dom = plan_get_strv(b, root, "domains", NULL, true, &posv);
	seen = strmap_new();
	for (size_t i = 0; dom && dom[i]; i++) {
		char *d = plan_norm_domain(dom[i]);

		s = plan_show(dom[i]);
		if (!d)
			plan_err_pos(b, posv[i], NULL,
				     "'domains' item '%s' is not a domain name",
				     s);
		else if (strmap_get(seen, d))
			plan_err_pos(b, posv[i], NULL,
				     "domain '%s' is listed twice", d);
		else
			strv_push(&p->domains, d);
		if (d)
			strmap_put(seen, d, d);
		free(d);
		free(s);
	}
	strmap_free(seen);
	strv_free(dom);
	free(posv);

	s = plan_get_path(b, root, "state", NULL, false);
	if (s) {
		p->state_path = s;
	} else {
		size_t len = strlen(p->path);

		if (str_has_suffix(p->path, ".yaml"))
			len -= 5;
		else if (str_has_suffix(p->path, ".yml"))
			len -= 4;
		p->state_path = xasprintf("%.*s.state.db", (int)len, p->path);
	}
}

void plan_read(struct plan_build *b, const struct ptree *root)
{
	static const char *const keys[] = {
		"version", "migration", "domains", "state", "backends",
		"gateway", "dns", "folders", "users", "phases", NULL,
	};

	if (!root || ptree_is_null(root)) {
		plan_diag_add(b->d, b->file, 1, 1, false,
			      "the plan is empty (it needs at least version, migration, domains, backends, users and phases)");
		return;
	}
	if (root->kind != PTREE_MAP) {
		plan_err_at(b, root, NULL,
			    "the plan must be a mapping of keys (version, migration, domains, backends, users, phases...), not %s",
			    ptree_kind_name(root));
		return;
	}
	plan_get_keys(b, root, NULL, keys);
	plan_read_top(b, root);
	plan_read_backends(b, root);
	plan_read_gateway(b, root);
	plan_read_dns(b, root);
	plan_read_folders(b, root);
	plan_read_users(b, root);
	plan_read_phases(b, root);
}
