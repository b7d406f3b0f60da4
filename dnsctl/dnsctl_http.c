/*
 * dnsctl_http.c -- one HTTPS GET with libcurl (see dnsctl.h), for
 * documents that DNS records point at: an MTA-STS policy is announced by
 * a TXT record and served at https://mta-sts.DOMAIN/.well-known/.
 *
 * It lives here because dnsctl/ already owns libcurl (STYLE.md: one
 * module per library) and sets up its handles the same way: our own
 * error buffer, connect and total timeouts, NOSIGNAL, peer and host
 * verification, no redirects.  The address to dial is pinned by the
 * caller (CURLOPT_CONNECT_TO), found through the plan's DNS servers, so
 * curl never asks the system resolver.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define BODY_DEFAULT ((size_t)64 << 10)

struct get_ctx {
	struct sbuf body;
	bool too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct get_ctx *c = arg;

	if (sbuf_add(&c->body, data, size * n) < 0) {
		c->too_big = true;
		return 0;
	}
	return size * n;
}

void dnsctl_http_reply_release(struct dnsctl_http_reply *r)
{
	free(r->content_type);
	free(r->body);
	memset(r, 0, sizeof *r);
}

int dnsctl_https_get(const struct dnsctl_http_get *req,
		     struct dnsctl_http_reply *r, struct err *err)
{
	static bool curl_ready;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *pin = NULL;
	struct get_ctx c;
	unsigned timeout = req->timeout_ms ? req->timeout_ms :
					     DNSCTL_TIMEOUT_MS;
	size_t max = req->max_body ? req->max_body : BODY_DEFAULT;
	const char *ctype = NULL;
	CURLcode rc;
	CURL *h;
	int ret = -1;

	memset(r, 0, sizeof *r);
	if (!str_has_prefix(req->url, "https://") ||
	    strpbrk(req->url, " \t\r\n"))
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "'%s' is not an https:// URL", req->url);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(err, ERR_INTERNAL, RETRY_NEVER,
				       "cannot start libcurl");
		curl_ready = true;
	}
	h = curl_easy_init();
	if (!h)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "cannot make a curl handle");
	sbuf_init(&c.body, max);
	c.too_big = false;
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout < DNSCTL_CONNECT_TIMEOUT_MS ?
				timeout : DNSCTL_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "migrate-check");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->connect_to) {
		pin = curl_slist_append(NULL, req->connect_to);
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, pin);
	}
	log_debug(LOGC_HTTP, "GET %s%s%s", req->url,
		  req->connect_to ? " via " : "",
		  req->connect_to ? req->connect_to : "");
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		if (c.too_big)
			err_set(err, ERR_REMOTE, RETRY_NEVER,
				"'%s': the answer is larger than %zu bytes",
				req->url, max);
		else
			err_set(err, ERR_REMOTE, RETRY_LATER, "'%s': %s",
				req->url, errbuf[0] ? errbuf :
				curl_easy_strerror(rc));
		err->code = (int)rc;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK &&
	    ctype)
		r->content_type = xstrdup(ctype);
	r->body = sbuf_detach(&c.body, &r->len);
	log_debug(LOGC_HTTP, "GET %s: %ld, %zu bytes", req->url, r->status,
		  r->len);
	ret = 0;
out:
	sbuf_release(&c.body);
	curl_slist_free_all(pin);
	curl_easy_cleanup(h);
	return ret;
}
