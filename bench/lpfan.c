/*
 * lpfan: many keep-alive long-poll clients in one C process (epoll), the
 * cheap counterpart of bench/lpclients.mjs's node workers.  On two cores
 * shared with electricd and Postgres, node spends about as much CPU
 * reading 10,000 answers as electricd spends writing them; this client
 * costs a read and a header scan per answer, so scenario 6 measures
 * electricd rather than its clients.  Driven by lpclients.mjs (impl 'c')
 * over stdin/stdout, one command per line:
 *
 *   (start-up)      bin/lpfan HOST PORT PATH N: connects N sockets,
 *                   prints "opened"
 *   start           followed by N lines "QUERY\tOFFSET\tHANDLE\tCURSOR\tLIVE"
 *                   (LIVE 0: catch-up, 1: long-poll, 2: SSE); sends every
 *                   first request, prints "started"
 *   poll            prints "poll ANSWERS DATA ERRORS RECONNECTS MINDATA LAST"
 *   times K         prints "times" and, per client, " T:STATUS" of its K-th
 *                   data answer (T: CLOCK_MONOTONIC ns, the clock of node's
 *                   process.hrtime) or " -"
 *   stop            closes everything, prints "stopped", exits
 *
 * Each client follows its shape: after every answer it asks again with
 * the answer's electric-offset and electric-cursor (503/429: after
 * 200 ms).  Bodies with content-length or chunked, as in follow.c; not a
 * general HTTP client.  An SSE client (LIVE 2) keeps its one streaming
 * answer open and counts each chunk that carries a change (an event with
 * an "operation") as a data answer; the end of its stream counts as an
 * error (the bench runs for less than the stream's 60 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF_LEN	(64u * 1024)
#define RETRY_NS	200000000ull

struct lc {
	int		 fd;
	int		 idx;
	char		*buf;		/* unread bytes: buf[0, len) */
	size_t		 len, cap;
	char		*query, *handle;
	char		 offset[64], cursor[64];
	int		 live;		/* 0 no, 1 long-poll, 2 SSE */
	int		 streaming;	/* SSE: reading the chunks of a stream */
	uint64_t	*t;		/* data answers: time and status */
	int		*st;
	size_t		 nt, tcap;
	uint64_t	 retry_at;	/* 0: none pending */
};

static struct lc *lcs;
static int nlc, ep;
static const char *host, *path;
static int port;
static unsigned long long answers, data, errors, reconnects;
static char last_error[16];
static int stopping;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "lpfan: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("out of memory");
	return p;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A blocking connect (start-up and reconnects only), then non-blocking. */
static void
lc_connect(struct lc *c)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("bad host %s", host);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("connect: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)c->idx + 1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		die("epoll_ctl: %s", strerror(errno));
	c->len = 0;
}

static void
lc_send(struct lc *c)
{
	char req[8192];
	int n;

	n = snprintf(req, sizeof(req), "GET %s?%s&offset=%s&handle=%s%s%s%s "
	    "HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n%s\r\n",
	    path, c->query, c->offset, c->handle,
	    c->live == 2 ? "&live_sse=true" : "",
	    c->live ? "&live=true&cursor=" : "", c->live ? c->cursor : "", host,
	    c->live == 2 ? "Accept: text/event-stream\r\n" : "");
	if (n <= 0 || (size_t)n >= sizeof(req))
		die("request too long");
	/* A request is far below the socket buffer of an idle connection. */
	if (write(c->fd, req, (size_t)n) != n)
		die("write: %s", strerror(errno));
}

/* Header value of name in the head [h, e), copied into out (or "" ). */
static int
hdr(const char *h, const char *e, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = h, *le, *v;

	while (p < e && (le = memmem(p, (size_t)(e - p), "\r\n", 2)) != NULL) {
		if ((size_t)(le - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			v = p + nl + 1;
			while (v < le && *v == ' ')
				v++;
			if ((size_t)(le - v) >= outsz)
				return -1;
			memcpy(out, v, (size_t)(le - v));
			out[le - v] = '\0';
			return 0;
		}
		p = le + 2;
	}
	if (outsz > 0)
		out[0] = '\0';
	return -1;
}

/* Bytes after the head that complete the body, or -1. */
static long
body_end(const char *b, size_t n, long long clen, int chunked, int status)
{
	size_t p = 0;
	const char *e;
	unsigned long size;

	if (clen >= 0)
		return (size_t)clen <= n ? (long)clen : -1;
	if (!chunked)
		return status == 304 || status == 204 ? 0 : -1;
	for (;;) {
		if ((e = memmem(b + p, n - p, "\r\n", 2)) == NULL)
			return -1;
		size = strtoul(b + p, NULL, 16);
		if (size == 0)
			return (size_t)(e - b) + 4 <= n ? (long)(e - b) + 4 : -1;
		p = (size_t)(e - b) + 2 + size + 2;
		if (p > n)
			return -1;
	}
}

static void
lc_record(struct lc *c, uint64_t t, int status)
{
	if (c->nt == c->tcap) {
		c->tcap = c->tcap ? 2 * c->tcap : 8;
		c->t = xrealloc(c->t, c->tcap * sizeof(*c->t));
		c->st = xrealloc(c->st, c->tcap * sizeof(*c->st));
	}
	c->t[c->nt] = t;
	c->st[c->nt++] = status;
}

/* One whole answer (head [0, hl), body after it) has arrived. */
static void
lc_answer(struct lc *c, int status, const char *h, const char *he)
{
	uint64_t t = now_ns();
	char v[64];

	answers++;
	hdr(h, he, "electric-has-data", v, sizeof(v));
	if (status == 200 && strcmp(v, "false") != 0) {
		data++;
		if (c->live)
			lc_record(c, t, status);
	} else if (status != 200 && status != 304) {
		errors++;
		snprintf(last_error, sizeof(last_error), "%d", status);
	}
	if (!c->live)
		lc_record(c, t, status);
	if (hdr(h, he, "electric-offset", v, sizeof(v)) == 0 && v[0])
		snprintf(c->offset, sizeof(c->offset), "%s", v);
	if (hdr(h, he, "electric-cursor", v, sizeof(v)) == 0)
		snprintf(c->cursor, sizeof(c->cursor), "%s", v);
	if (stopping || !c->live)
		return;
	if (status >= 400)
		c->retry_at = now_ns() + RETRY_NS;
	else
		lc_send(c);
}

/* SSE: consumes the complete chunks in c's buffer; 0 when it needs more. */
static int
lc_stream(struct lc *c)
{
	const char *e;
	unsigned long size;
	size_t used;

	if ((e = memmem(c->buf, c->len, "\r\n", 2)) == NULL)
		return 0;
	size = strtoul(c->buf, NULL, 16);
	used = (size_t)(e - c->buf) + 2 + size + 2;
	if (used > c->len)
		return 0;
	if (size == 0) {
		c->streaming = 0;
		errors++;
		snprintf(last_error, sizeof(last_error), "sse-end");
	} else if (memmem(e + 2, size, "\"operation\"", 11) != NULL) {
		data++;
		lc_record(c, now_ns(), 200);
	}
	answers++;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	return 1;
}

/* Parses every complete answer in c's buffer. */
static void
lc_parse(struct lc *c)
{
	char v[32];
	const char *he;
	long long clen;
	long bl;
	size_t hl;
	int status;

	for (;;) {
		if (c->streaming) {
			if (!lc_stream(c))
				return;
			continue;
		}
		if ((he = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
			return;
		hl = (size_t)(he - c->buf) + 4;
		if (c->len < 12 || sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
			die("bad status line");
		clen = hdr(c->buf, he + 2, "content-length", v, sizeof(v)) == 0 ?
		    atoll(v) : -1;
		hdr(c->buf, he + 2, "transfer-encoding", v, sizeof(v));
		if (c->live == 2 && status == 200 && clen < 0 &&
		    strcasestr(v, "chunked") != NULL) {
			c->streaming = 1;	/* the stream's head */
			memmove(c->buf, c->buf + hl, c->len - hl);
			c->len -= hl;
			continue;
		}
		bl = body_end(c->buf + hl, c->len - hl, clen,
		    strcasestr(v, "chunked") != NULL, status);
		if (bl < 0)
			return;
		lc_answer(c, status, c->buf, he + 2);
		memmove(c->buf, c->buf + hl + (size_t)bl, c->len - hl - (size_t)bl);
		c->len -= hl + (size_t)bl;
	}
}

static void
lc_readable(struct lc *c)
{
	ssize_t n;

	for (;;) {
		if (c->cap - c->len < RBUF_LEN) {
			c->cap = c->len + 2 * RBUF_LEN;
			c->buf = xrealloc(c->buf, c->cap);
		}
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			lc_parse(c);
			if ((size_t)n < c->cap - c->len)
				return;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		close(c->fd);	/* closed by the server: reconnect, ask again */
		reconnects++;
		if (stopping)
			return;
		lc_connect(c);
		lc_send(c);
		return;
	}
}

static char *
next_field(char **p)
{
	char *s = *p, *t = strchr(s, '\t');

	if (t != NULL) {
		*t = '\0';
		*p = t + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

/* One line of "start": the spec of client i. */
static void
spec_line(int i, char *p)
{
	struct lc *c = &lcs[i];

	c->query = strdup(next_field(&p));
	snprintf(c->offset, sizeof(c->offset), "%s", next_field(&p));
	c->handle = strdup(next_field(&p));
	snprintf(c->cursor, sizeof(c->cursor), "%s", next_field(&p));
	c->live = atoi(next_field(&p));
}

static void
cmd_times(int k)
{
	int i;

	printf("times");
	for (i = 0; i < nlc; i++)
		if (k >= 1 && (size_t)k <= lcs[i].nt)
			printf(" %llu:%d", (unsigned long long)lcs[i].t[k - 1],
			    lcs[i].st[k - 1]);
		else
			printf(" -");
	printf("\n");
}

static void
cmd_poll(void)
{
	size_t min = (size_t)-1;
	int i;

	for (i = 0; i < nlc; i++)
		if (lcs[i].nt < min)
			min = lcs[i].nt;
	printf("poll %llu %llu %llu %llu %zu %s\n", answers, data, errors,
	    reconnects, nlc ? min : 0, last_error[0] ? last_error : "-");
}

/* One command line; returns 0 after stop.  specs > 0: that many spec
 * lines of a "start" are still to come. */
static int specs = -1;

static int
command(char *line)
{
	int i, k;

	if (specs >= 0) {
		spec_line(nlc - specs, line);
		if (--specs > 0)
			return 1;
		specs = -1;
		for (i = 0; i < nlc; i++)
			lc_send(&lcs[i]);
		printf("started\n");
	} else if (strcmp(line, "start") == 0) {
		if ((specs = nlc) > 0)
			return 1;
		specs = -1;
		printf("started\n");
	} else if (strcmp(line, "poll") == 0) {
		cmd_poll();
	} else if (sscanf(line, "times %d", &k) == 1) {
		cmd_times(k);
	} else if (strcmp(line, "stop") == 0) {
		return 0;
	} else {
		die("unknown command: %s", line);
	}
	fflush(stdout);
	return 1;
}

/* stdin is readable: runs every whole line; returns 0 after stop or EOF. */
static int
commands(void)
{
	static char *buf;
	static size_t len, cap;
	char *nl, *p;
	ssize_t n;

	if (cap - len < 65536) {
		cap = 2 * cap + 65536;
		buf = xrealloc(buf, cap);
	}
	if ((n = read(0, buf + len, cap - len)) <= 0)
		return n == -1 && errno == EINTR;
	len += (size_t)n;
	p = buf;
	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		*nl = '\0';
		if (!command(p))
			return 0;
		p = nl + 1;
	}
	len -= (size_t)(p - buf);
	memmove(buf, p, len);
	return 1;
}

static void
retries(void)
{
	uint64_t now = now_ns();
	int i;

	for (i = 0; i < nlc; i++)
		if (lcs[i].retry_at != 0 && lcs[i].retry_at <= now) {
			lcs[i].retry_at = 0;
			lc_send(&lcs[i]);
		}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256], ev;
	int i, n;

	if (argc != 5)
		die("usage: lpfan HOST PORT PATH N");
	host = argv[1];
	port = atoi(argv[2]);
	path = argv[3];
	nlc = atoi(argv[4]);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	lcs = calloc((size_t)nlc, sizeof(*lcs));
	for (i = 0; i < nlc; i++) {
		lcs[i].idx = i;
		lc_connect(&lcs[i]);
	}
	ev.events = EPOLLIN;
	ev.data.u32 = 0;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == -1)
		die("epoll_ctl stdin: %s", strerror(errno));
	printf("opened\n");
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 256, 50);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0) {
				if (!commands()) {
					stopping = 1;
					printf("stopped\n");
					fflush(stdout);
					return 0;
				}
				continue;
			}
			lc_readable(&lcs[evs[i].data.u32 - 1]);
		}
		retries();
	}
}
