/*
 * imap_conn.c -- one IMAP session: connect, TLS, log in, capabilities,
 * namespace, selection (errors: imap_fail.c).
 *
 * Every session gets mailimap_set_timeout() and a socket with deadlines
 * (imap_net.c).  COMPRESS is never used (Debian's libetpan breaks the
 * session with it).  Protocol traces go to -D imap; authentication is
 * never traced.
 */
#include "imapsync/imap_ssl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

/* bytes read or written per system call at most: bodies and batches of
 * small messages travel in large chunks */
#define STREAM_BUFFER (64 * 1024)

void imap_conn_init(struct imap_conn *c)
{
	memset(c, 0, sizeof *c);
}

bool imap_conn_alive(const struct imap_conn *c)
{
	return c->s != NULL && c->s->imap_stream != NULL;
}

/* Protocol traces (-D imap): commands and responses, never message
 * content: while bodies move, only the fact is shown. */
static void conn_trace(mailimap *s, int type, const char *str, size_t size,
		       void *ctx)
{
	struct imap_conn *c = ctx;
	const char *nl;

	(void)s;
	if (type == MAILSTREAM_LOG_TYPE_DATA_RECEIVED) {
		/* the last bytes received: the words of a server that says
		 * BYE and hangs up, which libetpan drops with the reply */
		if (size >= sizeof c->tail) {
			memcpy(c->tail, str + size - sizeof c->tail,
			       sizeof c->tail);
			c->tail_len = sizeof c->tail;
		} else {
			size_t keep = sizeof c->tail - size;

			if (c->tail_len > keep) {
				memmove(c->tail, c->tail + c->tail_len - keep,
					keep);
				c->tail_len = keep;
			}
			memcpy(c->tail + c->tail_len, str, size);
			c->tail_len += size;
		}
		if (c->tap && sbuf_add(c->tap, str, size) < 0)
			c->tap_full = true;
	}
	if (!log_debug_on(LOGC_IMAP) || c->trace_off)
		return;
	if (c->quiet_trace) {
		if (!c->quiet_said) {
			log_trace(LOGC_IMAP, type == MAILSTREAM_LOG_TYPE_DATA_SENT ?
				  'C' : 'S', "<message data>", 14);
			c->quiet_said = true;
		}
		return;
	}
	nl = memchr(str, '\n', size);
	if (nl)
		size = (size_t)(nl - str) + 1;
	if (size > 300)
		size = 300;
	if (type == MAILSTREAM_LOG_TYPE_DATA_SENT)
		log_trace(LOGC_IMAP, 'C', str, size);
	else if (type == MAILSTREAM_LOG_TYPE_DATA_RECEIVED)
		log_trace(LOGC_IMAP, 'S', str, size);
	else if (type == MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE)
		log_trace(LOGC_IMAP, 'C', "<private>", 9);
}

/* The logger is always on: it keeps the last bytes received (c->tail),
 * feeds the tap, and traces when -D imap asks for it. */
static void trace_on(struct imap_conn *c, bool on)
{
	c->trace_off = !on;
	mailimap_set_logger(c->s, conn_trace, c);
}

void imap_conn_tap(struct imap_conn *c, struct sbuf *tap)
{
	c->tap = tap;
	c->tap_full = false;
}

void imap_conn_quiet(struct imap_conn *c, bool quiet)
{
	c->quiet_trace = quiet;
	c->quiet_said = false;
}

/* The server's words for the last libetpan command: "[CODE] text". */
void imap_conn_drop(struct imap_conn *c)
{
	if (c->s && c->s->imap_stream) {
		mailstream_close(c->s->imap_stream);
		c->s->imap_stream = NULL;
		c->s->imap_state = MAILIMAP_STATE_DISCONNECTED;
	}
	c->sel = x_free(c->sel);
}

/* ---- capabilities and namespace --------------------------------------- */

static void caps_read(struct imap_conn *c)
{
	struct mailimap_capability_data *cd;
	clistiter *it;

	memset(&c->caps, 0, sizeof c->caps);
	if (!c->s->imap_connection_info ||
	    !c->s->imap_connection_info->imap_capability)
		return;
	cd = c->s->imap_connection_info->imap_capability;
	for (it = clist_begin(cd->cap_list); it; it = clist_next(it)) {
		struct mailimap_capability *cap = clist_content(it);
		const char *n;

		if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE) {
			n = cap->cap_data.cap_auth_type;
			if (str_ieq(n, "PLAIN"))
				c->caps.auth_plain = true;
			else if (str_ieq(n, "XOAUTH2"))
				c->caps.xoauth2 = true;
			continue;
		}
		n = cap->cap_data.cap_name;
		if (!n)
			continue;
		if (str_ieq(n, "CONDSTORE"))
			c->caps.condstore = true;
		else if (str_ieq(n, "QRESYNC"))
			c->caps.qresync = c->caps.condstore = true;
		else if (str_ieq(n, "UIDPLUS"))
			c->caps.uidplus = true;
		else if (str_ieq(n, "LITERAL+"))
			c->caps.literalplus = true;
		else if (str_ieq(n, "LITERAL-"))
			c->caps.literalminus = true;
		else if (str_ieq(n, "MULTIAPPEND"))
			c->caps.multiappend = true;
		else if (str_ieq(n, "SPECIAL-USE"))
			c->caps.special_use = true;
		else if (str_ieq(n, "NAMESPACE"))
			c->caps.namespace_ = true;
		else if (str_ieq(n, "SASL-IR"))
			c->caps.sasl_ir = true;
		else if (str_ieq(n, "LIST-STATUS"))
			c->caps.list_status = true;
		else if (str_ieq(n, "STARTTLS"))
			c->caps.starttls = true;
		else if (str_ieq(n, "LOGINDISABLED"))
			c->caps.logindisabled = true;
		else if (str_ieq(n, "IDLE"))
			c->caps.idle = true;
		else if (str_ieq(n, "MOVE"))
			c->caps.move = true;
		else if (str_has_prefix(n, "APPENDLIMIT=") ||
			 str_has_prefix(n, "appendlimit=")) {
			unsigned long long v;

			if (str_to_uint(n + 12, 1, UINT64_MAX, &v) == 0)
				c->caps.appendlimit = v;
		}
	}
}

static int caps_fetch(struct imap_conn *c, struct err *err)
{
	struct mailimap_capability_data *cd = NULL;
	int rc = mailimap_capability(c->s, &cd);

	c->ncommands++;
	if (rc != MAILIMAP_NO_ERROR)
		return imap_conn_fail(c, rc, err, "CAPABILITY");
	mailimap_capability_data_free(cd);
	caps_read(c);
	return 0;
}

static int namespace_read(struct imap_conn *c, struct err *err)
{
	c->prefix = x_free(c->prefix);
	c->delim = '/';
	if (c->caps.namespace_) {
		struct mailimap_namespace_data *ns = NULL;
		int rc = mailimap_namespace(c->s, &ns);

		c->ncommands++;
		if (rc == MAILIMAP_NO_ERROR && ns) {
			if (ns->ns_personal && ns->ns_personal->ns_data_list &&
			    clist_begin(ns->ns_personal->ns_data_list)) {
				struct mailimap_namespace_info *i = clist_content(
					clist_begin(ns->ns_personal->ns_data_list));

				c->prefix = xstrdup(i->ns_prefix ? i->ns_prefix : "");
				c->delim = i->ns_delimiter;
			}
			mailimap_namespace_data_free(ns);
			if (c->prefix)
				return 0;
		} else if (rc != MAILIMAP_NO_ERROR &&
			   !imap_conn_alive(c)) {
			return imap_conn_fail(c, rc, err, "NAMESPACE");
		}
	}
	{
		clist *l = NULL;
		int rc = mailimap_list(c->s, "", "", &l);

		c->ncommands++;
		if (rc != MAILIMAP_NO_ERROR)
			return imap_conn_fail(c, rc, err, "LIST \"\" \"\"");
		if (l && clist_begin(l)) {
			struct mailimap_mailbox_list *mb =
				clist_content(clist_begin(l));

			c->delim = mb->mb_delimiter;
		}
		if (l)
			mailimap_list_result_free(l);
	}
	c->prefix = xstrdup("");
	return 0;
}

/* ---- authentication ----------------------------------------------------- */

static char *b64(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static int auth_plain(struct imap_conn *c, const char *authzid,
		      const char *authcid, const char *pw, struct err *err)
{
	struct imap_cmd_reply r;
	struct sbuf sb;
	char *enc = NULL;
	int rc = -1;

	memset(&r, 0, sizeof r);
	sbuf_init(&sb, 4096);
	if (sbuf_addstr(&sb, authzid) < 0 || sbuf_addch(&sb, 0) < 0 ||
	    sbuf_addstr(&sb, authcid) < 0 || sbuf_addch(&sb, 0) < 0 ||
	    sbuf_addstr(&sb, pw) < 0) {
		err_set(err, ERR_AUTH, RETRY_NEVER,
			"%s: credentials too long", c->where);
		goto out;
	}
	enc = b64((const unsigned char *)sb.buf, sb.len);
	if (imap_cmd_begin(c, err) < 0 ||
	    imap_cmd_puts(c, "AUTHENTICATE PLAIN", err) < 0)
		goto out;
	if (c->caps.sasl_ir) {
		if (imap_cmd_puts(c, " ", err) < 0 ||
		    imap_cmd_puts(c, enc, err) < 0 ||
		    imap_cmd_end(c, &r, err) < 0)
			goto out;
	} else {
		int w;

		if (imap_cmd_puts(c, "\r\n", err) < 0)
			goto out;
		w = imap_cmd_wait_continue(c, &r, err);
		if (w < 0)
			goto out;
		if (w == 0 && (imap_cmd_puts(c, enc, err) < 0 ||
			       imap_cmd_end(c, &r, err) < 0))
			goto out;
	}
	if (r.cond != MAILIMAP_RESP_COND_STATE_OK) {
		err_set(err, ERR_AUTH,
			imap_code_is_transient(r.code) ? RETRY_NOW : RETRY_NEVER,
			"%s: AUTHENTICATE PLAIN as '%s' by '%s' refused: "
			"%s%s%s%s", c->where, authzid, authcid,
			r.code[0] ? "[" : "", r.code, r.code[0] ? "] " : "",
			r.text);
		goto out;
	}
	c->s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	rc = 0;
out:
	if (enc) {
		memset(enc, 0, strlen(enc));
		free(enc);
	}
	sbuf_wipe(&sb);
	sbuf_release(&sb);
	imap_cmd_reply_release(&r);
	return rc;
}

static int authenticate(struct imap_conn *c, struct err *err)
{
	const struct imapsync_cred *cr = c->cred;
	const char *secret = cr->secret ? cr->secret : "";
	struct sbuf tok;
	int rc = -1, r;

	if (!cr->user || !cr->user[0])
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "%s: no login name", c->where);
	trace_on(c, false);
	log_debug(LOGC_IMAP, "%s: authenticating as '%s' (%s)", c->where,
		  cr->user,
		  cr->method == IMAPSYNC_AUTH_LOGIN ? "LOGIN" :
		  cr->method == IMAPSYNC_AUTH_MASTER ? "PLAIN with authzid" :
		  cr->method == IMAPSYNC_AUTH_MASTER_LOGIN ? "master LOGIN" :
							     "XOAUTH2");
	sbuf_init(&tok, 64 * 1024);
	switch (cr->method) {
	case IMAPSYNC_AUTH_LOGIN:
		if (c->caps.logindisabled) {
			err_set(err, ERR_CONFIG, RETRY_NEVER,
				"%s: the server refuses LOGIN on this "
				"connection (LOGINDISABLED: use TLS)", c->where);
			break;
		}
		r = mailimap_login(c->s, cr->user, secret);
		c->ncommands++;
		if (r != MAILIMAP_NO_ERROR)
			imap_conn_fail(c, r, err, "LOGIN as '%s'", cr->user);
		else
			rc = 0;
		break;
	case IMAPSYNC_AUTH_MASTER_LOGIN: {
		char *who = xasprintf("%s%s%s", cr->user,
				      cr->separator ? cr->separator : "*",
				      cr->admin ? cr->admin : "");

		r = mailimap_login(c->s, who, secret);
		c->ncommands++;
		if (r != MAILIMAP_NO_ERROR)
			imap_conn_fail(c, r, err, "LOGIN as '%s'", who);
		else
			rc = 0;
		free(who);
		break;
	}
	case IMAPSYNC_AUTH_MASTER:
		c->ncommands++;
		rc = auth_plain(c, cr->user, cr->admin ? cr->admin : "", secret,
				err);
		break;
	case IMAPSYNC_AUTH_XOAUTH2:
		if (cr->token_fn) {
			if (cr->token_fn(cr->token_ctx, &tok, err) < 0) {
				err_prefix(err, "%s: token for '%s'", c->where,
					   cr->user);
				break;
			}
			log_add_secret(tok.buf);
			secret = tok.buf;
		}
		r = mailimap_oauth2_authenticate(c->s, cr->user, secret);
		c->ncommands++;
		if (r != MAILIMAP_NO_ERROR)
			imap_conn_fail(c, r, err, "AUTHENTICATE XOAUTH2 as '%s'",
				       cr->user);
		else
			rc = 0;
		break;
	}
	sbuf_wipe(&tok);
	sbuf_release(&tok);
	trace_on(c, true);
	return rc;
}

/* ---- open / close ------------------------------------------------------- */

int imap_conn_open(struct imap_conn *c, const struct imapsync_endpoint *ep,
		   const struct imapsync_cred *cred, const char *role,
		   struct err *err)
{
	mailstream_low *low = NULL;
	mailstream *stream;
	unsigned secs = ep->timeout ? ep->timeout : 60;
	int r;

	imap_conn_close(c);
	c->ep = ep;
	c->cred = cred;
	c->role = role;
	free(c->where);
	c->where = xasprintf("%s '%s' (%s:%u)", role, ep->name ? ep->name : "?",
			     ep->host, ep->port);
	if (imap_net_open(ep, c->where, &low, err) < 0)
		return -1;
	stream = mailstream_new(low, STREAM_BUFFER);
	if (!stream) {
		mailstream_low_free(low);
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "%s: out of memory", c->where);
	}
	c->s = mailimap_new(0, NULL);
	if (!c->s) {
		mailstream_close(stream);
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "%s: out of memory", c->where);
	}
	mailimap_set_timeout(c->s, (time_t)secs);
	trace_on(c, true);
	r = mailimap_connect(c->s, stream);	/* takes the stream */
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		imap_conn_fail(c, r, err, "greeting");
		err->retry = RETRY_LATER;
		return -1;
	}
	caps_read(c);
	if (!c->s->imap_connection_info ||
	    !c->s->imap_connection_info->imap_capability) {
		if (caps_fetch(c, err) < 0)
			return -1;
	}
	if (ep->tls == IMAPSYNC_TLS_STARTTLS) {
		mailstream_low *tls = NULL;

		r = mailimap_starttls(c->s);
		c->ncommands++;
		if (r != MAILIMAP_NO_ERROR) {
			imap_conn_fail(c, r, err, "STARTTLS");
			return -1;
		}
		if (imap_net_starttls(ep, c->where,
				      mailstream_get_low(c->s->imap_stream),
				      &tls, err) < 0) {
			/* the old low stream is still in place: close it all */
			imap_conn_drop(c);
			return -1;
		}
		mailstream_set_low(c->s->imap_stream, tls);
		if (caps_fetch(c, err) < 0)
			return -1;
	}
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		/* the login reply usually carries the new capabilities
		 * ([CAPABILITY ...]): a CAPABILITY command saved */
		if (c->s->imap_connection_info &&
		    c->s->imap_connection_info->imap_capability) {
			mailimap_capability_data_free(
				c->s->imap_connection_info->imap_capability);
			c->s->imap_connection_info->imap_capability = NULL;
		}
		if (authenticate(c, err) < 0)
			return -1;
	}
	if (c->s->imap_connection_info &&
	    c->s->imap_connection_info->imap_capability &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		caps_read(c);
	else if (caps_fetch(c, err) < 0)
		return -1;
	if (namespace_read(c, err) < 0)
		return -1;
	log_debug(LOGC_IMAP, "%s: logged in as '%s'; delimiter '%c', prefix "
		  "'%s'%s%s%s%s", c->where, cred->user, c->delim ? c->delim : '-',
		  c->prefix, c->caps.condstore ? ", CONDSTORE" : "",
		  c->caps.uidplus ? ", UIDPLUS" : "",
		  c->caps.literalplus ? ", LITERAL+" : "",
		  c->caps.special_use ? ", SPECIAL-USE" : "");
	return 0;
}

void imap_conn_close(struct imap_conn *c)
{
	if (c->s) {
		if (imap_conn_alive(c) &&
		    c->s->imap_state != MAILIMAP_STATE_DISCONNECTED) {
			struct err e;

			/* LOGOUT sent, its answer not waited for (a round
			 * trip saved per session) */
			err_clear(&e);
			mailimap_set_timeout(c->s, 5);
			if (imap_cmd_begin(c, &e) == 0 &&
			    imap_cmd_puts(c, "LOGOUT\r\n", &e) == 0)
				(void)imap_cmd_flush(c, &e);
			imap_conn_drop(c);
		}
		mailimap_free(c->s);
		c->s = NULL;
	}
	c->sel = x_free(c->sel);
	c->perm = strv_free(c->perm);
	c->prefix = x_free(c->prefix);
	c->perm_any = false;
	c->modseq = 0;
	c->uidvalidity = c->uidnext = c->exists = 0;
}

static int stream_fail(struct imap_conn *c, struct err *err)
{
	imap_conn_drop(c);
	return err_set(err, ERR_REMOTE, RETRY_NOW, "%s: connection lost",
		       c->where);
}

/* ---- selection ---------------------------------------------------------- */

static char *flag_name(const struct mailimap_flag *f)
{
	switch (f->fl_type) {
	case MAILIMAP_FLAG_ANSWERED: return xstrdup("\\Answered");
	case MAILIMAP_FLAG_FLAGGED: return xstrdup("\\Flagged");
	case MAILIMAP_FLAG_DELETED: return xstrdup("\\Deleted");
	case MAILIMAP_FLAG_SEEN: return xstrdup("\\Seen");
	case MAILIMAP_FLAG_DRAFT: return xstrdup("\\Draft");
	case MAILIMAP_FLAG_KEYWORD:
		return f->fl_data.fl_keyword ? xstrdup(f->fl_data.fl_keyword)
					     : NULL;
	case MAILIMAP_FLAG_EXTENSION:
		return f->fl_data.fl_extension ?
			       xasprintf("\\%s", f->fl_data.fl_extension) : NULL;
	default:
		return NULL;
	}
}

void imap_conn_unselect(struct imap_conn *c)
{
	c->sel = x_free(c->sel);
	c->perm = strv_free(c->perm);
	c->perm_any = false;
}

/* The selection fields from libetpan's selection info. */
static void select_fill(struct imap_conn *c, const char *raw, bool rw,
			uint64_t modseq)
{
	struct mailimap_selection_info *si = c->s->imap_selection_info;
	clistiter *it;

	c->sel = xstrdup(raw);
	c->sel_rw = rw;
	c->modseq = modseq;
	c->uidvalidity = si ? si->sel_uidvalidity : 0;
	c->uidnext = si ? si->sel_uidnext : 0;
	c->exists = si ? si->sel_exists : 0;
	for (it = si && si->sel_perm_flags ? clist_begin(si->sel_perm_flags)
					    : NULL;
	     it; it = clist_next(it)) {
		struct mailimap_flag_perm *fp = clist_content(it);
		char *n;

		if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL) {
			c->perm_any = true;
			continue;
		}
		if (!fp->fl_flag || !(n = flag_name(fp->fl_flag)))
			continue;
		strv_push(&c->perm, n);
		free(n);
	}
	if (!c->perm)
		strv_push(&c->perm, "");	/* known, and empty */
}

int imap_conn_select(struct imap_conn *c, const char *raw, bool rw,
		     struct err *err)
{
	uint64_t modseq = 0;
	int r;

	imap_conn_unselect(c);
	if (!imap_conn_alive(c))
		return stream_fail(c, err);
	c->ncommands++;
	if (c->caps.condstore)
		r = rw ? mailimap_select_condstore(c->s, raw, &modseq) :
			 mailimap_examine_condstore(c->s, raw, &modseq);
	else
		r = rw ? mailimap_select(c->s, raw) : mailimap_examine(c->s, raw);
	if (r != MAILIMAP_NO_ERROR)
		return imap_conn_fail(c, r, err, "%s '%s'",
				      rw ? "SELECT" : "EXAMINE", raw);
	select_fill(c, raw, rw, modseq);
	return 0;
}

int imap_conn_select_send(struct imap_conn *c, const char *raw, bool rw,
			  int *tag, struct err *err)
{
	imap_conn_unselect(c);
	if (imap_cmd_begin(c, err) < 0 ||
	    imap_cmd_puts(c, rw ? "SELECT " : "EXAMINE ", err) < 0 ||
	    imap_cmd_astring(c, raw, err) < 0 ||
	    imap_cmd_puts(c, c->caps.condstore ? " (CONDSTORE)\r\n" : "\r\n",
			  err) < 0)
		return -1;
	*tag = imap_cmd_tag(c);
	return 0;
}

int imap_conn_select_read(struct imap_conn *c, int tag, const char *raw,
			  bool rw, struct err *err)
{
	struct imap_cmd_reply r;
	uint64_t modseq = 0;
	clistiter *it;

	if (!imap_conn_alive(c))
		return stream_fail(c, err);
	/* as libetpan's own SELECT: a fresh selection info for the parser
	 * to fill from the untagged data */
	if (c->s->imap_selection_info)
		mailimap_selection_info_free(c->s->imap_selection_info);
	c->s->imap_selection_info = mailimap_selection_info_new();
	memset(&r, 0, sizeof r);
	if (imap_cmd_read_reply_to(c, tag, &r, err) < 0)
		return -1;
	if (r.cond != MAILIMAP_RESP_COND_STATE_OK) {
		imap_conn_fail_reply(c, &r, err, "%s '%s'",
				     rw ? "SELECT" : "EXAMINE", raw);
		imap_cmd_reply_release(&r);
		if (c->s) {
			if (c->s->imap_selection_info)
				mailimap_selection_info_free(
					c->s->imap_selection_info);
			c->s->imap_selection_info = NULL;
			if (imap_conn_alive(c))
				c->s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		}
		return -1;
	}
	imap_cmd_reply_release(&r);
	for (it = c->s->imap_response_info &&
			  c->s->imap_response_info->rsp_extension_list ?
		      clist_begin(c->s->imap_response_info->rsp_extension_list) :
		      NULL;
	     it; it = clist_next(it)) {
		struct mailimap_extension_data *e = clist_content(it);
		struct mailimap_condstore_resptextcode *rc;

		if (e->ext_extension != &mailimap_extension_condstore ||
		    e->ext_type != MAILIMAP_CONDSTORE_TYPE_RESP_TEXT_CODE)
			continue;
		rc = e->ext_data;
		if (rc && rc->cs_type == MAILIMAP_CONDSTORE_RESPTEXTCODE_HIGHESTMODSEQ)
			modseq = rc->cs_data.cs_modseq_value;
	}
	c->s->imap_state = MAILIMAP_STATE_SELECTED;
	select_fill(c, raw, rw, modseq);
	return 0;
}

bool imap_conn_flag_ok(const struct imap_conn *c, const char *f)
{
	size_t i;

	/* nothing known (EXAMINE, or the server said nothing): try it */
	if (!c->perm || (c->perm[0] && !c->perm[0][0] && !c->perm[1] &&
			 !c->sel_rw))
		return true;
	if (!imap_flags_is_system(f) && c->perm_any)
		return true;
	for (i = 0; c->perm[i]; i++)
		if (str_ieq(c->perm[i], f))
			return true;
	return false;
}
