/*
 * test_report.c -- who lives where, from the plan alone and merged with
 * the state store; every output format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/report.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/xalloc.h"

static const char plan_yaml[] =
	"version: 1\n"
	"migration: t\n"
	"domains: [corp.example]\n"
	"backends:\n"
	"  legacy:\n"
	"    imap: { host: 127.0.0.1 }\n"
	"    login: { method: master, user: m, secret: { env: X } }\n"
	"    route: \"lmtp:inet:127.0.0.1:24\"\n"
	"    default: true\n"
	"  suite:\n"
	"    imap: { host: 127.0.0.1 }\n"
	"    login: { method: master, user: m, secret: { env: X } }\n"
	"    route: \"lmtp:inet:127.0.0.1:25\"\n"
	"users:\n"
	"  - { address: a@corp.example, group: it }\n"
	"  - { address: b@corp.example, group: it }\n"
	"  - { address: c@corp.example, group: sales }\n"
	"phases:\n"
	"  - { name: p1, groups: [it], from: legacy, to: suite }\n"
	"  - { name: p2, rest: true, from: legacy, to: suite }\n";

static struct plan *load(void)
{
	struct plan_diags d;
	struct plan *p = NULL;
	struct err err;

	err_clear(&err);
	plan_diags_init(&d);
	if (plan_load_mem("/tmp/t.yaml", plan_yaml, sizeof plan_yaml - 1, &p,
			  &d, &err) < 0) {
		plan_diags_print(&d, stderr);
		fail_msg("plan: %s", err.msg);
	}
	plan_diags_release(&d);
	return p;
}

static char *render(const struct report *r, enum app_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	report_write(r, f, fp, false);
	fclose(fp);
	return buf;
}

static void test_before_any_run(void **ctx)
{
	struct plan *p = load();
	struct report r;
	struct err err;
	char *csv;

	(void)ctx;
	err_clear(&err);
	assert_int_equal(report_build(&r, p, NULL, &err), 0);
	assert_false(r.from_state);
	assert_int_equal(r.n_users, 3);
	assert_string_equal(r.users[0].backend, "legacy");
	assert_string_equal(r.users[0].phase, "p1");
	assert_string_equal(r.users[2].phase, "p2");
	assert_int_equal(r.phases[0].n_users, 2);
	assert_int_equal(r.phases[0].by_status[USER_PENDING], 2);
	assert_int_equal(r.phases[1].n_users, 1);
	assert_int_equal(r.backends[0].n_users, 3);
	assert_int_equal(r.backends[1].n_users, 0);
	csv = render(&r, FORMAT_CSV);
	assert_string_equal(csv,
		"address,group,backend,phase,state,last_sync,src_msgs,"
		"src_bytes,dst_msgs,dst_bytes,last_error\r\n"
		"a@corp.example,it,legacy,p1,pending,,,,,,\r\n"
		"b@corp.example,it,legacy,p1,pending,,,,,,\r\n"
		"c@corp.example,sales,legacy,p2,pending,,,,,,\r\n");
	free(csv);
	report_release(&r);
	plan_free(p);
}

static void put(struct state *st, const char *addr, const char *backend,
		enum state_user_status s, const char *error)
{
	struct state_user u;
	struct err err;

	memset(&u, 0, sizeof u);
	u.address = xstrdup(addr);
	u.backend = xstrdup(backend);
	u.phase = xstrdup("p1");
	u.status = s;
	u.last_sync = 1764320400;
	u.src_msgs = 12;
	u.src_bytes = 3 << 20;
	u.dst_msgs = 12;
	u.dst_bytes = 3 << 20;
	u.last_error = xstrdup(error);
	err_clear(&err);
	assert_int_equal(state_user_put(st, &u, &err), 0);
	state_user_release(&u);
}

static void test_merged_with_state(void **ctx)
{
	char dir[] = "/tmp/test_report.XXXXXX", *path, *out;
	struct plan *p = load();
	struct state *st;
	struct report r;
	struct err err;

	(void)ctx;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/s.db", dir);
	err_clear(&err);
	assert_int_equal(state_open(path, STATE_CREATE, &st, &err), 0);
	put(st, "a@corp.example", "suite", USER_VERIFIED, NULL);
	put(st, "b@corp.example", "legacy", USER_FAILED,
	    "login refused, \"wrong\" password");
	put(st, "gone@corp.example", "suite", USER_VERIFIED, NULL);
	assert_int_equal(report_build(&r, p, st, &err), 0);
	assert_true(r.from_state);
	assert_int_equal(r.n_users, 4);
	assert_string_equal(r.users[0].backend, "suite");
	assert_int_equal(r.users[0].status, USER_VERIFIED);
	assert_int_equal(r.users[1].status, USER_FAILED);
	assert_string_equal(r.users[2].backend, "legacy");	/* not in state */
	assert_false(r.users[3].in_plan);
	assert_int_equal(r.phases[0].by_status[USER_VERIFIED], 2);
	assert_int_equal(r.phases[0].by_status[USER_FAILED], 1);
	assert_int_equal(r.backends[1].n_users, 2);

	out = render(&r, FORMAT_CSV);
	assert_non_null(strstr(out, "a@corp.example,it,suite,p1,verified,"
				    "2025-11-28T09:00:00Z,12,3145728,12,"
				    "3145728,\r\n"));
	/* CSV quoting of an error with a comma and quotes */
	assert_non_null(strstr(out, ",\"login refused, \"\"wrong\"\" "
				    "password\"\r\n"));
	free(out);
	out = render(&r, FORMAT_TABLE);
	assert_non_null(strstr(out, "3.0 MiB"));
	assert_non_null(strstr(out, "(not in plan)"));
	assert_non_null(strstr(out, "lives on: legacy 2, suite 2 (of 4 users)"));
	free(out);
	out = render(&r, FORMAT_MARKDOWN);
	assert_non_null(strstr(out, "| p1 | legacy | suite | 3 | 0 | 0 | 0 "
				    "| 2 | 1 | 0 |"));
	free(out);
	out = render(&r, FORMAT_HTML);
	assert_non_null(strstr(out, "<!DOCTYPE html>"));
	assert_non_null(strstr(out, "login refused, &quot;wrong&quot; "
				    "password"));
	assert_non_null(strstr(out, "title=\"67% moved\""));
	assert_null(strstr(out, "<script"));
	free(out);
	out = render(&r, FORMAT_JSON);
	assert_non_null(strstr(out, "\"lives_on\""));
	assert_non_null(strstr(out, "\"state\": \"failed\""));
	free(out);

	report_release(&r);
	state_close(st);
	plan_free(p);
	unlink(path);
	free(path);
	out = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(out), 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_any_run),
		cmocka_unit_test(test_merged_with_state),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
