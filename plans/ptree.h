/*
 * ptree.h -- YAML text into a small tree of our own, with positions.
 *
 * The only part of migrate that sees libyaml.  ptree_parse() reads one
 * YAML document with the event API and builds a tree of scalars,
 * sequences and mappings, each with its 1-based line and column.  It
 * refuses what a plan never needs and a hostile file could abuse:
 * anchors and aliases, nesting deeper than PTREE_MAX_DEPTH, scalars over
 * PTREE_MAX_SCALAR bytes, more than PTREE_MAX_NODES values, NUL bytes,
 * tags other than the YAML core ones, several documents.  Duplicate keys
 * in a mapping (which libyaml accepts) are reported and the later one is
 * dropped; so are mapping keys that are not scalars.
 *
 * Ownership: the tree belongs to the caller (ptree_free).  Problems go to
 * the caller's plan_diags, named with the `file` given (borrowed).
 */
#ifndef PTREE_H
#define PTREE_H

#include <stdbool.h>
#include <stddef.h>

struct plan_diags;

#define PTREE_MAX_DEPTH 32
#define PTREE_MAX_SCALAR ((size_t)64 << 10)
#define PTREE_MAX_NODES ((size_t)1 << 20)

enum ptree_kind { PTREE_SCALAR = 0, PTREE_SEQ, PTREE_MAP };

/* Explicit core tags on a scalar (!!str, !!int, ...). */
enum ptree_tag {
	PTREE_TAG_NONE = 0, PTREE_TAG_STR, PTREE_TAG_INT, PTREE_TAG_BOOL,
	PTREE_TAG_NULL, PTREE_TAG_FLOAT,
};

struct ptree {
	enum ptree_kind kind;
	unsigned line, col;	/* 1-based */
	/* PTREE_SCALAR */
	char *str;		/* NUL-terminated (a NUL inside is refused) */
	size_t len;
	bool plain;		/* plain style: may be null, a number, a bool */
	enum ptree_tag tag;
	/* PTREE_SEQ: kids[i]; PTREE_MAP: key kids[2i], value kids[2i+1] */
	struct ptree **kids;
	size_t n;		/* items, or pairs for a mapping */
	size_t alloc;
};

/*
 * Parse data[0..len).  Returns the root (NULL for an empty stream too) and
 * adds a diag for every problem; *fatal is set when the tree could not be
 * built at all (syntax error, alias, too deep...).
 */
struct ptree *ptree_parse(const char *file, const char *data, size_t len,
			  struct plan_diags *d, bool *fatal);
struct ptree *ptree_free(struct ptree *t);	/* returns NULL */

/* Mapping access: the key at pair i, its value; NULL when absent. */
static inline struct ptree *ptree_key(const struct ptree *m, size_t i)
{
	return m->kids[2 * i];
}
static inline struct ptree *ptree_val(const struct ptree *m, size_t i)
{
	return m->kids[2 * i + 1];
}
struct ptree *ptree_get(const struct ptree *map, const char *key);

/* A plain null (empty, ~, null) or !!null scalar? */
bool ptree_is_null(const struct ptree *t);
/* Name of the node's kind for messages: "a mapping", "a list", "a value". */
const char *ptree_kind_name(const struct ptree *t);

#endif
