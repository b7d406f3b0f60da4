/* Unit tests for util/err.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static void test_clear(void **state)
{
	struct err e;

	(void)state;
	memset(&e, 0x55, sizeof(e));
	err_clear(&e);
	assert_false(err_isset(&e));
	assert_int_equal(e.cat, ERR_NONE);
	assert_int_equal(e.retry, RETRY_NEVER);
	assert_int_equal(e.sys_errno, 0);
	assert_string_equal(e.msg, "");
	assert_int_equal(err_exit_code(&e), 0);
}

static void test_first_error_wins(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(err_set(&e, ERR_REMOTE, RETRY_NOW, "[OVERQUOTA] %s",
				 "quota exceeded"), -1);
	assert_true(err_isset(&e));
	assert_int_equal(err_set(&e, ERR_IO, RETRY_NEVER, "later"), -1);
	errno = EACCES;
	assert_int_equal(err_sys(&e, ERR_IO, "also later"), -1);
	assert_int_equal(e.cat, ERR_REMOTE);
	assert_int_equal(e.retry, RETRY_NOW);
	assert_int_equal(e.sys_errno, 0);
	assert_string_equal(e.msg, "[OVERQUOTA] quota exceeded");
}

static void test_prefix_chain(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	/* Prefixing an empty error does nothing. */
	assert_int_equal(err_prefix(&e, "phase '%s'", "x"), -1);
	assert_false(err_isset(&e));

	err_set(&e, ERR_REMOTE, RETRY_NEVER, "[OVERQUOTA] quota exceeded");
	err_prefix(&e, "APPEND uid %u", 4711u);
	err_prefix(&e, "folder '%s'", "Sent");
	err_prefix(&e, "user '%s'", "bob@example.com");
	err_prefix(&e, "phase '%s'", "wave-2");
	assert_string_equal(e.msg,
			    "phase 'wave-2': user 'bob@example.com': folder "
			    "'Sent': APPEND uid 4711: [OVERQUOTA] quota exceeded");
	assert_int_equal(e.cat, ERR_REMOTE);
}

static void test_prefix_truncates(void **state)
{
	char big[ERR_MSG_MAX * 2];
	struct err e;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_clear(&e);
	err_set(&e, ERR_IO, RETRY_NEVER, "%s", big);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	err_prefix(&e, "ctx");
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "ctx: xxx", 8);

	err_clear(&e);
	err_set(&e, ERR_IO, RETRY_NEVER, "root");
	err_prefix(&e, "%s", big);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
}

static void test_sys(void **state)
{
	static const struct {
		int errnum;
		enum err_retry retry;
	} cases[] = {
		{ ENOENT, RETRY_NEVER },   { EACCES, RETRY_NEVER },
		{ EINTR, RETRY_LATER },	   { EAGAIN, RETRY_LATER },
		{ ETIMEDOUT, RETRY_LATER }, { ECONNREFUSED, RETRY_LATER },
		{ ECONNRESET, RETRY_LATER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[ERR_MSG_MAX];
		struct err e;

		err_clear(&e);
		errno = cases[i].errnum;
		assert_int_equal(err_sys(&e, ERR_IO, "cannot open '%s'", "f"),
				 -1);
		assert_int_equal(errno, cases[i].errnum); /* preserved */
		assert_int_equal(e.sys_errno, cases[i].errnum);
		assert_int_equal(e.retry, cases[i].retry);
		assert_int_equal(e.cat, ERR_IO);
		snprintf(want, sizeof(want), "cannot open 'f': %s",
			 strerror(cases[i].errnum));
		assert_string_equal(e.msg, want);
	}
}

static void test_copy(void **state)
{
	struct err a, b;

	(void)state;
	err_clear(&a);
	err_clear(&b);
	err_set(&a, ERR_AUTH, RETRY_NEVER, "login refused");
	assert_int_equal(err_copy(&b, &a), -1);
	assert_int_equal(b.cat, ERR_AUTH);
	assert_string_equal(b.msg, "login refused");
	err_clear(&a);
	err_set(&a, ERR_IO, RETRY_NEVER, "other");
	err_copy(&b, &a);
	assert_string_equal(b.msg, "login refused");
}

static void test_exit_codes(void **state)
{
	static const struct {
		enum err_cat cat;
		enum err_retry retry;
		int code;
	} cases[] = {
		{ ERR_USAGE, RETRY_NEVER, 64 },	   { ERR_PLAN, RETRY_NEVER, 65 },
		{ ERR_AUTH, RETRY_NEVER, 77 },	   { ERR_REMOTE, RETRY_NEVER, 69 },
		{ ERR_REMOTE, RETRY_NOW, 75 },	   { ERR_REMOTE, RETRY_LATER, 75 },
		{ ERR_IO, RETRY_NEVER, 74 },	   { ERR_IO, RETRY_LATER, 75 },
		{ ERR_STORE, RETRY_NEVER, 73 },	   { ERR_STORE, RETRY_LATER, 75 },
		{ ERR_CONFIG, RETRY_NEVER, 78 },   { ERR_INTERNAL, RETRY_NEVER, 70 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;

		err_clear(&e);
		err_set(&e, cases[i].cat, cases[i].retry, "x");
		assert_int_equal(err_exit_code(&e), cases[i].code);
	}
}

static void test_cat_names(void **state)
{
	(void)state;
	assert_string_equal(err_cat_name(ERR_USAGE), "usage");
	assert_string_equal(err_cat_name(ERR_PLAN), "plan");
	assert_string_equal(err_cat_name(ERR_AUTH), "auth");
	assert_string_equal(err_cat_name(ERR_REMOTE), "remote");
	assert_string_equal(err_cat_name(ERR_IO), "io");
	assert_string_equal(err_cat_name(ERR_STORE), "state");
	assert_string_equal(err_cat_name(ERR_CONFIG), "config");
	assert_string_equal(err_cat_name(ERR_INTERNAL), "internal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_prefix_chain),
		cmocka_unit_test(test_prefix_truncates),
		cmocka_unit_test(test_sys),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_cat_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
