/*
 * test_state.c -- the SQLite state store: schema, modes, refusal of
 * foreign or newer files, the run lock, users, steps, runs, events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "migrate/state.h"
#include "util/err.h"
#include "util/xalloc.h"

static char dir[64];
static char a_bob[] = "bob@corp.example", a_it[] = "it", a_legacy[] = "legacy",
	    a_pilot[] = "pilot", a_suite[] = "suite", a_x[] = "x@corp.example",
	    a_err[] = "folder 'Sent': APPEND uid 7: [OVERQUOTA] quota";

static int setup(void **ctx)
{
	(void)ctx;
	strcpy(dir, "/tmp/test_state.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **ctx)
{
	char cmd[128];

	(void)ctx;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_create_mode_and_version(void **ctx)
{
	char *p = path_in("a.db");
	struct state *st;
	struct stat sb;
	struct err err;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_READONLY, &st, &err), -1);
	assert_int_equal(err.cat, ERR_STORE);
	assert_false(state_exists(p));

	err_clear(&err);
	umask(022);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	assert_int_equal(state_schema_version(st), STATE_SCHEMA_VERSION);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	state_close(st);

	/* Reopening an existing store changes nothing. */
	assert_int_equal(state_open(p, STATE_READONLY, &st, &err), 0);
	assert_int_equal(state_schema_version(st), STATE_SCHEMA_VERSION);
	state_close(st);

	/* A store made readable by others is tightened back to 0600. */
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(state_open(p, STATE_READONLY, &st, &err), 0);
	state_close(st);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(p);
}

static void test_newer_schema_refused(void **ctx)
{
	char *p = path_in("new.db");
	struct state *st;
	struct err err;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	state_close(st);
	sql_exec(p, "PRAGMA user_version = 99");
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, "has schema version 99, newer than "
				       "this migrate understands (2)"));
	free(p);
}

static void test_foreign_files_refused(void **ctx)
{
	char *p = path_in("garbage.db"), *q = path_in("other.db");
	struct state *st;
	struct err err;
	int fd;

	(void)ctx;
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(write(fd, "this is not sqlite at all....\n", 30), 30);
	close(fd);
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), -1);
	assert_non_null(strstr(err.msg, "is not a migrate state file"));

	sql_exec(q, "CREATE TABLE x (a)");
	assert_int_equal(chmod(q, 0600), 0);
	err_clear(&err);
	assert_int_equal(state_open(q, STATE_CREATE, &st, &err), -1);
	assert_non_null(strstr(err.msg, "not a migrate state file"));
	free(p);
	free(q);
}

static void test_run_lock(void **ctx)
{
	char *p = path_in("lock.db");
	struct state *a, *b;
	struct err err;
	char want[64];

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &a, &err), 0);
	assert_int_equal(state_open(p, STATE_CREATE, &b, &err), 0);
	assert_int_equal(state_lock(a, "run", &err), 0);
	assert_int_equal(state_lock(b, "run", &err), -1);
	snprintf(want, sizeof want, "is in use by pid %ld on host ",
		 (long)getpid());
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "(migrate run, since "));
	assert_int_equal(err.retry, RETRY_LATER);
	assert_int_equal(err_exit_code(&err), EXIT_TEMPFAIL);
	/* Released on unlock (and on exit, by the kernel). */
	state_unlock(a);
	err_clear(&err);
	assert_int_equal(state_lock(b, "sync", &err), 0);
	state_close(a);
	state_close(b);
	free(p);
}

static void test_users_roundtrip(void **ctx)
{
	char *p = path_in("users.db");
	struct state *st;
	struct state_user u, got;
	struct err err;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	memset(&u, 0, sizeof u);
	u.address = a_bob;
	u.group = a_it;
	u.backend = a_legacy;
	u.phase = a_pilot;
	u.status = USER_PRESTAGED;
	u.last_sync = 1700000000;
	u.src_msgs = 10;
	u.src_bytes = 2048;
	u.dst_msgs = 9;
	u.dst_bytes = -1;
	u.last_error = a_err;
	assert_int_equal(state_user_put(st, &u, &err), 0);
	assert_int_equal(state_user_get(st, "bob@corp.example", &got, &err), 1);
	assert_string_equal(got.backend, "legacy");
	assert_string_equal(got.group, "it");
	assert_int_equal(got.status, USER_PRESTAGED);
	assert_int_equal(got.src_bytes, 2048);
	assert_int_equal(got.dst_bytes, -1);
	assert_string_equal(got.last_error, u.last_error);
	state_user_release(&got);

	/* Update in place. */
	u.backend = a_suite;
	u.status = USER_CUTOVER;
	u.last_error = NULL;
	assert_int_equal(state_user_put(st, &u, &err), 0);
	assert_int_equal(state_user_get(st, "bob@corp.example", &got, &err), 1);
	assert_string_equal(got.backend, "suite");
	assert_string_equal(state_user_status_name(got.status), "cut over");
	assert_null(got.last_error);
	state_user_release(&got);
	assert_int_equal(state_user_get(st, "nobody@corp.example", &got, &err),
			 0);
	state_close(st);
	free(p);
}

static int count_cb(void *ctx, const struct state_step *s)
{
	int *n = ctx;

	assert_string_equal(s->phase, "pilot");
	(*n)++;
	return 0;
}

static int ev_cb(void *ctx, const struct state_event *e)
{
	int *n = ctx;

	assert_string_equal(e->kind, "gateway");
	(*n)++;
	return 0;
}

static void test_runs_steps_events(void **ctx)
{
	char *p = path_in("runs.db");
	struct state *st;
	struct state_run run;
	struct err err;
	int64_t id;
	int n = 0;
	sqlite3 *db;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	assert_int_equal(state_last_run(st, &run, &err), 0);
	assert_int_equal(state_run_begin(st, "run", &id, &err), 0);
	assert_int_equal(state_step_begin(st, id, "pilot", "preflight", &err), 0);
	assert_int_equal(state_step_end(st, "pilot", "preflight", "done",
					"10 users", NULL, &err), 0);
	assert_int_equal(state_step_begin(st, id, "pilot", "prestage", &err), 0);
	assert_int_equal(state_steps_foreach(st, "pilot", count_cb, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(state_event_add(st, id, "pilot", NULL, "gateway",
					 "wrote version 1", &err), 0);
	assert_int_equal(state_run_end(st, id, "done", 0, &err), 0);
	assert_int_equal(state_last_run(st, &run, &err), 1);
	assert_int_equal(run.id, id);
	assert_string_equal(run.command, "run");
	assert_string_equal(run.status, "done");
	assert_int_equal(run.pid, getpid());
	state_run_release(&run);
	n = 0;
	assert_int_equal(state_events_foreach(st, ev_cb, &n, &err), 0);
	assert_int_equal(n, 1);
	state_close(st);

	/* The event log is append-only, even for a direct SQL client. */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM events", NULL, NULL,
					  NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE events SET kind='x'",
					  NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(p);
}

static void test_transactions(void **ctx)
{
	char *p = path_in("txn.db");
	struct state *st;
	struct state_user u, got;
	struct err err;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	memset(&u, 0, sizeof u);
	u.address = a_x;
	u.backend = a_legacy;
	assert_int_equal(state_begin(st, &err), 0);
	assert_int_equal(state_begin(st, &err), 0);	/* nested */
	assert_int_equal(state_user_put(st, &u, &err), 0);
	assert_int_equal(state_commit(st, &err), 0);	/* inner: no-op */
	state_rollback(st);				/* outer rolls back */
	assert_int_equal(state_user_get(st, "x@corp.example", &got, &err), 0);
	assert_int_equal(state_begin(st, &err), 0);
	assert_int_equal(state_user_put(st, &u, &err), 0);
	assert_int_equal(state_commit(st, &err), 0);
	assert_int_equal(state_user_get(st, "x@corp.example", &got, &err), 1);
	state_user_release(&got);
	state_close(st);
	free(p);
}

/* A version-1 store (before listings) is upgraded in place; the listing
 * digest round-trips and is forgotten with NULL. */
static void test_upgrade_and_listing(void **ctx)
{
	char *p = path_in("v1.db");
	unsigned char d[STATE_LISTING_LEN], got[STATE_LISTING_LEN];
	struct state *st;
	struct err err;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	state_close(st);
	/* back to what version 1 wrote */
	sql_exec(p, "DROP TABLE listings; PRAGMA user_version = 1");
	assert_int_equal(state_open(p, STATE_CREATE, &st, &err), 0);
	assert_int_equal(state_schema_version(st), 2);
	assert_int_equal(state_listing_get(st, "a@corp.example", "forward",
					   got, &err), 0);
	memset(d, 0xab, sizeof d);
	assert_int_equal(state_listing_put(st, "a@corp.example", "forward", d,
					   &err), 0);
	assert_int_equal(state_listing_get(st, "a@corp.example", "forward",
					   got, &err), 1);
	assert_memory_equal(got, d, sizeof d);
	/* per direction */
	assert_int_equal(state_listing_get(st, "a@corp.example", "reverse",
					   got, &err), 0);
	d[0] = 1;
	assert_int_equal(state_listing_put(st, "a@corp.example", "forward", d,
					   &err), 0);
	assert_int_equal(state_listing_get(st, "a@corp.example", "forward",
					   got, &err), 1);
	assert_int_equal(got[0], 1);
	assert_int_equal(state_listing_put(st, "a@corp.example", "forward",
					   NULL, &err), 0);
	assert_int_equal(state_listing_get(st, "a@corp.example", "forward",
					   got, &err), 0);
	/* bulk mode on and off: commits still land */
	assert_int_equal(state_bulk(st, true, &err), 0);
	assert_int_equal(state_listing_put(st, "b@corp.example", "forward", d,
					   &err), 0);
	assert_int_equal(state_bulk(st, false, &err), 0);
	state_close(st);
	assert_int_equal(state_open(p, STATE_READONLY, &st, &err), 0);
	assert_int_equal(state_listing_get(st, "b@corp.example", "forward",
					   got, &err), 1);
	state_close(st);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_mode_and_version),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_foreign_files_refused),
		cmocka_unit_test(test_run_lock),
		cmocka_unit_test(test_users_roundtrip),
		cmocka_unit_test(test_runs_steps_events),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_upgrade_and_listing),
	};

	return cmocka_run_group_tests_name("state", tests, setup, teardown);
}
