/*
 * reconcile.h -- bring the state store in line with the plan before a
 * command that changes anything.
 *
 * Plans change between runs: users are added to later phases, groups are
 * reshuffled.  Those edits are picked up: a user the state does not know
 * is added where the plan says it starts; a user that has not moved yet
 * follows the plan's phase and group.  Edits that contradict what already
 * happened are refused with ERR_PLAN and nothing is changed: a phase that
 * ran and is gone from the plan or moves between other backends now, a
 * user that already moved and is now put in another phase, a state that
 * belongs to another migration.
 */
#ifndef RECONCILE_H
#define RECONCILE_H

struct app;
struct err;

/* app->plan loaded and app->state open.  One transaction. */
int reconcile(struct app *app, struct err *err);

#endif
