/*
 * hash.h -- SHA-256 digests (OpenSSL's EVP underneath; the one util file
 * that includes OpenSSL), one-shot or incremental, for checksums of
 * routing-table versions and content identities of messages.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>

#define HASH_SHA256_LEN 32
#define HASH_SHA256_HEX (2 * HASH_SHA256_LEN + 1)

struct hash;	/* opaque incremental context */

struct hash *hash_sha256_new(void);			/* aborts on OOM */
void hash_update(struct hash *h, const void *data, size_t len);
/* Write the digest (32 bytes) and free the context. */
void hash_final(struct hash *h, unsigned char out[HASH_SHA256_LEN]);

void hash_sha256(const void *data, size_t len,
		 unsigned char out[HASH_SHA256_LEN]);
/* Lowercase hex of the SHA-256 of data into out (65 bytes). */
char *hash_sha256_hex(const void *data, size_t len,
		      char out[HASH_SHA256_HEX]);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
char *hash_hex(const unsigned char *bin, size_t n, char *out);

#endif
