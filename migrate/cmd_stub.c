/*
 * cmd_stub.c -- commands whose engines arrive in later work.  They load
 * and validate the plan (so a mistake is still reported), then say
 * plainly that the command is not available and exit 69.
 */
#include <stdio.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "util/err.h"
#include "util/log.h"

int not_yet(struct app *app, const char *what)
{
	int rc = app_load_plan(app);

	if (rc)
		return rc;
	log_error(LOGC_MAIN, "'migrate %s' is not available in this build "
		  "yet (%s); nothing was changed", app->command, what);
	return EXIT_UNAVAILABLE;
}

int cmd_run(struct app *app, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet(app, "it arrives with the phase engine");
}


int cmd_rollback(struct app *app, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_yet(app, "it arrives with the phase engine");
}
