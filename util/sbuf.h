/*
 * sbuf.h -- growable, binary-safe, always NUL-terminated byte buffer with a
 * size cap (after git's strbuf and curl's dynbuf).
 *
 * The cap is given at init: appending past it fails with -1 and errno set
 * to EMSGSIZE and leaves the buffer as it was, so a hostile literal, HTTP
 * body or child output cannot grow without bound.  Allocation failure
 * aborts (xalloc.h).  buf is never NULL after sbuf_init (it points at an
 * empty string), so it can always be printed.
 *
 *	struct sbuf sb;
 *	sbuf_init(&sb, 1 << 20);
 *	if (sbuf_addf(&sb, "%s:%u", host, port) < 0) ...too big...
 *	sbuf_release(&sb);
 */
#ifndef SBUF_H
#define SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *buf;	/* NUL-terminated; owned by the sbuf */
	size_t len;	/* bytes used, not counting the NUL */
	size_t alloc;	/* bytes allocated, 0 while buf points at "" */
	size_t max;	/* the most len may ever be */
};

#define SBUF_MAX_DEFAULT ((size_t)64 << 20)

void sbuf_init(struct sbuf *sb, size_t max);
void sbuf_release(struct sbuf *sb);	/* frees; sbuf is then empty */
void sbuf_clear(struct sbuf *sb);	/* len = 0, keeps allocation */
/* Overwrite the contents with zeros before clearing (for secrets). */
void sbuf_wipe(struct sbuf *sb);

int sbuf_add(struct sbuf *sb, const void *data, size_t len);
int sbuf_addstr(struct sbuf *sb, const char *s);
int sbuf_addch(struct sbuf *sb, int c);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Shorten to len (no-op if already shorter). */
void sbuf_truncate(struct sbuf *sb, size_t len);
/* Strip trailing whitespace (spaces, tabs, CR, LF). */
void sbuf_rtrim(struct sbuf *sb);
/* Hand the buffer to the caller (free() it); the sbuf is left empty.
 * Never returns NULL.  *len may be NULL. */
char *sbuf_detach(struct sbuf *sb, size_t *len);

#endif
