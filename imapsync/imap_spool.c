/*
 * imap_spool.c -- a message body between FETCH and APPEND.
 *
 * Bytes stay in memory up to max_mem; the rest goes to an unlinked
 * temporary file ($TMPDIR or /tmp), so one large message never costs its
 * size in RAM.  The SHA-256 of all bytes (the content identity of a
 * message without a Message-ID) is computed only when asked for: as the
 * bytes arrive for a spool that keeps nothing, from the kept bytes
 * otherwise, as most messages have a Message-ID and never need it.
 */
#include "imapsync/imap_ssl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "imapsync/imap_int.h"
#include "util/xalloc.h"

void imap_spool_init(struct imap_spool *sp, size_t max_mem)
{
	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
	sp->max_mem = max_mem ? max_mem : (1u << 20);
}

static void *sha_new(void)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();

	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)
		abort();
	return sha;
}

void imap_spool_init_hash(struct imap_spool *sp)
{
	imap_spool_init(sp, 1);
	sp->hash_only = true;
	sp->sha = sha_new();
}

void imap_spool_release(struct imap_spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->mem);
	EVP_MD_CTX_free(sp->sha);
	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
}

static int spool_file(struct imap_spool *sp)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	path = xasprintf("%s/migrate-body.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	free(path);
	if (fd < 0)
		return -1;
	sp->fd = fd;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int imap_spool_add(struct imap_spool *sp, const void *p, size_t n)
{
	if (sp->failed)
		return -1;
	if (n == 0)
		return 0;
	sp->size += n;
	if (sp->hash_only) {
		EVP_DigestUpdate(sp->sha, p, n);
		return 0;
	}
	if (sp->fd < 0 && sp->len + n <= sp->max_mem) {
		if (sp->len + n > sp->alloc) {
			size_t a = sp->alloc ? sp->alloc : 4096;

			while (a < sp->len + n)
				a *= 2;
			if (a > sp->max_mem)
				a = sp->max_mem;
			sp->mem = xrealloc(sp->mem, a);
			sp->alloc = a;
		}
		memcpy(sp->mem + sp->len, p, n);
		sp->len += n;
		return 0;
	}
	if (sp->fd < 0 && spool_file(sp) < 0) {
		sp->failed = true;
		return -1;
	}
	if (write_all(sp->fd, p, n) < 0) {
		sp->failed = true;
		return -1;
	}
	return 0;
}

void imap_spool_finish(struct imap_spool *sp)
{
	unsigned int len = 0;

	if (sp->finished)
		return;
	sp->finished = true;
	if (sp->hash_only) {
		EVP_DigestFinal_ex(sp->sha, sp->digest, &len);
		sp->have_digest = true;
	}
}

int imap_spool_digest(struct imap_spool *sp)
{
	unsigned char buf[65536];
	unsigned int len = 0;
	uint64_t off = 0;
	EVP_MD_CTX *sha;

	imap_spool_finish(sp);
	if (sp->have_digest)
		return 0;
	if (sp->failed)
		return -1;
	sha = sha_new();
	while (off < sp->size) {
		long n = imap_spool_read(sp, off, buf, sizeof buf);

		if (n <= 0) {
			EVP_MD_CTX_free(sha);
			return -1;
		}
		EVP_DigestUpdate(sha, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(sha, sp->digest, &len);
	EVP_MD_CTX_free(sha);
	sp->have_digest = true;
	return 0;
}

long imap_spool_read(const struct imap_spool *sp, uint64_t off, void *buf,
		     size_t n)
{
	size_t done = 0;

	if (off >= sp->size)
		return 0;
	if (n > sp->size - off)
		n = (size_t)(sp->size - off);
	if (off < sp->len) {
		size_t k = sp->len - (size_t)off < n ? sp->len - (size_t)off : n;

		memcpy(buf, sp->mem + off, k);
		done = k;
		off += k;
	}
	while (done < n) {
		ssize_t r = pread(sp->fd, (char *)buf + done, n - done,
				  (off_t)(off - sp->len));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
		off += (uint64_t)r;
	}
	return (long)done;
}

const char *imap_spool_head(struct imap_spool *sp, size_t max, size_t *len)
{
	/* the memory part always starts the message; headers longer than
	 * that are cut, which only weakens the identity of odd messages */
	*len = sp->len < max ? sp->len : max;
	return sp->mem ? sp->mem : "";
}
