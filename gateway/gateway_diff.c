/*
 * gateway_diff.c -- a small unified diff, for "--dry-run" and for showing
 * a map someone edited by hand (see gateway.h).
 *
 * Lines common to both ends are trimmed first; the middle is diffed with
 * Myers' greedy O((N+M)D) algorithm, keeping the trace for the way back.
 * When the middle needs more than DIFF_MAX_D edits, two sorted middles
 * (every map we render is sorted) are merged in one pass; anything else
 * is shown as one block removed and one added: still a correct diff,
 * just not a minimal one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define DIFF_CONTEXT 3
#define DIFF_MAX_D 1500

struct line {
	const char *s;
	size_t len;		/* with the '\n', if the line has one */
};

struct op {
	char c;			/* ' ', '-', '+' */
	size_t a, b;		/* line indices (a for ' ' and '-', b for '+') */
};

struct ops {
	struct op *v;
	size_t n, alloc;
};

static size_t split(const char *s, size_t len, struct line **out)
{
	size_t n = 0, alloc = 16;
	const char *p = s, *end = s + len;
	struct line *v = xreallocarray(NULL, alloc, sizeof *v);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (n == alloc) {
			alloc *= 2;
			v = xreallocarray(v, alloc, sizeof *v);
		}
		v[n].s = p;
		v[n++].len = l;
		p += l;
	}
	*out = v;
	return n;
}

static int line_eq(const struct line *x, const struct line *y)
{
	return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
}

static int line_cmp(const struct line *x, const struct line *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void push(struct ops *o, char c, size_t a, size_t b)
{
	if (o->n == o->alloc) {
		o->alloc = o->alloc ? 2 * o->alloc : 64;
		o->v = xreallocarray(o->v, o->alloc, sizeof *o->v);
	}
	o->v[o->n].c = c;
	o->v[o->n].a = a;
	o->v[o->n++].b = b;
}

/*
 * Myers on a[0..n) and b[0..m): append the script to o (in order) and
 * return 0, or -1 when more than DIFF_MAX_D edits would be needed.
 * a_off/b_off are added to the indices pushed.
 */
static int myers(const struct line *a, size_t n, const struct line *b,
		 size_t m, size_t a_off, size_t b_off, struct ops *o)
{
	long max = (long)(n + m) < DIFF_MAX_D ? (long)(n + m) : DIFF_MAX_D;
	long *v = xcalloc((size_t)(2 * max + 3), sizeof *v), *vv = v + max + 1;
	long **trace = xcalloc((size_t)max + 1, sizeof *trace);
	long d, k, x, y, found = -1;
	struct ops rev = { 0 };
	size_t i;

	vv[1] = 0;
	for (d = 0; d <= max && found < 0; d++) {
		for (k = -d; k <= d; k += 2) {
			if (k == -d || (k != d && vv[k - 1] < vv[k + 1]))
				x = vv[k + 1];
			else
				x = vv[k - 1] + 1;
			y = x - k;
			while ((size_t)x < n && (size_t)y < m &&
			       line_eq(&a[x], &b[y]))
				x++, y++;
			vv[k] = x;
			if ((size_t)x >= n && (size_t)y >= m)
				found = d;
		}
		trace[d] = xcalloc((size_t)d + 1, sizeof **trace);
		for (k = -d; k <= d; k += 2)
			trace[d][(k + d) / 2] = vv[k];
	}
	if (found < 0)
		goto out;
	/* Walk back from (n, m), collecting the script in reverse. */
	x = (long)n, y = (long)m;
	for (d = found; d > 0; d--) {
		long *pv = trace[d - 1], pk, px, py, mx;

		k = x - y;
		if (k == -d || (k != d && pv[(k - 1 + d - 1) / 2] <
					       pv[(k + 1 + d - 1) / 2]))
			pk = k + 1;	/* came down: b[py] inserted */
		else
			pk = k - 1;	/* came right: a[px] deleted */
		px = pv[(pk + d - 1) / 2];
		py = px - pk;
		mx = pk == k + 1 ? px : px + 1;
		while (x > mx) {
			x--, y--;
			push(&rev, ' ', (size_t)x, (size_t)y);
		}
		if (pk == k + 1)
			push(&rev, '+', (size_t)px, (size_t)py);
		else
			push(&rev, '-', (size_t)px, (size_t)py);
		x = px, y = py;
	}
	while (x > 0) {
		x--, y--;
		push(&rev, ' ', (size_t)x, (size_t)y);
	}
	for (i = rev.n; i-- > 0;)
		push(o, rev.v[i].c, rev.v[i].a + a_off, rev.v[i].b + b_off);
out:
	for (d = 0; d <= max; d++)
		free(trace[d]);
	free(trace);
	free(v);
	free(rev.v);
	return found < 0 ? -1 : 0;
}

static int sorted(const struct line *l, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (line_cmp(&l[i - 1], &l[i]) >= 0)
			return 0;
	return 1;
}

/* The middle, when Myers gives up. */
static void fallback(const struct line *a, size_t n, const struct line *b,
		     size_t m, size_t a_off, size_t b_off, struct ops *o)
{
	size_t i = 0, j = 0;

	if (sorted(a, n) && sorted(b, m)) {
		while (i < n || j < m) {
			int c = i == n ? 1 : j == m ? -1 :
				line_cmp(&a[i], &b[j]);

			if (c == 0)
				push(o, ' ', a_off + i++, b_off + j++);
			else if (c < 0)
				push(o, '-', a_off + i++, b_off + j);
			else
				push(o, '+', a_off + i, b_off + j++);
		}
		return;
	}
	for (i = 0; i < n; i++)
		push(o, '-', a_off + i, b_off);
	for (j = 0; j < m; j++)
		push(o, '+', a_off + n, b_off + j);
}

static void put_line(struct sbuf *out, char c, const struct line *l)
{
	sbuf_addch(out, c);
	sbuf_add(out, l->s, l->len);
	if (l->len == 0 || l->s[l->len - 1] != '\n')
		sbuf_addstr(out, "\n\\ No newline at end of file\n");
}

static void range(struct sbuf *out, char c, size_t start, size_t count)
{
	/* An empty range names the line before it (GNU diff). */
	if (count == 0)
		sbuf_addf(out, "%c%zu,0", c, start);
	else if (count == 1)
		sbuf_addf(out, "%c%zu", c, start + 1);
	else
		sbuf_addf(out, "%c%zu,%zu", c, start + 1, count);
}

static void hunks(const struct ops *o, const struct line *a,
		  const struct line *b, struct sbuf *out)
{
	size_t i = 0, j, end, last;

	while (i < o->n) {
		size_t a0, b0, na = 0, nb = 0;

		while (i < o->n && o->v[i].c == ' ')
			i++;
		if (i == o->n)
			break;
		/* The hunk runs from CONTEXT before the first change to
		 * CONTEXT after the last change that is not followed by
		 * more than 2*CONTEXT unchanged lines. */
		j = i >= DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
		last = i;
		for (end = i; end < o->n; end++) {
			if (o->v[end].c != ' ')
				last = end;
			else if (end - last > 2 * DIFF_CONTEXT)
				break;
		}
		end = last + 1 + DIFF_CONTEXT < o->n ? last + 1 + DIFF_CONTEXT :
							o->n;
		a0 = o->v[j].a;
		b0 = o->v[j].b;
		for (i = j; i < end; i++) {
			na += o->v[i].c != '+';
			nb += o->v[i].c != '-';
		}
		sbuf_addstr(out, "@@ ");
		range(out, '-', a0, na);
		sbuf_addch(out, ' ');
		range(out, '+', b0, nb);
		sbuf_addstr(out, " @@\n");
		for (i = j; i < end; i++) {
			const struct op *p = &o->v[i];

			put_line(out, p->c, p->c == '+' ? &b[p->b] : &a[p->a]);
		}
	}
}

size_t gateway_diff(const char *a_label, const char *a, size_t alen,
		    const char *b_label, const char *b, size_t blen,
		    struct sbuf *out)
{
	struct line *la, *lb;
	size_t na = split(a, alen, &la), nb = split(b, blen, &lb);
	size_t pre = 0, suf = 0, i, changed = 0;
	struct ops o = { 0 };

	while (pre < na && pre < nb && line_eq(&la[pre], &lb[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre &&
	       line_eq(&la[na - 1 - suf], &lb[nb - 1 - suf]))
		suf++;
	if (pre == na && pre == nb)
		goto out;
	for (i = 0; i < pre; i++)
		push(&o, ' ', i, i);
	if (myers(la + pre, na - pre - suf, lb + pre, nb - pre - suf, pre, pre,
		  &o) < 0)
		fallback(la + pre, na - pre - suf, lb + pre, nb - pre - suf,
			 pre, pre, &o);
	for (i = 0; i < suf; i++)
		push(&o, ' ', na - suf + i, nb - suf + i);
	for (i = 0; i < o.n; i++)
		changed += o.v[i].c != ' ';
	sbuf_addf(out, "--- %s\n+++ %s\n", a_label, b_label);
	hunks(&o, la, lb, out);
out:
	free(o.v);
	free(la);
	free(lb);
	return changed;
}
