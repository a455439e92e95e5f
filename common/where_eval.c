/*
 * where_eval: evaluation of a compiled WHERE on one row (where.h) with
 * SQL three-valued logic.  Column values are parsed lazily from their
 * text (once per evaluation, cached in w->cache); constants were parsed
 * at compile time; computed values live in w->scratch, reset per call
 * (its first block is kept: the steady state does not allocate).  Any
 * error Postgres would raise (overflow, division by zero, bad value)
 * makes the row not match.  Value semantics are where_val's.
 * Called by the collector and the consumer; one evaluation at a time per
 * where.
 */
#include <string.h>

#include "where_int.h"

int
where_ev_bool(struct wv_val *out, int b)
{
	memset(out, 0, sizeof(*out));
	out->type = WV_BOOL;
	out->u.b = b != 0;
	return EV_VAL;
}

static int
ev_col(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wcache *c = &e->w->cache[n->col];
	const struct change_val *v = &e->row[n->col];
	enum wv_type t, el = WV_NULL;

	if (c->state == 0) {
		t = n->type.base >= WV_NTYPES ? WV_TEXT : (enum wv_type)n->type.base;
		if (n->type.array)
			el = t, t = WV_ARRAY;
		if (v->kind != CHANGE_TEXT)
			c->state = 2;
		else
			c->state = wv_parse(t, el, v->s, v->len, e->a, &c->v,
			    NULL) == 0 ? 1 : 3;
	}
	if (c->state == 3)
		return EV_ERR;
	if (c->state == 2)
		return EV_NULL;
	*out = c->v;
	return EV_VAL;
}

/* ---- operators ---- */

static const enum wv_op impl_op[] = {
	[WI_ADD] = WV_OP_ADD, [WI_SUB] = WV_OP_SUB, [WI_MUL] = WV_OP_MUL,
	[WI_DIV] = WV_OP_DIV, [WI_MOD] = WV_OP_MOD, [WI_POW] = WV_OP_POW,
	[WI_BAND] = WV_OP_BAND, [WI_BOR] = WV_OP_BOR, [WI_BXOR] = WV_OP_BXOR,
	[WI_SHL] = WV_OP_SHL, [WI_SHR] = WV_OP_SHR, [WI_NEG] = WV_OP_NEG,
	[WI_POS] = WV_OP_POS, [WI_ABS] = WV_OP_ABS, [WI_SQRT] = WV_OP_SQRT,
	[WI_BNOT] = WV_OP_BNOT, [WI_CAT] = WV_OP_CONCAT,
};

int
where_ev_text(struct ev *e, const struct wv_val *v, struct wv_val *out)
{
	memset(out, 0, sizeof(*out));
	out->type = WV_TEXT;
	if (wv_type_is_text((enum wv_type)v->type) || v->type == WV_JSON ||
	    v->type == WV_JSONB || v->type == WV_ENUM) {
		out->u.s = v->u.s;
		return 0;
	}
	out->u.s.p = wv_out_arena(v, e->a, &out->u.s.len);
	return 0;
}

static int
is_dt(int t)
{
	return t == WV_DATE || t == WV_TIMESTAMP || t == WV_TIMESTAMPTZ;
}

/* A date, timestamp or timestamptz on one scale (session TimeZone is
 * UTC): class 0 -infinity, 1 finite (*us), 2 a date beyond the last
 * finite timestamp, 3 infinity.  As Postgres' date2timestamp_opt_overflow
 * (a date's minimum is the timestamps' minimum: no underflow). */
static int
dt_key(const struct wv_val *v, int64_t *us)
{
	/* date2j(294277, 1, 1) - date2j(2000, 1, 1) */
	static const int32_t end_days = 106751983;

	*us = 0;
	if (v->type != WV_DATE) {
		*us = v->u.ts;
		return v->u.ts == WV_TS_NEGINF ? 0 : v->u.ts == WV_TS_POSINF ? 3 : 1;
	}
	if (v->u.date == WV_DATE_NEGINF)
		return 0;
	if (v->u.date == WV_DATE_POSINF)
		return 3;
	if (v->u.date >= end_days)
		return 2;
	*us = (int64_t)v->u.date * WV_USECS_PER_DAY;
	return 1;
}

/* date_cmp_timestamp & co.: never overflows. */
static int
dt_cmp(const struct wv_val *a, const struct wv_val *b)
{
	int64_t x, y;
	int ka = dt_key(a, &x), kb = dt_key(b, &y);

	if (ka != kb)
		return ka < kb ? -1 : 1;
	return ka == 1 ? (x > y) - (x < y) : 0;
}

/* Compares a and b for row o: one type, or one of Postgres' cross-type
 * rows (float4 with float8: both are doubles; date/timestamp[tz]). */
static int
row_cmp(const struct wop *o, const struct wv_val *a, const struct wv_val *b)
{
	if (o->l != o->r && is_dt(o->l) && is_dt(o->r))
		return dt_cmp(a, b);
	return wv_cmp(a, b);
}

/* A strict binary operator of row o on two values. */
static int
apply(struct ev *e, const struct wop *o, const struct wv_val *a,
    const struct wv_val *b, struct wv_val *out)
{
	struct wv_val ta, tb;
	int c, impl = o->impl;

	switch (impl) {
	case WI_EQ: case WI_NE: case WI_LT: case WI_GT: case WI_LE: case WI_GE:
		c = row_cmp(o, a, b);
		return where_ev_bool(out, impl == WI_EQ ? c == 0 : impl == WI_NE ?
		    c != 0 : impl == WI_LT ? c < 0 : impl == WI_GT ? c > 0 :
		    impl == WI_LE ? c <= 0 : c >= 0);
	case WI_LIKE: case WI_NOT_LIKE: case WI_ILIKE: case WI_NOT_ILIKE:
		c = wv_like(a->u.s.p, a->u.s.len, b->u.s.p, b->u.s.len,
		    impl == WI_ILIKE || impl == WI_NOT_ILIKE, NULL);
		if (c < 0)
			return EV_ERR;
		return where_ev_bool(out, (impl == WI_LIKE || impl == WI_ILIKE) ? c : !c);
	case WI_CONTAINS:
		return where_ev_bool(out, wv_array_contains(a->u.arr, b->u.arr));
	case WI_CONTAINED:
		return where_ev_bool(out, wv_array_contains(b->u.arr, a->u.arr));
	case WI_OVERLAP:
		return where_ev_bool(out, wv_array_overlap(a->u.arr, b->u.arr));
	case WI_CAT_ANY_R:	/* anytextcat: $1 || $2::text (bool: 'true') */
		if (wv_cast(b, WV_TEXT, WV_NULL, e->a, &tb, NULL) == -1)
			return EV_ERR;
		return wv_binop(WV_OP_CONCAT, a, &tb, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	case WI_CAT_ANY_L:
		if (wv_cast(a, WV_TEXT, WV_NULL, e->a, &ta, NULL) == -1)
			return EV_ERR;
		return wv_binop(WV_OP_CONCAT, &ta, b, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	default:
		if (o->l != o->r && (o->l == WV_FLOAT4 || o->r == WV_FLOAT4)) {
			ta = *a, tb = *b;	/* float48pl & co.: in float8 */
			ta.type = tb.type = WV_FLOAT8;
			a = &ta, b = &tb;
		}
		return wv_binop(impl_op[impl], a, b, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	}
}

/* array || array, elem || array, array || elem: not strict. */
static int
ev_arrcat(struct ev *e, const struct wnode *n, int impl, int ra,
    struct wv_val *a, int rb, struct wv_val *b, struct wv_val *out)
{
	struct wv_array empty;
	struct wv_val nul;

	memset(&empty, 0, sizeof(empty));
	memset(&nul, 0, sizeof(nul));
	empty.elem = n->type.base;
	if (impl == WI_ARR_CAT) {
		if (ra == EV_NULL)
			*out = *b;
		else if (rb == EV_NULL)
			*out = *a;
		return ra == EV_NULL || rb == EV_NULL ?
		    (ra == EV_NULL && rb == EV_NULL ? EV_NULL : EV_VAL) :
		    wv_array_cat(a->u.arr, b->u.arr, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	}
	if (impl == WI_ARR_APPEND)
		return wv_array_append(ra == EV_NULL ? &empty : a->u.arr,
		    rb == EV_NULL ? &nul : b, e->a, out, NULL) == 0 ? EV_VAL : EV_ERR;
	return wv_array_prepend(ra == EV_NULL ? &nul : a, rb == EV_NULL ? &empty :
	    b->u.arr, e->a, out, NULL) == 0 ? EV_VAL : EV_ERR;
}

static int
ev_op(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	int impl = where_ops[n->op].impl, ra, rb;
	struct wv_val a, b;

	if ((ra = where_ev(e, n->args[0], &a)) == EV_ERR)
		return EV_ERR;
	if (n->nargs == 1) {
		if (ra == EV_NULL)
			return EV_NULL;
		return wv_unop(impl_op[impl], &a, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	}
	if ((rb = where_ev(e, n->args[1], &b)) == EV_ERR)
		return EV_ERR;
	if (impl == WI_ARR_CAT || impl == WI_ARR_APPEND || impl == WI_ARR_PREPEND)
		return ev_arrcat(e, n, impl, ra, &a, rb, &b, out);
	if (ra == EV_NULL || rb == EV_NULL)
		return EV_NULL;
	return apply(e, &where_ops[n->op], &a, &b, out);
}

/* ---- boolean logic ---- */

static int
ev_andor(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	int is_and = n->kind == WN_AND, sawnull = 0, r;
	struct wv_val v;
	size_t i;

	for (i = 0; i < n->nargs; i++) {
		if ((r = where_ev(e, n->args[i], &v)) == EV_ERR)
			return EV_ERR;
		if (r == EV_NULL)
			sawnull = 1;
		else if (v.u.b != is_and)
			return where_ev_bool(out, !is_and);
	}
	return sawnull ? EV_NULL : where_ev_bool(out, is_and);
}

static int
ev_test(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val v;
	int r = where_ev(e, n->args[0], &v), t;

	if (r == EV_ERR)
		return EV_ERR;
	if (n->kind == WN_NOT)
		return r == EV_NULL ? EV_NULL : where_ev_bool(out, !v.u.b);
	if (n->kind == WN_NULLTEST)
		return where_ev_bool(out, (r == EV_NULL) != n->op);
	/* BOOLTEST */
	t = r == EV_NULL ? 2 : v.u.b ? 1 : 0;
	switch (n->op) {
	case WBT_TRUE:		return where_ev_bool(out, t == 1);
	case WBT_NOT_TRUE:	return where_ev_bool(out, t != 1);
	case WBT_FALSE:		return where_ev_bool(out, t == 0);
	case WBT_NOT_FALSE:	return where_ev_bool(out, t != 0);
	case WBT_UNKNOWN:	return where_ev_bool(out, t == 2);
	default:		return where_ev_bool(out, t != 2);
	}
}

static int
ev_distinct(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val a, b;
	int ra, rb, d;

	if ((ra = where_ev(e, n->args[0], &a)) == EV_ERR ||
	    (rb = where_ev(e, n->args[1], &b)) == EV_ERR)
		return EV_ERR;
	if (ra == EV_NULL || rb == EV_NULL)
		d = ra != rb;
	else
		d = row_cmp(&where_ops[n->op], &a, &b) != 0;
	return where_ev_bool(out, n->neg ? !d : d);
}

/* 3VL accumulation of OR (any) / AND (all) over results r with values. */
static int
ev_quant(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	int any = n->kind == WN_ANY, sawnull = 0;
	struct wv_val l, arr, v;
	const struct wv_array *A;
	int rl, r;
	size_t i;

	if ((rl = where_ev(e, n->args[0], &l)) == EV_ERR ||
	    (r = where_ev(e, n->args[1], &arr)) == EV_ERR)
		return EV_ERR;
	if (r == EV_NULL)
		return EV_NULL;
	A = arr.u.arr;
	if (A->n == 0)
		return where_ev_bool(out, !any);
	if (rl == EV_NULL)
		return EV_NULL;
	for (i = 0; i < A->n; i++) {
		if (A->items[i].type == WV_NULL) {
			sawnull = 1;
			continue;
		}
		if (apply(e, &where_ops[n->op], &l, &A->items[i], &v) == EV_ERR)
			return EV_ERR;
		if (v.u.b == any)
			return where_ev_bool(out, any);
	}
	return sawnull ? EV_NULL : where_ev_bool(out, !any);
}

/* v cast to t (the left operand of one comparison of IN / BETWEEN). */
static int
cast_to(struct ev *e, const struct wv_val *v, const struct wtype *t,
    const struct wtype *vt, struct wv_val *out)
{
	if (wt_equal(t, vt) || t->base >= WV_NTYPES || t->base == WV_ENUM) {
		*out = *v;
		return 0;
	}
	return wv_cast(v, t->array ? WV_ARRAY : (enum wv_type)t->base,
	    t->array ? (enum wv_type)t->base : WV_NULL, e->a, out, NULL);
}

static int
ev_in(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val x, l, v;
	int r, sawnull = 0, found = 0;
	size_t i;

	if ((r = where_ev(e, n->args[0], &x)) != EV_VAL)
		return r;
	for (i = 1; i < n->nargs && !found; i++) {
		if ((r = where_ev(e, n->args[i], &v)) == EV_ERR ||
		    (r == EV_VAL && cast_to(e, &x, &n->ltypes[i - 1],
		    &n->args[0]->type, &l) == -1))
			return EV_ERR;
		if (r == EV_NULL)
			sawnull = 1;
		else if (row_cmp(&where_ops[n->ops[i - 1]], &l, &v) == 0)
			found = 1;
	}
	if (!found && sawnull)
		return EV_NULL;
	return where_ev_bool(out, found != n->neg);
}

/* x >= lo AND x <= hi, 3VL: 1, 0, or 2 for NULL (x cast per side). */
static int
range3(struct ev *e, const struct wnode *n, const struct wv_val *x, int rx,
    const struct wv_val *lo, int rlo, const struct wv_val *hi, int rhi)
{
	struct wv_val a, b;
	int p, q;

	if (rx == EV_NULL)
		return 2;
	if (cast_to(e, x, &n->ltypes[0], &n->args[0]->type, &a) == -1 ||
	    cast_to(e, x, &n->ltypes[1], &n->args[0]->type, &b) == -1)
		return -1;
	p = rlo == EV_NULL ? 2 : row_cmp(&where_ops[n->op], &a, lo) >= 0;
	q = rhi == EV_NULL ? 2 : row_cmp(&where_ops[n->op2], &b, hi) <= 0;
	if (p == 0 || q == 0)
		return 0;
	return p == 2 || q == 2 ? 2 : 1;
}

/* SYMMETRIC swaps the bounds: the rows' types are the same for both
 * comparison operators, so op / op2 serve as they are. */
static int
ev_between(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val a, b, c;
	int ra, rb, rc, t, t2;

	if ((ra = where_ev(e, n->args[0], &a)) == EV_ERR ||
	    (rb = where_ev(e, n->args[1], &b)) == EV_ERR ||
	    (rc = where_ev(e, n->args[2], &c)) == EV_ERR)
		return EV_ERR;
	if ((t = range3(e, n, &a, ra, &b, rb, &c, rc)) == -1)
		return EV_ERR;
	if (n->sym) {
		struct wnode sw = *n;

		sw.op = n->op2, sw.op2 = n->op;
		sw.ltypes = (struct wtype[2]){ n->ltypes[1], n->ltypes[0] };
		if ((t2 = range3(e, &sw, &a, ra, &c, rc, &b, rb)) == -1)
			return EV_ERR;
		t = t == 1 || t2 == 1 ? 1 : t == 2 || t2 == 2 ? 2 : 0;
	}
	if (t == 2)
		return EV_NULL;
	return where_ev_bool(out, n->neg ? !t : t);
}

/* ---- the rest ---- */

static int
ev_cast(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val v;
	int r = where_ev(e, n->args[0], &v);
	enum wv_type t = n->type.array ? WV_ARRAY : (enum wv_type)n->type.base;

	if (r != EV_VAL)
		return r;
	if (wv_cast(&v, t, n->type.array ? (enum wv_type)n->type.base :
	    WV_NULL, e->a, out, NULL) != 0)
		return EV_ERR;
	/* some casts give SQL NULL: infinite timestamps to time */
	return out->type == WV_NULL ? EV_NULL : EV_VAL;
}

int
where_ev(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	switch (n->kind) {
	case WN_CONST:
		if (n->isnull)
			return EV_NULL;
		*out = n->val;
		return EV_VAL;
	case WN_COL:
		return ev_col(e, n, out);
	case WN_OP:
		return ev_op(e, n, out);
	case WN_CAST:
		return ev_cast(e, n, out);
	case WN_AND: case WN_OR:
		return ev_andor(e, n, out);
	case WN_NOT: case WN_NULLTEST: case WN_BOOLTEST:
		return ev_test(e, n, out);
	case WN_DISTINCT:
		return ev_distinct(e, n, out);
	case WN_ANY: case WN_ALL:
		return ev_quant(e, n, out);
	case WN_IN:
		return ev_in(e, n, out);
	case WN_BETWEEN:
		return ev_between(e, n, out);
	default:
		return where_eval_func(e, n, out);
	}
}

int
where_eval(const struct where *cw, const struct change_val *row)
{
	struct where *w = (struct where *)(uintptr_t)cw;	/* scratch */
	struct ev e = { w, row, &w->scratch };
	struct wv_val v;
	size_t i;
	int r;

	for (i = 0; i < w->nused; i++)
		w->cache[w->usedcols[i]].state = 0;
	wv_arena_reset(&w->scratch);
	r = where_ev(&e, w->root, &v);
	return r == EV_VAL && v.u.b;
}
