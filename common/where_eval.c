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

/* A strict binary operator of impl on two values. */
static int
apply(struct ev *e, int impl, const struct wv_val *a, const struct wv_val *b,
    struct wv_val *out)
{
	struct wv_val ta, tb;
	int c;

	switch (impl) {
	case WI_EQ: case WI_NE: case WI_LT: case WI_GT: case WI_LE: case WI_GE:
		c = wv_cmp(a, b);
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
	case WI_CAT_ANY_R:
		where_ev_text(e, b, &tb);
		return wv_binop(WV_OP_CONCAT, a, &tb, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	case WI_CAT_ANY_L:
		where_ev_text(e, a, &ta);
		return wv_binop(WV_OP_CONCAT, &ta, b, e->a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	default:
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
	return apply(e, impl, &a, &b, out);
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
		d = wv_cmp(&a, &b) != 0;
	return where_ev_bool(out, n->neg ? !d : d);
}

/* 3VL accumulation of OR (any) / AND (all) over results r with values. */
static int
ev_quant(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	int impl = where_ops[n->op].impl, any = n->kind == WN_ANY, sawnull = 0;
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
		if (apply(e, impl, &l, &A->items[i], &v) == EV_ERR)
			return EV_ERR;
		if (v.u.b == any)
			return where_ev_bool(out, any);
	}
	return sawnull ? EV_NULL : where_ev_bool(out, !any);
}

static int
ev_in(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val l, v;
	int r, sawnull = 0, found = 0;
	size_t i;

	if ((r = where_ev(e, n->args[0], &l)) != EV_VAL)
		return r;
	for (i = 1; i < n->nargs && !found; i++) {
		if ((r = where_ev(e, n->args[i], &v)) == EV_ERR)
			return EV_ERR;
		if (r == EV_NULL)
			sawnull = 1;
		else if (wv_cmp(&l, &v) == 0)
			found = 1;
	}
	if (!found && sawnull)
		return EV_NULL;
	return where_ev_bool(out, found != n->neg);
}

/* a >= lo AND a <= hi, 3VL: 1, 0, or 2 for NULL */
static int
range3(const struct wv_val *a, int ra, const struct wv_val *lo, int rlo,
    const struct wv_val *hi, int rhi)
{
	int x = ra == EV_NULL || rlo == EV_NULL ? 2 : wv_cmp(a, lo) >= 0;
	int y = ra == EV_NULL || rhi == EV_NULL ? 2 : wv_cmp(a, hi) <= 0;

	if (x == 0 || y == 0)
		return 0;
	return x == 2 || y == 2 ? 2 : 1;
}

static int
ev_between(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val a, b, c;
	int ra, rb, rc, t, t2;

	if ((ra = where_ev(e, n->args[0], &a)) == EV_ERR ||
	    (rb = where_ev(e, n->args[1], &b)) == EV_ERR ||
	    (rc = where_ev(e, n->args[2], &c)) == EV_ERR)
		return EV_ERR;
	t = range3(&a, ra, &b, rb, &c, rc);
	if (n->sym) {
		t2 = range3(&a, ra, &c, rc, &b, rb);
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
	return wv_cast(&v, t, n->type.array ? (enum wv_type)n->type.base :
	    WV_NULL, e->a, out, NULL) == 0 ? EV_VAL : EV_ERR;
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
