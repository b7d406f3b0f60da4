/*
 * test_dnsctl_lookup.c -- the pure helpers of dnsctl_lookup.c (reverse
 * names, TXT text) and dnsctl_lookup's and dnsctl_https_get's refusals
 * that need no server: no server listed, a bad name, a URL that is not
 * https://, nothing listening on the pinned address.
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

#include "dnsctl/dnsctl.h"
#include "util/err.h"
#include "util/xalloc.h"

static void test_reverse_name(void **state)
{
	char *r;

	(void)state;
	r = dnsctl_reverse_name("192.0.2.1");
	assert_string_equal(r, "1.2.0.192.in-addr.arpa.");
	free(r);
	r = dnsctl_reverse_name("127.0.0.1");
	assert_string_equal(r, "1.0.0.127.in-addr.arpa.");
	free(r);
	r = dnsctl_reverse_name("2001:db8::567:89ab");
	assert_string_equal(r, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
			       "8.b.d.0.1.0.0.2.ip6.arpa.");
	free(r);
	assert_null(dnsctl_reverse_name("mx.example.com"));
	assert_null(dnsctl_reverse_name("192.0.2"));
	assert_null(dnsctl_reverse_name(""));
}

static void test_txt_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "\"v=spf1 -all\"", "v=spf1 -all" },
		{ "\"v=spf1 include:a.example \" \"include:b.example -all\"",
		  "v=spf1 include:a.example include:b.example -all" },
		{ "\"say \\\"hi\\\"\"", "say \"hi\"" },
		{ "\"a\\059b\"", "a;b" },
		{ "\"back\\\\slash\"", "back\\slash" },
		{ "\"\"", "" },
		{ "unquoted", NULL },
		{ "\"open", NULL },
		{ "\"x\\", NULL },
		{ "\"x\\999\"", NULL },
		{ "", NULL },
		{ "\"a\" b", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *t = dnsctl_txt_text(cases[i].in);

		if (cases[i].out)
			assert_string_equal(t, cases[i].out);
		else
			assert_null(t);
		free(t);
	}
}

static void test_lookup_refusals(void **state)
{
	char *none[] = { NULL };
	struct dnsctl_answer a;
	struct err err;

	(void)state;
	dnsctl_answer_init(&a);
	err_clear(&err);
	assert_int_equal(dnsctl_lookup(none, NULL, "mx.example.com", "A", 1000,
				       &a, &err), -1);
	assert_int_equal(err.cat, ERR_REMOTE);
	assert_string_equal(err.msg, "no server named in the plan answers for "
			    "'mx.example.com. A' (none is listed)");
	err_clear(&err);
	assert_int_equal(dnsctl_lookup(none, NULL, "bad name!", "A", 1000, &a,
				       &err), -1);
	assert_int_equal(err.cat, ERR_PLAN);
	err_clear(&err);
	assert_int_equal(dnsctl_lookup(none, NULL, "a.example", "NOSUCHTYPE",
				       1000, &a, &err), -1);
	assert_int_equal(err.cat, ERR_PLAN);
	dnsctl_answer_release(&a);
}

static unsigned closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t l = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &l), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_https_refusals(void **state)
{
	struct dnsctl_http_get req = { 0 };
	struct dnsctl_http_reply rep;
	struct err err;
	char *pin;

	(void)state;
	req.url = "http://mta-sts.example.com/.well-known/mta-sts.txt";
	err_clear(&err);
	assert_int_equal(dnsctl_https_get(&req, &rep, &err), -1);
	assert_int_equal(err.cat, ERR_PLAN);
	/* pinned to 127.0.0.1 where nothing listens: never the resolver */
	pin = xasprintf("mta-sts.example.com:443:127.0.0.1:%u", closed_port());
	req.url = "https://mta-sts.example.com/.well-known/mta-sts.txt";
	req.connect_to = pin;
	req.timeout_ms = 3000;
	err_clear(&err);
	assert_int_equal(dnsctl_https_get(&req, &rep, &err), -1);
	assert_int_equal(err.cat, ERR_REMOTE);
	assert_non_null(strstr(err.msg, "'https://mta-sts.example.com/"
				       ".well-known/mta-sts.txt': "));
	assert_null(rep.body);
	free(pin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reverse_name),
		cmocka_unit_test(test_txt_text),
		cmocka_unit_test(test_lookup_refusals),
		cmocka_unit_test(test_https_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
