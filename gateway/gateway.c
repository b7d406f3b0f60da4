/*
 * gateway.c -- the registry of gateway kinds, the gateway object and the
 * calls that go through its vtable (see gateway.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gateway_int.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* The registry: kind name -> vtable (Postfix's dict_open_info[]). */
static const struct gateway_ops *const gateway_kinds[] = {
	&gateway_postfix_ops,
};
#define N_KINDS (sizeof gateway_kinds / sizeof gateway_kinds[0])

const struct gateway_ops *gateway_kind(const char *kind)
{
	size_t i;

	for (i = 0; kind && i < N_KINDS; i++)
		if (strcmp(gateway_kinds[i]->kind, kind) == 0)
			return gateway_kinds[i];
	return NULL;
}

void gateway_info_release(struct gateway_info *info)
{
	strv_free(info->services);
	strv_free(info->listeners);
	strv_free(info->own_names);
	strv_free(info->maps);
	memset(info, 0, sizeof *info);
}

struct gateway *gateway_new(const struct gateway_config *cfg,
			    struct err *err)
{
	const struct gateway_ops *ops = gateway_kind(cfg->kind);
	struct gateway *gw;

	if (!ops) {
		struct sbuf known;
		size_t i;

		sbuf_init(&known, 1024);
		for (i = 0; i < N_KINDS; i++)
			sbuf_addf(&known, "%s%s", i ? ", " : "",
				  gateway_kinds[i]->kind);
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"unknown gateway kind '%s' (known: %s)",
			cfg->kind ? cfg->kind : "", known.buf);
		sbuf_release(&known);
		return NULL;
	}
	if (ops->check_config && ops->check_config(cfg, err) < 0)
		return NULL;
	gw = xcalloc(1, sizeof *gw);
	gw->ops = ops;
	gw->type = xstrdup(ops->kind);
	gw->cfg.kind = gw->type;
	gw->cfg.map_type = gw->map_type = xstrdup(cfg->map_type);
	gw->cfg.postmap = gw->postmap =
		xstrdup(cfg->postmap ? cfg->postmap : "postmap");
	gw->cfg.postconf = gw->postconf =
		xstrdup(cfg->postconf ? cfg->postconf : "postconf");
	gw->cfg.config_dir = gw->config_dir = xstrdup(cfg->config_dir);
	gw->cfg.reload = gw->reload = strv_dup(cfg->reload);
	gw->cfg.reload_cwd = gw->reload_cwd = xstrdup(cfg->reload_cwd);
	gw->cfg.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms :
						   GATEWAY_TIMEOUT_MS;
	if (cfg->config_dir)
		gw->name = xasprintf("%s (config '%s')", ops->kind,
				     cfg->config_dir);
	else
		gw->name = xstrdup(ops->kind);
	err_clear(&gw->last_error);
	return gw;
}

struct gateway *gateway_free(struct gateway *gw)
{
	if (!gw)
		return NULL;
	free(gw->type);
	free(gw->name);
	free(gw->map_type);
	free(gw->postmap);
	free(gw->postconf);
	free(gw->config_dir);
	strv_free(gw->reload);
	free(gw->reload_cwd);
	free(gw);
	return NULL;
}

const char *gateway_type(const struct gateway *gw)
{
	return gw->type;
}

const char *gateway_name(const struct gateway *gw)
{
	return gw->name;
}

const struct gateway_config *gateway_config(const struct gateway *gw)
{
	return &gw->cfg;
}

const struct err *gateway_last_error(const struct gateway *gw)
{
	return &gw->last_error;
}

/* Keep a copy of a call's error as the object's last error. */
static int note(struct gateway *gw, int rc, const struct err *err)
{
	if (rc < 0 && err_isset(err)) {
		err_clear(&gw->last_error);
		err_copy(&gw->last_error, err);
	}
	return rc;
}

int gateway_lookup(struct gateway *gw, const char *type, const char *path,
		   char *const *keys, size_t n, char **values,
		   struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		values[i] = NULL;
	if (n == 0)
		return 0;
	return note(gw, gw->ops->lookup(gw, type, path, keys, n, values, err),
		    err);
}

int gateway_reload(struct gateway *gw, struct err *err)
{
	if (!gw->cfg.reload)
		return 0;
	return note(gw, gw->ops->reload(gw, err), err);
}

int gateway_settle(struct gateway *gw, time_t before, unsigned timeout_s,
		   size_t *left, struct err *err)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	int64_t deadline = timeutil_mono_ms() + (int64_t)timeout_s * 1000;

	*left = 0;
	if (!gw->ops->in_flight)
		return 0;
	for (;;) {
		if (note(gw, gw->ops->in_flight(gw, before, left, err), err) < 0)
			return -1;
		if (*left == 0 || timeutil_mono_ms() >= deadline)
			return 0;
		nanosleep(&pause, NULL);
	}
}

int gateway_describe(struct gateway *gw, struct gateway_info *info,
		     struct err *err)
{
	memset(info, 0, sizeof *info);
	if (!gw->ops->describe)
		return note(gw, err_set(err, ERR_CONFIG, RETRY_NEVER,
					"gateway kind '%s' cannot describe "
					"its configuration", gw->type), err);
	return note(gw, gw->ops->describe(gw, info, err), err);
}

int gateway_build(struct gateway *gw, const char *path, struct err *err)
{
	if (!gw->ops->index_suffix(gw))
		return 0;
	return note(gw, gw->ops->build(gw, path, err), err);
}

#define VERIFY_SHOWN 5

int gateway_verify(struct gateway *gw, const char *path,
		   const struct gateway_table *expect, char *const *absent,
		   size_t n_absent, struct err *err)
{
	size_t n = expect->n + n_absent, i, bad = 0;
	char **keys = xcalloc(n + 1, sizeof *keys);
	char **vals = xcalloc(n + 1, sizeof *vals);
	struct sbuf why;
	int rc;

	sbuf_init(&why, 4096);
	for (i = 0; i < expect->n; i++)
		keys[i] = expect->v[i].key;
	for (i = 0; i < n_absent; i++)
		keys[expect->n + i] = absent[i];
	rc = gateway_lookup(gw, gw->cfg.map_type, path, keys, n, vals, err);
	for (i = 0; rc == 0 && i < n; i++) {
		const char *want = i < expect->n ? expect->v[i].value : NULL;

		if (str_eq(want, vals[i]))
			continue;
		if (bad++ >= VERIFY_SHOWN)
			continue;
		sbuf_addstr(&why, bad > 1 ? "; " : "");
		if (!vals[i])
			sbuf_addf(&why, "'%s' not found, expected '%s'",
				  keys[i], want);
		else if (!want)
			sbuf_addf(&why, "'%s' gives '%s', expected no entry",
				  keys[i], vals[i]);
		else
			sbuf_addf(&why, "'%s' gives '%s', expected '%s'",
				  keys[i], vals[i], want);
	}
	if (rc == 0 && bad) {
		err_set(err, ERR_IO, RETRY_NEVER,
			"map '%s:%s': %zu wrong answer%s: %s%s",
			gw->cfg.map_type, path, bad, bad == 1 ? "" : "s",
			why.buf, bad > VERIFY_SHOWN ? "; ..." : "");
		rc = note(gw, -1, err);
	}
	if (rc == 0)
		log_debug(LOGC_GATEWAY, "map '%s:%s': %zu entries and %zu "
			  "absent keys verified", gw->cfg.map_type, path,
			  expect->n, n_absent);
	for (i = 0; i < n; i++)
		free(vals[i]);
	free(vals);
	free(keys);
	sbuf_release(&why);
	return rc;
}

int gateway_read_file(const char *path, size_t max, struct sbuf *out,
		      bool *exists, struct err *err)
{
	char buf[65536];
	struct stat sb;
	ssize_t n;
	int fd, rc = -1;

	*exists = false;
	sbuf_clear(out);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, ERR_IO, "cannot read map '%s'", path);
	}
	if (fstat(fd, &sb) < 0) {
		err_sys(err, ERR_IO, "cannot read map '%s'", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err_set(err, ERR_IO, RETRY_NEVER,
			"map '%s' is not a regular file", path);
		goto out;
	}
	if ((size_t)sb.st_size > max) {
		err_set(err, ERR_IO, RETRY_NEVER,
			"map '%s' is too large (%lld bytes, at most %zu)",
			path, (long long)sb.st_size, max);
		goto out;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, ERR_IO, "cannot read map '%s'", path);
			goto out;
		}
		if (out->len + (size_t)n > max ||
		    sbuf_add(out, buf, (size_t)n) < 0) {
			err_set(err, ERR_IO, RETRY_NEVER,
				"map '%s' is too large (over %zu bytes)",
				path, max);
			goto out;
		}
	}
	*exists = true;
	rc = 0;
out:
	close(fd);
	return rc;
}
