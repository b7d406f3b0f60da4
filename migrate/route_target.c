/*
 * route_target.c -- where a Postfix route sends mail (see route.h), for
 * the loop checks of "migrate check" and "check --live".
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/route.h"
#include "util/str.h"
#include "util/xalloc.h"

/* The TCP target of a route ("smtp:[h]:25", "lmtp:inet:h:24"): 0 with a
 * new host, its port and whether it was bracketed; -1 (unix:, none). */
int route_target(const char *route, char **host, unsigned *port,
			bool *bracketed)
{
	const char *colon = strchr(route, ':'), *nh, *end;
	unsigned long long n;
	size_t hl;

	if (!colon)
		return -1;
	*port = colon - route == 4 && !strncmp(route, "lmtp", 4) ? 24 : 25;
	nh = colon + 1;
	if (str_has_prefix(nh, "unix:"))
		return -1;
	if (str_has_prefix(nh, "inet:"))
		nh += 5;
	*bracketed = *nh == '[';
	if (*bracketed) {
		if (!(end = strchr(nh, ']')))
			return -1;
		*host = xstrndup(nh + 1, (size_t)(end - nh - 1));
		end++;
	} else {
		end = strrchr(nh, ':');
		hl = end ? (size_t)(end - nh) : strlen(nh);
		*host = xstrndup(nh, hl);
		end = nh + hl;
	}
	if (*end == ':' && str_to_uint(end + 1, 1, 65535, &n) == 0)
		*port = (unsigned)n;
	hl = strlen(*host);
	if (hl && (*host)[hl - 1] == '.')
		(*host)[--hl] = 0;
	str_lower(*host);
	if (!hl) {
		*host = x_free(*host);
		return -1;
	}
	return 0;
}
