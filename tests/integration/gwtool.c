/*
 * gwtool.c -- test-only helper for the gateway integration tests: it does
 * what the phase engine will do through migrate/route.h, so the tests can
 * move users and roll back before "migrate run" exists.  Not installed,
 * not a user command.
 *
 *	gwtool move PLAN ADDRESS BACKEND	set where a user lives (state)
 *	gwtool apply PLAN [PHASE]		route_apply (reason "gwtool")
 *	gwtool restore PLAN VERSION		route_restore_version
 *	gwtool verify PLAN			route_verify
 *	gwtool current PLAN			print the version in force
 *
 * Exit 0 on success, 1 with the error on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/route.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

static int usage(void)
{
	fprintf(stderr, "usage: gwtool move|apply|restore|verify|current "
			"PLAN [ARGS]\n");
	return 64;
}

static int open_app(struct app *app, const char *plan_path, struct err *err)
{
	struct plan_diags d;
	int rc;

	memset(app, 0, sizeof *app);
	app->out = stdout;
	app->plan_path = plan_path;
	plan_diags_init(&d);
	rc = plan_load(plan_path, &app->plan, &d, err);
	plan_diags_print(&d, stderr);
	plan_diags_release(&d);
	if (rc < 0)
		return -1;
	return state_open(app->plan->state_path, STATE_CREATE, &app->state,
			  err);
}

static int move(struct app *app, const char *addr, const char *backend,
		struct err *err)
{
	struct state_user u;
	int rc = state_user_get(app->state, addr, &u, err);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		const struct plan_user *pu = plan_user_find(app->plan, addr);

		memset(&u, 0, sizeof u);
		u.address = strdup(addr);
		u.group = pu && pu->group ? strdup(pu->group) : NULL;
		u.src_msgs = u.src_bytes = u.dst_msgs = u.dst_bytes = -1;
	}
	free(u.backend);
	u.backend = strdup(backend);
	rc = state_user_put(app->state, &u, err);
	state_user_release(&u);
	return rc;
}

int main(int argc, char **argv)
{
	struct route_opts o = { 0 };
	struct route_result res;
	struct app app;
	struct err err;
	unsigned long long n;
	int rc = -1;

	log_set_progname("gwtool");
	if (argc < 3)
		return usage();
	err_clear(&err);
	route_result_init(&res);
	if (open_app(&app, argv[2], &err) < 0)
		goto out;
	o.reason = "gwtool";
	if (!strcmp(argv[1], "move") && argc == 5) {
		rc = move(&app, argv[3], argv[4], &err);
	} else if (!strcmp(argv[1], "apply") && argc <= 4) {
		o.phase = argc == 4 ? argv[3] : NULL;
		rc = route_apply(&app, &o, &res, &err);
		if (rc == 0)
			printf("version %lld%s\n", (long long)res.version,
			       res.changed ? "" : " (unchanged)");
	} else if (!strcmp(argv[1], "restore") && argc == 4) {
		if (str_to_uint(argv[3], 1, INT64_MAX, &n) < 0) {
			err_set(&err, ERR_USAGE, RETRY_NEVER,
				"bad version '%s'", argv[3]);
		} else {
			o.reason = NULL;
			rc = route_restore_version(&app, (int64_t)n, &o, &res,
						   &err);
			if (rc == 0)
				printf("version %lld\n",
				       (long long)res.version);
		}
	} else if (!strcmp(argv[1], "verify") && argc == 3) {
		rc = route_verify(&app, &err);
	} else if (!strcmp(argv[1], "current") && argc == 3) {
		int64_t v;

		rc = route_current_version(&app, &v, &err);
		if (rc == 0)
			printf("%lld\n", (long long)v);
	} else {
		rc = 0;
		usage();
		rc = 64;
	}
out:
	if (res.diff.len)
		fwrite(res.diff.buf, 1, res.diff.len, stdout);
	if (rc < 0)
		log_err(&err);
	route_result_release(&res);
	app.state = state_close(app.state);
	app.plan = plan_free(app.plan);
	return rc < 0 ? 1 : rc;
}
