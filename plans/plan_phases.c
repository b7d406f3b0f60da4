/*
 * plan_phases.c -- the users: and phases: sections, and adding a user
 * (shared with the CSV reader).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "plans/ptree.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static bool plan_local_part_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>@[\\]", c))
			return false;
	}
	return true;
}

/* Lowercase copy of a valid address, or NULL. */
static char *plan_norm_address(const char *address)
{
	char *a = xstrdup(address), *at = strrchr(a, '@'), *dom;

	str_lower(a);
	if (!at || strlen(a) > 254 || !plan_local_part_ok(a, (size_t)(at - a)) ||
	    !str_utf8_valid(a, strlen(a)))
		return x_free(a);
	dom = plan_norm_domain(at + 1);
	if (!dom || strcmp(dom, at + 1) != 0) {	/* no final dot either */
		free(dom);
		return x_free(a);
	}
	free(dom);
	return a;
}

struct plan_user *plan_add_user(struct plan_build *b, struct plan_pos pos,
				const char *address, const char *group,
				const char *source_login,
				const char *dest_login)
{
	struct plan *p = b->p;
	char *addr = plan_norm_address(address), *shown;
	struct plan_user *u;
	size_t first;

	if (!addr) {
		shown = plan_show(address);
		plan_err_pos(b, pos, NULL,
			     "invalid address '%s' (expected local-part@domain)",
			     shown);
		free(shown);
		return NULL;
	}
	if (!b->addr)
		b->addr = strmap_new();
	first = (size_t)(uintptr_t)strmap_get(b->addr, addr);
	if (first) {
		const struct plan_pos *fp = &p->users[first - 1].pos;

		plan_err_pos(b, pos, NULL,
			     "user '%s' is listed twice (first at %s:%u)", addr,
			     fp->file, fp->line);
		free(addr);
		return NULL;
	}
	if (p->n_users >= PLAN_MAX_USERS) {
		if (!b->users_capped)
			plan_err_pos(b, pos, NULL,
				     "the plan has more than %d users", PLAN_MAX_USERS);
		b->users_capped = true;
		free(addr);
		return NULL;
	}
	if (p->domains) {
		const char *dom = strrchr(addr, '@') + 1;
		bool found = false;

		if (!b->domains) {
			b->domains = strmap_new();
			for (size_t i = 0; p->domains[i]; i++)
				strmap_put(b->domains, p->domains[i],
					   p->domains[i]);
		}
		found = strmap_get(b->domains, dom) != NULL;
		if (!found)
			plan_err_pos(b, pos, NULL,
				     "user '%s': domain '%s' is not listed in 'domains'",
				     addr, dom);
	}
	if (p->n_users == b->users_alloc) {
		b->users_alloc = b->users_alloc ? b->users_alloc * 2 : 64;
		p->users = xreallocarray(p->users, b->users_alloc,
					 sizeof(*p->users));
		b->users = xreallocarray(b->users, b->users_alloc,
					 sizeof(*b->users));
	}
	memset(&b->users[p->n_users], 0, sizeof(b->users[0]));
	u = &p->users[p->n_users++];
	memset(u, 0, sizeof(*u));
	u->pos = pos;
	u->address = addr;
	u->group = xstrdup(group);
	u->source_login = xstrdup(source_login);
	u->dest_login = xstrdup(dest_login);
	u->backend = PLAN_NONE;
	u->phase = PLAN_NONE;
	strmap_put(b->addr, addr, (void *)(uintptr_t)p->n_users);
	return u;
}

static const struct ptree *plan_phases_keynode(const struct ptree *map,
					       const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(ptree_key(map, i)->str, key) == 0)
			return ptree_key(map, i);
	return NULL;
}

static void plan_read_user(struct plan_build *b, const struct ptree *item,
			   size_t i)
{
	static const char *const keys[] = {
		"address", "group", "source_login", "dest_login", "backend",
		NULL,
	};
	const struct ptree *a = ptree_get(item, "address");
	char *ctx, *address, *group, *sl, *dl, *backend;
	struct plan_user *u;

	if (a && a->kind == PTREE_SCALAR && !ptree_is_null(a)) {
		char *shown = plan_show(a->str);

		ctx = xasprintf("user '%s'", shown);
		free(shown);
	} else {
		ctx = xasprintf("'users' item %zu", i + 1);
	}
	plan_get_keys(b, item, ctx, keys);
	address = plan_get_str(b, item, "address", ctx, true);
	group = plan_get_str(b, item, "group", ctx, false);
	if (group && !plan_name_ok(group))
		plan_bad_name(b, plan_pos_of(b, ptree_get(item, "group")), ctx,
			      "group name", group);
	sl = plan_get_str(b, item, "source_login", ctx, false);
	dl = plan_get_str(b, item, "dest_login", ctx, false);
	backend = plan_get_str(b, item, "backend", ctx, false);
	u = address ? plan_add_user(b, plan_pos_of(b, a), address, group, sl,
				    dl) : NULL;
	if (u && backend) {
		struct plan_user_build *ub = &b->users[b->p->n_users - 1];

		ub->backend.name = backend;
		ub->backend.pos = plan_pos_of(b, ptree_get(item, "backend"));
		backend = NULL;
	}
	free(backend);
	free(address);
	free(group);
	free(sl);
	free(dl);
	free(ctx);
}

void plan_read_users(struct plan_build *b, const struct ptree *root)
{
	const struct ptree *v = plan_get_node(b, root, "users", NULL, true);

	if (!v)
		return;
	if (v->kind != PTREE_SEQ) {
		plan_err_at(b, v, NULL,
			    "'users' must be a list of { address: ... } or { csv: PATH } items, not %s",
			    ptree_kind_name(v));
		return;
	}
	if (v->n == 0) {
		plan_err_at(b, v, NULL,
			    "'users' must list at least one user or CSV file");
		return;
	}
	b->users_ok = true;
	for (size_t i = 0; i < v->n; i++) {
		const struct ptree *item = v->kids[i], *csv;
		char *path;

		if (item->kind != PTREE_MAP) {
			plan_err_at(b, item, NULL,
				    "'users' items must be mappings such as { address: alice@example.com } or { csv: users.csv }, not %s",
				    ptree_kind_name(item));
			continue;
		}
		csv = ptree_get(item, "csv");
		if (!csv) {
			plan_read_user(b, item, i);
			continue;
		}
		if (item->n > 1)
			plan_err_at(b, item, NULL,
				    "'csv' cannot be combined with other keys in the same 'users' item");
		path = plan_get_path(b, item, "csv", NULL, true);
		if (path && !b->csv_seen)
			b->csv_seen = strmap_new();
		if (path && strmap_get(b->csv_seen, path)) {
			plan_err_at(b, csv, NULL,
				    "users file '%s' is already listed", path);
		} else if (path) {
			strmap_put(b->csv_seen, path, b->csv_seen);
			plan_csv_users(b, path, plan_pos_of(b, csv));
		}
		free(path);
	}
}

static void plan_read_dns_change(struct plan_build *b,
				 const struct ptree *item, const char *ctx,
				 struct plan_phase *ph,
				 struct plan_phase_build *pb)
{
	const struct ptree *m = ptree_get(item, "dns_change");

	if (!m)
		return;
	pb->dns_change_pos = plan_pos_of(b, plan_phases_keynode(item,
								"dns_change"));
	if (m->kind != PTREE_MAP) {
		plan_err_at(b, m, ctx,
			    "'dns_change' must be a mapping of \"NAME TYPE\" to a list of records, not %s",
			    ptree_kind_name(m));
		return;
	}
	ph->dns_change = m->n ? xcalloc(m->n, sizeof(*ph->dns_change)) : NULL;
	for (size_t i = 0; i < m->n; i++) {
		const struct ptree *k = ptree_key(m, i), *v = ptree_val(m, i);
		struct plan_dns_change *dc = &ph->dns_change[ph->n_dns_change];
		struct plan_rrkey key;
		char **records = NULL;

		if (plan_parse_rrkey(k->str, b->p->dns.zone, &key) < 0) {
			char *shown = plan_show(k->str);

			plan_err_at(b, k, ctx,
				    "'dns_change' key '%s' must be \"NAME TYPE\", such as \"corp.example. MX\"",
				    shown);
			free(shown);
			continue;
		}
		if (v->kind == PTREE_SCALAR && !ptree_is_null(v) && v->len)
			strv_push(&records, v->str);
		else if (v->kind == PTREE_SEQ && v->n)
			records = plan_get_strv_node(b, v, k->str, ctx, true,
						     NULL);
		else if (v->kind == PTREE_MAP)
			plan_err_at(b, v, ctx,
				    "'dns_change' record '%s %s' must be a list of records, not a mapping",
				    key.name, key.type);
		else
			plan_err_at(b, v, ctx,
				    "'dns_change' record '%s %s' needs at least one value",
				    key.name, key.type);
		if (!records) {
			free(key.name);
			free(key.type);
			continue;
		}
		key.pos = plan_pos_of(b, k);
		dc->pos = key.pos;
		dc->key = key;
		dc->records = records;
		ph->n_dns_change++;
	}
}

static void plan_read_phase(struct plan_build *b, const struct ptree *item,
			    size_t i)
{
	static const char *const keys[] = {
		"name", "users", "groups", "rest", "from", "to", "dns_change",
		"not_before", "expunge", NULL,
	};
	struct plan *p = b->p;
	struct plan_phase *ph = &p->phases[p->n_phases];
	struct plan_phase_build *pb = &b->phases[p->n_phases];
	const struct ptree *nm = ptree_get(item, "name");
	char *ctx, *nb;

	p->n_phases++;
	ph->pos = plan_pos_of(b, item);
	ph->from = ph->to = PLAN_NONE;
	if (nm && nm->kind == PTREE_SCALAR && !ptree_is_null(nm)) {
		char *shown = plan_show(nm->str);

		ctx = xasprintf("phase '%s'", shown);
		free(shown);
	} else {
		ctx = xasprintf("'phases' item %zu", i + 1);
	}
	plan_get_keys(b, item, ctx, keys);
	pb->ctx = xstrdup(ctx);
	pb->name_pos = plan_pos_of(b, nm);
	ph->name = plan_get_str(b, item, "name", ctx, true);
	if (ph->name && !plan_name_ok(ph->name))
		plan_bad_name(b, plan_pos_of(b, nm), NULL, "phase name",
			      ph->name);
	ph->user_names = plan_get_strv(b, item, "users", ctx, false,
				       &pb->user_pos);
	ph->group_names = plan_get_strv(b, item, "groups", ctx, false,
					&pb->group_pos);
	if (plan_get_bool(b, item, "rest", ctx, &ph->rest) > 0 && ph->rest) {
		pb->rest_pos = plan_pos_of(b, ptree_get(item, "rest"));
		if (ptree_get(item, "users") || ptree_get(item, "groups"))
			plan_err_pos(b, pb->rest_pos, ctx,
				     "'rest: true' cannot be combined with 'users' or 'groups' (it takes every user that no other phase names)");
	}
	pb->from.name = plan_get_str(b, item, "from", ctx, true);
	pb->from.pos = plan_pos_of(b, ptree_get(item, "from"));
	pb->to.name = plan_get_str(b, item, "to", ctx, true);
	pb->to.pos = plan_pos_of(b, ptree_get(item, "to"));
	plan_read_dns_change(b, item, ctx, ph, pb);
	plan_get_bool(b, item, "expunge", ctx, &ph->expunge);
	nb = plan_get_str(b, item, "not_before", ctx, false);
	if (nb && timeutil_parse_rfc3339(nb, &ph->not_before) < 0) {
		char *shown = plan_show(nb);

		plan_err_at(b, ptree_get(item, "not_before"), ctx,
			    "'not_before' must be an RFC 3339 time such as 2026-12-05T18:00:00Z, not '%s'",
			    shown);
		free(shown);
	} else if (nb) {
		ph->has_not_before = true;
	}
	free(nb);
	free(ctx);
}

void plan_read_phases(struct plan_build *b, const struct ptree *root)
{
	const struct ptree *v = plan_get_node(b, root, "phases", NULL, true);

	if (!v)
		return;
	if (v->kind != PTREE_SEQ) {
		plan_err_at(b, v, NULL, "'phases' must be a list of phases, not %s",
			    ptree_kind_name(v));
		return;
	}
	if (v->n == 0) {
		plan_err_at(b, v, NULL, "'phases' must list at least one phase");
		return;
	}
	b->p->phases = xcalloc(v->n, sizeof(*b->p->phases));
	b->phases = xcalloc(v->n, sizeof(*b->phases));
	for (size_t i = 0; i < v->n; i++) {
		const struct ptree *item = v->kids[i];

		if (item->kind != PTREE_MAP) {
			plan_err_at(b, item, NULL,
				    "'phases' items must be mappings such as { name: pilot, users: [...], from: old, to: new }, not %s",
				    ptree_kind_name(item));
			continue;
		}
		plan_read_phase(b, item, i);
	}
}
