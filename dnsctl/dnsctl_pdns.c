/*
 * dnsctl_pdns.c -- the "powerdns" provider: the PowerDNS Authoritative
 * HTTP API (libcurl, JSON with jansson).
 *
 *	GET   {endpoint}/servers/{server_id}/zones/{zone}	read the zone
 *	PATCH the same, {"rrsets":[{..., "changetype":"REPLACE"}]}
 *
 * The TTL belongs to the RRset, so one PATCH replaces records and TTL
 * together.  The API has no prerequisites: dnsctl_replace reads the
 * RRset first and refuses when there is none, so that it never creates
 * one.
 * Disabled records are not served, so they are not read either (and a
 * replace drops them).
 *
 * One curl handle per provider handle, with its own error buffer,
 * connect and total timeouts and NOSIGNAL; the API key travels only in
 * the X-API-Key header, which is wiped when the handle closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define BODY_MAX ((size_t)64 << 20)

struct pdns {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char *zone_url;
	struct curl_slist *headers;
	struct sbuf body;
	bool too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct pdns *p = ctx;

	if (sbuf_add(&p->body, data, size * n) < 0) {
		p->too_big = true;
		return 0;	/* aborts the transfer */
	}
	return size * n;
}

static int p_open(struct dnsctl *d, struct err *err)
{
	static bool curl_ready;
	struct pdns *p;
	char *base, *hdr;
	size_t len;

	if (!str_has_prefix(d->endpoint, "http://") &&
	    !str_has_prefix(d->endpoint, "https://"))
		return dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
				   "endpoint must be an http:// or https:// "
				   "URL");
	if (!*d->key)
		return dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
				   "no API key");
	if (strpbrk(d->key, "\r\n"))
		return dnsctl_fail(d, err, ERR_CONFIG, RETRY_NEVER, NULL, NULL,
				   "the API key holds a line break");
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return dnsctl_fail(d, err, ERR_INTERNAL, RETRY_NEVER,
					   NULL, NULL, "cannot start libcurl");
		curl_ready = true;
	}
	p = xcalloc(1, sizeof *p);
	d->priv = p;
	sbuf_init(&p->body, BODY_MAX);
	p->curl = curl_easy_init();
	if (!p->curl)
		return dnsctl_fail(d, err, ERR_INTERNAL, RETRY_NEVER, NULL,
				   NULL, "cannot make a curl handle");
	base = xstrdup(d->endpoint);
	len = strlen(base);
	while (len && base[len - 1] == '/')
		base[--len] = '\0';
	p->zone_url = xasprintf("%s/servers/%s/zones/%s", base,
				d->server_id ? d->server_id : "localhost",
				d->zone);
	free(base);
	hdr = xasprintf("X-API-Key: %s", d->key);
	p->headers = curl_slist_append(p->headers, hdr);
	memset(hdr, 0, strlen(hdr));
	free(hdr);
	p->headers = curl_slist_append(p->headers,
				       "Content-Type: application/json");
	p->headers = curl_slist_append(p->headers, "Accept: application/json");
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)d->connect_timeout_ms);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, (long)d->timeout_ms);
	curl_easy_setopt(p->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(p->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(p->curl, CURLOPT_USERAGENT, "migrate-dnsctl");
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (d->ca_file)
		curl_easy_setopt(p->curl, CURLOPT_CAINFO, d->ca_file);
	return 0;
}

static void p_close(struct dnsctl *d)
{
	struct pdns *p = d->priv;

	if (!p)
		return;
	if (p->curl)
		curl_easy_cleanup(p->curl);
	for (struct curl_slist *h = p->headers; h; h = h->next)
		memset(h->data, 0, strlen(h->data));
	curl_slist_free_all(p->headers);
	sbuf_release(&p->body);
	free(p->zone_url);
	free(p);
	d->priv = NULL;
}

/* One request.  0 with *status set, or -1 when no HTTP answer came. */
static int request(struct dnsctl *d, const char *method, const char *body,
		   long *status, const char *rname, const char *rtype,
		   struct err *err)
{
	struct pdns *p = d->priv;
	CURLcode rc;

	sbuf_clear(&p->body);
	p->too_big = false;
	p->errbuf[0] = '\0';
	curl_easy_setopt(p->curl, CURLOPT_URL, p->zone_url);
	if (body) {
		curl_easy_setopt(p->curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(body));
	} else {
		curl_easy_setopt(p->curl, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(p->curl, CURLOPT_HTTPGET, 1L);
	}
	log_debug(LOGC_HTTP, "%s %s", method, p->zone_url);
	rc = curl_easy_perform(p->curl);
	if (rc != CURLE_OK) {
		const char *why = p->errbuf[0] ? p->errbuf
					       : curl_easy_strerror(rc);
		bool tls = rc == CURLE_PEER_FAILED_VERIFICATION ||
			   rc == CURLE_SSL_CACERT_BADFILE ||
			   rc == CURLE_SSL_CERTPROBLEM;

		if (p->too_big)
			return dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER,
					   rname, rtype, "the API's answer is "
					   "larger than %zu bytes", BODY_MAX);
		return dnsctl_fail(d, err, ERR_REMOTE,
				   tls ? RETRY_NEVER : RETRY_LATER, rname,
				   rtype, "%s the API: %s",
				   tls ? "cannot verify the TLS certificate of"
				       : "cannot reach", why);
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, status);
	log_debug(LOGC_HTTP, "%s %s: HTTP %ld, %zu bytes", method,
		  p->zone_url, *status, p->body.len);
	return 0;
}

/* The API's own words: {"error": "..."} or the body's first line. */
static char *api_message(const struct pdns *p)
{
	json_error_t jerr;
	json_t *j = json_loadb(p->body.buf, p->body.len, 0, &jerr);
	const char *m = NULL;
	char *out;

	if (j && json_is_object(j))
		m = json_string_value(json_object_get(j, "error"));
	if (!m) {
		size_t n = strcspn(p->body.buf, "\r\n");
		char *line = xstrndup(p->body.buf, n);

		out = str_sanitize(line, 300);
		free(line);
	} else {
		out = str_sanitize(m, 300);
	}
	json_decref(j);
	return out;
}

static int http_fail(struct dnsctl *d, long status, const char *rname,
		     const char *rtype, struct err *err)
{
	char *m = api_message(d->priv);
	const char *sep = *m ? ": " : "";

	if (status == 401 || status == 403)
		dnsctl_fail(d, err, ERR_AUTH, RETRY_NEVER, rname, rtype,
			    "the API key was refused (HTTP %ld)%s%s", status,
			    sep, m);
	else if (status == 404)
		dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, rname, rtype,
			    "no such zone or server id (HTTP 404)%s%s", sep, m);
	else if (status >= 500 || status == 429)
		dnsctl_fail(d, err, ERR_REMOTE, RETRY_LATER, rname, rtype,
			    "the API failed (HTTP %ld)%s%s", status, sep, m);
	else if (strstr(m, "out of zone") || strstr(m, "Could not find"))
		dnsctl_fail(d, err, ERR_PLAN, RETRY_NEVER, rname, rtype,
			    "refused (HTTP %ld)%s%s", status, sep, m);
	else
		dnsctl_fail(d, err, ERR_REMOTE, RETRY_NEVER, rname, rtype,
			    "refused (HTTP %ld)%s%s; nothing was changed",
			    status, sep, m);
	free(m);
	return -1;
}

/* GET the zone into p->body (HTTP 200, or an error). */
static int get_zone(struct dnsctl *d, const char *rname, const char *rtype,
		    struct err *err)
{
	struct pdns *p = d->priv;
	long status = 0;

	if (request(d, "GET", NULL, &status, rname, rtype, err) < 0)
		return -1;
	if (status == 422 && strstr(p->body.buf, "Could not find"))
		status = 404;	/* PowerDNS says 422 for an unknown zone */
	if (status != 200)
		return http_fail(d, status, rname, rtype, err);
	return 0;
}

static int p_ping(struct dnsctl *d, struct err *err)
{
	struct dnsctl_rrset soa;
	int rc;

	if (get_zone(d, NULL, NULL, err) < 0)
		return -1;
	dnsctl_rrset_init(&soa);
	rc = dnsctl_pdns_parse_rrset(((struct pdns *)d->priv)->body.buf,
				     ((struct pdns *)d->priv)->body.len,
				     d->zone, "SOA", &soa, err);
	dnsctl_rrset_release(&soa);
	if (rc < 0)
		return dnsctl_fail_ctx(d, err, NULL, NULL);
	return 0;
}

int dnsctl_pdns_parse_rrset(const char *body, size_t len, const char *name,
			    const char *type, struct dnsctl_rrset *out,
			    struct err *err)
{
	json_error_t jerr;
	json_t *z = json_loadb(body, len, 0, &jerr), *rrsets, *rs;
	size_t i;
	int rc = 0;

	dnsctl_rrset_release(out);
	rrsets = z ? json_object_get(z, "rrsets") : NULL;
	if (!json_is_array(rrsets)) {
		json_decref(z);
		return err_set(err, ERR_REMOTE, RETRY_NEVER,
			       "the API's answer is not a zone with rrsets%s%s",
			       z ? "" : ": ", z ? "" : jerr.text);
	}
	json_array_foreach(rrsets, i, rs) {
		const char *n = json_string_value(json_object_get(rs, "name"));
		const char *t = json_string_value(json_object_get(rs, "type"));
		json_t *recs = json_object_get(rs, "records"), *rec;
		json_t *ttl = json_object_get(rs, "ttl");
		char *cn = n ? dnsctl_name_canon(n) : NULL;
		bool same = cn && strcmp(cn, name) == 0;
		size_t k;

		free(cn);
		if (!same || !t || strcasecmp(t, type) != 0)
			continue;
		if (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
		    json_integer_value(ttl) > (json_int_t)UINT32_MAX) {
			rc = err_set(err, ERR_REMOTE, RETRY_NEVER,
				     "the API gives no valid TTL");
			goto out;
		}
		out->name = xstrdup(name);
		out->type = xstrdup(type);
		out->ttl = (uint32_t)json_integer_value(ttl);
		json_array_foreach(recs, k, rec) {
			const char *c = json_string_value(
				json_object_get(rec, "content"));
			char *canon;

			if (json_is_true(json_object_get(rec, "disabled")))
				continue;
			if (!c) {
				rc = err_set(err, ERR_REMOTE, RETRY_NEVER,
					     "a record has no content");
				goto out;
			}
			if (dnsctl_rdata_canon(type, c, &canon, err) < 0) {
				err->cat = ERR_REMOTE;
				rc = -1;
				goto out;
			}
			dnsctl_rrset_add(out, canon);
		}
		dnsctl_rrset_finish(out);
		rc = out->n ? 1 : 0;
		break;
	}
out:
	if (rc != 1)
		dnsctl_rrset_release(out);
	json_decref(z);
	return rc;
}

char *dnsctl_pdns_patch_body(const struct dnsctl_rrset *rs)
{
	json_t *root, *arr, *set, *recs = json_array();
	char *body;

	for (size_t i = 0; i < rs->n; i++)
		json_array_append_new(recs, json_pack("{s:s, s:b}", "content",
						      rs->rdata[i], "disabled",
						      0));
	set = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", rs->name,
			"type", rs->type, "ttl", (json_int_t)rs->ttl,
			"changetype", "REPLACE", "records", recs);
	arr = json_array();
	json_array_append_new(arr, set);
	root = json_pack("{s:o}", "rrsets", arr);
	body = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!body)
		abort();	/* out of memory, as xalloc would */
	return body;
}

static int p_get(struct dnsctl *d, const char *name, const char *type,
		 struct dnsctl_rrset *out, struct err *err)
{
	struct pdns *p = d->priv;
	int rc;

	if (get_zone(d, name, type, err) < 0)
		return -1;
	rc = dnsctl_pdns_parse_rrset(p->body.buf, p->body.len, name, type,
				     out, err);
	if (rc < 0)
		dnsctl_fail_ctx(d, err, name, type);
	return rc;
}

static int p_replace(struct dnsctl *d, const struct dnsctl_rrset *rs,
		     struct err *err)
{
	char *body = dnsctl_pdns_patch_body(rs);
	long status = 0;
	int rc;

	rc = request(d, "PATCH", body, &status, rs->name, rs->type, err);
	free(body);
	if (rc < 0)
		return -1;
	if (status != 204 && status != 200)
		return http_fail(d, status, rs->name, rs->type, err);
	return 0;
}

const struct dnsctl_provider_ops dnsctl_pdns_ops = {
	.type = "powerdns",
	.open = p_open,
	.close = p_close,
	.ping = p_ping,
	.get = p_get,
	.replace = p_replace,
};
