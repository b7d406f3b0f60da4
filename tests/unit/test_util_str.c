/* Unit tests for util/str.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/str.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_prefix_suffix(void **state)
{
	static const struct {
		const char *s, *affix;
		bool prefix, suffix;
	} cases[] = {
		{ "plan.yaml", "plan", true, false },
		{ "plan.yaml", ".yaml", false, true },
		{ "plan.yaml", "", true, true },
		{ "", "", true, true },
		{ "ab", "abc", false, false },
		{ "abc", "abc", true, true },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(str_has_prefix(cases[i].s, cases[i].affix),
				 cases[i].prefix);
		assert_int_equal(str_has_suffix(cases[i].s, cases[i].affix),
				 cases[i].suffix);
	}
}

static void test_eq(void **state)
{
	char buf[] = "MiXeD-Case_1";

	(void)state;
	assert_true(str_eq(NULL, NULL));
	assert_false(str_eq("a", NULL));
	assert_false(str_eq(NULL, "a"));
	assert_true(str_eq("a", "a"));
	assert_false(str_eq("a", "A"));
	assert_true(str_ieq("INBOX", "inbox"));
	assert_false(str_ieq("INBOX", "inbox2"));
	assert_false(str_ieq("inbox2", "INBOX"));
	assert_true(str_ieq(NULL, NULL));
	assert_false(str_ieq(NULL, "x"));
	/* Non-ASCII bytes are compared as is. */
	assert_false(str_ieq("\xc3\xa9", "\xc3\x89"));
	str_lower(buf);
	assert_string_equal(buf, "mixed-case_1");
}

static void test_sanitize(void **state)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} cases[] = {
		{ "NO [AUTHENTICATIONFAILED] bad", 100,
		  "NO [AUTHENTICATIONFAILED] bad" },
		{ "a\r\nb\tc\x1b[0m\x7f", 100, "a??b?c?[0m?" },
		{ "abcdef", 3, "abc..." },
		{ "abc", 3, "abc" },
		{ "", 0, "" },
		/* Never split a UTF-8 sequence. */
		{ "ab\xc3\xa9z", 3, "ab..." },
		{ "ab\xc3\xa9z", 4, "ab\xc3\xa9..." },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char *s = str_sanitize(cases[i].in, cases[i].max);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void test_distance(void **state)
{
	static const struct {
		const char *a, *b;
		size_t cap, d;
	} cases[] = {
		{ "", "", 5, 0 },	     { "abc", "abc", 5, 0 },
		{ "kitten", "sitting", 5, 3 }, { "groups", "grups", 5, 1 },
		{ "phase", "phases", 5, 1 }, { "ab", "ba", 5, 2 },
		{ "", "abc", 5, 3 },	     { "abcdef", "uvwxyz", 3, 4 },
		{ "a", "abcdefgh", 2, 3 },   { "kitten", "sitting", 2, 3 },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(str_distance(cases[i].a, cases[i].b,
					      cases[i].cap),
				 cases[i].d);
		assert_int_equal(str_distance(cases[i].b, cases[i].a,
					      cases[i].cap),
				 cases[i].d);
	}
}

static void test_closest(void **state)
{
	static const char *const keys[] = { "groups", "phases", "users",
					     "servers", "gateway", "dns",
					     "source_login" };
	static const struct {
		const char *word, *want;
	} cases[] = {
		{ "grups", "groups" },	     { "phase", "phases" },
		{ "userz", "users" },	     { "sever", "servers" },
		{ "dnss", "dns" },	     { "sourcelogin", "source_login" },
		{ "xyz", NULL },	     { "timezone", NULL },
		{ "gateway", "gateway" },    { "d", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		const char *got = str_closest(cases[i].word, keys, N(keys));

		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		else
			assert_null(got);
	}
	assert_null(str_closest("x", keys, 0));
}

static void test_to_uint(void **state)
{
	static const struct {
		const char *s;
		unsigned long long min, max;
		int rc;
		unsigned long long v;
	} cases[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "11", 0, 10, -1, 0 },
		{ "4", 5, 10, -1, 0 },
		{ "18446744073709551615", 0, ~0ULL, 0, ~0ULL },
		{ "18446744073709551616", 0, ~0ULL, -1, 0 },
		{ "", 0, 10, -1, 0 },
		{ "-1", 0, 10, -1, 0 },
		{ "+1", 0, 10, -1, 0 },
		{ " 1", 0, 10, -1, 0 },
		{ "1 ", 0, 10, -1, 0 },
		{ "0x10", 0, 100, -1, 0 },
		{ "007", 0, 10, 0, 7 },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		unsigned long long v = 12345;

		assert_int_equal(str_to_uint(cases[i].s, cases[i].min,
					     cases[i].max, &v),
				 cases[i].rc);
		assert_true(v == (cases[i].rc == 0 ? cases[i].v : 12345));
	}
}

static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "", true },
		{ "plain ascii", true },
		{ "caf\xc3\xa9", true },
		{ "\xe2\x82\xac", true },		/* U+20AC */
		{ "\xf0\x9f\x98\x80", true },		/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", true },		/* U+10FFFF */
		{ "\xc3", false },			/* truncated */
		{ "\xe2\x82", false },
		{ "\xc0\x80", false },			/* overlong NUL */
		{ "\xc1\xbf", false },
		{ "\xe0\x80\xaf", false },		/* overlong '/' */
		{ "\xf0\x80\x80\xaf", false },
		{ "\xed\xa0\x80", false },		/* surrogate */
		{ "\xed\xbf\xbf", false },
		{ "\xf4\x90\x80\x80", false },		/* > U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", false },
		{ "\x80", false },			/* lone continuation */
		{ "a\xc3\x28", false },
		{ "\xff", false },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		assert_int_equal(str_utf8_valid(cases[i].s,
						strlen(cases[i].s)),
				 cases[i].ok);
	/* Embedded NUL with explicit length is valid UTF-8. */
	assert_true(str_utf8_valid("a\0b", 3));
}

static void test_hash(void **state)
{
	(void)state;
	/* FNV-1a 64 reference values. */
	assert_true(str_hash("") == 0xcbf29ce484222325ULL);
	assert_true(str_hash("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(str_hash("foobar") == 0x85944171f73967e8ULL);
	assert_true(str_hash("a") != str_hash("b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_suffix),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_to_uint),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
