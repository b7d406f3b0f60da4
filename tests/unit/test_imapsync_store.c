/*
 * test_imapsync_store.c -- the sync engine's memory in the state store
 * (migrate/state_sync.c): folder marks, message pairs, both directions,
 * forgetting stale and expunged pairs.
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
	struct err e;
	char *p;

	(void)ctx;
	strcpy(dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/s.db", dir);
	err_clear(&e);
	assert_int_equal(state_open(p, STATE_CREATE, &st, &e), 0);
	free(p);
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

static void put(const char *dir_, const char *sf, int64_t su, const char *df,
		int64_t du, int64_t suid, int64_t duid, const char *status)
{
	struct state_msg m;
	struct err e;

	memset(&m, 0, sizeof m);
	m.src_uid = suid;
	m.dst_uid = duid;
	m.identity = "0123456789abcdef0123456789abcdef";
	m.identity_len = 32;
	m.size = 100 + suid;
	m.flags = "\\Seen";
	m.status = status;
	m.note = !strcmp(status, "skipped") ? "too large" : NULL;
	err_clear(&e);
	assert_int_equal(state_msgmap_put(st, "a@x", dir_, sf, su, df, du, &m,
					  &e), 0);
}

struct seen {
	int64_t src[16], dst[16];
	size_t n;
};

static int collect(void *ctx, const struct state_msg *m)
{
	struct seen *s = ctx;

	assert_true(s->n < 16);
	assert_int_equal(m->identity_len, 32);
	s->src[s->n] = m->src_uid;
	s->dst[s->n] = m->dst_uid;
	s->n++;
	return 0;
}

static bool has(const struct seen *s, int64_t src, int64_t dst)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->src[i] == src && s->dst[i] == dst)
			return true;
	return false;
}

static void test_folders(void **ctx)
{
	struct state_folder f, g;
	struct err e;

	(void)ctx;
	err_clear(&e);
	assert_int_equal(state_folder_get(st, "a@x", "forward", "Sent", &g, &e), 0);
	memset(&f, 0, sizeof f);
	f.src_folder = xstrdup("Sent");
	f.dst_folder = xstrdup("Sent Items");
	f.src_uidvalidity = 7;
	f.src_last_uid = 40;
	f.src_highestmodseq = 12345678901LL;
	f.dst_uidvalidity = 9;
	f.dst_last_uid = 41;
	f.msgs = 40;
	f.bytes = 1 << 20;
	assert_int_equal(state_folder_put(st, "a@x", "forward", &f, &e), 0);
	assert_int_equal(state_folder_get(st, "a@x", "forward", "Sent", &g, &e), 1);
	assert_string_equal(g.dst_folder, "Sent Items");
	assert_int_equal(g.src_highestmodseq, 12345678901LL);
	assert_int_equal(g.dst_last_uid, 41);
	state_folder_release(&g);
	/* the other direction and another user are separate */
	assert_int_equal(state_folder_get(st, "a@x", "reverse", "Sent", &g, &e), 0);
	assert_int_equal(state_folder_get(st, "b@x", "forward", "Sent", &g, &e), 0);
	/* update in place */
	f.src_last_uid = 50;
	assert_int_equal(state_folder_put(st, "a@x", "forward", &f, &e), 0);
	assert_int_equal(state_folder_get(st, "a@x", "forward", "Sent", &g, &e), 1);
	assert_int_equal(g.src_last_uid, 50);
	state_folder_release(&g);
	state_folder_release(&f);
}

static void test_pairs(void **ctx)
{
	struct seen s;
	struct err e;
	int64_t gone[] = { 2 };
	int64_t msgs, bytes;

	(void)ctx;
	err_clear(&e);
	assert_int_equal(state_begin(st, &e), 0);
	put("forward", "INBOX", 1, "INBOX", 5, 1, 11, "copied");
	put("forward", "INBOX", 1, "INBOX", 5, 2, 12, "matched");
	put("forward", "INBOX", 1, "INBOX", 5, 3, 0, "skipped");
	put("forward", "INBOX", 1, "INBOX", 4, 4, 14, "copied");	/* stale */
	assert_int_equal(state_commit(st, &e), 0);
	memset(&s, 0, sizeof s);
	assert_int_equal(state_msgmap_foreach(st, "a@x", "forward", true,
					      "INBOX", 1, "INBOX", 5, collect,
					      &s, &e), 0);
	assert_int_equal(s.n, 3);
	assert_true(has(&s, 1, 11) && has(&s, 2, 12) && has(&s, 3, 0));
	/* a replacement for the same source UID */
	put("forward", "INBOX", 1, "INBOX", 5, 1, 21, "copied");
	memset(&s, 0, sizeof s);
	state_msgmap_foreach(st, "a@x", "forward", false, "INBOX", 1, "INBOX",
			     5, collect, &s, &e);
	assert_int_equal(s.n, 3);
	assert_true(has(&s, 1, 21));
	/* the reverse direction sees the forward pairs turned around
	 * (skipped ones have no counterpart) ... */
	memset(&s, 0, sizeof s);
	state_msgmap_foreach(st, "a@x", "reverse", true, "INBOX", 5, "INBOX",
			     1, collect, &s, &e);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, 21, 1) && has(&s, 12, 2));
	/* ... and its own rows win over turned ones */
	put("reverse", "INBOX", 5, "INBOX", 1, 12, 99, "copied");
	memset(&s, 0, sizeof s);
	state_msgmap_foreach(st, "a@x", "reverse", true, "INBOX", 5, "INBOX",
			     1, collect, &s, &e);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, 12, 99) && has(&s, 21, 1));
	/* without `both`, only its own */
	memset(&s, 0, sizeof s);
	state_msgmap_foreach(st, "a@x", "reverse", false, "INBOX", 5, "INBOX",
			     1, collect, &s, &e);
	assert_int_equal(s.n, 1);
	/* counts skip skipped ones */
	assert_int_equal(state_msgmap_count(st, "a@x", &msgs, &bytes, &e), 0);
	assert_int_equal(msgs, 4);
	/* forget an expunged source UID: its turned row goes too */
	assert_int_equal(state_msgmap_forget(st, "a@x", "forward", "INBOX", 1,
					     "INBOX", 5, gone, 1, &e), 0);
	memset(&s, 0, sizeof s);
	state_msgmap_foreach(st, "a@x", "forward", false, "INBOX", 1, "INBOX",
			     5, collect, &s, &e);
	assert_int_equal(s.n, 2);
	assert_false(has(&s, 2, 12));
	/* forget everything stale (other UIDVALIDITY): the uidv-4 row */
	assert_int_equal(state_msgmap_count(st, "a@x", &msgs, &bytes, &e), 0);
	assert_int_equal(msgs, 3);
	assert_int_equal(state_msgmap_forget(st, "a@x", "forward", "INBOX", 1,
					     "INBOX", 5, NULL, 0, &e), 0);
	assert_int_equal(state_msgmap_count(st, "a@x", &msgs, &bytes, &e), 0);
	assert_int_equal(msgs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folders),
		cmocka_unit_test(test_pairs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
