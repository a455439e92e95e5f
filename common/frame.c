/*
 * frame: the wire format of every electricd socket (see frame.h): the
 * header codec, mbuf/mreader payload marshalling, SCM_RIGHTS helpers, the
 * blocking helpers (electricctl, tests, the HELLO of a fresh connection)
 * and the Unix-socket helpers.  The non-blocking channel is in chan.c.
 *
 * A passed fd travels with the first byte of its frame's header (see
 * chan.c for why that is enough to pair fds with frames on receipt).
 * frame_read_blocking gives ECONNRESET for EOF before the first byte of a
 * frame and EPROTO for EOF inside one, for an fd on a frame not flagged
 * FRAME_F_FD, and for a flagged frame without its fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "frame_int.h"
#include "log.h"
#include "msg.h"
#include "util.h"

/* ---- header codec ---- */

void
frame_hdr_encode(const struct frame_hdr *h, uint8_t out[FRAME_HDR_LEN])
{
	memcpy(out, &h->type, 2);
	memcpy(out + 2, &h->flags, 2);
	memcpy(out + 4, &h->len, 4);
	memcpy(out + 8, &h->id, 4);
	memcpy(out + 12, &h->pid, 4);
}

int
frame_hdr_decode(const uint8_t in[FRAME_HDR_LEN], size_t max_len,
    struct frame_hdr *h)
{
	memcpy(&h->type, in, 2);
	memcpy(&h->flags, in + 2, 2);
	memcpy(&h->len, in + 4, 4);
	memcpy(&h->id, in + 8, 4);
	memcpy(&h->pid, in + 12, 4);
	if (h->type == 0 || (h->flags & ~FRAME_F_FD) != 0) {
		errno = EPROTO;
		return -1;
	}
	if (h->len > max_len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* ---- payload writer ---- */

void
mbuf_init(struct mbuf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void
mbuf_free(struct mbuf *b)
{
	free(b->p);
	mbuf_init(b);
}

void
mbuf_reset(struct mbuf *b)
{
	b->len = 0;
}

static void
mbuf_put(struct mbuf *b, const void *d, size_t n)
{
	size_t cap;

	if (n == 0)
		return;
	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 64;
		while (cap - b->len < n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

void
mbuf_u8(struct mbuf *b, uint8_t v)
{
	mbuf_put(b, &v, 1);
}

void
mbuf_u16(struct mbuf *b, uint16_t v)
{
	mbuf_put(b, &v, 2);
}

void
mbuf_u32(struct mbuf *b, uint32_t v)
{
	mbuf_put(b, &v, 4);
}

void
mbuf_u64(struct mbuf *b, uint64_t v)
{
	mbuf_put(b, &v, 8);
}

void
mbuf_i32(struct mbuf *b, int32_t v)
{
	mbuf_put(b, &v, 4);
}

void
mbuf_bytes(struct mbuf *b, const void *d, size_t n)
{
	if (n > UINT32_MAX)
		fatalx("mbuf_bytes: %zu bytes do not fit a frame field", n);
	mbuf_u32(b, (uint32_t)n);
	mbuf_put(b, d, n);
}

void
mbuf_str(struct mbuf *b, const char *s)
{
	if (s == NULL)
		s = "";
	mbuf_bytes(b, s, strlen(s));
}

/* ---- payload reader ---- */

void
mr_init(struct mreader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

/* Consumes n bytes; NULL (and err set) if they are not there. */
static const uint8_t *
mr_take(struct mreader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || r->len - r->off < n) {
		r->err = 1;
		return NULL;
	}
	if (r->p == NULL)
		return (const uint8_t *)"";
	p = r->p + r->off;
	r->off += n;
	return p;
}

#define MR_GET(name, type)						\
type									\
name(struct mreader *r)							\
{									\
	const uint8_t *p = mr_take(r, sizeof(type));			\
	type v = 0;							\
									\
	if (p != NULL)							\
		memcpy(&v, p, sizeof(type));				\
	return v;							\
}

MR_GET(mr_u8, uint8_t)
MR_GET(mr_u16, uint16_t)
MR_GET(mr_u32, uint32_t)
MR_GET(mr_u64, uint64_t)
MR_GET(mr_i32, int32_t)

const uint8_t *
mr_bytes(struct mreader *r, uint32_t *len)
{
	uint32_t n = mr_u32(r);
	const uint8_t *p = mr_take(r, n);

	*len = p != NULL ? n : 0;
	return p;
}

char *
mr_str(struct mreader *r)
{
	uint32_t n;
	const uint8_t *p = mr_bytes(r, &n);
	char *s;

	if (p == NULL || memchr(p, '\0', n) != NULL) {
		r->err = 1;
		return xstrdup("");
	}
	s = xmalloc((size_t)n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
mr_done(struct mreader *r)
{
	if (r->err || r->off != r->len) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* ---- fd passing ---- */

void
frame_cmsg_put(struct msghdr *mh, union frame_cmsg *cm, int fd)
{
	struct cmsghdr *ch;

	memset(cm, 0, sizeof(*cm));
	mh->msg_control = cm->buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(int));
	ch = CMSG_FIRSTHDR(mh);
	ch->cmsg_level = SOL_SOCKET;
	ch->cmsg_type = SCM_RIGHTS;
	ch->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(ch), &fd, sizeof(int));
}

int
frame_cmsg_take(struct msghdr *mh, int *out, int max, int *bad)
{
	struct cmsghdr *ch;
	int n = 0, fd;
	size_t i, cnt;

	if (mh->msg_flags & MSG_CTRUNC)
		*bad = 1;
	for (ch = CMSG_FIRSTHDR(mh); ch != NULL; ch = CMSG_NXTHDR(mh, ch)) {
		if (ch->cmsg_level != SOL_SOCKET || ch->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (ch->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			memcpy(&fd, CMSG_DATA(ch) + i * sizeof(int), sizeof(int));
			if (n < max)
				out[n++] = fd;
			else {
				close(fd);
				*bad = 1;
			}
		}
	}
	return n;
}

/* ---- blocking helpers ---- */

/* After EAGAIN: wait on a non-blocking fd.  On a blocking fd EAGAIN means
 * that SO_RCVTIMEO/SO_SNDTIMEO expired: report ETIMEDOUT. */
static int
frame_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1 && (fl & O_NONBLOCK) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	while (poll(&p, 1, -1) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static void
iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt > 0) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

int
frame_write_blocking(int fd, uint16_t type, uint32_t id, const void *payload,
    size_t len, int pass_fd)
{
	struct frame_hdr h = { type, pass_fd >= 0 ? FRAME_F_FD : 0,
	    (uint32_t)len, id, (uint32_t)getpid() };
	uint8_t hb[FRAME_HDR_LEN];
	struct iovec iovs[2] = { { hb, FRAME_HDR_LEN },
	    { (void *)(uintptr_t)payload, len } }, *iov = iovs;
	int cnt = len > 0 ? 2 : 1;
	union frame_cmsg cm;
	struct msghdr mh;
	ssize_t n;

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	frame_hdr_encode(&h, hb);
	while (cnt > 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)cnt;
		if (pass_fd >= 0)
			frame_cmsg_put(&mh, &cm, pass_fd);
		if ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    frame_wait(fd, POLLOUT) == 0)
				continue;
			return -1;
		}
		pass_fd = -1;
		iov_advance(&iov, &cnt, (size_t)n);
	}
	return 0;
}

struct frame_rx {
	int	fds[FRAME_MAX_RXFDS];
	int	n;
	int	bad;
};

/* Reads up to n bytes, collecting fds; returns the count (< n at EOF). */
static ssize_t
frame_recv_all(int fd, uint8_t *buf, size_t n, struct frame_rx *rx)
{
	union frame_cmsg cm;
	struct msghdr mh;
	struct iovec iov;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		iov.iov_base = buf + got;
		iov.iov_len = n - got;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		if ((r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    frame_wait(fd, POLLIN) == 0)
				continue;
			return -1;
		}
		rx->n += frame_cmsg_take(&mh, rx->fds + rx->n,
		    FRAME_MAX_RXFDS - rx->n, &rx->bad);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* EOF before the first byte gives ECONNRESET, EOF inside a frame EPROTO. */
static int
frame_read_parts(int fd, size_t max_len, struct frame *out,
    struct frame_rx *rx, uint8_t **data)
{
	uint8_t hb[FRAME_HDR_LEN];
	struct frame_hdr h;
	ssize_t n;

	if ((n = frame_recv_all(fd, hb, FRAME_HDR_LEN, rx)) == -1)
		return -1;
	if (n < FRAME_HDR_LEN) {
		errno = n == 0 ? ECONNRESET : EPROTO;
		return -1;
	}
	if (frame_hdr_decode(hb, max_len, &h) == -1)
		return -1;
	*data = xmalloc((size_t)h.len + 1);
	if ((n = frame_recv_all(fd, *data, h.len, rx)) == -1)
		return -1;
	if ((size_t)n < h.len || rx->bad ||
	    rx->n != ((h.flags & FRAME_F_FD) ? 1 : 0)) {
		errno = EPROTO;
		return -1;
	}
	(*data)[h.len] = '\0';
	out->type = h.type;
	out->id = h.id;
	out->pid = (pid_t)h.pid;
	out->len = h.len;
	out->data = *data;
	out->fd = rx->n ? rx->fds[0] : -1;
	return 0;
}

/* out->data is malloc'd and NUL-terminated after len bytes. */
int
frame_read_blocking(int fd, size_t max_len, struct frame *out)
{
	struct frame_rx rx = { .n = 0 };
	uint8_t *data = NULL;
	int i, saved;

	if (frame_read_parts(fd, max_len, out, &rx, &data) == 0)
		return 0;
	saved = errno;
	for (i = 0; i < rx.n; i++)
		close(rx.fds[i]);
	free(data);
	out->data = NULL;
	out->fd = -1;
	errno = saved;
	return -1;
}

int
frame_hello_blocking(int fd, const char *role)
{
	struct mbuf m;
	struct mreader r;
	struct frame f;
	uint32_t version;
	int rc;

	mbuf_init(&m);
	mbuf_u32(&m, FRAME_VERSION);
	mbuf_str(&m, role);
	rc = frame_write_blocking(fd, MSG_HELLO, 0, m.p, m.len, -1);
	mbuf_free(&m);
	if (rc == -1 || frame_read_blocking(fd, FRAME_MAX_CTL, &f) == -1)
		return -1;
	mr_init(&r, f.data, f.len);
	version = mr_u32(&r);
	free(mr_str(&r));
	rc = f.type == MSG_HELLO && f.fd == -1 && version == FRAME_VERSION &&
	    mr_done(&r) == 0 ? 0 : -1;
	if (f.fd != -1)
		close(f.fd);
	free((void *)(uintptr_t)f.data);
	if (rc == -1)
		errno = EPROTO;
	return rc;
}

/* ---- Unix-domain sockets ---- */

static int
unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	return 0;
}

/* Non-blocking, close-on-exec, mode 0600, backlog 128.  A stale socket at
 * path is unlinked; any other kind of file there is EEXIST. */
int
unix_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc, e;

	if (unix_addr(path, &sun) == -1)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (unlink(path) == -1)
			return -1;
	} else if (errno != ENOENT)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1 || chmod(path, 0600) == -1 || listen(fd, 128) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Non-blocking, close-on-exec.  A Unix stream connect completes at once:
 * -1 with ENOENT/ECONNREFUSED when nobody listens, EAGAIN when the
 * listener's backlog is full (retry later). */
int
unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, e;

	if (unix_addr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
