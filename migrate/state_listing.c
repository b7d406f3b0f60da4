/*
 * state_listing.c -- the digest of each user's source listing as of the
 * last complete sync (see state.h).  A sync compares it with what the
 * source shows now: equal, and every folder's STATUS equal to its marks,
 * means nothing moved, without a session to the destination.
 */
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"
#include "util/err.h"
#include "util/timeutil.h"

int state_listing_get(struct state *st, const char *user,
		      const char *direction,
		      unsigned char digest[STATE_LISTING_LEN], struct err *err)
{
	static const char sql[] =
		"SELECT digest FROM listings WHERE user = ?1 AND direction = ?2";
	struct state_stmt *s = state_stmt(st, sql, err);
	const void *b;
	size_t len = 0;
	int rc;

	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	rc = state_row(st, s, "listing", err);
	if (rc != 1)
		return rc;
	b = state_col_blob(s, 0, &len);
	if (b && len == STATE_LISTING_LEN)
		memcpy(digest, b, len);
	else
		rc = 0;		/* not one of ours: as if none */
	state_stmt_reset(s);
	return rc;
}

int state_listing_put(struct state *st, const char *user,
		      const char *direction, const unsigned char *digest,
		      struct err *err)
{
	static const char del[] =
		"DELETE FROM listings WHERE user = ?1 AND direction = ?2";
	static const char put[] =
		"INSERT INTO listings (user, direction, digest, updated) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user, direction) DO "
		"UPDATE SET digest = excluded.digest, "
		"updated = excluded.updated";
	struct state_stmt *s = state_stmt(st, digest ? put : del, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, user);
	state_bind_text(s, 2, direction);
	if (digest) {
		state_bind_blob(s, 3, digest, STATE_LISTING_LEN);
		state_bind_time(s, 4, timeutil_now());
	}
	return state_exec(st, s, "listing", err);
}
