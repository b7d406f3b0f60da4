/*
 * table.c -- see table.h.
 */
#include <stdlib.h>
#include <string.h>

#include "migrate/table.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

struct table {
	size_t ncols, nrows, alloc;
	char **headers;
	bool *right;
	char **cells;		/* nrows * ncols */
};

struct table *table_new(size_t ncols, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof *t);
	size_t i;

	t->ncols = ncols;
	t->headers = xcalloc(ncols, sizeof *t->headers);
	t->right = xcalloc(ncols, sizeof *t->right);
	for (i = 0; i < ncols; i++) {
		t->right[i] = headers[i][0] == '>';
		t->headers[i] = xstrdup(headers[i] + t->right[i]);
	}
	return t;
}

struct table *table_free(struct table *t)
{
	size_t i;

	if (!t)
		return NULL;
	for (i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->headers);
	free(t->right);
	free(t->cells);
	free(t);
	return NULL;
}

void table_add(struct table *t, const char *const *cells)
{
	size_t i;

	if (t->nrows == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->cells = xreallocarray(t->cells, t->alloc * t->ncols,
					 sizeof *t->cells);
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] =
			str_sanitize(cells[i] ? cells[i] : "", 4096);
	t->nrows++;
}

size_t table_rows(const struct table *t)
{
	return t->nrows;
}

/* Display width: count UTF-8 lead bytes, not continuation bytes. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(struct sbuf *sb, size_t n)
{
	while (n--)
		sbuf_addch(sb, ' ');
}

static void print_text(const struct table *t, FILE *out, bool bold)
{
	size_t *w = xcalloc(t->ncols, sizeof *w);
	struct sbuf line;
	size_t r, c;

	for (c = 0; c < t->ncols; c++)
		w[c] = width(t->headers[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t x = width(t->cells[r * t->ncols + c]);

			if (x > w[c])
				w[c] = x;
		}
	sbuf_init(&line, SBUF_MAX_DEFAULT);
	for (r = 0; r <= t->nrows; r++) {
		char *const *row = r ? &t->cells[(r - 1) * t->ncols] :
				       t->headers;

		sbuf_clear(&line);
		for (c = 0; c < t->ncols; c++) {
			size_t x = width(row[c]);

			if (t->right[c])
				pad(&line, w[c] - x);
			sbuf_addstr(&line, row[c]);
			if (!t->right[c])
				pad(&line, w[c] - x);
			sbuf_addstr(&line, "  ");
		}
		sbuf_rtrim(&line);
		fprintf(out, "%s%s%s\n", !r && bold ? "\033[1m" : "", line.buf,
			!r && bold ? "\033[0m" : "");
	}
	sbuf_release(&line);
	free(w);
}

static void md_cell(FILE *out, const char *s)
{
	fputc(' ', out);
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputs(" |", out);
}

static void print_markdown(const struct table *t, FILE *out)
{
	size_t r, c;

	fputc('|', out);
	for (c = 0; c < t->ncols; c++)
		md_cell(out, t->headers[c]);
	fputs("\n|", out);
	for (c = 0; c < t->ncols; c++)
		fputs(t->right[c] ? " ---: |" : " --- |", out);
	fputc('\n', out);
	for (r = 0; r < t->nrows; r++) {
		fputc('|', out);
		for (c = 0; c < t->ncols; c++)
			md_cell(out, t->cells[r * t->ncols + c]);
		fputc('\n', out);
	}
}

static void csv_cell(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ') {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void print_csv(const struct table *t, FILE *out)
{
	size_t r, c;

	for (r = 0; r <= t->nrows; r++) {
		char *const *row = r ? &t->cells[(r - 1) * t->ncols] :
				       t->headers;

		for (c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', out);
			csv_cell(out, row[c]);
		}
		fputs("\r\n", out);
	}
}

void table_print(const struct table *t, enum table_style style, FILE *out,
		 bool bold)
{
	switch (style) {
	case TABLE_TEXT: print_text(t, out, bold); break;
	case TABLE_MARKDOWN: print_markdown(t, out); break;
	case TABLE_CSV: print_csv(t, out); break;
	}
}
