/* Unit tests for util/run.c: real child processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/run.h"
#include "util/xalloc.h"

/* -Wwrite-strings makes literals const; argv wants char *: copy. */
#define ARGV(...) av((const char *const[]){ __VA_ARGS__, NULL })
#define ARGV_T(...) { __VA_ARGS__, NULL }

static char **argv_pool[64];
static size_t argv_npool;

/* A heap copy of a literal argv, freed at the end of main(). */
static char **av(const char *const *a)
{
	char **v = NULL;

	for (; *a; a++)
		strv_push(&v, *a);
	assert_true(argv_npool < 64);
	argv_pool[argv_npool++] = v;
	return v;
}

struct run_case {
	const char *name;
	const char *argv[6];
	const char *input;
	int exit_code;
	const char *out;
	const char *errout;
	const char *check_msg;	/* run_check's message, NULL: success */
};

static void test_table(void **state)
{
	static const struct run_case cases[] = {
		{ "true", ARGV_T("true"), NULL, 0, "", "", NULL },
		{ "echo", ARGV_T("echo", "hello", "world"), NULL, 0,
		  "hello world\n", "", NULL },
		{ "no shell", ARGV_T("echo", "$HOME;", "`id`", "a b"), NULL, 0,
		  "$HOME; `id` a b\n", "", NULL },
		{ "exit code", ARGV_T("sh", "-c", "exit 7"), NULL, 7, "", "",
		  "'sh' exited with status 7" },
		{ "stderr", ARGV_T("sh", "-c", "echo out; printf 'bad map\\n"
				 "second line\\n' >&2; exit 1"),
		  NULL, 1, "out\n", "bad map\nsecond line\n",
		  "'sh' exited with status 1: bad map" },
		{ "stderr control chars",
		  ARGV_T("sh", "-c", "printf 'a\\033b\\n' >&2; exit 2"), NULL, 2,
		  "", "a\033b\n", "'sh' exited with status 2: a?b" },
		{ "stdin", ARGV_T("cat"), "line1\nline2", 0, "line1\nline2", "",
		  NULL },
		{ "stdin empty", ARGV_T("cat"), "", 0, "", "", NULL },
		{ "stdin null", ARGV_T("cat"), NULL, 0, "", "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct run_case *c = &cases[i];
		struct run_opts o = { .input = c->input,
				      .input_len = c->input ? strlen(c->input) : 0,
				      .timeout_ms = 10000 };
		struct run_result r;
		struct err e;

		char **argv = av(c->argv);

		print_message("case %s\n", c->name);
		err_clear(&e);
		run_result_init(&r);
		assert_int_equal(run_argv(argv, &o, &r, &e), 0);
		assert_true(r.exited);
		assert_false(r.signaled);
		assert_false(r.timed_out);
		assert_int_equal(r.exit_code, c->exit_code);
		assert_string_equal(r.out.buf, c->out);
		assert_string_equal(r.errout.buf, c->errout);
		if (c->check_msg) {
			assert_int_equal(run_check(argv, &r, &e), -1);
			assert_string_equal(e.msg, c->check_msg);
			assert_int_equal(e.cat, ERR_IO);
		} else {
			assert_int_equal(run_check(argv, &r, &e), 0);
			assert_false(err_isset(&e));
		}
		run_result_release(&r);
	}
}

static void test_big_stdin(void **state)
{
	size_t n = 3 << 20;	/* more than any pipe buffer */
	char *in = malloc(n);
	struct run_opts o = { .input = in, .input_len = n,
			      .max_output = 4 << 20, .timeout_ms = 20000 };
	struct run_result r;
	struct err e;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 23);
	err_clear(&e);
	run_result_init(&r);
	assert_int_equal(run_argv(ARGV("cat"), &o, &r, &e), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.out.len, n);
	assert_memory_equal(r.out.buf, in, n);
	assert_false(r.out_truncated);

	/* A child that never reads: EPIPE, not a dead parent (SIGPIPE is
	 * at its default here). */
	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(run_argv(ARGV("true"), &o, &r, &e), 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out.buf, "");
	run_result_release(&r);
	free(in);
}

static void test_output_cap(void **state)
{
	struct run_opts o = { .max_output = 1000, .timeout_ms = 10000 };
	struct run_result r;
	struct err e;

	(void)state;
	err_clear(&e);
	run_result_init(&r);
	assert_int_equal(run_argv(ARGV("sh", "-c",
				       "head -c 300000 /dev/zero | tr '\\0' x; "
				       "head -c 5000 /dev/zero >&2"),
				  &o, &r, &e),
			 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 0);	/* the rest was read, not refused */
	assert_int_equal(r.out.len, 1000);
	assert_true(r.out_truncated);
	assert_int_equal(r.out.buf[999], 'x');
	assert_int_equal(r.errout.len, 1000);
	assert_true(r.err_truncated);

	/* Default cap: 1 MiB. */
	o.max_output = 0;
	assert_int_equal(run_argv(ARGV("head", "-c", "1100000", "/dev/zero"),
				  &o, &r, &e),
			 0);
	assert_int_equal(r.out.len, 1 << 20);
	assert_true(r.out_truncated);
	assert_false(r.err_truncated);
	run_result_release(&r);
}

static void test_timeout(void **state)
{
	struct run_opts o = { .timeout_ms = 200 };
	char *const *argv = ARGV("sleep", "10");
	struct run_result r;
	struct err e;

	(void)state;
	err_clear(&e);
	run_result_init(&r);
	assert_int_equal(run_argv(argv, &o, &r, &e), 0);
	assert_true(r.timed_out);
	assert_false(r.exited);
	assert_true(r.signaled);
	assert_int_equal(r.term_signal, SIGTERM);
	assert_int_equal(run_check(argv, &r, &e), -1);
	assert_string_equal(e.msg, "'sleep' timed out");
	assert_int_equal(e.retry, RETRY_LATER);

	/* A child that ignores SIGTERM gets SIGKILL. */
	err_clear(&e);
	assert_int_equal(run_argv(ARGV("sh", "-c", "trap '' TERM; exec sleep 10"),
				  &o, &r, &e),
			 0);
	assert_true(r.timed_out);
	assert_true(r.signaled);
	assert_int_equal(r.term_signal, SIGKILL);

	/* The deadline holds for a child that closed its pipes. */
	err_clear(&e);
	assert_int_equal(run_argv(ARGV("sh", "-c", "exec >/dev/null 2>&1; "
				       "exec sleep 10"),
				  &o, &r, &e),
			 0);
	assert_true(r.timed_out);
	assert_true(r.signaled);
	assert_int_equal(r.term_signal, SIGTERM);

	/* Exiting in time is not a timeout. */
	o.timeout_ms = 5000;
	assert_int_equal(run_argv(ARGV("sh", "-c", "exec >&- 2>&-; exit 4"),
				  &o, &r, &e),
			 0);
	assert_false(r.timed_out);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 4);
	run_result_release(&r);
}

static void test_signaled(void **state)
{
	char *const *argv = ARGV("sh", "-c", "kill -KILL $$");
	struct run_result r;
	struct err e;

	(void)state;
	err_clear(&e);
	run_result_init(&r);
	assert_int_equal(run_argv(argv, NULL, &r, &e), 0);
	assert_true(r.signaled);
	assert_false(r.exited);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_int_equal(run_check(argv, &r, &e), -1);
	assert_non_null(strstr(e.msg, "'sh' was killed by signal 9"));
	run_result_release(&r);
}

static void test_not_found(void **state)
{
	struct run_result r;
	struct err e;

	(void)state;
	err_clear(&e);
	run_result_init(&r);
	assert_int_equal(run_argv(ARGV("migrate-no-such-program"), NULL, &r,
				  &e),
			 -1);
	assert_string_equal(e.msg, "'migrate-no-such-program': not found");
	assert_int_equal(e.cat, ERR_CONFIG);

	err_clear(&e);
	assert_int_equal(run_argv(ARGV("/nonexistent/dir/prog"), NULL, &r, &e),
			 -1);
	assert_string_equal(e.msg, "'/nonexistent/dir/prog': not found");

	err_clear(&e);
	assert_int_equal(run_argv(ARGV("/etc"), NULL, &r, &e), -1);
	assert_non_null(strstr(e.msg, "'/etc': cannot run: "));
	run_result_release(&r);
}

static void test_cwd_env(void **state)
{
	char **env = ARGV("FOO=bar baz");
	struct run_opts o = { .cwd = "/", .env = env };
	struct run_result r;
	struct err e;

	(void)state;
	err_clear(&e);
	run_result_init(&r);
	assert_int_equal(run_argv(ARGV("sh", "-c", "pwd; echo \"$FOO\"; "
				       "echo \"${HOME:-unset}\""),
				  &o, &r, &e),
			 0);
	assert_string_equal(r.out.buf, "/\nbar baz\nunset\n");

	o.cwd = "/nonexistent-dir";
	assert_int_equal(run_argv(ARGV("true"), &o, &r, &e), -1);
	assert_non_null(strstr(e.msg, "cannot change to '/nonexistent-dir'"));
	run_result_release(&r);
}

static void test_describe(void **state)
{
	static const struct {
		const char *argv[4];
		const char *want;
	} cases[] = {
		{ ARGV_T("postmap", "hash:/etc/postfix/transport"),
		  "postmap hash:/etc/postfix/transport" },
		{ ARGV_T("sh", "-c", "echo hi"), "sh -c 'echo hi'" },
		{ ARGV_T("printf", "it's"), "printf 'it'\\''s'" },
		{ ARGV_T("x", ""), "x ''" },
		{ ARGV_T("a\"b"), "'a\"b'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = run_describe(av(cases[i].argv));

		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_big_stdin),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_signaled),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_cwd_env),
		cmocka_unit_test(test_describe),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	while (argv_npool > 0)
		strv_free(argv_pool[--argv_npool]);
	return rc;
}
