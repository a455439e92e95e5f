/*
 * test_shapelog_damage: storage faults and damaged shape directories
 * (shapelog_check.c, the writer's rollback in shapelog.c).  Every damage
 * kind is made by hand on a good directory and must be found by the deep
 * check (consumer start), by shapelog_read_state (http) where it is
 * cheap, and by the planner before it serves a byte.  Failed writes are
 * made with RLIMIT_FSIZE (EFBIG, a storage errno): the rolled-back log
 * must reopen clean and take the same entries again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "shapelog.h"

Suite *shapelog_damage_suite(void);

#define END "{\"headers\":{\"control\":\"snapshot-end\"}}"
#define ROW "{\"r\":\"1\"}"

static char dd_dir[64];

static void
dd_setup(void)
{
	strcpy(dd_dir, "/tmp/electricd-sldamage-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dd_dir));
}

static void
dd_teardown(void)
{
	ck_assert_int_eq(rm_rf(dd_dir), 0);
}

static const char *
pth(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dd_dir, name);
	return path;
}

static long long
fsz(const char *name)
{
	struct stat sb;

	return stat(pth(name), &sb) == -1 ? -1 : (long long)sb.st_size;
}

static void
put(const char *name, const void *p, size_t n, off_t off)
{
	int fd = open(pth(name), O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pwrite(fd, p, n, off), (ssize_t)n);
	close(fd);
}

/* A finished snapshot of 3 chunks (chunk_bytes 20) and 4 log entries in
 * 2 transactions; log.chunks has one boundary. */
static void
make_good(void)
{
	struct shapelog *sl = shapelog_open(dd_dir, 20);
	struct shapelog_xip x = { 1, 5, 0, 0, NULL };
	int i;

	ck_assert_ptr_nonnull(sl);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(shapelog_snap_append(sl, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_xip_write(sl, &x), 0);
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	ck_assert_int_eq(shapelog_append(sl, 100, 0, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_append(sl, 100, 2, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	ck_assert_int_eq(shapelog_append(sl, 200, 0, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_append(sl, 200, 2, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 2);
	shapelog_close(sl);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
}

/* Deep check, reopen and (when reader) read_state all report damage. */
static void
expect_damaged(int reader, const char *word)
{
	struct shapelog_state st;
	char why[256] = "";

	ck_assert_int_eq(shapelog_check(dd_dir, 1, why, sizeof(why)), 1);
	ck_assert_msg(strstr(why, word) != NULL, "why \"%s\" lacks \"%s\"",
	    why, word);
	ck_assert_str_eq(shapelog_damage(), why);
	errno = 0;
	ck_assert_ptr_null(shapelog_open(dd_dir, 20));
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
	if (!reader)
		return;
	errno = 0;
	ck_assert_int_eq(shapelog_read_state(dd_dir, &st), -1);
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
}

START_TEST(good_dir_and_old_format)
{
	struct shapelog_state st;

	make_good();
	ck_assert_int_eq(shapelog_check(dd_dir, 0, NULL, 0), 0);
	/* snapshot.done without chunk sizes (written before issue 5) */
	ck_assert_int_eq(truncate(pth("snapshot.done"), 2), 0);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	ck_assert_int_eq(shapelog_read_state(dd_dir, &st), 0);
	ck_assert_uint_eq(st.snap_chunks, 3);
	ck_assert_uint_eq(st.log_entries, 4);
	/* no snapshot.xip either (older still) */
	ck_assert_int_eq(unlink(pth("snapshot.xip")), 0);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
}
END_TEST

START_TEST(missing_chunk)
{
	make_good();
	ck_assert_int_eq(unlink(pth("snapshot.1")), 0);
	expect_damaged(1, "snapshot.1: missing");
}
END_TEST

START_TEST(chunk_size)
{
	make_good();
	ck_assert_int_eq(truncate(pth("snapshot.0"), 21), 0);
	expect_damaged(1, "snapshot.0: 21 bytes");
}
END_TEST

START_TEST(chunk_content_old_format)
{
	make_good();
	ck_assert_int_eq(truncate(pth("snapshot.done"), 2), 0);
	put("snapshot.2", "x", 1, fsz("snapshot.2") - 1);	/* no "\n" */
	expect_damaged(1, "not whole entries");
}
END_TEST

START_TEST(done_unparseable)
{
	make_good();
	put("snapshot.done", "3\nzz\n", 5, 0);
	expect_damaged(1, "snapshot.done");
}
END_TEST

START_TEST(xip_unparseable)
{
	make_good();
	put("snapshot.xip", "1 x", 3, 0);
	expect_damaged(1, "snapshot.xip");
}
END_TEST

START_TEST(log_truncated)
{
	make_good();
	ck_assert_int_eq(truncate(pth("log"), fsz("log") - 3), 0);
	expect_damaged(1, "log.idx needs");
}
END_TEST

START_TEST(log_misaligned)
{
	make_good();
	put("log", "\n,", 2, 10);	/* entry 0 ends one byte early */
	put("log", "X", 1, fsz("log") - 1);
	expect_damaged(1, "entries not where log.idx says");
}
END_TEST

START_TEST(idx_out_of_order)
{
	uint64_t rec[3] = { 50, 0, 11 };

	make_good();
	put("log.idx", rec, sizeof(rec), 24);	/* entry 1: tx 50 < 100 */
	ck_assert_int_eq(shapelog_check(dd_dir, 0, NULL, 0), 0); /* deep only */
	expect_damaged(0, "log.idx: record 1 out of order");
}
END_TEST

START_TEST(idx_last_out_of_order)
{
	uint64_t rec[3] = { 200, 0, 30 };

	make_good();
	put("log.idx", rec, sizeof(rec), 3 * 24);	/* end goes back */
	expect_damaged(1, "out of order");
	ck_assert_int_eq(shapelog_check(dd_dir, 0, NULL, 0), 1);
	ck_assert_str_eq(shapelog_damage(), "log.idx: last record out of order");
}
END_TEST

START_TEST(chunks_out_of_order)
{
	uint64_t b = 0;

	make_good();
	put("log.chunks", &b, 8, 8);
	expect_damaged(1, "log.chunks");
}
END_TEST

START_TEST(log_without_snapshot)
{
	make_good();
	ck_assert_int_eq(unlink(pth("snapshot.done")), 0);
	expect_damaged(0, "without a finished snapshot");
}
END_TEST

/* The planner refuses a range whose bytes are not whole entries, even
 * with a state that passed the checks before the damage. */
START_TEST(plan_refuses_damage)
{
	struct shapelog_state st;
	struct shapelog_plan plan;
	struct offset o = { 100, 2 };

	make_good();
	ck_assert_int_eq(shapelog_read_state(dd_dir, &st), 0);
	ck_assert_int_eq(shapelog_plan(dd_dir, &st, OFFSET_REAL, &o, &plan),
	    SHAPELOG_OK);
	put("log", "Z", 1, fsz("log") - 1);
	errno = 0;
	ck_assert_int_eq(shapelog_plan(dd_dir, &st, OFFSET_REAL, &o, &plan),
	    SHAPELOG_ERROR);
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
	o.tx = 0;
	o.op = 0;
	put("snapshot.1", "Q", 1, 0);
	ck_assert_int_eq(shapelog_plan(dd_dir, &st, OFFSET_REAL, &o, &plan),
	    SHAPELOG_ERROR);
	ck_assert_int_eq(errno, SHAPELOG_EDAMAGED);
}
END_TEST

/* Interrupted commits are not damage: partial records, log bytes past
 * the last record. */
START_TEST(torn_tail_is_not_damage)
{
	struct shapelog *sl;

	make_good();
	put("log", ",{\"x", 4, fsz("log"));
	put("log.idx", "\1\2\3", 3, fsz("log.idx"));
	put("log.chunks", "\7", 1, fsz("log.chunks"));
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 20));
	shapelog_close(sl);
	ck_assert_int_eq(fsz("log.idx"), 96);
	ck_assert_int_eq(fsz("log.chunks"), 16);
}
END_TEST

static uint64_t
u64_at(const char *name, uint64_t i)
{
	uint64_t v = 0;
	int fd = open(pth(name), O_RDONLY);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(pread(fd, &v, 8, (off_t)(i * 8)), 8);
	close(fd);
	return v;
}

/* make_good, then two entries of tx 300 published (written, visible to a
 * reader) but never synced: the consumer was killed before its
 * fdatasyncs.  Entries are 11 bytes: with chunk_bytes 20 they close a
 * chunk every 2 entries, so the 6th closes the third. */
static void
make_published(void)
{
	struct shapelog_state st;
	struct shapelog *sl;

	make_good();
	ck_assert_uint_eq(u64_at("log.synced", 0), 4);
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 20));
	ck_assert_int_eq(shapelog_append(sl, 300, 0, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_append(sl, 300, 2, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_publish(sl), 0);
	ck_assert_int_eq(shapelog_read_state(dd_dir, &st), 0);
	ck_assert_uint_eq(st.log_entries, 6);
	ck_assert_uint_eq(st.log_chunks, 3);
	ck_assert_uint_eq(st.last_tx, 300);
	ck_assert_uint_eq(u64_at("log.synced", 0), 4);
	shapelog_close(sl);	/* no sync */
}

/* A process crash keeps the page cache: everything published stays, and
 * reopening makes it durable. */
START_TEST(published_survives_process_crash)
{
	struct shapelog *sl;

	make_published();
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 20));
	ck_assert_uint_eq(shapelog_state(sl)->log_entries, 6);
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 3);
	shapelog_close(sl);
	ck_assert_uint_eq(u64_at("log.synced", 0), 6);
}
END_TEST

/* A machine crash wrote back log.idx but not all of log: the records past
 * log.synced whose bytes are missing or not whole are dropped (never
 * acknowledged), a reader counts only whole ones, and it is not damage. */
START_TEST(machine_crash_tears_unsynced_tail)
{
	struct shapelog_state st;
	struct shapelog *sl;
	long long four;

	make_published();
	four = fsz("log") - 22;		/* the 4 synced entries' bytes */
	put("log", "", 1, four + 21);	/* the 6th's last byte never written */
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	ck_assert_int_eq(shapelog_check(dd_dir, 0, NULL, 0), 0);
	ck_assert_int_eq(shapelog_read_state(dd_dir, &st), 0);
	ck_assert_uint_eq(st.log_entries, 5);
	ck_assert_uint_eq(st.log_chunks, 2);
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 20));
	ck_assert_uint_eq(shapelog_state(sl)->log_entries, 5);
	ck_assert_uint_eq(shapelog_state(sl)->last_tx, 300);
	ck_assert_uint_eq(shapelog_state(sl)->last_op, 0);
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 2);
	ck_assert_int_eq(fsz("log"), four + 11);
	ck_assert_int_eq(fsz("log.idx"), 5 * 24);
	/* The replay appends the lost entry: the same bytes, the same
	 * boundary after it. */
	ck_assert_int_eq(shapelog_append(sl, 300, 2, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 3);
	shapelog_close(sl);
	ck_assert_int_eq(fsz("log"), four + 22);
	ck_assert_uint_eq(u64_at("log.chunks", 2), 6);
	ck_assert_uint_eq(u64_at("log.synced", 0), 6);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
}
END_TEST

/* log.chunks lost a boundary whose entries log.idx kept: it is derived
 * again at the same entry, so clients' chunk offsets stay valid. */
START_TEST(lost_chunk_boundary_derived_again)
{
	struct shapelog *sl;

	make_published();
	ck_assert_int_eq(truncate(pth("log.chunks"), 8), 0);	/* [2] */
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 20));
	ck_assert_uint_eq(shapelog_state(sl)->log_chunks, 3);
	shapelog_close(sl);
	ck_assert_int_eq(fsz("log.chunks"), 24);
	ck_assert_uint_eq(u64_at("log.chunks", 1), 4);
	ck_assert_uint_eq(u64_at("log.chunks", 2), 6);
}
END_TEST

/* Below log.synced a missing byte is damage; so is any in a directory
 * from before log.synced (all of its records are durable). */
START_TEST(synced_part_stays_strict)
{
	make_published();
	ck_assert_int_eq(truncate(pth("log"), fsz("log") - 25), 0);
	expect_damaged(1, "log.idx needs");
	ck_assert_int_eq(rm_rf(dd_dir), 0);
	ck_assert_int_eq(mkdir(dd_dir, 0700), 0);
	make_good();
	ck_assert_int_eq(unlink(pth("log.synced")), 0);
	ck_assert_int_eq(truncate(pth("log"), fsz("log") - 3), 0);
	expect_damaged(1, "log.idx needs");
}
END_TEST

static void
limit_fsize(rlim_t n)
{
	struct rlimit rl = { n, RLIM_INFINITY };

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* A commit that cannot be written is rolled back: files at their durable
 * lengths, state unchanged, the same entries commit once space is back. */
START_TEST(failed_commit_rolls_back)
{
	struct shapelog_state before;
	struct shapelog *sl;
	char big[4096];
	long long lsz, isz;
	int r, e;

	make_good();
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 1 << 20));
	before = *shapelog_state(sl);
	lsz = fsz("log");
	isz = fsz("log.idx");
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(shapelog_append(sl, 300, 0, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_append(sl, 300, 2, big, strlen(big)), 0);
	/* (Check reports through a file: no assertion under the limit.) */
	limit_fsize((rlim_t)lsz + 1000);
	errno = 0;
	r = shapelog_commit(sl);
	e = errno;
	limit_fsize(RLIM_INFINITY);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(e, EFBIG);
	errno = e;
	ck_assert(shapelog_storage_errno(errno));
	ck_assert_msg(strstr(shapelog_errmsg(sl), "/log: write: ") != NULL,
	    "%s", shapelog_errmsg(sl));
	ck_assert_int_eq(fsz("log"), lsz);
	ck_assert_int_eq(fsz("log.idx"), isz);
	ck_assert_uint_eq(shapelog_state(sl)->log_entries, before.log_entries);
	ck_assert_uint_eq(shapelog_state(sl)->last_tx, 200);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	/* Space is back: the replay appends the same transaction. */
	ck_assert_int_eq(shapelog_append(sl, 300, 0, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_append(sl, 300, 2, big, strlen(big)), 0);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	shapelog_close(sl);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 1 << 20));
	ck_assert_uint_eq(shapelog_state(sl)->log_entries, 6);
	ck_assert_uint_eq(shapelog_state(sl)->last_tx, 300);
	shapelog_close(sl);
}
END_TEST

/* A snapshot write that fails leaves nothing behind after abort. */
START_TEST(failed_snapshot_aborts)
{
	struct shapelog *sl;
	char big[3000];
	int i, r = 0, e;

	ck_assert_ptr_nonnull(sl = shapelog_open(dd_dir, 1000));
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	limit_fsize(2500);
	for (i = 0; i < 3 && r == 0; i++)
		r = shapelog_snap_append(sl, big, strlen(big));
	e = errno;
	limit_fsize(RLIM_INFINITY);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(e, EFBIG);
	ck_assert_msg(strstr(shapelog_errmsg(sl), "snapshot.0") != NULL, "%s",
	    shapelog_errmsg(sl));
	ck_assert_int_eq(shapelog_snap_abort(sl), 0);
	ck_assert_int_eq(fsz("snapshot.0.part"), -1);
	ck_assert_int_eq(fsz("snapshot.0"), -1);
	ck_assert_int_eq(shapelog_snap_append(sl, ROW, strlen(ROW)), 0);
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	ck_assert_uint_eq(shapelog_state(sl)->snap_chunks, 1);
	shapelog_close(sl);
	ck_assert_int_eq(shapelog_check(dd_dir, 1, NULL, 0), 0);
}
END_TEST

START_TEST(probe)
{
	char why[600];
	int r;

	ck_assert_int_eq(shapelog_probe(dd_dir, why, sizeof(why)), 0);
	ck_assert_int_eq(fsz(".probe"), -1);
	limit_fsize(1000);
	r = shapelog_probe(dd_dir, why, sizeof(why));
	limit_fsize(RLIM_INFINITY);
	ck_assert_int_eq(r, -1);
	ck_assert_msg(strstr(why, ".probe: write: ") != NULL, "%s", why);
	ck_assert_int_eq(fsz(".probe"), -1);
}
END_TEST

Suite *
shapelog_damage_suite(void)
{
	Suite *s = suite_create("shapelog_damage");
	TCase *tc = tcase_create("damage");

	tcase_add_checked_fixture(tc, dd_setup, dd_teardown);
	tcase_add_test(tc, good_dir_and_old_format);
	tcase_add_test(tc, missing_chunk);
	tcase_add_test(tc, chunk_size);
	tcase_add_test(tc, chunk_content_old_format);
	tcase_add_test(tc, done_unparseable);
	tcase_add_test(tc, xip_unparseable);
	tcase_add_test(tc, log_truncated);
	tcase_add_test(tc, log_misaligned);
	tcase_add_test(tc, idx_out_of_order);
	tcase_add_test(tc, idx_last_out_of_order);
	tcase_add_test(tc, chunks_out_of_order);
	tcase_add_test(tc, log_without_snapshot);
	tcase_add_test(tc, plan_refuses_damage);
	tcase_add_test(tc, torn_tail_is_not_damage);
	tcase_add_test(tc, published_survives_process_crash);
	tcase_add_test(tc, machine_crash_tears_unsynced_tail);
	tcase_add_test(tc, lost_chunk_boundary_derived_again);
	tcase_add_test(tc, synced_part_stays_strict);
	tcase_add_test(tc, failed_commit_rolls_back);
	tcase_add_test(tc, failed_snapshot_aborts);
	tcase_add_test(tc, probe);
	suite_add_tcase(s, tc);
	return s;
}
