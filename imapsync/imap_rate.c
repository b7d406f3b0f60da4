/*
 * imap_rate.c -- a bandwidth cap shared by every session to one server.
 *
 * A token bucket in its "virtual time" form (GCRA): `tat` is the moment
 * at which every byte charged so far would have gone through at exactly
 * the cap.  A transfer of n bytes moves tat on by n / rate; the taker
 * then waits until tat, so all takers together never go faster than the
 * cap.  An idle bucket fills up to a quarter of a second of credit
 * (tat may lag that far behind now), which lets small bursts through
 * without waiting.  Takers charge after they moved their bytes (only
 * then is the number on the wire known) and pay by sleeping before their
 * next transfer; each read or write moves at most imap_rate_chunk()
 * bytes, so one transfer adds at most a quarter of a second of debt.
 *
 * The stream driver (imap_net.c) is the only caller inside the engine;
 * several user jobs share one struct imapsync_rate from their threads.
 * The lock covers only the arithmetic: nobody sleeps while holding it.
 * Sleeps go in slices of IMAP_RATE_SLICE_NS, and they happen between
 * system calls, never inside one, so they never count against a
 * session's per-operation deadline (SO_RCVTIMEO / SO_SNDTIMEO).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "imapsync/imap_int.h"
#include "util/xalloc.h"

#define NS 1000000000ull

struct imapsync_rate {
	pthread_mutex_t lock;
	uint64_t rate;		/* bytes per second, > 0 */
	int64_t burst_ns;	/* credit an idle bucket may gather */
	bool started;		/* tat is set */
	int64_t tat;		/* ns on the caller's clock */
	uint64_t rem;		/* (bytes * NS) % rate carried over, so
				 * many small charges add up exactly */
};

struct imapsync_rate *imapsync_rate_new(uint64_t bytes_per_sec)
{
	struct imapsync_rate *r;

	if (bytes_per_sec == 0)
		return NULL;
	r = xcalloc(1, sizeof *r);
	if (pthread_mutex_init(&r->lock, NULL) != 0)
		abort();
	r->rate = bytes_per_sec;
	r->burst_ns = (int64_t)(NS / 4);
	return r;
}

struct imapsync_rate *imapsync_rate_free(struct imapsync_rate *r)
{
	if (r) {
		pthread_mutex_destroy(&r->lock);
		free(r);
	}
	return NULL;
}

size_t imap_rate_chunk(const struct imapsync_rate *r, size_t n)
{
	uint64_t max;

	if (!r)
		return n;
	max = r->rate / 4;	/* a quarter of a second */
	if (max < IMAP_RATE_MIN_CHUNK)
		max = IMAP_RATE_MIN_CHUNK;
	return n > max ? (size_t)max : n;
}

int64_t imap_rate_charge(struct imapsync_rate *r, uint64_t bytes,
			 int64_t now)
{
	unsigned __int128 q;
	int64_t cost, wait;

	if (!r || bytes == 0)
		return 0;
	pthread_mutex_lock(&r->lock);
	q = (unsigned __int128)bytes * NS + r->rem;
	cost = (int64_t)(q / r->rate);
	r->rem = (uint64_t)(q % r->rate);
	/* an idle bucket holds at most burst_ns of credit; a clock read
	 * before another taker's later one is simply further behind tat */
	if (!r->started || r->tat < now - r->burst_ns)
		r->tat = now - r->burst_ns;
	r->started = true;
	r->tat += cost;
	wait = r->tat > now ? r->tat - now : 0;
	pthread_mutex_unlock(&r->lock);
	return wait;
}

void imap_rate_take_with(struct imapsync_rate *r, uint64_t bytes,
			 int64_t (*now)(void *ctx),
			 void (*nap)(void *ctx, int64_t ns), void *ctx)
{
	int64_t t, until;

	if (!r || bytes == 0)
		return;
	t = now(ctx);
	until = t + imap_rate_charge(r, bytes, t);
	while (t < until) {
		int64_t d = until - t;

		nap(ctx, d > IMAP_RATE_SLICE_NS ? IMAP_RATE_SLICE_NS : d);
		t = now(ctx);
	}
}

static int64_t mono_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NS + ts.tv_nsec;
}

static void mono_nap(void *ctx, int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / (int64_t)NS,
			       .tv_nsec = ns % (int64_t)NS };

	(void)ctx;
	/* interrupted: the caller looks at the clock and naps again */
	(void)nanosleep(&ts, NULL);
}

void imap_rate_take(struct imapsync_rate *r, uint64_t bytes)
{
	imap_rate_take_with(r, bytes, mono_ns, mono_nap, NULL);
}
