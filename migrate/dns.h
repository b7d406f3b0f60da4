/*
 * dns.h -- the plan's DNS records: lower their TTLs ahead of a change,
 * change them, put the TTLs (and on rollback the records) back, and check
 * every authoritative server.  The glue between the plan, the state store
 * and dnsctl/; used by "migrate dns" and by the phase engine.
 *
 * Scope: with req->phase, the records that phase changes (its
 * dns_change); without, every record in dns 'manage' (lower, verify) or
 * every record still lowered in the state (restore).
 *
 * Each operation is idempotent and resumable: run it again after any
 * interruption and it finishes the job, never taking a TTL it lowered
 * itself for an original.  The order of events for each RRset:
 *
 *	lower	the original records and TTL are saved in the state FIRST,
 *		with the intent to lower; then the provider is changed; then
 *		every authoritative server is asked, and once all serve the
 *		low TTL, safe_after = now + the original TTL is recorded
 *	change	refused before safe_after (RETRY_LATER, exit 75, with the
 *		time it will be safe), unless req->wait (sleeps until then)
 *		or req->force (warns); saves the RRset it replaces, then
 *		changes it, then verifies
 *	restore	the original TTL back (keeping the current records; with
 *		req->rollback, the original records too), then verifies
 *	verify	the provider serves what migrate last wrote and every
 *		server serves what the provider says, with agreeing SOA
 *		serials; records safe_after for a lower not yet confirmed
 *
 * Servers asked: dns 'servers' of the plan, else the zone's NS set read
 * through the provider (in-zone names only: no resolver is ever asked).
 * After a change, servers get MIGRATE_DNS_SETTLE seconds (default 10) to
 * agree before the operation reports them as lagging (RETRY_LATER).
 *
 * Errors: the provider's (dnsctl.h): ERR_AUTH for a refused key, ERR_REMOTE
 * RETRY_LATER (exit 75) when unreachable or lagging, ERR_PLAN for a record
 * outside the zone or without an RRset; ERR_USAGE for a change of a record
 * that was never lowered.  The key is resolved with util/secret.h and
 * never logged.  app->state must be open (created) unless req->dry_run or
 * for dns_verify, which work without a state file.
 */
#ifndef DNS_H
#define DNS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct app;
struct err;

struct dns_req {
	const char *phase;	/* NULL: every managed / lowered record */
	int64_t run_id;		/* for the event log; 0: none */
	bool dry_run;		/* print the record diff, change nothing */
	bool wait;		/* change: sleep until safe, not refuse */
	bool force;		/* change: go on although not lowered/safe */
	bool rollback;		/* restore: put the original records back too */
	FILE *out;		/* diff and report lines; NULL: app->out */
};

struct dns_result {
	unsigned changed;	/* RRsets changed at the provider */
	unsigned unchanged;	/* RRsets already as wanted */
	char summary[256];	/* one line: "lowered 2 TTLs to 300" */
};

int dns_lower(struct app *app, const struct dns_req *req,
	      struct dns_result *res, struct err *err);
int dns_change(struct app *app, const struct dns_req *req,
	       struct dns_result *res, struct err *err);
int dns_restore(struct app *app, const struct dns_req *req,
		struct dns_result *res, struct err *err);
int dns_verify(struct app *app, const struct dns_req *req,
	       struct dns_result *res, struct err *err);
/* The provider answers and takes the key (changes nothing). */
int dns_ping(struct app *app, struct err *err);

#endif
