/*
 * plan_int.h -- what the files of plans/ share; not for other folders.
 *
 *	ptree.c		YAML -> struct ptree (the only user of libyaml)
 *	plan_read.c	struct ptree -> struct plan: keys, types, defaults
 *	plan_backend.c	the backends: section (IMAP, login, bandwidth)
 *	plan_phases.c	the users: and phases: sections
 *	plan_csv.c	users from CSV files
 *	plan_check.c	cross-references and the phase simulation
 *	plan_diag.c	the list of problems
 *	plan.c		plan_load, plan_free, lookups
 *
 * While loading, struct plan_build carries what the checks need and the
 * plan has no room for: where each name was written.  It is freed before
 * plan_load returns.
 */
#ifndef PLAN_INT_H
#define PLAN_INT_H

#include <stdarg.h>

#include "plans/plan.h"

struct ptree;
struct strmap;

#define PLAN_MAX_DIAGS 1000		/* then one "too many problems" line */
#define PLAN_MAX_CSV_USERS 100000	/* users in one CSV file */
#define PLAN_MAX_USERS 1000000		/* users in one plan, all sources */
#define PLAN_MAX_CSV_FIELD 1024		/* bytes in one CSV field */
#define PLAN_MAX_NAME 128		/* bytes in a backend/phase/group name */
#define PLAN_MAX_USER_MSGS 10		/* per-user messages per phase */
#define PLAN_MAX_HINTS 200		/* "did you mean" searches in checks */

struct plan_name_ref {			/* a name as written, and where */
	char *name;
	struct plan_pos pos;
};

struct plan_phase_build {
	char *ctx;			/* "phase 'NAME'" for messages */
	struct plan_pos name_pos;
	struct plan_pos *user_pos;	/* parallel to phase->user_names */
	struct plan_pos *group_pos;	/* parallel to phase->group_names */
	struct plan_pos rest_pos;
	struct plan_name_ref from, to;
	struct plan_pos dns_change_pos;
};

struct plan_user_build {
	struct plan_name_ref backend;	/* name NULL: not given */
};

struct plan_build {
	struct plan *p;
	struct plan_diags *d;
	const char *file;		/* p->path */
	struct plan_phase_build *phases;	/* n = p->n_phases */
	struct plan_user_build *users;		/* n = p->n_users */
	size_t users_alloc;
	struct strmap *addr;		/* address -> index + 1 (for duplicates) */
	struct strmap *domains;		/* p->domains as a set */
	struct strmap *csv_seen;	/* users files already read */
	size_t default_backend;		/* first backend with default: true */
	struct plan_pos default_route_pos;	/* gateway default_route: true */
	bool backends_ok;		/* 'backends' was a usable mapping */
	bool users_ok;			/* 'users' was a usable list */
	bool users_capped;		/* PLAN_MAX_USERS reached, said once */
	struct plan_pos mx_hosts_pos;	/* dns mx 'hosts' */
	struct plan_pos mx_final_pos;	/* dns mx 'final' */
	bool mx_final_ok;		/* 'final' was a usable list */
};

/* plan_diag.c */
void plan_diag_add(struct plan_diags *d, const char *file, unsigned line,
		   unsigned col, bool warning, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void plan_diag_vadd(struct plan_diags *d, const char *file, unsigned line,
		    unsigned col, bool warning, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));
/* Stable sort by file, line, column. */
void plan_diag_sort(struct plan_diags *d);

/* Messages that name where: "FILE:LINE:COL: CTX: message" (ctx may be
 * "" or NULL).  `at` NULL means no position. */
void plan_err_at(struct plan_build *b, const struct ptree *at,
		 const char *ctx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void plan_err_pos(struct plan_build *b, struct plan_pos pos, const char *ctx,
		  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void plan_warn_pos(struct plan_build *b, struct plan_pos pos,
		   const char *ctx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
struct plan_pos plan_pos_of(const struct plan_build *b,
			    const struct ptree *t);

/*
 * plan_get.c: typed values from a mapping.  Each reports its own problems
 * (missing required key, wrong type, out of range) with the context `ctx`
 * ("backend 'legacy' imap") and returns what it could read.
 */
/* Report keys of `map` not in `allowed` (NULL-terminated), with a "did
 * you mean" hint, or as a literal secret for password-like keys. */
void plan_get_keys(struct plan_build *b, const struct ptree *map,
		   const char *ctx, const char *const *allowed);
/* The value of `key`, or NULL (reported as missing when required). */
const struct ptree *plan_get_node(struct plan_build *b,
				  const struct ptree *map, const char *key,
				  const char *ctx, bool required);
/* A non-empty string; `what` names it in messages ("'host'"). */
char *plan_get_scalar(struct plan_build *b, const struct ptree *t,
		      const char *what, const char *ctx);
char *plan_get_str(struct plan_build *b, const struct ptree *map,
		   const char *key, const char *ctx, bool required);
char *plan_get_path(struct plan_build *b, const struct ptree *map,
		    const char *key, const char *ctx, bool required);
/* 1 set, 0 absent (out untouched), -1 bad (reported). */
int plan_get_uint(struct plan_build *b, const struct ptree *map,
		  const char *key, const char *ctx, unsigned min,
		  unsigned max, unsigned *out);
int plan_get_bool(struct plan_build *b, const struct ptree *map,
		  const char *key, const char *ctx, bool *out);
/* names: NULL-terminated; *out = index. */
int plan_get_enum(struct plan_build *b, const struct ptree *map,
		  const char *key, const char *ctx,
		  const char *const *names, int *out);
/* A list of non-empty strings (NULL-terminated copy), or NULL.  *posv, if
 * not NULL, gets the position of each item (free it). */
char **plan_get_strv(struct plan_build *b, const struct ptree *map,
		     const char *key, const char *ctx, bool nonempty,
		     struct plan_pos **posv);
/* The same for a value in hand (`key` names it in messages). */
char **plan_get_strv_node(struct plan_build *b, const struct ptree *v,
			  const char *key, const char *ctx, bool nonempty,
			  struct plan_pos **posv);
/* A secret reference; literal secrets are refused without echoing them. */
void plan_get_secret(struct plan_build *b, const struct ptree *map,
		     const char *key, const char *ctx, bool required,
		     struct secret_ref *out);

/* plan_read.c: fill b->p from the tree; problems go to b->d. */
void plan_read(struct plan_build *b, const struct ptree *root);
/* The key node of `key` in map (for messages that point at a key). */
const struct ptree *plan_read_keynode(const struct ptree *map,
				      const char *key);
/* A section that must be a mapping; NULL if absent or not a mapping
 * (reported; `example` completes "must be a mapping ..."). */
const struct ptree *plan_read_map(struct plan_build *b,
				  const struct ptree *parent, const char *key,
				  const char *ctx, bool required,
				  const char *example);
/* A path from the plan, resolved against the plan's directory. */
char *plan_resolve_path(const struct plan *p, const char *path);
/* Add a user (from the plan or a CSV line); checks the address and the
 * duplicates.  Takes nothing over: strings are copied. */
struct plan_user *plan_add_user(struct plan_build *b, struct plan_pos pos,
				const char *address, const char *group,
				const char *source_login,
				const char *dest_login);
/* Is the name usable for a backend, phase or group? */
bool plan_name_ok(const char *s);
/* Lowercase, drop a final dot; NULL if not a valid domain name.  New
 * string. */
char *plan_norm_domain(const char *s);
/* "name TYPE" -> key (name lowercase with final dot, TYPE uppercase; "@"
 * is the zone, if any); 0 ok, -1 bad. */
int plan_parse_rrkey(const char *s, const char *zone, struct plan_rrkey *out);
/* "host:port" or "[v6]:port"? */
bool plan_hostport_ok(const char *s);
/* Report a bad backend/phase/group name.  `what`: "backend name". */
void plan_bad_name(struct plan_build *b, struct plan_pos pos, const char *ctx,
		   const char *what, const char *name);
/* A name for messages: sanitised and shortened.  New string. */
char *plan_show(const char *s);

/* plan_backend.c: the backends: section. */
void plan_read_backends(struct plan_build *b, const struct ptree *root);

/* plan_phases.c: the users: and phases: sections. */
void plan_read_users(struct plan_build *b, const struct ptree *root);
void plan_read_phases(struct plan_build *b, const struct ptree *root);

/* plan.c: names of enum values, indexed by the enum. */
extern const char *const plan_tls_names[];
extern const char *const plan_login_method_names[];
extern const char *const plan_master_form_names[];
extern const char *const plan_map_type_names[];
extern const char *const plan_dns_provider_names[];

/* plan_csv.c: read a users CSV; `where` is the csv: value in the plan. */
void plan_csv_users(struct plan_build *b, const char *path,
		    struct plan_pos where);

/* plan_check.c: cross-references, groups, members, simulation. */
void plan_check(struct plan_build *b);

/* plan_mx.c: dns 'mx' (called by plan_read_dns with the dns mapping), the
 * gateway's SMTP keys (by plan_read_gateway), and the layout after the
 * last phase (by plan_check, once the phases are known). */
extern const char *const plan_mx_role_names[];
void plan_read_mx(struct plan_build *b, const struct ptree *dns);
void plan_read_gateway_smtp(struct plan_build *b, const struct ptree *gw);
void plan_check_mx(struct plan_build *b);
void plan_smtp_host_release(struct plan_smtp_host *h);
void plan_mx_release(struct plan_mx *mx);

#endif
