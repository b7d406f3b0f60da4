/*
 * check_dns.c -- the DNS checks of "migrate check" (see checks.h).
 *
 * The plan's DNS section is validated statically by plans/ (names inside
 * the zone, records listed in 'manage', endpoints).  A live check -- the
 * provider answers and takes the key, without changing anything -- runs
 * only when asked (app->opt.live), so that "migrate check" works with no
 * network by default.
 */
#include "migrate/app.h"
#include "migrate/checks.h"
#include "migrate/dns.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"

int check_dns(struct app *app)
{
	struct err err;

	if (!app->plan || !app->plan->dns.present || !app->opt.live)
		return 0;
	err_clear(&err);
	if (dns_ping(app, &err) < 0) {
		log_err(&err);
		return 1;
	}
	log_info(LOGC_DNS, "dns provider '%s' answers for zone '%s'",
		 plan_dns_provider_name(app->plan->dns.provider),
		 app->plan->dns.zone);
	return 0;
}
