/*
 * secret.c -- resolve a secret reference (env, file, command).
 *
 * Values never reach a message: errors name the variable, the file or the
 * command, and temporary buffers are wiped before they are freed.
 */
#include "util/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/run.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

void secret_ref_release(struct secret_ref *ref)
{
	free(ref->env);
	free(ref->file);
	strv_free(ref->argv);
	memset(ref, 0, sizeof(*ref));
}

void secret_ref_copy(struct secret_ref *dst, const struct secret_ref *src)
{
	dst->kind = src->kind;
	dst->env = xstrdup(src->env);
	dst->file = xstrdup(src->file);
	dst->argv = strv_dup(src->argv);
}

char *secret_ref_describe(const struct secret_ref *ref)
{
	char *cmd, *s;

	switch (ref->kind) {
	case SECRET_ENV:
		return xasprintf("env %s", ref->env ? ref->env : "?");
	case SECRET_FILE:
		return xasprintf("file %s", ref->file ? ref->file : "?");
	case SECRET_COMMAND:
		cmd = run_describe(ref->argv);
		s = xasprintf("command %s", cmd);
		free(cmd);
		return s;
	case SECRET_NONE:
		break;
	}
	return xstrdup("none");
}

/* Open path for reading and check it is a regular file that only its
 * owner can access.  Returns the fd or -1. */
static int secret_open_checked(const char *path, const char *what,
			       struct err *err)
{
	struct stat st;
	unsigned mode;
	const char *how;
	int fd;

	do
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno == ELOOP)
			return err_set(err, ERR_CONFIG, RETRY_NEVER,
				       "%s '%s' is a symbolic link; name the "
				       "file itself", what, path);
		return err_sys(err, ERR_CONFIG, "%s '%s'", what, path);
	}
	if (fstat(fd, &st) < 0) {
		err_sys(err, ERR_CONFIG, "%s '%s'", what, path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s '%s' is not a regular file", what, path);
		goto fail;
	}
	mode = (unsigned)st.st_mode & 07777;
	if (mode & 077) {
		if (mode & 044)
			how = "readable";
		else if (mode & 022)
			how = "writable";
		else
			how = "accessible";
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s '%s' is %s by group or others (mode %04o); "
			"chmod 600 it", what, path, how, mode);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int secret_check_file(const char *path, const char *what, struct err *err)
{
	int fd = secret_open_checked(path, what, err);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static void strip_newline(struct sbuf *sb)
{
	if (sb->len && sb->buf[sb->len - 1] == '\n') {
		sb->len--;
		if (sb->len && sb->buf[sb->len - 1] == '\r')
			sb->len--;
		sb->buf[sb->len] = '\0';
	}
}

/* Check and hand over the raw value in tmp (wiped either way). */
static int secret_finish(struct sbuf *tmp, const char *what, struct sbuf *out,
			 struct err *err)
{
	int rc = -1;

	strip_newline(tmp);
	if (tmp->len == 0)
		err_set(err, ERR_CONFIG, RETRY_NEVER, "%s is empty", what);
	else if (tmp->len > SECRET_MAX)
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s is longer than %d bytes", what, SECRET_MAX);
	else if (memchr(tmp->buf, '\0', tmp->len))
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s contains a NUL byte", what);
	else {
		sbuf_wipe(out);
		if (sbuf_add(out, tmp->buf, tmp->len) < 0)
			err_set(err, ERR_INTERNAL, RETRY_NEVER,
				"%s does not fit the buffer", what);
		else
			rc = 0;
	}
	if (rc == 0)
		log_add_secret(out->buf);
	sbuf_wipe(tmp);
	sbuf_release(tmp);
	return rc;
}

static int secret_from_env(const char *name, struct sbuf *out,
			   struct err *err)
{
	const char *v = name ? getenv(name) : NULL;
	struct sbuf tmp;
	char *what;
	int rc;

	if (!name)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "secret: no variable name");
	if (!v)
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "environment variable '%s' is not set", name);
	sbuf_init(&tmp, SECRET_MAX + 2);
	what = xasprintf("environment variable '%s'", name);
	if (sbuf_addstr(&tmp, v) < 0)
		tmp.len = SECRET_MAX + 1;	/* reported as too long */
	rc = secret_finish(&tmp, what, out, err);
	free(what);
	return rc;
}

static int secret_from_file(const char *path, struct sbuf *out,
			    struct err *err)
{
	char buf[4096];
	struct sbuf tmp;
	char *what;
	int fd, rc = -1;

	if (!path)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "secret: no file name");
	fd = secret_open_checked(path, "secret file", err);
	if (fd < 0)
		return -1;
	sbuf_init(&tmp, SECRET_MAX + 2);
	what = xasprintf("secret file '%s'", path);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(err, ERR_CONFIG, "%s", what);
			goto out;
		}
		if (n == 0)
			break;
		if (sbuf_add(&tmp, buf, (size_t)n) < 0) {
			err_set(err, ERR_CONFIG, RETRY_NEVER,
				"%s is longer than %d bytes", what, SECRET_MAX);
			goto out;
		}
	}
	rc = secret_finish(&tmp, what, out, err);
out:
	explicit_bzero(buf, sizeof(buf));
	sbuf_wipe(&tmp);
	sbuf_release(&tmp);
	close(fd);
	free(what);
	return rc;
}

static int secret_from_command(char *const *argv, struct sbuf *out,
			       struct err *err)
{
	struct run_opts o = {
		.timeout_ms = SECRET_COMMAND_TIMEOUT_MS,
		.max_output = SECRET_MAX + 2,
	};
	struct run_result r;
	char *desc, *what;
	struct sbuf tmp;
	int rc = -1;

	if (!argv || !argv[0])
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "secret: empty command");
	desc = run_describe(argv);
	what = xasprintf("secret command '%s'", desc);
	run_result_init(&r);
	if (run_argv(argv, &o, &r, err) < 0) {
		err_prefix(err, "%s", what);
		goto out;
	}
	/* Never quote the output or stderr: either may hold the secret. */
	if (r.timed_out) {
		err_set(err, ERR_CONFIG, RETRY_LATER, "%s timed out after %d s",
			what, SECRET_COMMAND_TIMEOUT_MS / 1000);
		goto out;
	}
	if (r.signaled) {
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s was killed by signal %d", what, r.term_signal);
		goto out;
	}
	if (r.exit_code != 0) {
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s exited with status %d", what, r.exit_code);
		goto out;
	}
	if (r.out_truncated) {
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s printed more than %d bytes", what, SECRET_MAX);
		goto out;
	}
	sbuf_init(&tmp, SECRET_MAX + 2);
	sbuf_add(&tmp, r.out.buf, r.out.len);
	rc = secret_finish(&tmp, what, out, err);
out:
	sbuf_wipe(&r.out);
	sbuf_wipe(&r.errout);
	run_result_release(&r);
	free(desc);
	free(what);
	return rc;
}

int secret_resolve(const struct secret_ref *ref, struct sbuf *out,
		   struct err *err)
{
	switch (ref->kind) {
	case SECRET_ENV:
		return secret_from_env(ref->env, out, err);
	case SECRET_FILE:
		return secret_from_file(ref->file, out, err);
	case SECRET_COMMAND:
		return secret_from_command(ref->argv, out, err);
	case SECRET_NONE:
		break;
	}
	return err_set(err, ERR_INTERNAL, RETRY_NEVER, "secret: no source");
}
