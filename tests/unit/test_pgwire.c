/*
 * test_pgwire: the consumer's minimal Postgres protocol client on a lent
 * socket.  The server side is a socketpair peer writing protocol bytes,
 * whole or one byte at a time from a child process (reads split at every
 * point), on a non-blocking socket as connmgr lends it.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <endian.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "pgwire.h"
#include "util.h"

Suite *pgwire_suite(void);

/* Appends one message: type, big-endian length, body. */
static void
msg(struct sbuf *b, char type, const void *body, size_t len)
{
	uint32_t be = htobe32((uint32_t)(len + 4));

	sbuf_addc(b, type);
	sbuf_add(b, (const char *)&be, 4);
	sbuf_add(b, body, len);
}

static void
msg_z(struct sbuf *b, char status)
{
	msg(b, 'Z', &status, 1);
}

/* A socketpair: sv[0] the client's (non-blocking), sv[1] the server's. */
static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_ne(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
}

/* Writes b to fd from a child in pieces of 1, 2, 3, 5, 7 and 3001 bytes
 * in turn, with a yield between: the client sees messages split at many
 * points, headers included.  Returns the pid. */
static pid_t
trickle(int fd, const struct sbuf *b)
{
	static const size_t step[] = { 1, 2, 3, 5, 7, 3001 };
	pid_t pid = fork();
	size_t i, n, k = 0;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (i = 0; i < b->len; i += n) {
			n = step[k++ % 6];
			if (n > b->len - i)
				n = b->len - i;
			if (write(fd, b->p + i, n) != (ssize_t)n)
				_exit(1);
			usleep(20);
		}
		_exit(0);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(test_query_bytes)
{
	struct pgw w;
	char got[64];
	int sv[2];

	pair(sv);
	pgw_init(&w, sv[0]);
	ck_assert_int_eq(pgw_query(&w, "COMMIT"), 0);
	ck_assert_int_eq(read(sv[1], got, sizeof(got)), 1 + 4 + 7);
	ck_assert_int_eq(got[0], 'Q');
	ck_assert_mem_eq(got + 1, "\0\0\0\x0b", 4);
	ck_assert_mem_eq(got + 5, "COMMIT\0", 7);
	ck_assert_int_eq(w.idle, 0);
	pgw_free(&w);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A snapshot's exchange, split at every byte: results, an error with its
 * SQLSTATE, COPY rows bigger than the read buffer, ReadyForQuery states. */
START_TEST(test_messages_split_anywhere)
{
	static const char row1[] = "\0\1\0\0\0\x0b" "731:731:7,9";
	static const char err[] = "SERROR\0C22003\0Mbigint out of range\0\0";
	struct sbuf s, big;
	struct pgw w;
	const char *v;
	char type, *body;
	uint32_t len, vlen;
	pid_t pid;
	int sv[2], i;

	sbuf_init(&s);
	sbuf_init(&big);
	for (i = 0; i < 200000; i++)
		sbuf_addc(&big, (char)('a' + i % 26));
	msg(&s, 'C', "BEGIN\0", 6);
	msg(&s, 'S', "TimeZone\0UTC\0", 13);
	msg(&s, 'T', "\0\1x\0", 4);
	msg(&s, 'D', row1, sizeof(row1) - 1);
	msg_z(&s, 'T');
	msg(&s, 'H', "\0\0\0", 3);
	msg(&s, 'd', big.p, big.len);
	msg(&s, 'd', "1\tx\n", 4);
	msg(&s, 'E', err, sizeof(err));
	msg_z(&s, 'E');

	pair(sv);
	pid = trickle(sv[1], &s);
	pgw_init(&w, sv[0]);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'C');
	ck_assert_str_eq(body, "BEGIN");
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'S');
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'T');
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'D');
	ck_assert_int_eq(pgw_datarow_first(body, len, &v, &vlen), 0);
	ck_assert_uint_eq(vlen, 11);
	ck_assert_mem_eq(v, "731:731:7,9", 11);
	ck_assert_int_eq(w.idle, 0);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'Z');
	ck_assert_int_eq(w.txstatus, 'T');
	ck_assert_int_eq(w.idle, 1);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'H');
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'd');
	ck_assert_uint_eq(len, big.len);
	ck_assert_mem_eq(body, big.p, big.len);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'd');
	ck_assert_mem_eq(body, "1\tx\n", 4);
	ck_assert_str_eq(w.sqlstate, "");
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'E');
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(type, 'Z');
	ck_assert_str_eq(w.sqlstate, "22003");
	ck_assert_str_eq(w.errmsg, "bigint out of range");
	ck_assert_int_eq(w.txstatus, 'E');
	ck_assert_int_eq(w.broken, 0);
	reap(pid);
	pgw_free(&w);
	sbuf_free(&s);
	sbuf_free(&big);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* The server sends bytes (n) that are no valid message: the first read
 * fails with why. */
static void
expect_malformed(const char *bytes, size_t n, const char *why)
{
	struct pgw w;
	char type, *body;
	uint32_t len;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(write(sv[1], bytes, n), (ssize_t)n);
	pgw_init(&w, sv[0]);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), -1);
	ck_assert_str_eq(w.errmsg, why);
	pgw_free(&w);
	close(sv[0]);
	close(sv[1]);
}

/* EOF inside a message, and a length below 4: the link is broken, with
 * a reason, and stays broken. */
START_TEST(test_broken_links)
{
	struct sbuf s;
	struct pgw w;
	char type, *body;
	uint32_t len;
	int sv[2];

	sbuf_init(&s);
	msg(&s, 'C', "BEGIN\0", 6);
	sbuf_add(&s, "d\0\0\0\x20partial", 12);
	pair(sv);
	ck_assert_int_eq(write(sv[1], s.p, s.len), (ssize_t)s.len);
	close(sv[1]);
	pgw_init(&w, sv[0]);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), 0);
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), -1);
	ck_assert_int_eq(w.broken, 1);
	ck_assert_str_eq(w.errmsg, "server closed the connection");
	ck_assert_int_eq(pgw_next(&w, &type, &body, &len), -1);
	ck_assert_int_eq(pgw_query(&w, "SELECT 1"), -1);
	pgw_free(&w);
	close(sv[0]);

	expect_malformed("Z\0\0\0\x02", 5, "malformed message from the server");
	expect_malformed("Z\0\0\0\x06II", 7, "malformed ReadyForQuery");
	sbuf_free(&s);
}
END_TEST

/* A peer that is gone: the query fails (EPIPE, no SIGPIPE). */
START_TEST(test_send_to_closed_peer)
{
	struct pgw w;
	int sv[2];

	pair(sv);
	close(sv[1]);
	pgw_init(&w, sv[0]);
	ck_assert_int_eq(pgw_query(&w, "COMMIT"), -1);
	ck_assert_int_eq(w.broken, 1);
	ck_assert_str_ne(w.errmsg, "");
	pgw_free(&w);
	close(sv[0]);
}
END_TEST

START_TEST(test_datarow_and_error_fields)
{
	struct pgw w;
	const char *v;
	uint32_t vlen;

	/* NULL first column, no column, a length past the body */
	ck_assert_int_eq(pgw_datarow_first("\0\1\xff\xff\xff\xff", 6, &v, &vlen), -1);
	ck_assert_int_eq(pgw_datarow_first("\0\0", 2, &v, &vlen), -1);
	ck_assert_int_eq(pgw_datarow_first("\0\1\0\0\0\x09" "abc", 9, &v, &vlen), -1);
	ck_assert_int_eq(pgw_datarow_first("\0\1\0\0\0\0", 6, &v, &vlen), 0);
	ck_assert_uint_eq(vlen, 0);

	pgw_init(&w, -1);
	/* fields in any order; an unterminated field ends the parse */
	pgw_parse_error(&w, "Mno\0C42P01\0", 11);
	ck_assert_str_eq(w.sqlstate, "42P01");
	ck_assert_str_eq(w.errmsg, "no");
	pgw_parse_error(&w, "C0A000\0Mcut", 11);
	ck_assert_str_eq(w.sqlstate, "0A000");
	ck_assert_str_eq(w.errmsg, "unknown error");
	pgw_free(&w);
}
END_TEST

Suite *
pgwire_suite(void)
{
	Suite *s = suite_create("pgwire");
	TCase *tc = tcase_create("core");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(tc, test_query_bytes);
	tcase_add_test(tc, test_messages_split_anywhere);
	tcase_add_test(tc, test_broken_links);
	tcase_add_test(tc, test_send_to_closed_peer);
	tcase_add_test(tc, test_datarow_and_error_fields);
	suite_add_tcase(s, tc);
	return s;
}
