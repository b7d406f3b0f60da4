/*
 * dnsctl_rfc2136.c -- the "rfc2136" provider: dynamic UPDATE signed with
 * TSIG (hmac-sha256, hmac-sha512) through ldns, sent to the zone's
 * primary (the endpoint, host:port).
 *
 * A replace is one UPDATE message:
 *	prerequisite	NAME TYPE exists (class ANY, value-independent)
 *	update		delete the RRset NAME TYPE
 *	update		add every record at the new TTL
 * so it is atomic on the server, fails with NXRRSET when there is no such
 * RRset (nothing changed), and changes the TTL on Knot too, which ignores
 * an "add" of an existing record with only a new TTL (TESTING.md 4).
 *
 * Updates go over TCP; when the server takes no TCP connection and the
 * message fits in 512 bytes, over UDP (our updates are idempotent, so a
 * retransmission does no harm).  Reads are plain queries to the endpoint
 * (UDP, then TCP when truncated) and must come back authoritative.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

#define TSIG_FUDGE 300
#define UDP_MAX 512

enum { TSIG_BADSIG = 16, TSIG_BADKEY = 17, TSIG_BADTIME = 18 };

static int r_open(struct dnsctl *d, struct err *err)
{
	const char *alg = dnsctl_tsig_algorithm(d->algorithm ? d->algorithm
							     : "hmac-sha256");
	char *kn = dnsctl_name_canon(d->key_name);
	ldns_rdf *b64 = NULL;

	if (!d->key_name || !*d->key_name) {
		free(kn);
		return dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
				   "no TSIG key name");
	}
	if (!kn) {
		char *shown = str_sanitize(d->key_name, 80);

		dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
			    "TSIG key name '%s' is not a domain name", shown);
		free(shown);
		return -1;
	}
	free(d->key_name);
	d->key_name = kn;
	if (!alg) {
		char *shown = str_sanitize(d->algorithm, 40);

		dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
			    "TSIG algorithm '%s' is not supported "
			    "(hmac-sha256, hmac-sha512)", shown);
		free(shown);
		return -1;
	}
	free(d->algorithm);
	d->algorithm = xstrdup(alg);
	if (!*d->key || ldns_str2rdf_b64(&b64, d->key) != LDNS_STATUS_OK ||
	    !b64 || ldns_rdf_size(b64) == 0) {
		if (b64)
			ldns_rdf_deep_free(b64);
		return dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
				   "the secret of TSIG key '%s' is not base64",
				   d->key_name);
	}
	ldns_rdf_deep_free(b64);
	if (!strchr(d->endpoint, ':'))
		return dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
				   "endpoint must be host:port");
	return 0;
}

static void r_close(struct dnsctl *d)
{
	(void)d;
}

/* A record for the prerequisite or update sections: no rdata, TTL 0. */
static ldns_rr *meta_rr(const char *name, ldns_rr_type type,
			ldns_rr_class cls)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, 0);
	return rr;
}

/* Why the server said no, as an error on the handle. */
static int refused(struct dnsctl *d, const ldns_pkt *r, const char *rname,
		   const char *rtype, struct err *err)
{
	int rcode = ldns_pkt_get_rcode(r);
	const ldns_rr *tsig = ldns_pkt_tsig(r);
	int terr = tsig && ldns_rr_rd_count(tsig) > 5 ?
		   ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)) : 0;
	char buf[16];

	if (terr == TSIG_BADSIG || terr == TSIG_BADKEY ||
	    terr == TSIG_BADTIME)
		return dnsctl_fail(d, err, ERR_AUTH, RETRY_NEVER, rname, rtype,
				   "TSIG key '%s' refused (%s: %s)",
				   d->key_name,
				   terr == TSIG_BADSIG ? "BADSIG" :
				   terr == TSIG_BADKEY ? "BADKEY" : "BADTIME",
				   terr == TSIG_BADSIG ? "wrong secret or "
							 "algorithm" :
				   terr == TSIG_BADKEY ? "the server does not "
							 "know this key" :
							 "our clock and the "
							 "server's differ");
	switch (rcode) {
	case LDNS_RCODE_REFUSED:
		return dnsctl_fail(d, err, ERR_AUTH, RETRY_NEVER, rname, rtype,
				   "update refused (REFUSED): key '%s' may not "
				   "update this zone", d->key_name);
	case LDNS_RCODE_NOTAUTH:
		return dnsctl_fail(d, err, ERR_AUTH, RETRY_NEVER, rname, rtype,
				   "update refused (NOTAUTH): the server is "
				   "not authoritative for the zone or refused "
				   "key '%s'", d->key_name);
	case LDNS_RCODE_NXRRSET:
		return dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, rname, rtype,
				   "no RRset (NXRRSET); nothing was changed");
	case LDNS_RCODE_NXDOMAIN:
		return dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, rname, rtype,
				   "the name does not exist (NXDOMAIN)");
	case LDNS_RCODE_NOTZONE:
		return dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, rname, rtype,
				   "the name is outside the zone (NOTZONE)");
	case LDNS_RCODE_SERVFAIL:
		return dnsctl_fail(d, err, ERR_REMOTE, RETRY_LATER, rname,
				   rtype, "the server failed (SERVFAIL)");
	case LDNS_RCODE_NOTIMPL:
		return dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER, rname,
				   rtype, "the server does not take dynamic "
				   "updates (NOTIMP)");
	case LDNS_RCODE_FORMERR:
		return dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER, rname,
				   rtype, "the server refused the update as "
				   "malformed (FORMERR): a record or its TTL "
				   "is not acceptable to it");
	default:
		return dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER, rname,
				   rtype, "update failed (%s)",
				   dnsctl_rcode_name(rcode, buf, sizeof buf));
	}
}

int dnsctl_rfc2136_update(const char *zone, const struct dnsctl_rrset *rs,
			  ldns_pkt **out, struct err *err)
{
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	int rc = -1;

	*out = NULL;
	if (rs) {
		ldns_rr_type t = ldns_get_rr_type_by_name(rs->type);

		ldns_rr_list_push_rr(pre, meta_rr(rs->name, t,
						  LDNS_RR_CLASS_ANY));
		/* the delete goes first: RFC 2136 3.4.2 applies updates in
		 * order */
		ldns_rr_list_push_rr(up, meta_rr(rs->name, t,
						 LDNS_RR_CLASS_ANY));
		if (dnsctl_rrset_to_ldns(rs, up, err) < 0)
			goto out;
	} else {
		ldns_rr_list_push_rr(pre, meta_rr(zone, LDNS_RR_TYPE_ANY,
						  LDNS_RR_CLASS_ANY));
	}
	*out = ldns_update_pkt_new(ldns_dname_new_frm_str(zone),
				   LDNS_RR_CLASS_IN, pre, up, NULL);
	if (!*out) {
		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"cannot build an update for zone '%s'", zone);
		goto out;
	}
	ldns_pkt_set_rd(*out, false);
	rc = 0;
out:
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return rc;
}

/* Sign and send an UPDATE (taken over); check the signed reply. */
static int send_update(struct dnsctl *d, ldns_pkt *q, const char *rname,
		       const char *rtype, struct err *err)
{
	ldns_pkt *r = NULL;
	uint8_t *wire = NULL, *resp = NULL;
	size_t wlen = 0, rlen = 0;
	ldns_status st;
	int rc = -1;

	ldns_pkt_set_random_id(q);
	st = ldns_pkt_tsig_sign(q, d->key_name, d->key, TSIG_FUDGE,
				d->algorithm, NULL);
	if (st != LDNS_STATUS_OK) {
		dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, rname, rtype,
			    "cannot sign with TSIG key '%s': %s", d->key_name,
			    ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		dnsctl_fail(d, err, ERR_INTERNAL, RETRY_NEVER, rname, rtype,
			    "cannot encode the update");
		goto out;
	}
	log_debug(LOGC_DNS, "rfc2136: UPDATE %s (%zu bytes, key '%s', %s)",
		  d->zone, wlen, d->key_name, d->algorithm);
	if (dnsctl_wire_exchange(d->endpoint, wire, wlen, true, d->timeout_ms,
				 &resp, &rlen, err) < 0) {
		if (err->sys_errno != ECONNREFUSED || wlen > UDP_MAX) {
			dnsctl_fail_ctx(d, err, rname, rtype);
			goto out;
		}
		log_debug(LOGC_DNS, "rfc2136: no tcp, trying udp");
		err_clear(err);
		if (dnsctl_wire_exchange(d->endpoint, wire, wlen, false,
					 d->timeout_ms, &resp, &rlen,
					 err) < 0) {
			dnsctl_fail_ctx(d, err, rname, rtype);
			goto out;
		}
	}
	if (ldns_wire2pkt(&r, resp, rlen) != LDNS_STATUS_OK) {
		dnsctl_fail(d, err, ERR_REMOTE, RETRY_LATER, rname, rtype,
			    "malformed reply to the update");
		goto out;
	}
	if (ldns_pkt_get_rcode(r) != LDNS_RCODE_NOERROR ||
	    (ldns_pkt_tsig(r) && ldns_rr_rd_count(ldns_pkt_tsig(r)) > 5 &&
	     ldns_rdf2native_int16(ldns_rr_rdf(ldns_pkt_tsig(r), 5)) != 0)) {
		refused(d, r, rname, rtype, err);
		goto out;
	}
	if (!ldns_pkt_tsig(r) ||
	    !ldns_pkt_tsig_verify(r, resp, rlen, d->key_name, d->key,
				  ldns_rr_rdf(ldns_pkt_tsig(q), 3))) {
		dnsctl_fail(d, err, ERR_AUTH, RETRY_NEVER, rname, rtype,
			    "the server's reply is %s with key '%s': the "
			    "update may or may not have been made",
			    ldns_pkt_tsig(r) ? "not correctly signed" :
					       "not signed", d->key_name);
		goto out;
	}
	rc = 0;
out:
	if (r)
		ldns_pkt_free(r);
	free(resp);
	free(wire);
	ldns_pkt_free(q);
	return rc;
}

static int r_ping(struct dnsctl *d, struct err *err)
{
	ldns_pkt *q;

	if (dnsctl_rfc2136_update(d->zone, NULL, &q, err) < 0)
		return dnsctl_fail_ctx(d, err, NULL, NULL);
	return send_update(d, q, NULL, NULL, err);
}

static int r_get(struct dnsctl *d, const char *name, const char *type,
		 struct dnsctl_rrset *out, struct err *err)
{
	int rc = dnsctl_query(d->endpoint, name, type, d->timeout_ms, out, err);

	if (rc < 0)
		dnsctl_fail_ctx(d, err, name, type);
	return rc;
}

static int r_replace(struct dnsctl *d, const struct dnsctl_rrset *rs,
		     struct err *err)
{
	ldns_pkt *q;

	if (dnsctl_rfc2136_update(d->zone, rs, &q, err) < 0)
		return dnsctl_fail_ctx(d, err, rs->name, rs->type);
	return send_update(d, q, rs->name, rs->type, err);
}

const struct dnsctl_provider_ops dnsctl_rfc2136_ops = {
	.type = "rfc2136",
	.open = r_open,
	.close = r_close,
	.ping = r_ping,
	.get = r_get,
	.replace = r_replace,
};
