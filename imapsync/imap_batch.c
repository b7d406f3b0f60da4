/*
 * imap_batch.c -- copying a folder's new messages in batches: fetch the
 * bodies (streamed to spools), append them (MULTIAPPEND where offered,
 * imap_append.c), commit the pairs of each batch with the marks that
 * cover it.  The bodies of batch k+1 are fetched on the source session,
 * in a thread, while batch k goes to the destination: the sessions are
 * independent and each is used by one thread at a time.
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
#include "util/xalloc.h"

/* two batches per user are in memory at once (one fetched while the
 * other is appended): 4 users x 2 x 4 MiB stays well under 64 MB */
#define DEFAULT_BATCH_BYTES ((size_t)4 << 20)
#define DEFAULT_BATCH_MSGS 100
#define SPOOL_MEM ((size_t)1 << 20)	/* per body; more goes to a file */

/* Test hook (MIGRATE_TEST_CRASH_AFTER_APPEND=N): the process dies once
 * N messages were appended, before they are recorded, as a kill -9
 * would; the crash/resume tests check that a re-run copies none twice. */
static void test_crash(const struct imap_append_msg *am, size_t n)
{
	static unsigned long appended;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const char *v = getenv("MIGRATE_TEST_CRASH_AFTER_APPEND");
	unsigned long limit;
	size_t i;

	if (!v || !*v)
		return;
	limit = strtoul(v, NULL, 10);
	pthread_mutex_lock(&lock);
	for (i = 0; i < n; i++)
		if (am[i].uid && ++appended >= limit)
			_exit(99);
	pthread_mutex_unlock(&lock);
}

/* Append and commit one fetched batch (UIDs ascending; b holds the `got`
 * bodies that came, released here).  Pairs committed cover a prefix of
 * the batch; the marks move over it. */
static int store_batch(struct imap_fctx *fx, const uint32_t *uids, size_t n,
		       struct imap_body *b, size_t got, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	struct imap_append_msg *am = xcalloc(n + 1, sizeof *am);
	struct imapsync_pair *pv = xcalloc(n + 1, sizeof *pv);
	char **filtered = xcalloc(n + 1, sizeof *filtered);
	size_t i, np = 0;
	struct err aerr;
	int rc = -1, arc;

	err_clear(&aerr);
	for (i = 0; i < got; i++) {
		filtered[i] = imap_flags_filter(fx, b[i].m.flags);
		am[i].data = &b[i].spool;
		am[i].flags = filtered[i];
		am[i].date = b[i].m.has_date ? &b[i].m.date : NULL;
	}
	arc = imap_append_batch(&sy->dst, fx->fp->dst_raw, am, got, &aerr);
	test_crash(am, got);
	for (i = 0; i < got; i++) {
		struct imapsync_pair *p = &pv[np];
		bool done = am[i].uid || am[i].refused ||
			    (arc == 0 && !am[i].refused);

		if (!done || (am[i].refused && !am[i].too_big))
			break;	/* a prefix only: the marks must not skip */
		p->src_uid = b[i].m.uid;
		p->dst_uid = am[i].uid;
		p->size = b[i].m.size;
		memcpy(p->ident, b[i].m.ident, IMAPSYNC_IDENT_LEN);
		p->flags = b[i].m.flags;
		if (am[i].refused) {
			p->status = IMAPSYNC_PAIR_SKIPPED;
			p->dst_uid = 0;
			p->note = am[i].why;
			fx->fr->skipped++;
			imap_sync_problem(sy, IMAPSYNC_PROB_SKIPPED,
					  fx->fp->src_name, p->src_uid, p->size,
					  "%s", am[i].why);
		} else {
			p->status = IMAPSYNC_PAIR_COPIED;
			fx->fr->copied++;
			fx->fr->bytes_copied += p->size;
			fx->bytes += p->size;
			sy->prog.msgs_copied++;
			sy->prog.bytes_copied += p->size;
			if (p->dst_uid > fx->st.dst_last_uid &&
			    sy->dst.caps.uidplus)
				fx->st.dst_last_uid = p->dst_uid;
		}
		if (p->src_uid > fx->st.src_last_uid)
			fx->st.src_last_uid = p->src_uid;
		np++;
	}
	/* messages the source lost between SEARCH and FETCH: past them too */
	if (arc == 0 && np == got && got < n && n && uids[n - 1] > fx->st.src_last_uid)
		fx->st.src_last_uid = uids[n - 1];
	if (imap_copy_commit(fx, pv, np, err) < 0)
		goto out;
	imap_sync_progress(sy);
	if (arc < 0) {
		err_copy(err, &aerr);
		goto out;
	}
	if (np < got) {	/* refused, not for its size: stop this folder */
		err_set(err, ERR_REMOTE, RETRY_NEVER,
			"%s: APPEND of message %u (%llu bytes) to '%s' %s",
			sy->dst.where, b[np].m.uid,
			(unsigned long long)b[np].m.size, fx->fp->dst_name,
			am[np].why ? am[np].why : "refused");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(am[i].why);
		free(filtered[i]);
		if (i < got)
			imap_body_release(&b[i]);
	}
	free(filtered);
	free(am);
	free(pv);
	return rc;
}

/* Bodies of the next batch fetched on the source while the destination
 * takes the current one: the two sessions are independent, each used by
 * one thread at a time. */
struct prefetch {
	struct imap_conn *c;
	const uint32_t *uids;
	size_t n, got;
	struct imap_body *b;
	struct err err;
	int rc;
	pthread_t t;
	bool running;
};

static void *prefetch_run(void *p)
{
	struct prefetch *pf = p;

	pf->rc = imap_fetch_bodies(pf->c, pf->uids, pf->n, SPOOL_MEM, pf->b,
				   &pf->got, &pf->err);
	return NULL;
}

static void prefetch_start(struct prefetch *pf, struct imap_conn *c,
			   const uint32_t *uids, size_t n)
{
	memset(pf, 0, sizeof *pf);
	pf->c = c;
	pf->uids = uids;
	pf->n = n;
	pf->b = xcalloc(n + 1, sizeof *pf->b);
	err_clear(&pf->err);
	if (pthread_create(&pf->t, NULL, prefetch_run, pf) == 0)
		pf->running = true;
	else
		prefetch_run(pf);
}

/* Wait for it; its bodies stay in pf->b. */
static int prefetch_wait(struct prefetch *pf, struct err *err)
{
	if (pf->running)
		pthread_join(pf->t, NULL);
	pf->running = false;
	if (pf->rc < 0)
		return err_copy(err, &pf->err);
	return 0;
}

static void prefetch_release(struct prefetch *pf)
{
	size_t i;

	if (pf->running)
		pthread_join(pf->t, NULL);
	pf->running = false;
	for (i = 0; pf->b && i < pf->got; i++)
		imap_body_release(&pf->b[i]);
	free(pf->b);
	pf->b = NULL;
	pf->got = 0;
}

/* Candidates too large for the destination are skipped unfetched. */
/* One unit of work of a window: a batch of UIDs, or one message skipped
 * as too large (meta index). */
struct unit {
	size_t start, n;	/* in the batch UID array */
	size_t skip;		/* SIZE_MAX: a batch */
};

static int skip_big(struct imap_fctx *fx, const struct imap_msg *m,
		    uint64_t limit, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	struct imapsync_pair p;
	char *why = xasprintf("too large: %llu bytes, the destination accepts "
			      "at most %llu (APPENDLIMIT)",
			      (unsigned long long)m->size,
			      (unsigned long long)limit);
	int rc;

	memset(&p, 0, sizeof p);
	p.src_uid = m->uid;
	p.size = m->size;
	p.status = IMAPSYNC_PAIR_SKIPPED;
	p.note = why;
	if (p.src_uid > fx->st.src_last_uid)
		fx->st.src_last_uid = p.src_uid;
	fx->fr->skipped++;
	imap_sync_problem(sy, IMAPSYNC_PROB_SKIPPED, fx->fp->src_name, m->uid,
			  m->size, "%s", why);
	rc = imap_copy_commit(fx, &p, 1, err);
	free(why);
	return rc;
}

/* Candidates too large for the destination are skipped unfetched.  The
 * rest goes in batches; the bodies of batch k+1 are fetched while batch
 * k is appended.  Commits stay in order, so the marks stay exact. */
/* Cut mv into units: batches (at most max_msgs messages and max_bytes)
 * and single messages skipped as too large.  bu receives the batches'
 * UIDs (n entries at most), units 2n + 1 at most; returns how many. */
static size_t plan_units(struct imap_fctx *fx, const struct imap_msg *mv,
			 size_t n, uint32_t *bu, struct unit *units)
{
	const struct imapsync_job *job = fx->sy->job;
	size_t max_bytes = job->batch_bytes ? job->batch_bytes : DEFAULT_BATCH_BYTES;
	unsigned max_msgs = job->batch_msgs ? job->batch_msgs : DEFAULT_BATCH_MSGS;
	uint64_t limit = fx->sy->dst.caps.appendlimit;
	size_t i, nu = 0, nbu = 0, bytes = 0;

	/* the user's lanes share its memory: smaller batches each */
	if (fx->sy->n_lanes > 1) {
		max_bytes /= fx->sy->n_lanes;
		max_msgs /= fx->sy->n_lanes;
		if (max_msgs < 10)
			max_msgs = 10;
	}

	for (i = 0; i < n; i++) {
		const struct imap_msg *m = &mv[i];
		struct unit *u = nu ? &units[nu - 1] : NULL;

		if (limit && m->size > limit) {
			units[nu].skip = i;
			units[nu++].n = 0;
			continue;
		}
		if (!u || u->skip != SIZE_MAX || u->n >= max_msgs ||
		    (u->n && bytes + m->size > max_bytes)) {
			u = &units[nu++];
			u->start = nbu;
			u->n = 0;
			u->skip = SIZE_MAX;
			bytes = 0;
		}
		bu[nbu++] = m->uid;
		u->n++;
		bytes += m->size;
	}
	return nu;
}

struct imap_first {
	uint32_t *uids;
	size_t n;
	struct prefetch pf;
};

struct imap_first *imap_batch_first(struct imap_fctx *fx,
				    const struct imap_msg *mv, size_t n)
{
	uint32_t *bu = xcalloc(n + 1, sizeof *bu);
	struct unit *units = xcalloc(2 * n + 2, sizeof *units);
	struct imap_first *f = NULL;
	size_t nu = plan_units(fx, mv, n, bu, units), i;
	struct err e;

	for (i = 0; i < nu && units[i].skip != SIZE_MAX; i++)
		;
	if (i < nu) {
		f = xcalloc(1, sizeof *f);
		f->n = units[i].n;
		f->uids = xcalloc(f->n + 1, sizeof *f->uids);
		memcpy(f->uids, bu + units[i].start, f->n * sizeof *f->uids);
		err_clear(&e);
		prefetch_start(&f->pf, &fx->sy->src, f->uids, f->n);
		if (prefetch_wait(&f->pf, &e) < 0) {
			/* found again, and reported, by the copy itself */
			imap_batch_first_free(f);
			f = NULL;
		}
	}
	free(units);
	free(bu);
	return f;
}

void imap_batch_first_free(struct imap_first *f)
{
	if (!f)
		return;
	prefetch_release(&f->pf);
	free(f->uids);
	free(f);
}

static void *ahead_run(void *p)
{
	imap_ahead_open(p);
	return NULL;
}

int imap_batch_copy(struct imap_fctx *fx, const struct imap_msg *mv, size_t n,
		    bool last, struct imap_first *first, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	uint64_t limit = sy->dst.caps.appendlimit;
	uint32_t *bu = xcalloc(n + 1, sizeof *bu);
	struct unit *units = xcalloc(2 * n + 2, sizeof *units);
	struct prefetch cur, nxt;
	size_t i, nu = 0, next;
	pthread_t at;
	bool ahead = false;
	int rc = -1;

	memset(&cur, 0, sizeof cur);
	memset(&nxt, 0, sizeof nxt);
	for (i = 0; i < n; i++) {
		sy->prog.msgs_todo++;
		sy->prog.bytes_todo += mv[i].size;
	}
	nu = plan_units(fx, mv, n, bu, units);
	/* the first batch's bodies */
	for (next = 0; next < nu && units[next].skip != SIZE_MAX; next++)
		;
	if (next < nu && first && first->n == units[next].n &&
	    memcmp(first->uids, bu + units[next].start,
		   first->n * sizeof *first->uids) == 0) {
		cur = first->pf;	/* fetched already, while the
					 * destination was busy */
		memset(&first->pf, 0, sizeof first->pf);
	} else if (next < nu) {
		prefetch_start(&cur, &sy->src, bu + units[next].start,
			       units[next].n);
		if (prefetch_wait(&cur, err) < 0)
			goto out;
	}
	for (i = 0; i < nu; i++) {
		struct unit *u = &units[i];
		size_t k;

		if (u->skip != SIZE_MAX) {
			if (skip_big(fx, &mv[u->skip], limit, err) < 0)
				goto out;
			continue;
		}
		/* cur holds u's bodies; start on the next batch */
		for (k = i + 1; k < nu && units[k].skip != SIZE_MAX; k++)
			;
		if (k < nu)
			prefetch_start(&nxt, &sy->src, bu + units[k].start,
				       units[k].n);
		/* the last batch: the source is free for the next folder */
		ahead = k >= nu && last && imap_ahead_ok(fx) &&
			pthread_create(&at, NULL, ahead_run, sy) == 0;
		rc = store_batch(fx, bu + u->start, u->n, cur.b, cur.got, err);
		if (ahead)
			pthread_join(at, NULL);
		ahead = false;
		cur.got = 0;	/* released by store_batch */
		prefetch_release(&cur);
		if (rc < 0)
			goto out;
		rc = -1;
		if (k < nu) {
			if (prefetch_wait(&nxt, err) < 0)
				goto out;
			cur = nxt;
			memset(&nxt, 0, sizeof nxt);
		}
	}
	rc = 0;
out:
	imap_batch_first_free(first);
	prefetch_release(&nxt);
	prefetch_release(&cur);
	free(units);
	free(bu);
	return rc;
}

