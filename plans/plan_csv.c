/*
 * plan_csv.c -- users from a CSV file named by { csv: PATH }.
 *
 *	address,group,source_login,dest_login
 *
 * Only the address is required; empty fields mean "not given".  A first
 * record whose first field is "address" is a header and skipped.  The file
 * is read whole (it is at most PLAN_MAX_FILE_SIZE bytes) so problems can
 * point at the exact field: "users.csv:12:19: ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plans/plan_int.h"
#include "util/csv.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

struct plan_csv_ctx {
	struct plan_build *b;
	const char *file;	/* borrowed from plan->csv_paths */
	const char *data;
	size_t len;
	unsigned cur_line;	/* line that starts at cur_off */
	size_t cur_off;
	size_t records, users;
	bool stopped;		/* PLAN_MAX_CSV_USERS reached */
};

/* Position of field k of the record starting on `line` (columns count
 * bytes, as util/csv.c does). */
static struct plan_pos plan_csv_field_pos(struct plan_csv_ctx *c,
					  unsigned line, size_t k)
{
	struct plan_pos pos = { c->file, line, 1 };
	size_t i, start, field = 0;
	bool quoted = false;

	/* Records come in order, so this walk is linear over the file. */
	while (c->cur_line < line && c->cur_off < c->len) {
		const char *nl = memchr(c->data + c->cur_off, '\n',
					c->len - c->cur_off);

		c->cur_off = nl ? (size_t)(nl - c->data) + 1 : c->len;
		c->cur_line++;
	}
	if (c->cur_line != line)
		return pos;
	start = c->cur_off;
	if (start == 0 && c->len >= 3 && memcmp(c->data, "\xEF\xBB\xBF", 3) == 0)
		start = 3;
	for (i = start; i < c->len && field < k; i++) {
		char ch = c->data[i];

		if (ch == '"') {
			quoted = !quoted;
		} else if (ch == ',' && !quoted) {
			field++;
		} else if (ch == '\n') {
			if (!quoted)
				break;
			pos.line++;
			start = i + 1;
		}
	}
	while (i < c->len && (c->data[i] == ' ' || c->data[i] == '\t'))
		i++;
	pos.col = (unsigned)(i - start + 1);
	return pos;
}

static int plan_csv_record(void *vctx, unsigned line, char **f, size_t nf,
			   struct err *err)
{
	static const char *const names[] = {
		"address", "group", "source_login", "dest_login",
	};
	struct plan_csv_ctx *c = vctx;
	struct plan_build *b = c->b;
	const char *group = NULL, *sl = NULL, *dl = NULL;

	(void)err;
	if (++c->records == 1 && str_ieq(f[0], "address"))
		return 0;
	if (nf > 4) {
		plan_err_pos(b, plan_csv_field_pos(c, line, 4), NULL,
			     "too many fields (%zu): a users file has at most 4: address,group,source_login,dest_login",
			     nf);
		return 0;
	}
	for (size_t i = 0; i < nf; i++)
		if (!str_utf8_valid(f[i], strlen(f[i]))) {
			plan_err_pos(b, plan_csv_field_pos(c, line, i), NULL,
				     "'%s' is not valid UTF-8", names[i]);
			return 0;
		}
	if (!*f[0]) {
		plan_err_pos(b, plan_csv_field_pos(c, line, 0), NULL,
			     "missing address (the first field)");
		return 0;
	}
	if (c->users >= PLAN_MAX_CSV_USERS) {
		plan_err_pos(b, plan_csv_field_pos(c, line, 0), NULL,
			     "more than %d users in one file: split it",
			     PLAN_MAX_CSV_USERS);
		c->stopped = true;
		return -1;
	}
	if (nf > 1 && *f[1]) {
		group = f[1];
		if (!plan_name_ok(group))
			plan_bad_name(b, plan_csv_field_pos(c, line, 1), NULL,
				      "group name", group);
	}
	if (nf > 2 && *f[2])
		sl = f[2];
	if (nf > 3 && *f[3])
		dl = f[3];
	c->users++;
	plan_add_user(b, plan_csv_field_pos(c, line, 0), f[0], group, sl, dl);
	return 0;
}

/* util/csv.c says "PATH:LINE:COL: message": turn that into a diag. */
static void plan_csv_error(struct plan_csv_ctx *c, const struct err *e)
{
	size_t n = strlen(c->file);
	unsigned line, col;
	int used = 0;

	if (strncmp(e->msg, c->file, n) == 0 && e->msg[n] == ':' &&
	    sscanf(e->msg + n + 1, "%u:%u: %n", &line, &col, &used) == 2 &&
	    used > 0) {
		plan_diag_add(c->b->d, c->file, line, col, false, "%s",
			      e->msg + n + 1 + used);
		return;
	}
	plan_diag_add(c->b->d, c->file, 0, 0, false, "%s", e->msg);
}

/* Read the whole file, refusing anything but a regular file of at most
 * PLAN_MAX_FILE_SIZE bytes.  0 ok, -1 reported at `where`. */
static int plan_csv_slurp(struct plan_build *b, const char *path,
			  struct plan_pos where, struct sbuf *out)
{
	char buf[65536];
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		plan_err_pos(b, where, NULL, "cannot open users file '%s': %s",
			     path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		plan_err_pos(b, where, NULL,
			     "users file '%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > PLAN_MAX_FILE_SIZE) {
		plan_err_pos(b, where, NULL,
			     "users file '%s' is too large (%lld bytes; the limit is %zu)",
			     path, (long long)st.st_size, PLAN_MAX_FILE_SIZE);
		close(fd);
		return -1;
	}
	sbuf_init(out, PLAN_MAX_FILE_SIZE);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r > 0 && sbuf_add(out, buf, (size_t)r) < 0)) {
			plan_err_pos(b, where, NULL,
				     "cannot read users file '%s': %s", path,
				     r < 0 ? strerror(errno) : "it grew too large");
			sbuf_release(out);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
	}
	close(fd);
	return 0;
}

void plan_csv_users(struct plan_build *b, const char *path,
		    struct plan_pos where)
{
	struct plan_csv_ctx c;
	struct sbuf data;
	struct err e;
	size_t n;

	if (plan_csv_slurp(b, path, where, &data) < 0)
		return;
	strv_push(&b->p->csv_paths, path);
	n = strv_len(b->p->csv_paths);
	memset(&c, 0, sizeof(c));
	c.b = b;
	c.file = b->p->csv_paths[n - 1];
	c.data = data.buf;
	c.len = data.len;
	c.cur_line = 1;
	err_clear(&e);
	if (csv_read_mem(c.file, data.buf, data.len, PLAN_MAX_CSV_FIELD,
			 plan_csv_record, &c, &e) < 0 && !c.stopped)
		plan_csv_error(&c, &e);
	sbuf_release(&data);
}
