/*
 * test_shapelog: the shape log format, writer and reader (shapelog.h).
 * Every case works in its own mkdtemp directory and checks exact bytes:
 * a planned range wrapped in "[" ... "]" must be exactly the expected
 * response body.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "shapelog.h"

Suite *shapelog_suite(void);

#define UTD "{\"headers\":{\"control\":\"up-to-date\"}}"
#define END "{\"headers\":{\"control\":\"snapshot-end\"}}"

static char sl_dir[64];

static void
sl_setup(void)
{
	strcpy(sl_dir, "/tmp/electricd-shapelog-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sl_dir));
}

static void
sl_teardown(void)
{
	ck_assert_int_eq(rm_rf(sl_dir), 0);
}

static char *
slurp_range(const char *path, off_t start, size_t len)
{
	char *p = xmalloc(len + 1);
	int fd = open(path, O_RDONLY);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pread(fd, p, len, start), (ssize_t)len);
	close(fd);
	p[len] = '\0';
	return p;
}

static uint64_t
fsize(const char *name)
{
	char path[256];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", sl_dir, name);
	if (stat(path, &sb) == -1)
		return (uint64_t)-1;
	return (uint64_t)sb.st_size;
}

static const char *
path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", sl_dir, name);
	return path;
}

static int
exists(const char *name)
{
	return fsize(name) != (uint64_t)-1;
}

static void
append_raw(const char *name, const char *bytes, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sl_dir, name);
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, bytes, n), (ssize_t)n);
	close(fd);
}

/* Plans offset s against st; checks result, body, end and up-to-date. */
static void
expect_plan(const struct shapelog_state *st, const char *s,
    enum shapelog_plan_result want, const char *body, const char *end,
    int utd)
{
	struct shapelog_plan plan;
	struct offset o = { 0, 0 };
	enum offset_kind k = offset_parse(s, &o);
	enum shapelog_plan_result r;
	char buf[OFFSET_STRLEN], *got;
	struct sbuf b;

	ck_assert_int_ne(k, OFFSET_INVALID);
	r = shapelog_plan(sl_dir, st, k, &o, &plan);
	ck_assert_msg(r == want, "offset %s: result %d, want %d", s, r, want);
	if (want != SHAPELOG_OK && want != SHAPELOG_AT_END)
		return;
	ck_assert_str_eq(offset_fmt(&plan.end, buf), end);
	ck_assert_int_eq(plan.up_to_date, utd);
	sbuf_init(&b);
	sbuf_addc(&b, '[');
	if (want == SHAPELOG_OK) {
		ck_assert_uint_gt(plan.len, 0);
		got = slurp_range(plan.path, plan.start, plan.len);
		sbuf_adds(&b, got);
		free(got);
	} else
		ck_assert_uint_eq(plan.len, 0);
	if (plan.up_to_date)
		sbuf_adds(&b, want == SHAPELOG_OK ? "," UTD : UTD);
	sbuf_addc(&b, ']');
	ck_assert_str_eq(b.p, body);
	sbuf_free(&b);
}

static void
snap(struct shapelog *sl, const char *row)
{
	ck_assert_int_eq(shapelog_snap_append(sl, row, strlen(row)), 0);
}

static void
app(struct shapelog *sl, uint64_t tx, uint64_t op, const char *row)
{
	ck_assert_int_eq(shapelog_append(sl, tx, op, row, strlen(row)), 0);
}

static void
expect_state(const struct shapelog_state *a, const struct shapelog_state *b)
{
	ck_assert_uint_eq(a->snap_chunks, b->snap_chunks);
	ck_assert_uint_eq(a->snap_done, b->snap_done);
	ck_assert_uint_eq(a->log_entries, b->log_entries);
	ck_assert_uint_eq(a->last_tx, b->last_tx);
	ck_assert_uint_eq(a->last_op, b->last_op);
	ck_assert_uint_eq(a->log_chunks, b->log_chunks);
}

/* Rows of 9 bytes are 11-byte entries: with chunk_bytes 20 two fill a
 * chunk.  Five rows + snapshot-end = chunks {r1,r2} {r3,r4} {r5,END}. */
static struct shapelog *
make_snapshot(void)
{
	struct shapelog *sl = shapelog_open(sl_dir, 20);
	struct shapelog_state rs;

	ck_assert_ptr_nonnull(sl);
	snap(sl, "{\"r\":\"1\"}");
	snap(sl, "{\"r\":\"2\"}");
	snap(sl, "{\"r\":\"3\"}");
	snap(sl, "{\"r\":\"4\"}");
	snap(sl, "{\"r\":\"5\"}");
	ck_assert_uint_eq(shapelog_state(sl)->snap_chunks, 2);
	ck_assert_uint_eq(shapelog_state(sl)->snap_done, 0);
	ck_assert_int_eq(shapelog_read_state(sl_dir, &rs), 0);
	expect_state(&rs, shapelog_state(sl));
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	return sl;
}

START_TEST(snapshot_chunks)
{
	struct shapelog *sl = make_snapshot();
	const struct shapelog_state *st = shapelog_state(sl);
	struct shapelog_state rs;
	char *c0, *got;

	ck_assert_uint_eq(st->snap_chunks, 3);
	ck_assert_uint_eq(st->snap_done, 1);
	ck_assert_uint_eq(fsize("snapshot.0"), 22);
	c0 = xasprintf("%s/snapshot.2", sl_dir);
	got = slurp_range(c0, 0, 11 + strlen(END) + 2);
	ck_assert_str_eq(got, ",{\"r\":\"5\"}\n," END "\n");
	free(got);
	free(c0);
	ck_assert(!exists("snapshot.3"));
	ck_assert(!exists("snapshot.2.part"));
	got = slurp_range(path_of("snapshot.done"), 0, 11);
	ck_assert_str_eq(got, "3\n22\n22\n51\n");	/* count, chunk sizes */
	free(got);
	ck_assert_int_eq(shapelog_read_state(sl_dir, &rs), 0);
	expect_state(&rs, st);

	expect_plan(st, "-1", SHAPELOG_OK, "[{\"r\":\"1\"}\n,{\"r\":\"2\"}\n]",
	    "0_0", 0);
	expect_plan(st, "0_0", SHAPELOG_OK, "[{\"r\":\"3\"}\n,{\"r\":\"4\"}\n]",
	    "0_1", 0);
	expect_plan(st, "0_1", SHAPELOG_OK,
	    "[{\"r\":\"5\"}\n," END "\n," UTD "]", "0_2", 1);
	expect_plan(st, "0_2", SHAPELOG_AT_END, "[" UTD "]", "0_2", 1);
	expect_plan(st, "0_inf", SHAPELOG_AT_END, "[" UTD "]", "0_inf", 1);
	expect_plan(st, "0_7", SHAPELOG_AT_END, "[" UTD "]", "0_7", 1);
	expect_plan(st, "5_0", SHAPELOG_OUT_OF_BOUNDS, NULL, NULL, 0);
	expect_plan(st, "now", SHAPELOG_AT_END, "[" UTD "]", "0_2", 1);
	shapelog_close(sl);
}
END_TEST

START_TEST(snapshot_not_ready)
{
	struct shapelog *sl = shapelog_open(sl_dir, 20);
	struct shapelog_state st;

	ck_assert_ptr_nonnull(sl);
	/* Nothing complete yet: offset -1 waits. */
	snap(sl, "{\"r\":\"1\"}");
	st = *shapelog_state(sl);
	ck_assert_uint_eq(st.snap_chunks, 0);
	expect_plan(&st, "-1", SHAPELOG_NOT_READY, NULL, NULL, 0);
	/* Chunk 0 complete, the snapshot still running: chunk 0 is served
	 * (never with up-to-date), the next one waits. */
	snap(sl, "{\"r\":\"2\"}");
	snap(sl, "{\"r\":\"3\"}");
	st = *shapelog_state(sl);
	ck_assert_uint_eq(st.snap_chunks, 1);
	expect_plan(&st, "-1", SHAPELOG_OK, "[{\"r\":\"1\"}\n,{\"r\":\"2\"}\n]",
	    "0_0", 0);
	expect_plan(&st, "0_0", SHAPELOG_NOT_READY, NULL, NULL, 0);
	expect_plan(&st, "0_inf", SHAPELOG_AT_END, "[" UTD "]", "0_inf", 1);
	expect_plan(&st, "1_0", SHAPELOG_OUT_OF_BOUNDS, NULL, NULL, 0);
	ck_assert(exists("snapshot.0"));
	ck_assert(exists("snapshot.1.part"));
	ck_assert(!exists("snapshot.1"));
	/* An empty table: chunk 0 is just the snapshot-end message. */
	shapelog_close(sl);
	ck_assert_int_eq(rm_rf(sl_dir), 0);
	sl = shapelog_open(sl_dir, 20);
	ck_assert_ptr_nonnull(sl);
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	expect_plan(shapelog_state(sl), "-1", SHAPELOG_OK, "[" END "\n]", "0_0", 0);
	expect_plan(shapelog_state(sl), "0_0", SHAPELOG_AT_END, "[" UTD "]",
	    "0_0", 1);
	shapelog_close(sl);
}
END_TEST

#define RA "{\"x\":\"a\"}"
#define RB "{\"x\":\"b\"}"
#define RC "{\"x\":\"c\"}"
#define RD "{\"x\":\"d\"}"
#define RE "{\"x\":\"e\"}"

START_TEST(main_log_plans)
{
	struct shapelog *sl = make_snapshot();
	struct shapelog_state old, rs;
	const struct shapelog_state *st = shapelog_state(sl);

	app(sl, 100, 0, RA);
	app(sl, 100, 2, RB);		/* closes main chunk 0 */
	ck_assert_uint_eq(st->log_entries, 0);	/* not visible yet */
	ck_assert_int_eq(shapelog_commit(sl), 0);
	app(sl, 200, 0, RC);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	ck_assert_uint_eq(st->log_entries, 3);
	ck_assert_uint_eq(st->log_chunks, 1);
	ck_assert_uint_eq(st->last_tx, 200);
	ck_assert_uint_eq(st->last_op, 0);
	ck_assert_int_eq(shapelog_read_state(sl_dir, &rs), 0);
	expect_state(&rs, st);

	expect_plan(st, "0_1", SHAPELOG_OK,
	    "[{\"r\":\"5\"}\n," END "\n]", "0_2", 0);
	expect_plan(st, "0_2", SHAPELOG_OK, "[" RA "\n," RB "\n]", "100_2", 0);
	expect_plan(st, "0_inf", SHAPELOG_OK, "[" RA "\n," RB "\n]", "100_2", 0);
	expect_plan(st, "100_0", SHAPELOG_OK, "[" RB "\n]", "100_2", 0);
	/* The open chunk ends at last: up-to-date. */
	expect_plan(st, "100_2", SHAPELOG_OK, "[" RC "\n," UTD "]", "200_0", 1);
	expect_plan(st, "150_7", SHAPELOG_OK, "[" RC "\n," UTD "]", "200_0", 1);
	expect_plan(st, "200_0", SHAPELOG_AT_END, "[" UTD "]", "200_0", 1);
	expect_plan(st, "200_1", SHAPELOG_OUT_OF_BOUNDS, NULL, NULL, 0);
	expect_plan(st, "now", SHAPELOG_AT_END, "[" UTD "]", "200_0", 1);

	old = *st;
	app(sl, 300, 0, RD);		/* closes main chunk 1 */
	app(sl, 300, 2, RE);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	ck_assert_uint_eq(st->log_chunks, 2);
	/* The closed chunk now ends before last. */
	expect_plan(st, "100_2", SHAPELOG_OK, "[" RC "\n," RD "\n]", "300_0", 0);
	expect_plan(st, "300_0", SHAPELOG_OK, "[" RE "\n," UTD "]", "300_2", 1);
	/* A reader with the older state sees no more than it says. */
	expect_plan(&old, "100_2", SHAPELOG_OK, "[" RC "\n," UTD "]", "200_0", 1);
	expect_plan(&old, "250_0", SHAPELOG_OUT_OF_BOUNDS, NULL, NULL, 0);
	shapelog_close(sl);

	/* Reopening keeps everything. */
	sl = shapelog_open(sl_dir, 20);
	ck_assert_ptr_nonnull(sl);
	ck_assert_int_eq(shapelog_read_state(sl_dir, &rs), 0);
	expect_state(shapelog_state(sl), &rs);
	ck_assert_uint_eq(rs.log_entries, 5);
	ck_assert_uint_eq(rs.log_chunks, 2);
	shapelog_close(sl);
}
END_TEST

START_TEST(append_order)
{
	struct shapelog *sl = make_snapshot();

	app(sl, 100, 2, RA);
	errno = 0;
	ck_assert_int_eq(shapelog_append(sl, 100, 2, RB, strlen(RB)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(shapelog_append(sl, 99, 8, RB, strlen(RB)), -1);
	ck_assert_int_eq(shapelog_append(sl, 0, 8, RB, strlen(RB)), -1);
	shapelog_rollback(sl);
	app(sl, 100, 0, RB);		/* allowed again after the rollback */
	ck_assert_int_eq(shapelog_commit(sl), 0);
	expect_plan(shapelog_state(sl), "0_2", SHAPELOG_OK,
	    "[" RB "\n," UTD "]", "100_0", 1);
	ck_assert_int_eq(shapelog_commit(sl), 0);	/* nothing pending */
	shapelog_close(sl);
}
END_TEST

START_TEST(recover_uncommitted)
{
	struct shapelog *sl = make_snapshot();
	struct shapelog_state before;
	char *big;

	app(sl, 100, 0, RA);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	before = *shapelog_state(sl);
	ck_assert_uint_eq(fsize("log"), 11);
	/* A large pending entry is written to the file before commit. */
	big = xmalloc(2 * 1024 * 1024 + 1);
	memset(big, 'z', 2 * 1024 * 1024);
	big[2 * 1024 * 1024] = '\0';
	app(sl, 200, 0, big);
	free(big);
	ck_assert_uint_gt(fsize("log"), 11);
	ck_assert_uint_eq(fsize("log.idx"), 24);
	shapelog_close(sl);		/* crash: no commit */

	sl = shapelog_open(sl_dir, 20);
	ck_assert_ptr_nonnull(sl);
	expect_state(shapelog_state(sl), &before);
	ck_assert_uint_eq(fsize("log"), 11);
	app(sl, 200, 0, RB);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	expect_plan(shapelog_state(sl), "100_0", SHAPELOG_OK,
	    "[" RB "\n," UTD "]", "200_0", 1);
	shapelog_close(sl);
}
END_TEST

START_TEST(recover_partial_records)
{
	struct shapelog *sl = make_snapshot();
	struct shapelog_state before, rs;

	app(sl, 100, 0, RA);
	app(sl, 100, 2, RB);
	app(sl, 100, 4, RC);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	before = *shapelog_state(sl);
	shapelog_close(sl);
	/* Torn writes: log bytes without a record, half records. */
	append_raw("log", ",{\"x\":", 6);
	append_raw("log.idx", "\x01\x02\x03\x04\x05", 5);
	append_raw("log.chunks", "\x09\x09\x09", 3);
	ck_assert_int_eq(shapelog_read_state(sl_dir, &rs), 0);
	expect_state(&rs, &before);	/* readers ignore partial records */

	sl = shapelog_open(sl_dir, 20);
	ck_assert_ptr_nonnull(sl);
	expect_state(shapelog_state(sl), &before);
	ck_assert_uint_eq(fsize("log"), 33);
	ck_assert_uint_eq(fsize("log.idx"), 72);
	ck_assert_uint_eq(fsize("log.chunks"), 8);
	/* The open chunk (entry 2, 11 bytes) keeps filling where it was. */
	app(sl, 101, 0, RD);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 2);
	expect_plan(shapelog_state(sl), "100_2", SHAPELOG_OK,
	    "[" RC "\n," RD "\n," UTD "]", "101_0", 1);
	shapelog_close(sl);
}
END_TEST

START_TEST(recover_index_past_log)
{
	struct shapelog *sl = make_snapshot();

	app(sl, 100, 0, RA);
	app(sl, 100, 2, RB);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	shapelog_close(sl);
	/* Damage: the log lost its tail although the index has it.  Those
	 * entries were acknowledged: the directory cannot be repaired. */
	ck_assert_int_eq(truncate(path_of("log"), 15), 0);
	errno = 0;
	ck_assert_ptr_null(shapelog_open(sl_dir, 20));
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
	ck_assert_uint_eq(fsize("log"), 15);	/* nothing changed */
	ck_assert_uint_eq(fsize("log.idx"), 48);
}
END_TEST

START_TEST(incomplete_snapshot_discarded)
{
	struct shapelog *sl = shapelog_open(sl_dir, 1000);
	struct shapelog_xip x = { 1, 5, 0, 0, NULL }, y;
	struct shapelog_state rs;

	/* Crash before any chunk was complete: nothing was served, so the
	 * snapshot is wiped and redone under the same handle. */
	ck_assert_ptr_nonnull(sl);
	snap(sl, "{\"r\":\"1\"}");
	ck_assert_int_eq(shapelog_xip_write(sl, &x), 0);
	shapelog_close(sl);
	ck_assert(!exists("snapshot.0"));
	ck_assert(exists("snapshot.0.part"));
	sl = shapelog_open(sl_dir, 20);
	ck_assert_ptr_nonnull(sl);
	ck_assert_uint_eq(shapelog_state(sl)->snap_chunks, 0);
	ck_assert_uint_eq(shapelog_state(sl)->snap_done, 0);
	ck_assert(!exists("snapshot.0.part"));
	ck_assert(!exists("snapshot.xip"));
	ck_assert_int_eq(shapelog_xip_read(sl, &y), 1);

	/* Crash after chunk 0 was complete: a reader may hold it (chunks
	 * are served while the snapshot runs) and a redone snapshot could
	 * mix with it, so the directory is damaged (the consumer drops the
	 * shape: 409). */
	snap(sl, "{\"r\":\"1\"}");
	snap(sl, "{\"r\":\"2\"}");
	snap(sl, "{\"r\":\"3\"}");
	shapelog_close(sl);
	ck_assert(exists("snapshot.0"));
	ck_assert_int_eq(shapelog_read_state(sl_dir, &rs), 0);
	ck_assert_uint_eq(rs.snap_done, 0);
	ck_assert_uint_eq(rs.snap_chunks, 1);
	errno = 0;
	ck_assert_ptr_null(shapelog_open(sl_dir, 20));
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
	ck_assert_str_eq(shapelog_damage(), "snapshot interrupted after a "
	    "chunk was complete (clients may hold it)");
	ck_assert(exists("snapshot.0"));	/* nothing removed */
	ck_assert_int_eq(unlink(path_of("snapshot.0")), 0);
	ck_assert_int_eq(unlink(path_of("snapshot.1.part")), 0);

	/* A finished snapshot missing a chunk file is damaged too. */
	sl = shapelog_open(sl_dir, 20);
	ck_assert_ptr_nonnull(sl);
	snap(sl, "{\"r\":\"9\"}");
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	expect_plan(shapelog_state(sl), "-1", SHAPELOG_OK,
	    "[{\"r\":\"9\"}\n," END "\n]", "0_0", 0);
	shapelog_close(sl);
	ck_assert_int_eq(unlink(path_of("snapshot.0")), 0);
	errno = 0;
	ck_assert_ptr_null(shapelog_open(sl_dir, 20));
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
	ck_assert(exists("snapshot.done"));
}
END_TEST

START_TEST(xip_roundtrip)
{
	struct shapelog *sl = shapelog_open(sl_dir, 20);
	uint64_t xip[] = { 742, 4294967302ULL };
	struct shapelog_xip x = { 740, 4294967310ULL, 0, 2, xip }, y;

	ck_assert_ptr_nonnull(sl);
	ck_assert_int_eq(shapelog_xip_read(sl, &y), 1);
	ck_assert_int_eq(shapelog_xip_write(sl, &x), 0);
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	shapelog_close(sl);
	sl = shapelog_open(sl_dir, 20);
	ck_assert_int_eq(shapelog_xip_read(sl, &y), 0);
	ck_assert_uint_eq(y.xmin, 740);
	ck_assert_uint_eq(y.xmax, 4294967310ULL);
	ck_assert_uint_eq(y.passed_lsn, 0);
	ck_assert_uint_eq(y.nxip, 2);
	ck_assert_uint_eq(y.xip[0], 742);
	ck_assert_uint_eq(y.xip[1], 4294967302ULL);
	y.passed_lsn = 12345;
	ck_assert_int_eq(shapelog_xip_write(sl, &y), 0);
	shapelog_xip_free(&y);
	ck_assert_int_eq(shapelog_xip_read(sl, &y), 0);
	ck_assert_uint_eq(y.passed_lsn, 12345);
	ck_assert_uint_eq(y.nxip, 2);
	shapelog_xip_free(&y);
	append_raw("snapshot.xip", "junk", 4);
	ck_assert_int_eq(shapelog_xip_read(sl, &y), -1);
	shapelog_close(sl);
}
END_TEST

START_TEST(last_offset)
{
	struct shapelog_state st = { 0, 0, 0, 0, 0, 0 };
	struct offset o;
	char buf[OFFSET_STRLEN];

	shapelog_last(&st, &o);
	ck_assert_str_eq(offset_fmt(&o, buf), "0_inf");
	st.snap_done = 1;
	st.snap_chunks = 4;
	shapelog_last(&st, &o);
	ck_assert_str_eq(offset_fmt(&o, buf), "0_3");
	st.log_entries = 2;
	st.last_tx = 77;
	st.last_op = 6;
	shapelog_last(&st, &o);
	ck_assert_str_eq(offset_fmt(&o, buf), "77_6");
}
END_TEST

/* Publishes what is pending; returns whether it has a tail (and checks
 * that the tail plans exactly what shapelog_plan plans from the files for
 * a request at its offset, bytes included). */
static int
publish_tail(struct shapelog *sl)
{
	const struct shapelog_state *st = shapelog_state(sl);
	struct shapelog_plan want, got;
	struct shapelog_tail t;
	char *bytes;

	ck_assert_int_eq(shapelog_publish(sl), 0);
	ck_assert_int_eq(shapelog_sync(sl), 0);
	if (!shapelog_tail(sl, &t))
		return 0;
	ck_assert_int_eq(shapelog_plan(sl_dir, st, OFFSET_REAL, &t.from, &want),
	    SHAPELOG_OK);
	ck_assert_int_eq(shapelog_tail_plan(sl_dir, st, &t, &got), 0);
	ck_assert_str_eq(got.path, want.path);
	ck_assert_int_eq(got.start, want.start);
	ck_assert_uint_eq(got.len, want.len);
	ck_assert_uint_eq(got.end.tx, want.end.tx);
	ck_assert_uint_eq(got.end.op, want.end.op);
	ck_assert_int_eq(got.up_to_date, want.up_to_date);
	ck_assert_int_eq(got.up_to_date, 1);
	ck_assert_uint_eq(t.len, want.len);
	ck_assert_int_eq(t.bytes != NULL, t.len <= SHAPELOG_TAIL_MAX);
	if (t.bytes != NULL) {
		bytes = slurp_range(want.path, want.start, want.len);
		ck_assert_mem_eq(t.bytes, bytes, t.len);
		free(bytes);
	}
	return 1;
}

/* What a publish hands http (MSG_SHAPE_NOTIFY) is what a reader at the
 * offset before it would be served from the files, with the bytes when
 * they are few; publishes that a plan would split (a chunk closing
 * inside them) have none.  Rows of 9 bytes are 11-byte entries,
 * chunk_bytes 20. */
START_TEST(tail_matches_plan)
{
	struct shapelog *sl = make_snapshot();
	struct shapelog_state old;
	struct shapelog_tail t;
	struct offset o;
	size_t n;
	char *big;

	app(sl, 100, 0, RA);			/* the first after the snapshot */
	ck_assert_int_eq(publish_tail(sl), 1);
	ck_assert_int_eq(shapelog_tail(sl, &t), 1);
	ck_assert_uint_eq(t.from.tx, 0);	/* 0_2: the snapshot's end */
	ck_assert_uint_eq(t.from.op, 2);
	app(sl, 200, 0, RB);			/* closes a chunk at its end */
	ck_assert_int_eq(publish_tail(sl), 1);
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 1);
	app(sl, 300, 0, RC);			/* closes one inside: none */
	app(sl, 300, 1, RD);
	app(sl, 300, 2, RE);
	ck_assert_int_eq(publish_tail(sl), 0);
	app(sl, 400, 0, RA);
	ck_assert_int_eq(publish_tail(sl), 1);
	ck_assert_int_eq(shapelog_tail(sl, &t), 1);
	ck_assert_uint_eq(t.from.tx, 300);
	ck_assert_uint_eq(t.from.op, 2);

	/* Appending or rolling back forget the tail. */
	app(sl, 500, 0, RB);
	ck_assert_int_eq(shapelog_tail(sl, &t), 0);
	shapelog_rollback(sl);
	ck_assert_int_eq(shapelog_tail(sl, &t), 0);

	/* Bigger publishes: the range without the bytes, also when the
	 * entries were written out before the publish (over 1 MiB). */
	for (n = SHAPELOG_TAIL_MAX + 16; n < 3u << 20; n *= 1024) {
		big = xmalloc(n);
		memset(big, 'y', n);
		memcpy(big, "{\"x\":\"", 6);
		memcpy(big + n - 2, "\"}", 2);
		ck_assert_int_eq(shapelog_append(sl, 600 + n, 0, big, n), 0);
		free(big);
		ck_assert_int_eq(publish_tail(sl), 1);
		ck_assert_int_eq(shapelog_tail(sl, &t), 1);
		ck_assert_ptr_null(t.bytes);
		ck_assert_uint_eq(t.len, n + 1);
	}

	/* The tail starts at the offset before the publish; one that cannot
	 * be a state's last publish (before the snapshot's end, or starting
	 * at or past its last offset) is refused. */
	old = *shapelog_state(sl);
	app(sl, 1u << 30, 0, RC);
	ck_assert_int_eq(publish_tail(sl), 1);
	ck_assert_int_eq(shapelog_tail(sl, &t), 1);
	shapelog_last(&old, &o);
	ck_assert_uint_eq(t.from.tx, o.tx);
	old.snap_done = 0;
	ck_assert_int_eq(shapelog_tail_plan(sl_dir, &old, &t,
	    &(struct shapelog_plan){ 0 }), -1);
	t.from.tx = (1u << 30) + 1;	/* at or past last */
	ck_assert_int_eq(shapelog_tail_plan(sl_dir, shapelog_state(sl), &t,
	    &(struct shapelog_plan){ 0 }), -1);
	shapelog_close(sl);
}
END_TEST

Suite *
shapelog_suite(void)
{
	Suite *s = suite_create("shapelog");
	TCase *tc = tcase_create("shapelog");

	tcase_add_checked_fixture(tc, sl_setup, sl_teardown);
	tcase_add_test(tc, snapshot_chunks);
	tcase_add_test(tc, snapshot_not_ready);
	tcase_add_test(tc, main_log_plans);
	tcase_add_test(tc, append_order);
	tcase_add_test(tc, recover_uncommitted);
	tcase_add_test(tc, recover_partial_records);
	tcase_add_test(tc, recover_index_past_log);
	tcase_add_test(tc, incomplete_snapshot_discarded);
	tcase_add_test(tc, xip_roundtrip);
	tcase_add_test(tc, last_offset);
	tcase_add_test(tc, tail_matches_plan);
	suite_add_tcase(s, tc);
	return s;
}
