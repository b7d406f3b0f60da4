/*
 * imap_folders.c -- folders on a server: LIST with special-use
 * attributes, LSUB, CREATE (parents first when the server wants them),
 * SUBSCRIBE, STATUS (also pipelined: every folder in one round trip).  Names are raw here (modified UTF-7); imap_fmap.c decides
 * where each one goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

static enum imap_use use_of(const char *ext)
{
	static const struct { const char *name; enum imap_use use; } t[] = {
		{ "Sent", IMAP_USE_SENT },	 { "Drafts", IMAP_USE_DRAFTS },
		{ "Trash", IMAP_USE_TRASH },	 { "Junk", IMAP_USE_JUNK },
		{ "Archive", IMAP_USE_ARCHIVE }, { "All", IMAP_USE_ALL },
		{ "Flagged", IMAP_USE_FLAGGED },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof *t; i++)
		if (str_ieq(ext, t[i].name))
			return t[i].use;
	return IMAP_USE_NONE;
}

static void add_listed(struct imap_folder_list *out,
		       struct mailimap_mailbox_list *mb)
{
	unsigned attrs = 0;
	enum imap_use use = IMAP_USE_NONE;
	clistiter *it;

	if (!mb->mb_name || imap_folder_list_find(out, mb->mb_name))
		return;
	if (mb->mb_flag) {
		if (mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
		    mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
			attrs |= IMAP_F_NOSELECT;
		for (it = mb->mb_flag->mbf_oflags ?
				  clist_begin(mb->mb_flag->mbf_oflags) : NULL;
		     it; it = clist_next(it)) {
			struct mailimap_mbx_list_oflag *of = clist_content(it);
			const char *x;

			if (of->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT ||
			    !of->of_flag_ext)
				continue;
			x = of->of_flag_ext;
			if (str_ieq(x, "NonExistent") || str_ieq(x, "Noselect"))
				attrs |= IMAP_F_NOSELECT;
			else if (str_ieq(x, "Subscribed"))
				attrs |= IMAP_F_SUBSCRIBED;	/* RETURN
								 * (SUBSCRIBED) */
			else if (use == IMAP_USE_NONE)
				use = use_of(x);
		}
	}
	imap_folder_list_add(out, mb->mb_name, mb->mb_delimiter, attrs, use);
}

static void take_listed(struct imap_folder_list *out, clist *l, bool lsub)
{
	clistiter *it;

	for (it = l ? clist_begin(l) : NULL; it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (!lsub) {
			add_listed(out, mb);
		} else if (mb->mb_name) {
			size_t i;

			for (i = 0; i < out->n; i++)
				if (strcmp(out->v[i].raw, mb->mb_name) == 0 ||
				    (str_ieq(mb->mb_name, "INBOX") &&
				     str_ieq(out->v[i].raw, "INBOX")))
					out->v[i].attrs |= IMAP_F_SUBSCRIBED;
		}
	}
}

/* The four commands, in this order (LIST before LSUB: LSUB marks what
 * LIST found). */
static const bool list_inbox[IMAP_LIST_CMDS] = { true, false, false, true };

/* Empty out for the session's namespace; the LIST pattern ("<prefix>*"),
 * or NULL (err set) when it cannot be sent. */
static char *list_start(struct imap_conn *c, struct imap_folder_list *out,
			struct err *err)
{
	char *pat;

	imap_folder_list_release(out);
	out->delim = c->delim;
	out->prefix = xstrdup(c->prefix ? c->prefix : "");
	pat = xasprintf("%s*", out->prefix);
	if (!imap_cmd_quotable(pat) && !c->caps.literalplus) {
		free(pat);
		err_set(err, ERR_REMOTE, RETRY_NEVER, "%s: namespace prefix "
			"needs a literal", c->where);
		return NULL;
	}
	return pat;
}

int imap_folders_list_send(struct imap_conn *c, struct imap_folder_list *out,
			   int tags[IMAP_LIST_CMDS], struct err *err)
{
	char *pat;
	size_t i;
	int rc = 0;

	pat = list_start(c, out, err);
	if (!pat)
		return -1;
	for (i = 0; i < IMAP_LIST_CMDS && rc == 0; i++) {
		/* without a prefix "*" names INBOX too (RFC 3501 6.3.8) */
		tags[i] = -1;
		if (list_inbox[i] && !out->prefix[0])
			continue;
		rc = imap_cmd_begin(c, err);
		if (rc == 0)
			rc = imap_cmd_puts(c, i < 2 ? "LIST \"\" " : "LSUB \"\" ",
					   err);
		if (rc == 0)
			rc = imap_cmd_astring(c, list_inbox[i] ? "INBOX" : pat,
					      err);
		if (rc == 0)
			rc = imap_cmd_puts(c, "\r\n", err);
		tags[i] = imap_cmd_tag(c);
	}
	free(pat);
	return rc;
}

/* Read one LIST or LSUB reply (tag) into out; what names the command in
 * an error. */
static int read_listed(struct imap_conn *c, int tag,
		       struct imap_folder_list *out, bool lsub,
		       const char *what, struct err *err)
{
	struct imap_cmd_reply r;
	clist *l = NULL;

	memset(&r, 0, sizeof r);
	if (imap_cmd_read_reply_to(c, tag, &r, err) < 0)
		return -1;
	if (r.cond != MAILIMAP_RESP_COND_STATE_OK) {
		imap_conn_fail_reply(c, &r, err, "%s", what);
		imap_cmd_reply_release(&r);
		imap_conn_drop(c);	/* replies outstanding */
		return -1;
	}
	imap_cmd_reply_release(&r);
	if (c->s->imap_response_info) {
		clist **lp = lsub ? &c->s->imap_response_info->rsp_mailbox_lsub :
				    &c->s->imap_response_info->rsp_mailbox_list;

		l = *lp;
		*lp = NULL;
	}
	take_listed(out, l, lsub);
	if (l)
		mailimap_list_result_free(l);
	return 0;
}

int imap_folders_list_read(struct imap_conn *c, struct imap_folder_list *out,
			   const int tags[IMAP_LIST_CMDS], struct err *err)
{
	size_t i;

	for (i = 0; i < IMAP_LIST_CMDS; i++) {
		bool lsub = i >= 2;
		char what[300];

		if (tags[i] < 0)
			continue;	/* not sent */
		snprintf(what, sizeof what, "%s \"\" \"%s*\"",
			 lsub ? "LSUB" : "LIST",
			 list_inbox[i] ? "INBOX" : out->prefix);
		if (read_listed(c, tags[i], out, lsub, what, err) < 0)
			return -1;
	}
	log_debug(LOGC_SYNC, "%s: %zu folders", c->where, out->n);
	return 0;
}

/* LIST "" "<prefix>*" RETURN (SUBSCRIBED SPECIAL-USE STATUS (...)), and
 * the same for INBOX when there is a prefix: the listing and every
 * folder's STATUS in one round trip.  libetpan keeps only the last
 * untagged STATUS of a reply, so the bytes received are tapped and the
 * STATUS responses read from them (imap_lstatus.c). */
int imap_folders_list_status(struct imap_conn *c, struct imap_folder_list *out,
			     struct err *err)
{
	static const char ret[] = " RETURN (SUBSCRIBED SPECIAL-USE STATUS "
				  "(UIDVALIDITY UIDNEXT MESSAGES "
				  "HIGHESTMODSEQ))\r\n";
	int tags[2] = { -1, -1 };
	struct sbuf tap;
	char *pat;
	size_t i, found;
	int rc = 0;

	pat = list_start(c, out, err);
	if (!pat)
		return -1;
	sbuf_init(&tap, 16u << 20);
	imap_conn_tap(c, &tap);
	for (i = 0; i < 2 && rc == 0; i++) {
		if (i == 0 && !out->prefix[0])
			continue;	/* "*" names INBOX too */
		rc = imap_cmd_begin(c, err);
		if (rc == 0)
			rc = imap_cmd_puts(c, "LIST \"\" ", err);
		if (rc == 0)
			rc = imap_cmd_astring(c, i == 0 ? "INBOX" : pat, err);
		if (rc == 0)
			rc = imap_cmd_puts(c, ret, err);
		tags[i] = imap_cmd_tag(c);
	}
	free(pat);
	if (rc == 0)
		rc = imap_cmd_flush(c, err);
	for (i = 0; i < 2 && rc == 0; i++)
		if (tags[i] >= 0)
			rc = read_listed(c, tags[i], out, false,
					 "LIST ... RETURN (STATUS ...)", err);
	imap_conn_tap(c, NULL);
	found = rc == 0 && !c->tap_full ?
			imap_lstatus_parse(tap.buf, tap.len, out) : 0;
	sbuf_release(&tap);
	if (rc < 0)
		return -1;
	log_debug(LOGC_SYNC, "%s: %zu folders, STATUS of %zu (LIST-STATUS)",
		  c->where, out->n, found);
	return 0;
}

int imap_folders_list(struct imap_conn *c, struct imap_folder_list *out,
		      struct err *err)
{
	int tags[IMAP_LIST_CMDS];

	if (imap_folders_list_send(c, out, tags, err) < 0 ||
	    imap_cmd_flush(c, err) < 0)
		return -1;
	return imap_folders_list_read(c, out, tags, err);
}

static int create_raw(struct imap_conn *c, const char *raw, bool *exists,
		      struct err *err)
{
	int r;

	*exists = false;
	c->ncommands++;
	r = mailimap_create(c->s, raw);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	if (!imap_conn_alive(c))
		return imap_conn_fail(c, r, err, "CREATE '%s'", raw);
	if (c->s->imap_response_info && c->s->imap_response_info->rsp_atom &&
	    str_ieq(c->s->imap_response_info->rsp_atom, "ALREADYEXISTS")) {
		*exists = true;
		return 0;
	}
	return imap_conn_fail(c, r, err, "CREATE '%s'", raw);
}

int imap_folders_create(struct imap_conn *c,
			const struct imap_folder_list *have, const char *raw,
			struct err *err)
{
	struct err first;
	bool exists;
	size_t plen = c->prefix ? strlen(c->prefix) : 0, i;

	err_clear(&first);
	if (create_raw(c, raw, &exists, &first) == 0)
		return 0;
	if (!imap_conn_alive(c) || !c->delim)
		return err_copy(err, &first);
	/* some servers want the parents first */
	for (i = plen + 1; raw[i]; i++) {
		char *parent;
		struct err e2;

		if (raw[i] != c->delim)
			continue;
		parent = xstrndup(raw, i);
		err_clear(&e2);
		if (!(have && imap_folder_list_find(have, parent)) &&
		    create_raw(c, parent, &exists, &e2) < 0 &&
		    !imap_conn_alive(c)) {
			free(parent);
			return err_copy(err, &e2);
		}
		free(parent);
	}
	if (create_raw(c, raw, &exists, err) < 0)
		return -1;
	return 0;
}

int imap_folders_subscribe(struct imap_conn *c, const char *raw,
			   struct err *err)
{
	int r;

	c->ncommands++;
	r = mailimap_subscribe(c->s, raw);
	if (r != MAILIMAP_NO_ERROR)
		return imap_conn_fail(c, r, err, "SUBSCRIBE '%s'", raw);
	return 0;
}

/* ---- STATUS ------------------------------------------------------------ */

static void status_fill(const struct mailimap_mailbox_data_status *res,
			struct imap_status *st)
{
	clistiter *it;

	st->exists = true;
	for (it = res && res->st_info_list ? clist_begin(res->st_info_list)
					    : NULL;
	     it; it = clist_next(it)) {
		struct mailimap_status_info *i = clist_content(it);

		switch (i->st_att) {
		case MAILIMAP_STATUS_ATT_UIDVALIDITY:
			st->uidvalidity = i->st_value;
			break;
		case MAILIMAP_STATUS_ATT_UIDNEXT:
			st->uidnext = i->st_value;
			break;
		case MAILIMAP_STATUS_ATT_MESSAGES:
			st->messages = i->st_value;
			break;
		case MAILIMAP_STATUS_ATT_HIGHESTMODSEQ:
		case MAILIMAP_STATUS_ATT_EXTENSION:
			if (i->st_ext_data &&
			    i->st_ext_data->ext_extension ==
				    &mailimap_extension_condstore &&
			    i->st_ext_data->ext_type ==
				    MAILIMAP_CONDSTORE_TYPE_STATUS_INFO) {
				struct mailimap_condstore_status_info *cs =
					i->st_ext_data->ext_data;

				st->modseq = cs->cs_highestmodseq_value;
			} else if (i->st_att ==
				   MAILIMAP_STATUS_ATT_HIGHESTMODSEQ) {
				st->modseq = i->st_value;
			}
			break;
		default:
			break;
		}
	}
}

int imap_folders_status(struct imap_conn *c, const char *raw,
			struct imap_status *st, struct err *err)
{
	struct mailimap_status_att_list *al = mailimap_status_att_list_new_empty();
	struct mailimap_mailbox_data_status *res = NULL;
	int r;

	memset(st, 0, sizeof *st);
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_UIDVALIDITY);
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_UIDNEXT);
	mailimap_status_att_list_add(al, MAILIMAP_STATUS_ATT_MESSAGES);
	if (c->caps.condstore)
		mailimap_status_att_list_add(al,
					     MAILIMAP_STATUS_ATT_HIGHESTMODSEQ);
	c->ncommands++;
	r = mailimap_status(c->s, raw, al, &res);
	mailimap_status_att_list_free(al);
	if (r != MAILIMAP_NO_ERROR) {
		if (imap_conn_alive(c) && r == MAILIMAP_ERROR_STATUS)
			return 0;	/* NO: take it as "not there" */
		return imap_conn_fail(c, r, err, "STATUS '%s'", raw);
	}
	status_fill(res, st);
	if (res)
		mailimap_mailbox_data_status_free(res);
	return 0;
}

int imap_folders_status_send(struct imap_conn *c, const char *raw, int *tag,
			     struct err *err)
{
	if (imap_cmd_begin(c, err) < 0 || imap_cmd_puts(c, "STATUS ", err) < 0 ||
	    imap_cmd_astring(c, raw, err) < 0 ||
	    imap_cmd_puts(c, c->caps.condstore ?
			  " (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)\r\n" :
			  " (UIDVALIDITY UIDNEXT MESSAGES)\r\n", err) < 0)
		return -1;
	*tag = imap_cmd_tag(c);
	return 0;
}

int imap_folders_status_read(struct imap_conn *c, int tag, const char *raw,
			     struct imap_status *st, struct err *err)
{
	struct imap_cmd_reply r;
	int rc = 0;

	memset(st, 0, sizeof *st);
	memset(&r, 0, sizeof r);
	if (imap_cmd_read_reply_to(c, tag, &r, err) < 0)
		return -1;
	if (r.cond < 0)
		rc = imap_conn_fail_reply(c, &r, err, "STATUS '%s'", raw);
	else if (r.cond == MAILIMAP_RESP_COND_STATE_OK &&
		 c->s->imap_response_info &&
		 c->s->imap_response_info->rsp_status)
		status_fill(c->s->imap_response_info->rsp_status, st);
	/* NO: not there */
	imap_cmd_reply_release(&r);
	return rc;
}
