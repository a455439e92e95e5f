/*
 * where_val_arrayops: functions building new arrays: array_cat / || ,
 * array_append, array_prepend, subscripts, slices and ARRAY[...]
 * construction, with Postgres' dimension rules and error messages.
 * Called by the evaluator (through where_val.h) and where_val_ops.c.
 * Results live in the arena.
 */
#include <string.h>

#include "where_val_int.h"

static struct wv_array *
wv_arr_new(enum wv_type elem, size_t n, struct wv_arena *ar)
{
	struct wv_array *a = wv_arena_alloc(ar, sizeof(*a));

	memset(a, 0, sizeof(*a));
	a->elem = (uint8_t)elem;
	a->n = n;
	a->items = n ? wv_arena_alloc(ar, sizeof(struct wv_val) * n) : NULL;
	return a;
}

static void
wv_arr_set(struct wv_val *out, const struct wv_array *a)
{
	out->type = WV_ARRAY;
	out->elem = a->elem;
	out->u.arr = a;
}

static int
wv_incompat(struct wv_err *err)
{
	return wvi_err(err, "cannot concatenate incompatible arrays");
}

int
wv_array_cat(const struct wv_array *a, const struct wv_array *b,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	const struct wv_array *big = a->ndim >= b->ndim ? a : b, *small;
	struct wv_array *r;
	int d, off;

	if (a->ndim == 0 || b->ndim == 0) {
		wv_arr_set(out, a->ndim == 0 ? b : a);
		return 0;
	}
	if (a->ndim - b->ndim > 1 || b->ndim - a->ndim > 1)
		return wv_incompat(err);
	small = big == a ? b : a;
	off = a->ndim == b->ndim ? 1 : 0;	/* inner dims and lower
						 * bounds must agree */
	for (d = off; d < small->ndim; d++)
		if (small->dims[d] != big->dims[d + 1 - off] ||
		    small->lbound[d] != big->lbound[d + 1 - off])
			return wv_incompat(err);
	r = wv_arr_new(a->elem, a->n + b->n, ar);
	r->ndim = big->ndim;
	memcpy(r->dims, big->dims, sizeof(r->dims));
	memcpy(r->lbound, a->ndim >= b->ndim ? a->lbound : b->lbound,
	    sizeof(r->lbound));
	r->dims[0] = a->ndim == b->ndim ? a->dims[0] + b->dims[0] :
	    big->dims[0] + 1;
	if (a->n > 0)
		memcpy((void *)r->items, a->items,
		    sizeof(struct wv_val) * a->n);
	if (b->n > 0)
		memcpy((void *)(r->items + a->n), b->items,
		    sizeof(struct wv_val) * b->n);
	wv_arr_set(out, r);
	return 0;
}

static int
wv_arr_one(const struct wv_array *a, const struct wv_val *e, int prepend,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	struct wv_array *r;

	if (a->ndim > 1)
		return wvi_err(err, "argument must be empty or one-dimensional "
		    "array");
	r = wv_arr_new(a->elem, a->n + 1, ar);
	r->ndim = 1;
	r->dims[0] = (int)a->n + 1;
	r->lbound[0] = a->ndim == 0 ? 1 : a->lbound[0];
	if (a->n > 0)
		memcpy((void *)(r->items + (prepend ? 1 : 0)), a->items,
		    sizeof(struct wv_val) * a->n);
	((struct wv_val *)r->items)[prepend ? 0 : a->n] = *e;
	wv_arr_set(out, r);
	return 0;
}

int
wv_array_append(const struct wv_array *a, const struct wv_val *elem,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	return wv_arr_one(a, elem, 0, ar, out, err);
}

int
wv_array_prepend(const struct wv_val *elem, const struct wv_array *a,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	return wv_arr_one(a, elem, 1, ar, out, err);
}

/* || with at least one array operand (elem NULL arrives as WV_NULL). */
int
wvi_array_concat(const struct wv_val *a, const struct wv_val *b,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	if (a->type == WV_ARRAY && b->type == WV_ARRAY)
		return wv_array_cat(a->u.arr, b->u.arr, ar, out, err);
	if (a->type == WV_ARRAY)
		return wv_array_append(a->u.arr, b, ar, out, err);
	return wv_array_prepend(a, b->u.arr, ar, out, err);
}

void
wv_array_subscript(const struct wv_array *a, const int *subs, int nsubs,
    struct wv_val *out)
{
	size_t off = 0;
	int d;

	memset(out, 0, sizeof(*out));
	if (nsubs != a->ndim || a->ndim == 0)
		return;
	for (d = 0; d < nsubs; d++) {
		if (subs[d] < a->lbound[d] ||
		    (int64_t)subs[d] >= (int64_t)a->lbound[d] + a->dims[d])
			return;
		off = off * (size_t)a->dims[d] +
		    (size_t)(subs[d] - a->lbound[d]);
	}
	*out = a->items[off];
}

int
wv_array_slice(const struct wv_array *a, int nsl, const int *lo,
    const int *has_lo, const int *hi, const int *has_hi,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	int l[WV_MAXDIM], h[WV_MAXDIM], d, idx[WV_MAXDIM];
	struct wv_array *r;
	size_t n = 1, k, off;

	(void)err;
	if (a->ndim == 0 || nsl > a->ndim) {
		wv_arr_set(out, wv_arr_new(a->elem, 0, ar));
		return 0;
	}
	for (d = 0; d < a->ndim; d++) {
		int64_t ub = (int64_t)a->lbound[d] + a->dims[d] - 1;
		l[d] = d < nsl && has_lo[d] && lo[d] > a->lbound[d] ? lo[d] :
		    a->lbound[d];
		h[d] = d < nsl && has_hi[d] && hi[d] < ub ? hi[d] : (int)ub;
		if (h[d] < l[d]) {
			wv_arr_set(out, wv_arr_new(a->elem, 0, ar));
			return 0;
		}
		n *= (size_t)(h[d] - l[d] + 1);
		idx[d] = l[d];
	}
	r = wv_arr_new(a->elem, n, ar);
	r->ndim = a->ndim;
	for (d = 0; d < a->ndim; d++) {
		r->dims[d] = h[d] - l[d] + 1;
		r->lbound[d] = 1;
	}
	for (k = 0; k < n; k++) {
		for (d = 0, off = 0; d < a->ndim; d++)
			off = off * (size_t)a->dims[d] +
			    (size_t)(idx[d] - a->lbound[d]);
		((struct wv_val *)r->items)[k] = a->items[off];
		for (d = a->ndim - 1; d >= 0 && ++idx[d] > h[d]; d--)
			idx[d] = l[d];
	}
	wv_arr_set(out, r);
	return 0;
}

int
wv_array_make(enum wv_type elem, const struct wv_val *items, size_t n,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	const struct wv_array *first;
	struct wv_array *r;
	size_t k, m = 0;

	if (n == 0 || items[0].type != WV_ARRAY) {
		r = wv_arr_new(elem, n, ar);
		r->ndim = n ? 1 : 0;
		r->dims[0] = (int)n;
		r->lbound[0] = 1;
		if (n > 0)
			memcpy((void *)r->items, items,
			    sizeof(struct wv_val) * n);
		wv_arr_set(out, r);
		return 0;
	}
	first = items[0].u.arr;
	for (k = 0; k < n; k++) {
		const struct wv_array *s = items[k].u.arr;
		if (items[k].type != WV_ARRAY || s->ndim != first->ndim ||
		    memcmp(s->dims, first->dims, sizeof(s->dims)) != 0 ||
		    memcmp(s->lbound, first->lbound, sizeof(s->lbound)) != 0)
			return wvi_err(err, "multidimensional arrays must have "
			    "array expressions with matching dimensions");
		m += s->n;
	}
	if (first->ndim == 0) {
		wv_arr_set(out, first);
		return 0;
	}
	if (first->ndim + 1 > WV_MAXDIM)
		return wvi_err(err, "number of array dimensions (%d) exceeds "
		    "the maximum allowed (%d)", first->ndim + 1, WV_MAXDIM);
	r = wv_arr_new(elem, m, ar);
	r->ndim = first->ndim + 1;
	r->dims[0] = (int)n;
	r->lbound[0] = 1;
	memcpy(r->dims + 1, first->dims, sizeof(int) * (WV_MAXDIM - 1));
	memcpy(r->lbound + 1, first->lbound, sizeof(int) * (WV_MAXDIM - 1));
	for (k = 0, m = 0; k < n; k++) {
		memcpy((void *)(r->items + m), items[k].u.arr->items,
		    sizeof(struct wv_val) * items[k].u.arr->n);
		m += items[k].u.arr->n;
	}
	wv_arr_set(out, r);
	return 0;
}
