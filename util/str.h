/*
 * str.h -- small string helpers that know nothing about mail.
 */
#ifndef STR_H
#define STR_H

#include <stdbool.h>
#include <stddef.h>

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b);	/* NULL-safe */
bool str_ieq(const char *a, const char *b);	/* ASCII case-insensitive */
void str_lower(char *s);			/* ASCII, in place */
/* Copy of s with control characters replaced by '?' and at most max bytes
 * (then "..."): for showing server text. */
char *str_sanitize(const char *s, size_t max);
/* Levenshtein distance, capped: returns cap+1 when larger. */
size_t str_distance(const char *a, const char *b, size_t cap);
/* The candidate closest to word (distance <= 2, or <= len/3, and less
 * than the length of word), or NULL; the first one on a tie. */
const char *str_closest(const char *word, const char *const *candidates,
			size_t n);
/* Parse a decimal unsigned integer in [min,max]; 0 ok, -1 bad. */
int str_to_uint(const char *s, unsigned long long min, unsigned long long max,
		unsigned long long *out);
/* Valid UTF-8 (no overlongs, no surrogates)? */
bool str_utf8_valid(const char *s, size_t len);

/* FNV-1a 64 hash, for hash tables. */
unsigned long long str_hash(const char *s);

#endif
