/*
 * test_route.c -- split-delivery routing from the plan and the state
 * (migrate/route.c, migrate/state_gateway.c): rendering, putting maps in
 * force with the real postmap (no Postfix daemon), versions, hand edits,
 * dry runs, exact restores, a crash between rename and record, and a
 * failing reload that leaves the previous map in force.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "migrate/app.h"
#include "migrate/route.h"
#include "migrate/state.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

static char dir[64];
static bool have_postmap;

#define SRC "lmtp:inet:127.0.0.1:10024"
#define DST "lmtp:inet:127.0.0.1:11024"

static const char plan_fmt[] =
	"version: 1\n"
	"migration: unit\n"
	"domains: [corp.example]\n"
	"state: state.db\n"
	"backends:\n"
	"  src:\n"
	"    imap: { host: 127.0.0.1, port: 10143, tls: none }\n"
	"    login: { method: master, user: m, secret: { env: PW } }\n"
	"    route: \"" SRC "\"\n"
	"%s"
	"  dst:\n"
	"    imap: { host: 127.0.0.1, port: 11143, tls: none }\n"
	"    login: { method: master, user: m, secret: { env: PW } }\n"
	"    route: \"" DST "\"\n"
	"gateway:\n"
	"  kind: postfix\n"
	"  map: maps/transport\n"
	"  map_type: lmdb\n"
	"  config_dir: cf\n"
	"  reload: [%s]\n"
	"%s"
	"users:\n"
	"  - { address: alice@corp.example, group: it }\n"
	"  - { address: bob@corp.example, group: it }\n"
	"  - { address: carol@corp.example, backend: dst }\n"
	"phases:\n"
	"  - { name: pilot, groups: [it], from: src, to: dst }\n";

struct fixture {
	struct app app;
	char *map;
};

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *read_all(const char *path)
{
	struct sbuf sb;
	struct err e;
	bool exists;

	sbuf_init(&sb, 1 << 20);
	err_clear(&e);
	assert_int_equal(gateway_read_file(path, 1 << 20, &sb, &exists, &e),
			 0);
	assert_true(exists);
	return sbuf_detach(&sb, NULL);
}

static int setup(void **ctx)
{
	char *p;

	(void)ctx;
	strcpy(dir, "/tmp/test_route.XXXXXX");
	assert_non_null(mkdtemp(dir));
	p = path_in("cf");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = path_in("cf/main.cf");
	write_file(p, "");
	free(p);
	have_postmap = access("/usr/sbin/postmap", X_OK) == 0;
	log_set_level(LOG_ERROR);
	return 0;
}

static int teardown(void **ctx)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)ctx;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* A fresh folder "maps", a fresh state, and the plan. */
static void open_fixture(struct fixture *f, bool src_default,
			 const char *reload, const char *extra)
{
	char *text = xasprintf(plan_fmt, src_default ? "    default: true\n" : "",
			       reload, extra);
	char *name = path_in("plan.yaml"), *cmd, *st;
	struct plan_diags d;
	struct err e;

	cmd = xasprintf("rm -rf '%s/maps' '%s'/state.db*; mkdir '%s/maps'",
			dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	memset(f, 0, sizeof *f);
	plan_diags_init(&d);
	err_clear(&e);
	if (plan_load_mem(name, text, strlen(text), &f->app.plan, &d, &e) < 0) {
		plan_diags_print(&d, stderr);
		fail_msg("plan: %s", e.msg);
	}
	plan_diags_release(&d);
	st = path_in("state.db");
	assert_int_equal(state_open(st, STATE_CREATE, &f->app.state, &e), 0);
	f->map = path_in("maps/transport");
	free(st);
	free(name);
	free(text);
}

static void close_fixture(struct fixture *f)
{
	f->app.state = state_close(f->app.state);
	f->app.plan = plan_free(f->app.plan);
	free(f->map);
}

static void move(struct fixture *f, const char *addr, const char *backend)
{
	struct state_user u = { 0 };
	struct err e;

	u.address = (char *)(uintptr_t)addr;
	u.backend = (char *)(uintptr_t)backend;
	u.src_msgs = u.src_bytes = u.dst_msgs = u.dst_bytes = -1;
	err_clear(&e);
	assert_int_equal(state_user_put(f->app.state, &u, &e), 0);
}

static int apply(struct fixture *f, bool dry, bool force,
		 struct route_result *res, struct err *e)
{
	struct route_opts o = { 0 };

	o.reason = "unit";
	o.dry_run = dry;
	o.force = force;
	route_result_init(res);
	err_clear(e);
	return route_apply(&f->app, &o, res, e);
}

static int count_versions(struct fixture *f)
{
	struct state_gateway_version v;
	struct err e;
	int64_t id = 1;
	int n = 0;

	err_clear(&e);
	while (state_gateway_get(f->app.state, id++, &v, &e) == 1) {
		n++;
		state_gateway_version_release(&v);
	}
	return n;
}

/* ---- rendering --------------------------------------------------------- */

static void test_render(void **ctx)
{
	struct fixture f;
	struct route_tables t;
	struct err e;

	(void)ctx;
	open_fixture(&f, true, "\"true\"",
		     "  default_route: true\n  recipient_map: maps/rcpt\n");
	err_clear(&e);
	/* before anything ran: carol starts on dst */
	assert_int_equal(route_render(f.app.plan, NULL, &t, &e), 0);
	assert_int_equal(t.transport.n, 2);
	assert_string_equal(t.transport.v[0].key, "carol@corp.example");
	assert_string_equal(t.transport.v[0].value, DST);
	assert_string_equal(t.transport.v[1].key, "corp.example");
	assert_string_equal(t.transport.v[1].value, SRC);
	assert_int_equal(strv_len(t.absent), 2);
	assert_string_equal(t.absent[0], "alice@corp.example");
	assert_int_equal(t.recipients.n, 3);
	assert_string_equal(t.recipients.v[2].value, "OK");
	route_tables_release(&t);

	/* the state wins; users only the state knows are still routed */
	move(&f, "alice@corp.example", "dst");
	move(&f, "carol@corp.example", "src");
	move(&f, "zoe@corp.example", "dst");
	assert_int_equal(route_render(f.app.plan, f.app.state, &t, &e), 0);
	assert_int_equal(t.transport.n, 3);
	assert_string_equal(t.transport.v[0].key, "alice@corp.example");
	assert_string_equal(t.transport.v[1].key, "corp.example");
	assert_string_equal(t.transport.v[2].key, "zoe@corp.example");
	assert_int_equal(t.recipients.n, 4);
	route_tables_release(&t);

	/* a backend the plan does not have */
	move(&f, "bob@corp.example", "gone");
	assert_int_equal(route_render(f.app.plan, f.app.state, &t, &e), -1);
	assert_string_equal(e.msg, "user 'bob@corp.example' lives on backend "
				   "'gone', which the plan no longer has");
	assert_int_equal(e.cat, ERR_PLAN);
	close_fixture(&f);

	/* no default backend: everyone gets a line */
	open_fixture(&f, false, "\"true\"", "");
	err_clear(&e);
	assert_int_equal(route_render(f.app.plan, NULL, &t, &e), 0);
	assert_int_equal(t.transport.n, 3);
	assert_null(t.absent);
	route_tables_release(&t);
	close_fixture(&f);
}

/* ---- putting in force -------------------------------------------------- */

static void test_apply_versions(void **ctx)
{
	struct fixture f;
	struct route_result res;
	struct err e;
	char *v1, *text;
	int64_t cur;

	(void)ctx;
	if (!have_postmap)
		skip();
	open_fixture(&f, true, "\"true\"", "");
	/* dry run: the diff, nothing written */
	assert_int_equal(apply(&f, true, false, &res, &e), 0);
	assert_true(res.changed);
	assert_non_null(strstr(res.diff.buf, "+carol@corp.example\t" DST "\n"));
	assert_int_equal(access(f.map, F_OK), -1);
	assert_int_equal(count_versions(&f), 0);
	route_result_release(&res);

	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	assert_true(res.changed);
	assert_int_equal(res.version, 1);
	assert_int_equal(res.n_entries, 1);
	route_result_release(&res);
	v1 = read_all(f.map);
	assert_non_null(strstr(v1, "# Split-delivery routes (transport map) "
				   "of migration 'unit'."));

	/* again: up to date, no new version */
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	assert_false(res.changed);
	assert_int_equal(res.version, 1);
	assert_int_equal(count_versions(&f), 1);
	route_result_release(&res);

	/* bob moves: version 2; the same state gives the same bytes */
	move(&f, "bob@corp.example", "dst");
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	assert_int_equal(res.version, 2);
	route_result_release(&res);
	text = read_all(f.map);
	assert_non_null(strstr(text, "bob@corp.example\t" DST "\n"));
	assert_int_equal(route_verify(&f.app, &e), 0);
	assert_int_equal(route_current_version(&f.app, &cur, &e), 0);
	assert_int_equal(cur, 2);

	/* restore version 1: its exact bytes, as version 3 */
	route_result_init(&res);
	assert_int_equal(route_restore_version(&f.app, 1,
					       &(struct route_opts){ 0 },
					       &res, &e), 0);
	assert_int_equal(res.version, 3);
	route_result_release(&res);
	free(text);
	text = read_all(f.map);
	assert_string_equal(text, v1);
	free(text);
	{
		struct state_gateway_version v;

		assert_int_equal(state_gateway_get(f.app.state, 3, &v, &e), 1);
		assert_string_equal(v.reason, "restore of version 1");
		assert_string_equal(v.status, "installed");
		assert_string_equal(v.path, f.map);
		state_gateway_version_release(&v);
	}
	/* the state still says bob is on dst: verify says so */
	assert_int_equal(route_verify(&f.app, &e), -1);
	assert_non_null(strstr(e.msg, "'bob@corp.example' not found, "
				      "expected '" DST "'"));
	/* unknown version */
	err_clear(&e);
	route_result_init(&res);
	assert_int_equal(route_restore_version(&f.app, 99,
					       &(struct route_opts){ 0 },
					       &res, &e), -1);
	assert_string_equal(e.msg, "there is no gateway map version 99");
	route_result_release(&res);
	free(v1);
	close_fixture(&f);
}

static void test_hand_edit(void **ctx)
{
	struct fixture f;
	struct route_result res;
	struct err e;
	char *before, *after;
	FILE *fp;

	(void)ctx;
	if (!have_postmap)
		skip();
	open_fixture(&f, true, "\"true\"", "");
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	route_result_release(&res);
	fp = fopen(f.map, "a");
	fputs("evil@corp.example smtp:[elsewhere]\n", fp);
	fclose(fp);
	before = read_all(f.map);
	move(&f, "bob@corp.example", "dst");
	assert_int_equal(apply(&f, false, false, &res, &e), -1);
	assert_int_equal(e.cat, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "was changed by hand"));
	assert_non_null(strstr(res.diff.buf, "(version 1, written by migrate)"));
	assert_non_null(strstr(res.diff.buf, "+evil@corp.example smtp:[elsewhere]\n"));
	route_result_release(&res);
	after = read_all(f.map);
	assert_string_equal(before, after);
	free(after);
	/* a dry run shows it and changes nothing */
	assert_int_equal(apply(&f, true, false, &res, &e), 0);
	assert_non_null(strstr(res.diff.buf, "+bob@corp.example"));
	route_result_release(&res);
	/* --force overwrites it */
	assert_int_equal(apply(&f, false, true, &res, &e), 0);
	assert_int_equal(res.version, 2);
	route_result_release(&res);
	after = read_all(f.map);
	assert_null(strstr(after, "evil"));
	free(after);
	free(before);
	close_fixture(&f);

	/* a file we never wrote, with entries: ours only with --force; an
	 * empty one is taken over */
	open_fixture(&f, true, "\"true\"", "");
	write_file(f.map, "# site notes\n\n");
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	route_result_release(&res);
	close_fixture(&f);
	open_fixture(&f, true, "\"true\"", "");
	write_file(f.map, "someone@corp.example smtp:[x]\n");
	assert_int_equal(apply(&f, false, false, &res, &e), -1);
	assert_non_null(strstr(res.diff.buf, "(never written by migrate)"));
	route_result_release(&res);
	close_fixture(&f);
}

/* A crash after the rename but before "installed" was recorded: the file
 * on disk is the pending version, which is ours, not a hand edit. */
static void test_crash_window(void **ctx)
{
	struct fixture f;
	struct route_result res;
	struct state_gateway_version v = { 0 };
	struct err e;
	int64_t id;

	(void)ctx;
	if (!have_postmap)
		skip();
	open_fixture(&f, true, "\"true\"", "");
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	route_result_release(&res);
	v.kind = xstrdup("postfix");
	v.path = xstrdup(f.map);
	v.content = xstrdup("alice@corp.example " DST "\n");
	v.len = strlen(v.content);
	assert_int_equal(state_gateway_add(f.app.state, &v, &id, &e), 0);
	write_file(f.map, v.content);
	state_gateway_version_release(&v);
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	assert_true(res.changed);
	route_result_release(&res);
	assert_int_equal(route_verify(&f.app, &e), 0);
	/* restoring the pending (never installed) version is refused */
	route_result_init(&res);
	assert_int_equal(route_restore_version(&f.app, id,
					       &(struct route_opts){ 0 },
					       &res, &e), -1);
	assert_non_null(strstr(e.msg, "was never in force (pending)"));
	route_result_release(&res);
	close_fixture(&f);
}

static int find_failed(void *ctx, const struct state_event *ev)
{
	if (!strcmp(ev->kind, "gateway-failed") &&
	    strstr(ev->detail, "reload failed"))
		*(bool *)ctx = true;
	return 0;
}

static void test_reload_fails(void **ctx)
{
	struct fixture f;
	struct route_result res;
	struct state_gateway_version v;
	struct err e;
	char *before, *after;
	bool failed_event = false;

	(void)ctx;
	if (!have_postmap)
		skip();
	open_fixture(&f, true, "\"true\"", "");
	assert_int_equal(apply(&f, false, false, &res, &e), 0);
	route_result_release(&res);
	before = read_all(f.map);
	/* the same state, a plan whose reload fails */
	f.app.plan = plan_free(f.app.plan);
	{
		char *text = xasprintf(plan_fmt, "    default: true\n", "\"false\"", "");
		char *name = path_in("plan.yaml");
		struct plan_diags d;

		plan_diags_init(&d);
		assert_int_equal(plan_load_mem(name, text, strlen(text),
					       &f.app.plan, &d, &e), 0);
		plan_diags_release(&d);
		free(text);
		free(name);
	}
	move(&f, "bob@corp.example", "dst");
	assert_int_equal(apply(&f, false, false, &res, &e), -1);
	assert_non_null(strstr(e.msg, "gateway reload failed: 'false' exited"));
	assert_non_null(strstr(e.msg, "the previous map was put back and is "
				      "in force"));
	route_result_release(&res);
	after = read_all(f.map);
	assert_string_equal(before, after);
	assert_int_equal(state_gateway_get(f.app.state, 2, &v, &e), 1);
	assert_string_equal(v.status, "failed");
	assert_non_null(strstr(v.error, "reload failed"));
	state_gateway_version_release(&v);
	{
		struct state_gateway_version last;

		assert_int_equal(state_gateway_last(f.app.state, f.map, &last,
						    &e), 1);
		assert_int_equal(last.id, 1);
		state_gateway_version_release(&last);
	}
	/* the event log says what failed */
	assert_int_equal(state_events_foreach(f.app.state, find_failed,
					      &failed_event, &e), 0);
	assert_true(failed_event);
	free(before);
	free(after);
	close_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_apply_versions),
		cmocka_unit_test(test_hand_edit),
		cmocka_unit_test(test_crash_window),
		cmocka_unit_test(test_reload_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
