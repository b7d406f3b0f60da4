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
/* check_live.c: "migrate check --live": asks the servers (DNS, SMTP, the
 * gateway, HTTPS for MTA-STS) and prints one OK / WARN / FAIL / SKIP line
 * per finding on app->out (or JSON with --json).  Returns the number of
 * FAIL results. */
int check_live(struct app *app);

#endif
