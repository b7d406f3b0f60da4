/*
 * run.c -- run a program by argv with a deadline and captured output.
 *
 * fork + execvp.  Every descriptor we create is O_CLOEXEC; the child
 * reports a failed chdir or exec through a CLOEXEC status pipe, so the
 * parent sees EOF on success and an errno otherwise.  SIGPIPE is blocked
 * in this thread while we feed stdin (a child that stops reading gives
 * EPIPE, not a dead parent) and any SIGPIPE we raised is consumed before
 * the old mask comes back.
 */
#define _GNU_SOURCE	/* pipe2, execvpe */
#include "util/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

extern char **environ;

#define RUN_MAX_OUTPUT_DEFAULT ((size_t)1 << 20)
#define RUN_KILL_GRACE_MS 1000
#define RUN_CHUNK 65536

enum { STAGE_DUP = 1, STAGE_CHDIR, STAGE_EXEC };

struct child_status {
	int stage;
	int errnum;
};

void run_result_init(struct run_result *r)
{
	memset(r, 0, sizeof(*r));
	sbuf_init(&r->out, RUN_MAX_OUTPUT_DEFAULT);
	sbuf_init(&r->errout, RUN_MAX_OUTPUT_DEFAULT);
}

void run_result_release(struct run_result *r)
{
	sbuf_release(&r->out);
	sbuf_release(&r->errout);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void child_fail(int status_fd, int stage) __attribute__((noreturn));

static void child_fail(int status_fd, int stage)
{
	struct child_status cs = { stage, errno };
	ssize_t n;

	do
		n = write(status_fd, &cs, sizeof(cs));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(char *const argv[], const struct run_opts *o,
		       const int src[3], int status_fd,
		       const sigset_t *oldmask)
{
	struct sigaction sa;
	int tmp[3];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	/* Move the sources above 2 first so no dup2 clobbers another. */
	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			child_fail(status_fd, STAGE_DUP);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			child_fail(status_fd, STAGE_DUP);
	if (o->cwd && chdir(o->cwd) < 0)
		child_fail(status_fd, STAGE_CHDIR);
	/* PATH is searched in our environment, not the replacement. */
	execvpe(argv[0], argv, o->env ? o->env : environ);
	child_fail(status_fd, STAGE_EXEC);
}

/* Wait for EOF (exec succeeded) or a struct child_status on fd. */
static int read_status(int fd, struct child_status *cs)
{
	size_t got = 0;

	while (got < sizeof(*cs)) {
		ssize_t n = read(fd, (char *)cs + got, sizeof(*cs) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got == sizeof(*cs) ? -1 : 0;
}

static void reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* Read what is there on fd into sb (capped); close fd at EOF. */
static void drain(int *fd, struct sbuf *sb, bool *truncated)
{
	char buf[RUN_CHUNK];

	for (;;) {
		ssize_t n = read(*fd, buf, sizeof(buf));
		size_t room, take;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
		room = sb->max - sb->len;
		take = (size_t)n < room ? (size_t)n : room;
		if (take)
			sbuf_add(sb, buf, take);
		if (take < (size_t)n)
			*truncated = true;
	}
}

static void feed(int *fd, const struct run_opts *o, size_t *off)
{
	while (*off < o->input_len) {
		size_t chunk = o->input_len - *off;
		ssize_t n;

		if (chunk > RUN_CHUNK)
			chunk = RUN_CHUNK;
		n = write(*fd, o->input + *off, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {	/* EPIPE: the child stopped reading */
			close_fd(fd);
			return;
		}
		*off += (size_t)n;
	}
	close_fd(fd);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Deadline bookkeeping shared by the poll loop and the final wait. */
struct run_timer {
	pid_t pid;
	int64_t deadline;	/* -1: none */
	int64_t kill_at;	/* SIGKILL due, or -1 */
	int64_t give_up_at;	/* stop reading after SIGKILL, or -1 */
};

/* Send SIGTERM / SIGKILL when due; returns the next time to act or -1. */
static int64_t timer_tick(struct run_timer *t, struct run_result *r,
			  int64_t now)
{
	if (t->deadline >= 0 && !r->timed_out && now >= t->deadline) {
		r->timed_out = true;
		kill(t->pid, SIGTERM);
		t->kill_at = now + RUN_KILL_GRACE_MS;
	}
	if (t->kill_at >= 0 && now >= t->kill_at) {
		kill(t->pid, SIGKILL);
		t->kill_at = -1;
		t->give_up_at = now + RUN_KILL_GRACE_MS;
	}
	if (!r->timed_out)
		return t->deadline;
	return t->kill_at >= 0 ? t->kill_at : t->give_up_at;
}

/* The poll loop: feed stdin, collect output, enforce the deadline. */
static void pump(struct run_timer *t, const struct run_opts *o, int *in_fd,
		 int *out_fd, int *err_fd, struct run_result *r)
{
	size_t off = 0;

	while (*in_fd >= 0 || *out_fd >= 0 || *err_fd >= 0) {
		int64_t now = timeutil_mono_ms(), next;
		struct pollfd p[3];
		nfds_t n = 0;
		int rc;

		next = timer_tick(t, r, now);
		if (r->timed_out)
			close_fd(in_fd);
		/* A grandchild may hold the pipes open: stop waiting. */
		if (t->give_up_at >= 0 && now >= t->give_up_at)
			break;
		if (*in_fd >= 0)
			p[n++] = (struct pollfd){ .fd = *in_fd, .events = POLLOUT };
		if (*out_fd >= 0)
			p[n++] = (struct pollfd){ .fd = *out_fd, .events = POLLIN };
		if (*err_fd >= 0)
			p[n++] = (struct pollfd){ .fd = *err_fd, .events = POLLIN };
		if (n == 0)
			break;
		rc = poll(p, n, next < 0 ? -1 : (int)(next - now));
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == *in_fd)
				feed(in_fd, o, &off);
			else if (p[i].fd == *out_fd)
				drain(out_fd, &r->out, &r->out_truncated);
			else if (p[i].fd == *err_fd)
				drain(err_fd, &r->errout, &r->err_truncated);
		}
	}
}

/* Wait for the child, still under the deadline (it may have closed its
 * pipes and gone on running).  0, or -1 with errno from waitpid. */
static int wait_child(struct run_timer *t, struct run_result *r, int *status)
{
	long nap_ms = 1;

	for (;;) {
		pid_t w = waitpid(t->pid, status, t->deadline < 0 ? 0 : WNOHANG);
		int64_t now, next;
		struct timespec ts;

		if (w == t->pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		if (w < 0)
			continue;
		now = timeutil_mono_ms();
		next = timer_tick(t, r, now);
		if (t->give_up_at >= 0) {	/* SIGKILLed: it will go */
			t->deadline = -1;
			continue;
		}
		if (next >= 0 && next - now < nap_ms)
			nap_ms = next - now > 0 ? (long)(next - now) : 1;
		ts.tv_sec = nap_ms / 1000;
		ts.tv_nsec = nap_ms % 1000 * 1000000L;
		nanosleep(&ts, NULL);
		if (nap_ms < 50)
			nap_ms *= 2;
	}
}

static int start_error(char *const argv[], const struct child_status *cs,
		       const struct run_opts *o, struct err *err)
{
	errno = cs->errnum;
	if (cs->stage == STAGE_EXEC &&
	    (cs->errnum == ENOENT || cs->errnum == ENOTDIR))
		return err_set(err, ERR_CONFIG, RETRY_NEVER, "'%s': not found",
			       argv[0]);
	if (cs->stage == STAGE_CHDIR)
		return err_sys(err, ERR_IO, "'%s': cannot change to '%s'",
			       argv[0], o->cwd);
	return err_sys(err, ERR_IO, "'%s': cannot run", argv[0]);
}

int run_argv(char *const argv[], const struct run_opts *opts,
	     struct run_result *r, struct err *err)
{
	static const struct run_opts no_opts;
	const struct run_opts *o = opts ? opts : &no_opts;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, erp[2] = { -1, -1 };
	int st[2] = { -1, -1 };
	sigset_t pipemask, oldmask;
	struct run_timer timer = { .deadline = -1, .kill_at = -1,
				   .give_up_at = -1 };
	struct child_status cs;
	bool pipe_pending;
	size_t max = o->max_output ? o->max_output : RUN_MAX_OUTPUT_DEFAULT;
	int rc = -1, status = 0;
	pid_t pid;

	if (!argv || !argv[0])
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "run: empty argv");
	sbuf_clear(&r->out);
	sbuf_clear(&r->errout);
	r->out.max = r->errout.max = max;
	r->exit_code = r->term_signal = 0;
	r->exited = r->signaled = r->timed_out = false;
	r->out_truncated = r->err_truncated = false;

	sigemptyset(&pipemask);
	sigaddset(&pipemask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipemask, &oldmask);
	{
		sigset_t pending;

		sigpending(&pending);
		pipe_pending = sigismember(&pending, SIGPIPE);
	}

	if (o->input) {
		if (pipe2(in, O_CLOEXEC) < 0) {
			err_sys(err, ERR_IO, "'%s': pipe", argv[0]);
			goto out;
		}
	} else {
		in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in[0] < 0) {
			err_sys(err, ERR_IO, "cannot open '/dev/null'");
			goto out;
		}
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(erp, O_CLOEXEC) < 0 ||
	    pipe2(st, O_CLOEXEC) < 0) {
		err_sys(err, ERR_IO, "'%s': pipe", argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_sys(err, ERR_IO, "'%s': fork", argv[0]);
		goto out;
	}
	if (pid == 0) {
		int src[3] = { in[0], out[1], erp[1] };

		close(st[0]);
		child_exec(argv, o, src, st[1], &oldmask);
	}
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&erp[1]);
	close_fd(&st[1]);
	if (read_status(st[0], &cs) < 0) {
		reap(pid, &status);
		start_error(argv, &cs, o, err);
		goto out;
	}
	if ((in[1] >= 0 && set_nonblock(in[1]) < 0) ||
	    set_nonblock(out[0]) < 0 || set_nonblock(erp[0]) < 0) {
		err_sys(err, ERR_IO, "'%s': fcntl", argv[0]);
		kill(pid, SIGKILL);
		reap(pid, &status);
		goto out;
	}
	timer.pid = pid;
	timer.deadline = o->timeout_ms > 0
				 ? timeutil_mono_ms() + o->timeout_ms
				 : -1;
	pump(&timer, o, &in[1], &out[0], &erp[0], r);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&erp[0]);
	if (wait_child(&timer, r, &status) < 0) {
		err_sys(err, ERR_IO, "'%s': waitpid", argv[0]);
		goto out;
	}
	if (WIFEXITED(status)) {
		r->exited = true;
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signaled = true;
		r->term_signal = WTERMSIG(status);
	}
	rc = 0;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&erp[0]);
	close_fd(&erp[1]);
	close_fd(&st[0]);
	close_fd(&st[1]);
	if (!pipe_pending) {
		static const struct timespec zero;
		sigset_t pending;

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			while (sigtimedwait(&pipemask, NULL, &zero) < 0 &&
			       errno == EINTR)
				;
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}

int run_check(char *const argv[], const struct run_result *r,
	      struct err *err)
{
	const char *prog = argv && argv[0] ? argv[0] : "?";
	char *first = NULL;
	size_t n;
	int rc;

	if (r->exited && r->exit_code == 0 && !r->timed_out)
		return 0;
	n = strcspn(r->errout.buf, "\r\n");
	if (n) {
		char *line = xstrndup(r->errout.buf, n);

		first = str_sanitize(line, 300);
		free(line);
	}
	if (r->timed_out)
		rc = err_set(err, ERR_IO, RETRY_LATER, "'%s' timed out%s%s",
			     prog, first ? ": " : "", first ? first : "");
	else if (r->signaled)
		rc = err_set(err, ERR_IO, RETRY_NEVER,
			     "'%s' was killed by signal %d (%s)%s%s", prog,
			     r->term_signal, strsignal(r->term_signal),
			     first ? ": " : "", first ? first : "");
	else
		rc = err_set(err, ERR_IO, RETRY_NEVER,
			     "'%s' exited with status %d%s%s", prog,
			     r->exit_code, first ? ": " : "",
			     first ? first : "");
	free(first);
	return rc;
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-_./:=@%+,", *s)))
			return true;
	return false;
}

char *run_describe(char *const argv[])
{
	struct sbuf sb;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (size_t i = 0; argv && argv[i]; i++) {
		const char *s = argv[i];

		if (i)
			sbuf_addch(&sb, ' ');
		if (!needs_quotes(s)) {
			sbuf_addstr(&sb, s);
			continue;
		}
		sbuf_addch(&sb, '\'');
		for (; *s; s++) {
			if (*s == '\'')
				sbuf_addstr(&sb, "'\\''");
			else
				sbuf_addch(&sb, *s);
		}
		sbuf_addch(&sb, '\'');
	}
	return sbuf_detach(&sb, NULL);
}
