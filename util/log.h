/*
 * log.h -- diagnostics on stderr, with debug categories and secret redaction.
 *
 * The logger is process-wide (like Postfix's msg_* functions): every layer
 * logs, and threading a handle through each engine call would buy nothing.
 * Everything else lives in struct app.
 *
 * Lines look like "migrate: error: ...", "migrate: warning: ...",
 * "migrate: info: ..." (info only with -v), and "migrate[imap]: ..." for
 * debug lines (only for categories switched on with -D imap,dns,... or
 * -D all).  Every line passes through the redactor: each secret registered
 * with log_add_secret() is replaced by "<redacted>" wherever it appears,
 * and control characters are shown as '?'.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct err;

enum log_cat {
	LOGC_MAIN = 0,	/* "main" */
	LOGC_PLAN,	/* "plan" */
	LOGC_STATE,	/* "state" */
	LOGC_IMAP,	/* "imap": protocol traces */
	LOGC_SYNC,	/* "sync" */
	LOGC_DNS,	/* "dns" */
	LOGC_GATEWAY,	/* "gateway" */
	LOGC_RUN,	/* "run": child programs */
	LOGC_HTTP,	/* "http" */
	LOGC_SMTP,	/* "smtp": probes of "migrate check --live" */
	LOGC_COUNT
};

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Where lines go (default stderr) and the program name shown. */
void log_set_stream(FILE *fp);
void log_set_progname(const char *name);
/* Show info lines (-v) or hide warnings too (-q): highest level shown for
 * non-debug lines.  Default LOG_WARN. */
void log_set_level(enum log_level level);
/* Switch on debug categories: "imap,dns", "all".  Unknown names fail. */
int log_enable_debug(const char *list, struct err *err);
bool log_debug_on(enum log_cat cat);
const char *log_cat_name(enum log_cat cat);

/* Register a secret: it is never printed.  The logger keeps a copy, wiped
 * at log_forget_secrets().  Empty strings and strings under 3 bytes are
 * ignored (they would redact too much). */
void log_add_secret(const char *secret);
void log_forget_secrets(void);
/* Apply redaction (secrets, control characters) to a string, for callers
 * that print elsewhere (reports).  Returns a new string to free(). */
char *log_redact(const char *s);

void log_error(enum log_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(enum log_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_info(enum log_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_debug(enum log_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A protocol trace line ("C: ..." / "S: ..."), shown under -D CAT.
 * Arguments of LOGIN and AUTHENTICATE, and any registered secret, are
 * replaced by "<redacted>". */
void log_trace(enum log_cat cat, char dir, const char *line, size_t len);

/* Back to the defaults (stderr, LOG_WARN, no debug, no secrets, no trace
 * state): for tests. */
void log_reset(void);

/* Print an error with its category (for the CLI): "migrate: error: MSG". */
void log_err(const struct err *e);

#endif
