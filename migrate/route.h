/*
 * route.h -- split delivery: from the plan and the state store to the
 * gateway's routing table, put in force through gateway/.
 *
 * The table for the current moment has one line per user who lives on a
 * backend other than the plan's default backend (every user when no
 * backend is the default), routed to that backend's route, plus
 * "DOMAIN route-of-the-default" for each domain when the plan says
 * gateway.default_route.  A user the state does not know yet lives where
 * the plan says it starts; a user the state knows but the plan no longer
 * lists is still routed (its mail lives somewhere).  With
 * gateway.recipient_map, a second map lists every address ("OK").
 * Output is sorted: the same state always gives the same bytes.
 *
 * Every version put in force is recorded in the state store with its
 * content and SHA-256 (state_gateway_*): "pending" before the files are
 * renamed, "installed" or "failed" after.  Before writing, the file on
 * disk is compared with the versions we wrote; a file edited by hand
 * stops the write (ERR_CONFIG, the diff in result->diff) unless force.
 *
 * Call route_apply and route_restore_version outside any state
 * transaction: the "pending" record must be committed before the files
 * move.  The caller holds the state lock (state_lock).
 *
 * Used by "migrate gateway" and by the phase engine:
 *	cutover:   move users in the state, then route_apply()
 *	rollback:  route_restore_version(the version before the cutover)
 *	preflight/verify:  route_verify()
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gateway/gateway.h"
#include "util/sbuf.h"

struct app;
struct err;
struct plan;
struct state;

struct route_opts {
	const char *phase;	/* recorded with the version; NULL: none */
	const char *reason;	/* "cutover", "rollback", "migrate gateway"... */
	int64_t run_id;		/* 0: none */
	bool dry_run;		/* fill result->diff, change nothing */
	bool force;		/* overwrite a map edited by hand (warns) */
};

struct route_result {
	int64_t version;		/* transport map version in force, 0 none */
	int64_t recipients_version;	/* recipient map version, 0 none */
	bool changed;			/* something was (or, dry run, would be) written */
	bool map_changed, recipients_changed;	/* which (not for a dry run) */
	size_t n_entries;		/* lines of the transport map */
	struct sbuf diff;		/* dry run: what would change; hand edit: the edit */
};
void route_result_init(struct route_result *r);
void route_result_release(struct route_result *r);

struct route_tables {
	struct gateway_table transport;
	struct gateway_table recipients;	/* empty unless recipient_map */
	char **absent;			/* every known address without a route line */
};
void route_tables_release(struct route_tables *t);

/* Build the tables for where users live now.  st may be NULL (nothing has
 * run: everyone is where the plan says).  ERR_PLAN when the state puts a
 * user on a backend the plan does not have. */
int route_render(const struct plan *p, struct state *st,
		 struct route_tables *t, struct err *err);

/* The absolute path under which a map is known (the state store keys its
 * versions by it): the folder resolved, the file name kept.  New string. */
char *route_map_path(const char *path);

/* A gateway object for the plan's gateway section (gateway_free it). */
struct gateway *route_gateway_new(const struct plan *p, struct err *err);

/*
 * Render from app->state (which may be NULL only for a dry run) and put
 * the maps in force if they differ from what is there: hand-edit check,
 * stage, record "pending", commit (rename, reload, verify), record
 * "installed" and an event.  When nothing differs and the live map
 * answers every entry, nothing is written and result->version is the
 * version in force.  Any failure leaves the previous table in force.
 */
int route_apply(struct app *app, const struct route_opts *o,
		struct route_result *res, struct err *err);

/*
 * Put back the exact bytes of an earlier installed version (of the
 * plan's transport map or recipient map), recorded as a new version with
 * reason o->reason (default "restore of version N").  The same checks and
 * safety as route_apply.  Version 0 ("nothing was in force") is refused:
 * move the users back in the state and call route_apply instead.
 */
int route_restore_version(struct app *app, int64_t version,
			  const struct route_opts *o, struct route_result *res,
			  struct err *err);

/* The live maps answer what the state says: every route line, and no
 * entry for anyone without one.  -1 with the wrong answers in err. */
int route_verify(struct app *app, struct err *err);

/* Wait until the gateway delivers no message that arrived before
 * `before` under an older table (so a delta sync that follows sees all
 * of the old backend's mail).  Warns and returns 0 when some are still
 * in delivery after timeout_s; -1 when the queue cannot be read. */
int route_settle(struct app *app, time_t before, unsigned timeout_s,
		 struct err *err);

/* The TCP target of a route ("smtp:[h]:25", "lmtp:inet:h:24"): 0 with a
 * new lowercase host (no final dot), its port (default 25, 24 for lmtp)
 * and whether it was bracketed (no MX lookup); -1 for unix: or no host. */
int route_target(const char *route, char **host, unsigned *port,
		 bool *bracketed);

/* The last installed version of the plan's transport map, 0 if none. */
int route_current_version(struct app *app, int64_t *version,
			  struct err *err);

#endif
