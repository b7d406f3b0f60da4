/*
 * imap_verify.c -- one folder pair compared: every source message must
 * have a destination message with the same content identity (as
 * multisets: two equal source messages need two on the destination),
 * and paired messages must agree on flags and INTERNALDATE.
 *
 * Pairs from the store are tried first (cheap, and they say which
 * message was skipped and why); the rest is matched by identity, hashing
 * bodies only for messages without a Message-ID whose size occurs on the
 * other side too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_DIFFS 100000

static void diff_add(struct imapsync_verify_result *v,
		     enum imapsync_diff_kind kind, const struct imap_fplan *fp,
		     uint32_t su, uint32_t du, uint64_t size, char *detail)
{
	struct imapsync_diff *d;

	switch (kind) {
	case IMAPSYNC_DIFF_MISSING: v->n_missing++; break;
	case IMAPSYNC_DIFF_EXTRA: v->n_extra++; break;
	case IMAPSYNC_DIFF_FLAGS: v->n_flags++; break;
	case IMAPSYNC_DIFF_DATE: v->n_dates++; break;
	case IMAPSYNC_DIFF_FOLDER: v->n_folders++; break;
	}
	if (v->n_diffs >= MAX_DIFFS) {
		free(detail);
		return;
	}
	v->diffs = xreallocarray(v->diffs, v->n_diffs + 1, sizeof *v->diffs);
	d = &v->diffs[v->n_diffs++];
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->src_folder = xstrdup(fp->src_name);
	d->dst_folder = xstrdup(fp->dst_name);
	d->src_uid = su;
	d->dst_uid = du;
	d->size = size;
	d->detail = detail;
}

static int read_side(struct imap_conn *c, const char *raw,
		     struct imap_msgs *out, struct err *err)
{
	struct imap_uids u;
	int rc;

	memset(&u, 0, sizeof u);
	if (imap_conn_select(c, raw, false, err) < 0)
		return -1;
	rc = imap_fetch_uids(c, 1, &u, err);
	if (rc == 0)
		rc = imap_fetch_meta(c, u.v, u.n,
				     IMAP_FETCH_SIZE | IMAP_FETCH_FLAGS |
					     IMAP_FETCH_DATE | IMAP_FETCH_IDENT,
				     out, err);
	imap_uids_release(&u);
	return rc;
}

static struct imap_msg *by_uid(struct imap_msgs *m, uint32_t uid)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->v[lo].uid == uid ? &m->v[lo] : NULL;
}

static bool size_in(const struct imap_msgs *m, const bool *used,
		    uint64_t size)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!used[i] && !m->v[i].has_mid && m->v[i].size == size)
			return true;
	return false;
}

static int hash_unpaired(struct imap_conn *c, struct imap_msgs *mine,
			 const bool *mine_used, const struct imap_msgs *other,
			 const bool *other_used, struct err *err)
{
	struct imap_msg **v = xcalloc(mine->n + 1, sizeof *v);
	size_t i, k = 0;
	int rc;

	for (i = 0; i < mine->n; i++)
		if (!mine_used[i] && !mine->v[i].has_ident &&
		    size_in(other, other_used, mine->v[i].size))
			v[k++] = &mine->v[i];
	rc = k ? imap_fetch_hash(c, v, k, err) : 0;
	free(v);
	return rc;
}

static void compare_pair(struct imapsync_verify_result *v,
			 const struct imap_fplan *fp, const struct imap_msg *s,
			 const struct imap_msg *d)
{
	if (strcmp(s->flags ? s->flags : "", d->flags ? d->flags : ""))
		diff_add(v, IMAPSYNC_DIFF_FLAGS, fp, s->uid, d->uid, s->size,
			 xasprintf("source (%s), destination (%s)",
				   s->flags ? s->flags : "",
				   d->flags ? d->flags : ""));
	if (s->has_date && d->has_date &&
	    imap_date_epoch(&s->date) != imap_date_epoch(&d->date)) {
		char a[40], b[40];

		diff_add(v, IMAPSYNC_DIFF_DATE, fp, s->uid, d->uid, s->size,
			 xasprintf("source %s, destination %s",
				   imap_date_format(&s->date, a, sizeof a),
				   imap_date_format(&d->date, b, sizeof b)));
	}
}

int imap_verify_folder(struct imap_sync *sy, const struct imap_fplan *fp,
		       struct imapsync_verify_result *v, struct err *err)
{
	struct imap_msgs sm, dm;
	struct imap_pairs pairs;
	bool *sused = NULL, *dused = NULL;
	struct imap_ident_item *si = NULL, *di = NULL;
	size_t *sidx = NULL, *didx = NULL, *dst_of = NULL;
	size_t i, ns = 0, nd = 0;
	int rc = -1;

	memset(&sm, 0, sizeof sm);
	memset(&dm, 0, sizeof dm);
	memset(&pairs, 0, sizeof pairs);
	v->folders++;
	if (read_side(&sy->src, fp->src_raw, &sm, err) < 0)
		goto out;
	for (i = 0; i < sm.n; i++) {
		v->src_msgs++;
		v->src_bytes += sm.v[i].size;
	}
	if (!fp->dst_exists) {
		diff_add(v, IMAPSYNC_DIFF_FOLDER, fp, 0, 0, 0,
			 xasprintf("no destination folder; %zu messages on "
				   "the source", sm.n));
		for (i = 0; i < sm.n; i++)
			diff_add(v, IMAPSYNC_DIFF_MISSING, fp, sm.v[i].uid, 0,
				 sm.v[i].size, xstrdup("no destination folder"));
		rc = 0;
		goto out;
	}
	if (read_side(&sy->dst, fp->dst_raw, &dm, err) < 0)
		goto out;
	for (i = 0; i < dm.n; i++) {
		v->dst_msgs++;
		v->dst_bytes += dm.v[i].size;
	}
	sused = xcalloc(sm.n + 1, sizeof *sused);
	dused = xcalloc(dm.n + 1, sizeof *dused);
	/* 1: the store's pairs, where the content agrees */
	if (imap_pairs_load(sy, fp, sy->src.uidvalidity, sy->dst.uidvalidity,
			    &pairs, err) < 0)
		goto out;
	for (i = 0; i < pairs.n; i++) {
		const struct imapsync_pair *p = &pairs.v[i];
		struct imap_msg *s = by_uid(&sm, p->src_uid), *d;

		if (!s || !p->dst_uid || !(d = by_uid(&dm, p->dst_uid)))
			continue;
		if (sused[s - sm.v] || dused[d - dm.v] || s->size != d->size ||
		    s->has_ident != d->has_ident ||
		    (s->has_ident &&
		     memcmp(s->ident, d->ident, IMAPSYNC_IDENT_LEN)))
			continue;
		sused[s - sm.v] = dused[d - dm.v] = true;
		compare_pair(v, fp, s, d);
	}
	/* 2: by content identity */
	if (hash_unpaired(&sy->src, &sm, sused, &dm, dused, err) < 0 ||
	    hash_unpaired(&sy->dst, &dm, dused, &sm, sused, err) < 0)
		goto out;
	si = xcalloc(sm.n + 1, sizeof *si);
	di = xcalloc(dm.n + 1, sizeof *di);
	sidx = xcalloc(sm.n + 1, sizeof *sidx);
	didx = xcalloc(dm.n + 1, sizeof *didx);
	dst_of = xcalloc(sm.n + 1, sizeof *dst_of);
	for (i = 0; i < sm.n; i++)
		if (!sused[i]) {
			si[ns].ident = sm.v[i].has_ident ? sm.v[i].ident : NULL;
			sidx[ns++] = i;
		}
	for (i = 0; i < dm.n; i++)
		if (!dused[i]) {
			di[nd].ident = dm.v[i].has_ident ? dm.v[i].ident : NULL;
			didx[nd++] = i;
		}
	imap_ident_match(si, ns, di, nd, dst_of);
	for (i = 0; i < ns; i++) {
		struct imap_msg *s = &sm.v[sidx[i]];

		if (dst_of[i] != SIZE_MAX) {
			dused[didx[dst_of[i]]] = true;
			compare_pair(v, fp, s, &dm.v[didx[dst_of[i]]]);
		} else {
			const struct imapsync_pair *p = imap_pairs_find(&pairs,
									s->uid);
			char hex[20];

			diff_add(v, IMAPSYNC_DIFF_MISSING, fp, s->uid, 0, s->size,
				 p && p->status == IMAPSYNC_PAIR_SKIPPED ?
					 xasprintf("skipped: %s",
						   p->note ? p->note : "") :
					 s->has_ident ?
					 xasprintf("identity %s",
						   imap_ident_hex(s->ident, hex,
								  sizeof hex)) :
					 xasprintf("no Message-ID, %llu bytes",
						   (unsigned long long)s->size));
		}
	}
	for (i = 0; i < dm.n; i++) {
		char hex[20];

		if (!dused[i])
			diff_add(v, IMAPSYNC_DIFF_EXTRA, fp, 0, dm.v[i].uid,
				 dm.v[i].size,
				 xasprintf("identity %s",
					   dm.v[i].has_ident ?
						   imap_ident_hex(dm.v[i].ident,
								  hex, sizeof hex) :
						   "(no Message-ID)"));
	}
	rc = 0;
out:
	if (rc < 0)
		err_prefix(err, "folder '%s'", fp->src_name);
	free(sused);
	free(dused);
	free(si);
	free(di);
	free(sidx);
	free(didx);
	free(dst_of);
	imap_pairs_release(&pairs);
	imap_msgs_release(&sm);
	imap_msgs_release(&dm);
	return rc;
}
