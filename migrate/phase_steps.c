/*
 * phase_steps.c -- what each step of a phase does (see phase.h).
 *
 * Every step is idempotent: run again after an interruption it finishes
 * the job without doing anything twice (the engines below guarantee that
 * for their part; the user moves here are plain state updates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/checks.h"
#include "migrate/dns.h"
#include "migrate/phase.h"
#include "migrate/route.h"
#include "migrate/state.h"
#include "migrate/sync.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SETTLE_TIMEOUT 120	/* seconds to wait for in-flight mail */

/* The members to work on: not failed, and (when want >= 0) in that
 * state-recorded backend ("from" or "to").  Returns plan user indices. */
static size_t *members(struct phase_run *pr, const char *on_backend,
		       size_t *n, struct err *err)
{
	const struct plan *p = pr->app->plan;
	size_t *v = xcalloc(pr->ph->n_users + 1, sizeof *v), i;
	struct state_user u;
	int rc;

	*n = 0;
	for (i = 0; i < pr->ph->n_users; i++) {
		if (pr->failed[i])
			continue;
		if (on_backend) {
			rc = state_user_get(pr->app->state,
					    p->users[pr->ph->users[i]].address,
					    &u, err);
			if (rc < 0) {
				free(v);
				return NULL;
			}
			if (rc == 0 || strcmp(u.backend, on_backend)) {
				if (rc)
					state_user_release(&u);
				continue;
			}
			state_user_release(&u);
		}
		v[(*n)++] = pr->ph->users[i];
	}
	return v;
}

static size_t member_of(const struct phase_run *pr, size_t user)
{
	size_t i;

	for (i = 0; i < pr->ph->n_users; i++)
		if (pr->ph->users[i] == user)
			return i;
	return PLAN_NONE;
}

static const char *from_name(const struct phase_run *pr)
{
	return pr->app->plan->backends[pr->ph->from].name;
}

static const char *to_name(const struct phase_run *pr)
{
	return pr->app->plan->backends[pr->ph->to].name;
}

/* Run a sync for users; users that fail are failed in the phase when
 * fail_users, else only counted.  Temporary failures (a server down)
 * fail the step instead, so a re-run retries them.  */
static int sync_step(struct phase_run *pr, enum sync_mode mode,
		     enum sync_flags flags, const size_t *users, size_t n,
		     bool fail_users, struct sbuf *detail, struct err *err)
{
	struct sync_request rq;
	struct sync_summary sum;
	size_t i, unreachable = 0, failed = 0;
	uint64_t diffs = 0;

	if (n == 0) {
		sbuf_addstr(detail, "no users");
		return 1;
	}
	memset(&rq, 0, sizeof rq);
	rq.phase = pr->idx;
	rq.users = users;
	rq.n_users = n;
	rq.mode = mode;
	rq.flags = flags;
	/* prestage and delta as the phase says; a reverse delta never */
	rq.expunge = mode == SYNC_COPY && pr->ph->expunge;
	rq.jobs = pr->app->opt.jobs;
	rq.run_id = pr->run_id;
	rq.progress = pr->app->tty && pr->app->opt.verbose >= 0;
	rq.quiet = true;
	memset(&sum, 0, sizeof sum);
	if (sync_run(pr->app, &rq, &sum, err) < 0)
		return -1;
	for (i = 0; i < sum.n_users; i++) {
		const struct sync_user_result *u = &sum.users[i];
		size_t m = member_of(pr, u->user);

		if (mode == SYNC_VERIFY && u->ok)
			diffs += u->missing;
		if (u->ok && !(mode == SYNC_VERIFY && u->missing))
			continue;
		if (u->unreachable && !u->ok) {
			unreachable++;
			continue;
		}
		failed++;
		if (fail_users && m != PLAN_NONE) {
			char *why = u->ok ? xasprintf("verify: %zu message%s "
						      "missing on '%s'",
						      u->missing,
						      u->missing == 1 ? "" : "s",
						      to_name(pr)) :
					    xstrdup(u->error ? u->error :
							       "failed");

			if (u->ok)
				log_warn(LOGC_MAIN, "phase '%s': user '%s': %s",
					 pr->ph->name,
					 pr->app->plan->users[u->user].address,
					 why);
			if (phase_fail_user(pr, m, why, err) < 0) {
				free(why);
				sync_summary_release(&sum);
				return -1;
			}
			free(why);
		}
	}
	if (mode == SYNC_VERIFY)
		sbuf_addf(detail, "%zu user%s compared, %llu message%s missing",
			  sum.n_users, sum.n_users == 1 ? "" : "s",
			  (unsigned long long)diffs, diffs == 1 ? "" : "s");
	else
		sbuf_addf(detail, "%zu user%s, %llu message%s copied (%llu "
			  "bytes)", sum.n_users, sum.n_users == 1 ? "" : "s",
			  (unsigned long long)sum.copied,
			  sum.copied == 1 ? "" : "s",
			  (unsigned long long)sum.bytes);
	if (failed)
		sbuf_addf(detail, ", %zu failed", failed);
	sync_summary_release(&sum);
	if (unreachable)
		return err_set(err, ERR_REMOTE, RETRY_LATER,
			       "%zu user%s could not reach a server: run "
			       "again to resume", unreachable,
			       unreachable == 1 ? "" : "s");
	return 0;
}

/* ---- run --------------------------------------------------------------- */

static int step_preflight(struct phase_run *pr, struct sbuf *detail,
			  struct err *err)
{
	struct app *app = pr->app;
	size_t n, *users;
	int rc;

	if (check_gateway(app) > 0)
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "the gateway checks failed (see above)");
	if (app->plan->gateway.present) {
		struct route_opts o = { pr->ph->name, "preflight", pr->run_id,
					true, app->opt.force };
		struct route_result res;

		route_result_init(&res);
		rc = route_apply(app, &o, &res, err);
		route_result_release(&res);
		if (rc < 0)
			return -1;
	}
	if (pr->ph->n_dns_change && dns_ping(app, err) < 0)
		return -1;
	/* Every user can log in on both sides: a dry-run sync does it. */
	users = members(pr, NULL, &n, err);
	if (!users)
		return -1;
	{
		struct sync_request rq;
		struct sync_summary sum;
		size_t i;

		memset(&rq, 0, sizeof rq);
		rq.phase = pr->idx;
		rq.users = users;
		rq.n_users = n;
		rq.mode = SYNC_COPY;
		rq.dry_run = true;
		rq.quiet = true;
		rq.jobs = app->opt.jobs;
		memset(&sum, 0, sizeof sum);
		rc = n ? sync_run(app, &rq, &sum, err) : 0;
		free(users);
		if (rc < 0)
			return -1;
		for (i = 0; i < sum.n_users; i++) {
			const struct sync_user_result *u = &sum.users[i];

			if (u->ok)
				continue;
			if (u->unreachable) {
				sync_summary_release(&sum);
				return err_set(err, ERR_REMOTE, RETRY_LATER,
					       "user '%s': %s",
					       app->plan->users[u->user].address,
					       u->error ? u->error : "unreachable");
			}
			if (phase_fail_user(pr, member_of(pr, u->user),
					    u->error ? u->error : "preflight failed",
					    err) < 0) {
				sync_summary_release(&sum);
				return -1;
			}
		}
		sbuf_addf(detail, "%zu of %zu users can log in on '%s' and "
			  "'%s'", sum.ok, pr->ph->n_users, from_name(pr),
			  to_name(pr));
		sync_summary_release(&sum);
	}
	return 0;
}

static int step_lower_ttl(struct phase_run *pr, struct sbuf *detail,
			  struct err *err)
{
	struct dns_req rq = { pr->ph->name, pr->run_id, false, false, false,
			      false, stderr };
	struct dns_result res;

	if (!pr->ph->n_dns_change) {
		sbuf_addstr(detail, "the phase changes no DNS record");
		return 1;
	}
	memset(&res, 0, sizeof res);
	if (dns_lower(pr->app, &rq, &res, err) < 0)
		return -1;
	sbuf_addstr(detail, res.summary);
	return 0;
}

static int step_prestage(struct phase_run *pr, struct sbuf *detail,
			 struct err *err)
{
	size_t n, *users = members(pr, from_name(pr), &n, err);
	int rc;

	if (!users)
		return -1;
	rc = sync_step(pr, SYNC_COPY, SYNC_FLAGS_SOURCE, users, n, true,
		       detail, err);
	free(users);
	return rc;
}

/* Move users in the state, then route.  If routing fails, the users are
 * moved back so the state says what the gateway does. */
static int move_users(struct phase_run *pr, const size_t *users, size_t n,
		      const char *backend, enum state_user_status status,
		      struct err *err)
{
	const struct plan *p = pr->app->plan;
	struct state_user u;
	size_t i;
	int rc;

	if (state_begin(pr->app->state, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		rc = state_user_get(pr->app->state, p->users[users[i]].address,
				    &u, err);
		if (rc <= 0)
			goto fail;
		free(u.backend);
		u.backend = xstrdup(backend);
		u.status = status;
		rc = state_user_put(pr->app->state, &u, err);
		state_user_release(&u);
		if (rc < 0)
			goto fail;
	}
	return state_commit(pr->app->state, err);
fail:
	if (!err_isset(err))
		err_set(err, ERR_STORE, RETRY_NEVER, "user '%s' is not in the "
			"state", p->users[users[i]].address);
	state_rollback(pr->app->state);
	return -1;
}

static int route_now(struct phase_run *pr, const char *reason,
		     struct sbuf *detail, struct err *err)
{
	struct route_opts o = { pr->ph->name, reason, pr->run_id, false,
				pr->app->opt.force };
	struct route_result res;
	int rc;

	if (!pr->app->plan->gateway.present) {
		log_warn(LOGC_GATEWAY, "the plan has no gateway: route mail "
			 "for the phase's users yourself");
		sbuf_addstr(detail, "no gateway in the plan");
		return 0;
	}
	route_result_init(&res);
	rc = route_apply(pr->app, &o, &res, err);
	if (rc == 0)
		sbuf_addf(detail, "routing version %lld in force (%zu "
			  "entries)", (long long)res.version, res.n_entries);
	route_result_release(&res);
	return rc;
}

static int step_cutover(struct phase_run *pr, struct sbuf *detail,
			struct err *err)
{
	struct state_phase sp;
	size_t n, n2, *users, *moved;
	int64_t before = 0;

	if (pr->app->plan->gateway.present &&
	    route_current_version(pr->app, &before, err) < 0)
		return -1;
	/* Remember the table in force before the first cutover attempt. */
	if (state_phase_get(pr->app->state, pr->ph->name, &sp, err) == 1) {
		if (sp.gateway_before == 0 && before > 0) {
			sp.gateway_before = before;
			if (state_phase_put(pr->app->state, &sp, err) < 0) {
				state_phase_release(&sp);
				return -1;
			}
		}
		state_phase_release(&sp);
	}
	if (pr->n_failed && pr->app->opt.force) {
		log_warn(LOGC_MAIN, "phase '%s': --force: cutting over %zu "
			 "user%s that failed an earlier step", pr->ph->name,
			 pr->n_failed, pr->n_failed == 1 ? "" : "s");
		memset(pr->failed, 0, pr->ph->n_users * sizeof *pr->failed);
		pr->n_failed = 0;
	}
	users = members(pr, from_name(pr), &n, err);
	if (!users)
		return -1;
	if (move_users(pr, users, n, to_name(pr), USER_CUTOVER, err) < 0) {
		free(users);
		return -1;
	}
	/* All of the phase's live users now on "to" (also those moved by
	 * an interrupted earlier attempt). */
	moved = members(pr, to_name(pr), &n2, err);
	if (!moved) {
		free(users);
		return -1;
	}
	if (route_now(pr, "cutover", detail, err) < 0) {
		struct err e2;

		err_clear(&e2);
		if (move_users(pr, moved, n2, from_name(pr), USER_PRESTAGED,
			       &e2) < 0)
			log_err(&e2);
		free(users);
		free(moved);
		return -1;
	}
	sbuf_addf(detail, "; %zu user%s now routed to '%s'", n2,
		  n2 == 1 ? "" : "s", to_name(pr));
	free(users);
	free(moved);
	return 0;
}

/* Mail the gateway accepted before the table changed may still be in
 * delivery to the old backend: let it land before the delta copies. */
static int settle(struct phase_run *pr, struct err *err)
{
	return route_settle(pr->app, timeutil_now(), SETTLE_TIMEOUT, err);
}

static int step_delta(struct phase_run *pr, struct sbuf *detail,
		      struct err *err)
{
	size_t n, *users;
	int rc;

	if (settle(pr, err) < 0)
		return -1;
	users = members(pr, to_name(pr), &n, err);
	if (!users)
		return -1;
	rc = sync_step(pr, SYNC_COPY, SYNC_FLAGS_KEEP_DST, users, n, false,
		       detail, err);
	free(users);
	return rc;
}

static int step_verify(struct phase_run *pr, struct sbuf *detail,
		       struct err *err)
{
	const struct plan *p = pr->app->plan;
	size_t n, i, *users = members(pr, to_name(pr), &n, err);
	struct state_user u;
	int rc;

	if (!users)
		return -1;
	rc = sync_step(pr, SYNC_VERIFY, SYNC_FLAGS_AUTO, users, n, true,
		       detail, err);
	if (rc == 0 && pr->app->plan->gateway.present)
		rc = route_verify(pr->app, err);
	/* Users that passed are "verified". */
	for (i = 0; rc >= 0 && i < n; i++) {
		if (pr->failed[member_of(pr, users[i])])
			continue;
		if (state_user_get(pr->app->state, p->users[users[i]].address,
				   &u, err) != 1)
			continue;
		u.status = USER_VERIFIED;
		free(u.last_error);
		u.last_error = NULL;
		if (state_user_put(pr->app->state, &u, err) < 0)
			rc = -1;
		state_user_release(&u);
	}
	free(users);
	return rc;
}

static int step_dns(struct phase_run *pr, struct sbuf *detail,
		    struct err *err)
{
	struct dns_req rq = { pr->ph->name, pr->run_id, false,
			      pr->app->opt.wait, pr->app->opt.force, false,
			      stderr };
	struct dns_result res;

	if (!pr->ph->n_dns_change) {
		sbuf_addstr(detail, "the phase changes no DNS record");
		return 1;
	}
	memset(&res, 0, sizeof res);
	if (dns_change(pr->app, &rq, &res, err) < 0)
		return -1;
	sbuf_addstr(detail, res.summary);
	return 0;
}

static int restore(struct phase_run *pr, bool rollback, struct sbuf *detail,
		   struct err *err)
{
	struct dns_req rq = { pr->ph->name, pr->run_id, false, false, false,
			      rollback, stderr };
	struct dns_result res;

	if (!pr->ph->n_dns_change) {
		sbuf_addstr(detail, "the phase changes no DNS record");
		return 1;
	}
	memset(&res, 0, sizeof res);
	if (dns_restore(pr->app, &rq, &res, err) < 0)
		return -1;
	sbuf_addstr(detail, res.summary);
	return 0;
}

static int step_restore_ttl(struct phase_run *pr, struct sbuf *detail,
			    struct err *err)
{
	return restore(pr, false, detail, err);
}

/* ---- rollback ---------------------------------------------------------- */

static int rb_route_back(struct phase_run *pr, struct sbuf *detail,
			 struct err *err)
{
	struct state_phase sp;
	size_t n, *users;
	int rc;

	/* Every member that lives on "to", failed or not. */
	memset(pr->failed, 0, pr->ph->n_users * sizeof *pr->failed);
	pr->n_failed = 0;
	users = members(pr, to_name(pr), &n, err);
	if (!users)
		return -1;
	rc = move_users(pr, users, n, from_name(pr), USER_CUTOVER, err);
	free(users);
	if (rc < 0)
		return -1;
	if (!pr->app->plan->gateway.present)
		return route_now(pr, "rollback", detail, err);
	/* The exact table in force before the cutover, when it still says
	 * what the state says; else a table rendered from the state. */
	rc = state_phase_get(pr->app->state, pr->ph->name, &sp, err);
	if (rc < 0)
		return -1;
	if (rc == 1 && sp.gateway_before > 0) {
		struct route_opts o = { pr->ph->name, "rollback", pr->run_id,
					false, pr->app->opt.force };
		struct route_result res;
		struct err e2;

		route_result_init(&res);
		err_clear(&e2);
		if (route_restore_version(pr->app, sp.gateway_before, &o, &res,
					  err) < 0) {
			route_result_release(&res);
			state_phase_release(&sp);
			return -1;
		}
		route_result_release(&res);
		if (route_verify(pr->app, &e2) == 0) {
			sbuf_addf(detail, "routing version %lld (before the "
				  "cutover) put back; %zu users routed to '%s'",
				  (long long)sp.gateway_before, n,
				  from_name(pr));
			state_phase_release(&sp);
			return 0;
		}
		log_info(LOGC_GATEWAY, "the table before the cutover no longer "
			 "matches the state (%s): rendering a new one", e2.msg);
	}
	state_phase_release(&sp);
	return route_now(pr, "rollback", detail, err);
}

static int rb_reverse_delta(struct phase_run *pr, struct sbuf *detail,
			    struct err *err)
{
	const struct plan *p = pr->app->plan;
	size_t n = 0, i, *users = xcalloc(pr->ph->n_users + 1, sizeof *users);
	struct state_user u;
	int rc;

	if (settle(pr, err) < 0) {
		free(users);
		return -1;
	}
	/* Users routed back but not yet released. */
	for (i = 0; i < pr->ph->n_users; i++) {
		rc = state_user_get(pr->app->state,
				    p->users[pr->ph->users[i]].address, &u, err);
		if (rc < 0) {
			free(users);
			return -1;
		}
		if (rc == 1 && !strcmp(u.backend, from_name(pr)) &&
		    u.status != USER_ROLLEDBACK && u.status != USER_PENDING)
			users[n++] = pr->ph->users[i];
		if (rc == 1)
			state_user_release(&u);
	}
	rc = sync_step(pr, SYNC_REVERSE, SYNC_FLAGS_KEEP_DST, users, n, false,
		       detail, err);
	free(users);
	return rc;
}

static int rb_dns_undo(struct phase_run *pr, struct sbuf *detail,
		       struct err *err)
{
	return restore(pr, true, detail, err);
}

static int rb_release(struct phase_run *pr, struct sbuf *detail,
		      struct err *err)
{
	const struct plan *p = pr->app->plan;
	struct state_user u;
	size_t i, n = 0;
	int rc;

	if (state_begin(pr->app->state, err) < 0)
		return -1;
	for (i = 0; i < pr->ph->n_users; i++) {
		rc = state_user_get(pr->app->state,
				    p->users[pr->ph->users[i]].address, &u, err);
		if (rc < 0) {
			state_rollback(pr->app->state);
			return -1;
		}
		if (rc == 0)
			continue;
		if (!strcmp(u.backend, from_name(pr))) {
			u.status = USER_ROLLEDBACK;
			n++;
			rc = state_user_put(pr->app->state, &u, err);
		}
		state_user_release(&u);
		if (rc < 0) {
			state_rollback(pr->app->state);
			return -1;
		}
	}
	sbuf_addf(detail, "%zu user%s live on '%s' again", n, n == 1 ? "" : "s",
		  from_name(pr));
	return state_commit(pr->app->state, err);
}

const struct phase_step phase_run_steps[] = {
	{ "preflight", step_preflight },   { "lower-ttl", step_lower_ttl },
	{ "prestage", step_prestage },	   { "cutover", step_cutover },
	{ "delta", step_delta },	   { "verify", step_verify },
	{ "dns", step_dns },		   { "restore-ttl", step_restore_ttl },
};
const size_t phase_n_run_steps = sizeof phase_run_steps /
				 sizeof *phase_run_steps;

const struct phase_step phase_rollback_steps[] = {
	{ "rollback:route-back", rb_route_back },
	{ "rollback:reverse-delta", rb_reverse_delta },
	{ "rollback:dns-undo", rb_dns_undo },
	{ "rollback:release", rb_release },
};
const size_t phase_n_rollback_steps = sizeof phase_rollback_steps /
				      sizeof *phase_rollback_steps;
