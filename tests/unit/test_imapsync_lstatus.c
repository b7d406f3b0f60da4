/* Unit tests for imapsync/imap_lstatus.c: the untagged STATUS responses of
 * a LIST-STATUS reply, read from its raw bytes; and the quick check's
 * listing digest (imap_quick.c), which must not depend on list order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/xalloc.h"

static void add(struct imap_folder_list *l, const char *raw)
{
	imap_folder_list_add(l, raw, '/', 0, IMAP_USE_NONE);
}

static const struct imap_folder *get(const struct imap_folder_list *l,
				     const char *raw)
{
	const struct imap_folder *f = imap_folder_list_find(l, raw);

	assert_non_null(f);
	return f;
}

static void test_dovecot_reply(void **state)
{
	/* as Dovecot 2.3 answers LIST "" "*" RETURN (SUBSCRIBED SPECIAL-USE
	 * STATUS (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)) */
	static const char reply[] =
		"* LIST (\\Subscribed \\HasNoChildren) \"/\" INBOX\r\n"
		"* STATUS INBOX (MESSAGES 66 UIDNEXT 67 UIDVALIDITY 1795867164 "
		"HIGHESTMODSEQ 4)\r\n"
		"* LIST (\\Noselect \\HasChildren) \"/\" Lists\r\n"
		"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
		"* STATUS \"Sent Items\" (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 7 "
		"HIGHESTMODSEQ 12345678901)\r\n"
		"* LIST () \"/\" \"Lists/dev & ops\"\r\n"
		"* STATUS \"Lists/dev & ops\" (MESSAGES 0 UIDNEXT 1 "
		"UIDVALIDITY 8 HIGHESTMODSEQ 1)\r\n"
		"* LIST () \"/\" {9}\r\nQuo\"te\\ d\r\n"
		"* STATUS {9}\r\nQuo\"te\\ d (MESSAGES 5 UIDNEXT 6 UIDVALIDITY 9 "
		"HIGHESTMODSEQ 2)\r\n"
		"* LIST () \"/\" \"Esc\\\"aped\"\r\n"
		"* STATUS \"Esc\\\"aped\" (UIDVALIDITY 10 MESSAGES 1 UIDNEXT 2 "
		"HIGHESTMODSEQ 3 UNSEEN 1)\r\n"
		"5 OK List completed (0.001 + 0.000 secs).\r\n";
	struct imap_folder_list l;
	const struct imap_folder *f;

	(void)state;
	imap_folder_list_init(&l);
	add(&l, "INBOX");
	add(&l, "Lists");
	add(&l, "Sent Items");
	add(&l, "Lists/dev & ops");
	add(&l, "Quo\"te\\ d");
	add(&l, "Esc\"aped");
	assert_int_equal(imap_lstatus_parse(reply, sizeof reply - 1, &l), 5);
	f = get(&l, "INBOX");
	assert_true(f->st.exists);
	assert_int_equal(f->st.messages, 66);
	assert_int_equal(f->st.uidnext, 67);
	assert_int_equal(f->st.uidvalidity, 1795867164u);
	assert_int_equal(f->st.modseq, 4);
	assert_false(get(&l, "Lists")->st.exists);	/* \Noselect: none */
	f = get(&l, "Sent Items");
	assert_int_equal(f->st.messages, 3);
	assert_int_equal(f->st.modseq, 12345678901ull);
	assert_int_equal(get(&l, "Lists/dev & ops")->st.uidvalidity, 8);
	f = get(&l, "Quo\"te\\ d");	/* a literal name */
	assert_int_equal(f->st.messages, 5);
	assert_int_equal(f->st.uidvalidity, 9);
	f = get(&l, "Esc\"aped");	/* items in another order, extras */
	assert_int_equal(f->st.uidvalidity, 10);
	assert_int_equal(f->st.uidnext, 2);
	imap_folder_list_release(&l);
}

static void test_hostile_and_cut(void **state)
{
	/* a folder named like a STATUS response, inside a literal, must not
	 * count; a STATUS for an unknown folder is ignored; a cut reply
	 * loses only what was cut */
	static const char reply[] =
		"* LIST () \"/\" {45}\r\n"
		"\r\n* STATUS INBOX (MESSAGES 999 UIDNEXT 1)\r\n\r\n"
		"* STATUS Unknown (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 3)\r\n"
		"* status inbox (messages 7 uidnext 8 uidvalidity 9 "
		"highestmodseq 10)\r\n"
		"* STATUS Other (MESSAGES 1 UIDN";
	struct imap_folder_list l;
	const struct imap_folder *f;

	(void)state;
	imap_folder_list_init(&l);
	add(&l, "INBOX");
	add(&l, "Other");
	assert_int_equal(imap_lstatus_parse(reply, sizeof reply - 1, &l), 1);
	f = get(&l, "INBOX");
	assert_true(f->st.exists);
	assert_int_equal(f->st.messages, 7);	/* not 999 */
	assert_int_equal(f->st.modseq, 10);
	assert_false(get(&l, "Other")->st.exists);
	/* nothing at all, garbage */
	assert_int_equal(imap_lstatus_parse("", 0, &l), 0);
	assert_int_equal(imap_lstatus_parse("* STATUS", 8, &l), 0);
	assert_int_equal(imap_lstatus_parse("* STATUS {99}\r\nab", 18, &l), 0);
	assert_int_equal(imap_lstatus_parse("{3}\r\n", 5, &l), 0);
	imap_folder_list_release(&l);
}

static void test_digest_order(void **state)
{
	struct imapsync_job job;
	struct imap_folder_list a, b;
	unsigned char da[IMAP_QUICK_LEN], db[IMAP_QUICK_LEN];
	static char trash[] = "Trash";
	char *ex[] = { trash, NULL };

	(void)state;
	memset(&job, 0, sizeof job);
	job.src.host = "127.0.0.1";
	job.src.port = 143;
	job.dst.host = "127.0.0.2";
	job.dst.port = 143;
	job.src_cred.user = job.dst_cred.user = "a@corp.example";
	imap_folder_list_init(&a);
	imap_folder_list_init(&b);
	a.prefix = xstrdup("");
	b.prefix = xstrdup("");
	imap_folder_list_add(&a, "INBOX", '/', IMAP_F_SUBSCRIBED,
			     IMAP_USE_NONE);
	imap_folder_list_add(&a, "Sent", '/', 0, IMAP_USE_SENT);
	imap_folder_list_add(&b, "Sent", '/', 0, IMAP_USE_SENT);
	imap_folder_list_add(&b, "INBOX", '/', IMAP_F_SUBSCRIBED,
			     IMAP_USE_NONE);
	imap_quick_digest(&job, &a, da);
	imap_quick_digest(&job, &b, db);
	assert_memory_equal(da, db, sizeof da);
	/* a subscription, the plan's excludes, another destination: all
	 * change it */
	b.v[0].attrs |= IMAP_F_SUBSCRIBED;
	imap_quick_digest(&job, &b, db);
	assert_memory_not_equal(da, db, sizeof da);
	b.v[0].attrs = 0;
	job.folders.exclude = ex;
	imap_quick_digest(&job, &b, db);
	assert_memory_not_equal(da, db, sizeof da);
	job.folders.exclude = NULL;
	job.dst.port = 993;
	imap_quick_digest(&job, &b, db);
	assert_memory_not_equal(da, db, sizeof da);
	job.dst.port = 143;
	imap_quick_digest(&job, &b, db);
	assert_memory_equal(da, db, sizeof da);
	imap_folder_list_release(&a);
	imap_folder_list_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot_reply),
		cmocka_unit_test(test_hostile_and_cut),
		cmocka_unit_test(test_digest_order),
	};

	return cmocka_run_group_tests_name("imapsync_lstatus", tests, NULL,
					   NULL);
}
