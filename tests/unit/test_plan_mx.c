/*
 * test_plan_mx.c -- the plan's MX layout (dns 'mx'), the gateway's SMTP
 * keys and the backends' SPF terms: values and defaults, the layout after
 * the last phase (declared, from dns_change, or unchanged), and
 * plan_mx_parse_record.  (Messages are pinned by the golden files
 * tests/golden/plan/mx-*.yaml.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plans/plan.h"
#include "util/err.h"
#include "util/xalloc.h"

#define HEAD \
	"version: 1\n" \
	"migration: mx\n" \
	"domains: [corp.example]\n" \
	"backends:\n" \
	"  legacy:\n" \
	"    imap: { host: 127.0.0.1 }\n" \
	"    login: { method: master, user: m, secret: { env: PW } }\n" \
	"    route: \"lmtp:inet:127.0.0.1:24\"\n" \
	"    default: true\n" \
	"    spf: [\"include:source.example\", \"ip4:192.0.2.0/24\"]\n" \
	"  suite:\n" \
	"    imap: { host: 127.0.0.1 }\n" \
	"    login: { method: master, user: m, secret: { env: PW } }\n" \
	"    route: \"smtp:[mx.suite.example]:25\"\n" \
	"dns:\n" \
	"  provider: powerdns\n" \
	"  endpoint: http://127.0.0.1:8081/api/v1\n" \
	"  key: { env: K }\n" \
	"  zone: corp.example\n" \
	"  manage: [\"corp.example. MX\"]\n"
#define USERS \
	"users:\n" \
	"  - { address: a@corp.example }\n"

static struct plan *load(const char *text, size_t *errors)
{
	struct plan_diags d;
	struct plan *p = NULL;
	struct err err;

	err_clear(&err);
	plan_diags_init(&d);
	plan_load_mem("mx.yaml", text, strlen(text), &p, &d, &err);
	if (d.n_errors)
		plan_diags_print(&d, stderr);
	*errors = d.n_errors;
	plan_diags_release(&d);
	return p;
}

static void test_defaults(void **state)
{
	size_t errors;
	struct plan *p = load(HEAD
			      "  mx:\n"
			      "    hosts:\n"
			      "      - { host: MX1.Corp.Example., preference: 10 }\n"
			      "      - { host: mx2.corp.example, preference: 20, role: backup }\n"
			      "gateway: { kind: postfix, map: /tmp/m }\n"
			      USERS
			      "phases:\n"
			      "  - { name: p1, users: [a@corp.example], from: legacy, to: suite }\n",
			      &errors);
	const struct plan_mx *mx;

	(void)state;
	assert_int_equal(errors, 0);
	assert_non_null(p);
	mx = &p->dns.mx;
	assert_true(mx->present);
	assert_string_equal(mx->name, "corp.example.");
	assert_int_equal(mx->n_hosts, 2);
	assert_string_equal(mx->hosts[0].host, "mx1.corp.example");
	assert_int_equal(mx->hosts[0].preference, 10);
	assert_int_equal(mx->hosts[0].role, PLAN_MX_ACTIVE);
	assert_int_equal(mx->hosts[1].role, PLAN_MX_BACKUP);
	assert_int_equal(mx->hosts[0].n_ports, 1);
	assert_int_equal(mx->hosts[0].ports[0], 25);
	assert_null(mx->hosts[0].connect[0]);
	/* no change of the MX anywhere: final == hosts */
	assert_false(mx->final_declared);
	assert_int_equal(mx->n_final, 2);
	assert_string_equal(mx->final[1].host, "mx2.corp.example");
	assert_int_equal(mx->final[1].role, PLAN_MX_BACKUP);
	assert_int_equal(mx->ttl, 0);
	assert_int_equal(mx->warn_days, 21);
	assert_int_equal(mx->timeout, 10);
	assert_int_equal(mx->mta_sts_port, 443);
	assert_string_equal(mx->helo, "migrate-check.invalid");
	assert_null(mx->probe_from);
	assert_string_equal(mx->probe_unknown, "migrate-probe-no-such-user");
	assert_string_equal(mx->probe_foreign,
			    "relay-probe@migrate-probe.example");
	assert_null(mx->ca_file);
	assert_null(mx->resolvers);
	/* gateway and backends */
	assert_null(p->gateway.smtp.host);
	assert_int_equal(p->gateway.queue_max, 1000);
	assert_int_equal(p->gateway.min_free_mb, 1024);
	assert_string_equal(p->backends[0].spf[0], "include:source.example");
	assert_string_equal(p->backends[0].spf[1], "ip4:192.0.2.0/24");
	assert_null(p->backends[0].spf[2]);
	assert_null(p->backends[1].spf);
	assert_string_equal(plan_mx_role_name(PLAN_MX_BACKUP), "backup");
	plan_free(p);
}

/* The last phase that changes the MX gives the final layout; hosts keep
 * their ports and 'connect' there. */
static void test_final_from_change(void **state)
{
	size_t errors;
	struct plan *p = load(HEAD
			      "  mx:\n"
			      "    hosts:\n"
			      "      - { host: gw.corp.example, preference: 10, smtp: [25, 587], connect: { \"587\": \"127.0.0.1:2587\" } }\n"
			      "      - { host: mx2.corp.example, preference: 20, role: backup }\n"
			      "gateway: { kind: postfix, map: /tmp/m, hostname: gw.corp.example, connect: { \"25\": \"127.0.0.1:2525\" }, queue_max: 0, min_free_mb: 5 }\n"
			      "users:\n"
			      "  - { address: a@corp.example }\n"
			      "  - { address: b@corp.example }\n"
			      "phases:\n"
			      "  - { name: p1, users: [a@corp.example], from: legacy, to: suite, dns_change: { \"corp.example. MX\": [\"10 gw.corp.example.\", \"20 mx.suite.example.\"] } }\n"
			      "  - { name: p2, users: [b@corp.example], from: legacy, to: suite, dns_change: { \"corp.example. MX\": [\"5 mx.suite.example.\", \"10 gw.corp.example.\"] } }\n",
			      &errors);
	const struct plan_mx *mx;

	(void)state;
	assert_int_equal(errors, 0);
	mx = &p->dns.mx;
	assert_int_equal(mx->n_final, 2);
	assert_string_equal(mx->final[0].host, "mx.suite.example");
	assert_int_equal(mx->final[0].preference, 5);
	assert_int_equal(mx->final[0].role, PLAN_MX_ACTIVE);
	assert_int_equal(mx->final[0].ports[0], 25);
	assert_string_equal(mx->final[1].host, "gw.corp.example");
	assert_int_equal(mx->final[1].role, PLAN_MX_BACKUP);
	assert_int_equal(mx->final[1].n_ports, 2);
	assert_int_equal(mx->final[1].ports[1], 587);
	assert_null(mx->final[1].connect[0]);
	assert_string_equal(mx->final[1].connect[1], "127.0.0.1:2587");
	assert_string_equal(p->gateway.smtp.host, "gw.corp.example");
	assert_int_equal(p->gateway.smtp.ports[0], 25);
	assert_string_equal(p->gateway.smtp.connect[0], "127.0.0.1:2525");
	assert_int_equal(p->gateway.queue_max, 0);
	assert_int_equal(p->gateway.min_free_mb, 5);
	plan_free(p);
}

static void test_final_declared(void **state)
{
	size_t errors;
	struct plan *p = load(HEAD
			      "  mx:\n"
			      "    name: corp.example\n"
			      "    ttl: 3600\n"
			      "    hosts: [{ host: mx1.corp.example, preference: 10 }]\n"
			      "    final: [{ host: mx.suite.example, preference: 0 }]\n"
			      "    resolvers: [\"127.0.0.1:5353\"]\n"
			      "    probe: { from: postmaster@corp.example }\n"
			      USERS
			      "phases:\n"
			      "  - { name: p1, rest: true, from: legacy, to: suite, dns_change: { \"corp.example. MX\": [\"0 mx.suite.example.\"] } }\n",
			      &errors);

	(void)state;
	assert_int_equal(errors, 0);
	assert_true(p->dns.mx.final_declared);
	assert_int_equal(p->dns.mx.n_final, 1);
	assert_int_equal(p->dns.mx.final[0].preference, 0);
	assert_int_equal(p->dns.mx.ttl, 3600);
	assert_string_equal(p->dns.mx.resolvers[0], "127.0.0.1:5353");
	assert_string_equal(p->dns.mx.probe_from, "postmaster@corp.example");
	plan_free(p);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		/* a backup below the primary */
		"  mx: { hosts: [{ host: a.corp.example, preference: 20 }, { host: b.corp.example, preference: 10, role: backup }] }\n",
		/* an address */
		"  mx: { hosts: [{ host: 192.0.2.1, preference: 10 }] }\n",
		/* nothing left after the final phase */
		"  mx: { hosts: [{ host: a.corp.example, preference: 10 }], final: [] }\n",
		/* only backups */
		"  mx: { hosts: [{ host: a.corp.example, preference: 10, role: backup }] }\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *text = xasprintf("%s%s%sphases:\n  - { name: p1, rest: true, from: legacy, to: suite }\n",
				       HEAD, bad[i], USERS);
		size_t errors;
		struct plan *p = load(text, &errors);

		assert_null(p);
		assert_int_equal(errors, 1);
		free(text);
	}
}

static void test_parse_record(void **state)
{
	static const struct {
		const char *in;
		int rc;
		unsigned pref;
		const char *host;
	} cases[] = {
		{ "10 mx1.example.net.", 0, 10, "mx1.example.net" },
		{ "0 MX.Example.NET.", 0, 0, "mx.example.net" },
		{ "65535 a.b.", 0, 65535, "a.b" },
		{ "0 .", 0, 0, "" },
		{ "10 relative.example", -1, 0, NULL },
		{ "65536 a.b.", -1, 0, NULL },
		{ "x a.b.", -1, 0, NULL },
		{ "10", -1, 0, NULL },
		{ "", -1, 0, NULL },
		{ "10 bad_!.example.", -1, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unsigned pref = 99;
		char *host = NULL;
		int rc = plan_mx_parse_record(cases[i].in, &pref, &host);

		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(pref, cases[i].pref);
			assert_string_equal(host, cases[i].host);
		} else {
			assert_null(host);
		}
		free(host);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_final_from_change),
		cmocka_unit_test(test_final_declared),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_parse_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
