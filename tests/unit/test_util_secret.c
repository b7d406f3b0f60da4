/* Unit tests for util/secret.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/secret.h"
#include "util/xalloc.h"

static char tmpdir[64];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_util_secret.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char *cmd;
	int rc;

	(void)state;
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	rc = system(cmd);
	free(cmd);
	log_reset();
	return rc == 0 ? 0 : -1;
}

/* Write data to tmpdir/name with the given mode; returns the path. */
static char *write_file(const char *name, const void *data, size_t len,
			mode_t mode)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int resolve_file(const char *path, struct sbuf *out, struct err *e)
{
	struct secret_ref ref = { .kind = SECRET_FILE, .file = xstrdup(path) };
	int rc = secret_resolve(&ref, out, e);

	secret_ref_release(&ref);
	return rc;
}

static void test_file_modes(void **state)
{
	static const struct {
		unsigned mode;
		const char *how;	/* NULL: accepted */
	} cases[] = {
		{ 0600, NULL },	       { 0400, NULL },
		{ 0640, "readable" },  { 0604, "readable" },
		{ 0644, "readable" },  { 0620, "writable" },
		{ 0602, "writable" },  { 0610, "accessible" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_file("pw", "s3cret-file\n", 12,
					cases[i].mode);
		struct sbuf out;
		struct err e;
		int rc;

		sbuf_init(&out, SECRET_MAX);
		err_clear(&e);
		rc = resolve_file(path, &out, &e);
		if (!cases[i].how) {
			assert_int_equal(rc, 0);
			assert_string_equal(out.buf, "s3cret-file");
			assert_int_equal(secret_check_file(path, "secret file",
							   &e),
					 0);
		} else {
			char want[256];

			assert_int_equal(rc, -1);
			assert_int_equal(e.cat, ERR_CONFIG);
			snprintf(want, sizeof(want),
				 "secret file '%s' is %s by group or others "
				 "(mode %04o); chmod 600 it",
				 path, cases[i].how, cases[i].mode);
			assert_string_equal(e.msg, want);
			assert_string_equal(out.buf, "");
			err_clear(&e);
			assert_int_equal(secret_check_file(path,
							   "credentials file",
							   &e),
					 -1);
			assert_non_null(strstr(e.msg, "credentials file '"));
		}
		sbuf_wipe(&out);
		sbuf_release(&out);
		free(path);
	}
}

static void test_file_content(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		const char *want;	/* NULL: refused */
	} cases[] = {
		{ "abc", 3, "abc" },
		{ "abc\n", 4, "abc" },
		{ "abc\r\n", 5, "abc" },
		{ "abc\n\n", 5, "abc\n" },	/* only one newline goes */
		{ " a b ", 5, " a b " },
		{ "\n", 1, NULL },		/* empty */
		{ "", 0, NULL },
		{ "a\0b", 3, NULL },		/* NUL byte */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_file("c", cases[i].data, cases[i].len, 0600);
		struct sbuf out;
		struct err e;

		sbuf_init(&out, SECRET_MAX);
		err_clear(&e);
		if (cases[i].want) {
			assert_int_equal(resolve_file(path, &out, &e), 0);
			assert_string_equal(out.buf, cases[i].want);
		} else {
			assert_int_equal(resolve_file(path, &out, &e), -1);
			assert_true(err_isset(&e));
		}
		sbuf_release(&out);
		free(path);
	}
}

static void test_file_refused(void **state)
{
	char *big = xmalloc(SECRET_MAX + 10);
	char *path, *dir, *link;
	struct sbuf out;
	struct err e;

	(void)state;
	sbuf_init(&out, SECRET_MAX);

	memset(big, 'x', SECRET_MAX + 10);
	path = write_file("big", big, SECRET_MAX + 10, 0600);
	err_clear(&e);
	assert_int_equal(resolve_file(path, &out, &e), -1);
	assert_non_null(strstr(e.msg, "is longer than 65536 bytes"));
	free(path);
	/* Exactly SECRET_MAX plus its newline is fine. */
	big[SECRET_MAX] = '\n';
	path = write_file("max", big, SECRET_MAX + 1, 0600);
	err_clear(&e);
	assert_int_equal(resolve_file(path, &out, &e), 0);
	assert_int_equal(out.len, SECRET_MAX);
	free(path);

	err_clear(&e);
	dir = xasprintf("%s/dir", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(resolve_file(dir, &out, &e), -1);
	assert_non_null(strstr(e.msg, "is not a regular file"));

	err_clear(&e);
	path = write_file("target", "pw12345", 7, 0600);
	link = xasprintf("%s/link", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(resolve_file(link, &out, &e), -1);
	assert_non_null(strstr(e.msg, "is a symbolic link"));

	err_clear(&e);
	assert_int_equal(resolve_file("/nonexistent/secret", &out, &e), -1);
	assert_string_equal(e.msg, "secret file '/nonexistent/secret': No such "
				   "file or directory");
	assert_int_equal(e.cat, ERR_CONFIG);

	sbuf_release(&out);
	free(big);
	free(path);
	free(dir);
	free(link);
}

static void test_env(void **state)
{
	struct secret_ref ref = { .kind = SECRET_ENV,
				  .env = xstrdup("MIGRATE_TEST_PW") };
	struct sbuf out;
	struct err e;
	char *s;

	(void)state;
	sbuf_init(&out, SECRET_MAX);
	unsetenv("MIGRATE_TEST_PW");
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), -1);
	assert_string_equal(e.msg,
			    "environment variable 'MIGRATE_TEST_PW' is not set");
	assert_int_equal(e.cat, ERR_CONFIG);

	setenv("MIGRATE_TEST_PW", "", 1);
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), -1);
	assert_string_equal(e.msg,
			    "environment variable 'MIGRATE_TEST_PW' is empty");

	setenv("MIGRATE_TEST_PW", "env-pw-123\n", 1);
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), 0);
	assert_string_equal(out.buf, "env-pw-123");
	/* Registered with the redactor. */
	s = log_redact("login bob env-pw-123");
	assert_string_equal(s, "login bob <redacted>");
	free(s);

	s = secret_ref_describe(&ref);
	assert_string_equal(s, "env MIGRATE_TEST_PW");
	free(s);
	unsetenv("MIGRATE_TEST_PW");
	secret_ref_release(&ref);
	sbuf_wipe(&out);
	sbuf_release(&out);
}

static void test_command(void **state)
{
	struct secret_ref ref = { .kind = SECRET_COMMAND };
	struct sbuf out;
	struct err e;
	char *s;

	(void)state;
	sbuf_init(&out, SECRET_MAX);
	strv_push(&ref.argv, "printf");
	strv_push(&ref.argv, "%s\\r\\n");
	strv_push(&ref.argv, "cmd-token-xyz");
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), 0);
	assert_string_equal(out.buf, "cmd-token-xyz");
	s = log_redact("Bearer cmd-token-xyz");
	assert_string_equal(s, "Bearer <redacted>");
	free(s);
	s = secret_ref_describe(&ref);
	assert_string_equal(s, "command printf '%s\\r\\n' cmd-token-xyz");
	free(s);
	secret_ref_release(&ref);

	/* Failure: names the command, never its output. */
	strv_push(&ref.argv, "sh");
	strv_push(&ref.argv, "-c");
	strv_push(&ref.argv, "echo leaked-out; echo leaked-err >&2; exit 3");
	ref.kind = SECRET_COMMAND;
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), -1);
	assert_string_equal(e.msg, "secret command 'sh -c 'echo leaked-out; "
				   "echo leaked-err >&2; exit 3'' exited with "
				   "status 3");
	assert_null(strstr(e.msg, "leaked-out\n"));
	assert_null(strstr(e.msg, "leaked-err\n"));
	secret_ref_release(&ref);

	strv_push(&ref.argv, "migrate-no-such-helper");
	ref.kind = SECRET_COMMAND;
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), -1);
	assert_string_equal(e.msg, "secret command 'migrate-no-such-helper': "
				   "'migrate-no-such-helper': not found");
	secret_ref_release(&ref);

	strv_push(&ref.argv, "true");
	ref.kind = SECRET_COMMAND;
	err_clear(&e);
	assert_int_equal(secret_resolve(&ref, &out, &e), -1);
	assert_string_equal(e.msg, "secret command 'true' is empty");
	secret_ref_release(&ref);
	sbuf_release(&out);
}

static void test_ref_copy(void **state)
{
	struct secret_ref a = { .kind = SECRET_FILE, .file = xstrdup("/x y") };
	struct secret_ref b;
	char *s;

	(void)state;
	secret_ref_copy(&b, &a);
	secret_ref_release(&a);
	assert_int_equal(a.kind, SECRET_NONE);
	assert_int_equal(b.kind, SECRET_FILE);
	assert_string_equal(b.file, "/x y");
	assert_null(b.env);
	assert_null(b.argv);
	s = secret_ref_describe(&b);
	assert_string_equal(s, "file /x y");
	free(s);
	secret_ref_release(&b);
	s = secret_ref_describe(&b);
	assert_string_equal(s, "none");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_file_content),
		cmocka_unit_test(test_file_refused),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_ref_copy),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
