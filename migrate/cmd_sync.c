/*
 * cmd_sync.c -- "migrate sync": pre-stage / delta IMAP sync only, no
 * routing change.
 *
 *	migrate sync PLAN [--phase NAME | --user ADDR] [--jobs N] [--dry-run]
 *
 * Copies the mail of a phase's users (or of one user) from the phase's
 * "from" backend to its "to" backend.  Without --phase and --user, the
 * first phase whose run is not done.  Exit 0; 3 when some users failed
 * (each failure is printed; the others complete); 75 when a server could
 * not be reached or kept failing (run again to resume).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "migrate/state.h"
#include "migrate/sync.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

/* The first phase not done according to the state (the first if none). */
static size_t default_phase(struct app *app)
{
	const struct plan *p = app->plan;
	size_t i;

	for (i = 0; app->state && i < p->n_phases; i++) {
		struct state_phase sp;
		struct err e;
		int rc;
		bool done;

		err_clear(&e);
		rc = state_phase_get(app->state, p->phases[i].name, &sp, &e);
		if (rc < 0)
			break;
		done = rc == 1 && sp.status && str_has_prefix(sp.status, "done");
		if (rc == 1)
			state_phase_release(&sp);
		if (!done)
			return i;
	}
	return 0;
}

static int pick(struct app *app, size_t *phase, size_t **users, size_t *n)
{
	const struct plan *p = app->plan;
	const struct plan_user *u = NULL;
	size_t i;

	*users = NULL;
	*n = 0;
	if (p->n_phases == 0) {
		log_error(LOGC_MAIN, "'%s': the plan has no phases: nothing to "
			  "sync", app->plan_path);
		return EXIT_USAGE;
	}
	if (app->opt.user) {
		char *a = xstrdup(app->opt.user);

		str_lower(a);
		u = plan_user_find(p, a);
		free(a);
		if (!u) {
			log_error(LOGC_MAIN, "'%s': the plan has no user '%s'",
				  app->plan_path, app->opt.user);
			return EXIT_USAGE;
		}
	}
	if (app->opt.phase) {
		*phase = plan_phase_index(p, app->opt.phase);
		if (*phase == PLAN_NONE) {
			log_error(LOGC_MAIN, "'%s': the plan has no phase '%s'",
				  app->plan_path, app->opt.phase);
			return EXIT_USAGE;
		}
	} else if (u) {
		if (u->phase == PLAN_NONE) {
			log_error(LOGC_MAIN, "user '%s' is in no phase of the "
				  "plan; name one with --phase", u->address);
			return EXIT_USAGE;
		}
		*phase = u->phase;
	} else {
		*phase = default_phase(app);
	}
	if (u) {
		const struct plan_phase *ph = &p->phases[*phase];
		bool member = false;

		for (i = 0; i < ph->n_users; i++)
			member = member || &p->users[ph->users[i]] == u;
		if (!member) {
			log_error(LOGC_MAIN, "user '%s' is not in phase '%s'",
				  u->address, ph->name);
			return EXIT_USAGE;
		}
		*users = xcalloc(1, sizeof **users);
		(*users)[0] = (size_t)(u - p->users);
		*n = 1;
		return 0;
	}
	*n = p->phases[*phase].n_users;
	*users = xcalloc(*n + 1, sizeof **users);
	for (i = 0; i < *n; i++)
		(*users)[i] = p->phases[*phase].users[i];
	return 0;
}

int cmd_sync(struct app *app, int argc, char **argv)
{
	struct sync_request rq;
	struct sync_summary sum;
	size_t phase = 0, *users = NULL, n = 0;
	int64_t run_id = 0;
	bool writes;
	struct err err;
	char b[32];
	int rc;

	(void)argc, (void)argv;
	memset(&sum, 0, sizeof sum);
	err_clear(&err);
	if (app->opt.verify && app->opt.recheck) {
		fprintf(stderr, "migrate sync: --verify and --recheck do not "
			"go together (--verify always examines both sides)\n");
		return EXIT_USAGE;
	}
	rc = app_load_plan(app);
	if (rc)
		return rc;
	writes = !app->opt.dry_run;
	rc = app_open_state(app, writes);
	if (rc > 1)
		return rc;
	rc = pick(app, &phase, &users, &n);
	if (rc)
		goto out;
	if (n == 0) {
		fprintf(app->out, "phase '%s' has no users: nothing to sync\n",
			app->plan->phases[phase].name);
		goto out;
	}
	if (sync_preflight(app, phase, &err) < 0) {
		log_err(&err);
		rc = err_exit_code(&err);
		goto out;
	}
	if (writes && (state_lock(app->state, "sync", &err) < 0 ||
		       state_run_begin(app->state, "sync", &run_id, &err) < 0)) {
		log_err(&err);
		rc = err_exit_code(&err);
		goto out;
	}
	memset(&rq, 0, sizeof rq);
	rq.phase = phase;
	rq.users = users;
	rq.n_users = n;
	rq.mode = app->opt.verify ? SYNC_VERIFY : SYNC_COPY;
	rq.recheck = app->opt.recheck;
	rq.expunge = app->plan->phases[phase].expunge;
	rq.dry_run = app->opt.dry_run;
	rq.jobs = app->opt.jobs;
	rq.run_id = run_id;
	rq.progress = isatty(STDERR_FILENO) && app->opt.verbose >= 0;
	if (sync_run(app, &rq, &sum, &err) < 0) {
		log_err(&err);
		rc = err_exit_code(&err);
	} else {
		rc = sync_exit_code(&sum);
		if (sum.bytes >= (1ull << 20))
			snprintf(b, sizeof b, "%.1f MiB", sum.bytes / 1048576.0);
		else
			snprintf(b, sizeof b, "%llu bytes",
				 (unsigned long long)sum.bytes);
		if (rq.mode == SYNC_VERIFY) {
			size_t k, differ = 0;

			for (k = 0; k < sum.n_users; k++)
				differ += sum.users[k].differs;
			fprintf(app->out, "phase '%s': %zu of %zu users "
				"verified, %zu with differences%s\n",
				app->plan->phases[phase].name,
				sum.ok - differ, sum.n_users, differ,
				sum.failed ? "; see the errors above" : "");
			if (rc == 0 && differ)
				rc = EXIT_PARTIAL;
		} else if (rq.dry_run)
			fprintf(app->out, "dry run: nothing was changed\n");
		else
			fprintf(app->out, "phase '%s': %zu of %zu users synced, "
				"%llu messages (%s) copied in %.1f s%s\n",
				app->plan->phases[phase].name, sum.ok,
				sum.n_users, (unsigned long long)sum.copied, b,
				sum.seconds,
				sum.unreachable ? "; run again to resume" :
				sum.failed ? "; see the errors above" : "");
	}
	if (writes) {
		struct err e2;

		err_clear(&e2);
		if (state_run_end(app->state, run_id,
				  rc == 0 ? "done" : "failed", rc, &e2) < 0)
			log_err(&e2);
		state_unlock(app->state);
	}
out:
	sync_summary_release(&sum);
	free(users);
	return rc;
}
