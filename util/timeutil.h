/*
 * timeutil.h -- wall-clock time, RFC 3339 parse and format, monotonic time.
 */
#ifndef TIMEUTIL_H
#define TIMEUTIL_H

#include <stdint.h>
#include <time.h>

/* "2026-12-05T18:00:00Z" or with "+01:00"; seconds optional fraction
 * ignored.  0 ok, -1 bad. */
int timeutil_parse_rfc3339(const char *s, time_t *out);
/* UTC, "2026-12-05T18:00:00Z".  buf must hold 21 bytes. */
char *timeutil_format_rfc3339(time_t t, char *buf, size_t size);
/* Monotonic milliseconds. */
int64_t timeutil_mono_ms(void);
/* Wall clock, overridable for tests with MIGRATE_NOW=<epoch seconds>. */
time_t timeutil_now(void);
/* "3h 20m", "45s": for messages about waiting. */
char *timeutil_format_duration(long long secs, char *buf, size_t size);

#endif
