/*
 * imap_int.h -- private interfaces of the sync engine (imapsync/ only).
 *
 * Layers, bottom up:
 *	imap_utf7	modified UTF-7 names
 *	imap_rate	the bandwidth cap (a token bucket shared by sessions)
 *	imap_net	TCP with deadlines, OpenSSL TLS as a libetpan low driver
 *	imap_conn	one logged-in session: capabilities, namespace,
 *			selection, errors, raw commands (our own writer)
 *	imap_spool	a message body on its way: memory, then a temp file
 *	imap_ident	header fields, content identity, flag lists, matching
 *	imap_fetch	UID SEARCH, metadata, identities, streamed bodies
 *	imap_append	APPEND written by hand: MULTIAPPEND batches with
 *			LITERAL+, pipelined single APPENDs, the fallback
 *	imap_fmap	folder name mapping (pure: unit-tested)
 *	imap_folders	LIST/LSUB, CREATE, SUBSCRIBE
 *	imap_copy	one folder: new messages, identity matching, commits
 *	imap_ahead	a folder's source opened, also ahead of time
 *	imap_batch	batches: bodies fetched while the last batch appends
 *	imap_flags	flag changes and expunges of mapped messages
 *	imap_verify	both sides compared
 *	imapsync	one user: sessions, folders, retries
 *
 * Ownership follows the public header: everything a function returns in
 * a struct belongs to that struct and its _release/_free function.
 */
#ifndef IMAP_INT_H
#define IMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "imapsync/imapsync.h"
#include "util/sbuf.h"

struct err;

/* ---- imap_utf7.c ------------------------------------------------------ */

/* Append the UTF-8 form of a modified UTF-7 name; -1 (out unchanged)
 * when `in` is not valid modified UTF-7. */
int imap_utf7_decode(const char *in, struct sbuf *out);
/* Append the modified UTF-7 form of a UTF-8 name; -1 on bad UTF-8. */
int imap_utf7_encode(const char *in, struct sbuf *out);

/* ---- imap_rate.c ------------------------------------------------------ */

#define IMAP_RATE_SLICE_NS 100000000	/* longest single sleep: 100 ms */
#define IMAP_RATE_MIN_CHUNK 1024	/* smallest read/write under a cap */

/* How many of n bytes one read or write may move under cap r (about a
 * quarter of a second of it); n when r is NULL. */
size_t imap_rate_chunk(const struct imapsync_rate *r, size_t n);
/* Charge `bytes` just moved at time `now` (ns, any clock that only goes
 * forward for one caller); returns the ns the caller must wait before
 * its next transfer.  r NULL: 0.  Thread-safe. */
int64_t imap_rate_charge(struct imapsync_rate *r, uint64_t bytes,
			 int64_t now);
/* Charge and wait, with the caller's clock and sleep (in slices of at
 * most IMAP_RATE_SLICE_NS): for tests.  The lock is never held while
 * napping. */
void imap_rate_take_with(struct imapsync_rate *r, uint64_t bytes,
			 int64_t (*now)(void *ctx),
			 void (*nap)(void *ctx, int64_t ns), void *ctx);
/* The same on CLOCK_MONOTONIC with nanosleep. */
void imap_rate_take(struct imapsync_rate *r, uint64_t bytes);

/* ---- imap_net.c ------------------------------------------------------- */

void imap_net_global_init(void);
/* Connect to the endpoint (deadline: ep->timeout), and for implicit TLS
 * do the verified handshake.  *out is a libetpan low stream owned by the
 * caller (mailstream_new takes it over). */
int imap_net_open(const struct imapsync_endpoint *ep, const char *where,
		  mailstream_low **out, struct err *err);
/* After a successful STARTTLS command: wrap the plain stream's socket in
 * a verified TLS session.  On success *out replaces `plain` (which is
 * freed, its socket kept). */
int imap_net_starttls(const struct imapsync_endpoint *ep, const char *where,
		      mailstream_low *plain, mailstream_low **out,
		      struct err *err);

/* Why the last read or write on a stream of ours failed ("no answer
 * within 60 s", "Connection reset by peer"), or NULL. */
const char *imap_net_why(mailstream_low *low, unsigned timeout, char *buf,
			 size_t size);

/* ---- imap_conn.c, imap_cmd.c ------------------------------------------------------ */

struct imap_caps {
	bool condstore, qresync, uidplus, literalplus, literalminus;
	bool multiappend, special_use, namespace_, sasl_ir, auth_plain;
	bool xoauth2, list_status, starttls, logindisabled, idle, move;
	uint64_t appendlimit;		/* 0: none advertised */
};

struct imap_conn {
	mailimap *s;
	const struct imapsync_endpoint *ep;
	const struct imapsync_cred *cred;
	const char *role;		/* "source" or "destination" */
	char *where;			/* "source 'legacy' (127.0.0.1:993)" */
	struct imap_caps caps;
	char delim;			/* hierarchy delimiter, 0: flat */
	char *prefix;			/* personal namespace prefix, "" if none */
	/* the selected mailbox */
	char *sel;			/* raw name, NULL: none */
	bool sel_rw;
	uint32_t uidvalidity, uidnext, exists;
	uint64_t modseq;		/* HIGHESTMODSEQ, 0: none */
	bool perm_any;			/* PERMANENTFLAGS has \* */
	char **perm;			/* PERMANENTFLAGS, canonical, NULL-terminated */
	unsigned ncommands;		/* commands sent (round trips, roughly) */
	bool quiet_trace, quiet_said;	/* no message content in traces */
	bool trace_off;			/* no trace (credentials on the wire) */
	struct sbuf *tap;		/* gets every byte received, or NULL */
	bool tap_full;			/* tap hit its cap: bytes were lost */
	char tail[256];			/* the last bytes received */
	size_t tail_len;
};

/* The outcome of a command we wrote ourselves. */
struct imap_cmd_reply {
	int cond;			/* MAILIMAP_RESP_COND_STATE_OK/NO/BAD, or -1: BYE */
	char code[64];			/* response code atom ("TOOBIG"), "" if none */
	char text[512];			/* server text, sanitized */
	uint32_t appenduid_validity;
	uint32_t *appenduids;		/* APPENDUID set, expanded; malloc'd */
	size_t n_appenduids;
};
void imap_cmd_reply_release(struct imap_cmd_reply *r);

void imap_conn_init(struct imap_conn *c);
/* Connect, TLS, log in, read capabilities and namespace. */
int imap_conn_open(struct imap_conn *c, const struct imapsync_endpoint *ep,
		   const struct imapsync_cred *cred, const char *role,
		   struct err *err);
/* LOGOUT (if alive) and free everything; c can be opened again. */
void imap_conn_close(struct imap_conn *c);
bool imap_conn_alive(const struct imap_conn *c);
/* Close the connection after a protocol failure (the session object
 * stays; imap_conn_alive() is false from now on). */
void imap_conn_drop(struct imap_conn *c);

/* Keep message content out of -D imap traces (bodies moving). */
/* A response code that says "try again later" (UNAVAILABLE, INUSE...). */
bool imap_code_is_transient(const char *code);
void imap_conn_quiet(struct imap_conn *c, bool quiet);
/* Copy every byte received from now on into tap (NULL: stop); bytes past
 * the sbuf's cap set c->tap_full.  For replies libetpan does not keep
 * whole (the untagged STATUS of LIST-STATUS). */
void imap_conn_tap(struct imap_conn *c, struct sbuf *tap);

/* Turn a libetpan return code into an error naming the server and what
 * was done ("SELECT 'Sent'"), with the server's text and code; decides
 * the category and retry class.  Always returns -1. */
int imap_conn_fail(struct imap_conn *c, int rc, struct err *err,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same for a reply of our own command. */
int imap_conn_fail_reply(struct imap_conn *c, const struct imap_cmd_reply *r,
			 struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* SELECT (rw) or EXAMINE with CONDSTORE when offered; fills the
 * selection fields.  Re-selecting the same mailbox is done again (fresh
 * UIDNEXT). */
int imap_conn_select(struct imap_conn *c, const char *raw, bool rw,
		     struct err *err);
void imap_conn_unselect(struct imap_conn *c);
/* The same pipelined: the command sent (not flushed), then its reply
 * read (which fills the selection as imap_conn_select does). */
int imap_conn_select_send(struct imap_conn *c, const char *raw, bool rw,
			  int *tag, struct err *err);
int imap_conn_select_read(struct imap_conn *c, int tag, const char *raw,
			  bool rw, struct err *err);

struct imap_status {
	uint32_t uidvalidity, uidnext, messages;
	uint64_t modseq;
	bool exists;			/* false: the mailbox does not exist */
};
/* STATUS of a folder (imap_folders.c); a NO leaves st->exists false. */
int imap_folders_status(struct imap_conn *c, const char *raw,
			struct imap_status *st, struct err *err);
/* The same pipelined: send (not flushed; *tag for the read), then read
 * the replies in order.  Needs a quotable name or LITERAL+. */
int imap_folders_status_send(struct imap_conn *c, const char *raw, int *tag,
			     struct err *err);
int imap_folders_status_read(struct imap_conn *c, int tag, const char *raw,
			     struct imap_status *st, struct err *err);

/* Raw command writing.  imap_cmd_begin sends a fresh tag; add text with
 * imap_cmd_write / imap_cmd_astring; imap_cmd_end sends CRLF, flushes
 * and reads the reply (untagged data is handled by libetpan). */
int imap_cmd_begin(struct imap_conn *c, struct err *err);
int imap_cmd_write(struct imap_conn *c, const void *p, size_t n,
		    struct err *err);
int imap_cmd_puts(struct imap_conn *c, const char *s, struct err *err);
int imap_cmd_astring(struct imap_conn *c, const char *s, struct err *err);
int imap_cmd_end(struct imap_conn *c, struct imap_cmd_reply *r,
		  struct err *err);
/* Read the reply of a command already sent (pipelining). */
int imap_cmd_read_reply(struct imap_conn *c, struct imap_cmd_reply *r,
			 struct err *err);
/* Pipelining: the tag of the command just begun, and reading the reply
 * of an earlier one by its tag (replies come in the order sent). */
int imap_cmd_tag(const struct imap_conn *c);
int imap_cmd_read_reply_to(struct imap_conn *c, int tag,
			    struct imap_cmd_reply *r, struct err *err);
int imap_cmd_flush(struct imap_conn *c, struct err *err);
/* Can s go as a quoted string (no literal needed)? */
bool imap_cmd_quotable(const char *s);
/* Flush and wait for a "+" continuation; a tagged answer instead fills r
 * and returns 1. */
int imap_cmd_wait_continue(struct imap_conn *c, struct imap_cmd_reply *r,
			    struct err *err);

/* Is flag f storable in the selected mailbox (PERMANENTFLAGS)? */
bool imap_conn_flag_ok(const struct imap_conn *c, const char *f);

/* ---- imap_spool.c ----------------------------------------------------- */

/* A message body: up to max_mem bytes in memory, the rest in an unlinked
 * temp file; the SHA-256 of all bytes on demand (imap_spool_digest). */
struct imap_spool {
	char *mem;
	size_t len, alloc, max_mem;
	int fd;				/* -1: memory only */
	uint64_t size;			/* total bytes */
	void *sha;			/* EVP_MD_CTX, hash_only spools */
	unsigned char digest[32];
	bool have_digest;		/* digest is set */
	bool finished;
	bool failed;			/* a write to the temp file failed */
	bool hash_only;			/* keep nothing, only hash and count */
};

void imap_spool_init(struct imap_spool *sp, size_t max_mem);
/* A spool that only hashes and counts (identity of a message). */
void imap_spool_init_hash(struct imap_spool *sp);
void imap_spool_release(struct imap_spool *sp);
int imap_spool_add(struct imap_spool *sp, const void *p, size_t n);
void imap_spool_finish(struct imap_spool *sp);
/* Compute sp->digest (finishing the spool); -1 if the bytes cannot be
 * read back. */
int imap_spool_digest(struct imap_spool *sp);
/* Read up to n bytes at offset into buf; returns bytes read or -1. */
long imap_spool_read(const struct imap_spool *sp, uint64_t off, void *buf,
		     size_t n);
/* The first bytes of the message (the header), borrowed until the spool
 * changes; *len <= max. */
const char *imap_spool_head(struct imap_spool *sp, size_t max, size_t *len);

/* ---- imap_ident.c ----------------------------------------------------- */

struct imap_date {
	int day, month, year, hour, min, sec, zone;	/* zone: +0100 = 100 */
};
/* Seconds since the epoch (UTC) of an INTERNALDATE. */
int64_t imap_date_epoch(const struct imap_date *d);
/* "05-Dec-2026 18:00:00 +0100"; buf of at least 32 bytes. */
char *imap_date_format(const struct imap_date *d, char *buf, size_t size);

/* The value of the first header field `name` in a header block (stops at
 * the empty line): unfolded, whitespace runs collapsed, trimmed.  0 found
 * (out filled), -1 absent or empty. */
int imap_ident_header(const char *hdr, size_t len, const char *name,
		      struct sbuf *out);
/* Identity from Message-ID and Date (has_mid: true) or nothing. */
bool imap_ident_from_header(const char *hdr, size_t len, uint64_t size,
			    unsigned char ident[IMAPSYNC_IDENT_LEN]);
/* Identity from the SHA-256 of the whole message. */
void imap_ident_from_digest(const unsigned char digest[32], uint64_t size,
			    unsigned char ident[IMAPSYNC_IDENT_LEN]);
/* Hex of the first bytes of an identity, for messages. */
char *imap_ident_hex(const unsigned char ident[IMAPSYNC_IDENT_LEN],
		     char *buf, size_t size);

/* Flag lists are kept canonical: space-separated, system flags spelled
 * \Seen \Answered \Flagged \Deleted \Draft, keywords as given, sorted
 * case-insensitively, no duplicates, no \Recent.  Returns a new string. */
char *imap_flags_canon(const char *const *flags, size_t n);
/* Split a canonical list into a NULL-terminated vector (free with
 * strv_free). */
char **imap_flags_split(const char *canon);
bool imap_flags_has(const char *canon, const char *flag);
bool imap_flags_is_system(const char *flag);
/* Three-way merge for IMAPSYNC_FLAGS_KEEP_DST: each flag the source
 * changed since base and the destination did not is taken from the
 * source; the rest stays as on the destination.  New string. */
char *imap_flags_merge(const char *base, const char *src, const char *dst);

/* Multiset matching of identities.  For each source item, *dst_of is set
 * to the index of a distinct destination item with an equal identity, or
 * SIZE_MAX.  Ties are broken by order (lowest UIDs first), so equal
 * inputs always give equal pairings. */
struct imap_ident_item {
	const unsigned char *ident;	/* IMAPSYNC_IDENT_LEN bytes, NULL: none */
};
void imap_ident_match(const struct imap_ident_item *src, size_t ns,
		      const struct imap_ident_item *dst, size_t nd,
		      size_t *dst_of);

/* ---- imap_fetch.c ----------------------------------------------------- */

struct imap_uids {
	uint32_t *v;
	size_t n, alloc;
};
void imap_uids_release(struct imap_uids *u);
void imap_uids_push(struct imap_uids *u, uint32_t uid);
/* Sorted, unique?  (search results are sorted by the helpers) */
bool imap_uids_has(const struct imap_uids *u, uint32_t uid);
void imap_uids_sort(struct imap_uids *u);

/* Message data as fetched. */
struct imap_msg {
	uint32_t uid;
	uint64_t size;
	char *flags;			/* canonical, NULL if not fetched */
	struct imap_date date;
	bool has_date;
	bool has_ident;			/* ident valid */
	bool has_mid;			/* ident from Message-ID + Date */
	unsigned char ident[IMAPSYNC_IDENT_LEN];
};
struct imap_msgs {
	struct imap_msg *v;
	size_t n, alloc;
};
void imap_msgs_release(struct imap_msgs *m);

enum {
	IMAP_FETCH_SIZE = 1 << 0,
	IMAP_FETCH_FLAGS = 1 << 1,
	IMAP_FETCH_DATE = 1 << 2,
	IMAP_FETCH_IDENT = 1 << 3,	/* Message-ID and Date headers */
};

/* UIDs of the selected mailbox from `first` on, sorted. */
int imap_fetch_uids(struct imap_conn *c, uint32_t first,
		    struct imap_uids *out, struct err *err);
/* Data for the given UIDs (sorted) of the selected mailbox; appended to
 * out in UID order.  Messages that vanished are missing from out. */
int imap_fetch_meta(struct imap_conn *c, const uint32_t *uids, size_t n,
		    unsigned what, struct imap_msgs *out, struct err *err);
/* The same for every message from UID `first` on (UID FETCH first:*):
 * the UIDs and their data in one command. */
int imap_fetch_meta_from(struct imap_conn *c, uint32_t first, unsigned what,
			 struct imap_msgs *out, struct err *err);
/* The same (sizes only) pipelined behind an EXAMINE: sent (not flushed),
 * then read. */
int imap_fetch_sizes_send(struct imap_conn *c, uint32_t first, int *tag,
			  struct err *err);
int imap_fetch_sizes_read(struct imap_conn *c, int tag, uint32_t first,
			  struct imap_msgs *out, struct err *err);
/* Flags of the messages changed since modseq (CHANGEDSINCE), or of all
 * messages up to `last` when modseq is 0. */
int imap_fetch_flags(struct imap_conn *c, uint32_t last, uint64_t modseq,
		     struct imap_msgs *out, struct err *err);
/* Complete the identity of messages that have none (no Message-ID) by
 * hashing their bodies, streamed. */
int imap_fetch_hash(struct imap_conn *c, struct imap_msg **msgs, size_t n,
		    struct err *err);

/* A fetched message body. */
struct imap_body {
	struct imap_msg m;		/* uid, size, flags, date, ident */
	struct imap_spool spool;
};
void imap_body_release(struct imap_body *b);
/* Bodies of the given UIDs, streamed into spools (memory up to
 * max_mem each).  out must hold n entries; *got is how many came (in UID
 * order; vanished ones are missing). */
int imap_fetch_bodies(struct imap_conn *c, const uint32_t *uids, size_t n,
		      size_t max_mem, struct imap_body *out, size_t *got,
		      struct err *err);
/* A libetpan UID set for a sorted array (ranges compressed). */
struct mailimap_set *imap_fetch_set(const uint32_t *uids, size_t n);

/* ---- imap_append.c ---------------------------------------------------- */

struct imap_append_msg {
	const struct imap_spool *data;
	const char *flags;		/* canonical, already filtered */
	const struct imap_date *date;	/* NULL: server's time */
	/* out */
	uint32_t uid;			/* APPENDUID, 0: unknown */
	bool refused;			/* the server said NO to this one */
	bool too_big;			/* ... because of its size */
	char *why;			/* refusal text, malloc'd */
};

/* APPEND each message to the mailbox (raw name).  Returns -1 only when
 * the session failed (err set; some messages may be done: look at uid /
 * refused); refusals of single messages are reported in the entries. */
int imap_append_batch(struct imap_conn *c, const char *mbox,
		      struct imap_append_msg *msgs, size_t n,
		      struct err *err);

/* ---- imap_fmap.c / imap_folders.c ------------------------------------- */

enum imap_use {
	IMAP_USE_NONE = 0, IMAP_USE_SENT, IMAP_USE_DRAFTS, IMAP_USE_TRASH,
	IMAP_USE_JUNK, IMAP_USE_ARCHIVE, IMAP_USE_ALL, IMAP_USE_FLAGGED,
	IMAP_USE_COUNT
};
const char *imap_use_name(enum imap_use u);

enum {
	IMAP_F_NOSELECT = 1 << 0,	/* \Noselect or \NonExistent */
	IMAP_F_SUBSCRIBED = 1 << 1,
};

struct imap_folder {
	char *raw;			/* as the server names it */
	char *name;			/* UTF-8 (raw if it was not valid mUTF-7) */
	char delim;
	unsigned attrs;
	enum imap_use use;
	struct imap_status st;		/* from LIST-STATUS; st.exists: set */
};

struct imap_folder_list {
	struct imap_folder *v;
	size_t n, alloc;
	char delim;			/* the namespace's delimiter */
	char *prefix;			/* personal namespace prefix */
};
void imap_folder_list_init(struct imap_folder_list *l);
void imap_folder_list_release(struct imap_folder_list *l);
/* Add a folder (copies the strings); for tests and the LIST reader. */
struct imap_folder *imap_folder_list_add(struct imap_folder_list *l,
					 const char *raw, char delim,
					 unsigned attrs, enum imap_use use);
const struct imap_folder *imap_folder_list_find(
	const struct imap_folder_list *l, const char *raw);

/* One source folder and where it goes. */
struct imap_fplan {
	char *src_raw, *src_name;
	char *dst_raw, *dst_name;	/* NULL when excluded */
	enum imap_use use;
	bool excluded;
	bool selectable;		/* the source folder holds messages */
	bool subscribed;
	bool dst_exists;
	char *why;			/* excluded / renamed: why, or NULL */
	/* STATUS of both sides, asked for all folders at once */
	bool have_st;
	struct imap_status src_st, dst_st;
	bool created;			/* CREATEd up front by this run */
};

struct imap_fplans {
	struct imap_fplan *v;
	size_t n;
};
void imap_fplans_release(struct imap_fplans *p);

/* Map every source folder to a destination name (pure; no I/O).  Order:
 * INBOX first, then the source's LIST order. */
int imap_fmap_plan(const struct imapsync_folder_opts *o,
		   const struct imap_folder_list *src,
		   const struct imap_folder_list *dst,
		   struct imap_fplans *out, struct err *err);

/* LIST and LSUB of the personal namespace, special-use attributes. */
int imap_folders_list(struct imap_conn *c, struct imap_folder_list *out,
		      struct err *err);
/* The same in two steps, pipelined (the four commands sent, not flushed;
 * then their replies read), so both servers work at once. */
#define IMAP_LIST_CMDS 4
int imap_folders_list_send(struct imap_conn *c, struct imap_folder_list *out,
			   int tags[IMAP_LIST_CMDS], struct err *err);
int imap_folders_list_read(struct imap_conn *c, struct imap_folder_list *out,
			   const int tags[IMAP_LIST_CMDS], struct err *err);
/* CREATE a destination folder (and its missing parents when the server
 * wants them first). */
int imap_folders_create(struct imap_conn *c,
			const struct imap_folder_list *have, const char *raw,
			struct err *err);
int imap_folders_subscribe(struct imap_conn *c, const char *raw,
			   struct err *err);

/* ---- imap_copy.c / imap_flags.c / imap_verify.c ------------------------ */

/* The next folder's source side, opened while the destination takes the
 * last batch of the folder before (imap_copy.c). */
struct imap_ahead {
	const struct imap_fplan *fp;	/* NULL: nothing opened ahead */
	int have;			/* the state it was opened for */
	uint32_t uidv, last_uid;
	struct imap_msgs pre;
	uint32_t pre_first;
	bool have_pre;
};

/* One user's sync in progress. */
struct lane_group;
struct imap_sync {
	const struct imapsync_job *job;
	struct imap_conn src, dst;
	struct imapsync_result *res;
	struct imapsync_progress prog;
	const struct imap_fplan *next_fp;	/* the folder after this one */
	struct imap_ahead ahead;
	/* lanes (imap_lanes.c): this one's number, how many work for the
	 * user, their group (NULL: one lane) */
	unsigned lane, n_lanes;
	struct lane_group *group;
	bool lost;			/* this lane's sessions are gone */
};

/* A folder's pairs, loaded from the store (sorted by source UID). */
struct imap_pairs {
	struct imapsync_pair *v;	/* flags/note strings owned here */
	size_t n, alloc;
	uint32_t *dst_sorted;		/* destination UIDs, sorted */
	size_t n_dst;
};
void imap_pairs_release(struct imap_pairs *p);
struct imapsync_pair *imap_pairs_find(const struct imap_pairs *p,
				      uint32_t src_uid);
bool imap_pairs_has_dst(const struct imap_pairs *p, uint32_t dst_uid);
int imap_pairs_load(struct imap_sync *sy, const struct imap_fplan *fp,
		    uint32_t src_uidv, uint32_t dst_uidv,
		    struct imap_pairs *out, struct err *err);

/* One folder pair being synced. */
struct imap_fctx {
	struct imap_sync *sy;
	const struct imap_fplan *fp;
	struct imapsync_folder_state st;
	struct imapsync_folder_result *fr;
	struct imap_pairs pairs;	/* as loaded at the start */
	void *kw_reported;		/* struct strmap: keywords reported */
	uint64_t bytes;			/* sizes of the mapped messages */
};

/* Record pairs and fx->st in the store (one transaction); nothing in a
 * dry run. */
int imap_copy_commit(struct imap_fctx *fx, const struct imapsync_pair *v,
		     size_t n, struct err *err);
int imap_copy_folder(struct imap_sync *sy, const struct imap_fplan *fp,
		     struct imapsync_folder_result *fr, struct err *err);
struct imap_first;
/* imap_batch.c: copy these source messages (UID order, sizes known) in
 * batches, committing each; too large ones skipped and reported. */
int imap_batch_copy(struct imap_fctx *fx, const struct imap_msg *mv, size_t n,
		    bool last, struct imap_first *first, struct err *err);
/* The first batch of mv fetched in advance (while the destination
 * selects the folder); imap_batch_copy takes it (and frees it) when its
 * first batch is the same.  NULL: nothing, or the fetch failed. */
struct imap_first *imap_batch_first(struct imap_fctx *fx,
				    const struct imap_msg *mv, size_t n);
void imap_batch_first_free(struct imap_first *f);
/* imap_ahead.c: EXAMINE the folder's source and list its messages from
 * the mark on with their sizes (*have_pre: pre holds all of them from
 * *pre_first on). */
int imap_ahead_src_open(struct imap_fctx *fx, int have,
			const struct imapsync_folder_state *old,
			struct imap_msgs *pre, uint32_t *pre_first,
			bool *have_pre, struct err *err);
/* The same for the next folder (sy->next_fp) into sy->ahead, when this
 * folder needs the source no more (its last batch, nothing paired to
 * check, no expunges): imap_ahead_ok says so.  imap_ahead_open runs in a
 * thread of its own while the destination works; a failure only leaves
 * nothing ahead.  imap_ahead_take hands it over if it fits. */
bool imap_ahead_ok(const struct imap_fctx *fx);
void imap_ahead_open(struct imap_sync *sy);
bool imap_ahead_take(struct imap_fctx *fx, int have,
		     const struct imapsync_folder_state *old,
		     struct imap_msgs *pre, uint32_t *pre_first, bool *have_pre);
void imap_ahead_release(struct imap_sync *sy);

/* Flags as the destination's selected folder can keep them (others are
 * dropped and reported once per folder).  New string. */
char *imap_flags_filter(struct imap_fctx *fx, const char *canon);
/* UID STORE FLAGS.SILENT (flags) on the destination's selected folder. */
int imap_flags_store(struct imap_fctx *fx, const uint32_t *uids, size_t n,
		     const char *flags, struct err *err);
/* Flag changes of the mapped messages (fx->pairs), per the job's policy;
 * updated bases are committed. */
int imap_flags_sync(struct imap_fctx *fx, uint64_t src_modseq,
		    struct err *err);
/* Source expunges propagated to the destination (job->expunge). */
int imap_flags_expunge(struct imap_fctx *fx, struct err *err);

void imap_sync_problem(struct imap_sync *sy, enum imapsync_problem_kind kind,
		       const char *folder, uint32_t uid, uint64_t size,
		       const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void imap_sync_progress(struct imap_sync *sy);

int imap_verify_folder(struct imap_sync *sy, const struct imap_fplan *fp,
		       struct imapsync_verify_result *v, struct err *err);

/* ---- imap_lstatus.c: LIST-STATUS (RFC 5819) ---------------------------- */

/* The folders with their STATUS in one command (the server must offer
 * LIST-STATUS); a folder whose STATUS did not come has st.exists false.
 * Same list as imap_folders_list otherwise (LIST-EXTENDED's SUBSCRIBED
 * return option instead of LSUB). */
int imap_folders_list_status(struct imap_conn *c, struct imap_folder_list *out,
			     struct err *err);
/* Set l's folders' st from the untagged "* STATUS" responses in buf (raw
 * bytes received); returns how many were found. */
size_t imap_lstatus_parse(const char *buf, size_t len,
			  struct imap_folder_list *l);

/* ---- imap_lanes.c: the folders of a user, in one lane or several ------- */

/* Sync every selectable, not excluded folder of plan into r->folders,
 * in sy's sessions and, when the user has real work in two folders or
 * more, in further lanes of their own (job->lanes).  Returns how many
 * folders failed (r->folders_failed too; the first failure in first). */
unsigned imap_lanes_run(struct imap_sync *sy, struct imap_fplans *plan,
			struct imapsync_result *r, struct err *first);

/* ---- imap_session.c: the two sessions of a job ------------------------ */

/* Open the source session and, with_dst, the destination's (together),
 * retrying while a server is unreachable. */
int imap_sessions_open(struct imap_sync *sy, bool with_dst, struct err *err);
/* Wait before attempt n (1-based) after `why`, then reopen whichever
 * session died: 0 when both are up, -1 with err. */
int imap_sessions_recover(struct imap_sync *sy, unsigned n,
			  const struct err *why, struct err *err);
void imap_sessions_close(struct imap_sync *sy);

/* ---- imap_quick.c: nothing moved, said by the source alone ------------ */

#define IMAP_QUICK_LEN 32
/* The digest of what decides a sync's folders: the source listing, the
 * plan's folder options, both servers and logins. */
void imap_quick_digest(const struct imapsync_job *job,
		       const struct imap_folder_list *sl,
		       unsigned char out[IMAP_QUICK_LEN]);
/* The source's STATUS is what the folder's marks recorded: the same
 * UIDVALIDITY, UIDNEXT, MESSAGES and HIGHESTMODSEQ (nothing moved). */
bool imap_status_at_marks(const struct imap_status *s,
			  const struct imapsync_folder_state *m);
/* With the source session open and listed (sl): 1 when the stored digest
 * equals `digest` and every folder's STATUS equals its marks (sy->res
 * filled, src_only set); 0 when both sides must be examined; -1 when
 * the store or the source session failed (err). */
int imap_quick_check(struct imap_sync *sy, const struct imap_folder_list *sl,
		     const unsigned char digest[IMAP_QUICK_LEN],
		     struct err *err);

#endif
