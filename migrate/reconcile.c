/*
 * reconcile.c -- see reconcile.h.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/reconcile.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

struct rctx {
	struct app *app;
	struct err *err;
	struct strmap *seen;	/* addresses the state knows */
	int refused;
};

static bool phase_has_run(const char *status)
{
	return strcmp(status, "pending") != 0 &&
	       strcmp(status, "rolled back") != 0;
}

static int check_phase(void *ctx, const struct state_phase *sp)
{
	struct rctx *c = ctx;
	const struct plan *p = c->app->plan;
	size_t i = plan_phase_index(p, sp->name);

	if (!phase_has_run(sp->status))
		return 0;
	if (i == PLAN_NONE) {
		err_set(c->err, ERR_PLAN, RETRY_NEVER,
			"phase '%s' has run (%s) but is no longer in the plan: "
			"put it back, or roll it back with the plan it ran with",
			sp->name, sp->status);
		return 1;
	}
	if (strcmp(p->backends[p->phases[i].from].name, sp->from) ||
	    strcmp(p->backends[p->phases[i].to].name, sp->to)) {
		err_set(c->err, ERR_PLAN, RETRY_NEVER,
			"phase '%s' ran from '%s' to '%s', but the plan now "
			"says '%s' to '%s': roll it back before changing it",
			sp->name, sp->from, sp->to,
			p->backends[p->phases[i].from].name,
			p->backends[p->phases[i].to].name);
		return 1;
	}
	return 0;
}

/* A user has moved if it lives somewhere else than where the plan
 * starts it, or its phase ran its cutover. */
static bool user_moved(const struct plan *p, const struct plan_user *pu,
		       const struct state_user *su)
{
	const char *start = pu && pu->backend != PLAN_NONE ?
				    p->backends[pu->backend].name : NULL;

	if (start && strcmp(start, su->backend))
		return true;
	return su->status == USER_CUTOVER || su->status == USER_VERIFIED;
}

static int check_user(void *ctx, const struct state_user *su)
{
	struct rctx *c = ctx;
	const struct plan *p = c->app->plan;
	const struct plan_user *pu = plan_user_find(p, su->address);
	const char *plan_phase;
	struct state_user u;

	strmap_put(c->seen, su->address, (void *)1);
	if (!pu) {
		if (user_moved(p, NULL, su))
			log_warn(LOGC_MAIN, "user '%s' is no longer in the "
				 "plan but lives on '%s'", su->address,
				 su->backend);
		return 0;
	}
	plan_phase = pu->phase != PLAN_NONE ? p->phases[pu->phase].name : NULL;
	if (str_eq(plan_phase, su->phase) && str_eq(pu->group, su->group))
		return 0;
	if (!str_eq(plan_phase, su->phase) && user_moved(p, pu, su)) {
		err_set(c->err, ERR_PLAN, RETRY_NEVER,
			"user '%s' was moved to '%s' by phase '%s', but the "
			"plan now puts it in %s%s%s: roll that phase back first",
			su->address, su->backend, su->phase ? su->phase : "?",
			plan_phase ? "phase '" : "no phase",
			plan_phase ? plan_phase : "", plan_phase ? "'" : "");
		return 1;
	}
	/* Not moved yet: follow the plan. */
	u = *su;
	u.phase = (char *)(uintptr_t)plan_phase;
	u.group = pu->group;
	if (state_user_put(c->app->state, &u, c->err) < 0)
		return 1;
	log_info(LOGC_STATE, "user '%s' now in phase '%s' (plan edited)",
		 su->address, plan_phase ? plan_phase : "-");
	return 0;
}

int reconcile(struct app *app, struct err *err)
{
	const struct plan *p = app->plan;
	struct rctx c = { app, err, strmap_new(), 0 };
	struct state_user u;
	char *mig;
	size_t i;
	int rc = -1;

	mig = state_meta_get(app->state, "migration", err);
	if (mig && strcmp(mig, p->migration)) {
		err_set(err, ERR_PLAN, RETRY_NEVER,
			"state '%s' belongs to migration '%s', not '%s'",
			app_state_path(app), mig, p->migration);
		goto out;
	}
	if (state_begin(app->state, err) < 0)
		goto out;
	if (!mig && state_meta_set(app->state, "migration", p->migration,
				   err) < 0)
		goto fail;
	if (state_phases_foreach(app->state, check_phase, &c, err) != 0 ||
	    state_users_foreach(app->state, check_user, &c, err) != 0)
		goto fail;
	for (i = 0; i < p->n_users; i++) {
		const struct plan_user *pu = &p->users[i];

		if (strmap_get(c.seen, pu->address))
			continue;
		memset(&u, 0, sizeof u);
		u.address = pu->address;
		u.group = pu->group;
		u.backend = pu->backend != PLAN_NONE ?
				    p->backends[pu->backend].name : NULL;
		u.phase = pu->phase != PLAN_NONE ? p->phases[pu->phase].name :
						   NULL;
		u.status = USER_PENDING;
		u.src_msgs = u.src_bytes = u.dst_msgs = u.dst_bytes = -1;
		if (!u.backend) {
			err_set(err, ERR_PLAN, RETRY_NEVER,
				"user '%s' has no backend to start on",
				pu->address);
			goto fail;
		}
		if (state_user_put(app->state, &u, err) < 0)
			goto fail;
	}
	if (state_commit(app->state, err) < 0)
		goto out;
	rc = 0;
	goto out;
fail:
	if (!err_isset(err))
		err_set(err, ERR_STORE, RETRY_NEVER, "reconciling plan and state");
	state_rollback(app->state);
out:
	free(mig);
	strmap_free(c.seen);
	return rc;
}
