/* Unit tests for imapsync/imap_fmap.c: where each source folder goes
 * (namespaces, delimiters, special use, the plan's map and excludes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/str.h"
#include "util/xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct fdef {
	const char *raw;
	enum imap_use use;
	unsigned attrs;
};

static void fill(struct imap_folder_list *l, char delim, const char *prefix,
		 const struct fdef *f, size_t n)
{
	imap_folder_list_init(l);
	l->delim = delim;
	l->prefix = xstrdup(prefix);
	for (size_t i = 0; i < n; i++)
		imap_folder_list_add(l, f[i].raw, delim, f[i].attrs, f[i].use);
}

static const struct imap_fplan *find(const struct imap_fplans *p,
				     const char *src_raw)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].src_raw, src_raw) == 0)
			return &p->v[i];
	fail_msg("no plan for '%s'", src_raw);
	return NULL;
}

static struct imapsync_folder_opts opts_default(void)
{
	struct imapsync_folder_opts o;

	memset(&o, 0, sizeof o);
	o.special_use = true;
	o.subscriptions = true;
	return o;
}

static void run(const struct imapsync_folder_opts *o,
		const struct imap_folder_list *s,
		const struct imap_folder_list *d, struct imap_fplans *out)
{
	struct err e;

	err_clear(&e);
	assert_int_equal(imap_fmap_plan(o, s, d, out, &e), 0);
}

/* Dovecot to Dovecot, the sandbox corpus: names stay, INBOX first. */
static void test_same_layout(void **state)
{
	static const struct fdef src[] = {
		{ "Sent", IMAP_USE_SENT, 0 }, { "INBOX", 0, 0 },
		{ "Entw&APw-rfe", 0, 0 }, { "Drafts", IMAP_USE_DRAFTS, 0 },
		{ "Lists", 0, IMAP_F_NOSELECT },
		{ "Lists/dev &- ops", 0, IMAP_F_SUBSCRIBED },
	};
	static const struct fdef dst[] = {
		{ "INBOX", 0, 0 }, { "Sent", IMAP_USE_SENT, 0 },
		{ "Drafts", IMAP_USE_DRAFTS, 0 },
	};
	struct imapsync_folder_opts o = opts_default();
	struct imap_folder_list s, d;
	struct imap_fplans p;
	const struct imap_fplan *f;

	(void)state;
	fill(&s, '/', "", src, N(src));
	fill(&d, '/', "", dst, N(dst));
	run(&o, &s, &d, &p);
	assert_int_equal(p.n, N(src));
	assert_string_equal(p.v[0].src_raw, "INBOX");
	f = find(&p, "Entw&APw-rfe");
	assert_string_equal(f->src_name, "Entw\xc3\xbcrfe");
	assert_string_equal(f->dst_raw, "Entw&APw-rfe");
	assert_false(f->dst_exists);
	f = find(&p, "Sent");
	assert_string_equal(f->dst_raw, "Sent");
	assert_true(f->dst_exists);
	f = find(&p, "Lists");
	assert_false(f->selectable);
	f = find(&p, "Lists/dev &- ops");
	assert_string_equal(f->dst_name, "Lists/dev & ops");
	assert_true(f->subscribed);
	imap_fplans_release(&p);
	imap_folder_list_release(&s);
	imap_folder_list_release(&d);
}

/* "/" without prefix onto "." with "INBOX.", Sent under another name. */
static void test_delimiters_and_use(void **state)
{
	static const struct fdef src[] = {
		{ "INBOX", 0, 0 }, { "Sent", IMAP_USE_SENT, 0 },
		{ "Archive/2019", 0, 0 }, { "Entw&APw-rfe", 0, 0 },
		{ "a.b", 0, 0 }, { "INBOX/child", 0, 0 },
		{ "Trash", IMAP_USE_TRASH, 0 },
	};
	static const struct fdef dst[] = {
		{ "INBOX", 0, 0 }, { "INBOX.Sent Items", IMAP_USE_SENT, 0 },
		{ "INBOX.Deleted Items", IMAP_USE_TRASH, 0 },
	};
	struct imapsync_folder_opts o = opts_default();
	struct imap_folder_list s, d;
	struct imap_fplans p;
	const struct imap_fplan *f;

	(void)state;
	fill(&s, '/', "", src, N(src));
	fill(&d, '.', "INBOX.", dst, N(dst));
	run(&o, &s, &d, &p);
	assert_string_equal(find(&p, "INBOX")->dst_raw, "INBOX");
	f = find(&p, "Sent");
	assert_string_equal(f->dst_raw, "INBOX.Sent Items");
	assert_true(f->dst_exists);
	assert_string_equal(find(&p, "Trash")->dst_raw, "INBOX.Deleted Items");
	assert_string_equal(find(&p, "Archive/2019")->dst_raw,
			    "INBOX.Archive.2019");
	assert_string_equal(find(&p, "Entw&APw-rfe")->dst_raw,
			    "INBOX.Entw&APw-rfe");
	f = find(&p, "a.b");
	assert_string_equal(f->dst_raw, "INBOX.a_b");
	assert_non_null(f->why);
	/* INBOX's child lands under INBOX, not in INBOX.INBOX */
	assert_string_equal(find(&p, "INBOX/child")->dst_raw, "INBOX.child");
	imap_fplans_release(&p);
	/* special use off: names stay */
	o.special_use = false;
	run(&o, &s, &d, &p);
	assert_string_equal(find(&p, "Sent")->dst_raw, "INBOX.Sent");
	imap_fplans_release(&p);
	imap_folder_list_release(&s);
	imap_folder_list_release(&d);
}

/* "." with "INBOX." onto "/" without prefix. */
static void test_courier_to_flat(void **state)
{
	static const struct fdef src[] = {
		{ "INBOX", 0, 0 }, { "INBOX.Sent", 0, 0 },
		{ "INBOX.Archive.2019", 0, 0 }, { "INBOX.Gesendete Objekte", 0, 0 },
	};
	static const struct fdef dst[] = {
		{ "INBOX", 0, 0 }, { "Sent Items", 0, 0 },
	};
	struct imapsync_folder_opts o = opts_default();
	struct imap_folder_list s, d;
	struct imap_fplans p;

	(void)state;
	fill(&s, '.', "INBOX.", src, N(src));
	fill(&d, '/', "", dst, N(dst));
	run(&o, &s, &d, &p);
	/* neither side has SPECIAL-USE: well-known names; the first \Sent
	 * candidate wins, the second keeps its own name */
	assert_string_equal(find(&p, "INBOX.Sent")->dst_raw, "Sent Items");
	assert_string_equal(find(&p, "INBOX.Gesendete Objekte")->dst_raw,
			    "Gesendete Objekte");
	assert_string_equal(find(&p, "INBOX.Archive.2019")->dst_raw,
			    "Archive/2019");
	imap_fplans_release(&p);
	imap_folder_list_release(&s);
	imap_folder_list_release(&d);
}

/* The plan's map and excludes win over special use. */
static void test_plan_rules(void **state)
{
	static const struct fdef src[] = {
		{ "INBOX", 0, 0 }, { "Sent", IMAP_USE_SENT, 0 },
		{ "Junk", IMAP_USE_JUNK, 0 }, { "Old", 0, 0 },
		{ "Old/2019", 0, 0 }, { "Tmp/x", 0, 0 }, { "Keep", 0, 0 },
	};
	static const struct fdef dst[] = {
		{ "INBOX", 0, 0 }, { "Sent Items", IMAP_USE_SENT, 0 },
		{ "Junk", IMAP_USE_JUNK, 0 },
	};
	static const struct imapsync_folder_map map[] = {
		{ "Sent", "Sent Mail (old)" }, { "Old", "Archive/Old" },
	};
	static char junk[] = "Junk", tmp[] = "Tmp*", all[] = "*";
	char *excl[] = { junk, tmp, NULL };
	struct imapsync_folder_opts o = opts_default();
	struct imap_folder_list s, d;
	struct imap_fplans p;
	const struct imap_fplan *f;

	(void)state;
	o.map = map;
	o.n_map = N(map);
	o.exclude = excl;
	fill(&s, '/', "", src, N(src));
	fill(&d, '/', "", dst, N(dst));
	run(&o, &s, &d, &p);
	assert_string_equal(find(&p, "Sent")->dst_raw, "Sent Mail (old)");
	f = find(&p, "Junk");
	assert_true(f->excluded);
	assert_null(f->dst_raw);
	assert_true(find(&p, "Tmp/x")->excluded);
	assert_string_equal(find(&p, "Old")->dst_raw, "Archive/Old");
	assert_string_equal(find(&p, "Old/2019")->dst_raw, "Archive/Old/2019");
	assert_string_equal(find(&p, "Keep")->dst_raw, "Keep");
	/* INBOX is never excluded */
	imap_fplans_release(&p);
	excl[0] = all;
	excl[1] = NULL;
	run(&o, &s, &d, &p);
	assert_false(find(&p, "INBOX")->excluded);
	assert_true(find(&p, "Keep")->excluded);
	imap_fplans_release(&p);
	imap_folder_list_release(&s);
	imap_folder_list_release(&d);
}

/* Two source folders never share a destination folder. */
static void test_collision(void **state)
{
	static const struct fdef src[] = {
		{ "INBOX", 0, 0 }, { "Sent Items", 0, 0 },
		{ "Sent", IMAP_USE_SENT, 0 },
	};
	static const struct fdef dst[] = {
		{ "INBOX", 0, 0 }, { "Sent Items", IMAP_USE_SENT, 0 },
	};
	struct imapsync_folder_opts o = opts_default();
	struct imap_folder_list s, d;
	struct imap_fplans p;
	const struct imap_fplan *f;

	(void)state;
	fill(&s, '/', "", src, N(src));
	fill(&d, '/', "", dst, N(dst));
	run(&o, &s, &d, &p);
	/* the \Sent folder gets the destination's \Sent folder ... */
	assert_string_equal(find(&p, "Sent")->dst_raw, "Sent Items");
	/* ... and the plain folder of the same name goes beside it */
	f = find(&p, "Sent Items");
	assert_string_equal(f->dst_raw, "Sent Items (2)");
	assert_non_null(f->why);
	assert_false(f->dst_exists);
	imap_fplans_release(&p);
	imap_folder_list_release(&s);
	imap_folder_list_release(&d);
}

/* A raw name that is not valid modified UTF-7 is kept as it is. */
static void test_bad_utf7(void **state)
{
	static const struct fdef src[] = {
		{ "INBOX", 0, 0 }, { "broken&AOk", 0, 0 },
	};
	static const struct fdef dst[] = { { "INBOX", 0, 0 } };
	struct imapsync_folder_opts o = opts_default();
	struct imap_folder_list s, d;
	struct imap_fplans p;
	const struct imap_fplan *f;

	(void)state;
	fill(&s, '/', "", src, N(src));
	fill(&d, '/', "", dst, N(dst));
	run(&o, &s, &d, &p);
	f = find(&p, "broken&AOk");
	assert_string_equal(f->src_name, "broken&AOk");
	assert_string_equal(f->dst_raw, "broken&-AOk");
	imap_fplans_release(&p);
	imap_folder_list_release(&s);
	imap_folder_list_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_layout),
		cmocka_unit_test(test_delimiters_and_use),
		cmocka_unit_test(test_courier_to_flat),
		cmocka_unit_test(test_plan_rules),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_bad_utf7),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
