/*
 * report.c -- build and render the who-lives-where report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/report.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/json.h"
#include "util/sbuf.h"
#include "util/strmap.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct collect {
	struct strmap *by_addr;		/* address -> struct state_user * */
};

static int collect_user(void *ctx, const struct state_user *u)
{
	struct collect *c = ctx;
	struct state_user *copy = xcalloc(1, sizeof *copy);

	*copy = *u;
	copy->address = xstrdup(u->address);
	copy->group = xstrdup(u->group);
	copy->backend = xstrdup(u->backend);
	copy->phase = xstrdup(u->phase);
	copy->last_error = xstrdup(u->last_error);
	strmap_put(c->by_addr, u->address, copy);
	return 0;
}

static void fill_from_state(struct report_user *ru, const struct state_user *su)
{
	free(ru->backend);
	ru->backend = xstrdup(su->backend);
	if (su->phase) {
		free(ru->phase);
		ru->phase = xstrdup(su->phase);
	}
	ru->status = su->status;
	ru->last_sync = su->last_sync;
	ru->src_msgs = su->src_msgs;
	ru->src_bytes = su->src_bytes;
	ru->dst_msgs = su->dst_msgs;
	ru->dst_bytes = su->dst_bytes;
	ru->last_error = xstrdup(su->last_error);
}

static void count(struct report *r, const struct plan *p)
{
	size_t i, j;

	r->n_phases = p->n_phases;
	r->phases = xcalloc(p->n_phases ? p->n_phases : 1, sizeof *r->phases);
	for (i = 0; i < p->n_phases; i++) {
		r->phases[i].name = p->phases[i].name;
		r->phases[i].from = p->backends[p->phases[i].from].name;
		r->phases[i].to = p->backends[p->phases[i].to].name;
	}
	r->n_backends = p->n_backends;
	r->backends = xcalloc(p->n_backends ? p->n_backends : 1,
			      sizeof *r->backends);
	for (i = 0; i < p->n_backends; i++)
		r->backends[i].name = p->backends[i].name;
	for (i = 0; i < r->n_users; i++) {
		const struct report_user *u = &r->users[i];

		for (j = 0; j < r->n_phases; j++) {
			if (u->phase && !strcmp(u->phase, r->phases[j].name)) {
				r->phases[j].n_users++;
				r->phases[j].by_status[u->status]++;
			}
		}
		for (j = 0; j < r->n_backends; j++)
			if (u->backend && !strcmp(u->backend,
						  r->backends[j].name))
				r->backends[j].n_users++;
	}
}

int report_build(struct report *r, const struct plan *p, struct state *st,
		 struct err *err)
{
	struct collect c = { strmap_new() };
	struct state_user *su;
	const char *key;
	void *val;
	size_t i, pos = 0;
	int rc = 0;

	memset(r, 0, sizeof *r);
	r->migration = p->migration;
	r->plan = p;
	r->generated = timeutil_now();
	if (st) {
		if (state_users_foreach(st, collect_user, &c, err) < 0) {
			rc = -1;
			goto out;
		}
		r->from_state = strmap_count(c.by_addr) > 0;
	}
	r->users = xcalloc(p->n_users + strmap_count(c.by_addr) + 1,
			   sizeof *r->users);
	for (i = 0; i < p->n_users; i++) {
		const struct plan_user *pu = &p->users[i];
		struct report_user *ru = &r->users[r->n_users++];

		ru->address = xstrdup(pu->address);
		ru->group = xstrdup(pu->group);
		ru->backend = xstrdup(pu->backend != PLAN_NONE ?
				      p->backends[pu->backend].name : NULL);
		ru->phase = xstrdup(pu->phase != PLAN_NONE ?
				    p->phases[pu->phase].name : NULL);
		ru->src_msgs = ru->src_bytes = ru->dst_msgs = ru->dst_bytes = -1;
		ru->in_plan = true;
		su = strmap_get(c.by_addr, pu->address);
		if (su) {
			fill_from_state(ru, su);
			su->address[0] = 0;	/* mark as seen */
		}
	}
	/* Users in the state that the plan no longer lists. */
	while (strmap_next(c.by_addr, &pos, &key, &val) == 0) {
		struct report_user *ru;

		su = val;
		if (!su->address[0])
			continue;
		ru = &r->users[r->n_users++];
		ru->address = xstrdup(key);
		ru->group = xstrdup(su->group);
		fill_from_state(ru, su);
	}
	count(r, p);
out:
	pos = 0;
	while (strmap_next(c.by_addr, &pos, &key, &val) == 0) {
		state_user_release(val);
		free(val);
	}
	strmap_free(c.by_addr);
	return rc;
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n_users; i++) {
		free(r->users[i].address);
		free(r->users[i].group);
		free(r->users[i].backend);
		free(r->users[i].phase);
		free(r->users[i].last_error);
	}
	free(r->users);
	free(r->phases);
	free(r->backends);
	for (i = 0; i < r->n_dns; i++) {
		free(r->dns[i].name);
		free(r->dns[i].type);
		free(r->dns[i].records);
		free(r->dns[i].state);
		free(r->dns[i].planned);
	}
	free(r->dns);
	free(r->routing);
	free(r->routing_path);
	free(r->routing_sha256);
	memset(r, 0, sizeof *r);
}
