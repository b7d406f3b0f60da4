/*
 * run.h -- run a program by argv, with a timeout and captured output.
 *
 * Never through a shell: argv[0] is looked up in PATH (execvp) and no
 * argument is ever interpreted.  stdin gets `input` (or /dev/null), stdout
 * and stderr are captured into sbufs capped at max_output bytes each (the
 * rest is read and dropped, and *_truncated is set).  When the timeout
 * expires the child gets SIGTERM, then SIGKILL a second later.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sbuf.h"

struct err;

struct run_opts {
	const char *input;	/* bytes for the child's stdin, or NULL */
	size_t input_len;
	int timeout_ms;		/* 0: no timeout */
	size_t max_output;	/* cap per stream; 0: 1 MiB */
	const char *cwd;	/* or NULL */
	char *const *env;	/* replaces the environment if not NULL */
};

struct run_result {
	int exit_code;		/* valid when exited */
	int term_signal;	/* valid when signaled */
	bool exited, signaled, timed_out;
	bool out_truncated, err_truncated;
	struct sbuf out, errout;
};

void run_result_init(struct run_result *r);
void run_result_release(struct run_result *r);

/* Returns 0 when the child ran (whatever its exit status: look at r), -1
 * when it could not be started or waited for (err says why).  A program
 * that is not found is reported as -1 with "'prog': not found". */
int run_argv(char *const argv[], const struct run_opts *opts,
	     struct run_result *r, struct err *err);

/* 0 if the child exited 0; else -1 and an error naming the program, the
 * exit status or signal or timeout, and the first line of stderr. */
int run_check(char *const argv[], const struct run_result *r,
	      struct err *err);

/* Render argv for messages: words with spaces or quotes are quoted. */
char *run_describe(char *const argv[]);

#endif
