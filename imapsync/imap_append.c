/*
 * imap_append.c -- APPEND written by hand.
 *
 * libetpan's mailimap_append() always sends a synchronising literal (one
 * round trip per message), needs the whole message in memory and turns
 * bare LF into CRLF.  Here the command is written on the session's
 * stream: flags and INTERNALDATE as fetched, the body streamed from its
 * spool byte for byte, as a non-synchronising literal ({n+}) when the
 * server offers LITERAL+ and a synchronising one otherwise.  The reply
 * (with APPENDUID) comes back through libetpan's parser.
 *
 * A batch goes as one MULTIAPPEND (RFC 3502) where the server offers it:
 * one command, one reply, APPENDUID with the set of new UIDs in message
 * order.  A batch is atomic, so when the server refuses it (one message
 * too big, over quota) it is sent again one message at a time, which
 * tells exactly which message failed.  Without MULTIAPPEND, single
 * APPENDs with LITERAL+ are pipelined (APPEND_WINDOW in flight).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

/* single APPENDs in flight at once (without MULTIAPPEND) */
#define APPEND_WINDOW 32

static bool reply_says_too_big(const struct imap_cmd_reply *r)
{
	return str_ieq(r->code, "TOOBIG") || str_ieq(r->code, "LIMIT") ||
	       strstr(r->text, "too large") || strstr(r->text, "too big") ||
	       strstr(r->text, "larger than");
}

static int send_body(struct imap_conn *c, const struct imap_spool *sp,
		     struct err *err)
{
	char buf[64 * 1024];
	uint64_t off = 0;

	/* the part in memory straight from there, the rest through buf */
	if (sp->len) {
		if (imap_cmd_write(c, sp->mem, sp->len, err) < 0)
			return -1;
		off = sp->len;
	}
	while (off < sp->size) {
		long n = imap_spool_read(sp, off, buf, sizeof buf);

		if (n <= 0) {
			imap_conn_drop(c);	/* the literal is incomplete */
			return err_sys(err, ERR_IO, "cannot read a spooled "
				       "message body");
		}
		if (imap_cmd_write(c, buf, (size_t)n, err) < 0)
			return -1;
		off += (uint64_t)n;
	}
	return 0;
}

/* " (flags) "date" {n+}\r\n" for one message of an APPEND. */
static int send_msg_head(struct imap_conn *c, const struct imap_append_msg *m,
			 struct err *err)
{
	char head[128], date[40];

	if (m->flags && m->flags[0] &&
	    (imap_cmd_puts(c, " (", err) < 0 ||
	     imap_cmd_puts(c, m->flags, err) < 0 ||
	     imap_cmd_puts(c, ")", err) < 0))
		return -1;
	if (m->date) {
		snprintf(head, sizeof head, " \"%s\"",
			 imap_date_format(m->date, date, sizeof date));
		if (imap_cmd_puts(c, head, err) < 0)
			return -1;
	}
	snprintf(head, sizeof head, " {%llu%s}\r\n",
		 (unsigned long long)m->data->size,
		 c->caps.literalplus ? "+" : "");
	return imap_cmd_puts(c, head, err);
}

/* Over the advertised APPENDLIMIT: refused without asking. */
static bool over_limit(const struct imap_conn *c, struct imap_append_msg *m)
{
	if (!c->caps.appendlimit || m->data->size <= c->caps.appendlimit)
		return false;
	m->refused = m->too_big = true;
	m->why = xasprintf("too large: %llu bytes, the destination accepts "
			   "at most %llu (APPENDLIMIT)",
			   (unsigned long long)m->data->size,
			   (unsigned long long)c->caps.appendlimit);
	return true;
}

/* Write "APPEND mbox" and the messages; *answered when a synchronising
 * literal was refused (r filled). */
static int send_append(struct imap_conn *c, const char *mbox,
		       struct imap_append_msg **v, size_t n,
		       struct imap_cmd_reply *r, bool *answered,
		       struct err *err)
{
	size_t i;
	int rc = 0;

	*answered = false;
	if (imap_cmd_begin(c, err) < 0 || imap_cmd_puts(c, "APPEND ", err) < 0 ||
	    imap_cmd_astring(c, mbox, err) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (send_msg_head(c, v[i], err) < 0)
			return -1;
		if (!c->caps.literalplus) {
			int w = imap_cmd_wait_continue(c, r, err);

			if (w < 0)
				return -1;
			if (w > 0) {
				*answered = true;	/* refused before the body */
				return 0;
			}
		}
		imap_conn_quiet(c, true);
		rc = send_body(c, v[i]->data, err);
		imap_conn_quiet(c, false);
	}
	if (rc < 0 || imap_cmd_write(c, "\r\n", 2, err) < 0)
		return -1;
	return 0;
}

static void refuse(struct imap_append_msg *m, const struct imap_cmd_reply *r)
{
	if (reply_says_too_big(r)) {
		m->refused = m->too_big = true;
		m->why = xasprintf("refused as too large (%llu bytes): %s%s%s%s",
				   (unsigned long long)m->data->size,
				   r->code[0] ? "[" : "", r->code,
				   r->code[0] ? "] " : "", r->text);
	} else {
		m->refused = true;
		m->why = xasprintf("refused: %s%s%s%s", r->code[0] ? "[" : "",
				   r->code, r->code[0] ? "] " : "",
				   r->text[0] ? r->text : "no reason given");
	}
}

static bool reply_transient(const struct imap_cmd_reply *r)
{
	return r->cond < 0 || str_ieq(r->code, "UNAVAILABLE") ||
	       str_ieq(r->code, "INUSE") || str_ieq(r->code, "SERVERBUG");
}

/* The outcome of a single APPEND for m. */
static int single_outcome(struct imap_conn *c, const char *mbox,
			  struct imap_append_msg *m,
			  const struct imap_cmd_reply *r, struct err *err)
{
	if (reply_transient(r))
		return imap_conn_fail_reply(c, r, err, "APPEND to '%s'", mbox);
	if (r->cond == MAILIMAP_RESP_COND_STATE_OK) {
		if (r->n_appenduids >= 1)
			m->uid = r->appenduids[0];
	} else {
		refuse(m, r);
	}
	return 0;
}

static int append_one(struct imap_conn *c, const char *mbox,
		      struct imap_append_msg *m, struct err *err)
{
	struct imap_cmd_reply r;
	bool answered;
	int rc = -1;

	memset(&r, 0, sizeof r);
	if (over_limit(c, m))
		return 0;
	if (send_append(c, mbox, &m, 1, &r, &answered, err) < 0)
		goto out;
	if (!answered) {
		if (mailstream_flush(c->s->imap_stream) < 0) {
			imap_conn_drop(c);
			err_set(err, ERR_REMOTE, RETRY_NOW,
				"%s: connection lost", c->where);
			goto out;
		}
		if (imap_cmd_read_reply(c, &r, err) < 0)
			goto out;
	}
	rc = single_outcome(c, mbox, m, &r, err);
out:
	imap_cmd_reply_release(&r);
	return rc;
}

/* Single APPENDs, several in flight (LITERAL+): every command of a window
 * is written before the first reply is read.  Replies come in order. */
static int append_pipelined(struct imap_conn *c, const char *mbox,
			    struct imap_append_msg **v, size_t n,
			    struct err *err)
{
	int tags[APPEND_WINDOW];
	size_t i, sent = 0, done = 0;
	int rc = 0;

	while (done < n && rc == 0) {
		/* up to APPEND_WINDOW commands outstanding */
		while (sent < n && sent - done < APPEND_WINDOW) {
			struct imap_cmd_reply r;
			bool answered;

			memset(&r, 0, sizeof r);
			if (send_append(c, mbox, &v[sent], 1, &r, &answered,
					err) < 0)
				return -1;
			tags[sent % APPEND_WINDOW] = imap_cmd_tag(c);
			sent++;
		}
		if (imap_cmd_flush(c, err) < 0)
			return -1;
		for (i = done; i < sent && rc == 0; i++) {
			struct imap_cmd_reply r;

			memset(&r, 0, sizeof r);
			if (imap_cmd_read_reply_to(c, tags[i % APPEND_WINDOW], &r,
						   err) < 0)
				return -1;
			rc = single_outcome(c, mbox, v[i], &r, err);
			imap_cmd_reply_release(&r);
			done++;
		}
	}
	if (rc < 0 && done < sent)
		imap_conn_drop(c);	/* replies outstanding: out of step */
	return rc;
}

/* One MULTIAPPEND of v.  1: the server refused the batch as a whole
 * (nothing was stored: the caller falls back to single APPENDs). */
static int append_multi(struct imap_conn *c, const char *mbox,
			struct imap_append_msg **v, size_t n, struct err *err)
{
	struct imap_cmd_reply r;
	bool answered;
	size_t i;
	int rc = -1;

	memset(&r, 0, sizeof r);
	if (send_append(c, mbox, v, n, &r, &answered, err) < 0)
		goto out;
	if (!answered) {
		if (mailstream_flush(c->s->imap_stream) < 0) {
			imap_conn_drop(c);
			err_set(err, ERR_REMOTE, RETRY_NOW,
				"%s: connection lost", c->where);
			goto out;
		}
		if (imap_cmd_read_reply(c, &r, err) < 0)
			goto out;
	}
	if (reply_transient(&r)) {
		imap_conn_fail_reply(c, &r, err, "APPEND to '%s'", mbox);
		goto out;
	}
	if (r.cond != MAILIMAP_RESP_COND_STATE_OK) {
		log_debug(LOGC_SYNC, "%s: MULTIAPPEND of %zu messages to '%s' "
			  "refused (%s%s%s): one at a time", c->where, n, mbox,
			  r.code, r.code[0] ? " " : "", r.text);
		rc = 1;
		goto out;
	}
	/* APPENDUID lists the new UIDs in the order of the messages */
	if (r.n_appenduids == n)
		for (i = 0; i < n; i++)
			v[i]->uid = r.appenduids[i];
	rc = 0;
out:
	imap_cmd_reply_release(&r);
	return rc;
}

int imap_append_batch(struct imap_conn *c, const char *mbox,
		      struct imap_append_msg *msgs, size_t n, struct err *err)
{
	struct imap_append_msg **v = xcalloc(n + 1, sizeof *v);
	size_t i, k = 0;
	int rc = 0;

	for (i = 0; i < n; i++)
		if (!over_limit(c, &msgs[i]))
			v[k++] = &msgs[i];
	if (k == 0)
		goto out;
	if (c->caps.multiappend && k > 1) {
		rc = append_multi(c, mbox, v, k, err);
		if (rc <= 0)
			goto out;
		rc = 0;	/* refused as a whole: find out which one */
	}
	if (c->caps.literalplus && k > 1) {
		rc = append_pipelined(c, mbox, v, k, err);
		goto out;
	}
	for (i = 0; i < k && rc == 0; i++)
		rc = append_one(c, mbox, v[i], err);
out:
	free(v);
	return rc;
}
