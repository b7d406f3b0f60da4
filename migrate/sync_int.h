/*
 * sync_int.h -- private to migrate/sync*.c: the credentials of the
 * backends (sync_cred.c), the engine's store over the state
 * (sync_store.c), and the state of one sync_run (sync.c).
 */
#ifndef SYNC_INT_H
#define SYNC_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapsync/imapsync.h"
#include "util/sbuf.h"

struct app;
struct err;
struct plan_backend;
struct plan_user;
struct strmap;
struct sync_request;
struct sync_summary;

struct cred_row {
	char *login, *secret;
};

/* A backend's credentials, loaded once. */
struct sbackend {
	const struct plan_backend *b;
	struct strmap *rows;		/* per-user: address -> struct cred_row */
	struct sbuf master;		/* master: the admin password */
	struct imapsync_endpoint ep;
};


/* XOAUTH2: the token command, "{login}" and "{address}" replaced. */
struct token_ctx {
	const struct plan_backend *b;
	const char *login, *address;
};

/* Load a backend's credentials (see sync_cred.c). */
int sync_cred_load(struct sbackend *sb, const struct plan_backend *b,
		   struct err *err);
void sync_cred_release(struct sbackend *sb);
/* The credentials of user u on backend sb; login is the user's login
 * there (NULL: the address).  Borrowed from sb and tc. */
int sync_cred_user(struct sbackend *sb, const struct plan_user *u,
		   const char *login, struct imapsync_cred *cr,
		   struct token_ctx *tc, struct err *err);

/* One sync_run in progress. */
struct syncer {
	struct app *app;
	const struct sync_request *rq;
	struct sync_summary *sum;
	struct sbackend from, to;	/* the phase's from and to */
	struct imapsync_folder_map *fmap;
	const char *direction;		/* "forward" or "reverse" */
	pthread_mutex_t lock;		/* state, output, next, progress */
	size_t next;
	size_t done;
	int64_t t0;
	int64_t last_progress;
	bool progress_shown;
	uint64_t *live_msgs, *live_bytes;	/* per user, for the progress line */
	double *live_frac;		/* per user: share done, 0..1 (for the ETA) */
};

/* The engine's message map over the state store; ctx is a struct
 * store_ctx.  Every call takes sx->lock. */
struct store_ctx {
	struct syncer *sx;
	const char *user;
};
extern const struct imapsync_store_ops sync_store_ops;

#endif
