/* Unit tests for util/json.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/json.h"

static void check_dump(const struct json *j, bool pretty, const char *want)
{
	char *s = json_dump(j, pretty);

	assert_string_equal(s, want);
	free(s);
}

static void test_object(void **state)
{
	struct json *o = json_object_new();
	struct json *users = json_array_new();
	struct json *u;

	(void)state;
	json_set_str(o, "plan", "plan.yaml");
	json_set_int(o, "users", 2);
	json_set_bool(o, "dry_run", false);
	json_set_str(o, "phase", NULL);
	u = json_object_new();
	json_set_str(u, "address", "bob@example.com");
	json_set_int(u, "messages", 4711);
	json_set_bool(u, "done", true);
	json_append(users, u);
	json_append(users, json_str_new("alice@example.com"));
	json_append(users, json_int_new(-9007199254740993LL));
	json_append(users, NULL);
	json_set(o, "list", users);
	json_set(o, "empty", json_object_new());
	json_set(o, "none", NULL);
	check_dump(o, false,
		   "{\"plan\":\"plan.yaml\",\"users\":2,\"dry_run\":false,"
		   "\"phase\":null,\"list\":[{\"address\":\"bob@example.com\","
		   "\"messages\":4711,\"done\":true},\"alice@example.com\","
		   "-9007199254740993,null],\"empty\":{},\"none\":null}");
	json_free(o);
}

static void test_order_and_replace(void **state)
{
	struct json *o = json_object_new();

	(void)state;
	json_set_int(o, "zulu", 1);
	json_set_int(o, "alpha", 2);
	json_set_int(o, "mike", 3);
	json_set_str(o, "alpha", "two");	/* keeps its place */
	check_dump(o, false, "{\"zulu\":1,\"alpha\":\"two\",\"mike\":3}");
	assert_null(json_free(o));
	assert_null(json_free(NULL));
}

static void test_pretty(void **state)
{
	struct json *o = json_object_new();
	struct json *a = json_array_new();

	(void)state;
	json_append(a, json_int_new(1));
	json_append(a, json_int_new(2));
	json_set(o, "a", a);
	json_set_str(o, "b", "x");
	check_dump(o, true,
		   "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x\"\n}");
	json_free(o);
}

static void test_strings(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "q\"uote\\", "\"q\\\"uote\\\\\"" },
		{ "tab\tnl\n\x01", "\"tab\\tnl\\n\\u0001\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "bad\xff\xc3", "\"bad??\"" },		/* invalid UTF-8 */
		{ "\xed\xa0\x80x", "\"???x\"" },	/* surrogate */
		{ "", "\"\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json *s = json_str_new(cases[i].in);

		check_dump(s, false, cases[i].want);
		json_free(s);
	}
	{
		struct json *o = json_object_new();

		json_set_int(o, "k\xff", 1);	/* keys are cleaned too */
		check_dump(o, false, "{\"k?\":1}");
		json_free(o);
	}
	{
		struct json *n = json_str_new(NULL);

		check_dump(n, false, "null");
		json_free(n);
		n = json_bool_new(true);
		check_dump(n, false, "true");
		json_free(n);
		n = json_null_new();
		check_dump(n, false, "null");
		json_free(n);
	}
}

static void test_parse(void **ctx)
{
	static const char text[] =
		"{\"queue_name\": \"active\", \"arrival_time\": 1700000000, "
		"\"recipients\": [{\"address\": \"a@b\"}]}";
	struct json *j;
	struct err err;
	long long t = 0;

	(void)ctx;
	err_clear(&err);
	j = json_parse(text, sizeof text - 1, "postqueue", &err);
	assert_non_null(j);
	assert_string_equal(json_get_str(j, "queue_name"), "active");
	assert_int_equal(json_get_int(j, "arrival_time", &t), 0);
	assert_int_equal(t, 1700000000);
	assert_null(json_get_str(j, "arrival_time"));	/* wrong type */
	assert_int_equal(json_get_int(j, "queue_name", &t), -1);
	assert_null(json_get(j, "nope"));
	assert_non_null(json_get(j, "recipients"));
	json_free(j);

	assert_null(json_parse("{\"a\": ", 6, "postqueue", &err));
	assert_non_null(strstr(err.msg, "postqueue: not valid JSON at line 1"));
	err_clear(&err);
	assert_null(json_parse("{\"a\":1,\"a\":2}", 13, "x", &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_order_and_replace),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
