/*
 * imap_quick.c -- "did anything move?" answered by the source alone.
 *
 * At the end of a sync that examined both sides completely, the engine
 * stores a digest of what decided that sync's folders: the source's
 * listing (names, delimiter, namespace prefix, attributes, special uses,
 * subscriptions), the plan's folder options and both servers and logins.
 * The next sync lists the source and asks STATUS of its folders (in one
 * flight).  When the digest is the same and every folder's UIDVALIDITY,
 * UIDNEXT, MESSAGES and HIGHESTMODSEQ equal its marks, nothing moved on
 * the source since a sync that left the destination complete, and the
 * sync ends there: one session per user instead of two.
 *
 * What this does not see is a change on the destination alone (a folder
 * deleted there): the verify step compares both sides in full, and a
 * difference it finds makes the caller forget the digest, so the next
 * sync examines both sides again (as does --recheck).  Without CONDSTORE
 * on the source, flag changes leave no trace in STATUS: no quick answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

#define QUICK_WINDOW 64		/* STATUS commands in flight */

static void put_str(struct hash *h, const char *s)
{
	/* the terminating NUL too: "ab","c" never digests as "a","bc" */
	hash_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void put_uint(struct hash *h, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%llu", v);
	put_str(h, buf);
}

static void put_side(struct hash *h, const struct imapsync_endpoint *ep,
		     const struct imapsync_cred *cr)
{
	put_str(h, ep->name);
	put_str(h, ep->host);
	put_uint(h, ep->port);
	put_uint(h, cr->method);
	put_str(h, cr->user);
	put_str(h, cr->admin);
}

static int by_raw(const void *a, const void *b)
{
	const struct imap_folder *const *x = a, *const *y = b;

	return strcmp((*x)->raw, (*y)->raw);
}

void imap_quick_digest(const struct imapsync_job *job,
		       const struct imap_folder_list *sl,
		       unsigned char out[IMAP_QUICK_LEN])
{
	struct hash *h = hash_sha256_new();
	const struct imapsync_folder_opts *o = &job->folders;
	const struct imap_folder **order;
	size_t i;

	put_str(h, "migrate-listing-1");
	put_side(h, &job->src, &job->src_cred);
	put_side(h, &job->dst, &job->dst_cred);
	put_uint(h, o->special_use);
	put_uint(h, o->subscriptions);
	for (i = 0; o->exclude && o->exclude[i]; i++)
		put_str(h, o->exclude[i]);
	put_str(h, "--");
	for (i = 0; i < o->n_map; i++) {
		put_str(h, o->map[i].from);
		put_str(h, o->map[i].to);
	}
	put_str(h, "--");
	put_uint(h, (unsigned char)sl->delim);
	put_str(h, sl->prefix);
	/* in name order: LIST and LIST-STATUS need not list alike */
	order = xcalloc(sl->n + 1, sizeof *order);
	for (i = 0; i < sl->n; i++)
		order[i] = &sl->v[i];
	qsort(order, sl->n, sizeof *order, by_raw);
	for (i = 0; i < sl->n; i++) {
		put_str(h, order[i]->raw);
		put_uint(h, (unsigned char)order[i]->delim);
		put_uint(h, order[i]->attrs);
		put_uint(h, order[i]->use);
	}
	free(order);
	hash_final(h, out);
}

/* The marks of every folder that holds messages, in plan order; 0 when
 * one has none (a folder never synced). */
static int load_marks(struct imap_sync *sy, const struct imap_fplans *plan,
		      struct imapsync_folder_state *marks, struct err *err)
{
	const struct imapsync_job *job = sy->job;
	size_t i;

	for (i = 0; i < plan->n; i++) {
		const struct imap_fplan *p = &plan->v[i];
		int rc;

		if (p->excluded || !p->selectable)
			continue;
		rc = job->store->folder_get(job->store_ctx, p->src_name, NULL,
					    &marks[i], err);
		if (rc <= 0)
			return rc;
		if (!marks[i].src_modseq)
			return 0;
	}
	return 1;
}

bool imap_status_at_marks(const struct imap_status *s,
			  const struct imapsync_folder_state *m)
{
	return s->exists && s->uidvalidity == m->src_uidvalidity &&
	       s->uidnext != 0 && s->uidnext - 1 == m->src_last_uid &&
	       s->messages == m->src_messages && s->modseq == m->src_modseq;
}

/* STATUS of the plan's folders on the source (from LIST-STATUS where it
 * came, else asked now), compared with the marks: 1 all equal, 0 one
 * differs, -1 the session failed. */
static int compare(struct imap_sync *sy, const struct imap_folder_list *sl,
		   const struct imap_fplans *plan,
		   const struct imapsync_folder_state *marks, struct err *err)
{
	struct imap_conn *c = &sy->src;
	int tag[QUICK_WINDOW];
	size_t idx[QUICK_WINDOW];
	size_t i = 0, k, j;
	int rc = 1;

	for (i = 0; i < plan->n; i++) {
		const struct imap_fplan *p = &plan->v[i];
		const struct imap_folder *f;

		if (p->excluded || !p->selectable)
			continue;
		f = imap_folder_list_find(sl, p->src_raw);
		if (f && f->st.exists && !imap_status_at_marks(&f->st, &marks[i])) {
			log_debug(LOGC_SYNC, "%s: folder '%s' moved on the "
				  "source", sy->job->user, p->src_name);
			return 0;
		}
	}
	i = 0;
	while (i < plan->n) {
		for (k = 0; i < plan->n && k < QUICK_WINDOW; i++) {
			const struct imap_fplan *p = &plan->v[i];
			const struct imap_folder *f;

			if (p->excluded || !p->selectable)
				continue;
			f = imap_folder_list_find(sl, p->src_raw);
			if (f && f->st.exists)
				continue;	/* compared above */
			if (!imap_cmd_quotable(p->src_raw) &&
			    !c->caps.literalplus)
				return 0;
			if (imap_folders_status_send(c, p->src_raw, &tag[k],
						     err) < 0)
				return -1;
			idx[k++] = i;
		}
		if (k == 0)
			break;
		if (imap_cmd_flush(c, err) < 0)
			return -1;
		/* every reply is read, also after a difference */
		for (j = 0; j < k; j++) {
			const struct imap_fplan *p = &plan->v[idx[j]];
			struct imap_status s;

			memset(&s, 0, sizeof s);
			if (imap_folders_status_read(c, tag[j], p->src_raw, &s,
						     err) < 0) {
				imap_conn_drop(c);
				return -1;
			}
			if (!imap_status_at_marks(&s, &marks[idx[j]])) {
				log_debug(LOGC_SYNC, "%s: folder '%s' moved on "
					  "the source", sy->job->user,
					  p->src_name);
				rc = 0;
			}
		}
		if (rc == 0)
			return 0;
	}
	return 1;
}

int imap_quick_check(struct imap_sync *sy, const struct imap_folder_list *sl,
		     const unsigned char digest[IMAP_QUICK_LEN],
		     struct err *err)
{
	const struct imapsync_job *job = sy->job;
	struct imapsync_result *r = sy->res;
	unsigned char had[IMAP_QUICK_LEN];
	struct imap_folder_list none;
	struct imap_fplans plan;
	struct imapsync_folder_state *marks = NULL;
	size_t i;
	int rc;

	if (!sy->src.caps.condstore)
		return 0;
	rc = job->store->listing_get(job->store_ctx, had, err);
	if (rc <= 0)
		return rc;
	if (memcmp(had, digest, IMAP_QUICK_LEN) != 0) {
		log_debug(LOGC_SYNC, "%s: the source's folders changed",
			  job->user);
		return 0;
	}
	/* which folders hold messages and are not excluded: the source
	 * side of the folder plan (names on the destination come from the
	 * marks) */
	imap_folder_list_init(&none);
	none.delim = sl->delim;
	none.prefix = xstrdup("");
	memset(&plan, 0, sizeof plan);
	if (imap_fmap_plan(&job->folders, sl, &none, &plan, err) < 0) {
		rc = -1;
		goto out;
	}
	marks = xcalloc(plan.n + 1, sizeof *marks);
	rc = load_marks(sy, &plan, marks, err);
	if (rc == 1)
		rc = compare(sy, sl, &plan, marks, err);
	if (rc != 1)
		goto out;
	r->folders = xcalloc(plan.n + 1, sizeof *r->folders);
	r->n_folders = plan.n;
	for (i = 0; i < plan.n; i++) {
		struct imapsync_folder_result *fr = &r->folders[i];

		fr->src_name = xstrdup(plan.v[i].src_name);
		fr->dst_name = NULL;
		fr->excluded = plan.v[i].excluded;
		fr->noselect = !plan.v[i].selectable;
		if (fr->excluded || fr->noselect)
			continue;
		fr->src_msgs = marks[i].src_messages;
		fr->src_bytes = marks[i].src_bytes;
		sy->prog.folders_total++;
		sy->prog.folders_done++;
	}
	r->src_only = true;
	imap_sync_progress(sy);
	log_debug(LOGC_SYNC, "%s: nothing moved on the source since the last "
		  "complete sync (%zu folders): the destination is not looked "
		  "at", job->user, plan.n);
out:
	free(marks);
	imap_fplans_release(&plan);
	imap_folder_list_release(&none);
	return rc;
}
