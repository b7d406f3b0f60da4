/*
 * test_util_hash.c -- SHA-256 against the FIPS 180-4 / NIST vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/hash.h"

static void test_vectors(void **ctx)
{
	char hex[HASH_SHA256_HEX];

	(void)ctx;
	assert_string_equal(hash_sha256_hex("", 0, hex),
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(hash_sha256_hex("abc", 3, hex),
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(hash_sha256_hex(
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex),
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_incremental_equals_oneshot(void **ctx)
{
	unsigned char a[HASH_SHA256_LEN], b[HASH_SHA256_LEN];
	char buf[10000];
	struct hash *h;
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 7);
	hash_sha256(buf, sizeof buf, a);
	h = hash_sha256_new();
	for (i = 0; i < sizeof buf; i += 333)
		hash_update(h, buf + i, sizeof buf - i < 333 ? sizeof buf - i : 333);
	hash_final(h, b);
	assert_memory_equal(a, b, sizeof a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_incremental_equals_oneshot),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
