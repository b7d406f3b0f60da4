/*
 * probe.h -- look at a mail server from the outside, as a sender would:
 * the SMTP probes of "migrate check --live", and the pure parsers for the
 * mail policies published in DNS (SPF records, MTA-STS policies).
 *
 * probe_smtp() opens one SMTP session: the banner, EHLO, STARTTLS when
 * offered (or TLS from the first byte for port 465), the server's
 * certificate (chain checked against a CA file or the system store, its
 * names against the host name, its expiry date), EHLO again, and
 * optionally RCPT probes: MAIL FROM, one RCPT TO per address, then RSET
 * and QUIT.  It never sends DATA: no message is ever delivered.  The
 * certificate is looked at, not enforced, so that a bad one is reported
 * with the reason rather than as a failed connection.
 *
 * The engine knows nothing of plans: the caller says which name the
 * server should have, which address and port to dial (numeric: this
 * module never resolves a name), and what to probe.
 *
 * OpenSSL is used here for TLS (this module and imapsync/ each keep their
 * own TLS code; neither may include the other).  Every connect, read and
 * write has the caller's timeout.  Server text kept in results has its
 * control characters replaced (str_sanitize).
 *
 * Ownership: result structs own their strings; release them with the
 * matching _release function.  Options are borrowed for the call.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct err;

#define PROBE_TIMEOUT_MS 10000
#define PROBE_REPLY_MAX 65536		/* bytes of one SMTP reply */

struct probe_smtp_opts {
	const char *host;	/* the server's name: SNI, certificate check */
	const char *address;	/* numeric IPv4 or IPv6 address to dial */
	unsigned port;
	bool implicit_tls;	/* TLS from the first byte (submissions, 465) */
	const char *helo;	/* our EHLO name */
	const char *ca_file;	/* NULL: the system store */
	unsigned timeout_ms;	/* each operation; 0: PROBE_TIMEOUT_MS */
	/* RCPT probes: rcpts NULL (or n_rcpts 0) for none */
	const char *mail_from;	/* NULL or "": the null sender <> */
	char *const *rcpts;
	size_t n_rcpts;
};

struct probe_reply {
	int code;		/* 0: none received */
	char *text;		/* the lines without codes, joined by " / " */
};

struct probe_smtp_result {
	bool connected;
	struct probe_reply banner;
	char *banner_host;	/* first word of the banner, or NULL */
	struct probe_reply ehlo;	/* the first EHLO */
	char *ehlo_host;	/* first word of the EHLO reply, or NULL */
	bool starttls_offered;
	bool tls;		/* a TLS session was set up */
	char *tls_version;	/* "TLSv1.3" */
	char *tls_error;	/* why the handshake failed, or NULL */
	bool cert_present;
	bool cert_chain_ok;	/* the chain verifies (dates included) */
	char *cert_chain_error;	/* OpenSSL's reason when it does not */
	bool cert_name_ok;	/* the certificate names the host */
	char *cert_names;	/* its DNS names (or subject CN), ", "-joined */
	time_t cert_not_after;
	struct probe_reply mail;	/* MAIL FROM (RCPT probes only) */
	struct probe_reply *rcpt;	/* one per probed address */
	size_t n_rcpt;
	char *error;		/* why the session stopped early, or NULL */
};

void probe_smtp_result_init(struct probe_smtp_result *r);
void probe_smtp_result_release(struct probe_smtp_result *r);

/*
 * Run one session.  0 when the server was reached (r says how far the
 * session went; r->error when it stopped early); -1 when it could not be
 * reached at all (ERR_REMOTE, RETRY_LATER, naming address and port) or
 * the options are bad (ERR_USAGE).
 */
int probe_smtp(const struct probe_smtp_opts *o, struct probe_smtp_result *r,
	       struct err *err);

/* ---- pure parts (probe_smtp.c), for tests ---------------------------- */

/* One reply line: 1 the last line ("250 ok"), 0 a continuation
 * ("250-..."), -1 not a reply line.  *code gets the number, *text points
 * into line after the separator. */
int probe_reply_line(const char *line, int *code, const char **text);
/* The first word of a text ("mx.example.com ESMTP" -> "mx.example.com"),
 * lowercase, a final dot dropped; NULL if empty.  New string. */
char *probe_first_word(const char *text);

/* ---- SPF and MTA-STS (probe_policy.c) -------------------------------- */

/*
 * The terms of an SPF record ("v=spf1 include:a.example -all" ->
 * "include:a.example", "-all"), lowercase, NULL-terminated (strv_free);
 * NULL when the text is not an SPF record (does not start with "v=spf1").
 */
char **probe_spf_terms(const char *txt);
/* Does the record hold the term?  Qualifier "+" is the default and
 * ignored ("+include:x" == "include:x"); case does not matter. */
bool probe_spf_has(char *const *terms, const char *term);

enum probe_sts_mode { PROBE_STS_NONE = 0, PROBE_STS_TESTING, PROBE_STS_ENFORCE };

struct probe_sts_policy {
	enum probe_sts_mode mode;
	char **mx;		/* patterns, lowercase ("*.example.net") */
	unsigned long max_age;
};
void probe_sts_policy_release(struct probe_sts_policy *p);
/* Parse an MTA-STS policy (RFC 8461 section 3.2).  0 ok; -1 with err
 * (ERR_REMOTE, RETRY_NEVER) naming the first problem: no "version: STSv1",
 * no or a bad mode, no max_age, no mx line with mode enforce or testing. */
int probe_sts_parse(const char *body, size_t len,
		    struct probe_sts_policy *out, struct err *err);
/* The MTA-STS TXT record ("v=STSv1; id=20240101;"): 1 it is one, 0 not. */
int probe_sts_txt(const char *txt);
/* Does host match a policy mx pattern?  "*.example.net" matches exactly
 * one more label on the left (RFC 8461 section 4.1). */
bool probe_sts_match(const char *pattern, const char *host);
const char *probe_sts_mode_name(enum probe_sts_mode m);

#endif
