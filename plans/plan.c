/*
 * plan.c -- plan_load and friends: read the file, run the readers and the
 * checks, hand back a plan or every problem found.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

const char *const plan_tls_names[] = { "implicit", "starttls", "none", NULL };
const char *const plan_login_method_names[] = {
	"per-user", "master", "oauth2", NULL,
};
const char *const plan_master_form_names[] = {
	"authzid", "separator", NULL,
};
const char *const plan_map_type_names[] = {
	"lmdb", "cdb", "hash", "texthash", NULL,
};
const char *const plan_dns_provider_names[] = { "powerdns", "rfc2136", NULL };

static const char *plan_enum_name(const char *const *names, size_t n,
				  unsigned v)
{
	return v < n ? names[v] : "?";
}

const char *plan_tls_name(enum plan_tls t)
{
	return plan_enum_name(plan_tls_names, 3, (unsigned)t);
}

const char *plan_map_type_name(enum plan_map_type t)
{
	return plan_enum_name(plan_map_type_names, 4, (unsigned)t);
}

const char *plan_login_method_name(enum plan_login_method m)
{
	return plan_enum_name(plan_login_method_names, 3, (unsigned)m);
}

const char *plan_master_form_name(enum plan_master_form f)
{
	return plan_enum_name(plan_master_form_names, 2, (unsigned)f);
}

const char *plan_dns_provider_name(enum plan_dns_provider p)
{
	return plan_enum_name(plan_dns_provider_names, 2, (unsigned)p);
}

size_t plan_backend_index(const struct plan *p, const char *name)
{
	for (size_t i = 0; name && i < p->n_backends; i++)
		if (strcmp(p->backends[i].name, name) == 0)
			return i;
	return PLAN_NONE;
}

size_t plan_phase_index(const struct plan *p, const char *name)
{
	for (size_t i = 0; name && i < p->n_phases; i++)
		if (str_eq(p->phases[i].name, name))
			return i;
	return PLAN_NONE;
}

const struct plan_user *plan_user_find(const struct plan *p,
				       const char *address)
{
	char *a;
	const struct plan_user *u;

	if (!address || !p->user_index)
		return NULL;
	a = xstrdup(address);
	str_lower(a);
	u = strmap_get(p->user_index, a);
	free(a);
	return u;
}

static void plan_rrkey_release(struct plan_rrkey *k)
{
	free(k->name);
	free(k->type);
}

struct plan *plan_free(struct plan *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_backends; i++) {
		struct plan_backend *be = &p->backends[i];

		free(be->name);
		free(be->host);
		free(be->ca_file);
		free(be->login_user);
		free(be->master_separator);
		secret_ref_release(&be->secret);
		free(be->credentials_file);
		strv_free(be->token_command);
		free(be->route);
		strv_free(be->spf);
	}
	free(p->backends);
	free(p->gateway.kind);
	free(p->gateway.map);
	free(p->gateway.postmap);
	free(p->gateway.config_dir);
	strv_free(p->gateway.reload);
	free(p->gateway.recipient_map);
	plan_smtp_host_release(&p->gateway.smtp);
	free(p->dns.endpoint);
	secret_ref_release(&p->dns.key);
	free(p->dns.key_name);
	free(p->dns.algorithm);
	free(p->dns.server_id);
	free(p->dns.ca_file);
	free(p->dns.zone);
	for (size_t i = 0; i < p->dns.n_manage; i++)
		plan_rrkey_release(&p->dns.manage[i]);
	free(p->dns.manage);
	strv_free(p->dns.servers);
	plan_mx_release(&p->dns.mx);
	strv_free(p->folders.exclude);
	for (size_t i = 0; i < p->folders.n_map; i++) {
		free(p->folders.map[i].from);
		free(p->folders.map[i].to);
	}
	free(p->folders.map);
	for (size_t i = 0; i < p->n_users; i++) {
		free(p->users[i].address);
		free(p->users[i].group);
		free(p->users[i].source_login);
		free(p->users[i].dest_login);
	}
	free(p->users);
	for (size_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].users);
	}
	free(p->groups);
	for (size_t i = 0; i < p->n_phases; i++) {
		struct plan_phase *ph = &p->phases[i];

		free(ph->name);
		strv_free(ph->user_names);
		strv_free(ph->group_names);
		for (size_t k = 0; k < ph->n_dns_change; k++) {
			plan_rrkey_release(&ph->dns_change[k].key);
			strv_free(ph->dns_change[k].records);
		}
		free(ph->dns_change);
		free(ph->users);
	}
	free(p->phases);
	strmap_free(p->user_index);
	strv_free(p->csv_paths);
	strv_free(p->domains);
	free(p->migration);
	free(p->state_path);
	free(p->dir);
	free(p->path);
	free(p);
	return NULL;
}

static void plan_build_release(struct plan_build *b)
{
	for (size_t i = 0; b->phases && i < b->p->n_phases; i++) {
		free(b->phases[i].ctx);
		free(b->phases[i].user_pos);
		free(b->phases[i].group_pos);
		free(b->phases[i].from.name);
		free(b->phases[i].to.name);
	}
	free(b->phases);
	for (size_t i = 0; b->users && i < b->p->n_users; i++)
		free(b->users[i].backend.name);
	free(b->users);
	strmap_free(b->addr);
	strmap_free(b->domains);
	strmap_free(b->csv_seen);
}

static char *plan_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int plan_fail(const char *name, size_t errors, struct err *err)
{
	return err_set(err, ERR_PLAN, RETRY_NEVER, "%s: %zu error%s", name,
		       errors, errors == 1 ? "" : "s");
}

int plan_load_mem(const char *name, const char *data, size_t len,
		  struct plan **out, struct plan_diags *diags,
		  struct err *err)
{
	size_t errors_before = diags->n_errors, errors;
	struct plan_build b;
	struct plan *p;
	struct ptree *root;
	bool fatal;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	p->path = xstrdup(name);
	p->dir = plan_dirname(name);
	memset(&b, 0, sizeof(b));
	b.p = p;
	b.d = diags;
	b.file = p->path;
	b.default_backend = PLAN_NONE;
	if (len > PLAN_MAX_FILE_SIZE) {
		plan_diag_add(diags, p->path, 0, 0, false,
			      "the plan is too large (%zu bytes; the limit is %zu)",
			      len, PLAN_MAX_FILE_SIZE);
	} else {
		root = ptree_parse(p->path, data, len, diags, &fatal);
		if (!fatal) {
			plan_read(&b, root);
			if (root && root->kind == PTREE_MAP)
				plan_check(&b);
		}
		ptree_free(root);
	}
	plan_build_release(&b);
	plan_diag_sort(diags);
	errors = diags->n_errors - errors_before;
	if (errors) {
		plan_fail(name, errors, err);
		plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int plan_load(const char *path, struct plan **out, struct plan_diags *diags,
	      struct err *err)
{
	struct sbuf data;
	struct stat st;
	char buf[65536];
	int fd, rc;

	*out = NULL;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return err_sys(err, ERR_IO, "cannot open plan '%s'", path);
	if (fstat(fd, &st) < 0) {
		err_sys(err, ERR_IO, "cannot stat plan '%s'", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, ERR_IO, RETRY_NEVER,
			       "plan '%s' is not a regular file", path);
	}
	/* Refuse a huge file before reading a byte of it. */
	if ((unsigned long long)st.st_size > PLAN_MAX_FILE_SIZE) {
		close(fd);
		plan_diag_add(diags, path, 0, 0, false,
			      "the plan is too large (%lld bytes; the limit is %zu)",
			      (long long)st.st_size, PLAN_MAX_FILE_SIZE);
		return plan_fail(path, 1, err);
	}
	sbuf_init(&data, PLAN_MAX_FILE_SIZE);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(err, ERR_IO, "cannot read plan '%s'", path);
			close(fd);
			sbuf_release(&data);
			return -1;
		}
		if (n == 0)
			break;
		if (sbuf_add(&data, buf, (size_t)n) < 0) {	/* it grew */
			close(fd);
			sbuf_release(&data);
			plan_diag_add(diags, path, 0, 0, false,
				      "the plan is too large (more than %zu bytes)",
				      PLAN_MAX_FILE_SIZE);
			return plan_fail(path, 1, err);
		}
	}
	close(fd);
	rc = plan_load_mem(path, data.buf, data.len, out, diags, err);
	sbuf_release(&data);
	return rc;
}
