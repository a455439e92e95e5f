/*
 * test_consumer: consumer_stream.c fed with collector frames, checking
 * what reaches the shape log.  Focus: a TRUNCATE of the shape's table
 * inside a transaction leaves the log a prefix of committed history (no
 * entry of that transaction or of any later one), and acknowledgements
 * keep flowing.  Also: the group commit (a sync at most every 50 ms, a
 * publish at once) and the read hold while catching up on a backlog.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "consumer_int.h"
#include "msg.h"
#include "pgoutput.h"

Suite *consumer_suite(void);

#define RELID	16384

static struct consumer c;
static char dir[64];

static void
flush_cb(evutil_socket_t s, short ev, void *arg)
{
	(void)s; (void)ev;
	cons_stream_flush(arg, 0);
}

static void
hold_cb(evutil_socket_t s, short ev, void *arg)
{
	(void)s; (void)ev;
	cons_stream_unhold(arg);
}

static void
setup(void)
{
	char *err = NULL;

	memset(&c, 0, sizeof(c));
	snprintf(dir, sizeof(dir), "/tmp/test_consumer.%d", (int)getpid());
	c.base = event_base_new();
	c.q_tail = &c.q_head;
	ck_assert_int_eq(change_shape_init(&c.sh, "public", "items",
	    "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
	    "{\"name\":\"title\",\"type\":\"text\",\"pk\":-1}]", &err), 0);
	c.sl = shapelog_open(dir, 1 << 20);
	ck_assert_ptr_nonnull(c.sl);
	ck_assert_int_eq(shapelog_snap_finish(c.sl, "{}", 2), 0);
	c.flush_ev = event_new(c.base, -1, 0, flush_cb, &c);
	c.hold_tmr = evtimer_new(c.base, hold_cb, &c);
	cons_stream_init(&c);
	c.state = CONS_STREAMING;
}

static void
teardown(void)
{
	size_t i;

	shapelog_close(c.sl);
	ck_assert_int_eq(rm_rf(dir), 0);
	for (i = 0; i < c.nrels; i++)
		free(c.rels[i].map);
	free(c.rels);
	free(c.oldv);
	free(c.newv);
	sbuf_free(&c.out[0].json);
	sbuf_free(&c.out[1].json);
	sbuf_free(&c.held);
	change_shape_free(&c.sh);
	if (c.coll != NULL)
		chan_free(c.coll);
	event_free(c.hold_tmr);
	event_free(c.flush_ev);
	event_base_free(c.base);
}

static void
feed(uint16_t type, struct mbuf *mb)
{
	cons_stream_frame(&c, type, mb->p, mb->len);
	mbuf_reset(mb);
}

static void
relation(void)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mbuf_u32(&mb, RELID);
	mbuf_str(&mb, "public");
	mbuf_str(&mb, "items");
	mbuf_u8(&mb, 'f');
	mbuf_u16(&mb, 2);
	mbuf_u8(&mb, 1);
	mbuf_str(&mb, "id");
	mbuf_u32(&mb, 23);
	mbuf_i32(&mb, -1);
	mbuf_u8(&mb, 0);
	mbuf_str(&mb, "title");
	mbuf_u32(&mb, 25);
	mbuf_i32(&mb, -1);
	feed(MSG_RELATION, &mb);
	mbuf_free(&mb);
}

static void
begin(uint64_t seq, uint64_t lsn)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mbuf_u64(&mb, seq);
	mbuf_u64(&mb, lsn);
	mbuf_u64(&mb, 0);
	mbuf_u32(&mb, (uint32_t)(700 + seq));
	feed(MSG_BEGIN, &mb);
	mbuf_free(&mb);
}

static void
insert(uint32_t index, const char *id)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mbuf_u32(&mb, RELID);
	mbuf_u8(&mb, 'I');
	mbuf_u32(&mb, index);
	mbuf_u8(&mb, 0);
	mbuf_u8(&mb, 1);
	mbuf_u16(&mb, 2);
	mbuf_u8(&mb, 't');
	mbuf_str(&mb, id);
	mbuf_u8(&mb, 'n');
	feed(MSG_CHANGE, &mb);
	mbuf_free(&mb);
}

static void
truncate_rel(void)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mbuf_u32(&mb, 1);
	mbuf_u32(&mb, RELID);
	mbuf_u8(&mb, 0);
	feed(MSG_TRUNCATE, &mb);
	mbuf_free(&mb);
}

/* ts: the commit time, Postgres µs (0: unknown) */
static void
commit_at(uint64_t seq, uint64_t ts)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mbuf_u64(&mb, seq);
	mbuf_u64(&mb, 0);
	mbuf_u64(&mb, 0);
	mbuf_u64(&mb, ts);
	feed(MSG_COMMIT, &mb);
	mbuf_free(&mb);
}

static void
commit(uint64_t seq)
{
	commit_at(seq, 0);
}

/* Runs the pending flush (batched commit + acknowledgement). */
static void
flush(void)
{
	event_base_loop(c.base, EVLOOP_NONBLOCK);
}

/* The whole main log file. */
static char *
log_text(void)
{
	char path[128], *buf = xcalloc(1, 65536);
	FILE *f;

	snprintf(path, sizeof(path), "%s/log", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	(void)fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

START_TEST(truncate_drops_held_change)
{
	char *txt;

	relation();
	begin(1, 100);
	insert(0, "1");
	commit(1);
	/* same batch: tx 1 is not durable yet */
	begin(2, 200);
	insert(0, "2");
	truncate_rel();
	insert(2, "3");
	commit(2);
	begin(3, 300);
	insert(0, "4");
	commit(3);
	flush();
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 1);
	ck_assert_uint_eq(shapelog_state(c.sl)->last_tx, 100);
	ck_assert_int_eq(c.ack_pending, 0);
	txt = log_text();
	ck_assert_ptr_nonnull(strstr(txt, "\"id\":\"1\""));
	ck_assert_ptr_null(strstr(txt, "\"id\":\"2\""));
	ck_assert_ptr_null(strstr(txt, "\"id\":\"3\""));
	ck_assert_ptr_null(strstr(txt, "\"id\":\"4\""));
	ck_assert_ptr_nonnull(strstr(txt, "\"last\":true"));
	free(txt);
}
END_TEST

START_TEST(truncate_rolls_back_appended)
{
	char *txt;

	relation();
	begin(1, 100);
	insert(0, "1");
	commit(1);
	flush();			/* tx 1 durable */
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 1);
	begin(2, 200);
	insert(0, "2");
	insert(1, "3");			/* "2" is now appended, "3" held */
	insert(2, "5");
	truncate_rel();
	insert(4, "6");
	commit(2);
	flush();
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 1);
	ck_assert_uint_eq(shapelog_state(c.sl)->last_tx, 100);
	ck_assert_int_eq(c.ack_pending, 0);
	/* later transactions are acknowledged but never written */
	begin(3, 300);
	insert(0, "4");
	commit(3);
	flush();
	ck_assert_int_eq(c.ack_pending, 0);
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 1);
	txt = log_text();
	ck_assert_ptr_null(strstr(txt, "\"id\":\"2\""));
	ck_assert_ptr_null(strstr(txt, "\"id\":\"4\""));
	free(txt);
	/* what is on disk reads back the same after a reopen */
	shapelog_close(c.sl);
	c.sl = shapelog_open(dir, 1 << 20);
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 1);
}
END_TEST

START_TEST(no_truncate_keeps_all)
{
	relation();
	begin(1, 100);
	insert(0, "1");
	insert(1, "2");
	commit(1);
	begin(2, 200);
	insert(0, "3");
	commit(2);
	flush();
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 3);
	ck_assert_uint_eq(shapelog_state(c.sl)->last_tx, 200);
}
END_TEST

#define BACKLOG_TS	(pgoutput_pg_now() - 5 * 1000000)	/* committed 5 s ago */

/* Transaction seq (LSN seq * 100) inserting one row, committed at ts. */
static void
one_tx(uint64_t seq, const char *id, uint64_t ts)
{
	begin(seq, seq * 100);
	insert(0, id);
	commit_at(seq, ts);
}

/* Live transactions (committed just now) are synced and acknowledged at
 * once, however close together. */
START_TEST(live_syncs_at_once)
{
	uint64_t seq;

	relation();
	for (seq = 1; seq <= 3; seq++) {
		char id[2] = { (char)('0' + seq), '\0' };

		one_tx(seq, id, pgoutput_pg_now());
		flush();
		ck_assert_int_eq(shapelog_unsynced(c.sl), 0);
		ck_assert_int_eq(c.ack_pending, 0);
	}
	ck_assert(!evtimer_pending(c.flush_ev, NULL));
}
END_TEST

/* Catching up (a backlog, published again within 20 ms): a commit is
 * published at once (readers see it) but made durable and acknowledged
 * only 50 ms after the last sync, by the timer, or at once by a stop. */
START_TEST(catch_up_groups_syncs)
{
	relation();
	one_tx(1, "1", BACKLOG_TS);
	flush();
	ck_assert_int_eq(c.ack_pending, 0);	/* not busy yet: at once */
	one_tx(2, "2", BACKLOG_TS);
	flush();
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 2);
	ck_assert_int_eq(shapelog_unsynced(c.sl), 1);
	ck_assert_int_eq(c.ack_pending, 1);
	ck_assert(evtimer_pending(c.flush_ev, NULL));
	event_base_loop(c.base, EVLOOP_ONCE);	/* the end of the gap */
	ck_assert_int_eq(shapelog_unsynced(c.sl), 0);
	ck_assert_int_eq(c.ack_pending, 0);
	one_tx(3, "3", BACKLOG_TS);
	flush();
	ck_assert_int_eq(c.ack_pending, 0);	/* 50 ms later: not busy */
	one_tx(4, "4", BACKLOG_TS);
	flush();
	ck_assert_int_eq(c.ack_pending, 1);
	cons_stream_stop(&c);
	ck_assert_int_eq(shapelog_unsynced(c.sl), 0);
	ck_assert_int_eq(c.ack_pending, 0);
}
END_TEST

/* The 5 ms batch bound counts from the first unpublished commit, not from
 * the first unacknowledged one: the next transaction of a backlog does
 * not end a sync's wait, nor publish alone. */
START_TEST(deferred_sync_keeps_batches)
{
	relation();
	one_tx(1, "1", BACKLOG_TS);
	flush();
	one_tx(2, "2", BACKLOG_TS);
	flush();
	ck_assert_int_eq(c.ack_pending, 1);	/* the sync waits */
	usleep(10 * 1000);
	begin(3, 300);
	ck_assert_int_eq(c.ack_pending, 1);	/* still waits */
	ck_assert_int_eq(shapelog_unsynced(c.sl), 1);
	insert(0, "3");
	commit_at(3, BACKLOG_TS);
	one_tx(4, "4", BACKLOG_TS);
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 2);
	flush();			/* 3 and 4 in one publish */
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 4);
}
END_TEST

static int frames_seen;

static void
count_frame(struct chan *ch, struct frame *f, void *arg)
{
	(void)ch; (void)f; (void)arg;
	frames_seen++;
}

static void
close_frame(struct chan *ch, int error, void *arg)
{
	(void)ch; (void)error; (void)arg;
}

/* c.coll and its peer (the collector's end), connected. */
static struct chan *
connect_collector(void)
{
	struct chan *peer;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c.coll = chan_new(c.base, sv[0], "consumer", 1 << 20, count_frame,
	    close_frame, &c);
	peer = chan_new(c.base, sv[1], "collector", 1 << 20, count_frame,
	    close_frame, NULL);
	while (chan_queued(peer) > 0 || chan_queued(c.coll) > 0)
		event_base_loop(c.base, EVLOOP_ONCE);	/* HELLOs out */
	while (chan_input_pending(c.coll))
		event_base_loop(c.base, EVLOOP_NONBLOCK);
	return peer;
}

/* Catching up with nothing more to read: no read for 20 ms after the
 * publish; the peer's frames wait until the hold is over. */
START_TEST(hold_while_catching_up)
{
	struct chan *peer = connect_collector();

	relation();
	one_tx(1, "1", BACKLOG_TS);
	flush();
	ck_assert(!evtimer_pending(c.hold_tmr, NULL));	/* not busy yet */
	one_tx(2, "2", BACKLOG_TS);
	flush();
	ck_assert_uint_eq(shapelog_state(c.sl)->log_entries, 2);
	ck_assert(evtimer_pending(c.hold_tmr, NULL));
	frames_seen = 0;
	ck_assert_int_eq(chan_send(peer, MSG_STATS, 0, NULL, 0, -1), 0);
	while (evtimer_pending(c.hold_tmr, NULL)) {
		event_base_loop(c.base, EVLOOP_ONCE);
		ck_assert_int_eq(frames_seen, 0);
	}
	while (frames_seen < 1)
		event_base_loop(c.base, EVLOOP_ONCE);
	chan_free(peer);
}
END_TEST

/* No hold while frames wait to be read (the consumer is the bottleneck:
 * holding would only slow it), nor for a live stream. */
START_TEST(no_hold_with_input_or_live)
{
	struct chan *peer = connect_collector();

	relation();
	one_tx(1, "1", BACKLOG_TS);
	flush();
	ck_assert_int_eq(chan_send(peer, MSG_STATS, 0, NULL, 0, -1), 0);
	chan_push(peer);
	one_tx(2, "2", BACKLOG_TS);
	cons_stream_flush(&c, 0);	/* the frame is in the socket */
	ck_assert(!evtimer_pending(c.hold_tmr, NULL));
	one_tx(3, "3", pgoutput_pg_now());
	flush();
	ck_assert(!evtimer_pending(c.hold_tmr, NULL));
	chan_free(peer);
}
END_TEST

Suite *
consumer_suite(void)
{
	Suite *s = suite_create("consumer");
	TCase *tc = tcase_create("consumer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, truncate_drops_held_change);
	tcase_add_test(tc, truncate_rolls_back_appended);
	tcase_add_test(tc, no_truncate_keeps_all);
	tcase_add_test(tc, live_syncs_at_once);
	tcase_add_test(tc, catch_up_groups_syncs);
	tcase_add_test(tc, deferred_sync_keeps_batches);
	tcase_add_test(tc, hold_while_catching_up);
	tcase_add_test(tc, no_hold_with_input_or_live);
	suite_add_tcase(s, tc);
	return s;
}
