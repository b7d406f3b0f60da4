/*
 * test_probe.c -- the pure parts of probe/: SMTP reply lines, banner
 * words, SPF terms, MTA-STS TXT records, policies and mx patterns; and
 * probe_smtp's refusals (bad options, nothing listening) without any
 * server.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/probe.h"
#include "util/err.h"
#include "util/xalloc.h"

static void test_reply_line(void **state)
{
	static const struct {
		const char *line;
		int rc, code;
		const char *text;
	} cases[] = {
		{ "220 mx.example.com ESMTP", 1, 220, "mx.example.com ESMTP" },
		{ "250-mx.example.com", 0, 250, "mx.example.com" },
		{ "250 STARTTLS", 1, 250, "STARTTLS" },
		{ "554", 1, 554, "" },
		{ "550 5.1.1 <x>: no", 1, 550, "5.1.1 <x>: no" },
		{ "199 too low", -1, 0, NULL },
		{ "600 too high", -1, 0, NULL },
		{ "25 short", -1, 0, NULL },
		{ "2500 long", -1, 0, NULL },
		{ "abc def", -1, 0, NULL },
		{ "", -1, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int code = 0;
		const char *text = NULL;

		assert_int_equal(probe_reply_line(cases[i].line, &code, &text),
				 cases[i].rc);
		if (cases[i].rc >= 0) {
			assert_int_equal(code, cases[i].code);
			assert_string_equal(text, cases[i].text);
		}
	}
}

static void test_first_word(void **state)
{
	char *w;

	(void)state;
	w = probe_first_word("MX.Example.COM. ESMTP Postfix");
	assert_string_equal(w, "mx.example.com");
	free(w);
	w = probe_first_word("gw.corp.example");
	assert_string_equal(w, "gw.corp.example");
	free(w);
	assert_null(probe_first_word(""));
	assert_null(probe_first_word(" leading space"));
}

static void test_spf(void **state)
{
	char **t;

	(void)state;
	t = probe_spf_terms("v=spf1 include:Source.Example  ip4:192.0.2.0/24 "
			    "+include:plus.example -all");
	assert_non_null(t);
	assert_string_equal(t[0], "v=spf1");
	assert_string_equal(t[1], "include:source.example");
	assert_string_equal(t[4], "-all");
	assert_null(t[5]);
	assert_true(probe_spf_has(t, "include:source.example"));
	assert_true(probe_spf_has(t, "INCLUDE:SOURCE.EXAMPLE"));
	assert_true(probe_spf_has(t, "+include:source.example"));
	assert_true(probe_spf_has(t, "include:plus.example"));
	assert_true(probe_spf_has(t, "ip4:192.0.2.0/24"));
	assert_false(probe_spf_has(t, "ip4:192.0.2.1"));
	assert_false(probe_spf_has(t, "include:other.example"));
	assert_false(probe_spf_has(t, "v=spf1"));
	strv_free(t);
	assert_null(probe_spf_terms("v=spf10 -all"));
	assert_null(probe_spf_terms("google-site-verification=abc"));
	assert_null(probe_spf_terms(""));
	t = probe_spf_terms("v=spf1");
	assert_non_null(t);
	assert_null(t[1]);
	assert_false(probe_spf_has(t, "-all"));
	strv_free(t);
}

static void test_sts_txt(void **state)
{
	(void)state;
	assert_int_equal(probe_sts_txt("v=STSv1; id=20240101T000000;"), 1);
	assert_int_equal(probe_sts_txt("v=STSv1;id=1"), 1);
	assert_int_equal(probe_sts_txt("v=STSv1"), 1);
	assert_int_equal(probe_sts_txt("v=STSv10; id=1"), 0);
	assert_int_equal(probe_sts_txt("v=spf1 -all"), 0);
	assert_int_equal(probe_sts_txt(""), 0);
}

static void test_sts_parse(void **state)
{
	static const char ok[] =
		"version: STSv1\r\n"
		"mode: enforce\r\n"
		"mx: MX1.Example.COM\r\n"
		"mx:*.backup.example.net\r\n"
		"unknown: ignored\r\n"
		"max_age: 604800\r\n";
	static const char none[] = "version: STSv1\nmode: none\nmax_age: 0";
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "mode: enforce\nmx: a.example\nmax_age: 1\n",
		  "the policy has no 'version: STSv1' line" },
		{ "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
		  "the policy has no 'version: STSv1' line" },
		{ "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",
		  "the policy has no valid 'mode' (enforce, testing or none)" },
		{ "version: STSv1\nmode: enforce\nmx: a.example\n",
		  "the policy has no valid 'max_age'" },
		{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999999\n",
		  "the policy has no valid 'max_age'" },
		{ "version: STSv1\nmode: testing\nmax_age: 1\n",
		  "the policy has no 'mx' line" },
	};
	struct probe_sts_policy pol;
	struct err err;

	(void)state;
	err_clear(&err);
	assert_int_equal(probe_sts_parse(ok, strlen(ok), &pol, &err), 0);
	assert_int_equal(pol.mode, PROBE_STS_ENFORCE);
	assert_int_equal(pol.max_age, 604800);
	assert_string_equal(pol.mx[0], "mx1.example.com");
	assert_string_equal(pol.mx[1], "*.backup.example.net");
	assert_null(pol.mx[2]);
	assert_string_equal(probe_sts_mode_name(pol.mode), "enforce");
	probe_sts_policy_release(&pol);

	/* mode none needs no mx line */
	err_clear(&err);
	assert_int_equal(probe_sts_parse(none, strlen(none), &pol, &err), 0);
	assert_int_equal(pol.mode, PROBE_STS_NONE);
	probe_sts_policy_release(&pol);

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err_clear(&err);
		assert_int_equal(probe_sts_parse(bad[i].body,
						 strlen(bad[i].body), &pol,
						 &err), -1);
		assert_string_equal(err.msg, bad[i].msg);
		assert_int_equal(err.cat, ERR_REMOTE);
		assert_null(pol.mx);
	}
	err_clear(&err);
	assert_int_equal(probe_sts_parse("version: STSv1\0x", 16, &pol, &err),
			 -1);
	assert_string_equal(err.msg, "the policy holds a NUL byte");
}

static void test_sts_match(void **state)
{
	(void)state;
	assert_true(probe_sts_match("mx1.example.com", "mx1.example.com"));
	assert_true(probe_sts_match("mx1.example.com", "MX1.EXAMPLE.COM."));
	assert_true(probe_sts_match("mx1.example.com.", "mx1.example.com"));
	assert_true(probe_sts_match("*.example.net", "mx.example.net"));
	assert_false(probe_sts_match("*.example.net", "example.net"));
	assert_false(probe_sts_match("*.example.net", "a.mx.example.net"));
	assert_false(probe_sts_match("*.example.net", "mx.example.org"));
	assert_false(probe_sts_match("mx1.example.com", "mx2.example.com"));
}

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
static unsigned closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_smtp_refusals(void **state)
{
	char *bad_rcpt[] = { (char *)(uintptr_t)"a b@example.com", NULL };
	struct probe_smtp_opts o = { .host = "mx.example.com",
				     .address = "127.0.0.1", .port = 0 };
	struct probe_smtp_result r;
	struct err err;

	(void)state;
	err_clear(&err);
	assert_int_equal(probe_smtp(&o, &r, &err), -1);	/* port 0 */
	assert_int_equal(err.cat, ERR_USAGE);
	o.port = 25;
	o.address = "mx.example.com";		/* never resolved here */
	err_clear(&err);
	assert_int_equal(probe_smtp(&o, &r, &err), -1);
	assert_int_equal(err.cat, ERR_USAGE);
	assert_string_equal(err.msg, "'mx.example.com' is not a numeric address");
	o.address = "127.0.0.1";
	o.rcpts = bad_rcpt;
	o.n_rcpts = 1;
	err_clear(&err);
	assert_int_equal(probe_smtp(&o, &r, &err), -1);
	assert_int_equal(err.cat, ERR_USAGE);
	o.rcpts = NULL;
	o.n_rcpts = 0;
	o.port = closed_port();
	o.timeout_ms = 2000;
	err_clear(&err);
	assert_int_equal(probe_smtp(&o, &r, &err), -1);
	assert_int_equal(err.cat, ERR_REMOTE);
	assert_int_equal(err.retry, RETRY_LATER);
	assert_non_null(strstr(err.msg, "cannot connect to '127.0.0.1:"));
	assert_non_null(strstr(err.msg, "(mx.example.com): Connection refused"));
	assert_false(r.connected);
	probe_smtp_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_line),
		cmocka_unit_test(test_first_word),
		cmocka_unit_test(test_spf),
		cmocka_unit_test(test_sts_txt),
		cmocka_unit_test(test_sts_parse),
		cmocka_unit_test(test_sts_match),
		cmocka_unit_test(test_smtp_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
