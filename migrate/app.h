/*
 * app.h -- the one object every command gets: options, the plan, the
 * state store, the output stream.  No hidden globals (the logger aside,
 * see util/log.h).
 */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stdio.h>

struct plan;
struct state;

enum app_format {
	FORMAT_TABLE = 0, FORMAT_CSV, FORMAT_JSON, FORMAT_MARKDOWN,
	FORMAT_HTML,
};

struct app_opts {
	bool dry_run, force, wait, json, live, color;
	bool recheck, verify;		/* sync --recheck, --verify */
	int verbose;			/* -v count; -1 for -q */
	const char *phase;		/* --phase */
	const char *user;		/* --user */
	const char *state_path;		/* --state overrides the plan */
	unsigned jobs;			/* --jobs, 0: default */
	enum app_format format;
	bool format_set;
};

struct app {
	struct app_opts opt;
	const char *command;		/* "check", "report", ... */
	const char *plan_path;
	struct plan *plan;		/* owned, loaded by app_load_plan */
	struct state *state;		/* owned, opened by app_open_state */
	FILE *out;			/* stdout */
	bool tty;			/* out is a terminal */
};

/* Load app->plan_path, printing every diagnostic to stderr.  Returns 0, or
 * an exit code (65 for a bad plan, 74 when it cannot be read). */
int app_load_plan(struct app *app);
/* Open the plan's state store.  create: make it if missing.  Returns 0,
 * 1 when it does not exist and !create, or an exit code after printing
 * the error. */
int app_open_state(struct app *app, bool create);
/* The state file path in force (--state, else the plan's). */
const char *app_state_path(const struct app *app);

#endif
