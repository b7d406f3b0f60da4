/* Unit tests for util/log.c: levels, debug categories, redaction, traces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/log.h"

struct cap {
	FILE *fp;
	char *buf;
	size_t len;
};

static int setup(void **state)
{
	struct cap *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	log_reset();
	c->fp = open_memstream(&c->buf, &c->len);
	if (!c->fp)
		return -1;
	log_set_stream(c->fp);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct cap *c = *state;

	log_reset();
	fclose(c->fp);
	free(c->buf);
	free(c);
	return 0;
}

/* Everything logged so far. */
static const char *out(void **state)
{
	struct cap *c = *state;

	fflush(c->fp);
	return c->buf ? c->buf : "";
}

static void test_levels(void **state)
{
	log_error(LOGC_MAIN, "disk %s", "full");
	log_warn(LOGC_PLAN, "unused group '%s'", "x");
	log_info(LOGC_MAIN, "hidden by default");
	log_set_level(LOG_INFO);
	log_info(LOGC_MAIN, "shown %d", 1);
	log_set_level(LOG_ERROR);
	log_warn(LOGC_MAIN, "hidden with -q");
	log_error(LOGC_MAIN, "still shown");
	assert_string_equal(out(state),
			    "migrate: error: disk full\n"
			    "migrate: warning: unused group 'x'\n"
			    "migrate: info: shown 1\n"
			    "migrate: error: still shown\n");
}

static void test_progname(void **state)
{
	log_set_progname("migrate-test");
	log_error(LOGC_MAIN, "x");
	assert_string_equal(out(state), "migrate-test: error: x\n");
}

static void test_debug_categories(void **state)
{
	struct err e;

	err_clear(&e);
	log_debug(LOGC_IMAP, "off");
	assert_false(log_debug_on(LOGC_IMAP));
	assert_int_equal(log_enable_debug("imap,dns", &e), 0);
	assert_true(log_debug_on(LOGC_IMAP));
	assert_true(log_debug_on(LOGC_DNS));
	assert_false(log_debug_on(LOGC_PLAN));
	log_debug(LOGC_IMAP, "select '%s'", "INBOX");
	log_debug(LOGC_PLAN, "not shown");
	log_debug(LOGC_DNS, "ttl %d", 60);
	assert_string_equal(out(state), "migrate[imap]: select 'INBOX'\n"
					"migrate[dns]: ttl 60\n");

	/* An unknown name fails and changes nothing. */
	assert_int_equal(log_enable_debug("plan,bogus", &e), -1);
	assert_int_equal(e.cat, ERR_USAGE);
	assert_string_equal(e.msg,
			    "unknown debug category 'bogus' (known: main, plan, "
			    "state, imap, sync, dns, gateway, run, http, smtp, "
			    "all)");
	assert_false(log_debug_on(LOGC_PLAN));

	err_clear(&e);
	assert_int_equal(log_enable_debug("all", &e), 0);
	for (int i = 0; i < LOGC_COUNT; i++)
		assert_true(log_debug_on((enum log_cat)i));
	assert_string_equal(log_cat_name(LOGC_GATEWAY), "gateway");
}

static void test_debug_parse_table(void **state)
{
	static const struct {
		const char *list;
		int rc;
		unsigned mask;
	} cases[] = {
		{ "main", 0, 1u << LOGC_MAIN },
		{ "state,run", 0, 1u << LOGC_STATE | 1u << LOGC_RUN },
		{ "http, sync", 0, 1u << LOGC_HTTP | 1u << LOGC_SYNC },
		{ "gateway,", 0, 1u << LOGC_GATEWAY },
		{ "", 0, 0 },
		{ "IMAP", -1, 0 },
		{ "imapx", -1, 0 },
		{ "dns,al", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;

		log_reset();
		err_clear(&e);
		assert_int_equal(log_enable_debug(cases[i].list, &e),
				 cases[i].rc);
		for (int c = 0; c < LOGC_COUNT; c++)
			assert_int_equal(log_debug_on((enum log_cat)c),
					 (cases[i].mask >> c) & 1u);
	}
}

static void test_redact_secret(void **state)
{
	char *s;

	log_add_secret("hunter22");
	log_add_secret("hunter22");	/* twice is fine */
	log_add_secret("ab");		/* too short: ignored */
	log_add_secret("");
	log_add_secret(NULL);
	log_error(LOGC_MAIN, "login with '%s' failed (%s)", "hunter22", "ab");
	log_warn(LOGC_MAIN, "xhunter22hunter22y");
	assert_string_equal(out(state),
			    "migrate: error: login with '<redacted>' failed (ab)\n"
			    "migrate: warning: x<redacted><redacted>y\n");

	/* The longest match wins. */
	log_add_secret("hunter22-long");
	s = log_redact("p=hunter22-long!");
	assert_string_equal(s, "p=<redacted>!");
	free(s);

	log_forget_secrets();
	s = log_redact("p=hunter22");
	assert_string_equal(s, "p=hunter22");
	free(s);
}

static void test_redact_control(void **state)
{
	char *s;

	(void)state;
	s = log_redact("a\tb\x1b[31mc\x7f\r\n");
	assert_string_equal(s, "a?b?[31mc???");
	free(s);
	s = log_redact("caf\xc3\xa9");	/* UTF-8 is left alone */
	assert_string_equal(s, "caf\xc3\xa9");
	free(s);
}

static void test_log_err(void **state)
{
	struct err e;

	err_clear(&e);
	log_add_secret("s3cr3t");
	err_set(&e, ERR_AUTH, RETRY_NEVER, "server said: bad password s3cr3t");
	log_err(&e);
	assert_string_equal(out(state), "migrate: error: server said: bad "
					"password <redacted>\n");
}

struct trace_case {
	char dir;
	const char *line;
	const char *want;	/* NULL: same as line */
};

static void run_trace(void **state, const struct trace_case *tc, size_t n)
{
	struct cap *c = *state;
	struct err e;

	err_clear(&e);
	assert_int_equal(log_enable_debug("imap", &e), 0);
	for (size_t i = 0; i < n; i++) {
		char want[512];
		size_t off;

		fflush(c->fp);
		off = c->len;
		log_trace(LOGC_IMAP, tc[i].dir, tc[i].line, strlen(tc[i].line));
		snprintf(want, sizeof(want), "migrate[imap]: %c: %s\n",
			 tc[i].dir, tc[i].want ? tc[i].want : tc[i].line);
		assert_string_equal(out(state) + off, want);
	}
}

static void test_trace_login(void **state)
{
	static const struct trace_case tc[] = {
		{ 'S', "* OK [CAPABILITY IMAP4rev1] ready", NULL },
		{ 'C', "a1 LOGIN bob hunter2", "a1 LOGIN bob <redacted>" },
		{ 'C', "a1 login \"bob smith\" \"pa ss\\\"w\"",
		  "a1 login \"bob smith\" <redacted>" },
		{ 'C', "a2 LOGIN \"unterminated pass", "a2 LOGIN <redacted>" },
		{ 'S', "a1 OK LOGIN completed", NULL },
		/* Password sent as a literal: the next line is secret. */
		{ 'C', "a3 LOGIN bob {7}", "a3 LOGIN bob <redacted>" },
		{ 'S', "+ Ready for literal data", NULL },
		{ 'C', "hunter2", "<redacted>" },
		{ 'C', "a4 SELECT INBOX", NULL },
		/* User as a literal: both following lines are secret. */
		{ 'C', "a5 LOGIN {3}", NULL },
		{ 'C', "bob {7}", "<redacted>" },
		{ 'C', "hunter2", "<redacted>" },
		{ 'C', "a6 NOOP", NULL },
	};

	run_trace(state, tc, sizeof(tc) / sizeof(tc[0]));
}

static void test_trace_authenticate(void **state)
{
	static const struct trace_case tc[] = {
		/* SASL-IR: everything after the mechanism. */
		{ 'C', "a1 AUTHENTICATE PLAIN AGJvYgBodW50ZXIy",
		  "a1 AUTHENTICATE PLAIN <redacted>" },
		{ 'S', "a1 OK done", NULL },
		{ 'C', "a2 NOOP", NULL },
		/* Continuations: the client's answers are secret. */
		{ 'C', "a3 authenticate XOAUTH2", NULL },
		{ 'S', "+ ", NULL },
		{ 'C', "dXNlcj1ib2IBYXV0aD1CZWFyZXIgeHl6AQE=", "<redacted>" },
		{ 'S', "+ eyJzdGF0dXMiOiI0MDAifQ==", NULL },
		{ 'C', "", "<redacted>" },
		{ 'S', "a3 NO invalid token", NULL },
		{ 'C', "a4 LOGOUT", NULL },
		{ 'C', "DONE", NULL },
	};

	run_trace(state, tc, sizeof(tc) / sizeof(tc[0]));
}

static void test_trace_misc(void **state)
{
	static const char chunk[] = "a1 LOGIN bob pw12345\r\na2 NOOP\r\n";
	struct err e;

	/* Off: nothing printed. */
	log_trace(LOGC_IMAP, 'C', "a0 LOGIN bob pw", 15);
	assert_string_equal(out(state), "");

	err_clear(&e);
	log_enable_debug("imap", &e);
	/* Several lines in one chunk; CRLF stripped. */
	log_trace(LOGC_IMAP, 'C', chunk, strlen(chunk));
	/* Registered secrets are redacted in server lines too. */
	log_add_secret("tok-xyz");
	log_trace(LOGC_IMAP, 'S', "* BYE tok-xyz\x01", 14);
	assert_string_equal(out(state),
			    "migrate[imap]: C: a1 LOGIN bob <redacted>\n"
			    "migrate[imap]: C: a2 NOOP\n"
			    "migrate[imap]: S: * BYE <redacted>?\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progname, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_categories, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_debug_parse_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_redact_secret, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_redact_control, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_login, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace_authenticate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace_misc, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
