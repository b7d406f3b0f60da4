/*
 * imap_lstatus.c -- the untagged STATUS responses of LIST-STATUS (RFC
 * 5819), read from the raw bytes of the reply.
 *
 * libetpan parses every "* STATUS" of a reply but keeps only the last
 * one, so imap_folders_list_status (imap_folders.c) taps the bytes
 * received and this file picks the STATUS responses out of them:
 *
 *	* STATUS <mailbox> (<item> <number> ...)
 *
 * <mailbox> is an atom, a quoted string or a literal.  Every other
 * response is skipped whole, literals included, so a folder name that
 * contains "* STATUS" cannot be mistaken for one.  Pure (unit-tested in
 * tests/unit/test_imapsync_lstatus.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsync/imap_int.h"
#include "util/sbuf.h"
#include "util/str.h"

struct cur {
	const char *p, *end;
};

/* A literal "{n}" or "{n+}" followed by CRLF at *c: its length, with c
 * moved past the CRLF; -1 if there is none. */
static long literal_at(struct cur *c)
{
	const char *q = c->p;
	unsigned long n = 0;
	int digits = 0;

	if (q >= c->end || *q != '{')
		return -1;
	for (q++; q < c->end && *q >= '0' && *q <= '9' && digits < 10; q++) {
		n = n * 10 + (unsigned long)(*q - '0');
		digits++;
	}
	if (!digits)
		return -1;
	if (q < c->end && (*q == '+' || *q == '-'))
		q++;
	if (c->end - q < 3 || q[0] != '}' || q[1] != '\r' || q[2] != '\n')
		return -1;
	c->p = q + 3;
	return (long)n;
}

/* Past the rest of this response: lines, and the literals they end with. */
static void skip_response(struct cur *c)
{
	while (c->p < c->end) {
		const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
		const char *brace;
		struct cur lc;
		long n;

		if (!nl) {
			c->p = c->end;
			return;
		}
		/* a line ending in "{n}\r\n" continues after n bytes */
		brace = nl;
		while (brace > c->p && *brace != '{')
			brace--;
		lc.p = brace;
		lc.end = c->end;
		if (*brace == '{' && (n = literal_at(&lc)) >= 0 &&
		    lc.p == nl + 1) {
			if (c->end - lc.p < n) {
				c->p = c->end;
				return;
			}
			c->p = lc.p + n;
			continue;
		}
		c->p = nl + 1;
		return;
	}
}

/* A mailbox name (atom, quoted or literal) into out. */
static int astring(struct cur *c, struct sbuf *out)
{
	long n;

	if (c->p >= c->end)
		return -1;
	if (*c->p == '"') {
		for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			if (*c->p == '\r' || *c->p == '\n')
				return -1;
			sbuf_addch(out, *c->p);
		}
		if (c->p >= c->end)
			return -1;
		c->p++;
		return 0;
	}
	if ((n = literal_at(c)) >= 0) {
		if (c->end - c->p < n)
			return -1;
		sbuf_add(out, c->p, (size_t)n);
		c->p += n;
		return 0;
	}
	while (c->p < c->end && *c->p != ' ' && *c->p != '\r' &&
	       *c->p != '\n' && *c->p != '(')
		sbuf_addch(out, *c->p++);
	return out->len ? 0 : -1;
}

static int number(struct cur *c, unsigned long long *v)
{
	int digits = 0;

	*v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 20) {
		*v = *v * 10 + (unsigned long long)(*c->p++ - '0');
		digits++;
	}
	return digits ? 0 : -1;
}

/* "(ITEM n ITEM n ...)" into st. */
static int items(struct cur *c, struct imap_status *st)
{
	if (c->p >= c->end || *c->p != '(')
		return -1;
	c->p++;
	while (c->p < c->end && *c->p != ')') {
		const char *name = c->p;
		size_t len;
		unsigned long long v;

		while (c->p < c->end && *c->p != ' ' && *c->p != ')')
			c->p++;
		len = (size_t)(c->p - name);
		if (c->p >= c->end || *c->p != ' ')
			return -1;
		c->p++;
		if (number(c, &v) < 0)
			return -1;
		if (len == 11 && strncasecmp(name, "UIDVALIDITY", len) == 0)
			st->uidvalidity = (uint32_t)v;
		else if (len == 7 && strncasecmp(name, "UIDNEXT", len) == 0)
			st->uidnext = (uint32_t)v;
		else if (len == 8 && strncasecmp(name, "MESSAGES", len) == 0)
			st->messages = (uint32_t)v;
		else if (len == 13 &&
			 strncasecmp(name, "HIGHESTMODSEQ", len) == 0)
			st->modseq = v;
		if (c->p < c->end && *c->p == ' ')
			c->p++;
	}
	if (c->p >= c->end)
		return -1;
	c->p++;
	return 0;
}

static struct imap_folder *find(struct imap_folder_list *l, const char *raw)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].raw, raw) == 0 ||
		    (str_ieq(raw, "INBOX") && str_ieq(l->v[i].raw, "INBOX")))
			return &l->v[i];
	return NULL;
}

size_t imap_lstatus_parse(const char *buf, size_t len,
			  struct imap_folder_list *l)
{
	static const char tag[] = "* STATUS ";
	struct cur c = { buf, buf + len };
	size_t found = 0;

	while (c.p < c.end) {
		const char *start = c.p;
		struct sbuf name;
		struct imap_status st;
		struct imap_folder *f;

		if ((size_t)(c.end - c.p) < sizeof tag - 1 ||
		    strncasecmp(c.p, tag, sizeof tag - 1) != 0) {
			skip_response(&c);
			continue;
		}
		c.p += sizeof tag - 1;
		sbuf_init(&name, 1 << 16);
		memset(&st, 0, sizeof st);
		if (astring(&c, &name) == 0 && c.p < c.end && *c.p == ' ' &&
		    (c.p++, items(&c, &st)) == 0 &&
		    (f = find(l, name.buf)) != NULL) {
			st.exists = true;
			f->st = st;
			found++;
		}
		sbuf_release(&name);
		/* the rest of this response, whatever it held */
		if (c.p == start)
			c.p++;
		skip_response(&c);
	}
	return found;
}
