/*
 * secret.h -- where a password, token or key comes from.
 *
 * The plan never holds a secret, only a reference to one:
 *	{ env: NAME }			an environment variable
 *	{ file: PATH }			a file of mode 0600 or stricter
 *	{ command: [argv...] }		a program's stdout, run without a shell
 * secret_resolve() reads it, strips one trailing newline, registers the
 * value with the log redactor, and puts it in the caller's sbuf (wipe it
 * with sbuf_wipe when done).  Nothing here logs the value.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

struct err;
struct sbuf;

enum secret_kind { SECRET_NONE = 0, SECRET_ENV, SECRET_FILE, SECRET_COMMAND };

struct secret_ref {
	enum secret_kind kind;
	char *env;	/* SECRET_ENV: variable name */
	char *file;	/* SECRET_FILE: path */
	char **argv;	/* SECRET_COMMAND: NULL-terminated argv */
};

#define SECRET_MAX (64 * 1024)
#define SECRET_COMMAND_TIMEOUT_MS 30000

void secret_ref_release(struct secret_ref *ref);
void secret_ref_copy(struct secret_ref *dst, const struct secret_ref *src);
/* "env LEGACY_PW", "file /etc/x", "command /usr/bin/get-token": safe to
 * print, never includes the value.  Returns a new string to free(). */
char *secret_ref_describe(const struct secret_ref *ref);

int secret_resolve(const struct secret_ref *ref, struct sbuf *out,
		   struct err *err);

/* Refuse a file that is not a regular file, or is readable or writable by
 * group or others (after OpenSMTPD's check_file_secrecy).  `what` names the
 * file's role in the message ("secret file", "credentials file"). */
int secret_check_file(const char *path, const char *what, struct err *err);

#endif
