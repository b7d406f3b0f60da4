/*
 * plan_mx.c -- what "migrate check --live" needs from the plan: the MX
 * layout of the zone (dns 'mx'), the gateway's SMTP name and its queue
 * limits, and the checks a layout must pass before any server is asked:
 * hosts are names (never IP addresses), each backup has a higher
 * preference number than every active host, and the layout after the
 * last phase still has an MX host.
 *
 * The layout after the last phase ('final') is taken as declared, else
 * from the last phase whose dns_change sets the MX RRset, else it is the
 * same as 'hosts'.  When both are given they must agree.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

const char *const plan_mx_role_names[] = { "active", "backup", NULL };

#define MX_CTX "dns mx"

const char *plan_mx_role_name(enum plan_mx_role r)
{
	return (unsigned)r < 2 ? plan_mx_role_names[r] : "?";
}

void plan_smtp_host_release(struct plan_smtp_host *h)
{
	free(h->host);
	free(h->ports);
	for (size_t i = 0; h->connect && i < h->n_ports; i++)
		free(h->connect[i]);
	free(h->connect);
	memset(h, 0, sizeof(*h));
}

static void plan_mx_layout_free(struct plan_smtp_host *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		plan_smtp_host_release(&v[i]);
	free(v);
}

void plan_mx_release(struct plan_mx *mx)
{
	free(mx->name);
	plan_mx_layout_free(mx->hosts, mx->n_hosts);
	plan_mx_layout_free(mx->final, mx->n_final);
	strv_free(mx->resolvers);
	free(mx->ca_file);
	free(mx->helo);
	free(mx->probe_from);
	free(mx->probe_unknown);
	free(mx->probe_foreign);
	memset(mx, 0, sizeof(*mx));
}

/* An IPv4 or IPv6 address, or a name whose last label is all digits
 * (no top-level domain is): what an MX record must never hold. */
static bool plan_mx_is_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *last;
	size_t n = strlen(s);

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return true;
	if (s[0] == '[')
		return true;
	while (n && s[n - 1] == '.')
		n--;
	last = s + n;
	while (last > s && last[-1] != '.')
		last--;
	if (last == s + n)
		return false;
	for (const char *c = last; c < s + n; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

/* A host name from the plan: lowercase, no final dot; NULL (reported) if
 * it is an address or not a name. */
static char *plan_mx_hostname(struct plan_build *b, const struct ptree *at,
			      const char *ctx, const char *what,
			      const char *s)
{
	char *shown, *h;

	if (plan_mx_is_address(s)) {
		shown = plan_show(s);
		plan_err_at(b, at, ctx,
			    "%s '%s' is an IP address: an MX record and an SMTP banner name a host",
			    what, shown);
		free(shown);
		return NULL;
	}
	h = plan_norm_domain(s);
	if (!h || strchr(h, '*')) {
		shown = plan_show(s);
		plan_err_at(b, at, ctx, "%s '%s' is not a host name", what,
			    shown);
		free(shown);
		h = x_free(h);
	}
	return h;
}

/* smtp: [25, 587] and connect: { "25": "127.0.0.1:2525" } of a host. */
static void plan_mx_ports(struct plan_build *b, const struct ptree *m,
			  const char *ctx, struct plan_smtp_host *h)
{
	const struct ptree *v = ptree_get(m, "smtp"), *c;
	unsigned long long n;

	if (v && v->kind != PTREE_SEQ) {
		plan_err_at(b, v, ctx,
			    "'smtp' must be a list of ports, such as [25, 587], not %s",
			    ptree_kind_name(v));
	} else if (v && v->n == 0) {
		plan_err_at(b, v, ctx, "'smtp' must not be an empty list");
	} else if (v) {
		h->ports = xcalloc(v->n, sizeof(*h->ports));
		for (size_t i = 0; i < v->n; i++) {
			const struct ptree *it = v->kids[i];
			bool dup = false;

			if (it->kind != PTREE_SCALAR ||
			    str_to_uint(it->str, 1, 65535, &n) < 0) {
				plan_err_at(b, it, ctx,
					    "'smtp' items must be port numbers from 1 to 65535");
				continue;
			}
			for (size_t k = 0; k < h->n_ports; k++)
				dup |= h->ports[k] == (unsigned)n;
			if (dup) {
				plan_err_at(b, it, ctx,
					    "port %llu is listed twice in 'smtp'",
					    n);
				continue;
			}
			h->ports[h->n_ports++] = (unsigned)n;
		}
	}
	if (!h->ports) {
		h->ports = xcalloc(1, sizeof(*h->ports));
		h->ports[0] = 25;
		h->n_ports = 1;
	}
	h->connect = xcalloc(h->n_ports, sizeof(*h->connect));
	c = ptree_get(m, "connect");
	if (!c)
		return;
	if (c->kind != PTREE_MAP) {
		plan_err_at(b, c, ctx,
			    "'connect' must be a mapping of port to host:port, such as { \"25\": \"127.0.0.1:2525\" }, not %s",
			    ptree_kind_name(c));
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct ptree *k = ptree_key(c, i), *val = ptree_val(c, i);
		size_t at = h->n_ports;
		char *s, *shown;

		if (str_to_uint(k->str, 1, 65535, &n) == 0)
			for (size_t j = 0; j < h->n_ports; j++)
				if (h->ports[j] == (unsigned)n)
					at = j;
		if (at == h->n_ports) {
			shown = plan_show(k->str);
			plan_err_at(b, k, ctx,
				    "'connect' key '%s' is not one of the host's 'smtp' ports",
				    shown);
			free(shown);
			continue;
		}
		s = plan_get_scalar(b, val, "each 'connect' value", ctx);
		if (s && !plan_hostport_ok(s)) {
			shown = plan_show(s);
			plan_err_at(b, val, ctx,
				    "'connect' value '%s' must be host:port, such as 127.0.0.1:2525",
				    shown);
			free(shown);
			s = x_free(s);
		}
		h->connect[at] = s;
	}
}

/* One item of 'hosts' or 'final'. */
static bool plan_mx_item(struct plan_build *b, const struct ptree *it,
			 const char *list, struct plan_smtp_host *h)
{
	static const char *const keys[] = {
		"host", "preference", "role", "smtp", "connect", NULL,
	};
	char *name;
	int role;

	memset(h, 0, sizeof(*h));
	if (it->kind != PTREE_MAP) {
		plan_err_at(b, it, MX_CTX,
			    "'%s' items must be mappings such as { host: mx1.example.com, preference: 10 }, not %s",
			    list, ptree_kind_name(it));
		return false;
	}
	h->pos = plan_pos_of(b, it);
	plan_get_keys(b, it, MX_CTX, keys);
	name = plan_get_str(b, it, "host", MX_CTX, true);
	if (name) {
		h->host = plan_mx_hostname(b, ptree_get(it, "host"), MX_CTX,
					   "MX host", name);
		free(name);
	}
	if (plan_get_node(b, it, "preference", MX_CTX, true))
		plan_get_uint(b, it, "preference", MX_CTX, 0, 65535,
			      &h->preference);
	if (plan_get_enum(b, it, "role", MX_CTX, plan_mx_role_names,
			  &role) > 0)
		h->role = (enum plan_mx_role)role;
	plan_mx_ports(b, it, MX_CTX, h);
	if (!h->host) {
		plan_smtp_host_release(h);
		return false;
	}
	return true;
}

/* The list of MX hosts under key (NULL when absent or not a list; the
 * bad items left out), its position in *pos. */
static struct plan_smtp_host *plan_mx_list(struct plan_build *b,
					   const struct ptree *m,
					   const char *key, size_t *n,
					   struct plan_pos *pos)
{
	const struct ptree *v = ptree_get(m, key);
	struct plan_smtp_host *out;

	*n = 0;
	if (!v)
		return NULL;
	*pos = plan_pos_of(b, v);
	if (v->kind != PTREE_SEQ) {
		plan_err_at(b, v, MX_CTX,
			    "'%s' must be a list of MX hosts such as { host: mx1.example.com, preference: 10 }, not %s",
			    key, ptree_kind_name(v));
		return NULL;
	}
	out = xcalloc(v->n + 1, sizeof(*out));
	for (size_t i = 0; i < v->n; i++)
		if (plan_mx_item(b, v->kids[i], key, &out[*n]))
			(*n)++;
	return out;
}

/* The rules every layout follows.  `what`: "'hosts'" or "'final'". */
static bool plan_mx_layout_check(struct plan_build *b,
				 const struct plan_smtp_host *v, size_t n,
				 struct plan_pos pos, const char *what,
				 bool is_final)
{
	struct strmap *seen = strmap_new();
	const struct plan_smtp_host *top = NULL;	/* highest active number */
	size_t errors = b->d->n_errors;

	if (n == 0) {
		if (is_final)
			plan_err_pos(b, pos, MX_CTX,
				     "%s leaves no MX host: after the last phase the domain would receive no mail",
				     what);
		else
			plan_err_pos(b, pos, MX_CTX,
				     "%s must list at least one MX host", what);
		strmap_free(seen);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (strmap_get(seen, v[i].host))
			plan_err_pos(b, v[i].pos, MX_CTX,
				     "MX host '%s' is listed twice in %s",
				     v[i].host, what);
		strmap_put(seen, v[i].host, seen);
		if (v[i].role == PLAN_MX_ACTIVE &&
		    (!top || v[i].preference > top->preference))
			top = &v[i];
	}
	strmap_free(seen);
	if (!top) {
		plan_err_pos(b, pos, MX_CTX,
			     "%s has only backup hosts: at least one must be active",
			     what);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].role != PLAN_MX_BACKUP)
			continue;
		if (v[i].preference < top->preference)
			plan_err_pos(b, v[i].pos, MX_CTX,
				     "backup '%s' has preference %u, lower than active host '%s' (%u): senders try the lowest number first, so the backup would get the mail",
				     v[i].host, v[i].preference, top->host,
				     top->preference);
		else if (v[i].preference == top->preference)
			plan_err_pos(b, v[i].pos, MX_CTX,
				     "backup '%s' has the same preference %u as active host '%s': senders would share the mail between them",
				     v[i].host, v[i].preference, top->host);
	}
	return b->d->n_errors == errors;
}

static bool plan_mx_our_domain(const struct plan *p, const char *d)
{
	for (size_t i = 0; p->domains && p->domains[i]; i++)
		if (str_ieq(p->domains[i], d))
			return true;
	return false;
}

static void plan_mx_probe(struct plan_build *b, const struct ptree *m,
			  struct plan_mx *mx)
{
	static const char *const keys[] = {
		"from", "unknown", "foreign", NULL,
	};
	const struct ptree *p = ptree_get(m, "probe");
	const char *ctx = MX_CTX " probe";

	if (p && p->kind != PTREE_MAP) {
		plan_err_at(b, p, MX_CTX,
			    "'probe' must be a mapping such as { from: postmaster@example.com }, not %s",
			    ptree_kind_name(p));
		p = NULL;
	}
	if (p) {
		plan_get_keys(b, p, ctx, keys);
		mx->probe_from = plan_get_str(b, p, "from", ctx, false);
		mx->probe_unknown = plan_get_str(b, p, "unknown", ctx, false);
		mx->probe_foreign = plan_get_str(b, p, "foreign", ctx, false);
	}
	if (mx->probe_from && (!strchr(mx->probe_from, '@') ||
			       strpbrk(mx->probe_from, " \t<>"))) {
		plan_err_at(b, ptree_get(p, "from"), ctx,
			    "'from' must be an address such as postmaster@example.com");
		mx->probe_from = x_free(mx->probe_from);
	}
	if (mx->probe_unknown && strpbrk(mx->probe_unknown, "@ \t<>")) {
		plan_err_at(b, ptree_get(p, "unknown"), ctx,
			    "'unknown' must be a local part (no '@'), such as no-such-user");
		mx->probe_unknown = x_free(mx->probe_unknown);
	}
	if (mx->probe_foreign) {
		const char *at = strrchr(mx->probe_foreign, '@');

		if (!at || at == mx->probe_foreign || !at[1] ||
		    strpbrk(mx->probe_foreign, " \t<>")) {
			plan_err_at(b, ptree_get(p, "foreign"), ctx,
				    "'foreign' must be an address such as relay-test@example.org");
			mx->probe_foreign = x_free(mx->probe_foreign);
		} else if (plan_mx_our_domain(b->p, at + 1)) {
			plan_err_at(b, ptree_get(p, "foreign"), ctx,
				    "'foreign' must be outside the plan's domains (it tests that the backup MX refuses to relay)");
			mx->probe_foreign = x_free(mx->probe_foreign);
		}
	}
	if (!mx->probe_unknown)
		mx->probe_unknown = xstrdup("migrate-probe-no-such-user");
	if (!mx->probe_foreign)
		mx->probe_foreign = xstrdup("relay-probe@migrate-probe.example");
}

/* How many items the list under key has. */
static size_t plan_mx_given(const struct ptree *m, const char *key)
{
	const struct ptree *v = ptree_get(m, key);

	return v && v->kind == PTREE_SEQ ? v->n : 0;
}

void plan_read_mx(struct plan_build *b, const struct ptree *dns)
{
	static const char *const keys[] = {
		"name", "ttl", "hosts", "final", "resolvers", "ca",
		"warn_days", "timeout", "helo", "probe", "mta_sts_port", NULL,
	};
	struct plan_mx *mx = &b->p->dns.mx;
	const struct ptree *m = ptree_get(dns, "mx");
	struct plan_pos *posv;
	char *s;

	if (!m)
		return;
	if (m->kind != PTREE_MAP) {
		plan_err_at(b, m, "dns",
			    "'mx' must be a mapping such as { hosts: [{ host: mx1.example.com, preference: 10 }] }, not %s",
			    ptree_kind_name(m));
		return;
	}
	mx->present = true;
	mx->pos = plan_pos_of(b, m);
	mx->warn_days = 21;
	mx->timeout = 10;
	mx->mta_sts_port = 443;
	plan_get_keys(b, m, MX_CTX, keys);
	s = plan_get_str(b, m, "name", MX_CTX, false);
	if (s) {
		char *d = plan_norm_domain(s), *shown = plan_show(s);

		if (!d)
			plan_err_at(b, ptree_get(m, "name"), MX_CTX,
				    "'name' must be a domain name, not '%s'",
				    shown);
		else
			mx->name = xasprintf("%s.", d);
		free(d);
		free(shown);
		free(s);
	} else if (b->p->dns.zone) {
		mx->name = xstrdup(b->p->dns.zone);
	}
	if (mx->name && b->p->dns.zone &&
	    strcmp(mx->name, b->p->dns.zone) != 0 &&
	    !(str_has_suffix(mx->name, b->p->dns.zone) &&
	      mx->name[strlen(mx->name) - strlen(b->p->dns.zone) - 1] == '.'))
		plan_err_at(b, ptree_get(m, "name"), MX_CTX,
			    "'name' '%s' is outside the zone '%s'", mx->name,
			    b->p->dns.zone);
	plan_get_uint(b, m, "ttl", MX_CTX, 1, 2147483647u, &mx->ttl);
	if (!plan_get_node(b, m, "hosts", MX_CTX, true))
		b->mx_hosts_pos = mx->pos;
	mx->hosts = plan_mx_list(b, m, "hosts", &mx->n_hosts,
				 &b->mx_hosts_pos);
	if (ptree_get(m, "final")) {
		mx->final_declared = true;
		mx->final = plan_mx_list(b, m, "final", &mx->n_final,
					 &b->mx_final_pos);
	}
	mx->resolvers = plan_get_strv(b, m, "resolvers", MX_CTX, false, &posv);
	for (size_t i = 0; mx->resolvers && mx->resolvers[i]; i++) {
		if (!plan_hostport_ok(mx->resolvers[i])) {
			char *shown = plan_show(mx->resolvers[i]);

			plan_err_pos(b, posv[i], MX_CTX,
				     "'resolvers' item '%s' must be host:port, such as 192.0.2.53:53",
				     shown);
			free(shown);
		}
	}
	free(posv);
	mx->ca_file = plan_get_path(b, m, "ca", MX_CTX, false);
	plan_get_uint(b, m, "warn_days", MX_CTX, 1, 3650, &mx->warn_days);
	plan_get_uint(b, m, "timeout", MX_CTX, 1, 600, &mx->timeout);
	plan_get_uint(b, m, "mta_sts_port", MX_CTX, 1, 65535,
		      &mx->mta_sts_port);
	mx->helo = plan_get_str(b, m, "helo", MX_CTX, false);
	if (mx->helo && (strpbrk(mx->helo, " \t<>") || !strchr(mx->helo, '.'))) {
		plan_err_at(b, ptree_get(m, "helo"), MX_CTX,
			    "'helo' must be a host name such as check.example.com");
		mx->helo = x_free(mx->helo);
	}
	if (!mx->helo)
		mx->helo = xstrdup("migrate-check.invalid");
	plan_mx_probe(b, m, mx);
	/* (a list whose items were all bad has been reported already) */
	if (mx->hosts && (mx->n_hosts || plan_mx_given(m, "hosts") == 0))
		plan_mx_layout_check(b, mx->hosts, mx->n_hosts,
				     b->mx_hosts_pos, "'hosts'", false);
	if (mx->final_declared && mx->final &&
	    (mx->n_final || plan_mx_given(m, "final") == 0))
		b->mx_final_ok = plan_mx_layout_check(b, mx->final,
						      mx->n_final,
						      b->mx_final_pos,
						      "'final'", true);
}

void plan_read_gateway_smtp(struct plan_build *b, const struct ptree *gw)
{
	struct plan_gateway *g = &b->p->gateway;
	char *s;

	g->queue_max = 1000;
	g->min_free_mb = 1024;
	plan_get_uint(b, gw, "queue_max", "gateway", 0, 100000000,
		      &g->queue_max);
	plan_get_uint(b, gw, "min_free_mb", "gateway", 0, 1000000000,
		      &g->min_free_mb);
	s = plan_get_str(b, gw, "hostname", "gateway", false);
	if (s) {
		g->smtp.pos = plan_pos_of(b, ptree_get(gw, "hostname"));
		g->smtp.host = plan_mx_hostname(b, ptree_get(gw, "hostname"),
						"gateway", "'hostname'", s);
		free(s);
	}
	if (!g->smtp.host) {
		if (ptree_get(gw, "smtp") || ptree_get(gw, "connect"))
			plan_err_at(b, ptree_get(gw, "smtp") ?
					       ptree_get(gw, "smtp") :
					       ptree_get(gw, "connect"),
				    "gateway",
				    "'smtp' and 'connect' need the gateway's 'hostname'");
		return;
	}
	plan_mx_ports(b, gw, "gateway", &g->smtp);
}

/* "10 mx1.example.net." -> preference and host (lowercase, no final
 * dot); "0 ." (a null MX) gives host "".  0 ok, -1 not an MX record. */
int plan_mx_parse_record(const char *rdata, unsigned *pref, char **host)
{
	unsigned long long n;
	const char *sp = strchr(rdata, ' ');
	char *num, *h;
	size_t len;

	*host = NULL;
	if (!sp)
		return -1;
	num = xstrndup(rdata, (size_t)(sp - rdata));
	if (str_to_uint(num, 0, 65535, &n) < 0) {
		free(num);
		return -1;
	}
	free(num);
	while (*sp == ' ')
		sp++;
	len = strlen(sp);
	if (strcmp(sp, ".") == 0) {
		*pref = (unsigned)n;
		*host = xstrdup("");
		return 0;
	}
	if (len < 2 || sp[len - 1] != '.')
		return -1;
	h = plan_norm_domain(sp);
	if (!h)
		return -1;
	*pref = (unsigned)n;
	*host = h;
	return 0;
}

/* Same hosts with the same preferences? */
static bool plan_mx_same(const struct plan_smtp_host *a, size_t na,
			 const struct plan_smtp_host *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;

		for (size_t j = 0; j < nb && !found; j++)
			found = strcmp(a[i].host, b[j].host) == 0 &&
				a[i].preference == b[j].preference;
		if (!found)
			return false;
	}
	return true;
}

/* "10 a.example., 20 b.example." */
static char *plan_mx_show(const struct plan_smtp_host *v, size_t n)
{
	struct sbuf sb;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb, "%s%u %s.", i ? ", " : "", v[i].preference,
			  v[i].host);
	return sbuf_detach(&sb, NULL);
}

/* Copy host h (its ports and connect too, from a host of the same name in
 * `like`, if any). */
static void plan_mx_copy(struct plan_smtp_host *dst, const char *host,
			 unsigned pref, const struct plan_smtp_host *like,
			 size_t n_like)
{
	const struct plan_smtp_host *src = NULL;

	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < n_like; i++)
		if (strcmp(like[i].host, host) == 0)
			src = &like[i];
	dst->host = xstrdup(host);
	dst->preference = pref;
	if (src) {
		dst->pos = src->pos;
		dst->n_ports = src->n_ports;
		dst->ports = xmemdup(src->ports,
				     src->n_ports * sizeof(*src->ports));
		dst->connect = xcalloc(src->n_ports, sizeof(*dst->connect));
		for (size_t i = 0; i < src->n_ports; i++)
			dst->connect[i] = xstrdup(src->connect[i]);
	} else {
		dst->n_ports = 1;
		dst->ports = xcalloc(1, sizeof(*dst->ports));
		dst->ports[0] = 25;
		dst->connect = xcalloc(1, sizeof(*dst->connect));
	}
}

/* The layout a dns_change sets; -1 (reported) when a record is not an MX
 * record, or a null MX. */
static int plan_mx_from_change(struct plan_build *b, const struct plan_mx *mx,
			       const struct plan_phase *ph,
			       const struct plan_dns_change *dc,
			       struct plan_smtp_host **out, size_t *n)
{
	size_t cnt = strv_len(dc->records);
	unsigned min = 65535;
	int rc = 0;

	*out = xcalloc(cnt + 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < cnt; i++) {
		unsigned pref;
		char *host, *shown;

		if (plan_mx_parse_record(dc->records[i], &pref, &host) < 0) {
			shown = plan_show(dc->records[i]);
			plan_err_pos(b, dc->pos, MX_CTX,
				     "phase '%s' sets '%s MX' to '%s', which is not an MX record (\"PREFERENCE HOST.\")",
				     ph->name, mx->name, shown);
			free(shown);
			rc = -1;
			continue;
		}
		if (!*host) {
			plan_err_pos(b, dc->pos, MX_CTX,
				     "phase '%s' sets a null MX ('0 .') on '%s': after it the domain would receive no mail",
				     ph->name, mx->name);
			free(host);
			rc = -1;
			continue;
		}
		plan_mx_copy(&(*out)[(*n)++], host, pref, mx->hosts,
			     mx->n_hosts);
		if (pref < min)
			min = pref;
		free(host);
	}
	for (size_t i = 0; i < *n; i++)
		(*out)[i].role = (*out)[i].preference == min ? PLAN_MX_ACTIVE :
							       PLAN_MX_BACKUP;
	return rc;
}

void plan_check_mx(struct plan_build *b)
{
	struct plan *p = b->p;
	struct plan_mx *mx = &p->dns.mx;
	const struct plan_phase *last = NULL;
	const struct plan_dns_change *dc = NULL;
	struct plan_smtp_host *set = NULL;
	size_t n_set = 0;
	bool bad = false;
	char *a, *c;

	if (!mx->present || !mx->name || !mx->hosts)
		return;
	for (size_t i = 0; i < p->n_phases; i++)
		for (size_t k = 0; k < p->phases[i].n_dns_change; k++) {
			const struct plan_dns_change *d =
				&p->phases[i].dns_change[k];

			if (!d->key.name || !d->key.type ||
			    strcmp(d->key.name, mx->name) != 0 ||
			    strcmp(d->key.type, "MX") != 0)
				continue;
			plan_mx_layout_free(set, n_set);
			set = NULL;
			if (plan_mx_from_change(b, mx, &p->phases[i], d, &set,
						&n_set) < 0)
				bad = true;
			last = &p->phases[i];
			dc = d;
		}
	if (bad) {
		plan_mx_layout_free(set, n_set);
		return;
	}
	if (mx->final_declared) {
		if (!mx->final || !b->mx_final_ok) {
			plan_mx_layout_free(set, n_set);
			return;
		}
		if (dc && !plan_mx_same(mx->final, mx->n_final, set, n_set)) {
			a = plan_mx_show(mx->final, mx->n_final);
			c = plan_mx_show(set, n_set);
			plan_err_pos(b, b->mx_final_pos, MX_CTX,
				     "'final' (%s) does not match what phase '%s' sets for '%s MX' (%s)",
				     a, last->name, mx->name, c);
			free(a);
			free(c);
		} else if (!dc && !plan_mx_same(mx->final, mx->n_final,
						 mx->hosts, mx->n_hosts)) {
			plan_warn_pos(b, b->mx_final_pos, MX_CTX,
				      "'final' differs from 'hosts', but no phase changes '%s MX' in its dns_change",
				      mx->name);
		}
		plan_mx_layout_free(set, n_set);
		return;
	}
	if (dc) {
		plan_mx_layout_check(b, set, n_set, dc->pos,
				     "the layout after the last phase", true);
		mx->final = set;
		mx->n_final = n_set;
		return;
	}
	mx->final = xcalloc(mx->n_hosts + 1, sizeof(*mx->final));
	for (size_t i = 0; i < mx->n_hosts; i++) {
		plan_mx_copy(&mx->final[i], mx->hosts[i].host,
			     mx->hosts[i].preference, mx->hosts,
			     mx->n_hosts);
		mx->final[i].role = mx->hosts[i].role;
	}
	mx->n_final = mx->n_hosts;
}
