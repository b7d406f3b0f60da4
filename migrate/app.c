/*
 * app.c -- loading the plan and opening the state for a command.
 */
#include <stdio.h>
#include <stdlib.h>

#include "migrate/app.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"

int app_load_plan(struct app *app)
{
	struct plan_diags diags;
	struct err err;
	int rc;

	if (app->plan)
		return 0;
	err_clear(&err);
	plan_diags_init(&diags);
	rc = plan_load(app->plan_path, &app->plan, &diags, &err);
	plan_diags_print(&diags, stderr);
	plan_diags_release(&diags);
	if (rc < 0) {
		log_err(&err);
		return err.cat == ERR_PLAN ? EXIT_DATAERR : err_exit_code(&err);
	}
	return 0;
}

const char *app_state_path(const struct app *app)
{
	if (app->opt.state_path)
		return app->opt.state_path;
	return app->plan ? app->plan->state_path : NULL;
}

int app_open_state(struct app *app, bool create)
{
	const char *path = app_state_path(app);
	struct err err;

	if (app->state)
		return 0;
	if (!create && !state_exists(path))
		return 1;
	err_clear(&err);
	if (state_open(path, create ? STATE_CREATE : STATE_READONLY,
		       &app->state, &err) < 0) {
		log_err(&err);
		return err_exit_code(&err);
	}
	return 0;
}
