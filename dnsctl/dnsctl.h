/*
 * dnsctl.h -- DNS control: read an RRset, replace it (its records and its
 * TTL) through a provider, and check what every authoritative server of
 * the zone really serves.
 *
 * The engine knows nothing of plans or of the state store: the caller
 * fills a struct dnsctl_config (with the key's VALUE, already resolved)
 * and gets plain structs back.  Providers sit behind one vtable with a
 * registry by type name (dnsctl_int.h):
 *
 *	powerdns  the PowerDNS Authoritative HTTP API (libcurl, jansson);
 *		  an RRset is replaced with one PATCH (changetype REPLACE)
 *	rfc2136   dynamic UPDATE (RFC 2136) signed with TSIG hmac-sha256 or
 *		  hmac-sha512 (ldns), over TCP.  A replace is ONE message:
 *		  prerequisite "RRset exists", delete the RRset, add every
 *		  record at the new TTL (the only form that changes a TTL on
 *		  Knot as well as on BIND and PowerDNS)
 *
 * Records are compared in a canonical presentation form: each record's
 * rdata as ldns prints it, domain names lowercased, TXT strings quoted.
 * Domain names in rdata must be absolute (end with a dot): a relative
 * name is refused rather than silently completed.
 *
 * Direct queries (dnsctl_query*, dnsctl_check_servers) go to the servers
 * the caller names and to nobody else: no system resolver is asked about
 * any record (a server given by host name is looked up with getaddrinfo,
 * once, to find its address).  Queries go over UDP, and over TCP when the
 * answer is truncated.
 *
 * Errors: every function returning int gives 0 (or 1/0 as documented) and
 * -1 with err set.  Messages name the provider, the zone, the record
 * ("corp.example. MX") and the problem.  Categories: ERR_AUTH for a
 * refused key (HTTP 401/403, TSIG BADSIG/BADKEY/BADTIME, REFUSED),
 * ERR_REMOTE with RETRY_LATER when a server cannot be reached or fails
 * temporarily, ERR_REMOTE with RETRY_NEVER when it rejects the request,
 * ERR_PLAN for a record outside the zone, an RRset that does not exist or
 * records that do not parse, ERR_CONFIG for a bad key or configuration.
 * Secrets never appear in a message or a debug line.
 *
 * Ownership: strings in the structs below are owned by the struct and
 * freed by the matching _release function; config strings are borrowed
 * for the life of the handle (dnsctl_open copies what it keeps).
 */
#ifndef DNSCTL_H
#define DNSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

#define DNSCTL_TTL_MAX 2147483647u	/* RFC 2181, section 8 */
#define DNSCTL_CONNECT_TIMEOUT_MS 10000
#define DNSCTL_TIMEOUT_MS 30000
#define DNSCTL_QUERY_TIMEOUT_MS 6000

/*
 * How to reach a provider.  Every pointer is borrowed.
 *	endpoint	powerdns: the API base URL ("http://h:8081/api/v1");
 *			rfc2136: host:port of the primary
 *	key		the API key, or the base64 TSIG secret: the VALUE
 *	key_name	rfc2136: the TSIG key name
 *	algorithm	rfc2136: "hmac-sha256" (also for NULL), "hmac-sha512"
 *	server_id	powerdns: NULL means "localhost"
 *	ca_file		powerdns over https: CA file; NULL: the system store
 *	zone		"corp.example." (the final dot is optional)
 */
struct dnsctl_config {
	const char *type;	/* "powerdns" or "rfc2136" */
	const char *endpoint;
	const char *key;
	const char *key_name;
	const char *algorithm;
	const char *server_id;
	const char *ca_file;
	const char *zone;
	unsigned connect_timeout_ms;	/* 0: DNSCTL_CONNECT_TIMEOUT_MS */
	unsigned timeout_ms;		/* per request; 0: DNSCTL_TIMEOUT_MS */
};

/* One RRset.  rdata is sorted, without duplicates, in canonical form. */
struct dnsctl_rrset {
	char *name;		/* absolute, lowercase, with the final dot */
	char *type;		/* uppercase: "MX", "TXT", "TYPE65534" */
	uint32_t ttl;
	char **rdata;		/* n strings */
	size_t n;
};

void dnsctl_rrset_init(struct dnsctl_rrset *rs);
void dnsctl_rrset_release(struct dnsctl_rrset *rs);
void dnsctl_rrset_copy(struct dnsctl_rrset *dst,
		       const struct dnsctl_rrset *src);
/*
 * Fill rs (released first) from a name, a type, a TTL and records in
 * presentation form, canonicalising each record (see dnsctl_rdata_canon).
 * ERR_PLAN naming the record when one does not parse, when the type is
 * unknown, the TTL is above DNSCTL_TTL_MAX or there is no record.
 */
int dnsctl_rrset_set(struct dnsctl_rrset *rs, const char *name,
		     const char *type, uint32_t ttl, const char *const *rdata,
		     size_t n, struct err *err);
/* Same records (TTL ignored) / same records and TTL. */
bool dnsctl_rrset_same_data(const struct dnsctl_rrset *a,
			    const struct dnsctl_rrset *b);
bool dnsctl_rrset_equal(const struct dnsctl_rrset *a,
			const struct dnsctl_rrset *b);
/* The records joined by sep ("10 a.example. | 20 b.example.").  New string. */
char *dnsctl_rrset_join(const struct dnsctl_rrset *rs, const char *sep);
/* Split records joined by "\n" (as dnsctl_rrset_join(rs, "\n") made them)
 * back into rs->rdata, with name, type and ttl.  ERR_PLAN if bad. */
int dnsctl_rrset_parse(struct dnsctl_rrset *rs, const char *name,
		       const char *type, uint32_t ttl, const char *joined,
		       struct err *err);

/*
 * Canonical form of one record of the given type ("MX", "10 MX1.Example.
 * " -> "10 mx1.example.").  A TXT or SPF record that does not start with
 * a double quote is taken as one text (quoted here, split every 255
 * bytes).  *out is a new string.  ERR_PLAN when it does not parse or
 * holds a relative domain name.
 */
int dnsctl_rdata_canon(const char *type, const char *text, char **out,
		       struct err *err);
/* "Corp.Example" -> "corp.example." (new string), or NULL if not a valid
 * domain name. */
char *dnsctl_name_canon(const char *name);
/* name is the zone apex or below it (both canonical or not). */
bool dnsctl_name_in_zone(const char *name, const char *zone);
/* Uppercase type mnemonic known to ldns ("mx" -> "MX"), or NULL. */
char *dnsctl_type_canon(const char *type);
/* The TSIG algorithm name on the wire for "hmac-sha256" / "hmac-sha512"
 * (with or without final dot, any case), or NULL if not supported. */
const char *dnsctl_tsig_algorithm(const char *name);

/* ---- providers ---------------------------------------------------- */

struct dnsctl;		/* a provider handle (opaque) */

/* Provider type names, NULL-terminated. */
const char *const *dnsctl_provider_names(void);
bool dnsctl_provider_known(const char *type);

/*
 * Check the configuration and set up a handle (no network traffic yet).
 * The key VALUE is copied and wiped at dnsctl_close.
 */
int dnsctl_open(const struct dnsctl_config *cfg, struct dnsctl **out,
		struct err *err);
struct dnsctl *dnsctl_close(struct dnsctl *d);		/* returns NULL */
const char *dnsctl_type(const struct dnsctl *d);	/* "powerdns" */
const char *dnsctl_zone(const struct dnsctl *d);	/* "corp.example." */
/* The last error on this handle ("" if none): borrowed. */
const char *dnsctl_last_error(const struct dnsctl *d);

/* The provider answers, takes our key and serves the zone; changes
 * nothing (rfc2136: an UPDATE whose only part is the prerequisite "the
 * zone apex exists"). */
int dnsctl_ping(struct dnsctl *d, struct err *err);
/* Read one RRset through the provider: 1 found (out filled), 0 there is
 * none (out empty), -1 error.  ERR_PLAN when name is outside the zone. */
int dnsctl_get(struct dnsctl *d, const char *name, const char *type,
	       struct dnsctl_rrset *out, struct err *err);
/*
 * Replace an existing RRset with rs (records and TTL) in one operation.
 * Reads it first: ERR_PLAN ("no RRset") when there is none, and nothing
 * is sent when it is already as wanted.  Reads it back after: when the
 * provider serves something else (a TTL capped or raised without a word,
 * as BIND's max-zone-ttl does), the previous RRset is put back and the
 * error says what the provider did (ERR_REMOTE, RETRY_NEVER).
 */
int dnsctl_replace(struct dnsctl *d, const struct dnsctl_rrset *rs,
		   struct err *err);
/* The zone's authoritative servers, from its NS RRset and the A/AAAA
 * records of in-zone server names, read through the provider, as
 * "address:port" strings (NULL-terminated, strv_free).  A server name
 * outside the zone cannot be resolved without a resolver: ERR_PLAN asking
 * for the servers to be listed. */
int dnsctl_ns_servers(struct dnsctl *d, unsigned port, char ***out,
		      struct err *err);

/* ---- asking the servers directly ---------------------------------- */

/*
 * Ask server ("host:port", "[v6]:port") for name/type, not recursively.
 * 1: the server answered authoritatively with the RRset (out filled);
 * 0: authoritatively, that there is no such RRset (NODATA or NXDOMAIN);
 * -1: unreachable, not authoritative (no AA bit), or an error rcode.
 */
int dnsctl_query(const char *server, const char *name, const char *type,
		 unsigned timeout_ms, struct dnsctl_rrset *out,
		 struct err *err);
/* The zone's SOA serial as the server gives it. */
int dnsctl_query_serial(const char *server, const char *zone,
			unsigned timeout_ms, uint32_t *serial,
			struct err *err);

/* What one server serves, against what was expected. */
struct dnsctl_server_check {
	char *server;		/* "host:port" */
	bool reached;		/* answered authoritatively */
	bool ok;		/* reached and every RRset as expected */
	bool has_serial;
	uint32_t serial;
	char **problems;	/* NULL-terminated lines, NULL when ok */
};

struct dnsctl_check {
	struct dnsctl_server_check *servers;
	size_t n_servers;
	bool serials_agree;	/* every reached server gave the same serial */
	bool ok;		/* every server ok and serials agree */
};

void dnsctl_check_release(struct dnsctl_check *c);
/*
 * Ask every server for the zone's SOA serial and for each expected RRset
 * (a want entry with n == 0 expects no RRset).  Fills out (released by
 * the caller) and returns 0 whatever the servers said; -1 only for bad
 * arguments (no server).
 */
int dnsctl_check_servers(char *const *servers, size_t n_servers,
			 const char *zone, const struct dnsctl_rrset *want,
			 size_t n_want, unsigned timeout_ms,
			 struct dnsctl_check *out, struct err *err);
/* An error (ERR_REMOTE, RETRY_LATER) summing up a failed check: the
 * servers that lag and the first problem of each.  Returns -1. */
int dnsctl_check_err(const struct dnsctl_check *c, const char *zone,
		     struct err *err);

/* ---- looking names up (dnsctl_lookup.c) ----------------------------
 *
 * For checks that need names outside the RRsets migrate manages (MX
 * hosts, their addresses and PTR records, SPF and MTA-STS TXT records):
 * still only the servers the caller names are asked, never the system
 * resolver.  `servers` are authoritative servers (asked without
 * recursion; only an authoritative answer counts, so a server that does
 * not serve the name is skipped); `resolvers` are recursive resolvers
 * (asked with RD; any NOERROR or NXDOMAIN answer counts).  Servers are
 * tried in order, then resolvers, until one answers.
 */
struct dnsctl_answer {
	char *server;		/* the server that answered */
	bool authoritative;	/* its AA bit */
	char *cname;		/* the name asked is an alias: the first CNAME
				 * target (absolute, lowercase), or NULL */
	struct dnsctl_rrset rrset;	/* records of the type asked, of the
					 * name or of the end of its CNAME
					 * chain; n == 0 when there are none */
};
void dnsctl_answer_init(struct dnsctl_answer *a);
void dnsctl_answer_release(struct dnsctl_answer *a);
/*
 * 1: records found; 0: a server answered that there are none (NXDOMAIN
 * or NODATA; cname may still be set); -1: nobody answered for the name
 * (ERR_REMOTE, RETRY_LATER, naming each server and what it said), or the
 * name or type is bad (ERR_PLAN).  out is released first.
 */
int dnsctl_lookup(char *const *servers, char *const *resolvers,
		  const char *name, const char *type, unsigned timeout_ms,
		  struct dnsctl_answer *out, struct err *err);
/* "192.0.2.1" -> "1.2.0.192.in-addr.arpa.", "2001:db8::1" -> the ip6.arpa
 * name (new string), or NULL if not an address. */
char *dnsctl_reverse_name(const char *address);
/* The text of a TXT record in canonical form ("\"v=spf1 \" \"-all\""
 * -> "v=spf1 -all"): the character strings joined, escapes undone.  New
 * string, or NULL when it is not quoted text. */
char *dnsctl_txt_text(const char *rdata);

/* ---- HTTPS GET (dnsctl_http.c) --------------------------------------
 *
 * One GET over HTTPS with libcurl, for documents that DNS points at (an
 * MTA-STS policy).  The certificate is verified against ca_file (NULL:
 * the system store) for the URL's host name; no redirect is followed.
 * connect_to ("HOST:PORT:ADDRESS:PORT", see CURLOPT_CONNECT_TO) pins the
 * address to dial, so that curl never asks the system resolver.
 */
struct dnsctl_http_get {
	const char *url;		/* https://... */
	const char *connect_to;		/* or NULL */
	const char *ca_file;		/* or NULL */
	unsigned timeout_ms;		/* whole request; 0: DNSCTL_TIMEOUT_MS */
	size_t max_body;		/* a larger body fails; 0: 64 KiB */
};
struct dnsctl_http_reply {
	long status;			/* HTTP status */
	char *content_type;		/* or NULL */
	char *body;			/* NUL-terminated */
	size_t len;
};
void dnsctl_http_reply_release(struct dnsctl_http_reply *r);
/* 0 with r filled (whatever the status), -1 when no HTTP answer came
 * (ERR_REMOTE: connection, TLS or certificate problem, timeout, body
 * too large), the message naming the URL and curl's reason. */
int dnsctl_https_get(const struct dnsctl_http_get *req,
		     struct dnsctl_http_reply *r, struct err *err);

#endif
