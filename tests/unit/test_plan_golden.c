/*
 * test_plan_golden.c -- every tests/golden/plan/NAME.yaml is loaded and
 * the problems printed by plan_diags_print() must equal NAME.ref exactly.
 *
 * Paths are relative to the source tree (the test chdirs to SRCDIR), so
 * the .ref files read "tests/golden/plan/NAME.yaml:LINE:COL: ...".
 * UPDATE_GOLDEN=1 rewrites the .ref files: review the diff before you
 * commit it.
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plans/plan.h"
#include "util/err.h"
#include "util/xalloc.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (!fp)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
	} while (r > 0);
	fclose(fp);
	buf = buf ? buf : xmalloc(1);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Split into lines (the buffer is modified). */
static char **split_lines(char *s, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;

	while (*s) {
		char *nl = strchr(s, '\n');

		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = s;
		if (!nl)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	*n = cnt;
	return v;
}

/* A line diff from the longest common subsequence (files are small). */
static void print_diff(const char *name, char *want, char *got)
{
	size_t na, nb;
	char **a = split_lines(want, &na), **b = split_lines(got, &nb);
	size_t *L = xcalloc((na + 1) * (nb + 1), sizeof(*L));
	size_t i, j;

#define LCS(x, y) L[(x) * (nb + 1) + (y)]
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			LCS(i, j) = strcmp(a[i], b[j]) == 0 ?
				    LCS(i + 1, j + 1) + 1 :
				    (LCS(i + 1, j) > LCS(i, j + 1) ?
				     LCS(i + 1, j) : LCS(i, j + 1));
	fprintf(stderr, "--- %s.ref (expected)\n+++ %s (actual)\n", name, name);
	for (i = 0, j = 0; i < na || j < nb;) {
		if (i < na && j < nb && strcmp(a[i], b[j]) == 0) {
			fprintf(stderr, " %s\n", a[i]);
			i++, j++;
		} else if (j < nb && (i == na || LCS(i, j + 1) >= LCS(i + 1, j))) {
			fprintf(stderr, "+%s\n", b[j++]);
		} else {
			fprintf(stderr, "-%s\n", a[i++]);
		}
	}
#undef LCS
	free(L);
	free(a);
	free(b);
}

static void test_golden(void **state)
{
	const char *yaml = *state;
	size_t len = strlen(yaml), want_len = 0, got_len = 0;
	char *ref = xasprintf("%.*s.ref", (int)(len - 5), yaml);
	char *want, *got = NULL;
	struct plan_diags d;
	struct plan *p = NULL;
	struct err err;
	FILE *mem;
	int rc;

	plan_diags_init(&d);
	err_clear(&err);
	rc = plan_load(yaml, &p, &d, &err);
	mem = open_memstream(&got, &got_len);
	assert_non_null(mem);
	plan_diags_print(&d, mem);
	fclose(mem);

	if (getenv("UPDATE_GOLDEN") && *getenv("UPDATE_GOLDEN") == '1') {
		FILE *fp = fopen(ref, "w");

		assert_non_null(fp);
		fputs(got, fp);
		assert_int_equal(fclose(fp), 0);
	}
	want = slurp(ref, &want_len);
	if (!want) {
		fprintf(stderr, "%s: missing (run with UPDATE_GOLDEN=1)\n", ref);
		fail();
	}
	if (strcmp(want, got) != 0) {
		print_diff(yaml, want, got);
		fail_msg("%s: output differs from %s", yaml, ref);
	}
	/* The outcome must agree with the messages. */
	if (d.n_errors) {
		assert_int_equal(rc, -1);
		assert_null(p);
		assert_int_equal(err.cat, ERR_PLAN);
	} else {
		assert_int_equal(rc, 0);
		assert_non_null(p);
	}
	plan_free(p);
	plan_diags_release(&d);
	free(want);
	free(got);
	free(ref);
}

int main(void)
{
	struct CMUnitTest *tests;
	glob_t g;
	int rc;

	if (chdir(SRCDIR) < 0) {
		perror(SRCDIR);
		return 1;
	}
	if (glob("tests/golden/plan/*.yaml", 0, NULL, &g) != 0) {
		fprintf(stderr, "no golden plans found\n");
		return 1;
	}
	tests = xcalloc(g.gl_pathc, sizeof(*tests));
	for (size_t i = 0; i < g.gl_pathc; i++) {
		tests[i].name = g.gl_pathv[i];
		tests[i].test_func = test_golden;
		tests[i].initial_state = g.gl_pathv[i];
	}
	rc = _cmocka_run_group_tests("plan_golden", tests, g.gl_pathc, NULL,
				     NULL);
	free(tests);
	globfree(&g);
	return rc;
}
