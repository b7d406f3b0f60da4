/*
 * imap_net.c -- the transport under libetpan: TCP with a deadline on
 * every operation, and TLS through OpenSSL with real verification.
 *
 * Debian's libetpan does TLS with GnuTLS and verifies nothing, so the
 * engine plugs its own mailstream_low driver into libetpan: a blocking
 * socket with SO_RCVTIMEO / SO_SNDTIMEO (each read and write has the
 * endpoint's deadline), optionally wrapped in an OpenSSL session that
 * checks the chain against the backend's CA file (or the system store),
 * the host name or IP address, sends SNI, and refuses anything older
 * than TLS 1.2.  A certificate that does not verify fails the handshake,
 * long before LOGIN.
 *
 * Under a bandwidth cap (ep->rate, imap_rate.c) each read and write moves
 * at most imap_rate_chunk() bytes, charges what went over the wire (for
 * TLS the socket's own byte counts: records, handshake and alerts) and
 * sleeps off any debt before it returns, between system calls, so the
 * socket deadlines keep their meaning.
 */
#include "imapsync/imap_ssl.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>


#include "imapsync/imap_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

struct net {
	int fd;
	SSL *ssl;
	SSL_CTX *ctx;
	int last_errno;		/* of the last failed read or write */
	struct imapsync_rate *rate;	/* the endpoint's cap, or NULL */
	uint64_t wire;		/* TLS: socket bytes charged so far */
};

/* Charge the bytes a read or write just moved, and wait if over the
 * cap.  Under TLS that is what the socket moved since the last charge. */
static void net_pay(struct net *d, size_t moved)
{
	uint64_t n = moved;

	if (!d->rate)
		return;
	if (d->ssl) {
		BIO *rb = SSL_get_rbio(d->ssl), *wb = SSL_get_wbio(d->ssl);
		uint64_t total = (rb ? BIO_number_read(rb) : 0) +
				 (wb ? BIO_number_written(wb) : 0);

		n = total - d->wire;
		d->wire = total;
	}
	imap_rate_take(d->rate, n);
}

static ssize_t net_read(mailstream_low *s, void *buf, size_t n)
{
	struct net *d = s->data;

	if (n > (1u << 20))
		n = 1u << 20;
	n = imap_rate_chunk(d->rate, n);
	if (d->ssl) {
		int r = SSL_read(d->ssl, buf, (int)n);

		if (r > 0) {
			net_pay(d, (size_t)r);
			return r;
		}
		/* End of stream or error: both are fatal for the session.
		 * Report an error, never 0: libetpan's parser can keep asking
		 * a stream at EOF for more bytes in a busy loop (seen after
		 * the server dropped a session in the middle of a FETCH). */
		d->last_errno = SSL_get_error(d->ssl, r) == SSL_ERROR_ZERO_RETURN ?
					0 : errno ? errno : EIO;
		ERR_clear_error();
		return -1;
	}
	for (;;) {
		ssize_t r = read(d->fd, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			d->last_errno = 0;	/* end of stream; see above */
			return -1;
		}
		if (r < 0)
			d->last_errno = errno;
		else
			net_pay(d, (size_t)r);
		return r;
	}
}

static ssize_t net_write(mailstream_low *s, const void *buf, size_t n)
{
	struct net *d = s->data;
	const char *p = buf;
	size_t done = 0;

	while (done < n) {
		size_t chunk = n - done > (1u << 20) ? (1u << 20) : n - done;
		ssize_t r;

		chunk = imap_rate_chunk(d->rate, chunk);
		if (d->ssl) {
			int w = SSL_write(d->ssl, p + done, (int)chunk);

			if (w <= 0) {
				d->last_errno = errno ? errno : EIO;
				ERR_clear_error();
				return done ? (ssize_t)done : -1;
			}
			r = w;
		} else {
			r = send(d->fd, p + done, chunk, MSG_NOSIGNAL);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				d->last_errno = r < 0 ? errno : EPIPE;
				return done ? (ssize_t)done : -1;
			}
		}
		done += (size_t)r;
		net_pay(d, (size_t)r);
	}
	return (ssize_t)done;
}

static int net_close(mailstream_low *s)
{
	struct net *d = s->data;

	if (d->ssl) {
		/* a quiet close: do not wait for the peer's close_notify */
		SSL_set_quiet_shutdown(d->ssl, 1);
		SSL_shutdown(d->ssl);
		ERR_clear_error();
	}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	return 0;
}

static int net_get_fd(mailstream_low *s)
{
	return ((struct net *)s->data)->fd;
}

static void net_free(mailstream_low *s)
{
	struct net *d = s->data;

	if (d) {
		if (d->fd >= 0)
			close(d->fd);
		SSL_free(d->ssl);
		SSL_CTX_free(d->ctx);
		free(d);
	}
	free(s);	/* the driver owns the mailstream_low itself */
}

static mailstream_low_driver net_driver = {
	.mailstream_read = net_read,
	.mailstream_write = net_write,
	.mailstream_close = net_close,
	.mailstream_get_fd = net_get_fd,
	.mailstream_free = net_free,
};

const char *imap_net_why(mailstream_low *low, unsigned timeout, char *buf,
			 size_t size)
{
	struct net *d;

	if (!low || low->driver != &net_driver || !(d = low->data) ||
	    !d->last_errno)
		return NULL;
	if (d->last_errno == EAGAIN || d->last_errno == EWOULDBLOCK ||
	    d->last_errno == ETIMEDOUT)
		snprintf(buf, size, "no answer within %u s",
			 timeout ? timeout : 60);
	else
		snprintf(buf, size, "%s", strerror(d->last_errno));
	return buf;
}

void imap_net_global_init(void)
{
	OPENSSL_init_ssl(0, NULL);
}

static void set_timeouts(int fd, unsigned secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };
	int one = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Non-blocking connect with a deadline. */
static int connect_one(const struct addrinfo *ai, unsigned secs, int *err_no)
{
	int fd, fl, r;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0) {
		*err_no = errno;
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		socklen_t len = sizeof *err_no;

		do {
			r = poll(&p, 1, (int)secs * 1000);
		} while (r < 0 && errno == EINTR);
		if (r == 0) {
			*err_no = ETIMEDOUT;
			close(fd);
			return -1;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, err_no,
					&len) < 0 || *err_no != 0) {
			if (r < 0)
				*err_no = errno;
			close(fd);
			return -1;
		}
	} else if (r < 0) {
		*err_no = errno;
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	set_timeouts(fd, secs);
	return fd;
}

static int tcp_connect(const struct imapsync_endpoint *ep, const char *where,
		       int *out, struct err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	unsigned secs = ep->timeout ? ep->timeout : 60;
	int r, fd = -1, err_no = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%u", ep->port);
	r = getaddrinfo(ep->host, port, &hints, &res);
	if (r != 0)
		return err_set(err, ERR_REMOTE, RETRY_LATER,
			       "%s: cannot resolve '%s': %s", where, ep->host,
			       gai_strerror(r));
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai, secs, &err_no);
	freeaddrinfo(res);
	if (fd < 0) {
		err_set(err, ERR_REMOTE, RETRY_LATER, "%s: cannot connect: %s",
			where, strerror(err_no));
		err->sys_errno = err_no;
		return -1;
	}
	*out = fd;
	return 0;
}

static bool is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

static SSL_CTX *tls_ctx(const struct imapsync_endpoint *ep, const char *where,
			struct err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		err_set(err, ERR_INTERNAL, RETRY_NEVER,
			"%s: cannot set up TLS", where);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	if (ep->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ep->ca_file, NULL) != 1) {
			ERR_clear_error();
			SSL_CTX_free(ctx);
			err_set(err, ERR_CONFIG, RETRY_NEVER,
				"%s: cannot load CA file '%s'", where,
				ep->ca_file);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		err_set(err, ERR_CONFIG, RETRY_NEVER,
			"%s: cannot load the system CA store", where);
		return NULL;
	}
	return ctx;
}

/* Handshake on a connected socket; on success the driver owns fd. */
static int tls_wrap(const struct imapsync_endpoint *ep, const char *where,
		    int fd, mailstream_low **out, struct err *err)
{
	SSL_CTX *ctx = tls_ctx(ep, where, err);
	X509_VERIFY_PARAM *vp;
	struct net *d;
	SSL *ssl;

	if (!ctx)
		return -1;
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "%s: cannot set up TLS", where);
	}
	vp = SSL_get0_param(ssl);
	if (is_ip_literal(ep->host)) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, ep->host);
	} else {
		SSL_set_tlsext_host_name(ssl, ep->host);
		X509_VERIFY_PARAM_set_hostflags(
			vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		X509_VERIFY_PARAM_set1_host(vp, ep->host, 0);
	}
	if (SSL_connect(ssl) != 1) {
		long vr = SSL_get_verify_result(ssl);
		unsigned long e = ERR_peek_last_error();
		char ebuf[256];

		if (vr != X509_V_OK)
			err_set(err, ERR_REMOTE, RETRY_NEVER,
				"%s: TLS certificate not accepted: %s", where,
				X509_verify_cert_error_string(vr));
		else if (e) {
			ERR_error_string_n(e, ebuf, sizeof ebuf);
			err_set(err, ERR_REMOTE, RETRY_NEVER,
				"%s: TLS handshake failed: %s", where, ebuf);
		} else {
			err_set(err, ERR_REMOTE, RETRY_LATER,
				"%s: TLS handshake failed: %s", where,
				errno ? strerror(errno) : "connection closed");
		}
		ERR_clear_error();
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		return -1;
	}
	log_debug(LOGC_IMAP, "%s: %s, %s", where, SSL_get_version(ssl),
		  SSL_get_cipher_name(ssl));
	d = xcalloc(1, sizeof *d);
	d->fd = fd;
	d->ssl = ssl;
	d->ctx = ctx;
	d->rate = ep->rate;
	*out = mailstream_low_new(d, &net_driver);
	if (!*out) {
		d->fd = -1;
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		free(d);
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "%s: out of memory", where);
	}
	return 0;
}

int imap_net_open(const struct imapsync_endpoint *ep, const char *where,
		  mailstream_low **out, struct err *err)
{
	struct net *d;
	int fd = -1;

	*out = NULL;
	if (tcp_connect(ep, where, &fd, err) < 0)
		return -1;
	if (ep->tls == IMAPSYNC_TLS_IMPLICIT) {
		if (tls_wrap(ep, where, fd, out, err) < 0) {
			close(fd);
			return -1;
		}
		return 0;
	}
	d = xcalloc(1, sizeof *d);
	d->fd = fd;
	d->rate = ep->rate;
	*out = mailstream_low_new(d, &net_driver);
	if (!*out) {
		close(fd);
		free(d);
		return err_set(err, ERR_INTERNAL, RETRY_NEVER,
			       "%s: out of memory", where);
	}
	return 0;
}

int imap_net_starttls(const struct imapsync_endpoint *ep, const char *where,
		      mailstream_low *plain, mailstream_low **out,
		      struct err *err)
{
	struct net *d = plain->data;
	int fd = d->fd;

	if (tls_wrap(ep, where, fd, out, err) < 0)
		return -1;
	d->fd = -1;	/* the TLS driver owns the socket now */
	mailstream_low_free(plain);
	return 0;
}
