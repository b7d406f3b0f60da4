/*
 * imap_ahead.c -- a folder's source side opened: EXAMINE and the list of
 * the messages from the mark on with their sizes, in one flight when the
 * folder's STATUS is known; and the same for the next folder ahead of
 * time, in a thread, while the destination still takes the last batch of
 * the folder before (the source session is idle then).  What was opened
 * ahead is used only if the session still has that folder selected and
 * the state it was opened for has not moved.
 */
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"

/* At most this many messages are listed with their sizes in one command
 * at the start of a folder (more: UID SEARCH, then windows). */
#define PREMETA_MAX 20000

/* EXAMINE the source folder and list the messages from the mark on with
 * their sizes (*have_pre: pre holds every message from *pre_first on).
 * With the folder's STATUS known, both commands go in one round trip. */
int imap_ahead_src_open(struct imap_fctx *fx, int have,
			const struct imapsync_folder_state *old,
			struct imap_msgs *pre, uint32_t *pre_first,
			bool *have_pre, struct err *err)
{
	const struct imap_fplan *fp = fx->fp;
	struct imap_conn *sc = &fx->sy->src;
	uint32_t uidv, next, first;
	int stag, ftag = 0, rc;
	bool want;
	struct err e2;

	*have_pre = false;
	if (!fp->have_st || !fp->src_st.exists) {
		if (imap_conn_select(sc, fp->src_raw, false, err) < 0)
			return -1;
		uidv = sc->uidvalidity;
		next = sc->uidnext;
	} else {
		uidv = fp->src_st.uidvalidity;
		next = fp->src_st.uidnext;
	}
	first = have == 1 && old->src_uidvalidity == uidv ?
			old->src_last_uid + 1 : 1;
	*pre_first = first;
	want = next && next > first && next - first <= PREMETA_MAX;
	if (!fp->have_st || !fp->src_st.exists) {
		if (want) {
			rc = imap_fetch_meta_from(sc, first, IMAP_FETCH_SIZE, pre,
						  err);
			*have_pre = rc == 0;
			return rc;
		}
		*have_pre = next && next <= first;	/* nothing new */
		return 0;
	}
	/* pipelined: EXAMINE, then the list, in one flight */
	if (imap_conn_select_send(sc, fp->src_raw, false, &stag, err) < 0 ||
	    (want && imap_fetch_sizes_send(sc, first, &ftag, err) < 0) ||
	    imap_cmd_flush(sc, err) < 0)
		return -1;
	rc = imap_conn_select_read(sc, stag, fp->src_raw, false, err);
	if (rc < 0 && !imap_conn_alive(sc))
		return -1;
	err_clear(&e2);
	if (want) {
		if (imap_fetch_sizes_read(sc, ftag, first, pre, &e2) < 0) {
			if (!imap_conn_alive(sc))
				return rc < 0 ? -1 : err_copy(err, &e2);
			imap_msgs_release(pre);
			want = false;	/* found out the slow way */
		}
	}
	if (rc < 0)
		return -1;
	if (sc->uidvalidity != uidv) {
		/* changed since the STATUS: the list may start too high */
		imap_msgs_release(pre);
		return 0;
	}
	*have_pre = want || (sc->uidnext && sc->uidnext <= first);
	return 0;
}

void imap_ahead_release(struct imap_sync *sy)
{
	imap_msgs_release(&sy->ahead.pre);
	memset(&sy->ahead, 0, sizeof sy->ahead);
}

bool imap_ahead_ok(const struct imap_fctx *fx)
{
	const struct imapsync_job *job = fx->sy->job;

	return fx->sy->next_fp && fx->pairs.n == 0 && !job->expunge &&
	       !job->dry_run && imap_conn_alive(&fx->sy->src);
}

void imap_ahead_open(struct imap_sync *sy)
{
	const struct imapsync_job *job = sy->job;
	const struct imap_fplan *fp = sy->next_fp;
	struct imapsync_folder_state old;
	struct imap_fctx tmp;
	struct err e;
	int have = 0;

	imap_ahead_release(sy);
	if (!fp || fp->excluded || !fp->selectable)
		return;
	err_clear(&e);
	memset(&old, 0, sizeof old);
	if (job->store) {
		have = job->store->folder_get(job->store_ctx, fp->src_name,
					      fp->dst_name, &old, &e);
		if (have < 0)
			return;
	}
	memset(&tmp, 0, sizeof tmp);
	tmp.sy = sy;
	tmp.fp = fp;
	if (imap_ahead_src_open(&tmp, have, &old, &sy->ahead.pre, &sy->ahead.pre_first,
		     &sy->ahead.have_pre, &e) < 0) {
		log_debug(LOGC_SYNC, "%s: folder '%s': opening ahead: %s",
			  job->user, fp->src_name, e.msg);
		imap_ahead_release(sy);
		return;
	}
	sy->ahead.fp = fp;
	sy->ahead.have = have;
	sy->ahead.uidv = old.src_uidvalidity;
	sy->ahead.last_uid = old.src_last_uid;
}

/* The source side opened ahead for this folder and this state, if it is
 * still what the session has selected. */
bool imap_ahead_take(struct imap_fctx *fx, int have,
		     const struct imapsync_folder_state *old,
		     struct imap_msgs *pre, uint32_t *pre_first, bool *have_pre)
{
	struct imap_sync *sy = fx->sy;
	struct imap_ahead *a = &sy->ahead;
	bool ok = a->fp == fx->fp && a->have == have &&
		  (have != 1 || (a->uidv == old->src_uidvalidity &&
				 a->last_uid == old->src_last_uid)) &&
		  imap_conn_alive(&sy->src) && sy->src.sel && !sy->src.sel_rw &&
		  strcmp(sy->src.sel, fx->fp->src_raw) == 0;

	if (ok) {
		imap_msgs_release(pre);
		*pre = a->pre;
		memset(&a->pre, 0, sizeof a->pre);
		*pre_first = a->pre_first;
		*have_pre = a->have_pre;
	}
	imap_ahead_release(sy);
	return ok;
}
