/*
 * strmap.c -- open addressing (linear probing), power-of-two table, grown
 * at 70% load.  There is no removal, so no tombstones are needed.
 */
#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xalloc.h"

struct strmap_slot {
	char *key;		/* NULL: empty slot */
	unsigned long long hash;
	void *value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap;		/* power of two */
	size_t count;
};

#define STRMAP_MIN_CAP 16

struct strmap *strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->cap = STRMAP_MIN_CAP;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

struct strmap *strmap_free(struct strmap *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
	return NULL;
}

static struct strmap_slot *strmap_find(struct strmap_slot *slots, size_t cap,
				       const char *key,
				       unsigned long long hash)
{
	size_t mask = cap - 1;
	size_t i = (size_t)hash & mask;

	for (;;) {
		struct strmap_slot *s = &slots[i];

		if (!s->key || (s->hash == hash && strcmp(s->key, key) == 0))
			return s;
		i = (i + 1) & mask;
	}
}

static void strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap * 2;
	struct strmap_slot *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < m->cap; i++) {
		struct strmap_slot *o = &m->slots[i];

		if (o->key)
			*strmap_find(ns, ncap, o->key, o->hash) = *o;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
	unsigned long long h = str_hash(key);
	struct strmap_slot *s;
	void *old;

	if ((m->count + 1) * 10 > m->cap * 7)
		strmap_grow(m);
	s = strmap_find(m->slots, m->cap, key, h);
	if (s->key) {
		old = s->value;
		s->value = value;
		return old;
	}
	s->key = xstrdup(key);
	s->hash = h;
	s->value = value;
	m->count++;
	return NULL;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	s = strmap_find(m->slots, m->cap, key, str_hash(key));
	return s->key ? s->value : NULL;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

int strmap_next(const struct strmap *m, size_t *pos, const char **key,
		void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		const struct strmap_slot *s = &m->slots[*pos];

		if (s->key) {
			if (key)
				*key = s->key;
			if (value)
				*value = s->value;
			(*pos)++;
			return 0;
		}
	}
	return -1;
}
