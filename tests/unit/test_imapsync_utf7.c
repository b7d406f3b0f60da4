/* Unit tests for imapsync/imap_utf7.c: modified UTF-7 (RFC 3501 5.1.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/sbuf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Pairs that must round-trip exactly. */
static const struct {
	const char *utf8, *mutf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "Sent Items", "Sent Items" },
	{ "Lists/dev & ops", "Lists/dev &- ops" },
	{ "&", "&-" },
	{ "&&", "&-&-" },
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	{ "R\xc3\xa9unions", "R&AOk-unions" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },	/* the RFC's example */
	{ "Gel\xc3\xb6schte Objekte", "Gel&APY-schte Objekte" },
	{ "\xc3\xa9l\xc3\xa9ments envoy\xc3\xa9s", "&AOk-l&AOk-ments envoy&AOk-s" },
	/* outside the BMP: a surrogate pair */
	{ "mail \xf0\x9f\x93\xa7", "mail &2D3c5w-" },
	{ "\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-" },
	{ "a\xc3\xa4" "b", "a&AOQ-b" },
	{ "\xe2\x82\xac", "&IKw-" },
};

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(pairs); i++) {
		struct sbuf a, b;

		sbuf_init(&a, 4096);
		sbuf_init(&b, 4096);
		assert_int_equal(imap_utf7_encode(pairs[i].utf8, &a), 0);
		assert_string_equal(a.buf, pairs[i].mutf7);
		assert_int_equal(imap_utf7_decode(pairs[i].mutf7, &b), 0);
		assert_string_equal(b.buf, pairs[i].utf8);
		sbuf_release(&a);
		sbuf_release(&b);
	}
}

static void test_decode_bad(void **state)
{
	static const char *const bad[] = {
		"&",		/* unterminated */
		"&AOk",		/* unterminated run */
		"&-&",		/* unterminated after a good one */
		"&!!-",		/* not base64 */
		"&AE-",		/* leftover bits that are not zero */
		"&AGE-",	/* encodes 'a', which must stand for itself */
		"&2D0-",	/* lone high surrogate */
		"&3OcA-",	/* lone low surrogate */
		"tab\there",	/* control character */
		"caf\xc3\xa9",	/* raw 8-bit */
		"&AOk/AOk-",	/* '/' is not in modified base64 */
	};

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct sbuf sb;

		sbuf_init(&sb, 4096);
		sbuf_addstr(&sb, "keep");
		assert_int_equal(imap_utf7_decode(bad[i], &sb), -1);
		/* the output is left as it was */
		assert_string_equal(sb.buf, "keep");
		sbuf_release(&sb);
	}
}

static void test_encode_bad(void **state)
{
	static const char *const bad[] = {
		"\xc3",			/* truncated */
		"\xc0\xaf",		/* overlong */
		"\xed\xa0\x80",		/* a surrogate in UTF-8 */
		"\xf4\x90\x80\x80",	/* above U+10FFFF */
		"\xff",
	};

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct sbuf sb;

		sbuf_init(&sb, 4096);
		assert_int_equal(imap_utf7_encode(bad[i], &sb), -1);
		assert_int_equal(sb.len, 0);
		sbuf_release(&sb);
	}
}

/* Control characters are encoded (they are not printable ASCII). */
static void test_encode_controls(void **state)
{
	struct sbuf a, b;

	(void)state;
	sbuf_init(&a, 4096);
	sbuf_init(&b, 4096);
	assert_int_equal(imap_utf7_encode("a\tb", &a), 0);
	assert_string_equal(a.buf, "a&AAk-b");
	assert_int_equal(imap_utf7_decode(a.buf, &b), 0);
	assert_string_equal(b.buf, "a\tb");
	sbuf_release(&a);
	sbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_encode_bad),
		cmocka_unit_test(test_encode_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
