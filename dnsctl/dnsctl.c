/*
 * dnsctl.c -- the provider registry and the checks every provider shares
 * (see dnsctl.h): names inside the zone, TTL range, canonical input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/str.h"
#include "util/xalloc.h"

static const struct dnsctl_provider_ops *const providers[] = {
	&dnsctl_pdns_ops,
	&dnsctl_rfc2136_ops,
};
#define N_PROVIDERS (sizeof providers / sizeof providers[0])

const char *const *dnsctl_provider_names(void)
{
	static const char *names[N_PROVIDERS + 1];

	for (size_t i = 0; i < N_PROVIDERS; i++)
		names[i] = providers[i]->type;
	names[N_PROVIDERS] = NULL;
	return names;
}

static const struct dnsctl_provider_ops *find_provider(const char *type)
{
	for (size_t i = 0; type && i < N_PROVIDERS; i++)
		if (strcmp(providers[i]->type, type) == 0)
			return providers[i];
	return NULL;
}

bool dnsctl_provider_known(const char *type)
{
	return find_provider(type) != NULL;
}

int dnsctl_fail(struct dnsctl *d, struct err *err, enum err_cat cat,
		enum err_retry retry, const char *rname, const char *rtype,
		const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rname)
		err_set(err, cat, retry,
			"%s '%s' zone '%s': record '%s %s': %s", d->ops->type,
			d->endpoint, d->zone, rname, rtype ? rtype : "", msg);
	else
		err_set(err, cat, retry, "%s '%s' zone '%s': %s",
			d->ops->type, d->endpoint, d->zone, msg);
	snprintf(d->last_error, sizeof d->last_error, "%s", err->msg);
	return -1;
}

int dnsctl_fail_ctx(struct dnsctl *d, struct err *err, const char *rname,
		    const char *rtype)
{
	if (rname)
		err_prefix(err, "%s '%s' zone '%s': record '%s %s'",
			   d->ops->type, d->endpoint, d->zone, rname,
			   rtype ? rtype : "");
	else
		err_prefix(err, "%s '%s' zone '%s'", d->ops->type,
			   d->endpoint, d->zone);
	snprintf(d->last_error, sizeof d->last_error, "%s", err->msg);
	return -1;
}

int dnsctl_open(const struct dnsctl_config *cfg, struct dnsctl **out,
		struct err *err)
{
	const struct dnsctl_provider_ops *ops = find_provider(cfg->type);
	struct dnsctl *d;
	char *zone;

	*out = NULL;
	if (!ops) {
		char *shown = str_sanitize(cfg->type ? cfg->type : "", 40);

		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"unknown dns provider '%s' (powerdns, rfc2136)", shown);
		free(shown);
		return -1;
	}
	zone = dnsctl_name_canon(cfg->zone);
	if (!zone) {
		char *shown = str_sanitize(cfg->zone ? cfg->zone : "", 80);

		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s: zone '%s' is not a domain name", ops->type, shown);
		free(shown);
		return -1;
	}
	for (const char *p = cfg->endpoint; p && *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			err_set(err, ERR_CONFIG, RETRY_NEVER,
				"%s zone '%s': the endpoint holds a space or "
				"a control character", ops->type, zone);
			free(zone);
			return -1;
		}
	}
	if (!cfg->endpoint || !*cfg->endpoint) {
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s zone '%s': no endpoint", ops->type, zone);
		free(zone);
		return -1;
	}
	d = xcalloc(1, sizeof *d);
	d->ops = ops;
	d->zone = zone;
	d->endpoint = xstrdup(cfg->endpoint);
	d->key = xstrdup(cfg->key ? cfg->key : "");
	d->key_name = xstrdup(cfg->key_name);
	d->algorithm = xstrdup(cfg->algorithm);
	d->server_id = xstrdup(cfg->server_id);
	d->ca_file = xstrdup(cfg->ca_file);
	d->connect_timeout_ms = cfg->connect_timeout_ms ?
				cfg->connect_timeout_ms :
				DNSCTL_CONNECT_TIMEOUT_MS;
	d->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DNSCTL_TIMEOUT_MS;
	if (ops->open(d, err) < 0) {
		dnsctl_close(d);
		return -1;
	}
	*out = d;
	return 0;
}

struct dnsctl *dnsctl_close(struct dnsctl *d)
{
	if (!d)
		return NULL;
	if (d->ops->close)
		d->ops->close(d);
	if (d->key) {
		memset(d->key, 0, strlen(d->key));
		free(d->key);
	}
	free(d->endpoint);
	free(d->key_name);
	free(d->algorithm);
	free(d->server_id);
	free(d->ca_file);
	free(d->zone);
	free(d);
	return NULL;
}

const char *dnsctl_type(const struct dnsctl *d)
{
	return d->ops->type;
}

const char *dnsctl_zone(const struct dnsctl *d)
{
	return d->zone;
}

const char *dnsctl_last_error(const struct dnsctl *d)
{
	return d->last_error;
}

int dnsctl_ping(struct dnsctl *d, struct err *err)
{
	d->last_error[0] = '\0';
	return d->ops->ping(d, err);
}

/* Canonical name and type of a record inside the zone, or -1 (ERR_PLAN). */
static int check_record(struct dnsctl *d, const char *name, const char *type,
			char **cname, char **ctype, struct err *err)
{
	char *sn, *st;

	*cname = dnsctl_name_canon(name);
	*ctype = dnsctl_type_canon(type);
	if (*cname && *ctype && dnsctl_name_in_zone(*cname, d->zone))
		return 0;
	sn = str_sanitize(name ? name : "", 80);
	st = str_sanitize(type ? type : "", 20);
	dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, sn, st, "%s",
		    !*cname ? "not a valid domain name" :
		    !*ctype ? "unknown record type" :
			      "the name is outside the zone");
	free(sn);
	free(st);
	*cname = x_free(*cname);
	*ctype = x_free(*ctype);
	return -1;
}

int dnsctl_get(struct dnsctl *d, const char *name, const char *type,
	       struct dnsctl_rrset *out, struct err *err)
{
	char *cname, *ctype;
	int rc;

	d->last_error[0] = '\0';
	dnsctl_rrset_release(out);
	if (check_record(d, name, type, &cname, &ctype, err) < 0)
		return -1;
	rc = d->ops->get(d, cname, ctype, out, err);
	if (rc == 1)
		log_debug(LOGC_DNS, "%s: %s %s ttl %lu, %zu record(s)",
			  d->ops->type, cname, ctype, (unsigned long)out->ttl,
			  out->n);
	else if (rc == 0)
		log_debug(LOGC_DNS, "%s: %s %s: no RRset", d->ops->type,
			  cname, ctype);
	free(cname);
	free(ctype);
	return rc;
}

/* After a replace, the provider must serve exactly what was asked: some
 * servers cap a TTL without a word (BIND's max-zone-ttl), which we count
 * as a refusal and undo. */
static int read_back(struct dnsctl *d, const struct dnsctl_rrset *want,
		     const struct dnsctl_rrset *prev, struct err *err)
{
	struct dnsctl_rrset got;
	struct err undo;
	char *g, *w;
	int rc;

	dnsctl_rrset_init(&got);
	rc = d->ops->get(d, want->name, want->type, &got, err);
	if (rc < 0)
		return -1;
	if (rc == 1 && dnsctl_rrset_equal(&got, want)) {
		dnsctl_rrset_release(&got);
		return 0;
	}
	err_clear(&undo);
	rc = d->ops->replace(d, prev, &undo);
	if (got.n && dnsctl_rrset_same_data(&got, want)) {
		dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER, want->name,
			    want->type, "the provider did not take TTL %lu "
			    "(it serves TTL %lu instead); %s",
			    (unsigned long)want->ttl, (unsigned long)got.ttl,
			    rc == 0 ? "put back as it was" :
				      "putting it back failed too");
	} else {
		g = dnsctl_rrset_join(&got, " | ");
		w = dnsctl_rrset_join(want, " | ");
		dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER, want->name,
			    want->type, "the provider did not take the "
			    "records '%s' (it serves '%s' instead); %s", w,
			    got.n ? g : "nothing",
			    rc == 0 ? "put back as it was" :
				      "putting it back failed too");
		free(g);
		free(w);
	}
	dnsctl_rrset_release(&got);
	return -1;
}

int dnsctl_replace(struct dnsctl *d, const struct dnsctl_rrset *rs,
		   struct err *err)
{
	struct dnsctl_rrset c, prev;
	char *cname, *ctype;
	int rc = -1;

	d->last_error[0] = '\0';
	dnsctl_rrset_init(&c);
	dnsctl_rrset_init(&prev);
	if (check_record(d, rs->name, rs->type, &cname, &ctype, err) < 0)
		return -1;
	if (rs->ttl > DNSCTL_TTL_MAX) {
		dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, cname, ctype,
			    "TTL %lu is out of range (0 to %u)",
			    (unsigned long)rs->ttl, DNSCTL_TTL_MAX);
		goto out;
	}
	if (dnsctl_rrset_set(&c, cname, ctype, rs->ttl,
			     (const char *const *)rs->rdata, rs->n, err) < 0) {
		dnsctl_fail_ctx(d, err, NULL, NULL);
		goto out;
	}
	rc = d->ops->get(d, cname, ctype, &prev, err);
	if (rc == 0)
		dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, cname, ctype,
			    "no RRset; nothing was changed");
	if (rc != 1) {
		rc = -1;
		goto out;
	}
	if (dnsctl_rrset_equal(&prev, &c)) {
		log_debug(LOGC_DNS, "%s: %s %s is already as wanted",
			  d->ops->type, c.name, c.type);
		rc = 0;
		goto out;
	}
	log_debug(LOGC_DNS, "%s: replace %s %s ttl %lu, %zu record(s)",
		  d->ops->type, c.name, c.type, (unsigned long)c.ttl, c.n);
	rc = d->ops->replace(d, &c, err);
	if (rc == 0)
		rc = read_back(d, &c, &prev, err);
out:
	dnsctl_rrset_release(&c);
	dnsctl_rrset_release(&prev);
	free(cname);
	free(ctype);
	return rc;
}

/* Addresses of one in-zone server name, read through the provider. */
static int ns_addresses(struct dnsctl *d, const char *host, unsigned port,
			char ***out, struct err *err)
{
	static const char *const types[] = { "A", "AAAA" };
	struct dnsctl_rrset rs;
	size_t found = 0;

	dnsctl_rrset_init(&rs);
	for (size_t t = 0; t < 2; t++) {
		int rc = dnsctl_get(d, host, types[t], &rs, err);

		if (rc < 0)
			return -1;
		for (size_t i = 0; rc == 1 && i < rs.n; i++) {
			char *s = t ? xasprintf("[%s]:%u", rs.rdata[i], port)
				    : xasprintf("%s:%u", rs.rdata[i], port);

			strv_push(out, s);
			free(s);
			found++;
		}
		dnsctl_rrset_release(&rs);
	}
	if (!found)
		return dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, NULL, NULL,
				   "name server '%s' has no address in the "
				   "zone; list the servers in dns 'servers'",
				   host);
	return 0;
}

int dnsctl_ns_servers(struct dnsctl *d, unsigned port, char ***out,
		      struct err *err)
{
	struct dnsctl_rrset ns;
	int rc;

	*out = NULL;
	dnsctl_rrset_init(&ns);
	rc = dnsctl_get(d, d->zone, "NS", &ns, err);
	if (rc == 0)
		dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, d->zone, "NS",
			    "the zone has no NS RRset; list the servers in "
			    "dns 'servers'");
	for (size_t i = 0; rc == 1 && i < ns.n; i++) {
		if (!dnsctl_name_in_zone(ns.rdata[i], d->zone)) {
			rc = dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, NULL,
					 NULL, "name server '%s' is outside "
					 "the zone and no resolver may be "
					 "asked; list the servers in dns "
					 "'servers'", ns.rdata[i]);
			break;
		}
		if (ns_addresses(d, ns.rdata[i], port, out, err) < 0)
			rc = -1;
	}
	dnsctl_rrset_release(&ns);
	if (rc != 1)
		*out = strv_free(*out);
	return rc == 1 ? 0 : -1;
}
