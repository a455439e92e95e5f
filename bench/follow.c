/*
 * follow: a shape client as cheap as `psql -c "COPY ..." > /dev/null`, for
 * scenario 4 (bench/s4_initial_sync.mjs).  Follows one shape from
 * offset=-1 through every chunk to up-to-date over one keep-alive HTTP/1.1
 * connection, throwing the bodies away, and prints one JSON line:
 * {"ms":..,"requests":..,"bytes":..,"handle":..,"offset":..}.
 *
 *   bin/follow HOST PORT 'PATH?QUERY'     e.g. 127.0.0.1 3000
 *                                         '/v1/shape?table=t'
 *
 * Retries 503 and 429 after 50 ms; any other status but 200 is an error
 * (exit 1).  Bodies with content-length or chunked; reconnects when the
 * server closes.  Not a general HTTP client: just enough for electricd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_LEN		(1u << 20)
#define HDR_MAX		(64u * 1024)

struct conn {
	int	 fd;
	char	*buf;		/* read buffer */
	size_t	 off, len;	/* unread bytes: buf[off, len) */
};

struct reply {
	int	 status;
	long long clen;		/* -1: none */
	int	 chunked, close, utd;
	char	 handle[128], offset[64];
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	fprintf(stderr, "follow: %s: %s\n", what, errno ? strerror(errno) : "");
	exit(1);
}

static void
conn_open(struct conn *c, const char *host, int port)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("host must be an IPv4 address");
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("connect");
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->off = c->len = 0;
}

/* Makes at least one more byte available; 0 at EOF. */
static int
fill(struct conn *c)
{
	ssize_t n;

	if (c->off > 0 && c->off == c->len)
		c->off = c->len = 0;
	if (c->len == BUF_LEN) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	do
		n = read(c->fd, c->buf + c->len, BUF_LEN - c->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		die("read");
	c->len += (size_t)n;
	return n > 0;
}

/* Reads one CRLF-terminated line into out (NUL-terminated, no CRLF). */
static void
read_line(struct conn *c, char *out, size_t max)
{
	size_t n = 0;
	char ch;

	for (;;) {
		if (c->off == c->len && !fill(c))
			die("connection closed in the headers");
		ch = c->buf[c->off++];
		if (ch == '\n')
			break;
		if (ch != '\r' && n + 1 < max)
			out[n++] = ch;
	}
	out[n] = '\0';
}

static void
header(struct reply *r, char *line)
{
	char *v = strchr(line, ':');

	if (v == NULL)
		return;
	*v++ = '\0';
	while (*v == ' ')
		v++;
	if (strcasecmp(line, "content-length") == 0)
		r->clen = atoll(v);
	else if (strcasecmp(line, "transfer-encoding") == 0)
		r->chunked = strcasestr(v, "chunked") != NULL;
	else if (strcasecmp(line, "connection") == 0)
		r->close = strcasestr(v, "close") != NULL;
	else if (strcasecmp(line, "electric-up-to-date") == 0)
		r->utd = 1;
	else if (strcasecmp(line, "electric-handle") == 0)
		snprintf(r->handle, sizeof(r->handle), "%s", v);
	else if (strcasecmp(line, "electric-offset") == 0)
		snprintf(r->offset, sizeof(r->offset), "%s", v);
}

/* Skips n body bytes; returns them. */
static long long
skip(struct conn *c, long long n)
{
	long long left = n;
	size_t k;

	while (left > 0) {
		if (c->off == c->len && !fill(c))
			die("connection closed in a body");
		k = c->len - c->off;
		if ((long long)k > left)
			k = (size_t)left;
		c->off += k;
		left -= (long long)k;
	}
	return n;
}

static long long
read_body(struct conn *c, const struct reply *r)
{
	char line[256];
	long long total = 0, n;

	if (!r->chunked)
		return r->clen > 0 ? skip(c, r->clen) : 0;
	for (;;) {
		read_line(c, line, sizeof(line));
		n = strtoll(line, NULL, 16);
		if (n == 0)
			break;
		total += skip(c, n);
		read_line(c, line, sizeof(line));
	}
	read_line(c, line, sizeof(line));	/* no trailers expected */
	return total;
}

static void
request(struct conn *c, const char *host, const char *path,
    const char *handle, const char *offset, struct reply *r)
{
	char req[4096], line[HDR_MAX];
	int n;

	n = snprintf(req, sizeof(req), "GET %s&offset=%s%s%s HTTP/1.1\r\n"
	    "Host: %s\r\n\r\n", path, offset, *handle ? "&handle=" : "",
	    handle, host);
	if (n <= 0 || (size_t)n >= sizeof(req))
		die("request too long");
	if (write(c->fd, req, (size_t)n) != n)
		die("write");
	memset(r, 0, sizeof(*r));
	r->clen = -1;
	read_line(c, line, sizeof(line));
	if (sscanf(line, "HTTP/%*s %d", &r->status) != 1)
		die("bad status line");
	for (;;) {
		read_line(c, line, sizeof(line));
		if (line[0] == '\0')
			break;
		header(r, line);
	}
}

int
main(int argc, char **argv)
{
	char handle[128] = "", offset[64] = "-1";
	long long bytes = 0, requests = 0;
	struct conn c;
	struct reply r;
	double t0;

	if (argc != 4) {
		fprintf(stderr, "usage: follow HOST PORT 'PATH?QUERY'\n");
		return 2;
	}
	if ((c.buf = malloc(BUF_LEN)) == NULL)
		die("malloc");
	t0 = now_ms();
	conn_open(&c, argv[1], atoi(argv[2]));
	for (;;) {
		request(&c, argv[1], argv[3], handle, offset, &r);
		bytes += read_body(&c, &r);
		requests++;
		if (r.close) {
			close(c.fd);
			conn_open(&c, argv[1], atoi(argv[2]));
		}
		if (r.status == 503 || r.status == 429) {
			usleep(50000);
			continue;
		}
		if (r.status != 200) {
			fprintf(stderr, "follow: status %d at offset %s\n",
			    r.status, offset);
			return 1;
		}
		snprintf(handle, sizeof(handle), "%s", r.handle);
		snprintf(offset, sizeof(offset), "%s", r.offset);
		if (r.utd)
			break;
	}
	printf("{\"ms\":%.3f,\"requests\":%lld,\"bytes\":%lld,"
	    "\"handle\":\"%s\",\"offset\":\"%s\"}\n", now_ms() - t0, requests,
	    bytes, handle, offset);
	return 0;
}
