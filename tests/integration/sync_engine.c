/*
 * sync_engine.c -- drive the sync engine's APIs the CLI does not reach
 * yet (the phase engine will), for t_sync*.bats:
 *
 *	sync_engine plan PLAN PHASE USER [copy|verify|reverse] [expunge]
 *		sync_run() of migrate/sync.h with the plan's state: the
 *		verify, reverse-delta and expunge paths
 *	sync_engine login
 *		imapsync_check_login() + imapsync_run() + imapsync_verify()
 *		with credentials from the environment (SE_* below), e.g. the
 *		"user*master" LOGIN form that no plan key selects yet
 *
 * SE_PORT_SRC, SE_PORT_DST, SE_TLS (none|starttls|implicit), SE_CA,
 * SE_USER, SE_AUTH (login|master|master-login|xoauth2), SE_ADMIN,
 * SE_SECRET (both sides use the same credentials).
 * Exit 0 when the call succeeded; verify prints every difference.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imapsync/imapsync.h"
#include "migrate/app.h"
#include "migrate/state.h"
#include "migrate/sync.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"

static int plan_mode(int argc, char **argv)
{
	struct app app;
	struct sync_request rq;
	struct sync_summary sum;
	const struct plan_user *u;
	struct err err;
	size_t phase, user;
	int rc;

	if (argc < 5)
		return 64;
	memset(&app, 0, sizeof app);
	app.out = stdout;
	app.plan_path = argv[2];
	app.command = "sync";
	if ((rc = app_load_plan(&app)) != 0 || (rc = app_open_state(&app, true)))
		return rc;
	phase = plan_phase_index(app.plan, argv[3]);
	u = plan_user_find(app.plan, argv[4]);
	if (phase == PLAN_NONE || !u)
		return 64;
	user = (size_t)(u - app.plan->users);
	memset(&rq, 0, sizeof rq);
	rq.phase = phase;
	rq.users = &user;
	rq.n_users = 1;
	rq.mode = SYNC_COPY;
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "verify"))
			rq.mode = SYNC_VERIFY;
		else if (!strcmp(argv[i], "reverse"))
			rq.mode = SYNC_REVERSE;
		else if (!strcmp(argv[i], "expunge"))
			rq.expunge = true;
	}
	err_clear(&err);
	if (sync_run(&app, &rq, &sum, &err) < 0) {
		log_err(&err);
		return err_exit_code(&err);
	}
	rc = sync_exit_code(&sum);
	if (rq.mode == SYNC_VERIFY && rc == 0)
		printf("verify: missing %zu, extra %zu, flags %zu\n",
		       sum.users[0].missing, sum.users[0].extra,
		       sum.users[0].flag_diffs);
	sync_summary_release(&sum);
	state_close(app.state);
	plan_free(app.plan);
	return rc;
}

static const char *env(const char *n, const char *dflt)
{
	const char *v = getenv(n);

	return v && *v ? v : dflt;
}

static int login_mode(void)
{
	struct imapsync_job job;
	struct imapsync_result r;
	struct imapsync_verify_result v;
	struct err err;
	const char *tls = env("SE_TLS", "starttls");
	const char *auth = env("SE_AUTH", "login");
	int rc;

	memset(&job, 0, sizeof job);
	job.user = env("SE_USER", "alice@corp.example");
	job.src.name = "src";
	job.dst.name = "dst";
	job.src.host = job.dst.host = "127.0.0.1";
	job.src.port = (unsigned)atoi(env("SE_PORT_SRC", "0"));
	job.dst.port = (unsigned)atoi(env("SE_PORT_DST", "0"));
	job.src.tls = job.dst.tls =
		!strcmp(tls, "none")	 ? IMAPSYNC_TLS_NONE :
		!strcmp(tls, "implicit") ? IMAPSYNC_TLS_IMPLICIT :
					   IMAPSYNC_TLS_STARTTLS;
	job.src.ca_file = job.dst.ca_file = getenv("SE_CA");
	job.src.timeout = job.dst.timeout = 10;
	job.src_cred.method =
		!strcmp(auth, "master")	      ? IMAPSYNC_AUTH_MASTER :
		!strcmp(auth, "master-login") ? IMAPSYNC_AUTH_MASTER_LOGIN :
		!strcmp(auth, "xoauth2")      ? IMAPSYNC_AUTH_XOAUTH2 :
						IMAPSYNC_AUTH_LOGIN;
	job.src_cred.user = job.user;
	job.src_cred.admin = getenv("SE_ADMIN");
	job.src_cred.secret = env("SE_SECRET", "");
	job.src_cred.separator = "*";
	job.dst_cred = job.src_cred;
	job.folders.special_use = true;
	job.folders.subscriptions = true;
	job.retries = 1;
	job.backoff_ms = 100;
	err_clear(&err);
	if (imapsync_check_login(&job, &err) < 0) {
		log_err(&err);
		return err_exit_code(&err);
	}
	printf("login ok\n");
	imapsync_result_init(&r);
	rc = imapsync_run(&job, &r, &err);
	printf("sync: rc %d, copied %llu, matched %llu\n", rc,
	       (unsigned long long)r.copied, (unsigned long long)r.matched);
	imapsync_result_release(&r);
	if (rc < 0) {
		log_err(&err);
		return err_exit_code(&err);
	}
	imapsync_verify_result_init(&v);
	rc = imapsync_verify(&job, &v, &err);
	printf("verify: rc %d, missing %zu, extra %zu, flags %zu\n", rc,
	       v.n_missing, v.n_extra, v.n_flags);
	imapsync_verify_result_release(&v);
	if (rc < 0)
		log_err(&err);
	return rc < 0 ? err_exit_code(&err) : 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	log_set_progname("sync_engine");
	imapsync_global_init();
	if (argc >= 2 && !strcmp(argv[1], "plan"))
		return plan_mode(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "login"))
		return login_mode();
	fprintf(stderr, "usage: sync_engine plan PLAN PHASE USER "
		"[copy|verify|reverse] [expunge] | sync_engine login\n");
	return 64;
}
