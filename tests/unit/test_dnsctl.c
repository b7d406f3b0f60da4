/*
 * test_dnsctl.c -- the pure parts of dnsctl/: names, types, TSIG
 * algorithm names, the canonical form of records, RRsets, the PowerDNS
 * JSON (parsed and built), the RFC 2136 UPDATE message and its TSIG
 * signature, configuration errors, and the wording of a failed check.
 * No network (one test uses a closed port on 127.0.0.1).
 */
/* dnsctl_int.h must come before util/err.h (see there) */
#include "dnsctl/dnsctl_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/err.h"
#include "util/xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char secret256[] = "HZ8TSUHZt2psYaA0n+7Xh/2MRcHt3iifiSsGyUsf6ZA=";
static const char other256[] = "dJgdiiNQIPtZ/eBVUkFMpE7ZAEWMHqD1jA9o0Ly/tWk=";

static void test_name_canon(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "Corp.Example", "corp.example." },
		{ "corp.example.", "corp.example." },
		{ "_dmarc.corp.example", "_dmarc.corp.example." },
		{ "*.corp.example.", "*.corp.example." },
		{ "a-b.c", "a-b.c." },
		{ "", NULL },
		{ ".", NULL },
		{ "a..b", NULL },
		{ ".a", NULL },
		{ "a b.c", NULL },
		{ "a*.c", NULL },
		{ "x.*.c", NULL },
		{ "caf\xc3\xa9.example", NULL },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
		  NULL },	/* 64-byte label */
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char *got = dnsctl_name_canon(cases[i].in);

		if (cases[i].out)
			assert_string_equal(got, cases[i].out);
		else
			assert_null(got);
		free(got);
	}
	assert_null(dnsctl_name_canon(NULL));
}

static void test_name_in_zone(void **state)
{
	static const struct { const char *name, *zone; bool in; } cases[] = {
		{ "corp.example.", "corp.example.", true },
		{ "corp.example", "Corp.Example.", true },
		{ "mx.corp.example.", "corp.example.", true },
		{ "a.b.corp.example.", "corp.example", true },
		{ "xcorp.example.", "corp.example.", false },
		{ "other.example.", "corp.example.", false },
		{ "example.", "corp.example.", false },
		{ "corp.example.net.", "corp.example.", false },
		{ "bad name.corp.example.", "corp.example.", false },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++)
		assert_int_equal(dnsctl_name_in_zone(cases[i].name,
						     cases[i].zone),
				 cases[i].in);
}

static void test_type_canon(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "mx", "MX" }, { "MX", "MX" }, { "Txt", "TXT" },
		{ "cname", "CNAME" }, { "AAAA", "AAAA" }, { "caa", "CAA" },
		{ "TYPE15", "MX" }, { "TYPE65534", "TYPE65534" },
		{ "BOGUS", NULL }, { "", NULL }, { "ANY", NULL },
		{ "AXFR", NULL }, { "TSIG", NULL }, { "OPT", NULL },
		{ "mxmxmxmxmxmxmxmxmx", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		char *got = dnsctl_type_canon(cases[i].in);

		if (cases[i].out)
			assert_string_equal(got, cases[i].out);
		else
			assert_null(got);
		free(got);
	}
}

static void test_tsig_algorithm(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "hmac-sha256", "hmac-sha256." },
		{ "hmac-sha256.", "hmac-sha256." },
		{ "HMAC-SHA256", "hmac-sha256." },
		{ "hmac-sha512", "hmac-sha512." },
		{ "hmac-sha512.", "hmac-sha512." },
		{ "hmac-md5", NULL },
		{ "hmac-md5.sig-alg.reg.int.", NULL },
		{ "hmac-sha1", NULL },
		{ "hmac-sha25", NULL },
		{ "hmac-sha2566", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		const char *got = dnsctl_tsig_algorithm(cases[i].in);

		if (cases[i].out)
			assert_string_equal(got, cases[i].out);
		else
			assert_null(got);
	}
	assert_null(dnsctl_tsig_algorithm(NULL));
}

static void test_rdata_canon(void **state)
{
	static const struct {
		const char *type, *in, *out, *err;
	} cases[] = {
		{ "MX", "10 MX1.MailHost.NET.", "10 mx1.mailhost.net.", NULL },
		{ "mx", "  10   mx1.example.", "10 mx1.example.", NULL },
		{ "CNAME", "Autodiscover.Suite.Example.",
		  "autodiscover.suite.example.", NULL },
		{ "TXT", "\"v=spf1 include:Suite.example -all\"",
		  "\"v=spf1 include:Suite.example -all\"", NULL },
		{ "TXT", "v=spf1 include:suite.example -all",
		  "\"v=spf1 include:suite.example -all\"", NULL },
		{ "TXT", "say \"hi\"", "\"say \\\"hi\\\"\"", NULL },
		{ "TXT", "\"a\" \"b\"", "\"a\" \"b\"", NULL },
		{ "A", "192.0.2.1", "192.0.2.1", NULL },
		{ "AAAA", "2001:DB8:0:0::1", "2001:db8::1", NULL },
		{ "SRV", "0 5 443 Mail.Example.", "0 5 443 mail.example.",
		  NULL },
		{ "MX", "10 mx1.mailhost.net", NULL, "relative name" },
		{ "CNAME", "foo", NULL, "relative name" },
		{ "MX", "10", NULL, "does not parse" },
		{ "MX", "10 a. b.", NULL, "does not parse" },
		{ "A", "192.0.2", NULL, "does not parse" },
		{ "MX", "", NULL, "is empty" },
		{ "MX", "10 a.\nb. IN A 1.2.3.4", NULL, "control character" },
		{ "BOGUS", "1", NULL, "unknown record type 'BOGUS'" },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct err err;
		char *got = NULL;
		int rc;

		err_clear(&err);
		rc = dnsctl_rdata_canon(cases[i].type, cases[i].in, &got, &err);
		if (cases[i].out) {
			assert_int_equal(rc, 0);
			assert_string_equal(got, cases[i].out);
		} else {
			assert_int_equal(rc, -1);
			assert_null(got);
			assert_int_equal(err.cat, ERR_PLAN);
			if (!strstr(err.msg, cases[i].err))
				fail_msg("case %zu: '%s' lacks '%s'", i,
					 err.msg, cases[i].err);
		}
		free(got);
	}
}

static void test_txt_long(void **state)
{
	char text[600], *got = NULL;
	struct err err;

	(void)state;
	err_clear(&err);
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	assert_int_equal(dnsctl_rdata_canon("TXT", text, &got, &err), 0);
	/* three strings: 255 + 255 + 89 */
	assert_int_equal(strlen(got), 599 + 6 + 2);
	assert_non_null(strstr(got, "\" \""));
	free(got);
}

static void test_rrset(void **state)
{
	static const char *const recs[] = {
		"20 MX2.example.", "10 mx1.example.", "20 mx2.example.",
	};
	static const char *const one[] = { "10 mx1.example." };
	struct dnsctl_rrset a, b, c;
	struct err err;
	char *j;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&a);
	dnsctl_rrset_init(&b);
	dnsctl_rrset_init(&c);
	assert_int_equal(dnsctl_rrset_set(&a, "Corp.Example", "mx", 300, recs,
					  N(recs), &err), 0);
	assert_string_equal(a.name, "corp.example.");
	assert_string_equal(a.type, "MX");
	assert_int_equal(a.n, 2);		/* sorted, duplicate dropped */
	assert_string_equal(a.rdata[0], "10 mx1.example.");
	assert_string_equal(a.rdata[1], "20 mx2.example.");
	j = dnsctl_rrset_join(&a, "\n");
	assert_string_equal(j, "10 mx1.example.\n20 mx2.example.");
	assert_int_equal(dnsctl_rrset_parse(&b, "corp.example.", "MX", 300, j,
					     &err), 0);
	free(j);
	assert_true(dnsctl_rrset_equal(&a, &b));
	b.ttl = 5;
	assert_false(dnsctl_rrset_equal(&a, &b));
	assert_true(dnsctl_rrset_same_data(&a, &b));
	dnsctl_rrset_copy(&c, &a);
	assert_true(dnsctl_rrset_equal(&a, &c));
	assert_int_equal(dnsctl_rrset_set(&c, "corp.example.", "MX", 300, one,
					  1, &err), 0);
	assert_false(dnsctl_rrset_same_data(&a, &c));

	/* errors: each names the record */
	assert_int_equal(dnsctl_rrset_set(&c, "corp.example.", "MX",
					  DNSCTL_TTL_MAX + 1u, one, 1, &err),
			 -1);
	assert_string_equal(err.msg, "'corp.example. MX': TTL 2147483648 is "
			    "out of range (0 to 2147483647)");
	assert_null(c.name);
	err_clear(&err);
	assert_int_equal(dnsctl_rrset_set(&c, "corp.example.", "MX", 1, one, 0,
					  &err), -1);
	assert_string_equal(err.msg, "'corp.example. MX': no record");
	err_clear(&err);
	assert_int_equal(dnsctl_rrset_set(&c, "bad name", "MX", 1, one, 1,
					  &err), -1);
	assert_string_equal(err.msg, "'bad name MX': not a valid domain name");
	err_clear(&err);
	assert_int_equal(dnsctl_rrset_parse(&c, "corp.example.", "MX", 1,
					    "10 a.\n10 b", &err), -1);
	assert_non_null(strstr(err.msg, "'corp.example. MX': MX record '10 b' "
				      "holds a relative name"));
	dnsctl_rrset_release(&a);
	dnsctl_rrset_release(&b);
	dnsctl_rrset_release(&c);
}

static const char zone_json[] =
	"{\"name\": \"corp.example.\", \"serial\": 7, \"rrsets\": ["
	"{\"name\": \"Corp.Example.\", \"type\": \"MX\", \"ttl\": 3600,"
	" \"records\": [{\"content\": \"20 MX2.example.\", \"disabled\": false},"
	" {\"content\": \"10 mx1.example.\", \"disabled\": false},"
	" {\"content\": \"30 off.example.\", \"disabled\": true}],"
	" \"comments\": []},"
	"{\"name\": \"corp.example.\", \"type\": \"TXT\", \"ttl\": 60,"
	" \"records\": [{\"content\": \"\\\"v=spf1 -all\\\"\","
	" \"disabled\": false}]},"
	"{\"name\": \"gone.corp.example.\", \"type\": \"A\", \"ttl\": 60,"
	" \"records\": [{\"content\": \"192.0.2.1\", \"disabled\": true}]},"
	"{\"name\": \"bad.corp.example.\", \"type\": \"A\", \"ttl\": -5,"
	" \"records\": [{\"content\": \"192.0.2.1\", \"disabled\": false}]}"
	"]}";

static void test_pdns_parse(void **state)
{
	struct dnsctl_rrset rs;
	struct err err;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_int_equal(dnsctl_pdns_parse_rrset(zone_json, strlen(zone_json),
						 "corp.example.", "MX", &rs,
						 &err), 1);
	assert_int_equal(rs.ttl, 3600);
	assert_int_equal(rs.n, 2);	/* the disabled one is not served */
	assert_string_equal(rs.rdata[0], "10 mx1.example.");
	assert_string_equal(rs.rdata[1], "20 mx2.example.");
	assert_int_equal(dnsctl_pdns_parse_rrset(zone_json, strlen(zone_json),
						 "corp.example.", "TXT", &rs,
						 &err), 1);
	assert_string_equal(rs.rdata[0], "\"v=spf1 -all\"");
	assert_int_equal(dnsctl_pdns_parse_rrset(zone_json, strlen(zone_json),
						 "corp.example.", "CNAME", &rs,
						 &err), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(dnsctl_pdns_parse_rrset(zone_json, strlen(zone_json),
						 "gone.corp.example.", "A", &rs,
						 &err), 0);
	assert_false(err_isset(&err));
	assert_int_equal(dnsctl_pdns_parse_rrset(zone_json, strlen(zone_json),
						 "bad.corp.example.", "A", &rs,
						 &err), -1);
	assert_string_equal(err.msg, "the API gives no valid TTL");
	err_clear(&err);
	assert_int_equal(dnsctl_pdns_parse_rrset("<html>", 6, "corp.example.",
						 "MX", &rs, &err), -1);
	assert_int_equal(err.cat, ERR_REMOTE);
	err_clear(&err);
	assert_int_equal(dnsctl_pdns_parse_rrset("{\"rrsets\": 1}", 13,
						 "corp.example.", "MX", &rs,
						 &err), -1);
	dnsctl_rrset_release(&rs);
}

static void test_pdns_body(void **state)
{
	static const char *const recs[] = {
		"\"v=spf1 include:x.example -all\"",
	};
	struct dnsctl_rrset rs;
	struct err err;
	char *body;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_int_equal(dnsctl_rrset_set(&rs, "corp.example.", "TXT", 300,
					  recs, 1, &err), 0);
	body = dnsctl_pdns_patch_body(&rs);
	assert_string_equal(body,
		"{\"rrsets\":[{\"name\":\"corp.example.\",\"type\":\"TXT\","
		"\"ttl\":300,\"changetype\":\"REPLACE\",\"records\":"
		"[{\"content\":\"\\\"v=spf1 include:x.example -all\\\"\","
		"\"disabled\":false}]}]}");
	free(body);
	dnsctl_rrset_release(&rs);
}

/* Sign q, put it on the wire and check the signature as a server would. */
static bool signed_ok(ldns_pkt *q, const char *alg, const char *sign_key,
		      const char *check_key)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt *back = NULL;
	bool ok;

	if (ldns_pkt_tsig(q)) {		/* signed before: sign afresh */
		ldns_rr_free(ldns_pkt_tsig(q));
		ldns_pkt_set_tsig(q, NULL);
	}
	assert_int_equal(ldns_pkt_tsig_sign(q, "ddns-key.", sign_key, 300, alg,
					    NULL), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	assert_int_equal(ldns_wire2pkt(&back, wire, len), LDNS_STATUS_OK);
	assert_non_null(ldns_pkt_tsig(back));
	ok = ldns_pkt_tsig_verify(back, wire, len, "ddns-key.", check_key,
				  NULL);
	ldns_pkt_free(back);
	free(wire);
	return ok;
}

static void test_rfc2136_update(void **state)
{
	static const char *const recs[] = { "10 a.example.", "20 b.example." };
	static const char *const algs[] = { "hmac-sha256.", "hmac-sha512." };
	struct dnsctl_rrset rs;
	struct err err;
	ldns_pkt *q;
	const ldns_rr_list *l;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_int_equal(dnsctl_rrset_set(&rs, "corp.example.", "MX", 120,
					  recs, 2, &err), 0);
	assert_int_equal(dnsctl_rfc2136_update("corp.example.", &rs, &q, &err),
			 0);
	assert_int_equal(ldns_pkt_get_opcode(q), LDNS_PACKET_UPDATE);
	assert_false(ldns_pkt_rd(q));
	assert_int_equal(ldns_update_zocount(q), 1);
	assert_int_equal(ldns_update_prcount(q), 1);
	assert_int_equal(ldns_update_upcount(q), 3);
	/* prerequisite: the RRset exists (class ANY, TTL 0, no rdata) */
	l = ldns_pkt_answer(q);
	assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(l, 0)),
			 LDNS_RR_CLASS_ANY);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(l, 0)),
			 LDNS_RR_TYPE_MX);
	assert_int_equal(ldns_rr_rd_count(ldns_rr_list_rr(l, 0)), 0);
	/* delete the RRset first, then every record at the new TTL */
	l = ldns_pkt_authority(q);
	assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(l, 0)),
			 LDNS_RR_CLASS_ANY);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(l, 0)), 0);
	for (size_t i = 1; i < 3; i++) {
		assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(l, i)),
				 LDNS_RR_CLASS_IN);
		assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(l, i)), 120);
	}
	for (size_t i = 0; i < N(algs); i++) {
		assert_true(signed_ok(q, algs[i], secret256, secret256));
		assert_false(signed_ok(q, algs[i], secret256, other256));
	}
	ldns_pkt_free(q);

	/* the ping: prerequisite "the apex exists", nothing to update */
	assert_int_equal(dnsctl_rfc2136_update("corp.example.", NULL, &q, &err),
			 0);
	assert_int_equal(ldns_update_prcount(q), 1);
	assert_int_equal(ldns_update_upcount(q), 0);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(q),
							  0)),
			 LDNS_RR_TYPE_ANY);
	ldns_pkt_free(q);
	dnsctl_rrset_release(&rs);
}

static void test_open_errors(void **state)
{
	static const struct {
		struct dnsctl_config cfg;
		const char *msg;
	} cases[] = {
		{ { .type = "route53", .endpoint = "x", .zone = "a." },
		  "unknown dns provider 'route53' (powerdns, rfc2136)" },
		{ { .type = "powerdns", .endpoint = "http://h/api/v1",
		    .key = "k3y-value", .zone = "bad zone" },
		  "powerdns: zone 'bad zone' is not a domain name" },
		{ { .type = "powerdns", .endpoint = "ftp://h/", .key = "k3y",
		    .zone = "corp.example" },
		  "powerdns 'ftp://h/' zone 'corp.example.': endpoint must be "
		  "an http:// or https:// URL" },
		{ { .type = "powerdns", .endpoint = "http://h/", .key = "",
		    .zone = "corp.example" },
		  "powerdns 'http://h/' zone 'corp.example.': no API key" },
		{ { .type = "rfc2136", .endpoint = "127.0.0.1:53",
		    .key = secret256, .zone = "corp.example." },
		  "rfc2136 '127.0.0.1:53' zone 'corp.example.': no TSIG key "
		  "name" },
		{ { .type = "rfc2136", .endpoint = "127.0.0.1:53",
		    .key = secret256, .key_name = "k", .algorithm = "hmac-md5",
		    .zone = "corp.example." },
		  "rfc2136 '127.0.0.1:53' zone 'corp.example.': TSIG algorithm "
		  "'hmac-md5' is not supported (hmac-sha256, hmac-sha512)" },
		{ { .type = "rfc2136", .endpoint = "127.0.0.1:53",
		    .key = "not base64 s3cr3t!", .key_name = "k",
		    .zone = "corp.example." },
		  "rfc2136 '127.0.0.1:53' zone 'corp.example.': the secret of "
		  "TSIG key 'k.' is not base64" },
		{ { .type = "powerdns", .endpoint = "http://h/ x", .key = "k",
		    .zone = "corp.example" },
		  "powerdns zone 'corp.example.': the endpoint holds a space "
		  "or a control character" },
		{ { .type = "rfc2136", .endpoint = "localhost",
		    .key = secret256, .key_name = "k",
		    .zone = "corp.example." },
		  "rfc2136 'localhost' zone 'corp.example.': endpoint must be "
		  "host:port" },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct dnsctl *d = (struct dnsctl *)1;
		struct err err;

		err_clear(&err);
		assert_int_equal(dnsctl_open(&cases[i].cfg, &d, &err), -1);
		assert_null(d);
		assert_string_equal(err.msg, cases[i].msg);
		assert_true(err.cat == ERR_CONFIG);
		assert_null(strstr(err.msg, "s3cr3t"));
	}
}

static void test_handle(void **state)
{
	struct dnsctl_config cfg = {
		.type = "rfc2136", .endpoint = "127.0.0.1:53", .key = secret256,
		.key_name = "DDNS-Key", .zone = "Corp.Example",
	};
	struct dnsctl_rrset rs;
	struct dnsctl *d;
	struct err err;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_true(dnsctl_provider_known("powerdns"));
	assert_true(dnsctl_provider_known("rfc2136"));
	assert_false(dnsctl_provider_known("bind"));
	assert_string_equal(dnsctl_provider_names()[0], "powerdns");
	assert_int_equal(dnsctl_open(&cfg, &d, &err), 0);
	assert_string_equal(dnsctl_type(d), "rfc2136");
	assert_string_equal(dnsctl_zone(d), "corp.example.");
	/* outside the zone: refused before anything is sent */
	assert_int_equal(dnsctl_get(d, "other.example.", "MX", &rs, &err), -1);
	assert_string_equal(err.msg, "rfc2136 '127.0.0.1:53' zone "
			    "'corp.example.': record 'other.example. MX': the "
			    "name is outside the zone");
	assert_int_equal(err.cat, ERR_PLAN);
	assert_string_equal(dnsctl_last_error(d), err.msg);
	err_clear(&err);
	rs.name = xstrdup("corp.example.");
	rs.type = xstrdup("MX");
	rs.ttl = 4294967295u;
	assert_int_equal(dnsctl_replace(d, &rs, &err), -1);
	assert_string_equal(err.msg, "rfc2136 '127.0.0.1:53' zone "
			    "'corp.example.': record 'corp.example. MX': TTL "
			    "4294967295 is out of range (0 to 2147483647)");
	err_clear(&err);
	assert_int_equal(dnsctl_get(d, "corp.example.", "BOGUS", &rs, &err),
			 -1);
	assert_non_null(strstr(err.msg, "unknown record type"));
	dnsctl_rrset_release(&rs);
	d = dnsctl_close(d);
	assert_null(d);
}

static void test_unreachable(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	struct dnsctl_rrset rs;
	struct err err;
	char server[32];
	int fd;

	(void)state;
	/* a port that was just free: nothing listens there */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	snprintf(server, sizeof server, "127.0.0.1:%u", ntohs(a.sin_port));
	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_int_equal(dnsctl_query(server, "corp.example.", "MX", 1000, &rs,
				      &err), -1);
	assert_int_equal(err.cat, ERR_REMOTE);
	assert_int_equal(err.retry, RETRY_LATER);
	assert_non_null(strstr(err.msg, server));
	err_clear(&err);
	assert_int_equal(dnsctl_query("127.0.0.1", "corp.example.", "MX", 1000,
				      &rs, &err), -1);
	assert_string_equal(err.msg, "server '127.0.0.1' is not host:port");
	err_clear(&err);
	assert_int_equal(dnsctl_query("[::1:53", "corp.example.", "MX", 1000,
				      &rs, &err), -1);
	assert_int_equal(err.cat, ERR_CONFIG);
	dnsctl_rrset_release(&rs);
}

static void test_check_err(void **state)
{
	static char m1[] = "'corp.example. MX': serves TTL 3600, expected 300",
		    m2[] = "'corp.example. TXT': no such RRset, expected TTL "
			   "300",
		    s1[] = "192.0.2.1:53", s2[] = "192.0.2.2:53";
	static char *p1[] = { m1, m2, NULL };
	struct dnsctl_server_check sv[2] = {
		{ .server = s1, .reached = true, .ok = true,
		  .has_serial = true, .serial = 7 },
		{ .server = s2, .reached = true,
		  .has_serial = true, .serial = 6, .problems = p1 },
	};
	struct dnsctl_check c = {
		.servers = sv, .n_servers = 2, .serials_agree = false,
	};
	struct err err;

	(void)state;
	err_clear(&err);
	assert_int_equal(dnsctl_check_err(&c, "corp.example.", &err), -1);
	assert_string_equal(err.msg, "zone 'corp.example.': 1 of 2 servers "
			    "lag; server '192.0.2.2:53': 'corp.example. MX': "
			    "serves TTL 3600, expected 300 (and 1 more); SOA "
			    "serials differ: '192.0.2.1:53' 7 '192.0.2.2:53' 6");
	assert_int_equal(err.retry, RETRY_LATER);
	assert_int_equal(err_exit_code(&err), EXIT_TEMPFAIL);
	err_clear(&err);
	assert_int_equal(dnsctl_check_servers(NULL, 0, "corp.example.", NULL, 0,
					      1000, &c, &err), -1);
	assert_string_equal(err.msg, "zone 'corp.example.': no server to "
			    "check");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_canon),
		cmocka_unit_test(test_name_in_zone),
		cmocka_unit_test(test_type_canon),
		cmocka_unit_test(test_tsig_algorithm),
		cmocka_unit_test(test_rdata_canon),
		cmocka_unit_test(test_txt_long),
		cmocka_unit_test(test_rrset),
		cmocka_unit_test(test_pdns_parse),
		cmocka_unit_test(test_pdns_body),
		cmocka_unit_test(test_rfc2136_update),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_handle),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_check_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
