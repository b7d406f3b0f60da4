/*
 * dnsctl_lookup.c -- look a name up by asking the servers the caller
 * names, one after the other, and nobody else (see dnsctl.h); and two
 * pure helpers for the checks that use it: reverse names and TXT text.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MAX_CHAIN 8	/* CNAME hops followed inside one answer */

void dnsctl_answer_init(struct dnsctl_answer *a)
{
	memset(a, 0, sizeof *a);
	dnsctl_rrset_init(&a->rrset);
}

void dnsctl_answer_release(struct dnsctl_answer *a)
{
	free(a->server);
	free(a->cname);
	dnsctl_rrset_release(&a->rrset);
	dnsctl_answer_init(a);
}

static char *owner_of(const ldns_rr *rr)
{
	ldns_rdf *o = ldns_rdf_clone(ldns_rr_owner(rr));
	char *s;

	ldns_dname2canonical(o);
	s = ldns_rdf2str(o);
	ldns_rdf_deep_free(o);
	return s;
}

/* The CNAME target of `name` in the answer, or NULL (new string). */
static char *cname_of(ldns_rr_list *ans, const char *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		char *o;
		bool match;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
		    ldns_rr_rd_count(rr) < 1)
			continue;
		o = owner_of(rr);
		match = o && strcasecmp(o, name) == 0;
		free(o);
		if (match)
			return dnsctl_rr_rdata(rr);
	}
	return NULL;
}

/* Fill out from an answer for name/type (canonical). */
static void take_answer(ldns_pkt *r, const char *name, const char *type,
			struct dnsctl_answer *out)
{
	ldns_rr_list *ans = ldns_pkt_answer(r);
	ldns_rr_type t = ldns_get_rr_type_by_name(type);
	char *cur = xstrdup(name);
	bool first = true;

	for (int hop = 0; hop < MAX_CHAIN && t != LDNS_RR_TYPE_CNAME; hop++) {
		char *next = cname_of(ans, cur);

		if (!next)
			break;
		if (!out->cname)
			out->cname = xstrdup(next);
		free(cur);
		cur = next;
	}
	out->rrset.name = xstrdup(cur);
	out->rrset.type = xstrdup(type);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		char *o;
		bool match;

		if (ldns_rr_get_type(rr) != t ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		o = owner_of(rr);
		match = o && strcasecmp(o, cur) == 0;
		free(o);
		if (!match)
			continue;
		if (first || ldns_rr_ttl(rr) < out->rrset.ttl)
			out->rrset.ttl = ldns_rr_ttl(rr);
		first = false;
		dnsctl_rrset_add(&out->rrset, dnsctl_rr_rdata(rr));
	}
	dnsctl_rrset_finish(&out->rrset);
	free(cur);
}

/* Ask one server: 1 it answered (out filled), 0 it did not (why in
 * `why`). */
static int ask_one(const char *server, bool recursive, const char *name,
		   const char *type, unsigned timeout_ms,
		   struct dnsctl_answer *out, struct sbuf *why)
{
	ldns_pkt *r = NULL;
	struct err err;
	char buf[16];
	int rcode;

	err_clear(&err);
	if (dnsctl_wire_query_rd(server, name, type, recursive, timeout_ms,
				 &r, &err) < 0) {
		sbuf_addf(why, "; '%s': %s", server, err.msg);
		return 0;
	}
	rcode = ldns_pkt_get_rcode(r);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		sbuf_addf(why, "; '%s' answered %s", server,
			  dnsctl_rcode_name(rcode, buf, sizeof buf));
		ldns_pkt_free(r);
		return 0;
	}
	if (!recursive && !ldns_pkt_aa(r)) {
		sbuf_addf(why, "; '%s' is not authoritative for it", server);
		ldns_pkt_free(r);
		return 0;
	}
	out->server = xstrdup(server);
	out->authoritative = ldns_pkt_aa(r);
	take_answer(r, name, type, out);
	ldns_pkt_free(r);
	log_debug(LOGC_DNS, "lookup %s %s at %s: %zu record%s%s%s", name, type,
		  server, out->rrset.n, out->rrset.n == 1 ? "" : "s",
		  out->cname ? ", alias of " : "",
		  out->cname ? out->cname : "");
	return 1;
}

int dnsctl_lookup(char *const *servers, char *const *resolvers,
		  const char *name, const char *type, unsigned timeout_ms,
		  struct dnsctl_answer *out, struct err *err)
{
	char *cname = dnsctl_name_canon(name), *ctype = dnsctl_type_canon(type);
	struct sbuf why;
	int rc = -1;

	dnsctl_answer_release(out);
	if (!cname || !ctype) {
		char *shown = str_sanitize(name, 80);

		err_set(err, ERR_PLAN, RETRY_NEVER, "cannot look up '%s %s'",
			shown, type);
		free(shown);
		goto out_free;
	}
	sbuf_init(&why, ERR_MSG_MAX);
	for (int pass = 0; pass < 2 && rc < 0; pass++) {
		char *const *v = pass ? resolvers : servers;

		for (size_t i = 0; v && v[i] && rc < 0; i++)
			if (ask_one(v[i], pass == 1, cname, ctype, timeout_ms,
				    out, &why))
				rc = out->rrset.n ? 1 : 0;
	}
	if (rc < 0)
		err_set(err, ERR_REMOTE, RETRY_LATER,
			"no server named in the plan answers for '%s %s'%s",
			cname, ctype, why.len ? why.buf : " (none is listed)");
	sbuf_release(&why);
out_free:
	free(cname);
	free(ctype);
	return rc;
}

char *dnsctl_reverse_name(const char *address)
{
	unsigned char a[16];
	struct sbuf sb;

	sbuf_init(&sb, 128);
	if (inet_pton(AF_INET, address, a) == 1) {
		sbuf_addf(&sb, "%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1],
			  a[0]);
	} else if (inet_pton(AF_INET6, address, a) == 1) {
		for (int i = 15; i >= 0; i--)
			sbuf_addf(&sb, "%x.%x.", a[i] & 0xf, a[i] >> 4);
		sbuf_addstr(&sb, "ip6.arpa.");
	} else {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

char *dnsctl_txt_text(const char *rdata)
{
	struct sbuf sb;
	const char *p = rdata;
	bool any = false;

	sbuf_init(&sb, 65536);
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p++ != '"')
			goto bad;
		any = true;
		while (*p && *p != '"') {
			if (*p != '\\') {
				sbuf_addch(&sb, *p++);
				continue;
			}
			p++;
			if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' &&
			    p[1] <= '9' && p[2] >= '0' && p[2] <= '9') {
				int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
					(p[2] - '0');

				if (v > 255)
					goto bad;
				sbuf_addch(&sb, v);
				p += 3;
			} else if (*p) {
				sbuf_addch(&sb, *p++);
			} else {
				goto bad;
			}
		}
		if (*p++ != '"')
			goto bad;
	}
	if (!any)
		goto bad;
	return sbuf_detach(&sb, NULL);
bad:
	sbuf_release(&sb);
	return NULL;
}
