/*
 * main.c -- process set-up, the command table and option parsing.
 *
 *	migrate [GLOBAL OPTIONS] COMMAND PLAN [OPTIONS]
 *	migrate [GLOBAL OPTIONS] PLAN [OPTIONS]		(same as "run")
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate/app.h"
#include "migrate/cmds.h"
#include "plans/plan.h"
#include "migrate/state.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define MIGRATE_VERSION "0.1.0"

/* Options a command accepts (bit set per command). */
enum {
	O_DRYRUN = 1 << 0, O_PHASE = 1 << 1, O_USER = 1 << 2, O_JOBS = 1 << 3,
	O_WAIT = 1 << 4, O_FORCE = 1 << 5, O_FORMAT = 1 << 6, O_JSON = 1 << 7,
	O_STATE = 1 << 8, O_LIVE = 1 << 9, O_RECHECK = 1 << 10,
	O_VERIFY = 1 << 11,
};

struct command {
	const char *name;
	int (*fn)(struct app *, int, char **);
	unsigned opts;
	int max_args;		/* words after the plan */
	const char *summary;
	const char *usage;
};

static const struct command commands[] = {
	{ "check", cmd_check, O_JSON | O_LIVE | O_STATE, 0,
	  "validate the plan and change nothing",
	  "migrate check PLAN [--live] [--json]\n"
	  "\n"
	  "Load and validate the plan: every key, type and cross-reference\n"
	  "(backends, groups, users, phases, DNS records, the MX layout).\n"
	  "Every problem is printed as FILE:LINE:COL: message before\n"
	  "stopping.  Exit 0 when the plan is valid, 65 when it is not.\n"
	  "\n"
	  "--live also asks the real servers, changing nothing: the MX\n"
	  "records on every authoritative server, their TTL, the MX hosts'\n"
	  "addresses and reverse DNS, SMTP banners, STARTTLS and\n"
	  "certificates, backup MX recipient checks (RCPT probes, never\n"
	  "DATA), the gateway's routes, loops, queue and disk, SPF and\n"
	  "MTA-STS.  One OK / WARN / FAIL / SKIP line per finding.  Exit 69\n"
	  "when one FAILs.\n" },
	{ "run", cmd_run, O_DRYRUN | O_PHASE | O_JOBS | O_WAIT | O_FORCE |
			  O_STATE, 0,
	  "run the next (or named) phase; resumable",
	  "migrate run PLAN [--phase NAME] [--jobs N] [--dry-run] [--wait] "
	  "[--force]\n"
	  "\n"
	  "Run the next pending phase, or the named one, through its steps.\n"
	  "(Arrives with the phase engine: this build exits 69.)\n" },
	{ "sync", cmd_sync, O_DRYRUN | O_PHASE | O_USER | O_JOBS | O_STATE |
			    O_RECHECK | O_VERIFY, 0,
	  "pre-stage / delta IMAP sync only (cron-able)",
	  "migrate sync PLAN [--phase NAME | --user ADDRESS] [--jobs N] "
	  "[--dry-run]\n"
	  "                  [--recheck | --verify]\n"
	  "\n"
	  "Copy mail for a phase's users (or one user) from the phase's\n"
	  "'from' backend to its 'to' backend, without routing changes:\n"
	  "folders (special-use mapped), messages byte for byte with flags,\n"
	  "keywords and dates, then only what is new or changed.  Resumable:\n"
	  "a re-run never copies a message twice.  Default: the first phase\n"
	  "not done.  --dry-run lists per user and folder what would be\n"
	  "copied.  When nothing moved on the source since a sync that left\n"
	  "the destination complete, a user costs one session to the source\n"
	  "and none to the destination; --recheck examines both sides anyway.\n"
	  "--verify copies nothing: it compares both sides per folder and\n"
	  "lists every difference (a difference makes the next sync examine\n"
	  "both sides).  Exit 0; 3 when some users failed or differ; 75 when\n"
	  "a server could not be reached (run again to resume).\n" },
	{ "rollback", cmd_rollback, O_DRYRUN | O_PHASE | O_FORCE | O_STATE, 0,
	  "undo a phase, losing no mail",
	  "migrate rollback PLAN --phase NAME [--dry-run]\n"
	  "\n"
	  "Route the phase's users back, copy back what arrived after\n"
	  "cutover, undo DNS changes.  (Arrives with the phase engine: this\n"
	  "build exits 69.)\n" },
	{ "report", cmd_report, O_FORMAT | O_JSON | O_STATE, 0,
	  "who lives where",
	  "migrate report PLAN [--format table|csv|json|markdown|html]\n"
	  "\n"
	  "Per user: address, group, the backend where the user lives now,\n"
	  "phase, state, last sync, messages and bytes on each side, last\n"
	  "error; then per phase, the users by state.  Before any run every\n"
	  "user is shown where the plan says it starts.  Reads the state\n"
	  "store and never changes it.\n" },
	{ "status", cmd_status, O_JSON | O_STATE, 0,
	  "progress of the current or last run",
	  "migrate status PLAN [--json]\n"
	  "\n"
	  "The current or last run, phase by phase and step by step, with\n"
	  "counts and errors, and anything left half-done (a TTL still\n"
	  "lowered, a step started but not finished, failed users).\n" },
	{ "log", cmd_log, O_JSON | O_STATE, 0,
	  "the audit trail of every change",
	  "migrate log PLAN [--json]\n"
	  "\n"
	  "Every change recorded in the state store, oldest first.\n" },
	{ "gateway", cmd_gateway, O_DRYRUN | O_FORCE | O_STATE, 0,
	  "write the routing table for where users live now",
	  "migrate gateway PLAN [--dry-run] [--force]\n"
	  "\n"
	  "Render the split-delivery routing table from the state, write it\n"
	  "atomically, build it, reload the gateway and verify it.  A map\n"
	  "edited by hand stops it (the diff is shown) unless --force.  With\n"
	  "--dry-run, print the unified diff and change nothing.\n" },
	{ "dns", cmd_dns, O_DRYRUN | O_PHASE | O_WAIT | O_FORCE | O_STATE, 1,
	  "lower, change, restore or verify the plan's DNS records",
	  "migrate dns PLAN lower|change|restore|rollback|verify "
	  "[--phase NAME] [--dry-run] [--wait]\n"
	  "\n"
	  "lower: save each record's original data and TTL, set the low TTL\n"
	  "(the records the phase changes, or every managed record).\n"
	  "change: the phase's dns_change, once the old TTL has expired from\n"
	  "every cache (exit 75 saying when, or --wait).  restore: the\n"
	  "original TTLs back.  rollback: the phase's original records and\n"
	  "TTLs back.  verify: ask every authoritative server.  Each one is\n"
	  "checked on every server and can be run again after any failure.\n" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage_main(FILE *fp)
{
	size_t i;

	fprintf(fp,
		"usage: migrate [-v|-q] [-D CATS] COMMAND PLAN [OPTIONS]\n"
		"       migrate PLAN [OPTIONS]          (same as 'run')\n"
		"\n"
		"Move a domain's mailboxes between mail platforms in phases,\n"
		"with split delivery through a gateway.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(fp,
		"\n"
		"Global options:\n"
		"  -v, --verbose     more output (info lines)\n"
		"  -q, --quiet       errors only\n"
		"  -D, --debug CATS  debug categories: main,plan,state,imap,"
		"sync,dns,\n"
		"                    gateway,run,http,smtp or all\n"
		"  -h, --help        this help; 'migrate help COMMAND' for one "
		"command\n"
		"      --version     print the version\n"
		"\n"
		"Exit codes: 0 ok, 3 finished but some users failed, 64 usage,\n"
		"65 bad plan, 69 unavailable, 70 internal error, 73/74 state or\n"
		"I/O, 75 temporary failure (run again to resume), 77 "
		"permission\n"
		"refused, 78 configuration.  See migrate(1), migrate-plan(5).\n");
}

static void usage_command(const struct command *c, FILE *fp)
{
	fprintf(fp, "usage: %s", c->usage);
	fprintf(fp, "\nOptions:\n");
	if (c->opts & O_DRYRUN)
		fprintf(fp, "  -n, --dry-run     show what would change; "
			    "change nothing\n");
	if (c->opts & O_PHASE)
		fprintf(fp, "  -p, --phase NAME  the phase to act on\n");
	if (c->opts & O_USER)
		fprintf(fp, "  -u, --user ADDR   one user only\n");
	if (c->opts & O_JOBS)
		fprintf(fp, "  -j, --jobs N      users synced in parallel\n");
	if (c->opts & O_WAIT)
		fprintf(fp, "      --wait        wait for DNS TTLs to expire "
			    "instead of exiting 75\n");
	if (c->opts & O_FORCE)
		fprintf(fp, "      --force       override safety checks "
			    "(with a warning)\n");
	if (c->opts & O_FORMAT)
		fprintf(fp, "  -f, --format F    table, csv, json, markdown "
			    "(the runbook) or html (one\n"
			    "                    self-contained page)\n");
	if (c->opts & O_JSON)
		fprintf(fp, "      --json        machine-readable output\n");
	if (c->opts & O_STATE)
		fprintf(fp, "      --state PATH  use this state file instead "
			    "of the plan's\n");
	if (c->opts & O_LIVE)
		fprintf(fp, "      --live        also check the live servers "
			    "(DNS, SMTP, gateway)\n");
	if (c->opts & O_RECHECK)
		fprintf(fp, "      --recheck     examine both sides even when "
			    "the source shows no change\n");
	if (c->opts & O_VERIFY)
		fprintf(fp, "      --verify      compare both sides, list every "
			    "difference; copy nothing\n");
	fprintf(fp, "  -h, --help        this help\n");
}

static int parse_format(const char *s, enum app_format *f)
{
	static const char *const names[] = { "table", "csv", "json",
					     "markdown", "html" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		if (strcmp(s, names[i]) == 0) {
			*f = (enum app_format)i;
			return 0;
		}
	}
	if (strcmp(s, "md") == 0) {
		*f = FORMAT_MARKDOWN;
		return 0;
	}
	return -1;
}

/* Parse the command's options, anywhere after the command word. */
static int parse_command_opts(const struct command *c, struct app *app,
			      int argc, char **argv, int *first_arg)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "phase", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "wait", no_argument, NULL, 'W' },
		{ "force", no_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "state", required_argument, NULL, 'S' },
		{ "live", no_argument, NULL, 'L' },
		{ "recheck", no_argument, NULL, 'R' },
		{ "verify", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct { int ch; unsigned bit; const char *name; } gate[] = {
		{ 'n', O_DRYRUN, "--dry-run" }, { 'p', O_PHASE, "--phase" },
		{ 'u', O_USER, "--user" },	{ 'j', O_JOBS, "--jobs" },
		{ 'W', O_WAIT, "--wait" },	{ 'F', O_FORCE, "--force" },
		{ 'f', O_FORMAT, "--format" },	{ 'J', O_JSON, "--json" },
		{ 'S', O_STATE, "--state" },	{ 'L', O_LIVE, "--live" },
		{ 'R', O_RECHECK, "--recheck" }, { 'V', O_VERIFY, "--verify" },
	};
	unsigned long long n;
	struct err err;
	size_t i;
	int ch;

	err_clear(&err);
	optind = 1;
	opterr = 0;
	/* "+" would stop at the first non-option; we permute (GNU default)
	 * so options may come before or after the plan file. */
	while ((ch = getopt_long(argc, argv, ":np:u:j:f:hvqD:", longopts,
				 NULL)) != -1) {
		for (i = 0; i < sizeof gate / sizeof *gate; i++) {
			if (gate[i].ch == ch && !(c->opts & gate[i].bit)) {
				fprintf(stderr,
					"migrate %s: option '%s' does not "
					"apply to this command\n",
					c->name, gate[i].name);
				return EXIT_USAGE;
			}
		}
		switch (ch) {
		case 'n': app->opt.dry_run = true; break;
		case 'p': app->opt.phase = optarg; break;
		case 'u': app->opt.user = optarg; break;
		case 'W': app->opt.wait = true; break;
		case 'F': app->opt.force = true; break;
		case 'J': app->opt.json = true; break;
		case 'S': app->opt.state_path = optarg; break;
		case 'L': app->opt.live = true; break;
		case 'R': app->opt.recheck = true; break;
		case 'V': app->opt.verify = true; break;
		case 'v': app->opt.verbose++; break;
		case 'q': app->opt.verbose = -1; break;
		case 'j':
			if (str_to_uint(optarg, 1, 256, &n) < 0) {
				fprintf(stderr, "migrate %s: --jobs must be a "
					"number from 1 to 256\n", c->name);
				return EXIT_USAGE;
			}
			app->opt.jobs = (unsigned)n;
			break;
		case 'f':
			if (parse_format(optarg, &app->opt.format) < 0) {
				fprintf(stderr, "migrate %s: unknown format "
					"'%s' (table, csv, json, markdown, html)\n",
					c->name, optarg);
				return EXIT_USAGE;
			}
			app->opt.format_set = true;
			break;
		case 'D':
			if (log_enable_debug(optarg, &err) < 0) {
				fprintf(stderr, "migrate: %s\n", err.msg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage_command(c, stdout);
			return -1;
		case ':':
			fprintf(stderr, "migrate %s: option '%s' needs a "
				"value\n", c->name, argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "migrate %s: unknown option '%s' "
				"(see 'migrate %s --help')\n", c->name,
				argv[optind - 1], c->name);
			return EXIT_USAGE;
		}
	}
	*first_arg = optind;
	return 0;
}

/* fds 0-2 must be open, or a later open() could become stdout. */
static void sanitize_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		if (fd > 2) {
			close(fd);
			break;
		}
		(void)fcntl(fd, F_SETFD, 0);
	}
}

int main(int argc, char **argv)
{
	struct app app;
	const struct command *c = NULL;
	int rc, first = 1, nargs;
	char **args;
	static char cmdword[32];

	sanitize_fds();
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	log_set_progname("migrate");

	memset(&app, 0, sizeof app);
	app.out = stdout;
	app.tty = isatty(STDOUT_FILENO);
	app.opt.color = app.tty && !getenv("NO_COLOR");

	/* Global options before the command word. */
	while (first < argc && argv[first][0] == '-') {
		const char *a = argv[first];
		struct err err;

		err_clear(&err);
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage_main(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("migrate %s\n", MIGRATE_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			app.opt.verbose++;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			app.opt.verbose = -1;
		} else if ((!strcmp(a, "-D") || !strcmp(a, "--debug")) &&
			   first + 1 < argc) {
			if (log_enable_debug(argv[++first], &err) < 0) {
				fprintf(stderr, "migrate: %s\n", err.msg);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "migrate: unknown option '%s' (see "
				"'migrate --help')\n", a);
			return EXIT_USAGE;
		}
		first++;
	}
	if (first >= argc) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[first], "help")) {
		if (first + 1 < argc) {
			c = find_command(argv[first + 1]);
			if (!c) {
				fprintf(stderr, "migrate: unknown command "
					"'%s'\n", argv[first + 1]);
				return EXIT_USAGE;
			}
			usage_command(c, stdout);
		} else {
			usage_main(stdout);
		}
		return EXIT_OK;
	}
	c = find_command(argv[first]);
	if (c) {
		first++;
	} else if (str_has_suffix(argv[first], ".yaml") ||
		   str_has_suffix(argv[first], ".yml") ||
		   access(argv[first], F_OK) == 0) {
		c = find_command("run");	/* "migrate plan.yaml" */
	} else {
		const char *names[N_COMMANDS];
		const char *hint;
		size_t i;

		for (i = 0; i < N_COMMANDS; i++)
			names[i] = commands[i].name;
		hint = str_closest(argv[first], names, N_COMMANDS);
		fprintf(stderr, "migrate: unknown command '%s'%s%s%s (see "
			"'migrate --help')\n", argv[first],
			hint ? " (did you mean '" : "", hint ? hint : "",
			hint ? "'?)" : "");
		return EXIT_USAGE;
	}
	app.command = c->name;

	/* The rest: options and the plan file, in any order. */
	args = argv + first - 1;
	nargs = argc - first + 1;
	snprintf(cmdword, sizeof cmdword, "%s", c->name);
	args[0] = cmdword;	/* getopt's messages and optind start here */
	rc = parse_command_opts(c, &app, nargs, args, &first);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (app.opt.verbose < 0)
		log_set_level(LOG_ERROR);
	else if (app.opt.verbose > 0)
		log_set_level(LOG_INFO);
	if (first >= nargs) {
		fprintf(stderr, "migrate %s: no plan file given\n"
			"usage: %s", c->name, c->usage);
		return EXIT_USAGE;
	}
	app.plan_path = args[first++];
	if (nargs - first > c->max_args) {
		fprintf(stderr, "migrate %s: unexpected argument '%s'\n",
			c->name, args[first]);
		return EXIT_USAGE;
	}
	rc = c->fn(&app, nargs - first, args + first);
	app.state = state_close(app.state);
	app.plan = plan_free(app.plan);
	log_forget_secrets();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "migrate: error writing output: %s\n",
			strerror(errno));
		if (rc == EXIT_OK)
			rc = EXIT_IOERR;
	}
	return rc;
}
