/*
 * plan_check.c -- what no single section can check alone: names that
 * refer to other sections, groups, phase members, and a run of the phases
 * in order to see that each one moves its users from where they will be.
 *
 * Every lookup goes through a strmap, so a plan of 10,000 users and 100
 * phases is checked in linear time.  Per-user messages are capped at
 * PLAN_MAX_USER_MSGS per phase, then one "... and N more users" line.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plans/plan_int.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

struct plan_member {
	size_t user;
	struct plan_pos pos;		/* where the phase names the user */
};

struct plan_check_phase {
	struct plan_member *m;
	size_t n, alloc;
	size_t msgs;			/* per-user messages so far */
	struct plan_pos first_cut;	/* first message not shown */
	bool bad_group;			/* an unknown group was named */
};

struct plan_check {
	struct plan_build *b;
	struct plan *p;
	struct strmap *backends;	/* name -> index + 1 */
	const char **backend_names;
	struct strmap *groups;		/* name -> index + 1 */
	const char **group_names;
	const char **addresses;		/* for "did you mean", built lazily */
	struct plan_check_phase *ph;
	size_t hints;			/* "did you mean" searches left */
};

static size_t plan_check_lookup(const struct strmap *m, const char *name)
{
	size_t v = (size_t)(uintptr_t)strmap_get(m, name);

	return v ? v - 1 : PLAN_NONE;
}

/* " (did you mean 'x'?)" or "".  Each search scans every candidate, so
 * a hostile plan with 10^5 typos gets hints for the first few only. */
static char *plan_check_hint(struct plan_check *c, const char *word,
			     const char *const *cand, size_t n)
{
	const char *near = NULL;

	if (n && c->hints) {
		c->hints--;
		near = str_closest(word, cand, n);
	}

	return near ? xasprintf(" (did you mean '%s'?)", near) : xstrdup("");
}

static size_t plan_check_backend(struct plan_check *c, const char *ctx,
				 const struct plan_name_ref *ref)
{
	size_t i;
	char *hint, *shown;

	if (!ref->name)
		return PLAN_NONE;
	i = plan_check_lookup(c->backends, ref->name);
	if (i != PLAN_NONE || !c->b->backends_ok)
		return i;
	hint = plan_check_hint(c, ref->name, c->backend_names,
			       c->p->n_backends);
	shown = plan_show(ref->name);
	plan_err_pos(c->b, ref->pos, ctx, "unknown backend '%s'%s", shown,
		     hint);
	free(shown);
	free(hint);
	return PLAN_NONE;
}

/* A message about one user of a phase: the first few are shown. */
static void plan_check_user_msg(struct plan_check *c, size_t phase,
				struct plan_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void plan_check_user_msg(struct plan_check *c, size_t phase,
				struct plan_pos pos, const char *fmt, ...)
{
	struct plan_check_phase *cp = &c->ph[phase];
	struct sbuf sb;
	va_list ap;

	if (cp->msgs++ >= PLAN_MAX_USER_MSGS) {
		if (cp->msgs == PLAN_MAX_USER_MSGS + 1)
			cp->first_cut = pos;
		return;
	}
	sbuf_init(&sb, 4096);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	plan_err_pos(c->b, pos, c->b->phases[phase].ctx, "%s", sb.buf);
	sbuf_release(&sb);
}

static void plan_check_backends(struct plan_check *c)
{
	struct plan *p = c->p;

	c->backends = strmap_new();
	c->backend_names = xcalloc(p->n_backends + 1, sizeof(char *));
	for (size_t i = 0; i < p->n_backends; i++) {
		strmap_put(c->backends, p->backends[i].name,
			   (void *)(uintptr_t)(i + 1));
		c->backend_names[i] = p->backends[i].name;
	}
	if (p->gateway.default_route && c->b->default_backend == PLAN_NONE &&
	    c->b->backends_ok)
		plan_err_pos(c->b, c->b->default_route_pos, "gateway",
			     "'default_route: true' needs a backend marked 'default: true'");
	for (size_t i = 0; i < p->n_users; i++) {
		const struct plan_name_ref *r = &c->b->users[i].backend;
		char *shown, *ctx;

		if (!r->name)
			continue;
		shown = plan_show(p->users[i].address);
		ctx = xasprintf("user '%s'", shown);
		p->users[i].backend = plan_check_backend(c, ctx, r);
		free(ctx);
		free(shown);
	}
}

/* plan->groups from the users' group: fields, members in plan order. */
static void plan_check_groups(struct plan_check *c)
{
	struct plan *p = c->p;
	size_t alloc = 0;

	c->groups = strmap_new();
	for (size_t i = 0; i < p->n_users; i++) {
		const char *g = p->users[i].group;
		size_t gi;

		if (!g)
			continue;
		gi = plan_check_lookup(c->groups, g);
		if (gi == PLAN_NONE) {
			if (p->n_groups == alloc) {
				alloc = alloc ? alloc * 2 : 16;
				p->groups = xreallocarray(p->groups, alloc,
							  sizeof(*p->groups));
			}
			gi = p->n_groups++;
			memset(&p->groups[gi], 0, sizeof(p->groups[gi]));
			p->groups[gi].name = xstrdup(g);
			strmap_put(c->groups, g, (void *)(uintptr_t)(gi + 1));
		}
		p->groups[gi].n_users++;
	}
	c->group_names = xcalloc(p->n_groups + 1, sizeof(char *));
	for (size_t g = 0; g < p->n_groups; g++) {
		p->groups[g].users = xcalloc(p->groups[g].n_users,
					     sizeof(size_t));
		p->groups[g].n_users = 0;
		c->group_names[g] = p->groups[g].name;
	}
	for (size_t i = 0; i < p->n_users; i++) {
		struct plan_group *g;

		if (!p->users[i].group)
			continue;
		g = &p->groups[plan_check_lookup(c->groups, p->users[i].group)];
		g->users[g->n_users++] = i;
	}
}

static void plan_check_dns_change(struct plan_check *c, size_t i,
				  struct strmap *manage)
{
	struct plan_phase *ph = &c->p->phases[i];
	struct plan_phase_build *pb = &c->b->phases[i];
	struct strmap *seen;

	if (!pb->dns_change_pos.line)
		return;
	if (!c->p->dns.present) {
		plan_err_pos(c->b, pb->dns_change_pos, pb->ctx,
			     "'dns_change' needs a 'dns' section");
		return;
	}
	seen = strmap_new();
	for (size_t k = 0; k < ph->n_dns_change; k++) {
		const struct plan_dns_change *dc = &ph->dns_change[k];
		char *canon = xasprintf("%s %s", dc->key.name, dc->key.type);

		if (strmap_get(seen, canon))
			plan_err_pos(c->b, dc->pos, pb->ctx,
				     "record '%s' is changed twice in this phase",
				     canon);
		else if (!strmap_get(manage, canon))
			plan_err_pos(c->b, dc->pos, pb->ctx,
				     "record '%s' is not listed in dns 'manage'",
				     canon);
		strmap_put(seen, canon, seen);
		free(canon);
	}
	strmap_free(seen);
}

/* Names, backends, rest and dns_change of each phase. */
static void plan_check_phases(struct plan_check *c)
{
	struct plan *p = c->p;
	struct strmap *names = strmap_new(), *manage = strmap_new();
	size_t rest = PLAN_NONE;

	for (size_t k = 0; k < p->dns.n_manage; k++) {
		char *canon = xasprintf("%s %s", p->dns.manage[k].name,
					p->dns.manage[k].type);

		strmap_put(manage, canon, manage);
		free(canon);
	}
	for (size_t i = 0; i < p->n_phases; i++) {
		struct plan_phase *ph = &p->phases[i];
		struct plan_phase_build *pb = &c->b->phases[i];
		size_t first;

		if (ph->name) {
			first = plan_check_lookup(names, ph->name);
			if (first != PLAN_NONE)
				plan_err_pos(c->b, pb->name_pos, NULL,
					     "duplicate phase name '%s' (first at line %u)",
					     ph->name, c->b->phases[first].name_pos.line);
			else
				strmap_put(names, ph->name,
					   (void *)(uintptr_t)(i + 1));
		}
		ph->from = plan_check_backend(c, pb->ctx, &pb->from);
		ph->to = plan_check_backend(c, pb->ctx, &pb->to);
		if (ph->from != PLAN_NONE && ph->from == ph->to)
			plan_err_pos(c->b, pb->to.pos, pb->ctx,
				     "'from' and 'to' are the same backend '%s'",
				     p->backends[ph->to].name);
		if (ph->rest && rest != PLAN_NONE)
			plan_err_pos(c->b, pb->rest_pos, pb->ctx,
				     "only one phase may have 'rest: true', and phase '%s' already has",
				     p->phases[rest].name ? p->phases[rest].name : "?");
		else if (ph->rest)
			rest = i;
		plan_check_dns_change(c, i, manage);
	}
	strmap_free(names);
	strmap_free(manage);
}

/* Phase `i` takes user `u`, named at `pos` (via group `group`, or NULL). */
static void plan_check_claim(struct plan_check *c, size_t i, size_t u,
			     struct plan_pos pos, const char *group)
{
	struct plan_user *user = &c->p->users[u];
	struct plan_check_phase *cp = &c->ph[i];

	if (user->phase == i)
		return;		/* named twice by the same phase: harmless */
	if (user->phase != PLAN_NONE) {
		const char *by = c->p->phases[user->phase].name;

		if (group)
			plan_check_user_msg(c, i, pos,
					    "user '%s' (group '%s') is already moved by phase '%s'",
					    user->address, group, by ? by : "?");
		else
			plan_check_user_msg(c, i, pos,
					    "user '%s' is already moved by phase '%s'",
					    user->address, by ? by : "?");
		return;
	}
	user->phase = i;
	if (cp->n == cp->alloc) {
		cp->alloc = cp->alloc ? cp->alloc * 2 : 16;
		cp->m = xreallocarray(cp->m, cp->alloc, sizeof(*cp->m));
	}
	cp->m[cp->n].user = u;
	cp->m[cp->n].pos = pos;
	cp->n++;
}

static void plan_check_named(struct plan_check *c, size_t i)
{
	struct plan *p = c->p;
	struct plan_phase *ph = &p->phases[i];
	struct plan_phase_build *pb = &c->b->phases[i];

	for (size_t j = 0; ph->user_names && ph->user_names[j]; j++) {
		char *addr = xstrdup(ph->user_names[j]), *shown, *hint;
		const struct plan_user *u;

		str_lower(addr);
		u = strmap_get(p->user_index, addr);
		if (u) {
			plan_check_claim(c, i, (size_t)(u - p->users),
					 pb->user_pos[j], NULL);
		} else if (c->b->users_ok) {
			shown = plan_show(ph->user_names[j]);
			hint = xstrdup("");
			if (c->ph[i].msgs < PLAN_MAX_USER_MSGS) {
				if (!c->addresses) {
					c->addresses = xcalloc(p->n_users + 1,
							       sizeof(char *));
					for (size_t k = 0; k < p->n_users; k++)
						c->addresses[k] = p->users[k].address;
				}
				free(hint);
				hint = plan_check_hint(c, addr, c->addresses,
						       p->n_users);
			}
			plan_check_user_msg(c, i, pb->user_pos[j],
					    "unknown user '%s'%s", shown, hint);
			free(hint);
			free(shown);
		}
		free(addr);
	}
	for (size_t j = 0; ph->group_names && ph->group_names[j]; j++) {
		size_t g = plan_check_lookup(c->groups, ph->group_names[j]);
		char *shown, *hint;

		if (g == PLAN_NONE) {
			if (!c->b->users_ok)
				continue;
			shown = plan_show(ph->group_names[j]);
			hint = plan_check_hint(c, ph->group_names[j],
					       c->group_names, p->n_groups);
			plan_err_pos(c->b, pb->group_pos[j], pb->ctx,
				     "unknown group '%s'%s", shown, hint);
			c->ph[i].bad_group = true;
			free(hint);
			free(shown);
			continue;
		}
		for (size_t k = 0; k < p->groups[g].n_users; k++)
			plan_check_claim(c, i, p->groups[g].users[k],
					 pb->group_pos[j], p->groups[g].name);
	}
}

static int plan_member_cmp(const void *a, const void *b)
{
	size_t x = ((const struct plan_member *)a)->user;
	size_t y = ((const struct plan_member *)b)->user;

	return x < y ? -1 : x > y;
}

/* Where each user starts; complain about users no one can place. */
static void plan_check_start(struct plan_check *c)
{
	struct plan *p = c->p;
	size_t lost = 0;
	struct plan_pos first_cut = { NULL, 0, 0 };

	for (size_t u = 0; u < p->n_users; u++) {
		struct plan_user *user = &p->users[u];

		if (user->backend != PLAN_NONE || c->b->users[u].backend.name)
			continue;	/* given (or unknown: said already) */
		if (c->b->default_backend != PLAN_NONE)
			user->backend = c->b->default_backend;
		else if (user->phase != PLAN_NONE)
			user->backend = p->phases[user->phase].from;
		else if (c->b->backends_ok) {
			if (lost < PLAN_MAX_USER_MSGS)
				plan_err_pos(c->b, user->pos, NULL,
					     "user '%s' is in no phase and has no backend: give it 'backend: NAME' or mark a backend 'default: true'",
					     user->address);
			else if (lost == PLAN_MAX_USER_MSGS)
				first_cut = user->pos;
			lost++;
		}
	}
	if (lost > PLAN_MAX_USER_MSGS) {
		plan_err_pos(c->b, first_cut, NULL,
			     "... and %zu more users in no phase and with no backend",
			     lost - PLAN_MAX_USER_MSGS);
		c->b->d->n_errors += lost - PLAN_MAX_USER_MSGS - 1;
	}
}

/* Run the phases in order: each moves its users from `from` to `to`. */
static void plan_check_simulate(struct plan_check *c)
{
	struct plan *p = c->p;
	size_t *loc = xcalloc(p->n_users + 1, sizeof(*loc));

	for (size_t u = 0; u < p->n_users; u++)
		loc[u] = p->users[u].backend;
	for (size_t i = 0; i < p->n_phases; i++) {
		struct plan_phase *ph = &p->phases[i];
		struct plan_check_phase *cp = &c->ph[i];

		for (size_t k = 0; k < cp->n; k++) {
			size_t u = cp->m[k].user;

			if (ph->from != PLAN_NONE && loc[u] != PLAN_NONE &&
			    loc[u] != ph->from)
				plan_check_user_msg(c, i, cp->m[k].pos,
						    "user '%s' is on backend '%s' at this point, not on 'from' backend '%s'",
						    p->users[u].address,
						    p->backends[loc[u]].name,
						    p->backends[ph->from].name);
			if (ph->to != PLAN_NONE)
				loc[u] = ph->to;
		}
	}
	free(loc);
}

static void plan_check_members(struct plan_check *c)
{
	struct plan *p = c->p;
	size_t rest = PLAN_NONE;

	for (size_t i = 0; i < p->n_phases; i++) {
		if (p->phases[i].rest && rest == PLAN_NONE)
			rest = i;
		else if (!p->phases[i].rest)
			plan_check_named(c, i);
	}
	if (rest != PLAN_NONE)
		for (size_t u = 0; u < p->n_users; u++)
			if (p->users[u].phase == PLAN_NONE)
				plan_check_claim(c, rest, u,
						 c->b->phases[rest].rest_pos,
						 NULL);
	for (size_t i = 0; i < p->n_phases; i++) {
		struct plan_check_phase *cp = &c->ph[i];
		struct plan_phase *ph = &p->phases[i];

		if (cp->n > 1)
			qsort(cp->m, cp->n, sizeof(*cp->m), plan_member_cmp);
		ph->n_users = cp->n;
		ph->users = xcalloc(cp->n + 1, sizeof(size_t));
		for (size_t k = 0; k < cp->n; k++)
			ph->users[k] = cp->m[k].user;
	}
	plan_check_start(c);
	plan_check_simulate(c);
	for (size_t i = 0; i < p->n_phases; i++) {
		struct plan_check_phase *cp = &c->ph[i];

		if (cp->msgs > PLAN_MAX_USER_MSGS) {
			plan_err_pos(c->b, cp->first_cut, c->b->phases[i].ctx,
				     "... and %zu more users",
				     cp->msgs - PLAN_MAX_USER_MSGS);
			c->b->d->n_errors += cp->msgs - PLAN_MAX_USER_MSGS - 1;
		}
		if (p->phases[i].n_users == 0 && cp->msgs == 0 &&
		    !cp->bad_group && c->b->users_ok)
			plan_warn_pos(c->b, p->phases[i].pos, NULL,
				      "%s moves no users", c->b->phases[i].ctx);
	}
}

void plan_check(struct plan_build *b)
{
	struct plan_check c;
	struct plan *p = b->p;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.p = p;
	c.hints = PLAN_MAX_HINTS;
	p->user_index = strmap_new();
	for (size_t i = 0; i < p->n_users; i++)
		strmap_put(p->user_index, p->users[i].address, &p->users[i]);
	c.ph = xcalloc(p->n_phases + 1, sizeof(*c.ph));
	plan_check_backends(&c);
	plan_check_groups(&c);
	plan_check_phases(&c);
	plan_check_members(&c);
	plan_check_mx(b);
	for (size_t i = 0; i < p->n_phases; i++)
		free(c.ph[i].m);
	free(c.ph);
	free(c.addresses);
	free(c.backend_names);
	free(c.group_names);
	strmap_free(c.backends);
	strmap_free(c.groups);
}
