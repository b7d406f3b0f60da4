/*
 * json.c -- JSON building on top of jansson.
 *
 * struct json is never defined: a struct json * is a jansson json_t *
 * under another name, so no wrapper objects are allocated.
 */
#include "util/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/str.h"
#include "util/xalloc.h"

static json_t *J(struct json *j)
{
	return (json_t *)(void *)j;
}

static const json_t *CJ(const struct json *j)
{
	return (const json_t *)(const void *)j;
}

static struct json *W(json_t *j)
{
	return (struct json *)(void *)j;
}

static void json_die(const char *what) __attribute__((noreturn));

static void json_die(const char *what)
{
	fprintf(stderr, "migrate: json: %s\n", what);
	abort();
}

static json_t *check(json_t *j)
{
	if (!j)
		json_die("out of memory");
	return j;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

	if (strnlen(s, n) < n)
		return 0;
	return str_utf8_valid(s, n) ? n : 0;
}

/* s, or a copy in *tmp with invalid bytes replaced by '?'. */
static const char *utf8_clean(const char *s, char **tmp)
{
	size_t len = strlen(s), i = 0, o = 0;
	char *d;

	*tmp = NULL;
	if (str_utf8_valid(s, len))
		return s;
	d = xmalloc(len + 1);
	while (s[i]) {
		size_t n = utf8_seq(s + i);

		if (n == 0) {
			d[o++] = '?';
			i++;
			continue;
		}
		memcpy(d + o, s + i, n);
		o += n;
		i += n;
	}
	d[o] = '\0';
	*tmp = d;
	return d;
}

struct json *json_object_new(void)
{
	return W(check(json_object()));
}

struct json *json_array_new(void)
{
	return W(check(json_array()));
}

struct json *json_str_new(const char *s)
{
	char *tmp;
	json_t *j;

	if (!s)
		return json_null_new();
	j = check(json_string(utf8_clean(s, &tmp)));
	free(tmp);
	return W(j);
}

struct json *json_int_new(long long i)
{
	return W(check(json_integer((json_int_t)i)));
}

struct json *json_bool_new(bool b)
{
	return W(check(json_boolean(b)));
}

struct json *json_null_new(void)
{
	return W(check(json_null()));
}

void json_set(struct json *obj, const char *key, struct json *child)
{
	json_t *c = child ? J(child) : check(json_null());
	char *tmp;

	if (!json_is_object(J(obj)))
		json_die("json_set on a non-object");
	if (json_object_set_new(J(obj), utf8_clean(key, &tmp), c) < 0)
		json_die("out of memory");
	free(tmp);
}

void json_set_str(struct json *obj, const char *key, const char *val)
{
	json_set(obj, key, json_str_new(val));
}

void json_set_int(struct json *obj, const char *key, long long val)
{
	json_set(obj, key, json_int_new(val));
}

void json_set_bool(struct json *obj, const char *key, bool val)
{
	json_set(obj, key, json_bool_new(val));
}

void json_append(struct json *arr, struct json *child)
{
	json_t *c = child ? J(child) : check(json_null());

	if (!json_is_array(J(arr)))
		json_die("json_append on a non-array");
	if (json_array_append_new(J(arr), c) < 0)
		json_die("out of memory");
}

char *json_dump(const struct json *j, bool pretty)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
	char *s, *out;

	if (pretty)
		flags |= JSON_INDENT(2);
	else
		flags |= JSON_COMPACT;
	s = json_dumps(CJ(j), flags);
	if (!s)
		json_die("out of memory");
	out = xstrdup(s);
	free(s);
	return out;
}

struct json *json_free(struct json *j)
{
	if (j)
		json_decref(J(j));
	return NULL;
}

/* ---- reading ----------------------------------------------------------- */

struct json *json_parse(const char *text, size_t len, const char *what,
			struct err *err)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!j) {
		err_set(err, ERR_REMOTE, RETRY_NEVER,
			"%s: not valid JSON at line %d column %d: %s", what,
			je.line, je.column, je.text);
		return NULL;
	}
	return W(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
	const json_t *o = CJ(obj);

	if (!o || !json_is_object(o))
		return NULL;
	return (const struct json *)(const void *)json_object_get(o, key);
}

const char *json_get_str(const struct json *obj, const char *key)
{
	const json_t *v = CJ(json_get(obj, key));

	return v && json_is_string(v) ? json_string_value(v) : NULL;
}

int json_get_int(const struct json *obj, const char *key, long long *out)
{
	const json_t *v = CJ(json_get(obj, key));

	if (!v || !json_is_integer(v))
		return -1;
	*out = (long long)json_integer_value(v);
	return 0;
}
