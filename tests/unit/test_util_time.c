/* Unit tests for util/timeutil.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse_ok(void **state)
{
	static const struct {
		const char *s;
		long long t;
	} cases[] = {
		{ "2026-12-05T18:00:00Z", 1796493600 },
		{ "2026-12-05t18:00:00z", 1796493600 },
		{ "2026-12-05 18:00:00Z", 1796493600 },
		{ "2026-12-05T19:00:00+01:00", 1796493600 },
		{ "2026-12-05T12:30:00-05:30", 1796493600 },
		{ "2026-12-05T18:00:00+00:00", 1796493600 },
		{ "2026-12-05T18:00:00-00:00", 1796493600 },
		{ "2026-12-05T18:00:00.999Z", 1796493600 },
		{ "2026-12-06T03:00:00.5+09:00", 1796493600 },
		{ "2024-02-29T23:59:59Z", 1709251199 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:00+01:00", -3600 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2000-03-01T00:00:00Z", 951868800 },
		{ "2038-01-19T03:14:08Z", 2147483648LL },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
		{ "2016-12-31T23:59:60Z", 1483228800 },	/* leap second */
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		time_t t = 42;

		print_message("%s\n", cases[i].s);
		assert_int_equal(timeutil_parse_rfc3339(cases[i].s, &t), 0);
		assert_int_equal((long long)t, cases[i].t);
	}
}

static void test_parse_bad(void **state)
{
	static const char *const cases[] = {
		"",
		"2026-12-05",
		"2026-12-05T18:00:00",		/* no zone */
		"2026-12-05T18:00Z",		/* no seconds */
		"2026-12-05T18:00:00+0100",
		"2026-12-05T18:00:00+01",
		"2026-12-05T18:00:00+24:00",
		"2026-12-05T18:00:00+01:60",
		"2026-12-05T18:00:00.Z",
		"2026-12-05T18:00:00ZZ",
		"2026-12-05T18:00:00Z ",
		" 2026-12-05T18:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-12-00T00:00:00Z",
		"2026-12-32T00:00:00Z",
		"2023-02-29T00:00:00Z",		/* not a leap year */
		"1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-12-05T24:00:00Z",
		"2026-12-05T18:60:00Z",
		"2026-12-05T18:00:61Z",
		"26-12-05T18:00:00Z",
		"2026/12/05T18:00:00Z",
		"2026-12-05X18:00:00Z",
		"2026-1a-05T18:00:00Z",
		"+2026-12-05T18:00:00Z",
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		time_t t = 42;

		print_message("'%s'\n", cases[i]);
		assert_int_equal(timeutil_parse_rfc3339(cases[i], &t), -1);
		assert_int_equal((long long)t, 42);
	}
	assert_int_equal(timeutil_parse_rfc3339(NULL, NULL), -1);
}

static void test_format(void **state)
{
	static const struct {
		long long t;
		const char *s;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1796493600, "2026-12-05T18:00:00Z" },
		{ 1709251199, "2024-02-29T23:59:59Z" },
		{ -1, "1969-12-31T23:59:59Z" },
	};
	char buf[21];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		time_t back;

		assert_ptr_equal(timeutil_format_rfc3339((time_t)cases[i].t,
							 buf, sizeof(buf)),
				 buf);
		assert_string_equal(buf, cases[i].s);
		assert_int_equal(timeutil_parse_rfc3339(buf, &back), 0);
		assert_int_equal((long long)back, cases[i].t);
	}
	/* Too small a buffer is cut, not overrun. */
	timeutil_format_rfc3339(0, buf, 5);
	assert_string_equal(buf, "1970");
}

static void test_duration(void **state)
{
	static const struct {
		long long secs;
		const char *s;
	} cases[] = {
		{ 0, "0s" },	       { 45, "45s" },	     { 60, "1m" },
		{ 61, "1m 1s" },       { 3599, "59m 59s" },  { 3600, "1h" },
		{ 12000, "3h 20m" },   { 12059, "3h 20m" },  { 86400, "1d" },
		{ 90000, "1d 1h" },    { 180000, "2d 2h" },  { -45, "-45s" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		timeutil_format_duration(cases[i].secs, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
}

static void test_now(void **state)
{
	time_t real;

	(void)state;
	setenv("MIGRATE_NOW", "1796493600", 1);
	assert_int_equal((long long)timeutil_now(), 1796493600LL);
	setenv("MIGRATE_NOW", "0", 1);
	assert_int_equal((long long)timeutil_now(), 0);
	setenv("MIGRATE_NOW", "garbage", 1);
	real = time(NULL);
	assert_true(timeutil_now() - real <= 2);
	unsetenv("MIGRATE_NOW");
	assert_true(timeutil_now() - real <= 2);
}

static void test_mono(void **state)
{
	int64_t a, b;

	(void)state;
	a = timeutil_mono_ms();
	b = timeutil_mono_ms();
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_mono),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
