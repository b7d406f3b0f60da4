/*
 * state.c -- the SQLite state store (see state.h).  The only file that
 * includes sqlite3.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "migrate/state.h"
#include "migrate/state_db.h"
#include "migrate/state_schema.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define STMT_CACHE 128

struct stmt_slot {
	const char *sql;	/* static string: cached by address */
	sqlite3_stmt *stmt;
};

struct state {
	sqlite3 *db;
	char *path;
	int lock_fd;
	int txn_depth;
	struct stmt_slot cache[STMT_CACHE];
};

static int db_err(struct state *st, struct err *err, const char *what)
{
	err_set(err, ERR_STORE,
		sqlite3_errcode(st->db) == SQLITE_BUSY ? RETRY_LATER :
							 RETRY_NEVER,
		"state '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
	err->code = sqlite3_errcode(st->db);
	return -1;
}

/* A prepared statement for a static SQL string, reset and ready to bind. */
static sqlite3_stmt *prep(struct state *st, const char *sql, struct err *err)
{
	size_t i;

	for (i = 0; i < STMT_CACHE && st->cache[i].sql; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	}
	if (i == STMT_CACHE) {
		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"state: statement cache full");
		return NULL;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &st->cache[i].stmt, NULL) != SQLITE_OK) {
		db_err(st, err, "prepare");
		return NULL;
	}
	st->cache[i].sql = sql;
	return st->cache[i].stmt;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_time(sqlite3_stmt *s, int i, time_t t)
{
	if (t)
		sqlite3_bind_int64(s, i, (sqlite3_int64)t);
	else
		sqlite3_bind_null(s, i);
}

static void bind_count(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static int64_t col_count(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(s, i);
}

/* Run a statement that returns no rows. */
static int step_done(struct state *st, sqlite3_stmt *s, const char *what,
		     struct err *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_err(st, err, what);
	return 0;
}

static int exec_sql(struct state *st, const char *sql, const char *what,
		    struct err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, ERR_STORE, RETRY_NEVER, "state '%s': %s: %s",
			st->path, what, msg ? msg : sqlite3_errmsg(st->db));
		err->code = sqlite3_errcode(st->db);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

bool state_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

const char *state_path(const struct state *st)
{
	return st->path;
}

int state_schema_version(struct state *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int count_tables(struct state *st)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT count(*) FROM sqlite_master "
			       "WHERE name NOT LIKE 'sqlite_%'",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Bring the schema forward, one version per transaction. */
static int migrate_schema(struct state *st, struct err *err)
{
	int v = state_schema_version(st);
	char sql[64];

	if (v < 0)
		return db_err(st, err, "cannot read the schema version");
	if (v > STATE_SCHEMA_VERSION)
		return err_set(err, ERR_STORE, RETRY_NEVER,
			       "state '%s' has schema version %d, newer than "
			       "this migrate understands (%d): use a newer "
			       "migrate",
			       st->path, v, STATE_SCHEMA_VERSION);
	if (v == 0) {
		int n = count_tables(st);

		if (n < 0)
			return db_err(st, err, "cannot read the schema");
		if (n > 0)
			return err_set(err, ERR_STORE, RETRY_NEVER,
				       "'%s' is an SQLite database but not a "
				       "migrate state file",
				       st->path);
	}
	for (; v < STATE_SCHEMA_VERSION; v++) {
		if (exec_sql(st, "BEGIN IMMEDIATE", "begin migration", err))
			return -1;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (exec_sql(st, state_migrations[v], "schema migration", err) ||
		    exec_sql(st, sql, "schema migration", err) ||
		    exec_sql(st, "COMMIT", "commit migration", err)) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return err_prefix(err, "upgrading schema %d to %d", v,
					  v + 1);
		}
		log_debug(LOGC_STATE, "state '%s': schema %d -> %d", st->path,
			  v, v + 1);
	}
	return 0;
}

int state_open(const char *path, int flags, struct state **out,
	       struct err *err)
{
	struct state *st;
	struct stat sb;
	int fd;

	*out = NULL;
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT || !(flags & STATE_CREATE))
			return err_sys(err, ERR_STORE, "state '%s'", path);
		/* Create it 0600 ourselves: SQLite would honour the umask. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_sys(err, ERR_STORE,
				       "cannot create state '%s'", path);
		close(fd);
	} else if (!S_ISREG(sb.st_mode)) {
		return err_set(err, ERR_STORE, RETRY_NEVER,
			       "state '%s' is not a regular file", path);
	} else if (sb.st_mode & 077) {
		log_warn(LOGC_STATE,
			 "state '%s' was readable by others (mode %04o): "
			 "setting it to 0600",
			 path, (unsigned)(sb.st_mode & 07777));
		if (chmod(path, 0600) < 0)
			return err_sys(err, ERR_STORE, "chmod '%s'", path);
	}

	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	st->lock_fd = -1;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		db_err(st, err, "open");
		state_close(st);
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	if (exec_sql(st, "PRAGMA journal_mode = WAL", "cannot use WAL", err) ||
	    exec_sql(st, "PRAGMA synchronous = FULL", "pragma", err) ||
	    exec_sql(st, "PRAGMA foreign_keys = ON", "pragma", err) ||
	    migrate_schema(st, err)) {
		if ((err->code & 0xff) == SQLITE_NOTADB) {
			err_clear(err);
			err_set(err, ERR_STORE, RETRY_NEVER,
				"'%s' is not a migrate state file (not an "
				"SQLite database)", path);
		}
		state_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

struct state *state_close(struct state *st)
{
	size_t i;

	if (!st)
		return NULL;
	for (i = 0; i < STMT_CACHE && st->cache[i].sql; i++)
		sqlite3_finalize(st->cache[i].stmt);
	state_unlock(st);
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
	return NULL;
}

/* ---- run lock ---------------------------------------------------------- */

int state_lock(struct state *st, const char *command, struct err *err)
{
	char host[256] = "?", started[32], buf[512];
	char *lpath;
	int fd;
	ssize_t n;

	if (st->lock_fd >= 0)
		return 0;
	lpath = xasprintf("%s.lock", st->path);
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_sys(err, ERR_STORE, "lock file '%s'", lpath);
		free(lpath);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof buf - 1, 0);
			buf[n > 0 ? n : 0] = 0;
			buf[strcspn(buf, "\n")] = 0;
			err_set(err, ERR_STORE, RETRY_LATER,
				"state '%s' is in use by %s",
				st->path, buf[0] ? buf : "another process");
		} else {
			errno = e;
			err_sys(err, ERR_STORE, "lock '%s'", lpath);
		}
		close(fd);
		free(lpath);
		return -1;
	}
	gethostname(host, sizeof host - 1);
	timeutil_format_rfc3339(timeutil_now(), started, sizeof started);
	n = snprintf(buf, sizeof buf, "pid %ld on host %s (migrate %s, since %s)\n",
		     (long)getpid(), host, command, started);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn(LOGC_STATE, "cannot write lock file '%s'", lpath);
	free(lpath);
	st->lock_fd = fd;
	return 0;
}

void state_unlock(struct state *st)
{
	if (st->lock_fd < 0)
		return;
	if (ftruncate(st->lock_fd, 0) < 0)
		(void)0;	/* the content is advisory only */
	close(st->lock_fd);	/* releases the flock */
	st->lock_fd = -1;
}

/* ---- transactions ------------------------------------------------------ */

int state_begin(struct state *st, struct err *err)
{
	if (st->txn_depth++ > 0)
		return 0;
	if (exec_sql(st, "BEGIN IMMEDIATE", "begin", err)) {
		st->txn_depth = 0;
		return -1;
	}
	return 0;
}

int state_bulk(struct state *st, bool on, struct err *err)
{
	if (on)
		return exec_sql(st, "PRAGMA synchronous = NORMAL", "pragma",
				err) ? -1 : 0;
	/* a checkpoint syncs the log before it copies it, and the database
	 * after */
	if (exec_sql(st, "PRAGMA synchronous = FULL", "pragma", err) ||
	    exec_sql(st, "PRAGMA wal_checkpoint(PASSIVE)", "checkpoint", err))
		return -1;
	return 0;
}

int state_commit(struct state *st, struct err *err)
{
	if (st->txn_depth == 0 || --st->txn_depth > 0)
		return 0;
	if (exec_sql(st, "COMMIT", "commit", err)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void state_rollback(struct state *st)
{
	if (st->txn_depth == 0)
		return;
	st->txn_depth = 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- metadata ---------------------------------------------------------- */

int state_meta_set(struct state *st, const char *key, const char *value,
		   struct err *err)
{
	static const char sql[] =
		"INSERT INTO meta (key, value) VALUES (?1, ?2) "
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *s = prep(st, sql, err);

	if (!s)
		return -1;
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return step_done(st, s, "meta", err);
}

char *state_meta_get(struct state *st, const char *key, struct err *err)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
	sqlite3_stmt *s = prep(st, sql, err);
	char *v = NULL;

	if (!s)
		return NULL;
	bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = col_text(s, 0);
	sqlite3_reset(s);
	return v;
}

/* ---- runs -------------------------------------------------------------- */

int state_run_begin(struct state *st, const char *command, int64_t *run_id,
		    struct err *err)
{
	static const char sql[] =
		"INSERT INTO runs (command, pid, host, started) "
		"VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *s = prep(st, sql, err);
	char host[256] = "?";

	if (!s)
		return -1;
	gethostname(host, sizeof host - 1);
	bind_text(s, 1, command);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)getpid());
	bind_text(s, 3, host);
	bind_time(s, 4, timeutil_now());
	if (step_done(st, s, "run begin", err))
		return -1;
	*run_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int state_run_end(struct state *st, int64_t run_id, const char *status,
		  int exit_code, struct err *err)
{
	static const char sql[] =
		"UPDATE runs SET finished = ?2, status = ?3, exit_code = ?4 "
		"WHERE id = ?1";
	sqlite3_stmt *s = prep(st, sql, err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	bind_time(s, 2, timeutil_now());
	bind_text(s, 3, status);
	sqlite3_bind_int(s, 4, exit_code);
	return step_done(st, s, "run end", err);
}

void state_run_release(struct state_run *r)
{
	free(r->command);
	free(r->status);
	free(r->host);
	memset(r, 0, sizeof *r);
}

int state_last_run(struct state *st, struct state_run *r, struct err *err)
{
	static const char sql[] =
		"SELECT id, command, status, host, pid, started, finished, "
		"exit_code FROM runs ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s = prep(st, sql, err);
	int rc;

	memset(r, 0, sizeof *r);
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_err(st, err, "last run");
	}
	r->id = sqlite3_column_int64(s, 0);
	r->command = col_text(s, 1);
	r->status = col_text(s, 2);
	r->host = col_text(s, 3);
	r->pid = (long)sqlite3_column_int64(s, 4);
	r->started = (time_t)sqlite3_column_int64(s, 5);
	r->finished = (time_t)sqlite3_column_int64(s, 6);
	r->exit_code = sqlite3_column_int(s, 7);
	sqlite3_reset(s);
	return 1;
}

/* ---- statement layer (state_db.h) -------------------------------------- */

struct state_stmt *state_stmt(struct state *st, const char *sql,
			      struct err *err)
{
	return (struct state_stmt *)prep(st, sql, err);
}

#define S(x) ((sqlite3_stmt *)(x))

void state_bind_text(struct state_stmt *s, int i, const char *v)
{
	bind_text(S(s), i, v);
}

void state_bind_blob(struct state_stmt *s, int i, const void *v, size_t len)
{
	sqlite3_bind_blob64(S(s), i, v, (sqlite3_uint64)len, SQLITE_TRANSIENT);
}

void state_bind_int(struct state_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(S(s), i, (sqlite3_int64)v);
}

void state_bind_null(struct state_stmt *s, int i)
{
	sqlite3_bind_null(S(s), i);
}

void state_bind_time(struct state_stmt *s, int i, time_t t)
{
	bind_time(S(s), i, t);
}

void state_bind_count(struct state_stmt *s, int i, int64_t v)
{
	bind_count(S(s), i, v);
}

int state_row(struct state *st, struct state_stmt *s, const char *what,
	      struct err *err)
{
	int rc = sqlite3_step(S(s));

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(S(s));
	if (rc == SQLITE_DONE)
		return 0;
	return db_err(st, err, what);
}

int state_exec(struct state *st, struct state_stmt *s, const char *what,
	       struct err *err)
{
	return step_done(st, S(s), what, err);
}

void state_stmt_reset(struct state_stmt *s)
{
	sqlite3_reset(S(s));
}

bool state_col_null(struct state_stmt *s, int i)
{
	return sqlite3_column_type(S(s), i) == SQLITE_NULL;
}

const char *state_col_text(struct state_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(S(s), i);
}

char *state_col_strdup(struct state_stmt *s, int i)
{
	return col_text(S(s), i);
}

int64_t state_col_int(struct state_stmt *s, int i)
{
	return sqlite3_column_int64(S(s), i);
}

int64_t state_col_count(struct state_stmt *s, int i)
{
	return col_count(S(s), i);
}

const void *state_col_blob(struct state_stmt *s, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(S(s), i);

	*len = (size_t)sqlite3_column_bytes(S(s), i);
	return p;
}

int64_t state_last_rowid(struct state *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int state_changes(struct state *st)
{
	return sqlite3_changes(st->db);
}
