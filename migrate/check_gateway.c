/*
 * check_gateway.c -- the gateway checks of "migrate check" (see checks.h).
 *
 * Always: two backends with the same route (the gateway could not tell
 * them apart), and an address to route outside the plan's domains (the
 * plan loader checks the plan's own users; this catches users the state
 * still knows).  When the gateway's configuration exists (DIR/main.cf of
 * config_dir, default /etc/postfix), also against the live Postfix:
 * the map is listed in transport_maps, first; every route's transport
 * is a service in master.cf; no route points at the gateway's own SMTP
 * listener (a loop); no catch-all for a domain (or "*") in any transport
 * map sends mail somewhere other than the default backend, which would
 * hide a user missing from the map; and the map in force answers what
 * the state says.  Host names are compared as written (myhostname,
 * inet_interfaces, proxy_interfaces, localhost): no DNS lookups.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "migrate/app.h"
#include "migrate/checks.h"
#include "migrate/route.h"
#include "plans/plan.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

#define DEFAULT_POSTFIX_DIR "/etc/postfix"

static int same_routes(const struct plan *p)
{
	size_t i, j;
	int nerr = 0;

	for (i = 0; i < p->n_backends; i++)
		for (j = i + 1; j < p->n_backends; j++)
			if (p->backends[i].route && p->backends[j].route &&
			    str_ieq(p->backends[i].route,
				    p->backends[j].route)) {
				log_error(LOGC_MAIN, "gateway: backends '%s' "
					  "and '%s' have the same route '%s': "
					  "the gateway cannot tell them apart",
					  p->backends[i].name,
					  p->backends[j].name,
					  p->backends[i].route);
				nerr++;
			}
	return nerr;
}

static bool in_domains(const struct plan *p, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t i;

	for (i = 0; at && p->domains && p->domains[i]; i++)
		if (str_ieq(at + 1, p->domains[i]))
			return true;
	return false;
}

static int outside_domains(const struct plan *p, const struct route_tables *t)
{
	size_t i;
	int nerr = 0;

	for (i = 0; i < t->transport.n; i++) {
		const char *k = t->transport.v[i].key;

		if (strchr(k, '@') && !in_domains(p, k)) {
			log_error(LOGC_MAIN, "gateway: user '%s' is outside "
				  "the plan's domains", k);
			nerr++;
		}
	}
	for (i = 0; t->absent && t->absent[i]; i++) {
		if (!in_domains(p, t->absent[i])) {
			log_error(LOGC_MAIN, "gateway: user '%s' is outside "
				  "the plan's domains", t->absent[i]);
			nerr++;
		}
	}
	return nerr;
}

/* ---- live checks ------------------------------------------------------- */

/* "type:path" (a leading "proxy:" dropped) into type and path. */
static bool split_map(const char *spec, char **type, char **path)
{
	const char *c;

	if (str_has_prefix(spec, "proxy:"))
		spec += 6;
	c = strchr(spec, ':');
	if (!c || c == spec || spec[0] == '{')
		return false;
	*type = xstrndup(spec, (size_t)(c - spec));
	*path = xstrdup(c + 1);
	return true;
}

static int map_listed(const struct plan *p, const struct gateway_info *info)
{
	const char *type = plan_map_type_name(p->gateway.map_type);
	char *ours = route_map_path(p->gateway.map);
	size_t i;
	int found = -1;

	for (i = 0; info->maps && info->maps[i] && found < 0; i++) {
		char *t, *path, *abs;

		if (!split_map(info->maps[i], &t, &path))
			continue;
		abs = route_map_path(path);
		if (!strcmp(t, type) && !strcmp(abs, ours))
			found = (int)i;
		free(t);
		free(path);
		free(abs);
	}
	free(ours);
	if (found < 0) {
		log_error(LOGC_MAIN, "gateway: transport_maps does not list "
			  "'%s:%s' (list it first: transport_maps = %s:%s, "
			  "<site maps>)", type, p->gateway.map, type,
			  p->gateway.map);
		return 1;
	}
	if (found > 0) {
		log_error(LOGC_MAIN, "gateway: transport_maps lists "
			  "'%s:%s' after '%s': an entry there would win over "
			  "migrate's routes; list migrate's map first", type,
			  p->gateway.map, info->maps[0]);
		return 1;
	}
	return 0;
}

static bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (str_ieq(*v, s))
			return true;
	return false;
}


static bool is_loopback(const char *h)
{
	return str_has_prefix(h, "127.") || !strcmp(h, "::1") ||
	       !strcmp(h, "localhost");
}

static int services_and_loops(const struct plan *p,
			      const struct gateway_info *info)
{
	size_t i, j;
	int nerr = 0;

	for (i = 0; i < p->n_backends; i++) {
		const struct plan_backend *b = &p->backends[i];
		size_t tl = strcspn(b->route, ":");
		char *transport = xstrndup(b->route, tl), *host = NULL;
		unsigned port;
		bool bracketed;

		if (!strv_has(info->services, transport)) {
			log_error(LOGC_MAIN, "gateway: backend '%s': route "
				  "'%s' uses transport '%s', which is not a "
				  "service in the gateway's master.cf",
				  b->name, b->route, transport);
			nerr++;
		}
		free(transport);
		if (route_target(b->route, &host, &port, &bracketed) < 0)
			continue;
		for (j = 0; info->listeners && info->listeners[j]; j++) {
			const char *l = info->listeners[j];
			const char *c = strrchr(l, ':');
			char *lh = xstrndup(l, (size_t)(c - l));
			bool self = !strcmp(lh, host) ||
				    strv_has(info->own_names, host) ||
				    (!strcmp(lh, "*") && is_loopback(host));

			if (self && atol(c + 1) == (long)port) {
				log_error(LOGC_MAIN, "gateway: backend '%s': "
					  "route '%s' points at the gateway's "
					  "own SMTP listener '%s' (a mail "
					  "loop)", b->name, b->route, l);
				nerr++;
				free(lh);
				break;
			}
			free(lh);
		}
		free(host);
	}
	return nerr;
}

/* Catch-alls (a domain of the plan, or "*") in every transport map.
 * Returns the number of errors; *any is set when one exists. */
static int catch_alls(const struct plan *p, struct gateway *gw,
		      const struct gateway_info *info, bool *any)
{
	const struct plan_backend *def = NULL;
	char **keys = NULL, **vals;
	size_t i, j, n;
	int nerr = 0;

	for (i = 0; i < p->n_backends; i++)
		if (p->backends[i].is_default)
			def = &p->backends[i];
	for (i = 0; p->domains && p->domains[i]; i++)
		strv_push(&keys, p->domains[i]);
	strv_push(&keys, "*");
	n = strv_len(keys);
	vals = xcalloc(n, sizeof *vals);
	for (i = 0; info->maps && info->maps[i]; i++) {
		char *type, *path;
		struct err e;

		if (!split_map(info->maps[i], &type, &path))
			continue;
		err_clear(&e);
		if (gateway_lookup(gw, type, path, keys, n, vals, &e) < 0) {
			log_warn(LOGC_MAIN, "gateway: cannot look for "
				 "catch-all entries in '%s': %s",
				 info->maps[i], e.msg);
		}
		for (j = 0; j < n; j++) {
			if (!vals[j])
				continue;
			*any = true;
			if (!def) {
				log_error(LOGC_MAIN, "gateway: '%s' in '%s' "
					  "routes any address missing from "
					  "migrate's map to '%s', hiding it "
					  "(the plan has no default backend, "
					  "so every user needs a line)",
					  keys[j], info->maps[i], vals[j]);
				nerr++;
			} else if (!str_ieq(vals[j], def->route)) {
				log_error(LOGC_MAIN, "gateway: '%s' in '%s' "
					  "routes to '%s', but users without a "
					  "line in migrate's map live on the "
					  "default backend '%s' (route '%s'): "
					  "their mail would go astray",
					  keys[j], info->maps[i], vals[j],
					  def->name, def->route);
				nerr++;
			} else {
				log_info(LOGC_MAIN, "gateway: '%s' in '%s' "
					 "routes to the default backend '%s'",
					 keys[j], info->maps[i], def->name);
			}
			vals[j] = x_free(vals[j]);
		}
		free(type);
		free(path);
	}
	free(vals);
	strv_free(keys);
	return nerr;
}

static int live_checks(struct app *app)
{
	const struct plan *p = app->plan;
	struct gateway_info info = { 0 };
	struct gateway *gw;
	struct err err;
	bool any = false;
	int nerr = 0;

	err_clear(&err);
	if (!(gw = route_gateway_new(p, &err)) ||
	    gateway_describe(gw, &info, &err) < 0) {
		log_error(LOGC_MAIN, "gateway: %s", err.msg);
		gateway_free(gw);
		return 1;
	}
	nerr += map_listed(p, &info);
	nerr += services_and_loops(p, &info);
	nerr += catch_alls(p, gw, &info, &any);
	err_clear(&err);
	if (route_verify(app, &err) < 0) {
		if (any) {
			log_error(LOGC_MAIN, "gateway: the map in force does "
				  "not match where users live, and a "
				  "catch-all hides it: %s ('migrate gateway' "
				  "writes it)", err.msg);
			nerr++;
		} else {
			log_warn(LOGC_MAIN, "gateway: the map in force does "
				 "not match where users live: %s ('migrate "
				 "gateway' writes it)", err.msg);
		}
	}
	gateway_info_release(&info);
	gateway_free(gw);
	return nerr;
}

int check_gateway(struct app *app)
{
	const struct plan *p = app->plan;
	const char *dir;
	struct route_tables t;
	struct err err;
	char *maincf;
	int nerr = same_routes(p), rc;

	if (!p->gateway.present)
		return nerr;
	rc = app_open_state(app, false);
	if (rc > 1)
		return nerr + 1;
	err_clear(&err);
	if (route_render(p, app->state, &t, &err) < 0) {
		log_error(LOGC_MAIN, "gateway: %s", err.msg);
		return nerr + 1;
	}
	nerr += outside_domains(p, &t);
	route_tables_release(&t);

	dir = p->gateway.config_dir ? p->gateway.config_dir :
				      DEFAULT_POSTFIX_DIR;
	maincf = xasprintf("%s/main.cf", dir);
	if (access(maincf, F_OK) != 0)
		log_info(LOGC_MAIN, "gateway: checks against the live "
			 "Postfix configuration skipped: '%s' does not "
			 "exist", maincf);
	else
		nerr += live_checks(app);
	free(maincf);
	return nerr;
}
