/*
 * xalloc.h -- allocators that abort on out-of-memory.
 *
 * migrate cannot do anything useful once malloc fails, and checking every
 * small allocation hides the real error paths, so these never return NULL:
 * on failure they print "migrate: out of memory" and abort().  Sizes are
 * checked for multiplication overflow.  Everything returned is the caller's
 * to free() (or the matching _free function).
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);			/* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmemdup(const void *p, size_t n);

/* free() that returns NULL: p = x_free(p); */
void *x_free(void *p);

/* Free a NULL-terminated array of strings and the array; returns NULL. */
char **strv_free(char **v);
/* Deep copy of a NULL-terminated array of strings (NULL stays NULL). */
char **strv_dup(char *const *v);
size_t strv_len(char *const *v);
/* Append a copy of s to *v (which may be NULL); keeps NULL termination. */
void strv_push(char ***v, const char *s);

#endif
