/*
 * gateway.h -- the split-delivery routing table of a mail gateway.
 *
 * The engine knows nothing of plans or the state store: its callers hand
 * it a routing table (struct gateway_table: sorted key -> value entries,
 * a key being an address or a domain and a value a route such as
 * "lmtp:inet:10.0.0.5:24"), the text of the map file to install, and a
 * struct gateway_config saying which kind of gateway this is and how to
 * build, reload and query it.  Each kind is a vtable (struct gateway_ops)
 * found by name in a registry; the first kind is "postfix" (transport
 * maps built by postmap, reloaded by an argv such as [postfix, reload]).
 *
 * Installing is two-stage, so that the caller can journal the version it
 * is about to install between the stages:
 *
 *	gateway_install_stage()   temp file next to the map, fsync, build
 *	                          the index (postmap), check every entry of
 *	                          the new index -- nothing live has changed
 *	gateway_install_commit()  keep the old pair, rename the new index
 *	                          then the new source into place, reload,
 *	                          verify every entry of the live map; on any
 *	                          failure put the old pair back and reload
 *	gateway_install_free()    remove what is left (temp files, backups)
 *
 * Any failure leaves the previous table in force and the error says what
 * failed.  Child programs run by argv (util/run.h), never through a shell,
 * each with a timeout.
 *
 * Ownership: struct gateway is opaque, made by gateway_new and freed by
 * gateway_free; it copies its configuration.  Tables own their strings.
 * Strings returned through char ** are the caller's to free().
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct err;
struct sbuf;
struct gateway;

/* ---- routing tables ---------------------------------------------------- */

struct gateway_entry {
	char *key;		/* an address or a domain (lowercase) */
	char *value;		/* a route, or "OK" in a recipient list */
};

struct gateway_table {
	struct gateway_entry *v;
	size_t n, alloc;
	bool sorted;
};

void gateway_table_init(struct gateway_table *t);
void gateway_table_release(struct gateway_table *t);
/* Add a copy of key and value.  Both must be non-empty words without
 * whitespace or control characters, and the key must not start with '#'
 * (the map format could not carry them); else -1, err names the entry. */
int gateway_table_add(struct gateway_table *t, const char *key,
		      const char *value, struct err *err);
/* Sort by key, bytewise, dropping exact duplicates.  A key given twice
 * with different values is an error (nothing is dropped then). */
int gateway_table_sort(struct gateway_table *t, struct err *err);
/* The value of key in a sorted table, or NULL.  Borrowed. */
const char *gateway_table_get(const struct gateway_table *t,
			      const char *key);
/* The map source text: each line of `header` as a "# " comment, then
 * "key<TAB>value\n" per entry.  The same table and header always give
 * the same bytes.  The table must be sorted. */
int gateway_table_render(const struct gateway_table *t, const char *header,
			 struct sbuf *out, struct err *err);
/* Read map source text (comments, blank lines, continuation lines that
 * start with whitespace) into t, unsorted.  `name` is used in messages
 * ("NAME:LINE: ..."); a key with no value is an error. */
int gateway_table_parse(struct gateway_table *t, const char *name,
			const char *text, size_t len, struct err *err);

/* ---- one gateway ------------------------------------------------------- */

struct gateway_config {
	const char *kind;		/* "postfix" */
	const char *map_type;		/* postfix: lmdb, cdb, hash, texthash */
	const char *postmap;		/* postfix: the postmap program; NULL "postmap" */
	const char *postconf;		/* postfix: the postconf program; NULL "postconf" */
	const char *config_dir;		/* postfix: -c DIR; NULL the default */
	char *const *reload;		/* argv run after a change; NULL none */
	const char *reload_cwd;		/* where reload runs; NULL here */
	int timeout_ms;			/* per child program; 0: 60 s */
};

/* What a gateway's own configuration says (for checks). */
struct gateway_info {
	char **services;	/* delivery transports it offers (master.cf "unix" services) */
	char **listeners;	/* its SMTP listeners, "HOST:PORT"; HOST "*" = every interface */
	char **own_names;	/* names and addresses that are the gateway itself */
	char **maps;		/* its transport maps in lookup order, "type:path" */
};
void gateway_info_release(struct gateway_info *info);

/*
 * The vtable of a gateway kind.  Every function fills err on failure and
 * returns -1; lookup's values[i] is a new string or NULL (not found).
 */
struct gateway_ops {
	const char *kind;
	/* Refuse a configuration this kind cannot use (map type...). */
	int (*check_config)(const struct gateway_config *cfg,
			    struct err *err);
	/* The suffix of the index built next to a source file (".lmdb"),
	 * or NULL when the gateway reads the source itself. */
	const char *(*index_suffix)(const struct gateway *gw);
	/* Build the index of the source file at path. */
	int (*build)(struct gateway *gw, const char *path, struct err *err);
	/* Look keys up in a map given as type and path (exact keys). */
	int (*lookup)(struct gateway *gw, const char *type, const char *path,
		      char *const *keys, size_t n, char **values,
		      struct err *err);
	/* Make the running gateway use the maps now on disk. */
	int (*reload)(struct gateway *gw, struct err *err);
	/* Read the gateway's own configuration. */
	int (*describe)(struct gateway *gw, struct gateway_info *info,
			struct err *err);
	/* How many messages that arrived before `before` are being
	 * delivered under the routing they were given then (Postfix: the
	 * active queue).  NULL: the kind cannot tell. */
	int (*in_flight)(struct gateway *gw, time_t before, size_t *n,
			 struct err *err);
};

/* The registered kind of that name, or NULL. */
const struct gateway_ops *gateway_kind(const char *kind);

/* A gateway for cfg (copied).  Fails on an unknown kind ("unknown
 * gateway kind 'x' (known: postfix)") or a configuration the kind
 * refuses. */
struct gateway *gateway_new(const struct gateway_config *cfg,
			    struct err *err);
struct gateway *gateway_free(struct gateway *gw);	/* returns NULL */

const char *gateway_type(const struct gateway *gw);	/* the kind */
const char *gateway_name(const struct gateway *gw);	/* for messages */
const struct gateway_config *gateway_config(const struct gateway *gw);
/* The last error of any call on gw (empty message if none). */
const struct err *gateway_last_error(const struct gateway *gw);

/* Wrappers over the vtable: they record the error as the last error. */
int gateway_lookup(struct gateway *gw, const char *type, const char *path,
		   char *const *keys, size_t n, char **values,
		   struct err *err);
int gateway_reload(struct gateway *gw, struct err *err);
int gateway_describe(struct gateway *gw, struct gateway_info *info,
		     struct err *err);
/* Wait (up to timeout_s) until no message that arrived before `before`
 * is still in delivery under an older routing table, so that a delta
 * sync after a cutover sees every message the old backend will get.
 * *left: how many were still in flight at the timeout (0 normally).
 * Returns 0, or -1 when the queue cannot be read. */
int gateway_settle(struct gateway *gw, time_t before, unsigned timeout_s,
		   size_t *left, struct err *err);
/* Build the index of a source file in place (no rename dance: for tests
 * and for maps that are not live). */
int gateway_build(struct gateway *gw, const char *path, struct err *err);

/*
 * Check that the map at path (the configured map type) answers every
 * entry of `expect` with its value, and finds none of the `absent` keys
 * (n_absent of them; may be 0).  On a mismatch the error lists the first
 * few: "map 'lmdb:/x': 2 wrong answers: 'a@x' gives 'R1', expected 'R2';
 * 'b@x' not found, expected 'R3'".
 */
int gateway_verify(struct gateway *gw, const char *path,
		   const struct gateway_table *expect, char *const *absent,
		   size_t n_absent, struct err *err);

/* Read a map source file.  *exists is false (and out empty) when there is
 * no file; any other error is -1.  Files over max bytes are refused. */
int gateway_read_file(const char *path, size_t max, struct sbuf *out,
		      bool *exists, struct err *err);

/* ---- installing -------------------------------------------------------- */

/* One map file to install.  Everything is borrowed: it must stay valid
 * until gateway_install_free. */
struct gateway_file {
	const char *path;		/* the source file; the index lives next to it */
	const char *content;		/* the new source text */
	size_t len;
	const struct gateway_table *expect;	/* what the live map must answer */
	char *const *absent;		/* keys it must not find (may be NULL) */
	size_t n_absent;
};

struct gateway_install;

/*
 * Stage new versions of n map files: take the map's lock file
 * ("DIR/.NAME.migrate-lock"), remove what a crashed run left, write each
 * temp source ("DIR/.NAME.migrate-new") with the old file's mode and
 * owner (0644 for a new map), fsync it, build its index and check that
 * the new index answers every expected entry.  Nothing live changes.
 * On failure everything staged is removed and *out is NULL.
 */
int gateway_install_stage(struct gateway *gw, const struct gateway_file *files,
			  size_t n, struct gateway_install **out,
			  struct err *err);
/*
 * Put the staged files in force: for each file keep the old source and
 * index (hard links "DIR/.NAME.migrate-old"), rename the new index over
 * the old one, then the new source, fsync the folder; then reload once
 * and verify every file.  If a rename, the reload or the verification
 * fails, the old files are put back, the gateway reloaded again, and the
 * error says what failed and that the previous table is in force.
 */
int gateway_install_commit(struct gateway_install *in, struct err *err);
/* Remove leftovers and release the lock.  Returns NULL. */
struct gateway_install *gateway_install_free(struct gateway_install *in);

/* ---- small helpers ----------------------------------------------------- */

/*
 * A unified diff (3 lines of context) from text a to text b, appended to
 * out, with "--- a_label" / "+++ b_label" headers; nothing when the texts
 * are equal.  Returns the number of changed lines (added + removed).
 * Large inputs whose middle differs a lot are shown as one hunk.
 */
size_t gateway_diff(const char *a_label, const char *a, size_t alen,
		    const char *b_label, const char *b, size_t blen,
		    struct sbuf *out);

#endif
