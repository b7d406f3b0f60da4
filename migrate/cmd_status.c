/*
 * cmd_status.c -- "migrate status" (progress of the current or last run)
 * and "migrate log" (the audit trail).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "migrate/report.h"
#include "migrate/state.h"
#include "migrate/table.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* The steps of a phase, in order (DESIGN.md). */
static const char *const phase_steps[] = {
	"preflight", "lower-ttl", "prestage", "cutover",
	"delta", "verify", "dns", "restore-ttl",
	/* a rollback's steps, shown once it has run */
	"rollback:route-back", "rollback:reverse-delta", "rollback:dns-undo",
	"rollback:release",
};
#define N_STEPS (sizeof phase_steps / sizeof *phase_steps)
#define N_RUN_STEPS 8

struct step_row {
	char *status, *error, *detail;
	time_t started, finished;
};

struct phase_view {
	struct step_row steps[N_STEPS];
	const char *status;	/* pending, in progress, done, failed */
};

struct status_ctx {
	const struct plan *plan;
	struct phase_view *views;
	size_t half_done;
	struct json *lowered;	/* JSON array, or NULL for text */
	FILE *out;
};

static int collect_step(void *ctx, const struct state_step *s)
{
	struct status_ctx *c = ctx;
	size_t p = plan_phase_index(c->plan, s->phase), i;

	if (p == PLAN_NONE)
		return 0;
	for (i = 0; i < N_STEPS; i++) {
		if (strcmp(phase_steps[i], s->step) == 0) {
			struct step_row *r = &c->views[p].steps[i];

			r->status = xstrdup(s->status);
			r->error = xstrdup(s->error);
			r->detail = xstrdup(s->detail);
			r->started = s->started;
			r->finished = s->finished;
		}
	}
	return 0;
}

static void derive_phase_status(struct phase_view *v)
{
	size_t i, done = 0;

	v->status = "pending";
	for (i = 0; i < N_STEPS; i++) {
		const char *s = v->steps[i].status;

		if (!s)
			continue;
		if (!strcmp(s, "failed")) {
			v->status = "failed";
			return;
		}
		if (!strcmp(s, "started") || !strcmp(s, "paused"))
			v->status = "in progress";
		else if (!strcmp(s, "done") || !strcmp(s, "skipped"))
			done++;
	}
	if (done >= N_RUN_STEPS)
		v->status = "done";
	else if (done && strcmp(v->status, "in progress"))
		v->status = "in progress";
}

/* The word status shows for a phase record's status. */
static const char *phase_status_word(const char *s)
{
	static const char *const words[] = {
		"pending", "done", "done with errors", "failed",
		"rolled back", "rolling back",
	};
	size_t i;

	if (!strcmp(s, "running"))
		return "in progress";
	for (i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcmp(s, words[i]))
			return words[i];
	return "?";
}

static int print_lowered(void *ctx, const char *name, const char *type,
			 long orig_ttl, time_t lowered_at)
{
	struct status_ctx *c = ctx;
	char t[32];

	timeutil_format_rfc3339(lowered_at, t, sizeof t);
	c->half_done++;
	if (c->lowered) {
		struct json *o = json_object_new();

		json_set_str(o, "name", name);
		json_set_str(o, "type", type);
		json_set_int(o, "original_ttl", orig_ttl);
		json_set_str(o, "lowered_at", t);
		json_append(c->lowered, o);
	} else {
		fprintf(c->out, "  TTL of %s %s still lowered since %s "
			"(original %ld s)\n", name, type, t, orig_ttl);
	}
	return 0;
}

/* "running", or "interrupted" when the recorded process is gone. */
static const char *run_liveness(const struct state_run *r)
{
	char host[256] = "";

	if (strcmp(r->status, "running"))
		return r->status;
	gethostname(host, sizeof host - 1);
	if (r->host && !strcmp(r->host, host) && r->pid > 0 &&
	    kill((pid_t)r->pid, 0) < 0 && errno == ESRCH)
		return "interrupted (run again to resume)";
	return "running";
}

int cmd_status(struct app *app, int argc, char **argv)
{
	struct status_ctx c;
	struct state_run run;
	struct report rep;
	struct err err;
	int rc, have_run = 0;
	size_t i, j;
	char t1[32], t2[32];
	struct json *root = NULL, *phases = NULL;

	(void)argc, (void)argv;
	if ((rc = app_load_plan(app)) != 0)
		return rc;
	rc = app_open_state(app, false);
	if (rc > 1)
		return rc;
	err_clear(&err);
	memset(&c, 0, sizeof c);
	c.plan = app->plan;
	c.out = app->out;
	c.views = xcalloc(app->plan->n_phases + 1, sizeof *c.views);
	memset(&run, 0, sizeof run);
	memset(&rep, 0, sizeof rep);
	if (app->state) {
		if ((have_run = state_last_run(app->state, &run, &err)) < 0 ||
		    state_steps_foreach(app->state, NULL, collect_step, &c,
					&err) < 0)
			goto fail;
	}
	if (report_build(&rep, app->plan, app->state, &err) < 0)
		goto fail;
	for (i = 0; i < app->plan->n_phases; i++) {
		struct state_phase sp;

		derive_phase_status(&c.views[i]);
		/* The phase record is the truth; the steps add detail. */
		if (app->state &&
		    state_phase_get(app->state, app->plan->phases[i].name, &sp,
				    &err) == 1) {
			c.views[i].status = phase_status_word(sp.status);
			state_phase_release(&sp);
		}
	}

	if (app->opt.json) {
		root = json_object_new();
		phases = json_array_new();
		c.lowered = json_array_new();
		json_set_str(root, "migration", app->plan->migration);
		json_set_str(root, "state", app_state_path(app));
		if (have_run > 0) {
			struct json *o = json_object_new();

			json_set_int(o, "id", run.id);
			json_set_str(o, "command", run.command);
			json_set_str(o, "status", run_liveness(&run));
			json_set_str(o, "host", run.host);
			json_set_int(o, "pid", run.pid);
			json_set_str(o, "started", timeutil_format_rfc3339(
						   run.started, t1, sizeof t1));
			json_set_str(o, "finished", run.finished ?
				     timeutil_format_rfc3339(run.finished, t2,
							     sizeof t2) : NULL);
			json_set(root, "last_run", o);
		} else {
			json_set_str(root, "last_run", NULL);
		}
	} else {
		fprintf(app->out, "migration '%s' (state %s)\n",
			app->plan->migration, app_state_path(app));
		if (have_run > 0)
			fprintf(app->out, "last run #%lld: migrate %s, pid %ld "
				"on %s, started %s, %s%s%s\n",
				(long long)run.id, run.command, run.pid,
				run.host, timeutil_format_rfc3339(run.started,
								  t1, sizeof t1),
				run_liveness(&run),
				run.finished ? " at " : "",
				run.finished ? timeutil_format_rfc3339(
						       run.finished, t2,
						       sizeof t2) : "");
		else
			fprintf(app->out, "no run yet\n");
	}

	for (i = 0; i < app->plan->n_phases; i++) {
		const struct plan_phase *ph = &app->plan->phases[i];
		const struct report_phase *rp = &rep.phases[i];
		struct phase_view *v = &c.views[i];

		if (phases) {
			struct json *o = json_object_new(), *st = json_array_new();

			json_set_str(o, "name", ph->name);
			json_set_str(o, "status", v->status);
			json_set_int(o, "users", (long long)rp->n_users);
			json_set_int(o, "failed",
				     (long long)rp->by_status[USER_FAILED]);
			for (j = 0; j < N_STEPS; j++) {
				struct json *s;

				if (j >= N_RUN_STEPS && !v->steps[j].status)
					continue;
				s = json_object_new();

				json_set_str(s, "step", phase_steps[j]);
				json_set_str(s, "status", v->steps[j].status ?
					     v->steps[j].status : "pending");
				json_set_str(s, "detail", v->steps[j].detail);
				json_set_str(s, "error", v->steps[j].error);
				json_append(st, s);
			}
			json_set(o, "steps", st);
			json_append(phases, o);
			continue;
		}
		fprintf(app->out, "\nphase '%s' (%s -> %s, %zu user%s): %s\n",
			ph->name, rp->from, rp->to, rp->n_users,
			rp->n_users == 1 ? "" : "s", v->status);
		for (j = 0; j < N_STEPS; j++) {
			const struct step_row *s = &v->steps[j];

			if (j >= N_RUN_STEPS && !s->status)
				continue;
			fprintf(app->out, "  %-12s %s", phase_steps[j],
				s->status ? s->status : "pending");
			if (s->started)
				fprintf(app->out, "  %s", timeutil_format_rfc3339(
							s->started, t1, sizeof t1));
			if (s->detail)
				fprintf(app->out, "  %s", s->detail);
			if (s->error)
				fprintf(app->out, "  error: %s", s->error);
			fputc('\n', app->out);
		}
		if (rp->by_status[USER_FAILED])
			fprintf(app->out, "  %zu user%s failed (see 'migrate "
				"report')\n", rp->by_status[USER_FAILED],
				rp->by_status[USER_FAILED] == 1 ? "" : "s");
	}
	if (!phases && app->state) {
		fprintf(app->out, "\nleft half-done:\n");
		for (i = 0; i < app->plan->n_phases; i++)
			for (j = 0; j < N_STEPS; j++) {
				const char *s = c.views[i].steps[j].status;

				if (!s || (strcmp(s, "started") &&
					   strcmp(s, "paused")))
					continue;
				c.half_done++;
				fprintf(app->out, "  phase '%s': step %s "
					"started but not finished\n",
					app->plan->phases[i].name,
					phase_steps[j]);
			}
	}
	if (app->state &&
	    state_dns_lowered_foreach(app->state, print_lowered, &c, &err) < 0)
		goto fail;
	if (phases) {
		json_set(root, "phases", phases);
		json_set(root, "ttl_lowered", c.lowered);
		{
			char *s = json_dump(root, true);

			fprintf(app->out, "%s\n", s);
			free(s);
		}
		json_free(root);
		root = NULL;
	} else if (app->state && c.half_done == 0) {
		fprintf(app->out, "  nothing\n");
	}
	rc = EXIT_OK;
	goto out;
fail:
	log_err(&err);
	rc = err_exit_code(&err);
	if (root)
		json_free(root);
out:
	if (rep.users || rep.phases)
		report_release(&rep);
	for (i = 0; i < app->plan->n_phases; i++)
		for (j = 0; j < N_STEPS; j++) {
			free(c.views[i].steps[j].status);
			free(c.views[i].steps[j].error);
			free(c.views[i].steps[j].detail);
		}
	free(c.views);
	state_run_release(&run);
	return rc;
}

struct log_ctx {
	struct table *t;
	struct json *arr;
};

static int add_event(void *ctx, const struct state_event *e)
{
	struct log_ctx *c = ctx;
	char t[32], run[24];

	timeutil_format_rfc3339(e->at, t, sizeof t);
	snprintf(run, sizeof run, "%lld", (long long)e->run_id);
	if (c->arr) {
		struct json *o = json_object_new();

		json_set_int(o, "id", e->id);
		json_set_str(o, "at", t);
		json_set_int(o, "run", e->run_id);
		json_set_str(o, "phase", e->phase);
		json_set_str(o, "user", e->user);
		json_set_str(o, "kind", e->kind);
		json_set_str(o, "detail", e->detail);
		json_append(c->arr, o);
	} else {
		const char *cells[6] = { t, e->run_id ? run : "-",
					 e->phase ? e->phase : "-",
					 e->user ? e->user : "-", e->kind,
					 e->detail };
		table_add(c->t, cells);
	}
	return 0;
}

int cmd_log(struct app *app, int argc, char **argv)
{
	static const char *const h[] = { "TIME", ">RUN", "PHASE", "USER",
					  "KIND", "DETAIL" };
	struct log_ctx c = { NULL, NULL };
	struct err err;
	int rc;

	(void)argc, (void)argv;
	if ((rc = app_load_plan(app)) != 0)
		return rc;
	rc = app_open_state(app, false);
	if (rc > 1)
		return rc;
	if (rc == 1) {
		if (app->opt.json)
			fprintf(app->out, "[]\n");
		else
			fprintf(app->out, "no state yet: nothing has been "
				"changed\n");
		return EXIT_OK;
	}
	err_clear(&err);
	if (app->opt.json)
		c.arr = json_array_new();
	else
		c.t = table_new(6, h);
	rc = state_events_foreach(app->state, add_event, &c, &err);
	if (rc == 0) {
		if (c.arr) {
			char *s = json_dump(c.arr, true);

			fprintf(app->out, "%s\n", s);
			free(s);
		} else if (table_rows(c.t) == 0) {
			fprintf(app->out, "no changes recorded yet\n");
		} else {
			table_print(c.t, TABLE_TEXT, app->out, app->opt.color);
		}
	} else {
		log_err(&err);
	}
	if (c.arr)
		json_free(c.arr);
	table_free(c.t);
	return rc ? err_exit_code(&err) : EXIT_OK;
}
