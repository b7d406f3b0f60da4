/*
 * timeutil.c -- RFC 3339 parse and format, monotonic and wall clocks.
 */
#include "util/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* Read exactly n digits. */
static bool get_digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return true;
}

static bool expect(const char **sp, char c)
{
	if (**sp != c)
		return false;
	(*sp)++;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long days_from_civil(int y, int m, int d)
{
	long long yy = y - (m <= 2);
	long long era = (yy >= 0 ? yy : yy - 399) / 400;
	long long yoe = yy - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

int timeutil_parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long long t;

	if (!s)
		return -1;
	if (!get_digits(&s, 4, &y) || !expect(&s, '-') ||
	    !get_digits(&s, 2, &mo) || !expect(&s, '-') ||
	    !get_digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (!get_digits(&s, 2, &h) || !expect(&s, ':') ||
	    !get_digits(&s, 2, &mi) || !expect(&s, ':') ||
	    !get_digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
		if (!get_digits(&s, 2, &oh) || !expect(&s, ':') ||
		    !get_digits(&s, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (*s != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL +
	    sec;
	t -= sign * (oh * 3600LL + om * 60LL);
	if ((time_t)t != t)
		return -1;
	*out = (time_t)t;
	return 0;
}

char *timeutil_format_rfc3339(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "%s", "invalid-time");
		return buf;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	return buf;
}

int64_t timeutil_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t timeutil_now(void)
{
	const char *v = getenv("MIGRATE_NOW");
	unsigned long long n;

	if (v && str_to_uint(v, 0, (unsigned long long)INT64_MAX, &n) == 0 &&
	    (time_t)n >= 0)
		return (time_t)n;
	return time(NULL);
}

char *timeutil_format_duration(long long secs, char *buf, size_t size)
{
	const char *sign = "";
	unsigned long long s;

	if (secs < 0) {
		sign = "-";
		s = 0ULL - (unsigned long long)secs;
	} else {
		s = (unsigned long long)secs;
	}
	if (s < 60)
		snprintf(buf, size, "%s%llus", sign, s);
	else if (s < 3600 && s % 60)
		snprintf(buf, size, "%s%llum %llus", sign, s / 60, s % 60);
	else if (s < 3600)
		snprintf(buf, size, "%s%llum", sign, s / 60);
	else if (s < 86400 && s / 60 % 60)
		snprintf(buf, size, "%s%lluh %llum", sign, s / 3600,
			 s / 60 % 60);
	else if (s < 86400)
		snprintf(buf, size, "%s%lluh", sign, s / 3600);
	else if (s / 3600 % 24)
		snprintf(buf, size, "%s%llud %lluh", sign, s / 86400,
			 s / 3600 % 24);
	else
		snprintf(buf, size, "%s%llud", sign, s / 86400);
	return buf;
}
