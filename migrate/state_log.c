/*
 * state_log.c -- phase steps, the event log and lowered DNS records
 * (see state.h).
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"
#include "util/timeutil.h"

void state_step_release(struct state_step *s)
{
	free(s->phase);
	free(s->step);
	free(s->status);
	free(s->detail);
	free(s->error);
	memset(s, 0, sizeof *s);
}

int state_step_begin(struct state *st, int64_t run_id, const char *phase,
		     const char *step, struct err *err)
{
	static const char sql[] =
		"INSERT INTO steps (phase, step, status, started, run_id) "
		"VALUES (?1, ?2, 'started', ?3, ?4) "
		"ON CONFLICT (phase, step) DO UPDATE SET status = 'started', "
		"started = excluded.started, finished = NULL, "
		"run_id = excluded.run_id, error = NULL";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, phase);
	state_bind_text(s, 2, step);
	state_bind_time(s, 3, timeutil_now());
	state_bind_int(s, 4, run_id);
	return state_exec(st, s, "step begin", err);
}

int state_step_end(struct state *st, const char *phase, const char *step,
		   const char *status, const char *detail, const char *error,
		   struct err *err)
{
	static const char sql[] =
		"UPDATE steps SET status = ?3, finished = ?4, detail = ?5, "
		"error = ?6 WHERE phase = ?1 AND step = ?2";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, phase);
	state_bind_text(s, 2, step);
	state_bind_text(s, 3, status);
	state_bind_time(s, 4, timeutil_now());
	state_bind_text(s, 5, detail);
	state_bind_text(s, 6, error);
	return state_exec(st, s, "step end", err);
}

int state_steps_foreach(struct state *st, const char *phase,
			int (*fn)(void *ctx, const struct state_step *s),
			void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT phase, step, status, started, finished, run_id, "
		"detail, error FROM steps WHERE ?1 IS NULL OR phase = ?1 "
		"ORDER BY started, rowid";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_step x;
	int rc, ret;

	if (!s)
		return -1;
	state_bind_text(s, 1, phase);
	while ((rc = state_row(st, s, "steps", err)) == 1) {
		x.phase = state_col_strdup(s, 0);
		x.step = state_col_strdup(s, 1);
		x.status = state_col_strdup(s, 2);
		x.started = (time_t)state_col_int(s, 3);
		x.finished = (time_t)state_col_int(s, 4);
		x.run_id = state_col_int(s, 5);
		x.detail = state_col_strdup(s, 6);
		x.error = state_col_strdup(s, 7);
		ret = fn(ctx, &x);
		state_step_release(&x);
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}

int state_dns_lowered_foreach(struct state *st,
			      int (*fn)(void *ctx, const char *name,
					const char *type, long orig_ttl,
					time_t lowered_at),
			      void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT name, type, orig_ttl, lowered_at FROM dns_records "
		"WHERE lowered_at IS NOT NULL AND restored_at IS NULL "
		"ORDER BY name, type";
	struct state_stmt *s = state_stmt(st, sql, err);
	int rc, ret;

	if (!s)
		return -1;
	while ((rc = state_row(st, s, "dns records", err)) == 1) {
		ret = fn(ctx, state_col_text(s, 0), state_col_text(s, 1),
			 (long)state_col_int(s, 2),
			 (time_t)state_col_int(s, 3));
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}

int state_event_add(struct state *st, int64_t run_id, const char *phase,
		    const char *user, const char *kind, const char *detail,
		    struct err *err)
{
	static const char sql[] =
		"INSERT INTO events (at, run_id, phase, user, kind, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_time(s, 1, timeutil_now());
	if (run_id > 0)
		state_bind_int(s, 2, run_id);
	state_bind_text(s, 3, phase);
	state_bind_text(s, 4, user);
	state_bind_text(s, 5, kind);
	state_bind_text(s, 6, detail);
	return state_exec(st, s, "event", err);
}

int state_events_foreach(struct state *st,
			 int (*fn)(void *ctx, const struct state_event *e),
			 void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT id, at, run_id, phase, user, kind, detail FROM events "
		"ORDER BY id";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_event e;
	int rc, ret;

	if (!s)
		return -1;
	while ((rc = state_row(st, s, "events", err)) == 1) {
		e.id = state_col_int(s, 0);
		e.at = (time_t)state_col_int(s, 1);
		e.run_id = state_col_int(s, 2);
		e.phase = state_col_text(s, 3);
		e.user = state_col_text(s, 4);
		e.kind = state_col_text(s, 5);
		e.detail = state_col_text(s, 6);
		ret = fn(ctx, &e);
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}
