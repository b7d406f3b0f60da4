/*
 * json.h -- build JSON output (reports, --json).  A thin layer over
 * jansson, which no other module outside dnsctl/ includes.
 *
 * Values are opaque `struct json`.  A value handed to json_set() or
 * json_append() is taken over by its new parent: free only the root, with
 * json_free().  Objects keep keys in insertion order.  Strings that are
 * not valid UTF-8 have their bad bytes shown as '?'.  Allocation failure
 * aborts, as with xalloc.h; using a non-object as an object (or a
 * non-array as an array) is a bug and aborts too.
 *
 *	struct json *o = json_object_new();
 *	json_set_str(o, "user", "bob@example.com");
 *	json_set_int(o, "messages", 4711);
 *	char *s = json_dump(o, false);	// {"user":"bob@example.com",...}
 *	free(s);
 *	json_free(o);
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>

struct err;
struct json;

struct json *json_object_new(void);
struct json *json_array_new(void);
struct json *json_str_new(const char *s);	/* NULL: null */
struct json *json_int_new(long long i);
struct json *json_bool_new(bool b);
struct json *json_null_new(void);

/* Set obj[key] (replacing an earlier value of that key). */
void json_set_str(struct json *obj, const char *key, const char *val);
void json_set_int(struct json *obj, const char *key, long long val);
void json_set_bool(struct json *obj, const char *key, bool val);
void json_set(struct json *obj, const char *key, struct json *child);
void json_append(struct json *arr, struct json *child);

/* Serialise: compact on one line, or indented by 2 when pretty.  No
 * trailing newline.  Returns a new string to free(). */
char *json_dump(const struct json *j, bool pretty);

struct json *json_free(struct json *j);	/* returns NULL */

/* Reading: parse one JSON text (NULL and err set when it is not valid
 * JSON; the message names `what` and the position).  Lookups return
 * borrowed values (NULL when absent or of another type). */
struct json *json_parse(const char *text, size_t len, const char *what,
			struct err *err);
const struct json *json_get(const struct json *obj, const char *key);
const char *json_get_str(const struct json *obj, const char *key);
/* 0 and *out when key holds an integer, -1 otherwise. */
int json_get_int(const struct json *obj, const char *key, long long *out);

#endif
