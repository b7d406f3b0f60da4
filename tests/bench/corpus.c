/*
 * corpus.c -- the benchmark's mail: deterministic, sized like real mail.
 *
 *	corpus maildir [--seed N] [--messages M] [--mean-kb K]
 *	               [--owner UID:GID] MAILDIR_ROOT
 *	corpus lmtp --port P [--seed N] [--count C] [--mean-kb K] RCPT...
 *
 * "maildir" writes a fresh Dovecot Maildir++ mailbox (refusing folders that
 * already hold messages): 17 folders (nested ones, non-ASCII names stored
 * in modified UTF-7, a folder whose parent does not exist, an empty one),
 * M messages (default 1000) spread over them, sizes from 1 KiB to about
 * 500 KiB with a mean near K KiB (default 25; most are small, a few carry
 * base64 attachments), flags \Seen \Answered \Flagged \Deleted \Draft and
 * the keywords $Forwarded and Project-X, unread mail in new/, an
 * INTERNALDATE (file mtime) per message, about 1% byte-identical
 * duplicates in the same folder.  Lines end in CRLF, so a file's size is
 * its RFC822.SIZE.  Prints the manifest: "FOLDER<TAB>MESSAGES<TAB>BYTES"
 * per folder (IMAP names, UTF-8), then "# total<TAB>MESSAGES<TAB>BYTES".
 * Run as root, files belong to --owner (default nobody).
 *
 * "lmtp" delivers C new messages (default 20) to each RCPT through the
 * LMTP server on 127.0.0.1:P, one session, and prints "delivered N BYTES".
 *
 * The same arguments always give the same bytes.  Exit 0, 1 on errors, 64
 * on usage errors.  Self-contained (libc only): the bench builds it with cc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------- */

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("corpus: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (b->len + n + 1 > cap)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			fatal("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_addf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		fatal("header line too long");
	buf_add(b, tmp, (size_t)n);
}

/* splitmix64 */
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

static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static bool rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 1000) < pct * 10;
}

#define NELEM(v) (sizeof(v) / sizeof((v)[0]))
#define PICK(r, v) ((v)[rng_below((r), NELEM(v))])

/* ---- the corpus ------------------------------------------------------ */

struct folder {
	const char *name;	/* IMAP name, UTF-8 */
	const char *dir;	/* Maildir++ directory ("" for INBOX) */
	unsigned weight;	/* share of the messages; 0 stays empty */
};

static const struct folder folders[] = {
	{ "INBOX", "", 34 },
	{ "Sent", ".Sent", 14 },
	{ "Drafts", ".Drafts", 1 },
	{ "Trash", ".Trash", 5 },
	{ "Junk", ".Junk", 3 },
	{ "Archive", ".Archive", 3 },
	{ "Archive/2019", ".Archive.2019", 5 },
	{ "Archive/2020", ".Archive.2020", 5 },
	{ "Archive/2021", ".Archive.2021", 5 },
	{ "Projects", ".Projects", 0 },
	{ "Projects/Project-X", ".Projects.Project-X", 5 },
	{ "Projects/Migration", ".Projects.Migration", 4 },
	{ "R\xc3\xa9unions", ".R&AOk-unions", 3 },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", ".&ZeVnLIqe-", 2 },
	{ "Lists/dev & ops", ".Lists.dev &- ops", 4 },
	{ "Lists/announce", ".Lists.announce", 3 },
	{ "Newsletters", ".Newsletters", 4 },
};

static const char *const words[] = {
	"the", "quarterly", "report", "meeting", "budget", "server", "mailbox",
	"migration", "please", "review", "attached", "draft", "schedule",
	"customer", "invoice", "project", "deadline", "update", "thanks",
	"regards", "tomorrow", "agenda", "network", "backup", "contract",
	"office", "travel", "approval", "figures", "summary", "team", "and",
	"of", "to", "for", "with", "on", "in", "we", "will", "should", "is",
	"Besprechung", "Rechnung", "Gr\xc3\xbc\xc3\x9f\x65", "r\xc3\xa9union",
	"\xc3\xa9quipe", "caf\xc3\xa9",
};

static const char *const people[] = {
	"Alice Example <alice@corp.example>",
	"Bob Builder <bob@corp.example>",
	"\"Carol, IT\" <carol@corp.example>",
	"dave@corp.example",
	"=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j.mueller@partner.example>",
	"Support Desk <support@vendor.example>",
	"newsletter@lists.example",
	"Erin Ops <erin@corp.example>",
};

static const char *const subjects[] = {
	"Quarterly report", "Re: Budget review", "Meeting tomorrow",
	"Fwd: Contract draft", "Server maintenance window", "Invoice 4711",
	"Lunch?", "Re: Re: Project X kickoff", "Backup failed on host db2",
	"[dev-ops] weekly digest", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=",
};

/* Size of a message in bytes: 62% 1-8 KiB, 26% 8-40, 10% 40-120, 2%
 * 120-500 (a mean of 23.2 KiB), scaled to the wanted mean. */
static size_t pick_size(struct rng *r, double mean_kb)
{
	uint64_t p = rng_below(r, 100), kb;

	if (p < 62)
		kb = rng_range(r, 1024, 8 * 1024);
	else if (p < 88)
		kb = rng_range(r, 8 * 1024, 40 * 1024);
	else if (p < 98)
		kb = rng_range(r, 40 * 1024, 120 * 1024);
	else
		kb = rng_range(r, 120 * 1024, 500 * 1024);
	return (size_t)((double)kb * mean_kb / 23.23);
}

static void add_date(struct buf *b, time_t t)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_addf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
		 mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void add_text(struct rng *r, struct buf *b, size_t size)
{
	size_t start = b->len, col = 0;

	while (b->len - start < size) {
		const char *w = PICK(r, words);

		if (col && col + strlen(w) > 72) {
			buf_adds(b, "\r\n");
			col = 0;
		}
		if (col) {
			buf_adds(b, " ");
			col++;
		}
		buf_adds(b, w);
		col += strlen(w);
	}
	buf_adds(b, "\r\n");
}

static void add_base64(struct rng *r, struct buf *b, size_t size)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[78];
	size_t done = 0;

	while (done < size) {
		size_t i;

		for (i = 0; i < 76; i += 8) {
			uint64_t x = rng_next(r);
			size_t k;

			for (k = 0; k < 8 && i + k < 76; k++, x >>= 6)
				line[i + k] = al[x & 63];
		}
		line[76] = '\r';
		line[77] = '\n';
		buf_add(b, line, 78);
		done += 78;
	}
}

/* One message of about `size` bytes; `id` makes it unique. */
static void build_message(struct rng *r, struct buf *b, const char *rcpt,
			  const char *id, time_t t, size_t size)
{
	const char *from = PICK(r, people);
	size_t text = size < 6144 ? size : (size_t)rng_range(r, 1024, 6144);
	size_t start = b->len;

	buf_adds(b, "Return-Path: <bounce@sender.example>\r\n");
	buf_adds(b, "Received: from mx.source-host.example (mx.source-host.example [192.0.2.25])\r\n"
		    "\tby imap.source-host.example with LMTP; ");
	add_date(b, t);
	buf_adds(b, "\r\nDate: ");
	add_date(b, t);
	buf_addf(b, "\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n", from, rcpt, PICK(r, subjects));
	buf_addf(b, "Message-ID: <%s@bench.corp.example>\r\nMIME-Version: 1.0\r\n", id);
	if (size - text < 1024) {
		buf_adds(b, "Content-Type: text/plain; charset=utf-8\r\n"
			    "Content-Transfer-Encoding: 8bit\r\n\r\n");
		add_text(r, b, size > b->len - start + 200 ? size - (b->len - start) - 2 : 200);
		return;
	}
	buf_addf(b, "Content-Type: multipart/mixed; boundary=\"=_b_%s\"\r\n\r\n", id);
	buf_addf(b, "--=_b_%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n", id);
	add_text(r, b, text);
	buf_addf(b, "--=_b_%s\r\nContent-Type: application/octet-stream; name=\"data-%s.bin\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n"
		    "Content-Disposition: attachment; filename=\"data-%s.bin\"\r\n\r\n", id, id, id);
	add_base64(r, b, size > b->len - start + 80 ? size - (b->len - start) - 80 : 78);
	buf_addf(b, "--=_b_%s--\r\n", id);
}

/* ---- maildir --------------------------------------------------------- */

static void mkdir_p(const char *path, uid_t uid, gid_t gid, bool own)
{
	char tmp[4096], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		fatal("path too long: '%s'", path);
	for (p = tmp + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(tmp, 0700) == 0) {
			if (own && chown(tmp, uid, gid) < 0)
				fatal("chown '%s': %s", tmp, strerror(errno));
		} else if (errno != EEXIST) {
			fatal("mkdir '%s': %s", tmp, strerror(errno));
		}
		*p = c;
		if (!c)
			break;
	}
}

static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while (!any && (e = readdir(d)))
		any = e->d_name[0] != '.';
	closedir(d);
	return any;
}

static void write_file(const char *path, const void *data, size_t len, time_t mtime,
		       uid_t uid, gid_t gid, bool own)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		fatal("create '%s': %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("write '%s': %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (own && fchown(fd, uid, gid) < 0)
		fatal("chown '%s': %s", path, strerror(errno));
	if (mtime) {
		struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

		if (futimens(fd, ts) < 0)
			fatal("futimens '%s': %s", path, strerror(errno));
	}
	if (close(fd) < 0)
		fatal("close '%s': %s", path, strerror(errno));
}

struct opts {
	uint64_t seed;
	unsigned messages;
	double mean_kb;
	uid_t uid;
	gid_t gid;
	bool own;
};

static int cmd_maildir(const struct opts *o, const char *root)
{
	static const char keywords[] = "0 $Forwarded\n1 Project-X\n";
	unsigned counts[NELEM(folders)] = { 0 };
	unsigned long long bytes[NELEM(folders)] = { 0 }, tbytes = 0;
	unsigned total_w = 0, i, tmsgs = 0;
	struct rng r = { o->seed * 0x2545f4914f6cdd1dULL + 7 };
	struct buf msg = { 0 };
	char path[4096], id[96];
	size_t f;

	for (f = 0; f < NELEM(folders); f++) {
		static const char *const subs[] = { "cur", "new", "tmp" };
		size_t k;

		total_w += folders[f].weight;
		for (k = 0; k < 3; k++) {
			snprintf(path, sizeof(path), "%s/%s/%s", root, folders[f].dir, subs[k]);
			if (k < 2 && dir_has_entries(path))
				fatal("folder '%s' already holds messages ('%s')", folders[f].name, path);
			mkdir_p(path, o->uid, o->gid, o->own);
		}
		snprintf(path, sizeof(path), "%s/%s/dovecot-keywords", root, folders[f].dir);
		unlink(path);
		write_file(path, keywords, sizeof(keywords) - 1, 0, o->uid, o->gid, o->own);
		if (folders[f].dir[0]) {
			snprintf(path, sizeof(path), "%s/%s/maildirfolder", root, folders[f].dir);
			unlink(path);
			write_file(path, "", 0, 0, o->uid, o->gid, o->own);
		}
	}

	for (i = 0; i < o->messages; i++) {
		unsigned pick = (unsigned)rng_below(&r, total_w), copies = 1, c;
		/* 2015-01-01 .. 2025-12-31, growing towards the present */
		time_t t = (time_t)(1420070400 + (uint64_t)(i + 1) * (347155200ULL / (o->messages + 1))
				    + rng_below(&r, 86400));
		char flags[16], *fp = flags;
		bool is_new = false;
		size_t size;

		for (f = 0; f < NELEM(folders); f++) {
			if (pick < folders[f].weight)
				break;
			pick -= folders[f].weight;
		}
		size = pick_size(&r, o->mean_kb);
		snprintf(id, sizeof(id), "%" PRIu64 ".%u", o->seed, i);
		msg.len = 0;
		build_message(&r, &msg, "user@corp.example", id, t, size);

		/* Maildir info: flags in ASCII order, keywords a b after them */
		if (!strcmp(folders[f].name, "INBOX") && i + o->messages / 30 >= o->messages) {
			is_new = true;	/* the latest ~3% of INBOX: unread, in new/ */
		} else {
			bool seen = rng_pct(&r, 78) || !strcmp(folders[f].name, "Sent");

			if (!strcmp(folders[f].name, "Drafts"))
				*fp++ = 'D';
			if (rng_pct(&r, 8))
				*fp++ = 'F';
			if (rng_pct(&r, 3))
				*fp++ = 'P';
			if (rng_pct(&r, 12))
				*fp++ = 'R';
			if (seen)
				*fp++ = 'S';
			if (rng_pct(&r, 1))
				*fp++ = 'T';
			if (rng_pct(&r, 3))
				*fp++ = 'a';
			if (rng_pct(&r, 3) || strstr(folders[f].name, "Project-X"))
				*fp++ = 'b';
		}
		*fp = '\0';
		if (rng_pct(&r, 1))
			copies = 2;	/* a byte-identical duplicate */
		for (c = 0; c < copies; c++) {
			snprintf(path, sizeof(path), "%s/%s/%s/%lld.B%uC%u.%" PRIu64 ".bench,S=%zu,W=%zu%s%s",
				 root, folders[f].dir, is_new ? "new" : "cur", (long long)t, i, c,
				 o->seed, msg.len, msg.len, is_new ? "" : ":2,", is_new ? "" : flags);
			write_file(path, msg.p, msg.len, t, o->uid, o->gid, o->own);
			counts[f]++;
			bytes[f] += msg.len;
			tmsgs++;
			tbytes += msg.len;
		}
	}
	for (f = 0; f < NELEM(folders); f++)
		printf("%s\t%u\t%llu\n", folders[f].name, counts[f], bytes[f]);
	printf("# total\t%u\t%llu\n", tmsgs, tbytes);
	free(msg.p);
	return 0;
}

/* ---- lmtp ------------------------------------------------------------ */

struct lmtp {
	int fd;
	char in[8192];
	size_t have;
};

/* Read one reply (all its lines); returns the code of the last line. */
static int lmtp_reply(struct lmtp *l, char *text, size_t tlen)
{
	for (;;) {
		char *nl = memchr(l->in, '\n', l->have);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - l->in) + 1;
			bool last = len >= 4 && l->in[3] != '-';
			int code = atoi(l->in);

			snprintf(text, tlen, "%.*s", (int)(len > 2 ? len - 2 : 0), l->in);
			memmove(l->in, l->in + len, l->have - len);
			l->have -= len;
			if (last)
				return code;
			continue;
		}
		if (l->have == sizeof(l->in))
			fatal("lmtp: reply line too long");
		n = read(l->fd, l->in + l->have, sizeof(l->in) - l->have);
		if (n <= 0)
			fatal("lmtp: connection closed by the server");
		l->have += (size_t)n;
	}
}

static void lmtp_send(struct lmtp *l, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(l->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fatal("lmtp: write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void lmtp_cmd(struct lmtp *l, int want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lmtp_cmd(struct lmtp *l, int want, const char *fmt, ...)
{
	char line[1024], reply[1024];
	va_list ap;
	int n, code;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		fatal("lmtp: command too long");
	memcpy(line + n, "\r\n", 2);
	lmtp_send(l, line, (size_t)n + 2);
	code = lmtp_reply(l, reply, sizeof(reply));
	if (code / 100 != want / 100)
		fatal("lmtp: '%.*s' answered '%s'", n, line, reply);
}

static int cmd_lmtp(const struct opts *o, int port, unsigned count, char **rcpts, int nrcpt)
{
	struct lmtp l = { .fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) };
	struct sockaddr_in sa;
	struct rng r = { o->seed * 0x9e3779b97f4a7c15ULL + 11 };
	struct buf msg = { 0 }, wire = { 0 };
	unsigned long long tbytes = 0;
	unsigned delivered = 0, i;
	char reply[1024], id[160];
	int k;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l.fd < 0 || connect(l.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("lmtp: cannot connect to 127.0.0.1:%d: %s", port, strerror(errno));
	if (lmtp_reply(&l, reply, sizeof(reply)) != 220)
		fatal("lmtp: greeting '%s'", reply);
	lmtp_cmd(&l, 250, "LHLO bench.corp.example");
	for (k = 0; k < nrcpt; k++) {
		for (i = 0; i < count; i++) {
			time_t t = (time_t)(1767225600 + (uint64_t)i * 60);
			const char *p;
			size_t n;

			snprintf(id, sizeof(id), "new.%" PRIu64 ".%u.%s", o->seed, i, rcpts[k]);
			for (char *q = id; *q; q++)
				if (*q == '@')
					*q = '.';
			msg.len = 0;
			build_message(&r, &msg, rcpts[k], id, t, pick_size(&r, o->mean_kb));
			/* dot-stuffing: a line starting with "." gets another */
			wire.len = 0;
			for (p = msg.p, n = msg.len; n;) {
				const char *eol = memchr(p, '\n', n);
				size_t len = eol ? (size_t)(eol - p) + 1 : n;

				if (*p == '.')
					buf_add(&wire, ".", 1);
				buf_add(&wire, p, len);
				p += len;
				n -= len;
			}
			buf_adds(&wire, ".\r\n");
			lmtp_cmd(&l, 250, "MAIL FROM:<bounce@sender.example>");
			lmtp_cmd(&l, 250, "RCPT TO:<%s>", rcpts[k]);
			lmtp_cmd(&l, 354, "DATA");
			lmtp_send(&l, wire.p, wire.len);
			if (lmtp_reply(&l, reply, sizeof(reply)) / 100 != 2)
				fatal("lmtp: message for '%s' refused: '%s'", rcpts[k], reply);
			delivered++;
			tbytes += msg.len;
		}
	}
	lmtp_cmd(&l, 221, "QUIT");
	close(l.fd);
	free(msg.p);
	free(wire.p);
	printf("delivered %u %llu\n", delivered, tbytes);
	return 0;
}

/* ---- main ------------------------------------------------------------ */

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: corpus maildir [--seed N] [--messages M] [--mean-kb K] [--owner UID:GID] ROOT\n"
	      "       corpus lmtp --port P [--seed N] [--count C] [--mean-kb K] RCPT...\n", stderr);
	exit(64);
}

static uint64_t num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "corpus: error: %s '%s' is not a number\n", what, s);
		exit(64);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct opts o = { .seed = 1, .messages = 1000, .mean_kb = 25 };
	unsigned count = 20;
	int port = 0, a;
	const char *mode, *owner = NULL;

	if (argc < 2)
		usage();
	mode = argv[1];
	for (a = 2; a < argc && !strncmp(argv[a], "--", 2); a += 2) {
		if (a + 1 >= argc)
			usage();
		if (!strcmp(argv[a], "--seed"))
			o.seed = num(argv[a + 1], "seed");
		else if (!strcmp(argv[a], "--messages"))
			o.messages = (unsigned)num(argv[a + 1], "messages");
		else if (!strcmp(argv[a], "--mean-kb"))
			o.mean_kb = (double)num(argv[a + 1], "mean-kb");
		else if (!strcmp(argv[a], "--owner"))
			owner = argv[a + 1];
		else if (!strcmp(argv[a], "--port"))
			port = (int)num(argv[a + 1], "port");
		else if (!strcmp(argv[a], "--count"))
			count = (unsigned)num(argv[a + 1], "count");
		else
			usage();
	}
	if (o.mean_kb < 1)
		usage();
	if (!strcmp(mode, "maildir")) {
		if (a != argc - 1)
			usage();
		if (owner) {
			char *colon = strchr(owner, ':');

			if (!colon)
				usage();
			*colon = '\0';
			o.uid = (uid_t)num(owner, "uid");
			o.gid = (gid_t)num(colon + 1, "gid");
			o.own = true;
		} else if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");

			if (!pw)
				fatal("running as root and there is no user 'nobody': give --owner");
			o.uid = pw->pw_uid;
			o.gid = pw->pw_gid;
			o.own = true;
		}
		return cmd_maildir(&o, argv[a]);
	}
	if (!strcmp(mode, "lmtp")) {
		if (a >= argc || port < 1 || port > 65535)
			usage();
		signal(SIGPIPE, SIG_IGN);
		return cmd_lmtp(&o, port, count, argv + a, argc - a);
	}
	usage();
}
