/*
 * gateway_install.c -- put a new version of a map in force so that the
 * gateway never sees half a table, and any failure leaves the previous
 * table in force (see gateway.h).
 *
 * For a map SRC with index SRC.lmdb (.db, .cdb; none for texthash) in
 * folder DIR, the files we make are
 *
 *	DIR/.SRC.migrate-lock		flock: one writer per map
 *	DIR/.SRC.migrate-new[.lmdb]	the staged source and its index
 *	DIR/.SRC.migrate-old[.lmdb]	hard links to the pair in force
 *
 * and only the lock file outlives a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gateway_int.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

struct staged {
	char *path, *index;		/* the map in force: source, index */
	char *dir;
	char *tmp, *tmp_index;		/* the new pair */
	char *old, *old_index;		/* links to the old pair */
	int lock_fd;
	bool had_src, had_index;	/* an old pair existed */
	bool kept, renamed_index, renamed_src;
	const struct gateway_table *expect;	/* borrowed */
	char **absent;			/* caller's absent keys + dropped keys */
	size_t n_absent;
};

struct gateway_install {
	struct gateway *gw;
	struct staged *f;
	size_t n;
};

/* Append "; text" to a set error (the root cause stays first). */
static int err_add(struct err *e, const char *text)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof e->msg - n, "; %s", text);
	return -1;
}

static void unlink_quiet(const char *path)
{
	if (path && unlink(path) < 0 && errno != ENOENT)
		log_warn(LOGC_GATEWAY, "cannot remove '%s': %s", path,
			 strerror(errno));
}

static int fsync_dir(const char *dir, struct err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		err_sys(err, ERR_IO, "cannot sync folder '%s'", dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void names(struct staged *s, const char *path, const char *suffix)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	s->path = xstrdup(path);
	s->dir = slash ? (slash == path ? xstrdup("/") :
			  xstrndup(path, (size_t)(slash - path))) :
			 xstrdup(".");
	s->tmp = xasprintf("%s/.%s.migrate-new", s->dir, base);
	s->old = xasprintf("%s/.%s.migrate-old", s->dir, base);
	if (suffix) {
		s->index = xasprintf("%s%s", path, suffix);
		s->tmp_index = xasprintf("%s%s", s->tmp, suffix);
		s->old_index = xasprintf("%s%s", s->old, suffix);
	}
}

static int lock_map(struct staged *s, struct err *err)
{
	const char *base = strrchr(s->tmp, '/') + 1;
	char *lpath = xasprintf("%s/%.*s.migrate-lock", s->dir,
				(int)(strlen(base) - strlen(".migrate-new")),
				base);
	int rc = -1;

	s->lock_fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0600);
	if (s->lock_fd < 0) {
		err_sys(err, ERR_IO, "map '%s': cannot create '%s' in its "
			"folder", s->path, lpath);
	} else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			err_set(err, ERR_IO, RETRY_LATER,
				"map '%s' is being written by another "
				"process (lock '%s')", s->path, lpath);
		else
			err_sys(err, ERR_IO, "map '%s': lock '%s'", s->path,
				lpath);
	} else {
		rc = 0;
	}
	if (rc < 0 && s->lock_fd >= 0) {
		close(s->lock_fd);
		s->lock_fd = -1;
	}
	free(lpath);
	return rc;
}

/* Remove what an interrupted run left (we hold the lock). */
static void clean_leftovers(struct staged *s)
{
	const char *v[] = { s->tmp, s->tmp_index, s->old, s->old_index };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (v[i] && access(v[i], F_OK) == 0) {
			log_warn(LOGC_GATEWAY, "removing '%s', left by an "
				 "interrupted run", v[i]);
			unlink_quiet(v[i]);
		}
	}
}

/* Give a staged file the mode and owner of the file it replaces. */
static int match_file(const char *path, const struct stat *like, bool have,
		      struct err *err)
{
	mode_t mode = have ? like->st_mode & 07777 : 0644;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return err_sys(err, ERR_IO, "cannot open '%s'", path);
	if (fchmod(fd, mode) < 0) {
		err_sys(err, ERR_IO, "cannot set the mode of '%s'", path);
		goto fail;
	}
	if (have && (like->st_uid != geteuid() || like->st_gid != getegid()) &&
	    fchown(fd, like->st_uid, like->st_gid) < 0)
		log_warn(LOGC_GATEWAY, "cannot give '%s' the owner %ld:%ld of "
			 "the map it replaces: %s", path, (long)like->st_uid,
			 (long)like->st_gid, strerror(errno));
	if (fsync(fd) < 0) {
		err_sys(err, ERR_IO, "cannot sync '%s'", path);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int write_tmp(struct staged *s, const char *content, size_t len,
		     struct err *err)
{
	size_t off = 0;
	int fd;

	fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return err_sys(err, ERR_IO, "map '%s': cannot create '%s' in "
			       "its folder", s->path, s->tmp);
	while (off < len) {
		ssize_t n = write(fd, content + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_sys(err, ERR_IO, "map '%s': cannot write '%s'",
				s->path, s->tmp);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0)
		return err_sys(err, ERR_IO, "map '%s': cannot write '%s'",
			       s->path, s->tmp);
	return 0;
}

/* Keys the old source had that the new table drops: they must vanish. */
static void dropped_keys(struct staged *s, const struct gateway_file *f)
{
	struct gateway_table old;
	struct sbuf text;
	struct err e;
	bool exists;
	size_t i;

	for (i = 0; i < f->n_absent; i++)
		strv_push(&s->absent, f->absent[i]);
	gateway_table_init(&old);
	sbuf_init(&text, SBUF_MAX_DEFAULT);
	err_clear(&e);
	if (gateway_read_file(s->path, SBUF_MAX_DEFAULT, &text, &exists,
			      &e) == 0 && exists &&
	    gateway_table_parse(&old, s->path, text.buf, text.len, &e) == 0) {
		for (i = 0; i < old.n; i++)
			if (!gateway_table_get(f->expect, old.v[i].key))
				strv_push(&s->absent, old.v[i].key);
	} else if (err_isset(&e)) {
		log_debug(LOGC_GATEWAY, "old map not used for the check: %s",
			  e.msg);
	}
	s->n_absent = strv_len(s->absent);
	gateway_table_release(&old);
	sbuf_release(&text);
}

static int stage_one(struct gateway *gw, struct staged *s,
		     const struct gateway_file *f, struct err *err)
{
	struct stat src_st, idx_st;
	const char *suffix = gw->ops->index_suffix(gw);

	memset(&src_st, 0, sizeof src_st);
	memset(&idx_st, 0, sizeof idx_st);
	s->lock_fd = -1;
	names(s, f->path, suffix);
	s->expect = f->expect;
	if (lock_map(s, err) < 0)
		return -1;
	if (lstat(s->path, &src_st) == 0) {
		if (!S_ISREG(src_st.st_mode))
			return err_set(err, ERR_CONFIG, RETRY_NEVER,
				       "map '%s' is not a regular file (a "
				       "symbolic link? name the file itself)",
				       s->path);
		s->had_src = true;
	} else if (errno != ENOENT) {
		return err_sys(err, ERR_IO, "map '%s'", s->path);
	}
	if (s->index && lstat(s->index, &idx_st) == 0)
		s->had_index = true;
	if (!s->had_index)
		idx_st = src_st;
	clean_leftovers(s);
	dropped_keys(s, f);
	if (write_tmp(s, f->content, f->len, err) < 0 ||
	    match_file(s->tmp, &src_st, s->had_src, err) < 0)
		return -1;
	if (suffix) {
		if (gateway_build(gw, s->tmp, err) < 0)
			return err_prefix(err, "map '%s'", s->path);
		if (match_file(s->tmp_index, &idx_st,
			       s->had_index || s->had_src, err) < 0)
			return -1;
	}
	if (gateway_verify(gw, s->tmp, f->expect, s->absent, s->n_absent,
			   err) < 0)
		return err_prefix(err, "map '%s': the new version is wrong "
				  "before it was put in force", s->path);
	return 0;
}

int gateway_install_stage(struct gateway *gw, const struct gateway_file *files,
			  size_t n, struct gateway_install **out,
			  struct err *err)
{
	struct gateway_install *in = xcalloc(1, sizeof *in);
	size_t i;

	*out = NULL;
	in->gw = gw;
	in->f = xcalloc(n ? n : 1, sizeof *in->f);
	for (i = 0; i < n; i++)
		in->f[i].lock_fd = -1;
	for (i = 0; i < n; i++) {
		in->n = i + 1;
		if (stage_one(gw, &in->f[i], &files[i], err) < 0) {
			gateway_install_free(in);
			return err_add(err, "nothing was changed");
		}
	}
	log_debug(LOGC_GATEWAY, "%zu map%s staged", n, n == 1 ? "" : "s");
	*out = in;
	return 0;
}

/*
 * Put every renamed file back as it was and reload.  Returns 0 when the
 * old pair is in place again, else -1; what went wrong (a rename, or the
 * reload after it) is appended to `why`.
 */
static int put_back(struct gateway_install *in, struct sbuf *why)
{
	struct err e;
	size_t i;
	int rc = 0;
	bool any = false;

	for (i = in->n; i-- > 0;) {
		struct staged *s = &in->f[i];

		if (s->renamed_src) {
			if (s->had_src ? rename(s->old, s->path) :
					 unlink(s->path)) {
				sbuf_addf(why, "; cannot put back '%s': %s",
					  s->path, strerror(errno));
				rc = -1;
			} else {
				s->renamed_src = false;
			}
			any = true;
		}
		if (s->renamed_index) {
			if (s->had_index ? rename(s->old_index, s->index) :
					   unlink(s->index)) {
				sbuf_addf(why, "; cannot put back '%s': %s",
					  s->index, strerror(errno));
				rc = -1;
			} else {
				s->renamed_index = false;
			}
			any = true;
		}
		err_clear(&e);
		if (any && fsync_dir(s->dir, &e) < 0)
			sbuf_addf(why, "; %s", e.msg);
	}
	if (!any)
		return 0;
	err_clear(&e);
	if (gateway_reload(in->gw, &e) < 0)
		sbuf_addf(why, "; reloading the gateway after that failed "
			  "too: %s", e.msg);
	return rc;
}

/* Any failure during commit: put the old pair back and say so. */
static int fail_commit(struct gateway_install *in, struct err *err)
{
	struct sbuf why;
	size_t i;

	sbuf_init(&why, 4096);
	if (put_back(in, &why) == 0) {
		err_add(err, "the previous map was put back and is in force");
		if (why.len)
			err_add(err, why.buf + 2);
	} else {
		sbuf_addstr(&why, "; the previous files are kept as");
		for (i = 0; i < in->n; i++)
			sbuf_addf(&why, " '%s'%s%s%s", in->f[i].old,
				  in->f[i].old_index ? " and '" : "",
				  in->f[i].old_index ? in->f[i].old_index : "",
				  in->f[i].old_index ? "'" : "");
		log_error(LOGC_GATEWAY, "the gateway map could not be put "
			  "back%s", why.buf);
		err_add(err, "the previous map could NOT be put back (see "
			"above)");
		for (i = 0; i < in->n; i++) {
			/* Keep the backups for the admin. */
			free(in->f[i].old);
			free(in->f[i].old_index);
			in->f[i].old = in->f[i].old_index = NULL;
		}
	}
	sbuf_release(&why);
	return -1;
}

/*
 * The order of the renames.  For Postfix the index (SRC.lmdb) is the
 * table: lookups never read the source.  Renaming the index is therefore
 * the one atomic switch, and it comes first; the source follows so that
 * the pair on disk matches again.  A crash between the two leaves the new
 * index next to the old source -- the version already recorded as in
 * force, so the next run takes it for ours (no false "hand edit") and
 * simply installs again.  The other order could leave a source on disk
 * that was never in force, which anyone running postmap by hand would
 * then put in force without any check.  A texthash map has no index: its
 * source is the table, and its rename is the switch.
 */
int gateway_install_commit(struct gateway_install *in, struct err *err)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		struct staged *s = &in->f[i];

		s->kept = true;
		if ((s->had_src && link(s->path, s->old) < 0) ||
		    (s->had_index && link(s->index, s->old_index) < 0)) {
			err_sys(err, ERR_IO, "map '%s': cannot keep the "
				"previous version", s->path);
			return err_add(err, "nothing was changed");
		}
	}
	for (i = 0; i < in->n; i++) {
		struct staged *s = &in->f[i];

		if (s->index) {
			if (rename(s->tmp_index, s->index) < 0) {
				err_sys(err, ERR_IO, "cannot rename '%s' to "
					"'%s'", s->tmp_index, s->index);
				return fail_commit(in, err);
			}
			s->renamed_index = true;
		}
		if (rename(s->tmp, s->path) < 0) {
			err_sys(err, ERR_IO, "cannot rename '%s' to '%s'",
				s->tmp, s->path);
			return fail_commit(in, err);
		}
		s->renamed_src = true;
		if (fsync_dir(s->dir, err) < 0)
			return fail_commit(in, err);
	}
	if (gateway_reload(in->gw, err) < 0)
		return fail_commit(in, err);
	for (i = 0; i < in->n; i++) {
		struct staged *s = &in->f[i];

		if (gateway_verify(in->gw, s->path, s->expect, s->absent,
				   s->n_absent, err) < 0) {
			err_add(err, "found after the reload");
			return fail_commit(in, err);
		}
	}
	for (i = 0; i < in->n; i++)
		in->f[i].renamed_src = in->f[i].renamed_index = false;
	log_debug(LOGC_GATEWAY, "%zu map%s in force", in->n,
		  in->n == 1 ? "" : "s");
	return 0;
}

struct gateway_install *gateway_install_free(struct gateway_install *in)
{
	size_t i;

	if (!in)
		return NULL;
	for (i = 0; i < in->n; i++) {
		struct staged *s = &in->f[i];

		/* Files are ours to remove only under our lock (another
		 * writer's staged files have the same names). */
		if (s->lock_fd >= 0) {
			unlink_quiet(s->tmp);
			unlink_quiet(s->tmp_index);
			if (s->kept) {
				unlink_quiet(s->old);
				unlink_quiet(s->old_index);
			}
			close(s->lock_fd);
		}
		free(s->path);
		free(s->index);
		free(s->dir);
		free(s->tmp);
		free(s->tmp_index);
		free(s->old);
		free(s->old_index);
		strv_free(s->absent);
	}
	free(in->f);
	free(in);
	return NULL;
}
