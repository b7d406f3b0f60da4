/*
 * strmap.h -- open-addressing hash map from string keys to pointers.
 *
 * Keys are copied; values are borrowed (the map never frees them).  Used
 * for plan lookups (10,000 users x 100 phases must load in well under a
 * second) and wherever a linear search would go quadratic.
 */
#ifndef STRMAP_H
#define STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
struct strmap *strmap_free(struct strmap *m);	/* returns NULL */
/* Insert or replace.  Returns the previous value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *value);
void *strmap_get(const struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
/* Iterate: *pos starts at 0; returns 0 and fills key/value, -1 at end. */
int strmap_next(const struct strmap *m, size_t *pos, const char **key,
		void **value);

#endif
