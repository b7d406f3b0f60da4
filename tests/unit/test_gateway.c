/*
 * test_gateway.c -- the gateway engine (gateway/): routing tables, the
 * unified diff, and installing maps with the real postmap of every map
 * type (lmdb, cdb, hash, texthash) against a folder with an empty
 * main.cf -- no Postfix daemon.  Fault paths: postmap missing or
 * failing, reload failing, wrong answers after the reload, a folder we
 * cannot write, a second writer; each leaves the old map answering.
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
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "util/err.h"
#include "util/run.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

static char dir[64];
static char *cfdir, *mapdir;
static bool have_postmap;

/* ---- helpers ----------------------------------------------------------- */

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
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
	if (!exists) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

static int setup(void **ctx)
{
	char *maincf;

	(void)ctx;
	strcpy(dir, "/tmp/test_gateway.XXXXXX");
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	cfdir = path_in("cf");
	mapdir = path_in("maps");
	assert_int_equal(mkdir(cfdir, 0755), 0);
	assert_int_equal(mkdir(mapdir, 0755), 0);
	maincf = xasprintf("%s/main.cf", cfdir);
	write_file(maincf, "", 0644);
	free(maincf);
	have_postmap = access("/usr/sbin/postmap", X_OK) == 0;
	return 0;
}

static int teardown(void **ctx)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)ctx;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(cfdir);
	free(mapdir);
	return 0;
}

static struct gateway *new_gw(const char *type, const char *postmap,
			      char *const *reload)
{
	struct gateway_config cfg = { 0 };
	struct gateway *gw;
	struct err e;

	cfg.kind = "postfix";
	cfg.map_type = type;
	cfg.postmap = postmap;
	cfg.config_dir = cfdir;
	cfg.reload = reload;
	cfg.timeout_ms = 20000;
	err_clear(&e);
	gw = gateway_new(&cfg, &e);
	assert_non_null(gw);
	return gw;
}

static void table_of(struct gateway_table *t, const char *const *kv)
{
	struct err e;

	gateway_table_init(t);
	err_clear(&e);
	for (; kv[0]; kv += 2)
		assert_int_equal(gateway_table_add(t, kv[0], kv[1], &e), 0);
	assert_int_equal(gateway_table_sort(t, &e), 0);
}

/* Install table t at map (path), returning 0 or -1 with err. */
static int install(struct gateway *gw, const char *map,
		   const struct gateway_table *t, struct err *err)
{
	struct gateway_install *in = NULL;
	struct gateway_file f = { 0 };
	struct sbuf text;
	int rc;

	sbuf_init(&text, 1 << 20);
	assert_int_equal(gateway_table_render(t, "test map", &text, err), 0);
	f.path = map;
	f.content = text.buf;
	f.len = text.len;
	f.expect = t;
	rc = gateway_install_stage(gw, &f, 1, &in, err);
	if (rc == 0)
		rc = gateway_install_commit(in, err);
	gateway_install_free(in);
	sbuf_release(&text);
	return rc;
}

static const char *const v1[] = {
	"alice@corp.example", "lmtp:inet:127.0.0.1:12024",
	"bob@corp.example", "smtp:[mx.suite.example]:25",
	"corp.example", "lmtp:inet:127.0.0.1:11024",
	NULL,
};
static const char *const v2[] = {
	"alice@corp.example", "lmtp:inet:127.0.0.1:12024",
	"carol@corp.example", "relay:[relay.example]",
	"corp.example", "lmtp:inet:127.0.0.1:11024",
	NULL,
};

/* The map answers exactly like table t (and bob is gone when absent). */
static void assert_answers(struct gateway *gw, const char *map,
			   const char *const *kv, const char *gone)
{
	struct gateway_table t;
	char *absent[] = { (char *)(uintptr_t)gone, NULL };
	struct err e;

	table_of(&t, kv);
	err_clear(&e);
	if (gateway_verify(gw, map, &t, absent, gone ? 1 : 0, &e) < 0)
		fail_msg("map '%s' does not answer as expected: %s", map,
			 e.msg);
	gateway_table_release(&t);
}

/* ---- tables ------------------------------------------------------------ */

static void test_table(void **ctx)
{
	struct gateway_table t;
	struct sbuf out;
	struct err e;

	(void)ctx;
	gateway_table_init(&t);
	err_clear(&e);
	assert_int_equal(gateway_table_add(&t, "zed@x", "smtp:[z]", &e), 0);
	assert_int_equal(gateway_table_add(&t, "amy@x", "lmtp:inet:h:24", &e),
			 0);
	assert_int_equal(gateway_table_add(&t, "amy@x", "lmtp:inet:h:24", &e),
			 0);
	assert_int_equal(gateway_table_add(&t, "x", "relay:[r]", &e), 0);
	assert_false(t.sorted);
	assert_int_equal(gateway_table_sort(&t, &e), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.v[0].key, "amy@x");
	assert_string_equal(t.v[1].key, "x");
	assert_string_equal(t.v[2].key, "zed@x");
	assert_string_equal(gateway_table_get(&t, "x"), "relay:[r]");
	assert_null(gateway_table_get(&t, "nobody@x"));
	sbuf_init(&out, 1 << 16);
	assert_int_equal(gateway_table_render(&t, "line one\n\nline three",
					      &out, &e), 0);
	assert_string_equal(out.buf, "# line one\n#\n# line three\n"
				     "amy@x\tlmtp:inet:h:24\n"
				     "x\trelay:[r]\n"
				     "zed@x\tsmtp:[z]\n");
	sbuf_release(&out);

	/* conflicting values, bad words */
	assert_int_equal(gateway_table_add(&t, "x", "smtp:[other]", &e), 0);
	assert_int_equal(gateway_table_sort(&t, &e), -1);
	assert_non_null(strstr(e.msg, "'x' is routed both to"));
	err_clear(&e);
	assert_int_equal(gateway_table_add(&t, "a b@x", "r:x", &e), -1);
	assert_non_null(strstr(e.msg, "'a b@x' cannot be written"));
	err_clear(&e);
	assert_int_equal(gateway_table_add(&t, "#a", "r:x", &e), -1);
	err_clear(&e);
	assert_int_equal(gateway_table_add(&t, "a@x", "r:x\nevil@x r:y", &e),
			 -1);
	err_clear(&e);
	assert_int_equal(gateway_table_add(&t, "a@x", "", &e), -1);
	gateway_table_release(&t);
}

static void test_table_parse(void **ctx)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"alice@x   lmtp:inet:h:24\n"
		"   # indented comment\n"
		"bob@x\tsmtp:[a]\n"
		"  :25\n"
		"carol@x relay:[r] extra words\r\n"
		"dave@x lmtp:inet:h:2";	/* no final newline */
	struct gateway_table t;
	struct err e;

	(void)ctx;
	gateway_table_init(&t);
	err_clear(&e);
	assert_int_equal(gateway_table_parse(&t, "m", text, sizeof text - 1,
					     &e), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(gateway_table_get(&t, "alice@x"), "lmtp:inet:h:24");
	assert_string_equal(gateway_table_get(&t, "bob@x"), "smtp:[a] :25");
	assert_string_equal(gateway_table_get(&t, "carol@x"),
			    "relay:[r] extra words");
	assert_string_equal(gateway_table_get(&t, "dave@x"), "lmtp:inet:h:2");
	gateway_table_release(&t);

	gateway_table_init(&t);
	assert_int_equal(gateway_table_parse(&t, "m", "a@x r\nlonely@x\n", 16,
					     &e), -1);
	assert_string_equal(e.msg, "m:2: key 'lonely@x' has no value");
	gateway_table_release(&t);
}

static void test_kinds(void **ctx)
{
	struct gateway_config cfg = { 0 };
	struct err e;

	(void)ctx;
	assert_non_null(gateway_kind("postfix"));
	assert_null(gateway_kind("exim"));
	cfg.kind = "exim";
	cfg.map_type = "lmdb";
	err_clear(&e);
	assert_null(gateway_new(&cfg, &e));
	assert_string_equal(e.msg, "unknown gateway kind 'exim' (known: "
				   "postfix)");
	cfg.kind = "postfix";
	cfg.map_type = "btree";
	err_clear(&e);
	assert_null(gateway_new(&cfg, &e));
	assert_non_null(strstr(e.msg, "map type 'btree' is not supported"));
	assert_int_equal(e.cat, ERR_CONFIG);
}

/* ---- diff -------------------------------------------------------------- */

static void diff_is(const char *a, const char *b, const char *want,
		    size_t nchanged)
{
	struct sbuf out;

	sbuf_init(&out, 1 << 20);
	assert_int_equal(gateway_diff("a", a, strlen(a), "b", b, strlen(b),
				      &out), nchanged);
	assert_string_equal(out.buf, want);
	sbuf_release(&out);
}

static void test_diff_fixed(void **ctx)
{
	(void)ctx;
	diff_is("x\ny\n", "x\ny\n", "", 0);
	diff_is("", "a\nb\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n", 2);
	diff_is("a\nb\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\n-b\n", 2);
	diff_is("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n6\n7\n8\n",
		"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n"
		" 8\n", 2);
	diff_is("a\nb", "a\nb\n",
		"--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n"
		"\\ No newline at end of file\n+b\n", 2);
	/* two hunks, far apart */
	diff_is("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
		"0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
		"--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n"
		"@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n", 2);
}

/* Random texts: our diff, applied with patch(1), turns a into b. */
static void test_diff_patch(void **ctx)
{
	char *a_path = path_in("diff-a"), *p_path = path_in("diff.patch");
	char *o_path = path_in("diff-out");
	unsigned seed = 12345;
	int round;

	(void)ctx;
	if (access("/usr/bin/patch", X_OK) != 0)
		skip();
	for (round = 0; round < 60; round++) {
		struct sbuf a, b, d;
		int i, na, nb, big = round % 10 == 9;
		char *argv[] = { (char *)(uintptr_t)"patch", (char *)(uintptr_t)"-s",
				 (char *)(uintptr_t)"-o", o_path, a_path,
				 p_path, NULL };
		struct run_result r;
		struct err e;
		char *got;

		sbuf_init(&a, 1 << 24);
		sbuf_init(&b, 1 << 24);
		sbuf_init(&d, 1 << 24);
		na = (int)(rand_r(&seed) % (big ? 6000 : 40));
		for (i = 0; i < na; i++)
			sbuf_addf(&a, "line %u\n", rand_r(&seed) % (big ? 9000 : 12));
		sbuf_add(&b, a.buf, a.len);
		/* b: a with random lines replaced, dropped, added */
		nb = (int)(rand_r(&seed) % (big ? 3000 : 8)) + 1;
		for (i = 0; i < nb; i++) {
			size_t at = b.len ? rand_r(&seed) % b.len : 0;

			while (at > 0 && b.buf[at - 1] != '\n')
				at--;
			if (rand_r(&seed) % 2) {
				char ins[32];

				snprintf(ins, sizeof ins, "new %d\n", i);
				sbuf_add(&d, b.buf, at);
				sbuf_addstr(&d, ins);
				sbuf_add(&d, b.buf + at, b.len - at);
			} else {
				char *nl = memchr(b.buf + at, '\n', b.len - at);
				size_t end = nl ? (size_t)(nl - b.buf) + 1 : b.len;

				sbuf_add(&d, b.buf, at);
				sbuf_add(&d, b.buf + end, b.len - end);
			}
			sbuf_clear(&b);
			sbuf_add(&b, d.buf, d.len);
			sbuf_clear(&d);
		}
		gateway_diff("a", a.buf, a.len, "b", b.buf, b.len, &d);
		write_file(a_path, a.buf, 0644);
		write_file(p_path, d.buf, 0644);
		unlink(o_path);
		run_result_init(&r);
		err_clear(&e);
		if (d.len) {
			assert_int_equal(run_argv(argv, NULL, &r, &e), 0);
			if (r.exit_code != 0)
				fail_msg("round %d: patch failed: %s%s", round,
					 r.out.buf, r.errout.buf);
			got = read_all(o_path);
		} else {
			got = xstrdup(a.buf);
		}
		assert_non_null(got);
		if (strcmp(got, b.buf) != 0)
			fail_msg("round %d: patched text differs", round);
		free(got);
		run_result_release(&r);
		sbuf_release(&a);
		sbuf_release(&b);
		sbuf_release(&d);
	}
	free(a_path);
	free(p_path);
	free(o_path);
}

/* ---- installing with the real postmap ---------------------------------- */

static void install_type(const char *type, const char *suffix)
{
	char *map = xasprintf("%s/%s_map", mapdir, type);
	char *index = suffix ? xasprintf("%s%s", map, suffix) : NULL;
	struct gateway *gw = new_gw(type, NULL, NULL);
	struct gateway_table t1, t2;
	struct stat st;
	struct err e;
	char *text;

	table_of(&t1, v1);
	table_of(&t2, v2);
	err_clear(&e);
	if (install(gw, map, &t1, &e) < 0)
		fail_msg("%s: %s", type, e.msg);
	assert_answers(gw, map, v1, NULL);
	assert_int_equal(stat(map, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	if (index) {
		assert_int_equal(stat(index, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
	}
	/* the second version keeps the mode of the first */
	chmod(map, 0640);
	if (index)
		chmod(index, 0640);
	if (install(gw, map, &t2, &e) < 0)
		fail_msg("%s: %s", type, e.msg);
	assert_answers(gw, map, v2, "bob@corp.example");
	assert_int_equal(stat(map, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	if (index) {
		assert_int_equal(stat(index, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0640);
	}
	text = read_all(map);
	assert_non_null(strstr(text, "carol@corp.example\trelay:[relay.example]\n"));
	free(text);
	/* nothing left behind but the lock file */
	text = xasprintf("%s/.%s_map.migrate-new", mapdir, type);
	assert_int_equal(access(text, F_OK), -1);
	free(text);
	text = xasprintf("%s/.%s_map.migrate-old", mapdir, type);
	assert_int_equal(access(text, F_OK), -1);
	free(text);
	gateway_table_release(&t1);
	gateway_table_release(&t2);
	gateway_free(gw);
	free(map);
	free(index);
}

static void test_install_types(void **ctx)
{
	(void)ctx;
	if (!have_postmap)
		skip();
	install_type("lmdb", ".lmdb");
	install_type("cdb", ".cdb");
	install_type("hash", ".db");
	install_type("texthash", NULL);
}

/* A fake postmap in our folder: a shell script that fails, or that
 * answers lookups wrongly after the first `ok` builds. */
static char *fake_postmap(const char *name, const char *body)
{
	char *p = path_in(name);
	char *text = xasprintf("#!/bin/sh\n%s\n", body);

	write_file(p, text, 0755);
	free(text);
	return p;
}

/* Install v1 with the real postmap, then try v2 with `gw2`: it must
 * fail with an error containing `want`, and v1 must still answer. */
static void fault_case(const char *name, struct gateway *gw2,
		       const char *want)
{
	char *map = xasprintf("%s/%s", mapdir, name);
	struct gateway *gw = new_gw("lmdb", NULL, NULL);
	struct gateway_table t1, t2;
	struct err e;
	char *before, *after;

	table_of(&t1, v1);
	table_of(&t2, v2);
	err_clear(&e);
	assert_int_equal(install(gw, map, &t1, &e), 0);
	before = read_all(map);
	err_clear(&e);
	assert_int_equal(install(gw2, map, &t2, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("%s: error '%s' does not say '%s'", name, e.msg, want);
	after = read_all(map);
	assert_string_equal(before, after);
	assert_answers(gw, map, v1, NULL);
	free(before);
	free(after);
	gateway_table_release(&t1);
	gateway_table_release(&t2);
	gateway_free(gw);
	free(map);
}

static void test_faults(void **ctx)
{
	char *reload_false[] = { (char *)(uintptr_t)"false", NULL };
	char *bad, *liar, *slow;
	struct gateway *gw2;

	(void)ctx;
	if (!have_postmap)
		skip();
	/* postmap missing */
	gw2 = new_gw("lmdb", "/nonexistent/postmap", NULL);
	fault_case("m-missing", gw2, "'/nonexistent/postmap': not found");
	assert_non_null(strstr(gateway_last_error(gw2)->msg, "not found"));
	gateway_free(gw2);
	/* postmap failing */
	bad = fake_postmap("postmap-bad", "echo 'postmap: fatal: disk on fire' >&2; exit 1");
	gw2 = new_gw("lmdb", bad, NULL);
	fault_case("m-bad", gw2, "disk on fire");
	gateway_free(gw2);
	/* postmap hanging: the timeout ends it */
	slow = fake_postmap("postmap-slow", "exec sleep 30");
	{
		struct gateway_config cfg = { 0 };
		struct err e;

		cfg.kind = "postfix";
		cfg.map_type = "lmdb";
		cfg.postmap = slow;
		cfg.config_dir = cfdir;
		cfg.timeout_ms = 300;
		err_clear(&e);
		gw2 = gateway_new(&cfg, &e);
		fault_case("m-slow", gw2, "timed out");
		gateway_free(gw2);
	}
	/* reload failing: put back */
	gw2 = new_gw("lmdb", NULL, reload_false);
	fault_case("m-reload", gw2, "the previous map was put back");
	gateway_free(gw2);
	/* the live map gives wrong answers after the reload: put back.  The
	 * liar builds for real and answers the staged file honestly, but
	 * not the live one. */
	liar = xasprintf("#!/bin/sh\n"
			 "case \"$*\" in\n"
			 "*-q*migrate-new*) exec postmap \"$@\" ;;\n"
			 "*-q*) cat >/dev/null; echo 'alice@corp.example\tsmtp:[wrong]'; exit 0 ;;\n"
			 "*) exec postmap \"$@\" ;;\n"
			 "esac");
	{
		char *p = path_in("postmap-liar");

		write_file(p, liar, 0755);
		free(liar);
		liar = p;
	}
	gw2 = new_gw("lmdb", liar, NULL);
	fault_case("m-liar", gw2, "wrong answer");
	gateway_free(gw2);
	free(bad);
	free(slow);
	free(liar);
}

/* The map's folder is not writable: run the install as nobody (root
 * ignores permission bits). */
static void test_folder_not_writable(void **ctx)
{
	char *ro = path_in("ro"), *map = xasprintf("%s/map", ro);
	struct gateway *gw;
	struct gateway_table t1, t2;
	struct err e;
	pid_t pid;
	int status;

	(void)ctx;
	if (!have_postmap)
		skip();
	assert_int_equal(mkdir(ro, 0755), 0);
	gw = new_gw("lmdb", NULL, NULL);
	table_of(&t1, v1);
	table_of(&t2, v2);
	err_clear(&e);
	assert_int_equal(install(gw, map, &t1, &e), 0);
	if (geteuid() != 0)
		chmod(ro, 0555);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code = 0;

		err_clear(&e);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			code = 2;
		else if (install(gw, map, &t2, &e) == 0)
			code = 3;
		else if (!strstr(e.msg, "Permission denied") ||
			 !strstr(e.msg, "nothing was changed"))
			code = 4;
		if (code == 4)
			fprintf(stderr, "unexpected error: %s\n", e.msg);
		/* free everything: valgrind checks the child too */
		gateway_table_release(&t1);
		gateway_table_release(&t2);
		gateway_free(gw);
		free(map);
		free(ro);
		free(cfdir);
		free(mapdir);
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(ro, 0755);
	assert_answers(gw, map, v1, NULL);
	gateway_table_release(&t1);
	gateway_table_release(&t2);
	gateway_free(gw);
	free(map);
	free(ro);
}

/* A second writer waits for nobody: the lock says who is busy. */
static void test_lock_and_leftovers(void **ctx)
{
	char *map = xasprintf("%s/locked", mapdir);
	char *tmp = xasprintf("%s/.locked.migrate-new", mapdir);
	char *old = xasprintf("%s/.locked.migrate-old.lmdb", mapdir);
	struct gateway *gw;
	struct gateway_table t1;
	struct gateway_install *in = NULL, *in2 = NULL;
	struct gateway_file f = { 0 };
	struct sbuf text;
	struct err e;

	(void)ctx;
	if (!have_postmap)
		skip();
	gw = new_gw("lmdb", NULL, NULL);
	table_of(&t1, v1);
	sbuf_init(&text, 1 << 16);
	err_clear(&e);
	assert_int_equal(gateway_table_render(&t1, NULL, &text, &e), 0);
	/* leftovers of a crash are removed */
	write_file(tmp, "garbage", 0600);
	write_file(old, "garbage", 0600);
	f.path = map;
	f.content = text.buf;
	f.len = text.len;
	f.expect = &t1;
	assert_int_equal(gateway_install_stage(gw, &f, 1, &in, &e), 0);
	assert_int_equal(access(old, F_OK), -1);
	/* a second writer is refused while the first holds the lock */
	assert_int_equal(gateway_install_stage(gw, &f, 1, &in2, &e), -1);
	assert_null(in2);
	assert_non_null(strstr(e.msg, "is being written by another process"));
	assert_int_equal(e.retry, RETRY_LATER);
	err_clear(&e);
	assert_int_equal(gateway_install_commit(in, &e), 0);
	in = gateway_install_free(in);
	assert_answers(gw, map, v1, NULL);
	assert_int_equal(access(tmp, F_OK), -1);
	/* staged but never committed: nothing changes, nothing stays */
	assert_int_equal(gateway_install_stage(gw, &f, 1, &in, &e), 0);
	assert_int_equal(access(tmp, F_OK), 0);
	in = gateway_install_free(in);
	assert_int_equal(access(tmp, F_OK), -1);
	sbuf_release(&text);
	gateway_table_release(&t1);
	gateway_free(gw);
	free(map);
	free(tmp);
	free(old);
}

/* A map named through a symbolic link is refused (rename would replace
 * the link, not the file Postfix reads). */
static void test_symlink_refused(void **ctx)
{
	char *real = xasprintf("%s/real", mapdir), *link_ = xasprintf("%s/link", mapdir);
	struct gateway *gw = new_gw("lmdb", NULL, NULL);
	struct gateway_table t1;
	struct err e;

	(void)ctx;
	write_file(real, "", 0644);
	assert_int_equal(symlink(real, link_), 0);
	table_of(&t1, v1);
	err_clear(&e);
	assert_int_equal(install(gw, link_, &t1, &e), -1);
	assert_non_null(strstr(e.msg, "is not a regular file"));
	gateway_table_release(&t1);
	gateway_free(gw);
	free(real);
	free(link_);
}

/* describe() reads main.cf and master.cf through postconf. */
static void test_describe(void **ctx)
{
	char *maincf = xasprintf("%s/main.cf", cfdir);
	char *mastercf = xasprintf("%s/master.cf", cfdir);
	struct gateway_info info;
	struct gateway *gw;
	struct err e;

	(void)ctx;
	if (access("/usr/sbin/postconf", X_OK) != 0)
		skip();
	write_file(maincf,
		   "myhostname = gw.corp.example\n"
		   "inet_interfaces = 127.0.0.1\n"
		   "transport_maps = lmdb:/etc/x/migrate_transport, "
		   "hash:/etc/x/transport\n", 0644);
	write_file(mastercf,
		   "127.0.0.1:2525 inet n - n - - smtpd\n"
		   "smtp      inet  n       -       n       -       -       smtpd\n"
		   "lmtp      unix  -       -       n       -       -       lmtp\n"
		   "relay     unix  -       -       n       -       -       smtp\n"
		   "  -o syslog_name=postfix/relay\n", 0644);
	gw = new_gw("lmdb", NULL, NULL);
	err_clear(&e);
	assert_int_equal(gateway_describe(gw, &info, &e), 0);
	assert_int_equal(strv_len(info.maps), 2);
	assert_string_equal(info.maps[0], "lmdb:/etc/x/migrate_transport");
	assert_string_equal(info.maps[1], "hash:/etc/x/transport");
	assert_int_equal(strv_len(info.listeners), 2);
	assert_string_equal(info.listeners[0], "127.0.0.1:2525");
	assert_string_equal(info.listeners[1], "127.0.0.1:25");
	assert_int_equal(strv_len(info.services), 2);
	assert_string_equal(info.services[0], "lmtp");
	assert_string_equal(info.services[1], "relay");
	assert_string_equal(info.own_names[0], "gw.corp.example");
	gateway_info_release(&info);
	gateway_free(gw);
	/* back to an empty main.cf for the other tests */
	write_file(maincf, "", 0644);
	unlink(mastercf);
	free(maincf);
	free(mastercf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_parse),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_diff_fixed),
		cmocka_unit_test(test_diff_patch),
		cmocka_unit_test(test_install_types),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_folder_not_writable),
		cmocka_unit_test(test_lock_and_leftovers),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
