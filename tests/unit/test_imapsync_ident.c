/* Unit tests for imapsync/imap_ident.c: header fields, content identity,
 * flag lists, the three-way flag merge, multiset matching, dates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_header(void **state)
{
	static const struct {
		const char *hdr, *name, *want;	/* want NULL: absent */
	} cases[] = {
		{ "Message-ID: <a@b>\r\n\r\n", "Message-ID", "<a@b>" },
		{ "message-id:<a@b>\r\n\r\n", "Message-ID", "<a@b>" },
		{ "MESSAGE-ID : <a@b>  \r\n\r\n", "Message-ID", "<a@b>" },
		{ "Subject: x\r\nMessage-ID:\r\n <a@b>\r\n\r\n", "Message-ID",
		  "<a@b>" },	/* folded */
		{ "Date: Sat, 28 Nov 2026\r\n\t10:00:00 +0000\r\n\r\n", "Date",
		  "Sat, 28 Nov 2026 10:00:00 +0000" },
		{ "Date:  Sat,   28 Nov\r\n\r\n", "Date", "Sat, 28 Nov" },
		{ "Subject: hi\r\n\r\nMessage-ID: <body@x>\r\n", "Message-ID",
		  NULL },	/* in the body, not the header */
		{ "Message-IDs: <a@b>\r\n\r\n", "Message-ID", NULL },
		{ "Message-ID:   \r\n\r\n", "Message-ID", NULL },	/* empty */
		{ "Message-ID: <1@x>\nMessage-ID: <2@x>\n\n", "Message-ID",
		  "<1@x>" },	/* the first wins; bare LF */
		{ "X-Message-ID: <a@b>\r\n\r\n", "Message-ID", NULL },
		{ "", "Message-ID", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct sbuf sb;
		int rc;

		sbuf_init(&sb, 4096);
		rc = imap_ident_header(cases[i].hdr, strlen(cases[i].hdr),
				       cases[i].name, &sb);
		if (cases[i].want) {
			assert_int_equal(rc, 0);
			assert_string_equal(sb.buf, cases[i].want);
		} else {
			assert_int_equal(rc, -1);
		}
		sbuf_release(&sb);
	}
}

/* The identity from a whole message equals the identity from the
 * server's BODY[HEADER.FIELDS (MESSAGE-ID DATE)] answer. */
static void test_identity(void **state)
{
	const char *msg = "Received: from x\r\nDate: Sat, 28 Nov 2026\r\n"
			  " 10:00:00 +0000\r\nSubject: s\r\nMessage-ID: "
			  "<m1@example>\r\n\r\nbody\r\n";
	const char *fields = "Date: Sat, 28 Nov 2026\r\n 10:00:00 +0000\r\n"
			     "Message-ID: <m1@example>\r\n\r\n";
	unsigned char a[IMAPSYNC_IDENT_LEN], b[IMAPSYNC_IDENT_LEN];
	unsigned char c[IMAPSYNC_IDENT_LEN], d1[32], d2[32];

	(void)state;
	assert_true(imap_ident_from_header(msg, strlen(msg), 100, a));
	assert_true(imap_ident_from_header(fields, strlen(fields), 100, b));
	assert_memory_equal(a, b, sizeof a);
	/* the size is part of it */
	assert_true(imap_ident_from_header(fields, strlen(fields), 101, c));
	assert_memory_not_equal(a, c, sizeof a);
	/* no Message-ID: no identity from the header */
	assert_false(imap_ident_from_header("Subject: x\r\n\r\n", 14, 5, c));
	/* from a digest: size matters, digest matters */
	memset(d1, 1, sizeof d1);
	memset(d2, 2, sizeof d2);
	imap_ident_from_digest(d1, 10, a);
	imap_ident_from_digest(d1, 10, b);
	assert_memory_equal(a, b, sizeof a);
	imap_ident_from_digest(d1, 11, b);
	assert_memory_not_equal(a, b, sizeof a);
	imap_ident_from_digest(d2, 10, b);
	assert_memory_not_equal(a, b, sizeof a);
}

static void test_flags_canon(void **state)
{
	static const struct {
		const char *in[6];
		size_t n;
		const char *want;
	} cases[] = {
		{ { "\\Seen" }, 1, "\\Seen" },
		{ { "\\seen", "\\SEEN" }, 2, "\\Seen" },
		{ { "\\Recent", "\\Seen" }, 2, "\\Seen" },
		{ { "Project-X", "$Forwarded", "\\Answered" }, 3,
		  "$Forwarded \\Answered Project-X" },
		{ { "b", "A", "a" }, 3, "A b" },
		{ { "" }, 1, "" },
		{ { NULL }, 0, "" },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char *s = imap_flags_canon(cases[i].in, cases[i].n);

		assert_string_equal(s, cases[i].want);
		free(s);
	}
	assert_true(imap_flags_has("\\Seen $Junk", "$junk"));
	assert_true(imap_flags_has("\\Seen $Junk", "\\SEEN"));
	assert_false(imap_flags_has("\\Seen $Junk", "$Jun"));
	assert_false(imap_flags_has("", "\\Seen"));
	assert_false(imap_flags_has(NULL, "\\Seen"));
	{
		char **v = imap_flags_split("\\Seen  $Junk");

		assert_int_equal(strv_len(v), 2);
		assert_string_equal(v[1], "$Junk");
		strv_free(v);
		v = imap_flags_split("");
		assert_int_equal(strv_len(v), 0);
		strv_free(v);
	}
}

/* KEEP_DST: the source's changes since base apply unless the
 * destination changed the same flag. */
static void test_flags_merge(void **state)
{
	static const struct {
		const char *base, *src, *dst, *want;
	} cases[] = {
		/* nothing changed */
		{ "\\Seen", "\\Seen", "\\Seen", "\\Seen" },
		/* source added a flag: applied */
		{ "", "\\Flagged", "", "\\Flagged" },
		/* source removed one: applied */
		{ "\\Seen", "", "\\Seen", "" },
		/* the user unflagged on the destination: kept */
		{ "\\Flagged", "\\Flagged", "", "" },
		/* both: source marks read, user flags on destination */
		{ "", "\\Seen", "\\Flagged", "\\Flagged \\Seen" },
		/* source unread, user answered on the destination: both */
		{ "\\Seen", "", "\\Seen \\Answered", "\\Answered" },
		/* both changed the same flag the same way */
		{ "\\Seen", "", "", "" },
		{ "", "$Label", "$Label", "$Label" },
		/* unknown base: the destination stays */
		{ NULL, "\\Seen", "\\Flagged", "\\Flagged" },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char *m = imap_flags_merge(cases[i].base, cases[i].src,
					   cases[i].dst);

		assert_string_equal(m, cases[i].want);
		free(m);
	}
}

static unsigned char ids[6][IMAPSYNC_IDENT_LEN];

static void test_match(void **state)
{
	/* source: A A B C -, destination: B A X A A */
	struct imap_ident_item src[5], dst[5];
	size_t dst_of[5];

	(void)state;
	for (int i = 0; i < 6; i++)
		memset(ids[i], 'A' + i, IMAPSYNC_IDENT_LEN);
	src[0].ident = ids[0];
	src[1].ident = ids[0];
	src[2].ident = ids[1];
	src[3].ident = ids[2];
	src[4].ident = NULL;
	dst[0].ident = ids[1];
	dst[1].ident = ids[0];
	dst[2].ident = ids[5];
	dst[3].ident = ids[0];
	dst[4].ident = ids[0];
	imap_ident_match(src, 5, dst, 5, dst_of);
	/* the two A's pair with the first two A's, in order */
	assert_int_equal(dst_of[0], 1);
	assert_int_equal(dst_of[1], 3);
	assert_int_equal(dst_of[2], 0);
	assert_int_equal(dst_of[3], SIZE_MAX);	/* C is missing */
	assert_int_equal(dst_of[4], SIZE_MAX);	/* no identity */
	/* three A's on the source, one on the destination: one pairs */
	src[0].ident = src[1].ident = src[2].ident = ids[0];
	dst[0].ident = ids[0];
	imap_ident_match(src, 3, dst, 1, dst_of);
	assert_int_equal(dst_of[0], 0);
	assert_int_equal(dst_of[1], SIZE_MAX);
	assert_int_equal(dst_of[2], SIZE_MAX);
	/* empty sides */
	imap_ident_match(src, 3, dst, 0, dst_of);
	assert_int_equal(dst_of[0], SIZE_MAX);
	imap_ident_match(src, 0, dst, 1, dst_of);
}

static void test_dates(void **state)
{
	struct imap_date a = { 28, 11, 2026, 10, 0, 0, 0 };
	struct imap_date b = { 28, 11, 2026, 11, 30, 0, 130 };	/* +0130 */
	struct imap_date c = { 1, 1, 1970, 0, 0, 0, 0 };
	struct imap_date d = { 31, 12, 1969, 19, 0, 0, -500 };
	char buf[40];

	(void)state;
	assert_int_equal(imap_date_epoch(&a), 1795860000);
	assert_int_equal(imap_date_epoch(&a), imap_date_epoch(&b));
	assert_int_equal(imap_date_epoch(&c), 0);
	assert_int_equal(imap_date_epoch(&d), 0);
	assert_string_equal(imap_date_format(&b, buf, sizeof buf),
			    "28-Nov-2026 11:30:00 +0130");
	assert_string_equal(imap_date_format(&d, buf, sizeof buf),
			    "31-Dec-1969 19:00:00 -0500");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_flags_canon),
		cmocka_unit_test(test_flags_merge),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
