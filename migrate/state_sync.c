/*
 * state_sync.c -- folder sync state and the message map (see state.h).
 *
 * The sync engine writes a batch of pairs and the folder row that covers
 * them in one transaction (migrate/sync.c wraps state_begin/commit around
 * them), so the marks never get ahead of the pairs.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"
#include "util/err.h"
#include "util/timeutil.h"

void state_folder_release(struct state_folder *f)
{
	free(f->src_folder);
	free(f->dst_folder);
	memset(f, 0, sizeof *f);
}

#define FOLDER_COLUMNS                                                      \
	"src_folder, dst_folder, src_uidvalidity, src_last_uid, "          \
	"src_highestmodseq, dst_uidvalidity, dst_last_uid, "               \
	"dst_highestmodseq, msgs, bytes, updated"

static void folder_from_row(struct state_stmt *s, int first,
			    struct state_folder *f)
{
	f->src_folder = state_col_strdup(s, first + 0);
	f->dst_folder = state_col_strdup(s, first + 1);
	f->src_uidvalidity = state_col_int(s, first + 2);
	f->src_last_uid = state_col_int(s, first + 3);
	f->src_highestmodseq = state_col_int(s, first + 4);
	f->dst_uidvalidity = state_col_int(s, first + 5);
	f->dst_last_uid = state_col_int(s, first + 6);
	f->dst_highestmodseq = state_col_int(s, first + 7);
	f->msgs = state_col_int(s, first + 8);
	f->bytes = state_col_int(s, first + 9);
	f->updated = (time_t)state_col_int(s, first + 10);
}

int state_folder_get(struct state *st, const char *user, const char *direction,
		     const char *src_folder, struct state_folder *f,
		     struct err *err)
{
	static const char sql[] =
		"SELECT " FOLDER_COLUMNS " FROM folders WHERE user = ?1 AND "
		"direction = ?2 AND src_folder = ?3";
	struct state_stmt *s = state_stmt(st, sql, err);
	int rc;

	memset(f, 0, sizeof *f);
	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	state_bind_text(s, 3, src_folder);
	rc = state_row(st, s, "folder", err);
	if (rc == 1) {
		folder_from_row(s, 0, f);
		state_stmt_reset(s);
	}
	return rc;
}

int state_folder_put(struct state *st, const char *user, const char *direction,
		     const struct state_folder *f, struct err *err)
{
	static const char sql[] =
		"INSERT INTO folders (user, direction, " FOLDER_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
		"ON CONFLICT (user, direction, src_folder) DO UPDATE SET "
		"dst_folder = excluded.dst_folder, "
		"src_uidvalidity = excluded.src_uidvalidity, "
		"src_last_uid = excluded.src_last_uid, "
		"src_highestmodseq = excluded.src_highestmodseq, "
		"dst_uidvalidity = excluded.dst_uidvalidity, "
		"dst_last_uid = excluded.dst_last_uid, "
		"dst_highestmodseq = excluded.dst_highestmodseq, "
		"msgs = excluded.msgs, bytes = excluded.bytes, "
		"updated = excluded.updated";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	state_bind_text(s, 3, f->src_folder);
	state_bind_text(s, 4, f->dst_folder);
	state_bind_int(s, 5, f->src_uidvalidity);
	state_bind_int(s, 6, f->src_last_uid);
	state_bind_int(s, 7, f->src_highestmodseq);
	state_bind_int(s, 8, f->dst_uidvalidity);
	state_bind_int(s, 9, f->dst_last_uid);
	state_bind_int(s, 10, f->dst_highestmodseq);
	state_bind_int(s, 11, f->msgs);
	state_bind_int(s, 12, f->bytes);
	state_bind_time(s, 13, timeutil_now());
	return state_exec(st, s, "folder", err);
}

int state_folders_foreach(struct state *st, const char *user,
			  const char *direction,
			  int (*fn)(void *ctx, const char *user,
				    const struct state_folder *f),
			  void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT user, " FOLDER_COLUMNS " FROM folders WHERE "
		"(?1 IS NULL OR user = ?1) AND direction = ?2 "
		"ORDER BY user, src_folder";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_folder f;
	int rc, ret;

	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	while ((rc = state_row(st, s, "folders", err)) == 1) {
		char *u = state_col_strdup(s, 0);

		folder_from_row(s, 1, &f);
		ret = fn(ctx, u, &f);
		state_folder_release(&f);
		free(u);
		if (ret != 0) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}

int state_msgmap_put(struct state *st, const char *user, const char *direction,
		     const char *src_folder, int64_t src_uidvalidity,
		     const char *dst_folder, int64_t dst_uidvalidity,
		     const struct state_msg *m, struct err *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO msgmap (user, direction, src_folder, "
		"src_uidvalidity, src_uid, dst_folder, dst_uidvalidity, "
		"dst_uid, identity, size, flags, status, note, copied) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	state_bind_text(s, 3, src_folder);
	state_bind_int(s, 4, src_uidvalidity);
	state_bind_int(s, 5, m->src_uid);
	state_bind_text(s, 6, dst_folder);
	state_bind_int(s, 7, dst_uidvalidity);
	if (m->dst_uid > 0)
		state_bind_int(s, 8, m->dst_uid);
	else
		state_bind_null(s, 8);
	state_bind_blob(s, 9, m->identity ? m->identity : "",
			m->identity ? m->identity_len : 0);
	state_bind_int(s, 10, m->size);
	state_bind_text(s, 11, m->flags);
	state_bind_text(s, 12, m->status ? m->status : "copied");
	state_bind_text(s, 13, m->note);
	state_bind_time(s, 14, timeutil_now());
	return state_exec(st, s, "message map", err);
}

static const char *other_direction(const char *d)
{
	return strcmp(d, "forward") == 0 ? "reverse" : "forward";
}

int state_msgmap_foreach(struct state *st, const char *user,
			 const char *direction, bool both,
			 const char *src_folder, int64_t src_uidvalidity,
			 const char *dst_folder, int64_t dst_uidvalidity,
			 int (*fn)(void *ctx, const struct state_msg *m),
			 void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT src_uid, dst_uid, identity, size, flags, status, note "
		"FROM msgmap WHERE user = ?1 AND direction = ?2 AND "
		"src_folder = ?3 AND src_uidvalidity = ?4 AND dst_folder = ?5 "
		"AND dst_uidvalidity = ?6 "
		"UNION ALL "
		"SELECT dst_uid, src_uid, identity, size, flags, status, note "
		"FROM msgmap AS o WHERE ?8 AND o.user = ?1 AND o.direction = ?7 "
		"AND o.dst_folder = ?3 AND o.dst_uidvalidity = ?4 AND "
		"o.src_folder = ?5 AND o.src_uidvalidity = ?6 AND "
		"o.dst_uid IS NOT NULL AND o.status != 'skipped' AND NOT EXISTS "
		"(SELECT 1 FROM msgmap AS m WHERE m.user = ?1 AND "
		"m.direction = ?2 AND m.src_folder = ?3 AND "
		"m.src_uidvalidity = ?4 AND m.src_uid = o.dst_uid)";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_msg m;
	int rc, ret;

	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	state_bind_text(s, 3, src_folder);
	state_bind_int(s, 4, src_uidvalidity);
	state_bind_text(s, 5, dst_folder);
	state_bind_int(s, 6, dst_uidvalidity);
	state_bind_text(s, 7, other_direction(direction));
	state_bind_int(s, 8, both ? 1 : 0);
	while ((rc = state_row(st, s, "message map", err)) == 1) {
		memset(&m, 0, sizeof m);
		m.src_uid = state_col_int(s, 0);
		m.dst_uid = state_col_null(s, 1) ? 0 : state_col_int(s, 1);
		m.identity = state_col_blob(s, 2, &m.identity_len);
		m.size = state_col_int(s, 3);
		m.flags = state_col_null(s, 4) ? NULL : state_col_text(s, 4);
		m.status = state_col_text(s, 5);
		m.note = state_col_null(s, 6) ? NULL : state_col_text(s, 6);
		ret = fn(ctx, &m);
		if (ret != 0) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}

int state_msgmap_forget(struct state *st, const char *user,
			const char *direction, const char *src_folder,
			int64_t src_uidvalidity, const char *dst_folder,
			int64_t dst_uidvalidity, const int64_t *uids, size_t n,
			struct err *err)
{
	static const char stale[] =
		"DELETE FROM msgmap WHERE user = ?1 AND direction = ?2 AND "
		"src_folder = ?3 AND (src_uidvalidity != ?4 OR "
		"dst_folder != ?5 OR dst_uidvalidity != ?6)";
	static const char one[] =
		"DELETE FROM msgmap WHERE user = ?1 AND direction = ?2 AND "
		"src_folder = ?3 AND src_uidvalidity = ?4 AND src_uid = ?5";
	static const char turned[] =
		"DELETE FROM msgmap WHERE user = ?1 AND direction = ?2 AND "
		"dst_folder = ?3 AND dst_uidvalidity = ?4 AND dst_uid = ?5";
	struct state_stmt *s;
	size_t i;

	if (!uids) {
		s = state_stmt(st, stale, err);
		if (!s)
			return -1;
		state_bind_text(s, 1, user);
		state_bind_text(s, 2, direction);
		state_bind_text(s, 3, src_folder);
		state_bind_int(s, 4, src_uidvalidity);
		state_bind_text(s, 5, dst_folder);
		state_bind_int(s, 6, dst_uidvalidity);
		return state_exec(st, s, "message map", err);
	}
	for (i = 0; i < n; i++) {
		s = state_stmt(st, one, err);
		if (!s)
			return -1;
		state_bind_text(s, 1, user);
		state_bind_text(s, 2, direction);
		state_bind_text(s, 3, src_folder);
		state_bind_int(s, 4, src_uidvalidity);
		state_bind_int(s, 5, uids[i]);
		if (state_exec(st, s, "message map", err) < 0)
			return -1;
		s = state_stmt(st, turned, err);
		if (!s)
			return -1;
		state_bind_text(s, 1, user);
		state_bind_text(s, 2, other_direction(direction));
		state_bind_text(s, 3, src_folder);
		state_bind_int(s, 4, src_uidvalidity);
		state_bind_int(s, 5, uids[i]);
		if (state_exec(st, s, "message map", err) < 0)
			return -1;
	}
	return 0;
}

int state_msgmap_count(struct state *st, const char *user, int64_t *msgs,
		       int64_t *bytes, struct err *err)
{
	static const char sql[] =
		"SELECT count(*), coalesce(sum(size), 0) FROM msgmap WHERE "
		"(?1 IS NULL OR user = ?1) AND status != 'skipped'";
	struct state_stmt *s = state_stmt(st, sql, err);
	int rc;

	*msgs = *bytes = 0;
	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	rc = state_row(st, s, "message map", err);
	if (rc == 1) {
		*msgs = state_col_int(s, 0);
		*bytes = state_col_int(s, 1);
		state_stmt_reset(s);
	}
	return rc < 0 ? -1 : 0;
}
