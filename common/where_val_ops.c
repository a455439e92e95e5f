/*
 * where_val_ops: the operator table (op, left, right -> result) and the
 * dispatch of wv_binop / wv_unop to the per-type files.  The compiler
 * resolves overloads with wv_op_type; the evaluator calls wv_binop.
 * Invariant: wv_binop accepts exactly the rows of wv_optab.
 */
#include <string.h>

#include "where_val_int.h"

struct wv_oprow {
	uint8_t	op, l, r, res;
};

#define ARITH(T)	{ WV_OP_ADD, T, T, T }, { WV_OP_SUB, T, T, T }, \
			{ WV_OP_MUL, T, T, T }, { WV_OP_DIV, T, T, T }
#define INTOPS(T)	ARITH(T), { WV_OP_MOD, T, T, T }, \
			{ WV_OP_BAND, T, T, T }, { WV_OP_BOR, T, T, T }, \
			{ WV_OP_BXOR, T, T, T }, { WV_OP_SHL, T, WV_INT4, T }, \
			{ WV_OP_SHR, T, WV_INT4, T }
#define IVTS(T, R)	{ WV_OP_ADD, T, WV_INTERVAL, R }, \
			{ WV_OP_SUB, T, WV_INTERVAL, R }, \
			{ WV_OP_ADD, WV_INTERVAL, T, R }

static const struct wv_oprow wv_optab[] = {
	INTOPS(WV_INT2), INTOPS(WV_INT4), INTOPS(WV_INT8),
	ARITH(WV_FLOAT4), ARITH(WV_FLOAT8), ARITH(WV_NUMERIC),
	{ WV_OP_MOD, WV_NUMERIC, WV_NUMERIC, WV_NUMERIC },
	{ WV_OP_POW, WV_FLOAT8, WV_FLOAT8, WV_FLOAT8 },
	{ WV_OP_POW, WV_NUMERIC, WV_NUMERIC, WV_NUMERIC },
	{ WV_OP_ADD, WV_DATE, WV_INT4, WV_DATE },
	{ WV_OP_ADD, WV_INT4, WV_DATE, WV_DATE },
	{ WV_OP_SUB, WV_DATE, WV_INT4, WV_DATE },
	{ WV_OP_SUB, WV_DATE, WV_DATE, WV_INT4 },
	{ WV_OP_ADD, WV_DATE, WV_TIME, WV_TIMESTAMP },
	{ WV_OP_ADD, WV_TIME, WV_DATE, WV_TIMESTAMP },
	IVTS(WV_DATE, WV_TIMESTAMP), IVTS(WV_TIME, WV_TIME),
	IVTS(WV_TIMETZ, WV_TIMETZ), IVTS(WV_TIMESTAMP, WV_TIMESTAMP),
	IVTS(WV_TIMESTAMPTZ, WV_TIMESTAMPTZ),
	{ WV_OP_ADD, WV_INTERVAL, WV_INTERVAL, WV_INTERVAL },
	{ WV_OP_SUB, WV_INTERVAL, WV_INTERVAL, WV_INTERVAL },
	{ WV_OP_SUB, WV_TIMESTAMP, WV_TIMESTAMP, WV_INTERVAL },
	{ WV_OP_SUB, WV_TIMESTAMPTZ, WV_TIMESTAMPTZ, WV_INTERVAL },
	{ WV_OP_SUB, WV_TIME, WV_TIME, WV_INTERVAL },
	{ WV_OP_MUL, WV_INTERVAL, WV_FLOAT8, WV_INTERVAL },
	{ WV_OP_MUL, WV_FLOAT8, WV_INTERVAL, WV_INTERVAL },
	{ WV_OP_DIV, WV_INTERVAL, WV_FLOAT8, WV_INTERVAL },
	{ WV_OP_CONCAT, WV_TEXT, WV_TEXT, WV_TEXT },
};

static int
wv_unop_type(enum wv_op op, enum wv_type t)
{
	switch (op) {
	case WV_OP_NEG: case WV_OP_POS: case WV_OP_ABS:
		if (wv_type_is_int(t) || t == WV_FLOAT4 || t == WV_FLOAT8 ||
		    t == WV_NUMERIC || (t == WV_INTERVAL && op != WV_OP_ABS))
			return t;
		return -1;
	case WV_OP_SQRT:
		return t == WV_FLOAT8 ? (int)t : -1;
	case WV_OP_BNOT:
		return wv_type_is_int(t) ? (int)t : -1;
	default:
		return -1;
	}
}

int
wv_op_type(enum wv_op op, enum wv_type l, enum wv_type r)
{
	size_t i;

	if (r == WV_NULL && op != WV_OP_CONCAT)
		return wv_unop_type(op, l);
	if (op == WV_OP_CONCAT && (l == WV_ARRAY || r == WV_ARRAY))
		return WV_ARRAY;
	for (i = 0; i < sizeof(wv_optab) / sizeof(wv_optab[0]); i++)
		if (wv_optab[i].op == op && wv_optab[i].l == l &&
		    wv_optab[i].r == r)
			return wv_optab[i].res;
	return -1;
}

static int
wv_is_numeric_type(enum wv_type t)
{
	return wv_type_is_int(t) || t == WV_FLOAT4 || t == WV_FLOAT8 ||
	    t == WV_NUMERIC;
}

int
wv_binop(enum wv_op op, const struct wv_val *a, const struct wv_val *b,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	enum wv_type lt = a->type, rt = b->type;

	if (op == WV_OP_CONCAT) {
		if (lt == WV_ARRAY || rt == WV_ARRAY)
			return wvi_array_concat(a, b, ar, out, err);
		if (!wv_type_is_text(lt) || !wv_type_is_text(rt))
			return wvi_err(err, "operator does not exist");
		return wvi_text_concat(a, b, ar, out);
	}
	if (wv_type_is_text(lt))
		lt = WV_TEXT;
	if (wv_op_type(op, lt, rt) < 0)
		return wvi_err(err, "operator does not exist: %s %s",
		    wv_type_name(lt), wv_type_name(rt));
	if (wv_is_numeric_type(lt) && wv_is_numeric_type(rt) &&
	    !(lt == WV_DATE || rt == WV_DATE))
		return wvi_num_binop(op, a, b, ar, out, err);
	return wvi_time_binop(op, a, b, out, err);
}

int
wv_unop(enum wv_op op, const struct wv_val *a, struct wv_arena *ar,
    struct wv_val *out, struct wv_err *err)
{
	if (wv_unop_type(op, a->type) < 0)
		return wvi_err(err, "operator does not exist: %s",
		    wv_type_name(a->type));
	if (a->type == WV_INTERVAL) {
		*out = *a;
		return op == WV_OP_POS ? 0 :
		    wvi_interval_neg(&a->u.iv, &out->u.iv, err);
	}
	return wvi_num_unop(op, a, ar, out, err);
}
