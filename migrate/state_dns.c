/*
 * state_dns.c -- the dns_records table: original RRsets and every step
 * migrate took on them (see state.h).
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/state.h"
#include "migrate/state_db.h"

#define COLS "zone, name, type, phase, orig_ttl, orig_rdata, saved_at, " \
	     "lowered_ttl, lowered_at, safe_after, prev_ttl, prev_rdata, " \
	     "changed_rdata, changed_at, last_ttl, last_rdata, restored_at"

void state_dns_record_release(struct state_dns_record *r)
{
	free(r->zone);
	free(r->name);
	free(r->type);
	free(r->phase);
	free(r->orig_rdata);
	free(r->prev_rdata);
	free(r->changed_rdata);
	free(r->last_rdata);
	memset(r, 0, sizeof *r);
}

/* Fill r from a row selected with COLS. */
static void read_row(struct state_stmt *s, struct state_dns_record *r)
{
	r->zone = state_col_strdup(s, 0);
	r->name = state_col_strdup(s, 1);
	r->type = state_col_strdup(s, 2);
	r->phase = state_col_strdup(s, 3);
	r->orig_ttl = state_col_int(s, 4);
	r->orig_rdata = state_col_strdup(s, 5);
	r->saved_at = (time_t)state_col_int(s, 6);
	r->lowered_ttl = state_col_count(s, 7);
	r->lowered_at = (time_t)state_col_int(s, 8);
	r->safe_after = (time_t)state_col_int(s, 9);
	r->prev_ttl = state_col_count(s, 10);
	r->prev_rdata = state_col_strdup(s, 11);
	r->changed_rdata = state_col_strdup(s, 12);
	r->changed_at = (time_t)state_col_int(s, 13);
	r->last_ttl = state_col_count(s, 14);
	r->last_rdata = state_col_strdup(s, 15);
	r->restored_at = (time_t)state_col_int(s, 16);
}

int state_dns_get(struct state *st, const char *zone, const char *name,
		  const char *type, struct state_dns_record *r,
		  struct err *err)
{
	static const char sql[] =
		"SELECT " COLS " FROM dns_records "
		"WHERE zone = ?1 AND name = ?2 AND type = ?3";
	struct state_stmt *s = state_stmt(st, sql, err);
	int rc;

	memset(r, 0, sizeof *r);
	if (!s)
		return -1;
	state_bind_text(s, 1, zone);
	state_bind_text(s, 2, name);
	state_bind_text(s, 3, type);
	rc = state_row(st, s, "dns record", err);
	if (rc == 1) {
		read_row(s, r);
		state_stmt_reset(s);
	}
	return rc;
}

int state_dns_put(struct state *st, const struct state_dns_record *r,
		  struct err *err)
{
	static const char sql[] =
		"INSERT INTO dns_records (" COLS ") VALUES (?1, ?2, ?3, ?4, "
		"?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
		"ON CONFLICT (zone, name, type) DO UPDATE SET "
		"phase = excluded.phase, orig_ttl = excluded.orig_ttl, "
		"orig_rdata = excluded.orig_rdata, "
		"saved_at = excluded.saved_at, "
		"lowered_ttl = excluded.lowered_ttl, "
		"lowered_at = excluded.lowered_at, "
		"safe_after = excluded.safe_after, "
		"prev_ttl = excluded.prev_ttl, "
		"prev_rdata = excluded.prev_rdata, "
		"changed_rdata = excluded.changed_rdata, "
		"changed_at = excluded.changed_at, "
		"last_ttl = excluded.last_ttl, "
		"last_rdata = excluded.last_rdata, "
		"restored_at = excluded.restored_at";
	struct state_stmt *s = state_stmt(st, sql, err);

	if (!s)
		return -1;
	state_bind_text(s, 1, r->zone);
	state_bind_text(s, 2, r->name);
	state_bind_text(s, 3, r->type);
	state_bind_text(s, 4, r->phase);
	state_bind_int(s, 5, r->orig_ttl);
	state_bind_text(s, 6, r->orig_rdata ? r->orig_rdata : "");
	state_bind_time(s, 7, r->saved_at);
	state_bind_count(s, 8, r->lowered_ttl);
	state_bind_time(s, 9, r->lowered_at);
	state_bind_time(s, 10, r->safe_after);
	state_bind_count(s, 11, r->prev_ttl);
	state_bind_text(s, 12, r->prev_rdata);
	state_bind_text(s, 13, r->changed_rdata);
	state_bind_time(s, 14, r->changed_at);
	state_bind_count(s, 15, r->last_ttl);
	state_bind_text(s, 16, r->last_rdata);
	state_bind_time(s, 17, r->restored_at);
	return state_exec(st, s, "dns record", err);
}

int state_dns_foreach(struct state *st, const char *zone,
		      int (*fn)(void *ctx, const struct state_dns_record *r),
		      void *ctx, struct err *err)
{
	static const char sql[] =
		"SELECT " COLS " FROM dns_records "
		"WHERE ?1 IS NULL OR zone = ?1 ORDER BY zone, name, type";
	struct state_stmt *s = state_stmt(st, sql, err);
	struct state_dns_record r;
	int rc, ret;

	if (!s)
		return -1;
	state_bind_text(s, 1, zone);
	while ((rc = state_row(st, s, "dns records", err)) == 1) {
		read_row(s, &r);
		ret = fn(ctx, &r);
		state_dns_record_release(&r);
		if (ret) {
			state_stmt_reset(s);
			return ret;
		}
	}
	return rc;
}
