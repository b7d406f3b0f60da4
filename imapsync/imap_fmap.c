/*
 * imap_fmap.c -- where each source folder goes (pure; no I/O).
 *
 * A source name is first made logical: decoded from modified UTF-7,
 * stripped of the personal namespace prefix ("INBOX." on Courier-style
 * servers), split at the source's hierarchy delimiter.  Then, in order of
 * strength:
 *	1. the plan's exclude patterns (fnmatch, on the name as the source
 *	   shows it and on the logical path with '/')
 *	2. the plan's explicit map (a mapped parent carries its children)
 *	3. special use: \Sent, \Drafts, \Trash, \Junk, \Archive, \All,
 *	   \Flagged land in the destination folder with the same use,
 *	   whatever it is called; names are used only when a server has no
 *	   SPECIAL-USE attributes at all
 *	4. the logical path itself
 * and the result is joined with the destination's delimiter, prefixed
 * with its namespace prefix and encoded.  A level that contains the
 * destination's delimiter gets '_' instead; two source folders never
 * share a destination folder (the later one is renamed "NAME (2)").
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xalloc.h"

static const char *const use_names[IMAP_USE_COUNT] = {
	"", "\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive", "\\All",
	"\\Flagged",
};

const char *imap_use_name(enum imap_use u)
{
	return (unsigned)u < IMAP_USE_COUNT ? use_names[u] : "";
}

/* Common names, for servers without SPECIAL-USE. */
static const char *const well_known[IMAP_USE_COUNT][12] = {
	[IMAP_USE_SENT] = { "Sent", "Sent Items", "Sent Messages", "Sent Mail",
			    "Gesendete Objekte", "Gesendet",
			    "\xc3\x89l\xc3\xa9ments envoy\xc3\xa9s",
			    "Elementos enviados", "Posta inviata",
			    "Verzonden items", NULL },
	[IMAP_USE_DRAFTS] = { "Drafts", "Draft", "Brouillons", "Borradores",
			      "Bozze", "Concepten", NULL },
	[IMAP_USE_TRASH] = { "Trash", "Deleted Items", "Deleted Messages",
			     "Bin", "Papierkorb",
			     "Gel\xc3\xb6schte Objekte", "Corbeille",
			     "Papelera", "Cestino", NULL },
	[IMAP_USE_JUNK] = { "Junk", "Spam", "Junk E-mail", "Junk Email",
			    "Junk-E-Mail", "Bulk Mail", NULL },
	[IMAP_USE_ARCHIVE] = { "Archive", "Archives", "Archiv", NULL },
};

void imap_folder_list_init(struct imap_folder_list *l)
{
	memset(l, 0, sizeof *l);
	l->delim = '/';
}

void imap_folder_list_release(struct imap_folder_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].raw);
		free(l->v[i].name);
	}
	free(l->v);
	free(l->prefix);
	imap_folder_list_init(l);
}

struct imap_folder *imap_folder_list_add(struct imap_folder_list *l,
					 const char *raw, char delim,
					 unsigned attrs, enum imap_use use)
{
	struct imap_folder *f;
	struct sbuf sb;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 32;
		l->v = xreallocarray(l->v, l->alloc, sizeof *l->v);
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof *f);
	f->raw = xstrdup(raw);
	sbuf_init(&sb, 1 << 16);
	if (imap_utf7_decode(raw, &sb) == 0)
		f->name = sbuf_detach(&sb, NULL);
	else
		f->name = xstrdup(raw);
	sbuf_release(&sb);
	f->delim = delim;
	f->attrs = attrs;
	f->use = use;
	return f;
}

const struct imap_folder *imap_folder_list_find(
	const struct imap_folder_list *l, const char *raw)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].raw, raw) == 0)
			return &l->v[i];
		if (str_ieq(raw, "INBOX") && str_ieq(l->v[i].raw, "INBOX"))
			return &l->v[i];
	}
	return NULL;
}

void imap_fplans_release(struct imap_fplans *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].src_raw);
		free(p->v[i].src_name);
		free(p->v[i].dst_raw);
		free(p->v[i].dst_name);
		free(p->v[i].why);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

/* ---- logical paths ------------------------------------------------------ */

static char *prefix_utf8(const char *raw)
{
	struct sbuf sb;
	char *s;

	sbuf_init(&sb, 1 << 12);
	if (imap_utf7_decode(raw ? raw : "", &sb) < 0)
		sbuf_addstr(&sb, raw ? raw : "");
	s = sbuf_detach(&sb, NULL);
	return s;
}

/* The levels of a source folder's name, below the namespace prefix. */
static char **logical_levels(const struct imap_folder *f, const char *prefix)
{
	const char *name = f->name;
	char **v = NULL;
	char d = f->delim;

	if (str_ieq(name, "INBOX")) {
		strv_push(&v, "INBOX");
		return v;
	}
	if (prefix && *prefix && str_has_prefix(name, prefix) &&
	    strlen(name) > strlen(prefix))
		name += strlen(prefix);
	if (!d) {
		strv_push(&v, name);
		return v;
	}
	for (;;) {
		const char *e = strchr(name, d);
		char *part = xstrndup(name, e ? (size_t)(e - name) : strlen(name));

		strv_push(&v, part);
		free(part);
		if (!e)
			break;
		name = e + 1;
	}
	return v;
}

static char *join(char *const *v, size_t from, char d)
{
	struct sbuf sb;
	size_t i;

	sbuf_init(&sb, 1 << 16);
	for (i = from; v[i]; i++) {
		if (i > from)
			sbuf_addch(&sb, d ? d : '/');
		sbuf_addstr(&sb, v[i]);
	}
	return sbuf_detach(&sb, NULL);
}

/* Split a '/'-separated plan name into levels. */
static char **slash_levels(const char *s)
{
	char **v = NULL;

	for (;;) {
		const char *e = strchr(s, '/');
		char *part = xstrndup(s, e ? (size_t)(e - s) : strlen(s));

		strv_push(&v, part);
		free(part);
		if (!e)
			break;
		s = e + 1;
	}
	return v;
}

/* ---- destination naming ------------------------------------------------- */

struct fmap {
	const struct imapsync_folder_opts *o;
	const struct imap_folder_list *src, *dst;
	char *src_prefix, *dst_prefix;	/* UTF-8 */
	bool src_has_use, dst_has_use;
	struct strmap *taken;		/* dst raw -> (void *)1 */
	bool use_taken[IMAP_USE_COUNT];
};

/* Destination (UTF-8 display name, raw name) for logical levels. */
static void dst_names(struct fmap *m, char **levels, char **name, char **raw,
		      bool *renamed)
{
	const struct imap_folder_list *d = m->dst;
	char dd = d->delim;
	struct sbuf sb, enc;
	size_t i = 0;

	*renamed = false;
	sbuf_init(&sb, 1 << 16);
	if (str_ieq(levels[0], "INBOX") && !levels[1]) {
		sbuf_addstr(&sb, "INBOX");
	} else {
		/* "INBOX/x" onto an "INBOX." namespace: x is already under it */
		if (str_ieq(levels[0], "INBOX") && levels[1] && dd &&
		    strlen(m->dst_prefix) == 6 &&
		    strncasecmp(m->dst_prefix, "INBOX", 5) == 0 &&
		    m->dst_prefix[5] == dd)
			i = 1;
		sbuf_addstr(&sb, m->dst_prefix);
		for (; levels[i]; i++) {
			const char *p;

			if (sb.len > strlen(m->dst_prefix))
				sbuf_addch(&sb, dd ? dd : '/');
			for (p = levels[i]; *p; p++) {
				if (dd && *p == dd) {
					sbuf_addch(&sb, '_');
					*renamed = true;
				} else {
					sbuf_addch(&sb, *p);
				}
			}
		}
	}
	sbuf_init(&enc, 1 << 17);
	if (imap_utf7_encode(sb.buf, &enc) < 0)
		sbuf_addstr(&enc, sb.buf);
	*name = sbuf_detach(&sb, NULL);
	*raw = sbuf_detach(&enc, NULL);
	sbuf_release(&sb);
	sbuf_release(&enc);
}

static const struct imap_folder *dst_by_use(struct fmap *m, enum imap_use u)
{
	size_t i, j;

	for (i = 0; i < m->dst->n; i++)
		if (m->dst->v[i].use == u && !(m->dst->v[i].attrs & IMAP_F_NOSELECT))
			return &m->dst->v[i];
	if (m->dst_has_use)
		return NULL;
	for (j = 0; well_known[u][j]; j++) {
		for (i = 0; i < m->dst->n; i++) {
			char **lv = logical_levels(&m->dst->v[i], m->dst_prefix);
			bool hit = lv[0] && !lv[1] && str_ieq(lv[0], well_known[u][j]);

			strv_free(lv);
			if (hit && !(m->dst->v[i].attrs & IMAP_F_NOSELECT))
				return &m->dst->v[i];
		}
	}
	return NULL;
}

static enum imap_use src_use(struct fmap *m, const struct imap_folder *f,
			     char **levels)
{
	size_t u, j;

	if (f->use != IMAP_USE_NONE || m->src_has_use)
		return f->use;
	if (!levels[0] || levels[1])
		return IMAP_USE_NONE;
	for (u = 1; u < IMAP_USE_COUNT; u++)
		for (j = 0; well_known[u][j]; j++)
			if (str_ieq(levels[0], well_known[u][j]))
				return (enum imap_use)u;
	return IMAP_USE_NONE;
}

static bool excluded(struct fmap *m, const char *name, const char *logical,
		     const char **pat)
{
	size_t i;

	for (i = 0; m->o->exclude && m->o->exclude[i]; i++) {
		if (fnmatch(m->o->exclude[i], name, 0) == 0 ||
		    fnmatch(m->o->exclude[i], logical, 0) == 0) {
			*pat = m->o->exclude[i];
			return true;
		}
	}
	return false;
}

/* The plan's map for this folder: levels of the target, or NULL. */
static char **mapped(struct fmap *m, const char *name, const char *logical)
{
	size_t i;

	for (i = 0; i < m->o->n_map; i++) {
		const char *from = m->o->map[i].from;
		size_t n = strlen(from);
		const char *rest = NULL;

		if (strcmp(name, from) == 0 || strcmp(logical, from) == 0)
			rest = "";
		else if (strncmp(logical, from, n) == 0 && logical[n] == '/')
			rest = logical + n;
		else if (strncmp(name, from, n) == 0 && name[n] &&
			 m->src->delim && name[n] == m->src->delim) {
			/* children in the source's own spelling */
			size_t k = strlen(m->src_prefix);

			rest = logical + (n > k ? n - k : 0);
			if (*rest != '/')
				rest = NULL;
		}
		if (rest) {
			char *to = xasprintf("%s%s", m->o->map[i].to, rest);
			char **v = slash_levels(to);

			free(to);
			return v;
		}
	}
	return NULL;
}

static void plan_one(struct fmap *m, const struct imap_folder *f,
		     struct imap_fplan *p)
{
	char **levels = logical_levels(f, m->src_prefix);
	char *logical = join(levels, 0, '/');
	char **target = NULL;
	const char *pat = NULL;
	enum imap_use u = src_use(m, f, levels);
	bool renamed = false;
	const struct imap_folder *df;

	p->src_raw = xstrdup(f->raw);
	p->src_name = xstrdup(f->name);
	p->use = u;
	p->selectable = !(f->attrs & IMAP_F_NOSELECT);
	p->subscribed = (f->attrs & IMAP_F_SUBSCRIBED) != 0;
	if (!str_ieq(f->name, "INBOX") && excluded(m, f->name, logical, &pat)) {
		p->excluded = true;
		p->why = xasprintf("excluded by the plan ('%s')", pat);
		goto out;
	}
	target = mapped(m, f->name, logical);
	if (!target && m->o->special_use && u != IMAP_USE_NONE &&
	    !m->use_taken[u] && (df = dst_by_use(m, u)) != NULL) {
		p->dst_raw = xstrdup(df->raw);
		p->dst_name = xstrdup(df->name);
		m->use_taken[u] = true;
	}
	if (!p->dst_raw)
		dst_names(m, target ? target : levels, &p->dst_name, &p->dst_raw,
			  &renamed);
	if (renamed)
		p->why = xasprintf("the destination's delimiter '%c' in a "
				   "level became '_'", m->dst->delim);
	/* never two source folders into one destination folder */
	if (strmap_get(m->taken, p->dst_raw)) {
		unsigned k;

		for (k = 2; k < 1000; k++) {
			char *n2 = xasprintf("%s (%u)", p->dst_name, k);
			struct sbuf enc;

			sbuf_init(&enc, 1 << 17);
			if (imap_utf7_encode(n2, &enc) < 0)
				sbuf_addstr(&enc, n2);
			if (!strmap_get(m->taken, enc.buf)) {
				free(p->why);
				p->why = xasprintf("'%s' is taken by another "
						   "source folder", p->dst_name);
				free(p->dst_name);
				free(p->dst_raw);
				p->dst_name = n2;
				p->dst_raw = sbuf_detach(&enc, NULL);
				sbuf_release(&enc);
				break;
			}
			sbuf_release(&enc);
			free(n2);
		}
	}
	strmap_put(m->taken, p->dst_raw, (void *)1);
	df = imap_folder_list_find(m->dst, p->dst_raw);
	p->dst_exists = df && !(df->attrs & IMAP_F_NOSELECT);
out:
	strv_free(target);
	strv_free(levels);
	free(logical);
}

int imap_fmap_plan(const struct imapsync_folder_opts *o,
		   const struct imap_folder_list *src,
		   const struct imap_folder_list *dst,
		   struct imap_fplans *out, struct err *err)
{
	struct fmap m;
	size_t i, k = 0, pass;
	size_t *order;

	(void)err;
	memset(&m, 0, sizeof m);
	memset(out, 0, sizeof *out);
	m.o = o;
	m.src = src;
	m.dst = dst;
	m.src_prefix = prefix_utf8(src->prefix);
	m.dst_prefix = prefix_utf8(dst->prefix);
	m.taken = strmap_new();
	for (i = 0; i < src->n; i++)
		if (src->v[i].use != IMAP_USE_NONE)
			m.src_has_use = true;
	for (i = 0; i < dst->n; i++)
		if (dst->v[i].use != IMAP_USE_NONE)
			m.dst_has_use = true;
	out->v = xcalloc(src->n + 1, sizeof *out->v);
	order = xcalloc(src->n + 1, sizeof *order);
	/* naming order: INBOX, special-use folders, the rest; output order:
	 * INBOX first, then as listed */
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < src->n; i++) {
			const struct imap_folder *f = &src->v[i];
			bool inbox = str_ieq(f->name, "INBOX");
			char **lv = logical_levels(f, m.src_prefix);
			bool special = src_use(&m, f, lv) != IMAP_USE_NONE;

			strv_free(lv);
			if ((pass == 0 && inbox) ||
			    (pass == 1 && !inbox && special) ||
			    (pass == 2 && !inbox && !special))
				plan_one(&m, f, &out->v[i]);
		}
	}
	for (i = 0; i < src->n; i++)
		if (str_ieq(src->v[i].name, "INBOX"))
			order[k++] = i;
	for (i = 0; i < src->n; i++)
		if (!str_ieq(src->v[i].name, "INBOX"))
			order[k++] = i;
	{
		struct imap_fplan *sorted = xcalloc(src->n + 1, sizeof *sorted);

		for (i = 0; i < k; i++)
			sorted[i] = out->v[order[i]];
		free(out->v);
		out->v = sorted;
		out->n = k;
	}
	free(order);
	strmap_free(m.taken);
	free(m.src_prefix);
	free(m.dst_prefix);
	return 0;
}
