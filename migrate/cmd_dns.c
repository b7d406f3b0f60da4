/*
 * cmd_dns.c -- "migrate dns PLAN ACTION": lower, change, restore, roll
 * back or verify the plan's DNS records (plumbing; the phase engine calls
 * the same functions, dns.h).
 *
 *	lower		the TTLs of the records the phase changes (or of
 *			every managed record without --phase)
 *	change		the phase's dns_change, once the old TTL has expired
 *			from every cache (--wait waits for it)
 *	restore		the original TTLs of every record still lowered (or
 *			of the phase's records)
 *	rollback	the phase's records and TTLs as they were before
 *	verify		every authoritative server serves what the provider
 *			has, with agreeing SOA serials
 *
 * --dry-run prints the record diff and changes nothing (it does not even
 * create the state file).
 */
#include <stdio.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "migrate/dns.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

static const char *const actions[] = {
	"lower", "change", "restore", "rollback", "verify",
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

static int usage_action(const char *given)
{
	const char *hint = given ? str_closest(given, actions, N_ACTIONS)
				 : NULL;

	if (given)
		fprintf(stderr, "migrate dns: unknown action '%s'%s%s%s "
			"(lower, change, restore, rollback, verify)\n", given,
			hint ? " (did you mean '" : "", hint ? hint : "",
			hint ? "'?)" : "");
	else
		fprintf(stderr, "migrate dns: say what to do: lower, change, "
			"restore, rollback or verify\n");
	return EXIT_USAGE;
}

static int run_action(struct app *app, const char *action,
		      const struct dns_req *req, struct dns_result *res,
		      struct err *err)
{
	if (strcmp(action, "lower") == 0)
		return dns_lower(app, req, res, err);
	if (strcmp(action, "change") == 0)
		return dns_change(app, req, res, err);
	if (strcmp(action, "restore") == 0 || strcmp(action, "rollback") == 0)
		return dns_restore(app, req, res, err);
	return dns_verify(app, req, res, err);
}

int cmd_dns(struct app *app, int argc, char **argv)
{
	const char *action = argc > 0 ? argv[0] : NULL;
	struct dns_result res;
	struct dns_req req;
	struct err err;
	char what[32];
	int64_t run_id = 0;
	bool writes;
	size_t i;
	int rc;

	for (i = 0; action && i < N_ACTIONS; i++)
		if (strcmp(action, actions[i]) == 0)
			break;
	if (!action || i == N_ACTIONS)
		return usage_action(action);
	if ((strcmp(action, "change") == 0 ||
	     strcmp(action, "rollback") == 0) && !app->opt.phase) {
		fprintf(stderr, "migrate dns: '%s' needs --phase NAME\n",
			action);
		return EXIT_USAGE;
	}
	rc = app_load_plan(app);
	if (rc)
		return rc;
	if (app->opt.phase &&
	    plan_phase_index(app->plan, app->opt.phase) == PLAN_NONE) {
		log_error(LOGC_MAIN, "'%s': the plan has no phase '%s'",
			  app->plan_path, app->opt.phase);
		return EXIT_USAGE;
	}
	err_clear(&err);
	writes = !app->opt.dry_run;
	if (strcmp(action, "verify") == 0)
		writes = writes && state_exists(app_state_path(app));
	rc = app_open_state(app, writes);
	if (rc > 1)
		return rc;
	snprintf(what, sizeof what, "dns %s", action);
	if (writes) {
		if (state_lock(app->state, what, &err) < 0 ||
		    state_run_begin(app->state, what, &run_id, &err) < 0) {
			log_err(&err);
			return err_exit_code(&err);
		}
	}
	memset(&req, 0, sizeof req);
	req.phase = app->opt.phase;
	req.run_id = run_id;
	req.dry_run = app->opt.dry_run;
	req.wait = app->opt.wait;
	req.force = app->opt.force;
	req.rollback = strcmp(action, "rollback") == 0;
	req.out = app->out;
	rc = run_action(app, action, &req, &res, &err);
	if (rc == 0) {
		if (res.summary[0])
			log_info(LOGC_DNS, "%s", res.summary);
		if (req.dry_run && strcmp(action, "verify") != 0)
			fprintf(app->out, "dry run: nothing was changed\n");
	} else {
		log_err(&err);
	}
	rc = rc == 0 ? EXIT_OK : err_exit_code(&err);
	if (writes) {
		struct err e2;

		err_clear(&e2);
		if (state_run_end(app->state, run_id, rc ? "failed" : "done",
				  rc, &e2) < 0)
			log_err(&e2);
		state_unlock(app->state);
	}
	return rc;
}
