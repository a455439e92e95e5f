/*
 * where_evalfn: evaluation of functions (§10.2 list), ARRAY[...] and
 * subscripts / slices for where_eval.c.  NULL handling per function:
 * strict ones yield NULL on a NULL argument; concat skips NULLs;
 * COALESCE / GREATEST / LEAST ignore NULLs; a NULL or out-of-range
 * subscript yields NULL.
 */
#include <string.h>

#include "where_int.h"

static int
ev_array(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val *items = wv_arena_alloc(e->a, n->nargs * sizeof(*items));
	size_t i;
	int r;

	for (i = 0; i < n->nargs; i++) {
		if ((r = where_ev(e, n->args[i], &items[i])) == EV_ERR)
			return EV_ERR;
		if (r == EV_NULL) {
			memset(&items[i], 0, sizeof(items[i]));
			items[i].type = WV_NULL;
		}
	}
	return wv_array_make((enum wv_type)n->type.base, items, n->nargs, e->a,
	    out, NULL) == 0 ? EV_VAL : EV_ERR;
}

/* A subscript bound: 1 value, 0 NULL / absent (*has = 0 when absent). */
static int
ev_bound(struct ev *e, const struct wnode *n, int *v, int *has)
{
	struct wv_val x;
	int r;

	*has = 0, *v = 0;
	if (n == NULL)
		return EV_VAL;
	if ((r = where_ev(e, n, &x)) != EV_VAL)
		return r;
	*has = 1, *v = (int)x.u.i;
	return EV_VAL;
}

static int
ev_subscript(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	int lo[WV_MAXDIM], hi[WV_MAXDIM], hlo[WV_MAXDIM], hhi[WV_MAXDIM];
	int nd = (int)(n->nargs - 1) / 2, i, r;
	struct wv_val a;

	if ((r = where_ev(e, n->args[0], &a)) != EV_VAL)
		return r;
	for (i = 0; i < nd; i++) {
		if ((r = ev_bound(e, n->args[1 + 2 * i], &lo[i], &hlo[i])) != EV_VAL ||
		    (r = ev_bound(e, n->args[2 + 2 * i], &hi[i], &hhi[i])) != EV_VAL)
			return r;
		if (!n->op && !hhi[i])
			return EV_NULL;
	}
	if (!n->op) {
		wv_array_subscript(a.u.arr, hi, nd, out);
		return out->type == WV_NULL ? EV_NULL : EV_VAL;
	}
	return wv_array_slice(a.u.arr, nd, lo, hlo, hi, hhi, e->a, out, NULL) ==
	    0 ? EV_VAL : EV_ERR;
}

static int
ev_concat(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val v, t;
	struct sbuf b;
	size_t i;
	char *p;
	int r;

	sbuf_init(&b);
	for (i = 0; i < n->nargs; i++) {
		if ((r = where_ev(e, n->args[i], &v)) == EV_ERR) {
			sbuf_free(&b);
			return EV_ERR;
		}
		if (r == EV_NULL)
			continue;
		where_ev_text(e, &v, &t);
		sbuf_add(&b, t.u.s.p, t.u.s.len);
	}
	p = wv_arena_alloc(e->a, b.len + 1);
	memcpy(p, b.p != NULL ? b.p : "", b.len);
	memset(out, 0, sizeof(*out));
	out->type = WV_TEXT;
	out->u.s.p = p;
	out->u.s.len = b.len;
	sbuf_free(&b);
	return EV_VAL;
}

/* COALESCE, GREATEST, LEAST */
static int
ev_pick(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val v;
	size_t i;
	int r, have = 0, c;

	for (i = 0; i < n->nargs; i++) {
		if ((r = where_ev(e, n->args[i], &v)) == EV_ERR)
			return EV_ERR;
		if (r == EV_NULL)
			continue;
		if (n->op == WF_COALESCE) {
			*out = v;
			return EV_VAL;
		}
		c = have ? wv_cmp(&v, out) : 0;
		if (!have || (n->op == WF_GREATEST ? c > 0 : c < 0))
			*out = v;
		have = 1;
	}
	return have ? EV_VAL : EV_NULL;
}

static int
ev_strict(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	struct wv_val a, b;
	int r;

	if ((r = where_ev(e, n->args[0], &a)) != EV_VAL)
		return r;
	if (n->nargs > 1 && (r = where_ev(e, n->args[1], &b)) != EV_VAL)
		return r;
	switch (n->op) {
	case WF_LOWER:
		wv_lower(&a, e->a, out);
		return EV_VAL;
	case WF_UPPER:
		wv_upper(&a, e->a, out);
		return EV_VAL;
	case WF_ARRAY_NDIMS:
		if ((r = wv_array_ndims(a.u.arr)) == 0)
			return EV_NULL;
		memset(out, 0, sizeof(*out));
		out->type = WV_INT4;
		out->u.i = r;
		return EV_VAL;
	case WF_TIMEZONE:
		return wv_timezone(a.u.s.p, a.u.s.len, &b, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	case WF_JUSTIFY_DAYS: case WF_JUSTIFY_HOURS: case WF_JUSTIFY_INTERVAL:
		return wv_justify(n->op == WF_JUSTIFY_DAYS ? 'd' :
		    n->op == WF_JUSTIFY_HOURS ? 'h' : 'i', &a, out, NULL) == 0 ?
		    EV_VAL : EV_ERR;
	}
	return EV_ERR;
}

int
where_eval_func(struct ev *e, const struct wnode *n, struct wv_val *out)
{
	switch (n->kind) {
	case WN_ARRAY:
		return ev_array(e, n, out);
	case WN_SUBSCRIPT:
		return ev_subscript(e, n, out);
	case WN_FUNC:
		if (n->op == WF_CONCAT)
			return ev_concat(e, n, out);
		if (n->op == WF_COALESCE || n->op == WF_GREATEST ||
		    n->op == WF_LEAST)
			return ev_pick(e, n, out);
		return ev_strict(e, n, out);
	}
	return EV_ERR;
}
