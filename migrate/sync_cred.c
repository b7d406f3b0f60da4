/*
 * sync_cred.c -- the backends' credentials for migrate/sync.c: a per-user
 * credentials file (checked: mode 0600, via secret_check_file) read once,
 * a master password resolved once, XOAUTH2 tokens from the backend's
 * token command at every connection.  Every secret goes to the log
 * redactor and is wiped when released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/sync_int.h"
#include "plans/plan.h"
#include "util/csv.h"
#include "util/err.h"
#include "util/log.h"
#include "util/run.h"
#include "util/secret.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

static int csv_row(void *ctx, unsigned line, char **f, size_t n,
		   struct err *err)
{
	struct sbackend *sb = ctx;
	struct cred_row *r;
	char *addr;

	if (n == 1 && f[0][0] == '\0')
		return 0;
	if (n < 3)
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "%s:%u: want address,login,secret",
			       sb->b->credentials_file, line);
	if (line == 1 && str_ieq(f[0], "address"))
		return 0;	/* a header line */
	addr = xstrdup(f[0]);
	str_lower(addr);
	r = xcalloc(1, sizeof *r);
	r->login = xstrdup(f[1]);
	r->secret = xstrdup(f[2]);
	log_add_secret(r->secret);
	r = strmap_put(sb->rows, addr, r);
	if (r) {	/* a later line wins */
		free(r->login);
		free(r->secret);
		free(r);
	}
	free(addr);
	return 0;
}

int sync_cred_load(struct sbackend *sb, const struct plan_backend *b,
			struct err *err)
{
	memset(sb, 0, sizeof *sb);
	sb->b = b;
	sbuf_init(&sb->master, SECRET_MAX);
	sb->ep.name = b->name;
	sb->ep.host = b->host;
	sb->ep.port = b->port;
	sb->ep.tls = b->tls == PLAN_TLS_STARTTLS ? IMAPSYNC_TLS_STARTTLS :
		     b->tls == PLAN_TLS_NONE	 ? IMAPSYNC_TLS_NONE :
						   IMAPSYNC_TLS_IMPLICIT;
	sb->ep.ca_file = b->ca_file;
	sb->ep.timeout = b->timeout;
	switch (b->login_method) {
	case PLAN_LOGIN_PER_USER:
		if (!b->credentials_file)
			return err_set(err, ERR_CONFIG, RETRY_NEVER,
				       "backend '%s': no credentials file",
				       b->name);
		if (secret_check_file(b->credentials_file, "credentials file",
				      err) < 0)
			return err_prefix(err, "backend '%s'", b->name);
		sb->rows = strmap_new();
		if (csv_read_file(b->credentials_file, 4096, csv_row, sb,
				  err) < 0)
			return err_prefix(err, "backend '%s'", b->name);
		break;
	case PLAN_LOGIN_MASTER:
		if (secret_resolve(&b->secret, &sb->master, err) < 0)
			return err_prefix(err, "backend '%s': master password",
					  b->name);
		break;
	case PLAN_LOGIN_OAUTH2:
		break;
	}
	return 0;
}

void sync_cred_release(struct sbackend *sb)
{
	size_t pos = 0;
	const char *k;
	void *v;

	if (!sb->b)
		return;
	while (sb->rows && strmap_next(sb->rows, &pos, &k, &v) == 0) {
		struct cred_row *r = v;

		memset(r->secret, 0, strlen(r->secret));
		free(r->secret);
		free(r->login);
		free(r);
	}
	strmap_free(sb->rows);
	sbuf_wipe(&sb->master);
	sbuf_release(&sb->master);
	memset(sb, 0, sizeof *sb);
}

static char *subst(const char *arg, const char *login, const char *address)
{
	struct sbuf sb;
	const char *p = arg;

	sbuf_init(&sb, 1 << 16);
	while (*p) {
		if (str_has_prefix(p, "{login}")) {
			sbuf_addstr(&sb, login);
			p += 7;
		} else if (str_has_prefix(p, "{address}")) {
			sbuf_addstr(&sb, address);
			p += 9;
		} else {
			sbuf_addch(&sb, *p++);
		}
	}
	return sbuf_detach(&sb, NULL);
}

static int token_fetch(void *ctx, struct sbuf *out, struct err *err)
{
	struct token_ctx *t = ctx;
	char **argv = NULL;
	struct run_opts o;
	struct run_result r;
	size_t i;
	int rc = -1;

	for (i = 0; t->b->token_command && t->b->token_command[i]; i++) {
		char *a = subst(t->b->token_command[i], t->login, t->address);

		strv_push(&argv, a);
		free(a);
	}
	if (!argv)
		return err_set(err, ERR_CONFIG, RETRY_NEVER,
			       "backend '%s': no token command", t->b->name);
	memset(&o, 0, sizeof o);
	o.timeout_ms = SECRET_COMMAND_TIMEOUT_MS;
	o.max_output = SECRET_MAX;
	run_result_init(&r);
	if (run_argv(argv, &o, &r, err) < 0 || run_check(argv, &r, err) < 0)
		goto out;
	sbuf_rtrim(&r.out);
	if (r.out.len == 0 || memchr(r.out.buf, '\n', r.out.len)) {
		err_set(err, ERR_AUTH, RETRY_NEVER,
			"the token command of backend '%s' printed %s",
			t->b->name, r.out.len ? "more than one line" : "nothing");
		goto out;
	}
	log_add_secret(r.out.buf);
	sbuf_clear(out);
	if (sbuf_add(out, r.out.buf, r.out.len) < 0) {
		err_set(err, ERR_AUTH, RETRY_NEVER, "token too long");
		goto out;
	}
	rc = 0;
out:
	sbuf_wipe(&r.out);
	run_result_release(&r);
	strv_free(argv);
	return rc;
}

int sync_cred_user(struct sbackend *sb, const struct plan_user *u,
		     const char *login, struct imapsync_cred *cr,
		     struct token_ctx *tc, struct err *err)
{
	const struct plan_backend *b = sb->b;

	memset(cr, 0, sizeof *cr);
	cr->user = login ? login : u->address;
	switch (b->login_method) {
	case PLAN_LOGIN_PER_USER: {
		struct cred_row *r = strmap_get(sb->rows, u->address);

		if (!r)
			return err_set(err, ERR_CONFIG, RETRY_NEVER,
				       "backend '%s': no line for '%s' in "
				       "credentials file '%s'", b->name,
				       u->address, b->credentials_file);
		cr->method = IMAPSYNC_AUTH_LOGIN;
		if (r->login[0])
			cr->user = r->login;
		cr->secret = r->secret;
		break;
	}
	case PLAN_LOGIN_MASTER:
		/* form authzid: AUTHENTICATE PLAIN with the user as authzid;
		 * form separator: LOGIN "user<separator>admin" */
		cr->method = b->master_form == PLAN_MASTER_SEPARATOR ?
				     IMAPSYNC_AUTH_MASTER_LOGIN :
				     IMAPSYNC_AUTH_MASTER;
		cr->admin = b->login_user;
		cr->secret = sb->master.buf;
		cr->separator = b->master_separator;
		break;
	case PLAN_LOGIN_OAUTH2:
		cr->method = IMAPSYNC_AUTH_XOAUTH2;
		tc->b = b;
		tc->login = cr->user;
		tc->address = u->address;
		cr->token_fn = token_fetch;
		cr->token_ctx = tc;
		break;
	}
	return 0;
}

