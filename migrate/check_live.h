/*
 * check_live.h -- private to migrate/check_live*.c: the live checks of
 * "migrate check --live" (entry point check_live() in checks.h).
 *
 * Each check adds results: a status, the check's name, its subject (a
 * server, a host:port, a domain) and a one-line reason.  Nothing is
 * changed anywhere: DNS is only asked (the plan's servers, never the
 * system resolver), SMTP sessions end with RSET/QUIT before any DATA,
 * the gateway's map and queue are only read.
 *
 *	check_live.c		results, output, the DNS checks (MX layout,
 *				TTL, addresses, forward-confirmed reverse DNS)
 *	check_live_smtp.c	SMTP, STARTTLS, certificates, backup MX RCPT
 *				probes, the gateway (routes, loops, queue,
 *				disk)
 *	check_live_policy.c	SPF and MTA-STS
 */
#ifndef CHECK_LIVE_H
#define CHECK_LIVE_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct plan;
struct plan_mx;
struct plan_smtp_host;

enum live_status { LIVE_OK = 0, LIVE_WARN, LIVE_FAIL, LIVE_SKIP };

struct live_result {
	enum live_status status;
	char *check;		/* "mx-layout", "smtp", ... */
	char *subject;		/* "127.0.0.1:53", "mx1.example.com:25" */
	char *reason;		/* one line */
};

/* What was learnt about one host name: its addresses, through the plan's
 * DNS servers (or the 'connect' overrides). */
struct live_host {
	char *name;
	char **addrs;		/* NULL-terminated; NULL: none found */
	char *cname;		/* the name is an alias of this one, or NULL */
	bool answered;		/* some server answered for it */
	char *error;		/* why nobody answered, or NULL */
};

struct live {
	struct app *app;
	const struct plan *p;
	const struct plan_mx *mx;	/* NULL when the plan has none */
	char **servers;		/* authoritative servers to ask */
	char **ask;		/* the same without those that did not answer
				 * the MX query: for every other lookup */
	char **resolvers;	/* borrowed from the plan */
	char *servers_error;	/* why there are none, or NULL */
	unsigned timeout_ms;
	struct live_result *v;
	size_t n, alloc;
	struct live_host *hosts;
	size_t n_hosts;
	/* where the migration is (from the state store) */
	bool mx_changed;	/* the final layout is in force */
	bool mx_changing;	/* a change was started, not confirmed */
	const char *mx_phase;	/* the phase that changes the MX, or NULL */
};

void live_add(struct live *l, enum live_status st, const char *check,
	      const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The servers to look names up with (borrowed). */
char *const *live_servers(const struct live *l);
/* The host's entry, looked up (A and AAAA) on first use.  Never NULL;
 * valid until the next call (the array grows). */
struct live_host *live_host(struct live *l, const char *name);
/* Each distinct MX host the plan will use ('hosts', then 'final'),
 * NULL-terminated array of borrowed pointers (free the array). */
const struct plan_smtp_host **live_mx_hosts(const struct live *l);

/* check_live_smtp.c */
void live_smtp_checks(struct live *l);
void live_gateway_checks(struct live *l);
/* check_live_policy.c */
void live_policy_checks(struct live *l);

#endif
