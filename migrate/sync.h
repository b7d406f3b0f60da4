/*
 * sync.h -- mail copies for a set of users: the plan's backends and
 * folders, the users' secrets and the state store turned into IMAP sync
 * jobs (imapsync/imapsync.h), run in parallel, results recorded.
 *
 * Used by "migrate sync" and by the phase engine's prestage, delta,
 * reverse-delta and verify steps.  One user's failure never stops the
 * others; each user's outcome is recorded in the users table
 * (state_user_put: status, last sync, counts, last error) and the event
 * log.  Secrets are resolved here (util/secret.h), registered with the
 * log redactor, handed to the engine and wiped; none reaches the state.
 *
 * Threads: sync_run starts up to rq->jobs worker threads, each with its
 * own IMAP sessions; every access to the state store goes through one
 * lock held by this module.
 */
#ifndef SYNC_H
#define SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct app;
struct err;

enum sync_mode {
	SYNC_COPY = 0,		/* prestage / delta: phase from -> to */
	SYNC_REVERSE,		/* reverse delta: to -> from, after a rollback */
	SYNC_VERIFY,		/* compare both sides, change nothing */
};

enum sync_flags {
	SYNC_FLAGS_AUTO = 0,	/* keep the destination's own flag changes
				 * for users already cut over */
	SYNC_FLAGS_SOURCE,	/* the source's flags win */
	SYNC_FLAGS_KEEP_DST,	/* never undo a change made on the destination */
};

struct sync_request {
	size_t phase;			/* index into plan->phases */
	const size_t *users;		/* indices into plan->users */
	size_t n_users;
	enum sync_mode mode;
	enum sync_flags flags;
	bool expunge;			/* propagate source expunges */
	bool dry_run;			/* list what would be copied */
	bool recheck;			/* examine both sides even when the
					 * source shows nothing moved */
	unsigned jobs;			/* users in parallel; 0: the backends' */
	int64_t run_id;			/* for the event log; 0: none */
	bool progress;			/* a live progress line (on a TTY) */
	bool quiet;			/* no per-user lines on app->out */
};

struct sync_user_result {
	size_t user;			/* index into plan->users */
	bool ok;
	bool unreachable;		/* failed with a temporary error */
	bool auth;			/* failed because a login was refused */
	uint64_t copied, bytes, matched, skipped, flags_set, expunged;
	uint64_t src_msgs, dst_msgs;
	size_t missing, extra, flag_diffs;	/* SYNC_VERIFY */
	bool differs;				/* SYNC_VERIFY: any difference */
	char *error;			/* NULL when ok */
};

struct sync_summary {
	struct sync_user_result *users;	/* one per requested user, in order */
	size_t n_users;
	size_t ok, failed, unreachable;
	uint64_t copied, bytes;
	double seconds;
};

void sync_summary_release(struct sync_summary *s);

/* Run the request.  Returns 0 when it ran (look at the summary for
 * failed users), -1 when it could not start (bad request, state
 * unavailable; err set).  app->plan must be loaded; app->state must be
 * open unless dry_run (then it is read when present). */
int sync_run(struct app *app, const struct sync_request *rq,
	     struct sync_summary *sum, struct err *err);

/* Check that the credentials of the phase's backends can be loaded
 * (credentials file present, mode 0600, readable; master secret
 * resolvable), before anything is recorded.  0 or -1 (err set). */
int sync_preflight(struct app *app, size_t phase, struct err *err);

/* The exit code for a summary: 0, 3 (some users failed) or 75 (some
 * could not reach a server: run again). */
int sync_exit_code(const struct sync_summary *sum);

#endif
