/*
 * check_live_smtp.c -- the SMTP and gateway parts of "migrate check
 * --live" (see check_live.h):
 *
 *	smtp		each MX host (and the gateway's 'hostname') answers on
 *			each of its ports with a 220 banner; the banner and
 *			the EHLO reply name the host (a warning if not)
 *	starttls	STARTTLS is offered and works (port 465: TLS from
 *			the first byte)
 *	certificate	the chain verifies with the plan's CA, the names
 *			cover the host, and it does not expire within
 *			'warn_days' (a warning if it does)
 *	backup-accept	a backup MX accepts a real user of each domain,
 *	backup-unknown	rejects a recipient that does not exist,
 *	backup-relay	and refuses a foreign domain: RCPT probes that end
 *			with RSET and QUIT, never DATA
 *	gateway-routes	the transport map in force answers what the state
 *			says (route_verify)
 *	gateway-loop	no backend route points back at the gateway
 *	gateway-queue	no more than 'queue_max' messages queued
 *			(postqueue -j)
 *	gateway-disk	at least 'min_free_mb' free where the queue lives
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "dnsctl/dnsctl.h"
#include "gateway/gateway.h"
#include "migrate/app.h"
#include "migrate/check_live.h"
#include "migrate/route.h"
#include "plans/plan.h"
#include "probe/probe.h"
#include "util/err.h"
#include "util/run.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DEFAULT_POSTFIX_DIR "/etc/postfix"

static bool is_address(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

/* "host:port" / "[v6]:port" into a new host string and a port. */
static int split_hostport(const char *s, char **host, unsigned *port)
{
	const char *colon;
	unsigned long long n;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -1;
		*host = xstrndup(s + 1, (size_t)(end - s - 1));
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		*host = xstrndup(s, (size_t)(colon - s));
	}
	if (str_to_uint(colon + 1, 1, 65535, &n) < 0) {
		*host = x_free(*host);
		return -1;
	}
	*port = (unsigned)n;
	return 0;
}

/* The address to dial for port i of h (new string), or NULL with *why. */
static char *dial_address(struct live *l, const struct plan_smtp_host *h,
			  size_t i, unsigned *port, const char **why)
{
	char *host = NULL;
	struct live_host *lh;

	*port = h->ports[i];
	if (h->connect && h->connect[i]) {
		if (split_hostport(h->connect[i], &host, port) < 0) {
			*why = "bad 'connect' value";
			return NULL;
		}
		if (is_address(host))
			return host;
		lh = live_host(l, host);
		free(host);
	} else {
		lh = live_host(l, h->host);
	}
	if (lh->addrs)
		return xstrdup(lh->addrs[0]);
	*why = lh->answered ? "it has no A or AAAA record" :
			      (lh->error ? lh->error : "it cannot be resolved");
	return NULL;
}

static void check_session(struct live *l, const char *subject,
			  const struct plan_smtp_host *h,
			  const struct probe_smtp_result *r)
{
	bool banner_ok, ehlo_ok;

	if (r->banner.code != 220 || !r->ehlo.code) {
		live_add(l, LIVE_FAIL, "smtp", subject, "%s",
			 r->error ? r->error : "no SMTP session");
		return;
	}
	banner_ok = r->banner_host && str_ieq(r->banner_host, h->host);
	ehlo_ok = r->ehlo_host && str_ieq(r->ehlo_host, h->host);
	if (banner_ok && ehlo_ok)
		live_add(l, LIVE_OK, "smtp", subject, "220 %s; EHLO names it too",
			 r->banner.text);
	else
		live_add(l, LIVE_WARN, "smtp", subject, "the banner names "
			 "'%s' and the EHLO reply '%s', not '%s' (its MX "
			 "name)", r->banner_host ? r->banner_host : "",
			 r->ehlo_host ? r->ehlo_host : "", h->host);
}

static void check_tls(struct live *l, const char *subject,
		      const struct plan_smtp_host *h, bool implicit,
		      const struct probe_smtp_result *r)
{
	unsigned warn_days = l->mx ? l->mx->warn_days : 21;
	time_t now = timeutil_now();
	char date[64];
	long days;

	if (implicit)
		live_add(l, r->tls ? LIVE_OK : LIVE_FAIL, "starttls", subject,
			 r->tls ? "TLS from the first byte (%s)" :
				  "no TLS session: %s",
			 r->tls ? r->tls_version :
				  (r->error ? r->error : "?"));
	else if (!r->starttls_offered && r->ehlo.code)
		live_add(l, LIVE_FAIL, "starttls", subject, "STARTTLS is not "
			 "offered: mail to it travels in clear text");
	else if (!r->tls)
		live_add(l, LIVE_FAIL, "starttls", subject, "%s",
			 r->tls_error ? r->tls_error :
			 r->error ? r->error : "no TLS session");
	else
		live_add(l, LIVE_OK, "starttls", subject, "STARTTLS works (%s)",
			 r->tls_version);
	if (!r->tls) {
		live_add(l, LIVE_SKIP, "certificate", subject,
			 "not checked: no TLS session");
		return;
	}
	if (!r->cert_present) {
		live_add(l, LIVE_FAIL, "certificate", subject,
			 "the server sent no certificate");
		return;
	}
	timeutil_format_rfc3339(r->cert_not_after, date, sizeof date);
	days = (long)((r->cert_not_after - now + 43200) / 86400);
	if (!r->cert_chain_ok)
		live_add(l, LIVE_FAIL, "certificate", subject, "does not "
			 "verify: %s (certificate for '%s', valid until %s)",
			 r->cert_chain_error ? r->cert_chain_error : "?",
			 r->cert_names ? r->cert_names : "", date);
	else if (!r->cert_name_ok)
		live_add(l, LIVE_FAIL, "certificate", subject, "is for '%s', "
			 "not for '%s'", r->cert_names ? r->cert_names : "",
			 h->host);
	else if (r->cert_not_after - now < (time_t)warn_days * 86400)
		live_add(l, LIVE_WARN, "certificate", subject, "expires in %ld "
			 "day%s (%s), within the plan's %u-day warning window: "
			 "renew it", days, days == 1 ? "" : "s", date,
			 warn_days);
	else
		live_add(l, LIVE_OK, "certificate", subject, "verifies for "
			 "'%s', expires in %ld days (%s)", h->host, days,
			 date);
}

/* The RCPT probes of a backup MX: one real user per domain, then an
 * unknown one, then a foreign address. */
static char **backup_rcpts(const struct live *l)
{
	const struct plan *p = l->p;
	char **v = NULL, *s;

	for (size_t d = 0; p->domains && p->domains[d]; d++) {
		const char *user = NULL;

		for (size_t i = 0; i < p->n_users && !user; i++) {
			const char *at = strrchr(p->users[i].address, '@');

			if (at && str_ieq(at + 1, p->domains[d]))
				user = p->users[i].address;
		}
		s = user ? xstrdup(user) :
			   xasprintf("postmaster@%s", p->domains[d]);
		strv_push(&v, s);
		free(s);
	}
	s = xasprintf("%s@%s", l->mx->probe_unknown,
		      p->domains ? p->domains[0] : "invalid");
	strv_push(&v, s);
	free(s);
	strv_push(&v, l->mx->probe_foreign);
	return v;
}

static void check_backup(struct live *l, const char *subject,
			 char *const *rcpts, const struct probe_smtp_result *r)
{
	size_t n = strv_len(rcpts), nd = n - 2;

	for (size_t i = 0; i < n; i++) {
		const char *check = i < nd ? "backup-accept" :
				    i == nd ? "backup-unknown" : "backup-relay";
		char *subj = xasprintf("%s %s", subject, rcpts[i]);
		int code = i < r->n_rcpt ? r->rcpt[i].code : 0;
		const char *text = i < r->n_rcpt ? r->rcpt[i].text : "";

		if (!code)
			live_add(l, LIVE_FAIL, check, subj, "cannot probe: %s",
				 r->error ? r->error : "no answer to RCPT");
		else if (code / 100 == 4)
			live_add(l, LIVE_WARN, check, subj, "answers %d %s "
				 "(a temporary refusal: cannot tell)", code,
				 text);
		else if (i < nd)
			live_add(l, code / 100 == 2 ? LIVE_OK : LIVE_FAIL,
				 check, subj, code / 100 == 2 ?
				 "accepted (%d %s)" : "rejected (%d %s): the "
				 "backup would bounce the domain's mail while "
				 "the primary is down", code, text);
		else if (i == nd)
			live_add(l, code / 100 == 5 ? LIVE_OK : LIVE_FAIL,
				 check, subj, code / 100 == 5 ?
				 "rejected (%d %s)" : "accepted (%d %s): no "
				 "recipient validation, so the backup takes spam "
				 "for anyone and bounces it later", code, text);
		else
			live_add(l, code / 100 == 5 ? LIVE_OK : LIVE_FAIL,
				 check, subj, code / 100 == 5 ?
				 "relay refused (%d %s)" : "accepted (%d %s): an "
				 "open relay for foreign domains", code, text);
		free(subj);
	}
}

/* Every port of one host; RCPT probes on the first port of a backup. */
static void probe_host(struct live *l, const struct plan_smtp_host *h,
		       bool backup)
{
	for (size_t i = 0; i < h->n_ports; i++) {
		struct probe_smtp_opts o;
		struct probe_smtp_result r;
		char *subject = xasprintf("%s:%u", h->host, h->ports[i]);
		char **rcpts = NULL, *addr;
		const char *why = NULL;
		unsigned port;
		struct err err;

		addr = dial_address(l, h, i, &port, &why);
		if (!addr) {
			live_add(l, LIVE_SKIP, "smtp", subject,
				 "not checked: no address to dial (%s)", why);
			free(subject);
			continue;
		}
		memset(&o, 0, sizeof o);
		o.host = h->host;
		o.address = addr;
		o.port = port;
		o.implicit_tls = h->ports[i] == 465;
		o.helo = l->mx ? l->mx->helo : NULL;
		o.ca_file = l->mx ? l->mx->ca_file : NULL;
		o.timeout_ms = l->timeout_ms;
		if (backup && i == 0 && l->mx) {
			rcpts = backup_rcpts(l);
			o.mail_from = l->mx->probe_from;
			o.rcpts = rcpts;
			o.n_rcpts = strv_len(rcpts);
		}
		err_clear(&err);
		if (probe_smtp(&o, &r, &err) < 0) {
			live_add(l, LIVE_FAIL, "smtp", subject, "%s", err.msg);
		} else {
			check_session(l, subject, h, &r);
			check_tls(l, subject, h, o.implicit_tls, &r);
			if (rcpts)
				check_backup(l, subject, rcpts, &r);
		}
		probe_smtp_result_release(&r);
		strv_free(rcpts);
		free(addr);
		free(subject);
	}
}

static bool is_mx_host(const struct live *l, const char *host)
{
	const struct plan_smtp_host **v;
	bool found = false;

	if (!l->mx)
		return false;
	v = live_mx_hosts(l);
	for (size_t i = 0; v[i] && !found; i++)
		found = str_ieq(v[i]->host, host);
	free(v);
	return found;
}

void live_smtp_checks(struct live *l)
{
	const struct plan_gateway *g = &l->p->gateway;

	if (l->mx) {
		const struct plan_smtp_host **v = live_mx_hosts(l);

		for (size_t i = 0; v[i]; i++)
			probe_host(l, v[i], v[i]->role == PLAN_MX_BACKUP);
		free(v);
	}
	if (g->present && g->smtp.host && !is_mx_host(l, g->smtp.host))
		probe_host(l, &g->smtp, false);
	else if (g->present && !g->smtp.host)
		live_add(l, LIVE_SKIP, "smtp", "gateway", "not checked: the "
			 "gateway has no 'hostname' in the plan");
}

/* ---- the gateway ------------------------------------------------------- */


static bool is_self_name(const struct gateway_info *info,
			 const struct plan_gateway *g, const char *name)
{
	for (size_t i = 0; info->own_names && info->own_names[i]; i++)
		if (str_ieq(info->own_names[i], name))
			return true;
	return g->smtp.host && str_ieq(g->smtp.host, name);
}

/* Does host:port (or one of the host's addresses) hit a listener? */
static const char *hits_listener(struct live *l,
				 const struct gateway_info *info,
				 const struct plan_gateway *g,
				 const char *host, unsigned port)
{
	char **cand = NULL;
	const char *hit = NULL;

	strv_push(&cand, host);
	if (!is_address(host) && l->servers) {
		struct live_host *h = live_host(l, host);

		for (size_t k = 0; h->addrs && h->addrs[k]; k++)
			strv_push(&cand, h->addrs[k]);
	}
	for (size_t j = 0; info->listeners && info->listeners[j] && !hit;
	     j++) {
		const char *lst = info->listeners[j], *c = strrchr(lst, ':');
		char *lh = xstrndup(lst, (size_t)(c - lst));

		if ((unsigned)atol(c + 1) == port)
			for (size_t k = 0; cand[k] && !hit; k++)
				if (str_ieq(lh, cand[k]) ||
				    is_self_name(info, g, cand[k]) ||
				    (!strcmp(lh, "*") &&
				     (str_has_prefix(cand[k], "127.") ||
				      !strcmp(cand[k], "::1"))))
					hit = lst;
		free(lh);
	}
	strv_free(cand);
	return hit;
}

static void check_loops(struct live *l, struct gateway *gw)
{
	const struct plan *p = l->p;
	struct gateway_info info = { 0 };
	struct err err;
	int loops = 0;

	err_clear(&err);
	if (gateway_describe(gw, &info, &err) < 0) {
		live_add(l, LIVE_FAIL, "gateway-loop", "gateway", "cannot read "
			 "the gateway configuration: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < p->n_backends; i++) {
		const struct plan_backend *b = &p->backends[i];
		char *host = NULL;
		const char *hit;
		unsigned port;
		bool br;

		if (!b->route || route_target(b->route, &host, &port, &br) < 0)
			continue;
		hit = hits_listener(l, &info, &p->gateway, host, port);
		if (!hit && !br && str_has_prefix(b->route, "smtp:") &&
		    l->servers) {
			/* no brackets: Postfix looks up the MX of the name */
			struct dnsctl_answer a;

			dnsctl_answer_init(&a);
			err_clear(&err);
			if (dnsctl_lookup(live_servers(l), l->resolvers, host, "MX",
					  l->timeout_ms, &a, &err) > 0)
				for (size_t k = 0; k < a.rrset.n && !hit; k++) {
					unsigned pref;
					char *mxh;

					if (plan_mx_parse_record(a.rrset.rdata[k],
								 &pref,
								 &mxh) < 0)
						continue;
					if (*mxh)
						hit = hits_listener(l, &info,
								    &p->gateway,
								    mxh, port);
					free(mxh);
				}
			dnsctl_answer_release(&a);
		}
		if (hit) {
			live_add(l, LIVE_FAIL, "gateway-loop", b->name, "route "
				 "'%s' leads back to the gateway's own SMTP "
				 "listener '%s': mail would loop", b->route,
				 hit);
			loops++;
		}
		free(host);
	}
	if (!loops)
		live_add(l, LIVE_OK, "gateway-loop", "gateway", "no route of "
			 "the %zu backends leads back to the gateway (%zu "
			 "listener%s)", p->n_backends,
			 strv_len(info.listeners),
			 strv_len(info.listeners) == 1 ? "" : "s");
	gateway_info_release(&info);
}

/* A Postfix program next to postmap when it is given by path. */
static char *pf_tool(const struct plan_gateway *g, const char *name)
{
	const char *slash = g->postmap ? strrchr(g->postmap, '/') : NULL;

	if (!slash)
		return xstrdup(name);
	return xasprintf("%.*s%s", (int)(slash - g->postmap + 1), g->postmap,
			 name);
}

/* Run a Postfix tool with -c DIR when the plan gives one. */
static int pf_run(struct live *l, const char *tool, const char *a1,
		  const char *a2, struct run_result *r, struct err *err)
{
	const struct plan_gateway *g = &l->p->gateway;
	struct run_opts o = { .timeout_ms = (int)l->timeout_ms,
			      .max_output = (size_t)64 << 20 };
	char *prog = pf_tool(g, tool);
	char *argv[7];
	int n = 0, rc;

	argv[n++] = prog;
	if (g->config_dir) {
		argv[n++] = (char *)(uintptr_t)"-c";
		argv[n++] = g->config_dir;
	}
	argv[n++] = (char *)(uintptr_t)a1;
	if (a2)
		argv[n++] = (char *)(uintptr_t)a2;
	argv[n] = NULL;
	run_result_init(r);
	rc = run_argv(argv, &o, r, err);
	if (rc == 0)
		rc = run_check(argv, r, err);
	free(prog);
	return rc;
}

static void check_queue(struct live *l)
{
	const struct plan_gateway *g = &l->p->gateway;
	struct run_result r;
	struct err err;
	size_t total = 0, deferred = 0;

	err_clear(&err);
	if (pf_run(l, "postqueue", "-j", NULL, &r, &err) < 0) {
		live_add(l, LIVE_FAIL, "gateway-queue", "gateway",
			 "cannot read the queue: %s", err.msg);
		run_result_release(&r);
		return;
	}
	for (const char *p = r.out.buf; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n && *p == '{') {
			char *line = xstrndup(p, n);

			total++;
			if (strstr(line, "\"queue_name\": \"deferred\"") ||
			    strstr(line, "\"queue_name\":\"deferred\""))
				deferred++;
			free(line);
		}
		p += n + (nl ? 1 : 0);
	}
	run_result_release(&r);
	if (total > g->queue_max)
		live_add(l, LIVE_FAIL, "gateway-queue", "gateway", "%zu "
			 "message%s queued (%zu deferred), more than the plan's "
			 "'queue_max' %u: find out why ('postqueue -p')",
			 total, total == 1 ? "" : "s", deferred, g->queue_max);
	else
		live_add(l, LIVE_OK, "gateway-queue", "gateway", "%zu message%s "
			 "queued (%zu deferred), 'queue_max' %u", total,
			 total == 1 ? "" : "s", deferred, g->queue_max);
}

static void check_disk(struct live *l)
{
	const struct plan_gateway *g = &l->p->gateway;
	struct run_result r;
	struct statvfs vfs;
	struct err err;
	unsigned long long free_mb;
	char *dir;

	err_clear(&err);
	if (pf_run(l, "postconf", "-h", "queue_directory", &r, &err) < 0) {
		live_add(l, LIVE_FAIL, "gateway-disk", "gateway", "cannot find "
			 "the queue directory: %s", err.msg);
		run_result_release(&r);
		return;
	}
	sbuf_rtrim(&r.out);
	dir = xstrdup(r.out.buf ? r.out.buf : "");
	run_result_release(&r);
	if (!*dir || statvfs(dir, &vfs) < 0) {
		err_sys(&err, ERR_IO, "'%s'", dir);
		live_add(l, LIVE_FAIL, "gateway-disk", dir, "cannot see the "
			 "free space: %s", err.msg);
		free(dir);
		return;
	}
	free_mb = (unsigned long long)vfs.f_bavail * vfs.f_frsize >> 20;
	if (free_mb < g->min_free_mb)
		live_add(l, LIVE_FAIL, "gateway-disk", dir, "%llu MiB free, "
			 "less than the plan's 'min_free_mb' %u: a growing "
			 "queue would fill it", free_mb, g->min_free_mb);
	else
		live_add(l, LIVE_OK, "gateway-disk", dir, "%llu MiB free "
			 "('min_free_mb' %u)", free_mb, g->min_free_mb);
	free(dir);
}

void live_gateway_checks(struct live *l)
{
	const struct plan *p = l->p;
	struct gateway *gw;
	struct err err;

	if (!p->gateway.present) {
		live_add(l, LIVE_SKIP, "gateway", "gateway", "not checked: the "
			 "plan has no 'gateway' section");
		return;
	}
	err_clear(&err);
	if (route_verify(l->app, &err) == 0)
		live_add(l, LIVE_OK, "gateway-routes", p->gateway.map,
			 "the map in force answers what the state says");
	else
		live_add(l, LIVE_FAIL, "gateway-routes", p->gateway.map,
			 "%s ('migrate gateway' writes it)", err.msg);
	err_clear(&err);
	gw = route_gateway_new(p, &err);
	if (!gw) {
		live_add(l, LIVE_FAIL, "gateway-loop", "gateway", "%s",
			 err.msg);
	} else {
		check_loops(l, gw);
		gateway_free(gw);
	}
	check_queue(l);
	check_disk(l);
}
