/*
 * imap_utf7.c -- IMAP's modified UTF-7 mailbox names (RFC 3501 5.1.3).
 *
 * Printable US-ASCII except '&' stands for itself, "&-" is '&', and any
 * other run of characters is '&', the UTF-16BE code units in base64 with
 * ',' for '/' and no padding, then '-'.  Decoding is strict: a name that
 * is not valid modified UTF-7 is refused, so the caller can fall back to
 * the raw bytes instead of inventing a name.
 */
#include <stdint.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/sbuf.h"

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64val(unsigned char c)
{
	const char *p;

	if (c == 0)
		return -1;
	p = strchr(b64chars, c);
	return p ? (int)(p - b64chars) : -1;
}

static int put_utf8(struct sbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sbuf_add(out, b, n);
}

/* Decode one base64 run (between '&' and '-') into out. */
static int decode_run(const char *p, size_t n, struct sbuf *out)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0;
	size_t i, units = 0;

	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)p[i]);

		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			uint32_t u = (bits >> (nbits - 16)) & 0xffff;

			nbits -= 16;
			bits &= (1u << nbits) - 1;
			units++;
			if (high) {
				if (u < 0xdc00 || u > 0xdfff)
					return -1;
				if (put_utf8(out, 0x10000 + ((high - 0xd800) << 10) +
						      (u - 0xdc00)) < 0)
					return -1;
				high = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				high = u;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return -1;
			} else {
				/* printable ASCII must not be encoded */
				if (u >= 0x20 && u <= 0x7e)
					return -1;
				if (put_utf8(out, u) < 0)
					return -1;
			}
		}
	}
	/* leftover bits must be zero padding, fewer than 6 */
	if (high || nbits >= 6 || bits != 0 || units == 0)
		return -1;
	return 0;
}

int imap_utf7_decode(const char *in, struct sbuf *out)
{
	size_t start = out->len;
	const char *p = in;

	while (*p) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c > 0x7e)
			goto bad;
		if (c != '&') {
			if (sbuf_addch(out, c) < 0)
				goto bad;
			p++;
			continue;
		}
		if (p[1] == '-') {
			if (sbuf_addch(out, '&') < 0)
				goto bad;
			p += 2;
			continue;
		}
		{
			const char *end = strchr(p + 1, '-');

			if (!end || decode_run(p + 1, (size_t)(end - p - 1),
					       out) < 0)
				goto bad;
			p = end + 1;
		}
	}
	return 0;
bad:
	sbuf_truncate(out, start);
	return -1;
}

/* Next code point of UTF-8 text, or -1 on invalid input. */
static int32_t next_cp(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint32_t cp;
	int n, i;

	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	} else if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		n = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		n = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07;
		n = 3;
	} else {
		return -1;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
	    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pp = p + n + 1;
	return (int32_t)cp;
}

struct b64w {
	uint32_t bits;
	unsigned nbits;
};

static int b64_unit(struct sbuf *out, struct b64w *w, uint32_t u)
{
	w->bits = (w->bits << 16) | u;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		if (sbuf_addch(out, b64chars[(w->bits >> w->nbits) & 0x3f]) < 0)
			return -1;
	}
	w->bits &= (1u << w->nbits) - 1;
	return 0;
}

int imap_utf7_encode(const char *in, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t start = out->len;
	bool inrun = false;
	struct b64w w = { 0, 0 };

	while (*p) {
		int32_t cp = next_cp(&p);

		if (cp < 0)
			goto bad;
		if (cp >= 0x20 && cp <= 0x7e) {
			if (inrun) {
				if (w.nbits && sbuf_addch(out, b64chars[(w.bits << (6 - w.nbits)) & 0x3f]) < 0)
					goto bad;
				if (sbuf_addch(out, '-') < 0)
					goto bad;
				inrun = false;
				w.bits = 0;
				w.nbits = 0;
			}
			if (cp == '&') {
				if (sbuf_addstr(out, "&-") < 0)
					goto bad;
			} else if (sbuf_addch(out, cp) < 0) {
				goto bad;
			}
			continue;
		}
		if (!inrun) {
			if (sbuf_addch(out, '&') < 0)
				goto bad;
			inrun = true;
		}
		if (cp >= 0x10000) {
			uint32_t v = (uint32_t)cp - 0x10000;

			if (b64_unit(out, &w, 0xd800 + (v >> 10)) < 0 ||
			    b64_unit(out, &w, 0xdc00 + (v & 0x3ff)) < 0)
				goto bad;
		} else if (b64_unit(out, &w, (uint32_t)cp) < 0) {
			goto bad;
		}
	}
	if (inrun) {
		if (w.nbits && sbuf_addch(out, b64chars[(w.bits << (6 - w.nbits)) & 0x3f]) < 0)
			goto bad;
		if (sbuf_addch(out, '-') < 0)
			goto bad;
	}
	return 0;
bad:
	sbuf_truncate(out, start);
	return -1;
}
