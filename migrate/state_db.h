/*
 * state_db.h -- the statement layer of the state store, private to
 * migrate/state*.c.
 *
 * state.c is the only file that includes sqlite3.h; it exposes prepared
 * statements through this small API so that each area of the store
 * (users, steps, DNS, gateway versions, folder sync, the message map)
 * lives in its own state_*.c file.  Statements are cached per SQL string
 * address, so pass static strings.  Everything is bound, never spliced.
 */
#ifndef STATE_DB_H
#define STATE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;
struct state;
struct state_stmt;

/* A reset statement for a static SQL string, or NULL (err set). */
struct state_stmt *state_stmt(struct state *st, const char *sql,
			      struct err *err);
void state_bind_text(struct state_stmt *s, int i, const char *v);	/* NULL -> NULL */
void state_bind_blob(struct state_stmt *s, int i, const void *v, size_t len);
void state_bind_int(struct state_stmt *s, int i, int64_t v);
void state_bind_null(struct state_stmt *s, int i);
void state_bind_time(struct state_stmt *s, int i, time_t t);	/* 0 -> NULL */
void state_bind_count(struct state_stmt *s, int i, int64_t v);	/* <0 -> NULL */

/* 1: a row is ready, 0: done (statement reset), -1: error (reset). */
int state_row(struct state *st, struct state_stmt *s, const char *what,
	      struct err *err);
/* Run to completion (no rows expected).  0 or -1. */
int state_exec(struct state *st, struct state_stmt *s, const char *what,
	       struct err *err);
void state_stmt_reset(struct state_stmt *s);

bool state_col_null(struct state_stmt *s, int i);
const char *state_col_text(struct state_stmt *s, int i);	/* borrowed until the next step */
char *state_col_strdup(struct state_stmt *s, int i);		/* NULL stays NULL */
int64_t state_col_int(struct state_stmt *s, int i);
int64_t state_col_count(struct state_stmt *s, int i);		/* NULL -> -1 */
const void *state_col_blob(struct state_stmt *s, int i, size_t *len);
int64_t state_last_rowid(struct state *st);
int state_changes(struct state *st);

#endif
