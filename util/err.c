/*
 * err.c -- error values: first error wins, context prepended on the way up.
 */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct err *e)
{
	e->cat = ERR_NONE;
	e->retry = RETRY_NEVER;
	e->sys_errno = 0;
	e->code = 0;
	e->msg[0] = '\0';
}

static void err_vset(struct err *e, enum err_cat cat, enum err_retry retry,
		     const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void err_vset(struct err *e, enum err_cat cat, enum err_retry retry,
		     const char *fmt, va_list ap)
{
	e->cat = cat == ERR_NONE ? ERR_INTERNAL : cat;
	e->retry = retry;
	e->sys_errno = 0;
	e->code = 0;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int err_set(struct err *e, enum err_cat cat, enum err_retry retry,
	    const char *fmt, ...)
{
	va_list ap;

	if (!e || err_isset(e))
		return -1;
	va_start(ap, fmt);
	err_vset(e, cat, retry, fmt, ap);
	va_end(ap);
	return -1;
}

/* Append src to the NUL-terminated dst, cutting at size - 1 bytes. */
static void err_append(char *dst, size_t size, const char *src)
{
	size_t n = strlen(dst), m = strlen(src);

	if (n + 1 >= size)
		return;
	if (m > size - n - 1)
		m = size - n - 1;
	memcpy(dst + n, src, m);
	dst[n + m] = '\0';
}

static enum err_retry err_retry_of_errno(int errnum)
{
	switch (errnum) {
	case EINTR:
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case ETIMEDOUT:
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EPIPE:
	case ENOBUFS:
	case EBUSY:
		return RETRY_LATER;
	default:
		return RETRY_NEVER;
	}
}

int err_sys(struct err *e, enum err_cat cat, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!e || err_isset(e)) {
		errno = saved;
		return -1;
	}
	va_start(ap, fmt);
	err_vset(e, cat, err_retry_of_errno(saved), fmt, ap);
	va_end(ap);
	e->sys_errno = saved;
	err_append(e->msg, sizeof(e->msg), ": ");
	err_append(e->msg, sizeof(e->msg), strerror(saved));
	errno = saved;
	return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char tmp[ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!e || !err_isset(e))
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	err_append(tmp, sizeof(tmp), ": ");
	err_append(tmp, sizeof(tmp), e->msg);
	memcpy(e->msg, tmp, sizeof(e->msg));
	return -1;
}

int err_copy(struct err *dst, const struct err *src)
{
	if (!dst || err_isset(dst) || !src || dst == src)
		return -1;
	*dst = *src;
	return -1;
}

const char *err_cat_name(enum err_cat cat)
{
	switch (cat) {
	case ERR_NONE:
		return "none";
	case ERR_USAGE:
		return "usage";
	case ERR_PLAN:
		return "plan";
	case ERR_AUTH:
		return "auth";
	case ERR_REMOTE:
		return "remote";
	case ERR_IO:
		return "io";
	case ERR_STORE:
		return "state";
	case ERR_CONFIG:
		return "config";
	case ERR_INTERNAL:
		return "internal";
	}
	return "unknown";
}

int err_exit_code(const struct err *e)
{
	if (!e)
		return EXIT_OK;
	switch (e->cat) {
	case ERR_NONE:
		return EXIT_OK;
	case ERR_USAGE:
		return EXIT_USAGE;
	case ERR_PLAN:
		return EXIT_DATAERR;
	case ERR_AUTH:
		return EXIT_NOPERM;
	case ERR_REMOTE:
		return e->retry == RETRY_NEVER ? EXIT_UNAVAILABLE
					       : EXIT_TEMPFAIL;
	case ERR_IO:
		return e->retry == RETRY_LATER ? EXIT_TEMPFAIL : EXIT_IOERR;
	case ERR_STORE:
		return e->retry == RETRY_LATER ? EXIT_TEMPFAIL
					       : EXIT_CANTCREAT;
	case ERR_CONFIG:
		return EXIT_CONFIG;
	case ERR_INTERNAL:
		return EXIT_SOFTWARE;
	}
	return EXIT_SOFTWARE;
}
