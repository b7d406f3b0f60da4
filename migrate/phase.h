/*
 * phase.h -- the phase engine: run a phase through its steps, or roll it
 * back, recording every step in the state store so that running the same
 * command again after any interruption continues where it stopped.
 *
 * Steps of a run (DESIGN.md): preflight, lower-ttl, prestage, cutover,
 * delta, verify, dns, restore-ttl.  Steps of a rollback: route-back,
 * reverse-delta, dns-undo, restore-ttl, release.  Each step records
 * "started" before its side effects and "done" after; a step found
 * "started" on resume is run again (every step is idempotent).
 *
 * One user's failure never stops the others: users who fail preflight or
 * prestage are not cut over (they stay routed to the source) and the
 * phase ends "done with errors" (exit 3) unless --force.
 */
#ifndef PHASE_H
#define PHASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct err;
struct sbuf;
struct plan_phase;

/* The state a step function works on. */
struct phase_run {
	struct app *app;
	const struct plan_phase *ph;
	size_t idx;			/* index of ph in the plan */
	int64_t run_id;
	bool rollback;
	bool *failed;			/* per member of ph->users: excluded */
	size_t n_failed;
};

/* A step: fills detail with a one-line summary for status.  Returns 0 done,
 * 1 skipped (nothing to do), -1 failed (err set). */
typedef int (*phase_step_fn)(struct phase_run *pr, struct sbuf *detail,
			     struct err *err);

struct phase_step {
	const char *name;
	phase_step_fn fn;
};

/* phase_steps.c */
extern const struct phase_step phase_run_steps[];
extern const size_t phase_n_run_steps;
extern const struct phase_step phase_rollback_steps[];
extern const size_t phase_n_rollback_steps;

/* Mark a member failed (and record why in the users table). */
int phase_fail_user(struct phase_run *pr, size_t member, const char *why,
		    struct err *err);

/* Show what running (or rolling back) the phase would do; change
 * nothing, not even the state file (phase_dry.c).  Returns an exit code. */
int phase_dry_run(struct app *app, size_t idx, bool rollback);

/* The phase "migrate run" picks without --phase: an interrupted one, else
 * the first not done.  PLAN_NONE when every phase is done. */
size_t phase_next(struct app *app, struct err *err);

#endif
