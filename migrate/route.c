/*
 * route.c -- the routing tables of split delivery: render them from the
 * plan and the state, put them in force, restore an earlier version,
 * verify the live map (see route.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/app.h"
#include "migrate/route.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define ROUTE_MAP_MAX ((size_t)256 << 20)

/* ---- rendering --------------------------------------------------------- */

void route_tables_release(struct route_tables *t)
{
	gateway_table_release(&t->transport);
	gateway_table_release(&t->recipients);
	t->absent = strv_free(t->absent);
}

static size_t default_backend(const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n_backends; i++)
		if (p->backends[i].is_default)
			return i;
	return PLAN_NONE;
}

struct where {
	struct strmap *home;	/* address -> backend name (owned copy) */
};

static int collect_state(void *ctx, const struct state_user *u)
{
	struct where *w = ctx;

	free(strmap_put(w->home, u->address, xstrdup(u->backend)));
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int route_render(const struct plan *p, struct state *st,
		 struct route_tables *t, struct err *err)
{
	struct where w = { strmap_new() };
	size_t def = default_backend(p), i, n = 0, pos = 0;
	const char **addrs = NULL;
	const char *key;
	void *val;
	int rc = -1;

	memset(t, 0, sizeof *t);
	gateway_table_init(&t->transport);
	gateway_table_init(&t->recipients);
	for (i = 0; i < p->n_users; i++) {
		const struct plan_user *u = &p->users[i];
		size_t b = u->backend != PLAN_NONE ? u->backend : def;

		if (b == PLAN_NONE) {
			err_set(err, ERR_PLAN, RETRY_NEVER,
				"user '%s' has no backend to start on and the "
				"plan has no default backend", u->address);
			goto out;
		}
		free(strmap_put(w.home, u->address,
				xstrdup(p->backends[b].name)));
	}
	if (st && state_users_foreach(st, collect_state, &w, err) < 0)
		goto out;
	/* Addresses in order, so that errors come out the same each time. */
	addrs = xcalloc(strmap_count(w.home) + 1, sizeof *addrs);
	while (strmap_next(w.home, &pos, &key, &val) == 0)
		addrs[n++] = key;
	qsort(addrs, n, sizeof *addrs, addr_cmp);
	for (i = 0; i < n; i++) {
		const char *bname = strmap_get(w.home, addrs[i]);
		size_t b = plan_backend_index(p, bname);

		if (b == PLAN_NONE) {
			err_set(err, ERR_PLAN, RETRY_NEVER,
				"user '%s' lives on backend '%s', which the "
				"plan no longer has", addrs[i], bname);
			goto out;
		}
		if (b != def) {
			if (gateway_table_add(&t->transport, addrs[i],
					      p->backends[b].route, err) < 0)
				goto out;
		} else {
			strv_push(&t->absent, addrs[i]);
		}
		if (p->gateway.recipient_map &&
		    gateway_table_add(&t->recipients, addrs[i], "OK", err) < 0)
			goto out;
	}
	if (p->gateway.default_route && def != PLAN_NONE)
		for (i = 0; p->domains && p->domains[i]; i++)
			if (gateway_table_add(&t->transport, p->domains[i],
					      p->backends[def].route, err) < 0)
				goto out;
	if (gateway_table_sort(&t->transport, err) < 0 ||
	    gateway_table_sort(&t->recipients, err) < 0)
		goto out;
	rc = 0;
out:
	free(addrs);
	pos = 0;
	while (strmap_next(w.home, &pos, &key, &val) == 0)
		free(val);
	strmap_free(w.home);
	if (rc < 0)
		route_tables_release(t);
	return rc;
}

/* The comment at the top of every map we write (no time stamp: the same
 * table must give the same bytes). */
static char *map_header(const struct plan *p, const char *what)
{
	char *name = str_sanitize(p->migration ? p->migration : "", 200);
	char *h = xasprintf("%s of migration '%s'.\n"
			    "Written by migrate: do not edit (migrate stops "
			    "when it finds a hand edit).", what, name);

	free(name);
	return h;
}

/* ---- the gateway object ------------------------------------------------ */

char *route_map_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? (slash == path ? xstrdup("/") :
			     xstrndup(path, (size_t)(slash - path))) :
			    xstrdup(".");
	char *real = realpath(dir, NULL), *out;
	char cwd[4096];

	if (real)
		out = xasprintf("%s%s%s", real, strcmp(real, "/") ? "/" : "",
				slash ? slash + 1 : path);
	else if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
		out = xstrdup(path);
	else
		out = xasprintf("%s/%s", cwd, path);
	free(real);
	free(dir);
	return out;
}

/* postconf next to the configured postmap ("/usr/sbin/postmap"), if any. */
static char *postconf_for(const char *postmap)
{
	const char *slash = postmap ? strrchr(postmap, '/') : NULL;
	char *pc;

	if (!slash)
		return NULL;
	pc = xasprintf("%.*spostconf", (int)(slash - postmap + 1), postmap);
	if (access(pc, X_OK) == 0)
		return pc;
	free(pc);
	return NULL;
}

struct gateway *route_gateway_new(const struct plan *p, struct err *err)
{
	const struct plan_gateway *g = &p->gateway;
	struct gateway_config cfg = { 0 };
	struct gateway *gw;
	char *postconf;

	if (!g->present) {
		err_set(err, ERR_PLAN, RETRY_NEVER,
			"the plan '%s' has no 'gateway' section", p->path);
		return NULL;
	}
	postconf = postconf_for(g->postmap);
	cfg.kind = g->kind;
	cfg.map_type = plan_map_type_name(g->map_type);
	cfg.postmap = g->postmap;
	cfg.postconf = postconf;
	cfg.config_dir = g->config_dir;
	cfg.reload = g->reload;
	cfg.reload_cwd = p->dir;	/* relative paths in reload: the plan's folder */
	gw = gateway_new(&cfg, err);
	free(postconf);
	return gw;
}

/* ---- putting maps in force --------------------------------------------- */

struct rfile {
	const char *path;
	const char *what;		/* "transport map", "recipient map" */
	const struct gateway_table *table;
	char *const *absent;
	struct sbuf content;		/* the new text */
	struct sbuf disk;		/* the text on disk */
	struct sbuf last;		/* the last version we installed */
	bool exists;			/* there is a file */
	bool ours;			/* the disk text is one we wrote */
	int64_t last_id;		/* last installed version, 0 none */
	char last_sum[HASH_SHA256_HEX];
	bool same;			/* the disk text is the new text */
	bool need;			/* to be installed */
	int64_t version;		/* recorded for this install */
};

static void rfile_init(struct rfile *f, const char *path, const char *what,
		       const struct gateway_table *table, char *const *absent)
{
	memset(f, 0, sizeof *f);
	f->path = path;
	f->what = what;
	f->table = table;
	f->absent = absent;
	sbuf_init(&f->content, ROUTE_MAP_MAX);
	sbuf_init(&f->disk, ROUTE_MAP_MAX);
	sbuf_init(&f->last, ROUTE_MAP_MAX);
}

static void rfile_release(struct rfile *f)
{
	sbuf_release(&f->content);
	sbuf_release(&f->disk);
	sbuf_release(&f->last);
}

struct match {
	const char *sum;
	bool found;
};

static int match_sum(void *ctx, const struct state_gateway_version *v)
{
	struct match *m = ctx;

	if (strcmp(v->sha256, m->sum) == 0) {
		m->found = true;
		return 1;
	}
	return 0;
}

/*
 * Read the file on disk and decide whether it is ours: a version we
 * wrote (the last installed one, or any we wrote after it -- a crash may
 * have left one of those), no file, a file without a single entry when
 * we never wrote one, or exactly the text we are about to write.
 * Anything else is a hand edit.
 */
static int examine(struct state *st, struct rfile *f, struct err *err)
{
	struct state_gateway_version last = { 0 };
	struct gateway_table t;
	struct err perr;
	char sum[HASH_SHA256_HEX];
	struct match m = { sum, false };
	int rc;

	if (gateway_read_file(f->path, ROUTE_MAP_MAX, &f->disk, &f->exists,
			      err) < 0)
		return -1;
	rc = st ? state_gateway_last(st, f->path, &last, err) : 0;
	if (rc < 0)
		return -1;
	if (rc == 1) {
		f->last_id = last.id;
		snprintf(f->last_sum, sizeof f->last_sum, "%s", last.sha256);
		sbuf_add(&f->last, last.content, last.len);
	}
	hash_sha256_hex(f->disk.buf, f->disk.len, sum);
	if (f->exists && f->disk.len == f->content.len &&
	    memcmp(f->disk.buf, f->content.buf, f->disk.len) == 0) {
		f->ours = true;		/* nothing of anyone's would be lost */
	} else if (!f->exists) {
		f->ours = true;		/* gone: nothing to lose */
	} else if (f->last_id && strcmp(sum, f->last_sum) == 0) {
		f->ours = true;
	} else if (st && state_gateway_foreach(st, f->path, f->last_id,
					       match_sum, &m, err) < 0) {
		rc = -1;
		goto out;
	} else if (m.found) {
		f->ours = true;
	} else if (!f->last_id) {
		/* Never written by us: take it over only if it is empty. */
		gateway_table_init(&t);
		err_clear(&perr);
		f->ours = gateway_table_parse(&t, f->path, f->disk.buf,
					      f->disk.len, &perr) == 0 &&
			  t.n == 0;
		gateway_table_release(&t);
	}
	rc = 0;
out:
	state_gateway_version_release(&last);
	return rc;
}

static void event(struct app *app, const struct route_opts *o,
		  const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void event(struct app *app, const struct route_opts *o,
		  const char *kind, const char *fmt, ...)
{
	struct sbuf sb;
	struct err e;
	va_list ap;

	sbuf_init(&sb, 8192);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_clear(&e);
	if (state_event_add(app->state, o->run_id, o->phase, NULL, kind,
			    sb.buf, &e) < 0)
		log_warn(LOGC_GATEWAY, "cannot record event: %s", e.msg);
	sbuf_release(&sb);
}

/* Record a version of each file ("pending"), in one transaction. */
/* The hand edit of f, as a diff from what we last wrote. */
static void edit_diff(const struct rfile *f, struct sbuf *out)
{
	char *a = f->last_id ? xasprintf("%s (version %lld, written by "
					 "migrate)", f->path,
					 (long long)f->last_id)
			     : xasprintf("%s (never written by migrate)",
					 f->path);
	char *b = xasprintf("%s (on disk)", f->path);

	gateway_diff(a, f->last.buf, f->last.len, b, f->disk.buf, f->disk.len,
		     out);
	free(a);
	free(b);
}

static int record_pending(struct app *app, struct gateway *gw,
			  struct rfile *f, size_t n, const struct route_opts *o,
			  struct err *err)
{
	size_t i;

	if (state_begin(app->state, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct state_gateway_version v = { 0 };
		int rc;

		if (!f[i].need)
			continue;
		v.run_id = o->run_id;
		v.phase = xstrdup(o->phase);
		v.kind = xstrdup(gateway_type(gw));
		v.path = xstrdup(f[i].path);
		v.content = f[i].content.buf;	/* borrowed */
		v.len = f[i].content.len;
		v.reason = xstrdup(o->reason);
		rc = state_gateway_add(app->state, &v, &f[i].version, err);
		v.content = NULL;
		state_gateway_version_release(&v);
		if (rc < 0) {
			state_rollback(app->state);
			return -1;
		}
	}
	return state_commit(app->state, err);
}

static int mark(struct app *app, struct rfile *f, size_t n, const char *status,
		const char *error, struct err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		if (f[i].version &&
		    state_gateway_set_status(app->state, f[i].version, status,
					     error, err) < 0)
			rc = -1;
	return rc;
}

/*
 * The common path of route_apply and route_restore_version: f[i].content
 * holds each new text.
 */
static int put_in_force(struct app *app, struct gateway *gw, struct rfile *f,
			size_t n, const struct route_opts *o,
			struct route_result *res, struct err *err)
{
	struct gateway_file gf[2];
	struct gateway_install *in = NULL;
	bool edited = false;
	size_t i, m;
	int rc = -1;

	for (i = 0; i < n; i++) {
		if (examine(app->state, &f[i], err) < 0)
			return -1;
		if (!f[i].ours) {
			edited = true;
			edit_diff(&f[i], &res->diff);
		}
		f[i].version = 0;
		f[i].same = f[i].exists &&
			    f[i].disk.len == f[i].content.len &&
			    memcmp(f[i].disk.buf, f[i].content.buf,
				   f[i].content.len) == 0;
	}
	if (o->dry_run) {
		if (edited)
			log_warn(LOGC_GATEWAY, "the map was changed by hand "
				 "(shown first); a real run stops there "
				 "unless --force");
		for (i = 0; i < n; i++) {
			char *b = xasprintf("%s (new)", f[i].path);

			if (gateway_diff(f[i].path, f[i].disk.buf,
					 f[i].disk.len, b, f[i].content.buf,
					 f[i].content.len, &res->diff) ||
			    !f[i].exists)
				res->changed = true;
			free(b);
		}
		return 0;
	}
	if (edited && !o->force) {
		for (i = 0; i < n && f[i].ours; i++)
			;
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "%s '%s' was changed by hand since migrate "
			       "wrote it (the difference is shown); nothing "
			       "was changed: put back what migrate wrote, or "
			       "run again with --force to overwrite the edit",
			       f[i].what, f[i].path);
	}
	for (i = 0; i < n; i++)
		if (!f[i].exists && f[i].last_id)
			log_warn(LOGC_GATEWAY, "%s '%s' is missing (migrate "
				 "wrote version %lld): writing it again",
				 f[i].what, f[i].path, (long long)f[i].last_id);
	if (edited) {
		for (i = 0; i < n; i++) {
			if (f[i].ours)
				continue;
			log_warn(LOGC_GATEWAY, "overwriting the hand edit of "
				 "%s '%s' (--force)", f[i].what, f[i].path);
		}
	}
	/* A file needs installing unless it is the last version we
	 * installed, unchanged, and the live map answers every entry. */
	for (i = 0, m = 0; i < n; i++) {
		char sum[HASH_SHA256_HEX];
		struct err verr;

		hash_sha256_hex(f[i].disk.buf, f[i].disk.len, sum);
		f[i].need = true;
		if (!f[i].same || !f[i].ours || !f[i].last_id ||
		    strcmp(sum, f[i].last_sum) != 0)
			goto take;
		err_clear(&verr);
		if (gateway_verify(gw, f[i].path, f[i].table, f[i].absent,
				   strv_len(f[i].absent), &verr) < 0) {
			log_warn(LOGC_GATEWAY, "%s; building it again",
				 verr.msg);
			goto take;
		}
		f[i].need = false;
		log_info(LOGC_GATEWAY, "%s '%s' is up to date (version %lld)",
			 f[i].what, f[i].path, (long long)f[i].last_id);
		continue;
take:
		gf[m].path = f[i].path;
		gf[m].content = f[i].content.buf;
		gf[m].len = f[i].content.len;
		gf[m].expect = f[i].table;
		gf[m].absent = f[i].absent;
		gf[m].n_absent = strv_len(f[i].absent);
		m++;
	}
	if (m == 0) {
		rc = 0;
		goto done;
	}
	if (gateway_install_stage(gw, gf, m, &in, err) < 0) {
		event(app, o, "gateway-failed", "%s", err->msg);
		return -1;
	}
	if (record_pending(app, gw, f, n, o, err) < 0) {
		err_prefix(err, "cannot record the new version, so nothing "
			   "was changed");
		goto out;
	}
	if (gateway_install_commit(in, err) < 0) {
		struct err e2;

		err_clear(&e2);
		mark(app, f, n, "failed", err->msg, &e2);
		event(app, o, "gateway-failed", "%s", err->msg);
		goto out;
	}
	res->changed = true;
	if (mark(app, f, n, "installed", NULL, err) < 0) {
		err_prefix(err, "the new map is in force, but the state store "
			   "could not record it");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (f[i].need && !f[i].ours)
			event(app, o, "gateway-force", "version %lld "
			      "overwrote a hand edit of '%s'",
			      (long long)f[i].version, f[i].path);
		if (f[i].need)
			event(app, o, "gateway",
			      "%s '%s' version %lld in force: %zu entr%s (%s)",
			      f[i].what, f[i].path, (long long)f[i].version,
			      f[i].table->n, f[i].table->n == 1 ? "y" : "ies",
			      o->reason ? o->reason : "update");
	}
	rc = 0;
done:
	res->version = f[0].need ? f[0].version : f[0].last_id;
	res->map_changed = f[0].need;
	if (n > 1) {
		res->recipients_version = f[1].need ? f[1].version :
						      f[1].last_id;
		res->recipients_changed = f[1].need;
	}
out:
	gateway_install_free(in);
	return rc;
}

void route_result_init(struct route_result *r)
{
	memset(r, 0, sizeof *r);
	sbuf_init(&r->diff, ROUTE_MAP_MAX);
}

void route_result_release(struct route_result *r)
{
	sbuf_release(&r->diff);
}

static int need_state(struct app *app, const struct route_opts *o,
		      struct err *err)
{
	if (!app->state && !o->dry_run)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "routing: no state store open");
	return 0;
}

int route_apply(struct app *app, const struct route_opts *o,
		struct route_result *res, struct err *err)
{
	const struct plan *p = app->plan;
	struct route_tables t;
	struct gateway *gw = NULL;
	struct rfile f[2];
	size_t n = 0, i;
	char *h1 = NULL, *h2 = NULL, *m1 = NULL, *m2 = NULL;
	int rc = -1;

	if (need_state(app, o, err) < 0)
		return -1;
	if (!(gw = route_gateway_new(p, err)))
		return -1;
	if (route_render(p, app->state, &t, err) < 0) {
		gateway_free(gw);
		return -1;
	}
	h1 = map_header(p, "Split-delivery routes (transport map)");
	m1 = route_map_path(p->gateway.map);
	rfile_init(&f[n++], m1, "transport map", &t.transport, t.absent);
	if (p->gateway.recipient_map) {
		h2 = map_header(p, "Every recipient (relay_recipient_maps)");
		m2 = route_map_path(p->gateway.recipient_map);
		rfile_init(&f[n++], m2, "recipient map", &t.recipients, NULL);
	}
	if (gateway_table_render(&t.transport, h1, &f[0].content, err) < 0 ||
	    (n > 1 && gateway_table_render(&t.recipients, h2, &f[1].content,
					   err) < 0))
		goto out;
	res->n_entries = t.transport.n;
	rc = put_in_force(app, gw, f, n, o, res, err);
out:
	for (i = 0; i < n; i++)
		rfile_release(&f[i]);
	free(h1);
	free(h2);
	free(m1);
	free(m2);
	route_tables_release(&t);
	gateway_free(gw);
	return rc;
}

int route_restore_version(struct app *app, int64_t version,
			  const struct route_opts *o, struct route_result *res,
			  struct err *err)
{
	const struct plan *p = app->plan;
	struct state_gateway_version v;
	struct route_opts ro = *o;
	struct route_tables t;
	struct gateway_table table;
	struct gateway *gw = NULL;
	struct rfile f;
	char *reason = NULL, *name = NULL, *m1, *m2;
	bool is_transport, is_recipients;
	int rc = -1, found;

	memset(&t, 0, sizeof t);
	gateway_table_init(&table);
	if (!app->state)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "routing: no state store open");
	found = state_gateway_get(app->state, version, &v, err);
	if (found <= 0) {
		if (found == 0)
			err_set(err, ERR_USAGE, RETRY_NEVER,
				"there is no gateway map version %lld",
				(long long)version);
		return -1;
	}
	rfile_init(&f, v.path, "transport map", &table, NULL);
	m1 = route_map_path(p->gateway.map);
	m2 = p->gateway.recipient_map ?
		     route_map_path(p->gateway.recipient_map) : NULL;
	is_transport = str_eq(v.path, m1);
	is_recipients = str_eq(v.path, m2);
	free(m1);
	free(m2);
	if (strcmp(v.status, "installed") != 0) {
		err_set(err, ERR_USAGE, RETRY_NEVER,
			"gateway map version %lld was never in force (%s)",
			(long long)version, v.status);
		goto out;
	}
	if (!is_transport && !is_recipients) {
		err_set(err, ERR_PLAN, RETRY_NEVER,
			"gateway map version %lld was written to '%s', which "
			"is no longer a map of the plan", (long long)version,
			v.path);
		goto out;
	}
	if (!is_transport)
		f.what = "recipient map";
	name = xasprintf("%s (version %lld)", v.path, (long long)version);
	if (gateway_table_parse(&table, name, v.content, v.len, err) < 0 ||
	    gateway_table_sort(&table, err) < 0 ||
	    route_render(p, app->state, &t, err) < 0)
		goto out;
	/* Every address the version does not route must find nothing. */
	if (is_transport) {
		char **absent = NULL;
		size_t i;

		for (i = 0; t.absent && t.absent[i]; i++)
			if (!gateway_table_get(&table, t.absent[i]))
				strv_push(&absent, t.absent[i]);
		for (i = 0; i < t.transport.n; i++)
			if (!gateway_table_get(&table, t.transport.v[i].key))
				strv_push(&absent, t.transport.v[i].key);
		strv_free(t.absent);
		t.absent = absent;
		f.absent = absent;
	}
	if (sbuf_add(&f.content, v.content, v.len) < 0) {
		err_set(err, ERR_INTERNAL, RETRY_NEVER, "map too large");
		goto out;
	}
	if (!(gw = route_gateway_new(p, err)))
		goto out;
	if (!ro.reason) {
		reason = xasprintf("restore of version %lld",
				   (long long)version);
		ro.reason = reason;
	}
	res->n_entries = table.n;
	rc = put_in_force(app, gw, &f, 1, &ro, res, err);
	if (rc == 0 && !is_transport) {
		res->recipients_version = res->version;
		res->recipients_changed = res->map_changed;
		res->version = 0;
		res->map_changed = false;
	}
out:
	rfile_release(&f);
	gateway_table_release(&table);
	route_tables_release(&t);
	state_gateway_version_release(&v);
	gateway_free(gw);
	free(reason);
	free(name);
	return rc;
}

int route_verify(struct app *app, struct err *err)
{
	const struct plan *p = app->plan;
	struct route_tables t;
	struct gateway *gw;
	char *m1, *m2;
	int rc = -1;

	if (!(gw = route_gateway_new(p, err)))
		return -1;
	if (route_render(p, app->state, &t, err) < 0) {
		gateway_free(gw);
		return -1;
	}
	m1 = route_map_path(p->gateway.map);
	m2 = p->gateway.recipient_map ?
		     route_map_path(p->gateway.recipient_map) : NULL;
	if (gateway_verify(gw, m1, &t.transport, t.absent,
			   strv_len(t.absent), err) == 0 &&
	    (!m2 || gateway_verify(gw, m2, &t.recipients, NULL, 0, err) == 0))
		rc = 0;
	free(m1);
	free(m2);
	route_tables_release(&t);
	gateway_free(gw);
	return rc;
}

int route_current_version(struct app *app, int64_t *version, struct err *err)
{
	struct state_gateway_version v;
	char *m;
	int rc;

	*version = 0;
	if (!app->state || !app->plan->gateway.present)
		return 0;
	m = route_map_path(app->plan->gateway.map);
	rc = state_gateway_last(app->state, m, &v, err);
	free(m);
	if (rc == 1)
		*version = v.id;
	state_gateway_version_release(&v);
	return rc < 0 ? -1 : 0;
}

int route_settle(struct app *app, time_t before, unsigned timeout_s,
		 struct err *err)
{
	struct gateway *gw;
	size_t left = 0;
	int rc;

	if (!app->plan->gateway.present)
		return 0;
	gw = route_gateway_new(app->plan, err);
	if (!gw)
		return -1;
	rc = gateway_settle(gw, before, timeout_s, &left, err);
	gateway_free(gw);
	if (rc == 0 && left > 0)
		log_warn(LOGC_GATEWAY, "%zu message%s still in delivery under "
			 "the previous routing after %u s; the next sync will "
			 "pick %s up", left, left == 1 ? "" : "s", timeout_s,
			 left == 1 ? "it" : "them");
	return rc;
}
