/*
 * gateway_table.c -- routing tables: build, sort, render, parse
 * (see gateway.h).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

void gateway_table_init(struct gateway_table *t)
{
	memset(t, 0, sizeof *t);
	t->sorted = true;
}

void gateway_table_release(struct gateway_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	gateway_table_init(t);
}

/* A word the map format can carry: non-empty, no whitespace, no control
 * characters. */
static bool word_ok(const char *s)
{
	const unsigned char *p;

	if (!s || !*s)
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

int gateway_table_add(struct gateway_table *t, const char *key,
		      const char *value, struct err *err)
{
	struct gateway_entry *e;

	if (!word_ok(key) || key[0] == '#') {
		char *k = str_sanitize(key ? key : "", 80);

		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"routing table: key '%s' cannot be written to a map "
			"(empty, whitespace, control character or '#')", k);
		free(k);
		return -1;
	}
	if (!word_ok(value)) {
		char *v = str_sanitize(value ? value : "", 80);

		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"routing table: key '%s': value '%s' cannot be "
			"written to a map (empty, whitespace or control "
			"character)", key, v);
		free(v);
		return -1;
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 16;
		t->v = xreallocarray(t->v, t->alloc, sizeof *t->v);
	}
	e = &t->v[t->n++];
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	if (t->n > 1 && strcmp(t->v[t->n - 2].key, key) >= 0)
		t->sorted = false;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct gateway_entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int gateway_table_sort(struct gateway_table *t, struct err *err)
{
	size_t i, o;

	if (!t->sorted)
		qsort(t->v, t->n, sizeof *t->v, entry_cmp);
	for (i = 1; i < t->n; i++) {
		if (strcmp(t->v[i - 1].key, t->v[i].key) == 0 &&
		    strcmp(t->v[i - 1].value, t->v[i].value) != 0)
			return err_set(err, ERR_INTERNAL, RETRY_NEVER,
				       "routing table: '%s' is routed both "
				       "to '%s' and to '%s'", t->v[i].key,
				       t->v[i - 1].value, t->v[i].value);
	}
	for (i = 1, o = t->n ? 1 : 0; i < t->n; i++) {
		if (strcmp(t->v[o - 1].key, t->v[i].key) == 0) {
			free(t->v[i].key);
			free(t->v[i].value);
			continue;
		}
		t->v[o++] = t->v[i];
	}
	t->n = o;
	t->sorted = true;
	return 0;
}

const char *gateway_table_get(const struct gateway_table *t, const char *key)
{
	size_t lo = 0, hi = t->n;

	if (!t->sorted) {
		size_t i;

		for (i = 0; i < t->n; i++)
			if (strcmp(t->v[i].key, key) == 0)
				return t->v[i].value;
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->v[mid].key, key);

		if (c == 0)
			return t->v[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int gateway_table_render(const struct gateway_table *t, const char *header,
			 struct sbuf *out, struct err *err)
{
	const char *p = header;
	size_t i;
	int rc = 0;

	if (!t->sorted)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "routing table rendered before sorting");
	while (p && *p) {
		size_t n = strcspn(p, "\n");

		rc |= sbuf_addstr(out, n ? "# " : "#");
		rc |= sbuf_add(out, p, n);
		rc |= sbuf_addch(out, '\n');
		p += n;
		if (*p == '\n')
			p++;
	}
	for (i = 0; i < t->n; i++)
		rc |= sbuf_addf(out, "%s\t%s\n", t->v[i].key, t->v[i].value);
	if (rc)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "routing table: %zu entries do not fit in "
			       "memory limits", t->n);
	return 0;
}

/* Add one logical line "key value..." to t. */
static int parse_line(struct gateway_table *t, const char *name,
		      unsigned lineno, struct sbuf *line, struct err *err)
{
	char *s = line->buf, *key, *val, *end, *k;

	sbuf_rtrim(line);
	key = s + strspn(s, " \t");
	end = key + strcspn(key, " \t");
	val = end + strspn(end, " \t");
	if (!*key)
		return 0;
	if (!*val) {
		*end = 0;
		k = str_sanitize(key, 80);

		err_set(err, ERR_IO, RETRY_NEVER,
			"%s:%u: key '%s' has no value", name, lineno, k);
		free(k);
		return -1;
	}
	*end = 0;
	if (gateway_table_add(t, key, val, err) < 0) {
		/* Values with spaces are legal in maps: keep them whole. */
		struct gateway_entry *e;

		if (!word_ok(key) || strpbrk(val, "\r\n"))
			return err_prefix(err, "%s:%u", name, lineno);
		err_clear(err);
		if (t->n == t->alloc) {
			t->alloc = t->alloc ? 2 * t->alloc : 16;
			t->v = xreallocarray(t->v, t->alloc, sizeof *t->v);
		}
		e = &t->v[t->n++];
		e->key = xstrdup(key);
		e->value = xstrdup(val);
		t->sorted = false;
	}
	return 0;
}

int gateway_table_parse(struct gateway_table *t, const char *name,
			const char *text, size_t len, struct err *err)
{
	struct sbuf line;
	const char *p = text, *end = text + len;
	unsigned lineno = 0, start = 0;
	int rc = 0;

	sbuf_init(&line, SBUF_MAX_DEFAULT);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q = p;

		lineno++;
		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		if (q == p + n || *q == '#') {
			/* blank or comment: ends nothing, adds nothing */
		} else if (q != p && line.len) {
			/* continuation of the logical line */
			rc = sbuf_addch(&line, ' ') | sbuf_add(&line, q,
						(size_t)(p + n - q));
		} else {
			if (line.len)
				rc = parse_line(t, name, start, &line, err);
			sbuf_clear(&line);
			start = lineno;
			if (rc == 0)
				rc = sbuf_add(&line, q, (size_t)(p + n - q));
		}
		p += n + (nl ? 1 : 0);
	}
	if (rc == 0 && line.len)
		rc = parse_line(t, name, start, &line, err);
	if (rc && !err_isset(err))
		err_set(err, ERR_IO, RETRY_NEVER, "%s: line too long", name);
	sbuf_release(&line);
	return rc ? -1 : 0;
}
