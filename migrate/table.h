/*
 * table.h -- a table of strings printed as aligned text, Markdown or CSV.
 * Cells are copied.  Text output strips control characters; CSV quotes
 * per RFC 4180; Markdown escapes '|'.
 */
#ifndef TABLE_H
#define TABLE_H

#include <stdbool.h>
#include <stdio.h>

struct table;

enum table_style { TABLE_TEXT = 0, TABLE_MARKDOWN, TABLE_CSV };

/* headers: ncols strings; a header starting with '>' is right-aligned
 * (the '>' is not printed). */
struct table *table_new(size_t ncols, const char *const *headers);
struct table *table_free(struct table *t);	/* returns NULL */
void table_add(struct table *t, const char *const *cells);	/* ncols cells, NULL = "" */
size_t table_rows(const struct table *t);
/* bold: ANSI bold header (text style on a colour terminal). */
void table_print(const struct table *t, enum table_style style, FILE *out,
		 bool bold);

#endif
