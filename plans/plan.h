/*
 * plan.h -- the migration plan: YAML (format version 1) into plain C structs.
 *
 * plan_load() reads a plan file with libyaml, plus the CSV files it names,
 * validates everything (types, required keys, unknown keys with a "did you
 * mean" hint, cross-references, literal secrets) and either returns a plan
 * or the full list of problems, each as "FILE:LINE:COL: message" with
 * 1-based line and column.  All errors are collected before it stops.
 * The format is documented in docs/migrate-plan.5.
 *
 * Ownership: the struct plan and everything it points to belong to the
 * plan; plan_free() releases all of it.  Nothing from libyaml escapes.
 * Indices (backend, phase, user) are positions in the plan's arrays, which
 * never change after loading.
 *
 * Secrets are never loaded here: the plan holds struct secret_ref values,
 * resolved later by whoever needs the secret (util/secret.h).
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "util/secret.h"

struct err;

#define PLAN_VERSION 1
#define PLAN_MAX_FILE_SIZE ((size_t)16 << 20)	/* larger plans are refused */
#define PLAN_NONE ((size_t)-1)			/* "no index" */

/* Where a value came from, for messages that point at the plan. */
struct plan_pos {
	const char *file;	/* borrowed from the plan (plan->path or a CSV path) */
	unsigned line, col;	/* 1-based; 0 if unknown */
};

enum plan_tls { PLAN_TLS_IMPLICIT = 0, PLAN_TLS_STARTTLS, PLAN_TLS_NONE };

enum plan_login_method {
	PLAN_LOGIN_PER_USER = 0,	/* CSV file address,login,secret */
	PLAN_LOGIN_MASTER,		/* admin/master user + authzid */
	PLAN_LOGIN_OAUTH2,		/* XOAUTH2 token from a command */
};

/* How a master login names the user (method master only). */
enum plan_master_form {
	PLAN_MASTER_AUTHZID = 0,	/* AUTHENTICATE PLAIN, the user as
					 * authorization identity */
	PLAN_MASTER_SEPARATOR,		/* LOGIN "user<sep>admin" secret
					 * (Dovecot's master separator) */
};

#define PLAN_MASTER_SEPARATOR_MAX 4	/* bytes in a master separator */
/* Bandwidth caps a plan may set, bytes per second (0: no cap). */
#define PLAN_BANDWIDTH_MIN 1000ull
#define PLAN_BANDWIDTH_MAX (100ull * 1000 * 1000 * 1000)

struct plan_backend {
	struct plan_pos pos;
	char *name;
	/* IMAP endpoint */
	char *host;
	unsigned port;			/* default 993 implicit, 143 otherwise */
	enum plan_tls tls;		/* default implicit */
	char *ca_file;			/* NULL: system default CA store */
	unsigned timeout;		/* seconds per network operation, default 60 */
	unsigned connections;		/* parallel sessions to this server, default 4 */
	uint64_t bandwidth;		/* bytes/s, all sessions to this server
					 * together, both directions;
					 * 0 (default): no cap */
	/* credentials */
	enum plan_login_method login_method;
	char *login_user;		/* master: the admin login (authcid) */
	struct secret_ref secret;	/* master: the admin password */
	enum plan_master_form master_form;	/* master: default authzid */
	char *master_separator;		/* master, form separator: default "*";
					 * else NULL */
	char *credentials_file;		/* per-user: CSV address,login,secret (mode 0600) */
	char **token_command;		/* oauth2: argv; "{login}" and "{address}" are substituted */
	/* split delivery */
	char *route;			/* e.g. "lmtp:inet:127.0.0.1:24", "smtp:[mx.host]:25" */
	bool is_default;		/* default: true -- where users live unless said otherwise */
	char **spf;			/* SPF terms that cover this platform's outgoing
					 * mail ("include:spf.suite.example"), NULL-terminated;
					 * NULL: not declared */
};

/* ---- SMTP hosts and the MX layout (plan_mx.c; "migrate check --live") --- */

enum plan_mx_role { PLAN_MX_ACTIVE = 0, PLAN_MX_BACKUP };

/*
 * An SMTP host to probe: an MX host (with its preference and role) or the
 * gateway.  connect[i], when not NULL, is the "address:port" dialled
 * instead of the host's own addresses at ports[i] (labs, split horizon).
 */
struct plan_smtp_host {
	struct plan_pos pos;
	char *host;			/* lowercase, no final dot */
	unsigned preference;		/* MX preference (MX hosts only) */
	enum plan_mx_role role;		/* default active */
	unsigned *ports;		/* SMTP ports to probe; default { 25 } */
	char **connect;			/* n_ports entries, each NULL or "addr:port" */
	size_t n_ports;
};

struct plan_mx {
	struct plan_pos pos;
	bool present;
	char *name;			/* owner of the MX RRset: absolute, lowercase;
					 * default the zone */
	struct plan_smtp_host *hosts;	/* the layout before any phase */
	size_t n_hosts;
	struct plan_smtp_host *final;	/* the layout after the last phase: as
					 * declared, else what the phases' dns_change
					 * sets, else the same hosts as 'hosts' */
	size_t n_final;
	bool final_declared;
	unsigned ttl;			/* the MX TTL in normal times; 0: not said */
	char **resolvers;		/* "host:port" asked recursively for names no
					 * authoritative server answers; NULL: none */
	char *ca_file;			/* CA for SMTP certificates and MTA-STS
					 * policies; NULL: the system store */
	unsigned warn_days;		/* certificate expiry warning; default 21 */
	unsigned timeout;		/* seconds per network probe; default 10 */
	char *helo;			/* our EHLO name; default "migrate-check.invalid" */
	char *probe_from;		/* MAIL FROM of RCPT probes; "" (default): <> */
	char *probe_unknown;		/* local part that must not exist; default
					 * "migrate-probe-no-such-user" */
	char *probe_foreign;		/* an address outside the plan's domains;
					 * default "relay-probe@migrate-probe.example" */
	unsigned mta_sts_port;		/* port of the MTA-STS policy host; default 443 */
};

enum plan_map_type {
	PLAN_MAP_LMDB = 0, PLAN_MAP_CDB, PLAN_MAP_HASH, PLAN_MAP_TEXTHASH,
};

struct plan_gateway {
	struct plan_pos pos;
	bool present;
	char *kind;			/* "postfix" */
	char *map;			/* path of the transport map source file */
	enum plan_map_type map_type;	/* default lmdb */
	char *postmap;			/* default "postmap" */
	char *config_dir;		/* postfix -c DIR; NULL: the default */
	char **reload;			/* argv, NULL: no reload */
	char *recipient_map;		/* relay_recipient_maps file, NULL: none */
	bool default_route;		/* write "domain route-of-default-backend" lines */
	/* live checks (plan_mx.c) */
	struct plan_smtp_host smtp;	/* hostname and ports; smtp.host NULL: none */
	unsigned queue_max;		/* messages in the queue; default 1000 */
	unsigned min_free_mb;		/* free space where the queue lives; default 1024 */
};

enum plan_dns_provider { PLAN_DNS_POWERDNS = 0, PLAN_DNS_RFC2136 };

struct plan_rrkey {			/* "example.com. MX" */
	struct plan_pos pos;
	char *name;			/* absolute, with final dot, lowercase */
	char *type;			/* uppercase: "MX", "CNAME", "TXT", ... */
};

struct plan_dns {
	struct plan_pos pos;
	bool present;
	enum plan_dns_provider provider;
	char *endpoint;			/* powerdns: http(s)://host:port/api/v1; rfc2136: host:port */
	struct secret_ref key;		/* API key or TSIG secret (base64) */
	char *key_name;			/* rfc2136: TSIG key name */
	char *algorithm;		/* rfc2136: hmac-sha256 (default) | hmac-sha512 */
	char *server_id;		/* powerdns: default "localhost" */
	char *ca_file;			/* https endpoint CA */
	char *zone;			/* absolute, with final dot, lowercase */
	struct plan_rrkey *manage;
	size_t n_manage;
	unsigned low_ttl;		/* default 300 */
	char **servers;			/* authoritative servers to verify, "host:port"; NULL: the NS set */
	struct plan_mx mx;		/* the MX layout; mx.present false: none */
};

struct plan_folder_map {
	struct plan_pos pos;
	char *from;			/* source folder name (UTF-8) */
	char *to;			/* destination folder name (UTF-8) */
};

struct plan_folders {
	bool special_use;		/* auto-map \Sent etc., default true */
	char **exclude;			/* glob patterns (fnmatch), NULL-terminated or NULL */
	struct plan_folder_map *map;
	size_t n_map;
};

struct plan_user {
	struct plan_pos pos;
	char *address;			/* lowercase */
	char *group;			/* NULL: no group */
	char *source_login;		/* NULL: the address */
	char *dest_login;		/* NULL: the address */
	size_t backend;			/* where the user lives before any phase (index) */
	size_t phase;			/* the phase that moves the user, or PLAN_NONE */
};

struct plan_group {
	char *name;
	size_t *users;			/* indices into plan->users */
	size_t n_users;
};

struct plan_dns_change {
	struct plan_pos pos;
	struct plan_rrkey key;
	char **records;			/* new rdata, NULL-terminated ("10 mx1.example.net.") */
	unsigned ttl;			/* 0: keep the RRset's TTL */
};

struct plan_phase {
	struct plan_pos pos;
	char *name;
	char **user_names;		/* as written (users: [...]) */
	char **group_names;		/* as written (groups: [...]) */
	bool rest;			/* every user not named by another phase */
	size_t from, to;		/* backend indices */
	struct plan_dns_change *dns_change;
	size_t n_dns_change;
	bool has_not_before;
	time_t not_before;
	bool expunge;			/* propagate source expunges (prestage,
					 * delta, migrate sync); default no */
	size_t *users;			/* resolved members, indices into plan->users, in plan order */
	size_t n_users;
};

struct plan {
	char *path;			/* as given to plan_load */
	char *dir;			/* directory of the plan (relative paths resolve here) */
	unsigned version;
	char *migration;		/* the migration's name */
	char **domains;			/* lowercase, NULL-terminated */
	char *state_path;		/* resolved: state: key, or <plan minus .yaml>.state.db next to it */

	struct plan_backend *backends;
	size_t n_backends;
	struct plan_gateway gateway;
	struct plan_dns dns;
	struct plan_folders folders;
	struct plan_user *users;
	size_t n_users;
	struct plan_group *groups;
	size_t n_groups;
	struct plan_phase *phases;
	size_t n_phases;

	struct strmap *user_index;	/* address -> (struct plan_user *) */
	char **csv_paths;		/* files the plan read (so positions can borrow them) */
};

/* One problem found while loading. */
struct plan_diag {
	char *file;
	unsigned line, col;
	char *msg;
	bool warning;			/* warnings do not stop loading */
};

struct plan_diags {
	struct plan_diag *v;
	size_t n;
	size_t n_errors;
};

/*
 * Load and validate a plan.  On success returns 0 and *out owns the plan;
 * warnings may still be in diags.  On failure returns -1, *out is NULL and
 * diags holds every problem found (err has a one-line summary such as
 * "plan.yaml: 3 errors", category ERR_PLAN; or ERR_IO when the file cannot
 * be read at all).
 */
int plan_load(const char *path, struct plan **out, struct plan_diags *diags,
	      struct err *err);
/* Same, from memory (`name` is used in messages and to resolve paths). */
int plan_load_mem(const char *name, const char *data, size_t len,
		  struct plan **out, struct plan_diags *diags,
		  struct err *err);
struct plan *plan_free(struct plan *p);		/* returns NULL */

void plan_diags_init(struct plan_diags *d);
void plan_diags_release(struct plan_diags *d);
/* "FILE:LINE:COL: message" ("FILE:LINE:COL: warning: message"), one per line. */
void plan_diags_print(const struct plan_diags *d, FILE *fp);

/* Lookups. */
size_t plan_backend_index(const struct plan *p, const char *name);	/* PLAN_NONE */
size_t plan_phase_index(const struct plan *p, const char *name);	/* PLAN_NONE */
const struct plan_user *plan_user_find(const struct plan *p, const char *address);
const char *plan_tls_name(enum plan_tls t);
const char *plan_map_type_name(enum plan_map_type t);
const char *plan_login_method_name(enum plan_login_method m);
const char *plan_master_form_name(enum plan_master_form f);
const char *plan_dns_provider_name(enum plan_dns_provider p);
const char *plan_mx_role_name(enum plan_mx_role r);
/* A bandwidth as the plan writes it ("500KB/s", "1.5MB/s", "2GiB/s",
 * "0") into bytes per second: K, M, G are powers of 1000, Ki, Mi, Gi of
 * 1024.  0 ok (*out set; "0" is no cap), -1 bad (*out untouched). */
int plan_parse_bandwidth(const char *s, uint64_t *out);
/* An MX record in presentation form ("10 mx1.example.net.") into its
 * preference and host (new string: lowercase, no final dot; "" for the
 * null MX "0 ."); 0 ok, -1 not an MX record with an absolute name. */
int plan_mx_parse_record(const char *rdata, unsigned *pref, char **host);

#endif
