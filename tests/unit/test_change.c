/*
 * test_change: the exact JSON of change messages (change.h, PROTOCOL.md
 * §6.1/§6.4), byte for byte: every row of the §6.4 table x replica mode x
 * column projection, PK-less tables, TOAST fill; and the snapshot's txid
 * parsing.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "change.h"
#include "snapshot.h"

Suite *change_suite(void);

#define KEY1 "\\\"public\\\".\\\"items\\\"/\\\"1\\\""
#define KEY2 "\\\"public\\\".\\\"items\\\"/\\\"2\\\""
#define REL "\"relation\":[\"public\",\"items\"]"
#define HDR(op, pos) REL ",\"lsn\":\"26800584\",\"op_position\":" #pos \
    ",\"txids\":[741]"

static struct change_shape items;
static const struct change_src src = { 26800584, 741, 2 };

static void
items_setup(void)
{
	char *err = NULL;

	ck_assert_int_eq(change_shape_init(&items, "public", "items",
	    "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
	    "{\"name\":\"title\",\"type\":\"text\",\"pk\":-1},"
	    "{\"name\":\"done\",\"type\":\"bool\",\"pk\":-1}]", &err), 0);
}

static void
items_teardown(void)
{
	change_shape_free(&items);
}

#define T(s) { CHANGE_TEXT, sizeof(s) - 1, s }
#define N { CHANGE_NULL, 0, NULL }
#define U { CHANGE_TOAST, 0, NULL }

struct outs {
	struct change_msg m[2];
};

static void
outs_init(struct outs *o)
{
	sbuf_init(&o->m[0].json);
	sbuf_init(&o->m[1].json);
}

static void
outs_free(struct outs *o)
{
	sbuf_free(&o->m[0].json);
	sbuf_free(&o->m[1].json);
}

static int
enc(const struct change_shape *sh, char op, const struct change_val *old,
    int full, const struct change_val *nw, struct outs *o)
{
	return change_encode(sh, &src, op, old, full, nw,
	    CHANGE_IN_OLD | CHANGE_IN_NEW, o->m);
}

START_TEST(insert_and_last)
{
	struct change_val row[] = { T("1"), T("hello"), N };
	struct outs o;

	outs_init(&o);
	ck_assert_int_eq(enc(&items, 'I', NULL, 1, row, &o), 1);
	ck_assert_uint_eq(o.m[0].op, 4);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"title\":\"hello\",\"done\":null},"
	    "\"headers\":{\"operation\":\"insert\"," HDR(insert, 4) "}}");
	change_set_last(&o.m[0].json);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"title\":\"hello\",\"done\":null},"
	    "\"headers\":{\"operation\":\"insert\"," HDR(insert, 4)
	    ",\"last\":true}}");
	outs_free(&o);
}
END_TEST

START_TEST(update_changed_columns)
{
	struct change_val old[] = { T("1"), T("hello"), N };
	struct change_val nw[] = { T("1"), T("world"), N };
	struct change_val nw2[] = { T("1"), T("hello"), T("t") };
	struct change_val nw3[] = { T("1"), T("hello"), T("") };
	struct outs o;

	outs_init(&o);
	ck_assert_int_eq(enc(&items, 'U', old, 1, nw, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"title\":\"world\"},"
	    "\"headers\":{\"operation\":\"update\"," HDR(update, 4) "}}");
	/* NULL -> "t" and NULL -> "" are changes; null-ness counts. */
	ck_assert_int_eq(enc(&items, 'U', old, 1, nw2, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"done\":\"t\"},"
	    "\"headers\":{\"operation\":\"update\"," HDR(update, 4) "}}");
	ck_assert_int_eq(enc(&items, 'U', old, 1, nw3, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"done\":\"\"},"
	    "\"headers\":{\"operation\":\"update\"," HDR(update, 4) "}}");
	/* ... and back to NULL. */
	ck_assert_int_eq(enc(&items, 'U', nw2, 1, old, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"done\":null},"
	    "\"headers\":{\"operation\":\"update\"," HDR(update, 4) "}}");
	outs_free(&o);
}
END_TEST

START_TEST(update_noop_dropped)
{
	struct change_val old[] = { T("1"), T("hello"), N };
	struct change_val same[] = { T("1"), T("hello"), N };
	struct change_val toast[] = { T("1"), U, N };
	struct outs o;

	outs_init(&o);
	ck_assert_int_eq(enc(&items, 'U', old, 1, same, &o), 0);
	ck_assert_int_eq(enc(&items, 'U', old, 1, toast, &o), 0);
	outs_free(&o);
}
END_TEST

START_TEST(update_toast_filled)
{
	struct change_val old[] = { T("1"), T("long text"), T("f") };
	struct change_val nw[] = { T("1"), U, T("t") };
	struct change_val nwpk[] = { T("2"), U, T("f") };
	struct outs o;

	outs_init(&o);
	ck_assert_int_eq(enc(&items, 'U', old, 1, nw, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"done\":\"t\"},"
	    "\"headers\":{\"operation\":\"update\"," HDR(update, 4) "}}");
	/* A key change carries the full new row, TOAST filled from old. */
	ck_assert_int_eq(enc(&items, 'U', old, 1, nwpk, &o), 2);
	ck_assert_str_eq(o.m[1].json.p, "{\"key\":\"" KEY2 "\","
	    "\"value\":{\"id\":\"2\",\"title\":\"long text\",\"done\":\"f\"},"
	    "\"headers\":{\"operation\":\"insert\"," HDR(insert, 5)
	    ",\"key_change_from\":\"" KEY1 "\"}}");
	outs_free(&o);
}
END_TEST

START_TEST(delete_pk_only)
{
	struct change_val old[] = { T("1"), T("hello"), T("t") };
	struct change_val keyonly[] = { T("1"), N, N };
	const char *want = "{\"key\":\"" KEY1 "\",\"value\":{\"id\":\"1\"},"
	    "\"headers\":{\"operation\":\"delete\"," HDR(delete, 4) "}}";
	struct outs o;

	outs_init(&o);
	ck_assert_int_eq(enc(&items, 'D', old, 1, NULL, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, want);
	ck_assert_int_eq(enc(&items, 'D', keyonly, 0, NULL, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, want);
	ck_assert_int_eq(enc(&items, 'D', NULL, 1, NULL, &o), -1);
	ck_assert_int_eq(enc(&items, 'X', old, 1, old, &o), -1);
	ck_assert_int_eq(enc(&items, 'I', NULL, 1, NULL, &o), -1);
	outs_free(&o);
}
END_TEST

START_TEST(pk_change_split)
{
	struct change_val old[] = { T("1"), T("hello"), N };
	struct change_val nw[] = { T("2"), T("hello"), N };
	struct outs o;

	outs_init(&o);
	ck_assert_int_eq(enc(&items, 'U', old, 1, nw, &o), 2);
	ck_assert_uint_eq(o.m[0].op, 4);
	ck_assert_uint_eq(o.m[1].op, 5);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\"},"
	    "\"headers\":{\"operation\":\"delete\"," HDR(delete, 4)
	    ",\"key_change_to\":\"" KEY2 "\"}}");
	change_set_last(&o.m[1].json);
	ck_assert_str_eq(o.m[1].json.p, "{\"key\":\"" KEY2 "\","
	    "\"value\":{\"id\":\"2\",\"title\":\"hello\",\"done\":null},"
	    "\"headers\":{\"operation\":\"insert\"," HDR(insert, 5)
	    ",\"key_change_from\":\"" KEY1 "\",\"last\":true}}");
	outs_free(&o);
}
END_TEST

START_TEST(key_escaping)
{
	struct change_shape sh;
	struct change_val row[] = { T("a/b\"c"), T("x//y"), T("v\n\\") };
	struct sbuf b;
	char *err = NULL;

	/* PK order differs from column order: b is pk 0, a is pk 1. */
	ck_assert_int_eq(change_shape_init(&sh, "my\"s", "t/1",
	    "[{\"name\":\"a\",\"type\":\"text\",\"pk\":1},"
	    "{\"name\":\"b\",\"type\":\"text\",\"pk\":0},"
	    "{\"name\":\"c\",\"type\":\"text\",\"pk\":-1}]", &err), 0);
	sbuf_init(&b);
	change_key(&b, &sh, row);
	ck_assert_str_eq(b.p, "\"my\"\"s\".\"t/1\"/\"x////y\"/\"a//b\"c\"");
	sbuf_reset(&b);
	change_snapshot_row(&b, &sh, row);
	ck_assert_str_eq(b.p, "{\"key\":"
	    "\"\\\"my\\\"\\\"s\\\".\\\"t/1\\\"/\\\"x////y\\\"/\\\"a//b\\\"c\\\"\","
	    "\"value\":{\"a\":\"a/b\\\"c\",\"b\":\"x//y\",\"c\":\"v\\n\\\\\"},"
	    "\"headers\":{\"operation\":\"insert\","
	    "\"relation\":[\"my\\\"s\",\"t/1\"]}}");
	sbuf_free(&b);
	change_shape_free(&sh);
}
END_TEST

START_TEST(pkless_table)
{
	struct change_shape sh;
	struct change_val old[] = { T("1"), N };
	struct change_val nw[] = { T("1"), T("z") };
	struct outs o;
	struct sbuf b;
	char *err = NULL;

	ck_assert_int_eq(change_shape_init(&sh, "public", "log",
	    "[{\"name\":\"a\",\"type\":\"int4\",\"pk\":-1},"
	    "{\"name\":\"b\",\"type\":\"text\",\"pk\":-1}]", &err), 0);
	sbuf_init(&b);
	change_key(&b, &sh, old);
	ck_assert_str_eq(b.p, "\"public\".\"log\"/\"1\"/_");
	sbuf_free(&b);
	outs_init(&o);
	/* Delete: all columns. */
	ck_assert_int_eq(enc(&sh, 'D', old, 1, NULL, &o), 1);
	ck_assert_str_eq(o.m[0].json.p,
	    "{\"key\":\"\\\"public\\\".\\\"log\\\"/\\\"1\\\"/_\","
	    "\"value\":{\"a\":\"1\",\"b\":null},\"headers\":{\"operation\":"
	    "\"delete\",\"relation\":[\"public\",\"log\"],\"lsn\":\"26800584\","
	    "\"op_position\":4,\"txids\":[741]}}");
	/* Any update changes the key: delete + insert. */
	ck_assert_int_eq(enc(&sh, 'U', old, 1, nw, &o), 2);
	ck_assert_str_eq(o.m[0].json.p,
	    "{\"key\":\"\\\"public\\\".\\\"log\\\"/\\\"1\\\"/_\","
	    "\"value\":{\"a\":\"1\",\"b\":null},\"headers\":{\"operation\":"
	    "\"delete\",\"relation\":[\"public\",\"log\"],\"lsn\":\"26800584\","
	    "\"op_position\":4,\"txids\":[741],\"key_change_to\":"
	    "\"\\\"public\\\".\\\"log\\\"/\\\"1\\\"/\\\"z\\\"\"}}");
	ck_assert_int_eq(enc(&sh, 'U', old, 1, old, &o), 0);
	outs_free(&o);
	change_shape_free(&sh);
}
END_TEST

START_TEST(snapshot_messages)
{
	struct change_val row[] = { T("1"), T("hello"), N };
	uint64_t xip[] = { 742, 743 };
	struct sbuf b;

	sbuf_init(&b);
	change_snapshot_row(&b, &items, row);
	ck_assert_str_eq(b.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"title\":\"hello\",\"done\":null},"
	    "\"headers\":{\"operation\":\"insert\"," REL "}}");
	sbuf_reset(&b);
	change_snapshot_end(&b, 740, 745, xip, 1);
	ck_assert_str_eq(b.p, "{\"headers\":{\"control\":\"snapshot-end\","
	    "\"xmin\":\"740\",\"xmax\":\"745\",\"xip_list\":[\"742\"]}}");
	sbuf_reset(&b);
	change_snapshot_end(&b, 740, 745, xip, 2);
	ck_assert_str_eq(b.p, "{\"headers\":{\"control\":\"snapshot-end\","
	    "\"xmin\":\"740\",\"xmax\":\"745\",\"xip_list\":[\"742\",\"743\"]}}");
	sbuf_reset(&b);
	change_snapshot_end(&b, 7, 7, NULL, 0);
	ck_assert_str_eq(b.p, "{\"headers\":{\"control\":\"snapshot-end\","
	    "\"xmin\":\"7\",\"xmax\":\"7\",\"xip_list\":[]}}");
	sbuf_free(&b);
}
END_TEST

START_TEST(subset_messages)
{
	struct change_val row[] = { T("1"), T("hello"), N };
	uint64_t xip[] = { 742 };
	struct sbuf b;

	sbuf_init(&b);
	change_subset_open(&b, 740, 745, xip, 1, 26800584, 12345);
	ck_assert_str_eq(b.p, "{\"metadata\":{\"xmin\":\"740\",\"xmax\":"
	    "\"745\",\"xip_list\":[\"742\"],\"database_lsn\":\"26800584\","
	    "\"snapshot_mark\":12345},\"data\":[");
	sbuf_reset(&b);
	change_subset_row(&b, &items, row, 2147483647);
	ck_assert_str_eq(b.p, "{\"key\":\"" KEY1 "\","
	    "\"value\":{\"id\":\"1\",\"title\":\"hello\",\"done\":null},"
	    "\"headers\":{\"operation\":\"insert\"," REL ","
	    "\"snapshot_mark\":2147483647}}");
	ck_assert_uint_eq(strlen(b.p), b.len);
	sbuf_reset(&b);
	change_subset_open(&b, 7, 7, NULL, 0, 0, 0);
	ck_assert_str_eq(b.p, "{\"metadata\":{\"xmin\":\"7\",\"xmax\":\"7\","
	    "\"xip_list\":[],\"database_lsn\":\"0\",\"snapshot_mark\":0},"
	    "\"data\":[");
	sbuf_free(&b);
}
END_TEST

START_TEST(shape_columns)
{
	static const char *bad[] = {
		"{}", "[{\"name\":\"a\"}]", "[{\"name\":1,\"pk\":0}]",
		"[{\"name\":\"a\",\"pk\":1}]",
		"[{\"name\":\"a\",\"pk\":0},{\"name\":\"b\",\"pk\":0}]", "nope",
	};
	struct change_shape sh;
	char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		ck_assert_int_eq(change_shape_init(&sh, "s", "t", bad[i], &err), -1);
		ck_assert_ptr_nonnull(err);
		free(err);
		change_shape_free(&sh);
	}
	ck_assert_uint_eq(items.ncols, 3);
	ck_assert_uint_eq(items.npk, 1);
	ck_assert_uint_eq(items.pk_cols[0], 0);
}
END_TEST

/* ---- §6.4 table x replica mode x projection ---- */

static const struct change_val r_a[] = { T("1"), T("hello"), N };
static const struct change_val r_title[] = { T("1"), T("world"), N };
static const struct change_val r_done[] = { T("1"), T("hello"), T("t") };
static const struct change_val r_pk[] = { T("2"), T("hello"), N };
static const struct change_val r_toast[] = { T("1"), U, T("t") };
static const struct change_val r_toastpk[] = { T("2"), U, N };
static const struct change_val r_keyonly[] = { T("1"), N, N };

#define BOTH (CHANGE_IN_OLD | CHANGE_IN_NEW)
#define M(key, op, val, pos, tail) "{\"key\":\"" key "\",\"value\":{" val \
    "}" tail ",\"headers\":{\"operation\":\"" #op "\"," HDR(op, pos)
#define V_ALL "\"id\":\"1\",\"title\":\"hello\",\"done\":null"
#define V_SEL "\"id\":\"1\",\"title\":\"hello\""
#define V2_ALL "\"id\":\"2\",\"title\":\"hello\",\"done\":null"
#define V2_SEL "\"id\":\"2\",\"title\":\"hello\""
#define KC_TO ",\"key_change_to\":\"" KEY2 "\"}}"
#define KC_FROM ",\"key_change_from\":\"" KEY1 "\"}}"
#define OLD(v) ",\"old_value\":{" v "}"

/* full: replica=full; sel: columns="id","title" (done not selected). */
static const struct {
	int				 full, sel;
	char				 op;
	int				 in;
	const struct change_val		*old, *nw;
	int				 oldfull, n;
	const char			*want0, *want1;
} cases64[] = {
	/* insert / snapshot row: all selected columns */
	{ 0, 0, 'I', CHANGE_IN_NEW, NULL, r_a, 1, 1,
	  M(KEY1, insert, V_ALL, 4, "") "}}", NULL },
	{ 0, 1, 'I', CHANGE_IN_NEW, NULL, r_a, 1, 1,
	  M(KEY1, insert, V_SEL, 4, "") "}}", NULL },
	{ 1, 0, 'I', CHANGE_IN_NEW, NULL, r_a, 1, 1,
	  M(KEY1, insert, V_ALL, 4, "") "}}", NULL },
	{ 1, 1, 'I', CHANGE_IN_NEW, NULL, r_a, 1, 1,
	  M(KEY1, insert, V_SEL, 4, "") "}}", NULL },
	/* update, PK unchanged, a selected column changed */
	{ 0, 0, 'U', BOTH, r_a, r_title, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"world\"", 4, "") "}}", NULL },
	{ 0, 1, 'U', BOTH, r_a, r_title, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"world\"", 4, "") "}}", NULL },
	{ 1, 0, 'U', BOTH, r_a, r_title, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"world\",\"done\":null", 4,
	  OLD("\"title\":\"hello\"")) "}}", NULL },
	{ 1, 1, 'U', BOTH, r_a, r_title, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"world\"", 4,
	  OLD("\"title\":\"hello\"")) "}}", NULL },
	/* update changing only an unselected column: dropped */
	{ 0, 0, 'U', BOTH, r_a, r_done, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"done\":\"t\"", 4, "") "}}", NULL },
	{ 0, 1, 'U', BOTH, r_a, r_done, 1, 0, NULL, NULL },
	{ 1, 0, 'U', BOTH, r_a, r_done, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"hello\",\"done\":\"t\"", 4,
	  OLD("\"done\":null")) "}}", NULL },
	{ 1, 1, 'U', BOTH, r_a, r_done, 1, 0, NULL, NULL },
	/* update changing nothing: dropped */
	{ 0, 0, 'U', BOTH, r_a, r_a, 1, 0, NULL, NULL },
	{ 1, 0, 'U', BOTH, r_a, r_a, 1, 0, NULL, NULL },
	/* delete: PK columns, or the full old row with replica=full */
	{ 0, 0, 'D', CHANGE_IN_OLD, r_a, NULL, 1, 1,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") "}}", NULL },
	{ 0, 1, 'D', CHANGE_IN_OLD, r_a, NULL, 1, 1,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") "}}", NULL },
	{ 1, 0, 'D', CHANGE_IN_OLD, r_a, NULL, 1, 1,
	  M(KEY1, delete, V_ALL, 4, "") "}}", NULL },
	{ 1, 1, 'D', CHANGE_IN_OLD, r_a, NULL, 1, 1,
	  M(KEY1, delete, V_SEL, 4, "") "}}", NULL },
	/* replica=full, but the old tuple only has the key columns */
	{ 1, 0, 'D', CHANGE_IN_OLD, r_keyonly, NULL, 0, 1,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") "}}", NULL },
	/* update whose PK changed: delete (delete rule) + insert (full) */
	{ 0, 0, 'U', BOTH, r_a, r_pk, 1, 2,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") KC_TO,
	  M(KEY2, insert, V2_ALL, 5, "") KC_FROM },
	{ 0, 1, 'U', BOTH, r_a, r_pk, 1, 2,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") KC_TO,
	  M(KEY2, insert, V2_SEL, 5, "") KC_FROM },
	{ 1, 0, 'U', BOTH, r_a, r_pk, 1, 2,
	  M(KEY1, delete, V_ALL, 4, "") KC_TO,
	  M(KEY2, insert, V2_ALL, 5, "") KC_FROM },
	{ 1, 1, 'U', BOTH, r_a, r_pk, 1, 2,
	  M(KEY1, delete, V_SEL, 4, "") KC_TO,
	  M(KEY2, insert, V2_SEL, 5, "") KC_FROM },
	/* update leaving the WHERE: delete of the old row (delete rule) */
	{ 0, 0, 'U', CHANGE_IN_OLD, r_a, r_title, 1, 1,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") "}}", NULL },
	{ 1, 0, 'U', CHANGE_IN_OLD, r_a, r_title, 1, 1,
	  M(KEY1, delete, V_ALL, 4, "") "}}", NULL },
	{ 1, 1, 'U', CHANGE_IN_OLD, r_a, r_title, 1, 1,
	  M(KEY1, delete, V_SEL, 4, "") "}}", NULL },
	{ 1, 0, 'U', CHANGE_IN_OLD, r_a, r_pk, 1, 1,
	  M(KEY1, delete, V_ALL, 4, "") "}}", NULL },
	/* ... without an old tuple: the key comes from the new row */
	{ 1, 0, 'U', CHANGE_IN_OLD, NULL, r_title, 0, 1,
	  M(KEY1, delete, "\"id\":\"1\"", 4, "") "}}", NULL },
	/* update entering the WHERE: insert of the full new row */
	{ 0, 0, 'U', CHANGE_IN_NEW, r_title, r_a, 1, 1,
	  M(KEY1, insert, V_ALL, 4, "") "}}", NULL },
	{ 0, 1, 'U', CHANGE_IN_NEW, r_title, r_a, 1, 1,
	  M(KEY1, insert, V_SEL, 4, "") "}}", NULL },
	{ 1, 0, 'U', CHANGE_IN_NEW, r_a, r_pk, 1, 1,
	  M(KEY2, insert, V2_ALL, 4, "") "}}", NULL },
	/* ... an unchanged selected column entering: still inserted */
	{ 0, 1, 'U', CHANGE_IN_NEW, r_done, r_a, 1, 1,
	  M(KEY1, insert, V_SEL, 4, "") "}}", NULL },
	/* update outside the shape before and after: nothing */
	{ 0, 0, 'U', 0, r_a, r_title, 1, 0, NULL, NULL },
	{ 1, 0, 'U', 0, r_a, r_pk, 1, 0, NULL, NULL },
	/* TOAST: unchanged values filled from the old row before diffing */
	{ 0, 0, 'U', BOTH, r_a, r_toast, 1, 1,
	  M(KEY1, update, "\"id\":\"1\",\"done\":\"t\"", 4, "") "}}", NULL },
	{ 1, 0, 'U', BOTH, r_a, r_toast, 1, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"hello\",\"done\":\"t\"", 4,
	  OLD("\"done\":null")) "}}", NULL },
	{ 1, 1, 'U', BOTH, r_a, r_toast, 1, 0, NULL, NULL },
	{ 0, 0, 'U', CHANGE_IN_NEW, r_title, r_toast, 1, 1, M(KEY1, insert,
	  "\"id\":\"1\",\"title\":\"world\",\"done\":\"t\"", 4, "") "}}", NULL },
	{ 1, 1, 'U', BOTH, r_a, r_toastpk, 1, 2,
	  M(KEY1, delete, V_SEL, 4, "") KC_TO,
	  M(KEY2, insert, V2_SEL, 5, "") KC_FROM },
	/* no full old tuple: nothing to diff, all selected columns, TOAST
	 * values left out */
	{ 0, 0, 'U', BOTH, NULL, r_title, 0, 1, M(KEY1, update,
	  "\"id\":\"1\",\"title\":\"world\",\"done\":null", 4, "") "}}", NULL },
	{ 1, 1, 'U', BOTH, r_keyonly, r_toast, 0, 1, M(KEY1, update,
	  "\"id\":\"1\"", 4, "") "}}", NULL },
};

static void
items_shape(struct change_shape *sh, int full, int sel)
{
	char *err = NULL;

	ck_assert_int_eq(change_shape_init(sh, "public", "items",
	    sel ? "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0,\"sel\":true},"
	    "{\"name\":\"title\",\"type\":\"text\",\"pk\":-1},"
	    "{\"name\":\"done\",\"type\":\"bool\",\"pk\":-1,\"sel\":false}]"
	    : "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
	    "{\"name\":\"title\",\"type\":\"text\",\"pk\":-1},"
	    "{\"name\":\"done\",\"type\":\"bool\",\"pk\":-1}]", &err), 0);
	sh->replica_full = full;
}

START_TEST(table_6_4)
{
	struct change_shape sh;
	struct outs o;
	int n;

	items_shape(&sh, cases64[_i].full, cases64[_i].sel);
	outs_init(&o);
	n = change_encode(&sh, &src, cases64[_i].op, cases64[_i].old,
	    cases64[_i].oldfull, cases64[_i].nw, cases64[_i].in, o.m);
	ck_assert_int_eq(n, cases64[_i].n);
	if (n >= 1) {
		ck_assert_str_eq(o.m[0].json.p, cases64[_i].want0);
		ck_assert_uint_eq(o.m[0].op, 4);
	}
	if (n == 2) {
		ck_assert_str_eq(o.m[1].json.p, cases64[_i].want1);
		ck_assert_uint_eq(o.m[1].op, 5);
	}
	outs_free(&o);
	change_shape_free(&sh);
}
END_TEST

/* Snapshot rows hold the selected columns only; the key is found among
 * them even when unselected columns come before the key columns. */
START_TEST(projection_snapshot)
{
	struct change_shape sh;
	struct change_val full[] = { T("x"), T("k/2"), T("y"), N, T("k1") };
	struct change_val compact[] = { T("k/2"), T("y"), T("k1") };
	struct sbuf b, k;
	char *err = NULL;

	ck_assert_int_eq(change_shape_init(&sh, "public", "p",
	    "[{\"name\":\"x\",\"pk\":-1,\"sel\":false},"
	    "{\"name\":\"b\",\"pk\":1},{\"name\":\"y\",\"pk\":-1},"
	    "{\"name\":\"z\",\"pk\":-1,\"sel\":false},"
	    "{\"name\":\"a\",\"pk\":0}]", &err), 0);
	ck_assert_uint_eq(sh.nsel, 3);
	ck_assert_uint_eq(sh.pk_sel[0], 2);
	ck_assert_uint_eq(sh.pk_sel[1], 0);
	sbuf_init(&b);
	sbuf_init(&k);
	change_key(&k, &sh, full);
	ck_assert_str_eq(k.p, "\"public\".\"p\"/\"k1\"/\"k//2\"");
	change_snapshot_row(&b, &sh, compact);
	ck_assert_str_eq(b.p, "{\"key\":"
	    "\"\\\"public\\\".\\\"p\\\"/\\\"k1\\\"/\\\"k//2\\\"\","
	    "\"value\":{\"b\":\"k/2\",\"y\":\"y\",\"a\":\"k1\"},"
	    "\"headers\":{\"operation\":\"insert\","
	    "\"relation\":[\"public\",\"p\"]}}");
	sbuf_reset(&b);
	change_subset_row(&b, &sh, compact, 7);
	ck_assert_str_eq(b.p, "{\"key\":"
	    "\"\\\"public\\\".\\\"p\\\"/\\\"k1\\\"/\\\"k//2\\\"\","
	    "\"value\":{\"b\":\"k/2\",\"y\":\"y\",\"a\":\"k1\"},"
	    "\"headers\":{\"operation\":\"insert\","
	    "\"relation\":[\"public\",\"p\"],\"snapshot_mark\":7}}");
	sbuf_free(&b);
	sbuf_free(&k);
	change_shape_free(&sh);
}
END_TEST

/* The same row has the same key on both paths, NULLs and '/' included. */
START_TEST(pkless_both_paths)
{
	struct change_shape sh;
	struct change_val row[] = { N, T("a/b"), T("") , T("_") };
	struct change_val nw[] = { T("1"), T("a/b"), T(""), T("_") };
	struct sbuf snap;
	struct outs o;
	char *err = NULL;

	ck_assert_int_eq(change_shape_init(&sh, "public", "nokey",
	    "[{\"name\":\"a\",\"pk\":-1},{\"name\":\"b\",\"pk\":-1},"
	    "{\"name\":\"c\",\"pk\":-1},{\"name\":\"d\",\"pk\":-1}]", &err), 0);
	sh.replica_full = 1;
	sbuf_init(&snap);
	outs_init(&o);
	change_snapshot_row(&snap, &sh, row);
	ck_assert_int_eq(enc(&sh, 'I', NULL, 1, row, &o), 1);
	ck_assert_str_eq(o.m[0].json.p, "{\"key\":\"\\\"public\\\".\\\"nokey"
	    "\\\"/_/\\\"a//b\\\"/\\\"\\\"/\\\"_\\\"\",\"value\":{\"a\":null,"
	    "\"b\":\"a/b\",\"c\":\"\",\"d\":\"_\"},\"headers\":{\"operation\":"
	    "\"insert\",\"relation\":[\"public\",\"nokey\"],\"lsn\":"
	    "\"26800584\",\"op_position\":4,\"txids\":[741]}}");
	ck_assert_int_eq(strncmp(snap.p, o.m[0].json.p,
	    strlen("{\"key\":\"\\\"public\\\".\\\"nokey\\\"/_/\\\"a//b\\\"/"
	    "\\\"\\\"/\\\"_\\\"\",\"value\":{\"a\":null,\"b\":\"a/b\",\"c\":"
	    "\"\",\"d\":\"_\"}")), 0);
	/* replica=full: an update is a delete of the full old row + insert */
	ck_assert_int_eq(enc(&sh, 'U', row, 1, nw, &o), 2);
	ck_assert_ptr_nonnull(strstr(o.m[0].json.p, "\"value\":{\"a\":null,"
	    "\"b\":\"a/b\",\"c\":\"\",\"d\":\"_\"},\"headers\":{\"operation\":"
	    "\"delete\""));
	ck_assert_ptr_nonnull(strstr(o.m[1].json.p, "\"key_change_from\":"));
	sbuf_free(&snap);
	outs_free(&o);
	change_shape_free(&sh);
}
END_TEST

START_TEST(shape_selection)
{
	static const char *bad[] = {
		/* a PK column not selected */
		"[{\"name\":\"a\",\"pk\":0,\"sel\":false},{\"name\":\"b\",\"pk\":-1}]",
		/* a PK-less table: every column is the key */
		"[{\"name\":\"a\",\"pk\":-1},{\"name\":\"b\",\"pk\":-1,\"sel\":false}]",
		/* "sel" not a boolean */
		"[{\"name\":\"a\",\"pk\":0,\"sel\":1}]",
	};
	struct change_shape sh;
	char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		ck_assert_int_eq(change_shape_init(&sh, "s", "t", bad[i], &err), -1);
		ck_assert_ptr_nonnull(err);
		free(err);
		change_shape_free(&sh);
	}
	ck_assert_uint_eq(items.nsel, 3);
	ck_assert_int_eq(items.replica_full, 0);
	ck_assert_int_eq(items.cols[2].sel, 1);
}
END_TEST

START_TEST(snapshot_txids)
{
	static const char *bad[] = {
		"", "1", "1:", "1:2", "a:2:", "5:2:", "1:2:3,", "1:2:,3", "1:2:x",
		"1:2:3 ", "99999999999999999999:1:",
	};
	struct shapelog_xip x;
	struct change_shape sh;
	char *q, *err = NULL;
	size_t i;

	ck_assert_int_eq(snapshot_parse_txids("740:745:742", &x), 0);
	ck_assert_uint_eq(x.xmin, 740);
	ck_assert_uint_eq(x.xmax, 745);
	ck_assert_uint_eq(x.nxip, 1);
	ck_assert_uint_eq(x.xip[0], 742);
	shapelog_xip_free(&x);
	ck_assert_int_eq(snapshot_parse_txids("4294967300:4294967310:", &x), 0);
	ck_assert_uint_eq(x.xmax, 4294967310ULL);
	ck_assert_uint_eq(x.nxip, 0);
	ck_assert_int_eq(snapshot_parse_txids("1:9:2,3,8", &x), 0);
	ck_assert_uint_eq(x.nxip, 3);
	ck_assert_uint_eq(x.xip[2], 8);
	shapelog_xip_free(&x);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(snapshot_parse_txids(bad[i], &x) == -1, "%s", bad[i]);
	ck_assert_int_eq(change_shape_init(&sh, "pu\"b", "it ems",
	    "[{\"name\":\"i\\\"d\",\"type\":\"int4\",\"pk\":0},"
	    "{\"name\":\"Title\",\"type\":\"text\",\"pk\":-1}]", &err), 0);
	q = snapshot_query(&sh, NULL);
	ck_assert_str_eq(q, "SELECT \"i\"\"d\",\"Title\" FROM \"pu\"\"b\".\"it ems\"");
	free(q);
	change_shape_free(&sh);
	/* Only the selected columns are read. */
	ck_assert_int_eq(change_shape_init(&sh, "public", "t",
	    "[{\"name\":\"a\",\"pk\":-1,\"sel\":false},"
	    "{\"name\":\"id\",\"pk\":0},"
	    "{\"name\":\"b\",\"pk\":-1,\"sel\":false}]", &err), 0);
	q = snapshot_query(&sh, NULL);
	ck_assert_str_eq(q, "SELECT \"id\" FROM \"public\".\"t\"");
	free(q);
	change_shape_free(&sh);
}
END_TEST

/* COPY text-format rows: fields split at tabs, \N is NULL, escapes undone
 * in place; a wrong field count is refused. */
START_TEST(snapshot_copy_rows)
{
	static const struct {
		const char	*line;
		size_t		 n;
		int		 ok;
		const char	*want[3];	/* NULL = SQL NULL */
	} cases[] = {
		{ "1\tabc\n", 2, 0, { "1", "abc" } },
		{ "1\tabc", 2, 0, { "1", "abc" } },
		{ "1\t\\N\n", 2, 0, { "1", NULL } },
		{ "\\N\t\n", 2, 0, { NULL, "" } },
		{ "\\NN\tx\n", 2, 0, { "NN", "x" } },
		{ "a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\n", 1, 0,
		    { "a\tb\nc\\d\re\bf\fg\vh" } },
		{ "\\101\\x42\\7\tz\n", 2, 0, { "AB\a", "z" } },
		{ "\n", 1, 0, { "" } },
		{ "\t\t\n", 3, 0, { "", "", "" } },
		{ "1\t2\n", 3, -1, { NULL } },
		{ "1\t2\t3\n", 2, -1, { NULL } },
		{ "1\t\n", 1, -1, { NULL } },
	};
	struct change_val v[3];
	char buf[64];
	size_t i, j, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].line);
		memcpy(buf, cases[i].line, len + 1);
		ck_assert_msg(snapshot_copy_row(buf, len, v, cases[i].n) ==
		    cases[i].ok, "case %zu", i);
		if (cases[i].ok == -1)
			continue;
		for (j = 0; j < cases[i].n; j++) {
			if (cases[i].want[j] == NULL) {
				ck_assert_msg(v[j].kind == CHANGE_NULL, "%zu.%zu", i, j);
				continue;
			}
			ck_assert_msg(v[j].kind == CHANGE_TEXT, "%zu.%zu", i, j);
			ck_assert_uint_eq(v[j].len, strlen(cases[i].want[j]));
			ck_assert_msg(memcmp(v[j].s, cases[i].want[j], v[j].len) == 0,
			    "%zu.%zu: %.*s", i, j, (int)v[j].len, v[j].s);
		}
	}
}
END_TEST

START_TEST(snapshot_visibility)
{
	static uint64_t xip[] = { 742, 744 };
	static struct shapelog_xip x = { 740, 745, 0, 2, xip };
	/* Epoch 1: xids 2^32 + ...; the stream sends the low 32 bits. */
	static uint64_t xip2[] = { 4294967297ULL };
	static struct shapelog_xip y = { 4294967290ULL, 4294967300ULL, 0, 1, xip2 };
	static const struct {
		const struct shapelog_xip	*x;
		uint32_t			 xid;
		int				 visible, after;
	} cases[] = {
		{ &x, 739, 1, 0 }, { &x, 740, 1, 0 }, { &x, 741, 1, 0 },
		{ &x, 742, 0, 0 }, { &x, 743, 1, 0 }, { &x, 744, 0, 0 },
		{ &x, 745, 0, 1 }, { &x, 9000, 0, 1 }, { &x, 3, 1, 0 },
		{ &y, 4294967280U, 1, 0 },	/* epoch 0, before xmin */
		{ &y, 4294967295U, 1, 0 },	/* epoch 0, in range */
		{ &y, 1, 0, 0 },		/* epoch 1, in xip */
		{ &y, 2, 1, 0 },		/* epoch 1, committed */
		{ &y, 4, 0, 1 },		/* epoch 1, >= xmax */
	};
	size_t i;
	int after;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(snapshot_visible(cases[i].x, cases[i].xid, &after) ==
		    cases[i].visible, "case %zu", i);
		ck_assert_msg(after == cases[i].after, "case %zu after", i);
	}
}
END_TEST

Suite *
change_suite(void)
{
	Suite *s = suite_create("change");
	TCase *tc = tcase_create("change");

	tcase_add_checked_fixture(tc, items_setup, items_teardown);
	tcase_add_test(tc, insert_and_last);
	tcase_add_test(tc, update_changed_columns);
	tcase_add_test(tc, update_noop_dropped);
	tcase_add_test(tc, update_toast_filled);
	tcase_add_test(tc, delete_pk_only);
	tcase_add_test(tc, pk_change_split);
	tcase_add_test(tc, key_escaping);
	tcase_add_test(tc, pkless_table);
	tcase_add_test(tc, snapshot_messages);
	tcase_add_test(tc, subset_messages);
	tcase_add_test(tc, shape_columns);
	tcase_add_test(tc, snapshot_txids);
	tcase_add_test(tc, snapshot_visibility);
	tcase_add_test(tc, snapshot_copy_rows);
	tcase_add_loop_test(tc, table_6_4, 0,
	    (int)(sizeof(cases64) / sizeof(cases64[0])));
	tcase_add_test(tc, projection_snapshot);
	tcase_add_test(tc, pkless_both_paths);
	tcase_add_test(tc, shape_selection);
	suite_add_tcase(s, tc);
	return s;
}
