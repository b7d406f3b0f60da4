/*
 * probe_smtp.c -- one SMTP session as a sender sees it (see probe.h):
 * banner, EHLO, STARTTLS, the certificate, RCPT probes, RSET and QUIT.
 *
 * A blocking socket with SO_RCVTIMEO / SO_SNDTIMEO (every read and write
 * has the deadline), the connect itself non-blocking under poll().  TLS
 * through OpenSSL with SSL_VERIFY_NONE: the chain and the host name are
 * checked after the handshake and reported, so that "certificate
 * expired" is a finding rather than a dead connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probe/probe.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/str.h"
#include "util/xalloc.h"

#define LINE_MAX_LEN 4096
#define REPLY_LINES_MAX 200

struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[8192];
	size_t len, off;
	const struct probe_smtp_opts *o;
	struct probe_smtp_result *r;
};

void probe_smtp_result_init(struct probe_smtp_result *r)
{
	memset(r, 0, sizeof *r);
}

static void reply_release(struct probe_reply *p)
{
	free(p->text);
	p->text = NULL;
	p->code = 0;
}

void probe_smtp_result_release(struct probe_smtp_result *r)
{
	reply_release(&r->banner);
	reply_release(&r->ehlo);
	reply_release(&r->mail);
	for (size_t i = 0; i < r->n_rcpt; i++)
		reply_release(&r->rcpt[i]);
	free(r->rcpt);
	free(r->banner_host);
	free(r->ehlo_host);
	free(r->tls_version);
	free(r->tls_error);
	free(r->cert_chain_error);
	free(r->cert_names);
	free(r->error);
	probe_smtp_result_init(r);
}

int probe_reply_line(const char *line, int *code, const char **text)
{
	if (!(line[0] >= '2' && line[0] <= '5') || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9')
		return -1;
	if (line[3] != ' ' && line[3] != '-' && line[3] != '\0')
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*text = line[3] ? line + 4 : line + 3;
	return line[3] == '-' ? 0 : 1;
}

char *probe_first_word(const char *text)
{
	size_t n = strcspn(text, " \t\r\n");
	char *w;

	if (n == 0)
		return NULL;
	w = xstrndup(text, n);
	str_lower(w);
	if (n > 1 && w[n - 1] == '.')
		w[n - 1] = '\0';
	return w;
}

static void stop(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void stop(struct conn *c, const char *fmt, ...)
{
	struct sbuf sb;
	va_list ap;

	if (c->r->error)
		return;
	sbuf_init(&sb, ERR_MSG_MAX);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	c->r->error = sbuf_detach(&sb, NULL);
}

/* "address:port" for messages. */
static char *where(const struct probe_smtp_opts *o)
{
	return strchr(o->address, ':') ?
		       xasprintf("[%s]:%u", o->address, o->port) :
		       xasprintf("%s:%u", o->address, o->port);
}

static int dial(const struct probe_smtp_opts *o, unsigned timeout_ms,
		struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	struct pollfd p;
	int fd, e = 0, n;
	socklen_t el = sizeof e;
	char *w = where(o);

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, o->address,
		      &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)o->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, o->address,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port =
			htons((uint16_t)o->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		err_set(err, ERR_USAGE, RETRY_NEVER,
			"'%s' is not a numeric address", o->address);
		free(w);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0) {
		err_sys(err, ERR_REMOTE, "'%s': socket", w);
		free(w);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		p.fd = fd;
		p.events = POLLOUT;
		do
			n = poll(&p, 1, (int)timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n == 0) {
			e = ETIMEDOUT;
			goto fail;
		}
		if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e)
			goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
		e = errno;
		goto fail;
	}
	free(w);
	return fd;
fail:
	errno = e;
	err_sys(err, ERR_REMOTE, "cannot connect to '%s' (%s)", w, o->host);
	err->retry = RETRY_LATER;
	close(fd);
	free(w);
	return -1;
}

/* Fill the buffer: 1 data, 0 closed, -1 error (errno / SSL). */
static int fill(struct conn *c)
{
	ssize_t n;

	c->off = 0;
	c->len = 0;
	if (c->ssl) {
		int k = SSL_read(c->ssl, c->buf, (int)sizeof c->buf);

		if (k > 0) {
			c->len = (size_t)k;
			return 1;
		}
		if (SSL_get_error(c->ssl, k) == SSL_ERROR_ZERO_RETURN)
			return 0;
		ERR_clear_error();
		return -1;
	}
	do
		n = read(c->fd, c->buf, sizeof c->buf);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	c->len = (size_t)n;
	return n > 0;
}

/* One line without CR LF into line (NUL-terminated, cut at LINE_MAX_LEN).
 * 0 ok, -1 closed or error (c->r->error set). */
static int read_line(struct conn *c, struct sbuf *line)
{
	sbuf_clear(line);
	for (;;) {
		int rc;

		while (c->off < c->len) {
			char ch = c->buf[c->off++];

			if (ch == '\n') {
				sbuf_rtrim(line);
				log_trace(LOGC_SMTP, 'S', line->buf, line->len);
				return 0;
			}
			if (line->len < LINE_MAX_LEN)
				sbuf_addch(line, ch);
		}
		rc = fill(c);
		if (rc == 0) {
			stop(c, "the server closed the connection");
			return -1;
		}
		if (rc < 0) {
			stop(c, "%s", errno == EAGAIN || errno == EWOULDBLOCK ?
					      "no answer in time" :
					      "the connection failed");
			return -1;
		}
	}
}

/* A whole reply.  0 ok (rep filled), -1 (c->r->error set). */
static int read_reply(struct conn *c, struct probe_reply *rep, char ***lines)
{
	struct sbuf line, text;
	int code = 0, first = 0, more = 1, n = 0;

	reply_release(rep);
	sbuf_init(&line, LINE_MAX_LEN + 16);
	sbuf_init(&text, PROBE_REPLY_MAX);
	while (more) {
		const char *t;
		char *clean;
		int kind;

		if (read_line(c, &line) < 0)
			goto fail;
		kind = probe_reply_line(line.buf, &code, &t);
		if (kind < 0 || (first && code != first) ||
		    ++n > REPLY_LINES_MAX) {
			clean = str_sanitize(line.buf, 80);
			stop(c, "not an SMTP reply: '%s'", clean);
			free(clean);
			goto fail;
		}
		first = code;
		more = kind == 0;
		clean = str_sanitize(t, 512);
		if (text.len)
			sbuf_addstr(&text, " / ");
		sbuf_addstr(&text, clean);
		if (lines)
			strv_push(lines, clean);
		free(clean);
	}
	rep->code = code;
	rep->text = sbuf_detach(&text, NULL);
	sbuf_release(&line);
	return 0;
fail:
	sbuf_release(&line);
	sbuf_release(&text);
	return -1;
}

static int send_line(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int send_line(struct conn *c, const char *fmt, ...)
{
	struct sbuf sb;
	va_list ap;
	size_t done = 0;
	int rc = 0;

	sbuf_init(&sb, 4096);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	log_trace(LOGC_SMTP, 'C', sb.buf, sb.len);
	sbuf_addstr(&sb, "\r\n");
	while (done < sb.len) {
		ssize_t n;

		if (c->ssl) {
			int k = SSL_write(c->ssl, sb.buf + done,
					  (int)(sb.len - done));

			n = k > 0 ? k : -1;
			if (k <= 0)
				ERR_clear_error();
		} else {
			do
				n = send(c->fd, sb.buf + done, sb.len - done,
					 MSG_NOSIGNAL);
			while (n < 0 && errno == EINTR);
		}
		if (n <= 0) {
			stop(c, "cannot send to the server");
			rc = -1;
			break;
		}
		done += (size_t)n;
	}
	sbuf_release(&sb);
	return rc;
}

/* The names a certificate carries: its DNS SANs, else its CN. */
static char *cert_names(X509 *cert)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name,
					       NULL, NULL);
	struct sbuf sb;
	char cn[256];

	sbuf_init(&sb, 4096);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *d;
		char *s;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		s = str_sanitize((const char *)d, 255);
		sbuf_addf(&sb, "%s%s", sb.len ? ", " : "", s);
		free(s);
	}
	GENERAL_NAMES_free(sans);
	if (!sb.len && X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
						 NID_commonName, cn,
						 sizeof cn) > 0) {
		char *s = str_sanitize(cn, 255);

		sbuf_addstr(&sb, s);
		free(s);
	}
	return sbuf_detach(&sb, NULL);
}

static void look_at_cert(struct conn *c)
{
	struct probe_smtp_result *r = c->r;
	X509 *cert = SSL_get1_peer_certificate(c->ssl);
	long v;
	struct tm tm;

	if (!cert)
		return;
	r->cert_present = true;
	v = SSL_get_verify_result(c->ssl);
	r->cert_chain_ok = v == X509_V_OK;
	if (!r->cert_chain_ok)
		r->cert_chain_error = xstrdup(X509_verify_cert_error_string(v));
	r->cert_name_ok = X509_check_host(cert, c->o->host, 0, 0, NULL) == 1;
	r->cert_names = cert_names(cert);
	memset(&tm, 0, sizeof tm);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		r->cert_not_after = timegm(&tm);
	X509_free(cert);
}

static int start_tls(struct conn *c)
{
	const struct probe_smtp_opts *o = c->o;
	unsigned long e;
	char buf[256];
	int k;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		stop(c, "cannot set up TLS");
		return -1;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	if (o->ca_file ?
		    SSL_CTX_load_verify_locations(c->ctx, o->ca_file, NULL) != 1 :
		    SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		ERR_clear_error();
		stop(c, "cannot load the CA certificates%s%s%s",
		     o->ca_file ? " from '" : "", o->ca_file ? o->ca_file : "",
		     o->ca_file ? "'" : "");
		return -1;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, o->host) != 1) {
		ERR_clear_error();
		stop(c, "cannot set up TLS");
		return -1;
	}
	/* what is buffered in the plain reader belongs to no one now */
	c->off = c->len = 0;
	k = SSL_connect(c->ssl);
	if (k != 1) {
		e = ERR_get_error();
		if (e)
			ERR_error_string_n(e, buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "%s",
				 errno == EAGAIN ? "no answer in time" :
						   "the connection failed");
		ERR_clear_error();
		c->r->tls_error = xstrdup(buf);
		stop(c, "TLS handshake failed: %s", buf);
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	c->r->tls = true;
	c->r->tls_version = xstrdup(SSL_get_version(c->ssl));
	look_at_cert(c);
	return 0;
}

/* EHLO; on the first one, fill the result's EHLO fields. */
static int ehlo(struct conn *c, bool first)
{
	struct probe_reply rep = { 0 };
	char **lines = NULL;
	int rc = -1;

	if (send_line(c, "EHLO %s", c->o->helo ? c->o->helo :
						 "migrate-check.invalid") < 0 ||
	    read_reply(c, &rep, &lines) < 0)
		goto out;
	if (rep.code != 250) {
		stop(c, "EHLO refused: %d %s", rep.code, rep.text);
		goto out;
	}
	for (size_t i = 1; lines && lines[i]; i++)
		if (str_ieq(lines[i], "STARTTLS") ||
		    str_has_prefix(lines[i], "STARTTLS ") ||
		    str_has_prefix(lines[i], "starttls"))
			c->r->starttls_offered = true;
	if (first) {
		c->r->ehlo_host = lines && lines[0] ?
					  probe_first_word(lines[0]) : NULL;
		c->r->ehlo = rep;
		rep.text = NULL;
	}
	rc = 0;
out:
	reply_release(&rep);
	strv_free(lines);
	return rc;
}

static void rcpt_probes(struct conn *c)
{
	const struct probe_smtp_opts *o = c->o;
	struct probe_smtp_result *r = c->r;
	struct probe_reply rset = { 0 };

	if (send_line(c, "MAIL FROM:<%s>", o->mail_from ? o->mail_from : "") <
		    0 ||
	    read_reply(c, &r->mail, NULL) < 0)
		return;
	if (r->mail.code / 100 != 2) {
		stop(c, "MAIL FROM refused: %d %s", r->mail.code,
		     r->mail.text);
		return;
	}
	r->rcpt = xcalloc(o->n_rcpts, sizeof *r->rcpt);
	for (size_t i = 0; i < o->n_rcpts; i++) {
		if (send_line(c, "RCPT TO:<%s>", o->rcpts[i]) < 0 ||
		    read_reply(c, &r->rcpt[i], NULL) < 0)
			return;
		r->n_rcpt++;
	}
	if (send_line(c, "RSET") == 0)
		read_reply(c, &rset, NULL);
	reply_release(&rset);
}

static bool safe_word(const char *s)
{
	return s && !strpbrk(s, " \t\r\n<>");
}

int probe_smtp(const struct probe_smtp_opts *o, struct probe_smtp_result *r,
	       struct err *err)
{
	unsigned timeout = o->timeout_ms ? o->timeout_ms : PROBE_TIMEOUT_MS;
	struct probe_reply bye = { 0 };
	bool had_error;
	struct conn c;

	probe_smtp_result_init(r);
	if (!o->host || !o->address || !o->port || o->port > 65535 ||
	    (o->helo && !safe_word(o->helo)) ||
	    (o->mail_from && *o->mail_from && !safe_word(o->mail_from)))
		return err_set(err, ERR_USAGE, RETRY_NEVER,
			       "bad SMTP probe options");
	for (size_t i = 0; i < o->n_rcpts; i++)
		if (!safe_word(o->rcpts[i]))
			return err_set(err, ERR_USAGE, RETRY_NEVER,
				       "bad probe address '%s'", o->rcpts[i]);
	memset(&c, 0, sizeof c);
	c.o = o;
	c.r = r;
	c.fd = dial(o, timeout, err);
	if (c.fd < 0)
		return -1;
	r->connected = true;
	log_debug(LOGC_SMTP, "connected to %s:%u for '%s'", o->address,
		  o->port, o->host);
	if (o->implicit_tls && start_tls(&c) < 0)
		goto out;
	if (read_reply(&c, &r->banner, NULL) < 0)
		goto out;
	r->banner_host = probe_first_word(r->banner.text);
	if (r->banner.code != 220) {
		stop(&c, "the server refuses the session: %d %s",
		     r->banner.code, r->banner.text);
		goto quit;
	}
	if (ehlo(&c, true) < 0)
		goto quit;
	if (!o->implicit_tls && r->starttls_offered) {
		struct probe_reply st = { 0 };

		if (send_line(&c, "STARTTLS") < 0 ||
		    read_reply(&c, &st, NULL) < 0)
			goto out;
		if (st.code != 220) {
			/* the session goes on in clear text */
			r->tls_error = xasprintf("STARTTLS refused: %d %s",
						 st.code, st.text);
		} else {
			if (start_tls(&c) < 0)
				goto out;
			if (ehlo(&c, false) < 0)
				goto quit;
		}
		reply_release(&st);
	}
	if (o->rcpts && o->n_rcpts)
		rcpt_probes(&c);
quit:
	had_error = r->error != NULL;
	if (send_line(&c, "QUIT") == 0)
		read_reply(&c, &bye, NULL);
	reply_release(&bye);
	if (!had_error)		/* a server that hangs up on QUIT is fine */
		r->error = x_free(r->error);
out:
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	if (c.ctx)
		SSL_CTX_free(c.ctx);
	ERR_clear_error();
	close(c.fd);
	return 0;
}
