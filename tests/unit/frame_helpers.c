/*
 * frame_helpers: a hand-driven "raw" peer for the frame and chan suites:
 * socketpairs, frames built byte by byte, and an fd sent on bytes whose
 * header does not announce it.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "frame.h"
#include "frame_helpers.h"
#include "msg.h"

void
raw_socketpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* Appends one raw frame (header + payload) to b. */
void
raw_frame(struct sbuf *b, uint16_t type, uint16_t flags, uint32_t id,
    const void *p, uint32_t len)
{
	struct frame_hdr h = { type, flags, len, id, RAW_PID };
	uint8_t hb[FRAME_HDR_LEN];

	frame_hdr_encode(&h, hb);
	sbuf_add(b, hb, sizeof(hb));
	if (len > 0)
		sbuf_add(b, p, len);
}

void
raw_hello(struct sbuf *b, uint32_t version, const char *role)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_u32(&m, version);
	mbuf_str(&m, role);
	raw_frame(b, MSG_HELLO, 0, 0, m.p, (uint32_t)m.len);
	mbuf_free(&m);
}

void
raw_write(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
}

/* Sends bytes with fd attached by hand (no FRAME_F_FD in their header). */
void
raw_send_fd(int sock, const void *p, size_t n, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)(uintptr_t)p, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *ch = CMSG_FIRSTHDR(&mh);

	ch->cmsg_level = SOL_SOCKET;
	ch->cmsg_type = SCM_RIGHTS;
	ch->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(ch), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &mh, 0), (ssize_t)n);
}
