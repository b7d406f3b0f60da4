/*
 * cmd_report.c -- "migrate report": who lives where.
 */
#include <stdio.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "migrate/report.h"
#include "util/err.h"
#include "util/log.h"

int cmd_report(struct app *app, int argc, char **argv)
{
	struct report r;
	struct err err;
	int rc;

	(void)argc, (void)argv;
	if ((rc = app_load_plan(app)) != 0)
		return rc;
	rc = app_open_state(app, false);
	if (rc > 1)
		return rc;
	err_clear(&err);
	if (report_build(&r, app->plan, app->state, &err) < 0) {
		log_err(&err);
		return err_exit_code(&err);
	}
	if (app->opt.json)
		app->opt.format = FORMAT_JSON;
	if ((app->opt.format == FORMAT_MARKDOWN ||
	     app->opt.format == FORMAT_HTML) &&
	    report_runbook_build(&r, app->plan, app->state, &err) < 0) {
		log_err(&err);
		report_release(&r);
		return err_exit_code(&err);
	}
	report_write(&r, app->opt.format, app->out, app->opt.color);
	report_release(&r);
	return EXIT_OK;
}
