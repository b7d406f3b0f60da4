/*
 * imap_fetch.c -- reading a mailbox: UID lists, metadata, identities, and
 * bodies streamed through libetpan's body handler.
 *
 * Bodies never sit whole in libetpan's memory: the body handler receives
 * each literal in chunks and writes them to a spool (imap_spool.c).  The
 * handler is told which body-section object the chunk belongs to, and
 * the same object is in the FETCH result, which carries the UID: that is
 * how chunks find their message, however the server orders the items of
 * a FETCH response.  Large requests are cut into windows so no result
 * list grows with the mailbox.
 */
#include <stdlib.h>
#include <string.h>

#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

#define META_WINDOW 1000	/* UIDs per metadata FETCH */
#define HASH_WINDOW 100		/* messages per hashing FETCH */

/* ---- UID arrays --------------------------------------------------------- */

void imap_uids_release(struct imap_uids *u)
{
	free(u->v);
	memset(u, 0, sizeof *u);
}

void imap_uids_push(struct imap_uids *u, uint32_t uid)
{
	if (u->n == u->alloc) {
		u->alloc = u->alloc ? 2 * u->alloc : 64;
		u->v = xreallocarray(u->v, u->alloc, sizeof *u->v);
	}
	u->v[u->n++] = uid;
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void imap_uids_sort(struct imap_uids *u)
{
	size_t i, k = 0;

	if (u->n > 1)
		qsort(u->v, u->n, sizeof *u->v, uid_cmp);
	for (i = 0; i < u->n; i++)
		if (k == 0 || u->v[i] != u->v[k - 1])
			u->v[k++] = u->v[i];
	u->n = k;
}

bool imap_uids_has(const struct imap_uids *u, uint32_t uid)
{
	return u->n && bsearch(&uid, u->v, u->n, sizeof *u->v, uid_cmp);
}

void imap_msgs_release(struct imap_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].flags);
	free(m->v);
	memset(m, 0, sizeof *m);
}

static struct imap_msg *msgs_push(struct imap_msgs *m)
{
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->v = xreallocarray(m->v, m->alloc, sizeof *m->v);
	}
	memset(&m->v[m->n], 0, sizeof m->v[0]);
	return &m->v[m->n++];
}

struct mailimap_set *imap_fetch_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			mailimap_set_add_single(set, uids[i]);
		else
			mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

/* ---- parsing FETCH results ---------------------------------------------- */

static char *flags_of(struct mailimap_msg_att_dynamic *dyn)
{
	const char **v;
	char **owned;
	size_t n = 0, i;
	clistiter *it;
	char *out;

	if (!dyn || !dyn->att_list)
		return xstrdup("");
	v = xcalloc((size_t)clist_count(dyn->att_list) + 1, sizeof *v);
	owned = xcalloc((size_t)clist_count(dyn->att_list) + 1, sizeof *owned);
	for (it = clist_begin(dyn->att_list); it; it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		struct mailimap_flag *f;

		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || !ff->fl_flag)
			continue;
		f = ff->fl_flag;
		switch (f->fl_type) {
		case MAILIMAP_FLAG_ANSWERED: v[n++] = "\\Answered"; break;
		case MAILIMAP_FLAG_FLAGGED: v[n++] = "\\Flagged"; break;
		case MAILIMAP_FLAG_DELETED: v[n++] = "\\Deleted"; break;
		case MAILIMAP_FLAG_SEEN: v[n++] = "\\Seen"; break;
		case MAILIMAP_FLAG_DRAFT: v[n++] = "\\Draft"; break;
		case MAILIMAP_FLAG_KEYWORD:
			if (f->fl_data.fl_keyword)
				v[n++] = f->fl_data.fl_keyword;
			break;
		case MAILIMAP_FLAG_EXTENSION:
			if (f->fl_data.fl_extension) {
				owned[n] = xasprintf("\\%s",
						     f->fl_data.fl_extension);
				v[n] = owned[n];
				n++;
			}
			break;
		default:
			break;
		}
	}
	out = imap_flags_canon(v, n);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	free(v);
	return out;
}

/* Fill m from one FETCH response; *sec gets its body section, if any. */
static void msg_parse(struct mailimap_msg_att *att, struct imap_msg *m,
		      struct mailimap_msg_att_body_section **sec)
{
	clistiter *it;

	if (sec)
		*sec = NULL;
	for (it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *s;

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			free(m->flags);
			m->flags = flags_of(item->att_data.att_dyn);
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		s = item->att_data.att_static;
		switch (s->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			m->uid = s->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			m->size = s->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE: {
			struct mailimap_date_time *d = s->att_data.att_internal_date;

			if (d) {
				m->date = (struct imap_date){
					d->dt_day, d->dt_month, d->dt_year,
					d->dt_hour, d->dt_min, d->dt_sec,
					d->dt_zone };
				m->has_date = true;
			}
			break;
		}
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (sec)
				*sec = s->att_data.att_body_section;
			break;
		default:
			break;
		}
	}
}

static struct mailimap_fetch_type *fetch_type(unsigned what, bool body)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	if (what & (IMAP_FETCH_SIZE | IMAP_FETCH_IDENT))
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_rfc822_size());
	if (what & IMAP_FETCH_FLAGS)
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_flags());
	if (what & IMAP_FETCH_DATE)
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_internaldate());
	if (what & IMAP_FETCH_IDENT) {
		clist *h = clist_new();

		clist_append(h, xstrdup("MESSAGE-ID"));
		clist_append(h, xstrdup("DATE"));
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_body_peek_section(
				    mailimap_section_new_header_fields(
					    mailimap_header_list_new(h))));
	}
	if (body)
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_body_peek_section(
				    mailimap_section_new(NULL)));
	return ft;
}

/* ---- UID lists, metadata, flags ------------------------------------------ */

int imap_fetch_uids(struct imap_conn *c, uint32_t first, struct imap_uids *out,
		    struct err *err)
{
	struct mailimap_set *set;
	struct mailimap_search_key *key;
	clist *res = NULL;
	clistiter *it;
	int r;

	if (first == 0)
		first = 1;
	if (c->exists == 0)
		return 0;
	set = mailimap_set_new_interval(first, 0);
	key = mailimap_search_key_new_uid(set);	/* takes set */
	c->ncommands++;
	r = mailimap_uid_search(c->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_conn_fail(c, r, err, "UID SEARCH in '%s'",
				      c->sel ? c->sel : "?");
	for (it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
		uint32_t u = *(uint32_t *)clist_content(it);

		if (u >= first)
			imap_uids_push(out, u);
	}
	if (res)
		mailimap_search_result_free(res);
	imap_uids_sort(out);
	return 0;
}

static int fetch_list(struct imap_conn *c, struct mailimap_set *set,
		      struct mailimap_fetch_type *ft, uint64_t changedsince,
		      unsigned what, struct imap_msgs *out, struct err *err)
{
	clist *res = NULL;
	clistiter *it;
	size_t first = out->n;
	int r;

	c->ncommands++;
	if (changedsince)
		r = mailimap_uid_fetch_changedsince(c->s, set, ft, changedsince,
						    &res);
	else
		r = mailimap_uid_fetch(c->s, set, ft, &res);
	if (r != MAILIMAP_NO_ERROR)
		return imap_conn_fail(c, r, err, "UID FETCH in '%s'",
				      c->sel ? c->sel : "?");
	for (it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
		struct mailimap_msg_att_body_section *sec = NULL;
		struct imap_msg *m = msgs_push(out);

		msg_parse(clist_content(it), m, &sec);
		if (!m->uid) {	/* an unsolicited FETCH (flags of another) */
			free(m->flags);
			out->n--;
			continue;
		}
		if ((what & IMAP_FETCH_IDENT) && sec)
			m->has_mid = m->has_ident = imap_ident_from_header(
				sec->sec_body_part ? sec->sec_body_part : "",
				sec->sec_length, m->size, m->ident);
	}
	if (res)
		mailimap_fetch_list_free(res);
	/* servers answer in sequence order, which is UID order; make sure */
	if (out->n - first > 1) {
		size_t i;
		bool sorted = true;

		for (i = first + 1; i < out->n; i++)
			if (out->v[i].uid <= out->v[i - 1].uid)
				sorted = false;
		if (!sorted) {
			/* rare: sort the new part by UID (insertion) */
			for (i = first + 1; i < out->n; i++) {
				struct imap_msg t = out->v[i];
				size_t j = i;

				while (j > first && out->v[j - 1].uid > t.uid) {
					out->v[j] = out->v[j - 1];
					j--;
				}
				out->v[j] = t;
			}
		}
	}
	return 0;
}

int imap_fetch_meta(struct imap_conn *c, const uint32_t *uids, size_t n,
		    unsigned what, struct imap_msgs *out, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i += META_WINDOW) {
		size_t k = n - i < META_WINDOW ? n - i : META_WINDOW;
		struct mailimap_set *set = imap_fetch_set(uids + i, k);
		struct mailimap_fetch_type *ft = fetch_type(what, false);
		int r = fetch_list(c, set, ft, 0, what, out, err);

		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		if (r < 0)
			return -1;
	}
	return 0;
}

int imap_fetch_meta_from(struct imap_conn *c, uint32_t first, unsigned what,
			 struct imap_msgs *out, struct err *err)
{
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	size_t i, k, start = out->n;
	int r;

	if (first == 0)
		first = 1;
	if (c->exists == 0)
		return 0;
	set = mailimap_set_new_interval(first, 0);
	ft = fetch_type(what, false);
	r = fetch_list(c, set, ft, 0, what, out, err);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r < 0)
		return -1;
	/* "first:*" also names the last message when all UIDs are lower */
	for (i = k = start; i < out->n; i++) {
		if (out->v[i].uid >= first)
			out->v[k++] = out->v[i];
		else
			free(out->v[i].flags);
	}
	out->n = k;
	return 0;
}

int imap_fetch_sizes_send(struct imap_conn *c, uint32_t first, int *tag,
			  struct err *err)
{
	char buf[64];

	snprintf(buf, sizeof buf, "UID FETCH %u:* (UID RFC822.SIZE)\r\n",
		 first ? first : 1);
	if (imap_cmd_begin(c, err) < 0 || imap_cmd_puts(c, buf, err) < 0)
		return -1;
	*tag = imap_cmd_tag(c);
	return 0;
}

int imap_fetch_sizes_read(struct imap_conn *c, int tag, uint32_t first,
			  struct imap_msgs *out, struct err *err)
{
	struct imap_cmd_reply r;
	clist *res = NULL;
	clistiter *it;
	int rc = 0;

	memset(&r, 0, sizeof r);
	if (imap_cmd_read_reply_to(c, tag, &r, err) < 0)
		return -1;
	if (c->s->imap_response_info) {
		res = c->s->imap_response_info->rsp_fetch_list;
		c->s->imap_response_info->rsp_fetch_list = NULL;
	}
	if (r.cond != MAILIMAP_RESP_COND_STATE_OK)
		rc = imap_conn_fail_reply(c, &r, err, "UID FETCH in '%s'",
					  c->sel ? c->sel : "?");
	for (it = res && rc == 0 ? clist_begin(res) : NULL; it;
	     it = clist_next(it)) {
		struct imap_msg *m = msgs_push(out);

		msg_parse(clist_content(it), m, NULL);
		if (m->uid < (first ? first : 1)) {
			/* unsolicited, or "first:*" naming the last one */
			free(m->flags);
			out->n--;
		}
	}
	if (res)
		mailimap_fetch_list_free(res);
	imap_cmd_reply_release(&r);
	if (rc == 0 && out->n > 1) {
		size_t i, k;

		/* in UID order; an unsolicited FETCH (a flag change by
		 * someone else) may repeat a UID: keep the one with a size */
		for (i = 1; i < out->n; i++) {
			struct imap_msg t = out->v[i];
			size_t j = i;

			while (j > 0 && out->v[j - 1].uid > t.uid) {
				out->v[j] = out->v[j - 1];
				j--;
			}
			out->v[j] = t;
		}
		for (i = k = 1; i < out->n; i++) {
			if (out->v[i].uid == out->v[k - 1].uid) {
				if (!out->v[k - 1].size)
					out->v[k - 1].size = out->v[i].size;
				free(out->v[i].flags);
				continue;
			}
			out->v[k++] = out->v[i];
		}
		out->n = k;
	}
	return rc;
}

int imap_fetch_flags(struct imap_conn *c, uint32_t last, uint64_t modseq,
		     struct imap_msgs *out, struct err *err)
{
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	int r;

	if (last == 0 || c->exists == 0)
		return 0;
	set = mailimap_set_new_interval(1, last);
	ft = fetch_type(IMAP_FETCH_FLAGS, false);
	r = fetch_list(c, set, ft, modseq, IMAP_FETCH_FLAGS, out, err);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	return r;
}

/* ---- streamed bodies ---------------------------------------------------- */

struct chunk_target {
	struct mailimap_msg_att_body_section *sec;
	struct imap_spool spool;
};

struct stream_ctx {
	struct chunk_target *v;
	size_t n, alloc;
	size_t max_mem;
	bool hash_only;			/* identities: keep no bytes */
	bool failed;
};

static bool on_chunk(int type, struct mailimap_msg_att_body_section *sec,
		     const char *bytes, size_t len, void *ctx)
{
	struct stream_ctx *sc = ctx;

	(void)type;
	if (sc->n == 0 || sc->v[sc->n - 1].sec != sec) {
		if (sc->n == sc->alloc) {
			sc->alloc = sc->alloc ? 2 * sc->alloc : 32;
			sc->v = xreallocarray(sc->v, sc->alloc, sizeof *sc->v);
		}
		sc->v[sc->n].sec = sec;
		if (sc->hash_only)
			imap_spool_init_hash(&sc->v[sc->n].spool);
		else
			imap_spool_init(&sc->v[sc->n].spool, sc->max_mem);
		sc->n++;
	}
	if (imap_spool_add(&sc->v[sc->n - 1].spool, bytes, len) < 0) {
		sc->failed = true;
		return false;
	}
	return true;
}

static void stream_release(struct stream_ctx *sc)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		imap_spool_release(&sc->v[i].spool);
	free(sc->v);
	memset(sc, 0, sizeof *sc);
}

/* Run one body FETCH with the stream handler on; res is the result. */
static int fetch_streamed(struct imap_conn *c, const uint32_t *uids, size_t n,
			  unsigned what, struct stream_ctx *sc, clist **res,
			  struct err *err)
{
	struct mailimap_set *set = imap_fetch_set(uids, n);
	struct mailimap_fetch_type *ft = fetch_type(what, true);
	int r;

	*res = NULL;
	mailimap_set_msg_body_handler(c->s, on_chunk, sc);
	c->ncommands++;
	imap_conn_quiet(c, true);
	r = mailimap_uid_fetch(c->s, set, ft, res);
	imap_conn_quiet(c, false);
	mailimap_set_msg_body_handler(c->s, NULL, NULL);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	if (*res)
		mailimap_fetch_list_free(*res);
	*res = NULL;
	if (sc->failed) {
		imap_conn_drop(c);	/* stopped inside a literal */
		return err_sys(err, ERR_IO, "cannot spool a message body "
			       "to a temporary file");
	}
	return imap_conn_fail(c, r, err, "UID FETCH BODY[] in '%s'",
			      c->sel ? c->sel : "?");
}

static struct imap_spool *stream_find(struct stream_ctx *sc,
				      struct mailimap_msg_att_body_section *sec)
{
	size_t i;

	for (i = 0; sec && i < sc->n; i++)
		if (sc->v[i].sec == sec)
			return &sc->v[i].spool;
	return NULL;
}

int imap_fetch_hash(struct imap_conn *c, struct imap_msg **msgs, size_t n,
		    struct err *err)
{
	size_t i;

	for (i = 0; i < n; i += HASH_WINDOW) {
		size_t k = n - i < HASH_WINDOW ? n - i : HASH_WINDOW, j;
		uint32_t *uids = xcalloc(k, sizeof *uids);
		struct stream_ctx sc;
		clist *res = NULL;
		clistiter *it;

		memset(&sc, 0, sizeof sc);
		sc.hash_only = true;
		for (j = 0; j < k; j++)
			uids[j] = msgs[i + j]->uid;
		if (k > 1)
			qsort(uids, k, sizeof *uids, uid_cmp);
		if (fetch_streamed(c, uids, k, 0, &sc, &res, err) < 0) {
			free(uids);
			stream_release(&sc);
			return -1;
		}
		for (it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
			struct mailimap_msg_att_body_section *sec = NULL;
			struct imap_msg tmp;
			struct imap_spool *sp;

			memset(&tmp, 0, sizeof tmp);
			msg_parse(clist_content(it), &tmp, &sec);
			free(tmp.flags);
			sp = stream_find(&sc, sec);
			for (j = 0; j < k; j++) {
				struct imap_msg *m = msgs[i + j];
				struct imap_spool empty;

				if (m->uid != tmp.uid || !tmp.uid)
					continue;
				if (!sp) {
					imap_spool_init_hash(&empty);
					sp = &empty;
					imap_spool_finish(sp);
					imap_ident_from_digest(sp->digest, m->size,
							       m->ident);
					imap_spool_release(&empty);
				} else {
					imap_spool_finish(sp);
					imap_ident_from_digest(sp->digest, m->size,
							       m->ident);
				}
				m->has_ident = true;
				break;
			}
		}
		if (res)
			mailimap_fetch_list_free(res);
		stream_release(&sc);
		free(uids);
	}
	return 0;
}

void imap_body_release(struct imap_body *b)
{
	free(b->m.flags);
	imap_spool_release(&b->spool);
	memset(b, 0, sizeof *b);
	b->spool.fd = -1;
}

int imap_fetch_bodies(struct imap_conn *c, const uint32_t *uids, size_t n,
		      size_t max_mem, struct imap_body *out, size_t *got,
		      struct err *err)
{
	struct stream_ctx sc;
	clist *res = NULL;
	clistiter *it;
	size_t k = 0;
	bool bad = false;

	*got = 0;
	memset(&sc, 0, sizeof sc);
	sc.max_mem = max_mem;
	if (n == 0)
		return 0;
	if (fetch_streamed(c, uids, n,
			   IMAP_FETCH_SIZE | IMAP_FETCH_FLAGS | IMAP_FETCH_DATE,
			   &sc, &res, err) < 0) {
		stream_release(&sc);
		return -1;
	}
	for (it = res ? clist_begin(res) : NULL; it && k < n;
	     it = clist_next(it)) {
		struct mailimap_msg_att_body_section *sec = NULL;
		struct imap_body *b = &out[k];
		struct imap_spool *sp;
		const char *head;
		size_t hlen;
		uint64_t rsize;

		memset(b, 0, sizeof *b);
		msg_parse(clist_content(it), &b->m, &sec);
		if (!b->m.uid || !sec) {
			free(b->m.flags);
			continue;
		}
		sp = stream_find(&sc, sec);
		if (sp) {
			b->spool = *sp;		/* take it over */
			imap_spool_init(sp, 1);
		} else {
			imap_spool_init(&b->spool, 1);	/* an empty body */
		}
		imap_spool_finish(&b->spool);
		/* the identity takes the size as the server states it, as
		 * every other identity does (imap_fetch_meta); the pair
		 * records the bytes that were copied */
		rsize = b->m.size ? b->m.size : b->spool.size;
		b->m.size = b->spool.size;
		if (!b->m.flags)
			b->m.flags = xstrdup("");
		head = imap_spool_head(&b->spool, 256 * 1024, &hlen);
		b->m.has_mid = imap_ident_from_header(head, hlen, rsize,
						      b->m.ident);
		if (!b->m.has_mid) {
			if (imap_spool_digest(&b->spool) < 0) {
				/* spooled bytes that cannot be read back
				 * cannot be appended either */
				imap_body_release(b);
				bad = true;
				break;
			}
			imap_ident_from_digest(b->spool.digest, rsize,
					       b->m.ident);
		}
		b->m.has_ident = true;
		k++;
	}
	if (res)
		mailimap_fetch_list_free(res);
	stream_release(&sc);
	if (bad) {
		while (k > 0)
			imap_body_release(&out[--k]);
		return err_sys(err, ERR_IO, "cannot read back a spooled "
			       "message body");
	}
	/* in UID order */
	{
		size_t i;

		for (i = 1; i < k; i++) {
			struct imap_body t = out[i];
			size_t j = i;

			while (j > 0 && out[j - 1].m.uid > t.m.uid) {
				out[j] = out[j - 1];
				j--;
			}
			out[j] = t;
		}
	}
	*got = k;
	return 0;
}
