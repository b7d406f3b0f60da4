/*
 * imap_lanes.c -- the folders of one user, in one lane or several.
 *
 * A lane is a pair of sessions (source and destination) working through
 * the folders one at a time.  The job's own sessions are lane 0, in the
 * caller's thread.  When a user has real work in two folders or more
 * (IMAP_LANE_MIN messages to copy), more lanes open their own sessions
 * in threads of their own and take folders from the same queue, largest
 * first: the servers then save and fetch for this user in parallel (a
 * destination that syncs every message to disk saves one at a time per
 * session, so one session per user leaves it waiting on the disk).  A
 * lane that cannot open, or loses its sessions for good, just stops;
 * what it did not take, the others do.  Each lane keeps half the batch
 * memory, so a user costs what one lane did.
 *
 * Results: each folder's result is written by the one lane that took it;
 * counters and the first failure go through the group lock; progress is
 * the sum of every lane's, reported under the same lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

#define IMAP_LANES_MAX 4
#define IMAP_LANE_MIN 500	/* messages to copy before another lane pays */

struct lane_group {
	pthread_mutex_t lock;
	struct imap_fplans *plan;
	struct imapsync_result *r;
	size_t *order;			/* folder indices, largest first */
	size_t n_order, next;
	struct err first;		/* the first folder failure */
	unsigned failed;
	struct imap_sync *lanes[IMAP_LANES_MAX];
	struct imapsync_progress prog[IMAP_LANES_MAX];
	unsigned n_lanes;
};

static int sync_folder(struct imap_sync *sy, struct imap_fplan *fp,
		       struct imapsync_folder_result *fr, struct err *err)
{
	unsigned tries = sy->job->retries ? sy->job->retries : 3, n;
	struct err e;

	/* the counts of a failed attempt stay: what it did was committed,
	 * and the retry starts from there */
	for (n = 1;; n++) {
		err_clear(&e);
		if (imap_copy_folder(sy, fp, fr, &e) == 0)
			return 0;
		fp->have_st = false;	/* the retry asks afresh */
		if (e.retry != RETRY_NOW || n > tries)
			break;
		if (imap_sessions_recover(sy, n, &e, &e) < 0)
			break;
	}
	if (e.retry == RETRY_NOW)
		e.retry = RETRY_LATER;
	return err_copy(err, &e);
}

/* Progress of every lane together (sy->group set) or of sy alone. */
void imap_sync_progress(struct imap_sync *sy)
{
	struct lane_group *g = sy->group;
	struct imapsync_progress sum;
	unsigned i;

	if (!sy->job->progress)
		return;
	if (!g) {
		sy->job->progress(sy->job->cb_ctx, &sy->prog);
		return;
	}
	pthread_mutex_lock(&g->lock);
	g->prog[sy->lane] = sy->prog;
	memset(&sum, 0, sizeof sum);
	sum.folder = sy->prog.folder;
	for (i = 0; i < g->n_lanes; i++) {
		sum.folders_done += g->prog[i].folders_done;
		sum.folders_total += g->prog[i].folders_total;
		sum.msgs_copied += g->prog[i].msgs_copied;
		sum.bytes_copied += g->prog[i].bytes_copied;
		sum.msgs_todo += g->prog[i].msgs_todo;
		sum.bytes_todo += g->prog[i].bytes_todo;
	}
	sy->job->progress(sy->job->cb_ctx, &sum);
	pthread_mutex_unlock(&g->lock);
}

/* Take folders until none is left or this lane's sessions are gone. */
static void work(struct imap_sync *sy, struct lane_group *g)
{
	for (;;) {
		struct imap_fplan *fp;
		struct imapsync_folder_result *fr;
		struct err e;
		size_t i;

		pthread_mutex_lock(&g->lock);
		if (g->next >= g->n_order) {
			pthread_mutex_unlock(&g->lock);
			return;
		}
		i = g->order[g->next++];
		pthread_mutex_unlock(&g->lock);
		fp = &g->plan->v[i];
		fr = &g->r->folders[i];
		sy->prog.folder = fp->src_name;
		imap_sync_progress(sy);
		/* the next folder, which may be opened ahead on the source
		 * (one lane only: with several, another may take it) */
		sy->next_fp = NULL;
		if (g->n_lanes == 1) {
			size_t j;

			pthread_mutex_lock(&g->lock);
			j = g->next < g->n_order ? g->order[g->next] : SIZE_MAX;
			pthread_mutex_unlock(&g->lock);
			if (j != SIZE_MAX)
				sy->next_fp = &g->plan->v[j];
		}
		err_clear(&e);
		if (sync_folder(sy, fp, fr, &e) < 0) {
			fr->error = xstrdup(e.msg);
			log_debug(LOGC_SYNC, "%s: %s", sy->job->user, e.msg);
			pthread_mutex_lock(&g->lock);
			g->failed++;
			err_copy(&g->first, &e);
			pthread_mutex_unlock(&g->lock);
		} else {
			fp->dst_exists = true;
		}
		sy->prog.folders_done++;
		imap_sync_progress(sy);
		if (!imap_conn_alive(&sy->src) || !imap_conn_alive(&sy->dst)) {
			sy->lost = true;
			return;
		}
	}
}

struct lane_arg {
	struct imap_sync sy;
	struct imapsync_result res;	/* its own counters (reconnects) */
	struct lane_group *g;
	pthread_t t;
	bool started;
};

static void *lane_main(void *p)
{
	struct lane_arg *a = p;
	struct err e;

	err_clear(&e);
	if (imap_sessions_open(&a->sy, true, &e) < 0) {
		log_debug(LOGC_SYNC, "%s: lane %u not opened: %s",
			  a->sy.job->user, a->sy.lane, e.msg);
		return NULL;
	}
	work(&a->sy, a->g);
	imap_ahead_release(&a->sy);
	imap_sessions_close(&a->sy);
	return NULL;
}

/* Messages still to copy in each folder, from the STATUS asked for every
 * folder and the marks; a folder without either counts as all its
 * messages. */
static uint64_t pending(struct imap_sync *sy, const struct imap_fplan *p)
{
	const struct imapsync_job *job = sy->job;
	struct imapsync_folder_state st;
	struct err e;

	if (!p->have_st)
		return 1;
	err_clear(&e);
	if (!job->store || job->store->folder_get(job->store_ctx, p->src_name,
						  p->dst_name, &st, &e) != 1 ||
	    st.src_uidvalidity != p->src_st.uidvalidity)
		return p->src_st.messages;
	return p->src_st.uidnext > st.src_last_uid + 1 ?
		       p->src_st.uidnext - 1 - st.src_last_uid : 0;
}

struct weighed {
	size_t idx;
	uint64_t w;
};

/* heaviest first, then in plan order */
static int by_weight(const void *a, const void *b)
{
	const struct weighed *x = a, *y = b;

	if (x->w != y->w)
		return x->w < y->w ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

unsigned imap_lanes_run(struct imap_sync *sy, struct imap_fplans *plan,
			struct imapsync_result *r, struct err *first)
{
	const struct imapsync_job *job = sy->job;
	struct lane_group g;
	struct lane_arg *extra = NULL;
	struct weighed *wv = xcalloc(plan->n + 1, sizeof *wv);
	uint64_t total = 0;
	unsigned lanes = job->lanes ? job->lanes : 2, busy = 0, i;
	size_t k;

	memset(&g, 0, sizeof g);
	pthread_mutex_init(&g.lock, NULL);
	err_clear(&g.first);
	g.plan = plan;
	g.r = r;
	g.order = xcalloc(plan->n + 1, sizeof *g.order);
	for (k = 0; k < plan->n; k++) {
		if (plan->v[k].excluded || !plan->v[k].selectable)
			continue;
		wv[g.n_order].idx = k;
		wv[g.n_order].w = job->dry_run ? 0 : pending(sy, &plan->v[k]);
		total += wv[g.n_order].w;
		busy += wv[g.n_order].w > 0;
		g.n_order++;
	}
	if (lanes > IMAP_LANES_MAX)
		lanes = IMAP_LANES_MAX;
	if (busy < 2 || total < IMAP_LANE_MIN || job->dry_run)
		lanes = 1;
	if (lanes > busy)
		lanes = busy ? busy : 1;
	if (lanes > 1)	/* largest first: the lanes finish together */
		qsort(wv, g.n_order, sizeof *wv, by_weight);
	for (k = 0; k < g.n_order; k++)
		g.order[k] = wv[k].idx;
	if (lanes > 1)
		log_debug(LOGC_SYNC, "%s: %u lanes for %llu messages in %u "
			  "folders", job->user, lanes,
			  (unsigned long long)total, busy);
	g.n_lanes = lanes;
	g.lanes[0] = sy;
	sy->group = lanes > 1 ? &g : NULL;
	sy->lane = 0;
	sy->n_lanes = lanes;
	g.prog[0] = sy->prog;
	extra = xcalloc(lanes, sizeof *extra);
	for (i = 1; i < lanes; i++) {
		struct lane_arg *a = &extra[i];

		imap_conn_init(&a->sy.src);
		imap_conn_init(&a->sy.dst);
		imapsync_result_init(&a->res);
		a->sy.job = job;
		a->sy.res = &a->res;
		a->sy.group = &g;
		a->sy.lane = i;
		a->sy.n_lanes = lanes;
		a->g = &g;
		g.lanes[i] = &a->sy;
		a->started = pthread_create(&a->t, NULL, lane_main, a) == 0;
	}
	work(sy, &g);
	for (i = 1; i < lanes; i++) {
		if (extra[i].started)
			pthread_join(extra[i].t, NULL);
		r->reconnects += extra[i].res.reconnects;
	}
	/* what no lane could take: every lane lost its sessions */
	for (; g.next < g.n_order; g.next++) {
		struct imapsync_folder_result *fr = &r->folders[g.order[g.next]];

		fr->error = xstrdup("not synced: the session was lost");
		g.failed++;
	}
	sy->group = NULL;
	sy->n_lanes = 1;
	for (i = 1; i < lanes; i++) {
		sy->prog.folders_done += g.prog[i].folders_done;
		sy->prog.msgs_copied += g.prog[i].msgs_copied;
		sy->prog.bytes_copied += g.prog[i].bytes_copied;
	}
	r->folders_failed += g.failed;
	if (g.failed)
		err_copy(first, &g.first);
	pthread_mutex_destroy(&g.lock);
	free(extra);
	free(g.order);
	free(wv);
	return g.failed;
}
