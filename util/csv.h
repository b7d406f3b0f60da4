/*
 * csv.h -- read RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF).
 *
 * Lines starting with '#' and blank lines are skipped.  Each record is
 * handed to the callback with its 1-based line number; fields are borrowed
 * until the callback returns.  A malformed record (unterminated quote,
 * garbage after a closing quote, a field over max_field bytes) stops
 * reading with an error "PATH:LINE:COL: message".
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>

struct err;

typedef int (*csv_record_fn)(void *ctx, unsigned line, char **fields,
			     size_t nfields, struct err *err);

/* Returns 0, or -1 (from a parse error, an I/O error, or the callback). */
int csv_read_file(const char *path, size_t max_field, csv_record_fn fn,
		  void *ctx, struct err *err);
int csv_read_mem(const char *name, const char *data, size_t len,
		 size_t max_field, csv_record_fn fn, void *ctx,
		 struct err *err);

#endif
