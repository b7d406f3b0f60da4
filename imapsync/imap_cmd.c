/*
 * imap_cmd.c -- commands written by hand on a libetpan session: a fresh
 * tag, our own bytes (so bodies stay byte-exact and literals can be
 * non-synchronising), then libetpan's parser for the reply, which also
 * takes care of untagged data.  APPEND, AUTHENTICATE PLAIN and STORE
 * with UNCHANGEDSINCE go through here; MULTIAPPEND will too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- raw commands ------------------------------------------------------- */

void imap_cmd_reply_release(struct imap_cmd_reply *r)
{
	free(r->appenduids);
	memset(r, 0, sizeof *r);
}

static int stream_fail(struct imap_conn *c, struct err *err)
{
	imap_conn_drop(c);
	return err_set(err, ERR_REMOTE, RETRY_NOW, "%s: connection lost",
		       c->where);
}

int imap_cmd_begin(struct imap_conn *c, struct err *err)
{
	if (!imap_conn_alive(c))
		return stream_fail(c, err);
	c->ncommands++;
	if (mailimap_send_current_tag(c->s) != MAILIMAP_NO_ERROR)
		return stream_fail(c, err);
	return 0;
}

int imap_cmd_write(struct imap_conn *c, const void *p, size_t n,
		    struct err *err)
{
	if (!imap_conn_alive(c) || mailstream_write(c->s->imap_stream, p, n) < 0)
		return stream_fail(c, err);
	return 0;
}

int imap_cmd_puts(struct imap_conn *c, const char *s, struct err *err)
{
	return imap_cmd_write(c, s, strlen(s), err);
}

int imap_cmd_astring(struct imap_conn *c, const char *s, struct err *err)
{
	struct sbuf sb;
	const unsigned char *p;
	bool quotable = true;
	int rc;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80 || *p == '\r' || *p == '\n')
			quotable = false;
	sbuf_init(&sb, 1 << 16);
	if (quotable) {
		rc = sbuf_addch(&sb, '"');
		for (p = (const unsigned char *)s; *p && rc == 0; p++) {
			if (*p == '"' || *p == '\\')
				rc = sbuf_addch(&sb, '\\');
			if (rc == 0)
				rc = sbuf_addch(&sb, *p);
		}
		if (rc == 0)
			rc = sbuf_addch(&sb, '"');
		rc = rc < 0 ? err_set(err, ERR_INTERNAL, RETRY_NEVER,
				      "name too long") :
			      imap_cmd_write(c, sb.buf, sb.len, err);
		sbuf_release(&sb);
		return rc;
	}
	/* 8-bit: a literal */
	sbuf_addf(&sb, "{%zu%s}\r\n", strlen(s),
		  c->caps.literalplus ? "+" : "");
	rc = imap_cmd_write(c, sb.buf, sb.len, err);
	sbuf_release(&sb);
	if (rc < 0)
		return -1;
	if (!c->caps.literalplus) {
		struct imap_cmd_reply r;
		int w;

		memset(&r, 0, sizeof r);
		w = imap_cmd_wait_continue(c, &r, err);
		if (w != 0) {
			if (w > 0)
				imap_conn_fail_reply(c, &r, err, "literal");
			imap_cmd_reply_release(&r);
			return -1;
		}
	}
	return imap_cmd_puts(c, s, err);
}

static void appenduid_add(struct imap_cmd_reply *r,
			  const struct mailimap_uidplus_resp_code_apnd *a)
{
	clistiter *it;

	r->appenduid_validity = a->uid_uidvalidity;
	if (!a->uid_set)
		return;
	for (it = clist_begin(a->uid_set->set_list); it; it = clist_next(it)) {
		struct mailimap_set_item *si = clist_content(it);
		uint32_t u;

		for (u = si->set_first; u && u <= si->set_last &&
		     r->n_appenduids < 100000; u++) {
			r->appenduids = xreallocarray(r->appenduids,
						      r->n_appenduids + 1,
						      sizeof *r->appenduids);
			r->appenduids[r->n_appenduids++] = u;
			if (u == UINT32_MAX)
				break;
		}
	}
}

static void reply_fill(struct imap_cmd_reply *r, struct mailimap_response *resp)
{
	struct mailimap_resp_text *t = NULL;
	struct mailimap_response_done *d = resp->rsp_resp_done;
	char *clean;

	memset(r, 0, sizeof *r);
	r->cond = MAILIMAP_RESP_COND_STATE_BAD;
	if (d && d->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
	    d->rsp_data.rsp_tagged && d->rsp_data.rsp_tagged->rsp_cond_state) {
		r->cond = d->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
		t = d->rsp_data.rsp_tagged->rsp_cond_state->rsp_text;
	} else if (d && d->rsp_type == MAILIMAP_RESP_DONE_TYPE_FATAL &&
		   d->rsp_data.rsp_fatal && d->rsp_data.rsp_fatal->rsp_bye) {
		r->cond = -1;
		t = d->rsp_data.rsp_fatal->rsp_bye->rsp_text;
	}
	if (!t)
		return;
	clean = str_sanitize(t->rsp_text ? t->rsp_text : "", 400);
	snprintf(r->text, sizeof r->text, "%s", clean);
	free(clean);
	if (!t->rsp_code)
		return;
	switch (t->rsp_code->rc_type) {
	case MAILIMAP_RESP_TEXT_CODE_OTHER:
		if (t->rsp_code->rc_data.rc_atom.atom_name)
			snprintf(r->code, sizeof r->code, "%s",
				 t->rsp_code->rc_data.rc_atom.atom_name);
		break;
	case MAILIMAP_RESP_TEXT_CODE_TRY_CREATE:
		snprintf(r->code, sizeof r->code, "TRYCREATE");
		break;
	case MAILIMAP_RESP_TEXT_CODE_EXTENSION: {
		struct mailimap_extension_data *e = t->rsp_code->rc_data.rc_ext_data;

		if (!e || e->ext_extension != &mailimap_extension_uidplus ||
		    e->ext_type != MAILIMAP_UIDPLUS_RESP_CODE_APND)
			break;
		snprintf(r->code, sizeof r->code, "APPENDUID");
		appenduid_add(r, e->ext_data);
		break;
	}
	default:
		break;
	}
}

/* libetpan files response codes of extensions (APPENDUID) in the
 * session's response info rather than in the response. */
static void appenduid_from_info(struct imap_conn *c, struct imap_cmd_reply *r)
{
	clistiter *it;

	if (!c->s || !c->s->imap_response_info ||
	    !c->s->imap_response_info->rsp_extension_list)
		return;
	for (it = clist_begin(c->s->imap_response_info->rsp_extension_list);
	     it; it = clist_next(it)) {
		struct mailimap_extension_data *e = clist_content(it);

		if (e->ext_extension == &mailimap_extension_uidplus &&
		    e->ext_type == MAILIMAP_UIDPLUS_RESP_CODE_APND) {
			appenduid_add(r, e->ext_data);
			return;
		}
	}
}

int imap_cmd_tag(const struct imap_conn *c)
{
	return c->s ? c->s->imap_tag : 0;
}

int imap_cmd_read_reply_to(struct imap_conn *c, int tag,
			    struct imap_cmd_reply *r, struct err *err)
{
	int last;

	if (!imap_conn_alive(c))
		return stream_fail(c, err);
	/* libetpan checks the tag of a reply against its current tag */
	last = c->s->imap_tag;
	c->s->imap_tag = tag;
	if (imap_cmd_read_reply(c, r, err) < 0)
		return -1;
	if (c->s)
		c->s->imap_tag = last;
	return 0;
}

int imap_cmd_flush(struct imap_conn *c, struct err *err)
{
	if (!imap_conn_alive(c) || mailstream_flush(c->s->imap_stream) < 0)
		return stream_fail(c, err);
	return 0;
}

bool imap_cmd_quotable(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80 || *p == '\r' || *p == '\n')
			return false;
	return true;
}

int imap_cmd_read_reply(struct imap_conn *c, struct imap_cmd_reply *r,
			 struct err *err)
{
	struct mailimap_response *resp = NULL;
	int rc;

	if (!mailimap_read_line(c->s))
		return stream_fail(c, err);
	rc = mailimap_parse_response(c->s, &resp);
	if (rc != MAILIMAP_NO_ERROR) {
		if (resp)
			mailimap_response_free(resp);
		return imap_conn_fail(c, rc, err, "reading a reply");
	}
	reply_fill(r, resp);
	mailimap_response_free(resp);
	if (!r->n_appenduids)
		appenduid_from_info(c, r);
	if (!r->code[0] && c->s->imap_response_info &&
	    c->s->imap_response_info->rsp_atom)
		snprintf(r->code, sizeof r->code, "%s",
			 c->s->imap_response_info->rsp_atom);
	if (r->cond < 0)
		imap_conn_drop(c);
	return 0;
}

int imap_cmd_end(struct imap_conn *c, struct imap_cmd_reply *r, struct err *err)
{
	if (imap_cmd_write(c, "\r\n", 2, err) < 0)
		return -1;
	if (mailstream_flush(c->s->imap_stream) < 0)
		return stream_fail(c, err);
	return imap_cmd_read_reply(c, r, err);
}

int imap_cmd_wait_continue(struct imap_conn *c, struct imap_cmd_reply *r,
			    struct err *err)
{
	const char *line;

	if (mailstream_flush(c->s->imap_stream) < 0)
		return stream_fail(c, err);
	line = mailimap_read_line(c->s);
	if (!line)
		return stream_fail(c, err);
	if (line[0] == '+')
		return 0;
	{
		struct mailimap_response *resp = NULL;
		int rc = mailimap_parse_response(c->s, &resp);

		if (rc != MAILIMAP_NO_ERROR) {
			if (resp)
				mailimap_response_free(resp);
			return imap_conn_fail(c, rc, err, "reading a reply");
		}
		reply_fill(r, resp);
		mailimap_response_free(resp);
	}
	return 1;
}

