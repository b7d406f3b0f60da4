/*
 * imapsync.c -- one user: open both sessions, map the folders, sync or
 * verify each, retry after transient failures, copy subscriptions.
 *
 * Retries: a folder that fails with a transient error (connection lost,
 * NO [UNAVAILABLE], [INUSE], [SERVERBUG], BYE) is retried after a wait
 * (job->backoff_ms, doubled each time, or the server's "backoff" hint),
 * reconnecting whichever session died; each retry resumes from the last
 * commit.  After job->retries failed attempts the user fails with
 * RETRY_LATER ("run again").  Authentication and TLS failures are never
 * retried.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	imap_net_global_init();
	/* Message bodies pass through buffers allocated in one thread
	 * (the source's fetch) and freed in another; glibc's per-thread
	 * arenas keep what is freed in them, which took the benchmark's
	 * peak RSS from 50 to 75 MB.  Two arenas, and large buffers
	 * (spools) straight from mmap, so that freeing returns them. */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	/* what a batch freed, the next one takes again: keep it rather
	 * than give it back and fault it in anew (perf: page faults were
	 * 8% of the engine's CPU); the peak stays what it was */
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
}

void imapsync_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

const char *imapsync_tls_name(enum imapsync_tls t)
{
	switch (t) {
	case IMAPSYNC_TLS_IMPLICIT: return "implicit";
	case IMAPSYNC_TLS_STARTTLS: return "starttls";
	case IMAPSYNC_TLS_NONE: return "none";
	}
	return "?";
}

const char *imapsync_diff_kind_name(enum imapsync_diff_kind k)
{
	switch (k) {
	case IMAPSYNC_DIFF_MISSING: return "missing";
	case IMAPSYNC_DIFF_EXTRA: return "extra";
	case IMAPSYNC_DIFF_FLAGS: return "flags";
	case IMAPSYNC_DIFF_DATE: return "date";
	case IMAPSYNC_DIFF_FOLDER: return "folder";
	}
	return "?";
}

void imapsync_result_init(struct imapsync_result *r)
{
	memset(r, 0, sizeof *r);
}

void imapsync_result_release(struct imapsync_result *r)
{
	size_t i;

	for (i = 0; i < r->n_folders; i++) {
		free(r->folders[i].src_name);
		free(r->folders[i].dst_name);
		free(r->folders[i].error);
	}
	free(r->folders);
	imapsync_result_init(r);
}

void imapsync_verify_result_init(struct imapsync_verify_result *v)
{
	memset(v, 0, sizeof *v);
}

void imapsync_verify_result_release(struct imapsync_verify_result *v)
{
	size_t i;

	for (i = 0; i < v->n_diffs; i++) {
		free(v->diffs[i].src_folder);
		free(v->diffs[i].dst_folder);
		free(v->diffs[i].detail);
	}
	free(v->diffs);
	imapsync_verify_result_init(v);
}

void imap_sync_problem(struct imap_sync *sy, enum imapsync_problem_kind kind,
		       const char *folder, uint32_t uid, uint64_t size,
		       const char *fmt, ...)
{
	struct imapsync_problem p;
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!sy->job->problem) {
		log_warn(LOGC_SYNC, "%s: folder '%s': %s", sy->job->user,
			 folder, buf);
		return;
	}
	p.kind = kind;
	p.folder = folder;
	p.uid = uid;
	p.size = size;
	p.detail = buf;
	sy->job->problem(sy->job->cb_ctx, &p);
}

/* List both sides (the source only if sl is not listed yet) and map
 * the folders. */
static int plan_folders(struct imap_sync *sy, struct imap_folder_list *sl,
			bool src_listed, struct imap_folder_list *dl,
			struct imap_fplans *plan, struct err *err)
{
	size_t i;

	int st[IMAP_LIST_CMDS], dt[IMAP_LIST_CMDS];

	/* both servers at once: one round trip */
	if ((!src_listed &&
	     imap_folders_list_send(&sy->src, sl, st, err) < 0) ||
	    imap_folders_list_send(&sy->dst, dl, dt, err) < 0 ||
	    (!src_listed && imap_cmd_flush(&sy->src, err) < 0) ||
	    imap_cmd_flush(&sy->dst, err) < 0 ||
	    (!src_listed && imap_folders_list_read(&sy->src, sl, st, err) < 0) ||
	    imap_folders_list_read(&sy->dst, dl, dt, err) < 0 ||
	    imap_fmap_plan(&sy->job->folders, sl, dl, plan, err) < 0)
		return -1;
	for (i = 0; i < plan->n; i++) {
		const struct imap_fplan *p = &plan->v[i];

		if (p->why && !p->excluded)
			imap_sync_problem(sy, IMAPSYNC_PROB_NAME, p->src_name, 0,
					  0, "goes to '%s': %s", p->dst_name,
					  p->why);
		log_debug(LOGC_SYNC, "%s: '%s' -> %s%s%s%s", sy->job->user,
			  p->src_name, p->excluded ? "(excluded)" : "'",
			  p->excluded ? "" : p->dst_name,
			  p->excluded ? "" : "'",
			  p->selectable ? "" : " (no messages: \\Noselect)");
	}
	return 0;
}

static int check_job(const struct imapsync_job *job, struct err *err)
{
	if (!job->src.host || !job->dst.host || !job->src.port ||
	    !job->dst.port)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "sync job without a server address");
	return 0;
}

/* ---- sync ------------------------------------------------------------------ */

#define STATUS_WINDOW 64	/* STATUS commands in flight per server */

/* CREATE every missing destination folder at once (pipelined): one round
 * trip instead of one per folder.  A folder whose CREATE fails here is
 * left to the folder sync, which creates parents first and reports. */
static int create_all(struct imap_sync *sy, struct imap_fplans *plan,
		      struct err *err)
{
	int tag[STATUS_WINDOW];
	size_t idx[STATUS_WINDOW];
	size_t i = 0, k, j;

	if (sy->job->dry_run)
		return 0;
	while (i < plan->n) {
		for (k = 0; i < plan->n && k < STATUS_WINDOW; i++) {
			struct imap_fplan *p = &plan->v[i];

			if (p->excluded || !p->selectable || p->dst_exists ||
			    (!imap_cmd_quotable(p->dst_raw) &&
			     !sy->dst.caps.literalplus))
				continue;
			if (imap_cmd_begin(&sy->dst, err) < 0 ||
			    imap_cmd_puts(&sy->dst, "CREATE ", err) < 0 ||
			    imap_cmd_astring(&sy->dst, p->dst_raw, err) < 0 ||
			    imap_cmd_puts(&sy->dst, "\r\n", err) < 0)
				return -1;
			tag[k] = imap_cmd_tag(&sy->dst);
			idx[k++] = i;
		}
		if (k == 0)
			break;
		if (imap_cmd_flush(&sy->dst, err) < 0)
			return -1;
		for (j = 0; j < k; j++) {
			struct imap_fplan *p = &plan->v[idx[j]];
			struct imap_cmd_reply r;

			memset(&r, 0, sizeof r);
			if (imap_cmd_read_reply_to(&sy->dst, tag[j], &r, err) < 0) {
				imap_conn_drop(&sy->dst);
				return -1;
			}
			if (r.cond == MAILIMAP_RESP_COND_STATE_OK) {
				p->dst_exists = p->created = true;
			} else if (str_ieq(r.code, "ALREADYEXISTS")) {
				p->dst_exists = true;
			} else if (r.cond < 0) {
				imap_conn_fail_reply(&sy->dst, &r, err,
						     "CREATE '%s'", p->dst_raw);
				imap_cmd_reply_release(&r);
				imap_conn_drop(&sy->dst);
				return -1;
			}
			imap_cmd_reply_release(&r);
		}
	}
	return 0;
}

static bool st_wanted(const struct imap_conn *c, const struct imap_fplan *p)
{
	return !p->excluded && p->selectable && p->dst_exists &&
	       (c->caps.literalplus || (imap_cmd_quotable(p->src_raw) &&
					 imap_cmd_quotable(p->dst_raw)));
}

/* STATUS of every folder on both sides, pipelined: the quick "nothing
 * moved" check of each folder then costs no round trip.  Failures here
 * are not errors: the folder asks again itself. */
static int status_all(struct imap_sync *sy, struct imap_fplans *plan,
		      struct err *err)
{
	int stag[STATUS_WINDOW], dtag[STATUS_WINDOW];
	size_t idx[STATUS_WINDOW];
	size_t i = 0, k, j;

	if (sy->job->dry_run || sy->job->expunge || !sy->src.caps.condstore)
		return 0;
	while (i < plan->n) {
		for (k = 0; i < plan->n && k < STATUS_WINDOW; i++) {
			struct imap_fplan *p = &plan->v[i];

			if (!st_wanted(&sy->src, p))
				continue;
			if (imap_folders_status_send(&sy->src, p->src_raw, &stag[k],
						  err) < 0 ||
			    imap_folders_status_send(&sy->dst, p->dst_raw, &dtag[k],
						  err) < 0)
				return -1;
			idx[k++] = i;
		}
		if (k == 0)
			break;
		if (imap_cmd_flush(&sy->src, err) < 0 ||
		    imap_cmd_flush(&sy->dst, err) < 0)
			return -1;
		for (j = 0; j < k; j++) {
			struct imap_fplan *p = &plan->v[idx[j]];

			if (imap_folders_status_read(&sy->src, stag[j], p->src_raw,
						  &p->src_st, err) < 0) {
				imap_conn_drop(&sy->src);
				return -1;
			}
		}
		for (j = 0; j < k; j++) {
			struct imap_fplan *p = &plan->v[idx[j]];

			if (imap_folders_status_read(&sy->dst, dtag[j], p->dst_raw,
						  &p->dst_st, err) < 0) {
				imap_conn_drop(&sy->dst);
				return -1;
			}
			p->have_st = true;
		}
	}
	return 0;
}

/* SUBSCRIBE what the source subscribes and the destination does not, all
 * commands in one flight; a refusal is reported, not an error. */
static bool subscriptions(struct imap_sync *sy, struct imap_fplans *plan,
			  const struct imap_folder_list *dl)
{
	int tag[STATUS_WINDOW];
	size_t idx[STATUS_WINDOW];
	size_t i = 0, k, j;
	struct err e;

	if (!sy->job->folders.subscriptions || sy->job->dry_run)
		return true;
	err_clear(&e);
	while (i < plan->n) {
		for (k = 0; i < plan->n && k < STATUS_WINDOW; i++) {
			const struct imap_fplan *p = &plan->v[i];
			const struct imap_folder *df;

			if (p->excluded || !p->subscribed || !p->selectable)
				continue;
			df = imap_folder_list_find(dl, p->dst_raw);
			if (df && (df->attrs & IMAP_F_SUBSCRIBED))
				continue;
			if (!imap_cmd_quotable(p->dst_raw) &&
			    !sy->dst.caps.literalplus) {
				if (imap_folders_subscribe(&sy->dst, p->dst_raw,
							   &e) < 0)
					goto fail;
				continue;
			}
			if (imap_cmd_begin(&sy->dst, &e) < 0 ||
			    imap_cmd_puts(&sy->dst, "SUBSCRIBE ", &e) < 0 ||
			    imap_cmd_astring(&sy->dst, p->dst_raw, &e) < 0 ||
			    imap_cmd_puts(&sy->dst, "\r\n", &e) < 0)
				goto fail;
			tag[k] = imap_cmd_tag(&sy->dst);
			idx[k++] = i;
		}
		if (k == 0)
			break;
		if (imap_cmd_flush(&sy->dst, &e) < 0)
			goto fail;
		for (j = 0; j < k; j++) {
			const struct imap_fplan *p = &plan->v[idx[j]];
			struct imap_cmd_reply r;

			memset(&r, 0, sizeof r);
			if (imap_cmd_read_reply_to(&sy->dst, tag[j], &r, &e) < 0)
				goto fail;
			if (r.cond != MAILIMAP_RESP_COND_STATE_OK) {
				struct err e2;

				err_clear(&e2);
				imap_conn_fail_reply(&sy->dst, &r, &e2,
						     "SUBSCRIBE '%s'", p->dst_raw);
				imap_sync_problem(sy, IMAPSYNC_PROB_FOLDER,
						  p->src_name, 0, 0, "%s",
						  e2.msg);
			}
			imap_cmd_reply_release(&r);
		}
	}
	return true;
fail:
	imap_conn_drop(&sy->dst);
	imap_sync_problem(sy, IMAPSYNC_PROB_FOLDER, "", 0, 0,
			  "subscriptions not copied: %s", e.msg);
	return false;
}

static void sum_folders(struct imapsync_result *r)
{
	size_t i;

	for (i = 0; i < r->n_folders; i++) {
		const struct imapsync_folder_result *fr = &r->folders[i];

		r->src_msgs += fr->src_msgs;
		r->src_bytes += fr->src_bytes;
		r->dst_msgs += fr->dst_msgs;
		r->dst_bytes += fr->src_bytes;
		r->copied += fr->copied;
		r->bytes_copied += fr->bytes_copied;
		r->matched += fr->matched;
		r->skipped += fr->skipped;
		r->flags_set += fr->flags_set;
		r->expunged += fr->expunged;
	}
}

int imapsync_run(const struct imapsync_job *job, struct imapsync_result *r,
		 struct err *err)
{
	struct imap_sync sy;
	struct imap_folder_list sl, dl;
	struct imap_fplans plan;
	struct err first;
	size_t i, todo = 0;
	bool session_lost = false, complete = false;
	unsigned char digest[IMAP_QUICK_LEN];
	const bool quick = job->store && job->store->listing_get &&
			   !job->dry_run && !job->expunge && !job->recheck;
	int rc = -1;

	imapsync_global_init();
	memset(&sy, 0, sizeof sy);
	imap_conn_init(&sy.src);
	imap_conn_init(&sy.dst);
	imap_folder_list_init(&sl);
	imap_folder_list_init(&dl);
	memset(&plan, 0, sizeof plan);
	err_clear(&first);
	sy.job = job;
	sy.res = r;
	if (check_job(job, err) < 0)
		goto out;
	if (quick) {
		/* the source alone first: if nothing moved there, done */
		int q;

		if (imap_sessions_open(&sy, false, err) < 0 ||
		    (sy.src.caps.list_status ?
			     imap_folders_list_status(&sy.src, &sl, err) :
			     imap_folders_list(&sy.src, &sl, err)) < 0)
			goto out;
		imap_quick_digest(job, &sl, digest);
		q = imap_quick_check(&sy, &sl, digest, err);
		if (q < 0)
			goto out;
		if (q == 1) {
			sum_folders(r);
			rc = 0;
			goto out;
		}
	}
	if (imap_sessions_open(&sy, true, err) < 0 ||
	    plan_folders(&sy, &sl, quick, &dl, &plan, err) < 0)
		goto out;
	{
		struct err e;

		err_clear(&e);
		if (create_all(&sy, &plan, &e) < 0)
			log_debug(LOGC_SYNC, "%s: %s", job->user, e.msg);
		err_clear(&e);
		if (imap_conn_alive(&sy.dst) && status_all(&sy, &plan, &e) < 0) {
			/* the folders ask again, after reconnecting */
			log_debug(LOGC_SYNC, "%s: %s", job->user, e.msg);
			for (i = 0; i < plan.n; i++)
				plan.v[i].have_st = false;
		}
	}
	r->folders = xcalloc(plan.n + 1, sizeof *r->folders);
	r->n_folders = plan.n;
	for (i = 0; i < plan.n; i++) {
		r->folders[i].src_name = xstrdup(plan.v[i].src_name);
		r->folders[i].dst_name = xstrdup(plan.v[i].dst_name);
		r->folders[i].excluded = plan.v[i].excluded;
		r->folders[i].noselect = !plan.v[i].selectable;
		if (!plan.v[i].excluded && plan.v[i].selectable)
			todo++;
	}
	sy.prog.folders_total = todo;
	imap_lanes_run(&sy, &plan, r, &first);
	session_lost = !imap_conn_alive(&sy.src) || !imap_conn_alive(&sy.dst);
	if (!session_lost)
		complete = subscriptions(&sy, &plan, &dl);
	sum_folders(r);
	/* what the next sync compares the source with, when this one left
	 * the destination complete; otherwise it examines both sides */
	if (job->store && job->store->listing_put && !job->dry_run) {
		struct err e;

		if (!quick)
			imap_quick_digest(job, &sl, digest);
		err_clear(&e);
		if (job->store->listing_put(job->store_ctx,
					    complete && !r->folders_failed ?
						    digest : NULL, &e) < 0)
			log_debug(LOGC_SYNC, "%s: %s", job->user, e.msg);
	}
	if (r->folders_failed) {
		err_copy(err, &first);
		if (r->folders_failed > 1)
			err_prefix(err, "%u of %zu folders not synced; the "
				   "first failure", r->folders_failed, todo);
		goto out;
	}
	rc = 0;
out:
	imap_ahead_release(&sy);
	imap_sessions_close(&sy);
	imap_fplans_release(&plan);
	imap_folder_list_release(&sl);
	imap_folder_list_release(&dl);
	return rc;
}

/* ---- verify, login check ---------------------------------------------------- */

/* Move part's findings into v (part is left empty). */
static void verify_merge(struct imapsync_verify_result *v,
			 struct imapsync_verify_result *part)
{
	v->src_msgs += part->src_msgs;
	v->dst_msgs += part->dst_msgs;
	v->src_bytes += part->src_bytes;
	v->dst_bytes += part->dst_bytes;
	v->folders += part->folders;
	v->n_missing += part->n_missing;
	v->n_extra += part->n_extra;
	v->n_flags += part->n_flags;
	v->n_dates += part->n_dates;
	v->n_folders += part->n_folders;
	if (part->n_diffs) {
		v->diffs = xreallocarray(v->diffs, v->n_diffs + part->n_diffs,
					 sizeof *v->diffs);
		memcpy(v->diffs + v->n_diffs, part->diffs,
		       part->n_diffs * sizeof *part->diffs);
		v->n_diffs += part->n_diffs;
	}
	free(part->diffs);
	imapsync_verify_result_init(part);
}

int imapsync_verify(const struct imapsync_job *job,
		    struct imapsync_verify_result *v, struct err *err)
{
	struct imap_sync sy;
	struct imapsync_result dummy;
	struct imap_folder_list sl, dl;
	struct imap_fplans plan;
	size_t i;
	int rc = -1;

	imapsync_global_init();
	memset(&sy, 0, sizeof sy);
	imapsync_result_init(&dummy);
	imap_folder_list_init(&sl);
	imap_folder_list_init(&dl);
	memset(&plan, 0, sizeof plan);
	sy.job = job;
	sy.res = &dummy;
	if (check_job(job, err) < 0 || imap_sessions_open(&sy, true, err) < 0 ||
	    plan_folders(&sy, &sl, false, &dl, &plan, err) < 0)
		goto out;
	for (i = 0; i < plan.n; i++) {
		const struct imap_fplan *fp = &plan.v[i];
		unsigned n, tries = job->retries ? job->retries : 3;
		struct err e;

		if (fp->excluded || !fp->selectable)
			continue;
		for (n = 1;; n++) {
			struct imapsync_verify_result part;

			err_clear(&e);
			imapsync_verify_result_init(&part);
			if (imap_verify_folder(&sy, fp, &part, &e) == 0) {
				verify_merge(v, &part);
				break;
			}
			imapsync_verify_result_release(&part);
			if (e.retry != RETRY_NOW || n > tries ||
			    imap_sessions_recover(&sy, n, &e, &e) < 0) {
				if (e.retry == RETRY_NOW)
					e.retry = RETRY_LATER;
				err_copy(err, &e);
				goto out;
			}
		}
	}
	rc = 0;
out:
	imap_sessions_close(&sy);
	imap_fplans_release(&plan);
	imap_folder_list_release(&sl);
	imap_folder_list_release(&dl);
	imapsync_result_release(&dummy);
	return rc;
}

int imapsync_check_login(const struct imapsync_job *job, struct err *err)
{
	struct imap_sync sy;
	int rc;

	imapsync_global_init();
	memset(&sy, 0, sizeof sy);
	sy.job = job;
	rc = check_job(job, err) < 0 ? -1 : imap_sessions_open(&sy, true, err);
	imap_sessions_close(&sy);
	return rc;
}
