/*
 * sync_store.c -- the IMAP sync engine's store (imapsync_store_ops) over
 * the state: folder marks and message pairs of one user, in the
 * direction of the sync ("forward" or "reverse"), pairs written with the
 * marks that cover them in one transaction.  One lock serialises every
 * access from the worker threads.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/state.h"
#include "migrate/sync_int.h"
#include "util/err.h"
#include "util/str.h"
#include "util/xalloc.h"

static int st_folder_get(void *ctx, const char *src, const char *dst,
			 struct imapsync_folder_state *fs, struct err *err)
{
	struct store_ctx *c = ctx;
	struct state_folder f;
	int rc;

	memset(fs, 0, sizeof *fs);
	if (!c->sx->app->state)
		return 0;
	pthread_mutex_lock(&c->sx->lock);
	rc = state_folder_get(c->sx->app->state, c->user, c->sx->direction,
			      src, &f, err);
	pthread_mutex_unlock(&c->sx->lock);
	if (rc == 1 && dst && strcmp(f.dst_folder, dst) != 0)
		rc = 0;	/* the folder goes elsewhere now: start afresh */
	if (rc == 1) {
		fs->src_uidvalidity = (uint32_t)f.src_uidvalidity;
		fs->src_last_uid = (uint32_t)f.src_last_uid;
		fs->src_modseq = (uint64_t)f.src_highestmodseq;
		fs->src_messages = (uint32_t)f.msgs;
		fs->src_bytes = (uint64_t)f.bytes;
		fs->dst_uidvalidity = (uint32_t)f.dst_uidvalidity;
		fs->dst_last_uid = (uint32_t)f.dst_last_uid;
		fs->dst_modseq = (uint64_t)f.dst_highestmodseq;
	}
	state_folder_release(&f);
	return rc;
}

static const char *pair_status(enum imapsync_pair_status s)
{
	return s == IMAPSYNC_PAIR_MATCHED ? "matched" :
	       s == IMAPSYNC_PAIR_SKIPPED ? "skipped" : "copied";
}

static int st_commit(void *ctx, const char *src, const char *dst,
		     const struct imapsync_folder_state *fs,
		     const struct imapsync_pair *pairs, size_t n,
		     struct err *err)
{
	struct store_ctx *c = ctx;
	struct state *st = c->sx->app->state;
	struct state_folder f;
	size_t i;
	int rc = -1;

	if (!st)
		return 0;
	memset(&f, 0, sizeof f);
	f.src_folder = (char *)(uintptr_t)src;
	f.dst_folder = (char *)(uintptr_t)dst;
	f.src_uidvalidity = fs->src_uidvalidity;
	f.src_last_uid = fs->src_last_uid;
	f.src_highestmodseq = (int64_t)fs->src_modseq;
	f.msgs = fs->src_messages;
	f.bytes = (int64_t)fs->src_bytes;
	f.dst_uidvalidity = fs->dst_uidvalidity;
	f.dst_last_uid = fs->dst_last_uid;
	f.dst_highestmodseq = (int64_t)fs->dst_modseq;
	pthread_mutex_lock(&c->sx->lock);
	if (state_begin(st, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct state_msg m;

		memset(&m, 0, sizeof m);
		m.src_uid = pairs[i].src_uid;
		m.dst_uid = pairs[i].dst_uid;
		m.identity = pairs[i].ident;
		m.identity_len = IMAPSYNC_IDENT_LEN;
		m.size = (int64_t)pairs[i].size;
		m.flags = pairs[i].flags;
		m.status = pair_status(pairs[i].status);
		m.note = pairs[i].note;
		if (state_msgmap_put(st, c->user, c->sx->direction, src,
				     fs->src_uidvalidity, dst,
				     fs->dst_uidvalidity, &m, err) < 0) {
			state_rollback(st);
			goto out;
		}
	}
	if (state_folder_put(st, c->user, c->sx->direction, &f, err) < 0) {
		state_rollback(st);
		goto out;
	}
	rc = state_commit(st, err);
out:
	pthread_mutex_unlock(&c->sx->lock);
	return rc;
}

struct load_ctx {
	int (*fn)(void *fctx, const struct imapsync_pair *p);
	void *fctx;
};

static int load_one(void *ctx, const struct state_msg *m)
{
	struct load_ctx *l = ctx;
	struct imapsync_pair p;

	memset(&p, 0, sizeof p);
	p.src_uid = (uint32_t)m->src_uid;
	p.dst_uid = (uint32_t)m->dst_uid;
	p.size = (uint64_t)m->size;
	if (m->identity && m->identity_len == IMAPSYNC_IDENT_LEN)
		memcpy(p.ident, m->identity, IMAPSYNC_IDENT_LEN);
	p.status = str_eq(m->status, "matched") ? IMAPSYNC_PAIR_MATCHED :
		   str_eq(m->status, "skipped") ? IMAPSYNC_PAIR_SKIPPED :
						  IMAPSYNC_PAIR_COPIED;
	p.flags = m->flags;
	p.note = m->note;
	return l->fn(l->fctx, &p);
}

static int st_map_load(void *ctx, const char *src, uint32_t src_uidv,
		       const char *dst, uint32_t dst_uidv,
		       int (*fn)(void *fctx, const struct imapsync_pair *p),
		       void *fctx, struct err *err)
{
	struct store_ctx *c = ctx;
	struct load_ctx l = { fn, fctx };
	int rc;

	if (!c->sx->app->state)
		return 0;
	pthread_mutex_lock(&c->sx->lock);
	rc = state_msgmap_foreach(c->sx->app->state, c->user, c->sx->direction,
				  true, src, src_uidv, dst, dst_uidv, load_one,
				  &l, err);
	pthread_mutex_unlock(&c->sx->lock);
	return rc < 0 ? -1 : 0;
}

static int st_map_forget(void *ctx, const char *src, uint32_t src_uidv,
			 const char *dst, uint32_t dst_uidv,
			 const uint32_t *uids, size_t n, struct err *err)
{
	struct store_ctx *c = ctx;
	struct state *st = c->sx->app->state;
	int64_t *v = NULL;
	size_t i;
	int rc;

	if (!st)
		return 0;
	if (uids) {
		v = xcalloc(n + 1, sizeof *v);
		for (i = 0; i < n; i++)
			v[i] = uids[i];
	}
	pthread_mutex_lock(&c->sx->lock);
	rc = state_begin(st, err);
	if (rc == 0)
		rc = state_msgmap_forget(st, c->user, c->sx->direction, src,
					 src_uidv, dst, dst_uidv, v, uids ? n : 0,
					 err);
	if (rc == 0)
		rc = state_commit(st, err);
	else
		state_rollback(st);
	pthread_mutex_unlock(&c->sx->lock);
	free(v);
	return rc;
}

static int st_listing_get(void *ctx, unsigned char digest[32],
			  struct err *err)
{
	struct store_ctx *c = ctx;
	int rc;

	if (!c->sx->app->state)
		return 0;
	pthread_mutex_lock(&c->sx->lock);
	rc = state_listing_get(c->sx->app->state, c->user, c->sx->direction,
			       digest, err);
	pthread_mutex_unlock(&c->sx->lock);
	return rc;
}

static int st_listing_put(void *ctx, const unsigned char *digest,
			  struct err *err)
{
	struct store_ctx *c = ctx;
	int rc;

	if (!c->sx->app->state)
		return 0;
	pthread_mutex_lock(&c->sx->lock);
	rc = state_listing_put(c->sx->app->state, c->user, c->sx->direction,
			       digest, err);
	pthread_mutex_unlock(&c->sx->lock);
	return rc;
}

const struct imapsync_store_ops sync_store_ops = {
	.folder_get = st_folder_get,
	.commit = st_commit,
	.map_load = st_map_load,
	.map_forget = st_map_forget,
	.listing_get = st_listing_get,
	.listing_put = st_listing_put,
};

