/*
 * plan_diag.c -- the list of problems found while loading a plan.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

void plan_diags_init(struct plan_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void plan_diags_release(struct plan_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	plan_diags_init(d);
}

static void plan_diag_push(struct plan_diags *d, const char *file,
			   unsigned line, unsigned col, bool warning,
			   char *msg)
{
	struct plan_diag *g;

	/* Capacity is 8, then the next power of two (no field holds it). */
	if (d->n == 0 || (d->n >= 8 && (d->n & (d->n - 1)) == 0))
		d->v = xreallocarray(d->v, d->n ? d->n * 2 : 8,
				     sizeof(*d->v));
	g = &d->v[d->n++];
	g->file = xstrdup(file ? file : "");
	g->line = line;
	g->col = line ? col : 0;
	g->msg = msg;
	g->warning = warning;
}

void plan_diag_vadd(struct plan_diags *d, const char *file, unsigned line,
		    unsigned col, bool warning, const char *fmt, va_list ap)
{
	struct sbuf sb;

	if (!warning)
		d->n_errors++;
	if (d->n > PLAN_MAX_DIAGS)
		return;
	if (d->n == PLAN_MAX_DIAGS) {
		/* line 0 and the last slot: plan_diag_sort keeps it last */
		plan_diag_push(d, file, 0, 0, false,
			       xasprintf("too many problems (more than %d); the rest are not shown",
					 PLAN_MAX_DIAGS));
		return;
	}
	sbuf_init(&sb, 4096);
	if (sbuf_vaddf(&sb, fmt, ap) < 0) {
		/* Only huge names get here; they are cut, not lost. */
		sbuf_truncate(&sb, 4000);
		sbuf_addstr(&sb, "...");
	}
	plan_diag_push(d, file, line, col, warning, sbuf_detach(&sb, NULL));
}

void plan_diag_add(struct plan_diags *d, const char *file, unsigned line,
		   unsigned col, bool warning, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_diag_vadd(d, file, line, col, warning, fmt, ap);
	va_end(ap);
}

static int plan_diag_cmp(const void *pa, const void *pb)
{
	const struct plan_diag *a = *(const struct plan_diag *const *)pa;
	const struct plan_diag *b = *(const struct plan_diag *const *)pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	/* Stable: keep the order they were found in. */
	return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

void plan_diag_sort(struct plan_diags *d)
{
	size_t n = d->n;
	struct plan_diag **ptr, *sorted;

	if (n > PLAN_MAX_DIAGS)
		n = PLAN_MAX_DIAGS;	/* the "too many" line stays last */
	if (n < 2)
		return;
	ptr = xreallocarray(NULL, n, sizeof(*ptr));
	for (size_t i = 0; i < n; i++)
		ptr[i] = &d->v[i];
	qsort(ptr, n, sizeof(*ptr), plan_diag_cmp);
	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = *ptr[i];
	memcpy(d->v, sorted, n * sizeof(*sorted));
	free(sorted);
	free(ptr);
}

void plan_diags_print(const struct plan_diags *d, FILE *fp)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_diag *g = &d->v[i];
		const char *w = g->warning ? "warning: " : "";

		if (g->line)
			fprintf(fp, "%s:%u:%u: %s%s\n", g->file, g->line,
				g->col, w, g->msg);
		else
			fprintf(fp, "%s: %s%s\n", g->file, w, g->msg);
	}
}

struct plan_pos plan_pos_of(const struct plan_build *b, const struct ptree *t)
{
	struct plan_pos pos = { b->file, 0, 0 };

	if (t) {
		pos.line = t->line;
		pos.col = t->col;
	}
	return pos;
}

static void plan_diag_ctx(struct plan_build *b, struct plan_pos pos,
			  bool warning, const char *ctx, const char *fmt,
			  va_list ap) __attribute__((format(printf, 5, 0)));
static void plan_diag_ctx(struct plan_build *b, struct plan_pos pos,
			  bool warning, const char *ctx, const char *fmt,
			  va_list ap)
{
	struct sbuf sb;

	if (!ctx || !*ctx) {
		plan_diag_vadd(b->d, pos.file, pos.line, pos.col, warning, fmt,
			       ap);
		return;
	}
	sbuf_init(&sb, 4096);
	if (sbuf_vaddf(&sb, fmt, ap) < 0) {
		sbuf_truncate(&sb, 4000);
		sbuf_addstr(&sb, "...");
	}
	plan_diag_add(b->d, pos.file, pos.line, pos.col, warning, "%s: %s", ctx,
		      sb.buf);
	sbuf_release(&sb);
}

void plan_err_at(struct plan_build *b, const struct ptree *at,
		 const char *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_diag_ctx(b, plan_pos_of(b, at), false, ctx, fmt, ap);
	va_end(ap);
}

void plan_err_pos(struct plan_build *b, struct plan_pos pos, const char *ctx,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_diag_ctx(b, pos, false, ctx, fmt, ap);
	va_end(ap);
}

void plan_warn_pos(struct plan_build *b, struct plan_pos pos,
		   const char *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plan_diag_ctx(b, pos, true, ctx, fmt, ap);
	va_end(ap);
}
