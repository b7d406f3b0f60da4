/*
 * imap_copy.c -- one folder pair: what is new, what is already there,
 * and copying the rest.
 *
 * The store holds, per folder pair, the marks below which every source
 * and destination UID is accounted for, and the pairs (source UID ->
 * destination UID).  A folder sync:
 *	1. STATUS on both sides: nothing moved since the marks -> done
 *	2. EXAMINE the source, SELECT the destination (CREATE it first)
 *	3. a changed UIDVALIDITY on either side drops the marks and pairs
 *	4. candidates = source UIDs above the mark, not paired
 *	5. destination UIDs above its mark and not paired are matched with
 *	   the candidates by content identity (after a crash between APPEND
 *	   and commit, a lost state, a new UIDVALIDITY, no UIDPLUS)
 *	6. the rest is fetched in batches (streamed), appended, and each
 *	   batch committed with the marks that cover it
 *	7. flag changes and (if asked) expunges of the paired messages
 * A run killed anywhere leaves marks and pairs that a re-run completes
 * without copying anything twice.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define COPY_WINDOW 500			/* candidates per metadata FETCH */

/* ---- pairs -------------------------------------------------------------- */

/* The pairs' strings are ours, behind the public struct's const. */
static void free_owned(const char *s)
{
	union { const char *c; char *m; } u;

	u.c = s;
	free(u.m);
}

void imap_pairs_release(struct imap_pairs *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free_owned(p->v[i].flags);
		free_owned(p->v[i].note);
	}
	free(p->v);
	free(p->dst_sorted);
	memset(p, 0, sizeof *p);
}

static void pairs_push(struct imap_pairs *ps, const struct imapsync_pair *p)
{
	struct imapsync_pair *q;

	if (ps->n == ps->alloc) {
		ps->alloc = ps->alloc ? 2 * ps->alloc : 64;
		ps->v = xreallocarray(ps->v, ps->alloc, sizeof *ps->v);
	}
	q = &ps->v[ps->n++];
	*q = *p;
	q->flags = xstrdup(p->flags);
	q->note = xstrdup(p->note);
}

static int pairs_collect(void *ctx, const struct imapsync_pair *p)
{
	pairs_push(ctx, p);
	return 0;
}

static int pair_cmp(const void *a, const void *b)
{
	const struct imapsync_pair *x = a, *y = b;

	return x->src_uid < y->src_uid ? -1 : x->src_uid > y->src_uid;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void pairs_index(struct imap_pairs *p)
{
	size_t i;

	if (p->n > 1)
		qsort(p->v, p->n, sizeof *p->v, pair_cmp);
	free(p->dst_sorted);
	p->dst_sorted = xcalloc(p->n + 1, sizeof *p->dst_sorted);
	p->n_dst = 0;
	for (i = 0; i < p->n; i++)
		if (p->v[i].dst_uid)
			p->dst_sorted[p->n_dst++] = p->v[i].dst_uid;
	if (p->n_dst > 1)
		qsort(p->dst_sorted, p->n_dst, sizeof *p->dst_sorted, u32_cmp);
}

struct imapsync_pair *imap_pairs_find(const struct imap_pairs *p,
				      uint32_t src_uid)
{
	struct imapsync_pair key;

	memset(&key, 0, sizeof key);
	key.src_uid = src_uid;
	return p->n ? bsearch(&key, p->v, p->n, sizeof *p->v, pair_cmp) : NULL;
}

bool imap_pairs_has_dst(const struct imap_pairs *p, uint32_t dst_uid)
{
	return p->n_dst &&
	       bsearch(&dst_uid, p->dst_sorted, p->n_dst, sizeof dst_uid,
		       u32_cmp);
}

int imap_pairs_load(struct imap_sync *sy, const struct imap_fplan *fp,
		    uint32_t src_uidv, uint32_t dst_uidv,
		    struct imap_pairs *out, struct err *err)
{
	const struct imapsync_job *job = sy->job;

	imap_pairs_release(out);
	if (job->store && job->store->map_load(job->store_ctx, fp->src_name,
					       src_uidv, fp->dst_name, dst_uidv,
					       pairs_collect, out, err) < 0)
		return -1;
	pairs_index(out);
	return 0;
}

/* ---- commits ------------------------------------------------------------ */

int imap_copy_commit(struct imap_fctx *fx, const struct imapsync_pair *v,
		     size_t n, struct err *err)
{
	const struct imapsync_job *job = fx->sy->job;

	if (job->dry_run || !job->store)
		return 0;
	return job->store->commit(job->store_ctx, fx->fp->src_name,
				  fx->fp->dst_name, &fx->st, v, n, err);
}

/* ---- the quick check ---------------------------------------------------- */

/* 1: nothing moved on either side since the last sync. */
static int unchanged(struct imap_fctx *fx, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	const struct imapsync_folder_state *st = &fx->st;
	struct imap_status s, d;

	if (!sy->src.caps.condstore || !st->src_modseq)
		return 0;	/* flag changes cannot be seen without CONDSTORE */
	if (fx->fp->have_st)
		s = fx->fp->src_st;
	else if (imap_folders_status(&sy->src, fx->fp->src_raw, &s, err) < 0)
		return -1;
	if (!imap_status_at_marks(&s, st))
		return 0;
	if (fx->fp->have_st)
		d = fx->fp->dst_st;
	else if (imap_folders_status(&sy->dst, fx->fp->dst_raw, &d, err) < 0)
		return -1;
	if (!d.exists || d.uidvalidity != st->dst_uidvalidity)
		return 0;
	fx->fr->src_msgs = s.messages;
	fx->fr->src_bytes = st->src_bytes;
	fx->fr->dst_msgs = d.messages;
	return 1;
}

/* ---- identity matching of unpaired destination messages ---------------- */

static bool size_in(const struct imap_msgs *m, uint64_t size)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!m->v[i].has_mid && m->v[i].size == size)
			return true;
	return false;
}

/* Hash the bodies of messages without Message-ID whose size also occurs
 * among the other side's messages without one. */
static int hash_needed(struct imap_conn *c, struct imap_msgs *mine,
		       const struct imap_msgs *other, struct err *err)
{
	struct imap_msg **v = xcalloc(mine->n + 1, sizeof *v);
	size_t i, k = 0;
	int rc;

	for (i = 0; i < mine->n; i++)
		if (!mine->v[i].has_ident && size_in(other, mine->v[i].size))
			v[k++] = &mine->v[i];
	rc = k ? imap_fetch_hash(c, v, k, err) : 0;
	free(v);
	return rc;
}

static int match_unpaired(struct imap_fctx *fx, struct imap_uids *cand,
			  struct err *err)
{
	struct imap_sync *sy = fx->sy;
	const struct imapsync_job *job = sy->job;
	struct imap_uids du;
	struct imap_msgs sm, dm;
	struct imap_ident_item *si = NULL, *di = NULL;
	struct imapsync_pair *pv = NULL;
	size_t *dst_of = NULL, i, k = 0, np = 0;
	int rc = -1;

	memset(&du, 0, sizeof du);
	memset(&sm, 0, sizeof sm);
	memset(&dm, 0, sizeof dm);
	if (imap_fetch_uids(&sy->dst, fx->st.dst_last_uid + 1, &du, err) < 0)
		goto out;
	for (i = 0; i < du.n; i++)
		if (!imap_pairs_has_dst(&fx->pairs, du.v[i]))
			du.v[k++] = du.v[i];
	du.n = k;
	if (du.n == 0) {
		rc = 0;
		goto out;
	}
	log_debug(LOGC_SYNC, "%s: folder '%s': matching %zu new source "
		  "messages against %zu unpaired destination messages",
		  job->user, fx->fp->src_name, cand->n, du.n);
	if (imap_fetch_meta(&sy->dst, du.v, du.n,
			    IMAP_FETCH_SIZE | IMAP_FETCH_FLAGS | IMAP_FETCH_IDENT,
			    &dm, err) < 0 ||
	    imap_fetch_meta(&sy->src, cand->v, cand->n,
			    IMAP_FETCH_SIZE | IMAP_FETCH_FLAGS | IMAP_FETCH_IDENT,
			    &sm, err) < 0 ||
	    hash_needed(&sy->src, &sm, &dm, err) < 0 ||
	    hash_needed(&sy->dst, &dm, &sm, err) < 0)
		goto out;
	si = xcalloc(sm.n + 1, sizeof *si);
	di = xcalloc(dm.n + 1, sizeof *di);
	dst_of = xcalloc(sm.n + 1, sizeof *dst_of);
	for (i = 0; i < sm.n; i++)
		si[i].ident = sm.v[i].has_ident ? sm.v[i].ident : NULL;
	for (i = 0; i < dm.n; i++)
		di[i].ident = dm.v[i].has_ident ? dm.v[i].ident : NULL;
	imap_ident_match(si, sm.n, di, dm.n, dst_of);
	pv = xcalloc(sm.n + 1, sizeof *pv);
	for (i = 0; i < sm.n; i++) {
		struct imap_msg *s = &sm.v[i], *d;
		char *target;

		if (dst_of[i] == SIZE_MAX)
			continue;
		d = &dm.v[dst_of[i]];
		pv[np].src_uid = s->uid;
		pv[np].dst_uid = d->uid;
		pv[np].size = s->size;
		memcpy(pv[np].ident, s->ident, IMAPSYNC_IDENT_LEN);
		pv[np].status = IMAPSYNC_PAIR_MATCHED;
		if (job->flags == IMAPSYNC_FLAGS_SOURCE) {
			pv[np].flags = s->flags;
			target = imap_flags_filter(fx, s->flags ? s->flags : "");
			if (!job->dry_run && d->flags && strcmp(target, d->flags) &&
			    imap_flags_store(fx, &d->uid, 1, target, err) < 0) {
				free(target);
				goto out;
			}
			if (d->flags && strcmp(target, d->flags))
				fx->fr->flags_set++;
			free(target);
		} else {
			pv[np].flags = d->flags;
		}
		fx->bytes += s->size;
		np++;
	}
	fx->fr->matched += (uint32_t)np;
	if (np && imap_copy_commit(fx, pv, np, err) < 0)
		goto out;
	/* what is left to copy */
	k = 0;
	for (i = 0; i < cand->n; i++) {
		size_t j;
		bool taken = false;

		for (j = 0; j < np && !taken; j++)
			taken = pv[j].src_uid == cand->v[i];
		if (!taken)
			cand->v[k++] = cand->v[i];
	}
	cand->n = k;
	rc = 0;
out:
	free(pv);
	free(si);
	free(di);
	free(dst_of);
	imap_msgs_release(&sm);
	imap_msgs_release(&dm);
	imap_uids_release(&du);
	return rc;
}

/* ---- copying ------------------------------------------------------------ */

/* Candidates by UID: their sizes, then the batches. */
static int copy_window(struct imap_fctx *fx, const uint32_t *uids, size_t n,
		       bool last, struct err *err)
{
	struct imap_msgs meta;
	int rc;

	memset(&meta, 0, sizeof meta);
	rc = imap_fetch_meta(&fx->sy->src, uids, n, IMAP_FETCH_SIZE, &meta, err);
	if (rc == 0)
		rc = imap_batch_copy(fx, meta.v, meta.n, last, NULL, err);
	imap_msgs_release(&meta);
	return rc;
}

/* Without UIDPLUS the copies have no destination UID yet: find them by
 * identity among the destination's new messages. */
static int resolve_dst_uids(struct imap_fctx *fx, uint32_t from,
			    struct err *err)
{
	struct imap_sync *sy = fx->sy;
	struct imap_pairs now;
	struct imap_uids du;
	struct imap_msgs dm;
	struct imap_ident_item *si = NULL, *di = NULL;
	size_t *dst_of = NULL, i, k = 0, ns = 0;
	struct imapsync_pair **need = NULL;
	int rc = -1;

	memset(&now, 0, sizeof now);
	memset(&du, 0, sizeof du);
	memset(&dm, 0, sizeof dm);
	if (imap_pairs_load(sy, fx->fp, fx->st.src_uidvalidity,
			    fx->st.dst_uidvalidity, &now, err) < 0)
		goto out;
	need = xcalloc(now.n + 1, sizeof *need);
	for (i = 0; i < now.n; i++)
		if (!now.v[i].dst_uid && now.v[i].status == IMAPSYNC_PAIR_COPIED)
			need[ns++] = &now.v[i];
	if (ns == 0) {
		rc = 0;
		goto out;
	}
	if (imap_fetch_uids(&sy->dst, from, &du, err) < 0)
		goto out;
	for (i = 0; i < du.n; i++)
		if (!imap_pairs_has_dst(&now, du.v[i]))
			du.v[k++] = du.v[i];
	du.n = k;
	if (imap_fetch_meta(&sy->dst, du.v, du.n,
			    IMAP_FETCH_SIZE | IMAP_FETCH_IDENT, &dm, err) < 0)
		goto out;
	{
		struct imap_msg **h = xcalloc(dm.n + 1, sizeof *h);

		for (i = k = 0; i < dm.n; i++)
			if (!dm.v[i].has_ident)
				h[k++] = &dm.v[i];
		rc = k ? imap_fetch_hash(&sy->dst, h, k, err) : 0;
		free(h);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	si = xcalloc(ns + 1, sizeof *si);
	di = xcalloc(dm.n + 1, sizeof *di);
	dst_of = xcalloc(ns + 1, sizeof *dst_of);
	for (i = 0; i < ns; i++)
		si[i].ident = need[i]->ident;
	for (i = 0; i < dm.n; i++)
		di[i].ident = dm.v[i].has_ident ? dm.v[i].ident : NULL;
	imap_ident_match(si, ns, di, dm.n, dst_of);
	{
		struct imapsync_pair *upd = xcalloc(ns + 1, sizeof *upd);

		for (i = k = 0; i < ns; i++) {
			if (dst_of[i] == SIZE_MAX)
				continue;
			upd[k] = *need[i];
			upd[k].dst_uid = dm.v[dst_of[i]].uid;
			if (upd[k].dst_uid > fx->st.dst_last_uid)
				fx->st.dst_last_uid = upd[k].dst_uid;
			k++;
		}
		rc = imap_copy_commit(fx, upd, k, err);
		free(upd);
	}
out:
	free(need);
	free(si);
	free(di);
	free(dst_of);
	imap_msgs_release(&dm);
	imap_uids_release(&du);
	imap_pairs_release(&now);
	return rc;
}

/* ---- the folder --------------------------------------------------------- */

/* Dry run of a folder the destination lacks: everything would copy. */
static int dry_all(struct imap_fctx *fx, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	struct imap_uids u;
	struct imap_msgs m;
	size_t i;
	int rc = -1;

	memset(&u, 0, sizeof u);
	memset(&m, 0, sizeof m);
	if (imap_fetch_uids(&sy->src, 1, &u, err) < 0 ||
	    imap_fetch_meta(&sy->src, u.v, u.n, IMAP_FETCH_SIZE, &m, err) < 0)
		goto out;
	for (i = 0; i < m.n; i++) {
		fx->fr->copied++;
		fx->fr->would_copy_bytes += m.v[i].size;
	}
	rc = 0;
out:
	imap_uids_release(&u);
	imap_msgs_release(&m);
	return rc;
}

static int dry_cands(struct imap_fctx *fx, const struct imap_uids *cand,
		     struct err *err)
{
	struct imap_msgs m;
	size_t i;
	int rc;

	memset(&m, 0, sizeof m);
	rc = imap_fetch_meta(&fx->sy->src, cand->v, cand->n, IMAP_FETCH_SIZE,
			     &m, err);
	for (i = 0; rc == 0 && i < m.n; i++) {
		fx->fr->copied++;
		fx->fr->would_copy_bytes += m.v[i].size;
	}
	imap_msgs_release(&m);
	return rc;
}

/* The destination's side of a folder's start (CREATE if needed, SELECT),
 * run in a thread while the source is examined. */
struct dst_open {
	struct imap_fctx *fx;
	struct err err;
	int rc;
};

static void *dst_open_run(void *p)
{
	struct dst_open *d = p;
	struct imap_fctx *fx = d->fx;
	struct imap_conn *dc = &fx->sy->dst;

	d->rc = 0;
	if (!fx->fp->dst_exists && !fx->fr->created) {
		d->rc = imap_folders_create(dc, NULL, fx->fp->dst_raw, &d->err);
		if (d->rc == 0)
			fx->fr->created = true;
	}
	if (d->rc == 0)
		d->rc = imap_conn_select(dc, fx->fp->dst_raw, true, &d->err);
	return NULL;
}

static int folder_body(struct imap_fctx *fx, int have,
		       const struct imapsync_folder_state *old, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	const struct imapsync_job *job = sy->job;
	const struct imap_fplan *fp = fx->fp;
	struct imap_conn *sc = &sy->src, *dc = &sy->dst;
	uint32_t src_uidv, src_next, src_exists, dst_next0, pre_first = 0;
	uint64_t src_modseq;
	struct imap_uids cand;
	struct imap_msgs pre;
	struct imap_first *first = NULL;
	bool have_pre = false;
	size_t i, k;
	int rc = -1;

	memset(&cand, 0, sizeof cand);
	memset(&pre, 0, sizeof pre);
	if (fp->created)
		fx->fr->created = true;
	if (!job->dry_run) {
		/* source and destination at once: EXAMINE and the list of
		 * new messages with their sizes here, CREATE/SELECT there */
		struct dst_open d;
		pthread_t t;
		bool threaded;
		int src_rc;

		memset(&d, 0, sizeof d);
		d.fx = fx;
		err_clear(&d.err);
		threaded = pthread_create(&t, NULL, dst_open_run, &d) == 0;
		if (!threaded)
			dst_open_run(&d);
		src_rc = imap_ahead_take(fx, have, old, &pre, &pre_first,
					 &have_pre) ? 0 :
			 imap_ahead_src_open(fx, have, old, &pre, &pre_first,
					     &have_pre, err);
		/* a folder new to the state, into an empty destination
		 * folder: its first batch is all new (most likely); fetch
		 * it while the destination selects */
		if (src_rc == 0 && have == 0 && have_pre && pre.n &&
		    (fp->created || (fp->have_st && fp->dst_st.exists &&
				     fp->dst_st.messages == 0)))
			first = imap_batch_first(fx, pre.v, pre.n);
		if (threaded)
			pthread_join(t, NULL);
		if (src_rc < 0)
			goto out;
		if (d.rc < 0) {
			err_copy(err, &d.err);
			goto out;
		}
	} else {
		if (imap_conn_select(sc, fp->src_raw, false, err) < 0)
			return -1;
		if (!fp->dst_exists && !fx->fr->created) {
			fx->fr->created = true;
			fx->fr->src_msgs = sc->exists;
			return dry_all(fx, err);
		}
		if (imap_conn_select(dc, fp->dst_raw, false, err) < 0)
			return -1;
	}
	src_uidv = sc->uidvalidity;
	src_next = sc->uidnext;
	src_exists = sc->exists;
	src_modseq = sc->modseq;
	fx->fr->src_msgs = src_exists;
	dst_next0 = dc->uidnext;
	memset(&fx->st, 0, sizeof fx->st);
	if (have == 1 && old->src_uidvalidity == src_uidv &&
	    old->dst_uidvalidity == dc->uidvalidity) {
		fx->st = *old;
	} else if (have == 1 && !job->dry_run && job->store) {
		log_info(LOGC_SYNC, "%s: folder '%s': UIDVALIDITY changed "
			 "(source %u -> %u, destination %u -> %u): matching "
			 "by content", job->user, fp->src_name,
			 old->src_uidvalidity, src_uidv, old->dst_uidvalidity,
			 dc->uidvalidity);
		if (job->store->map_forget(job->store_ctx, fp->src_name,
					   src_uidv, fp->dst_name,
					   dc->uidvalidity, NULL, 0, err) < 0)
			goto out;
	}
	fx->st.src_uidvalidity = src_uidv;
	fx->st.dst_uidvalidity = dc->uidvalidity;
	if (imap_pairs_load(sy, fp, src_uidv, dc->uidvalidity, &fx->pairs,
			    err) < 0)
		goto out;
	for (i = 0; i < fx->pairs.n; i++)
		if (fx->pairs.v[i].status != IMAPSYNC_PAIR_SKIPPED)
			fx->bytes += fx->pairs.v[i].size;
	/* the list fetched up front holds every candidate only if it
	 * started at or below the mark (a reset mark starts from 1) */
	if (have_pre && pre_first > fx->st.src_last_uid + 1)
		have_pre = false;

	/* what is new on the source */
	if (have_pre) {
		for (i = 0; i < pre.n; i++)
			if (pre.v[i].uid > fx->st.src_last_uid)
				imap_uids_push(&cand, pre.v[i].uid);
	} else if (imap_fetch_uids(sc, fx->st.src_last_uid + 1, &cand,
				   err) < 0) {
		goto out;
	}
	for (i = k = 0; i < cand.n; i++)
		if (!imap_pairs_find(&fx->pairs, cand.v[i]))
			cand.v[k++] = cand.v[i];
	cand.n = k;
	if (cand.n && dc->exists && match_unpaired(fx, &cand, err) < 0)
		goto out;
	if (job->dry_run) {
		rc = dry_cands(fx, &cand, err);
		goto out;
	}
	if (have_pre) {
		/* the candidates left (sorted), with the sizes known: kept
		 * at the front of pre (swapped, so pre still owns all) */
		size_t j = 0;

		for (i = k = 0; i < pre.n; i++) {
			while (j < cand.n && cand.v[j] < pre.v[i].uid)
				j++;
			if (j < cand.n && cand.v[j] == pre.v[i].uid) {
				struct imap_msg t = pre.v[k];

				pre.v[k++] = pre.v[i];
				pre.v[i] = t;
			}
		}
		if (k) {
			struct imap_first *f = first;

			first = NULL;	/* imap_batch_copy takes it */
			if (imap_batch_copy(fx, pre.v, k, true, f, err) < 0)
				goto out;
		}
	} else {
		for (i = 0; i < cand.n; i += COPY_WINDOW) {
			size_t n = cand.n - i < COPY_WINDOW ? cand.n - i
							    : COPY_WINDOW;

			if (copy_window(fx, cand.v + i, n, i + n >= cand.n,
					err) < 0)
				goto out;
		}
	}
	if (!dc->caps.uidplus && fx->fr->copied &&
	    resolve_dst_uids(fx, dst_next0 ? dst_next0 : 1, err) < 0)
		goto out;

	/* the paired messages: flags, expunges */
	if (imap_flags_sync(fx, src_modseq, err) < 0)
		goto out;
	if (job->expunge && imap_flags_expunge(fx, err) < 0)
		goto out;

	/* everything below the source's UIDNEXT (at EXAMINE) is done, and
	 * every destination message below its UIDNEXT (at SELECT) is paired
	 * or was looked at */
	if (src_next && src_next - 1 > fx->st.src_last_uid)
		fx->st.src_last_uid = src_next - 1;
	if (dst_next0 && dst_next0 - 1 > fx->st.dst_last_uid)
		fx->st.dst_last_uid = dst_next0 - 1;
	fx->st.src_messages = src_exists;
	fx->st.src_modseq = src_modseq;
	fx->st.dst_modseq = dc->modseq;
	fx->st.src_bytes = fx->bytes;
	fx->fr->src_bytes = fx->bytes;
	fx->fr->dst_msgs = dc->s && dc->s->imap_selection_info ?
				   dc->s->imap_selection_info->sel_exists : 0;
	rc = imap_copy_commit(fx, NULL, 0, err);
out:
	imap_batch_first_free(first);
	imap_uids_release(&cand);
	imap_msgs_release(&pre);
	return rc;
}

int imap_copy_folder(struct imap_sync *sy, const struct imap_fplan *fp,
		     struct imapsync_folder_result *fr, struct err *err)
{
	const struct imapsync_job *job = sy->job;
	struct imapsync_folder_state old;
	struct imap_fctx fx;
	int have = 0, rc = -1;

	memset(&fx, 0, sizeof fx);
	memset(&old, 0, sizeof old);
	fx.sy = sy;
	fx.fp = fp;
	fx.fr = fr;
	fx.kw_reported = strmap_new();
	if (job->store) {
		have = job->store->folder_get(job->store_ctx, fp->src_name,
					      fp->dst_name, &old, err);
		if (have < 0)
			goto out;
	}
	/* (expunges already seen without being propagated leave no trace
	 * in STATUS: with job->expunge every folder is looked at) */
	if (have == 1 && fp->dst_exists && !job->dry_run && !job->expunge) {
		int u;

		fx.st = old;
		u = unchanged(&fx, err);
		if (u < 0)
			goto out;
		if (u == 1) {
			log_debug(LOGC_SYNC, "%s: folder '%s': unchanged",
				  job->user, fp->src_name);
			rc = 0;
			goto out;
		}
	}
	rc = folder_body(&fx, have, &old, err);
out:
	if (sy->ahead.fp == fp)	/* opened ahead, not used */
		imap_ahead_release(sy);
	if (rc < 0)
		err_prefix(err, "folder '%s'", fp->src_name);
	imap_pairs_release(&fx.pairs);
	strmap_free(fx.kw_reported);
	return rc;
}
