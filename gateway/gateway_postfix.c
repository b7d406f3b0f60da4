/*
 * gateway_postfix.c -- the "postfix" gateway kind: transport maps built
 * with postmap, queried with "postmap -q -", the configuration read with
 * postconf.  Every program runs by argv with the gateway's timeout and
 * "-c CONFIG_DIR" when the plan names one.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway_int.h"

extern char **environ;
#include "util/json.h"
#include "util/log.h"
#include "util/run.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#define PF_MAX_OUTPUT ((size_t)256 << 20)

static const char *const pf_types[] = { "lmdb", "cdb", "hash", "texthash" };
static const char *const pf_suffixes[] = { ".lmdb", ".cdb", ".db", NULL };
#define N_TYPES (sizeof pf_types / sizeof pf_types[0])

static int pf_type_index(const char *type)
{
	size_t i;

	for (i = 0; type && i < N_TYPES; i++)
		if (strcmp(pf_types[i], type) == 0)
			return (int)i;
	return -1;
}

static int pf_check_config(const struct gateway_config *cfg, struct err *err)
{
	if (pf_type_index(cfg->map_type) < 0)
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "postfix gateway: map type '%s' is not "
			       "supported (lmdb, cdb, hash or texthash)",
			       cfg->map_type ? cfg->map_type : "");
	if (cfg->config_dir && !*cfg->config_dir)
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "postfix gateway: empty config folder");
	return 0;
}

static const char *pf_index_suffix(const struct gateway *gw)
{
	return pf_suffixes[pf_type_index(gw->cfg.map_type)];
}

/* argv: PROG [-c DIR] ARGS...: a new strv (strv_free it). */
static char **pf_argv(const struct gateway *gw, const char *prog,
		      const char *const *args)
{
	char **v = NULL;
	size_t n;

	strv_push(&v, prog);
	if (gw->cfg.config_dir) {
		strv_push(&v, "-c");
		strv_push(&v, gw->cfg.config_dir);
	}
	for (n = 0; args[n]; n++)
		strv_push(&v, args[n]);
	return v;
}

/* Run argv; 0 when it ran and exited 0, else -1 (err names the program,
 * its status and the first line it wrote to stderr). */
static int pf_run_env(struct gateway *gw, char *const *argv,
		      const char *input, size_t input_len, const char *cwd,
		      char *const *env, struct run_result *r, struct err *err)
{
	struct run_opts o = { 0 };

	o.env = env;

	o.input = input;
	o.input_len = input_len;
	o.timeout_ms = gw->cfg.timeout_ms;
	o.max_output = PF_MAX_OUTPUT;
	o.cwd = cwd;
	if (log_debug_on(LOGC_GATEWAY)) {
		char *d = run_describe(argv);

		log_debug(LOGC_GATEWAY, "run %s", d);
		free(d);
	}
	if (run_argv(argv, &o, r, err) < 0)
		return -1;
	return run_check(argv, r, err);
}

static int pf_run(struct gateway *gw, char *const *argv, const char *input,
		  size_t input_len, const char *cwd, struct run_result *r,
		  struct err *err)
{
	return pf_run_env(gw, argv, input, input_len, cwd, NULL, r, err);
}

static int pf_build(struct gateway *gw, const char *path, struct err *err)
{
	char *spec = xasprintf("%s:%s", gw->cfg.map_type, path);
	const char *args[] = { spec, NULL };
	char **argv = pf_argv(gw, gw->cfg.postmap, args);
	struct run_result r;
	int rc;

	run_result_init(&r);
	rc = pf_run(gw, argv, NULL, 0, NULL, &r, err);
	if (rc < 0)
		err_prefix(err, "cannot build map '%s'", spec);
	run_result_release(&r);
	strv_free(argv);
	free(spec);
	return rc;
}

/* The first line of stderr that says "fatal:" or "error:", or NULL. */
static const char *pf_fatal(const struct sbuf *errout)
{
	const char *p = errout->buf;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		char *line = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
		bool bad = strstr(line, "fatal:") || strstr(line, "error:");

		free(line);
		if (bad)
			return p;
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static int pf_lookup(struct gateway *gw, const char *type, const char *path,
		     char *const *keys, size_t n, char **values,
		     struct err *err)
{
	char *spec = xasprintf("%s:%s", type, path);
	const char *args[] = { "-q", "-", spec, NULL };
	char **argv = pf_argv(gw, gw->cfg.postmap, args);
	struct strmap *index = strmap_new();
	size_t *next = xcalloc(n + 1, sizeof *next), i;
	struct run_result r;
	struct sbuf in;
	const char *fatal, *p;
	int rc = -1;

	run_result_init(&r);
	sbuf_init(&in, SBUF_MAX_DEFAULT);
	for (i = 0; i < n; i++) {
		void *prev;

		if (!keys[i][0] || strpbrk(keys[i], "\r\n")) {
			err_set(err, ERR_INTERNAL, RETRY_NEVER,
				"lookup in '%s': bad key", spec);
			goto out;
		}
		if (sbuf_addstr(&in, keys[i]) < 0 || sbuf_addch(&in, '\n') < 0) {
			err_set(err, ERR_INTERNAL, RETRY_NEVER,
				"lookup in '%s': too many keys", spec);
			goto out;
		}
		/* A chain of the positions of equal keys: next[i] is the
		 * previous position + 1, 0 at the end. */
		prev = strmap_put(index, keys[i], (void *)(uintptr_t)(i + 1));
		next[i] = (size_t)(uintptr_t)prev;
	}
	if (run_argv(argv, &(struct run_opts){ .input = in.buf,
					      .input_len = in.len,
					      .timeout_ms = gw->cfg.timeout_ms,
					      .max_output = PF_MAX_OUTPUT },
		     &r, err) < 0)
		goto out;
	fatal = pf_fatal(&r.errout);
	if (!r.exited || fatal || r.out_truncated || r.exit_code > 1) {
		const char *w = fatal ? fatal : r.errout.buf;
		char *line = xstrndup(w, strcspn(w, "\n"));
		char *why = str_sanitize(line, 300);

		free(line);

		if (r.timed_out)
			err_set(err, ERR_IO, RETRY_LATER,
				"lookup in '%s': '%s' timed out after %d ms",
				spec, gw->cfg.postmap, gw->cfg.timeout_ms);
		else
			err_set(err, ERR_IO, RETRY_NEVER,
				"lookup in '%s' failed: %s", spec,
				why[0] ? why : "no answer");
		free(why);
		goto out;
	}
	for (p = r.out.buf; p && *p;) {
		char *nl = strchr(p, '\n'), *tab, *key;
		size_t at;

		if (nl)
			*nl = 0;
		tab = strchr(p, '\t');
		if (tab) {
			key = xstrndup(p, (size_t)(tab - p));
			at = (size_t)(uintptr_t)strmap_get(index, key);
			for (; at; at = next[at - 1]) {
				free(values[at - 1]);
				values[at - 1] = xstrdup(tab + 1);
			}
			free(key);
		}
		p = nl ? nl + 1 : NULL;
	}
	rc = 0;
out:
	run_result_release(&r);
	sbuf_release(&in);
	strmap_free(index);
	free(next);
	strv_free(argv);
	free(spec);
	return rc;
}

static int pf_reload(struct gateway *gw, struct err *err)
{
	struct run_result r;
	int rc;

	char **env = NULL, *abs = NULL;
	size_t i;

	/* The reload command ("postfix reload") acts on the plan's Postfix
	 * instance: MAIL_CONFIG names its config folder, absolute (postfix
	 * ignores a relative -c / MAIL_CONFIG and exits 1). */
	if (gw->cfg.config_dir) {
		abs = realpath(gw->cfg.config_dir, NULL);
		for (i = 0; environ[i]; i++)
			if (strncmp(environ[i], "MAIL_CONFIG=", 12))
				strv_push(&env, environ[i]);
		{
			char *kv = xasprintf("MAIL_CONFIG=%s",
					     abs ? abs : gw->cfg.config_dir);

			strv_push(&env, kv);
			free(kv);
		}
	}
	run_result_init(&r);
	rc = pf_run_env(gw, gw->cfg.reload, NULL, 0, gw->cfg.reload_cwd, env,
			&r, err);
	if (rc < 0)
		err_prefix(err, "gateway reload failed");
	run_result_release(&r);
	strv_free(env);
	free(abs);
	return rc;
}

/* Split a Postfix list ("a, b c") into words; {...} stays whole. */
static char **pf_split_list(const char *s)
{
	char **v = NULL;

	while (s && *s) {
		size_t n = 0;
		int depth = 0;

		s += strspn(s, ", \t\r\n");
		while (s[n] && (depth > 0 || !strchr(", \t\r\n", s[n]))) {
			depth += s[n] == '{' ? 1 : s[n] == '}' ? -1 : 0;
			n++;
		}
		if (n) {
			char *w = xstrndup(s, n);

			strv_push(&v, w);
			free(w);
		}
		s += n;
	}
	return v;
}

/* The port of a master.cf service name without a host ("smtp", "2525"). */
static long pf_port(const char *name)
{
	unsigned long long n;
	struct servent *se;

	if (str_to_uint(name, 1, 65535, &n) == 0)
		return (long)n;
	if (!strcmp(name, "smtp"))
		return 25;
	if (!strcmp(name, "submission"))
		return 587;
	if (!strcmp(name, "smtps") || !strcmp(name, "submissions"))
		return 465;
	se = getservbyname(name, "tcp");
	return se ? (long)ntohs((uint16_t)se->s_port) : -1;
}

/* Addresses of an inet_interfaces value: "all" -> "*". */
static void pf_interfaces(char ***out, char *const *ifaces)
{
	size_t i;

	for (i = 0; ifaces && ifaces[i]; i++) {
		if (!strcmp(ifaces[i], "all")) {
			strv_push(out, "*");
		} else if (!strcmp(ifaces[i], "loopback-only")) {
			strv_push(out, "127.0.0.1");
			strv_push(out, "::1");
		} else {
			char *a = xstrdup(ifaces[i]);
			size_t l = strlen(a);

			if (a[0] == '[' && l > 1 && a[l - 1] == ']') {
				memmove(a, a + 1, l - 2);
				a[l - 2] = 0;
			}
			strv_push(out, a);
			free(a);
		}
	}
	if (!ifaces || !ifaces[0])
		strv_push(out, "*");	/* the default is "all" */
}

static void pf_master_line(char *line, char *const *ifaces,
			   struct gateway_info *info)
{
	char *f[8], *save = NULL, *host, *port;
	size_t n = 0, i;
	long p;

	if (line[0] == '#')
		return;
	for (char *w = strtok_r(line, " \t", &save); w && n < 8;
	     w = strtok_r(NULL, " \t", &save))
		f[n++] = w;
	if (n < 8)
		return;
	if (!strcmp(f[1], "unix")) {
		strv_push(&info->services, f[0]);
		return;
	}
	if (strcmp(f[1], "inet") != 0 || strcmp(f[7], "smtpd") != 0)
		return;
	port = strrchr(f[0], ':');
	if (port) {
		*port++ = 0;
		host = f[0];
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			host[strlen(host) - 1] = 0;
			host++;
		}
		p = pf_port(port);
		if (p > 0) {
			char *l = xasprintf("%s:%ld", *host ? host : "*", p);

			strv_push(&info->listeners, l);
			free(l);
		}
		return;
	}
	p = pf_port(f[0]);
	for (i = 0; p > 0 && ifaces[i]; i++) {
		char *l = xasprintf("%s:%ld", ifaces[i], p);

		strv_push(&info->listeners, l);
		free(l);
	}
}

static int pf_describe(struct gateway *gw, struct gateway_info *info,
		       struct err *err)
{
	const char *args1[] = { "-x", "-h", "transport_maps", "myhostname",
				"inet_interfaces", "proxy_interfaces", NULL };
	const char *args2[] = { "-M", NULL };
	char **argv = pf_argv(gw, gw->cfg.postconf, args1);
	char *lines[4] = { NULL }, **ifaces = NULL, **addrs = NULL, **proxy;
	struct run_result r;
	char *p, *save = NULL;
	size_t i;
	int rc = -1;

	run_result_init(&r);
	if (pf_run(gw, argv, NULL, 0, NULL, &r, err) < 0) {
		err_prefix(err, "cannot read the Postfix configuration");
		goto out;
	}
	/* One line per parameter, in order; empty values are empty lines. */
	for (i = 0, p = r.out.buf; i < 4 && p; i++) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = 0;
		lines[i] = p;
		p = nl ? nl + 1 : NULL;
	}
	if (i < 4) {
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"cannot read the Postfix configuration: '%s' gave "
			"%zu lines for 4 parameters", gw->cfg.postconf, i);
		goto out;
	}
	info->maps = pf_split_list(lines[0]);
	ifaces = pf_split_list(lines[2]);
	proxy = pf_split_list(lines[3]);
	pf_interfaces(&addrs, ifaces);
	if (lines[1][0])
		strv_push(&info->own_names, lines[1]);
	strv_push(&info->own_names, "localhost");
	for (i = 0; addrs[i]; i++)
		if (strcmp(addrs[i], "*") != 0)
			strv_push(&info->own_names, addrs[i]);
	for (i = 0; proxy && proxy[i]; i++)
		strv_push(&info->own_names, proxy[i]);
	strv_free(proxy);

	strv_free(argv);
	argv = pf_argv(gw, gw->cfg.postconf, args2);
	if (pf_run(gw, argv, NULL, 0, NULL, &r, err) < 0) {
		err_prefix(err, "cannot read the Postfix master.cf");
		goto out;
	}
	for (p = strtok_r(r.out.buf, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save))
		pf_master_line(p, addrs, info);
	rc = 0;
out:
	if (rc < 0)
		gateway_info_release(info);
	strv_free(ifaces);
	strv_free(addrs);
	run_result_release(&r);
	strv_free(argv);
	return rc;
}

/* postqueue -j: one JSON object per queued message.  Messages in the
 * active queue were resolved (given a transport) when they entered it,
 * so those that arrived before `before` may still go to an old route. */
static int pf_in_flight(struct gateway *gw, time_t before, size_t *n,
			struct err *err)
{
	const char *args[] = { "-j", NULL };
	char **argv = pf_argv(gw, "postqueue", args);
	struct run_result r;
	char *line, *save = NULL;
	int rc;

	*n = 0;
	run_result_init(&r);
	rc = pf_run(gw, argv, NULL, 0, NULL, &r, err);
	for (line = rc < 0 ? NULL : strtok_r(r.out.buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct json *j = json_parse(line, strlen(line), "postqueue -j",
					    err);
		const char *q;
		long long t;

		if (!j) {
			rc = -1;
			break;
		}
		q = json_get_str(j, "queue_name");
		if (q && !strcmp(q, "active") &&
		    json_get_int(j, "arrival_time", &t) == 0 &&
		    t <= (long long)before)
			(*n)++;
		json_free(j);
	}
	if (rc < 0)
		err_prefix(err, "cannot read the mail queue");
	run_result_release(&r);
	strv_free(argv);
	return rc;
}

const struct gateway_ops gateway_postfix_ops = {
	.kind = "postfix",
	.check_config = pf_check_config,
	.index_suffix = pf_index_suffix,
	.build = pf_build,
	.lookup = pf_lookup,
	.reload = pf_reload,
	.describe = pf_describe,
	.in_flight = pf_in_flight,
};
