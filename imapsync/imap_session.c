/*
 * imap_session.c -- the two sessions of a job: opened together (the
 * destination in a thread of its own, so connect, greeting and login
 * cost their round trips once), or the source alone first; retried
 * while a server is unreachable; reopened after a failure with a wait
 * that doubles each time or follows the server's "backoff" hint.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

/* Test hooks: pretend a server lacks an extension (integration tests of
 * the paths that real servers without UIDPLUS or CONDSTORE take). */
static void test_hooks(struct imap_conn *c)
{
	const char *h = getenv("MIGRATE_TEST_IMAP_WITHOUT");

	if (!h || !*h)
		return;
	if (strstr(h, "UIDPLUS"))
		c->caps.uidplus = false;
	if (strstr(h, "CONDSTORE"))
		c->caps.condstore = c->caps.qresync = false;
	if (strstr(h, "LITERAL+"))
		c->caps.literalplus = false;
	if (strstr(h, "MULTIAPPEND"))
		c->caps.multiappend = false;
}

static int open_side(struct imap_conn *c, const struct imapsync_endpoint *ep,
		     const struct imapsync_cred *cr, const char *role,
		     struct err *err)
{
	if (imap_conn_open(c, ep, cr, role, err) < 0) {
		imap_conn_close(c);
		return -1;
	}
	test_hooks(c);
	return 0;
}

/* Seconds the server asked us to wait, from "backoff" text, or 0. */
static unsigned server_backoff(const char *msg)
{
	char *low = xstrdup(msg);
	const char *p;
	unsigned secs = 0;

	str_lower(low);
	p = strstr(low, "backoff");

	while (p && *p && !isdigit((unsigned char)*p))
		p++;
	if (p && *p) {
		unsigned long v = strtoul(p, NULL, 10);

		secs = v > 300 ? 300 : (unsigned)v;
	}
	free(low);
	return secs;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Wait before attempt `n` (1-based) and reconnect dead sessions.  0 when
 * both sessions are up; -1 with err when they cannot be. */
int imap_sessions_recover(struct imap_sync *sy, unsigned n,
			  const struct err *why, struct err *err)
{
	const struct imapsync_job *job = sy->job;
	unsigned base = job->backoff_ms ? job->backoff_ms : 1000;
	unsigned wait = base << (n - 1 < 6 ? n - 1 : 6);
	unsigned hint = server_backoff(why->msg);

	if (hint)
		wait = hint * 1000;
	if (wait > 60000 && !hint)
		wait = 60000;
	log_info(LOGC_SYNC, "%s: %s; retrying in %u ms (attempt %u of %u)",
		 job->user, why->msg, wait, n, job->retries ? job->retries : 3);
	sleep_ms(wait);
	sy->res->reconnects++;
	if (!imap_conn_alive(&sy->src) &&
	    open_side(&sy->src, &job->src, &job->src_cred, "source", err) < 0)
		return -1;
	if (!imap_conn_alive(&sy->dst) &&
	    open_side(&sy->dst, &job->dst, &job->dst_cred, "destination",
		      err) < 0)
		return -1;
	return 0;
}

struct open_arg {
	struct imap_sync *sy;
	struct err err;
	int rc;
};

static void *open_dst_thread(void *p)
{
	struct open_arg *a = p;
	const struct imapsync_job *job = a->sy->job;

	a->rc = open_side(&a->sy->dst, &job->dst, &job->dst_cred,
			  "destination", &a->err);
	return NULL;
}

/* Both sessions opened at the same time (the destination in a thread of
 * its own): connect, greeting and login cost their round trips once. */
static int open_parallel(struct imap_sync *sy, struct err *err)
{
	struct open_arg a;
	pthread_t t;
	int rc;

	memset(&a, 0, sizeof a);
	a.sy = sy;
	err_clear(&a.err);
	if (pthread_create(&t, NULL, open_dst_thread, &a) != 0)
		return open_side(&sy->src, &sy->job->src, &sy->job->src_cred,
				 "source", err) < 0 ||
		       open_side(&sy->dst, &sy->job->dst, &sy->job->dst_cred,
				 "destination", err) < 0 ? -1 : 0;
	rc = open_side(&sy->src, &sy->job->src, &sy->job->src_cred, "source",
		       err);
	pthread_join(t, NULL);
	if (rc == 0 && a.rc < 0) {
		err_copy(err, &a.err);
		rc = -1;
	}
	return rc;
}

/* Open the source session and, with_dst, the destination's, with
 * retries for unreachable servers. */
int imap_sessions_open(struct imap_sync *sy, bool with_dst,
			 struct err *err)
{
	const struct imapsync_job *job = sy->job;
	unsigned tries = job->retries ? job->retries : 3, n;
	struct err e;

	for (n = 0;; n++) {
		err_clear(&e);
		if (n == 0 && with_dst && !imap_conn_alive(&sy->src) &&
		    !imap_conn_alive(&sy->dst)) {
			if (open_parallel(sy, &e) == 0)
				return 0;
		} else if ((imap_conn_alive(&sy->src) ||
		     open_side(&sy->src, &job->src, &job->src_cred, "source",
			       &e) == 0) &&
		    (!with_dst || imap_conn_alive(&sy->dst) ||
		     open_side(&sy->dst, &job->dst, &job->dst_cred,
			       "destination", &e) == 0))
			return 0;
		if (e.retry == RETRY_NEVER || e.cat == ERR_AUTH || n >= tries) {
			if (e.retry == RETRY_NOW)
				e.retry = RETRY_LATER;
			return err_copy(err, &e);
		}
		{
			unsigned base = job->backoff_ms ? job->backoff_ms : 1000;
			unsigned wait = base << (n < 6 ? n : 6);

			log_info(LOGC_SYNC, "%s: %s; retrying in %u ms",
				 job->user, e.msg, wait);
			sleep_ms(wait > 60000 ? 60000 : wait);
		}
	}
}

void imap_sessions_close(struct imap_sync *sy)
{
	imap_conn_close(&sy->src);
	imap_conn_close(&sy->dst);
	free(sy->src.where);
	free(sy->dst.where);
	sy->src.where = sy->dst.where = NULL;
}

