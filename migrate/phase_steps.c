/*
 * phase_steps.c -- what each step of a phase does (see phase.h).
 */
#include <stddef.h>

#include "migrate/app.h"
#include "migrate/phase.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/sbuf.h"

static int not_available(struct phase_run *pr, struct sbuf *detail,
			 struct err *err)
{
	(void)pr, (void)detail;
	return err_set(err, ERR_INTERNAL, RETRY_NEVER,
		       "this step's engine is not in this build");
}

const struct phase_step phase_run_steps[] = {
	{ "preflight", not_available },	{ "lower-ttl", not_available },
	{ "prestage", not_available },	{ "cutover", not_available },
	{ "delta", not_available },	{ "verify", not_available },
	{ "dns", not_available },	{ "restore-ttl", not_available },
};
const size_t phase_n_run_steps = sizeof phase_run_steps /
				 sizeof *phase_run_steps;

const struct phase_step phase_rollback_steps[] = {
	{ "rollback:route-back", not_available },
	{ "rollback:reverse-delta", not_available },
	{ "rollback:dns-undo", not_available },
	{ "rollback:restore-ttl", not_available },
	{ "rollback:release", not_available },
};
const size_t phase_n_rollback_steps = sizeof phase_rollback_steps /
				      sizeof *phase_rollback_steps;
