/*
 * check_live.c -- "migrate check --live": ask the real servers whether the
 * mail setup is what the plan says it should be at this point of the
 * migration, so that an admin sees a problem before mail bounces.
 *
 * This file holds the result list and its output (text or --json), works
 * out where the migration is (from the state store: has the phase that
 * changes the MX run its dns step? was the TTL lowered?), and runs the
 * DNS checks:
 *
 *	mx-layout	every authoritative server serves the MX RRset the
 *			plan expects now ('hosts' before the change, 'final'
 *			after it)
 *	mx-ttl		its TTL is what it should be now: the low TTL while
 *			lowered, the original one before and after
 *	mx-address	every MX host has A and/or AAAA records and is not
 *			an alias (CNAME)
 *	fcrdns		each address has a PTR record naming a host that
 *			resolves back to the same address (a warning: it
 *			matters for hosts that also send)
 *
 * The rest is in check_live_smtp.c and check_live_policy.c.  Names are
 * resolved only through the servers of the plan (dns 'servers', else the
 * zone's NS set) and the resolvers it lists (dns mx 'resolvers').
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsctl/dnsctl.h"
#include "migrate/app.h"
#include "migrate/check_live.h"
#include "migrate/checks.h"
#include "migrate/dns_int.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const status_names[] = { "ok", "warn", "fail", "skip" };
static const char *const status_tags[] = { "OK", "WARN", "FAIL", "SKIP" };

void live_add(struct live *l, enum live_status st, const char *check,
	      const char *subject, const char *fmt, ...)
{
	struct live_result *r;
	struct sbuf sb;
	va_list ap;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 32;
		l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
	}
	r = &l->v[l->n++];
	sbuf_init(&sb, 4096);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	r->status = st;
	r->check = xstrdup(check);
	r->subject = xstrdup(subject);
	r->reason = log_redact(sb.buf);
	sbuf_release(&sb);
	log_debug(LOGC_MAIN, "live %s %s %s: %s", status_names[st], check,
		  subject, r->reason);
}

char *const *live_servers(const struct live *l)
{
	return l->ask ? l->ask : l->servers;
}

/* Addresses of an answer appended to *v. */
static void add_addrs(char ***v, const struct dnsctl_answer *a)
{
	for (size_t i = 0; i < a->rrset.n; i++)
		strv_push(v, a->rrset.rdata[i]);
}

struct live_host *live_host(struct live *l, const char *name)
{
	struct dnsctl_answer a;
	struct live_host *h;
	struct err err;
	int got = 0;

	for (size_t i = 0; i < l->n_hosts; i++)
		if (str_ieq(l->hosts[i].name, name))
			return &l->hosts[i];
	l->hosts = xreallocarray(l->hosts, l->n_hosts + 1, sizeof *l->hosts);
	h = &l->hosts[l->n_hosts++];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(name);
	dnsctl_answer_init(&a);
	for (int k = 0; k < 2; k++) {
		const char *type = k ? "AAAA" : "A";
		int rc;

		err_clear(&err);
		rc = dnsctl_lookup(live_servers(l), l->resolvers, name, type,
				   l->timeout_ms, &a, &err);
		if (rc < 0) {
			if (!h->error)
				h->error = xstrdup(err.msg);
			continue;
		}
		got++;
		if (a.cname && !h->cname)
			h->cname = xstrdup(a.cname);
		add_addrs(&h->addrs, &a);
	}
	h->answered = got > 0;
	dnsctl_answer_release(&a);
	return h;
}

const struct plan_smtp_host **live_mx_hosts(const struct live *l)
{
	const struct plan_mx *mx = l->mx;
	const struct plan_smtp_host **v;
	size_t n = 0;

	v = xcalloc(mx->n_hosts + mx->n_final + 1, sizeof *v);
	for (int pass = 0; pass < 2; pass++) {
		const struct plan_smtp_host *list = pass ? mx->final : mx->hosts;
		size_t cnt = pass ? mx->n_final : mx->n_hosts;

		for (size_t i = 0; i < cnt; i++) {
			bool seen = false;

			for (size_t j = 0; j < n; j++)
				seen |= str_ieq(v[j]->host, list[i].host);
			if (!seen)
				v[n++] = &list[i];
		}
	}
	return v;
}

/* ---- where the migration is -------------------------------------------- */

/* The last phase whose dns_change sets the MX RRset, or NULL. */
static const struct plan_phase *mx_phase(const struct plan *p,
					 const struct plan_mx *mx)
{
	const struct plan_phase *last = NULL;

	for (size_t i = 0; i < p->n_phases; i++)
		for (size_t k = 0; k < p->phases[i].n_dns_change; k++)
			if (!strcmp(p->phases[i].dns_change[k].key.name,
				    mx->name) &&
			    !strcmp(p->phases[i].dns_change[k].key.type, "MX"))
				last = &p->phases[i];
	return last;
}

/* The state's row for the MX RRset: 1, 0 none, -1 (reported). */
static int mx_row(struct live *l, struct state_dns_record *r)
{
	struct err err;
	int rc;

	memset(r, 0, sizeof *r);
	if (!l->app->state)
		return 0;
	err_clear(&err);
	rc = state_dns_get(l->app->state, l->p->dns.zone, l->mx->name, "MX",
			   r, &err);
	if (rc < 0)
		live_add(l, LIVE_FAIL, "state", app_state_path(l->app),
			 "cannot read the DNS records: %s", err.msg);
	return rc;
}

/* ---- the servers to ask -------------------------------------------------- */

static void find_servers(struct live *l)
{
	const struct plan_dns *pd = &l->p->dns;
	struct dns_sess s;
	struct dns_req req;
	struct err err;

	if (pd->servers) {
		l->servers = strv_dup(pd->servers);
		return;
	}
	memset(&req, 0, sizeof req);
	err_clear(&err);
	if (dns_sess_open(&s, l->app, &req, NULL, &err) == 0 &&
	    dns_servers(&s, &err) == 0) {
		l->servers = s.servers;
		s.servers = NULL;
	} else {
		l->servers_error = xasprintf("cannot find the zone's servers "
					     "(list them in dns 'servers'): %s",
					     err.msg);
	}
	dns_sess_close(&s);
}

/* ---- mx-layout and mx-ttl ------------------------------------------------ */

/* The served MX records as "10 host" pairs compared with a layout. */
static bool same_layout(const struct dnsctl_rrset *rs,
			const struct plan_smtp_host *v, size_t n)
{
	size_t matched = 0;

	if (rs->n != n)
		return false;
	for (size_t i = 0; i < rs->n; i++) {
		unsigned pref;
		char *host;

		if (plan_mx_parse_record(rs->rdata[i], &pref, &host) < 0)
			return false;
		for (size_t j = 0; j < n; j++)
			if (v[j].preference == pref && str_ieq(v[j].host, host)) {
				matched++;
				break;
			}
		free(host);
	}
	return matched == n;
}

static char *show_layout(const struct plan_smtp_host *v, size_t n)
{
	struct sbuf sb;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb, "%s%u %s.", i ? ", " : "", v[i].preference,
			  v[i].host);
	return sbuf_detach(&sb, NULL);
}

static void check_layout(struct live *l, const char *server,
			 const struct dnsctl_rrset *got)
{
	const struct plan_mx *mx = l->mx;
	char *served = got->n ? dnsctl_rrset_join(got, ", ") :
				xstrdup("no MX record");
	char *want;
	bool before = same_layout(got, mx->hosts, mx->n_hosts);
	bool after = same_layout(got, mx->final, mx->n_final);

	if (l->mx_changing && (before || after)) {
		live_add(l, LIVE_OK, "mx-layout", server,
			 "serves %s ('%s' layout; phase '%s' is changing it)",
			 served, before ? "hosts" : "final", l->mx_phase);
	} else if (l->mx_changed ? after : before) {
		live_add(l, LIVE_OK, "mx-layout", server, "serves %s as the "
			 "plan's '%s' layout", served,
			 l->mx_changed ? "final" : "hosts");
	} else {
		want = l->mx_changed ? show_layout(mx->final, mx->n_final) :
				       show_layout(mx->hosts, mx->n_hosts);
		live_add(l, LIVE_FAIL, "mx-layout", server,
			 "serves %s, but the plan's '%s' layout is %s%s%s%s",
			 served, l->mx_changed ? "final" : "hosts", want,
			 l->mx_changed ? " (phase '" : "",
			 l->mx_changed ? l->mx_phase : "",
			 l->mx_changed ? "' changed it)" : "");
		free(want);
	}
	free(served);
}

static void check_ttl(struct live *l, const char *server, uint32_t ttl,
		      const struct state_dns_record *row, bool have_row)
{
	const struct plan_mx *mx = l->mx;
	char when[64];

	if (have_row && row->lowered_at && !row->restored_at &&
	    row->lowered_ttl >= 0) {
		if ((int64_t)ttl == row->lowered_ttl)
			live_add(l, LIVE_OK, "mx-ttl", server, "TTL %lu, "
				 "lowered by phase '%s' for the change",
				 (unsigned long)ttl,
				 row->phase ? row->phase : "?");
		else
			live_add(l, LIVE_FAIL, "mx-ttl", server, "serves TTL "
				 "%lu, but phase '%s' lowered it to %lld "
				 "('migrate dns verify' shows every server)",
				 (unsigned long)ttl,
				 row->phase ? row->phase : "?",
				 (long long)row->lowered_ttl);
		return;
	}
	if (have_row && (row->lowered_at || row->restored_at)) {
		if ((int64_t)ttl == row->orig_ttl)
			live_add(l, LIVE_OK, "mx-ttl", server,
				 "TTL %lu, the original (restored)",
				 (unsigned long)ttl);
		else
			live_add(l, LIVE_FAIL, "mx-ttl", server, "serves TTL "
				 "%lu, but the original TTL %lld was to be "
				 "restored ('migrate dns restore')",
				 (unsigned long)ttl, (long long)row->orig_ttl);
		return;
	}
	if (mx->ttl && ttl != mx->ttl) {
		live_add(l, LIVE_FAIL, "mx-ttl", server, "serves TTL %lu, but "
			 "the plan says %u (dns mx 'ttl') and nothing has "
			 "lowered it", (unsigned long)ttl, mx->ttl);
		return;
	}
	if (l->mx_phase) {
		const struct plan_phase *ph = mx_phase(l->p, mx);
		time_t now = timeutil_now();

		if (ph && ph->has_not_before && !l->mx_changed &&
		    ph->not_before > now &&
		    (time_t)ttl > ph->not_before - now) {
			live_add(l, LIVE_WARN, "mx-ttl", server, "TTL %lu is "
				 "longer than the time left before phase '%s' "
				 "may change the MX (%s): lower it now "
				 "('migrate dns lower --phase %s')",
				 (unsigned long)ttl, ph->name,
				 timeutil_format_rfc3339(ph->not_before, when,
							 sizeof when),
				 ph->name);
			return;
		}
		live_add(l, LIVE_OK, "mx-ttl", server, "TTL %lu; phase '%s' "
			 "lowers it to %u before it changes the MX",
			 (unsigned long)ttl, l->mx_phase, l->p->dns.low_ttl);
		return;
	}
	live_add(l, LIVE_OK, "mx-ttl", server, "TTL %lu%s", (unsigned long)ttl,
		 mx->ttl ? " as the plan says" : "");
}

static void mx_dns_checks(struct live *l)
{
	const struct plan_mx *mx = l->mx;
	const struct plan_phase *ph = mx_phase(l->p, mx);
	struct state_dns_record row;
	struct dnsctl_rrset got;
	int have;

	l->mx_phase = ph ? ph->name : NULL;
	have = mx_row(l, &row);
	if (have == 1 && ph) {
		/* a rollback clears changed_at and changed_rdata */
		l->mx_changed = row.changed_at != 0;
		l->mx_changing = !row.changed_at && row.changed_rdata;
	}
	dnsctl_rrset_init(&got);
	for (size_t i = 0; l->servers && l->servers[i]; i++) {
		const char *server = l->servers[i];
		struct err err;
		int rc;

		err_clear(&err);
		rc = dnsctl_query(server, mx->name, "MX", l->timeout_ms, &got,
				  &err);
		if (rc < 0) {
			live_add(l, LIVE_FAIL, "mx-layout", server,
				 "cannot ask for '%s MX': %s", mx->name,
				 err.msg);
			continue;
		}
		/* later lookups skip servers that do not answer at all */
		strv_push(&l->ask, server);
		check_layout(l, server, &got);
		if (rc == 1)
			check_ttl(l, server, got.ttl, &row, have == 1);
		dnsctl_rrset_release(&got);
	}
	if (have == 1)
		state_dns_record_release(&row);
}

/* ---- mx-address and fcrdns ------------------------------------------------ */

static void check_fcrdns(struct live *l, const char *host, const char *addr)
{
	char *rev = dnsctl_reverse_name(addr), *subject;
	struct dnsctl_answer a;
	struct err err;
	int rc;

	subject = xasprintf("%s %s", host, addr);
	dnsctl_answer_init(&a);
	err_clear(&err);
	rc = rev ? dnsctl_lookup(live_servers(l), l->resolvers, rev, "PTR",
				 l->timeout_ms, &a, &err) :
		   err_set(&err, ERR_PLAN, RETRY_NEVER, "not an address");
	if (rc < 0) {
		live_add(l, LIVE_SKIP, "fcrdns", subject, "not checked: %s",
			 err.msg);
	} else if (rc == 0) {
		live_add(l, LIVE_WARN, "fcrdns", subject, "no PTR record for "
			 "%s: receivers distrust mail from an address without "
			 "reverse DNS", addr);
	} else {
		bool confirmed = false;
		const char *via = a.rrset.rdata[0];

		for (size_t i = 0; i < a.rrset.n && !confirmed; i++) {
			struct live_host *h = live_host(l, a.rrset.rdata[i]);

			for (size_t k = 0; h->addrs && h->addrs[k]; k++)
				if (!strcmp(h->addrs[k], addr)) {
					confirmed = true;
					via = a.rrset.rdata[i];
				}
		}
		if (confirmed)
			live_add(l, LIVE_OK, "fcrdns", subject,
				 "%s -> %s -> %s", addr, via, addr);
		else
			live_add(l, LIVE_WARN, "fcrdns", subject, "%s has PTR "
				 "%s, which does not resolve back to %s (not "
				 "forward-confirmed)", addr, via, addr);
	}
	dnsctl_answer_release(&a);
	free(subject);
	free(rev);
}

static void address_checks(struct live *l)
{
	const struct plan_smtp_host **v = live_mx_hosts(l);

	for (size_t i = 0; v[i]; i++) {
		const char *name = v[i]->host;
		struct live_host *h = live_host(l, name);
		char *list, **addrs;

		if (h->cname) {
			live_add(l, LIVE_FAIL, "mx-address", name, "is an alias "
				 "(CNAME) of %s: an MX record must name a host "
				 "with its own A/AAAA records (RFC 5321 "
				 "section 5.1)", h->cname);
			continue;
		}
		if (!h->answered) {
			live_add(l, LIVE_SKIP, "mx-address", name,
				 "not checked: %s (list a resolver in dns mx "
				 "'resolvers')", h->error ? h->error : "?");
			continue;
		}
		if (!h->addrs) {
			live_add(l, LIVE_FAIL, "mx-address", name, "has no A or "
				 "AAAA record: mail for it cannot be delivered");
			continue;
		}
		list = xstrdup(h->addrs[0]);
		for (size_t k = 1; h->addrs[k]; k++) {
			char *t = xasprintf("%s, %s", list, h->addrs[k]);

			free(list);
			list = t;
		}
		live_add(l, LIVE_OK, "mx-address", name, "%s", list);
		free(list);
		/* check_fcrdns looks more hosts up: h may move */
		addrs = strv_dup(h->addrs);
		for (size_t k = 0; addrs[k]; k++)
			check_fcrdns(l, name, addrs[k]);
		strv_free(addrs);
	}
	free(v);
}

/* ---- output -------------------------------------------------------------- */

static void print_text(struct live *l, const size_t count[4])
{
	FILE *out = l->app->out;
	int w = 10;

	for (size_t i = 0; i < l->n; i++)
		if ((int)strlen(l->v[i].check) > w)
			w = (int)strlen(l->v[i].check);
	fprintf(out, "live checks of plan '%s'\n", l->app->plan_path);
	for (size_t i = 0; i < l->n; i++) {
		const struct live_result *r = &l->v[i];

		fprintf(out, "%-4s  %-*s  %s: %s\n", status_tags[r->status], w,
			r->check, r->subject, r->reason);
	}
	fprintf(out, "%zu check%s: %zu ok, %zu warning%s, %zu failed, %zu "
		"not checked\n", l->n, l->n == 1 ? "" : "s", count[LIVE_OK],
		count[LIVE_WARN], count[LIVE_WARN] == 1 ? "" : "s",
		count[LIVE_FAIL], count[LIVE_SKIP]);
}

static void print_json(struct live *l, const size_t count[4])
{
	struct json *root = json_object_new(), *arr = json_array_new();
	struct json *sum = json_object_new();
	char *s;

	json_set_str(root, "plan", l->app->plan_path);
	json_set_bool(root, "valid", true);
	for (size_t i = 0; i < l->n; i++) {
		struct json *o = json_object_new();

		json_set_str(o, "check", l->v[i].check);
		json_set_str(o, "subject", l->v[i].subject);
		json_set_str(o, "status", status_names[l->v[i].status]);
		json_set_str(o, "reason", l->v[i].reason);
		json_append(arr, o);
	}
	json_set(root, "checks", arr);
	for (int k = 0; k < 4; k++)
		json_set_int(sum, status_names[k], (long long)count[k]);
	json_set(root, "summary", sum);
	s = json_dump(root, true);
	fprintf(l->app->out, "%s\n", s);
	free(s);
	json_free(root);
}

static void live_release(struct live *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].check);
		free(l->v[i].subject);
		free(l->v[i].reason);
	}
	free(l->v);
	for (size_t i = 0; i < l->n_hosts; i++) {
		free(l->hosts[i].name);
		strv_free(l->hosts[i].addrs);
		free(l->hosts[i].cname);
		free(l->hosts[i].error);
	}
	free(l->hosts);
	strv_free(l->servers);
	strv_free(l->ask);
	free(l->servers_error);
}

int check_live(struct app *app)
{
	const struct plan *p = app->plan;
	size_t count[4] = { 0 };
	struct live l;
	int rc;

	memset(&l, 0, sizeof l);
	l.app = app;
	l.p = p;
	l.mx = p->dns.present && p->dns.mx.present ? &p->dns.mx : NULL;
	l.resolvers = l.mx ? l.mx->resolvers : NULL;
	l.timeout_ms = (l.mx ? l.mx->timeout : 10) * 1000u;
	rc = app_open_state(app, false);
	if (rc > 1)
		live_add(&l, LIVE_FAIL, "state", app_state_path(app),
			 "cannot open the state store (see above)");
	if (p->dns.present)
		find_servers(&l);
	if (!l.mx) {
		live_add(&l, LIVE_SKIP, "mx-layout", p->dns.present ?
			 p->dns.zone : "dns", "not checked: the plan declares "
			 "no MX layout (dns 'mx')");
	} else if (!l.servers) {
		live_add(&l, LIVE_SKIP, "mx-layout", l.mx->name,
			 "not checked: %s", l.servers_error ? l.servers_error :
			 "no DNS server to ask");
	} else {
		mx_dns_checks(&l);
		address_checks(&l);
	}
	live_smtp_checks(&l);
	live_gateway_checks(&l);
	live_policy_checks(&l);
	for (size_t i = 0; i < l.n; i++)
		count[l.v[i].status]++;
	if (app->opt.json)
		print_json(&l, count);
	else
		print_text(&l, count);
	rc = (int)count[LIVE_FAIL];
	live_release(&l);
	return rc;
}
