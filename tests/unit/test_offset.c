/*
 * test_offset: the offset grammar, order and formatting of PROTOCOL.md §3,
 * table-driven.
 */
#include <string.h>

#include <check.h>

#include "offset.h"

Suite *offset_suite(void);

static const struct {
	const char		*in;
	enum offset_kind	 kind;
	uint64_t		 tx;
	uint64_t		 op;
} offset_cases[] = {
	{ "-1", OFFSET_BEFORE_ALL, 0, 0 },
	{ "-1_0", OFFSET_BEFORE_ALL, 0, 0 },
	{ "now", OFFSET_NOW, 0, 0 },
	{ "0_0", OFFSET_REAL, 0, 0 },
	{ "0_02", OFFSET_REAL, 0, 2 },
	{ "00_7", OFFSET_REAL, 0, 7 },
	{ "0_inf", OFFSET_REAL, 0, OFFSET_INF },
	{ "12_inf", OFFSET_REAL, 12, OFFSET_INF },
	{ "26800584_4", OFFSET_REAL, 26800584, 4 },
	{ "18446744073709551615_0", OFFSET_REAL, UINT64_MAX, 0 },
	{ "10", OFFSET_INVALID, 0, 0 },
	{ "1_2_3", OFFSET_INVALID, 0, 0 },
	{ "1_2 ", OFFSET_INVALID, 0, 0 },
	{ " 1_2", OFFSET_INVALID, 0, 0 },
	{ "10_32.1", OFFSET_INVALID, 0, 0 },
	{ "0_-1", OFFSET_INVALID, 0, 0 },
	{ "-2", OFFSET_INVALID, 0, 0 },
	{ "-1_1", OFFSET_INVALID, 0, 0 },
	{ "+1_0", OFFSET_INVALID, 0, 0 },
	{ "abc", OFFSET_INVALID, 0, 0 },
	{ "", OFFSET_INVALID, 0, 0 },
	{ "_", OFFSET_INVALID, 0, 0 },
	{ "1_", OFFSET_INVALID, 0, 0 },
	{ "_1", OFFSET_INVALID, 0, 0 },
	{ "inf_0", OFFSET_INVALID, 0, 0 },
	{ "1_INF", OFFSET_INVALID, 0, 0 },
	{ "NOW", OFFSET_INVALID, 0, 0 },
	{ "18446744073709551616_0", OFFSET_INVALID, 0, 0 },
	{ "0_18446744073709551615", OFFSET_INVALID, 0, 0 },	/* that is inf */
};

START_TEST(test_offset_parse)
{
	struct offset o;
	enum offset_kind k;

	memset(&o, 0, sizeof(o));
	k = offset_parse(offset_cases[_i].in, &o);
	ck_assert_msg(k == offset_cases[_i].kind, "\"%s\": kind %d, want %d",
	    offset_cases[_i].in, k, offset_cases[_i].kind);
	if (k != OFFSET_REAL)
		return;
	ck_assert_msg(o.tx == offset_cases[_i].tx && o.op == offset_cases[_i].op,
	    "\"%s\": got %llu_%llu", offset_cases[_i].in,
	    (unsigned long long)o.tx, (unsigned long long)o.op);
}
END_TEST

/* Strictly increasing. */
static const char *const offset_order[] = {
	"0_0", "0_1", "0_2", "0_10", "0_inf", "1_0", "1_3", "1_inf",
	"26800584_0", "26800584_18446744073709551614", "26800584_inf",
	"18446744073709551615_0",
};

START_TEST(test_offset_order)
{
	size_t n = sizeof(offset_order) / sizeof(offset_order[0]), i, j;
	struct offset a, b;
	int want;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(offset_parse(offset_order[i], &a), OFFSET_REAL);
		for (j = 0; j < n; j++) {
			ck_assert_int_eq(offset_parse(offset_order[j], &b),
			    OFFSET_REAL);
			want = i < j ? -1 : i > j ? 1 : 0;
			ck_assert_msg(offset_cmp(&a, &b) == want,
			    "cmp(%s, %s) = %d, want %d", offset_order[i],
			    offset_order[j], offset_cmp(&a, &b), want);
		}
	}
}
END_TEST

static const struct {
	uint64_t	 tx;
	uint64_t	 op;
	const char	*out;
} offset_fmts[] = {
	{ 0, 0, "0_0" },
	{ 0, 2, "0_2" },
	{ 0, OFFSET_INF, "0_inf" },
	{ 12, OFFSET_INF, "12_inf" },
	{ 26800584, 4, "26800584_4" },
	{ UINT64_MAX, UINT64_MAX - 1, "18446744073709551615_18446744073709551614" },
};

START_TEST(test_offset_fmt)
{
	struct offset o = { offset_fmts[_i].tx, offset_fmts[_i].op }, back;
	char buf[OFFSET_STRLEN];

	ck_assert_ptr_eq(offset_fmt(&o, buf), buf);
	ck_assert_str_eq(buf, offset_fmts[_i].out);
	/* what we write, we read back */
	ck_assert_int_eq(offset_parse(buf, &back), OFFSET_REAL);
	ck_assert_int_eq(offset_cmp(&o, &back), 0);
}
END_TEST

Suite *
offset_suite(void)
{
	Suite *s = suite_create("offset");
	TCase *tc = tcase_create("offset");

	tcase_add_loop_test(tc, test_offset_parse, 0,
	    sizeof(offset_cases) / sizeof(offset_cases[0]));
	tcase_add_test(tc, test_offset_order);
	tcase_add_loop_test(tc, test_offset_fmt, 0,
	    sizeof(offset_fmts) / sizeof(offset_fmts[0]));
	suite_add_tcase(s, tc);
	return s;
}
