/*
 * Unit tests of replication/pgoutput.c: hand-built pgoutput and CopyData
 * messages (big-endian, as on the wire) are decoded and the produced
 * frame payloads read back field by field with mreader.  Every strict
 * prefix of every valid message must be rejected, as must the malformed
 * and out-of-order cases of the table at the end.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pgoutput.h"

Suite *pgoutput_suite(void);

/* A big-endian message builder. */
struct wb {
	uint8_t	b[1024];
	size_t	n;
};

static void
wb_be(struct wb *w, uint64_t v, size_t n)
{
	while (n-- > 0)
		w->b[w->n++] = (uint8_t)(v >> (8 * n));
}

static void wb_u8(struct wb *w, uint8_t v) { wb_be(w, v, 1); }
static void wb_u16(struct wb *w, uint16_t v) { wb_be(w, v, 2); }
static void wb_u32(struct wb *w, uint32_t v) { wb_be(w, v, 4); }
static void wb_u64(struct wb *w, uint64_t v) { wb_be(w, v, 8); }

static void
wb_cstr(struct wb *w, const char *s)
{
	memcpy(w->b + w->n, s, strlen(s) + 1);
	w->n += strlen(s) + 1;
}

static void
wb_text(struct wb *w, const char *s)
{
	wb_u8(w, 't');
	wb_u32(w, (uint32_t)strlen(s));
	memcpy(w->b + w->n, s, strlen(s));
	w->n += strlen(s);
}

#define RELID		16384u
#define FINAL_LSN	0x16B3748ull
#define END_LSN		0x16B3778ull
#define COMMIT_TS	789012345678ull

static void
build_begin(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'B');
	wb_u64(w, FINAL_LSN);
	wb_u64(w, COMMIT_TS);
	wb_u32(w, 742);
}

static void
build_commit(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'C');
	wb_u8(w, 0);
	wb_u64(w, FINAL_LSN);
	wb_u64(w, END_LSN);
	wb_u64(w, COMMIT_TS);
}

static void
build_relation(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'R');
	wb_u32(w, RELID);
	wb_cstr(w, "public");
	wb_cstr(w, "items");
	wb_u8(w, 'f');
	wb_u16(w, 3);
	wb_u8(w, 1); wb_cstr(w, "id"); wb_u32(w, 23); wb_u32(w, 0xffffffff);
	wb_u8(w, 0); wb_cstr(w, "title"); wb_u32(w, 1043); wb_u32(w, 68);
	wb_u8(w, 0); wb_cstr(w, "body"); wb_u32(w, 25); wb_u32(w, 0xffffffff);
}

/* Insert (1, NULL, 'hello') */
static void
build_insert(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'I');
	wb_u32(w, RELID);
	wb_u8(w, 'N');
	wb_u16(w, 3);
	wb_text(w, "1");
	wb_u8(w, 'n');
	wb_text(w, "hello");
}

/* Update old (1, 'a', 'big') -> new (1, 'b', unchanged toast) */
static void
build_update(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'U');
	wb_u32(w, RELID);
	wb_u8(w, 'O');
	wb_u16(w, 3);
	wb_text(w, "1");
	wb_text(w, "a");
	wb_text(w, "big");
	wb_u8(w, 'N');
	wb_u16(w, 3);
	wb_text(w, "1");
	wb_text(w, "b");
	wb_u8(w, 'u');
}

/* Delete with a key-only old tuple (1, NULL, NULL) */
static void
build_delete(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'D');
	wb_u32(w, RELID);
	wb_u8(w, 'K');
	wb_u16(w, 3);
	wb_text(w, "1");
	wb_u8(w, 'n');
	wb_u8(w, 'n');
}

static void
build_truncate(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'T');
	wb_u32(w, 2);
	wb_u8(w, 1);			/* CASCADE */
	wb_u32(w, RELID);
	wb_u32(w, RELID + 6);
}

static int
decode(struct wb *w, struct pgoutput_state *st, struct mbuf *out,
    uint16_t *type)
{
	return pgoutput_decode(w->b, w->n, st, out, type);
}

static void
in_tx(struct pgoutput_state *st, struct mbuf *out)
{
	struct wb w;
	uint16_t type;

	build_begin(&w);
	ck_assert_int_eq(decode(&w, st, out, &type), 1);
}

static void
check_text(struct mreader *r, const char *want)
{
	char *s;

	ck_assert_int_eq(mr_u8(r), 't');
	s = mr_str(r);
	ck_assert_str_eq(s, want);
	free(s);
}

static void
check_change_head(struct mreader *r, uint8_t op, uint32_t index)
{
	ck_assert_uint_eq(mr_u32(r), RELID);
	ck_assert_uint_eq(mr_u8(r), op);
	ck_assert_uint_eq(mr_u32(r), index);
}

START_TEST(test_begin_commit)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	build_begin(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_BEGIN);
	ck_assert_int_eq(st.in_tx, 1);
	mr_init(&r, out.p, out.len);
	ck_assert_uint_eq(mr_u64(&r), 0);		/* seq */
	ck_assert_uint_eq(mr_u64(&r), FINAL_LSN);
	ck_assert_uint_eq(mr_u64(&r), COMMIT_TS);
	ck_assert_uint_eq(mr_u32(&r), 742);
	ck_assert_int_eq(mr_done(&r), 0);

	build_commit(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_COMMIT);
	ck_assert_int_eq(st.in_tx, 0);
	mr_init(&r, out.p, out.len);
	ck_assert_uint_eq(mr_u64(&r), 0);
	ck_assert_uint_eq(mr_u64(&r), FINAL_LSN);
	ck_assert_uint_eq(mr_u64(&r), END_LSN);
	ck_assert_uint_eq(mr_u64(&r), COMMIT_TS);
	ck_assert_int_eq(mr_done(&r), 0);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_relation)
{
	static const struct { uint8_t flags; const char *name; uint32_t oid;
	    int32_t typmod; } cols[] = {
		{ 1, "id", 23, -1 }, { 0, "title", 1043, 68 },
		{ 0, "body", 25, -1 } };
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;
	char *s;
	int i;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	build_relation(&w);
	/* Relation messages come inside transactions, but not only. */
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_RELATION);
	mr_init(&r, out.p, out.len);
	ck_assert_uint_eq(mr_u32(&r), RELID);
	s = mr_str(&r); ck_assert_str_eq(s, "public"); free(s);
	s = mr_str(&r); ck_assert_str_eq(s, "items"); free(s);
	ck_assert_uint_eq(mr_u8(&r), 'f');
	ck_assert_uint_eq(mr_u16(&r), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(mr_u8(&r), cols[i].flags);
		s = mr_str(&r);
		ck_assert_str_eq(s, cols[i].name);
		free(s);
		ck_assert_uint_eq(mr_u32(&r), cols[i].oid);
		ck_assert_int_eq(mr_i32(&r), cols[i].typmod);
	}
	ck_assert_int_eq(mr_done(&r), 0);
	in_tx(&st, &out);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(st.index, 0);		/* not a change */
	mbuf_free(&out);
}
END_TEST

START_TEST(test_insert)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	in_tx(&st, &out);
	build_insert(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_CHANGE);
	mr_init(&r, out.p, out.len);
	check_change_head(&r, 'I', 0);
	ck_assert_uint_eq(mr_u8(&r), 0);		/* has_old */
	ck_assert_uint_eq(mr_u8(&r), 1);		/* has_new */
	ck_assert_uint_eq(mr_u16(&r), 3);
	check_text(&r, "1");
	ck_assert_uint_eq(mr_u8(&r), 'n');
	check_text(&r, "hello");
	ck_assert_int_eq(mr_done(&r), 0);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_update_old_new_toast)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	in_tx(&st, &out);
	build_insert(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	build_update(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_CHANGE);
	mr_init(&r, out.p, out.len);
	check_change_head(&r, 'U', 1);
	ck_assert_uint_eq(mr_u8(&r), 1);		/* has_old */
	ck_assert_uint_eq(mr_u16(&r), 3);
	check_text(&r, "1");
	check_text(&r, "a");
	check_text(&r, "big");
	ck_assert_uint_eq(mr_u8(&r), 1);		/* has_new */
	ck_assert_uint_eq(mr_u16(&r), 3);
	check_text(&r, "1");
	check_text(&r, "b");
	ck_assert_uint_eq(mr_u8(&r), 'u');
	ck_assert_int_eq(mr_done(&r), 0);
	mbuf_free(&out);
}
END_TEST

/* Without REPLICA IDENTITY FULL an update may carry no old tuple. */
START_TEST(test_update_without_old)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	in_tx(&st, &out);
	w.n = 0;
	wb_u8(&w, 'U');
	wb_u32(&w, RELID);
	wb_u8(&w, 'N');
	wb_u16(&w, 1);
	wb_text(&w, "");
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	mr_init(&r, out.p, out.len);
	check_change_head(&r, 'U', 0);
	ck_assert_uint_eq(mr_u8(&r), 0);
	ck_assert_uint_eq(mr_u8(&r), 1);
	ck_assert_uint_eq(mr_u16(&r), 1);
	check_text(&r, "");
	ck_assert_int_eq(mr_done(&r), 0);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_delete_key)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	in_tx(&st, &out);
	build_delete(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_CHANGE);
	mr_init(&r, out.p, out.len);
	check_change_head(&r, 'D', 0);
	ck_assert_uint_eq(mr_u8(&r), 1);		/* has_old */
	ck_assert_uint_eq(mr_u16(&r), 3);
	check_text(&r, "1");
	ck_assert_uint_eq(mr_u8(&r), 'n');
	ck_assert_uint_eq(mr_u8(&r), 'n');
	ck_assert_uint_eq(mr_u8(&r), 0);		/* has_new */
	ck_assert_int_eq(mr_done(&r), 0);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_truncate)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type = 0;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	in_tx(&st, &out);
	build_truncate(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	ck_assert_uint_eq(type, MSG_TRUNCATE);
	mr_init(&r, out.p, out.len);
	ck_assert_uint_eq(mr_u32(&r), 2);
	ck_assert_uint_eq(mr_u32(&r), RELID);
	ck_assert_uint_eq(mr_u32(&r), RELID + 6);
	ck_assert_uint_eq(mr_u8(&r), 1);
	ck_assert_int_eq(mr_done(&r), 0);
	ck_assert_uint_eq(st.index, 0);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_index_resets_at_begin)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct mreader r;
	struct wb w;
	uint16_t type;
	int i;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	in_tx(&st, &out);
	for (i = 0; i < 3; i++) {
		build_insert(&w);
		ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
		mr_init(&r, out.p, out.len);
		check_change_head(&r, 'I', (uint32_t)i);
	}
	build_delete(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	mr_init(&r, out.p, out.len);
	check_change_head(&r, 'D', 3);
	build_commit(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	in_tx(&st, &out);
	ck_assert_uint_eq(st.index, 0);
	build_update(&w);
	ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	mr_init(&r, out.p, out.len);
	check_change_head(&r, 'U', 0);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_ignored)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct wb w;
	uint16_t type;

	pgoutput_state_reset(&st);
	mbuf_init(&out);
	w.n = 0;				/* Type */
	wb_u8(&w, 'Y'); wb_u32(&w, 16400); wb_cstr(&w, "public");
	wb_cstr(&w, "mood");
	ck_assert_int_eq(decode(&w, &st, &out, &type), 0);
	in_tx(&st, &out);
	w.n = 0;				/* Origin */
	wb_u8(&w, 'O'); wb_u64(&w, 99); wb_cstr(&w, "upstream");
	ck_assert_int_eq(decode(&w, &st, &out, &type), 0);
	w.n = 0;				/* logical decoding message */
	wb_u8(&w, 'M'); wb_u8(&w, 1); wb_u64(&w, 99); wb_cstr(&w, "p");
	wb_u32(&w, 3); wb_u8(&w, 'a'); wb_u8(&w, 0); wb_u8(&w, 'c');
	ck_assert_int_eq(decode(&w, &st, &out, &type), 0);
	ck_assert_uint_eq(st.index, 0);
	ck_assert_int_eq(st.in_tx, 1);
	w.n--;					/* truncated Message */
	ck_assert_int_eq(decode(&w, &st, &out, &type), -1);
	mbuf_free(&out);
}
END_TEST

/* Every strict prefix of every valid message is an error, and one byte
 * too many as well; the state is left as it was. */
static void (*const builders[])(struct wb *) = { build_begin, build_commit,
    build_relation, build_insert, build_update, build_delete,
    build_truncate };

START_TEST(test_truncated_and_trailing)
{
	struct pgoutput_state st, before;
	struct mbuf out;
	struct wb w;
	uint16_t type;
	size_t n, full;

	mbuf_init(&out);
	build_begin(&w);		/* decoded where Begin is invalid */
	pgoutput_state_reset(&st);
	if (_i != 0)
		ck_assert_int_eq(decode(&w, &st, &out, &type), 1);
	st.index = 5;
	before = st;
	builders[_i](&w);
	full = w.n;
	for (n = 0; n < full; n++) {
		ck_assert_int_eq(pgoutput_decode(w.b, n, &st, &out, &type), -1);
		ck_assert_ptr_nonnull(st.err);
		ck_assert_int_eq(st.in_tx, before.in_tx);
		ck_assert_uint_eq(st.index, before.index);
	}
	w.b[w.n++] = 0;
	ck_assert_int_eq(decode(&w, &st, &out, &type), -1);
	ck_assert_uint_eq(st.index, before.index);
	mbuf_free(&out);
}
END_TEST

/* Malformed or out-of-order messages: each row built from scratch. */
static void
bad_binary_value(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'I'); wb_u32(w, RELID); wb_u8(w, 'N'); wb_u16(w, 1);
	wb_u8(w, 'b'); wb_u32(w, 1); wb_u8(w, 7);
}

static void
bad_kind(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'I'); wb_u32(w, RELID); wb_u8(w, 'N'); wb_u16(w, 1);
	wb_u8(w, 'x');
}

static void
bad_nul_in_text(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'I'); wb_u32(w, RELID); wb_u8(w, 'N'); wb_u16(w, 1);
	wb_u8(w, 't'); wb_u32(w, 3); wb_u8(w, 'a'); wb_u8(w, 0); wb_u8(w, 'b');
}

static void
bad_huge_length(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'I'); wb_u32(w, RELID); wb_u8(w, 'N'); wb_u16(w, 1);
	wb_u8(w, 't'); wb_u32(w, 0xfffffff0); wb_u8(w, 'a');
}

static void
bad_insert_old(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'I'); wb_u32(w, RELID); wb_u8(w, 'K'); wb_u16(w, 0);
}

static void
bad_update_no_new(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'U'); wb_u32(w, RELID); wb_u8(w, 'K'); wb_u16(w, 0);
	wb_u8(w, 'X'); wb_u16(w, 0);
}

static void
bad_delete_new(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'D'); wb_u32(w, RELID); wb_u8(w, 'N'); wb_u16(w, 0);
}

static void
bad_truncate_count(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'T'); wb_u32(w, 0x40000000); wb_u8(w, 0); wb_u32(w, 1);
}

static void
bad_unknown_tag(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'S'); wb_u32(w, 1);
}

static void
bad_relation_unterminated(struct wb *w)
{
	w->n = 0;
	wb_u8(w, 'R'); wb_u32(w, RELID);
	memcpy(w->b + w->n, "public", 6);
	w->n += 6;
}

static const struct {
	const char	*name;
	int		 in_tx;		/* decode inside a transaction */
	void		(*build)(struct wb *);
} bad_cases[] = {
	{ "binary value", 1, bad_binary_value },
	{ "unknown value kind", 1, bad_kind },
	{ "NUL in text", 1, bad_nul_in_text },
	{ "length past end", 1, bad_huge_length },
	{ "insert with old", 1, bad_insert_old },
	{ "update without new", 1, bad_update_no_new },
	{ "delete with new", 1, bad_delete_new },
	{ "truncate count", 1, bad_truncate_count },
	{ "unknown tag", 1, bad_unknown_tag },
	{ "unterminated name", 0, bad_relation_unterminated },
	{ "begin in tx", 1, build_begin },
	{ "commit outside tx", 0, build_commit },
	{ "insert outside tx", 0, build_insert },
	{ "update outside tx", 0, build_update },
	{ "delete outside tx", 0, build_delete },
	{ "truncate outside tx", 0, build_truncate },
};

START_TEST(test_malformed)
{
	struct pgoutput_state st;
	struct mbuf out;
	struct wb w;
	uint16_t type;

	mbuf_init(&out);
	pgoutput_state_reset(&st);
	if (bad_cases[_i].in_tx)
		in_tx(&st, &out);
	bad_cases[_i].build(&w);
	ck_assert_msg(decode(&w, &st, &out, &type) == -1, "%s accepted",
	    bad_cases[_i].name);
	ck_assert_ptr_nonnull(st.err);
	ck_assert_int_eq(st.in_tx, bad_cases[_i].in_tx);
	ck_assert_int_eq(pgoutput_decode(NULL, 0, &st, &out, &type), -1);
	mbuf_free(&out);
}
END_TEST

START_TEST(test_copy_parse)
{
	struct pgoutput_copy c;
	struct wb w;

	w.n = 0;
	wb_u8(&w, 'w'); wb_u64(&w, 100); wb_u64(&w, 200); wb_u64(&w, 300);
	wb_u8(&w, 'B');
	ck_assert_int_eq(pgoutput_copy_parse(w.b, w.n, &c), 0);
	ck_assert_int_eq(c.kind, 'w');
	ck_assert_uint_eq(c.start_lsn, 100);
	ck_assert_uint_eq(c.wal_end, 200);
	ck_assert_uint_eq(c.send_time, 300);
	ck_assert_uint_eq(c.len, 1);
	ck_assert_ptr_eq(c.data, w.b + 1 + PGOUTPUT_XLOGDATA_HDR);
	ck_assert_int_eq(pgoutput_copy_parse(w.b, 24, &c), -1);

	w.n = 0;
	wb_u8(&w, 'k'); wb_u64(&w, 0x1234567890ull); wb_u64(&w, 5);
	wb_u8(&w, 1);
	ck_assert_int_eq(pgoutput_copy_parse(w.b, w.n, &c), 0);
	ck_assert_int_eq(c.kind, 'k');
	ck_assert_uint_eq(c.wal_end, 0x1234567890ull);
	ck_assert_int_eq(c.reply, 1);
	ck_assert_int_eq(pgoutput_copy_parse(w.b, w.n - 1, &c), -1);
	w.b[w.n++] = 0;
	ck_assert_int_eq(pgoutput_copy_parse(w.b, w.n, &c), -1);
	w.b[0] = 'z';
	ck_assert_int_eq(pgoutput_copy_parse(w.b, w.n, &c), -1);
	ck_assert_int_eq(pgoutput_copy_parse(w.b, 0, &c), -1);
}
END_TEST

START_TEST(test_status_and_lsn)
{
	static const uint8_t want[PGOUTPUT_STATUS_LEN] = { 'r',
	    0, 0, 0, 1, 0, 0, 0, 0x2a, 0, 0, 0, 1, 0, 0, 0, 0x2a,
	    0, 0, 0, 1, 0, 0, 0, 0x2a, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0 };
	uint8_t msg[PGOUTPUT_STATUS_LEN];
	char buf[PGOUTPUT_LSN_STRLEN];
	uint64_t lsn;

	pgoutput_status_encode(msg, 0x10000002aull, 12345, 0);
	ck_assert_mem_eq(msg, want, sizeof(want));
	ck_assert_str_eq(pgoutput_lsn_fmt(0x16B3748ull, buf), "0/16B3748");
	ck_assert_str_eq(pgoutput_lsn_fmt(0xA00000001ull, buf), "A/1");
	ck_assert_int_eq(pgoutput_lsn_parse("A/1", &lsn), 0);
	ck_assert_uint_eq(lsn, 0xA00000001ull);
	ck_assert_int_eq(pgoutput_lsn_parse("0/16b3748", &lsn), 0);
	ck_assert_uint_eq(lsn, 0x16B3748ull);
	ck_assert_int_eq(pgoutput_lsn_parse("0/16B3748x", &lsn), -1);
	ck_assert_int_eq(pgoutput_lsn_parse("16B3748", &lsn), -1);
	ck_assert_int_eq(pgoutput_lsn_parse("", &lsn), -1);
	ck_assert_int_eq(pgoutput_lsn_parse(NULL, &lsn), -1);
}
END_TEST

Suite *
pgoutput_suite(void)
{
	Suite *s = suite_create("pgoutput");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, test_begin_commit);
	tcase_add_test(tc, test_relation);
	tcase_add_test(tc, test_insert);
	tcase_add_test(tc, test_update_old_new_toast);
	tcase_add_test(tc, test_update_without_old);
	tcase_add_test(tc, test_delete_key);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_index_resets_at_begin);
	tcase_add_test(tc, test_ignored);
	tcase_add_loop_test(tc, test_truncated_and_trailing, 0,
	    (int)(sizeof(builders) / sizeof(builders[0])));
	tcase_add_loop_test(tc, test_malformed, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_copy_parse);
	tcase_add_test(tc, test_status_and_lsn);
	suite_add_tcase(s, tc);
	return s;
}
