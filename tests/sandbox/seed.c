/*
 * seed.c -- fill a Dovecot Maildir++ mailbox with a deterministic corpus.
 *
 *	seed [--seed N] [--scale small|demo|full] [--manifest FILE]
 *	     [--owner UID:GID] MAILDIR_ROOT
 *
 * The same seed and scale always give the same bytes: the same folders,
 * file names, contents, flags and mtimes.  The corpus has what a migration
 * meets in real mailboxes: nested folders (Archive/2019/Q1), non-ASCII
 * folder names (stored in modified UTF-7 as Dovecot expects: ".Entw&APw-rfe"),
 * a folder whose parent does not exist (Lists/dev & ops), an empty folder,
 * sizes from a few hundred bytes to 1 MiB (small), 4 MiB (demo) or 10 MiB
 * (full), the flags \Seen \Answered \Flagged \Deleted \Draft, the keywords
 * $Forwarded $Junk Project-X (dovecot-keywords letters a b c), unread mail
 * in new/, INTERNALDATEs (file mtimes) from 2009 to 2026, byte-identical
 * duplicates in one folder and across folders, messages without a
 * Message-ID, raw 8-bit (UTF-8) and RFC 2047 headers, Latin-1 bodies,
 * multipart/alternative and multipart/mixed with base64 attachments.  Every
 * line ends in CRLF, so each file's size is also its IMAP RFC822.SIZE.
 *
 * The manifest (stdout, or FILE) has one line per folder, in IMAP names:
 *	FOLDER<TAB>MESSAGES<TAB>BYTES
 * then "# total<TAB>MESSAGES<TAB>BYTES" and "# checksum<TAB>fnv1a64:HEX",
 * a hash over every file name, mtime and content.  Run as root, the files
 * belong to --owner (default: nobody), since Dovecot refuses uid 0 mail.
 * Folders that already hold messages are refused.  Exit 0, 1 on errors,
 * 64 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "util/sbuf.h"
#include "util/xalloc.h"

/* ---- deterministic randomness (splitmix64) ------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* A number in [lo, hi]. */
static uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* True with probability pct percent. */
static bool rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

static const char *rng_pick(struct rng *r, const char *const *v, size_t n)
{
	return v[rng_below(r, n)];
}

#define PICK(r, v) rng_pick((r), (v), sizeof(v) / sizeof((v)[0]))

/* ---- the corpus: seed_corpus.h ------------------------------------------ */

#include "tests/sandbox/seed_corpus.h"

/* ---- helpers ------------------------------------------------------------- */

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("seed: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void add(struct sbuf *sb, const void *p, size_t n)
{
	if (sbuf_add(sb, p, n) < 0)
		fatal("message too big");
}

static void adds(struct sbuf *sb, const char *s)
{
	add(sb, s, strlen(s));
}

static void addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	if (rc < 0)
		fatal("message too big");
}

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_imap[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Base64 of p[0..n) with the given alphabet; '=' padding if pad. */
static void add_b64(struct sbuf *sb, const unsigned char *p, size_t n,
		    const char *alpha, bool pad)
{
	char q[4];
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = alpha[p[i] >> 2];
		q[1] = alpha[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = alpha[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = alpha[p[i + 2] & 63];
		add(sb, q, 4);
	}
	if (n - i == 1) {
		q[0] = alpha[p[i] >> 2];
		q[1] = alpha[(p[i] & 3) << 4];
		add(sb, q, 2);
		if (pad)
			add(sb, "==", 2);
	} else if (n - i == 2) {
		q[0] = alpha[p[i] >> 2];
		q[1] = alpha[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = alpha[(p[i + 1] & 15) << 2];
		add(sb, q, 3);
		if (pad)
			add(sb, "=", 1);
	}
}

/* Decode one UTF-8 sequence at *s; returns the code point, or -1. */
static long utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	long c;
	int n, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		c = p[0] & 0x1f;
		n = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		c = p[0] & 0x0f;
		n = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		c = p[0] & 0x07;
		n = 3;
	} else {
		return -1;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	*s = p + n + 1;
	return c;
}

/* RFC 3501 modified UTF-7 of a UTF-8 name ("Entwürfe" -> "Entw&APw-rfe"). */
static char *mutf7(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	struct sbuf out, u16;
	long c;

	sbuf_init(&out, 4096);
	sbuf_init(&u16, 4096);
	while (*s) {
		if (*s >= 0x20 && *s < 0x7f) {
			if (*s == '&')
				adds(&out, "&-");
			else
				add(&out, s, 1);
			s++;
			continue;
		}
		sbuf_clear(&u16);
		while (*s && !(*s >= 0x20 && *s < 0x7f)) {
			unsigned char b[4];

			if ((c = utf8_next(&s)) < 0)
				fatal("folder name '%s' is not UTF-8", name);
			if (c >= 0x10000) {
				c -= 0x10000;
				b[0] = (unsigned char)(0xd8 | (c >> 18));
				b[1] = (unsigned char)(c >> 10);
				b[2] = (unsigned char)(0xdc | ((c >> 8) & 3));
				b[3] = (unsigned char)c;
				add(&u16, b, 4);
			} else {
				b[0] = (unsigned char)(c >> 8);
				b[1] = (unsigned char)c;
				add(&u16, b, 2);
			}
		}
		adds(&out, "&");
		add_b64(&out, (const unsigned char *)u16.buf, u16.len, b64_imap, false);
		adds(&out, "-");
	}
	sbuf_release(&u16);
	return sbuf_detach(&out, NULL);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- the seeder ------------------------------------------------------------ */

struct folder_state {
	char *dir;	/* the Maildir folder (root for INBOX) */
	unsigned count;
	uint64_t bytes;
};

struct seeder {
	const char *root;
	const struct scale_def *scale;
	uint64_t seed;
	struct rng rng;
	bool do_chown;
	uid_t uid;
	gid_t gid;
	unsigned serial;	/* file name counter */
	uint64_t checksum;
	struct folder_state st[NFOLDERS];
};

static void own(const struct seeder *sd, const char *path, int fd)
{
	int rc;

	if (!sd->do_chown)
		return;
	rc = fd >= 0 ? fchown(fd, sd->uid, sd->gid) : chown(path, sd->uid, sd->gid);
	if (rc < 0)
		fatal("chown '%s': %s", path, strerror(errno));
}

/* mkdir -p, giving every directory it makes to the mail owner. */
static void mkdirs(const struct seeder *sd, const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char save = *s;

		*s = '\0';
		if (mkdir(p, 0700) == 0)
			own(sd, p, -1);
		else if (errno != EEXIST)
			fatal("mkdir '%s': %s", p, strerror(errno));
		*s = save;
		if (!save)
			break;
	}
	free(p);
}

static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			any = true;
			break;
		}
	}
	closedir(d);
	return any;
}

static void write_file(const struct seeder *sd, const char *path,
		       const void *data, size_t len, time_t mtime)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	const char *p = data;
	size_t left = len;

	if (fd < 0)
		fatal("create '%s': %s", path, strerror(errno));
	while (left) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("write '%s': %s", path, strerror(errno));
		p += n;
		left -= (size_t)n;
	}
	own(sd, path, fd);
	if (mtime) {
		struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

		if (futimens(fd, ts) < 0)
			fatal("futimens '%s': %s", path, strerror(errno));
	}
	if (close(fd) < 0)
		fatal("close '%s': %s", path, strerror(errno));
}

static void make_folders(struct seeder *sd)
{
	static const char keywords[] = "0 $Forwarded\n1 $Junk\n2 Project-X\n";
	static const char *const subs[] = { "cur", "new", "tmp" };
	size_t i, k;

	for (i = 0; i < NFOLDERS; i++) {
		const char *name = folder_defs[i].name;
		char *enc, *q, *path;

		if (!strcmp(name, "INBOX")) {
			sd->st[i].dir = xstrdup(sd->root);
		} else {
			enc = mutf7(name);
			for (q = enc; *q; q++)
				if (*q == '/')
					*q = '.';
			sd->st[i].dir = xasprintf("%s/.%s", sd->root, enc);
			free(enc);
		}
		mkdirs(sd, sd->st[i].dir);
		for (k = 0; k < 3; k++) {
			path = xasprintf("%s/%s", sd->st[i].dir, subs[k]);
			if (k < 2 && dir_has_entries(path))
				fatal("folder '%s' already holds messages ('%s')", name, path);
			mkdirs(sd, path);
			free(path);
		}
		path = xasprintf("%s/dovecot-keywords", sd->st[i].dir);
		unlink(path);
		write_file(sd, path, keywords, sizeof(keywords) - 1, 0);
		free(path);
		if (strcmp(name, "INBOX")) {
			path = xasprintf("%s/maildirfolder", sd->st[i].dir);
			unlink(path);
			write_file(sd, path, "", 0, 0);
			free(path);
		}
	}
}

static size_t pick_folder(struct seeder *sd)
{
	unsigned total = 0, r;
	size_t i;

	for (i = 0; i < NFOLDERS; i++)
		total += folder_defs[i].weight;
	r = (unsigned)rng_below(&sd->rng, total);
	for (i = 0; i < NFOLDERS; i++) {
		if (r < folder_defs[i].weight)
			return i;
		r -= folder_defs[i].weight;
	}
	return 0;
}

static time_t month_start(int year, int month)
{
	struct tm tm = { 0 };

	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = 1;
	return timegm(&tm);
}

static time_t pick_time(struct seeder *sd, const struct folder_def *f)
{
	time_t a = month_start(f->year_from, f->month_from);
	time_t b = month_start(f->year_to + (f->month_to == 12),
			       f->month_to == 12 ? 1 : f->month_to + 1) - 1;

	return a + (time_t)rng_below(&sd->rng, (uint64_t)(b - a));
}

/* RFC 5322 date of t as seen in the zone +-HHMM (C locale names). */
static void add_date(struct sbuf *sb, time_t t, int tz)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int off = (tz / 100) * 3600 + (tz % 100) * 60;
	time_t local = t + off;
	struct tm tm;

	gmtime_r(&local, &tm);
	addf(sb, "%s, %02d %s %04d %02d:%02d:%02d %c%04d", wd[tm.tm_wday],
	     tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	     tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+', tz < 0 ? -tz : tz);
}

/* About `size` bytes of wrapped text lines; latin1 turns UTF-8 letters into
 * ISO-8859-1 bytes. */
static void add_text(struct seeder *sd, struct sbuf *sb, size_t size, bool latin1)
{
	size_t start = sb->len, col = 0;

	while (sb->len - start < size) {
		const char *w = PICK(&sd->rng, words);

		if (col && col + strlen(w) > 72) {
			adds(sb, "\r\n");
			col = 0;
			if (rng_pct(&sd->rng, 8))
				adds(sb, "\r\n");
		}
		if (col) {
			adds(sb, " ");
			col++;
		}
		if (latin1) {
			const unsigned char *p = (const unsigned char *)w;

			while (*p) {
				long c = utf8_next(&p);
				unsigned char b = c < 0 || c > 0xff ? '?' : (unsigned char)c;

				add(sb, &b, 1);
			}
		} else {
			adds(sb, w);
		}
		col += strlen(w);
	}
	adds(sb, "\r\n");
}

/* `size` bytes of random data, base64 in 76-column lines. */
static void add_attachment_data(struct seeder *sd, struct sbuf *sb, size_t size)
{
	unsigned char raw[57];
	size_t done = 0, n, i;

	while (done < size) {
		n = size - done < sizeof(raw) ? size - done : sizeof(raw);
		for (i = 0; i < n; i++)
			raw[i] = (unsigned char)rng_next(&sd->rng);
		add_b64(sb, raw, n, b64_std, true);
		adds(sb, "\r\n");
		done += n;
	}
}

static void add_subject(struct seeder *sd, struct sbuf *sb)
{
	unsigned r = (unsigned)rng_below(&sd->rng, 10);
	const char *s;

	adds(sb, "Subject: ");
	if (r < 6) {
		adds(sb, PICK(&sd->rng, subjects_ascii));
	} else if (r < 8) {	/* RFC 2047 */
		s = PICK(&sd->rng, subjects_utf8);
		adds(sb, "=?UTF-8?B?");
		add_b64(sb, (const unsigned char *)s, strlen(s), b64_std, true);
		adds(sb, "?=");
	} else if (r < 9) {	/* raw 8-bit */
		adds(sb, PICK(&sd->rng, subjects_utf8));
	} else {		/* long and folded */
		adds(sb, "Re: Fwd: Re: a rather long subject line about the");
		adds(sb, "\r\n quarterly budget review and the server migration plan");
	}
	adds(sb, "\r\n");
}

/* Build message number i of folder f into sb; returns its INTERNALDATE. */
static time_t build_message(struct seeder *sd, struct sbuf *sb, unsigned i,
			    const struct folder_def *f, size_t forced_size)
{
	time_t t = pick_time(sd, f);
	int tz = tz_offsets[rng_below(&sd->rng, sizeof(tz_offsets) / sizeof(tz_offsets[0]))];
	unsigned r = (unsigned)rng_below(&sd->rng, 1000);
	const char *from = PICK(&sd->rng, people), *to = PICK(&sd->rng, people);
	const char *boundary = "=_seed_boundary_";
	size_t att = 0, text;

	if (f->kind == FK_SENT)
		from = people[0];
	if (forced_size)
		att = forced_size;
	else if (r >= 970)
		att = (size_t)rng_range(&sd->rng, sd->scale->mid_max, sd->scale->attach_max);
	else if (r >= 850)
		att = (size_t)rng_range(&sd->rng, 8 * 1024, sd->scale->mid_max);
	text = r < 600 ? (size_t)rng_range(&sd->rng, 120, 2500)
		       : (size_t)rng_range(&sd->rng, 2500, 16 * 1024);

	if (rng_pct(&sd->rng, 60)) {
		addf(sb, "Return-Path: <%s>\r\n", strchr(from, '<') ? "bounce@sender.example" : from);
		addf(sb, "Received: from mx.source-host.example (mx.source-host.example [192.0.2.25])\r\n"
			 "\tby imap.source-host.example with LMTP id %u; ", i);
		add_date(sb, t, 0);
		adds(sb, "\r\n");
	}
	adds(sb, "Date: ");
	add_date(sb, t, tz);
	addf(sb, "\r\nFrom: %s\r\nTo: %s\r\n", from, to);
	if (rng_pct(&sd->rng, 20))
		addf(sb, "Cc: %s, %s\r\n", PICK(&sd->rng, people), PICK(&sd->rng, people));
	add_subject(sd, sb);
	if (!rng_pct(&sd->rng, 4))	/* some mailers send none */
		addf(sb, "Message-ID: <%" PRIu64 ".%u.%lld@seed.corp.example>\r\n",
		     sd->seed, i, (long long)t);
	addf(sb, "X-Seed: %" PRIu64 "/%s/%u\r\nMIME-Version: 1.0\r\n", sd->seed, sd->scale->name, i);

	if (att) {
		addf(sb, "Content-Type: multipart/mixed; boundary=\"%s%u\"\r\n\r\n", boundary, i);
		addf(sb, "This is a multi-part message in MIME format.\r\n\r\n--%s%u\r\n", boundary, i);
		adds(sb, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
		add_text(sd, sb, text / 4, false);
		addf(sb, "\r\n--%s%u\r\n", boundary, i);
		addf(sb, "Content-Type: application/pdf; name=\"report-%u.pdf\"\r\n"
			 "Content-Transfer-Encoding: base64\r\n"
			 "Content-Disposition: attachment; filename=\"report-%u.pdf\"\r\n\r\n", i, i);
		add_attachment_data(sd, sb, att * 3 / 4);
		addf(sb, "\r\n--%s%u--\r\n", boundary, i);
	} else if (r >= 600) {
		addf(sb, "Content-Type: multipart/alternative; boundary=\"%s%u\"\r\n\r\n", boundary, i);
		addf(sb, "--%s%u\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n", boundary, i);
		add_text(sd, sb, text / 2, false);
		addf(sb, "\r\n--%s%u\r\nContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n<html><body><p>\r\n", boundary, i);
		add_text(sd, sb, text / 2, false);
		addf(sb, "</p></body></html>\r\n\r\n--%s%u--\r\n", boundary, i);
	} else if (r < 60) {
		adds(sb, "Content-Type: text/plain; charset=iso-8859-1\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n");
		add_text(sd, sb, text, true);
	} else if (r < 300) {
		adds(sb, "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n");
		add_text(sd, sb, text, false);
	} else {
		adds(sb, "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
		size_t start = sb->len;

		adds(sb, "Hello,\r\n\r\nthe numbers for this week are below.\r\n\r\n");
		while (sb->len - start < text)
			addf(sb, "%08u plain ASCII line, number %u of this note.\r\n",
			     (unsigned)rng_below(&sd->rng, 100000000), (unsigned)(sb->len - start));
		adds(sb, "\r\nRegards\r\n");
	}
	return t;
}

/* Flags in Maildir order (uppercase, then keyword letters a=$Forwarded,
 * b=$Junk, c=Project-X), or NULL for an unseen message left in new/. */
static const char *pick_flags(struct seeder *sd, const struct folder_def *f, char *buf)
{
	bool draft = false, flagged = false, replied = false, seen = false,
	     trashed = false, fwd = false, junk = false, projx = false;
	char *p = buf;

	switch (f->kind) {
	case FK_NORMAL:
		seen = rng_pct(&sd->rng, 75);
		replied = seen && rng_pct(&sd->rng, 18);
		flagged = rng_pct(&sd->rng, 7);
		trashed = rng_pct(&sd->rng, 2);
		fwd = rng_pct(&sd->rng, 5);
		projx = rng_pct(&sd->rng, 3);
		if (!seen && !strcmp(f->name, "INBOX") && rng_pct(&sd->rng, 50))
			return NULL;
		break;
	case FK_SENT:
		seen = true;
		flagged = rng_pct(&sd->rng, 3);
		break;
	case FK_DRAFTS:
		draft = true;
		seen = rng_pct(&sd->rng, 50);
		break;
	case FK_TRASH:
		seen = rng_pct(&sd->rng, 90);
		trashed = rng_pct(&sd->rng, 30);
		break;
	case FK_JUNK:
		junk = true;
		seen = rng_pct(&sd->rng, 40);
		break;
	case FK_PROJECT:
		projx = rng_pct(&sd->rng, 80);
		seen = rng_pct(&sd->rng, 70);
		flagged = rng_pct(&sd->rng, 20);
		replied = seen && rng_pct(&sd->rng, 25);
		break;
	}
	if (draft)
		*p++ = 'D';
	if (flagged)
		*p++ = 'F';
	if (replied)
		*p++ = 'R';
	if (seen)
		*p++ = 'S';
	if (trashed)
		*p++ = 'T';
	if (fwd)
		*p++ = 'a';
	if (junk)
		*p++ = 'b';
	if (projx)
		*p++ = 'c';
	*p = '\0';
	return buf;
}

/* Deliver one file into folder fi: tmp/ then rename to cur/ or new/. */
static void store(struct seeder *sd, size_t fi, const struct sbuf *msg,
		  time_t t, const char *flags)
{
	struct folder_state *st = &sd->st[fi];
	char *base, *tmp, *dst;

	sd->serial++;
	base = xasprintf("%lld.M%06uP%u.seed,S=%zu,W=%zu", (long long)t,
			 sd->serial % 1000000, sd->serial, msg->len, msg->len);
	tmp = xasprintf("%s/tmp/%s", st->dir, base);
	if (flags)
		dst = xasprintf("%s/cur/%s:2,%s", st->dir, base, flags);
	else
		dst = xasprintf("%s/new/%s", st->dir, base);
	write_file(sd, tmp, msg->buf, msg->len, t);
	if (rename(tmp, dst) < 0)
		fatal("rename '%s': %s", tmp, strerror(errno));

	sd->checksum = fnv1a(sd->checksum, folder_defs[fi].name, strlen(folder_defs[fi].name) + 1);
	sd->checksum = fnv1a(sd->checksum, strrchr(dst, '/') + 1, strlen(strrchr(dst, '/')));
	sd->checksum = fnv1a(sd->checksum, msg->buf, msg->len);
	st->count++;
	st->bytes += msg->len;
	free(base);
	free(tmp);
	free(dst);
}

static void seed_all(struct seeder *sd)
{
	struct sbuf msg;
	char flagbuf[16];
	unsigned i, n = sd->scale->messages;

	sbuf_init(&msg, 64u << 20);
	make_folders(sd);
	for (i = 0; i < n; i++) {
		size_t fi = pick_folder(sd);
		const struct folder_def *f = &folder_defs[fi];
		const char *flags;
		time_t t;

		sbuf_clear(&msg);
		t = build_message(sd, &msg, i, f, i == n / 2 ? sd->scale->big : 0);
		flags = pick_flags(sd, f, flagbuf);
		store(sd, fi, &msg, t, flags);
		if (i % 41 == 7)	/* byte-identical twin, same folder */
			store(sd, fi, &msg, t, flags ? flags : "");
		if (i % 59 == 11) {	/* and one in another folder */
			size_t other = (fi + 1 + rng_below(&sd->rng, NFOLDERS - 1)) % NFOLDERS;

			if (!folder_defs[other].weight)
				other = 0;
			store(sd, other, &msg, t, "S");
		}
	}
	sbuf_release(&msg);
}

static void write_manifest(const struct seeder *sd, FILE *fp)
{
	unsigned total = 0;
	uint64_t bytes = 0;
	size_t i;

	fprintf(fp, "# seed %" PRIu64 " scale %s\n", sd->seed, sd->scale->name);
	for (i = 0; i < NFOLDERS; i++) {
		fprintf(fp, "%s\t%u\t%" PRIu64 "\n", folder_defs[i].name,
			sd->st[i].count, sd->st[i].bytes);
		total += sd->st[i].count;
		bytes += sd->st[i].bytes;
	}
	fprintf(fp, "# total\t%u\t%" PRIu64 "\n", total, bytes);
	fprintf(fp, "# checksum\tfnv1a64:%016" PRIx64 "\n", sd->checksum);
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: seed [--seed N] [--scale small|demo|full] [--manifest FILE]\n"
	      "            [--owner UID:GID] MAILDIR_ROOT\n", stderr);
	exit(64);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "seed: error: %s '%s' is not a number\n", what, s);
		exit(64);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct seeder sd;
	const char *manifest = NULL, *owner = NULL, *scale = "small";
	FILE *fp = stdout;
	size_t i;
	int a;

	memset(&sd, 0, sizeof(sd));
	sd.seed = 1;
	for (a = 1; a < argc && argv[a][0] == '-' && argv[a][1]; a++) {
		if (!strcmp(argv[a], "--"))  {
			a++;
			break;
		}
		if (a + 1 >= argc)
			usage();
		if (!strcmp(argv[a], "--seed"))
			sd.seed = parse_u64(argv[++a], "seed");
		else if (!strcmp(argv[a], "--scale"))
			scale = argv[++a];
		else if (!strcmp(argv[a], "--manifest"))
			manifest = argv[++a];
		else if (!strcmp(argv[a], "--owner"))
			owner = argv[++a];
		else
			usage();
	}
	if (a != argc - 1)
		usage();
	sd.root = argv[a];
	for (i = 0; i < sizeof(scales) / sizeof(scales[0]); i++)
		if (!strcmp(scale, scales[i].name))
			sd.scale = &scales[i];
	if (!sd.scale) {
		fprintf(stderr, "seed: error: unknown scale '%s' (small, demo, full)\n", scale);
		exit(64);
	}
	if (owner) {
		char *colon = strchr(owner, ':');

		if (!colon)
			usage();
		*colon = '\0';
		sd.uid = (uid_t)parse_u64(owner, "uid");
		sd.gid = (gid_t)parse_u64(colon + 1, "gid");
		sd.do_chown = true;
	} else if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		if (!pw)
			fatal("running as root and there is no user 'nobody': give --owner");
		sd.uid = pw->pw_uid;
		sd.gid = pw->pw_gid;
		sd.do_chown = true;
	}
	sd.rng.s = sd.seed * 0x2545f4914f6cdd1dULL + 1;
	sd.checksum = 0xcbf29ce484222325ULL;

	seed_all(&sd);

	if (manifest && strcmp(manifest, "-")) {
		fp = fopen(manifest, "w");
		if (!fp)
			fatal("cannot write manifest '%s': %s", manifest, strerror(errno));
	}
	write_manifest(&sd, fp);
	if (fflush(fp) || ferror(fp) || (fp != stdout && fclose(fp)))
		fatal("cannot write manifest: %s", strerror(errno));
	for (i = 0; i < NFOLDERS; i++)
		free(sd.st[i].dir);
	return 0;
}
