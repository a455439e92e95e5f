/*
 * test_collector: the collector's routing and acknowledgement rules, black
 * box.  A real collector process (collector_main in a forked child) is
 * driven over its real sockets by a fake replication client and fake
 * consumers speaking the framed protocol.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "frame.h"
#include "meta.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"

Suite *collector_suite(void);

static char col_dir[] = "/tmp/electricd-col-XXXXXX";
static pid_t col_pid;
static int col_rootfd;

static int
col_connect(const char *role)
{
	char *path = xasprintf("%s/run/collector.sock", col_dir);
	int fd = -1, i;

	for (i = 0; i < 200 && fd == -1; i++) {
		fd = unix_connect(path);
		if (fd == -1)
			usleep(10000);
	}
	free(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(frame_hello_blocking(fd, role), 0);
	return fd;
}

/* Next frame within ms, skipping nothing; -1 on timeout. */
static int
col_read(int fd, int ms, struct frame *f)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, ms) <= 0)
		return -1;
	return frame_read_blocking(fd, FRAME_MAX_DEFAULT, f);
}

static void
col_expect(int fd, uint16_t type, struct frame *f)
{
	ck_assert_msg(col_read(fd, 2000, f) == 0, "expected %s, got nothing",
	    msg_name(type));
	ck_assert_msg(f->type == type, "expected %s, got %s", msg_name(type),
	    msg_name(f->type));
}

static void
col_expect_none(int fd, int ms)
{
	struct frame f;

	if (col_read(fd, ms, &f) == 0)
		ck_abort_msg("unexpected %s", msg_name(f.type));
}

static void
col_send(int fd, uint16_t type, const struct mbuf *m)
{
	ck_assert_int_eq(frame_write_blocking(fd, type, 0, m ? m->p : NULL,
	    m ? m->len : 0, -1), 0);
}

static void
col_subscribe(int fd, const char *handle, const char *table)
{
	struct mbuf m;
	struct frame f;

	mbuf_init(&m);
	mbuf_str(&m, handle);
	mbuf_str(&m, "public");
	mbuf_str(&m, table);
	mbuf_u64(&m, 0);
	col_send(fd, MSG_SUBSCRIBE, &m);
	mbuf_free(&m);
	col_expect(fd, MSG_SUBSCRIBED, &f);
	free((void *)f.data);
}

static void
col_relation(int rfd, uint32_t relid, const char *table)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_u32(&m, relid);
	mbuf_str(&m, "public");
	mbuf_str(&m, table);
	mbuf_u8(&m, 'f');
	mbuf_u16(&m, 1);
	mbuf_u8(&m, 1);
	mbuf_str(&m, "id");
	mbuf_u32(&m, 23);
	mbuf_i32(&m, -1);
	col_send(rfd, MSG_RELATION, &m);
	mbuf_free(&m);
}

/* A one-insert transaction on relid committed at lsn. */
static void
col_txn(int rfd, uint32_t relid, uint64_t lsn)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_u64(&m, 0); mbuf_u64(&m, lsn); mbuf_u64(&m, 1); mbuf_u32(&m, 700);
	col_send(rfd, MSG_BEGIN, &m);
	mbuf_reset(&m);
	mbuf_u32(&m, relid); mbuf_u8(&m, 'I'); mbuf_u32(&m, 0);
	mbuf_u8(&m, 0); mbuf_u8(&m, 1); mbuf_u16(&m, 1); mbuf_u8(&m, 't');
	mbuf_str(&m, "1");
	col_send(rfd, MSG_CHANGE, &m);
	mbuf_reset(&m);
	mbuf_u64(&m, 0); mbuf_u64(&m, lsn); mbuf_u64(&m, lsn + 8); mbuf_u64(&m, 1);
	col_send(rfd, MSG_COMMIT, &m);
	mbuf_free(&m);
}

/* Reads BEGIN [RELATION] CHANGE COMMIT on a consumer; returns the seq. */
static uint64_t
col_recv_txn(int cfd, uint64_t want_lsn)
{
	struct frame f;
	struct mreader r;
	uint64_t seq;

	col_expect(cfd, MSG_BEGIN, &f);
	mr_init(&r, f.data, f.len);
	seq = mr_u64(&r);
	ck_assert_uint_eq(mr_u64(&r), want_lsn);
	free((void *)f.data);
	ck_assert_int_eq(col_read(cfd, 2000, &f), 0);
	if (f.type == MSG_RELATION) {
		free((void *)f.data);
		ck_assert_int_eq(col_read(cfd, 2000, &f), 0);
	}
	ck_assert_int_eq(f.type, MSG_CHANGE);
	free((void *)f.data);
	col_expect(cfd, MSG_COMMIT, &f);
	mr_init(&r, f.data, f.len);
	ck_assert_uint_eq(mr_u64(&r), seq);
	free((void *)f.data);
	return seq;
}

static uint64_t
col_expect_ack(int rfd)
{
	struct frame f;
	struct mreader r;
	uint64_t lsn;

	col_expect(rfd, MSG_ACK, &f);
	mr_init(&r, f.data, f.len);
	lsn = mr_u64(&r);
	free((void *)f.data);
	return lsn;
}

static void
col_flushed(int cfd, uint64_t seq)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_u64(&m, seq);
	col_send(cfd, MSG_FLUSHED, &m);
	mbuf_free(&m);
}

/* The shapes meta.db knows before the collector starts, in load order:
 * "known" on public.known (id and a generated g), "wide" on public.wide
 * (id and x).  The handle is also the table name. */
static const struct {
	const char	*handle;
	uint32_t	 relid;
	const char	*columns;
} col_stored[] = {
	{ "known", 300, "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
	    "{\"name\":\"g\",\"type\":\"int4\",\"pk\":-1,\"generated\":true}]" },
	{ "wide", 400, "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
	    "{\"name\":\"x\",\"type\":\"int4\",\"pk\":-1}]" },
};

static void
col_known_shape(void)
{
	struct meta_shape m;
	struct sqlite3 *db;
	char *path = xasprintf("%s/meta.db", col_dir);
	size_t i;

	ck_assert_ptr_nonnull(db = meta_open(path));
	for (i = 0; i < sizeof(col_stored) / sizeof(col_stored[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.handle = m.table_name = m.definition =
		    (char *)col_stored[i].handle;
		m.schema_name = "public";
		m.relid = col_stored[i].relid;
		m.columns = (char *)col_stored[i].columns;
		m.electric_schema = "{}";
		m.state = "active";
		m.created_us = i + 1;
		ck_assert_int_eq(meta_shape_insert(db, &m), 0);
	}
	meta_close(db);
	free(path);
}

static void
col_setup(void)
{
	int sp[2];
	char *run;

	ck_assert_ptr_nonnull(mkdtemp(col_dir));
	run = xasprintf("%s/run", col_dir);
	ck_assert_int_eq(mkdir_p(run, 0700), 0);
	free(run);
	setenv("ELECTRIC_STORAGE_DIR", col_dir, 1);
	setenv("ELECTRIC_LOG_LEVEL", "error", 1);
	col_known_shape();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	if ((col_pid = fork()) == 0) {
		dup2(sp[1], PROC_ROOT_FD);
		close(sp[0]);
		_exit(collector_main());
	}
	close(sp[1]);
	col_rootfd = sp[0];
}

static void
col_teardown(void)
{
	kill(col_pid, SIGKILL);
	waitpid(col_pid, NULL, 0);
	close(col_rootfd);
	if (rm_rf(col_dir) == -1)
		abort();
}

START_TEST(test_ack_after_flush)
{
	int rfd, cfd;
	uint64_t seq;

	rfd = col_connect("replication");
	cfd = col_connect("consumer");
	col_subscribe(cfd, "h1", "items");
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1000);
	seq = col_recv_txn(cfd, 1000);
	col_expect_none(rfd, 200);		/* not durable yet: no ACK */
	col_flushed(cfd, seq);
	ck_assert_uint_eq(col_expect_ack(rfd), 1008);
}
END_TEST

START_TEST(test_unrelated_txn_acked_at_once)
{
	int rfd, cfd;

	rfd = col_connect("replication");
	cfd = col_connect("consumer");
	col_subscribe(cfd, "h1", "items");
	col_relation(rfd, 200, "other");
	col_txn(rfd, 200, 2000);
	ck_assert_uint_eq(col_expect_ack(rfd), 2008);
	col_expect_none(cfd, 200);		/* not routed to items' shape */
}
END_TEST

START_TEST(test_keepalive_acks_when_idle)
{
	struct mbuf m;
	int rfd;

	rfd = col_connect("replication");
	mbuf_init(&m);
	mbuf_u64(&m, 5555);
	col_send(rfd, MSG_KEEPALIVE, &m);
	mbuf_free(&m);
	ck_assert_uint_eq(col_expect_ack(rfd), 5555);
}
END_TEST

/* cfd takes the transaction at lsn, flushes it, and the slot moves. */
static void
col_apply(int rfd, int cfd, uint64_t lsn)
{
	col_flushed(cfd, col_recv_txn(cfd, lsn));
	ck_assert_uint_eq(col_expect_ack(rfd), lsn + 8);
}

/* A new instance of consumer h1 subscribes; the collector asks for a
 * rewind.  Returns its fd. */
static int
col_rejoin(int rfd)
{
	struct frame f;
	int cfd = col_connect("consumer");

	col_subscribe(cfd, "h1", "items");
	col_expect(rfd, MSG_REWIND, &f);	/* back: replay from the slot */
	free((void *)f.data);
	return cfd;
}

START_TEST(test_down_consumer_blocks_and_rewinds)
{
	int rfd, cfd;

	rfd = col_connect("replication");
	cfd = col_connect("consumer");
	col_subscribe(cfd, "h1", "items");
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1000);
	(void)col_recv_txn(cfd, 1000);
	close(cfd);				/* dies before flushing */
	usleep(100000);
	col_txn(rfd, 100, 1100);		/* missed while down */
	col_expect_none(rfd, 300);		/* the slot must not move */
	cfd = col_rejoin(rfd);
	col_send(rfd, MSG_REWOUND, NULL);
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1000);
	col_txn(rfd, 100, 1100);
	col_apply(rfd, cfd, 1000);
	col_apply(rfd, cfd, 1100);
}
END_TEST

/* A consumer back up is sent nothing from the old stream: the transactions
 * that arrive between its SUBSCRIBE and MSG_REWOUND would overtake the
 * ones it missed (and those would then be skipped as already held). */
START_TEST(test_rejoined_consumer_waits_for_rewind)
{
	int rfd, cfd;

	rfd = col_connect("replication");
	cfd = col_connect("consumer");
	col_subscribe(cfd, "h1", "items");
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1000);
	col_apply(rfd, cfd, 1000);
	close(cfd);
	usleep(100000);
	col_txn(rfd, 100, 1100);		/* missed while down */
	cfd = col_rejoin(rfd);
	col_txn(rfd, 100, 1200);		/* the old stream, still flowing */
	col_expect_none(cfd, 300);
	col_expect_none(rfd, 200);		/* and no ACK past 1100 */
	col_send(rfd, MSG_REWOUND, NULL);
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1100);
	col_txn(rfd, 100, 1200);
	col_apply(rfd, cfd, 1100);
	col_apply(rfd, cfd, 1200);
}
END_TEST

START_TEST(test_two_consumers_min_durable)
{
	int rfd, c1, c2;
	uint64_t s1, s2;

	rfd = col_connect("replication");
	c1 = col_connect("consumer");
	c2 = col_connect("consumer");
	col_subscribe(c1, "h1", "items");
	col_subscribe(c2, "h2", "items");
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1000);
	s1 = col_recv_txn(c1, 1000);
	s2 = col_recv_txn(c2, 1000);
	col_flushed(c1, s1);
	col_expect_none(rfd, 200);		/* h2 has not flushed */
	col_flushed(c2, s2);
	ck_assert_uint_eq(col_expect_ack(rfd), 1008);
}
END_TEST

/* The restart race: a transaction for a known shape that arrives before
 * its consumer subscribes must not be acknowledged. */
START_TEST(test_known_shape_blocks_until_subscribed)
{
	struct frame f;
	int rfd, cfd;
	uint64_t seq;

	rfd = col_connect("replication");
	col_relation(rfd, 300, "known");
	col_txn(rfd, 300, 3000);
	col_expect_none(rfd, 300);
	cfd = col_connect("consumer");
	col_subscribe(cfd, "known", "known");
	col_expect(rfd, MSG_REWIND, &f);
	free((void *)f.data);
	col_send(rfd, MSG_REWOUND, NULL);
	col_relation(rfd, 300, "known");
	col_txn(rfd, 300, 3000);
	seq = col_recv_txn(cfd, 3000);
	col_flushed(cfd, seq);
	ck_assert_uint_eq(col_expect_ack(rfd), 3008);
}
END_TEST

/* A deleted shape's consumer never flushes: FORGET releases the slot. */
START_TEST(test_forget_releases_blocked)
{
	struct mbuf m;
	int rfd, cfd, sfd;

	rfd = col_connect("replication");
	cfd = col_connect("consumer");
	sfd = col_connect("shapecache");
	col_send(sfd, MSG_READY, NULL);
	col_subscribe(cfd, "h1", "items");
	col_relation(rfd, 100, "items");
	col_txn(rfd, 100, 1000);
	(void)col_recv_txn(cfd, 1000);
	close(cfd);				/* gone, never flushed */
	col_expect_none(rfd, 200);
	mbuf_init(&m);
	mbuf_str(&m, "h1");
	col_send(sfd, MSG_FORGET, &m);
	mbuf_free(&m);
	ck_assert_uint_eq(col_expect_ack(rfd), 1008);
}
END_TEST

/* TRUNCATE of a shape's table is reported to shapecache, even when the
 * shapecache connects only afterwards. */
START_TEST(test_truncate_reports_invalid)
{
	struct mbuf m;
	struct frame f;
	struct mreader r;
	char *h;
	int rfd, cfd, sfd;

	rfd = col_connect("replication");
	cfd = col_connect("consumer");
	col_subscribe(cfd, "h1", "items");
	col_relation(rfd, 100, "items");
	mbuf_init(&m);
	mbuf_u64(&m, 0); mbuf_u64(&m, 4000); mbuf_u64(&m, 1); mbuf_u32(&m, 9);
	col_send(rfd, MSG_BEGIN, &m);
	mbuf_reset(&m);
	mbuf_u32(&m, 1); mbuf_u32(&m, 100); mbuf_u8(&m, 0);
	col_send(rfd, MSG_TRUNCATE, &m);
	mbuf_reset(&m);
	mbuf_u64(&m, 0); mbuf_u64(&m, 4000); mbuf_u64(&m, 4008); mbuf_u64(&m, 1);
	col_send(rfd, MSG_COMMIT, &m);
	mbuf_free(&m);
	sfd = col_connect("shapecache");
	col_send(sfd, MSG_READY, NULL);
	col_expect(sfd, MSG_SHAPE_INVALID, &f);
	mr_init(&r, f.data, f.len);
	h = mr_str(&r);
	ck_assert_str_eq(h, "h1");
	free(h);
	free((void *)f.data);
}
END_TEST

static void
col_expect_invalid(int sfd, const char *handle, const char *reason)
{
	struct frame f;
	struct mreader r;
	char *h, *why;

	col_expect(sfd, MSG_SHAPE_INVALID, &f);
	mr_init(&r, f.data, f.len);
	h = mr_str(&r);
	why = mr_str(&r);
	ck_assert_str_eq(h, handle);
	ck_assert_str_eq(why, reason);
	free(h);
	free(why);
	free((void *)f.data);
}

/* The replication peer (returned) and shapecache, registered for
 * invalidations (*sfd). */
static int
col_peers(int *sfd)
{
	int rfd = col_connect("replication");

	*sfd = col_connect("shapecache");
	col_send(*sfd, MSG_READY, NULL);
	return rfd;
}

/* The same relation again (a reconnect) is not a schema change; the
 * generated column, which pgoutput does not publish, does not count. */
START_TEST(test_relation_unchanged_keeps_shape)
{
	int rfd, sfd;

	rfd = col_peers(&sfd);
	col_relation(rfd, 300, "known");
	col_expect_none(sfd, 300);
}
END_TEST

START_TEST(test_relation_recreated_invalidates)
{
	int rfd, sfd;

	rfd = col_peers(&sfd);
	col_relation(rfd, 301, "known");	/* same name, another oid */
	col_expect_invalid(sfd, "known", "table dropped and re-created");
}
END_TEST

START_TEST(test_relation_renamed_invalidates)
{
	int rfd, sfd;

	rfd = col_peers(&sfd);
	col_relation(rfd, 300, "known_renamed");
	col_expect_invalid(sfd, "known", "table renamed");
}
END_TEST

/* A relation of id and x: known's with a column added (ALTER TABLE ADD
 * COLUMN x), or wide's as it was. */
static void
col_relation_idx(int rfd, uint32_t relid, const char *table)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_u32(&m, relid);
	mbuf_str(&m, "public");
	mbuf_str(&m, table);
	mbuf_u8(&m, 'f');
	mbuf_u16(&m, 2);			/* id plus an added column */
	mbuf_u8(&m, 1); mbuf_str(&m, "id"); mbuf_u32(&m, 23); mbuf_i32(&m, -1);
	mbuf_u8(&m, 0); mbuf_str(&m, "x"); mbuf_u32(&m, 23); mbuf_i32(&m, -1);
	col_send(rfd, MSG_RELATION, &m);
	mbuf_free(&m);
}

/* Each stored shape is checked against its own columns, however many
 * shapes were loaded before it with other ones. */
START_TEST(test_relation_checks_each_shapes_columns)
{
	int rfd, sfd;

	rfd = col_peers(&sfd);
	col_relation_idx(rfd, 400, "wide");
	col_expect_none(sfd, 300);
	col_relation(rfd, 400, "wide");		/* x dropped */
	col_expect_invalid(sfd, "wide", "columns dropped or renamed");
}
END_TEST

START_TEST(test_relation_columns_changed_invalidates)
{
	int rfd, sfd;

	rfd = col_peers(&sfd);
	col_relation_idx(rfd, 300, "known");
	col_expect_invalid(sfd, "known", "columns added, dropped or renamed");
}
END_TEST

/* A change under the new schema never reaches the ended shape (its live
 * clients must get the 409, not that change), and does not hold the
 * slot: it is acknowledged at once. */
START_TEST(test_invalidated_shape_gets_no_more_changes)
{
	int rfd, sfd, cfd;

	rfd = col_peers(&sfd);
	cfd = col_connect("consumer");
	col_subscribe(cfd, "known", "known");
	col_relation(rfd, 300, "known");
	col_txn(rfd, 300, 3000);
	col_flushed(cfd, col_recv_txn(cfd, 3000));
	ck_assert_uint_eq(col_expect_ack(rfd), 3008);
	col_relation_idx(rfd, 300, "known");
	col_expect_invalid(sfd, "known", "columns added, dropped or renamed");
	col_txn(rfd, 300, 4000);
	ck_assert_uint_eq(col_expect_ack(rfd), 4008);
	col_expect_none(cfd, 300);		/* nothing routed */
}
END_TEST

Suite *
collector_suite(void)
{
	Suite *s = suite_create("collector");
	TCase *tc = tcase_create("routing");

	tcase_add_checked_fixture(tc, col_setup, col_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ack_after_flush);
	tcase_add_test(tc, test_unrelated_txn_acked_at_once);
	tcase_add_test(tc, test_keepalive_acks_when_idle);
	tcase_add_test(tc, test_down_consumer_blocks_and_rewinds);
	tcase_add_test(tc, test_rejoined_consumer_waits_for_rewind);
	tcase_add_test(tc, test_two_consumers_min_durable);
	tcase_add_test(tc, test_known_shape_blocks_until_subscribed);
	tcase_add_test(tc, test_forget_releases_blocked);
	tcase_add_test(tc, test_truncate_reports_invalid);
	tcase_add_test(tc, test_relation_unchanged_keeps_shape);
	tcase_add_test(tc, test_relation_recreated_invalidates);
	tcase_add_test(tc, test_relation_renamed_invalidates);
	tcase_add_test(tc, test_relation_columns_changed_invalidates);
	tcase_add_test(tc, test_relation_checks_each_shapes_columns);
	tcase_add_test(tc, test_invalidated_shape_gets_no_more_changes);
	suite_add_tcase(s, tc);
	return s;
}
