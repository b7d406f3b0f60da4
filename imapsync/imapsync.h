/*
 * imapsync.h -- the IMAP sync engine: copy one user's mailbox from a
 * source server to a destination server, exactly and resumably, and
 * verify that both sides agree.
 *
 * One call syncs one user (imapsync_run) or compares one user's two
 * mailboxes (imapsync_verify).  Each call opens its own sessions (one to
 * each server) and uses them from the calling thread only, so callers run
 * users in parallel by calling from several threads.  libetpan and
 * OpenSSL never show through this header.
 *
 * Used for every copy a phase makes:
 *	prestage	src = the phase's "from", dst = its "to"; source flags win
 *	delta		the same, after cutover: IMAPSYNC_FLAGS_KEEP_DST
 *	reverse delta	src = "to", dst = "from" (the store answers in the
 *			job's orientation, see below): only messages that
 *			are not already paired with one on the other side
 *	verify		imapsync_verify with the same job
 *
 * Identity.  The engine remembers what it copied through the caller's
 * store (struct imapsync_store_ops): pairs of source (folder, UIDVALIDITY,
 * UID) and destination (folder, UIDVALIDITY, UID) with a content identity
 * (SHA-256 over Message-ID, Date and size; over the whole message and its
 * size when there is no Message-ID) and the flags as last synced.  Where
 * the map cannot say (no UIDPLUS, a lost state, a changed UIDVALIDITY, a
 * run killed between APPEND and the map write), messages are matched by
 * identity, counting each identity (multiset semantics), so nothing is
 * copied twice and exact duplicates stay duplicates.
 *
 * Ownership: every pointer in a job is borrowed for the duration of the
 * call.  Secrets in struct imapsync_cred are never logged or stored; the
 * engine registers tokens it fetches with log_add_secret().  Results are
 * owned by the result structs and freed by their _release functions.
 *
 * Errors: 0 / -1 with a struct err.  ERR_AUTH (retry never) when a server
 * refuses the credentials; ERR_REMOTE with RETRY_LATER when a server is
 * unreachable or keeps failing after the retries; ERR_REMOTE with
 * RETRY_NEVER for TLS verification failures and protocol refusals.
 * Messages name the server ("source 'legacy' (127.0.0.1:993)") and the
 * folder; the caller prefixes the user.
 */
#ifndef IMAPSYNC_H
#define IMAPSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct err;
struct sbuf;

enum imapsync_tls {
	IMAPSYNC_TLS_IMPLICIT = 0,	/* IMAPS: TLS from the first byte */
	IMAPSYNC_TLS_STARTTLS,		/* plain, then STARTTLS before login */
	IMAPSYNC_TLS_NONE,		/* only when the plan says so */
};

/* Where a server is.  Certificates are always verified (OpenSSL, TLS 1.2
 * or newer, SNI, host name or IP address check). */
struct imapsync_endpoint {
	const char *name;	/* backend name, for messages ("legacy") */
	const char *host;	/* name or IP address literal */
	unsigned port;
	enum imapsync_tls tls;
	const char *ca_file;	/* PEM bundle; NULL: the system store */
	unsigned timeout;	/* seconds for every network operation; 0: 60 */
	struct imapsync_rate *rate;	/* bandwidth cap shared by every
					 * session to this server; NULL: none
					 * (borrowed, see imapsync_rate_new) */
};

/*
 * A bandwidth cap: the bytes on the wire (TLS records included) of every
 * session that uses it, read and written, stay at or under bytes_per_sec
 * averaged over about a second; bursts of up to a quarter of a second
 * of traffic go through at once.  Sessions over budget sleep between
 * reads and writes (never inside one, so the per-operation deadline is
 * unaffected).  One cap may be shared by any number of jobs running in
 * parallel threads; the caller owns it, sets it in the endpoints, and
 * frees it after every job that uses it has returned.
 * imapsync_rate_new(0) returns NULL (no cap); imapsync_rate_free
 * returns NULL.
 */
struct imapsync_rate;
struct imapsync_rate *imapsync_rate_new(uint64_t bytes_per_sec);
struct imapsync_rate *imapsync_rate_free(struct imapsync_rate *r);

enum imapsync_auth {
	IMAPSYNC_AUTH_LOGIN = 0,	/* LOGIN user secret */
	IMAPSYNC_AUTH_MASTER,		/* AUTHENTICATE PLAIN, authzid = user,
					 * authcid = admin (SASL-IR if
					 * offered) */
	IMAPSYNC_AUTH_MASTER_LOGIN,	/* LOGIN "user<sep>admin" secret
					 * (Dovecot's master user form) */
	IMAPSYNC_AUTH_XOAUTH2,		/* AUTHENTICATE XOAUTH2 user token */
};

/* How to log in as one user.  For XOAUTH2, token_fn (if set) is called
 * before every connection, so a reconnect gets a fresh token; it fills
 * `out` (caller's sbuf, wiped by the engine) and returns 0 or -1. */
struct imapsync_cred {
	enum imapsync_auth method;
	const char *user;	/* the mailbox's login name */
	const char *admin;	/* MASTER, MASTER_LOGIN: the admin login */
	const char *secret;	/* password; XOAUTH2: token when no token_fn */
	const char *separator;	/* MASTER_LOGIN: default "*" */
	int (*token_fn)(void *ctx, struct sbuf *out, struct err *err);
	void *token_ctx;
};

/* Folder selection and naming (from the plan's folders: section). */
struct imapsync_folder_map {
	const char *from;	/* source name, UTF-8 */
	const char *to;		/* destination name, UTF-8, '/' for levels */
};

struct imapsync_folder_opts {
	bool special_use;		/* map \Sent, \Drafts... by use */
	char *const *exclude;		/* fnmatch patterns, NULL-terminated */
	const struct imapsync_folder_map *map;
	size_t n_map;
	bool subscriptions;		/* copy subscriptions (default on) */
};

enum imapsync_flags_policy {
	IMAPSYNC_FLAGS_SOURCE = 0,	/* destination follows the source */
	IMAPSYNC_FLAGS_KEEP_DST,	/* only source changes the destination
					 * has not made itself (after
					 * cutover) */
};

/* ---- the message map, kept by the caller ----------------------------- */

#define IMAPSYNC_IDENT_LEN 32

enum imapsync_pair_status {
	IMAPSYNC_PAIR_COPIED = 0,	/* appended by us */
	IMAPSYNC_PAIR_MATCHED,		/* found on the destination */
	IMAPSYNC_PAIR_SKIPPED,		/* not copied: note says why */
};

/* One source message and its destination counterpart, in the job's
 * orientation.  dst_uid 0: unknown (no UIDPLUS) or none (skipped). */
struct imapsync_pair {
	uint32_t src_uid, dst_uid;
	uint64_t size;
	unsigned char ident[IMAPSYNC_IDENT_LEN];
	enum imapsync_pair_status status;
	const char *flags;	/* as last synced ("\\Seen $Label"), or NULL */
	const char *note;	/* SKIPPED: the reason; else NULL */
};

/* Per folder pair: the marks below which everything was handled. */
struct imapsync_folder_state {
	uint32_t src_uidvalidity, src_last_uid;
	uint64_t src_modseq;		/* HIGHESTMODSEQ then, 0: none */
	uint32_t src_messages;		/* MESSAGES at the last sync */
	uint32_t dst_uidvalidity, dst_last_uid;
	uint64_t dst_modseq;
	uint64_t src_bytes;		/* sizes of the paired messages */
};

/*
 * The caller's store.  Folder names are UTF-8, as the engine names them
 * (source name as the source shows it; destination name as the
 * destination shows it).  Every function returns 0 or -1 (err set).  The
 * engine calls them from the job's thread; an implementation shared by
 * several threads must lock.  map_put is called with batches of pairs
 * and should write each batch in one transaction, together with the
 * folder state that follows it (folder_put right after map_put).
 */
struct imapsync_store_ops {
	/* 1 found, 0 none (or kept for another destination folder than
	 * dst_folder; NULL: any), -1 error. */
	int (*folder_get)(void *ctx, const char *src_folder,
			  const char *dst_folder,
			  struct imapsync_folder_state *st, struct err *err);
	/* Record pairs and the folder state that covers them, atomically.
	 * pairs may be empty (n 0).  A pair with the same src UID replaces
	 * the old one. */
	int (*commit)(void *ctx, const char *src_folder, const char *dst_folder,
		      const struct imapsync_folder_state *st,
		      const struct imapsync_pair *pairs, size_t n,
		      struct err *err);
	/* Every pair of the folder pair under these two UIDVALIDITYs, in any
	 * order; fn's pair is borrowed for the call. */
	int (*map_load)(void *ctx, const char *src_folder, uint32_t src_uidv,
			const char *dst_folder, uint32_t dst_uidv,
			int (*fn)(void *fctx, const struct imapsync_pair *p),
			void *fctx, struct err *err);
	/* Forget pairs of the source folder: those whose source UID is in
	 * uids (n > 0), or every pair under another source or destination
	 * UIDVALIDITY than the ones given (uids NULL, n 0). */
	int (*map_forget)(void *ctx, const char *src_folder, uint32_t src_uidv,
			  const char *dst_folder, uint32_t dst_uidv,
			  const uint32_t *uids, size_t n, struct err *err);
	/* The digest of the user's source listing at the end of the last
	 * sync that examined both sides completely: 1 found, 0 none, -1
	 * error.  put with NULL forgets it.  Both may be NULL: every sync
	 * then examines both sides. */
	int (*listing_get)(void *ctx, unsigned char digest[32],
			   struct err *err);
	int (*listing_put)(void *ctx, const unsigned char *digest,
			   struct err *err);
};

/* ---- progress and problems ------------------------------------------- */

struct imapsync_progress {
	const char *folder;		/* source folder being worked on */
	size_t folders_done, folders_total;
	uint64_t msgs_copied, bytes_copied;	/* so far, this job */
	uint64_t msgs_todo, bytes_todo;		/* known so far, this job */
};

enum imapsync_problem_kind {
	IMAPSYNC_PROB_SKIPPED = 0,	/* a message was not copied */
	IMAPSYNC_PROB_KEYWORD,		/* a keyword the destination lacks */
	IMAPSYNC_PROB_FOLDER,		/* a folder-level problem */
	IMAPSYNC_PROB_NAME,		/* a folder name had to be changed */
};

struct imapsync_problem {
	enum imapsync_problem_kind kind;
	const char *folder;	/* source folder */
	uint32_t uid;		/* source UID, 0 if none */
	uint64_t size;
	const char *detail;	/* "refused as too large (...)" */
};

struct imapsync_job {
	const char *user;			/* address, for messages */
	struct imapsync_endpoint src, dst;
	struct imapsync_cred src_cred, dst_cred;
	struct imapsync_folder_opts folders;
	enum imapsync_flags_policy flags;
	bool expunge;		/* propagate source expunges */
	bool dry_run;		/* change nothing; say what would copy */
	bool recheck;		/* examine both sides even when the source
				 * shows nothing moved */
	unsigned retries;	/* reconnect attempts after a failure; 0: 3 */
	unsigned backoff_ms;	/* first wait; 0: 1000, doubled each time */
	size_t batch_bytes;	/* bodies fetched per FETCH round; 0: 4 MiB
				 * (shared by the user's lanes) */
	unsigned lanes;		/* session pairs per user when two folders
				 * or more have mail to copy; 0: 2 */
	unsigned batch_msgs;	/* messages per FETCH round; 0: 100 */

	const struct imapsync_store_ops *store;	/* NULL: no memory */
	void *store_ctx;

	void (*progress)(void *ctx, const struct imapsync_progress *p);
	void (*problem)(void *ctx, const struct imapsync_problem *p);
	void *cb_ctx;
};

/* What a sync did, per folder and in total. */
struct imapsync_folder_result {
	char *src_name, *dst_name;	/* UTF-8 */
	bool excluded;
	bool noselect;			/* a parent only: holds no messages */
	bool created;			/* created (or would be) */
	uint32_t src_msgs;		/* messages on the source */
	uint64_t src_bytes;		/* of the paired messages */
	uint32_t dst_msgs;		/* messages on the destination */
	uint32_t copied, matched, skipped, flags_set, expunged;
	uint64_t bytes_copied;
	uint64_t would_copy_bytes;	/* dry run */
	char *error;			/* NULL, or why this folder failed */
};

struct imapsync_result {
	struct imapsync_folder_result *folders;
	size_t n_folders;
	uint64_t src_msgs, src_bytes, dst_msgs, dst_bytes;
	uint64_t copied, bytes_copied, matched, skipped, flags_set, expunged;
	unsigned folders_failed;
	unsigned reconnects;
	bool src_only;		/* nothing moved on the source since a sync
				 * that left the destination complete: the
				 * destination was not looked at (dst_msgs
				 * unknown) */
};

void imapsync_result_init(struct imapsync_result *r);
void imapsync_result_release(struct imapsync_result *r);

/* Sync one user.  Returns 0 when every folder synced (skipped messages
 * are reported, not failures), -1 otherwise; r holds what was done
 * either way. */
int imapsync_run(const struct imapsync_job *job, struct imapsync_result *r,
		 struct err *err);

/* ---- verify ---------------------------------------------------------- */

enum imapsync_diff_kind {
	IMAPSYNC_DIFF_MISSING = 0,	/* on the source only */
	IMAPSYNC_DIFF_EXTRA,		/* on the destination only */
	IMAPSYNC_DIFF_FLAGS,		/* paired, flags differ */
	IMAPSYNC_DIFF_DATE,		/* paired, INTERNALDATE differs */
	IMAPSYNC_DIFF_FOLDER,		/* no destination folder */
};

struct imapsync_diff {
	enum imapsync_diff_kind kind;
	char *src_folder, *dst_folder;
	uint32_t src_uid, dst_uid;	/* 0 where there is none */
	uint64_t size;
	char *detail;		/* identity, flags on both sides, why */
};

struct imapsync_verify_result {
	uint64_t src_msgs, dst_msgs, src_bytes, dst_bytes;
	size_t folders;
	struct imapsync_diff *diffs;
	size_t n_diffs;
	size_t n_missing, n_extra, n_flags, n_dates, n_folders;
};

void imapsync_verify_result_init(struct imapsync_verify_result *v);
void imapsync_verify_result_release(struct imapsync_verify_result *v);

/* Compare every mapped folder: counts and content identities (as
 * multisets) on both sides, flags and INTERNALDATE of paired messages.
 * Extra destination messages are listed only for messages the source
 * lacks (mail that arrived at the destination is expected after
 * cutover; the caller decides).  Returns 0 when the comparison ran
 * (look at v for differences), -1 when it could not run. */
int imapsync_verify(const struct imapsync_job *job,
		    struct imapsync_verify_result *v, struct err *err);

/* Check that both servers accept the job's credentials (connect, TLS,
 * login, logout).  For preflight. */
int imapsync_check_login(const struct imapsync_job *job, struct err *err);

/* The names of an enum, for messages. */
const char *imapsync_tls_name(enum imapsync_tls t);
const char *imapsync_diff_kind_name(enum imapsync_diff_kind k);

/* Process-wide set-up (OpenSSL; malloc arenas capped at two); call once
 * from main before threads.
 * Safe to call more than once. */
void imapsync_global_init(void);

#endif
