/*
 * frame: the one framed protocol between electricd processes and between
 * electricctl and the root (ARCHITECTURE.md §3).
 *
 * Wire format of a frame: a 16-byte header in host byte order
 *     u16 type | u16 flags | u32 len | u32 id | u32 pid
 * followed by len payload bytes.  flags bit 0 (FRAME_F_FD) says that exactly
 * one file descriptor travels with the frame (SCM_RIGHTS, sent with the
 * header's first byte).  A len above the channel's maximum, an unknown flag
 * or a type of 0 is a protocol error.
 *
 * Payloads are marshalled field by field with struct mbuf (writer) and
 * struct mreader (reader): integers in host order, strings and byte strings
 * as u32 length + bytes.  Never memcpy a struct onto the wire.
 *
 * struct chan is a non-blocking channel on libevent: partial reads and
 * writes are normal, outgoing frames queue in memory, and the queue has a
 * high watermark whose callback lets the producer stop reading its own
 * input (backpressure).  The first frame on every channel, in each
 * direction, is MSG_HELLO (u32 FRAME_VERSION, str role); chan sends it
 * itself on creation and closes the channel with EPROTO if the peer's first
 * frame is not a HELLO of the same version.  HELLO is never passed to the
 * frame callback; chan_peer_role() tells what the peer said it was.
 */
#ifndef ELECTRICD_FRAME_H
#define ELECTRICD_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define FRAME_VERSION		1
#define FRAME_HDR_LEN		16
#define FRAME_F_FD		0x0001
#define FRAME_MAX_DEFAULT	(64u * 1024 * 1024)
#define FRAME_MAX_CTL		(1u * 1024 * 1024)
#define CHAN_HIGH_WATERMARK	(8u * 1024 * 1024)

struct frame_hdr {
	uint16_t	type;
	uint16_t	flags;
	uint32_t	len;
	uint32_t	id;
	uint32_t	pid;
};

/* A received frame.  data/len are borrowed for the duration of the
 * callback; fd (or -1) belongs to the callback, which must close or keep it. */
struct frame {
	uint16_t	 type;
	uint32_t	 id;
	pid_t		 pid;
	uint32_t	 len;
	const uint8_t	*data;
	int		 fd;
};

/* Pure header codec (unit-tested without sockets). */
void frame_hdr_encode(const struct frame_hdr *, uint8_t out[FRAME_HDR_LEN]);
/* Returns 0, or -1 with errno EPROTO (bad type/flags) or EMSGSIZE (len > max). */
int frame_hdr_decode(const uint8_t in[FRAME_HDR_LEN], size_t max_len,
    struct frame_hdr *) WUR;

/* Writer: payload under construction. */
struct mbuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};
void mbuf_init(struct mbuf *);
void mbuf_free(struct mbuf *);
void mbuf_reset(struct mbuf *);
void mbuf_u8(struct mbuf *, uint8_t);
void mbuf_u16(struct mbuf *, uint16_t);
void mbuf_u32(struct mbuf *, uint32_t);
void mbuf_u64(struct mbuf *, uint64_t);
void mbuf_i32(struct mbuf *, int32_t);
void mbuf_str(struct mbuf *, const char *);		/* NULL is sent as "" */
void mbuf_bytes(struct mbuf *, const void *, size_t);

/* Reader: every getter past the end (or a string with an embedded NUL)
 * sets err and returns 0/NULL/""; check mr->err once at the end. */
struct mreader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};
void mr_init(struct mreader *, const uint8_t *, size_t);
uint8_t mr_u8(struct mreader *);
uint16_t mr_u16(struct mreader *);
uint32_t mr_u32(struct mreader *);
uint64_t mr_u64(struct mreader *);
int32_t mr_i32(struct mreader *);
/* Returns a newly allocated NUL-terminated copy (caller frees); "" on error. */
char *mr_str(struct mreader *);
/* Borrowed pointer into the frame; *len set. */
const uint8_t *mr_bytes(struct mreader *, uint32_t *len);
/* Error if bytes remain unread. */
int mr_done(struct mreader *) WUR;

/* Blocking helpers (electricctl, tests): whole frames, EINTR retried.
 * frame_read_blocking returns 0, or -1 (errno; 0 bytes read at EOF gives
 * errno ECONNRESET... see frame.c); *out's data is malloc'd (caller frees). */
int frame_write_blocking(int fd, uint16_t type, uint32_t id, const void *,
    size_t, int pass_fd) WUR;
int frame_read_blocking(int fd, size_t max_len, struct frame *out) WUR;
/* Sends our HELLO and checks the peer's; -1 with EPROTO on mismatch. */
int frame_hello_blocking(int fd, const char *role) WUR;

struct event_base;
struct chan;
typedef void (*chan_frame_cb)(struct chan *, struct frame *, void *arg);
/* error is 0 on orderly EOF, else an errno (EPROTO for a bad frame). The
 * channel is not freed: the callback must call chan_free() (it may do so
 * from inside the callback). */
typedef void (*chan_close_cb)(struct chan *, int error, void *arg);
typedef void (*chan_wm_cb)(struct chan *, int above, void *arg);

/* Takes ownership of fd (a connected stream socket; made non-blocking). */
struct chan *chan_new(struct event_base *, int fd, const char *my_role,
    size_t max_len, chan_frame_cb, chan_close_cb, void *arg);
void chan_free(struct chan *);
/* Queues a frame.  pass_fd (or -1) is duplicated; the caller keeps its own.
 * Returns -1 only when the channel is already closed. */
int chan_send(struct chan *, uint16_t type, uint32_t id, const void *payload,
    size_t len, int pass_fd) WUR;
int chan_sendm(struct chan *, uint16_t type, uint32_t id, const struct mbuf *) WUR;
size_t chan_queued(const struct chan *);
/* Writes what is queued now instead of on the next loop turn, for a frame
 * that must leave before the sender blocks.  May call the channel's
 * callbacks (a write error can close it). */
void chan_push(struct chan *);
/* cb(above=1) when the queue grows past high, cb(above=0) when it drains
 * below high/2. Default high: CHAN_HIGH_WATERMARK, no callback. */
void chan_set_watermark(struct chan *, size_t high, chan_wm_cb);
/* Stop / resume reading from this channel (backpressure on a peer). */
void chan_pause_read(struct chan *, int paused);
const char *chan_peer_role(const struct chan *);	/* NULL before HELLO */
pid_t chan_peer_pid(const struct chan *);
int chan_fd(const struct chan *);
/* 1 if bytes wait: read and not yet handed out, or in the socket. */
int chan_input_pending(const struct chan *);
void *chan_arg(const struct chan *);
void chan_set_arg(struct chan *, void *);

/* Unix-domain socket helpers: listen (unlinking a stale path) / connect. */
int unix_listen(const char *path) WUR;
int unix_connect(const char *path) WUR;

#endif
