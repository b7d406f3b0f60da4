/* Unit tests for imapsync/imap_rate.c: the bandwidth cap.  Every clock
 * here is fake (nothing really sleeps): a pattern of transfers must give
 * exactly the waits a token bucket of a quarter second gives, and takers
 * in parallel threads must share one cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MS 1000000ll		/* ns */
#define SEC 1000000000ll

static void test_lifecycle(void **state)
{
	struct imapsync_rate *r;

	(void)state;
	assert_null(imapsync_rate_new(0));		/* 0: no cap */
	assert_null(imapsync_rate_free(NULL));
	assert_int_equal(imap_rate_charge(NULL, 1 << 20, 0), 0);
	assert_int_equal(imap_rate_chunk(NULL, 65536), 65536);
	r = imapsync_rate_new(1000);
	assert_non_null(r);
	assert_int_equal(imap_rate_charge(r, 0, 0), 0); /* nothing moved */
	assert_null(imapsync_rate_free(r));
}

static void test_chunk(void **state)
{
	static const struct {
		uint64_t rate;
		size_t n, want;
	} cases[] = {
		{ 1000000, 65536, 65536 },	/* under a quarter second */
		{ 1000000, 1 << 20, 250000 },	/* a quarter second */
		{ 10000000, 1 << 20, 1 << 20 },
		{ 1000, 65536, IMAP_RATE_MIN_CHUNK },	/* at least 1 KiB */
		{ 1000, 10, 10 },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct imapsync_rate *r = imapsync_rate_new(cases[i].rate);

		assert_int_equal(imap_rate_chunk(r, cases[i].n), cases[i].want);
		imapsync_rate_free(r);
	}
}

/* A byte pattern at 1000 bytes/s (a quarter second of credit = 250
 * bytes): each step is (clock, bytes moved, wait expected). */
static void test_pattern(void **state)
{
	static const struct {
		int64_t now;
		uint64_t bytes;
		int64_t wait;
	} steps[] = {
		{ 0, 100, 0 },		/* the first 250 bytes: credit */
		{ 0, 100, 0 },
		{ 0, 100, 50 * MS },		/* 50 bytes over */
		{ 50 * MS, 1000, 1000 * MS },	/* paid; a second's worth */
		{ 1050 * MS, 1, 1 * MS },	/* right on time: no credit */
		{ 1051 * MS, 0, 0 },		/* nothing moved */
		{ 900 * MS, 10, 161 * MS },	/* an earlier clock (another
						 * taker's): waits longer */
		/* ten seconds idle: the credit is a quarter second, no more */
		{ 11 * SEC, 2000, 1750 * MS },
		{ 12750 * MS, 250, 250 * MS },
		/* idle again: exactly the credit goes without a wait */
		{ 20 * SEC, 250, 0 },
		{ 20 * SEC, 1, 1 * MS },
	};
	struct imapsync_rate *r = imapsync_rate_new(1000);

	(void)state;
	for (size_t i = 0; i < N(steps); i++) {
		int64_t w = imap_rate_charge(r, steps[i].bytes, steps[i].now);

		if (w != steps[i].wait)
			fail_msg("step %zu: wait %lld ns, want %lld ns", i,
				 (long long)w, (long long)steps[i].wait);
	}
	imapsync_rate_free(r);
}

/* Small charges add up exactly: 3 bytes/s, one byte at a time. */
static void test_exact(void **state)
{
	struct imapsync_rate *r = imapsync_rate_new(3);
	int64_t w = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		w = imap_rate_charge(r, 1, 0);
	assert_int_equal(w, SEC - 250 * MS);
	for (int i = 0; i < 3000; i++)
		w = imap_rate_charge(r, 1, 0);
	assert_int_equal(w, 1001 * SEC - 250 * MS);
	imapsync_rate_free(r);
}

/* A fake clock that moves only when its owner naps. */
struct fake {
	int64_t now;
	int64_t naps, longest;
	int64_t bad;		/* naps of 0 or less (never expected) */
};

static int64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void fake_nap(void *ctx, int64_t ns)
{
	struct fake *f = ctx;

	/* no cmocka assertion here: it may run in another thread */
	if (ns <= 0)
		f->bad++;
	f->now += ns;
	f->naps++;
	if (ns > f->longest)
		f->longest = ns;
}

/* One session reads 100,000 bytes under 20,000 bytes/s, in the chunks
 * the driver would use: it takes 5 s less the quarter second of credit,
 * in naps of at most a slice, and is never ahead of the cap. */
static void test_take_single(void **state)
{
	const uint64_t rate = 20000, total = 100000;
	struct imapsync_rate *r = imapsync_rate_new(rate);
	struct fake f;
	uint64_t done = 0;

	(void)state;
	memset(&f, 0, sizeof f);
	while (done < total) {
		size_t n = imap_rate_chunk(r, 65536);

		assert_int_equal(n, 5000);
		imap_rate_take_with(r, n, fake_now, fake_nap, &f);
		done += n;
		/* bytes so far <= cap * elapsed + the credit */
		assert_true(done * SEC <= rate * (uint64_t)f.now +
						  rate * (uint64_t)SEC / 4);
	}
	assert_int_equal(f.now, 5 * SEC - 250 * MS);
	assert_true(f.longest <= IMAP_RATE_SLICE_NS);
	assert_true(f.naps >= (5 * SEC - 250 * MS) / IMAP_RATE_SLICE_NS);
	assert_int_equal(f.bad, 0);
	imapsync_rate_free(r);
}

/* Two sessions that take turns share the cap half and half. */
static void test_take_turns(void **state)
{
	struct imapsync_rate *r = imapsync_rate_new(1000);
	struct fake a, b;

	(void)state;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	for (int k = 1; k <= 20; k++) {
		imap_rate_take_with(r, 500, fake_now, fake_nap, &a);
		imap_rate_take_with(r, 500, fake_now, fake_nap, &b);
		/* each has moved 500k bytes: at 500 bytes/s, less credit */
		assert_int_equal(a.now, k * SEC - 750 * MS);
		assert_int_equal(b.now, k * SEC - 250 * MS);
	}
	imapsync_rate_free(r);
}

/* Takers in parallel threads, each on its own fake clock (its time moves
 * only by its own naps), all on one cap. */
#define THREADS 8
#define CHUNKS 200
#define CHUNK 1000
#define RATE 40000ull

struct taker {
	struct imapsync_rate *r;
	struct fake f;
	uint64_t bytes;
};

static void *taker_main(void *arg)
{
	struct taker *t = arg;

	for (int i = 0; i < CHUNKS; i++) {
		imap_rate_take_with(t->r, CHUNK, fake_now, fake_nap, &t->f);
		t->bytes += CHUNK;
	}
	return NULL;
}

static void test_take_threads(void **state)
{
	struct imapsync_rate *r = imapsync_rate_new(RATE);
	struct taker t[THREADS];
	pthread_t th[THREADS];
	int64_t last = 0;
	uint64_t bytes = 0;

	(void)state;
	memset(t, 0, sizeof t);
	for (int i = 0; i < THREADS; i++) {
		t[i].r = r;
		assert_int_equal(pthread_create(&th[i], NULL, taker_main,
						&t[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		bytes += t[i].bytes;
		if (t[i].f.now > last)
			last = t[i].f.now;
		assert_true(t[i].f.longest <= IMAP_RATE_SLICE_NS);
		assert_int_equal(t[i].f.bad, 0);
		/* no one went faster than the whole cap on its own */
		assert_true(t[i].bytes * SEC <=
			    RATE * (uint64_t)t[i].f.now + RATE * SEC / 4);
	}
	assert_int_equal(bytes, (uint64_t)THREADS * CHUNKS * CHUNK);
	/* together at the cap, whatever the interleaving: the last one
	 * finishes when all bytes would have passed at exactly the cap,
	 * less the quarter second of credit (1,600,000 bytes: 40 s) */
	assert_int_equal(last, (int64_t)(bytes * SEC / RATE) - 250 * MS);
	imapsync_rate_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_chunk),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_take_single),
		cmocka_unit_test(test_take_turns),
		cmocka_unit_test(test_take_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
