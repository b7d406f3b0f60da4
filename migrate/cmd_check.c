/*
 * cmd_check.c -- "migrate check": static validation of a plan, and with
 * --live the checks against the real servers (check_live.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/app.h"
#include "migrate/checks.h"
#include "migrate/cmds.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

static void print_summary(struct app *app)
{
	const struct plan *p = app->plan;
	FILE *out = app->out;
	size_t i, j;
	int w = 8;

	for (i = 0; i < p->n_backends; i++)
		if ((int)strlen(p->backends[i].name) > w)
			w = (int)strlen(p->backends[i].name);
	for (i = 0; i < p->n_phases; i++)
		if ((int)strlen(p->phases[i].name) > w)
			w = (int)strlen(p->phases[i].name);
	fprintf(out, "plan '%s' is valid\n", app->plan_path);
	fprintf(out, "  migration  %s\n", p->migration);
	fprintf(out, "  domains   ");
	for (i = 0; p->domains && p->domains[i]; i++)
		fprintf(out, " %s", p->domains[i]);
	fprintf(out, "\n  state      %s\n", app_state_path(app));
	fprintf(out, "  backends   %zu\n", p->n_backends);
	for (i = 0; i < p->n_backends; i++) {
		const struct plan_backend *b = &p->backends[i];

		fprintf(out, "    %-*s  imap %s:%u (%s)", w, b->name, b->host,
			b->port, plan_tls_name(b->tls));
		if (b->bandwidth)
			fprintf(out, ", bandwidth %llu bytes/s",
				(unsigned long long)b->bandwidth);
		fprintf(out, ", login %s",
			plan_login_method_name(b->login_method));
		if (b->login_method == PLAN_LOGIN_MASTER &&
		    b->master_form == PLAN_MASTER_SEPARATOR)
			fprintf(out, " (LOGIN user%s%s)", b->master_separator,
				b->login_user);
		fprintf(out, ", route %s%s\n", b->route,
			b->is_default ? ", default" : "");
	}
	fprintf(out, "  users      %zu in %zu group%s\n", p->n_users,
		p->n_groups, p->n_groups == 1 ? "" : "s");
	fprintf(out, "  phases     %zu\n", p->n_phases);
	for (i = 0; i < p->n_phases; i++) {
		const struct plan_phase *ph = &p->phases[i];

		fprintf(out, "    %-*s  %zu user%s, %s -> %s", w, ph->name,
			ph->n_users, ph->n_users == 1 ? "" : "s",
			p->backends[ph->from].name, p->backends[ph->to].name);
		for (j = 0; j < ph->n_dns_change; j++)
			fprintf(out, "%s%s %s", j ? ", " : ", dns change ",
				ph->dns_change[j].key.name,
				ph->dns_change[j].key.type);
		fprintf(out, "%s\n", ph->expunge ? ", expunge" : "");
	}
	if (p->gateway.present)
		fprintf(out, "  gateway    %s %s:%s\n", p->gateway.kind,
			plan_map_type_name(p->gateway.map_type), p->gateway.map);
	if (p->dns.present)
		fprintf(out, "  dns        %s zone %s, %zu record%s managed, "
			"low ttl %u\n", plan_dns_provider_name(p->dns.provider),
			p->dns.zone, p->dns.n_manage,
			p->dns.n_manage == 1 ? "" : "s", p->dns.low_ttl);
	if (p->dns.present && p->dns.mx.present) {
		const struct plan_mx *mx = &p->dns.mx;

		fprintf(out, "  mx         %s", mx->name);
		for (i = 0; i < mx->n_hosts; i++)
			fprintf(out, "%s %u %s (%s)", i ? "," : "",
				mx->hosts[i].preference, mx->hosts[i].host,
				plan_mx_role_name(mx->hosts[i].role));
		fprintf(out, "; after the last phase");
		for (i = 0; i < mx->n_final; i++)
			fprintf(out, "%s %u %s", i ? "," : "",
				mx->final[i].preference, mx->final[i].host);
		fprintf(out, "\n");
	}
}

static void print_json(struct app *app, const struct plan_diags *d, bool ok)
{
	struct json *root = json_object_new();
	struct json *arr = json_array_new();
	char *s;
	size_t i;

	json_set_str(root, "plan", app->plan_path);
	json_set_bool(root, "valid", ok);
	for (i = 0; i < d->n; i++) {
		struct json *o = json_object_new();

		json_set_str(o, "file", d->v[i].file);
		json_set_int(o, "line", d->v[i].line);
		json_set_int(o, "column", d->v[i].col);
		json_set_str(o, "severity",
			     d->v[i].warning ? "warning" : "error");
		json_set_str(o, "message", d->v[i].msg);
		json_append(arr, o);
	}
	json_set(root, "diagnostics", arr);
	if (ok) {
		json_set_int(root, "users", (long long)app->plan->n_users);
		json_set_int(root, "phases", (long long)app->plan->n_phases);
		json_set_int(root, "backends",
			     (long long)app->plan->n_backends);
	}
	s = json_dump(root, true);
	fprintf(app->out, "%s\n", s);
	free(s);
	json_free(root);
}

/*
 * --live: the gateway and DNS checks (messages on stderr; not with
 * --json, as without --live), then the live list.  Exit 65 when those
 * checks found errors, else 69 when a live check failed.
 */
static int check_with_live(struct app *app, struct plan_diags *diags)
{
	int nerr = 0, nfail;

	plan_diags_print(diags, stderr);
	plan_diags_release(diags);
	if (!app->opt.json)
		nerr = check_gateway(app) + check_dns(app);
	nfail = check_live(app);
	if (nerr > 0) {
		log_error(LOGC_MAIN, "'%s': %d error%s in the checks",
			  app->plan_path, nerr, nerr == 1 ? "" : "s");
		return EXIT_DATAERR;
	}
	if (nfail > 0) {
		log_error(LOGC_MAIN, "'%s': %d live check%s failed",
			  app->plan_path, nfail, nfail == 1 ? "" : "s");
		return EXIT_UNAVAILABLE;
	}
	return EXIT_OK;
}

int cmd_check(struct app *app, int argc, char **argv)
{
	struct plan_diags diags;
	struct err err;
	int rc;

	(void)argc, (void)argv;
	err_clear(&err);
	plan_diags_init(&diags);
	rc = plan_load(app->plan_path, &app->plan, &diags, &err);
	if (rc == 0 && app->opt.live)
		return check_with_live(app, &diags);
	if (rc == 0 && !app->opt.json) {
		int nerr = check_gateway(app) + check_dns(app);

		if (nerr > 0) {
			plan_diags_print(&diags, stderr);
			plan_diags_release(&diags);
			log_error(LOGC_MAIN, "'%s': %d error%s in the checks",
				  app->plan_path, nerr, nerr == 1 ? "" : "s");
			return EXIT_DATAERR;
		}
	}
	if (app->opt.json) {
		print_json(app, &diags, rc == 0);
	} else {
		plan_diags_print(&diags, stderr);
		if (rc == 0)
			print_summary(app);
		else
			log_err(&err);
	}
	plan_diags_release(&diags);
	if (rc < 0)
		return err.cat == ERR_PLAN ? EXIT_DATAERR : err_exit_code(&err);
	return EXIT_OK;
}
