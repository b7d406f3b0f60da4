/*
 * delayproxy.c -- a TCP proxy on 127.0.0.1 that delays every byte by a
 * fixed time in each direction, as a WAN link would (this machine's kernel
 * has no netem).
 *
 *	delayproxy [-d MS] [-p PIDFILE] LISTEN:TARGET ...
 *
 * For each LISTEN:TARGET pair it listens on 127.0.0.1:LISTEN and connects
 * every accepted client to 127.0.0.1:TARGET.  Data read from one side is
 * written to the other side MS milliseconds (default 10) after it was read,
 * in order, so a request/response exchange costs 2*MS more than direct.
 * Bandwidth is not limited; at most 8 MiB waits per direction (reading
 * stops until it drains).  End of stream is passed on (shutdown(SHUT_WR))
 * once everything before it is delivered; a reset or error closes both
 * sides.  One thread, ppoll(), any number of connections.  PIDFILE is
 * written once every port listens.  SIGTERM/SIGINT: print a summary to
 * stderr and exit 0.  Only 127.0.0.1 is ever used.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX (64 * 1024)
#define QUEUE_MAX (8 * 1024 * 1024)

struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t len, off;
	char data[];
};

struct dir {		/* one direction: read from `from`, write to `to` */
	int from, to;
	struct chunk *head, *tail;
	size_t queued;
	bool eof;		/* `from` said end of stream */
	bool shut;		/* passed it on */
};

struct conn {
	struct dir d[2];	/* 0: client -> server, 1: server -> client */
	int fd[2];		/* 0: client, 1: server */
	bool dead;
};

struct listener {
	int fd;
	int target;
};

static volatile sig_atomic_t stop;
static int64_t delay_ns = 10 * 1000000LL;
static unsigned long long n_conns, n_bytes;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fprintf(stderr, "delayproxy: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fputs("usage: delayproxy [-d MS] [-p PIDFILE] LISTEN:TARGET ...\n", stderr);
	exit(64);
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || (*end && *end != ':') || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

static void loopback(struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int listen_on(int port)
{
	struct sockaddr_in sa;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fatal("socket for port %d", port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	loopback(&sa, port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("cannot listen on 127.0.0.1:%d", port);
	if (listen(fd, 128) < 0)
		fatal("listen on port %d", port);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void conn_close(struct conn *c)
{
	int k;

	for (k = 0; k < 2; k++) {
		struct chunk *ch = c->d[k].head, *nx;

		for (; ch; ch = nx) {
			nx = ch->next;
			free(ch);
		}
		c->d[k].head = c->d[k].tail = NULL;
		if (c->fd[k] >= 0)
			close(c->fd[k]);
		c->fd[k] = -1;
	}
	c->dead = true;
}

/* Accept one client and connect it to the target (loopback: connect() is
 * immediate).  NULL when either fails; the client is then just closed. */
static struct conn *conn_accept(const struct listener *l)
{
	struct sockaddr_in sa;
	struct conn *c;
	int cfd, sfd;

	cfd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return NULL;
	sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	loopback(&sa, l->target);
	if (sfd < 0 || connect(sfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "delayproxy: cannot connect to 127.0.0.1:%d: %s\n",
			l->target, strerror(errno));
		if (sfd >= 0)
			close(sfd);
		close(cfd);
		return NULL;
	}
	tune(cfd);
	tune(sfd);
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		close(sfd);
		return NULL;
	}
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	c->d[0].from = cfd;
	c->d[0].to = sfd;
	c->d[1].from = sfd;
	c->d[1].to = cfd;
	n_conns++;
	return c;
}

/* Read what `from` has; false when the connection must close. */
static bool dir_read(struct dir *d, int64_t now)
{
	while (!d->eof && d->queued < QUEUE_MAX) {
		struct chunk *ch = malloc(sizeof(*ch) + CHUNK_MAX);
		ssize_t n;

		if (!ch)
			return false;
		n = read(d->from, ch->data, CHUNK_MAX);
		if (n <= 0) {
			free(ch);
			if (n == 0) {
				d->eof = true;
				return true;
			}
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		if ((size_t)n < CHUNK_MAX / 2) {	/* don't keep 64 KiB for a line */
			struct chunk *small = realloc(ch, sizeof(*ch) + (size_t)n);

			if (small)
				ch = small;
		}
		ch->next = NULL;
		ch->due_ns = now + delay_ns;
		ch->len = (size_t)n;
		ch->off = 0;
		if (d->tail)
			d->tail->next = ch;
		else
			d->head = ch;
		d->tail = ch;
		d->queued += (size_t)n;
		n_bytes += (unsigned long long)n;
	}
	return true;
}

/* Write every chunk that is due; false when the connection must close. */
static bool dir_write(struct dir *d, int64_t now)
{
	while (d->head && d->head->due_ns <= now) {
		struct chunk *ch = d->head;
		ssize_t n = write(d->to, ch->data + ch->off, ch->len - ch->off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		ch->off += (size_t)n;
		d->queued -= (size_t)n;
		if (ch->off < ch->len)
			return true;
		d->head = ch->next;
		if (!d->head)
			d->tail = NULL;
		free(ch);
	}
	if (d->eof && !d->head && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct listener *ls;
	struct conn **cs = NULL;
	struct pollfd *pfd = NULL;
	size_t nl = 0, nc = 0, capc = 0, capp = 0, i;
	const char *pidfile = NULL;
	struct sigaction sa;
	int opt;

	while ((opt = getopt(argc, argv, "d:p:")) != -1) {
		if (opt == 'd')
			delay_ns = (int64_t)(atof(optarg) * 1e6);
		else if (opt == 'p')
			pidfile = optarg;
		else
			usage();
	}
	if (optind >= argc || delay_ns < 0)
		usage();
	ls = calloc((size_t)(argc - optind), sizeof(*ls));
	if (!ls)
		return 1;
	for (; optind < argc; optind++) {
		const char *colon = strchr(argv[optind], ':');
		int lp = parse_port(argv[optind]), tp = colon ? parse_port(colon + 1) : -1;

		if (lp < 0 || tp < 0) {
			fprintf(stderr, "delayproxy: '%s' is not LISTEN:TARGET\n", argv[optind]);
			usage();
		}
		ls[nl].fd = listen_on(lp);
		ls[nl++].target = tp;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pidfile) {
		FILE *fp = fopen(pidfile, "w");

		if (!fp)
			fatal("cannot write '%s'", pidfile);
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	}

	while (!stop) {
		int64_t now = now_ns(), wake = -1;
		struct timespec ts, *tsp = NULL;
		size_t np = 0, need = nl + 2 * nc;

		if (need > capp) {
			capp = need * 2;
			pfd = realloc(pfd, capp * sizeof(*pfd));
			if (!pfd)
				return 1;
		}
		for (i = 0; i < nl; i++) {
			pfd[np].fd = ls[i].fd;
			pfd[np].events = POLLIN;
			np++;
		}
		for (i = 0; i < nc; i++) {
			struct conn *c = cs[i];
			int k;

			for (k = 0; k < 2; k++) {
				/* fd[k] reads for d[k], writes for d[1-k] */
				const struct dir *rd = &c->d[k], *wr = &c->d[1 - k];
				short ev = 0;

				if (!rd->eof && rd->queued < QUEUE_MAX)
					ev |= POLLIN;
				if (wr->head && wr->head->due_ns <= now)
					ev |= POLLOUT;
				else if (wr->head && (wake < 0 || wr->head->due_ns < wake))
					wake = wr->head->due_ns;
				/* nothing wanted: leave it out, or a hung-up
				 * socket would wake us at once, again and again */
				pfd[np].fd = ev ? c->fd[k] : -1;
				pfd[np].events = ev;
				pfd[np].revents = 0;
				np++;
			}
		}
		if (wake >= 0) {
			int64_t d = wake - now;

			if (d < 0)
				d = 0;
			ts.tv_sec = (time_t)(d / 1000000000LL);
			ts.tv_nsec = (long)(d % 1000000000LL);
			tsp = &ts;
		}
		if (ppoll(pfd, np, tsp, NULL) < 0 && errno != EINTR)
			fatal("poll");
		if (stop)
			break;
		now = now_ns();
		for (i = 0; i < nl; i++) {
			struct conn *c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((c = conn_accept(&ls[i]))) {
				if (nc == capc) {
					capc = capc ? 2 * capc : 16;
					cs = realloc(cs, capc * sizeof(*cs));
					if (!cs)
						return 1;
				}
				cs[nc++] = c;
			}
		}
		for (i = 0; i < nc && nl + 2 * i + 1 < np; i++) {
			struct conn *c = cs[i];
			int k;
			bool ok = true;

			for (k = 0; k < 2 && ok; k++) {
				short re = pfd[nl + 2 * i + (size_t)k].revents;

				if (re & (POLLIN | POLLHUP | POLLERR))
					ok = dir_read(&c->d[k], now);
			}
			for (k = 0; k < 2 && ok; k++)
				ok = dir_write(&c->d[k], now);
			if (!ok || (c->d[0].shut && c->d[1].shut))
				conn_close(c);
		}
		/* drop the closed ones */
		for (i = 0; i < nc;) {
			if (cs[i]->dead) {
				free(cs[i]);
				cs[i] = cs[--nc];
			} else {
				i++;
			}
		}
	}
	fprintf(stderr, "delayproxy: %llu connections, %llu bytes, %.1f ms each way\n",
		n_conns, n_bytes, (double)delay_ns / 1e6);
	for (i = 0; i < nc; i++) {
		conn_close(cs[i]);
		free(cs[i]);
	}
	free(cs);
	free(pfd);
	for (i = 0; i < nl; i++)
		close(ls[i].fd);
	free(ls);
	if (pidfile)
		unlink(pidfile);
	return 0;
}
