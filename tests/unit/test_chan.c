/*
 * test_chan: struct chan over real socketpairs.  A "raw" peer
 * (frame_helpers.c) is driven by hand, often one byte at a time, or a
 * second chan is the peer; the base is pumped with EVLOOP_NONBLOCK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "frame.h"
#include "frame_helpers.h"
#include "msg.h"
#include "util.h"

Suite *chan_suite(void);

#define REC_MAX 256

struct rec {
	struct chan	*c;
	int		 n;
	uint16_t	 type[REC_MAX];
	uint32_t	 id[REC_MAX];
	pid_t		 pid[REC_MAX];
	uint32_t	 len[REC_MAX];
	char		*data[REC_MAX];
	int		 fd[REC_MAX];
	int		 closed;
	int		 close_err;
	int		 wm[16];
	int		 nwm;
	int		 free_at;	/* chan_free in the frame cb of frame n */
	int		 pause_at;	/* chan_pause_read(1) at frame n */
};

static void
rec_frame(struct chan *c, struct frame *f, void *arg)
{
	struct rec *r = arg;

	ck_assert_int_lt(r->n, REC_MAX);
	ck_assert_int_eq(r->closed, 0);
	r->type[r->n] = f->type;
	r->id[r->n] = f->id;
	r->pid[r->n] = f->pid;
	r->len[r->n] = f->len;
	r->data[r->n] = xmalloc(f->len + 1);
	memcpy(r->data[r->n], f->data, f->len);
	r->data[r->n][f->len] = '\0';
	r->fd[r->n] = f->fd;
	r->n++;
	if (r->free_at == r->n) {
		chan_free(c);
		r->c = NULL;
	}
	if (r->pause_at == r->n)
		chan_pause_read(c, 1);
}

static void
rec_close(struct chan *c, int error, void *arg)
{
	struct rec *r = arg;

	ck_assert_int_eq(r->closed, 0);
	r->closed++;
	r->close_err = error;
	chan_free(c);
	r->c = NULL;
}

static void
rec_wm(struct chan *c UNUSED, int above, void *arg)
{
	struct rec *r = arg;

	ck_assert_int_lt(r->nwm, 16);
	r->wm[r->nwm++] = above;
}

static void
rec_done(struct rec *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		free(r->data[i]);
	r->n = 0;
}

static void
pump(struct event_base *b, int n)
{
	while (n-- > 0)
		event_base_loop(b, EVLOOP_NONBLOCK);
}

/* A chan on sv[0] recording into r; returns the base. */
static struct event_base *
chan_setup(int sv[2], struct rec *r, size_t max)
{
	struct event_base *b = event_base_new();

	ck_assert_ptr_nonnull(b);
	raw_socketpair(sv);
	memset(r, 0, sizeof(*r));
	r->c = chan_new(b, sv[0], "test", max, rec_frame, rec_close, r);
	ck_assert_ptr_nonnull(r->c);
	return b;
}

static void
check_pipe_fd(int wfd, int rfd)
{
	char buf[8] = "";

	ck_assert_int_ge(wfd, 0);
	ck_assert_int_eq(write(wfd, "ping", 4), 4);
	ck_assert_int_eq(read(rfd, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	close(wfd);
	close(rfd);
}

/* Feeds raw bytes to a fresh chan and expects it to close with err after
 * nframes frames. */
static void
expect_close(const struct sbuf *s, size_t max, int nframes, int err)
{
	struct event_base *b;
	struct rec r;
	int sv[2];

	b = chan_setup(sv, &r, max);
	raw_write(sv[1], s->p, s->len);
	close(sv[1]);
	pump(b, 4);
	ck_assert_int_eq(r.n, nframes);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(r.close_err, err);
	ck_assert_ptr_null(r.c);
	rec_done(&r);
	event_base_free(b);
}

static void
close_nofree(struct chan *c UNUSED, int error, void *arg)
{
	struct rec *r = arg;

	r->closed++;
	r->close_err = error;
}

/* The peer feeds HELLO and three frames one byte at a time. */
START_TEST(test_chan_byte_at_a_time)
{
	struct event_base *b;
	struct rec r;
	struct sbuf s;
	struct frame f;
	struct mreader mr;
	char big[1000];
	size_t i;
	int sv[2];

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	memset(big, 'q', sizeof(big));
	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	raw_frame(&s, MSG_READY, 0, 1, NULL, 0);
	raw_frame(&s, MSG_STATE, 0, 2, "abc", 3);
	raw_frame(&s, MSG_CTL_REQ, 0, 0xffffffffu, big, sizeof(big));
	for (i = 0; i < s.len; i++) {
		if (i == s.len - 1)
			ck_assert_int_eq(r.n, 2);
		raw_write(sv[1], s.p + i, 1);
		pump(b, 1);
	}
	ck_assert_int_eq(r.n, 3);
	ck_assert_int_eq(r.closed, 0);
	ck_assert_uint_eq(r.type[0], MSG_READY);
	ck_assert_uint_eq(r.id[0], 1);
	ck_assert_uint_eq(r.len[0], 0);
	ck_assert_int_eq(r.pid[0], RAW_PID);
	ck_assert_uint_eq(r.type[1], MSG_STATE);
	ck_assert_str_eq(r.data[1], "abc");
	ck_assert_uint_eq(r.type[2], MSG_CTL_REQ);
	ck_assert_uint_eq(r.id[2], 0xffffffffu);
	ck_assert_uint_eq(r.len[2], sizeof(big));
	ck_assert_mem_eq(r.data[2], big, sizeof(big));
	ck_assert_int_eq(r.fd[2], -1);
	ck_assert_str_eq(chan_peer_role(r.c), "rawpeer");
	ck_assert_int_eq(chan_peer_pid(r.c), RAW_PID);
	/* our own HELLO came out first, from our pid */
	ck_assert_int_eq(frame_read_blocking(sv[1], FRAME_MAX_CTL, &f), 0);
	ck_assert_uint_eq(f.type, MSG_HELLO);
	ck_assert_int_eq(f.pid, getpid());
	mr_init(&mr, f.data, f.len);
	ck_assert_uint_eq(mr_u32(&mr), FRAME_VERSION);
	free(s.p);
	s.p = mr_str(&mr);
	ck_assert_str_eq(s.p, "test");
	ck_assert_int_eq(mr_done(&mr), 0);
	free(s.p);
	free((void *)f.data);
	chan_free(r.c);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

START_TEST(test_chan_many_in_one_read)
{
	struct event_base *b;
	struct rec r;
	struct sbuf s;
	uint32_t i;
	int sv[2];

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	for (i = 1; i <= 100; i++)
		raw_frame(&s, MSG_FLUSHED, 0, i, &i, sizeof(i));
	raw_write(sv[1], s.p, s.len);
	pump(b, 1);
	ck_assert_int_eq(r.n, 100);
	for (i = 0; i < 100; i++) {
		ck_assert_uint_eq(r.id[i], i + 1);
		ck_assert_uint_eq(r.len[i], 4);
		ck_assert_mem_eq(r.data[i], &r.id[i], 4);
	}
	sbuf_free(&s);
	chan_free(r.c);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

START_TEST(test_chan_eof)
{
	struct sbuf s;

	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	raw_frame(&s, MSG_READY, 0, 0, NULL, 0);
	expect_close(&s, FRAME_MAX_DEFAULT, 1, 0);
	/* a truncated frame, then EOF */
	raw_frame(&s, MSG_STATE, 0, 0, "0123456789", 10);
	s.len -= 5;
	expect_close(&s, FRAME_MAX_DEFAULT, 1, EPROTO);
	/* a truncated header */
	s.len -= 8;
	expect_close(&s, FRAME_MAX_DEFAULT, 1, EPROTO);
	sbuf_free(&s);
}
END_TEST

START_TEST(test_chan_bad_frames)
{
	struct frame_hdr h = { MSG_STATE, 0, 2000, 0, 1 };
	uint8_t hb[FRAME_HDR_LEN];
	struct sbuf s;

	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	/* len above the channel's maximum (no payload needed) */
	frame_hdr_encode(&h, hb);
	sbuf_add(&s, hb, sizeof(hb));
	expect_close(&s, 1024, 0, EMSGSIZE);
	/* garbage instead of a header */
	s.len -= FRAME_HDR_LEN;
	sbuf_adds(&s, "GARBAGE!GARBAGE!GARBAGE!");
	expect_close(&s, 1024, 0, EPROTO);
	/* type 0 */
	s.len -= 24;
	raw_frame(&s, 0, 0, 0, NULL, 0);
	expect_close(&s, 1024, 0, EPROTO);
	/* a second HELLO */
	s.len -= FRAME_HDR_LEN;
	raw_frame(&s, MSG_READY, 0, 0, NULL, 0);
	raw_hello(&s, FRAME_VERSION, "again");
	raw_frame(&s, MSG_READY, 0, 0, NULL, 0);
	expect_close(&s, 1024, 1, EPROTO);
	sbuf_free(&s);
}
END_TEST

START_TEST(test_chan_hello_mismatch)
{
	struct sbuf s;

	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION + 1, "future");
	raw_frame(&s, MSG_READY, 0, 0, NULL, 0);
	expect_close(&s, FRAME_MAX_DEFAULT, 0, EPROTO);
	/* first frame not a HELLO */
	sbuf_reset(&s);
	raw_frame(&s, MSG_READY, 0, 0, NULL, 0);
	raw_hello(&s, FRAME_VERSION, "late");
	expect_close(&s, FRAME_MAX_DEFAULT, 0, EPROTO);
	/* a HELLO with trailing bytes */
	sbuf_reset(&s);
	raw_frame(&s, MSG_HELLO, 0, 0, "\1\0\0\0\0\0\0\0!", 9);
	expect_close(&s, FRAME_MAX_DEFAULT, 0, EPROTO);
	sbuf_free(&s);
}
END_TEST

/* chan -> chan: fds only on the flagged frames, in order. */
START_TEST(test_fd_chan_to_chan)
{
	struct event_base *b;
	struct rec r, w;
	int sv[2], p1[2], p2[2], i;

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	memset(&w, 0, sizeof(w));
	w.c = chan_new(b, sv[1], "writer", FRAME_MAX_DEFAULT, rec_frame,
	    rec_close, &w);
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	ck_assert_int_eq(chan_send(w.c, MSG_STATE, 1, "a", 1, -1), 0);
	ck_assert_int_eq(chan_send(w.c, MSG_STATE, 2, "b", 1, p1[1]), 0);
	ck_assert_int_eq(chan_send(w.c, MSG_STATE, 3, "c", 1, -1), 0);
	ck_assert_int_eq(chan_send(w.c, MSG_STATE, 4, NULL, 0, p2[1]), 0);
	ck_assert_int_eq(chan_send(w.c, MSG_STATE, 5, "e", 1, p2[1]), 0);
	close(p1[1]);	/* chan_send duplicated them */
	close(p2[1]);
	for (i = 0; i < 20 && r.n < 5; i++)
		pump(b, 1);
	ck_assert_int_eq(r.n, 5);
	ck_assert_int_eq(r.closed, 0);
	ck_assert_int_eq(r.fd[0], -1);
	ck_assert_int_eq(r.fd[2], -1);
	ck_assert_str_eq(r.data[1], "b");
	check_pipe_fd(r.fd[1], p1[0]);
	ck_assert_int_ge(r.fd[4], 0);
	close(r.fd[4]);
	check_pipe_fd(r.fd[3], p2[0]);
	chan_free(w.c);
	chan_free(r.c);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

/* blocking writer -> chan, and chan -> blocking reader. */
START_TEST(test_fd_blocking)
{
	struct event_base *b;
	struct rec r;
	struct sbuf s;
	struct frame f;
	int sv[2], p[2];

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	raw_write(sv[1], s.p, s.len);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(frame_write_blocking(sv[1], MSG_SPAWN, 5, "x", 1,
	    p[1]), 0);
	close(p[1]);
	pump(b, 2);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.id[0], 5);
	check_pipe_fd(r.fd[0], p[0]);
	/* and back */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(chan_send(r.c, MSG_SPAWN, 6, "y", 1, p[1]), 0);
	close(p[1]);
	pump(b, 2);
	ck_assert_int_eq(frame_read_blocking(sv[1], FRAME_MAX_CTL, &f), 0);
	ck_assert_uint_eq(f.type, MSG_HELLO);
	ck_assert_int_eq(f.fd, -1);
	free((void *)f.data);
	ck_assert_int_eq(frame_read_blocking(sv[1], FRAME_MAX_CTL, &f), 0);
	ck_assert_uint_eq(f.id, 6);
	free((void *)f.data);
	check_pipe_fd(f.fd, p[0]);
	sbuf_free(&s);
	chan_free(r.c);
	close(sv[1]);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

START_TEST(test_fd_protocol_errors)
{
	struct event_base *b;
	struct rec r;
	struct sbuf s;
	int sv[2], p[2];

	/* flagged, but no fd came */
	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	raw_frame(&s, MSG_SPAWN, FRAME_F_FD, 0, "x", 1);
	expect_close(&s, FRAME_MAX_DEFAULT, 0, EPROTO);
	/* an fd on an unflagged frame: found at the next frame */
	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	sbuf_reset(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	raw_write(sv[1], s.p, s.len);
	sbuf_reset(&s);
	raw_frame(&s, MSG_SPAWN, 0, 0, "x", 1);
	ck_assert_int_eq(pipe(p), 0);
	raw_send_fd(sv[1], s.p, s.len, p[0]);
	close(p[0]);
	close(p[1]);
	raw_write(sv[1], s.p, s.len);
	pump(b, 4);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.fd[0], -1);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(r.close_err, EPROTO);
	close(sv[1]);
	sbuf_free(&s);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

/* Above high: cb(1) once; drained below high/2: cb(0) once. */
START_TEST(test_chan_watermark)
{
	struct event_base *b;
	struct rec r;
	char *big, sink[65536];
	int sv[2], i;

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	chan_set_watermark(r.c, 1024 * 1024, rec_wm);
	big = xcalloc(1, 600 * 1024);
	ck_assert_int_eq(chan_send(r.c, MSG_STATE, 1, big, 600 * 1024, -1), 0);
	ck_assert_int_eq(r.nwm, 0);
	ck_assert_int_eq(chan_send(r.c, MSG_STATE, 2, big, 600 * 1024, -1), 0);
	ck_assert_int_eq(r.nwm, 1);
	ck_assert_int_eq(r.wm[0], 1);
	ck_assert_int_eq(chan_send(r.c, MSG_STATE, 3, big, 600 * 1024, -1), 0);
	ck_assert_int_eq(r.nwm, 1);
	/* nobody reads: the socket buffer fills, the queue stays high */
	pump(b, 5);
	ck_assert_int_eq(r.nwm, 1);
	ck_assert_uint_gt(chan_queued(r.c), 1024 * 1024);
	ck_assert_int_eq(fd_nonblock(sv[1]), 0);
	for (i = 0; i < 10000 && chan_queued(r.c) > 0; i++) {
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
		pump(b, 1);
	}
	ck_assert_uint_eq(chan_queued(r.c), 0);
	ck_assert_int_eq(r.nwm, 2);
	ck_assert_int_eq(r.wm[1], 0);
	ck_assert_int_eq(r.closed, 0);
	free(big);
	chan_free(r.c);
	close(sv[1]);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

/* Big frames between two chans: partial writes and reads both ways. */
START_TEST(test_chan_large_frames)
{
	struct event_base *b;
	struct rec r, w;
	size_t sizes[] = { 3 * 1024 * 1024, 0, 70000, 1 };
	char *big;
	int sv[2], i;
	size_t k, j;

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	memset(&w, 0, sizeof(w));
	w.c = chan_new(b, sv[1], "writer", FRAME_MAX_DEFAULT, rec_frame,
	    rec_close, &w);
	big = xmalloc(sizes[0]);
	for (j = 0; j < sizes[0]; j++)
		big[j] = (char)(j * 7 + 3);
	for (k = 0; k < 4; k++)
		ck_assert_int_eq(chan_send(w.c, MSG_STATE, (uint32_t)k, big,
		    sizes[k], -1), 0);
	for (i = 0; i < 10000 && r.n < 4; i++)
		pump(b, 1);
	ck_assert_int_eq(r.n, 4);
	for (k = 0; k < 4; k++) {
		ck_assert_uint_eq(r.id[k], k);
		ck_assert_uint_eq(r.len[k], sizes[k]);
		ck_assert(memcmp(r.data[k], big, sizes[k]) == 0);
	}
	ck_assert_str_eq(chan_peer_role(r.c), "writer");
	ck_assert_int_eq(chan_peer_pid(r.c), getpid());
	free(big);
	chan_free(w.c);
	pump(b, 2);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(r.close_err, 0);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

START_TEST(test_chan_free_in_callback)
{
	struct event_base *b;
	struct rec r;
	struct sbuf s;
	int sv[2], i;

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	r.free_at = 2;
	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	for (i = 0; i < 5; i++)
		raw_frame(&s, MSG_READY, 0, (uint32_t)i, NULL, 0);
	raw_write(sv[1], s.p, s.len);
	close(sv[1]);
	pump(b, 4);
	ck_assert_int_eq(r.n, 2);
	ck_assert_int_eq(r.closed, 0);	/* freed: no close callback */
	sbuf_free(&s);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

START_TEST(test_chan_pause)
{
	struct event_base *b;
	struct rec r;
	struct sbuf s;
	int sv[2], i;

	b = chan_setup(sv, &r, FRAME_MAX_DEFAULT);
	r.pause_at = 1;
	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "rawpeer");
	for (i = 0; i < 3; i++)
		raw_frame(&s, MSG_READY, 0, (uint32_t)i, NULL, 0);
	raw_write(sv[1], s.p, s.len);
	close(sv[1]);
	pump(b, 4);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.closed, 0);
	chan_pause_read(r.c, 0);
	pump(b, 4);
	ck_assert_int_eq(r.n, 3);
	ck_assert_uint_eq(r.id[2], 2);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(r.close_err, 0);
	sbuf_free(&s);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

START_TEST(test_chan_send_after_close)
{
	struct event_base *b = event_base_new();
	struct rec r;
	int sv[2];

	memset(&r, 0, sizeof(r));
	raw_socketpair(sv);
	r.c = chan_new(b, sv[0], "test", 64, rec_frame, close_nofree, &r);
	close(sv[1]);
	pump(b, 3);
	ck_assert_int_eq(r.closed, 1);
	ck_assert_int_eq(chan_send(r.c, MSG_READY, 0, NULL, 0, -1), -1);
	ck_assert_int_eq(errno, EPIPE);
	pump(b, 3);
	ck_assert_int_eq(r.closed, 1);
	chan_free(r.c);
	/* too big for the channel: refused, channel intact */
	raw_socketpair(sv);
	memset(&r, 0, sizeof(r));
	r.c = chan_new(b, sv[0], "test", 64, rec_frame, close_nofree, &r);
	ck_assert_int_eq(chan_send(r.c, MSG_STATE, 0, "0123456789012345678901"
	    "234567890123456789012345678901234567890123", 65, -1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(chan_send(r.c, MSG_STATE, 0, "ok", 2, -1), 0);
	chan_free(r.c);
	close(sv[1]);
	rec_done(&r);
	event_base_free(b);
}
END_TEST

Suite *
chan_suite(void)
{
	Suite *s = suite_create("chan");
	TCase *tc = tcase_create("chan");

	tcase_add_test(tc, test_chan_byte_at_a_time);
	tcase_add_test(tc, test_chan_many_in_one_read);
	tcase_add_test(tc, test_chan_eof);
	tcase_add_test(tc, test_chan_bad_frames);
	tcase_add_test(tc, test_chan_hello_mismatch);
	tcase_add_test(tc, test_fd_chan_to_chan);
	tcase_add_test(tc, test_fd_blocking);
	tcase_add_test(tc, test_fd_protocol_errors);
	tcase_add_test(tc, test_chan_watermark);
	tcase_add_test(tc, test_chan_large_frames);
	tcase_add_test(tc, test_chan_free_in_callback);
	tcase_add_test(tc, test_chan_pause);
	tcase_add_test(tc, test_chan_send_after_close);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
