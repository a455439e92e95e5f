/*
 * where_val_array: arrays of any where_val type: the Postgres array literal
 * ("{1,2}", quoting, backslashes, NULL, nesting, "[lo:hi]=" bounds) in and
 * out (array_out quoting), array_cmp ordering, @> <@ &&, ||, array_cat /
 * append / prepend, subscripts and slices, ARRAY[...] construction.
 * Called through where_val.c and by the evaluator.  Arrays and their
 * elements live in the arena; element text points into the source when it
 * needed no unescaping.  Invariant: n == product of dims; ndim == 0 means
 * the empty array.
 */
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

struct aparse {
	const char		*s;
	size_t			 len, i;
	enum wv_type		 elem;
	struct wv_arena		*ar;
	struct wv_err		*err;
	struct wv_val		*items;
	size_t			 n, cap;
	int			 ndim;		/* -1 until the first leaf */
	int			 dims[WV_MAXDIM];
};

static int
ap_bad(struct aparse *ap)
{
	size_t len = ap->len > 200 ? 200 : ap->len;

	return wvi_err(ap->err, "malformed array literal: \"%.*s\"", (int)len,
	    ap->s);
}

static void
ap_space(struct aparse *ap)
{
	while (ap->i < ap->len && wvi_isspace((unsigned char)ap->s[ap->i]))
		ap->i++;
}

/* One element: quoted or not; NULL (unquoted, any case) -> WV_NULL. */
static int
ap_elem(struct aparse *ap)
{
	const char *s = ap->s;
	char *buf = wv_arena_alloc(ap->ar, ap->len - ap->i + 1);
	size_t n = 0, lastq = 0, st = ap->i;
	int quoted = 0, inq = 0, esc = 0;
	struct wv_val *v;

	for (; ap->i < ap->len; ap->i++) {
		char c = s[ap->i];
		if (c == '\\') {
			if (++ap->i == ap->len)
				return ap_bad(ap);
			buf[n++] = s[ap->i];
			lastq = n;
			esc = 1;
		} else if (c == '"') {
			if (!inq && n > 0 && !quoted)
				return ap_bad(ap);
			inq = !inq;
			quoted = 1;
			lastq = n;
		} else if (!inq && (c == ',' || c == '}'))
			break;
		else if (!inq && (c == '{' || (quoted && !wvi_isspace(
		    (unsigned char)c))))
			return ap_bad(ap);
		else if (inq || n > 0 || !wvi_isspace((unsigned char)c))
			buf[n++] = c;
	}
	if (inq || ap->i == ap->len)
		return ap_bad(ap);
	while (n > lastq && wvi_isspace((unsigned char)buf[n - 1]))
		n--;
	if (!quoted && n == 0)
		return ap_bad(ap);
	if (ap->n == ap->cap)
		return ap_bad(ap);
	v = &ap->items[ap->n++];
	if (!quoted && !esc && n == 4 && strncasecmp(buf, "NULL", 4) == 0) {
		memset(v, 0, sizeof(*v));
		return 0;
	}
	(void)st;
	buf[n] = '\0';
	return wv_parse(ap->elem, 0, buf, n, ap->ar, v, ap->err);
}

static int
ap_level(struct aparse *ap, int depth)
{
	int count = 0, sub = 0;

	if (depth >= WV_MAXDIM)
		return wvi_err(ap->err, "number of array dimensions (%d) "
		    "exceeds the maximum allowed (%d)", depth + 1, WV_MAXDIM);
	ap->i++;	/* '{' */
	ap_space(ap);
	if (ap->i < ap->len && ap->s[ap->i] == '}') {
		ap->i++;
		return depth == 0 ? 0 : ap_bad(ap);
	}
	for (;;) {
		ap_space(ap);
		if (ap->i < ap->len && ap->s[ap->i] == '{') {
			if (count > 0 && !sub)
				return ap_bad(ap);
			sub = 1;
			if (ap_level(ap, depth + 1) != 0)
				return -1;
			ap_space(ap);
		} else {
			if (sub || (ap->ndim >= 0 && ap->ndim != depth + 1))
				return ap_bad(ap);
			ap->ndim = depth + 1;
			if (ap_elem(ap) != 0)
				return -1;
		}
		count++;
		if (ap->i >= ap->len)
			return ap_bad(ap);
		if (ap->s[ap->i++] == '}')
			break;
		if (ap->s[ap->i - 1] != ',')
			return ap_bad(ap);
	}
	if (ap->dims[depth] == 0)
		ap->dims[depth] = count;
	else if (ap->dims[depth] != count)
		return wvi_err(ap->err, "malformed array literal: \"%.*s\"",
		    (int)(ap->len > 200 ? 200 : ap->len), ap->s);
	return 0;
}

/* "[lo:hi][lo:hi]=" */
static int
ap_bounds(struct aparse *ap, int *lb, int *ub, int *nb)
{
	struct wv_val v;
	size_t st;

	*nb = 0;
	while (ap->i < ap->len && ap->s[ap->i] == '[') {
		if (*nb == WV_MAXDIM)
			return ap_bad(ap);
		st = ++ap->i;
		while (ap->i < ap->len && ap->s[ap->i] != ':')
			ap->i++;
		if (ap->i == ap->len || wvi_parse_int(WV_INT4, ap->s + st,
		    ap->i - st, &v, NULL) != 0)
			return ap_bad(ap);
		lb[*nb] = (int)v.u.i;
		st = ++ap->i;
		while (ap->i < ap->len && ap->s[ap->i] != ']')
			ap->i++;
		if (ap->i == ap->len || wvi_parse_int(WV_INT4, ap->s + st,
		    ap->i - st, &v, NULL) != 0)
			return ap_bad(ap);
		ub[(*nb)++] = (int)v.u.i;
		ap->i++;
		ap_space(ap);
	}
	if (*nb > 0) {
		if (ap->i == ap->len || ap->s[ap->i] != '=')
			return ap_bad(ap);
		ap->i++;
		ap_space(ap);
	}
	return 0;
}

int
wvi_parse_array(enum wv_type elem, const char *s, size_t len,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	struct aparse ap = { .s = s, .len = len, .elem = elem, .ar = ar,
	    .err = err, .ndim = -1 };
	struct wv_array *a = wv_arena_alloc(ar, sizeof(*a));
	int lb[WV_MAXDIM], ub[WV_MAXDIM], nb, d;
	size_t k;

	memset(a, 0, sizeof(*a));
	for (k = 0, ap.cap = 1; k < len; k++)
		ap.cap += s[k] == ',';
	ap.items = wv_arena_alloc(ar, sizeof(struct wv_val) * ap.cap);
	ap_space(&ap);
	if (ap_bounds(&ap, lb, ub, &nb) != 0)
		return -1;
	if (ap.i >= len || s[ap.i] != '{')
		return ap_bad(&ap);
	if (ap_level(&ap, 0) != 0)
		return -1;
	ap_space(&ap);
	if (ap.i != len)
		return ap_bad(&ap);
	a->elem = (uint8_t)elem;
	a->ndim = ap.ndim < 0 ? 0 : ap.ndim;
	if (nb != 0 && nb != a->ndim)
		return ap_bad(&ap);
	for (d = 0; d < a->ndim; d++) {
		a->dims[d] = ap.dims[d];
		a->lbound[d] = nb ? lb[d] : 1;
		if (nb && ub[d] - lb[d] + 1 != ap.dims[d])
			return wvi_err(err, "malformed array literal: \"%.*s\"",
			    (int)(len > 200 ? 200 : len), s);
	}
	a->n = ap.n;
	a->items = ap.items;
	out->type = WV_ARRAY;
	out->elem = (uint8_t)elem;
	out->u.arr = a;
	return 0;
}

static int
ao_needs_quote(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || (n == 4 && strncasecmp(p, "NULL", 4) == 0))
		return 1;
	for (i = 0; i < n; i++)
		if (p[i] == '{' || p[i] == '}' || p[i] == ',' || p[i] == '"' ||
		    p[i] == '\\' || wvi_isspace((unsigned char)p[i]))
			return 1;
	return 0;
}

static void
ao_elem(const struct wv_val *v, struct sbuf *out, struct sbuf *tmp)
{
	size_t i;

	if (v->type == WV_NULL) {
		sbuf_adds(out, "NULL");
		return;
	}
	sbuf_reset(tmp);
	wv_out(v, tmp);
	if (!ao_needs_quote(tmp->p, tmp->len)) {
		sbuf_add(out, tmp->p, tmp->len);
		return;
	}
	sbuf_addc(out, '"');
	for (i = 0; i < tmp->len; i++) {
		if (tmp->p[i] == '"' || tmp->p[i] == '\\')
			sbuf_addc(out, '\\');
		sbuf_addc(out, tmp->p[i]);
	}
	sbuf_addc(out, '"');
}

void
wvi_out_array(const struct wv_array *a, struct sbuf *out)
{
	struct sbuf tmp;
	int d, idx[WV_MAXDIM] = { 0 };
	size_t k;

	if (a->ndim == 0) {
		sbuf_adds(out, "{}");
		return;
	}
	for (d = 0; d < a->ndim && a->lbound[d] == 1; d++)
		;
	if (d < a->ndim) {
		for (d = 0; d < a->ndim; d++)
			sbuf_addf(out, "[%d:%d]", a->lbound[d],
			    a->lbound[d] + a->dims[d] - 1);
		sbuf_addc(out, '=');
	}
	sbuf_init(&tmp);
	for (d = 0; d < a->ndim; d++)
		sbuf_addc(out, '{');
	for (k = 0; k < a->n; k++) {
		ao_elem(&a->items[k], out, &tmp);
		for (d = a->ndim - 1; d >= 0 && ++idx[d] == a->dims[d]; d--) {
			idx[d] = 0;
			sbuf_addc(out, '}');
		}
		if (d >= 0) {
			sbuf_addc(out, ',');
			for (d++; d < a->ndim; d++)
				sbuf_addc(out, '{');
		}
	}
	sbuf_free(&tmp);
}

static int
wv_elem_cmp(const struct wv_val *x, const struct wv_val *y)
{
	if (x->type == WV_NULL || y->type == WV_NULL)
		return (x->type != WV_NULL) - (y->type != WV_NULL) == 0 ? 0 :
		    x->type == WV_NULL ? 1 : -1;
	return wv_cmp(x, y);
}

int
wvi_cmp_array(const struct wv_array *a, const struct wv_array *b)
{
	size_t k, n = a->n < b->n ? a->n : b->n;
	int c, d;

	for (k = 0; k < n; k++)
		if ((c = wv_elem_cmp(&a->items[k], &b->items[k])) != 0)
			return c;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	if (a->ndim != b->ndim)
		return a->ndim < b->ndim ? -1 : 1;
	for (d = 0; d < a->ndim; d++) {
		if (a->dims[d] != b->dims[d])
			return a->dims[d] < b->dims[d] ? -1 : 1;
		if (a->lbound[d] != b->lbound[d])
			return a->lbound[d] < b->lbound[d] ? -1 : 1;
	}
	return 0;
}

static int
wv_array_has(const struct wv_array *a, const struct wv_val *v)
{
	size_t k;

	if (v->type == WV_NULL)
		return 0;
	for (k = 0; k < a->n; k++)
		if (a->items[k].type != WV_NULL && wv_cmp(&a->items[k], v) == 0)
			return 1;
	return 0;
}

int
wv_array_contains(const struct wv_array *a, const struct wv_array *b)
{
	size_t k;

	for (k = 0; k < b->n; k++)
		if (!wv_array_has(a, &b->items[k]))
			return 0;
	return 1;
}

int
wv_array_overlap(const struct wv_array *a, const struct wv_array *b)
{
	size_t k;

	for (k = 0; k < b->n; k++)
		if (wv_array_has(a, &b->items[k]))
			return 1;
	return 0;
}

int
wv_array_ndims(const struct wv_array *a)
{
	return a->ndim;
}
