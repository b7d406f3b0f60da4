/*
 * plan_get.c -- typed values out of a ptree mapping, with messages.
 *
 * Every getter reports its own problem once, naming the key and the
 * context, and returns what it could read, so the caller just carries on
 * and every problem of the plan is found in one run.
 */
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define SHOW_MAX 64	/* bytes of a bad value shown in a message */

static const char *const secret_words[] = {
	"password", "passwd", "pass", "secret", "token", "api_key", "key",
	NULL,
};

static bool plan_get_in(const char *s, const char *const *v)
{
	for (; *v; v++)
		if (strcmp(s, *v) == 0)
			return true;
	return false;
}

static void plan_literal_secret(struct plan_build *b, const struct ptree *at,
				const char *ctx, const char *key)
{
	plan_err_at(b, at, ctx,
		    "'%s' holds a literal secret: the plan may only refer to secrets, with { env: NAME }, { file: PATH } or { command: [ARGV] }",
		    key);
}

/* "a, b or c" */
static char *plan_get_join(const char *const *v, const char *last_sep)
{
	struct sbuf sb;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (size_t i = 0; v[i]; i++) {
		if (i)
			sbuf_addstr(&sb, v[i + 1] ? ", " : last_sep);
		sbuf_addstr(&sb, v[i]);
	}
	return sbuf_detach(&sb, NULL);
}

void plan_get_keys(struct plan_build *b, const struct ptree *map,
		   const char *ctx, const char *const *allowed)
{
	size_t n_allowed = 0;

	if (!map || map->kind != PTREE_MAP)
		return;
	while (allowed[n_allowed])
		n_allowed++;
	for (size_t i = 0; i < map->n; i++) {
		const struct ptree *k = ptree_key(map, i), *v = ptree_val(map, i);
		const char *near;
		char *shown, *all;

		if (plan_get_in(k->str, allowed))
			continue;
		if (plan_get_in(k->str, secret_words) &&
		    v->kind == PTREE_SCALAR && !ptree_is_null(v)) {
			plan_literal_secret(b, k, ctx, k->str);
			continue;
		}
		shown = str_sanitize(k->str, SHOW_MAX);
		near = str_closest(k->str, allowed, n_allowed);
		if (near) {
			plan_err_at(b, k, ctx,
				    "unknown key '%s' (did you mean '%s'?)",
				    shown, near);
		} else {
			all = plan_get_join(allowed, ", ");
			plan_err_at(b, k, ctx, "unknown key '%s' (known keys: %s)",
				    shown, all);
			free(all);
		}
		free(shown);
	}
}

const struct ptree *plan_get_node(struct plan_build *b,
				  const struct ptree *map, const char *key,
				  const char *ctx, bool required)
{
	const struct ptree *v = ptree_get(map, key);

	if (!v && required && map)
		plan_err_at(b, map, ctx, "missing required key '%s'", key);
	return v;
}

char *plan_get_scalar(struct plan_build *b, const struct ptree *t,
		      const char *what, const char *ctx)
{
	if (t->kind == PTREE_SCALAR && !ptree_is_null(t) && t->len)
		return xstrdup(t->str);
	if (t->kind == PTREE_SCALAR)
		plan_err_at(b, t, ctx, "%s must not be empty", what);
	else
		plan_err_at(b, t, ctx, "%s must be a string, not %s", what,
			    ptree_kind_name(t));
	return NULL;
}

char *plan_get_str(struct plan_build *b, const struct ptree *map,
		   const char *key, const char *ctx, bool required)
{
	const struct ptree *v = plan_get_node(b, map, key, ctx, required);
	char *what, *s;

	if (!v)
		return NULL;
	what = xasprintf("'%s'", key);
	s = plan_get_scalar(b, v, what, ctx);
	free(what);
	return s;
}

char *plan_get_path(struct plan_build *b, const struct ptree *map,
		    const char *key, const char *ctx, bool required)
{
	char *s = plan_get_str(b, map, key, ctx, required), *r;

	if (!s)
		return NULL;
	r = plan_resolve_path(b->p, s);
	free(s);
	return r;
}

int plan_get_uint(struct plan_build *b, const struct ptree *map,
		  const char *key, const char *ctx, unsigned min,
		  unsigned max, unsigned *out)
{
	const struct ptree *v = ptree_get(map, key);
	unsigned long long n;

	if (!v)
		return 0;
	if (v->kind != PTREE_SCALAR || str_to_uint(v->str, min, max, &n) < 0) {
		plan_err_at(b, v, ctx, "'%s' must be an integer from %u to %u",
			    key, min, max);
		return -1;
	}
	*out = (unsigned)n;
	return 1;
}

int plan_get_bool(struct plan_build *b, const struct ptree *map,
		  const char *key, const char *ctx, bool *out)
{
	const struct ptree *v = ptree_get(map, key);

	if (!v)
		return 0;
	if (v->kind == PTREE_SCALAR) {
		if (strcmp(v->str, "true") == 0 || strcmp(v->str, "True") == 0 ||
		    strcmp(v->str, "TRUE") == 0) {
			*out = true;
			return 1;
		}
		if (strcmp(v->str, "false") == 0 ||
		    strcmp(v->str, "False") == 0 ||
		    strcmp(v->str, "FALSE") == 0) {
			*out = false;
			return 1;
		}
	}
	plan_err_at(b, v, ctx, "'%s' must be true or false", key);
	return -1;
}

int plan_get_enum(struct plan_build *b, const struct ptree *map,
		  const char *key, const char *ctx,
		  const char *const *names, int *out)
{
	const struct ptree *v = ptree_get(map, key);
	size_t n = 0;
	const char *near;
	char *all, *shown;

	if (!v)
		return 0;
	while (names[n])
		n++;
	if (v->kind == PTREE_SCALAR && !ptree_is_null(v)) {
		for (size_t i = 0; i < n; i++)
			if (str_ieq(v->str, names[i])) {
				*out = (int)i;
				return 1;
			}
	}
	all = plan_get_join(names, " or ");
	if (v->kind != PTREE_SCALAR || ptree_is_null(v)) {
		plan_err_at(b, v, ctx, "'%s' must be %s", key, all);
		free(all);
		return -1;
	}
	shown = str_sanitize(v->str, SHOW_MAX);
	near = str_closest(v->str, names, n);
	if (near)
		plan_err_at(b, v, ctx,
			    "'%s' must be %s, not '%s' (did you mean '%s'?)",
			    key, all, shown, near);
	else
		plan_err_at(b, v, ctx, "'%s' must be %s, not '%s'", key, all,
			    shown);
	free(shown);
	free(all);
	return -1;
}

char **plan_get_strv(struct plan_build *b, const struct ptree *map,
		     const char *key, const char *ctx, bool nonempty,
		     struct plan_pos **posv)
{
	return plan_get_strv_node(b, ptree_get(map, key), key, ctx, nonempty,
				  posv);
}

char **plan_get_strv_node(struct plan_build *b, const struct ptree *v,
			  const char *key, const char *ctx, bool nonempty,
			  struct plan_pos **posv)
{
	char **out = NULL;
	size_t n = 0;

	if (posv)
		*posv = NULL;
	if (!v)
		return NULL;
	if (v->kind != PTREE_SEQ) {
		plan_err_at(b, v, ctx, "'%s' must be a list of strings, not %s",
			    key, ptree_kind_name(v));
		return NULL;
	}
	if (nonempty && v->n == 0) {
		plan_err_at(b, v, ctx, "'%s' must not be an empty list", key);
		return NULL;
	}
	if (posv && v->n)
		*posv = xreallocarray(NULL, v->n, sizeof(**posv));
	for (size_t i = 0; i < v->n; i++) {
		const struct ptree *it = v->kids[i];

		if (it->kind != PTREE_SCALAR) {
			plan_err_at(b, it, ctx,
				    "'%s' items must be strings, not %s", key,
				    ptree_kind_name(it));
			continue;
		}
		if (ptree_is_null(it) || !it->len) {
			plan_err_at(b, it, ctx, "'%s' items must not be empty",
				    key);
			continue;
		}
		strv_push(&out, it->str);
		if (posv)
			(*posv)[n] = plan_pos_of(b, it);
		n++;
	}
	return out;
}

static bool plan_env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

void plan_get_secret(struct plan_build *b, const struct ptree *map,
		     const char *key, const char *ctx, bool required,
		     struct secret_ref *out)
{
	static const char *const kinds[] = { "env", "file", "command", NULL };
	const struct ptree *v = plan_get_node(b, map, key, ctx, required);
	const struct ptree *which = NULL;
	size_t count = 0;
	bool literal = false;

	memset(out, 0, sizeof(*out));
	if (!v)
		return;
	if (v->kind == PTREE_SCALAR) {
		if (ptree_is_null(v))
			plan_err_at(b, v, ctx,
				    "'%s' must not be empty: use { env: NAME }, { file: PATH } or { command: [ARGV] }",
				    key);
		else
			plan_literal_secret(b, v, ctx, key);
		return;
	}
	if (v->kind == PTREE_SEQ) {
		plan_err_at(b, v, ctx,
			    "'%s' must be a secret reference: { env: NAME }, { file: PATH } or { command: [ARGV] }",
			    key);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (!plan_get_in(ptree_key(v, i)->str, kinds)) {
			/* Extra keys may hold the secret itself: never echo. */
			literal = true;
		} else {
			which = ptree_key(v, i);
			count++;
		}
	}
	if (literal) {
		plan_literal_secret(b, v, ctx, key);
		return;
	}
	if (count != 1) {
		plan_err_at(b, v, ctx,
			    "'%s' must have exactly one of env, file or command",
			    key);
		return;
	}
	if (strcmp(which->str, "env") == 0) {
		char *s = plan_get_str(b, v, "env", ctx, true);

		if (s && !plan_env_name_ok(s)) {
			plan_err_at(b, ptree_get(v, "env"), ctx,
				    "'env' must be the name of an environment variable (letters, digits and '_')");
			free(s);
			return;
		}
		if (s) {
			out->kind = SECRET_ENV;
			out->env = s;
		}
	} else if (strcmp(which->str, "file") == 0) {
		char *s = plan_get_path(b, v, "file", ctx, true);

		if (s) {
			out->kind = SECRET_FILE;
			out->file = s;
		}
	} else {
		char **argv = plan_get_strv(b, v, "command", ctx, true, NULL);

		if (argv) {
			out->kind = SECRET_COMMAND;
			out->argv = argv;
		}
	}
}
