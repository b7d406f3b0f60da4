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
 * This is the one place that writes messages; MULTIAPPEND (RFC 3502)
 * batches, pipelined APPENDs and their fallback to single APPENDs when a
 * batch is refused belong here, behind imap_append_batch().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

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

static int append_one(struct imap_conn *c, const char *mbox,
		      struct imap_append_msg *m, struct err *err)
{
	struct imap_cmd_reply r;
	char head[128], date[40];
	int rc = -1;

	memset(&r, 0, sizeof r);
	if (c->caps.appendlimit && m->data->size > c->caps.appendlimit) {
		m->refused = m->too_big = true;
		m->why = xasprintf("too large: %llu bytes, the destination "
				   "accepts at most %llu (APPENDLIMIT)",
				   (unsigned long long)m->data->size,
				   (unsigned long long)c->caps.appendlimit);
		return 0;
	}
	if (imap_cmd_begin(c, err) < 0 || imap_cmd_puts(c, "APPEND ", err) < 0 ||
	    imap_cmd_astring(c, mbox, err) < 0)
		goto out;
	if (m->flags && m->flags[0] &&
	    (imap_cmd_puts(c, " (", err) < 0 ||
	     imap_cmd_puts(c, m->flags, err) < 0 ||
	     imap_cmd_puts(c, ")", err) < 0))
		goto out;
	if (m->date) {
		snprintf(head, sizeof head, " \"%s\"",
			 imap_date_format(m->date, date, sizeof date));
		if (imap_cmd_puts(c, head, err) < 0)
			goto out;
	}
	snprintf(head, sizeof head, " {%llu%s}\r\n",
		 (unsigned long long)m->data->size,
		 c->caps.literalplus ? "+" : "");
	if (imap_cmd_puts(c, head, err) < 0)
		goto out;
	if (!c->caps.literalplus) {
		int w = imap_cmd_wait_continue(c, &r, err);

		if (w < 0)
			goto out;
		if (w > 0)
			goto answered;	/* refused before the body */
	}
	imap_conn_quiet(c, true);
	rc = send_body(c, m->data, err);
	imap_conn_quiet(c, false);
	if (rc < 0 || imap_cmd_end(c, &r, err) < 0) {
		rc = -1;
		goto out;
	}
	rc = -1;
answered:
	if (r.cond < 0) {
		imap_conn_fail_reply(c, &r, err, "APPEND to '%s'", mbox);
		goto out;
	}
	if (r.cond == MAILIMAP_RESP_COND_STATE_OK) {
		if (r.n_appenduids >= 1)
			m->uid = r.appenduids[0];
	} else if (reply_says_too_big(&r)) {
		m->refused = m->too_big = true;
		m->why = xasprintf("refused as too large (%llu bytes): %s%s%s%s",
				   (unsigned long long)m->data->size,
				   r.code[0] ? "[" : "", r.code,
				   r.code[0] ? "] " : "", r.text);
	} else if (str_ieq(r.code, "UNAVAILABLE") || str_ieq(r.code, "INUSE") ||
		   str_ieq(r.code, "SERVERBUG")) {
		imap_conn_fail_reply(c, &r, err, "APPEND to '%s'", mbox);
		goto out;
	} else {
		m->refused = true;
		m->why = xasprintf("refused: %s%s%s%s", r.code[0] ? "[" : "",
				   r.code, r.code[0] ? "] " : "",
				   r.text[0] ? r.text : "no reason given");
	}
	rc = 0;
out:
	imap_cmd_reply_release(&r);
	return rc;
}

int imap_append_batch(struct imap_conn *c, const char *mbox,
		      struct imap_append_msg *msgs, size_t n, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (append_one(c, mbox, &msgs[i], err) < 0)
			return -1;
	}
	return 0;
}
