/*
 * csv.c -- RFC 4180 reader with positions in its errors.
 *
 * Beyond the RFC: spaces and tabs around a field are dropped (inside
 * quotes they are kept), '#' comment lines and blank lines are skipped,
 * and a UTF-8 byte order mark at the start is ignored.
 */
#include "util/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

struct csv_parser {
	const char *name;
	const char *p;		/* data */
	size_t len, pos;
	unsigned line;		/* 1-based line of pos */
	size_t line_start;	/* offset of the first byte of that line */
	size_t max_field;
	struct sbuf rec;	/* fields, each NUL-terminated */
	size_t *offs;		/* start of each field in rec */
	size_t nfields, cap;
	char **fields;
};

static int csv_error(struct csv_parser *c, unsigned line, size_t col,
		     const char *msg, struct err *err)
{
	return err_set(err, ERR_PLAN, RETRY_NEVER, "%s:%u:%zu: %s", c->name,
		       line, col, msg);
}

static size_t csv_col(const struct csv_parser *c)
{
	return c->pos - c->line_start + 1;
}

static bool at_eol(const struct csv_parser *c, size_t pos)
{
	return pos >= c->len || c->p[pos] == '\n' ||
	       (c->p[pos] == '\r' && (pos + 1 == c->len || c->p[pos + 1] == '\n'));
}

static void skip_blanks(struct csv_parser *c)
{
	while (c->pos < c->len && (c->p[c->pos] == ' ' || c->p[c->pos] == '\t'))
		c->pos++;
}

/* Step over the end of line at pos (if any) and count it. */
static void next_line(struct csv_parser *c)
{
	if (c->pos < c->len && c->p[c->pos] == '\r')
		c->pos++;
	if (c->pos < c->len && c->p[c->pos] == '\n')
		c->pos++;
	c->line++;
	c->line_start = c->pos;
}

static void field_begin(struct csv_parser *c)
{
	if (c->nfields == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->offs = xreallocarray(c->offs, c->cap, sizeof(*c->offs));
	}
	c->offs[c->nfields++] = c->rec.len;
}

static int field_too_long(struct csv_parser *c, unsigned line, size_t col,
			  struct err *err)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "field longer than %zu bytes", c->max_field);
	return csv_error(c, line, col, msg, err);
}

/* End the current field; fails if it is over max_field bytes. */
static int field_end(struct csv_parser *c, unsigned line, size_t col,
		     struct err *err)
{
	if (c->rec.len - c->offs[c->nfields - 1] > c->max_field)
		return field_too_long(c, line, col, err);
	if (sbuf_addch(&c->rec, '\0') < 0)
		return csv_error(c, line, col, "record too long", err);
	return 0;
}

static int add_byte(struct csv_parser *c, char ch, unsigned line, size_t col,
		    struct err *err)
{
	if (ch == '\0')
		return csv_error(c, c->line, csv_col(c), "NUL byte in data",
				 err);
	/* Stop a runaway field early instead of buffering all of it. */
	if (c->rec.len - c->offs[c->nfields - 1] >= c->max_field)
		return field_too_long(c, line, col, err);
	if (sbuf_addch(&c->rec, ch) < 0)
		return csv_error(c, line, col, "record too long", err);
	return 0;
}

static int parse_quoted(struct csv_parser *c, struct err *err)
{
	unsigned qline = c->line;
	size_t qcol = csv_col(c);

	c->pos++;	/* the opening quote */
	for (;;) {
		char ch;

		if (c->pos >= c->len)
			return csv_error(c, qline, qcol,
					 "unterminated quoted field", err);
		ch = c->p[c->pos];
		if (ch == '"') {
			if (c->pos + 1 < c->len && c->p[c->pos + 1] == '"') {
				if (add_byte(c, '"', qline, qcol, err) < 0)
					return -1;
				c->pos += 2;
				continue;
			}
			c->pos++;
			break;
		}
		if (add_byte(c, ch, qline, qcol, err) < 0)
			return -1;
		c->pos++;
		if (ch == '\n') {
			c->line++;
			c->line_start = c->pos;
		}
	}
	if (field_end(c, qline, qcol, err) < 0)
		return -1;
	skip_blanks(c);
	if (!at_eol(c, c->pos) && c->p[c->pos] != ',')
		return csv_error(c, c->line, csv_col(c),
				 "unexpected character after closing quote",
				 err);
	return 0;
}

static int parse_plain(struct csv_parser *c, struct err *err)
{
	unsigned fline = c->line;
	size_t fcol = csv_col(c);

	while (!at_eol(c, c->pos) && c->p[c->pos] != ',') {
		if (c->p[c->pos] == '"')
			return csv_error(c, c->line, csv_col(c),
					 "quote inside an unquoted field", err);
		if (add_byte(c, c->p[c->pos], fline, fcol, err) < 0)
			return -1;
		c->pos++;
	}
	/* Trailing blanks are not part of the field. */
	while (c->rec.len > c->offs[c->nfields - 1] &&
	       (c->rec.buf[c->rec.len - 1] == ' ' ||
		c->rec.buf[c->rec.len - 1] == '\t'))
		sbuf_truncate(&c->rec, c->rec.len - 1);
	return field_end(c, fline, fcol, err);
}

/* Skip a comment or blank line at pos; true if one was skipped. */
static bool skip_ignored_line(struct csv_parser *c)
{
	size_t p = c->pos;

	if (c->p[p] != '#') {
		while (p < c->len && (c->p[p] == ' ' || c->p[p] == '\t'))
			p++;
		if (!at_eol(c, p))
			return false;
	}
	while (c->pos < c->len && c->p[c->pos] != '\n')
		c->pos++;
	if (c->pos < c->len)
		c->pos++;
	c->line++;
	c->line_start = c->pos;
	return true;
}

static int parse_record(struct csv_parser *c, csv_record_fn fn, void *ctx,
			struct err *err)
{
	unsigned rec_line = c->line;
	int rc;

	sbuf_clear(&c->rec);
	c->nfields = 0;
	for (;;) {
		skip_blanks(c);
		field_begin(c);
		rc = c->pos < c->len && c->p[c->pos] == '"'
			     ? parse_quoted(c, err)
			     : parse_plain(c, err);
		if (rc < 0)
			return -1;
		if (c->pos < c->len && c->p[c->pos] == ',') {
			c->pos++;
			continue;
		}
		break;
	}
	next_line(c);
	c->fields = xreallocarray(c->fields, c->nfields + 1,
				  sizeof(*c->fields));
	for (size_t i = 0; i < c->nfields; i++)
		c->fields[i] = c->rec.buf + c->offs[i];
	c->fields[c->nfields] = NULL;
	if (fn(ctx, rec_line, c->fields, c->nfields, err) < 0) {
		if (!err_isset(err))
			err_set(err, ERR_PLAN, RETRY_NEVER,
				"%s:%u: record refused", c->name, rec_line);
		return -1;
	}
	return 0;
}

int csv_read_mem(const char *name, const char *data, size_t len,
		 size_t max_field, csv_record_fn fn, void *ctx,
		 struct err *err)
{
	struct csv_parser c = {
		.name = name ? name : "<csv>",
		.p = data,
		.len = len,
		.line = 1,
		.max_field = max_field ? max_field : SBUF_MAX_DEFAULT,
	};
	int rc = 0;

	sbuf_init(&c.rec, SBUF_MAX_DEFAULT);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		c.pos = c.line_start = 3;
	while (c.pos < c.len) {
		if (skip_ignored_line(&c))
			continue;
		if (parse_record(&c, fn, ctx, err) < 0) {
			rc = -1;
			break;
		}
	}
	sbuf_release(&c.rec);
	free(c.offs);
	free(c.fields);
	return rc;
}

int csv_read_file(const char *path, size_t max_field, csv_record_fn fn,
		  void *ctx, struct err *err)
{
	struct sbuf data;
	char buf[65536];
	int fd, rc = -1;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return err_sys(err, ERR_IO, "cannot open '%s'", path);
	sbuf_init(&data, SBUF_MAX_DEFAULT);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(err, ERR_IO, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		if (sbuf_add(&data, buf, (size_t)n) < 0) {
			err_set(err, ERR_IO, RETRY_NEVER,
				"'%s' is larger than %zu bytes", path,
				data.max);
			goto out;
		}
	}
	rc = csv_read_mem(path, data.buf, data.len, max_field, fn, ctx, err);
out:
	close(fd);
	sbuf_release(&data);
	return rc;
}
