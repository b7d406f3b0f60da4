/* Unit tests for util/sbuf.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static void test_init_empty(void **state)
{
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, 100);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.alloc, 0);
	sbuf_release(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.max, 100);
}

static void test_append(void **state)
{
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	assert_int_equal(sbuf_addstr(&sb, "host"), 0);
	assert_int_equal(sbuf_addch(&sb, ':'), 0);
	assert_int_equal(sbuf_addf(&sb, "%u/%s", 993u, "imaps"), 0);
	assert_string_equal(sb.buf, "host:993/imaps");
	assert_int_equal(sb.len, 14);
	assert_int_equal(sbuf_add(&sb, "a\0b", 3), 0);
	assert_int_equal(sb.len, 17);
	assert_memory_equal(sb.buf + 14, "a\0b", 4); /* NUL-terminated too */
	sbuf_release(&sb);
}

static void test_grow_many(void **state)
{
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(sbuf_addch(&sb, 'a' + i % 26), 0);
	assert_int_equal(sb.len, 100000);
	assert_int_equal(strlen(sb.buf), 100000);
	assert_true(sb.alloc > sb.len);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(sb.buf[i], 'a' + i % 26);
	sbuf_release(&sb);
}

static void test_cap(void **state)
{
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, 8);
	assert_int_equal(sbuf_addstr(&sb, "12345"), 0);

	errno = 0;
	assert_int_equal(sbuf_addstr(&sb, "6789"), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_string_equal(sb.buf, "12345");
	assert_int_equal(sb.len, 5);

	errno = 0;
	assert_int_equal(sbuf_addf(&sb, "%d", 1234), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_string_equal(sb.buf, "12345");

	assert_int_equal(sbuf_addf(&sb, "%d", 678), 0); /* exactly full */
	assert_string_equal(sb.buf, "12345678");
	assert_int_equal(sbuf_addch(&sb, 'x'), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(sbuf_add(&sb, "", 0), 0);
	assert_string_equal(sb.buf, "12345678");
	assert_true(sb.alloc <= 9);
	sbuf_release(&sb);

	/* A cap of zero allows only the empty string. */
	sbuf_init(&sb, 0);
	assert_int_equal(sbuf_addch(&sb, 'x'), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_string_equal(sb.buf, "");
	sbuf_release(&sb);
}

static void test_truncate_clear(void **state)
{
	struct sbuf sb;
	size_t alloc;

	(void)state;
	sbuf_init(&sb, 100);
	sbuf_addstr(&sb, "hello world");
	sbuf_truncate(&sb, 50);
	assert_string_equal(sb.buf, "hello world");
	sbuf_truncate(&sb, 5);
	assert_string_equal(sb.buf, "hello");
	assert_int_equal(sb.len, 5);
	alloc = sb.alloc;
	sbuf_clear(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.alloc, alloc);
	sbuf_release(&sb);
}

static void test_wipe(void **state)
{
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, 100);
	sbuf_addstr(&sb, "hunter2");
	sbuf_wipe(&sb);
	assert_int_equal(sb.len, 0);
	for (size_t i = 0; i < sb.alloc; i++)
		assert_int_equal(sb.buf[i], 0);
	sbuf_release(&sb);
}

static void test_rtrim(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "abc", "abc" },
		{ "abc \t\r\n", "abc" },
		{ " a b  ", " a b" },
		{ "\n\n", "" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf sb;

		sbuf_init(&sb, 100);
		sbuf_addstr(&sb, cases[i].in);
		sbuf_rtrim(&sb);
		assert_string_equal(sb.buf, cases[i].out);
		assert_int_equal(sb.len, strlen(cases[i].out));
		sbuf_release(&sb);
	}
}

static void test_detach(void **state)
{
	struct sbuf sb;
	size_t len = 99;
	char *s;

	(void)state;
	sbuf_init(&sb, 100);
	s = sbuf_detach(&sb, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);

	sbuf_addstr(&sb, "abc");
	s = sbuf_detach(&sb, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.max, 100);
	free(s);
	s = sbuf_detach(&sb, NULL);
	free(s);
	sbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_grow_many),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_truncate_clear),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_rtrim),
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
