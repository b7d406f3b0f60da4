/*
 * cmd_gateway.c -- "migrate gateway PLAN [--dry-run] [--force]": render
 * the routing table for where users live now and put it in force
 * (plumbing; the phase engine uses the same code, migrate/route.h).
 *
 * Without a state store yet, users are where the plan says they start,
 * and the store is created (except with --dry-run, which changes
 * nothing and prints the unified diff of every map).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "migrate/route.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"

static int fail(struct app *app, const struct err *err)
{
	(void)app;
	log_err(err);
	return err->cat == ERR_PLAN ? EXIT_DATAERR : err_exit_code(err);
}

static void print_map(struct app *app, const char *path, bool changed,
		      int64_t version, size_t n)
{
	fprintf(app->out, "%s'%s': version %lld %s", changed ? "" :
		"no change: ", path, (long long)version,
		changed ? "in force" : "is up to date");
	if (n != (size_t)-1)
		fprintf(app->out, ", %zu entr%s", n, n == 1 ? "y" : "ies");
	fprintf(app->out, "\n");
}

int cmd_gateway(struct app *app, int argc, char **argv)
{
	struct route_opts o = { 0 };
	struct route_result res;
	int64_t run_id = 0;
	struct err err;
	int rc;

	(void)argc, (void)argv;
	if ((rc = app_load_plan(app)) != 0)
		return rc;
	err_clear(&err);
	if (!app->plan->gateway.present) {
		err_set(&err, ERR_PLAN, RETRY_NEVER,
			"'%s' has no 'gateway' section: there is no map to "
			"write", app->plan_path);
		return fail(app, &err);
	}
	rc = app_open_state(app, !app->opt.dry_run);
	if (rc > 1)
		return rc;
	if (!app->opt.dry_run &&
	    (state_lock(app->state, "gateway", &err) < 0 ||
	     state_run_begin(app->state, "gateway", &run_id, &err) < 0))
		return fail(app, &err);

	o.reason = "migrate gateway";
	o.run_id = run_id;
	o.dry_run = app->opt.dry_run;
	o.force = app->opt.force;
	route_result_init(&res);
	rc = route_apply(app, &o, &res, &err);
	if (res.diff.len)
		fwrite(res.diff.buf, 1, res.diff.len, app->out);
	if (rc < 0) {
		rc = fail(app, &err);
	} else if (o.dry_run) {
		if (!res.changed)
			fprintf(app->out, "no change: '%s' is up to date\n",
				app->plan->gateway.map);
		rc = EXIT_OK;
	} else {
		print_map(app, app->plan->gateway.map, res.map_changed,
			  res.version, res.n_entries);
		if (app->plan->gateway.recipient_map)
			print_map(app, app->plan->gateway.recipient_map,
				  res.recipients_changed,
				  res.recipients_version, (size_t)-1);
		rc = EXIT_OK;
	}
	if (run_id) {
		struct err e2;

		err_clear(&e2);
		if (state_run_end(app->state, run_id,
				  rc == EXIT_OK ? "done" : "failed", rc,
				  &e2) < 0)
			log_err(&e2);
	}
	route_result_release(&res);
	return rc;
}
