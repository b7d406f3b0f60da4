/*
 * dns_change.c -- change the plan's records, and put TTLs (and on
 * rollback the records) back (see dns.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsctl/dnsctl.h"
#include "migrate/app.h"
#include "migrate/dns.h"
#include "migrate/dns_int.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static void sleep_seconds(time_t secs)
{
	struct timespec ts = { .tv_sec = secs, .tv_nsec = 0 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Every record of the change was lowered and is safe to change now (or
 * --wait / --force say to go on).  0 go, -1 refused. */
static int change_gate(struct dns_sess *s, const struct dns_key *keys,
		       size_t n, struct err *err)
{
	const struct dns_req *req = s->req;
	time_t latest = 0, now = timeutil_now();
	char when[32], dur[32];

	for (size_t i = 0; i < n; i++) {
		struct state_dns_record r;
		int rc = dns_row_get(s, keys[i].name, keys[i].type, &r, err);

		if (rc < 0)
			return -1;
		if (rc == 0 || !r.lowered_at || r.restored_at) {
			state_dns_record_release(&r);
			if (req->force || req->dry_run) {
				log_warn(LOGC_DNS, "'%s %s': its TTL was not "
					 "lowered%s", keys[i].name,
					 keys[i].type, req->dry_run ? "" :
					 "; changing it anyway (--force)");
				continue;
			}
			return err_set(err, ERR_USAGE, RETRY_NEVER,
				       "'%s %s': its TTL has not been "
				       "lowered; run 'migrate dns %s lower "
				       "--phase %s' first", keys[i].name,
				       keys[i].type, s->app->plan_path,
				       req->phase);
		}
		if (!r.safe_after) {
			state_dns_record_release(&r);
			if (req->force || req->dry_run)
				continue;
			return err_set(err, ERR_REMOTE, RETRY_LATER,
				       "'%s %s': the low TTL has not been seen "
				       "on every server yet; run 'migrate dns "
				       "%s verify', then try again",
				       keys[i].name, keys[i].type,
				       s->app->plan_path);
		}
		if (r.safe_after > latest)
			latest = r.safe_after;
		state_dns_record_release(&r);
	}
	if (latest <= now)
		return 0;
	timeutil_format_rfc3339(latest, when, sizeof when);
	timeutil_format_duration((long long)(latest - now), dur, sizeof dur);
	if (req->wait && !req->dry_run) {
		fprintf(s->out, "waiting %s, until %s, for cached copies with "
			"the old TTL to expire\n", dur, when);
		fflush(s->out);
		sleep_seconds(latest - now);
		return 0;
	}
	if (req->force || req->dry_run) {
		log_warn(LOGC_DNS, "caches may hold the old TTL until %s (in "
			 "%s)%s", when, dur, req->dry_run ? "" :
			 "; changing anyway (--force)");
		return 0;
	}
	return err_set(err, ERR_REMOTE, RETRY_LATER,
		       "phase '%s': not yet safe to change DNS: caches may "
		       "hold the old TTL until %s (in %s); run again then, or "
		       "use --wait", req->phase, when, dur);
}

static int change_one(struct dns_sess *s, const struct dns_key *k,
		      const struct dnsctl_rrset *cur,
		      const struct dnsctl_rrset *want, struct err *err)
{
	struct state_dns_record r;
	time_t now = timeutil_now();
	char *wj = dns_join(want), *cj = dns_join(cur), *ec, *ew;
	int rc = dns_row_get(s, k->name, k->type, &r, err);

	if (rc < 0)
		goto out;
	if (rc == 0) {			/* --force without a lower */
		r.zone = xstrdup(s->zone);
		r.name = xstrdup(k->name);
		r.type = xstrdup(k->type);
		r.phase = xstrdup(s->req->phase);
		r.orig_ttl = cur->ttl;
		r.orig_rdata = xstrdup(cj);
		r.saved_at = now;
		r.lowered_ttl = r.prev_ttl = r.last_ttl = -1;
	}
	if (dnsctl_rrset_equal(cur, want)) {
		s->res->unchanged++;
		log_info(LOGC_DNS, "'%s %s' is already as the phase wants",
			 k->name, k->type);
	} else {
		/* what we replace, saved before the change (but not again
		 * when a crash left the change half recorded) */
		if (!r.changed_rdata || strcmp(r.changed_rdata, wj) != 0) {
			free(r.prev_rdata);
			r.prev_rdata = xstrdup(cj);
			r.prev_ttl = cur->ttl;
			free(r.changed_rdata);
			r.changed_rdata = xstrdup(wj);
			r.changed_at = 0;
			if (dns_row_put(s, &r, err) < 0)
				goto fail;
		}
		if (dnsctl_replace(s->d, want, err) < 0)
			goto fail;
		dns_crash_point("change-sent");
		s->res->changed++;
		fprintf(s->out, "changed %s %s\n", k->name, k->type);
		ec = dnsctl_rrset_join(cur, " | ");
		ew = dnsctl_rrset_join(want, " | ");
		dns_event(s, "dns-change", "%s %s: '%s' -> '%s' ttl %lu",
			  k->name, k->type, ec, ew, (unsigned long)want->ttl);
		free(ec);
		free(ew);
	}
	free(r.changed_rdata);
	r.changed_rdata = xstrdup(wj);
	r.changed_at = now;
	free(r.last_rdata);
	r.last_rdata = xstrdup(wj);
	r.last_ttl = want->ttl;
	rc = dns_row_put(s, &r, err);
	goto out;
fail:
	rc = -1;
out:
	state_dns_record_release(&r);
	free(wj);
	free(cj);
	return rc;
}

int dns_change(struct app *app, const struct dns_req *req,
	       struct dns_result *res, struct err *err)
{
	struct dns_result local;
	struct dns_sess s;
	struct dns_key *keys = NULL;
	struct dnsctl_rrset *cur = NULL, *want = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (!res)
		res = &local;
	if (dns_sess_open(&s, app, req, res, err) < 0)
		goto out;
	if (!req->phase) {
		err_set(err, ERR_USAGE, RETRY_NEVER,
			"a DNS change needs a phase (--phase NAME)");
		goto out;
	}
	if (dns_scope(&s, &keys, &n, err) < 0)
		goto out;
	if (n == 0) {
		fprintf(s.out, "phase '%s' changes no DNS records\n",
			req->phase);
		dns_summary(&s, "no DNS change");
		rc = 0;
		goto out;
	}
	cur = xcalloc(n, sizeof *cur);
	want = xcalloc(n, sizeof *want);
	/* every new RRset is checked before anything is changed */
	for (i = 0; i < n; i++) {
		const struct plan_dns_change *dc = keys[i].dc;

		if (dns_read(&s, keys[i].name, keys[i].type, &cur[i], err) < 0)
			goto out;
		if (dnsctl_rrset_set(&want[i], keys[i].name, keys[i].type,
				     dc->ttl ? dc->ttl : cur[i].ttl,
				     (const char *const *)dc->records,
				     strv_len(dc->records), err) < 0) {
			err_prefix(err, "phase '%s': dns_change", req->phase);
			goto out;
		}
	}
	if (change_gate(&s, keys, n, err) < 0)
		goto out;
	if (req->dry_run) {
		for (i = 0; i < n; i++)
			dns_print_diff(&s, "change", &cur[i], &want[i]);
		dns_summary(&s, "dry run: %zu record(s) checked", n);
		rc = 0;
		goto out;
	}
	if (dns_servers(&s, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (change_one(&s, &keys[i], &cur[i], &want[i], err) < 0)
			goto out;
	if (dns_settle(&s, keys, n, true, false, err) < 0) {
		err_prefix(err, "records changed, but not yet on every server");
		goto out;
	}
	dns_crash_point("change");
	dns_summary(&s, "changed %u RRset%s (%u already done)", res->changed,
		    res->changed == 1 ? "" : "s", res->unchanged);
	rc = 0;
out:
	for (i = 0; cur && i < n; i++) {
		dnsctl_rrset_release(&cur[i]);
		dnsctl_rrset_release(&want[i]);
	}
	free(cur);
	free(want);
	free(keys);
	dns_sess_close(&s);
	return rc;
}

/* ---- restore -------------------------------------------------------- */

struct restore_list {
	struct dns_sess *s;
	const struct dns_key *keys;	/* phase scope, or NULL: all */
	size_t n_keys;
	struct state_dns_record *rows;
	size_t n;
};

static int collect(void *ctx, const struct state_dns_record *r)
{
	struct restore_list *l = ctx;
	bool in = !l->keys, pending;

	for (size_t i = 0; !in && i < l->n_keys; i++)
		in = strcmp(l->keys[i].name, r->name) == 0 &&
		     strcmp(l->keys[i].type, r->type) == 0;
	pending = !r->restored_at && (r->lowered_at || r->changed_rdata);
	if (l->s->req->rollback && r->changed_rdata)
		pending = true;
	if (!in || !pending)
		return 0;
	l->rows = xreallocarray(l->rows, l->n + 1, sizeof *l->rows);
	memset(&l->rows[l->n], 0, sizeof *l->rows);
	l->rows[l->n].zone = xstrdup(r->zone);
	l->rows[l->n].name = xstrdup(r->name);
	l->rows[l->n].type = xstrdup(r->type);
	l->n++;
	return 0;
}

static int restore_one(struct dns_sess *s, const char *name, const char *type,
		       struct err *err)
{
	struct state_dns_record r;
	struct dnsctl_rrset cur, want;
	bool back = s->req->rollback;
	int rc = -1;

	dnsctl_rrset_init(&cur);
	dnsctl_rrset_init(&want);
	if (dns_row_get(s, name, type, &r, err) != 1 ||
	    dns_read(s, name, type, &cur, err) < 0)
		goto out;
	if (back && r.changed_rdata) {
		if (dnsctl_rrset_parse(&want, name, type, (uint32_t)r.orig_ttl,
				       r.orig_rdata, err) < 0)
			goto out;
	} else {
		dnsctl_rrset_copy(&want, &cur);
		want.ttl = (uint32_t)r.orig_ttl;
		back = false;
	}
	if (s->req->dry_run) {
		dns_print_diff(s, back ? "roll back" : "restore", &cur, &want);
		rc = 0;
		goto out;
	}
	if (!dnsctl_rrset_equal(&cur, &want)) {
		if (dnsctl_replace(s->d, &want, err) < 0)
			goto out;
		dns_crash_point("restore-sent");
		s->res->changed++;
		if (back)
			fprintf(s->out, "rolled back %s %s to its original "
				"records, TTL %lu\n", name, type,
				(unsigned long)want.ttl);
		else
			fprintf(s->out, "restored TTL of %s %s: %lu -> %lu\n",
				name, type, (unsigned long)cur.ttl,
				(unsigned long)want.ttl);
		if (back) {
			char *cj = dnsctl_rrset_join(&cur, " | ");
			char *wj = dnsctl_rrset_join(&want, " | ");

			dns_event(s, "dns-rollback", "%s %s: '%s' -> '%s' "
				  "ttl %lu -> %lu", name, type, cj, wj,
				  (unsigned long)cur.ttl,
				  (unsigned long)want.ttl);
			free(cj);
			free(wj);
		} else {
			dns_event(s, "dns-restore", "%s %s ttl %lu -> %lu",
				  name, type, (unsigned long)cur.ttl,
				  (unsigned long)want.ttl);
		}
	} else {
		s->res->unchanged++;
	}
	if (back) {
		if (r.restored_at)
			log_warn(LOGC_DNS, "'%s %s': its TTL had been restored "
				 "already: caches may keep the changed records "
				 "for up to %lld s", name, type,
				 (long long)r.orig_ttl);
		r.changed_rdata = x_free(r.changed_rdata);
		r.changed_at = 0;
	}
	r.restored_at = timeutil_now();
	free(r.last_rdata);
	r.last_rdata = dns_join(&want);
	r.last_ttl = want.ttl;
	rc = dns_row_put(s, &r, err);
out:
	state_dns_record_release(&r);
	dnsctl_rrset_release(&cur);
	dnsctl_rrset_release(&want);
	return rc;
}

int dns_restore(struct app *app, const struct dns_req *req,
		struct dns_result *res, struct err *err)
{
	struct dns_result local;
	struct restore_list l;
	struct dns_sess s;
	struct dns_key *keys = NULL, *done = NULL;
	size_t n_keys = 0, i;
	int rc = -1;

	if (!res)
		res = &local;
	memset(&l, 0, sizeof l);
	if (dns_sess_open(&s, app, req, res, err) < 0)
		goto out;
	if (req->rollback && !req->phase) {
		err_set(err, ERR_USAGE, RETRY_NEVER,
			"a DNS rollback needs a phase (--phase NAME)");
		goto out;
	}
	if (req->phase && dns_scope(&s, &keys, &n_keys, err) < 0)
		goto out;
	l.s = &s;
	l.keys = keys;
	l.n_keys = n_keys;
	if (req->phase && n_keys == 0) {
		fprintf(s.out, "phase '%s' changes no DNS records\n",
			req->phase);
		dns_summary(&s, "no DNS records to restore");
		rc = 0;
		goto out;
	}
	if (app->state && state_dns_foreach(app->state, s.zone, collect, &l,
					    err) < 0)
		goto out;
	if (l.n == 0) {
		fprintf(s.out, "no lowered TTL to restore\n");
		dns_summary(&s, "nothing to restore");
		rc = 0;
		goto out;
	}
	if (!req->dry_run && dns_servers(&s, err) < 0)
		goto out;
	for (i = 0; i < l.n; i++)
		if (restore_one(&s, l.rows[i].name, l.rows[i].type, err) < 0)
			goto out;
	if (req->dry_run) {
		dns_summary(&s, "dry run: %zu record(s) checked", l.n);
		rc = 0;
		goto out;
	}
	done = xcalloc(l.n, sizeof *done);
	for (i = 0; i < l.n; i++) {
		done[i].name = l.rows[i].name;
		done[i].type = l.rows[i].type;
	}
	if (dns_settle(&s, done, l.n, true, false, err) < 0) {
		err_prefix(err, "TTLs restored, but not yet on every server");
		goto out;
	}
	dns_crash_point("restore");
	dns_summary(&s, "%s %u RRset%s (%u already done)",
		    req->rollback ? "rolled back" : "restored the TTL of",
		    res->changed, res->changed == 1 ? "" : "s",
		    res->unchanged);
	rc = 0;
out:
	for (i = 0; i < l.n; i++)
		state_dns_record_release(&l.rows[i]);
	free(l.rows);
	free(done);
	free(keys);
	dns_sess_close(&s);
	return rc;
}
