/*
 * dnsctl_int.h -- private to dnsctl/: the provider vtable, the handle,
 * the wire exchange and the ldns conversions.
 *
 * A provider implements struct dnsctl_provider_ops; dnsctl.c keeps the
 * registry (type name -> ops) and does the checks common to every
 * provider (name inside the zone, TTL range) before calling it, so a
 * provider's get and replace only ever see canonical in-zone names.
 */
#ifndef DNSCTL_INT_H
#define DNSCTL_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dnsctl/dnsctl.h"
#include "util/err.h"

struct dnsctl_provider_ops {
	const char *type;
	/* Check the provider-specific configuration, set up d->priv. */
	int (*open)(struct dnsctl *d, struct err *err);
	void (*close)(struct dnsctl *d);
	int (*ping)(struct dnsctl *d, struct err *err);
	/* name and type are canonical; 1 found, 0 none, -1 error */
	int (*get)(struct dnsctl *d, const char *name, const char *type,
		   struct dnsctl_rrset *out, struct err *err);
	/* rs is canonical and in the zone; the RRset must exist */
	int (*replace)(struct dnsctl *d, const struct dnsctl_rrset *rs,
		       struct err *err);
};

/* dnsctl_pdns.c, dnsctl_rfc2136.c */
extern const struct dnsctl_provider_ops dnsctl_pdns_ops;
extern const struct dnsctl_provider_ops dnsctl_rfc2136_ops;

struct dnsctl {
	const struct dnsctl_provider_ops *ops;
	char *endpoint;
	char *key;		/* the secret value: wiped at close */
	char *key_name;		/* rfc2136: canonical, with final dot */
	char *algorithm;	/* rfc2136: "hmac-sha256." (wire name) */
	char *server_id;
	char *ca_file;
	char *zone;		/* canonical */
	unsigned connect_timeout_ms, timeout_ms;
	char last_error[ERR_MSG_MAX];
	void *priv;		/* the provider's */
};

/*
 * Set err to "TYPE 'ENDPOINT' zone 'ZONE': record 'NAME TYPE': MESSAGE"
 * (the record part only when rname is not NULL), remember it as the
 * handle's last error, return -1.
 */
int dnsctl_fail(struct dnsctl *d, struct err *err, enum err_cat cat,
		enum err_retry retry, const char *rname, const char *rtype,
		const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Prefix an error set by a lower layer with the handle's context. */
int dnsctl_fail_ctx(struct dnsctl *d, struct err *err, const char *rname,
		    const char *rtype);

/* ---- ldns conversions (dnsctl_rrset.c) ---- */

/* The canonical rdata of one ldns record (new string). */
char *dnsctl_rr_rdata(const ldns_rr *rr);
/* Append canonical rdata to rs (no sorting): call dnsctl_rrset_finish. */
void dnsctl_rrset_add(struct dnsctl_rrset *rs, char *rdata_taken);
/* Sort and drop duplicates. */
void dnsctl_rrset_finish(struct dnsctl_rrset *rs);
/* Append the ldns records of rs (class IN, rs->ttl) to list.  ERR_PLAN if
 * one does not parse (list may then hold some of them). */
int dnsctl_rrset_to_ldns(const struct dnsctl_rrset *rs, ldns_rr_list *list,
			 struct err *err);
/* DNS rcode name ("REFUSED"), or "RCODE n" in buf. */
const char *dnsctl_rcode_name(int rcode, char *buf, size_t size);

/* ---- pure parts of the providers, for unit tests ---- */

/* From a PowerDNS zone (GET .../zones/ZONE), the enabled records of
 * name/type (canonical): 1 found, 0 none, -1 not a zone (ERR_REMOTE). */
int dnsctl_pdns_parse_rrset(const char *body, size_t len, const char *name,
			    const char *type, struct dnsctl_rrset *out,
			    struct err *err);
/* The PATCH body replacing rs (new string). */
char *dnsctl_pdns_patch_body(const struct dnsctl_rrset *rs);
/* The unsigned UPDATE for the zone: replace rs (prerequisite RRset
 * exists, delete RRset, add each record), or with rs NULL the ping
 * (prerequisite "the apex exists", no update).  ERR_PLAN if a record of
 * rs does not parse. */
int dnsctl_rfc2136_update(const char *zone, const struct dnsctl_rrset *rs,
			  ldns_pkt **out, struct err *err);

/* ---- the wire (dnsctl_wire.c) ---- */

/*
 * Send one DNS message to server ("host:port" or "[v6]:port") and return
 * the reply with the same ID: over TCP, or over UDP (a few tries within
 * timeout_ms).  *resp is a new buffer.  ERR_REMOTE (RETRY_LATER) when the
 * server cannot be reached or does not answer in time; ERR_CONFIG when
 * the server string is bad.
 */
int dnsctl_wire_exchange(const char *server, const uint8_t *msg, size_t len,
			 bool tcp, unsigned timeout_ms, uint8_t **resp,
			 size_t *resp_len, struct err *err);
/* A query (RD clear) for name/type, over UDP then TCP if truncated; the
 * parsed reply in *out (ldns_pkt_free it). */
int dnsctl_wire_query(const char *server, const char *name, const char *type,
		      unsigned timeout_ms, ldns_pkt **out, struct err *err);
/* The same, with the RD (recursion desired) bit as given. */
int dnsctl_wire_query_rd(const char *server, const char *name,
			 const char *type, bool rd, unsigned timeout_ms,
			 ldns_pkt **out, struct err *err);

#endif
