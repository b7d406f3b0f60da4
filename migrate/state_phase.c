/*
 * state_phase.c -- phase records (see state.h).
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"

void state_phase_release(struct state_phase *p)
{
	free(p->name);
	free(p->from);
	free(p->to);
	free(p->status);
	free(p->last_error);
	memset(p, 0, sizeof *p);
}

#define PHASE_COLUMNS                                                       \
	"name, from_backend, to_backend, status, gateway_before, started, " \
	"finished, run_id, last_error"

static void phase_from_row(struct state_stmt *s, struct state_phase *p)
{
	p->name = state_col_strdup(s, 0);
	p->from = state_col_strdup(s, 1);
	p->to = state_col_strdup(s, 2);
	p->status = state_col_strdup(s, 3);
	p->gateway_before = state_col_int(s, 4);
	p->started = (time_t)state_col_int(s, 5);
	p->finished = (time_t)state_col_int(s, 6);
	p->run_id = state_col_int(s, 7);
	p->last_error = state_col_strdup(s, 8);
}

int state_phase_get(struct state *st, const char *name, struct state_phase *p,
		    struct err *err)
{
	static const char sql[] =
		"SELECT " PHASE_COLUMNS " FROM phases WHERE name = ?1";
	struct state_stmt *s = state_stmt(st, sql, err);
	int rc;

	memset(p, 0, sizeof *p);
	if (!s)
		return -1;
	state_bind_text(s, 1, name);
	rc = state_row(st, s, "phase", err);
	if (rc == 1) {
		phase_from_row(s, p);
		state_stmt_reset(s);
	}
	return rc;
}

int state_phase_put(struct state *st, const struct state_phase *p,
		    struct err *err)
{
	static const char sql[] =
		"INSERT INTO phases (" PHASE_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT (name) DO UPDATE SET "
		"from_backend = excluded.from_backend, "
		"to_backend = excluded.to_backend, status = excluded.status, "
		"gateway_before = excluded.gateway_before, "
		"started = excluded.started, finished = excluded.finished, "
		"run_id = excluded.run_id, last_error = excluded.last_error";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, p->name);
	state_bind_text(s, 2, p->from);
	state_bind_text(s, 3, p->to);
	state_bind_text(s, 4, p->status);
	if (p->gateway_before > 0)
		state_bind_int(s, 5, p->gateway_before);
	state_bind_time(s, 6, p->started);
	state_bind_time(s, 7, p->finished);
	if (p->run_id > 0)
		state_bind_int(s, 8, p->run_id);
	state_bind_text(s, 9, p->last_error);
	return state_exec(st, s, "phase", err);
}

int state_phases_foreach(struct state *st,
			 int (*fn)(void *ctx, const struct state_phase *p),
			 void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT " PHASE_COLUMNS " FROM phases ORDER BY rowid";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_phase p;
	int rc, ret;

	if (!s)
		return -1;
	while ((rc = state_row(st, s, "phases", err)) == 1) {
		phase_from_row(s, &p);
		ret = fn(ctx, &p);
		state_phase_release(&p);
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}

int state_steps_clear(struct state *st, const char *phase, struct err *err)
{
	static const char sql[] = "DELETE FROM steps WHERE phase = ?1";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, phase);
	return state_exec(st, s, "clear steps", err);
}
