/*
 * report.h -- who lives where: the model behind "migrate report" and
 * "migrate status", built from the plan and (if it exists) the state.
 *
 * Before any run every user is where the plan says it starts; after, the
 * state store is the truth.  Users the state knows but the plan no longer
 * lists are kept (in_plan false), since their mail still lives somewhere.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "migrate/app.h"
#include "migrate/state.h"

struct err;
struct plan;

struct report_user {
	char *address, *group, *backend, *phase, *last_error;
	enum state_user_status status;
	time_t last_sync;
	int64_t src_msgs, src_bytes, dst_msgs, dst_bytes;	/* -1 unknown */
	bool in_plan;
};

#define REPORT_N_STATUS (USER_ROLLEDBACK + 1)

struct report_phase {
	const char *name, *from, *to;	/* borrowed from the plan */
	size_t n_users;
	size_t by_status[REPORT_N_STATUS];
};

struct report_backend {
	const char *name;		/* borrowed from the plan */
	size_t n_users;
};

/* A DNS record the plan manages, as the state last saw it. */
struct report_dns {
	char *name, *type;
	char *records;			/* one per line: what is served now, as far as we know */
	long ttl;			/* -1 unknown */
	char *state;			/* "untouched", "TTL lowered", "changed", "restored" */
	char *planned;			/* "phase 'x': 10 mx.example." or NULL */
};

struct report {
	const char *migration;		/* borrowed */
	const struct plan *plan;	/* borrowed */
	/* runbook parts (report_runbook_build) */
	struct report_dns *dns;
	size_t n_dns;
	char *routing;			/* the transport map in force, or NULL */
	char *routing_path, *routing_sha256;
	int64_t routing_version;
	time_t generated;
	bool from_state;		/* false: nothing has run yet */
	struct report_user *users;
	size_t n_users;
	struct report_phase *phases;
	size_t n_phases;
	struct report_backend *backends;
	size_t n_backends;
};

/* st may be NULL (no state yet). */
int report_build(struct report *r, const struct plan *p, struct state *st,
		 struct err *err);
void report_release(struct report *r);

/* Add the runbook parts: DNS records and the routing table in force
 * (report_runbook.c).  st may be NULL. */
int report_runbook_build(struct report *r, const struct plan *p,
			 struct state *st, struct err *err);

int report_write(const struct report *r, enum app_format fmt, FILE *out,
		 bool tty);
/* The self-contained HTML page (report_html.c). */
void report_write_html(const struct report *r, FILE *out);

#endif
