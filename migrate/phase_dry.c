/*
 * phase_dry.c -- "migrate run --dry-run" and "migrate rollback --dry-run":
 * what the phase would do, with nothing changed (no state file is even
 * created).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/dns.h"
#include "migrate/phase.h"
#include "migrate/state.h"
#include "migrate/sync.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"

/* Where the routing table sends a user who lives on backend b. */
static const char *route_of(const struct plan *p, size_t b)
{
	return p->backends[b].is_default && !p->gateway.default_route ?
		       NULL : p->backends[b].route;
}

int phase_dry_run(struct app *app, size_t idx, bool rollback)
{
	const struct plan *p = app->plan;
	const struct plan_phase *ph = &p->phases[idx];
	size_t from = rollback ? ph->to : ph->from;
	size_t to = rollback ? ph->from : ph->to;
	const char *old_route = route_of(p, from), *new_route = route_of(p, to);
	struct sync_request rq;
	struct sync_summary sum;
	struct err err;
	size_t i;
	int rc = EXIT_OK;

	err_clear(&err);
	fprintf(app->out, "%s phase '%s' (dry run: nothing is changed)\n",
		rollback ? "rolling back" : "running", ph->name);
	fprintf(app->out, "\n%zu user%s would move from '%s' to '%s'\n",
		ph->n_users, ph->n_users == 1 ? "" : "s", p->backends[from].name,
		p->backends[to].name);
	if (p->gateway.present) {
		fprintf(app->out, "\nrouting (%s) after the %s:\n", p->gateway.map,
			rollback ? "rollback" : "cutover");
		for (i = 0; i < ph->n_users; i++) {
			const char *a = p->users[ph->users[i]].address;

			if (old_route)
				fprintf(app->out, "  - %s %s\n", a, old_route);
			if (new_route)
				fprintf(app->out, "  + %s %s\n", a, new_route);
		}
	} else {
		fprintf(app->out, "\nno gateway in the plan: mail routing is "
			"not changed\n");
	}
	if (ph->n_dns_change) {
		struct dns_req dq = { ph->name, 0, true, false, true, rollback,
				      app->out };
		struct dns_result dr;

		fprintf(app->out, "\nDNS:\n");
		memset(&dr, 0, sizeof dr);
		if ((rollback ? dns_restore(app, &dq, &dr, &err) :
				dns_change(app, &dq, &dr, &err)) < 0) {
			log_err(&err);
			err_clear(&err);
			rc = EXIT_UNAVAILABLE;
		}
	}
	fprintf(app->out, "\nmail to copy (%s):\n",
		rollback ? "reverse delta" : "prestage");
	memset(&rq, 0, sizeof rq);
	rq.phase = idx;
	rq.users = ph->users;
	rq.n_users = ph->n_users;
	rq.mode = rollback ? SYNC_REVERSE : SYNC_COPY;
	rq.dry_run = true;
	rq.jobs = app->opt.jobs;
	memset(&sum, 0, sizeof sum);
	if (ph->n_users && sync_run(app, &rq, &sum, &err) < 0) {
		log_err(&err);
		return err_exit_code(&err);
	}
	if (ph->n_users && sum.failed) {
		fprintf(app->out, "\n%zu user%s would fail (see above)\n",
			sum.failed, sum.failed == 1 ? "" : "s");
		rc = EXIT_PARTIAL;
	}
	sync_summary_release(&sum);
	return rc;
}
