/*
 * imap_ident.c -- content identity, flag lists and INTERNALDATEs; all
 * pure functions (unit-tested in tests/unit/test_imapsync_ident.c).
 *
 * A message's identity is SHA-256 over its Message-ID, Date and size, or,
 * when it has no Message-ID, over the SHA-256 of all its bytes and its
 * size.  The header values are unfolded and their whitespace collapsed,
 * so the same bytes always give the same identity whether the fields came
 * from BODY[HEADER.FIELDS (MESSAGE-ID DATE)] or from the whole message.
 */
#include "imapsync/imap_ssl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "imapsync/imap_int.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- dates -------------------------------------------------------------- */

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
				      "Jun", "Jul", "Aug", "Sep", "Oct",
				      "Nov", "Dec" };

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t imap_date_epoch(const struct imap_date *d)
{
	int64_t t;
	int zone = d->zone, sign = zone < 0 ? -1 : 1;
	int zh, zm;

	if (d->month < 1 || d->month > 12)
		return 0;
	zone *= sign;
	zh = zone / 100;
	zm = zone % 100;
	t = days_from_civil(d->year, (unsigned)d->month, (unsigned)d->day) *
		    86400 +
	    d->hour * 3600 + d->min * 60 + d->sec;
	return t - sign * (zh * 3600 + zm * 60);
}

char *imap_date_format(const struct imap_date *d, char *buf, size_t size)
{
	int zone = d->zone < 0 ? -d->zone : d->zone;

	snprintf(buf, size, "%02d-%s-%04d %02d:%02d:%02d %c%04d", d->day,
		 d->month >= 1 && d->month <= 12 ? months[d->month - 1] : "Jan",
		 d->year, d->hour, d->min, d->sec, d->zone < 0 ? '-' : '+',
		 zone % 10000);
	return buf;
}

/* ---- header fields ------------------------------------------------------ */

int imap_ident_header(const char *hdr, size_t len, const char *name,
		      struct sbuf *out)
{
	size_t nlen = strlen(name), i = 0;

	while (i < len) {
		size_t eol = i, next;

		while (eol < len && hdr[eol] != '\n')
			eol++;
		next = eol < len ? eol + 1 : eol;
		/* the empty line ends the header */
		if (eol == i || (eol == i + 1 && hdr[i] == '\r'))
			return -1;
		if (hdr[i] != ' ' && hdr[i] != '\t' && eol - i > nlen &&
		    strncasecmp(hdr + i, name, nlen) == 0) {
			size_t j = i + nlen;

			while (j < eol && (hdr[j] == ' ' || hdr[j] == '\t'))
				j++;
			if (j < eol && hdr[j] == ':') {
				bool space = false;
				size_t start = out->len;

				j++;
				/* the value, with its continuation lines */
				for (;;) {
					for (; j < eol; j++) {
						char ch = hdr[j];

						if (ch == '\r')
							continue;
						if (ch == ' ' || ch == '\t') {
							space = out->len > start;
							continue;
						}
						if (space)
							sbuf_addch(out, ' ');
						space = false;
						sbuf_addch(out, ch);
					}
					if (next >= len ||
					    (hdr[next] != ' ' && hdr[next] != '\t'))
						break;
					space = out->len > start;
					j = next;
					eol = next;
					while (eol < len && hdr[eol] != '\n')
						eol++;
					next = eol < len ? eol + 1 : eol;
				}
				return out->len > start ? 0 : -1;
			}
		}
		i = next;
	}
	return -1;
}

static void digest(const void *p, size_t n,
		   unsigned char out[IMAPSYNC_IDENT_LEN])
{
	unsigned int len = 0;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

bool imap_ident_from_header(const char *hdr, size_t len, uint64_t size,
			    unsigned char ident[IMAPSYNC_IDENT_LEN])
{
	struct sbuf mid, date, all;
	bool ok = false;

	sbuf_init(&mid, 4096);
	sbuf_init(&date, 4096);
	sbuf_init(&all, 16384);
	if (imap_ident_header(hdr, len, "Message-ID", &mid) == 0) {
		(void)imap_ident_header(hdr, len, "Date", &date);
		sbuf_addstr(&all, "mid");
		sbuf_addch(&all, 0);
		sbuf_add(&all, mid.buf, mid.len);
		sbuf_addch(&all, 0);
		sbuf_add(&all, date.buf, date.len);
		sbuf_addf(&all, "%c%llu", 0, (unsigned long long)size);
		digest(all.buf, all.len, ident);
		ok = true;
	}
	sbuf_release(&mid);
	sbuf_release(&date);
	sbuf_release(&all);
	return ok;
}

void imap_ident_from_digest(const unsigned char d[32], uint64_t size,
			    unsigned char ident[IMAPSYNC_IDENT_LEN])
{
	unsigned char buf[64];
	int n;

	memcpy(buf, "body", 5);
	memcpy(buf + 5, d, 32);
	n = snprintf((char *)buf + 37, sizeof buf - 37, "%llu",
		     (unsigned long long)size);
	digest(buf, 37 + (size_t)n, ident);
}

char *imap_ident_hex(const unsigned char ident[IMAPSYNC_IDENT_LEN], char *buf,
		     size_t size)
{
	size_t i;

	for (i = 0; i < 8 && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", ident[i]);
	return buf;
}

/* ---- flags -------------------------------------------------------------- */

static const char *const system_flags[] = { "\\Answered", "\\Deleted",
					    "\\Draft", "\\Flagged", "\\Seen" };

bool imap_flags_is_system(const char *flag)
{
	return flag[0] == '\\';
}

static int flag_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

char *imap_flags_canon(const char *const *flags, size_t n)
{
	const char **v = xcalloc(n + 1, sizeof *v);
	struct sbuf sb;
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		const char *f = flags[i];

		if (!f || !*f || str_ieq(f, "\\Recent"))
			continue;
		for (j = 0; j < sizeof system_flags / sizeof *system_flags; j++)
			if (str_ieq(f, system_flags[j]))
				f = system_flags[j];
		v[k++] = f;
	}
	if (k > 1)
		qsort(v, k, sizeof *v, flag_cmp);
	sbuf_init(&sb, 1 << 20);
	for (i = 0; i < k; i++) {
		if (i > 0 && str_ieq(v[i], v[i - 1]))
			continue;
		if (sb.len)
			sbuf_addch(&sb, ' ');
		sbuf_addstr(&sb, v[i]);
	}
	free(v);
	return sbuf_detach(&sb, NULL);
}

char **imap_flags_split(const char *canon)
{
	char **v = NULL;
	const char *p = canon ? canon : "";

	while (*p) {
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n) {
			char *f = xstrndup(p, n);

			strv_push(&v, f);
			free(f);
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	if (!v)
		v = xcalloc(1, sizeof *v);
	return v;
}

bool imap_flags_has(const char *canon, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = canon ? canon : "";

	while (*p) {
		const char *e = strchr(p, ' ');
		size_t k = e ? (size_t)(e - p) : strlen(p);

		if (k == n && strncasecmp(p, flag, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

char *imap_flags_merge(const char *base, const char *src, const char *dst)
{
	char **vb, **vs, **vd, **all = NULL;
	const char **keep;
	size_t i, n, k = 0;
	char *out;

	if (!base)
		return xstrdup(dst ? dst : "");
	vb = imap_flags_split(base);
	vs = imap_flags_split(src);
	vd = imap_flags_split(dst);
	for (i = 0; vb[i]; i++)
		strv_push(&all, vb[i]);
	for (i = 0; vs[i]; i++)
		strv_push(&all, vs[i]);
	for (i = 0; vd[i]; i++)
		strv_push(&all, vd[i]);
	n = strv_len(all);
	keep = xcalloc(n + 1, sizeof *keep);
	for (i = 0; i < n; i++) {
		bool b = imap_flags_has(base, all[i]);
		bool s = imap_flags_has(src, all[i]);
		bool d = imap_flags_has(dst, all[i]);

		if ((s != b && d == b) ? s : d)
			keep[k++] = all[i];
	}
	out = imap_flags_canon(keep, k);
	free(keep);
	strv_free(all);
	strv_free(vb);
	strv_free(vs);
	strv_free(vd);
	return out;
}

/* ---- multiset matching -------------------------------------------------- */

struct mitem {
	const unsigned char *ident;
	size_t idx;
};

static int mitem_cmp(const void *a, const void *b)
{
	const struct mitem *x = a, *y = b;
	int c = memcmp(x->ident, y->ident, IMAPSYNC_IDENT_LEN);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void imap_ident_match(const struct imap_ident_item *src, size_t ns,
		      const struct imap_ident_item *dst, size_t nd,
		      size_t *dst_of)
{
	struct mitem *v = xcalloc(nd + 1, sizeof *v);
	size_t *next = xcalloc(nd + 1, sizeof *next);
	size_t i, n = 0;

	for (i = 0; i < nd; i++)
		if (dst[i].ident)
			v[n++] = (struct mitem){ dst[i].ident, i };
	if (n > 1)
		qsort(v, n, sizeof *v, mitem_cmp);
	/* next[g]: the next unused entry of the group starting at g */
	for (i = 0; i < n; i++)
		next[i] = i;
	for (i = 0; i < ns; i++) {
		size_t lo = 0, hi = n;

		dst_of[i] = SIZE_MAX;
		if (!src[i].ident)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (memcmp(v[mid].ident, src[i].ident,
				   IMAPSYNC_IDENT_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= n || memcmp(v[lo].ident, src[i].ident,
				      IMAPSYNC_IDENT_LEN) != 0)
			continue;
		if (next[lo] < n && memcmp(v[next[lo]].ident, src[i].ident,
					   IMAPSYNC_IDENT_LEN) == 0) {
			dst_of[i] = v[next[lo]].idx;
			next[lo]++;
		}
	}
	free(v);
	free(next);
}
