/*
 * dnsctl_live.c -- dnsctl/ against the real DNS servers of the sandbox
 * (run from t_dns.bats with the sandbox env exported):
 *
 *	PDNS_API PDNS_API_KEY PDNS_DNS	PowerDNS: HTTP API, DNS port
 *	BIND_DNS BIND_TSIG_SECRET	BIND 9, RFC 2136 + TSIG hmac-sha256
 *	KNOT_DNS KNOT_TSIG_SECRET	Knot, RFC 2136 + TSIG hmac-sha256
 *	PDNS_TSIG_SECRET		PowerDNS, RFC 2136 (key ddns-key)
 *	PDNS_SHA512_SECRET		PowerDNS key "sha512-key", hmac-sha512
 *	CAP_DNS CAP_TSIG_SECRET		a BIND with max-zone-ttl 86400
 *	TSIG_KEY_NAME			ddns-key
 *
 * Every provider: ping, read, a TTL-only change seen at once on the
 * server itself (Knot included), back again; the zone's NS set read
 * through the API; wrong keys (HTTP 401, BADSIG, BADKEY, REFUSED), an
 * unreachable provider, a name outside the zone, a name without an
 * RRset and a TTL the server will not take are each refused with a
 * message naming provider, zone and record, and change nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsctl/dnsctl.h"
#include "util/err.h"
#include "util/xalloc.h"

#define ZONE "corp.example."

static const char *env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fail_msg("environment variable %s is not set", name);
	return v;
}

static char *local(const char *port_var)
{
	return xasprintf("127.0.0.1:%s", env(port_var));
}

static struct dnsctl *open_pdns(const char *key)
{
	struct dnsctl_config c = {
		.type = "powerdns", .endpoint = env("PDNS_API"), .key = key,
		.zone = ZONE,
	};
	struct dnsctl *d = NULL;
	struct err err;

	err_clear(&err);
	if (dnsctl_open(&c, &d, &err) < 0)
		fail_msg("open: %s", err.msg);
	return d;
}

static struct dnsctl *open_2136(const char *server, const char *secret,
				const char *key_name, const char *alg)
{
	struct dnsctl_config c = {
		.type = "rfc2136", .endpoint = server, .key = secret,
		.key_name = key_name, .algorithm = alg, .zone = ZONE,
		.timeout_ms = 5000,
	};
	struct dnsctl *d = NULL;
	struct err err;

	err_clear(&err);
	if (dnsctl_open(&c, &d, &err) < 0)
		fail_msg("open: %s", err.msg);
	return d;
}

static uint32_t serial_of(const char *server)
{
	struct err err;
	uint32_t s = 0;

	err_clear(&err);
	if (dnsctl_query_serial(server, ZONE, 3000, &s, &err) < 0)
		fail_msg("serial: %s", err.msg);
	return s;
}

/* Change the MX TTL to ttl and back; the server itself shows each. */
static void ttl_round_trip(struct dnsctl *d, char *server)
{
	struct dnsctl_rrset orig, want, seen;
	struct dnsctl_check c;
	struct err err;

	err_clear(&err);
	dnsctl_rrset_init(&orig);
	dnsctl_rrset_init(&want);
	dnsctl_rrset_init(&seen);
	assert_int_equal(dnsctl_ping(d, &err), 0);
	assert_int_equal(dnsctl_get(d, ZONE, "MX", &orig, &err), 1);
	assert_int_equal(orig.n, 1);
	assert_string_equal(orig.rdata[0], "10 mx.source-host.example.");
	dnsctl_rrset_copy(&want, &orig);
	want.ttl = orig.ttl + 111;
	assert_int_equal(dnsctl_replace(d, &want, &err), 0);
	assert_int_equal(dnsctl_query(server, ZONE, "MX", 3000, &seen, &err),
			 1);
	assert_true(dnsctl_rrset_equal(&seen, &want));
	/* the check agrees with itself, and catches the old TTL */
	assert_int_equal(dnsctl_check_servers(&server, 1, ZONE, &want, 1,
					      3000, &c, &err), 0);
	assert_true(c.ok);
	dnsctl_check_release(&c);
	assert_int_equal(dnsctl_check_servers(&server, 1, ZONE, &orig, 1,
					      3000, &c, &err), 0);
	assert_false(c.ok);
	assert_non_null(strstr(c.servers[0].problems[0], "serves TTL"));
	dnsctl_check_release(&c);
	/* the same again is a no-op, then back */
	assert_int_equal(dnsctl_replace(d, &want, &err), 0);
	assert_int_equal(dnsctl_replace(d, &orig, &err), 0);
	assert_int_equal(dnsctl_query(server, ZONE, "MX", 3000, &seen, &err),
			 1);
	assert_true(dnsctl_rrset_equal(&seen, &orig));
	dnsctl_rrset_release(&orig);
	dnsctl_rrset_release(&want);
	dnsctl_rrset_release(&seen);
}

/* Refusals that must leave the zone as it was. */
static void refusals(struct dnsctl *d, const char *server)
{
	static const char *const one[] = { "10 mx.other.example." };
	uint32_t before = serial_of(server);
	struct dnsctl_rrset rs;
	struct err err;

	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_int_equal(dnsctl_rrset_set(&rs, "nothere." ZONE, "MX", 60, one,
					  1, &err), 0);
	assert_int_equal(dnsctl_replace(d, &rs, &err), -1);
	assert_int_equal(err.cat, ERR_PLAN);
	assert_non_null(strstr(err.msg, "zone 'corp.example.': record "
					"'nothere.corp.example. MX': no RRset"));
	assert_non_null(strstr(err.msg, dnsctl_type(d)));
	err_clear(&err);
	free(rs.name);
	rs.name = xstrdup("mx.other.example.");
	assert_int_equal(dnsctl_replace(d, &rs, &err), -1);
	assert_int_equal(err.cat, ERR_PLAN);
	assert_non_null(strstr(err.msg, "record 'mx.other.example. MX': the "
					"name is outside the zone"));
	err_clear(&err);
	assert_int_equal(dnsctl_get(d, "nothere." ZONE, "MX", &rs, &err), 0);
	assert_int_equal(serial_of(server), before);
	dnsctl_rrset_release(&rs);
}

static void test_powerdns(void **state)
{
	struct dnsctl *d = open_pdns(env("PDNS_API_KEY"));
	char *server = local("PDNS_DNS"), **ns = NULL;
	struct err err;

	(void)state;
	err_clear(&err);
	ttl_round_trip(d, server);
	refusals(d, server);
	/* the NS set through the API: ns1.corp.example. A 127.0.0.1 */
	assert_int_equal(dnsctl_ns_servers(d, (unsigned)atoi(env("PDNS_DNS")),
					   &ns, &err), 0);
	assert_string_equal(ns[0], server);
	assert_null(ns[1]);
	strv_free(ns);
	dnsctl_close(d);
	free(server);
}

static void test_bind(void **state)
{
	char *server = local("BIND_DNS");
	struct dnsctl *d = open_2136(server, env("BIND_TSIG_SECRET"),
				     env("TSIG_KEY_NAME"), NULL);

	(void)state;
	ttl_round_trip(d, server);
	refusals(d, server);
	dnsctl_close(d);
	free(server);
}

static void test_knot(void **state)
{
	char *server = local("KNOT_DNS");
	struct dnsctl *d = open_2136(server, env("KNOT_TSIG_SECRET"),
				     env("TSIG_KEY_NAME"), "hmac-sha256");

	(void)state;
	ttl_round_trip(d, server);	/* the TTL-only change works on Knot */
	refusals(d, server);
	dnsctl_close(d);
	free(server);
}

static void test_powerdns_2136(void **state)
{
	char *server = local("PDNS_DNS");
	struct dnsctl *d = open_2136(server, env("PDNS_TSIG_SECRET"),
				     env("TSIG_KEY_NAME"), NULL);

	(void)state;
	ttl_round_trip(d, server);
	dnsctl_close(d);
	/* hmac-sha512, with a second key the test put into PowerDNS */
	d = open_2136(server, env("PDNS_SHA512_SECRET"), "sha512-key",
		      "hmac-sha512");
	ttl_round_trip(d, server);
	dnsctl_close(d);
	free(server);
}

/* A refusal with a message naming provider, zone and why; no change. */
static void refused(struct dnsctl *d, const char *server, enum err_cat cat,
		    int exit_code, const char *why)
{
	uint32_t before = serial_of(server);
	struct dnsctl_rrset rs;
	struct err err;

	err_clear(&err);
	dnsctl_rrset_init(&rs);
	rs.name = xstrdup(ZONE);
	rs.type = xstrdup("MX");
	rs.ttl = 77;
	rs.rdata = xcalloc(1, sizeof *rs.rdata);
	rs.rdata[0] = xstrdup("10 mx.evil.example.");
	rs.n = 1;
	assert_int_equal(dnsctl_replace(d, &rs, &err), -1);
	if (err.cat != cat || !strstr(err.msg, why) ||
	    !strstr(err.msg, "zone 'corp.example.'") ||
	    !strstr(err.msg, dnsctl_type(d)))
		fail_msg("unexpected error (cat %d): %s", err.cat, err.msg);
	assert_int_equal(err_exit_code(&err), exit_code);
	err_clear(&err);
	assert_int_equal(dnsctl_ping(d, &err), -1);
	assert_int_equal(err.cat, cat);
	assert_int_equal(serial_of(server), before);
	dnsctl_rrset_release(&rs);
}

static void test_wrong_keys(void **state)
{
	char *pdns = local("PDNS_DNS"), *bind = local("BIND_DNS");
	char *knot = local("KNOT_DNS");
	const char *kn = env("TSIG_KEY_NAME");
	struct dnsctl *d;

	(void)state;
	d = open_pdns("wrong-api-key");
	refused(d, pdns, ERR_AUTH, EXIT_NOPERM, "API key was refused (HTTP "
						"401)");
	assert_null(strstr(dnsctl_last_error(d), "wrong-api-key"));
	dnsctl_close(d);
	/* the right secret of another server: a wrong secret here */
	d = open_2136(bind, env("KNOT_TSIG_SECRET"), kn, NULL);
	refused(d, bind, ERR_AUTH, EXIT_NOPERM, "BADSIG");
	dnsctl_close(d);
	d = open_2136(knot, env("BIND_TSIG_SECRET"), kn, NULL);
	refused(d, knot, ERR_AUTH, EXIT_NOPERM, "BADSIG");
	dnsctl_close(d);
	d = open_2136(bind, env("BIND_TSIG_SECRET"), "no-such-key", NULL);
	refused(d, bind, ERR_AUTH, EXIT_NOPERM, "BADKEY");
	dnsctl_close(d);
	d = open_2136(knot, env("KNOT_TSIG_SECRET"), kn, "hmac-sha512");
	refused(d, knot, ERR_AUTH, EXIT_NOPERM, "BADKEY");
	dnsctl_close(d);
	d = open_2136(pdns, env("BIND_TSIG_SECRET"), kn, NULL);
	refused(d, pdns, ERR_AUTH, EXIT_NOPERM, "REFUSED");
	dnsctl_close(d);
	free(pdns);
	free(bind);
	free(knot);
}

static void test_unreachable(void **state)
{
	struct dnsctl_config c = {
		.type = "powerdns", .endpoint = "http://127.0.0.1:9/api/v1",
		.key = "k", .zone = ZONE,
	};
	struct dnsctl_rrset rs;
	struct dnsctl *d;
	struct err err;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&rs);
	assert_int_equal(dnsctl_open(&c, &d, &err), 0);
	assert_int_equal(dnsctl_get(d, ZONE, "MX", &rs, &err), -1);
	assert_int_equal(err_exit_code(&err), EXIT_TEMPFAIL);
	assert_non_null(strstr(err.msg, "powerdns 'http://127.0.0.1:9/api/v1' "
					"zone 'corp.example.': record "
					"'corp.example. MX': cannot reach the "
					"API"));
	dnsctl_close(d);
	err_clear(&err);
	d = open_2136("127.0.0.1:9", env("BIND_TSIG_SECRET"), "k", NULL);
	assert_int_equal(dnsctl_ping(d, &err), -1);
	assert_int_equal(err_exit_code(&err), EXIT_TEMPFAIL);
	assert_non_null(strstr(err.msg, "rfc2136 '127.0.0.1:9' zone "
					"'corp.example.'"));
	dnsctl_close(d);
	dnsctl_rrset_release(&rs);
}

static void test_ttl_refused(void **state)
{
	char *server = local("CAP_DNS");
	struct dnsctl *d = open_2136(server, env("CAP_TSIG_SECRET"),
				     env("TSIG_KEY_NAME"), NULL);
	struct dnsctl_rrset orig, want;
	struct err err;
	char *msg;

	(void)state;
	err_clear(&err);
	dnsctl_rrset_init(&orig);
	dnsctl_rrset_init(&want);
	assert_int_equal(dnsctl_get(d, ZONE, "MX", &orig, &err), 1);
	dnsctl_rrset_copy(&want, &orig);
	want.ttl = 100000;	/* above this server's max-zone-ttl 86400 */
	assert_int_equal(dnsctl_replace(d, &want, &err), -1);
	msg = xasprintf("rfc2136 '%s' zone 'corp.example.': record "
			"'corp.example. MX': the provider did not take TTL "
			"100000 (it serves TTL 86400 instead); put back as it "
			"was", server);
	assert_string_equal(err.msg, msg);
	assert_int_equal(err_exit_code(&err), EXIT_UNAVAILABLE);
	free(msg);
	dnsctl_rrset_release(&want);
	assert_int_equal(dnsctl_query(server, ZONE, "MX", 3000, &want, &err),
			 1);
	assert_true(dnsctl_rrset_equal(&want, &orig));	/* put back */
	dnsctl_rrset_release(&orig);
	dnsctl_rrset_release(&want);
	dnsctl_close(d);
	free(server);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_powerdns),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_knot),
		cmocka_unit_test(test_powerdns_2136),
		cmocka_unit_test(test_wrong_keys),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_ttl_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
