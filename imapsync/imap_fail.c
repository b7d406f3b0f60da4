/*
 * imap_fail.c -- a failed command as an error that names the server and
 * carries its words: the session lost (retry now, with the server's BYE
 * and its back-off hint when it said one), the credentials refused
 * (never retried), a refusal with a transient response code (retry) or
 * a permanent one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/str.h"

/* The text of the last "* BYE" among the last bytes received, in buf
 * (printable), or "". */
static void last_bye(const struct imap_conn *c, char *buf, size_t size)
{
	const char *p = NULL, *q = c->tail, *end = c->tail + c->tail_len;
	char *clean, line[sizeof c->tail + 1];
	size_t n;

	buf[0] = '\0';
	for (; end - q >= 6; q++)
		if (memcmp(q, "* BYE ", 6) == 0)
			p = q;
	if (!p)
		return;
	p += 6;
	for (n = 0; p + n < end && p[n] != '\r' && p[n] != '\n'; n++)
		;
	memcpy(line, p, n);
	line[n] = '\0';
	clean = str_sanitize(line, 300);
	snprintf(buf, size, "%s", clean);
	free(clean);
}

static void last_words(const struct imap_conn *c, char *buf, size_t size)
{
	const char *atom = NULL, *text = NULL;
	char *clean;

	buf[0] = '\0';
	if (!c->s)
		return;
	if (c->s->imap_response_info && c->s->imap_response_info->rsp_atom)
		atom = c->s->imap_response_info->rsp_atom;
	text = c->s->imap_response;
	clean = str_sanitize(text ? text : "", 300);
	if (atom)
		snprintf(buf, size, "[%s] %s", atom, clean);
	else
		snprintf(buf, size, "%s", clean);
	free(clean);
}

bool imap_code_is_transient(const char *code)
{
	static const char *const codes[] = { "UNAVAILABLE", "INUSE",
					     "SERVERBUG", "LIMIT",
					     "EXPUNGEISSUED", NULL };
	size_t i;

	for (i = 0; codes[i]; i++)
		if (str_ieq(code, codes[i]))
			return true;
	return false;
}

int imap_conn_fail(struct imap_conn *c, int rc, struct err *err,
		   const char *fmt, ...)
{
	char what[300], words[400];
	const char *atom = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	last_words(c, words, sizeof words);
	if (c->s && c->s->imap_response_info)
		atom = c->s->imap_response_info->rsp_atom;
	/* a session that is gone (a BYE, or dropped after an earlier
	 * failure) is refused by libetpan as "bad state": it was lost */
	if (rc == MAILIMAP_ERROR_BAD_STATE &&
	    (!imap_conn_alive(c) || c->s->imap_state == MAILIMAP_STATE_LOGOUT))
		rc = MAILIMAP_ERROR_STREAM;
	switch (rc) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_CONNECTION_REFUSED: {
		char wbuf[96], bye[320];
		const char *why = c->s && c->s->imap_stream ?
			imap_net_why(mailstream_get_low(c->s->imap_stream),
				     c->ep ? c->ep->timeout : 0, wbuf,
				     sizeof wbuf) : NULL;

		/* "* BYE [UNAVAILABLE] ... Suggested Backoff Time: 30
		 * seconds": said before hanging up, it says when to come
		 * back (the retry reads the hint from this message) */
		last_bye(c, bye, sizeof bye);
		imap_conn_drop(c);
		if (bye[0])
			err_set(err, ERR_REMOTE, RETRY_NOW,
				"%s: %s: connection closed by the server: "
				"BYE %s", c->where, what, bye);
		else
			err_set(err, ERR_REMOTE, RETRY_NOW,
				"%s: %s: connection lost%s%s", c->where, what,
				why ? ": " : words[0] ? ": " : "",
				why ? why : words);
		break;
	}
	case MAILIMAP_ERROR_LOGIN:
	case MAILIMAP_ERROR_SASL:
		err_set(err, ERR_AUTH,
			atom && imap_code_is_transient(atom) ? RETRY_NOW
							: RETRY_NEVER,
			"%s: %s refused: %s", c->where, what,
			words[0] ? words : "no reason given");
		break;
	case MAILIMAP_ERROR_MEMORY:
		err_set(err, ERR_REMOTE, RETRY_NEVER, "%s: %s: aborted",
			c->where, what);
		break;
	case MAILIMAP_ERROR_BAD_STATE:
		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"%s: %s: not possible in this session state", c->where,
			what);
		break;
	default:
		err_set(err, ERR_REMOTE,
			atom && imap_code_is_transient(atom) ? RETRY_NOW
							: RETRY_NEVER,
			"%s: %s failed: %s", c->where, what,
			words[0] ? words : "no reason given");
		break;
	}
	err->code = rc;
	return -1;
}

int imap_conn_fail_reply(struct imap_conn *c, const struct imap_cmd_reply *r,
			 struct err *err, const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (r->cond < 0) {
		imap_conn_drop(c);
		return err_set(err, ERR_REMOTE, RETRY_NOW,
			       "%s: %s: server closed the session: %s%s%s%s",
			       c->where, what, r->code[0] ? "[" : "", r->code,
			       r->code[0] ? "] " : "", r->text);
	}
	return err_set(err, ERR_REMOTE,
		       imap_code_is_transient(r->code) ? RETRY_NOW : RETRY_NEVER,
		       "%s: %s failed: %s%s%s%s", c->where, what,
		       r->code[0] ? "[" : "", r->code, r->code[0] ? "] " : "",
		       r->text[0] ? r->text : "no reason given");
}
