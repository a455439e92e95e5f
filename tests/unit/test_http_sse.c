/*
 * test_http_sse: SSE framing (http/sse.c, PROTOCOL.md §8.3).  Stored
 * entries become one "data: <json>\n\n" event each, for hand-made ranges
 * (including malformed ones, which must leave the buffer untouched) and
 * for real byte ranges planned over a shape log written with shapelog.h,
 * snapshot chunks and main-log chunks alike.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "shapelog.h"
#include "sse.h"

Suite *http_sse_suite(void);

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*in;
	int		 events;	/* -1: malformed */
	const char	*out;
} frame_cases[] = {
	{ "", 0, "" },
	{ "{\"a\":1}\n", 1, "data: {\"a\":1}\n\n" },
	{ "{\"a\":1}\n,{\"b\":2}\n,{\"c\":\"x,y\\n\"}\n", 3,
	    "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: {\"c\":\"x,y\\n\"}\n\n" },
	{ "[1,2]\n,\"s\"\n", 2, "data: [1,2]\n\ndata: \"s\"\n\n" },
	{ "{\"a\":1}", -1, NULL },		/* no newline */
	{ "{\"a\":1}\n{\"b\":2}\n", -1, NULL },	/* no comma */
	{ "\n", -1, NULL },			/* empty entry */
	{ "{\"a\":1}\n,", -1, NULL },		/* trailing comma */
	{ "{\"a\":1}\n,\n", -1, NULL },		/* empty second entry */
	{ ",{\"a\":1}\n", -1, NULL },		/* leading comma not skipped */
	{ "{\"a\":1}\n\n", -1, NULL },
};

START_TEST(test_frame)
{
	struct sbuf b;
	int n;

	sbuf_init(&b);
	sbuf_adds(&b, "prefix|");
	n = sse_frame_entries(frame_cases[_i].in, strlen(frame_cases[_i].in),
	    &b);
	ck_assert_int_eq(n, frame_cases[_i].events);
	if (n >= 0) {
		ck_assert_str_eq(b.p + 7, frame_cases[_i].out);
	} else {
		ck_assert_str_eq(b.p, "prefix|");
		ck_assert_uint_eq(b.len, 7);
	}
	sbuf_free(&b);
}
END_TEST

START_TEST(test_up_to_date)
{
	struct sbuf b;

	sbuf_init(&b);
	sse_frame_up_to_date(&b, 26800584);
	ck_assert_str_eq(b.p, "data: {\"headers\":{\"control\":\"up-to-date\","
	    "\"global_last_seen_lsn\":\"26800584\"}}\n\n");
	sbuf_reset(&b);
	sse_frame_up_to_date(&b, UINT64_MAX);
	ck_assert_str_eq(b.p, "data: {\"headers\":{\"control\":\"up-to-date\","
	    "\"global_last_seen_lsn\":\"18446744073709551615\"}}\n\n");
	sbuf_free(&b);
}
END_TEST

/* ---- real ranges from a shape log ---- */

static char sse_dir[64];

static void
sse_setup(void)
{
	strcpy(sse_dir, "/tmp/electricd-sse-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sse_dir));
}

static void
sse_teardown(void)
{
	ck_assert_int_eq(rm_rf(sse_dir), 0);
}

/* Frames the range planned for request offset (tx, op) into b. */
static int
frame_plan(const struct shapelog_state *st, uint64_t tx, uint64_t op,
    struct shapelog_plan *plan, struct sbuf *b)
{
	struct offset o = { tx, op };
	char *raw;
	int fd, n;

	ck_assert_int_eq(shapelog_plan(sse_dir, st, OFFSET_REAL, &o, plan),
	    SHAPELOG_OK);
	raw = xmalloc(plan->len + 1);
	ck_assert_int_ne(fd = open(plan->path, O_RDONLY), -1);
	ck_assert_int_eq(pread(fd, raw, plan->len, plan->start),
	    (ssize_t)plan->len);
	close(fd);
	n = sse_frame_entries(raw, plan->len, b);
	free(raw);
	return n;
}

#define ROW(i)	"{\"key\":\"" #i "\",\"value\":{\"t\":\"a\\nb, c\"}}"
#define END	"{\"headers\":{\"control\":\"snapshot-end\"}}"
#define CHG(i)	"{\"key\":\"c" #i "\",\"headers\":{\"lsn\":\"7\"}}"

START_TEST(test_frame_shapelog)
{
	struct shapelog_state st;
	struct shapelog_plan plan;
	struct shapelog *sl;
	struct sbuf b;

	/* chunks close at 60 bytes: ROW(1) ROW(2) | END and changes. */
	ck_assert_ptr_nonnull(sl = shapelog_open(sse_dir, 60));
	ck_assert_int_eq(shapelog_snap_append(sl, ROW(1), strlen(ROW(1))), 0);
	ck_assert_int_eq(shapelog_snap_append(sl, ROW(2), strlen(ROW(2))), 0);
	ck_assert_int_eq(shapelog_snap_finish(sl, END, strlen(END)), 0);
	ck_assert_int_eq(shapelog_append(sl, 7, 0, CHG(1), strlen(CHG(1))), 0);
	ck_assert_int_eq(shapelog_append(sl, 7, 2, CHG(2), strlen(CHG(2))), 0);
	ck_assert_int_eq(shapelog_append(sl, 7, 4, CHG(3), strlen(CHG(3))), 0);
	ck_assert_int_eq(shapelog_commit(sl), 0);
	shapelog_close(sl);
	ck_assert_int_eq(shapelog_read_state(sse_dir, &st), 0);
	ck_assert_uint_eq(st.snap_chunks, 2);

	sbuf_init(&b);
	/* snapshot chunk 1 (after 0_0): just snapshot-end */
	ck_assert_int_eq(frame_plan(&st, 0, 0, &plan, &b), 1);
	ck_assert_str_eq(b.p, "data: " END "\n\n");
	/* the main log from 0_1 (the last snapshot chunk) */
	sbuf_reset(&b);
	ck_assert_int_ge(frame_plan(&st, 0, 1, &plan, &b), 1);
	ck_assert(strncmp(b.p, "data: " CHG(1) "\n\n", strlen(CHG(1)) + 8) == 0);
	/* a resume from 7_0 (§8.3) re-sends the rest of transaction 7 */
	sbuf_reset(&b);
	while (1) {
		int n = frame_plan(&st, 7, b.len == 0 ? 0 : plan.end.op, &plan,
		    &b);

		ck_assert_int_ge(n, 1);
		if (plan.up_to_date)
			break;
	}
	ck_assert_str_eq(b.p, "data: " CHG(2) "\n\ndata: " CHG(3) "\n\n");
	ck_assert_uint_eq(plan.end.tx, 7);
	ck_assert_uint_eq(plan.end.op, 4);
	sbuf_free(&b);
}
END_TEST

Suite *
http_sse_suite(void)
{
	Suite *s = suite_create("http_sse");
	TCase *tc = tcase_create("frame");
	TCase *tl = tcase_create("shapelog");

	tcase_add_loop_test(tc, test_frame, 0, N(frame_cases));
	tcase_add_test(tc, test_up_to_date);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tl, sse_setup, sse_teardown);
	tcase_add_test(tl, test_frame_shapelog);
	suite_add_tcase(s, tl);
	return s;
}
