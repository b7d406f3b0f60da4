/*
 * phase.c -- the phase engine's step machine, "migrate run" and
 * "migrate rollback" (see phase.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "migrate/phase.h"
#include "migrate/reconcile.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static bool hook_matches(const char *var, const char *phase,
			 const char *step)
{
	const char *want = getenv(var);
	char both[256];

	if (!want || !*want)
		return false;
	snprintf(both, sizeof both, "%s:%s", phase, step);
	return strcmp(want, step) == 0 || strcmp(want, both) == 0;
}

/* Test-only: MIGRATE_TEST_CRASH_AFTER=STEP (or PHASE:STEP) ends the
 * process hard right after STEP is recorded done, as a kill -9 would;
 * MIGRATE_TEST_STALL_AFTER=STEP sleeps 10 s there (holding the lock). */
static void crash_hook(const char *phase, const char *step)
{
	if (hook_matches("MIGRATE_TEST_STALL_AFTER", phase, step))
		sleep(10);
	if (hook_matches("MIGRATE_TEST_CRASH_AFTER", phase, step)) {
		fprintf(stderr, "migrate: test crash after step '%s'\n", step);
		_exit(99);
	}
}

int phase_fail_user(struct phase_run *pr, size_t member, const char *why,
		    struct err *err)
{
	const struct plan *p = pr->app->plan;
	const char *addr = p->users[pr->ph->users[member]].address;
	struct state_user u;
	int rc;

	if (!pr->failed[member]) {
		pr->failed[member] = true;
		pr->n_failed++;
	}
	rc = state_user_get(pr->app->state, addr, &u, err);
	if (rc <= 0)
		return rc < 0 ? -1 : 0;
	u.status = USER_FAILED;
	free(u.last_error);
	u.last_error = xstrdup(why);
	rc = state_user_put(pr->app->state, &u, err);
	state_user_release(&u);
	/* The engine that failed has already said why, as an error. */
	log_info(LOGC_MAIN, "phase '%s': user '%s' left out of the cutover",
		 pr->ph->name, addr);
	state_event_add(pr->app->state, pr->run_id, pr->ph->name, addr,
			"user-failed", why, err);
	return rc;
}

/* Rebuild the failed set of a resumed phase from the users table. */
static int load_failed(struct phase_run *pr, struct err *err)
{
	const struct plan *p = pr->app->plan;
	struct state_user u;
	size_t i;
	int rc;

	for (i = 0; i < pr->ph->n_users; i++) {
		rc = state_user_get(pr->app->state,
				    p->users[pr->ph->users[i]].address, &u, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && u.status == USER_FAILED) {
			pr->failed[i] = true;
			pr->n_failed++;
		}
		state_user_release(&u);
	}
	return 0;
}

struct step_lookup {
	const char *want;
	char *status;
};

static int find_step(void *ctx, const struct state_step *s)
{
	struct step_lookup *l = ctx;

	if (strcmp(s->step, l->want) == 0) {
		free(l->status);
		l->status = xstrdup(s->status);
	}
	return 0;
}

static int step_status(struct phase_run *pr, const char *step, char **status,
		       struct err *err)
{
	struct step_lookup l = { step, NULL };

	if (state_steps_foreach(pr->app->state, pr->ph->name, find_step, &l,
				err) < 0)
		return -1;
	*status = l.status;
	return 0;
}

static int run_steps(struct phase_run *pr, const struct phase_step *steps,
		     size_t n, struct err *err)
{
	struct state *st = pr->app->state;
	struct sbuf detail;
	size_t i;
	int rc = 0;

	sbuf_init(&detail, 4096);
	for (i = 0; i < n; i++) {
		char *status = NULL;
		struct err serr;

		if (step_status(pr, steps[i].name, &status, err) < 0) {
			rc = -1;
			break;
		}
		if (status && (!strcmp(status, "done") ||
			       !strcmp(status, "skipped"))) {
			log_info(LOGC_MAIN, "phase '%s': step %s: %s earlier",
				 pr->ph->name, steps[i].name, status);
			free(status);
			continue;
		}
		if (status)
			log_info(LOGC_MAIN, "phase '%s': resuming step %s",
				 pr->ph->name, steps[i].name);
		free(status);
		if (state_step_begin(st, pr->run_id, pr->ph->name,
				     steps[i].name, err) < 0) {
			rc = -1;
			break;
		}
		if (pr->app->tty && pr->app->opt.verbose >= 0)
			fprintf(stderr, "phase '%s': %s...\n", pr->ph->name,
				steps[i].name);
		sbuf_clear(&detail);
		err_clear(&serr);
		rc = steps[i].fn(pr, &detail, &serr);
		if (rc < 0) {
			err_prefix(&serr, "phase '%s': step %s", pr->ph->name,
				   steps[i].name);
			state_step_end(st, pr->ph->name, steps[i].name,
				       serr.retry == RETRY_LATER ? "paused" :
								   "failed",
				       detail.len ? detail.buf : NULL,
				       serr.msg, err);
			state_event_add(st, pr->run_id, pr->ph->name, NULL,
					"step-failed", serr.msg, err);
			err_clear(err);
			err_copy(err, &serr);
			break;
		}
		if (state_step_end(st, pr->ph->name, steps[i].name,
				   rc == 1 ? "skipped" : "done",
				   detail.len ? detail.buf : NULL, NULL,
				   err) < 0) {
			rc = -1;
			break;
		}
		log_info(LOGC_MAIN, "phase '%s': step %s %s%s%s", pr->ph->name,
			 steps[i].name, rc == 1 ? "skipped" : "done",
			 detail.len ? ": " : "", detail.buf);
		crash_hook(pr->ph->name, steps[i].name);
		rc = 0;
	}
	sbuf_release(&detail);
	return rc;
}

static int set_phase_status(struct phase_run *pr, struct state_phase *sp,
			    const char *status, const char *error,
			    struct err *err)
{
	free(sp->status);
	sp->status = xstrdup(status);
	free(sp->last_error);
	sp->last_error = xstrdup(error);
	if (!strcmp(status, "running") || !strcmp(status, "rolling back")) {
		sp->started = timeutil_now();
		sp->finished = 0;
		sp->run_id = pr->run_id;
	} else {
		sp->finished = timeutil_now();
	}
	return state_phase_put(pr->app->state, sp, err);
}

size_t phase_next(struct app *app, struct err *err)
{
	const struct plan *p = app->plan;
	struct state_phase sp;
	size_t i, first = PLAN_NONE;
	int rc;

	for (i = 0; i < p->n_phases; i++) {
		rc = state_phase_get(app->state, p->phases[i].name, &sp, err);
		if (rc < 0)
			return PLAN_NONE;
		if (rc == 1 && (!strcmp(sp.status, "running") ||
				!strcmp(sp.status, "failed"))) {
			state_phase_release(&sp);
			return i;	/* finish what was started first */
		}
		if (first == PLAN_NONE &&
		    (rc == 0 || (strcmp(sp.status, "done") &&
				 strcmp(sp.status, "done with errors"))))
			first = i;
		if (rc == 1)
			state_phase_release(&sp);
	}
	return first;
}

static int begin_run(struct app *app, const char *command, int64_t *run_id)
{
	struct err err;
	int rc;

	if ((rc = app_load_plan(app)) != 0)
		return rc;
	if ((rc = app_open_state(app, true)) != 0)
		return rc;
	err_clear(&err);
	if (state_lock(app->state, command, &err) < 0 ||
	    reconcile(app, &err) < 0 ||
	    state_run_begin(app->state, command, run_id, &err) < 0) {
		log_err(&err);
		return err.cat == ERR_PLAN ? EXIT_DATAERR : err_exit_code(&err);
	}
	return 0;
}

/* Run or roll back one phase; the plan is loaded, the state open, locked
 * and reconciled, and the run recorded.  Returns an exit code. */
static int execute(struct app *app, size_t idx, int64_t run_id, bool rollback)
{
	const struct plan *p = app->plan;
	const struct plan_phase *ph = &p->phases[idx];
	struct phase_run pr;
	struct state_phase sp;
	struct err err;
	int rc, exit_code = EXIT_OK;
	char when[32], left[32];

	memset(&pr, 0, sizeof pr);
	pr.app = app;
	pr.ph = ph;
	pr.idx = idx;
	pr.run_id = run_id;
	pr.rollback = rollback;
	pr.failed = xcalloc(ph->n_users + 1, sizeof *pr.failed);
	err_clear(&err);

	rc = state_phase_get(app->state, ph->name, &sp, &err);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		sp.name = xstrdup(ph->name);
		sp.from = xstrdup(p->backends[ph->from].name);
		sp.to = xstrdup(p->backends[ph->to].name);
		sp.status = xstrdup("pending");
	}
	if (!rollback) {
		if (!strcmp(sp.status, "done") ||
		    !strcmp(sp.status, "done with errors")) {
			fprintf(app->out, "phase '%s' is already %s; nothing "
				"to do (roll it back to run it again)\n",
				ph->name, sp.status);
			goto out;
		}
		if (!strcmp(sp.status, "rolling back")) {
			err_set(&err, ERR_STORE, RETRY_NEVER,
				"phase '%s' is being rolled back: finish that "
				"first with 'migrate rollback --phase %s'",
				ph->name, ph->name);
			goto fail;
		}
		if (ph->has_not_before && timeutil_now() < ph->not_before &&
		    !app->opt.force) {
			timeutil_format_rfc3339(ph->not_before, when,
						sizeof when);
			timeutil_format_duration(ph->not_before -
							 timeutil_now(),
						 left, sizeof left);
			err_set(&err, ERR_STORE, RETRY_LATER,
				"phase '%s' may not start before %s (in %s)",
				ph->name, when, left);
			goto fail;
		}
		if (!strcmp(sp.status, "rolled back") &&
		    state_steps_clear(app->state, ph->name, &err) < 0)
			goto fail;
		if (strcmp(sp.status, "running") && strcmp(sp.status, "failed"))
			log_info(LOGC_MAIN, "phase '%s': starting (%zu users, "
				 "%s -> %s)", ph->name, ph->n_users, sp.from,
				 sp.to);
		if (set_phase_status(&pr, &sp, "running", NULL, &err) < 0 ||
		    load_failed(&pr, &err) < 0)
			goto fail;
		state_event_add(app->state, run_id, ph->name, NULL,
				"phase-start", NULL, &err);
		rc = run_steps(&pr, phase_run_steps, phase_n_run_steps, &err);
		if (rc < 0) {
			/* A wait (TTL expiry, a server down) is a pause: the
			 * same command later resumes the phase. */
			set_phase_status(&pr, &sp, err.retry == RETRY_LATER ?
				"running" : "failed", err.msg, NULL);
			goto fail;
		}
		set_phase_status(&pr, &sp, pr.n_failed ? "done with errors" :
							  "done", NULL, &err);
		state_event_add(app->state, run_id, ph->name, NULL,
				"phase-done", pr.n_failed ? "with errors" : NULL,
				&err);
		if (pr.n_failed) {
			size_t i;

			fprintf(app->out, "phase '%s' done with errors: %zu of "
				"%zu users failed and stay on '%s':\n",
				ph->name, pr.n_failed, ph->n_users, sp.from);
			for (i = 0; i < ph->n_users; i++)
				if (pr.failed[i])
					fprintf(app->out, "  %s\n",
						p->users[ph->users[i]].address);
			exit_code = EXIT_PARTIAL;
		} else {
			fprintf(app->out, "phase '%s' done: %zu users now on "
				"'%s'\n", ph->name, ph->n_users, sp.to);
		}
	} else {
		if (!strcmp(sp.status, "pending") ||
		    !strcmp(sp.status, "rolled back")) {
			fprintf(app->out, "phase '%s' is %s; nothing to roll "
				"back\n", ph->name, sp.status);
			goto out;
		}
		if (set_phase_status(&pr, &sp, "rolling back", NULL, &err) < 0)
			goto fail;
		state_event_add(app->state, run_id, ph->name, NULL,
				"rollback-start", NULL, &err);
		rc = run_steps(&pr, phase_rollback_steps,
			       phase_n_rollback_steps, &err);
		if (rc < 0)
			goto fail;
		if (set_phase_status(&pr, &sp, "rolled back", NULL, &err) < 0)
			goto fail;
		state_event_add(app->state, run_id, ph->name, NULL,
				"rollback-done", NULL, &err);
		fprintf(app->out, "phase '%s' rolled back: its users live on "
			"'%s' again\n", ph->name, sp.from);
	}
	goto out;
fail:
	log_err(&err);
	exit_code = err.cat == ERR_PLAN ? EXIT_DATAERR : err_exit_code(&err);
	if (exit_code == EXIT_OK)
		exit_code = EXIT_SOFTWARE;
out:
	state_phase_release(&sp);
	free(pr.failed);
	return exit_code;
}

static int finish_run(struct app *app, int64_t run_id, int exit_code)
{
	struct err err;

	err_clear(&err);
	state_run_end(app->state, run_id,
		      exit_code == EXIT_OK ? "done" :
		      exit_code == EXIT_PARTIAL ? "done with errors" :
		      exit_code == EXIT_TEMPFAIL ? "paused" : "failed",
		      exit_code, &err);
	return exit_code;
}

/* Load the plan and check --phase names one of its phases, before
 * anything is created or locked. */
static int check_phase_opt(struct app *app)
{
	int rc = app_load_plan(app);

	if (rc)
		return rc;
	if (app->opt.phase &&
	    plan_phase_index(app->plan, app->opt.phase) == PLAN_NONE) {
		log_error(LOGC_MAIN, "no phase '%s' in '%s'", app->opt.phase,
			  app->plan_path);
		return EXIT_USAGE;
	}
	return 0;
}

/* --dry-run: the state is read when it exists, never created. */
static int dry_run(struct app *app, bool rollback)
{
	struct err err;
	size_t idx = 0;
	int rc;

	if ((rc = app_load_plan(app)) != 0)
		return rc;
	rc = app_open_state(app, false);
	if (rc > 1)
		return rc;
	err_clear(&err);
	if (app->opt.phase) {
		idx = plan_phase_index(app->plan, app->opt.phase);
		if (idx == PLAN_NONE) {
			log_error(LOGC_MAIN, "no phase '%s' in '%s'",
				  app->opt.phase, app->plan_path);
			return EXIT_USAGE;
		}
	} else if (app->state) {
		idx = phase_next(app, &err);
		if (err_isset(&err)) {
			log_err(&err);
			return err_exit_code(&err);
		}
		if (idx == PLAN_NONE) {
			fprintf(app->out, "every phase of '%s' is done\n",
				app->plan_path);
			return EXIT_OK;
		}
	}
	return phase_dry_run(app, idx, rollback);
}

int cmd_run(struct app *app, int argc, char **argv)
{
	struct err err;
	int64_t run_id;
	size_t idx;
	int rc;

	(void)argc, (void)argv;
	if (app->opt.dry_run)
		return dry_run(app, false);
	if ((rc = check_phase_opt(app)) != 0)
		return rc;
	if ((rc = begin_run(app, "run", &run_id)) != 0)
		return rc;
	err_clear(&err);
	if (app->opt.phase) {
		idx = plan_phase_index(app->plan, app->opt.phase);
	} else {
		idx = phase_next(app, &err);
		if (err_isset(&err)) {
			log_err(&err);
			return finish_run(app, run_id, err_exit_code(&err));
		}
		if (idx == PLAN_NONE) {
			fprintf(app->out, "every phase of '%s' is done\n",
				app->plan_path);
			return finish_run(app, run_id, EXIT_OK);
		}
	}
	return finish_run(app, run_id, execute(app, idx, run_id, false));
}

int cmd_rollback(struct app *app, int argc, char **argv)
{
	int64_t run_id;
	size_t idx;
	int rc;

	(void)argc, (void)argv;
	if (!app->opt.phase) {
		fprintf(stderr, "migrate rollback: --phase NAME is required\n");
		return EXIT_USAGE;
	}
	if (app->opt.dry_run)
		return dry_run(app, true);
	if ((rc = check_phase_opt(app)) != 0)
		return rc;
	if ((rc = begin_run(app, "rollback", &run_id)) != 0)
		return rc;
	idx = plan_phase_index(app->plan, app->opt.phase);
	return finish_run(app, run_id, execute(app, idx, run_id, true));
}
