/*
 * dnsctl_check.c -- ask authoritative servers directly what they serve,
 * and compare it with what was expected (see dnsctl.h).  Only the servers
 * the caller names are asked; never a resolver.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

/* Ask; the parsed reply when the server answered authoritatively with
 * NOERROR or NXDOMAIN. */
static int ask(const char *server, const char *name, const char *type,
	       unsigned timeout_ms, ldns_pkt **out, struct err *err)
{
	ldns_pkt *r;
	int rcode;
	char buf[16];

	if (dnsctl_wire_query(server, name, type, timeout_ms, &r, err) < 0)
		return -1;
	rcode = ldns_pkt_get_rcode(r);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		err_set(err, ERR_REMOTE, RETRY_LATER,
			"server '%s' answered %s to '%s %s'", server,
			dnsctl_rcode_name(rcode, buf, sizeof buf), name, type);
		ldns_pkt_free(r);
		return -1;
	}
	if (!ldns_pkt_aa(r)) {
		err_set(err, ERR_REMOTE, RETRY_LATER,
			"server '%s' is not authoritative for '%s' (no AA "
			"bit in its answer)", server, name);
		ldns_pkt_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int dnsctl_query(const char *server, const char *name, const char *type,
		 unsigned timeout_ms, struct dnsctl_rrset *out,
		 struct err *err)
{
	char *cname = dnsctl_name_canon(name), *ctype = dnsctl_type_canon(type);
	ldns_rr_type t;
	ldns_rr_list *ans;
	ldns_pkt *r = NULL;
	bool first = true;
	int rc = -1;

	dnsctl_rrset_release(out);
	if (!cname || !ctype) {
		err_set(err, ERR_PLAN, RETRY_NEVER, "cannot ask for '%s %s'",
			name, type);
		goto out;
	}
	if (ask(server, cname, ctype, timeout_ms, &r, err) < 0)
		goto out;
	t = ldns_get_rr_type_by_name(ctype);
	out->name = xstrdup(cname);
	out->type = xstrdup(ctype);
	ans = ldns_pkt_answer(r);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		char *owner;
		bool match;

		if (ldns_rr_get_type(rr) != t ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		owner = ldns_rdf2str(ldns_rr_owner(rr));
		match = owner && strcasecmp(owner, cname) == 0;
		free(owner);
		if (!match)
			continue;
		if (first || ldns_rr_ttl(rr) < out->ttl)
			out->ttl = ldns_rr_ttl(rr);
		first = false;
		dnsctl_rrset_add(out, dnsctl_rr_rdata(rr));
	}
	dnsctl_rrset_finish(out);
	rc = out->n ? 1 : 0;
out:
	if (r)
		ldns_pkt_free(r);
	free(cname);
	free(ctype);
	return rc;
}

int dnsctl_query_serial(const char *server, const char *zone,
			unsigned timeout_ms, uint32_t *serial,
			struct err *err)
{
	char *z = dnsctl_name_canon(zone);
	ldns_rr_list *ans;
	ldns_pkt *r = NULL;
	int rc = -1;

	if (!z)
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "zone '%s' is not a domain name", zone);
	if (ask(server, z, "SOA", timeout_ms, &r, err) < 0)
		goto out;
	ans = ldns_pkt_answer(r);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) >= 3) {
			*serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
			rc = 0;
			goto out;
		}
	}
	err_set(err, ERR_REMOTE, RETRY_LATER,
		"server '%s' gave no SOA record for zone '%s'", server, z);
out:
	if (r)
		ldns_pkt_free(r);
	free(z);
	return rc;
}

void dnsctl_check_release(struct dnsctl_check *c)
{
	for (size_t i = 0; i < c->n_servers; i++) {
		free(c->servers[i].server);
		strv_free(c->servers[i].problems);
	}
	free(c->servers);
	memset(c, 0, sizeof *c);
}

static void problem(struct dnsctl_server_check *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct dnsctl_server_check *s, const char *fmt, ...)
{
	struct sbuf sb;
	va_list ap;

	sbuf_init(&sb, 4096);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strv_push(&s->problems, sb.buf);
	sbuf_release(&sb);
	s->ok = false;
}

static void check_one(struct dnsctl_server_check *s, const char *zone,
		      const struct dnsctl_rrset *want, size_t n_want,
		      unsigned timeout_ms)
{
	struct dnsctl_rrset got;
	struct err err;

	err_clear(&err);
	s->ok = true;
	if (dnsctl_query_serial(s->server, zone, timeout_ms, &s->serial,
				&err) < 0) {
		problem(s, "%s", err.msg);
		return;
	}
	s->reached = true;
	s->has_serial = true;
	dnsctl_rrset_init(&got);
	for (size_t i = 0; i < n_want; i++) {
		const struct dnsctl_rrset *w = &want[i];
		int rc;

		err_clear(&err);
		rc = dnsctl_query(s->server, w->name, w->type, timeout_ms, &got,
				  &err);
		if (rc < 0) {
			problem(s, "'%s %s': %s", w->name, w->type, err.msg);
		} else if (rc == 0 && w->n) {
			problem(s, "'%s %s': no such RRset, expected TTL %lu",
				w->name, w->type, (unsigned long)w->ttl);
		} else if (rc == 1 && !w->n) {
			problem(s, "'%s %s': serves an RRset that should not "
				"exist", w->name, w->type);
		} else if (rc == 1 && !dnsctl_rrset_same_data(&got, w)) {
			char *g = dnsctl_rrset_join(&got, " | ");
			char *e = dnsctl_rrset_join(w, " | ");

			problem(s, "'%s %s': serves '%s', expected '%s'",
				w->name, w->type, g, e);
			free(g);
			free(e);
		} else if (rc == 1 && got.ttl != w->ttl) {
			problem(s, "'%s %s': serves TTL %lu, expected %lu",
				w->name, w->type, (unsigned long)got.ttl,
				(unsigned long)w->ttl);
		}
		dnsctl_rrset_release(&got);
	}
}

int dnsctl_check_servers(char *const *servers, size_t n_servers,
			 const char *zone, const struct dnsctl_rrset *want,
			 size_t n_want, unsigned timeout_ms,
			 struct dnsctl_check *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	if (n_servers == 0)
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "zone '%s': no server to check", zone);
	out->servers = xcalloc(n_servers, sizeof *out->servers);
	out->n_servers = n_servers;
	out->serials_agree = true;
	out->ok = true;
	for (size_t i = 0; i < n_servers; i++) {
		struct dnsctl_server_check *s = &out->servers[i];

		s->server = xstrdup(servers[i]);
		check_one(s, zone, want, n_want, timeout_ms);
		if (!s->ok)
			out->ok = false;
		for (size_t j = 0; j < i; j++)
			if (s->has_serial && out->servers[j].has_serial &&
			    s->serial != out->servers[j].serial)
				out->serials_agree = false;
		log_debug(LOGC_DNS, "check %s: %s, serial %lu", s->server,
			  s->ok ? "ok" : "lags", (unsigned long)s->serial);
	}
	if (!out->serials_agree)
		out->ok = false;
	return 0;
}

int dnsctl_check_err(const struct dnsctl_check *c, const char *zone,
		     struct err *err)
{
	struct sbuf sb;
	size_t bad = 0;

	sbuf_init(&sb, ERR_MSG_MAX);
	for (size_t i = 0; i < c->n_servers; i++)
		if (!c->servers[i].ok)
			bad++;
	if (bad)
		sbuf_addf(&sb, "%zu of %zu servers lag", bad, c->n_servers);
	for (size_t i = 0; i < c->n_servers; i++) {
		const struct dnsctl_server_check *s = &c->servers[i];

		if (s->ok || !s->problems)
			continue;
		sbuf_addf(&sb, "; server '%s': %s", s->server, s->problems[0]);
		if (strv_len(s->problems) > 1)
			sbuf_addf(&sb, " (and %zu more)",
				  strv_len(s->problems) - 1);
	}
	if (!c->serials_agree) {
		sbuf_addf(&sb, "%sSOA serials differ:", bad ? "; " : "");
		for (size_t i = 0; i < c->n_servers; i++)
			if (c->servers[i].has_serial)
				sbuf_addf(&sb, " '%s' %lu",
					  c->servers[i].server,
					  (unsigned long)c->servers[i].serial);
	}
	err_set(err, ERR_REMOTE, RETRY_LATER, "zone '%s': %s", zone,
		sb.len ? sb.buf : "check failed");
	sbuf_release(&sb);
	return -1;
}
