/*
 * test_state_dns.c -- the dns_records table (migrate/state_dns.c): a row
 * round-trips with its NULLs, updates in place, lists in order, and
 * state_dns_lowered_foreach (what "migrate status" shows) sees exactly
 * the rows lowered and not yet restored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/state.h"
#include "util/err.h"
#include "util/xalloc.h"

static char dir[64];
static struct state *st;

static int setup(void **ctx)
{
	struct err err;
	char *path;

	(void)ctx;
	err_clear(&err);
	strcpy(dir, "/tmp/test_state_dns.XXXXXX");
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/s.db", dir);
	assert_int_equal(state_open(path, STATE_CREATE, &st, &err), 0);
	free(path);
	return 0;
}

static int teardown(void **ctx)
{
	char cmd[128];

	(void)ctx;
	st = state_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char z[] = "corp.example.", mx[] = "MX", txt[] = "TXT",
	    apex[] = "corp.example.", orig[] = "10 a.example.\n20 b.example.",
	    neu[] = "10 c.example.", spf[] = "\"v=spf1 -all\"",
	    fin[] = "final";

static void fill(struct state_dns_record *r, char *name, char *type,
		 char *rdata)
{
	memset(r, 0, sizeof *r);
	r->zone = z;
	r->name = name;
	r->type = type;
	r->orig_ttl = 3600;
	r->orig_rdata = rdata;
	r->saved_at = 1000;
	r->lowered_ttl = r->prev_ttl = r->last_ttl = -1;
}

static void test_roundtrip(void **ctx)
{
	struct state_dns_record r, g;
	struct err err;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(state_dns_get(st, z, apex, mx, &g, &err), 0);
	fill(&r, apex, mx, orig);
	assert_int_equal(state_dns_put(st, &r, &err), 0);
	assert_int_equal(state_dns_get(st, z, apex, mx, &g, &err), 1);
	assert_string_equal(g.orig_rdata, orig);
	assert_int_equal(g.orig_ttl, 3600);
	assert_int_equal(g.saved_at, 1000);
	assert_null(g.phase);
	assert_int_equal(g.lowered_ttl, -1);
	assert_int_equal(g.lowered_at, 0);
	assert_int_equal(g.safe_after, 0);
	assert_int_equal(g.prev_ttl, -1);
	assert_null(g.prev_rdata);
	assert_null(g.changed_rdata);
	assert_int_equal(g.last_ttl, -1);
	assert_int_equal(g.restored_at, 0);
	state_dns_record_release(&g);

	/* every later step updates the same row */
	r.phase = fin;
	r.lowered_ttl = 300;
	r.lowered_at = 2000;
	r.safe_after = 5600;
	r.prev_ttl = 300;
	r.prev_rdata = orig;
	r.changed_rdata = neu;
	r.changed_at = 6000;
	r.last_ttl = 300;
	r.last_rdata = neu;
	assert_int_equal(state_dns_put(st, &r, &err), 0);
	assert_int_equal(state_dns_get(st, z, apex, mx, &g, &err), 1);
	assert_string_equal(g.phase, "final");
	assert_int_equal(g.lowered_ttl, 300);
	assert_int_equal(g.safe_after, 5600);
	assert_string_equal(g.prev_rdata, orig);
	assert_string_equal(g.changed_rdata, neu);
	assert_int_equal(g.changed_at, 6000);
	assert_string_equal(g.last_rdata, neu);
	state_dns_record_release(&g);
	/* another zone is another row */
	assert_int_equal(state_dns_get(st, "other.example.", apex, mx, &g,
				       &err), 0);
}

struct seen {
	char names[8][64];
	long ttl[8];
	int n;
};

static int see_lowered(void *ctx, const char *name, const char *type,
		       long orig_ttl, time_t lowered_at)
{
	struct seen *s = ctx;

	(void)lowered_at;
	snprintf(s->names[s->n], sizeof s->names[0], "%s %s", name, type);
	s->ttl[s->n++] = orig_ttl;
	return 0;
}

static int see_row(void *ctx, const struct state_dns_record *r)
{
	struct seen *s = ctx;

	snprintf(s->names[s->n], sizeof s->names[0], "%s %s", r->name,
		 r->type);
	s->ttl[s->n++] = (long)r->orig_ttl;
	return 0;
}

static void test_lowered(void **ctx)
{
	struct state_dns_record r;
	struct seen s;
	struct err err;

	(void)ctx;
	err_clear(&err);
	/* MX: saved only (no lowered_at): not shown */
	fill(&r, apex, mx, orig);
	assert_int_equal(state_dns_put(st, &r, &err), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(state_dns_lowered_foreach(st, see_lowered, &s, &err),
			 0);
	assert_int_equal(s.n, 0);
	/* TXT lowered: shown; MX lowered then restored: not shown */
	fill(&r, apex, txt, spf);
	r.orig_ttl = 60;
	r.lowered_ttl = 5;
	r.lowered_at = 2000;
	assert_int_equal(state_dns_put(st, &r, &err), 0);
	fill(&r, apex, mx, orig);
	r.lowered_ttl = 300;
	r.lowered_at = 2000;
	r.restored_at = 3000;
	assert_int_equal(state_dns_put(st, &r, &err), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(state_dns_lowered_foreach(st, see_lowered, &s, &err),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "corp.example. TXT");
	assert_int_equal(s.ttl[0], 60);
	/* foreach: every row of the zone, by name and type */
	memset(&s, 0, sizeof s);
	assert_int_equal(state_dns_foreach(st, z, see_row, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "corp.example. MX");
	assert_string_equal(s.names[1], "corp.example. TXT");
	memset(&s, 0, sizeof s);
	assert_int_equal(state_dns_foreach(st, "other.example.", see_row, &s,
					   &err), 0);
	assert_int_equal(s.n, 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(state_dns_foreach(st, NULL, see_row, &s, &err), 0);
	assert_int_equal(s.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lowered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
