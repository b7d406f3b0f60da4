/*
 * state_users.c -- where each user lives now (see state.h).
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"
#include "util/timeutil.h"

static const char *const user_status_names[] = {
	[USER_PENDING] = "pending",	[USER_PRESTAGED] = "prestaged",
	[USER_CUTOVER] = "cut over",	[USER_VERIFIED] = "verified",
	[USER_FAILED] = "failed",	[USER_ROLLEDBACK] = "rolled back",
};
#define N_STATUS (sizeof user_status_names / sizeof *user_status_names)

const char *state_user_status_name(enum state_user_status s)
{
	return (size_t)s < N_STATUS ? user_status_names[s] : "?";
}

static enum state_user_status user_status_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < N_STATUS; i++)
		if (strcmp(s, user_status_names[i]) == 0)
			return (enum state_user_status)i;
	return USER_PENDING;
}

void state_user_release(struct state_user *u)
{
	free(u->address);
	free(u->group);
	free(u->backend);
	free(u->phase);
	free(u->last_error);
	memset(u, 0, sizeof *u);
}

int state_user_put(struct state *st, const struct state_user *u,
		   struct err *err)
{
	static const char sql[] =
		"INSERT INTO users (address, grp, backend, phase, status, "
		"last_sync, src_msgs, src_bytes, dst_msgs, dst_bytes, "
		"last_error, updated) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
		"ON CONFLICT (address) DO UPDATE SET grp = excluded.grp, "
		"backend = excluded.backend, phase = excluded.phase, "
		"status = excluded.status, last_sync = excluded.last_sync, "
		"src_msgs = excluded.src_msgs, src_bytes = excluded.src_bytes, "
		"dst_msgs = excluded.dst_msgs, dst_bytes = excluded.dst_bytes, "
		"last_error = excluded.last_error, updated = excluded.updated";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, u->address);
	state_bind_text(s, 2, u->group);
	state_bind_text(s, 3, u->backend);
	state_bind_text(s, 4, u->phase);
	state_bind_text(s, 5, state_user_status_name(u->status));
	state_bind_time(s, 6, u->last_sync);
	state_bind_count(s, 7, u->src_msgs);
	state_bind_count(s, 8, u->src_bytes);
	state_bind_count(s, 9, u->dst_msgs);
	state_bind_count(s, 10, u->dst_bytes);
	state_bind_text(s, 11, u->last_error);
	state_bind_time(s, 12, timeutil_now());
	return state_exec(st, s, "user", err);
}

#define USER_COLUMNS                                                        \
	"address, grp, backend, phase, status, last_sync, src_msgs, "      \
	"src_bytes, dst_msgs, dst_bytes, last_error, updated"

static void user_from_row(struct state_stmt *s, struct state_user *u)
{
	u->address = state_col_strdup(s, 0);
	u->group = state_col_strdup(s, 1);
	u->backend = state_col_strdup(s, 2);
	u->phase = state_col_strdup(s, 3);
	u->status = user_status_parse(state_col_text(s, 4));
	u->last_sync = (time_t)state_col_int(s, 5);
	u->src_msgs = state_col_count(s, 6);
	u->src_bytes = state_col_count(s, 7);
	u->dst_msgs = state_col_count(s, 8);
	u->dst_bytes = state_col_count(s, 9);
	u->last_error = state_col_strdup(s, 10);
	u->updated = (time_t)state_col_int(s, 11);
}

int state_user_get(struct state *st, const char *address,
		   struct state_user *u, struct err *err)
{
	static const char sql[] =
		"SELECT " USER_COLUMNS " FROM users WHERE address = ?1";
	struct state_stmt *s = state_stmt(st, sql, err);
	int rc;

	memset(u, 0, sizeof *u);
	if (!s)
		return -1;
	state_bind_text(s, 1, address);
	rc = state_row(st, s, "user", err);
	if (rc == 1) {
		user_from_row(s, u);
		state_stmt_reset(s);
	}
	return rc;
}

int state_users_foreach(struct state *st,
			int (*fn)(void *ctx, const struct state_user *u),
			void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT " USER_COLUMNS " FROM users ORDER BY address";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_user u;
	int rc, ret = 0;

	if (!s)
		return -1;
	while ((rc = state_row(st, s, "users", err)) == 1) {
		user_from_row(s, &u);
		ret = fn(ctx, &u);
		state_user_release(&u);
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}
