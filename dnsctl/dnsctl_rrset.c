/*
 * dnsctl_rrset.c -- RRsets, names and the canonical form of records (see
 * dnsctl.h).  ldns parses and prints every record, so records read from
 * the PowerDNS API, from DNS answers and from a plan compare equal when
 * they mean the same thing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsctl/dnsctl_int.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

/* Origin given to ldns while parsing: a relative name in a record ends
 * up below it, which is how we spot one. */
#define RELATIVE_SENTINEL "relative-name.dnsctl.invalid."

void dnsctl_rrset_init(struct dnsctl_rrset *rs)
{
	memset(rs, 0, sizeof *rs);
}

void dnsctl_rrset_release(struct dnsctl_rrset *rs)
{
	free(rs->name);
	free(rs->type);
	for (size_t i = 0; i < rs->n; i++)
		free(rs->rdata[i]);
	free(rs->rdata);
	dnsctl_rrset_init(rs);
}

void dnsctl_rrset_copy(struct dnsctl_rrset *dst, const struct dnsctl_rrset *src)
{
	dnsctl_rrset_release(dst);
	dst->name = xstrdup(src->name);
	dst->type = xstrdup(src->type);
	dst->ttl = src->ttl;
	dst->n = src->n;
	dst->rdata = src->n ? xcalloc(src->n, sizeof *dst->rdata) : NULL;
	for (size_t i = 0; i < src->n; i++)
		dst->rdata[i] = xstrdup(src->rdata[i]);
}

void dnsctl_rrset_add(struct dnsctl_rrset *rs, char *rdata_taken)
{
	rs->rdata = xreallocarray(rs->rdata, rs->n + 1, sizeof *rs->rdata);
	rs->rdata[rs->n++] = rdata_taken;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void dnsctl_rrset_finish(struct dnsctl_rrset *rs)
{
	size_t i, j;

	if (rs->n < 2)
		return;
	qsort(rs->rdata, rs->n, sizeof *rs->rdata, cmp_str);
	for (i = 1, j = 1; i < rs->n; i++) {
		if (strcmp(rs->rdata[i], rs->rdata[j - 1]) == 0)
			free(rs->rdata[i]);
		else
			rs->rdata[j++] = rs->rdata[i];
	}
	rs->n = j;
}

bool dnsctl_rrset_same_data(const struct dnsctl_rrset *a,
			    const struct dnsctl_rrset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->rdata[i], b->rdata[i]) != 0)
			return false;
	return true;
}

bool dnsctl_rrset_equal(const struct dnsctl_rrset *a,
			const struct dnsctl_rrset *b)
{
	return a->ttl == b->ttl && dnsctl_rrset_same_data(a, b);
}

char *dnsctl_rrset_join(const struct dnsctl_rrset *rs, const char *sep)
{
	struct sbuf sb;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (size_t i = 0; i < rs->n; i++) {
		if (i)
			sbuf_addstr(&sb, sep);
		sbuf_addstr(&sb, rs->rdata[i]);
	}
	return sbuf_detach(&sb, NULL);
}

char *dnsctl_name_canon(const char *name)
{
	size_t len = name ? strlen(name) : 0, label = 0;
	char *out;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0)
				return NULL;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      (c == '*' && i == 0 && (len == 1 || name[1] == '.'))))
			return NULL;
		if (++label > 63)
			return NULL;
	}
	out = xmalloc(len + 2);
	memcpy(out, name, len);
	out[len] = '.';
	out[len + 1] = '\0';
	str_lower(out);
	return out;
}

bool dnsctl_name_in_zone(const char *name, const char *zone)
{
	char *n = dnsctl_name_canon(name), *z = dnsctl_name_canon(zone);
	bool in = false;

	if (n && z) {
		size_t ln = strlen(n), lz = strlen(z);

		in = strcmp(n, z) == 0 ||
		     (ln > lz && n[ln - lz - 1] == '.' &&
		      strcmp(n + ln - lz, z) == 0);
	}
	free(n);
	free(z);
	return in;
}

char *dnsctl_type_canon(const char *type)
{
	ldns_rr_type t;
	char *up, *s;

	if (!type || !*type || strlen(type) > 16)
		return NULL;
	up = xstrdup(type);
	for (char *c = up; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	t = ldns_get_rr_type_by_name(up);
	free(up);
	if (t == 0 || t == LDNS_RR_TYPE_ANY || t == LDNS_RR_TYPE_AXFR ||
	    t == LDNS_RR_TYPE_IXFR || t == LDNS_RR_TYPE_TSIG ||
	    t == LDNS_RR_TYPE_OPT)
		return NULL;
	s = ldns_rr_type2str(t);
	if (!s)
		return NULL;
	up = xstrdup(s);
	LDNS_FREE(s);
	return up;
}

const char *dnsctl_tsig_algorithm(const char *name)
{
	static const char *const wire[] = { "hmac-sha256.", "hmac-sha512." };
	size_t len = name ? strlen(name) : 0;

	if (len && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < sizeof wire / sizeof *wire; i++)
		if (len == strlen(wire[i]) - 1 &&
		    strncasecmp(name, wire[i], len) == 0)
			return wire[i];
	return NULL;
}

char *dnsctl_rr_rdata(const ldns_rr *rr)
{
	struct sbuf sb;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		ldns_rdf *c = NULL;
		char *s;

		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME) {
			c = ldns_rdf_clone(f);
			ldns_dname2canonical(c);
			f = c;
		}
		s = ldns_rdf2str(f);
		if (i)
			sbuf_addch(&sb, ' ');
		sbuf_addstr(&sb, s ? s : "?");
		free(s);
		if (c)
			ldns_rdf_deep_free(c);
	}
	return sbuf_detach(&sb, NULL);
}

/* An unquoted TXT text as one quoted character string (split every 255
 * bytes, as one string may hold no more). */
static char *txt_quote(const char *text)
{
	struct sbuf sb;
	size_t n = 0;

	sbuf_init(&sb, SBUF_MAX_DEFAULT);
	sbuf_addch(&sb, '"');
	for (const char *p = text; *p; p++) {
		if (n == 255) {
			sbuf_addstr(&sb, "\" \"");
			n = 0;
		}
		if (*p == '"' || *p == '\\')
			sbuf_addch(&sb, '\\');
		sbuf_addch(&sb, *p);
		n++;
	}
	sbuf_addch(&sb, '"');
	return sbuf_detach(&sb, NULL);
}

int dnsctl_rdata_canon(const char *type, const char *text, char **out,
		       struct err *err)
{
	char *t = dnsctl_type_canon(type), *quoted = NULL, *line = NULL;
	ldns_rdf *origin = NULL;
	ldns_rr *rr = NULL;
	ldns_status st;
	int rc = -1;

	*out = NULL;
	if (!t) {
		char *shown = str_sanitize(type ? type : "", 40);

		err_set(err, ERR_PLAN, RETRY_NEVER,
			"unknown record type '%s'", shown);
		free(shown);
		return -1;
	}
	for (const char *p = text; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			err_set(err, ERR_PLAN, RETRY_NEVER,
				"%s record has a control character", t);
			goto out;
		}
	}
	while (*text == ' ' || *text == '\t')
		text++;
	if (!*text) {
		err_set(err, ERR_PLAN, RETRY_NEVER, "%s record is empty", t);
		goto out;
	}
	if ((strcmp(t, "TXT") == 0 || strcmp(t, "SPF") == 0) && *text != '"')
		text = quoted = txt_quote(text);
	line = xasprintf("x. 0 IN %s %s", t, text);
	origin = ldns_dname_new_frm_str(RELATIVE_SENTINEL);
	st = ldns_rr_new_frm_str(&rr, line, 0, origin, NULL);
	if (st != LDNS_STATUS_OK || !rr) {
		char *shown = str_sanitize(text, 200);

		err_set(err, ERR_PLAN, RETRY_NEVER,
			"%s record '%s' does not parse: %s", t, shown,
			ldns_get_errorstr_by_id(st));
		free(shown);
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);

		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME &&
		    ldns_dname_is_subdomain(f, origin)) {
			char *shown = str_sanitize(text, 200);

			err_set(err, ERR_PLAN, RETRY_NEVER,
				"%s record '%s' holds a relative name: write "
				"every name in full, with a final dot", t,
				shown);
			free(shown);
			goto out;
		}
	}
	*out = dnsctl_rr_rdata(rr);
	rc = 0;
out:
	if (rr)
		ldns_rr_free(rr);
	if (origin)
		ldns_rdf_deep_free(origin);
	free(line);
	free(quoted);
	free(t);
	return rc;
}

int dnsctl_rrset_set(struct dnsctl_rrset *rs, const char *name,
		     const char *type, uint32_t ttl, const char *const *rdata,
		     size_t n, struct err *err)
{
	char *cname = dnsctl_name_canon(name), *ctype = dnsctl_type_canon(type);

	dnsctl_rrset_release(rs);
	if (!cname || !ctype) {
		char *sn = str_sanitize(name ? name : "", 80);
		char *st = str_sanitize(type ? type : "", 20);

		err_set(err, ERR_PLAN, RETRY_NEVER, "'%s %s': %s", sn, st,
			!cname ? "not a valid domain name" :
				 "unknown record type");
		free(sn);
		free(st);
		free(cname);
		free(ctype);
		return -1;
	}
	rs->name = cname;
	rs->type = ctype;
	rs->ttl = ttl;
	if (ttl > DNSCTL_TTL_MAX) {
		err_set(err, ERR_PLAN, RETRY_NEVER,
			"'%s %s': TTL %lu is out of range (0 to %u)", cname,
			ctype, (unsigned long)ttl, DNSCTL_TTL_MAX);
		goto fail;
	}
	if (n == 0) {
		err_set(err, ERR_PLAN, RETRY_NEVER, "'%s %s': no record",
			cname, ctype);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		char *c;

		if (dnsctl_rdata_canon(ctype, rdata[i], &c, err) < 0) {
			err_prefix(err, "'%s %s'", cname, ctype);
			goto fail;
		}
		dnsctl_rrset_add(rs, c);
	}
	dnsctl_rrset_finish(rs);
	return 0;
fail:
	dnsctl_rrset_release(rs);
	return -1;
}

int dnsctl_rrset_parse(struct dnsctl_rrset *rs, const char *name,
		       const char *type, uint32_t ttl, const char *joined,
		       struct err *err)
{
	char *copy = xstrdup(joined ? joined : ""), *save = NULL, *tok;
	const char **v = NULL;
	size_t n = 0;
	int rc;

	for (tok = strtok_r(copy, "\n", &save); tok;
	     tok = strtok_r(NULL, "\n", &save)) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = tok;
	}
	rc = dnsctl_rrset_set(rs, name, type, ttl, v, n, err);
	free(v);
	free(copy);
	return rc;
}

int dnsctl_rrset_to_ldns(const struct dnsctl_rrset *rs, ldns_rr_list *list,
			 struct err *err)
{
	for (size_t i = 0; i < rs->n; i++) {
		char *line = xasprintf("%s 0 IN %s %s", rs->name, rs->type,
				       rs->rdata[i]);
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);

		free(line);
		if (st != LDNS_STATUS_OK || !rr)
			return err_set(err, ERR_PLAN, RETRY_NEVER,
				       "'%s %s': record '%s' does not parse: "
				       "%s", rs->name, rs->type, rs->rdata[i],
				       ldns_get_errorstr_by_id(st));
		ldns_rr_set_ttl(rr, rs->ttl);
		ldns_rr_list_push_rr(list, rr);
	}
	return 0;
}

const char *dnsctl_rcode_name(int rcode, char *buf, size_t size)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE",
	};

	if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof *names)
		return names[rcode];
	snprintf(buf, size, "RCODE %d", rcode);
	return buf;
}
