/*
 * benchrun.c -- run a list of commands, at most N at a time, and measure
 * them: wall time of the whole batch, peak RSS and CPU time of each.
 *
 *	benchrun [-j N] [-t SECONDS] [-l LOGDIR] [-o OUT] CMDFILE
 *
 * CMDFILE has one command per line: "NAME<TAB>SHELL COMMAND".  Each runs as
 * `/bin/sh -c COMMAND` in its own process group, stdin from /dev/null,
 * stdout and stderr appended to LOGDIR/NAME.log (default: discarded).
 * The peak RSS of a command is ru_maxrss from wait4(), which covers the
 * command and every descendant it waited for.  When the deadline (-t,
 * default 3600 s, for the whole batch) passes, every running command's
 * process group gets SIGTERM, then SIGKILL 3 s later, and commands not
 * yet started are not started.
 *
 * OUT (default stdout) gets "key=value" lines:
 *	wall_s=  max_rss_kb=  sum_rss_kb=  top_rss_kb=  user_s=  sys_s=
 *	commands=  failed=  timed_out=  not_run=
 * then one line per command: "cmd NAME STATUS WALL_S RSS_KB" where STATUS
 * is the exit code, "sigN", "timeout" or "not-run".  top_rss_kb is the
 * sum of the N largest peaks (a bound on what N concurrent commands held).
 * Exit status 0 when every command exited 0, 1 otherwise, 64 on usage
 * errors.  Needs nothing but libc: the bench builds it with cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum cmd_state { CMD_WAITING, CMD_RUNNING, CMD_DONE };

struct cmd {
	char *name;
	char *line;
	enum cmd_state state;
	pid_t pid;
	double start, end;
	long rss_kb;
	double user_s, sys_s;
	int status;	/* wait status */
	bool timed_out;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fputs("usage: benchrun [-j N] [-t SECONDS] [-l LOGDIR] [-o OUT] CMDFILE\n", stderr);
	exit(64);
}

static void die(const char *what)
{
	fprintf(stderr, "benchrun: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct cmd *read_cmds(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	struct cmd *v = NULL;
	size_t cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;

	if (!fp)
		die(path);
	*n = 0;
	while ((len = getline(&line, &lcap, fp)) >= 0) {
		char *tab;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		tab = strchr(line, '\t');
		if (!tab || tab == line || !tab[1]) {
			fprintf(stderr, "benchrun: '%s': want \"NAME<TAB>COMMAND\", got '%s'\n",
				path, line);
			exit(64);
		}
		*tab = '\0';
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("realloc");
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].name = strdup(line);
		v[*n].line = strdup(tab + 1);
		if (!v[*n].name || !v[*n].line)
			die("strdup");
		(*n)++;
	}
	free(line);
	fclose(fp);
	return v;
}

static void start_cmd(struct cmd *c, const char *logdir, const sigset_t *oldmask)
{
	char path[4096];
	pid_t pid;

	if (logdir)
		snprintf(path, sizeof(path), "%s/%s.log", logdir, c->name);
	c->start = now_s();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = logdir ? open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)
				 : open("/dev/null", O_WRONLY);

		setpgid(0, 0);
		if (in < 0 || out < 0) {
			perror("benchrun: open");
			_exit(127);
		}
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		if (in > 2)
			close(in);
		if (out > 2)
			close(out);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		execl("/bin/sh", "sh", "-c", c->line, (char *)NULL);
		perror("benchrun: exec /bin/sh");
		_exit(127);
	}
	setpgid(pid, pid);	/* both sides: no race with an early kill */
	c->pid = pid;
	c->state = CMD_RUNNING;
}

static void signal_running(struct cmd *v, size_t n, int sig)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].state == CMD_RUNNING)
			kill(-v[i].pid, sig);
}

static int cmp_long_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *logdir = NULL, *out = NULL;
	unsigned jobs = 1;
	double limit = 3600, t0, t_end = 0, deadline, kill_at = 0;
	struct cmd *v;
	size_t n, i, next = 0, running = 0, failed = 0, timed_out = 0, not_run = 0;
	long max_rss = 0, sum_rss = 0, top_rss = 0, *rss;
	double user_s = 0, sys_s = 0;
	sigset_t set, old;
	FILE *fp = stdout;
	int opt;

	while ((opt = getopt(argc, argv, "j:t:l:o:")) != -1) {
		switch (opt) {
		case 'j':
			jobs = (unsigned)atoi(optarg);
			break;
		case 't':
			limit = atof(optarg);
			break;
		case 'l':
			logdir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || jobs < 1 || limit <= 0)
		usage();
	v = read_cmds(argv[optind], &n);
	if (!n) {
		fprintf(stderr, "benchrun: '%s' lists no command\n", argv[optind]);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);

	t0 = now_s();
	deadline = t0 + limit;
	for (;;) {
		struct rusage ru;
		struct timespec ts;
		double now, wake;
		int st, sig;
		pid_t pid;

		while (next < n && running < jobs && !kill_at) {
			start_cmd(&v[next++], logdir, &old);
			running++;
		}
		while (running && (pid = wait4(-1, &st, WNOHANG, &ru)) > 0) {
			for (i = 0; i < n; i++) {
				struct cmd *c = &v[i];

				if (c->state != CMD_RUNNING || c->pid != pid)
					continue;
				c->end = now_s();
				c->state = CMD_DONE;
				c->status = st;
				c->rss_kb = ru.ru_maxrss;
				c->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
				c->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
				if (c->end > t_end)
					t_end = c->end;
				running--;
				/* leftovers in its group (daemonised children) go too */
				kill(-pid, SIGKILL);
				break;
			}
			if (i == n)
				continue;	/* not ours */
			if (next < n && !kill_at)
				break;	/* start the next one at once */
		}
		if (!running && (next == n || kill_at))
			break;
		if (next < n && running < jobs && !kill_at)
			continue;
		now = now_s();
		if (!kill_at && now >= deadline) {
			for (i = 0; i < n; i++)
				if (v[i].state == CMD_RUNNING)
					v[i].timed_out = true;
			signal_running(v, n, SIGTERM);
			kill_at = now + 3;
		} else if (kill_at && now >= kill_at) {
			signal_running(v, n, SIGKILL);
			kill_at = now + 3600;
		}
		wake = (kill_at ? kill_at : deadline) - now;
		if (wake < 0.001)
			wake = 0.001;
		ts.tv_sec = (time_t)wake;
		ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			fprintf(stderr, "benchrun: interrupted, stopping the commands\n");
			for (i = 0; i < n; i++)
				if (v[i].state == CMD_RUNNING)
					v[i].timed_out = true;
			signal_running(v, n, SIGTERM);
			if (!kill_at)
				kill_at = now_s() + 3;
		}
	}
	if (!t_end)
		t_end = now_s();

	if (out) {
		fp = fopen(out, "w");
		if (!fp)
			die(out);
	}
	rss = calloc(n, sizeof(*rss));
	if (!rss)
		die("calloc");
	for (i = 0; i < n; i++) {
		struct cmd *c = &v[i];

		if (c->state == CMD_WAITING) {
			not_run++;
			continue;
		}
		rss[i] = c->rss_kb;
		if (c->rss_kb > max_rss)
			max_rss = c->rss_kb;
		sum_rss += c->rss_kb;
		user_s += c->user_s;
		sys_s += c->sys_s;
		if (c->timed_out)
			timed_out++;
		else if (!WIFEXITED(c->status) || WEXITSTATUS(c->status))
			failed++;
	}
	qsort(rss, n, sizeof(*rss), cmp_long_desc);
	for (i = 0; i < n && i < jobs; i++)
		top_rss += rss[i];
	fprintf(fp, "wall_s=%.6f\nmax_rss_kb=%ld\nsum_rss_kb=%ld\ntop_rss_kb=%ld\n"
		"user_s=%.3f\nsys_s=%.3f\ncommands=%zu\nfailed=%zu\ntimed_out=%zu\nnot_run=%zu\n",
		t_end - t0, max_rss, sum_rss, top_rss, user_s, sys_s, n, failed,
		timed_out, not_run);
	for (i = 0; i < n; i++) {
		struct cmd *c = &v[i];
		char status[32];

		if (c->state == CMD_WAITING)
			snprintf(status, sizeof(status), "not-run");
		else if (c->timed_out)
			snprintf(status, sizeof(status), "timeout");
		else if (WIFSIGNALED(c->status))
			snprintf(status, sizeof(status), "sig%d", WTERMSIG(c->status));
		else
			snprintf(status, sizeof(status), "%d", WEXITSTATUS(c->status));
		fprintf(fp, "cmd %s %s %.6f %ld\n", c->name, status,
			c->state == CMD_WAITING ? 0.0 : c->end - c->start, c->rss_kb);
	}
	if (fp != stdout)
		fclose(fp);
	free(rss);
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].line);
	}
	free(v);
	return failed || timed_out || not_run ? 1 : 0;
}
