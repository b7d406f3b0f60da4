/* Unit tests for util/strmap.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

static void test_basic(void **state)
{
	struct strmap *m = strmap_new();
	int a = 1, b = 2, c = 3;
	const char *key;
	void *val;
	size_t pos = 0;

	(void)state;
	assert_int_equal(strmap_count(m), 0);
	assert_null(strmap_get(m, "x"));
	assert_int_equal(strmap_next(m, &pos, &key, &val), -1);

	assert_null(strmap_put(m, "alice@example.com", &a));
	assert_null(strmap_put(m, "bob@example.com", &b));
	assert_null(strmap_put(m, "", &c));	/* the empty key is a key */
	assert_int_equal(strmap_count(m), 3);
	assert_ptr_equal(strmap_get(m, "alice@example.com"), &a);
	assert_ptr_equal(strmap_get(m, "bob@example.com"), &b);
	assert_ptr_equal(strmap_get(m, ""), &c);
	assert_null(strmap_get(m, "Alice@example.com"));

	/* Replace returns the old value; count unchanged. */
	assert_ptr_equal(strmap_put(m, "bob@example.com", &c), &b);
	assert_ptr_equal(strmap_get(m, "bob@example.com"), &c);
	assert_int_equal(strmap_count(m), 3);

	/* A NULL value is stored (get cannot tell it from absent). */
	assert_ptr_equal(strmap_put(m, "alice@example.com", NULL), &a);
	assert_null(strmap_get(m, "alice@example.com"));
	assert_int_equal(strmap_count(m), 3);
	assert_null(strmap_free(m));
	assert_null(strmap_free(NULL));
}

static void test_keys_copied(void **state)
{
	struct strmap *m = strmap_new();
	char key[16] = "mutable";
	int v = 7;

	(void)state;
	strmap_put(m, key, &v);
	strcpy(key, "changed");
	assert_ptr_equal(strmap_get(m, "mutable"), &v);
	assert_null(strmap_get(m, "changed"));
	strmap_free(m);
}

static void test_100k(void **state)
{
	enum { NKEYS = 100000 };
	struct strmap *m = strmap_new();
	long *vals = calloc(NKEYS, sizeof(*vals));
	unsigned char *seen = calloc(NKEYS, 1);
	const char *key;
	void *val;
	size_t pos = 0, n = 0;
	char buf[64];

	(void)state;
	assert_non_null(vals);
	assert_non_null(seen);
	for (long i = 0; i < NKEYS; i++) {
		vals[i] = i;
		snprintf(buf, sizeof(buf), "user%ld@example.com", i);
		assert_null(strmap_put(m, buf, &vals[i]));
	}
	assert_int_equal(strmap_count(m), NKEYS);
	for (long i = 0; i < NKEYS; i++) {
		snprintf(buf, sizeof(buf), "user%ld@example.com", i);
		assert_ptr_equal(strmap_get(m, buf), &vals[i]);
	}
	for (long i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "user%ld@example.org", i);
		assert_null(strmap_get(m, buf));
	}
	while (strmap_next(m, &pos, &key, &val) == 0) {
		long i = *(long *)val;

		snprintf(buf, sizeof(buf), "user%ld@example.com", i);
		assert_string_equal(key, buf);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		n++;
	}
	assert_int_equal(n, NKEYS);
	assert_int_equal(strmap_next(m, &pos, &key, &val), -1);
	strmap_free(m);
	free(vals);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_keys_copied),
		cmocka_unit_test(test_100k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
