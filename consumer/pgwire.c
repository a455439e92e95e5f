/*
 * pgwire: a minimal blocking client of the Postgres v3 protocol on a lent
 * socket (pgwire.h).  Message framing: one type byte, a big-endian u32
 * length that counts itself, then the body.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pgwire.h"

#define PGW_READ_MIN	(64u * 1024)

void
pgw_init(struct pgw *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->idle = 1;
}

void
pgw_free(struct pgw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->start = w->end = 0;
}

static int
pgw_broke(struct pgw *w, const char *what)
{
	if (!w->broken)
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", what);
	w->broken = 1;
	return -1;
}

static uint32_t
pgw_be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	    (uint32_t)u[2] << 8 | u[3];
}

static int
pgw_wait(struct pgw *w, short events)
{
	struct pollfd p = { .fd = w->fd, .events = events };

	while (poll(&p, 1, -1) == -1)
		if (errno != EINTR)
			return pgw_broke(w, strerror(errno));
	return 0;
}

int
pgw_query(struct pgw *w, const char *sql)
{
	size_t n = strlen(sql), len = 1 + 4 + n + 1, off = 0;
	char *m = xmalloc(len);
	uint32_t be = htobe32((uint32_t)(4 + n + 1));
	ssize_t k;

	w->sqlstate[0] = w->errmsg[0] = '\0';
	w->idle = 0;
	m[0] = 'Q';
	memcpy(m + 1, &be, 4);
	memcpy(m + 5, sql, n + 1);
	while (!w->broken && off < len) {
		k = send(w->fd, m + off, len - off, MSG_NOSIGNAL);
		if (k > 0)
			off += (size_t)k;
		else if (k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			(void)pgw_wait(w, POLLOUT);
		else if (k == -1 && errno != EINTR)
			(void)pgw_broke(w, strerror(errno));
	}
	free(m);
	return w->broken ? -1 : 0;
}

/* Makes at least need bytes available from start: compacts, grows and
 * reads (at least PGW_READ_MIN at a time when there is room). */
static int
pgw_fill(struct pgw *w, size_t need)
{
	ssize_t k;

	if (w->end - w->start >= need)
		return 0;
	if (w->start > 0) {
		memmove(w->buf, w->buf + w->start, w->end - w->start);
		w->end -= w->start;
		w->start = 0;
	}
	if (w->cap < need + PGW_READ_MIN) {
		w->cap = need + PGW_READ_MIN;
		w->buf = xrealloc(w->buf, w->cap);
	}
	while (w->end < need) {
		k = recv(w->fd, w->buf + w->end, w->cap - w->end, 0);
		if (k > 0)
			w->end += (size_t)k;
		else if (k == 0)
			return pgw_broke(w, "server closed the connection");
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (pgw_wait(w, POLLIN) == -1)
				return -1;
		} else if (errno != EINTR)
			return pgw_broke(w, strerror(errno));
	}
	return 0;
}

void
pgw_parse_error(struct pgw *w, const char *body, uint32_t len)
{
	const char *p = body, *end = body + len, *z;

	snprintf(w->sqlstate, sizeof(w->sqlstate), "%s", "");
	snprintf(w->errmsg, sizeof(w->errmsg), "%s", "unknown error");
	while (p < end && *p != '\0') {
		if ((z = memchr(p + 1, '\0', (size_t)(end - p - 1))) == NULL)
			return;
		if (*p == 'C')
			snprintf(w->sqlstate, sizeof(w->sqlstate), "%s", p + 1);
		else if (*p == 'M')
			snprintf(w->errmsg, sizeof(w->errmsg), "%s", p + 1);
		p = z + 1;
	}
}

int
pgw_next(struct pgw *w, char *type, char **body, uint32_t *len)
{
	uint32_t n;

	if (w->broken || pgw_fill(w, 5) == -1)
		return -1;
	n = pgw_be32(w->buf + w->start + 1);
	if (n < 4 || n > PGW_MAX_MSG)
		return pgw_broke(w, "malformed message from the server");
	if (pgw_fill(w, 1 + (size_t)n) == -1)
		return -1;
	*type = w->buf[w->start];
	*body = w->buf + w->start + 5;
	*len = n - 4;
	w->start += 1 + (size_t)n;
	w->idle = *type == 'Z';
	if (*type == 'E')
		pgw_parse_error(w, *body, *len);
	else if (*type == 'Z') {
		if (*len != 1)
			return pgw_broke(w, "malformed ReadyForQuery");
		w->txstatus = **body;
	}
	return 0;
}

int
pgw_datarow_first(const char *body, uint32_t len, const char **val,
    uint32_t *vlen)
{
	uint32_t n;

	if (len < 6 || (body[0] == 0 && body[1] == 0))
		return -1;
	n = pgw_be32(body + 2);
	if (n == UINT32_MAX || n > len - 6)
		return -1;
	*val = body + 6;
	*vlen = n;
	return 0;
}
