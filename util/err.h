/*
 * err.h -- error values that say what failed, where, and whether to retry.
 *
 * Functions that can fail return 0 / -1 and fill a caller-provided
 * struct err.  The first error set wins: a later err_set on a struct that
 * already holds an error is ignored, so the root cause is never overwritten.
 * Callers add context on the way up with err_prefix():
 *
 *	phase 'wave-2': user 'bob@example.com': folder 'Sent': APPEND uid 4711: [OVERQUOTA] ...
 *
 * Messages are lowercase, with no final full stop, names quoted 'like this'.
 * Server text placed in a message should go through str_sanitize() first.
 */
#ifndef ERR_H
#define ERR_H

#include <stdbool.h>

enum err_cat {
	ERR_NONE = 0,
	ERR_USAGE,	/* bad command line */
	ERR_PLAN,	/* the plan is wrong */
	ERR_AUTH,	/* a server refused our credentials */
	ERR_REMOTE,	/* a server failed, refused or is unreachable */
	ERR_IO,		/* local files, disk, child programs */
	ERR_STORE,	/* the state store */
	ERR_CONFIG,	/* local configuration (secret file mode, missing tool) */
	ERR_INTERNAL,	/* a bug */
};

enum err_retry {
	RETRY_NEVER = 0,	/* retrying will fail the same way */
	RETRY_NOW,		/* transient: reconnect and try again at once */
	RETRY_LATER,		/* try again on a later run (exit 75) */
};

#define ERR_MSG_MAX 1024

struct err {
	enum err_cat cat;
	enum err_retry retry;
	int sys_errno;		/* saved errno, 0 if none */
	int code;		/* library or protocol code, 0 if none */
	char msg[ERR_MSG_MAX];
};

void err_clear(struct err *e);
static inline bool err_isset(const struct err *e) { return e->cat != ERR_NONE; }

/* Set the error unless one is already set.  Always returns -1. */
int err_set(struct err *e, enum err_cat cat, enum err_retry retry,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Like err_set, appending ": strerror(errno)" and saving errno.  The retry
 * class is derived from errno (EINTR, EAGAIN, ETIMEDOUT, ECONNREFUSED,
 * ECONNRESET... are RETRY_LATER; the rest RETRY_NEVER). */
int err_sys(struct err *e, enum err_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message of a set error.  Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Copy src into dst unless dst already holds an error.  Returns -1. */
int err_copy(struct err *dst, const struct err *src);

const char *err_cat_name(enum err_cat cat);

/* sysexits-style exit codes used by the CLI. */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 64,	/* EX_USAGE */
	EXIT_DATAERR = 65,	/* EX_DATAERR: bad plan */
	EXIT_UNAVAILABLE = 69,	/* EX_UNAVAILABLE */
	EXIT_SOFTWARE = 70,	/* EX_SOFTWARE: internal error */
	EXIT_CANTCREAT = 73,	/* EX_CANTCREAT */
	EXIT_IOERR = 74,	/* EX_IOERR */
	EXIT_TEMPFAIL = 75,	/* EX_TEMPFAIL: rerun to resume */
	EXIT_NOPERM = 77,	/* EX_NOPERM: auth refused */
	EXIT_CONFIG = 78,	/* EX_CONFIG */
	EXIT_PARTIAL = 3,	/* finished, some users failed */
};
/* The exit code for an error (by category and retry class). */
int err_exit_code(const struct err *e);

#endif
