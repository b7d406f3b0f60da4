/*
 * sync.c -- plan + secrets + state -> IMAP sync jobs, run in parallel
 * (see sync.h).
 *
 * Before any thread starts, the backends' credentials are loaded once:
 * a per-user credentials file is checked (mode 0600, secret_check_file)
 * and read into memory, a master password is resolved; every secret is
 * registered with the log redactor.  Tokens for XOAUTH2 are fetched by
 * running the backend's token command, at every (re)connect.  A bad
 * credentials source fails the whole request before anything is copied.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapsync/imapsync.h"
#include "migrate/app.h"
#include "migrate/state.h"
#include "migrate/sync.h"
#include "migrate/sync_int.h"
#include "plans/plan.h"
#include "util/csv.h"
#include "util/err.h"
#include "util/log.h"
#include "util/run.h"
#include "util/sbuf.h"
#include "util/secret.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- progress and problems ------------------------------------------------ */

struct ujob {
	struct syncer *sx;
	size_t slot;			/* index into the summary */
	const struct plan_user *u;
};

static void human(uint64_t bytes, char *buf, size_t size)
{
	if (bytes >= (1ull << 30))
		snprintf(buf, size, "%.1f GiB", bytes / 1073741824.0);
	else if (bytes >= (1ull << 20))
		snprintf(buf, size, "%.1f MiB", bytes / 1048576.0);
	else if (bytes >= 1024)
		snprintf(buf, size, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
}

/* Called with sx->lock held. */
static void progress_clear(struct syncer *sx)
{
	if (sx->progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		sx->progress_shown = false;
	}
}

static void progress_show(struct syncer *sx)
{
	uint64_t msgs = 0, bytes = 0;
	int64_t now = timeutil_mono_ms();
	double secs = (now - sx->t0) / 1000.0, frac = 0;
	char b[32], rate[32], eta[48] = "";
	size_t i;

	if (!sx->rq->progress || now - sx->last_progress < 250)
		return;
	sx->last_progress = now;
	for (i = 0; i < sx->sum->n_users; i++) {
		msgs += sx->live_msgs[i];
		bytes += sx->live_bytes[i];
		frac += sx->live_frac[i];
	}
	human(bytes, b, sizeof b);
	human(secs > 0.1 ? (uint64_t)(bytes / secs) : 0, rate, sizeof rate);
	/* ETA from the share of users done (running users count by their
	 * folders and bytes so far): rough, but it moves the right way */
	if (sx->sum->n_users)
		frac /= (double)sx->sum->n_users;
	if (frac > 0.01 && frac < 1 && secs > 2)
		snprintf(eta, sizeof eta, ", ETA %.0f s", secs * (1 - frac) / frac);
	fprintf(stderr, "\r\033[K%zu/%zu users done, %llu messages, %s, "
		"%s/s, %.0f s%s", sx->done, sx->sum->n_users,
		(unsigned long long)msgs, b, rate, secs, eta);
	fflush(stderr);
	sx->progress_shown = true;
}

static void on_progress(void *ctx, const struct imapsync_progress *p)
{
	struct ujob *j = ctx;
	struct syncer *sx = j->sx;

	pthread_mutex_lock(&sx->lock);
	sx->live_msgs[j->slot] = p->msgs_copied;
	sx->live_bytes[j->slot] = p->bytes_copied;
	if (p->folders_total) {
		double f = (double)p->folders_done / (double)p->folders_total;

		sx->live_frac[j->slot] = f > 1 ? 1 : f;
	}
	progress_show(sx);
	pthread_mutex_unlock(&sx->lock);
}

static void on_problem(void *ctx, const struct imapsync_problem *p)
{
	struct ujob *j = ctx;

	pthread_mutex_lock(&j->sx->lock);
	progress_clear(j->sx);
	if (p->uid)
		log_warn(LOGC_SYNC, "user '%s': folder '%s': message %u "
			 "(%llu bytes) not copied: %s", j->u->address, p->folder,
			 p->uid, (unsigned long long)p->size, p->detail);
	else
		log_warn(LOGC_SYNC, "user '%s': folder '%s': %s", j->u->address,
			 p->folder, p->detail);
	if (j->sx->app->state && !j->sx->rq->dry_run) {
		struct err e;
		char *d = xasprintf("folder '%s'%s%.0u: %s", p->folder,
				    p->uid ? ", message " : "", p->uid,
				    p->detail);

		err_clear(&e);
		(void)state_event_add(j->sx->app->state, j->sx->rq->run_id,
				      j->sx->app->plan->phases[j->sx->rq->phase].name,
				      j->u->address,
				      p->kind == IMAPSYNC_PROB_SKIPPED ? "sync-skipped"
								      : "sync-warning",
				      d, &e);
		free(d);
	}
	pthread_mutex_unlock(&j->sx->lock);
}

/* ---- one user --------------------------------------------------------------- */

static enum imapsync_flags_policy flags_policy(struct syncer *sx,
					       const struct plan_user *u)
{
	struct state_user su;
	struct err e;
	bool keep = false;

	if (sx->rq->flags == SYNC_FLAGS_SOURCE)
		return IMAPSYNC_FLAGS_SOURCE;
	if (sx->rq->flags == SYNC_FLAGS_KEEP_DST || sx->rq->mode == SYNC_REVERSE)
		return IMAPSYNC_FLAGS_KEEP_DST;
	if (!sx->app->state)
		return IMAPSYNC_FLAGS_SOURCE;
	err_clear(&e);
	pthread_mutex_lock(&sx->lock);
	if (state_user_get(sx->app->state, u->address, &su, &e) == 1) {
		keep = su.status == USER_CUTOVER || su.status == USER_VERIFIED;
		state_user_release(&su);
	}
	pthread_mutex_unlock(&sx->lock);
	return keep ? IMAPSYNC_FLAGS_KEEP_DST : IMAPSYNC_FLAGS_SOURCE;
}

/* The users table and the event log; sx->lock held. */
static void record(struct syncer *sx, struct ujob *j,
		   const struct imapsync_result *r, const char *error)
{
	struct state *st = sx->app->state;
	const struct plan *p = sx->app->plan;
	const struct plan_phase *ph = &p->phases[sx->rq->phase];
	const struct plan_user *u = j->u;
	struct state_user su, put;
	struct err e;
	char *detail;
	int rc;

	if (!st || sx->rq->dry_run)
		return;
	err_clear(&e);
	rc = state_user_get(st, u->address, &su, &e);
	if (rc < 0) {
		log_err(&e);
		return;
	}
	put = su;
	if (rc == 0) {
		memset(&put, 0, sizeof put);
		put.address = u->address;
		put.group = u->group;
		put.backend = p->backends[u->backend].name;
		put.phase = ph->name;
		put.status = USER_PENDING;
		put.src_msgs = put.src_bytes = put.dst_msgs = put.dst_bytes = -1;
	}
	if (!put.phase)
		put.phase = ph->name;
	if (sx->rq->mode == SYNC_COPY) {
		bool early = put.status == USER_PENDING ||
			     put.status == USER_PRESTAGED ||
			     put.status == USER_FAILED;

		if (!error) {
			if (early)
				put.status = USER_PRESTAGED;
			put.last_sync = timeutil_now();
			put.src_msgs = (int64_t)r->src_msgs;
			put.src_bytes = (int64_t)r->src_bytes;
			/* src_only: the destination was not looked at, and
			 * holds what the last complete sync left there */
			if (!r->src_only || put.dst_msgs < 0) {
				put.dst_msgs = (int64_t)r->dst_msgs;
				put.dst_bytes = (int64_t)r->dst_bytes;
			}
		} else if (early) {
			put.status = USER_FAILED;
		}
	}
	if (sx->rq->mode != SYNC_VERIFY)
		put.last_error = (char *)(uintptr_t)error;
	if (state_user_put(st, &put, &e) < 0)
		log_err(&e);
	if (error)
		detail = xasprintf("%s", error);
	else if (sx->rq->mode == SYNC_VERIFY)
		detail = xasprintf("verified");
	else
		detail = xasprintf("%s: copied %llu (%llu bytes), matched %llu, "
				   "skipped %llu, flags %llu, expunged %llu",
				   sx->direction,
				   (unsigned long long)r->copied,
				   (unsigned long long)r->bytes_copied,
				   (unsigned long long)r->matched,
				   (unsigned long long)r->skipped,
				   (unsigned long long)r->flags_set,
				   (unsigned long long)r->expunged);
	err_clear(&e);
	if (state_event_add(st, sx->rq->run_id, ph->name, u->address,
			    error ? "sync-failed" :
			    sx->rq->mode == SYNC_VERIFY ? "verify" : "sync",
			    detail, &e) < 0)
		log_err(&e);
	free(detail);
	state_user_release(&su);
}

static void print_dry(struct syncer *sx, const struct plan_user *u,
		      const struct imapsync_result *r)
{
	FILE *out = sx->app->out;
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < r->n_folders; i++)
		bytes += r->folders[i].would_copy_bytes;
	fprintf(out, "%s: would copy %llu messages (%llu bytes)\n", u->address,
		(unsigned long long)r->copied, (unsigned long long)bytes);
	for (i = 0; i < r->n_folders; i++) {
		const struct imapsync_folder_result *f = &r->folders[i];

		if (f->excluded) {
			fprintf(out, "  '%s': excluded\n", f->src_name);
			continue;
		}
		if (f->noselect) {
			fprintf(out, "  '%s': a parent folder only\n",
				f->src_name);
			continue;
		}
		fprintf(out, "  '%s' -> '%s'%s: %u messages (%llu bytes)%s\n",
			f->src_name, f->dst_name,
			f->created ? " (new folder)" : "", f->copied,
			(unsigned long long)f->would_copy_bytes,
			f->matched ? ", some already there" : "");
	}
}

static void print_verify(struct syncer *sx, const struct plan_user *u,
			 const struct imapsync_verify_result *v)
{
	FILE *out = sx->app->out;
	size_t i, shown = 0;

	if (v->n_missing + v->n_extra + v->n_flags + v->n_dates +
		    v->n_folders == 0) {
		fprintf(out, "%s: verified: %llu messages in %zu folders agree\n",
			u->address, (unsigned long long)v->src_msgs, v->folders);
		return;
	}
	fprintf(out, "%s: differences: %zu missing, %zu extra, %zu flags, "
		"%zu dates, %zu folders (source %llu messages, destination "
		"%llu)\n", u->address, v->n_missing, v->n_extra, v->n_flags,
		v->n_dates, v->n_folders, (unsigned long long)v->src_msgs,
		(unsigned long long)v->dst_msgs);
	for (i = 0; i < v->n_diffs; i++) {
		const struct imapsync_diff *d = &v->diffs[i];

		if (shown++ >= 50 && sx->app->opt.verbose < 1) {
			fprintf(out, "  ... %zu more (-v shows all)\n",
				v->n_diffs - 50);
			break;
		}
		fprintf(out, "  %s: '%s' -> '%s'", imapsync_diff_kind_name(d->kind),
			d->src_folder, d->dst_folder);
		if (d->src_uid)
			fprintf(out, " source uid %u", d->src_uid);
		if (d->dst_uid)
			fprintf(out, " destination uid %u", d->dst_uid);
		fprintf(out, ": %s\n", d->detail ? d->detail : "");
	}
}

static void run_user(struct syncer *sx, struct ujob *j)
{
	const struct sync_request *rq = sx->rq;
	const struct plan *p = sx->app->plan;
	const struct plan_user *u = j->u;
	struct sync_user_result *res = &sx->sum->users[j->slot];
	bool rev = rq->mode == SYNC_REVERSE;
	struct sbackend *sb = rev ? &sx->to : &sx->from;
	struct sbackend *db = rev ? &sx->from : &sx->to;
	struct token_ctx ts, td;
	struct store_ctx sc = { sx, u->address };
	struct imapsync_job job;
	struct imapsync_result r;
	struct imapsync_verify_result v;
	struct err e;
	char b[32];
	int rc;

	err_clear(&e);
	imapsync_result_init(&r);
	imapsync_verify_result_init(&v);
	memset(&job, 0, sizeof job);
	memset(&ts, 0, sizeof ts);
	memset(&td, 0, sizeof td);
	job.user = u->address;
	job.src = sb->ep;
	job.dst = db->ep;
	job.folders.special_use = p->folders.special_use;
	job.folders.exclude = p->folders.exclude;
	job.folders.map = sx->fmap;
	job.folders.n_map = p->folders.n_map;
	job.folders.subscriptions = true;
	/* a reverse delta copies back, it never deletes anything */
	job.expunge = rq->expunge && rq->mode == SYNC_COPY;
	job.dry_run = rq->dry_run;
	job.recheck = rq->recheck;
	job.store = sx->app->state ? &sync_store_ops : NULL;
	job.store_ctx = &sc;
	job.progress = on_progress;
	job.problem = on_problem;
	job.cb_ctx = j;
	rc = sync_cred_user(sb, u, rev ? u->dest_login : u->source_login,
		       &job.src_cred, &ts, &e);
	if (rc == 0)
		rc = sync_cred_user(db, u, rev ? u->source_login : u->dest_login,
			       &job.dst_cred, &td, &e);
	if (rc == 0) {
		job.flags = flags_policy(sx, u);
		if (rq->mode == SYNC_VERIFY)
			rc = imapsync_verify(&job, &v, &e);
		else
			rc = imapsync_run(&job, &r, &e);
	}
	if (rc < 0)
		err_prefix(&e, "user '%s'", u->address);
	pthread_mutex_lock(&sx->lock);
	res->user = (size_t)(u - p->users);
	res->ok = rc == 0;
	res->copied = r.copied;
	res->bytes = r.bytes_copied;
	res->matched = r.matched;
	res->skipped = r.skipped;
	res->flags_set = r.flags_set;
	res->expunged = r.expunged;
	res->src_msgs = rq->mode == SYNC_VERIFY ? v.src_msgs : r.src_msgs;
	res->dst_msgs = rq->mode == SYNC_VERIFY ? v.dst_msgs : r.dst_msgs;
	res->missing = v.n_missing;
	res->extra = v.n_extra;
	res->flag_diffs = v.n_flags;
	res->differs = rq->mode == SYNC_VERIFY &&
		       v.n_missing + v.n_extra + v.n_flags + v.n_dates +
				       v.n_folders > 0;
	if (res->differs && sx->app->state && !rq->dry_run) {
		/* the destination is not what the last sync left: the next
		 * one examines both sides */
		struct err e2;

		err_clear(&e2);
		if (state_listing_put(sx->app->state, u->address,
				      sx->direction, NULL, &e2) < 0)
			log_err(&e2);
	}
	if (rc < 0) {
		res->error = xstrdup(e.msg);
		res->unreachable = e.retry != RETRY_NEVER;
		res->auth = e.cat == ERR_AUTH;
	}
	record(sx, j, &r, res->error);
	sx->done++;
	sx->live_msgs[j->slot] = r.copied;
	sx->live_bytes[j->slot] = r.bytes_copied;
	sx->live_frac[j->slot] = 1;
	progress_clear(sx);
	if (rc < 0) {
		log_err(&e);
	} else if (!rq->quiet) {
		if (rq->mode == SYNC_VERIFY) {
			print_verify(sx, u, &v);
		} else if (rq->dry_run) {
			print_dry(sx, u, &r);
		} else {
			human(r.bytes_copied, b, sizeof b);
			fprintf(sx->app->out, "%s: copied %llu messages (%s), "
				"matched %llu, skipped %llu, flags updated "
				"%llu%s%.0llu; %llu messages on the source\n",
				u->address, (unsigned long long)r.copied, b,
				(unsigned long long)r.matched,
				(unsigned long long)r.skipped,
				(unsigned long long)r.flags_set,
				r.expunged ? ", expunged " : "",
				(unsigned long long)r.expunged,
				(unsigned long long)r.src_msgs);
		}
	}
	fflush(sx->app->out);
	progress_show(sx);
	pthread_mutex_unlock(&sx->lock);
	imapsync_result_release(&r);
	imapsync_verify_result_release(&v);
}

static void *worker(void *arg)
{
	struct syncer *sx = arg;
	struct ujob j;

	for (;;) {
		pthread_mutex_lock(&sx->lock);
		if (sx->next >= sx->rq->n_users) {
			pthread_mutex_unlock(&sx->lock);
			return NULL;
		}
		j.sx = sx;
		j.slot = sx->next++;
		j.u = &sx->app->plan->users[sx->rq->users[j.slot]];
		pthread_mutex_unlock(&sx->lock);
		run_user(sx, &j);
	}
}

/* ---- the request --------------------------------------------------------- */

void sync_summary_release(struct sync_summary *s)
{
	size_t i;

	for (i = 0; i < s->n_users; i++)
		free(s->users[i].error);
	free(s->users);
	memset(s, 0, sizeof *s);
}

int sync_preflight(struct app *app, size_t phase, struct err *err)
{
	const struct plan *p = app->plan;
	struct sbackend a, b;
	int rc;

	memset(&b, 0, sizeof b);
	if (!p || phase >= p->n_phases)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "sync: no such phase");
	rc = sync_cred_load(&a, &p->backends[p->phases[phase].from], err);
	if (rc == 0)
		rc = sync_cred_load(&b, &p->backends[p->phases[phase].to], err);
	sync_cred_release(&a);
	sync_cred_release(&b);
	return rc;
}

int sync_exit_code(const struct sync_summary *sum)
{
	if (sum->unreachable)
		return EXIT_TEMPFAIL;
	if (sum->failed)
		return EXIT_PARTIAL;
	return EXIT_OK;
}

/* "1.5 MB/s": decimal units, as the plan most often writes them. */
static void human_rate(uint64_t bps, char *buf, size_t size)
{
	if (bps >= 1000000000)
		snprintf(buf, size, "%.1f GB/s", bps / 1e9);
	else if (bps >= 1000000)
		snprintf(buf, size, "%.1f MB/s", bps / 1e6);
	else if (bps >= 1000)
		snprintf(buf, size, "%.1f KB/s", bps / 1e3);
	else
		snprintf(buf, size, "%llu B/s", (unsigned long long)bps);
}

/* One token bucket per capped backend for this run, shared by every
 * session to it (both directions, all users in parallel). */
static void bandwidth_caps(struct syncer *sx)
{
	struct sbackend *sb[2] = { &sx->from, &sx->to };
	char b[32];

	for (size_t i = 0; i < 2; i++) {
		if (!sb[i]->b->bandwidth)
			continue;
		sb[i]->ep.rate = imapsync_rate_new(sb[i]->b->bandwidth);
		human_rate(sb[i]->b->bandwidth, b, sizeof b);
		log_info(LOGC_SYNC, "backend '%s': bandwidth capped at %s",
			 sb[i]->b->name, b);
	}
}

int sync_run(struct app *app, const struct sync_request *rq,
	     struct sync_summary *sum, struct err *err)
{
	const struct plan *p = app->plan;
	const struct plan_phase *ph;
	struct syncer sx;
	pthread_t *th = NULL;
	unsigned jobs, i, started = 0;
	size_t k;
	bool bulk = false;
	struct err e;
	int rc = -1;

	err_clear(&e);
	memset(sum, 0, sizeof *sum);
	memset(&sx, 0, sizeof sx);
	if (!p || rq->phase >= p->n_phases)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "sync: no such phase");
	ph = &p->phases[rq->phase];
	imapsync_global_init();
	sx.app = app;
	sx.rq = rq;
	sx.sum = sum;
	sx.direction = rq->mode == SYNC_REVERSE ? "reverse" : "forward";
	pthread_mutex_init(&sx.lock, NULL);
	if (sync_cred_load(&sx.from, &p->backends[ph->from], err) < 0 ||
	    sync_cred_load(&sx.to, &p->backends[ph->to], err) < 0)
		goto out;
	bandwidth_caps(&sx);
	sx.fmap = xcalloc(p->folders.n_map + 1, sizeof *sx.fmap);
	for (k = 0; k < p->folders.n_map; k++) {
		sx.fmap[k].from = p->folders.map[k].from;
		sx.fmap[k].to = p->folders.map[k].to;
	}
	sum->n_users = rq->n_users;
	sum->users = xcalloc(rq->n_users + 1, sizeof *sum->users);
	sx.live_msgs = xcalloc(rq->n_users + 1, sizeof *sx.live_msgs);
	sx.live_bytes = xcalloc(rq->n_users + 1, sizeof *sx.live_bytes);
	sx.live_frac = xcalloc(rq->n_users + 1, sizeof *sx.live_frac);
	jobs = rq->jobs;
	if (!jobs) {
		jobs = sx.from.b->connections < sx.to.b->connections ?
			       sx.from.b->connections : sx.to.b->connections;
		if (!jobs)
			jobs = 4;
	}
	if (jobs > rq->n_users)
		jobs = (unsigned)rq->n_users;
	sx.t0 = timeutil_mono_ms();
	log_info(LOGC_SYNC, "phase '%s': %s %zu users, %s -> %s, %u in parallel",
		 ph->name, rq->mode == SYNC_VERIFY ? "verifying" : "syncing",
		 rq->n_users,
		 rq->mode == SYNC_REVERSE ? sx.to.b->name : sx.from.b->name,
		 rq->mode == SYNC_REVERSE ? sx.from.b->name : sx.to.b->name,
		 jobs);
	if (app->state && !rq->dry_run && state_bulk(app->state, true, err) < 0)
		goto out;
	bulk = app->state && !rq->dry_run;
	th = xcalloc(jobs + 1, sizeof *th);
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&th[i], NULL, worker, &sx) != 0)
			break;
		started++;
	}
	if (started == 0 && rq->n_users)
		worker(&sx);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_lock(&sx.lock);
	progress_clear(&sx);
	pthread_mutex_unlock(&sx.lock);
	for (k = 0; k < sum->n_users; k++) {
		const struct sync_user_result *u = &sum->users[k];

		if (u->ok)
			sum->ok++;
		else
			sum->failed++;
		if (!u->ok && u->unreachable)
			sum->unreachable++;
		sum->copied += u->copied;
		sum->bytes += u->bytes;
	}
	sum->seconds = (timeutil_mono_ms() - sx.t0) / 1000.0;
	rc = 0;
out:
	if (bulk && state_bulk(app->state, false, rc < 0 ? &e : err) < 0) {
		if (rc < 0)
			log_err(&e);
		rc = -1;
	}
	free(th);
	free(sx.fmap);
	free(sx.live_msgs);
	free(sx.live_bytes);
	free(sx.live_frac);
	sx.from.ep.rate = imapsync_rate_free(sx.from.ep.rate);
	sx.to.ep.rate = imapsync_rate_free(sx.to.ep.rate);
	sync_cred_release(&sx.from);
	sync_cred_release(&sx.to);
	pthread_mutex_destroy(&sx.lock);
	return rc;
}
