/*
 * hash.c -- see hash.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "util/hash.h"

struct hash {
	EVP_MD_CTX *ctx;
};

static void oom(void)
{
	fputs("migrate: out of memory (sha256)\n", stderr);
	abort();
}

struct hash *hash_sha256_new(void)
{
	struct hash *h = malloc(sizeof *h);

	if (!h || !(h->ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		oom();
	return h;
}

void hash_update(struct hash *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		oom();
}

void hash_final(struct hash *h, unsigned char out[HASH_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != HASH_SHA256_LEN)
		oom();
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void hash_sha256(const void *data, size_t len,
		 unsigned char out[HASH_SHA256_LEN])
{
	struct hash *h = hash_sha256_new();

	hash_update(h, data, len);
	hash_final(h, out);
}

char *hash_hex(const unsigned char *bin, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 15];
	}
	out[2 * n] = 0;
	return out;
}

char *hash_sha256_hex(const void *data, size_t len, char out[HASH_SHA256_HEX])
{
	unsigned char d[HASH_SHA256_LEN];

	hash_sha256(data, len, d);
	return hash_hex(d, sizeof d, out);
}
