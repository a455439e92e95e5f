/*
 * test_frame: the frame header codec, payload marshalling, the blocking
 * helpers and the Unix-socket helpers, over real socketpairs with a
 * hand-driven peer (frame_helpers.c).  struct chan is in test_chan.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "frame.h"
#include "frame_helpers.h"
#include "msg.h"
#include "util.h"

Suite *frame_suite(void);

START_TEST(test_hdr_codec)
{
	struct frame_hdr h = { 7, FRAME_F_FD, 1024, 0xdeadbeef, 31337 }, d;
	uint8_t b[FRAME_HDR_LEN];

	frame_hdr_encode(&h, b);
	ck_assert_int_eq(frame_hdr_decode(b, 1024, &d), 0);
	ck_assert_uint_eq(d.type, 7);
	ck_assert_uint_eq(d.flags, FRAME_F_FD);
	ck_assert_uint_eq(d.len, 1024);
	ck_assert_uint_eq(d.id, 0xdeadbeef);
	ck_assert_uint_eq(d.pid, 31337);
	errno = 0;
	ck_assert_int_eq(frame_hdr_decode(b, 1023, &d), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	h.type = 0;
	frame_hdr_encode(&h, b);
	ck_assert_int_eq(frame_hdr_decode(b, 4096, &d), -1);
	ck_assert_int_eq(errno, EPROTO);
	h.type = 3;
	h.flags = 0x0002;
	frame_hdr_encode(&h, b);
	ck_assert_int_eq(frame_hdr_decode(b, 4096, &d), -1);
	ck_assert_int_eq(errno, EPROTO);
}
END_TEST

START_TEST(test_marshal)
{
	struct mbuf m;
	struct mreader r;
	const uint8_t *p;
	uint32_t n;
	char *s;

	mbuf_init(&m);
	mbuf_u8(&m, 0xab);
	mbuf_u16(&m, 0xbeef);
	mbuf_u32(&m, 0xcafef00d);
	mbuf_u64(&m, 0x0123456789abcdefULL);
	mbuf_i32(&m, -5);
	mbuf_str(&m, "héllo");
	mbuf_str(&m, NULL);
	mbuf_bytes(&m, "a\0b", 3);
	ck_assert_uint_eq(m.len, 1 + 2 + 4 + 8 + 4 + (4 + 6) + 4 + (4 + 3));
	mr_init(&r, m.p, m.len);
	ck_assert_uint_eq(mr_u8(&r), 0xab);
	ck_assert_uint_eq(mr_u16(&r), 0xbeef);
	ck_assert_uint_eq(mr_u32(&r), 0xcafef00d);
	ck_assert(mr_u64(&r) == 0x0123456789abcdefULL);
	ck_assert_int_eq(mr_i32(&r), -5);
	s = mr_str(&r);
	ck_assert_str_eq(s, "héllo");
	free(s);
	s = mr_str(&r);
	ck_assert_str_eq(s, "");
	free(s);
	p = mr_bytes(&r, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(p, "a\0b", 3);
	ck_assert_int_eq(mr_done(&r), 0);
	/* past the end: zero and a sticky error */
	ck_assert_uint_eq(mr_u32(&r), 0);
	ck_assert_int_eq(r.err, 1);
	ck_assert_int_eq(mr_done(&r), -1);
	ck_assert_int_eq(errno, EPROTO);
	mbuf_free(&m);
}
END_TEST

START_TEST(test_marshal_errors)
{
	struct mbuf m;
	struct mreader r;
	uint32_t n;
	char *s;

	/* a string with an embedded NUL */
	mbuf_init(&m);
	mbuf_bytes(&m, "x\0y", 3);
	mr_init(&r, m.p, m.len);
	s = mr_str(&r);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(r.err, 1);
	free(s);
	/* a length beyond the payload */
	mbuf_reset(&m);
	mbuf_u32(&m, 100);
	mbuf_u8(&m, 'z');
	mr_init(&r, m.p, m.len);
	ck_assert_ptr_null(mr_bytes(&r, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(mr_done(&r), -1);
	/* bytes left over */
	mbuf_reset(&m);
	mbuf_u16(&m, 1);
	mbuf_u8(&m, 2);
	mr_init(&r, m.p, m.len);
	ck_assert_uint_eq(mr_u16(&r), 1);
	ck_assert_int_eq(mr_done(&r), -1);
	/* an empty byte string is not an error */
	mbuf_reset(&m);
	mbuf_bytes(&m, NULL, 0);
	mr_init(&r, m.p, m.len);
	ck_assert_ptr_nonnull(mr_bytes(&r, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(mr_done(&r), 0);
	/* an empty payload */
	mr_init(&r, NULL, 0);
	ck_assert_uint_eq(mr_u8(&r), 0);
	ck_assert_int_eq(mr_done(&r), -1);
	mbuf_free(&m);
}
END_TEST

START_TEST(test_read_blocking)
{
	struct sbuf s;
	struct frame f;
	int sv[2];

	sbuf_init(&s);
	raw_frame(&s, MSG_STATE, 0, 9, "hey", 3);
	raw_socketpair(sv);
	raw_write(sv[1], s.p, s.len);
	raw_write(sv[1], s.p, s.len - 1);
	close(sv[1]);
	ck_assert_int_eq(frame_read_blocking(sv[0], 3, &f), 0);
	ck_assert_uint_eq(f.type, MSG_STATE);
	ck_assert_uint_eq(f.id, 9);
	ck_assert_int_eq(f.pid, RAW_PID);
	ck_assert_str_eq((const char *)f.data, "hey");	/* NUL-terminated */
	ck_assert_int_eq(f.fd, -1);
	free((void *)f.data);
	errno = 0;
	ck_assert_int_eq(frame_read_blocking(sv[0], 3, &f), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(frame_read_blocking(sv[0], 3, &f), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(sv[0]);
	/* too long for max_len */
	raw_socketpair(sv);
	raw_write(sv[1], s.p, s.len);
	ck_assert_int_eq(frame_read_blocking(sv[0], 2, &f), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
	sbuf_free(&s);
}
END_TEST

START_TEST(test_hello_blocking)
{
	struct sbuf s;
	struct frame f;
	int sv[2];

	sbuf_init(&s);
	raw_hello(&s, FRAME_VERSION, "server");
	raw_socketpair(sv);
	raw_write(sv[1], s.p, s.len);
	ck_assert_int_eq(frame_hello_blocking(sv[0], "client"), 0);
	ck_assert_int_eq(frame_read_blocking(sv[1], FRAME_MAX_CTL, &f), 0);
	ck_assert_uint_eq(f.type, MSG_HELLO);
	ck_assert_uint_eq(f.len, 4 + 4 + 6);
	ck_assert_mem_eq(f.data + 8, "client", 6);
	free((void *)f.data);
	close(sv[0]);
	close(sv[1]);
	/* the peer speaks another version */
	sbuf_reset(&s);
	raw_hello(&s, 99, "server");
	raw_socketpair(sv);
	raw_write(sv[1], s.p, s.len);
	errno = 0;
	ck_assert_int_eq(frame_hello_blocking(sv[0], "client"), -1);
	ck_assert_int_eq(errno, EPROTO);
	close(sv[0]);
	close(sv[1]);
	/* the peer hangs up */
	raw_socketpair(sv);
	close(sv[1]);
	ck_assert_int_eq(frame_hello_blocking(sv[0], "client"), -1);
	close(sv[0]);
	sbuf_free(&s);
}
END_TEST

START_TEST(test_unix_sockets)
{
	char dir[] = "/tmp/electricd-frame-XXXXXX", *path, *file, *lng;
	struct stat st;
	int l, c, a;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/x.sock", dir);
	file = xasprintf("%s/plain", dir);
	ck_assert_int_eq(unix_connect(path), -1);
	ck_assert_int_eq(errno, ENOENT);
	l = unix_listen(path);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert(fcntl(l, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(l, F_GETFD) & FD_CLOEXEC);
	c = unix_connect(path);
	ck_assert_int_ge(c, 0);
	ck_assert(fcntl(c, F_GETFD) & FD_CLOEXEC);
	a = accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(write(c, "z", 1), 1);
	close(a);
	close(c);
	close(l);
	/* the socket file is stale now */
	ck_assert_int_eq(unix_connect(path), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	l = unix_listen(path);
	ck_assert_int_ge(l, 0);
	close(l);
	/* not a socket: left alone */
	close(open(file, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(unix_listen(file), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(access(file, F_OK), 0);
	lng = xcalloc(1, 200);
	memset(lng, 'a', 199);
	lng[0] = '/';
	ck_assert_int_eq(unix_listen(lng), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	unlink(path);
	unlink(file);
	rmdir(dir);
	free(path);
	free(file);
	free(lng);
}
END_TEST

Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_hdr_codec);
	tcase_add_test(tc, test_marshal);
	tcase_add_test(tc, test_marshal_errors);
	tcase_add_test(tc, test_read_blocking);
	tcase_add_test(tc, test_hello_blocking);
	tcase_add_test(tc, test_unix_sockets);
	suite_add_tcase(s, tc);
	return s;
}
