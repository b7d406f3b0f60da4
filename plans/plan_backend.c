/*
 * plan_backend.c -- the backends: section: each backend's IMAP endpoint
 * (with its bandwidth cap), its login and its route.
 *
 * As everywhere in plans/, a bad value is reported and left at its
 * default, so one run reports every problem.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- bandwidth --------------------------------------------------------- */

static const struct {
	const char *unit;
	uint64_t mult;
} plan_rate_units[] = {
	{ "B/s", 1 },
	{ "KB/s", 1000 },
	{ "kB/s", 1000 },
	{ "MB/s", 1000 * 1000 },
	{ "GB/s", 1000 * 1000 * 1000 },
	{ "KiB/s", 1024 },
	{ "MiB/s", 1024 * 1024 },
	{ "GiB/s", 1024 * 1024 * 1024 },
};
#define N_RATE_UNITS (sizeof(plan_rate_units) / sizeof(plan_rate_units[0]))

#define RATE_INT_DIGITS 12	/* digits before the point */
#define RATE_FRAC_DIGITS 6	/* digits after it */

/* The number at the start of s: digits, optionally '.' and digits.  The
 * integer and fraction parts and the fraction's digit count; the length
 * taken, or 0 when s does not start with such a number. */
static size_t plan_rate_number(const char *s, uint64_t *ip, uint64_t *fp,
			       unsigned *fd)
{
	size_t i = 0, n;

	*ip = *fp = 0;
	*fd = 0;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++, n++) {
		if (n == RATE_INT_DIGITS)
			return 0;
		*ip = *ip * 10 + (uint64_t)(s[i] - '0');
	}
	if (n == 0)
		return 0;
	if (s[i] != '.')
		return i;
	for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
		if (*fd == RATE_FRAC_DIGITS)
			return 0;
		*fp = *fp * 10 + (uint64_t)(s[i] - '0');
		(*fd)++;
	}
	return *fd ? i : 0;
}

int plan_parse_bandwidth(const char *s, uint64_t *out)
{
	uint64_t ip, fp, scale = 1, v;
	unsigned fd;
	size_t len = plan_rate_number(s, &ip, &fp, &fd);
	const char *unit = s + len;

	if (len == 0)
		return -1;
	if (*unit == ' ')
		unit++;
	if (*unit == '\0') {	/* only "0" may go without a unit */
		if (strcmp(s, "0") != 0)
			return -1;
		*out = 0;
		return 0;
	}
	for (unsigned i = 0; i < fd; i++)
		scale *= 10;
	for (size_t i = 0; i < N_RATE_UNITS; i++) {
		uint64_t m = plan_rate_units[i].mult;

		if (strcmp(unit, plan_rate_units[i].unit) != 0)
			continue;
		/* too large to count: as large as can be (refused by the
		 * caller's range check) */
		if (ip > (UINT64_MAX - m) / m) {
			*out = UINT64_MAX;
			return 0;
		}
		/* the fraction, rounded to whole bytes (fp < scale <= 10^6,
		 * m <= 2^30: no overflow) */
		v = ip * m + (fp * m + scale / 2) / scale;
		/* a rate that rounds to nothing is tiny, not "no cap" */
		*out = v == 0 && (ip || fp) ? 1 : v;
		return 0;
	}
	return -1;
}

/* Does the unit look like bits ("Mbit/s", "Mbps", "Mb/s")? */
static bool plan_rate_bits(const char *unit)
{
	size_t n = strlen(unit);

	if (strstr(unit, "bit") || (n >= 3 && str_ieq(unit + n - 3, "bps")))
		return true;
	return n == 4 && strchr("kKmMgG", unit[0]) && unit[1] == 'b' &&
	       strcmp(unit + 2, "/s") == 0;
}

/* " (did you mean 'NUMBERUNIT'?)" for a unit that is nearly right:
 * "MBs", "MB", "M", "MiB/sec"; "" when nothing is near. */
static char *plan_rate_hint(const char *num, size_t len, const char *unit)
{
	static const char *const names[] = {
		"B/s", "KB/s", "MB/s", "GB/s", "KiB/s", "MiB/s", "GiB/s",
	};
	const char *near = NULL;
	char *t;

	if (!*unit)
		return xasprintf(" (did you mean '%.*sB/s'?)", (int)len, num);
	if (!((*unit >= 'a' && *unit <= 'z') || (*unit >= 'A' && *unit <= 'Z')))
		return xstrdup("");
	for (size_t i = 0; i < N_RATE_UNITS && !near; i++) {
		const char *u = plan_rate_units[i].unit;

		/* "MB" -> "MB/s", "M" -> "MB/s", "Ki" -> "KiB/s" */
		if ((strlen(u) == strlen(unit) + 2 &&
		     strncmp(u, unit, strlen(unit)) == 0) ||
		    (strlen(u) == strlen(unit) + 3 &&
		     strncmp(u, unit, strlen(unit)) == 0 &&
		     strcmp(u + strlen(unit), "B/s") == 0))
			near = u;
	}
	if (!near)
		near = str_closest(unit, names,
				   sizeof(names) / sizeof(names[0]));
	if (!near)
		return xstrdup("");
	t = xasprintf(" (did you mean '%.*s%s'?)", (int)len, num, near);
	return t;
}

static void plan_read_bandwidth(struct plan_build *b, const struct ptree *m,
				const char *ctx, struct plan_backend *be)
{
	const struct ptree *v = ptree_get(m, "bandwidth");
	uint64_t ip, fp, bw;
	unsigned fd;
	const char *unit;
	char *shown, *hint;
	size_t len;

	if (!v)
		return;
	if (v->kind != PTREE_SCALAR || ptree_is_null(v) || !v->len) {
		plan_err_at(b, v, ctx,
			    "'bandwidth' must be a rate in bytes per second such as 500KB/s, 10MB/s or 1.5MiB/s (0: no cap), not %s",
			    v->kind == PTREE_SCALAR ? "an empty value" :
						      ptree_kind_name(v));
		return;
	}
	shown = plan_show(v->str);
	if (plan_parse_bandwidth(v->str, &bw) == 0) {
		if (bw && (bw < PLAN_BANDWIDTH_MIN || bw > PLAN_BANDWIDTH_MAX))
			plan_err_at(b, v, ctx,
				    "'bandwidth' must be from 1KB/s to 100GB/s, or 0 for no cap, not '%s'",
				    shown);
		else
			be->bandwidth = bw;
		free(shown);
		return;
	}
	len = plan_rate_number(v->str, &ip, &fp, &fd);
	unit = v->str + len;
	if (len && *unit == ' ')
		unit++;
	if (len && *unit && plan_rate_bits(unit)) {
		plan_err_at(b, v, ctx,
			    "'bandwidth' counts bytes per second, not bits: '%s' looks like bits (1MB/s is 8 megabits per second)",
			    shown);
	} else if (len && !*unit) {
		hint = plan_rate_hint(v->str, len, unit);
		plan_err_at(b, v, ctx,
			    "'bandwidth' needs a unit (B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s or GiB/s; only 0, no cap, goes without one), not '%s'%s",
			    shown, hint);
		free(hint);
	} else {
		hint = len ? plan_rate_hint(v->str, len, unit) : xstrdup("");
		plan_err_at(b, v, ctx,
			    "'bandwidth' must be a rate in bytes per second such as 500KB/s, 10MB/s or 1.5MiB/s (units B/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s; 0: no cap), not '%s'%s",
			    shown, hint);
		free(hint);
	}
	free(shown);
}

/* ---- imap and login ---------------------------------------------------- */

static void plan_read_imap(struct plan_build *b, const struct ptree *bk,
			   const char *bctx, struct plan_backend *be)
{
	static const char *const keys[] = {
		"host", "port", "tls", "ca", "timeout", "connections",
		"bandwidth", NULL,
	};
	const struct ptree *m;
	char *ctx;
	int tls;

	m = plan_read_map(b, bk, "imap", bctx, true,
			  "such as { host: imap.example.net, tls: implicit }");
	if (!m)
		return;
	ctx = xasprintf("%s imap", bctx);
	plan_get_keys(b, m, ctx, keys);
	be->host = plan_get_str(b, m, "host", ctx, true);
	if (be->host && strpbrk(be->host, " \t\r\n/")) {
		plan_err_at(b, ptree_get(m, "host"), ctx,
			    "'host' must be a host name or an IP address");
	}
	if (plan_get_enum(b, m, "tls", ctx, plan_tls_names, &tls) > 0)
		be->tls = (enum plan_tls)tls;
	be->port = be->tls == PLAN_TLS_IMPLICIT ? 993 : 143;
	plan_get_uint(b, m, "port", ctx, 1, 65535, &be->port);
	be->ca_file = plan_get_path(b, m, "ca", ctx, false);
	plan_get_uint(b, m, "timeout", ctx, 1, 3600, &be->timeout);
	plan_get_uint(b, m, "connections", ctx, 1, 64, &be->connections);
	plan_read_bandwidth(b, m, ctx, be);
	free(ctx);
}

static bool plan_separator_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PLAN_MASTER_SEPARATOR_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/* method master: 'form' and 'separator'. */
static void plan_read_master_form(struct plan_build *b, const struct ptree *m,
				  const char *ctx, struct plan_backend *be)
{
	const struct ptree *sk = plan_read_keynode(m, "separator");
	char *sep, *shown;
	int form = 0, got;

	got = plan_get_enum(b, m, "form", ctx, plan_master_form_names, &form);
	if (got > 0)
		be->master_form = (enum plan_master_form)form;
	sep = plan_get_str(b, m, "separator", ctx, false);
	if (got < 0 || !sk) {
		if (got >= 0 && be->master_form == PLAN_MASTER_SEPARATOR)
			be->master_separator = xstrdup("*");
		free(sep);
		return;
	}
	if (be->master_form != PLAN_MASTER_SEPARATOR) {
		if (got == 0)
			plan_err_at(b, sk, ctx,
				    "'separator' needs 'form: separator' (LOGIN \"user*admin\"); the default form, authzid, has no separator");
		else
			plan_err_at(b, sk, ctx,
				    "'separator' does not apply to 'form: authzid' (only to 'form: separator', LOGIN \"user*admin\")");
		free(sep);
		return;
	}
	if (!sep)
		return;		/* reported by plan_get_str */
	if (!plan_separator_ok(sep)) {
		shown = plan_show(sep);
		plan_err_at(b, ptree_get(m, "separator"), ctx,
			    "'separator' must be 1 to %d printable characters without spaces, such as '*' (Dovecot's auth_master_user_separator), not '%s'",
			    PLAN_MASTER_SEPARATOR_MAX, shown);
		free(shown);
		free(sep);
		return;
	}
	be->master_separator = sep;
}

static void plan_read_login(struct plan_build *b, const struct ptree *bk,
			    const char *bctx, struct plan_backend *be)
{
	static const char *const keys[] = {
		"method", "user", "secret", "credentials", "token_command",
		"form", "separator", NULL,
	};
	/* which method each key but 'method' belongs to */
	static const struct {
		const char *key;
		enum plan_login_method method;
		bool required;
	} owner[] = {
		{ "user", PLAN_LOGIN_MASTER, true },
		{ "secret", PLAN_LOGIN_MASTER, true },
		{ "form", PLAN_LOGIN_MASTER, false },
		{ "separator", PLAN_LOGIN_MASTER, false },
		{ "credentials", PLAN_LOGIN_PER_USER, true },
		{ "token_command", PLAN_LOGIN_OAUTH2, true },
	};
	const struct ptree *m;
	char *ctx;
	int method = -1;

	m = plan_read_map(b, bk, "login", bctx, true,
			  "such as { method: master, user: NAME, secret: { env: VAR } }");
	if (!m)
		return;
	ctx = xasprintf("%s login", bctx);
	plan_get_keys(b, m, ctx, keys);
	if (plan_get_node(b, m, "method", ctx, true) &&
	    plan_get_enum(b, m, "method", ctx, plan_login_method_names,
			  &method) > 0)
		be->login_method = (enum plan_login_method)method;
	/* Read everything given, so a literal secret is always caught. */
	plan_get_secret(b, m, "secret", ctx, false, &be->secret);
	be->login_user = plan_get_str(b, m, "user", ctx, false);
	be->credentials_file = plan_get_path(b, m, "credentials", ctx, false);
	be->token_command = plan_get_strv(b, m, "token_command", ctx, true,
					  NULL);
	if (method < 0)
		goto out;
	for (size_t i = 0; i < sizeof(owner) / sizeof(owner[0]); i++) {
		const struct ptree *k = plan_read_keynode(m, owner[i].key);

		if (k && owner[i].method != be->login_method)
			plan_err_at(b, k, ctx,
				    "'%s' does not apply to method '%s' (it belongs to method '%s')",
				    owner[i].key,
				    plan_login_method_names[method],
				    plan_login_method_names[owner[i].method]);
		else if (!k && owner[i].required &&
			 owner[i].method == be->login_method)
			plan_err_at(b, m, ctx,
				    "missing required key '%s' (method '%s' needs it)",
				    owner[i].key,
				    plan_login_method_names[method]);
	}
	if (be->login_method == PLAN_LOGIN_MASTER)
		plan_read_master_form(b, m, ctx, be);
out:
	free(ctx);
}

/* ---- the backend ------------------------------------------------------- */

static bool plan_route_ok(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || colon == s || colon[1] == '\0' ||
	    strpbrk(s, " \t\r\n,"))
		return false;
	for (const char *c = s; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		      *c == '.'))
			return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

static void plan_read_backend(struct plan_build *b, const struct ptree *k,
			      const struct ptree *v, size_t idx)
{
	static const char *const keys[] = {
		"imap", "login", "route", "default", "spf", NULL,
	};
	struct plan_backend *be = &b->p->backends[idx];
	char *shown = plan_show(k->str), *ctx;

	be->pos = plan_pos_of(b, k);
	be->name = xstrdup(k->str);
	be->tls = PLAN_TLS_IMPLICIT;
	be->port = 993;
	be->timeout = 60;
	be->connections = 4;
	ctx = xasprintf("backend '%s'", shown);
	if (!plan_name_ok(k->str))
		plan_bad_name(b, be->pos, NULL, "backend name", k->str);
	if (v->kind != PTREE_MAP) {
		plan_err_at(b, v, ctx,
			    "a backend must be a mapping with 'imap', 'login' and 'route', not %s",
			    ptree_kind_name(v));
		goto out;
	}
	plan_get_keys(b, v, ctx, keys);
	plan_read_imap(b, v, ctx, be);
	plan_read_login(b, v, ctx, be);
	be->route = plan_get_str(b, v, "route", ctx, true);
	if (be->route && !plan_route_ok(be->route)) {
		char *r = plan_show(be->route);

		plan_err_at(b, ptree_get(v, "route"), ctx,
			    "'route' must have the form transport:nexthop, such as lmtp:inet:127.0.0.1:24 or smtp:[mx.example.net]:25, not '%s'",
			    r);
		free(r);
	}
	be->spf = plan_get_strv(b, v, "spf", ctx, true, NULL);
	for (size_t i = 0; be->spf && be->spf[i]; i++)
		if (strpbrk(be->spf[i], " \t") ||
		    str_has_prefix(be->spf[i], "v=")) {
			char *t = plan_show(be->spf[i]);

			plan_err_at(b, ptree_get(v, "spf"), ctx,
				    "'spf' items must be single SPF terms such as include:spf.example.net or ip4:192.0.2.0/24, not '%s'",
				    t);
			free(t);
		}
	if (plan_get_bool(b, v, "default", ctx, &be->is_default) > 0 &&
	    be->is_default) {
		if (b->default_backend != PLAN_NONE) {
			char *first = plan_show(
				b->p->backends[b->default_backend].name);

			plan_err_at(b, ptree_get(v, "default"), ctx,
				    "only one backend may be the default, and backend '%s' already is",
				    first);
			free(first);
		} else {
			b->default_backend = idx;
		}
	}
out:
	free(ctx);
	free(shown);
}

void plan_read_backends(struct plan_build *b, const struct ptree *root)
{
	const struct ptree *v;

	v = plan_read_map(b, root, "backends", NULL, true,
			  "of backend names to backends");
	if (!v)
		return;
	if (v->n == 0) {
		plan_err_at(b, v, NULL, "'backends' must name at least one backend");
		return;
	}
	b->backends_ok = true;
	b->p->backends = xcalloc(v->n, sizeof(*b->p->backends));
	for (size_t i = 0; i < v->n; i++) {
		plan_read_backend(b, ptree_key(v, i), ptree_val(v, i), i);
		b->p->n_backends++;
	}
}
