/*
 * test_plan.c -- plan_load: a full plan field by field, defaults, lookups,
 * many errors in one run, hostile input, and a large generated plan.
 * (Every message's wording is pinned by test_plan_golden.c.)
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plans/plan.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/secret.h"
#include "util/str.h"
#include "util/xalloc.h"

/* A small valid plan, to be extended by the tests. */
#define MINI_HEAD \
	"version: 1\n" \
	"migration: mini\n" \
	"domains: [corp.example]\n" \
	"backends:\n" \
	"  legacy:\n" \
	"    imap: { host: 127.0.0.1 }\n" \
	"    login: { method: master, user: m, secret: { env: PW } }\n" \
	"    route: \"lmtp:inet:127.0.0.1:24\"\n" \
	"    default: true\n" \
	"  suite:\n" \
	"    imap: { host: 127.0.0.1 }\n" \
	"    login: { method: master, user: m, secret: { env: PW } }\n" \
	"    route: \"lmtp:inet:127.0.0.1:25\"\n"
#define MINI MINI_HEAD \
	"users:\n" \
	"  - { address: a@corp.example }\n" \
	"phases:\n" \
	"  - { name: p1, users: [a@corp.example], from: legacy, to: suite }\n"

static char tmpdir[] = "/tmp/test_plan.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (chdir(SRCDIR) < 0 || !mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static struct plan *load_mem(const char *name, const char *data, size_t len,
			     struct plan_diags *d, struct err *err)
{
	struct plan *p = NULL;
	int rc;

	plan_diags_init(d);
	err_clear(err);
	rc = plan_load_mem(name, data, len, &p, d, err);
	assert_int_equal(rc, p ? 0 : -1);
	return p;
}

static bool has_diag(const struct plan_diags *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->v[i].msg, needle))
			return true;
	return false;
}

/* Load data that must fail with a message containing `needle`. */
static void expect_fail(const char *data, size_t len, const char *needle)
{
	struct plan_diags d;
	struct err err;
	struct plan *p = load_mem("hostile.yaml", data, len, &d, &err);

	if (p || !has_diag(&d, needle)) {
		plan_diags_print(&d, stderr);
		fail_msg("expected a failure with '%s'", needle);
	}
	assert_int_equal(err.cat, ERR_PLAN);
	plan_diags_release(&d);
}

static size_t uidx(const struct plan *p, const char *addr)
{
	const struct plan_user *u = plan_user_find(p, addr);

	assert_non_null(u);
	return (size_t)(u - p->users);
}

static void test_full_plan(void **state)
{
	struct plan_diags d;
	struct plan *p = NULL;
	struct err err;
	const struct plan_backend *be;
	const struct plan_user *u;
	const struct plan_phase *ph;
	time_t t;

	(void)state;
	plan_diags_init(&d);
	err_clear(&err);
	if (plan_load("tests/golden/plan/full.yaml", &p, &d, &err) < 0) {
		plan_diags_print(&d, stderr);
		fail();
	}
	assert_int_equal(d.n, 0);
	assert_string_equal(p->path, "tests/golden/plan/full.yaml");
	assert_string_equal(p->dir, "tests/golden/plan");
	assert_int_equal(p->version, 1);
	assert_string_equal(p->migration, "acme-to-suite");
	assert_int_equal(strv_len(p->domains), 2);
	assert_string_equal(p->domains[0], "corp.example");
	assert_string_equal(p->domains[1], "sales.corp.example");
	assert_string_equal(p->state_path, "tests/golden/plan/acme.state.db");

	assert_int_equal(p->n_backends, 3);
	be = &p->backends[0];
	assert_string_equal(be->name, "legacy");
	assert_string_equal(be->host, "127.0.0.1");
	assert_int_equal(be->port, 10993);
	assert_int_equal(be->tls, PLAN_TLS_IMPLICIT);
	assert_string_equal(be->ca_file, "tests/golden/plan/ca.pem");
	assert_int_equal(be->timeout, 30);
	assert_int_equal(be->connections, 8);
	assert_int_equal(be->login_method, PLAN_LOGIN_MASTER);
	assert_string_equal(be->login_user, "migrator");
	assert_int_equal(be->secret.kind, SECRET_ENV);
	assert_string_equal(be->secret.env, "SRC_MASTER_PW");
	assert_int_equal(be->master_form, PLAN_MASTER_SEPARATOR);
	assert_string_equal(be->master_separator, "%");
	assert_int_equal(be->bandwidth, 10000000);
	assert_string_equal(be->route, "lmtp:inet:127.0.0.1:24");
	assert_true(be->is_default);
	assert_int_equal(be->pos.line, 8);
	assert_int_equal(be->pos.col, 3);

	be = &p->backends[1];
	assert_string_equal(be->name, "suite");
	assert_int_equal(be->tls, PLAN_TLS_STARTTLS);
	assert_int_equal(be->port, 143);	/* default for starttls */
	assert_null(be->ca_file);
	assert_int_equal(be->timeout, 60);
	assert_int_equal(be->connections, 4);
	assert_int_equal(be->bandwidth, 1572864);	/* 1.5 MiB/s */
	assert_int_equal(be->login_method, PLAN_LOGIN_PER_USER);
	assert_null(be->master_separator);
	assert_string_equal(be->credentials_file,
			    "tests/golden/plan/secrets/suite.csv");
	assert_int_equal(be->secret.kind, SECRET_NONE);
	assert_false(be->is_default);

	be = &p->backends[2];
	assert_int_equal(be->port, 993);
	assert_int_equal(be->bandwidth, 0);
	assert_int_equal(be->login_method, PLAN_LOGIN_OAUTH2);
	assert_int_equal(strv_len(be->token_command), 2);
	assert_string_equal(be->token_command[0], "/usr/local/bin/token");
	assert_string_equal(be->token_command[1], "{address}");

	assert_true(p->gateway.present);
	assert_string_equal(p->gateway.kind, "postfix");
	assert_string_equal(p->gateway.map, "/etc/postfix/migrate_transport");
	assert_int_equal(p->gateway.map_type, PLAN_MAP_CDB);
	assert_string_equal(p->gateway.postmap, "/usr/sbin/postmap");
	assert_string_equal(p->gateway.config_dir, "/etc/postfix");
	assert_int_equal(strv_len(p->gateway.reload), 2);
	assert_string_equal(p->gateway.reload[1], "reload");
	assert_string_equal(p->gateway.recipient_map,
			    "/etc/postfix/migrate_recipients");
	assert_true(p->gateway.default_route);

	assert_true(p->dns.present);
	assert_int_equal(p->dns.provider, PLAN_DNS_POWERDNS);
	assert_string_equal(p->dns.endpoint, "http://127.0.0.1:8081/api/v1");
	assert_int_equal(p->dns.key.kind, SECRET_FILE);
	assert_string_equal(p->dns.key.file,
			    "tests/golden/plan/secrets/pdns.key");
	assert_string_equal(p->dns.server_id, "localhost");
	assert_null(p->dns.algorithm);
	assert_null(p->dns.key_name);
	assert_string_equal(p->dns.ca_file, "tests/golden/plan/ca.pem");
	assert_string_equal(p->dns.zone, "corp.example.");
	assert_int_equal(p->dns.n_manage, 3);
	assert_string_equal(p->dns.manage[0].name, "corp.example.");
	assert_string_equal(p->dns.manage[0].type, "MX");
	assert_string_equal(p->dns.manage[1].name,
			    "autodiscover.corp.example.");
	assert_string_equal(p->dns.manage[1].type, "CNAME");
	assert_string_equal(p->dns.manage[2].name, "corp.example.");
	assert_string_equal(p->dns.manage[2].type, "TXT");
	assert_int_equal(p->dns.low_ttl, 120);
	assert_int_equal(strv_len(p->dns.servers), 2);
	assert_string_equal(p->dns.servers[1], "[::1]:5353");

	assert_false(p->folders.special_use);
	assert_int_equal(strv_len(p->folders.exclude), 2);
	assert_string_equal(p->folders.exclude[1], "Trash/*");
	assert_int_equal(p->folders.n_map, 2);
	assert_string_equal(p->folders.map[0].from, "INBOX.Archives");
	assert_string_equal(p->folders.map[0].to, "Archive");
	assert_string_equal(p->folders.map[1].from, "INBOX.Sent Items");

	/* 3 inline users, then 5 from the CSV */
	assert_int_equal(p->n_users, 8);
	u = &p->users[0];
	assert_string_equal(u->address, "alice@corp.example");
	assert_string_equal(u->group, "it");
	assert_string_equal(u->source_login, "alice");
	assert_string_equal(u->dest_login, "alice.s");
	assert_int_equal(u->backend, 0);
	assert_int_equal(u->phase, 0);
	assert_string_equal(u->pos.file, "tests/golden/plan/full.yaml");
	u = &p->users[2];
	assert_string_equal(u->address, "carol@sales.corp.example");
	assert_int_equal(u->backend, 1);	/* backend: suite */
	assert_int_equal(u->phase, 1);
	u = &p->users[3];
	assert_string_equal(u->address, "dave@corp.example");
	assert_null(u->group);
	assert_string_equal(u->source_login, "dave.old");
	assert_null(u->dest_login);
	assert_string_equal(u->pos.file, "tests/golden/plan/full-users.csv");
	assert_int_equal(u->pos.line, 4);
	assert_int_equal(u->pos.col, 1);
	assert_int_equal(u->backend, 0);	/* the default */
	u = &p->users[5];
	assert_string_equal(u->address, "frank@sales.corp.example");
	assert_string_equal(u->source_login, "frank, the old");
	assert_string_equal(u->dest_login, "frank");
	assert_int_equal(strv_len(p->csv_paths), 1);
	assert_string_equal(p->csv_paths[0], "tests/golden/plan/full-users.csv");

	assert_int_equal(p->n_groups, 2);
	assert_string_equal(p->groups[0].name, "it");
	assert_int_equal(p->groups[0].n_users, 2);
	assert_int_equal(p->groups[0].users[0], 0);
	assert_int_equal(p->groups[0].users[1], 1);
	assert_string_equal(p->groups[1].name, "sales");
	assert_int_equal(p->groups[1].n_users, 2);
	assert_int_equal(p->groups[1].users[0], uidx(p, "erin@corp.example"));

	assert_int_equal(p->n_phases, 4);
	ph = &p->phases[0];
	assert_string_equal(ph->name, "pilot");
	assert_int_equal(ph->from, 0);
	assert_int_equal(ph->to, 1);
	assert_int_equal(ph->n_users, 2);
	assert_string_equal(ph->group_names[0], "it");
	assert_false(ph->has_not_before);
	assert_true(ph->expunge);
	ph = &p->phases[2];
	assert_false(ph->expunge);
	assert_string_equal(ph->name, "sales");
	assert_int_equal(ph->to, 2);
	assert_int_equal(ph->n_users, 3);	/* dave, erin, frank */
	assert_int_equal(ph->users[0], 3);
	assert_int_equal(ph->users[1], 4);
	assert_int_equal(ph->users[2], 5);
	assert_true(ph->has_not_before);
	t = ph->not_before;
	assert_int_equal((long long)t, 1796493600LL);	/* 2026-12-05T18:00:00Z */
	ph = &p->phases[3];
	assert_true(ph->rest);
	assert_int_equal(ph->n_users, 2);	/* grace, heidi */
	assert_int_equal(ph->users[0], uidx(p, "grace@corp.example"));
	assert_int_equal(ph->users[1], uidx(p, "heidi@corp.example"));
	assert_int_equal(ph->n_dns_change, 2);
	assert_string_equal(ph->dns_change[0].key.name, "corp.example.");
	assert_string_equal(ph->dns_change[0].key.type, "MX");
	assert_int_equal(strv_len(ph->dns_change[0].records), 2);
	assert_string_equal(ph->dns_change[0].records[1],
			    "20 mx2.suite.example.");
	assert_int_equal(ph->dns_change[0].ttl, 0);
	assert_string_equal(ph->dns_change[1].key.type, "TXT");
	assert_int_equal(strv_len(ph->dns_change[1].records), 1);

	/* lookups */
	assert_int_equal(plan_backend_index(p, "suite"), 1);
	assert_int_equal(plan_backend_index(p, "nope"), PLAN_NONE);
	assert_int_equal(plan_phase_index(p, "everyone-else"), 3);
	assert_int_equal(plan_phase_index(p, "nope"), PLAN_NONE);
	assert_ptr_equal(plan_user_find(p, "ALICE@corp.example"), &p->users[0]);
	assert_null(plan_user_find(p, "nobody@corp.example"));
	assert_string_equal(plan_tls_name(PLAN_TLS_NONE), "none");
	assert_string_equal(plan_map_type_name(PLAN_MAP_TEXTHASH), "texthash");
	assert_string_equal(plan_login_method_name(PLAN_LOGIN_PER_USER),
			    "per-user");
	assert_string_equal(plan_dns_provider_name(PLAN_DNS_RFC2136), "rfc2136");

	plan_free(p);
	plan_diags_release(&d);
}

static void test_defaults(void **state)
{
	static const struct {
		const char *name, *state_line, *want;
	} cases[] = {
		{ "plans/acme.yaml", "", "plans/acme.state.db" },
		{ "plans/acme.yml", "", "plans/acme.state.db" },
		{ "acme", "", "acme.state.db" },
		{ "/srv/m/acme.yaml", "", "/srv/m/acme.state.db" },
		{ "plans/acme.yaml", "state: ./db/x.db\n", "plans/db/x.db" },
		{ "plans/acme.yaml", "state: /var/lib/x.db\n", "/var/lib/x.db" },
		{ "acme.yaml", "state: x.db\n", "x.db" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *yaml = xasprintf("%s%s", MINI, cases[i].state_line);
		struct plan_diags d;
		struct err err;
		struct plan *p = load_mem(cases[i].name, yaml, strlen(yaml),
					  &d, &err);

		assert_non_null(p);
		assert_string_equal(p->state_path, cases[i].want);
		assert_int_equal(p->backends[0].port, 993);
		assert_int_equal(p->backends[0].tls, PLAN_TLS_IMPLICIT);
		assert_false(p->gateway.present);
		assert_false(p->dns.present);
		assert_true(p->folders.special_use);
		assert_null(p->folders.exclude);
		assert_int_equal(p->users[0].backend, 0);
		assert_int_equal(p->phases[0].n_users, 1);
		assert_false(p->phases[0].expunge);
		assert_int_equal(p->backends[0].bandwidth, 0);
		assert_int_equal(p->backends[0].master_form,
				 PLAN_MASTER_AUTHZID);
		assert_null(p->backends[0].master_separator);
		plan_free(p);
		plan_diags_release(&d);
		free(yaml);
	}
}

static void test_defaults_sections(void **state)
{
	const char *yaml = MINI
		"gateway: { kind: postfix, map: maps/transport }\n"
		"dns: { provider: rfc2136, endpoint: \"127.0.0.1:53\", key: { command: [get-tsig] }, key_name: k, zone: CORP.example }\n"
		"folders: { special_use: auto }\n";
	struct plan_diags d;
	struct err err;
	struct plan *p = load_mem("dir/x.yaml", yaml, strlen(yaml), &d, &err);

	(void)state;
	if (!p)
		plan_diags_print(&d, stderr);
	assert_non_null(p);
	assert_string_equal(p->gateway.map, "dir/maps/transport");
	assert_int_equal(p->gateway.map_type, PLAN_MAP_LMDB);
	assert_string_equal(p->gateway.postmap, "postmap");
	assert_null(p->gateway.reload);
	assert_null(p->gateway.config_dir);
	assert_false(p->gateway.default_route);
	assert_int_equal(p->dns.provider, PLAN_DNS_RFC2136);
	assert_string_equal(p->dns.algorithm, "hmac-sha256");
	assert_null(p->dns.server_id);
	assert_int_equal(p->dns.low_ttl, 300);
	assert_string_equal(p->dns.zone, "corp.example.");
	assert_int_equal(p->dns.key.kind, SECRET_COMMAND);
	assert_string_equal(p->dns.key.argv[0], "get-tsig");
	assert_true(p->folders.special_use);
	plan_free(p);
	plan_diags_release(&d);
}

static void test_warning_only(void **state)
{
	const char *yaml = MINI
		"  - { name: dns-only, from: suite, to: legacy }\n";
	struct plan_diags d;
	struct err err;
	struct plan *p = load_mem("w.yaml", yaml, strlen(yaml), &d, &err);

	(void)state;
	assert_non_null(p);		/* warnings do not stop loading */
	assert_int_equal(d.n, 1);
	assert_int_equal(d.n_errors, 0);
	assert_true(d.v[0].warning);
	assert_string_equal(d.v[0].msg, "phase 'dns-only' moves no users");
	plan_free(p);
	plan_diags_release(&d);
}

static void test_many_errors(void **state)
{
	static const char yaml[] =
		"version: 1\n"
		"migration: many\n"
		"domains: [corp.example]\n"
		"backends:\n"
		"  legacy:\n"
		"    imap: { hots: x, port: 0 }\n"			/* 3 */
		"    login: { method: master, user: m, secret: pw }\n"	/* 1 */
		"    route: lmtp\n"					/* 1 */
		"    default: true\n"
		"  suite:\n"
		"    imap: { host: h, tls: tsl }\n"			/* 1 */
		"    login: { method: per-user }\n"			/* 1 */
		"    route: \"smtp:[x]:25\"\n"
		"gateway: { kind: exim, map: /x }\n"			/* 1 */
		"users:\n"
		"  - { address: a@corp.example, group: it }\n"
		"  - { address: a@corp.example }\n"			/* 1 */
		"  - { address: b@other.example }\n"			/* 1 */
		"phases:\n"
		"  - { name: p1, groups: [itt], from: legacy, to: suiet }\n"	/* 2 */
		"  - { name: p1, users: [b@other.example], from: legacy, to: legacy }\n"; /* 2 */
	/* 14 problems in all */
	struct plan_diags d;
	struct err err;
	struct plan *p = load_mem("many.yaml", yaml, sizeof(yaml) - 1, &d,
				  &err);

	(void)state;
	assert_null(p);
	if (d.n_errors != 14)
		plan_diags_print(&d, stderr);
	assert_int_equal(d.n_errors, 14);
	assert_string_equal(err.msg, "many.yaml: 14 errors");
	assert_true(has_diag(&d, "unknown key 'hots' (did you mean 'host'?)"));
	assert_true(has_diag(&d, "missing required key 'host'"));
	assert_true(has_diag(&d, "literal secret"));
	assert_true(has_diag(&d, "unknown group 'itt' (did you mean 'it'?)"));
	assert_true(has_diag(&d, "unknown backend 'suiet' (did you mean 'suite'?)"));
	assert_true(has_diag(&d, "duplicate phase name 'p1'"));
	assert_true(has_diag(&d, "'from' and 'to' are the same backend 'legacy'"));
	/* sorted by position */
	for (size_t i = 1; i < d.n; i++)
		assert_true(d.v[i - 1].line < d.v[i].line ||
			    (d.v[i - 1].line == d.v[i].line &&
			     d.v[i - 1].col <= d.v[i].col));
	/* the secret itself is never shown */
	for (size_t i = 0; i < d.n; i++)
		assert_null(strstr(d.v[i].msg, "pw "));
	plan_diags_release(&d);
}

static void test_too_many_problems(void **state)
{
	struct sbuf sb;
	struct plan_diags d;
	struct err err;
	struct plan *p;

	(void)state;
	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	sbuf_addstr(&sb, MINI_HEAD "users:\n");
	for (int i = 0; i < 1200; i++)
		sbuf_addf(&sb, "  - { address: bad%d }\n", i);
	sbuf_addstr(&sb, "phases:\n  - { name: p, rest: true, from: legacy, to: suite }\n");
	p = load_mem("many.yaml", sb.buf, sb.len, &d, &err);
	assert_null(p);
	assert_int_equal(d.n_errors, 1200);
	assert_int_equal(d.n, 1001);
	assert_int_equal(d.v[1000].line, 0);
	assert_non_null(strstr(d.v[1000].msg, "too many problems"));
	assert_string_equal(err.msg, "many.yaml: 1200 errors");
	plan_diags_release(&d);
	sbuf_release(&sb);
}

static void test_hostile(void **state)
{
	struct sbuf sb;
	const char *s;

	(void)state;
	/* deep nesting, both flow and block */
	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	sbuf_addstr(&sb, "version: ");
	for (int i = 0; i < 100000; i++)
		sbuf_addch(&sb, '[');
	expect_fail(sb.buf, sb.len, "nesting deeper than 32 levels");
	sbuf_clear(&sb);
	for (int i = 0; i < 40; i++)
		sbuf_addf(&sb, "%*sk%d:\n", i, "", i);
	expect_fail(sb.buf, sb.len, "nesting deeper than 32 levels");

	/* a 70 KiB scalar */
	sbuf_clear(&sb);
	sbuf_addstr(&sb, "version: 1\nmigration: ");
	for (int i = 0; i < 70 * 1024; i++)
		sbuf_addch(&sb, 'x');
	sbuf_addch(&sb, '\n');
	expect_fail(sb.buf, sb.len, "value too long");

	/* too many values */
	sbuf_clear(&sb);
	sbuf_addstr(&sb, "x: [");
	for (size_t i = 0; i < ((size_t)1 << 20) + 10; i++)
		sbuf_addstr(&sb, "a,");
	sbuf_addstr(&sb, "a]\n");
	expect_fail(sb.buf, sb.len, "too many values");
	sbuf_release(&sb);

	/* anchors and aliases ("billion laughs") */
	s = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
	expect_fail(s, strlen(s), "anchors and aliases are not supported");
	s = "version: &v 1\n";
	expect_fail(s, strlen(s), "anchors and aliases are not supported");
	/* bytes that are not UTF-8, and NUL */
	s = "version: 1\nmigration: \xff\xfe\n";
	expect_fail(s, strlen(s), "not valid UTF-8");
	expect_fail("version: 1\0\nmigration: x\n", 25, "NUL byte");
	expect_fail("\xff\xfe" "v\0e\0r\0", 8, "NUL byte");
	/* tags, documents, odd roots */
	s = "version: !!python/object:os.system 1\n";
	expect_fail(s, strlen(s), "tag '!!python/object:os.system' is not supported");
	s = "--- 1\n--- 2\n";
	expect_fail(s, strlen(s), "single YAML document");
	expect_fail("", 0, "the plan is empty");
	s = "just a string\n";
	expect_fail(s, strlen(s), "must be a mapping");
	s = "{ version: 1, [a]: b, {c: d}: e }";
	expect_fail(s, strlen(s), "mapping keys must be plain strings");
	/* too large, from memory */
	expect_fail("", PLAN_MAX_FILE_SIZE + 1, "too large");
}

static void test_huge_file(void **state)
{
	char *path = xasprintf("%s/huge.yaml", tmpdir);
	struct plan_diags d;
	struct plan *p = NULL;
	struct err err;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)100 << 20), 0);	/* sparse */
	close(fd);
	plan_diags_init(&d);
	err_clear(&err);
	assert_int_equal(plan_load(path, &p, &d, &err), -1);
	assert_null(p);
	assert_int_equal(err.cat, ERR_PLAN);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "the plan is too large (104857600 bytes"));
	plan_diags_release(&d);

	/* a missing plan is an I/O error, with no diags */
	plan_diags_init(&d);
	err_clear(&err);
	assert_int_equal(plan_load("/nonexistent/plan.yaml", &p, &d, &err), -1);
	assert_int_equal(err.cat, ERR_IO);
	assert_int_equal(d.n, 0);
	/* so is a directory */
	err_clear(&err);
	assert_int_equal(plan_load(tmpdir, &p, &d, &err), -1);
	assert_int_equal(err.cat, ERR_IO);
	plan_diags_release(&d);

	/* a users file over the limit is refused without reading it */
	{
		char *csv = xasprintf("%s/huge.csv", tmpdir);
		char *yaml = xasprintf(MINI_HEAD "users:\n  - { csv: %s }\n"
				       "phases:\n  - { name: p, rest: true, from: legacy, to: suite }\n",
				       csv);

		fd = open(csv, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)PLAN_MAX_FILE_SIZE + 1), 0);
		close(fd);
		p = load_mem("huge-csv.yaml", yaml, strlen(yaml), &d, &err);
		assert_null(p);
		assert_true(has_diag(&d, "is too large (16777217 bytes; the limit is 16777216)"));
		plan_diags_release(&d);
		free(yaml);
		free(csv);
	}
	free(path);
}

/* Random damage to a valid plan must never crash (ASan watches). */
static void test_mutations(void **state)
{
	struct plan_diags d;
	struct plan *p;
	struct err err;
	char *base, *buf;
	size_t len;
	unsigned long long seed = 42;
	FILE *fp = fopen("tests/golden/plan/full.yaml", "rb");

	(void)state;
	assert_non_null(fp);
	base = xmalloc(65536);
	len = fread(base, 1, 65536, fp);
	fclose(fp);
	buf = xmalloc(len);
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, base, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			size_t at;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			at = (size_t)(seed >> 33) % len;
			buf[at] = "x:{}[],-&*!\"' \n\t#|>@%0\xc3"[(seed >> 20) % 24];
		}
		p = load_mem("tests/golden/plan/full.yaml", buf,
			     (size_t)(seed % 7) == 0 ? len / 2 : len, &d, &err);
		plan_free(p);
		plan_diags_release(&d);
	}
	free(buf);
	free(base);
}

static void test_csv_limit(void **state)
{
	char *csv = xasprintf("%s/big.csv", tmpdir);
	char *yaml = xasprintf(MINI_HEAD "users:\n  - { csv: %s }\n"
			       "phases:\n  - { name: p, rest: true, from: legacy, to: suite }\n",
			       csv);
	FILE *fp = fopen(csv, "w");
	struct plan_diags d;
	struct err err;
	struct plan *p;

	(void)state;
	assert_non_null(fp);
	for (int i = 0; i < 100001; i++)
		fprintf(fp, "user%d@corp.example,g%d\n", i, i % 7);
	fclose(fp);
	p = load_mem("limit.yaml", yaml, strlen(yaml), &d, &err);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 100001);
	assert_string_equal(d.v[0].msg, "more than 100000 users in one file: split it");
	plan_diags_release(&d);
	free(yaml);
	free(csv);
}

/* 10,000 users in 100 groups, 100 phases: one per group, the last "rest". */
static void test_large_plan(void **state)
{
	struct sbuf sb;
	struct plan_diags d;
	struct err err;
	struct plan *p;

	(void)state;
	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	sbuf_addstr(&sb, MINI_HEAD "users:\n");
	for (int i = 0; i < 10000; i++)
		sbuf_addf(&sb, "  - { address: user%05d@corp.example, group: g%02d }\n",
			  i, i % 100);
	sbuf_addstr(&sb, "phases:\n");
	for (int k = 0; k < 99; k++) {
		sbuf_addf(&sb, "  - name: wave-%02d\n    groups: [g%02d]\n", k, k);
		if (k == 0)	/* explicit users too (one from g99) */
			sbuf_addstr(&sb, "    users: [user00099@corp.example, USER00000@corp.example]\n");
		sbuf_addstr(&sb, "    from: legacy\n    to: suite\n");
	}
	sbuf_addstr(&sb, "  - { name: rest, rest: true, from: legacy, to: suite }\n");
	p = load_mem("large.yaml", sb.buf, sb.len, &d, &err);
	if (!p)
		plan_diags_print(&d, stderr);
	assert_non_null(p);
	assert_int_equal(d.n, 0);
	assert_int_equal(p->n_users, 10000);
	assert_int_equal(p->n_groups, 100);
	assert_int_equal(p->n_phases, 100);
	assert_int_equal(p->phases[0].n_users, 101);
	assert_int_equal(p->phases[0].users[0], 0);
	assert_int_equal(p->phases[0].users[1], 99);	/* plan order */
	assert_int_equal(p->phases[0].users[2], 100);
	for (int k = 1; k < 99; k++) {
		assert_int_equal(p->phases[k].n_users, 100);
		for (size_t j = 1; j < p->phases[k].n_users; j++)
			assert_true(p->phases[k].users[j - 1] <
				    p->phases[k].users[j]);
	}
	assert_int_equal(p->phases[99].n_users, 99);
	for (size_t u = 0; u < p->n_users; u++) {
		assert_int_not_equal(p->users[u].phase, PLAN_NONE);
		assert_int_equal(p->users[u].backend, 0);
	}
	assert_int_equal(p->users[99].phase, 0);
	assert_int_equal(p->users[199].phase, 99);
	assert_int_equal(p->groups[7].n_users, 100);
	plan_free(p);
	plan_diags_release(&d);
	sbuf_release(&sb);
}

/* Bandwidths as plans write them, and what is not one. */
static void test_bandwidth(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t want;
	} cases[] = {
		{ "0", 0, 0 },
		{ "0B/s", 0, 0 },
		{ "0MB/s", 0, 0 },
		{ "1000B/s", 0, 1000 },
		{ "500KB/s", 0, 500000 },
		{ "500kB/s", 0, 500000 },
		{ "10MB/s", 0, 10000000 },
		{ "10 MB/s", 0, 10000000 },
		{ "1.5MB/s", 0, 1500000 },
		{ "2GB/s", 0, 2000000000 },
		{ "64KiB/s", 0, 65536 },
		{ "1.5MiB/s", 0, 1572864 },
		{ "1GiB/s", 0, 1073741824 },
		{ "0.5KiB/s", 0, 512 },
		{ "1.0005KB/s", 0, 1001 },		/* rounded */
		{ "0.0001B/s", 0, 1 },			/* tiny, not "no cap" */
		{ "999999999999GB/s", 0, UINT64_MAX },	/* too large to count */
		{ "", -1, 0 },
		{ "1000", -1, 0 },			/* no unit */
		{ "0.0", -1, 0 },
		{ "10MBs", -1, 0 },
		{ "10mb/s", -1, 0 },
		{ "10Mbit/s", -1, 0 },
		{ "10  MB/s", -1, 0 },
		{ " 10MB/s", -1, 0 },
		{ "10MB/s ", -1, 0 },
		{ "-1MB/s", -1, 0 },
		{ "+1MB/s", -1, 0 },
		{ "1e6B/s", -1, 0 },
		{ ".5MB/s", -1, 0 },
		{ "5.MB/s", -1, 0 },
		{ "1.2.3MB/s", -1, 0 },
		{ "1.0000001MB/s", -1, 0 },		/* 7 decimals */
		{ "1000000000000B/s", -1, 0 },		/* 13 digits */
		{ "MB/s", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42;
		int rc = plan_parse_bandwidth(cases[i].in, &v);

		if (rc != cases[i].rc)
			fail_msg("'%s': rc %d, want %d", cases[i].in, rc,
				 cases[i].rc);
		if (rc == 0 && v != cases[i].want)
			fail_msg("'%s': %llu, want %llu", cases[i].in,
				 (unsigned long long)v,
				 (unsigned long long)cases[i].want);
		if (rc < 0 && v != 42)
			fail_msg("'%s': refused but changed the value",
				 cases[i].in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_plan),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_sections),
		cmocka_unit_test(test_warning_only),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_too_many_problems),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_csv_limit),
		cmocka_unit_test(test_large_plan),
		cmocka_unit_test(test_bandwidth),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
