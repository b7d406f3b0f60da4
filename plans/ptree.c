/*
 * ptree.c -- libyaml events into struct ptree.
 *
 * The event API (not yaml_document_t) is used so every limit is checked as
 * the input is read: an alias, a 33rd level or a huge scalar stops the
 * parse at once instead of after libyaml has built its own tree.
 */
#include "plans/ptree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "plans/plan_int.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define CORE_TAG "tag:yaml.org,2002:"

struct ptree_ctx {
	const char *file;
	const char *data;
	size_t len;
	struct plan_diags *d;
	struct ptree *stack[PTREE_MAX_DEPTH];
	size_t depth;
	struct ptree *root;
	size_t nodes;
	size_t docs;
};

struct ptree *ptree_free(struct ptree *t)
{
	if (!t)
		return NULL;
	/* Depth is bounded by PTREE_MAX_DEPTH, so recursion is safe. */
	for (size_t i = 0; i < t->alloc && t->kids; i++)
		ptree_free(t->kids[i]);
	free(t->kids);
	free(t->str);
	free(t);
	return NULL;
}

struct ptree *ptree_get(const struct ptree *map, const char *key)
{
	if (!map || map->kind != PTREE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(ptree_key(map, i)->str, key) == 0)
			return ptree_val(map, i);
	return NULL;
}

bool ptree_is_null(const struct ptree *t)
{
	if (!t || t->kind != PTREE_SCALAR)
		return false;
	if (t->tag == PTREE_TAG_NULL)
		return true;
	if (!t->plain)
		return false;
	return t->len == 0 || strcmp(t->str, "~") == 0 ||
	       strcmp(t->str, "null") == 0 || strcmp(t->str, "Null") == 0 ||
	       strcmp(t->str, "NULL") == 0;
}

const char *ptree_kind_name(const struct ptree *t)
{
	if (!t)
		return "nothing";
	switch (t->kind) {
	case PTREE_MAP:
		return "a mapping";
	case PTREE_SEQ:
		return "a list";
	case PTREE_SCALAR:
		break;
	}
	return ptree_is_null(t) ? "empty" : "a single value";
}

/* Line and column (1-based, in characters) of a byte offset. */
static void ptree_offset_pos(const char *data, size_t len, size_t off,
			     unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\n' || (ch == '\r' && (i + 1 >= len ||
						  data[i + 1] != '\n'))) {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80 && ch != '\r') {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void ptree_parser_error(struct ptree_ctx *c, const yaml_parser_t *p)
{
	unsigned line, col;

	switch (p->error) {
	case YAML_READER_ERROR:
		ptree_offset_pos(c->data, c->len, p->problem_offset, &line,
				 &col);
		if (p->problem && strstr(p->problem, "UTF-8"))
			plan_diag_add(c->d, c->file, line, col, false,
				      "the plan is not valid UTF-8 (%s)",
				      p->problem);
		else
			plan_diag_add(c->d, c->file, line, col, false,
				      "bad character in the plan (%s, #x%X)",
				      p->problem ? p->problem : "unknown",
				      (unsigned)p->problem_value);
		return;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
		if (p->context)
			plan_diag_add(c->d, c->file, line, col, false,
				      "YAML syntax error: %s (%s at line %u column %u)",
				      p->problem ? p->problem : "unknown",
				      p->context,
				      (unsigned)p->context_mark.line + 1,
				      (unsigned)p->context_mark.column + 1);
		else
			plan_diag_add(c->d, c->file, line, col, false,
				      "YAML syntax error: %s",
				      p->problem ? p->problem : "unknown");
		return;
	default:
		plan_diag_add(c->d, c->file, 0, 0, false,
			      "cannot parse the plan (libyaml error %d)",
			      (int)p->error);
		return;
	}
}

static void ptree_push_kid(struct ptree *parent, struct ptree *kid)
{
	if (parent->n == parent->alloc) {
		size_t na = parent->alloc ? parent->alloc * 2 : 4;

		parent->kids = xreallocarray(parent->kids, na,
					     sizeof(*parent->kids));
		memset(parent->kids + parent->alloc, 0,
		       (na - parent->alloc) * sizeof(*parent->kids));
		parent->alloc = na;
	}
	parent->kids[parent->n++] = kid;
}

/* Attach a new node where the parser is; the tree owns it from here on. */
static struct ptree *ptree_attach(struct ptree_ctx *c, enum ptree_kind kind,
				  const yaml_mark_t *mark)
{
	struct ptree *t = xcalloc(1, sizeof(*t));

	t->kind = kind;
	t->line = (unsigned)mark->line + 1;
	t->col = (unsigned)mark->column + 1;
	if (c->depth == 0) {
		ptree_free(c->root);
		c->root = t;
	} else {
		ptree_push_kid(c->stack[c->depth - 1], t);
	}
	return t;
}

static int ptree_check_tag(struct ptree_ctx *c, const yaml_char_t *tagp,
			   const yaml_mark_t *mark, enum ptree_kind kind,
			   enum ptree_tag *out)
{
	static const struct {
		const char *name;
		enum ptree_kind kind;
		enum ptree_tag tag;
	} core[] = {
		{ "str", PTREE_SCALAR, PTREE_TAG_STR },
		{ "int", PTREE_SCALAR, PTREE_TAG_INT },
		{ "bool", PTREE_SCALAR, PTREE_TAG_BOOL },
		{ "null", PTREE_SCALAR, PTREE_TAG_NULL },
		{ "float", PTREE_SCALAR, PTREE_TAG_FLOAT },
		{ "seq", PTREE_SEQ, PTREE_TAG_NONE },
		{ "map", PTREE_MAP, PTREE_TAG_NONE },
	};
	const char *tag = (const char *)tagp;
	char *shown;

	*out = PTREE_TAG_NONE;
	if (!tag)
		return 0;
	if (str_has_prefix(tag, CORE_TAG)) {
		for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
			if (strcmp(tag + strlen(CORE_TAG), core[i].name) == 0 &&
			    core[i].kind == kind) {
				*out = core[i].tag;
				return 0;
			}
	}
	shown = str_sanitize(str_has_prefix(tag, CORE_TAG) ?
			     tag + strlen(CORE_TAG) - 2 : tag, 64);
	if (str_has_prefix(tag, CORE_TAG))
		shown[0] = shown[1] = '!';
	plan_diag_add(c->d, c->file, (unsigned)mark->line + 1,
		      (unsigned)mark->column + 1, false,
		      "YAML tag '%s' is not supported here (only the core tags !!str, !!int, !!bool, !!null, !!float, !!seq, !!map)",
		      shown);
	free(shown);
	return -1;
}

/* Check keys of a finished mapping: scalars only, no duplicates.  Turns
 * the kid count into a pair count. */
static void ptree_finish_map(struct ptree_ctx *c, struct ptree *m)
{
	struct strmap *seen = NULL;
	size_t npairs = m->n / 2, out = 0;

	if (npairs > 8)
		seen = strmap_new();
	for (size_t i = 0; i < npairs; i++) {
		struct ptree *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
		struct ptree *first = NULL;

		if (k->kind != PTREE_SCALAR) {
			plan_diag_add(c->d, c->file, k->line, k->col, false,
				      "mapping keys must be plain strings, not %s",
				      ptree_kind_name(k));
		} else if (seen) {
			first = strmap_get(seen, k->str);
			if (!first)
				strmap_put(seen, k->str, k);
		} else {
			for (size_t j = 0; j < out && !first; j++)
				if (strcmp(m->kids[2 * j]->str, k->str) == 0)
					first = m->kids[2 * j];
		}
		if (k->kind == PTREE_SCALAR && !first) {
			m->kids[2 * out] = k;
			m->kids[2 * out + 1] = v;
			out++;
			continue;
		}
		if (first) {
			char *name = str_sanitize(k->str, 64);

			plan_diag_add(c->d, c->file, k->line, k->col, false,
				      "duplicate key '%s' (first at line %u column %u)",
				      name, first->line, first->col);
			free(name);
		}
		ptree_free(k);
		ptree_free(v);
	}
	for (size_t i = 2 * out; i < m->n; i++)
		m->kids[i] = NULL;
	m->n = out;
	strmap_free(seen);
}

/* Handle one event; -1 stops the parse (a diag says why). */
static int ptree_event(struct ptree_ctx *c, const yaml_event_t *ev, bool *done)
{
	const yaml_mark_t *mark = &ev->start_mark;
	unsigned line = (unsigned)mark->line + 1, col = (unsigned)mark->column + 1;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	enum ptree_kind kind;
	enum ptree_tag ptag;
	struct ptree *t;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++c->docs > 1) {
			plan_diag_add(c->d, c->file, line, col, false,
				      "the plan must be a single YAML document, but a second one starts here");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		plan_diag_add(c->d, c->file, line, col, false,
			      "anchors and aliases are not supported");
		return -1;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		t = c->stack[--c->depth];
		if (t->kind == PTREE_MAP)
			ptree_finish_map(c, t);
		return 0;
	case YAML_SCALAR_EVENT:
		kind = PTREE_SCALAR;
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		kind = PTREE_SEQ;
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		kind = PTREE_MAP;
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		return 0;
	}
	if (anchor) {
		plan_diag_add(c->d, c->file, line, col, false,
			      "anchors and aliases are not supported");
		return -1;
	}
	if (ptree_check_tag(c, tag, mark, kind, &ptag) < 0)
		return -1;
	if (++c->nodes > PTREE_MAX_NODES) {
		plan_diag_add(c->d, c->file, line, col, false,
			      "the plan has too many values (more than %zu)",
			      PTREE_MAX_NODES);
		return -1;
	}
	if (kind == PTREE_SCALAR) {
		size_t n = ev->data.scalar.length;

		if (n > PTREE_MAX_SCALAR) {
			plan_diag_add(c->d, c->file, line, col, false,
				      "value too long (%zu bytes; the limit is %zu)",
				      n, PTREE_MAX_SCALAR);
			return -1;
		}
		if (memchr(ev->data.scalar.value, '\0', n)) {
			plan_diag_add(c->d, c->file, line, col, false,
				      "a value contains a NUL character");
			return -1;
		}
	} else if (c->depth >= PTREE_MAX_DEPTH) {
		plan_diag_add(c->d, c->file, line, col, false,
			      "nesting deeper than %d levels", PTREE_MAX_DEPTH);
		return -1;
	}
	t = ptree_attach(c, kind, mark);
	t->tag = ptag;
	if (kind == PTREE_SCALAR) {
		t->len = ev->data.scalar.length;
		t->str = xmemdup(ev->data.scalar.value, t->len + 1);
		t->str[t->len] = '\0';
		t->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			   !tag;
	} else {
		c->stack[c->depth++] = t;
	}
	return 0;
}

struct ptree *ptree_parse(const char *file, const char *data, size_t len,
			  struct plan_diags *d, bool *fatal)
{
	struct ptree_ctx c;
	yaml_parser_t parser;
	yaml_event_t ev;
	const char *nul;
	bool done = false;

	memset(&c, 0, sizeof(c));
	c.file = file;
	c.data = data;
	c.len = len;
	c.d = d;
	*fatal = false;

	nul = memchr(data, '\0', len);
	if (nul) {
		unsigned line, col;

		ptree_offset_pos(data, len, (size_t)(nul - data), &line, &col);
		plan_diag_add(d, file, line, col, false,
			      "the plan contains a NUL byte (is it a text file?)");
		*fatal = true;
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		plan_diag_add(d, file, 0, 0, false,
			      "cannot start the YAML parser");
		*fatal = true;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
				     len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		int r;

		if (!yaml_parser_parse(&parser, &ev)) {
			ptree_parser_error(&c, &parser);
			*fatal = true;
			break;
		}
		r = ptree_event(&c, &ev, &done);
		yaml_event_delete(&ev);
		if (r < 0) {
			*fatal = true;
			break;
		}
	}
	yaml_parser_delete(&parser);
	/* A half-built tree (open mappings still count kids, not pairs) is
	 * never handed out. */
	if (*fatal)
		c.root = ptree_free(c.root);
	return c.root;
}
