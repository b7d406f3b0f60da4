/*
 * imap_flags.c -- flags and expunges of messages already paired.
 *
 * Each pair remembers the source flags as last synced (the base).  A
 * source message whose flags moved away from its base (found with
 * CHANGEDSINCE where the source has CONDSTORE, by comparing every
 * message's flags otherwise) is updated on the destination:
 *	IMAPSYNC_FLAGS_SOURCE	the destination gets the source's flags
 *	IMAPSYNC_FLAGS_KEEP_DST	per flag, the source's change is applied
 *				only where the destination still has the
 *				base value: what the user changed on the
 *				destination after cutover is never undone
 * Flags the destination cannot keep (PERMANENTFLAGS without \* for
 * keywords) are dropped and reported once per folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define STORE_CHUNK 500

char *imap_flags_filter(struct imap_fctx *fx, const char *canon)
{
	char **v = imap_flags_split(canon);
	const char **keep = xcalloc(strv_len(v) + 1, sizeof *keep);
	size_t i, k = 0;
	char *out;

	for (i = 0; v[i]; i++) {
		if (imap_conn_flag_ok(&fx->sy->dst, v[i])) {
			keep[k++] = v[i];
			continue;
		}
		if (!strmap_get(fx->kw_reported, v[i])) {
			strmap_put(fx->kw_reported, v[i], (void *)1);
			imap_sync_problem(fx->sy, IMAPSYNC_PROB_KEYWORD,
					  fx->fp->src_name, 0, 0,
					  "%s '%s' cannot be kept in '%s' on "
					  "the destination (not in its "
					  "PERMANENTFLAGS)",
					  imap_flags_is_system(v[i]) ? "flag"
								    : "keyword",
					  v[i], fx->fp->dst_name);
		}
	}
	out = imap_flags_canon(keep, k);
	free(keep);
	strv_free(v);
	return out;
}

static void set_string(struct sbuf *sb, const uint32_t *uids, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (sb->len)
			sbuf_addch(sb, ',');
		if (j == i)
			sbuf_addf(sb, "%u", uids[i]);
		else
			sbuf_addf(sb, "%u:%u", uids[i], uids[j]);
		i = j + 1;
	}
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "UID STORE set ITEM (flags)" or "UID EXPUNGE set" in chunks. */
static int uid_command(struct imap_fctx *fx, const char *verb,
		       const uint32_t *uids_in, size_t n, const char *tail,
		       struct err *err)
{
	struct imap_conn *c = &fx->sy->dst;
	uint32_t *uids = xmemdup(uids_in, (n ? n : 1) * sizeof *uids);
	size_t i;
	int rc = 0;

	if (n > 1)
		qsort(uids, n, sizeof *uids, u32_cmp);
	for (i = 0; i < n && rc == 0; i += STORE_CHUNK) {
		size_t k = n - i < STORE_CHUNK ? n - i : STORE_CHUNK;
		struct imap_cmd_reply r;
		struct sbuf set;

		memset(&r, 0, sizeof r);
		sbuf_init(&set, 1 << 20);
		set_string(&set, uids + i, k);
		if (imap_cmd_begin(c, err) < 0 || imap_cmd_puts(c, verb, err) < 0 ||
		    imap_cmd_puts(c, " ", err) < 0 ||
		    imap_cmd_puts(c, set.buf, err) < 0 ||
		    imap_cmd_puts(c, tail, err) < 0 ||
		    imap_cmd_end(c, &r, err) < 0)
			rc = -1;
		else if (r.cond != MAILIMAP_RESP_COND_STATE_OK)
			rc = imap_conn_fail_reply(c, &r, err, "%s in '%s'", verb,
						  fx->fp->dst_name);
		imap_cmd_reply_release(&r);
		sbuf_release(&set);
	}
	free(uids);
	return rc;
}

int imap_flags_store(struct imap_fctx *fx, const uint32_t *uids, size_t n,
		     const char *flags, struct err *err)
{
	char *tail = xasprintf(" FLAGS.SILENT (%s)", flags ? flags : "");
	int rc = uid_command(fx, "UID STORE", uids, n, tail, err);

	free(tail);
	return rc;
}

struct upd {
	struct imapsync_pair *p;
	char *src;			/* the source's flags now */
	char *target;			/* what the destination gets */
};

static int upd_cmp(const void *a, const void *b)
{
	const struct upd *x = a, *y = b;

	return strcmp(x->target ? x->target : "", y->target ? y->target : "");
}

int imap_flags_sync(struct imap_fctx *fx, uint64_t src_modseq,
		    struct err *err)
{
	struct imap_sync *sy = fx->sy;
	const struct imapsync_job *job = sy->job;
	struct imap_msgs sm, dm;
	struct upd *u = NULL;
	struct imapsync_pair *commit = NULL;
	uint64_t since = 0;
	size_t i, nu = 0, nc = 0;
	int rc = -1;

	memset(&sm, 0, sizeof sm);
	memset(&dm, 0, sizeof dm);
	if (fx->pairs.n == 0)
		return 0;
	if (sy->src.caps.condstore && fx->st.src_modseq) {
		if (src_modseq && src_modseq <= fx->st.src_modseq)
			return 0;	/* nothing changed on the source */
		since = fx->st.src_modseq;
	}
	if (imap_fetch_flags(&sy->src, fx->pairs.v[fx->pairs.n - 1].src_uid,
			     since, &sm, err) < 0)
		goto out;
	u = xcalloc(sm.n + 1, sizeof *u);
	for (i = 0; i < sm.n; i++) {
		struct imapsync_pair *p = imap_pairs_find(&fx->pairs, sm.v[i].uid);

		if (!p || !p->dst_uid || p->status == IMAPSYNC_PAIR_SKIPPED ||
		    !sm.v[i].flags)
			continue;
		if (p->flags && strcmp(p->flags, sm.v[i].flags) == 0)
			continue;
		u[nu].p = p;
		u[nu].src = xstrdup(sm.v[i].flags);
		nu++;
	}
	if (nu == 0) {
		rc = 0;
		goto out;
	}
	if (job->flags == IMAPSYNC_FLAGS_KEEP_DST) {
		uint32_t *du = xcalloc(nu, sizeof *du);

		for (i = 0; i < nu; i++)
			du[i] = u[i].p->dst_uid;
		if (nu > 1)
			qsort(du, nu, sizeof *du, u32_cmp);
		rc = imap_fetch_meta(&sy->dst, du, nu, IMAP_FETCH_FLAGS, &dm, err);
		free(du);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	for (i = 0; i < nu; i++) {
		char *want;

		if (job->flags == IMAPSYNC_FLAGS_KEEP_DST) {
			const char *now = NULL;
			size_t j;

			for (j = 0; j < dm.n; j++)
				if (dm.v[j].uid == u[i].p->dst_uid)
					now = dm.v[j].flags;
			if (!now)
				continue;	/* gone from the destination */
			want = imap_flags_merge(u[i].p->flags, u[i].src, now);
			u[i].target = imap_flags_filter(fx, want);
			free(want);
			if (strcmp(u[i].target, now) == 0)
				u[i].target = x_free(u[i].target);
		} else {
			u[i].target = imap_flags_filter(fx, u[i].src);
		}
	}
	/* one STORE per distinct target */
	if (nu > 1)
		qsort(u, nu, sizeof *u, upd_cmp);
	for (i = 0; i < nu;) {
		size_t j = i, k, n = 0;
		uint32_t *uids;

		while (j < nu && upd_cmp(&u[i], &u[j]) == 0)
			j++;
		if (!u[i].target) {
			i = j;
			continue;
		}
		uids = xcalloc(j - i, sizeof *uids);
		for (k = i; k < j; k++)
			uids[n++] = u[k].p->dst_uid;
		if (!job->dry_run &&
		    imap_flags_store(fx, uids, n, u[i].target, err) < 0) {
			free(uids);
			goto out;
		}
		fx->fr->flags_set += (uint32_t)n;
		free(uids);
		i = j;
	}
	/* the new bases */
	commit = xcalloc(nu, sizeof *commit);
	for (i = 0; i < nu; i++) {
		commit[nc] = *u[i].p;
		commit[nc].flags = u[i].src;
		nc++;
	}
	rc = imap_copy_commit(fx, commit, nc, err);
	if (rc == 0)
		log_debug(LOGC_SYNC, "%s: folder '%s': %zu flag changes",
			  job->user, fx->fp->src_name, nu);
out:
	for (i = 0; i < nu; i++) {
		free(u[i].src);
		free(u[i].target);
	}
	free(u);
	free(commit);
	imap_msgs_release(&sm);
	imap_msgs_release(&dm);
	return rc;
}

int imap_flags_expunge(struct imap_fctx *fx, struct err *err)
{
	struct imap_sync *sy = fx->sy;
	const struct imapsync_job *job = sy->job;
	struct imap_uids all;
	uint32_t *gone = NULL, *dst = NULL;
	size_t i, ng = 0, nd = 0;
	int rc = -1;

	memset(&all, 0, sizeof all);
	if (fx->pairs.n == 0 || job->dry_run)
		return 0;
	if (imap_fetch_uids(&sy->src, 1, &all, err) < 0)
		goto out;
	gone = xcalloc(fx->pairs.n, sizeof *gone);
	dst = xcalloc(fx->pairs.n, sizeof *dst);
	for (i = 0; i < fx->pairs.n; i++) {
		const struct imapsync_pair *p = &fx->pairs.v[i];

		if (imap_uids_has(&all, p->src_uid))
			continue;
		gone[ng++] = p->src_uid;
		if (p->dst_uid && p->status != IMAPSYNC_PAIR_SKIPPED)
			dst[nd++] = p->dst_uid;
	}
	if (ng == 0) {
		rc = 0;
		goto out;
	}
	if (nd) {
		if (uid_command(fx, "UID STORE", dst, nd,
				" +FLAGS.SILENT (\\Deleted)", err) < 0)
			goto out;
		if (sy->dst.caps.uidplus) {
			if (uid_command(fx, "UID EXPUNGE", dst, nd, "", err) < 0)
				goto out;
		} else {
			imap_sync_problem(sy, IMAPSYNC_PROB_FOLDER,
					  fx->fp->src_name, 0, 0,
					  "%zu messages marked \\Deleted on the "
					  "destination, not expunged (no "
					  "UIDPLUS)", nd);
		}
	}
	if (job->store &&
	    job->store->map_forget(job->store_ctx, fx->fp->src_name,
				   fx->st.src_uidvalidity, fx->fp->dst_name,
				   fx->st.dst_uidvalidity, gone, ng, err) < 0)
		goto out;
	for (i = 0; i < fx->pairs.n; i++) {
		const struct imapsync_pair *p = &fx->pairs.v[i];

		if (!imap_uids_has(&all, p->src_uid) &&
		    p->status != IMAPSYNC_PAIR_SKIPPED && fx->bytes >= p->size)
			fx->bytes -= p->size;
	}
	fx->fr->expunged += (uint32_t)nd;
	rc = 0;
out:
	free(gone);
	free(dst);
	imap_uids_release(&all);
	return rc;
}
