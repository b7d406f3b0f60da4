/*
 * imap_folders.c -- folders on a server: LIST with special-use
 * attributes, LSUB, CREATE (parents first when the server wants them),
 * SUBSCRIBE.  Names are raw here (modified UTF-7); imap_fmap.c decides
 * where each one goes.
 */
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
			else if (use == IMAP_USE_NONE)
				use = use_of(x);
		}
	}
	imap_folder_list_add(out, mb->mb_name, mb->mb_delimiter, attrs, use);
}

static int list_one(struct imap_conn *c, const char *pattern, bool lsub,
		    struct imap_folder_list *out, struct err *err)
{
	clist *l = NULL;
	clistiter *it;
	int r;

	c->ncommands++;
	r = lsub ? mailimap_lsub(c->s, "", pattern, &l) :
		   mailimap_list(c->s, "", pattern, &l);
	if (r != MAILIMAP_NO_ERROR)
		return imap_conn_fail(c, r, err, "%s \"\" \"%s\"",
				      lsub ? "LSUB" : "LIST", pattern);
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
	if (l)
		mailimap_list_result_free(l);
	return 0;
}

int imap_folders_list(struct imap_conn *c, struct imap_folder_list *out,
		      struct err *err)
{
	char *pat;
	int rc;

	imap_folder_list_release(out);
	out->delim = c->delim;
	out->prefix = xstrdup(c->prefix ? c->prefix : "");
	pat = xasprintf("%s*", out->prefix);
	rc = list_one(c, "INBOX", false, out, err);
	if (rc == 0)
		rc = list_one(c, pat, false, out, err);
	if (rc == 0)
		rc = list_one(c, pat, true, out, err);
	if (rc == 0)
		rc = list_one(c, "INBOX", true, out, err);
	free(pat);
	if (rc == 0)
		log_debug(LOGC_SYNC, "%s: %zu folders", c->where, out->n);
	return rc;
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
