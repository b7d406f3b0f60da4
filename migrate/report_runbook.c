/*
 * report_runbook.c -- the runbook parts of the report: the DNS records the
 * plan manages and the routing table in force, from the state store.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/report.h"
#include "migrate/route.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

struct dns_ctx {
	struct report *r;
};

static struct report_dns *find_dns(struct report *r, const char *name,
				   const char *type)
{
	size_t i;

	for (i = 0; i < r->n_dns; i++)
		if (!strcmp(r->dns[i].name, name) &&
		    !strcmp(r->dns[i].type, type))
			return &r->dns[i];
	return NULL;
}

static int add_state_record(void *ctx, const struct state_dns_record *sr)
{
	struct dns_ctx *c = ctx;
	struct report_dns *d = find_dns(c->r, sr->name, sr->type);
	const char *state, *rdata;
	long ttl;

	if (!d)
		return 0;
	if (sr->restored_at) {
		state = sr->changed_at ? "changed, TTL restored" : "restored";
	} else if (sr->changed_at) {
		state = "changed, TTL still lowered";
	} else if (sr->lowered_at) {
		state = "TTL lowered";
	} else {
		state = "saved";
	}
	rdata = sr->last_rdata ? sr->last_rdata : sr->orig_rdata;
	ttl = sr->last_ttl >= 0 ? (long)sr->last_ttl : (long)sr->orig_ttl;
	free(d->records);
	free(d->state);
	d->records = xstrdup(rdata);
	d->state = xstrdup(state);
	d->ttl = ttl;
	return 0;
}

int report_runbook_build(struct report *r, const struct plan *p,
			 struct state *st, struct err *err)
{
	struct dns_ctx c = { r };
	size_t i, j, k;

	if (p->dns.present) {
		r->dns = xcalloc(p->dns.n_manage + 1, sizeof *r->dns);
		for (i = 0; i < p->dns.n_manage; i++) {
			struct report_dns *d = &r->dns[r->n_dns++];
			struct sbuf pl;

			d->name = xstrdup(p->dns.manage[i].name);
			d->type = xstrdup(p->dns.manage[i].type);
			d->ttl = -1;
			d->state = xstrdup("untouched");
			sbuf_init(&pl, 4096);
			for (j = 0; j < p->n_phases; j++)
				for (k = 0; k < p->phases[j].n_dns_change; k++) {
					const struct plan_dns_change *dc =
						&p->phases[j].dns_change[k];
					char *const *rec;

					if (strcmp(dc->key.name, d->name) ||
					    strcmp(dc->key.type, d->type))
						continue;
					sbuf_addf(&pl, "%sphase '%s':",
						  pl.len ? "; " : "",
						  p->phases[j].name);
					for (rec = dc->records; rec && *rec;
					     rec++)
						sbuf_addf(&pl, " %s", *rec);
				}
			d->planned = pl.len ? sbuf_detach(&pl, NULL) : NULL;
			sbuf_release(&pl);
		}
		if (st && state_dns_foreach(st, p->dns.zone, add_state_record,
					    &c, err) < 0)
			return -1;
	}
	if (p->gateway.present && st) {
		struct state_gateway_version v;
		char *path = route_map_path(p->gateway.map);
		int rc = state_gateway_last(st, path, &v, err);

		if (rc < 0) {
			free(path);
			return -1;
		}
		r->routing_path = path;
		if (rc == 1) {
			r->routing = xstrdup(v.content);
			r->routing_sha256 = xstrdup(v.sha256);
			r->routing_version = v.id;
			state_gateway_version_release(&v);
		}
	}
	return 0;
}
