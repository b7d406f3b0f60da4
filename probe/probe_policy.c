/*
 * probe_policy.c -- the mail policies a domain publishes, read as text:
 * SPF records (RFC 7208) and MTA-STS TXT records and policies (RFC 8461).
 * Pure functions: the caller fetches the text (dnsctl/ for DNS and HTTPS).
 */
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"
#include "util/err.h"
#include "util/str.h"
#include "util/xalloc.h"

#define STS_MAX_AGE_MAX 31557600ul	/* one year, RFC 8461 section 3.2 */

char **probe_spf_terms(const char *txt)
{
	char **terms = NULL;
	const char *p = txt;

	while (*p == ' ')
		p++;
	if (!(str_has_prefix(p, "v=spf1") || str_has_prefix(p, "V=SPF1") ||
	      str_has_prefix(p, "v=SPF1")) ||
	    (p[6] != '\0' && p[6] != ' '))
		return NULL;
	p += 6;
	strv_push(&terms, "v=spf1");
	for (;;) {
		size_t n;
		char *t;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " \t");
		t = xstrndup(p, n);
		str_lower(t);
		strv_push(&terms, t);
		free(t);
		p += n;
	}
	return terms;
}

static const char *spf_bare(const char *t)
{
	return *t == '+' ? t + 1 : t;
}

bool probe_spf_has(char *const *terms, const char *term)
{
	for (size_t i = 1; terms && terms[i]; i++)
		if (str_ieq(spf_bare(terms[i]), spf_bare(term)))
			return true;
	return false;
}

const char *probe_sts_mode_name(enum probe_sts_mode m)
{
	static const char *const names[] = { "none", "testing", "enforce" };

	return (unsigned)m < 3 ? names[m] : "?";
}

void probe_sts_policy_release(struct probe_sts_policy *p)
{
	strv_free(p->mx);
	memset(p, 0, sizeof *p);
}

int probe_sts_txt(const char *txt)
{
	while (*txt == ' ')
		txt++;
	if (!str_has_prefix(txt, "v=STSv1"))
		return 0;
	txt += 7;
	return *txt == '\0' || *txt == ';' || *txt == ' ';
}

/* One "key: value" line into key and value (trimmed); false if none. */
static bool sts_kv(const char *line, size_t len, char **key, char **val)
{
	const char *colon = memchr(line, ':', len), *v, *end = line + len;
	size_t kl;

	if (!colon || colon == line)
		return false;
	kl = (size_t)(colon - line);
	while (kl && (line[kl - 1] == ' ' || line[kl - 1] == '\t'))
		kl--;
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		end--;
	*key = xstrndup(line, kl);
	*val = xstrndup(v, (size_t)(end - v));
	return true;
}

int probe_sts_parse(const char *body, size_t len,
		    struct probe_sts_policy *out, struct err *err)
{
	const char *p = body, *end = body + len;
	bool version = false, mode = false, age = false;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (memchr(body, '\0', len))
		return err_set(err, ERR_REMOTE, RETRY_NEVER,
			       "the policy holds a NUL byte");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *k, *v;
		unsigned long long num;

		if (sts_kv(p, n, &k, &v)) {
			if (!strcmp(k, "version")) {
				version = !strcmp(v, "STSv1");
			} else if (!strcmp(k, "mode")) {
				mode = true;
				if (!strcmp(v, "enforce"))
					out->mode = PROBE_STS_ENFORCE;
				else if (!strcmp(v, "testing"))
					out->mode = PROBE_STS_TESTING;
				else if (!strcmp(v, "none"))
					out->mode = PROBE_STS_NONE;
				else
					mode = false;
			} else if (!strcmp(k, "max_age")) {
				age = str_to_uint(v, 0, STS_MAX_AGE_MAX,
						  &num) == 0;
				out->max_age = age ? (unsigned long)num : 0;
			} else if (!strcmp(k, "mx") && *v) {
				str_lower(v);
				strv_push(&out->mx, v);
			}
			free(k);
			free(v);
		}
		p += n + (nl ? 1 : 0);
	}
	if (!version)
		err_set(err, ERR_REMOTE, RETRY_NEVER,
			"the policy has no 'version: STSv1' line");
	else if (!mode)
		err_set(err, ERR_REMOTE, RETRY_NEVER,
			"the policy has no valid 'mode' (enforce, testing or none)");
	else if (!age)
		err_set(err, ERR_REMOTE, RETRY_NEVER,
			"the policy has no valid 'max_age'");
	else if (!out->mx && out->mode != PROBE_STS_NONE)
		err_set(err, ERR_REMOTE, RETRY_NEVER,
			"the policy has no 'mx' line");
	else
		rc = 0;
	if (rc < 0)
		probe_sts_policy_release(out);
	return rc;
}

/* A copy without a final dot. */
static char *sts_nodot(const char *s)
{
	char *c = xstrdup(s);
	size_t n = strlen(c);

	if (n > 1 && c[n - 1] == '.')
		c[n - 1] = '\0';
	return c;
}

bool probe_sts_match(const char *pattern, const char *host)
{
	char *h = sts_nodot(host), *p = sts_nodot(pattern);
	bool ok;

	if (str_has_prefix(p, "*.")) {
		const char *dot = strchr(h, '.');

		ok = dot && dot != h && str_ieq(dot + 1, p + 2);
	} else {
		ok = str_ieq(p, h);
	}
	free(h);
	free(p);
	return ok;
}
