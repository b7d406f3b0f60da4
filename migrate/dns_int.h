/*
 * dns_int.h -- private to migrate/dns*.c: the session shared by the DNS
 * operations (see dns.h).
 */
#ifndef DNS_INT_H
#define DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "dnsctl/dnsctl.h"
#include "migrate/dns.h"
#include "util/sbuf.h"

struct app;
struct err;
struct plan_dns_change;
struct state_dns_record;

/* One RRset in scope. */
struct dns_key {
	const char *name, *type;		/* borrowed from the plan */
	const struct plan_dns_change *dc;	/* change: the new records */
};

struct dns_sess {
	struct app *app;
	const struct dns_req *req;
	struct dns_result *res;
	FILE *out;
	const char *zone;		/* the plan's, canonical */
	struct sbuf key;		/* the resolved secret; wiped */
	struct dnsctl *d;
	char **servers;			/* to verify; NULL until needed */
};

int dns_sess_open(struct dns_sess *s, struct app *app,
		  const struct dns_req *req, struct dns_result *res,
		  struct err *err);
void dns_sess_close(struct dns_sess *s);

/* The phase's dns_change records, or (phase NULL) every managed one. */
int dns_scope(struct dns_sess *s, struct dns_key **keys, size_t *n,
	      struct err *err);
/* The state row (1), none (0: also without a state), -1. */
int dns_row_get(struct dns_sess *s, const char *name, const char *type,
		struct state_dns_record *r, struct err *err);
int dns_row_put(struct dns_sess *s, const struct state_dns_record *r,
		struct err *err);
/* Read an RRset that must exist (ERR_PLAN "no RRset" otherwise). */
int dns_read(struct dns_sess *s, const char *name, const char *type,
	     struct dnsctl_rrset *out, struct err *err);
/* Records joined by "\n" (new string). */
char *dns_join(const struct dnsctl_rrset *rs);
/* Print "- old" / "+ new" lines for one RRset (cur may be empty). */
void dns_print_diff(struct dns_sess *s, const char *what,
		    const struct dnsctl_rrset *cur,
		    const struct dnsctl_rrset *want);
void dns_event(struct dns_sess *s, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Test-only: MIGRATE_TEST_CRASH_AFTER=NAME ends the process (exit 99)
 * here, as a kill -9 would. */
void dns_crash_point(const char *name);
/* The servers to ask (dns 'servers', else the NS set), into s->servers:
 * called before a change, so that a plan that cannot be verified stops
 * before anything is changed. */
int dns_servers(struct dns_sess *s, struct err *err);
/* Ask every server about the keys (their current RRsets as the provider
 * has them) until they agree or MIGRATE_DNS_SETTLE runs out.  print: the
 * full report on s->out.  0 all agree; -1 with a RETRY_LATER error. */
int dns_settle(struct dns_sess *s, const struct dns_key *keys, size_t n,
	       bool wait, bool print, struct err *err);
void dns_summary(struct dns_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
