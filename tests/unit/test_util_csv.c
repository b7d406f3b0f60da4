/* Unit tests for util/csv.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/csv.h"
#include "util/err.h"
#include "util/sbuf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Records rendered as "LINE:f1|f2|...\n". */
static int collect(void *ctx, unsigned line, char **fields, size_t n,
		   struct err *err)
{
	struct sbuf *sb = ctx;

	(void)err;
	assert_null(fields[n]);
	sbuf_addf(sb, "%u:", line);
	for (size_t i = 0; i < n; i++)
		sbuf_addf(sb, "%s%s", i ? "|" : "", fields[i]);
	sbuf_addch(sb, '\n');
	return 0;
}

static void test_ok(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a,b,c\n", "1:a|b|c\n" },
		{ "a,b,c", "1:a|b|c\n" },
		{ "a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n" },
		{ "one", "1:one\n" },
		{ ",,", "1:||\n" },
		{ "a,", "1:a|\n" },
		{ " a , b\t,c ", "1:a|b|c\n" },
		{ "\"a,b\",c", "1:a,b|c\n" },
		{ "\"say \"\"hi\"\"\",x", "1:say \"hi\"|x\n" },
		{ "\"\"", "1:\n" },
		{ "\"\"\"\"", "1:\"\n" },
		{ " \" a \" , b", "1: a |b\n" },
		{ "\"multi\nline\",x\nnext,y\n", "1:multi\nline|x\n3:next|y\n" },
		{ "\"crlf\r\ninside\"\r\n", "1:crlf\r\ninside\n" },
		{ "# comment\n\nalice@x,g1\n   \n# c,\"x\nbob@x,g2\n",
		  "3:alice@x|g1\n6:bob@x|g2\n" },
		{ "\xEF\xBB\xBF" "addr,group\n", "1:addr|group\n" },
		{ "a#b,c", "1:a#b|c\n" },
		{ "\"#not a comment\"", "1:#not a comment\n" },
		{ "caf\xc3\xa9,\xe2\x82\xac", "1:caf\xc3\xa9|\xe2\x82\xac\n" },
		{ "", "" },
		{ "\n\n", "" },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct sbuf got;
		struct err e;

		sbuf_init(&got, 1 << 20);
		err_clear(&e);
		assert_int_equal(csv_read_mem("t.csv", cases[i].in,
					      strlen(cases[i].in), 1024,
					      collect, &got, &e),
				 0);
		assert_string_equal(got.buf, cases[i].want);
		sbuf_release(&got);
	}
}

static void test_errors(void **state)
{
	static const struct {
		const char *in;
		size_t max_field;
		const char *msg;
	} cases[] = {
		{ "a,\"bc\n", 100, "t.csv:1:3: unterminated quoted field" },
		{ "x,y\n\"a\n\nb", 100, "t.csv:2:1: unterminated quoted field" },
		{ "\"ab\"x,c", 100,
		  "t.csv:1:5: unexpected character after closing quote" },
		{ "ok\n\"ab\" x", 100,
		  "t.csv:2:6: unexpected character after closing quote" },
		{ "\"a\nb\" x", 100,
		  "t.csv:2:4: unexpected character after closing quote" },
		{ "ab\"c", 100, "t.csv:1:3: quote inside an unquoted field" },
		{ "# c\n\nok,x\nab,c\"d", 100,
		  "t.csv:4:5: quote inside an unquoted field" },
		{ "abcdef", 5, "t.csv:1:1: field longer than 5 bytes" },
		{ "abcde,xx,\"123456\"", 5,
		  "t.csv:1:10: field longer than 5 bytes" },
		{ "a,b\nc,d\ne,fghijkl\n", 5,
		  "t.csv:3:3: field longer than 5 bytes" },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct sbuf got;
		struct err e;

		sbuf_init(&got, 1 << 20);
		err_clear(&e);
		assert_int_equal(csv_read_mem("t.csv", cases[i].in,
					      strlen(cases[i].in),
					      cases[i].max_field, collect,
					      &got, &e),
				 -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.cat, ERR_PLAN);
		sbuf_release(&got);
	}
}

static void test_field_limits(void **state)
{
	struct sbuf got;
	struct err e;

	(void)state;
	sbuf_init(&got, 1 << 20);
	err_clear(&e);
	/* Exactly max_field bytes is allowed. */
	assert_int_equal(csv_read_mem("t", "abcde,\"vwxyz\"", 13, 5, collect,
				      &got, &e),
			 0);
	assert_string_equal(got.buf, "1:abcde|vwxyz\n");
	/* A NUL byte is refused with its position. */
	assert_int_equal(csv_read_mem("t", "ab\0c", 4, 5, collect, &got, &e),
			 -1);
	assert_string_equal(e.msg, "t:1:3: NUL byte in data");
	sbuf_release(&got);
}

struct stop_ctx {
	unsigned calls;
};

static int stop_at_two(void *ctx, unsigned line, char **fields, size_t n,
		       struct err *err)
{
	struct stop_ctx *c = ctx;

	(void)fields;
	(void)n;
	if (++c->calls == 2)
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "users.csv:%u: unknown group '%s'", line,
			       fields[1]);
	return 0;
}

static void test_callback_stops(void **state)
{
	static const char data[] = "a,g1\nb,g2\nc,g3\n";
	struct stop_ctx c = { 0 };
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(csv_read_mem("users.csv", data, strlen(data), 0,
				      stop_at_two, &c, &e),
			 -1);
	assert_int_equal(c.calls, 2);
	assert_string_equal(e.msg, "users.csv:2: unknown group 'g2'");
}

static void test_file(void **state)
{
	char path[] = "/tmp/test_util_csv.XXXXXX";
	static const char data[] = "address,group\r\n\"a@x\",g1\r\n";
	struct sbuf got;
	struct err e;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
	sbuf_init(&got, 1 << 20);
	err_clear(&e);
	assert_int_equal(csv_read_file(path, 256, collect, &got, &e), 0);
	assert_string_equal(got.buf, "1:address|group\n2:a@x|g1\n");
	unlink(path);

	assert_int_equal(csv_read_file(path, 256, collect, &got, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open '/tmp/test_util_csv."));
	assert_non_null(strstr(e.msg, "No such file or directory"));
	assert_int_equal(e.cat, ERR_IO);
	sbuf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
