/*
 * state.h -- the state store: everything that must outlive a crash.
 *
 * One SQLite file (the only place sqlite3.h is included is state.c):
 * runs, phases and their steps, where each user lives, folder sync state,
 * the message map, original DNS data, every gateway table version written,
 * and an append-only event log.  WAL mode, prepared statements only,
 * schema version in PRAGMA user_version with forward migrations, file mode
 * 0600.  No password or token is ever written here.
 *
 * Ownership: struct state is opaque and owned by the caller of state_open;
 * strings in the structs filled by the query functions below are owned by
 * the struct and released by the matching _release function.
 */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct err;
struct state;

#define STATE_SCHEMA_VERSION 1

enum state_open_flags {
	STATE_READONLY = 0,	/* fail if the file does not exist */
	STATE_CREATE = 1,	/* create (mode 0600) and migrate forward */
};

int state_open(const char *path, int flags, struct state **out,
	       struct err *err);
struct state *state_close(struct state *st);	/* returns NULL */
bool state_exists(const char *path);
int state_schema_version(struct state *st);
const char *state_path(const struct state *st);

/*
 * Run lock: one run at a time on a state file.  Held through a lock file
 * next to the state ("<state>.lock", flock) that records the pid, host and
 * command of the holder; released by state_unlock or when the process dies.
 * A second locker fails at once with "state 'x' is in use by pid N on
 * host H (migrate run, since T)" and retry class RETRY_LATER.
 */
int state_lock(struct state *st, const char *command, struct err *err);
void state_unlock(struct state *st);

/* Transactions (nestable: only the outermost commits). */
int state_begin(struct state *st, struct err *err);
int state_commit(struct state *st, struct err *err);
void state_rollback(struct state *st);

/* Runs. */
int state_run_begin(struct state *st, const char *command, int64_t *run_id,
		    struct err *err);
int state_run_end(struct state *st, int64_t run_id, const char *status,
		  int exit_code, struct err *err);

/* Users: where each one lives now. */
enum state_user_status {
	USER_PENDING = 0, USER_PRESTAGED, USER_CUTOVER, USER_VERIFIED,
	USER_FAILED, USER_ROLLEDBACK,
};
const char *state_user_status_name(enum state_user_status s);

struct state_user {
	char *address;
	char *group;		/* may be NULL */
	char *backend;		/* where the user lives now */
	char *phase;		/* may be NULL */
	enum state_user_status status;
	time_t last_sync;	/* 0: never */
	int64_t src_msgs, src_bytes, dst_msgs, dst_bytes;	/* -1: unknown */
	char *last_error;	/* may be NULL */
	time_t updated;
};
void state_user_release(struct state_user *u);
int state_user_put(struct state *st, const struct state_user *u,
		   struct err *err);
/* 1 found, 0 not found, -1 error. */
int state_user_get(struct state *st, const char *address,
		   struct state_user *u, struct err *err);
/* Calls fn for every user in address order; fn's u is borrowed. */
int state_users_foreach(struct state *st,
			int (*fn)(void *ctx, const struct state_user *u),
			void *ctx, struct err *err);

/* Phases and steps. */
struct state_step {
	char *phase;
	char *step;
	char *status;		/* "started", "done", "failed" */
	time_t started, finished;
	int64_t run_id;
	char *detail;		/* may be NULL */
	char *error;		/* may be NULL */
};
void state_step_release(struct state_step *s);
int state_step_begin(struct state *st, int64_t run_id, const char *phase,
		     const char *step, struct err *err);
int state_step_end(struct state *st, const char *phase, const char *step,
		   const char *status, const char *detail, const char *error,
		   struct err *err);
int state_steps_foreach(struct state *st, const char *phase,
			int (*fn)(void *ctx, const struct state_step *s),
			void *ctx, struct err *err);

/* Phases (state_phase.c).  status: "pending", "running", "done",
 * "done with errors", "failed", "rolling back", "rolled back". */
struct state_phase {
	char *name, *from, *to, *status, *last_error;
	int64_t gateway_before;	/* routing version in force before cutover, 0 none */
	time_t started, finished;
	int64_t run_id;
};
void state_phase_release(struct state_phase *p);
/* 1 found, 0 not found, -1 error. */
int state_phase_get(struct state *st, const char *name, struct state_phase *p,
		    struct err *err);
/* Insert or update every field. */
int state_phase_put(struct state *st, const struct state_phase *p,
		    struct err *err);
int state_phases_foreach(struct state *st,
			 int (*fn)(void *ctx, const struct state_phase *p),
			 void *ctx, struct err *err);
/* Forget a phase's steps (before running it again after a rollback). */
int state_steps_clear(struct state *st, const char *phase, struct err *err);

/* The last run, if any: 1 found, 0 none, -1 error. */
struct state_run {
	int64_t id;
	char *command, *status, *host;
	long pid;
	time_t started, finished;
	int exit_code;
};
void state_run_release(struct state_run *r);
int state_last_run(struct state *st, struct state_run *r, struct err *err);

/* DNS records still lowered (restore pending); fn gets name, type,
 * original ttl, lowered_at. */
int state_dns_lowered_foreach(struct state *st,
			      int (*fn)(void *ctx, const char *name,
					const char *type, long orig_ttl,
					time_t lowered_at),
			      void *ctx, struct err *err);

/* Event log (append-only audit trail). */
struct state_event {
	int64_t id;
	time_t at;
	int64_t run_id;
	const char *phase, *user, *kind, *detail;	/* may be NULL; borrowed */
};
int state_event_add(struct state *st, int64_t run_id, const char *phase,
		    const char *user, const char *kind, const char *detail,
		    struct err *err);
int state_events_foreach(struct state *st,
			 int (*fn)(void *ctx, const struct state_event *e),
			 void *ctx, struct err *err);

/* Free-form metadata (plan path, migration name). */
int state_meta_set(struct state *st, const char *key, const char *value,
		   struct err *err);
/* Returns a new string or NULL when unset. */
char *state_meta_get(struct state *st, const char *key, struct err *err);

#endif
