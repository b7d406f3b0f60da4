/*
 * dnsctl_wire.c -- one DNS message out, its reply back, over UDP or TCP,
 * with a deadline on every step (see dnsctl_int.h).
 *
 * Our own small socket code rather than ldns_resolver: it keeps the reply
 * even when its TSIG does not verify (a BADSIG reply is unsigned, and we
 * want its rcode and TSIG error, not "bogus"), and every connect, write
 * and read has a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsctl/dnsctl_int.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define UDP_TRIES 3
#define MAX_MSG 65535

/* "host:port" or "[v6]:port" -> host, port.  0 ok, -1 bad. */
static int split_server(const char *server, char *host, size_t hsize,
			char *port, size_t psize)
{
	const char *colon, *h = server;
	size_t hlen;

	if (server[0] == '[') {
		const char *close = strchr(server, ']');

		if (!close || close[1] != ':')
			return -1;
		h = server + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(server, ':');
		if (!colon || strchr(server, ':') != colon)
			return -1;
		hlen = (size_t)(colon - server);
	}
	if (hlen == 0 || hlen >= hsize || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= psize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

static int remaining(int64_t deadline)
{
	int64_t left = deadline - timeutil_mono_ms();

	return left > 0 ? (int)left : 0;
}

/* Wait for fd to be ready for events before the deadline: 0, or -1 with
 * errno ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	for (;;) {
		n = poll(&p, 1, remaining(deadline));
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int open_socket(const char *server, bool tcp, int64_t deadline,
		       struct err *err)
{
	char host[256], port[8];
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, saved = 0;

	if (split_server(server, host, sizeof host, port, sizeof port) < 0) {
		char *shown = str_sanitize(server, 80);

		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"server '%s' is not host:port", shown);
		free(shown);
		return -1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0)
		return err_set(err, ERR_REMOTE, RETRY_LATER,
			       "server '%s': cannot find its address: %s",
			       server, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
					   SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS &&
		    wait_fd(fd, POLLOUT, deadline) == 0) {
			socklen_t len = sizeof saved;

			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved,
				       &len) == 0 && saved == 0)
				break;
		} else {
			saved = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = saved ? saved : ECONNREFUSED;
		err_sys(err, ERR_REMOTE, "server '%s': cannot connect (%s)",
			server, tcp ? "tcp" : "udp");
		err->retry = RETRY_LATER;
		return -1;
	}
	return fd;
}

static int write_all(int fd, const uint8_t *p, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) < 0)
				return -1;
		} else {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) < 0)
				return -1;
		} else {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
	}
	return 0;
}

static int tcp_exchange(int fd, const uint8_t *msg, size_t len,
			int64_t deadline, uint8_t **resp, size_t *resp_len)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	uint8_t *buf;
	size_t rlen;

	if (write_all(fd, hdr, 2, deadline) < 0 ||
	    write_all(fd, msg, len, deadline) < 0)
		return -1;
	for (;;) {
		if (read_all(fd, hdr, 2, deadline) < 0)
			return -1;
		rlen = (size_t)hdr[0] << 8 | hdr[1];
		if (rlen < 12) {
			errno = EPROTO;
			return -1;
		}
		buf = xmalloc(rlen);
		if (read_all(fd, buf, rlen, deadline) < 0) {
			free(buf);
			return -1;
		}
		if (buf[0] == msg[0] && buf[1] == msg[1] && (buf[2] & 0x80))
			break;
		free(buf);	/* not ours: keep reading */
	}
	*resp = buf;
	*resp_len = rlen;
	return 0;
}

static int udp_exchange(int fd, const uint8_t *msg, size_t len,
			int64_t deadline, uint8_t **resp, size_t *resp_len)
{
	int64_t start = timeutil_mono_ms(), total = deadline - start;
	uint8_t *buf = xmalloc(MAX_MSG);

	for (int t = 0; t < UDP_TRIES; t++) {
		int64_t try_end = start + total * (t + 1) / UDP_TRIES;

		if (send(fd, msg, len, 0) < 0 && errno != EINTR)
			goto fail;
		for (;;) {
			ssize_t n;

			if (wait_fd(fd, POLLIN, try_end) < 0) {
				if (errno == ETIMEDOUT)
					break;	/* send again */
				goto fail;
			}
			n = recv(fd, buf, MAX_MSG, 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				goto fail;
			}
			if (n >= 12 && buf[0] == msg[0] && buf[1] == msg[1] &&
			    (buf[2] & 0x80)) {
				*resp = xrealloc(buf, (size_t)n);
				*resp_len = (size_t)n;
				return 0;
			}
		}
	}
	errno = ETIMEDOUT;
fail:
	free(buf);
	return -1;
}

int dnsctl_wire_exchange(const char *server, const uint8_t *msg, size_t len,
			 bool tcp, unsigned timeout_ms, uint8_t **resp,
			 size_t *resp_len, struct err *err)
{
	int64_t deadline = timeutil_mono_ms() + (timeout_ms ? timeout_ms :
						 DNSCTL_QUERY_TIMEOUT_MS);
	int fd, rc;

	*resp = NULL;
	*resp_len = 0;
	if (len < 12 || len > MAX_MSG)
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "dns message of %zu bytes", len);
	fd = open_socket(server, tcp, deadline, err);
	if (fd < 0)
		return -1;
	rc = tcp ? tcp_exchange(fd, msg, len, deadline, resp, resp_len)
		 : udp_exchange(fd, msg, len, deadline, resp, resp_len);
	if (rc < 0) {
		if (errno == ETIMEDOUT)
			err_set(err, ERR_REMOTE, RETRY_LATER,
				"server '%s': no answer within %u ms (%s)",
				server, timeout_ms ? timeout_ms :
				DNSCTL_QUERY_TIMEOUT_MS, tcp ? "tcp" : "udp");
		else
			err_sys(err, ERR_REMOTE, "server '%s' (%s)", server,
				tcp ? "tcp" : "udp");
		err->retry = RETRY_LATER;
	}
	close(fd);
	log_debug(LOGC_DNS, "%s %s: %zu bytes out, %zu back%s", server,
		  tcp ? "tcp" : "udp", len, *resp_len,
		  rc < 0 ? " (failed)" : "");
	return rc;
}

int dnsctl_wire_query(const char *server, const char *name, const char *type,
		      unsigned timeout_ms, ldns_pkt **out, struct err *err)
{
	return dnsctl_wire_query_rd(server, name, type, false, timeout_ms,
				    out, err);
}

int dnsctl_wire_query_rd(const char *server, const char *name,
			 const char *type, bool rd, unsigned timeout_ms,
			 ldns_pkt **out, struct err *err)
{
	ldns_pkt *q = NULL, *r = NULL;
	uint8_t *wire = NULL, *resp = NULL;
	size_t wlen = 0, rlen = 0;
	ldns_rr_type t = ldns_get_rr_type_by_name(type);
	int64_t deadline;
	int rc = -1;

	*out = NULL;
	if (!timeout_ms)
		timeout_ms = DNSCTL_QUERY_TIMEOUT_MS;
	deadline = timeutil_mono_ms() + timeout_ms;
	if (ldns_pkt_query_new_frm_str(&q, name, t, LDNS_RR_CLASS_IN, 0) !=
	    LDNS_STATUS_OK)
		return err_set(err, ERR_PLAN, RETRY_NEVER,
			       "cannot build a query for '%s %s'", name, type);
	ldns_pkt_set_random_id(q);
	ldns_pkt_set_rd(q, rd);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"cannot encode a query for '%s %s'", name, type);
		goto out;
	}
	log_debug(LOGC_DNS, "query %s %s %s", server, name, type);
	for (int tcp = 0; tcp < 2; tcp++) {
		unsigned left = (unsigned)remaining(deadline);

		if (dnsctl_wire_exchange(server, wire, wlen, tcp,
					 left ? left : 1, &resp, &rlen,
					 err) < 0)
			goto out;
		if (ldns_wire2pkt(&r, resp, rlen) != LDNS_STATUS_OK) {
			err_set(err, ERR_REMOTE, RETRY_LATER,
				"server '%s': malformed answer to '%s %s'",
				server, name, type);
			goto out;
		}
		resp = x_free(resp);
		if (!ldns_pkt_tc(r))
			break;
		ldns_pkt_free(r);
		r = NULL;
		if (tcp) {
			err_set(err, ERR_REMOTE, RETRY_LATER,
				"server '%s': truncated answer over tcp",
				server);
			goto out;
		}
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	free(resp);
	if (r)
		ldns_pkt_free(r);
	if (wire)
		free(wire);
	ldns_pkt_free(q);
	return rc;
}
