/*
 * checks.h -- checks that "migrate check" runs after the plan loads, one
 * entry point per engine.  Each prints its findings (stderr, one line each,
 * "migrate: error: ..." / "migrate: warning: ...") and returns the number
 * of errors found (warnings do not count).
 */
#ifndef CHECKS_H
#define CHECKS_H

struct app;

int check_gateway(struct app *app);	/* check_gateway.c */
int check_dns(struct app *app);		/* check_dns.c */

#endif
