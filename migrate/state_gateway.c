/*
 * state_gateway.c -- every gateway map version migrate wrote (see
 * state.h): content, checksum, path, kind, phase, run, reason, status.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

void state_gateway_version_release(struct state_gateway_version *v)
{
	free(v->phase);
	free(v->kind);
	free(v->path);
	free(v->sha256);
	free(v->content);
	free(v->reason);
	free(v->status);
	free(v->error);
	memset(v, 0, sizeof *v);
}

int state_gateway_add(struct state *st, const struct state_gateway_version *v,
		      int64_t *id, struct err *err)
{
	static const char sql[] =
		"INSERT INTO gateway_versions (created, run_id, phase, kind, "
		"path, sha256, content, reason, status, error) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	struct state_stmt *s = state_stmt(st, sql, err);
	char sum[HASH_SHA256_HEX];

	if (!s)
		return -1;
	if (!v->sha256)
		hash_sha256_hex(v->content, v->len, sum);
	state_bind_time(s, 1, v->created ? v->created : timeutil_now());
	if (v->run_id > 0)
		state_bind_int(s, 2, v->run_id);
	state_bind_text(s, 3, v->phase);
	state_bind_text(s, 4, v->kind);
	state_bind_text(s, 5, v->path);
	state_bind_text(s, 6, v->sha256 ? v->sha256 : sum);
	state_bind_blob(s, 7, v->content ? v->content : "", v->len);
	state_bind_text(s, 8, v->reason);
	state_bind_text(s, 9, v->status ? v->status : "pending");
	state_bind_text(s, 10, v->error);
	if (state_exec(st, s, "gateway version", err) < 0)
		return -1;
	*id = state_last_rowid(st);
	return 0;
}

int state_gateway_set_status(struct state *st, int64_t id, const char *status,
			     const char *error, struct err *err)
{
	static const char sql[] =
		"UPDATE gateway_versions SET status = ?2, error = ?3 "
		"WHERE id = ?1";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_int(s, 1, id);
	state_bind_text(s, 2, status);
	state_bind_text(s, 3, error);
	return state_exec(st, s, "gateway version status", err);
}

#define VERSION_COLUMNS                                                    \
	"id, created, run_id, phase, kind, path, sha256, content, reason, " \
	"status, error"

static void version_from_row(struct state_stmt *s,
			     struct state_gateway_version *v)
{
	const void *blob;
	size_t len;

	v->id = state_col_int(s, 0);
	v->created = (time_t)state_col_int(s, 1);
	v->run_id = state_col_int(s, 2);
	v->phase = state_col_strdup(s, 3);
	v->kind = state_col_strdup(s, 4);
	v->path = state_col_strdup(s, 5);
	v->sha256 = state_col_strdup(s, 6);
	blob = state_col_blob(s, 7, &len);
	v->content = xmalloc(len + 1);
	if (len)
		memcpy(v->content, blob, len);
	v->content[len] = 0;
	v->len = len;
	v->reason = state_col_strdup(s, 8);
	v->status = state_col_strdup(s, 9);
	v->error = state_col_strdup(s, 10);
}

/* One row of a query bound to (?1); 1 found, 0 none, -1 error. */
static int one_version(struct state *st, struct state_stmt *s,
		       struct state_gateway_version *v, struct err *err)
{
	int rc = state_row(st, s, "gateway version", err);

	if (rc == 1) {
		version_from_row(s, v);
		state_stmt_reset(s);
	}
	return rc;
}

int state_gateway_get(struct state *st, int64_t id,
		      struct state_gateway_version *v, struct err *err)
{
	static const char sql[] =
		"SELECT " VERSION_COLUMNS " FROM gateway_versions "
		"WHERE id = ?1";
	struct state_stmt *s = state_stmt(st, sql, err);

	memset(v, 0, sizeof *v);
	if (!s)
		return -1;
	state_bind_int(s, 1, id);
	return one_version(st, s, v, err);
}

int state_gateway_last(struct state *st, const char *path,
		       struct state_gateway_version *v, struct err *err)
{
	static const char sql[] =
		"SELECT " VERSION_COLUMNS " FROM gateway_versions "
		"WHERE path = ?1 AND status = 'installed' "
		"ORDER BY id DESC LIMIT 1";
	struct state_stmt *s = state_stmt(st, sql, err);

	memset(v, 0, sizeof *v);
	if (!s)
		return -1;
	state_bind_text(s, 1, path);
	return one_version(st, s, v, err);
}

int state_gateway_foreach(struct state *st, const char *path, int64_t after,
			  int (*fn)(void *ctx,
				    const struct state_gateway_version *v),
			  void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT " VERSION_COLUMNS " FROM gateway_versions "
		"WHERE (?1 IS NULL OR path = ?1) AND id > ?2 ORDER BY id";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_gateway_version v;
	int rc, ret;

	if (!s)
		return -1;
	state_bind_text(s, 1, path);
	state_bind_int(s, 2, after);
	while ((rc = state_row(st, s, "gateway versions", err)) == 1) {
		version_from_row(s, &v);
		ret = fn(ctx, &v);
		state_gateway_version_release(&v);
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}
