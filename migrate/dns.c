/*
 * dns.c -- DNS control for the plan: the session, lower and verify (see
 * dns.h); change and restore are in dns_change.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnsctl/dnsctl.h"
#include "migrate/app.h"
#include "migrate/dns.h"
#include "migrate/dns_int.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SETTLE_DEFAULT_S 10
#define SETTLE_POLL_MS 500

void dns_crash_point(const char *name)
{
	const char *want = getenv("MIGRATE_TEST_CRASH_AFTER");

	if (want && strcmp(want, name) == 0) {
		fprintf(stderr, "migrate: test crash after '%s'\n", name);
		fflush(NULL);
		_exit(99);
	}
}

void dns_summary(struct dns_sess *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->res)
		return;
	va_start(ap, fmt);
	vsnprintf(s->res->summary, sizeof s->res->summary, fmt, ap);
	va_end(ap);
}

int dns_sess_open(struct dns_sess *s, struct app *app,
		  const struct dns_req *req, struct dns_result *res,
		  struct err *err)
{
	const struct plan_dns *pd = &app->plan->dns;
	struct dnsctl_config cfg;

	memset(s, 0, sizeof *s);
	s->app = app;
	s->req = req;
	s->res = res;
	s->out = req->out ? req->out : app->out;
	sbuf_init(&s->key, SECRET_MAX);
	if (res)
		memset(res, 0, sizeof *res);
	if (!pd->present || !pd->zone)
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "'%s': the plan has no 'dns' section",
			       app->plan->path);
	if (req->phase &&
	    plan_phase_index(app->plan, req->phase) == PLAN_NONE)
		return err_set(err, ERR_USAGE, RETRY_NEVER,
			       "the plan has no phase '%s'", req->phase);
	s->zone = pd->zone;
	if (secret_resolve(&pd->key, &s->key, err) < 0)
		return err_prefix(err, "dns key");
	memset(&cfg, 0, sizeof cfg);
	cfg.type = plan_dns_provider_name(pd->provider);
	cfg.endpoint = pd->endpoint;
	cfg.key = s->key.buf;
	cfg.key_name = pd->key_name;
	cfg.algorithm = pd->algorithm;
	cfg.server_id = pd->server_id;
	cfg.ca_file = pd->ca_file;
	cfg.zone = pd->zone;
	return dnsctl_open(&cfg, &s->d, err);
}

void dns_sess_close(struct dns_sess *s)
{
	s->d = dnsctl_close(s->d);
	sbuf_wipe(&s->key);
	sbuf_release(&s->key);
	s->servers = strv_free(s->servers);
}

int dns_scope(struct dns_sess *s, struct dns_key **keys, size_t *n,
	      struct err *err)
{
	const struct plan *p = s->app->plan;
	size_t i;

	(void)err;
	*keys = NULL;
	*n = 0;
	if (s->req->phase) {
		const struct plan_phase *ph =
			&p->phases[plan_phase_index(p, s->req->phase)];

		if (!ph->n_dns_change)
			return 0;
		*keys = xcalloc(ph->n_dns_change, sizeof **keys);
		for (i = 0; i < ph->n_dns_change; i++) {
			(*keys)[i].name = ph->dns_change[i].key.name;
			(*keys)[i].type = ph->dns_change[i].key.type;
			(*keys)[i].dc = &ph->dns_change[i];
		}
		*n = ph->n_dns_change;
		return 0;
	}
	if (!p->dns.n_manage)
		return 0;
	*keys = xcalloc(p->dns.n_manage, sizeof **keys);
	for (i = 0; i < p->dns.n_manage; i++) {
		(*keys)[i].name = p->dns.manage[i].name;
		(*keys)[i].type = p->dns.manage[i].type;
	}
	*n = p->dns.n_manage;
	return 0;
}

int dns_row_get(struct dns_sess *s, const char *name, const char *type,
		struct state_dns_record *r, struct err *err)
{
	memset(r, 0, sizeof *r);
	if (!s->app->state)
		return 0;
	return state_dns_get(s->app->state, s->zone, name, type, r, err);
}

int dns_row_put(struct dns_sess *s, const struct state_dns_record *r,
		struct err *err)
{
	if (!s->app->state)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "dns: no state store open");
	return state_dns_put(s->app->state, r, err);
}

int dns_read(struct dns_sess *s, const char *name, const char *type,
	     struct dnsctl_rrset *out, struct err *err)
{
	int rc = dnsctl_get(s->d, name, type, out, err);

	if (rc == 0)
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "%s '%s' zone '%s': record '%s %s': no RRset; "
			       "nothing was changed", dnsctl_type(s->d),
			       s->app->plan->dns.endpoint, s->zone, name, type);
	return rc < 0 ? -1 : 0;
}

char *dns_join(const struct dnsctl_rrset *rs)
{
	return dnsctl_rrset_join(rs, "\n");
}

void dns_print_diff(struct dns_sess *s, const char *what,
		    const struct dnsctl_rrset *cur,
		    const struct dnsctl_rrset *want)
{
	const struct dnsctl_rrset *k = want->name ? want : cur;

	if (cur->n && dnsctl_rrset_equal(cur, want)) {
		fprintf(s->out, "= %s %s: %s, already as wanted\n", k->name,
			k->type, what);
		return;
	}
	fprintf(s->out, "~ %s %s: %s", k->name, k->type, what);
	if (cur->n && dnsctl_rrset_same_data(cur, want))
		fprintf(s->out, " (TTL %lu -> %lu)", (unsigned long)cur->ttl,
			(unsigned long)want->ttl);
	fputc('\n', s->out);
	for (size_t i = 0; i < cur->n; i++)
		fprintf(s->out, "- %s %lu IN %s %s\n", cur->name,
			(unsigned long)cur->ttl, cur->type, cur->rdata[i]);
	for (size_t i = 0; i < want->n; i++)
		fprintf(s->out, "+ %s %lu IN %s %s\n", want->name,
			(unsigned long)want->ttl, want->type, want->rdata[i]);
}

void dns_event(struct dns_sess *s, const char *kind, const char *fmt, ...)
{
	char detail[512];
	struct err err;
	va_list ap;

	if (!s->app->state || s->req->dry_run)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	err_clear(&err);
	if (state_event_add(s->app->state, s->req->run_id, s->req->phase,
			    NULL, kind, detail, &err) < 0)
		log_warn(LOGC_DNS, "cannot record event '%s': %s", kind,
			 err.msg);
}

static unsigned settle_seconds(void)
{
	const char *v = getenv("MIGRATE_DNS_SETTLE");
	unsigned long long n;

	if (v && str_to_uint(v, 0, 3600, &n) == 0)
		return (unsigned)n;
	return SETTLE_DEFAULT_S;
}

int dns_servers(struct dns_sess *s, struct err *err)
{
	char *const *planned = s->app->plan->dns.servers;

	if (s->servers)
		return 0;
	if (planned && planned[0]) {
		s->servers = strv_dup(planned);
		return 0;
	}
	return dnsctl_ns_servers(s->d, 53, &s->servers, err);
}

static void print_check(struct dns_sess *s, const struct dnsctl_rrset *want,
			size_t n, const struct dnsctl_check *c)
{
	FILE *o = s->out;

	fprintf(o, "zone %s: %zu server%s, provider %s '%s'\n", s->zone,
		c->n_servers, c->n_servers == 1 ? "" : "s",
		dnsctl_type(s->d), s->app->plan->dns.endpoint);
	for (size_t i = 0; i < n; i++) {
		char *j = dnsctl_rrset_join(&want[i], " | ");

		if (want[i].n)
			fprintf(o, "  %s %s TTL %lu: %s\n", want[i].name,
				want[i].type, (unsigned long)want[i].ttl, j);
		else
			fprintf(o, "  %s %s: no RRset\n", want[i].name,
				want[i].type);
		free(j);
	}
	for (size_t i = 0; i < c->n_servers; i++) {
		const struct dnsctl_server_check *sc = &c->servers[i];

		fprintf(o, "  server %s", sc->server);
		if (sc->has_serial)
			fprintf(o, " serial %lu", (unsigned long)sc->serial);
		fprintf(o, ": %s\n", sc->ok ? "ok" : "LAGS");
		for (size_t k = 0; sc->problems && sc->problems[k]; k++)
			fprintf(o, "    %s\n", sc->problems[k]);
	}
	if (!c->serials_agree)
		fprintf(o, "  SOA serials differ\n");
}

int dns_settle(struct dns_sess *s, const struct dns_key *keys, size_t n,
	       bool wait, bool print, struct err *err)
{
	struct dnsctl_rrset *want = xcalloc(n ? n : 1, sizeof *want);
	struct dnsctl_check c;
	int64_t deadline = timeutil_mono_ms() +
			   (wait ? (int64_t)settle_seconds() * 1000 : 0);
	size_t i;
	int rc = -1;

	memset(&c, 0, sizeof c);
	if (dns_servers(s, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		int got = dnsctl_get(s->d, keys[i].name, keys[i].type,
				     &want[i], err);

		if (got < 0)
			goto out;
		if (got == 0) {
			want[i].name = xstrdup(keys[i].name);
			want[i].type = xstrdup(keys[i].type);
		}
	}
	for (;;) {
		if (dnsctl_check_servers(s->servers, strv_len(s->servers),
					 s->zone, want, n,
					 DNSCTL_QUERY_TIMEOUT_MS, &c, err) < 0)
			goto out;
		if (c.ok || timeutil_mono_ms() >= deadline)
			break;
		dnsctl_check_release(&c);
		usleep(SETTLE_POLL_MS * 1000);
	}
	if (print || !c.ok)
		print_check(s, want, n, &c);
	if (c.ok)
		rc = 0;
	else
		dnsctl_check_err(&c, s->zone, err);
out:
	dnsctl_check_release(&c);
	for (i = 0; i < n; i++)
		dnsctl_rrset_release(&want[i]);
	free(want);
	return rc;
}

/* Record safe_after for the scope's rows lowered but not yet confirmed. */
static int mark_safe(struct dns_sess *s, const struct dns_key *keys,
		     size_t n, struct err *err)
{
	struct state_dns_record r;
	time_t now = timeutil_now();
	char when[32];

	for (size_t i = 0; i < n; i++) {
		int rc = dns_row_get(s, keys[i].name, keys[i].type, &r, err);

		if (rc < 0)
			return -1;
		if (rc == 1 && r.lowered_at && !r.restored_at &&
		    !r.safe_after) {
			r.safe_after = now + (time_t)r.orig_ttl;
			timeutil_format_rfc3339(r.safe_after, when,
						sizeof when);
			rc = dns_row_put(s, &r, err);
			log_info(LOGC_DNS, "'%s %s': every server serves TTL "
				 "%lld; changes are safe after %s", r.name,
				 r.type, (long long)r.lowered_ttl, when);
		}
		state_dns_record_release(&r);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- lower ---------------------------------------------------------- */

struct lower_item {
	struct dnsctl_rrset cur;
	struct state_dns_record row;
	bool new_intent;	/* this run set lowered_at */
	uint32_t target;
};

static void lower_items_free(struct lower_item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dnsctl_rrset_release(&it[i].cur);
		state_dns_record_release(&it[i].row);
	}
	free(it);
}

/* Read every RRset and decide: an active row keeps its saved original. */
static int lower_plan(struct dns_sess *s, const struct dns_key *keys,
		      size_t n, struct lower_item *it, struct err *err)
{
	unsigned low = s->app->plan->dns.low_ttl;
	time_t now = timeutil_now();

	for (size_t i = 0; i < n; i++) {
		struct state_dns_record *r = &it[i].row;
		int rc = dns_row_get(s, keys[i].name, keys[i].type, r, err);

		if (rc < 0 || dns_read(s, keys[i].name, keys[i].type,
				       &it[i].cur, err) < 0)
			return -1;
		if (rc == 0 || r->restored_at) {
			state_dns_record_release(r);
			r->zone = xstrdup(s->zone);
			r->name = xstrdup(keys[i].name);
			r->type = xstrdup(keys[i].type);
			r->phase = xstrdup(s->req->phase);
			r->orig_ttl = it[i].cur.ttl;
			r->orig_rdata = dns_join(&it[i].cur);
			r->saved_at = now;
			r->lowered_ttl = r->prev_ttl = r->last_ttl = -1;
		}
		it[i].target = it[i].cur.ttl < low ? it[i].cur.ttl : low;
		if (!r->lowered_at) {
			r->lowered_at = now;
			r->lowered_ttl = it[i].target;
			it[i].new_intent = true;
		}
	}
	return 0;
}

static int lower_one(struct dns_sess *s, struct lower_item *it,
		     struct err *err)
{
	struct state_dns_record *r = &it->row;
	struct dnsctl_rrset want;
	int rc = 0;

	dnsctl_rrset_init(&want);
	dnsctl_rrset_copy(&want, &it->cur);
	want.ttl = it->target;
	if (it->cur.ttl != it->target) {
		rc = dnsctl_replace(s->d, &want, err);
		if (rc < 0)
			goto out;
		dns_crash_point("lower-sent");
		/* caches may hold the higher TTL from now on: the safe
		 * time is counted again once every server has the low one */
		r->safe_after = 0;
		s->res->changed++;
		fprintf(s->out, "lowered TTL of %s %s: %lu -> %lu\n", r->name,
			r->type, (unsigned long)it->cur.ttl,
			(unsigned long)it->target);
		dns_event(s, "dns-lower", "%s %s ttl %lu -> %lu", r->name,
			  r->type, (unsigned long)it->cur.ttl,
			  (unsigned long)it->target);
	} else {
		s->res->unchanged++;
		log_info(LOGC_DNS, "'%s %s': TTL is already %lu", r->name,
			 r->type, (unsigned long)it->target);
	}
	free(r->last_rdata);
	r->last_rdata = dns_join(&want);
	r->last_ttl = want.ttl;
	rc = dns_row_put(s, r, err);
out:
	dnsctl_rrset_release(&want);
	return rc;
}

/* Take back the intent to lower an RRset that was not changed. */
static void unlower(struct dns_sess *s, struct lower_item *it)
{
	struct err e2;

	if (!it->new_intent)
		return;
	err_clear(&e2);
	it->row.lowered_at = 0;
	it->row.lowered_ttl = -1;
	if (dns_row_put(s, &it->row, &e2) < 0)
		log_warn(LOGC_DNS, "%s", e2.msg);
}

int dns_lower(struct app *app, const struct dns_req *req,
	      struct dns_result *res, struct err *err)
{
	struct dns_result local;
	struct dns_sess s;
	struct dns_key *keys = NULL;
	struct lower_item *it = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (!res)
		res = &local;
	if (dns_sess_open(&s, app, req, res, err) < 0 ||
	    dns_scope(&s, &keys, &n, err) < 0)
		goto out;
	if (n == 0) {
		fprintf(s.out, "%s%s%s changes no DNS records\n",
			req->phase ? "phase '" : "the plan",
			req->phase ? req->phase : "", req->phase ? "'" : "");
		dns_summary(&s, "no DNS records to lower");
		rc = 0;
		goto out;
	}
	it = xcalloc(n, sizeof *it);
	if (lower_plan(&s, keys, n, it, err) < 0)
		goto out;
	if (req->dry_run) {
		for (i = 0; i < n; i++) {
			struct dnsctl_rrset want;

			dnsctl_rrset_init(&want);
			dnsctl_rrset_copy(&want, &it[i].cur);
			want.ttl = it[i].target;
			dns_print_diff(&s, "lower", &it[i].cur, &want);
			dnsctl_rrset_release(&want);
		}
		dns_summary(&s, "dry run: %zu record(s) checked", n);
		rc = 0;
		goto out;
	}
	if (dns_servers(&s, err) < 0)
		goto out;
	/* the originals (and the intent to lower) first, all at once */
	if (state_begin(app->state, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (dns_row_put(&s, &it[i].row, err) < 0) {
			state_rollback(app->state);
			goto out;
		}
	}
	if (state_commit(app->state, err) < 0)
		goto out;
	dns_crash_point("save");
	for (i = 0; i < n; i++) {
		if (lower_one(&s, &it[i], err) < 0) {
			/* refused (not timed out): this one and those not yet
			 * tried are unchanged, so not lowered */
			size_t j = err->retry == RETRY_LATER ? i + 1 : i;

			for (; j < n; j++)
				unlower(&s, &it[j]);
			goto out;
		}
	}
	if (dns_settle(&s, keys, n, true, false, err) < 0) {
		err_prefix(err, "TTLs lowered, but not yet on every server "
			   "(run 'migrate dns %s verify' later)",
			   app->plan_path);
		goto out;
	}
	if (mark_safe(&s, keys, n, err) < 0)
		goto out;
	dns_crash_point("lower");
	dns_summary(&s, "lowered %u TTL%s to %u (%u already low)",
		    res->changed, res->changed == 1 ? "" : "s",
		    app->plan->dns.low_ttl, res->unchanged);
	rc = 0;
out:
	if (it)
		lower_items_free(it, n);
	free(keys);
	dns_sess_close(&s);
	return rc;
}

/* ---- verify --------------------------------------------------------- */

/* While a record is lowered or changed, the provider must still serve what
 * migrate last wrote (someone editing it meanwhile is worth knowing). */
static int provider_matches(struct dns_sess *s, const struct dns_key *k,
			    struct err *err)
{
	struct state_dns_record r;
	struct dnsctl_rrset cur;
	char *j = NULL;
	int rc = dns_row_get(s, k->name, k->type, &r, err), ok = 0;

	if (rc <= 0 || !r.last_rdata || r.restored_at)
		goto out;	/* only while migrate holds the record */
	dnsctl_rrset_init(&cur);
	rc = dnsctl_get(s->d, k->name, k->type, &cur, err);
	if (rc >= 0) {
		j = dns_join(&cur);
		if (rc == 0 || strcmp(j, r.last_rdata) != 0 ||
		    (int64_t)cur.ttl != r.last_ttl) {
			fprintf(s->out, "provider: '%s %s' is not as migrate "
				"last left it (TTL %lld): changed by someone "
				"else?\n", k->name, k->type,
				(long long)r.last_ttl);
			ok = -1;
			err_set(err, ERR_REMOTE, RETRY_NEVER,
				"%s '%s' zone '%s': record '%s %s': the "
				"provider no longer serves what migrate wrote "
				"(TTL %lld)", dnsctl_type(s->d),
				s->app->plan->dns.endpoint, s->zone, k->name,
				k->type, (long long)r.last_ttl);
		}
	} else {
		ok = -1;
	}
	free(j);
	dnsctl_rrset_release(&cur);
out:
	state_dns_record_release(&r);
	return rc < 0 ? -1 : ok;
}

int dns_verify(struct app *app, const struct dns_req *req,
	       struct dns_result *res, struct err *err)
{
	struct dns_result local;
	struct dns_sess s;
	struct dns_key *keys = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (!res)
		res = &local;
	if (dns_sess_open(&s, app, req, res, err) < 0 ||
	    dns_scope(&s, &keys, &n, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (provider_matches(&s, &keys[i], err) < 0)
			goto out;
	if (dns_settle(&s, keys, n, false, true, err) < 0) {
		dns_event(&s, "dns-verify", "lagging: %s", err->msg);
		goto out;
	}
	if (app->state && !req->dry_run && mark_safe(&s, keys, n, err) < 0)
		goto out;
	dns_event(&s, "dns-verify", "%zu record(s) on %zu server(s): ok", n,
		  strv_len(s.servers));
	dns_summary(&s, "%zu record(s) agree on %zu server(s)", n,
		    strv_len(s.servers));
	rc = 0;
out:
	free(keys);
	dns_sess_close(&s);
	return rc;
}

int dns_ping(struct app *app, struct err *err)
{
	struct dns_req req;
	struct dns_sess s;
	int rc;

	memset(&req, 0, sizeof req);
	rc = dns_sess_open(&s, app, &req, NULL, err);
	if (rc == 0)
		rc = dnsctl_ping(s.d, err);
	dns_sess_close(&s);
	return rc;
}
