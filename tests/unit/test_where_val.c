/*
 * test_where_val: table-driven tests of the WHERE value library against
 * outputs recorded from Postgres 15 (where_val_cases.h, produced by the
 * queries in where_val_cases.sql).  Each case names an operation, its
 * operands as (type, text) and the text Postgres printed (or "ERROR: msg").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../common/where_val.h"

struct wv_case {
	const char	*op, *ta, *a, *tb, *b, *want;
};

static const struct wv_case wv_cases[] = {
#include "where_val_cases.h"
};
#define NCASES (sizeof(wv_cases) / sizeof(wv_cases[0]))

static const struct {
	const char	*name;
	enum wv_op	 op;
} wv_opnames[] = {
	{ "+", WV_OP_ADD }, { "-", WV_OP_SUB }, { "*", WV_OP_MUL },
	{ "/", WV_OP_DIV }, { "%", WV_OP_MOD }, { "^", WV_OP_POW },
	{ "&", WV_OP_BAND }, { "|", WV_OP_BOR }, { "#", WV_OP_BXOR },
	{ "<<", WV_OP_SHL }, { ">>", WV_OP_SHR }, { "||", WV_OP_CONCAT },
	{ "neg", WV_OP_NEG }, { "abs", WV_OP_ABS }, { "sqrt", WV_OP_SQRT },
	{ "~", WV_OP_BNOT }, { "pos", WV_OP_POS },
};

static int
tv_type(const char *name, enum wv_type *elem)
{
	size_t n = strlen(name);
	int t;

	*elem = WV_NULL;
	if (n > 2 && strcmp(name + n - 2, "[]") == 0) {
		t = wv_type_from_name(name, n - 2);
		*elem = (enum wv_type)t;
		return WV_ARRAY;
	}
	return wv_type_from_name(name, n);
}

static int
tv_parse(const char *tn, const char *s, struct wv_arena *ar,
    struct wv_val *v, struct wv_err *err)
{
	enum wv_type elem;
	int t = tv_type(tn, &elem);

	ck_assert_int_ge(t, 0);
	return wv_parse((enum wv_type)t, elem, s, strlen(s), ar, v, err);
}

static int
tv_subs(const char *s, int *lo, int *has_lo, int *hi, int *has_hi)
{
	int n = 0;
	char *end;

	while (*s != '\0' && n < WV_MAXDIM) {
		has_lo[n] = *s != ':' && *s != ',';
		lo[n] = (int)strtol(s, &end, 10);
		s = end;
		hi[n] = lo[n];
		has_hi[n] = has_lo[n];
		if (*s == ':') {
			s++;
			has_hi[n] = *s != ',' && *s != '\0';
			hi[n] = (int)strtol(s, &end, 10);
			s = end;
		}
		n++;
		if (*s == ',')
			s++;
	}
	return n;
}

/* Runs one case; returns 0 and fills out, or -1 with err. */
static int
tv_run(const struct wv_case *c, struct wv_arena *ar, struct sbuf *out,
    struct wv_err *err)
{
	struct wv_val a, b, r;
	enum wv_type elem;
	int t, lo[WV_MAXDIM], hi[WV_MAXDIM], hl[WV_MAXDIM], hh[WV_MAXDIM], n;
	size_t i;

	if (tv_parse(c->ta, c->a, ar, &a, err) != 0)
		return -1;
	if (c->tb[0] != '\0' && strcmp(c->op, "cast") != 0 &&
	    strcmp(c->op, "tz") != 0 && strcmp(c->op, "sub") != 0 &&
	    strcmp(c->op, "slice") != 0 && tv_parse(c->tb, c->b, ar, &b,
	    err) != 0)
		return -1;
	if (strcmp(c->op, "in") == 0)
		r = a;
	else if (strcmp(c->op, "cmp") == 0) {
		sbuf_addf(out, "%d", wv_cmp(&a, &b));
		return 0;
	} else if (strcmp(c->op, "cast") == 0) {
		t = tv_type(c->tb, &elem);
		if (wv_cast(&a, (enum wv_type)t, elem, ar, &r, err) != 0)
			return -1;
		if (r.type == WV_TEXT) {	/* format() of text: as is */
			sbuf_add(out, r.u.s.p, r.u.s.len);
			return 0;
		}
	} else if (strcmp(c->op, "like") == 0 || strcmp(c->op, "ilike") == 0) {
		n = wv_like(a.u.s.p, a.u.s.len, b.u.s.p, b.u.s.len,
		    c->op[0] == 'i', err);
		if (n < 0)
			return -1;
		sbuf_adds(out, n ? "t" : "f");
		return 0;
	} else if (strcmp(c->op, "lower") == 0)
		wv_lower(&a, ar, &r);
	else if (strcmp(c->op, "upper") == 0)
		wv_upper(&a, ar, &r);
	else if (c->op[0] == 'j' && c->op[1] != '\0' && c->op[2] == '\0') {
		if (wv_justify(c->op[1], &a, &r, err) != 0)
			return -1;
	} else if (strcmp(c->op, "tz") == 0) {
		if (wv_timezone(c->b, strlen(c->b), &a, &r, err) != 0)
			return -1;
	} else if (strcmp(c->op, "@>") == 0 || strcmp(c->op, "<@") == 0 ||
	    strcmp(c->op, "&&") == 0) {
		n = c->op[0] == '@' ? wv_array_contains(a.u.arr, b.u.arr) :
		    c->op[0] == '<' ? wv_array_contains(b.u.arr, a.u.arr) :
		    wv_array_overlap(a.u.arr, b.u.arr);
		sbuf_adds(out, n ? "t" : "f");
		return 0;
	} else if (strcmp(c->op, "sub") == 0) {
		n = tv_subs(c->b, lo, hl, hi, hh);
		wv_array_subscript(a.u.arr, lo, n, &r);
	} else if (strcmp(c->op, "slice") == 0) {
		n = tv_subs(c->b, lo, hl, hi, hh);
		if (wv_array_slice(a.u.arr, n, lo, hl, hi, hh, ar, &r, err))
			return -1;
	} else if (strcmp(c->op, "ndims") == 0) {
		if (wv_array_ndims(a.u.arr) == 0)
			sbuf_adds(out, "<NULL>");
		else
			sbuf_addf(out, "%d", wv_array_ndims(a.u.arr));
		return 0;
	} else if (strcmp(c->op, "append") == 0) {
		if (wv_array_append(a.u.arr, &b, ar, &r, err) != 0)
			return -1;
	} else if (strcmp(c->op, "prepend") == 0) {
		if (wv_array_prepend(&b, a.u.arr, ar, &r, err) != 0)
			return -1;
	} else {
		for (i = 0; i < sizeof(wv_opnames) / sizeof(wv_opnames[0]); i++)
			if (strcmp(wv_opnames[i].name, c->op) == 0)
				break;
		ck_assert_msg(i < sizeof(wv_opnames) / sizeof(wv_opnames[0]),
		    "unknown op %s", c->op);
		if ((c->tb[0] != '\0' ? wv_binop(wv_opnames[i].op, &a, &b, ar,
		    &r, err) : wv_unop(wv_opnames[i].op, &a, ar, &r, err)) != 0)
			return -1;
	}
	if (r.type == WV_NULL)
		sbuf_adds(out, "<NULL>");
	else
		wv_out(&r, out);
	return 0;
}

static int
tv_check(const struct wv_case *c, int verbose)
{
	struct wv_arena ar;
	struct wv_err err;
	struct sbuf out;
	int ok;

	wv_arena_init(&ar);
	sbuf_init(&out);
	if (tv_run(c, &ar, &out, &err) != 0) {
		sbuf_reset(&out);
		sbuf_addf(&out, "ERROR: %s", err.msg);
	}
	ok = strcmp(out.p, c->want) == 0;
	/* wv_err holds 255 bytes: longer Postgres messages are cut */
	if (!ok && out.len == sizeof(err.msg) - 1 + 7)
		ok = strncmp(out.p, c->want, out.len) == 0;
	if (!ok && verbose)
		fprintf(stderr, "where_val: %s %s '%s' %s '%s': got [%s] "
		    "want [%s]\n", c->op, c->ta, c->a, c->tb, c->b, out.p,
		    c->want);
	sbuf_free(&out);
	wv_arena_free(&ar);
	return ok;
}

START_TEST(test_where_val_pg_cases)
{
	size_t i, bad = 0;

	for (i = 0; i < NCASES; i++)
		bad += !tv_check(&wv_cases[i], 1);
	ck_assert_msg(bad == 0, "%zu of %zu cases differ from Postgres", bad,
	    NCASES);
}
END_TEST

/* Parsing Postgres output of scalars must not touch the arena. */
START_TEST(test_where_val_no_alloc)
{
	static const struct { const char *t, *s; } in[] = {
		{ "int4", "42" }, { "numeric", "-123.4500" }, { "text", "x" },
		{ "timestamptz", "2024-01-31 12:34:56.123+00" },
		{ "interval", "P1Y2M3DT4H5M6S" }, { "float8", "1e+100" },
		{ "uuid", "0f8fad5b-d9cb-469f-a165-70867728950e" },
		{ "date", "2024-01-31" }, { "bool", "t" },
	};
	struct wv_arena ar;
	struct wv_val v;
	size_t i;

	wv_arena_init(&ar);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		ck_assert_int_eq(tv_parse(in[i].t, in[i].s, &ar, &v, NULL), 0);
		ck_assert_ptr_null(ar.head);
	}
}
END_TEST

START_TEST(test_where_val_tables)
{
	ck_assert_int_eq(wv_op_type(WV_OP_ADD, WV_DATE, WV_INT4), WV_DATE);
	ck_assert_int_eq(wv_op_type(WV_OP_SUB, WV_TIMESTAMP, WV_TIMESTAMP),
	    WV_INTERVAL);
	ck_assert_int_eq(wv_op_type(WV_OP_ADD, WV_TEXT, WV_INT4), -1);
	ck_assert_int_eq(wv_op_type(WV_OP_NEG, WV_INT4, WV_NULL), WV_INT4);
	ck_assert_int_eq(wv_cast_kind(WV_INT4, WV_INT8), WV_CAST_IMPLICIT);
	ck_assert_int_eq(wv_cast_kind(WV_INT8, WV_INT4), WV_CAST_ASSIGN);
	ck_assert_int_eq(wv_cast_kind(WV_TEXT, WV_INT4), WV_CAST_EXPLICIT);
	ck_assert_int_eq(wv_cast_kind(WV_UUID, WV_INT4), WV_CAST_NONE);
	ck_assert_int_eq(wv_type_from_name("double precision", 16),
	    WV_FLOAT8);
	ck_assert_str_eq(wv_type_name(WV_TIMESTAMPTZ), "timestamptz");
}
END_TEST

Suite *where_val_suite(void);

Suite *
where_val_suite(void)
{
	Suite *s = suite_create("where_val");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_where_val_pg_cases);
	tcase_add_test(tc, test_where_val_no_alloc);
	tcase_add_test(tc, test_where_val_tables);
	suite_add_tcase(s, tc);
	return s;
}
