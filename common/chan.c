/*
 * chan: the non-blocking framed channel on libevent that every electricd
 * process uses for its sockets (see frame.h for the API and the wire
 * format, frame.c for the codec).
 *
 * Invariants:
 * - The read event is added unless the channel is paused or closed; the
 *   write event is added exactly while output is queued (c->writing).
 * - A passed fd travels with the first byte of its frame's header: every
 *   sendmsg() that carries an fd starts at that byte, and no sendmsg()
 *   carries bytes of two fd-carrying frames.  Linux delivers the fd with
 *   the recvmsg() that reads that byte (and ends that read after the
 *   message that carried it), so the receiver queues fds in arrival order
 *   and gives the next one to the next frame flagged FRAME_F_FD.  An fd
 *   that arrived with bytes before the frame being parsed and was never
 *   claimed is a protocol error.
 * - Callbacks run with c->depth raised.  chan_free() inside a callback only
 *   marks the channel dead and stops its events; the last chan_leave()
 *   frees it.  Once closed (c->state == CHAN_CLOSED) or dead, the channel
 *   calls no callback again.
 * - A failed write does not close at once: the peer may have sent frames
 *   and exited, so input is read until it would block (close with the
 *   write's errno) or EOF (close with 0, or EPROTO inside a frame).
 * - Close errors: 0 for EOF at a frame boundary; EPROTO for a bad header, a
 *   bad HELLO, a second HELLO, a stray fd or EOF inside a frame; EMSGSIZE
 *   for a length above the channel's maximum; the errno of a failed read or
 *   write otherwise.
 * - chan_free() of an open channel makes one last non-blocking attempt to
 *   write what is queued (a reply sent just before closing usually gets
 *   out); what does not fit in the socket buffer is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include "frame.h"
#include "frame_int.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#define CHAN_IOV_MAX		64	/* iovecs per sendmsg */
#define CHAN_READ_MIN		(64u * 1024)
#define CHAN_IN_KEEP		(1u * 1024 * 1024) /* larger idle buffers are freed */

enum chan_state {
	CHAN_HELLO,		/* waiting for the peer's HELLO */
	CHAN_OPEN,
	CHAN_CLOSED		/* EOF, error or freed: no callback any more */
};

struct chan_out {
	struct chan_out	*next;
	size_t		 len;		/* header + payload */
	size_t		 off;		/* bytes written so far */
	int		 fd;		/* to pass with byte 0, or -1 */
	uint8_t		 buf[];		/* header, then payload */
};

struct chan_rxfd {
	int		 fd;
	uint64_t	 end;		/* stream position after the read
					 * that brought it */
};

struct chan {
	struct event_base	*base;
	int			 fd;
	uint32_t		 mypid;
	enum chan_state		 state;
	struct event		*rev;
	struct event		*wev;
	size_t			 max_len;
	chan_frame_cb		 frame_cb;
	chan_close_cb		 close_cb;
	chan_wm_cb		 wm_cb;
	void			*arg;
	char			*peer_role;
	pid_t			 peer_pid;

	uint8_t			*in;		/* [in_off, in_len) unparsed */
	size_t			 in_off;
	size_t			 in_len;
	size_t			 in_cap;
	uint64_t		 in_pos;	/* stream position of in[0] */
	struct chan_rxfd	*rx;		/* [rx_head, rx_n) unclaimed */
	size_t			 rx_head;
	size_t			 rx_n;
	size_t			 rx_cap;
	int			 paused;

	struct chan_out		*out;
	struct chan_out		**out_tail;
	size_t			 queued;
	size_t			 wm_high;
	int			 above;
	int			 writing;	/* wev added */
	int			 werr;		/* a write failed: drain, close */

	int			 depth;		/* callbacks running */
	int			 dead;		/* chan_free() called */
};

static void chan_destroy(struct chan *);

static int
chan_usable(const struct chan *c)
{
	return c->state != CHAN_CLOSED && !c->dead;
}

static void
chan_enter(struct chan *c)
{
	c->depth++;
}

/* Frees a channel that chan_free() marked dead once no callback runs. */
static void
chan_leave(struct chan *c)
{
	if (--c->depth == 0 && c->dead)
		chan_destroy(c);
}

/* The one transition to CHAN_CLOSED: stop the events, tell the owner. */
static void
chan_close(struct chan *c, int error)
{
	if (c->state == CHAN_CLOSED)
		return;
	c->state = CHAN_CLOSED;
	event_del(c->rev);
	event_del(c->wev);
	c->writing = 0;
	if (c->dead || c->close_cb == NULL)
		return;
	chan_enter(c);
	c->close_cb(c, error, c->arg);
	chan_leave(c);
}

static void
chan_wm_check(struct chan *c)
{
	int above;

	if (!c->above && c->queued > c->wm_high)
		above = 1;
	else if (c->above && c->queued < c->wm_high / 2)
		above = 0;
	else
		return;
	c->above = above;
	if (c->wm_cb == NULL || !chan_usable(c))
		return;
	chan_enter(c);
	c->wm_cb(c, above, c->arg);
	chan_leave(c);
}

/* Collects iovecs from the head of the queue; *pass is the fd to send. */
static int
chan_gather(struct chan *c, struct iovec *iov, size_t *total, int *pass)
{
	struct chan_out *o;
	int n = 0;

	*pass = -1;
	*total = 0;
	for (o = c->out; o != NULL && n < CHAN_IOV_MAX; o = o->next) {
		if (o->fd >= 0) {
			if (o != c->out)
				break;		/* an fd starts its own sendmsg */
			*pass = o->fd;
		}
		iov[n].iov_base = o->buf + o->off;
		iov[n].iov_len = o->len - o->off;
		*total += iov[n++].iov_len;
	}
	return n;
}

static void
chan_advance(struct chan *c, size_t n)
{
	struct chan_out *o;
	size_t k;

	while (n > 0 && (o = c->out) != NULL) {
		k = o->len - o->off < n ? o->len - o->off : n;
		o->off += k;
		c->queued -= k;
		n -= k;
		if (o->off < o->len)
			break;
		if ((c->out = o->next) == NULL)
			c->out_tail = &c->out;
		free(o);
	}
}

static void
chan_discard_output(struct chan *c)
{
	struct chan_out *o;

	while ((o = c->out) != NULL) {
		c->out = o->next;
		if (o->fd >= 0)
			close(o->fd);
		free(o);
	}
	c->out_tail = &c->out;
	c->queued = 0;
}

/* A peer that sent its last frames and exited makes our writes fail
 * before we read those frames: drop the output, read what is there, and
 * close when the input would block (or at EOF). */
static void
chan_write_failed(struct chan *c, int error)
{
	chan_discard_output(c);
	event_del(c->wev);
	c->writing = 0;
	c->werr = error;
	if (c->paused)
		chan_close(c, error);
	else
		event_active(c->rev, EV_READ, 1);
}

/* Writes as much as the socket takes.  quiet: no callbacks (chan_free). */
static void
chan_flush(struct chan *c, int quiet)
{
	struct iovec iov[CHAN_IOV_MAX];
	union frame_cmsg cm;
	struct msghdr mh;
	size_t total;
	ssize_t n;
	int pass;

	while (c->out != NULL && chan_usable(c)) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)chan_gather(c, iov, &total, &pass);
		if (pass >= 0)
			frame_cmsg_put(&mh, &cm, pass);
		if ((n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK && !quiet)
				chan_write_failed(c, errno);
			return;
		}
		if (pass >= 0) {
			close(pass);	/* in flight now */
			c->out->fd = -1;
		}
		chan_advance(c, (size_t)n);
		if (!quiet)
			chan_wm_check(c);
		if ((size_t)n < total)
			return;		/* socket full: wait for EV_WRITE */
	}
	if (c->out == NULL && c->writing) {
		event_del(c->wev);
		c->writing = 0;
	}
}

static void
chan_write_cb(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct chan *c = arg;

	chan_enter(c);
	chan_flush(c, 0);
	chan_leave(c);
}

void
chan_push(struct chan *c)
{
	if (!chan_usable(c) || c->werr || c->out == NULL)
		return;
	chan_enter(c);
	chan_flush(c, 0);
	chan_leave(c);
}

static void
chan_queue(struct chan *c, uint16_t type, uint32_t id, const void *payload,
    size_t len, int fd)
{
	struct frame_hdr h = { type, fd >= 0 ? FRAME_F_FD : 0, (uint32_t)len,
	    id, c->mypid };
	struct chan_out *o;

	o = xmalloc(sizeof(*o) + FRAME_HDR_LEN + len);
	o->next = NULL;
	o->len = FRAME_HDR_LEN + len;
	o->off = 0;
	o->fd = fd;
	frame_hdr_encode(&h, o->buf);
	if (len > 0)
		memcpy(o->buf + FRAME_HDR_LEN, payload, len);
	*c->out_tail = o;
	c->out_tail = &o->next;
	c->queued += o->len;
	if (!c->writing) {
		event_add(c->wev, NULL);
		c->writing = 1;
	}
}

int
chan_send(struct chan *c, uint16_t type, uint32_t id, const void *payload,
    size_t len, int pass_fd)
{
	int fd = -1;

	if (!chan_usable(c) || c->werr) {
		errno = EPIPE;
		return -1;
	}
	if (type == 0)
		fatalx("chan_send: frame type 0");
	if (len > c->max_len || len > UINT32_MAX) {
		log_warnx("chan_send: %s frame of %zu bytes exceeds %zu",
		    msg_name(type), len, c->max_len);
		errno = EMSGSIZE;
		return -1;
	}
	if (pass_fd >= 0 && (fd = fcntl(pass_fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	chan_queue(c, type, id, payload, len, fd);
	chan_wm_check(c);
	return 0;
}

int
chan_sendm(struct chan *c, uint16_t type, uint32_t id, const struct mbuf *m)
{
	return chan_send(c, type, id, m->p, m->len, -1);
}

/* The peer's first frame: a HELLO of our version, without an fd. */
static void
chan_hello(struct chan *c, struct frame *f)
{
	struct mreader r;
	uint32_t version;
	char *role;

	mr_init(&r, f->data, f->len);
	version = mr_u32(&r);
	role = mr_str(&r);
	if (f->type != MSG_HELLO || f->fd != -1 || mr_done(&r) == -1 ||
	    version != FRAME_VERSION) {
		if (f->type == MSG_HELLO && version != FRAME_VERSION)
			log_warnx("peer %s (pid %d) speaks frame protocol "
			    "version %u, we speak %u", role, (int)f->pid,
			    version, FRAME_VERSION);
		free(role);
		if (f->fd != -1)
			close(f->fd);
		chan_close(c, EPROTO);
		return;
	}
	c->peer_role = role;
	c->peer_pid = f->pid;
	c->state = CHAN_OPEN;
}

static void
chan_deliver(struct chan *c, struct frame *f)
{
	if (c->state == CHAN_HELLO) {
		chan_hello(c, f);
		return;
	}
	if (f->type == MSG_HELLO || c->frame_cb == NULL) {
		if (f->fd != -1)
			close(f->fd);
		if (f->type == MSG_HELLO)
			chan_close(c, EPROTO);
		return;
	}
	chan_enter(c);
	c->frame_cb(c, f, c->arg);
	chan_leave(c);
}

/* Gives the frame starting at stream position pos its fd, if flagged. */
static int
chan_claim_fd(struct chan *c, const struct frame_hdr *h, uint64_t pos, int *fd)
{
	*fd = -1;
	if (c->rx_head < c->rx_n && c->rx[c->rx_head].end <= pos)
		return -1;		/* came with earlier bytes, unclaimed */
	if ((h->flags & FRAME_F_FD) == 0)
		return 0;
	if (c->rx_head == c->rx_n)
		return -1;
	*fd = c->rx[c->rx_head++].fd;
	if (c->rx_head == c->rx_n)
		c->rx_head = c->rx_n = 0;
	return 0;
}

/* Delivers the complete buffered frames.  Returns 0 when more input is
 * wanted, -1 when the channel is paused, closed or dead. */
static int
chan_dispatch(struct chan *c)
{
	struct frame_hdr h;
	struct frame f;
	size_t avail;
	int e;

	while (chan_usable(c) && !c->paused) {
		avail = c->in_len - c->in_off;
		if (avail < FRAME_HDR_LEN)
			return 0;
		if (frame_hdr_decode(c->in + c->in_off, c->max_len, &h) == -1) {
			e = errno;
			chan_close(c, e);
			return -1;
		}
		if (avail - FRAME_HDR_LEN < h.len)
			return 0;
		if (chan_claim_fd(c, &h, c->in_pos + c->in_off, &f.fd) == -1) {
			chan_close(c, EPROTO);
			return -1;
		}
		f.type = h.type;
		f.id = h.id;
		f.pid = (pid_t)h.pid;
		f.len = h.len;
		f.data = c->in + c->in_off + FRAME_HDR_LEN;
		c->in_off += FRAME_HDR_LEN + h.len;
		chan_deliver(c, &f);
	}
	return -1;
}

/* Makes room for the next read: compacts, and for a frame whose header is
 * in, room for all of it at once. */
static void
chan_in_reserve(struct chan *c)
{
	size_t avail = c->in_len - c->in_off, want = CHAN_READ_MIN;
	struct frame_hdr h;

	if (c->in_off > 0) {
		if (avail > 0)
			memmove(c->in, c->in + c->in_off, avail);
		c->in_pos += c->in_off;
		c->in_off = 0;
		c->in_len = avail;
	}
	if (avail == 0 && c->in_cap > CHAN_IN_KEEP) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
	if (avail >= FRAME_HDR_LEN &&
	    frame_hdr_decode(c->in, c->max_len, &h) == 0 &&
	    FRAME_HDR_LEN + h.len - avail > want)
		want = FRAME_HDR_LEN + h.len - avail;
	if (c->in_cap - c->in_len < want) {
		c->in_cap = c->in_len + want;
		c->in = xrealloc(c->in, c->in_cap);
	}
}

static int
chan_take_fds(struct chan *c, struct msghdr *mh, uint64_t end)
{
	int fds[FRAME_MAX_RXFDS], n, i, bad = 0;

	n = frame_cmsg_take(mh, fds, FRAME_MAX_RXFDS, &bad);
	for (i = 0; i < n; i++) {
		if (c->rx_n == c->rx_cap) {
			c->rx_cap = c->rx_cap ? c->rx_cap * 2 : 4;
			c->rx = xrealloc(c->rx, c->rx_cap * sizeof(*c->rx));
		}
		c->rx[c->rx_n].fd = fds[i];
		c->rx[c->rx_n++].end = end;
	}
	return bad ? -1 : 0;
}

static void
chan_recv(struct chan *c)
{
	union frame_cmsg cm;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	chan_in_reserve(c);
	iov.iov_base = c->in + c->in_len;
	iov.iov_len = c->in_cap - c->in_len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			chan_close(c, errno);
		else if (c->werr && errno != EINTR)
			chan_close(c, c->werr);
		return;
	}
	if (chan_take_fds(c, &mh, c->in_pos + c->in_len + (size_t)n) == -1) {
		chan_close(c, EPROTO);
		return;
	}
	if (n == 0) {
		chan_close(c, c->in_len > c->in_off ? EPROTO : 0);
		return;
	}
	c->in_len += (size_t)n;
	chan_dispatch(c);
}

static void
chan_read_cb(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct chan *c = arg;

	chan_enter(c);
	if (chan_dispatch(c) == 0)	/* frames left by a pause first */
		chan_recv(c);
	chan_leave(c);
}

struct chan *
chan_new(struct event_base *base, int fd, const char *my_role, size_t max_len,
    chan_frame_cb frame_cb, chan_close_cb close_cb, void *arg)
{
	struct chan *c;
	struct mbuf m;

	if (fd_nonblock(fd) == -1 || fd_cloexec(fd) == -1) {
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->fd = fd;
	c->mypid = (uint32_t)getpid();
	c->state = CHAN_HELLO;
	c->max_len = max_len;
	c->frame_cb = frame_cb;
	c->close_cb = close_cb;
	c->arg = arg;
	c->out_tail = &c->out;
	c->wm_high = CHAN_HIGH_WATERMARK;
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, chan_read_cb, c);
	c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, chan_write_cb, c);
	if (c->rev == NULL || c->wev == NULL)
		fatalx("chan_new: event_new failed");
	event_add(c->rev, NULL);
	mbuf_init(&m);
	mbuf_u32(&m, FRAME_VERSION);
	mbuf_str(&m, my_role);
	chan_queue(c, MSG_HELLO, 0, m.p, m.len, -1);
	mbuf_free(&m);
	return c;
}

static void
chan_destroy(struct chan *c)
{
	size_t i;

	event_free(c->rev);
	event_free(c->wev);
	close(c->fd);
	chan_discard_output(c);
	for (i = c->rx_head; i < c->rx_n; i++)
		close(c->rx[i].fd);
	free(c->rx);
	free(c->in);
	free(c->peer_role);
	free(c);
}

void
chan_free(struct chan *c)
{
	if (c == NULL || c->dead)
		return;
	if (c->state != CHAN_CLOSED)
		chan_flush(c, 1);
	c->dead = 1;
	c->state = CHAN_CLOSED;
	event_del(c->rev);
	event_del(c->wev);
	c->writing = 0;
	if (c->depth == 0)
		chan_destroy(c);
}

size_t
chan_queued(const struct chan *c)
{
	return c->queued;
}

void
chan_set_watermark(struct chan *c, size_t high, chan_wm_cb cb)
{
	c->wm_high = high ? high : CHAN_HIGH_WATERMARK;
	c->wm_cb = cb;
}

void
chan_pause_read(struct chan *c, int paused)
{
	paused = paused != 0;
	if (c->paused == paused)
		return;
	c->paused = paused;
	if (!chan_usable(c))
		return;
	if (paused)
		event_del(c->rev);
	else {
		event_add(c->rev, NULL);
		if (c->in_len > c->in_off)	/* frames held back */
			event_active(c->rev, EV_READ, 1);
	}
}

const char *
chan_peer_role(const struct chan *c)
{
	return c->peer_role;
}

pid_t
chan_peer_pid(const struct chan *c)
{
	return c->peer_pid;
}

int
chan_input_pending(const struct chan *c)
{
	int n = 0;

	if (c->in_len > c->in_off)
		return 1;
	return chan_usable(c) && ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

int
chan_fd(const struct chan *c)
{
	return c->fd;
}

void *
chan_arg(const struct chan *c)
{
	return c->arg;
}

void
chan_set_arg(struct chan *c, void *arg)
{
	c->arg = arg;
}
