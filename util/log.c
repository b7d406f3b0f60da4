/*
 * log.c -- the process-wide logger: levels, debug categories, redaction.
 *
 * All state sits behind one mutex so engine threads may log freely.
 * Redaction looks up registered secrets by their first byte, so a
 * per-user secrets file with thousands of entries stays cheap per line.
 */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define LOG_LINE_MAX 8192	/* longer lines are cut (after redaction) */
#define LOG_TAG_MAX 32
#define REDACTED "<redacted>"

static const char *const cat_names[LOGC_COUNT] = {
	[LOGC_MAIN] = "main",	    [LOGC_PLAN] = "plan",
	[LOGC_STATE] = "state",	    [LOGC_IMAP] = "imap",
	[LOGC_SYNC] = "sync",	    [LOGC_DNS] = "dns",
	[LOGC_GATEWAY] = "gateway", [LOGC_RUN] = "run",
	[LOGC_HTTP] = "http",	    [LOGC_SMTP] = "smtp",
};

struct secret_bucket {
	char **v;
	size_t *len;
	size_t n, cap;
};

/* Per-category protocol trace state (see log_trace). */
struct trace_state {
	bool redact_next;		/* next client line is all secret */
	char sasl_tag[LOG_TAG_MAX];	/* AUTHENTICATE in progress, or "" */
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_stream;		/* NULL: stderr */
static char *log_progname;		/* NULL: "migrate" */
static enum log_level log_level = LOG_WARN;
static unsigned log_debug_mask;
static struct secret_bucket log_secrets[256];
static size_t log_nsecrets;
static struct trace_state log_traces[LOGC_COUNT];

void log_set_stream(FILE *fp)
{
	pthread_mutex_lock(&log_lock);
	log_stream = fp;
	pthread_mutex_unlock(&log_lock);
}

void log_set_progname(const char *name)
{
	pthread_mutex_lock(&log_lock);
	free(log_progname);
	log_progname = name ? xstrdup(name) : NULL;
	pthread_mutex_unlock(&log_lock);
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

const char *log_cat_name(enum log_cat cat)
{
	if ((unsigned)cat >= LOGC_COUNT)
		return "unknown";
	return cat_names[cat];
}

bool log_debug_on(enum log_cat cat)
{
	if ((unsigned)cat >= LOGC_COUNT)
		return false;
	return (log_debug_mask >> cat) & 1u;
}

static int log_unknown_cat(const char *name, size_t n, struct err *err)
{
	struct sbuf known;
	int rc;

	sbuf_init(&known, 1024);
	for (int i = 0; i < LOGC_COUNT; i++)
		sbuf_addf(&known, "%s, ", cat_names[i]);
	sbuf_addstr(&known, "all");
	rc = err_set(err, ERR_USAGE, RETRY_NEVER,
		     "unknown debug category '%.*s' (known: %s)", (int)n, name,
		     known.buf);
	sbuf_release(&known);
	return rc;
}

int log_enable_debug(const char *list, struct err *err)
{
	unsigned mask = 0;
	const char *p = list ? list : "";

	while (*p) {
		size_t n;
		int i;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ", ");
		if (n == 0)
			break;
		if (n == 3 && strncmp(p, "all", 3) == 0) {
			mask = (1u << LOGC_COUNT) - 1;
		} else {
			for (i = 0; i < LOGC_COUNT; i++)
				if (strlen(cat_names[i]) == n &&
				    strncmp(p, cat_names[i], n) == 0)
					break;
			if (i == LOGC_COUNT)
				return log_unknown_cat(p, n, err);
			mask |= 1u << i;
		}
		p += n;
	}
	log_debug_mask |= mask;
	return 0;
}

void log_add_secret(const char *secret)
{
	struct secret_bucket *b;
	size_t n;

	if (!secret || (n = strlen(secret)) < 3)
		return;
	pthread_mutex_lock(&log_lock);
	b = &log_secrets[(unsigned char)secret[0]];
	for (size_t i = 0; i < b->n; i++)
		if (b->len[i] == n && memcmp(b->v[i], secret, n) == 0)
			goto out;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
		b->len = xreallocarray(b->len, b->cap, sizeof(*b->len));
	}
	b->v[b->n] = xmemdup(secret, n + 1);
	b->len[b->n] = n;
	b->n++;
	log_nsecrets++;
out:
	pthread_mutex_unlock(&log_lock);
}

static void log_forget_secrets_locked(void)
{
	for (size_t i = 0; i < 256; i++) {
		struct secret_bucket *b = &log_secrets[i];

		for (size_t k = 0; k < b->n; k++) {
			explicit_bzero(b->v[k], b->len[k]);
			free(b->v[k]);
		}
		free(b->v);
		free(b->len);
		memset(b, 0, sizeof(*b));
	}
	log_nsecrets = 0;
}

void log_forget_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	log_forget_secrets_locked();
	pthread_mutex_unlock(&log_lock);
}

void log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	log_forget_secrets_locked();
	log_stream = NULL;
	free(log_progname);
	log_progname = NULL;
	log_level = LOG_WARN;
	log_debug_mask = 0;
	memset(log_traces, 0, sizeof(log_traces));
	pthread_mutex_unlock(&log_lock);
}

/* Append s[0..n) to out with secrets and control characters replaced.
 * Caller holds log_lock. */
static void redact_into(struct sbuf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const struct secret_bucket *b = &log_secrets[c];
		size_t best = 0;

		for (size_t k = 0; k < b->n; k++)
			if (b->len[k] > best && b->len[k] <= n - i &&
			    memcmp(s + i, b->v[k], b->len[k]) == 0)
				best = b->len[k];
		if (best) {
			sbuf_addstr(out, REDACTED);
			i += best;
			continue;
		}
		sbuf_addch(out, c < 0x20 || c == 0x7f ? '?' : c);
		i++;
	}
}

char *log_redact(const char *s)
{
	struct sbuf out;

	sbuf_init(&out, SBUF_MAX_DEFAULT);
	pthread_mutex_lock(&log_lock);
	if (s)
		redact_into(&out, s, strlen(s));
	pthread_mutex_unlock(&log_lock);
	return sbuf_detach(&out, NULL);
}

/* Emit one line: prefix (trusted), then body (redacted).  Holds the lock. */
static void log_emit(const char *prefix, const char *body, size_t n)
{
	struct sbuf line;
	FILE *fp;

	sbuf_init(&line, SBUF_MAX_DEFAULT);
	pthread_mutex_lock(&log_lock);
	sbuf_addstr(&line, log_progname ? log_progname : "migrate");
	sbuf_addstr(&line, prefix);
	redact_into(&line, body, n);
	if (line.len > LOG_LINE_MAX) {
		sbuf_truncate(&line, LOG_LINE_MAX);
		sbuf_addstr(&line, "...");
	}
	sbuf_addch(&line, '\n');
	fp = log_stream ? log_stream : stderr;
	fwrite(line.buf, 1, line.len, fp);
	fflush(fp);
	pthread_mutex_unlock(&log_lock);
	sbuf_release(&line);
}

static void log_vemit(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_vemit(const char *prefix, const char *fmt, va_list ap)
{
	struct sbuf body;

	sbuf_init(&body, SBUF_MAX_DEFAULT);
	if (sbuf_vaddf(&body, fmt, ap) < 0)
		sbuf_addstr(&body, "(message too long)");
	log_emit(prefix, body.buf, body.len);
	sbuf_release(&body);
}

void log_error(enum log_cat cat, const char *fmt, ...)
{
	va_list ap;

	(void)cat;
	va_start(ap, fmt);
	log_vemit(": error: ", fmt, ap);
	va_end(ap);
}

void log_warn(enum log_cat cat, const char *fmt, ...)
{
	va_list ap;

	(void)cat;
	if (log_level < LOG_WARN)
		return;
	va_start(ap, fmt);
	log_vemit(": warning: ", fmt, ap);
	va_end(ap);
}

void log_info(enum log_cat cat, const char *fmt, ...)
{
	va_list ap;

	(void)cat;
	if (log_level < LOG_INFO)
		return;
	va_start(ap, fmt);
	log_vemit(": info: ", fmt, ap);
	va_end(ap);
}

static void debug_prefix(char *buf, size_t size, enum log_cat cat)
{
	snprintf(buf, size, "[%s]: ", log_cat_name(cat));
}

void log_debug(enum log_cat cat, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	if (!log_debug_on(cat))
		return;
	debug_prefix(prefix, sizeof(prefix), cat);
	va_start(ap, fmt);
	log_vemit(prefix, fmt, ap);
	va_end(ap);
}

void log_err(const struct err *e)
{
	const char *msg = e && e->msg[0] ? e->msg : NULL;

	if (!msg)
		msg = e && err_isset(e) ? err_cat_name(e->cat) : "unknown error";
	log_emit(": error: ", msg, strlen(msg));
}

/* ---- protocol traces ---- */

/* Does s[0..n) end with an IMAP literal marker "{N}" or "{N+}"? */
static bool ends_with_literal(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || s[n - 1] != '}')
		return false;
	i = n - 2;
	if (s[i] == '+' || s[i] == '-')
		i--;
	if (s[i] < '0' || s[i] > '9')
		return false;
	while (i > 0 && s[i] >= '0' && s[i] <= '9')
		i--;
	return s[i] == '{';
}

/* Length of the IMAP astring at s (atom, "quoted" or {literal}); 0 if it
 * cannot be parsed (e.g. an unterminated quote). */
static size_t astring_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (s[0] == '"') {
		for (i = 1; i < n; i++) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				return i + 1;
		}
		return 0;
	}
	while (i < n && s[i] != ' ')
		i++;
	return i;
}

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* Build the shown form of one client line into out (unredacted parts are
 * still passed through the secret redactor later).  Caller holds lock. */
static void trace_client(struct trace_state *st, const char *s, size_t n,
			 struct sbuf *out)
{
	size_t tag_len, cmd_off, cmd_len, arg, ulen;

	if (st->redact_next) {
		sbuf_addstr(out, REDACTED);
		st->redact_next = ends_with_literal(s, n);
		return;
	}
	/* SASL responses are base64 and never contain a space; commands
	 * always do ("tag SP command"). */
	if (st->sasl_tag[0] && !memchr(s, ' ', n)) {
		sbuf_addstr(out, REDACTED);
		return;
	}
	tag_len = 0;
	while (tag_len < n && s[tag_len] != ' ')
		tag_len++;
	cmd_off = tag_len + 1;
	if (cmd_off >= n)
		goto plain;
	cmd_len = 0;
	while (cmd_off + cmd_len < n && s[cmd_off + cmd_len] != ' ')
		cmd_len++;
	arg = cmd_off + cmd_len + 1;
	if (word_is(s + cmd_off, cmd_len, "LOGIN")) {
		if (arg >= n)
			goto plain;
		if (ends_with_literal(s + arg, n - arg) &&
		    !memchr(s + arg, ' ', n - arg)) {
			/* user is a literal: the next line holds both */
			sbuf_add(out, s, n);
			st->redact_next = true;
			return;
		}
		ulen = astring_len(s + arg, n - arg);
		if (ulen == 0) {
			sbuf_add(out, s, arg);
			sbuf_addstr(out, REDACTED);
			return;
		}
		sbuf_add(out, s, arg + ulen);
		if (arg + ulen < n) {
			sbuf_addch(out, ' ');
			sbuf_addstr(out, REDACTED);
			st->redact_next = ends_with_literal(s, n);
		}
		return;
	}
	if (word_is(s + cmd_off, cmd_len, "AUTHENTICATE")) {
		size_t mlen = 0;

		snprintf(st->sasl_tag, sizeof(st->sasl_tag), "%.*s",
			 (int)(tag_len < LOG_TAG_MAX - 1 ? tag_len
							 : LOG_TAG_MAX - 1),
			 s);
		if (!st->sasl_tag[0])
			snprintf(st->sasl_tag, sizeof(st->sasl_tag), "*");
		while (arg + mlen < n && s[arg + mlen] != ' ')
			mlen++;
		if (arg >= n || arg + mlen >= n) {
			/* no initial response: the next line is one */
			sbuf_add(out, s, n);
			st->redact_next = true;
			return;
		}
		sbuf_add(out, s, arg + mlen);
		sbuf_addch(out, ' ');
		sbuf_addstr(out, REDACTED);
		return;
	}
plain:
	sbuf_add(out, s, n);
}

static void trace_server(struct trace_state *st, const char *s, size_t n)
{
	size_t tl = strlen(st->sasl_tag);

	if (tl && n > tl && s[tl] == ' ' && memcmp(s, st->sasl_tag, tl) == 0)
		st->sasl_tag[0] = '\0';
}

static void trace_one(enum log_cat cat, char dir, const char *s, size_t n)
{
	struct trace_state *st = &log_traces[cat];
	bool client = dir == 'C' || dir == 'c' || dir == '>';
	struct sbuf shown;
	char prefix[48];

	if (n && s[n - 1] == '\r')
		n--;
	sbuf_init(&shown, SBUF_MAX_DEFAULT);
	pthread_mutex_lock(&log_lock);
	if (client)
		trace_client(st, s, n, &shown);
	else {
		trace_server(st, s, n);
		sbuf_add(&shown, s, n);
	}
	pthread_mutex_unlock(&log_lock);
	snprintf(prefix, sizeof(prefix), "[%s]: %c: ", log_cat_name(cat),
		 dir ? dir : '?');
	log_emit(prefix, shown.buf, shown.len);
	sbuf_wipe(&shown);
	sbuf_release(&shown);
}

void log_trace(enum log_cat cat, char dir, const char *line, size_t len)
{
	size_t start = 0;

	if (!log_debug_on(cat) || !line)
		return;
	/* A chunk may hold several lines; each updates the state. */
	while (start < len) {
		const char *nl = memchr(line + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - line) : len;

		trace_one(cat, dir, line + start, end - start);
		start = end + 1;
	}
	if (len == 0)
		trace_one(cat, dir, line, 0);
}
