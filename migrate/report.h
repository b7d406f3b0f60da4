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

struct report {
	const char *migration;		/* borrowed */
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

int report_write(const struct report *r, enum app_format fmt, FILE *out,
		 bool tty);

#endif
