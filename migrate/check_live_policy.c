/*
 * check_live_policy.c -- the mail policies of each domain of the plan,
 * in "migrate check --live" (see check_live.h):
 *
 *	spf	the domain's SPF record names every platform that sends for
 *		it during split delivery: each backend's 'spf' terms
 *		(a warning when one is missing: mail is still delivered,
 *		but may be marked or rejected by receivers)
 *	mta-sts	when the domain publishes an MTA-STS policy (TXT record
 *		_mta-sts.DOMAIN), the policy fetched over HTTPS from
 *		mta-sts.DOMAIN lists, in its 'mx' lines, every MX host the
 *		plan will use, before the MX change makes senders go there
 *		(a failure with mode enforce, a warning with testing)
 *
 * DNS goes to the plan's servers; the HTTPS request dials the address
 * found there (port dns mx 'mta_sts_port'), with the CA of dns mx 'ca'.
 */
#include <stdlib.h>
#include <string.h>

#include "dnsctl/dnsctl.h"
#include "migrate/app.h"
#include "migrate/check_live.h"
#include "plans/plan.h"
#include "probe/probe.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define STS_MAX_BODY ((size_t)64 << 10)

/* The TXT texts of name: 1 some, 0 none, -1 nobody answered (*why). */
static int txt_texts(struct live *l, const char *name, char ***out,
		     char **why)
{
	struct dnsctl_answer a;
	struct err err;
	int rc;

	*out = NULL;
	dnsctl_answer_init(&a);
	err_clear(&err);
	rc = dnsctl_lookup(live_servers(l), l->resolvers, name, "TXT",
			   l->timeout_ms, &a, &err);
	if (rc < 0)
		*why = xstrdup(err.msg);
	for (size_t i = 0; rc > 0 && i < a.rrset.n; i++) {
		char *t = dnsctl_txt_text(a.rrset.rdata[i]);

		if (t)
			strv_push(out, t);
		free(t);
	}
	dnsctl_answer_release(&a);
	return rc < 0 ? -1 : *out != NULL;
}

/* Is backend i a platform of this migration (default, or a phase's
 * from or to)? */
static bool backend_used(const struct plan *p, size_t i)
{
	if (p->backends[i].is_default)
		return true;
	for (size_t k = 0; k < p->n_phases; k++)
		if (p->phases[k].from == i || p->phases[k].to == i)
			return true;
	return false;
}

static void check_spf(struct live *l, const char *domain)
{
	const struct plan *p = l->p;
	char **texts = NULL, **terms = NULL, *why = NULL;
	struct sbuf missing, none;
	size_t records = 0, declared = 0;
	int rc;

	for (size_t i = 0; i < p->n_backends; i++)
		if (p->backends[i].spf && backend_used(p, i))
			declared++;
	if (!declared) {
		live_add(l, LIVE_SKIP, "spf", domain, "not checked: no backend "
			 "declares its 'spf' terms");
		return;
	}
	rc = txt_texts(l, domain, &texts, &why);
	if (rc < 0) {
		live_add(l, LIVE_SKIP, "spf", domain, "not checked: %s", why);
		free(why);
		return;
	}
	for (size_t i = 0; texts && texts[i]; i++) {
		char **t = probe_spf_terms(texts[i]);

		if (t) {
			records++;
			strv_free(terms);
			terms = t;
		}
	}
	strv_free(texts);
	if (records == 0) {
		live_add(l, LIVE_WARN, "spf", domain, "publishes no SPF record: "
			 "receivers cannot tell which platforms send for it");
		return;
	}
	if (records > 1) {
		live_add(l, LIVE_WARN, "spf", domain, "publishes %zu SPF "
			 "records: receivers treat that as a permanent error",
			 records);
		strv_free(terms);
		return;
	}
	sbuf_init(&missing, 4096);
	sbuf_init(&none, 4096);
	for (size_t i = 0; i < p->n_backends; i++) {
		const struct plan_backend *b = &p->backends[i];

		if (!backend_used(p, i))
			continue;
		if (!b->spf) {
			sbuf_addf(&none, "%s'%s'", none.len ? ", " : "",
				  b->name);
			continue;
		}
		for (size_t k = 0; b->spf[k]; k++)
			if (!probe_spf_has(terms, b->spf[k]))
				sbuf_addf(&missing, "%s'%s' (backend '%s')",
					  missing.len ? ", " : "", b->spf[k],
					  b->name);
	}
	if (missing.len)
		live_add(l, LIVE_WARN, "spf", domain, "the SPF record lacks %s: "
			 "mail that platform sends during split delivery may "
			 "be rejected", missing.buf);
	else
		live_add(l, LIVE_OK, "spf", domain, "the SPF record covers every "
			 "sending platform%s%s%s", none.len ?
			 " (not declared: " : "", none.len ? none.buf : "",
			 none.len ? ")" : "");
	sbuf_release(&missing);
	sbuf_release(&none);
	strv_free(terms);
}

/* Fetch and parse the policy of domain.  0, or -1 (reported). */
static int fetch_policy(struct live *l, const char *domain,
			struct probe_sts_policy *pol)
{
	char *host = xasprintf("mta-sts.%s", domain), *url, *pin;
	struct dnsctl_http_get req;
	struct dnsctl_http_reply rep;
	struct live_host *h = live_host(l, host);
	struct err err;
	int rc = -1;

	if (!h->addrs) {
		live_add(l, LIVE_FAIL, "mta-sts", domain, "a policy is announced "
			 "but '%s' %s", host, h->answered ?
			 "has no A or AAAA record" : h->error);
		free(host);
		return -1;
	}
	url = xasprintf("https://%s/.well-known/mta-sts.txt", host);
	pin = strchr(h->addrs[0], ':') ?
		      xasprintf("%s:443:[%s]:%u", host, h->addrs[0],
				l->mx ? l->mx->mta_sts_port : 443) :
		      xasprintf("%s:443:%s:%u", host, h->addrs[0],
				l->mx ? l->mx->mta_sts_port : 443);
	memset(&req, 0, sizeof req);
	req.url = url;
	req.connect_to = pin;
	req.ca_file = l->mx ? l->mx->ca_file : NULL;
	req.timeout_ms = l->timeout_ms;
	req.max_body = STS_MAX_BODY;
	err_clear(&err);
	if (dnsctl_https_get(&req, &rep, &err) < 0) {
		live_add(l, LIVE_FAIL, "mta-sts", domain, "a policy is announced "
			 "but cannot be fetched: %s", err.msg);
	} else if (rep.status != 200) {
		live_add(l, LIVE_FAIL, "mta-sts", domain, "a policy is announced "
			 "but '%s' answers HTTP %ld", url, rep.status);
	} else if (probe_sts_parse(rep.body, rep.len, pol, &err) < 0) {
		live_add(l, LIVE_FAIL, "mta-sts", domain, "the policy at '%s' "
			 "is not valid: %s", url, err.msg);
	} else {
		rc = 0;
	}
	dnsctl_http_reply_release(&rep);
	free(pin);
	free(url);
	free(host);
	return rc;
}

static void check_sts(struct live *l, const char *domain)
{
	char *name = xasprintf("_mta-sts.%s", domain), **texts = NULL;
	char *why = NULL;
	struct probe_sts_policy pol;
	const struct plan_smtp_host **v;
	struct sbuf missing;
	size_t n = 0, announced = 0;
	int rc;

	rc = txt_texts(l, name, &texts, &why);
	free(name);
	if (rc < 0) {
		live_add(l, LIVE_SKIP, "mta-sts", domain, "not checked: %s",
			 why);
		free(why);
		return;
	}
	for (size_t i = 0; texts && texts[i]; i++)
		announced += probe_sts_txt(texts[i]) == 1;
	strv_free(texts);
	if (!announced) {
		live_add(l, LIVE_OK, "mta-sts", domain,
			 "publishes no MTA-STS policy");
		return;
	}
	if (announced > 1) {
		live_add(l, LIVE_FAIL, "mta-sts", domain, "publishes %zu "
			 "MTA-STS TXT records: senders ignore the policy",
			 announced);
		return;
	}
	if (!l->mx) {
		live_add(l, LIVE_SKIP, "mta-sts", domain, "not checked: the "
			 "plan declares no MX layout (dns 'mx')");
		return;
	}
	if (fetch_policy(l, domain, &pol) < 0)
		return;
	sbuf_init(&missing, 4096);
	v = live_mx_hosts(l);
	for (; v[n]; n++) {
		bool ok = false;

		for (size_t k = 0; pol.mx && pol.mx[k] && !ok; k++)
			ok = probe_sts_match(pol.mx[k], v[n]->host);
		if (!ok)
			sbuf_addf(&missing, "%s'%s'", missing.len ? ", " : "",
				  v[n]->host);
	}
	free(v);
	if (!missing.len)
		live_add(l, LIVE_OK, "mta-sts", domain, "mode %s; its 'mx' lines "
			 "cover all %zu MX host%s of the plan",
			 probe_sts_mode_name(pol.mode), n, n == 1 ? "" : "s");
	else if (pol.mode == PROBE_STS_NONE)
		live_add(l, LIVE_OK, "mta-sts", domain, "mode none (no effect); "
			 "its 'mx' lines lack %s", missing.buf);
	else
		live_add(l, pol.mode == PROBE_STS_ENFORCE ? LIVE_FAIL :
			 LIVE_WARN, "mta-sts", domain, "mode %s, but its 'mx' "
			 "lines lack %s: senders %s mail to %s once the MX "
			 "points there; add them to the policy (and change "
			 "the TXT record's 'id') before the MX change",
			 probe_sts_mode_name(pol.mode), missing.buf,
			 pol.mode == PROBE_STS_ENFORCE ? "will refuse to send" :
				"will report failures for",
			 strchr(missing.buf, ',') ? "them" : "it");
	sbuf_release(&missing);
	probe_sts_policy_release(&pol);
}

void live_policy_checks(struct live *l)
{
	const struct plan *p = l->p;

	if (!l->servers) {
		const char *why = l->servers_error ? l->servers_error :
				  "the plan has no 'dns' section";

		live_add(l, LIVE_SKIP, "spf", "domains", "not checked: %s",
			 why);
		live_add(l, LIVE_SKIP, "mta-sts", "domains", "not checked: %s",
			 why);
		return;
	}
	for (size_t i = 0; p->domains && p->domains[i]; i++) {
		check_spf(l, p->domains[i]);
		check_sts(l, p->domains[i]);
	}
}
