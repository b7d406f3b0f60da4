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

#define STATE_SCHEMA_VERSION 2

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
/* Bulk mode (a sync's many small commits): on, commits no longer wait
 * for the disk (synchronous = NORMAL in WAL mode: a crash of the process
 * loses nothing; a crash of the machine may lose the last commits, which
 * the sync engine finds again by content identity); off, everything
 * written so far is made durable at once and every later commit waits
 * for the disk again. */
int state_bulk(struct state *st, bool on, struct err *err);
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

/* ---- DNS records (state_dns.c; DNS control) ---------------------------
 * One row per RRset that migrate touched: its original records and TTL,
 * saved before any change, then each step of lower / change / restore.
 * Every "..._at" is recorded before the side effect it names where a
 * crash in between matters (lowered_at, changed_rdata) and after it where
 * it confirms (safe_after, changed_at, restored_at).  Records are stored
 * one per line in canonical form (dnsctl_rrset_join(rs, "\n")).
 */
struct state_dns_record {
	char *zone, *name, *type;
	char *phase;		/* the phase that lowered it; NULL: none */
	int64_t orig_ttl;
	char *orig_rdata;	/* before we touched it */
	time_t saved_at;
	int64_t lowered_ttl;	/* -1: not lowered */
	time_t lowered_at;	/* 0: not lowered (set before the change) */
	time_t safe_after;	/* 0: not yet seen lowered on every server */
	int64_t prev_ttl;	/* -1: none */
	char *prev_rdata;	/* the RRset before our record change, or NULL */
	char *changed_rdata;	/* what a change asked for (set before it) */
	time_t changed_at;	/* 0: change not confirmed */
	int64_t last_ttl;	/* what we last wrote; -1: nothing yet */
	char *last_rdata;
	time_t restored_at;	/* 0: not restored */
};
void state_dns_record_release(struct state_dns_record *r);
/* 1 found, 0 not found, -1 error. */
int state_dns_get(struct state *st, const char *zone, const char *name,
		  const char *type, struct state_dns_record *r,
		  struct err *err);
/* Insert or update every field of the row (zone, name, type). */
int state_dns_put(struct state *st, const struct state_dns_record *r,
		  struct err *err);
/* Every row of the zone (every zone if NULL), by name and type; r is
 * borrowed for the call. */
int state_dns_foreach(struct state *st, const char *zone,
		      int (*fn)(void *ctx, const struct state_dns_record *r),
		      void *ctx, struct err *err);

/* ---- gateway table versions (state_gateway.c) -------------------------
 * Every version of a gateway map that migrate tried to put in force, with
 * its exact content and SHA-256.  A version is recorded "pending" before
 * the files are renamed into place, then marked "installed" or "failed",
 * so that after a crash the file on disk is still recognised as ours.
 */
struct state_gateway_version {
	int64_t id;
	time_t created;
	int64_t run_id;		/* 0: none */
	char *phase;		/* may be NULL */
	char *kind;		/* "postfix" */
	char *path;		/* the map's source file */
	char *sha256;		/* hex of content */
	char *content;		/* NUL-terminated; len bytes */
	size_t len;
	char *reason;		/* may be NULL */
	char *status;		/* "pending", "installed", "failed" */
	char *error;		/* may be NULL */
};
void state_gateway_version_release(struct state_gateway_version *v);
/* Record a version (status as given in v, "pending" if NULL; sha256
 * computed when NULL); *id is its id. */
int state_gateway_add(struct state *st, const struct state_gateway_version *v,
		      int64_t *id, struct err *err);
int state_gateway_set_status(struct state *st, int64_t id, const char *status,
			     const char *error, struct err *err);
/* 1 found, 0 none, -1 error. */
int state_gateway_get(struct state *st, int64_t id,
		      struct state_gateway_version *v, struct err *err);
/* The last installed version of the map at path. */
int state_gateway_last(struct state *st, const char *path,
		       struct state_gateway_version *v, struct err *err);
/* Versions of the map at path with id > after, oldest first; v borrowed. */
int state_gateway_foreach(struct state *st, const char *path, int64_t after,
			  int (*fn)(void *ctx,
				    const struct state_gateway_version *v),
			  void *ctx, struct err *err);

/* ---- folder sync state and the message map (state_sync.c; sync) -----
 * What the IMAP sync engine copied, per user and direction ("forward":
 * a phase's from -> to; "reverse": to -> from after a rollback).  The
 * engine reaches these only through migrate/sync.c.  Rows are in the
 * orientation of the sync that wrote them; state_msgmap_foreach can add
 * the other direction's rows turned around, so a reverse sync knows what
 * the forward one paired.  No message content is stored: identities are
 * SHA-256 digests.
 */
struct state_folder {
	char *src_folder, *dst_folder;		/* UTF-8 */
	int64_t src_uidvalidity, src_last_uid, src_highestmodseq;
	int64_t dst_uidvalidity, dst_last_uid, dst_highestmodseq;
	int64_t msgs, bytes;			/* source MESSAGES, paired bytes */
	time_t updated;
};
void state_folder_release(struct state_folder *f);

struct state_msg {			/* one pair; strings borrowed */
	int64_t src_uid, dst_uid;		/* dst_uid 0: none or unknown */
	const void *identity;
	size_t identity_len;
	int64_t size;
	const char *flags;			/* as last synced, may be NULL */
	const char *status;			/* "copied", "matched", "skipped" */
	const char *note;			/* may be NULL */
};

/* 1 found, 0 none, -1 error. */
int state_folder_get(struct state *st, const char *user, const char *direction,
		     const char *src_folder, struct state_folder *f,
		     struct err *err);
int state_folder_put(struct state *st, const char *user, const char *direction,
		     const struct state_folder *f, struct err *err);
/* Every folder row of the user and direction (every user if NULL). */
int state_folders_foreach(struct state *st, const char *user,
			  const char *direction,
			  int (*fn)(void *ctx, const char *user,
				    const struct state_folder *f),
			  void *ctx, struct err *err);
/* Insert or replace one pair (call inside state_begin/state_commit). */
int state_msgmap_put(struct state *st, const char *user, const char *direction,
		     const char *src_folder, int64_t src_uidvalidity,
		     const char *dst_folder, int64_t dst_uidvalidity,
		     const struct state_msg *m, struct err *err);
/* The pairs of a folder pair under two UIDVALIDITYs; with `both`, also
 * the other direction's rows for the same folders, turned around (a row
 * of this direction wins over a turned one for the same source UID). */
int state_msgmap_foreach(struct state *st, const char *user,
			 const char *direction, bool both,
			 const char *src_folder, int64_t src_uidvalidity,
			 const char *dst_folder, int64_t dst_uidvalidity,
			 int (*fn)(void *ctx, const struct state_msg *m),
			 void *ctx, struct err *err);
/* Forget pairs: of the listed source UIDs (n > 0; turned rows of the
 * other direction too), or every pair of the source folder under other
 * UIDVALIDITYs or another destination folder (uids NULL). */
int state_msgmap_forget(struct state *st, const char *user,
			const char *direction, const char *src_folder,
			int64_t src_uidvalidity, const char *dst_folder,
			int64_t dst_uidvalidity, const int64_t *uids, size_t n,
			struct err *err);
/* The digest of a user's source listing at the end of the last sync
 * (in this direction) that examined both sides completely: 1 found (32
 * bytes in digest), 0 none, -1 error.  put with NULL forgets it, so the
 * next sync examines both sides again. */
#define STATE_LISTING_LEN 32
int state_listing_get(struct state *st, const char *user,
		      const char *direction,
		      unsigned char digest[STATE_LISTING_LEN], struct err *err);
int state_listing_put(struct state *st, const char *user,
		      const char *direction, const unsigned char *digest,
		      struct err *err);

/* Pairs of a user (every user if NULL): count and bytes. */
int state_msgmap_count(struct state *st, const char *user, int64_t *msgs,
		       int64_t *bytes, struct err *err);

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
