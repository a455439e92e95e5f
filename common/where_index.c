/*
 * where_index: index support of where.h (PROTOCOL.md §10.5) -- the
 * indexable conjunct of a compiled WHERE (where_find_term, at compile
 * time), the index key of a value (where_index_key: equal keys <=> equal
 * under Postgres' = for the type) and the element walk of an array
 * literal (where_array_each).  Users: where.c, the collector's index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "where_int.h"

/* ---- keys ---- */

static void
key_numeric(const struct wv_num *n, struct sbuf *out)
{
	size_t i, nd = 0, last = 0;
	char c;

	if (n->kind != WV_NUM_FINITE) {
		sbuf_adds(out, n->kind == WV_NUM_NAN ? "NaN" :
		    n->kind == WV_NUM_PINF ? "Infinity" : "-Infinity");
		return;
	}
	if (n->neg)
		sbuf_addc(out, '-');
	for (i = 0; i < n->nd; i++) {	/* digits without '.' and trailing 0 */
		if ((c = n->d[i]) == '.')
			continue;
		sbuf_addc(out, c);
		nd++;
		if (c != '0')
			last = out->len;
	}
	if (nd == 0 || last == 0 || (n->neg && last == 1)) {
		sbuf_reset(out);	/* zero (and -0) */
		sbuf_addc(out, '0');
		return;
	}
	out->len = last;
	out->p[last] = '\0';
	sbuf_addf(out, "e%d", (int)n->exp);
}

int
where_index_key(const struct where_col *col, const char *s, size_t len,
    struct sbuf *out)
{
	int t = col->is_enum ? WV_ENUM : wv_type_from_name(col->type,
	    strlen(col->type));
	struct wv_arena a;
	struct wv_val v;
	int r = 0;

	sbuf_reset(out);
	if (t != WV_INT2 && t != WV_INT4 && t != WV_INT8 && t != WV_TEXT &&
	    t != WV_VARCHAR && t != WV_BPCHAR && t != WV_NAME && t != WV_BOOL &&
	    t != WV_UUID && t != WV_ENUM && t != WV_DATE && t != WV_NUMERIC)
		return -1;
	if (strcmp(col->type, "char") == 0 && !col->is_enum)
		return -1;
	wv_arena_init(&a);
	if (wv_parse((enum wv_type)t, WV_NULL, s, len, &a, &v, NULL) == -1) {
		wv_arena_free(&a);
		return -1;
	}
	switch (t) {
	case WV_INT2: case WV_INT4: case WV_INT8:	/* no printf: per change */
		if (v.u.i < 0)
			sbuf_addc(out, '-');
		sbuf_addu64(out, v.u.i < 0 ? 0 - (uint64_t)v.u.i :
		    (uint64_t)v.u.i);
		break;
	case WV_BOOL:
		sbuf_addc(out, v.u.b ? 't' : 'f');
		break;
	case WV_DATE:
		sbuf_addf(out, "%ld", (long)v.u.date);
		break;
	case WV_NUMERIC:
		key_numeric(&v.u.num, out);
		break;
	case WV_BPCHAR:
		while (v.u.s.len > 0 && v.u.s.p[v.u.s.len - 1] == ' ')
			v.u.s.len--;
		/* FALLTHROUGH */
	case WV_TEXT: case WV_VARCHAR: case WV_NAME: case WV_ENUM:
		sbuf_add(out, v.u.s.p, v.u.s.len);
		if (memchr(v.u.s.p, '\0', v.u.s.len) != NULL)
			r = -1;
		break;
	case WV_UUID:
		wv_out(&v, out);
		break;
	}
	wv_arena_free(&a);
	return r;
}

/* ---- array literals ---- */

static size_t
skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r' || s[i] == '\v' || s[i] == '\f'))
		i++;
	return i;
}

/* One element at s[*ip]; calls fn unless it is NULL. */
static int
each_elem(const char *s, size_t len, size_t *ip, struct sbuf *b,
    int (*fn)(const char *, size_t, void *), void *arg)
{
	size_t i = *ip, st;
	int quoted = 0;

	sbuf_reset(b);
	if (s[i] == '"') {
		quoted = 1;
		for (i++; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\' && ++i == len)
				return -1;
			sbuf_addc(b, s[i]);
		}
		if (i++ == len)
			return -1;
	} else {
		for (st = i; i < len && s[i] != ',' && s[i] != '}' &&
		    s[i] != '{' && s[i] != '"'; i++) {
			if (s[i] == '\\' && ++i == len)
				return -1;
			sbuf_addc(b, s[i]);
		}
		while (b->len > 0 && strchr(" \t\n\r\v\f", b->p[b->len - 1]))
			b->p[--b->len] = '\0';
		if (i == st || b->len == 0)
			return -1;
	}
	*ip = skip_ws(s, i, len);
	if (!quoted && b->len == 4 && strncasecmp(b->p, "NULL", 4) == 0)
		return 0;
	return fn(b->p, b->len, arg);
}

int
where_array_each(const char *s, size_t len,
    int (*fn)(const char *elem, size_t len, void *arg), void *arg)
{
	struct sbuf b;
	size_t i = skip_ws(s, 0, len);
	int depth = 0, r = 0, need = 1;

	if (i < len && s[i] == '[') {		/* [lo:hi]... = */
		while (i < len && s[i] != '=')
			i++;
		i = skip_ws(s, i + 1, len);
	}
	if (i == len || s[i] != '{')
		return -1;
	sbuf_init(&b);
	while (r == 0 && i < len) {
		if (s[i] == '{') {
			depth++, need = 1;
			i = skip_ws(s, i + 1, len);
		} else if (s[i] == '}') {
			if (--depth < 0)
				r = -1;
			i = skip_ws(s, i + 1, len);
			need = 0;
			if (depth == 0)
				break;
		} else if (s[i] == ',' && !need) {
			need = 1;
			i = skip_ws(s, i + 1, len);
		} else if (need && depth > 0) {
			r = each_elem(s, len, &i, &b, fn, arg);
			need = 0;
		} else
			r = -1;
	}
	if (r == 0 && (depth != 0 || skip_ws(s, i, len) != len))
		r = -1;
	sbuf_free(&b);
	return r;
}

/* ---- the term ---- */

/* A column, directly or through a lossless text cast. */
static const struct wnode *
term_col(const struct wnode *n)
{
	if (n->kind == WN_CAST && n->type.base == WV_TEXT && !n->type.array &&
	    n->args[0]->kind == WN_COL && (n->args[0]->type.base == WV_VARCHAR ||
	    n->args[0]->type.base == WV_NAME) && !n->args[0]->type.array)
		return n->args[0];
	return n->kind == WN_COL ? n : NULL;
}

static int
const_key(const struct where *w, int col, const struct wv_val *v,
    struct sbuf *key)
{
	struct sbuf out;
	int r;

	sbuf_init(&out);
	wv_out(v, &out);
	r = where_index_key(&w->cols[col], out.p, out.len, key);
	sbuf_free(&out);
	return r;
}

static int
add_val(struct where *w, struct where_term *t, int col, const struct wv_val *v)
{
	struct sbuf key;

	sbuf_init(&key);
	if (const_key(w, col, v, &key) == -1) {
		sbuf_free(&key);
		return -1;
	}
	t->vals = xrealloc(t->vals, (t->nvals + 1) * sizeof(*t->vals));
	t->vals[t->nvals++] = key.p != NULL ? key.p : xstrdup("");
	return 0;
}

static int
is_val(const struct wnode *n)
{
	return n->kind == WN_CONST && !n->isnull;
}

/* The first non-NULL element of an array constant or ARRAY[consts]. */
static const struct wv_val *
first_elem(const struct wnode *n)
{
	size_t i;

	if (is_val(n) && n->val.type == WV_ARRAY) {
		for (i = 0; i < n->val.u.arr->n; i++)
			if (n->val.u.arr->items[i].type != WV_NULL)
				return &n->val.u.arr->items[i];
	} else if (n->kind == WN_ARRAY) {
		for (i = 0; i < n->nargs; i++)
			if (is_val(n->args[i]) && !n->args[i]->type.array)
				return &n->args[i]->val;
	}
	return NULL;
}

/* Item i of WN_IN n compares column c's own value (or its lossless
 * text) with a constant of the same type. */
static int
same_key(const struct wnode *c, const struct wnode *n, size_t i)
{
	const struct wop *o = &where_ops[n->ops[i]];

	if (o->l != o->r)
		return 0;
	return wt_equal(&n->ltypes[i], &c->type) || (n->ltypes[i].base ==
	    WV_TEXT && (c->type.base == WV_VARCHAR || c->type.base == WV_NAME));
}

static int
try_eq(struct where *w, const struct wnode *n, struct where_term *t)
{
	const struct wnode *c;
	size_t i;

	if (n->kind == WN_OP && where_ops[n->op].impl == WI_EQ && n->nargs == 2 &&
	    !n->args[0]->type.array && where_ops[n->op].l == where_ops[n->op].r) {
		for (i = 0; i < 2; i++)
			if ((c = term_col(n->args[i])) != NULL &&
			    is_val(n->args[1 - i])) {
				t->col = c->col;
				return add_val(w, t, c->col, &n->args[1 - i]->val);
			}
		return -1;
	}
	if (n->kind != WN_IN || n->neg || (c = term_col(n->args[0])) == NULL ||
	    n->args[0]->type.array)
		return -1;
	t->col = c->col;
	for (i = 1; i < n->nargs; i++) {
		if (n->args[i]->kind != WN_CONST || !same_key(c, n, i - 1))
			return -1;
		if (!n->args[i]->isnull &&
		    add_val(w, t, c->col, &n->args[i]->val) == -1)
			return -1;
	}
	return 0;
}

static int
try_has(struct where *w, const struct wnode *n, struct where_term *t)
{
	const struct wnode *arr = NULL, *other = NULL;
	const struct wv_val *v = NULL;
	int impl = n->kind == WN_OP || n->kind == WN_ANY ?
	    where_ops[n->op].impl : -1;

	t->kind = WHERE_TERM_HAS;
	if (n->kind == WN_ANY && impl == WI_EQ && is_val(n->args[0]) &&
	    where_ops[n->op].l == where_ops[n->op].r) {
		arr = n->args[1];
		v = &n->args[0]->val;
	} else if (n->kind == WN_OP &&
	    (impl == WI_CONTAINS || impl == WI_CONTAINED)) {
		arr = n->args[impl == WI_CONTAINS ? 0 : 1];
		other = n->args[impl == WI_CONTAINS ? 1 : 0];
		v = first_elem(other);
	}
	if (arr == NULL || v == NULL || arr->kind != WN_COL)
		return -1;
	t->col = arr->col;
	return add_val(w, t, arr->col, v);
}

static struct where_term *
term_of(struct where *w, const struct wnode *n)
{
	struct where_term *t = xcalloc(1, sizeof(*t));
	size_t i;

	if (try_eq(w, n, t) == 0 && t->nvals > 0)
		return t;
	for (i = 0; i < t->nvals; i++)
		free(t->vals[i]);
	free(t->vals);
	memset(t, 0, sizeof(*t));
	if (try_has(w, n, t) == 0)
		return t;
	for (i = 0; i < t->nvals; i++)
		free(t->vals[i]);
	free(t->vals);
	free(t);
	return NULL;
}

void
where_find_term(struct where *w)
{
	const struct wnode *r = w->root;
	size_t i;

	if (r->kind != WN_AND) {
		w->term = term_of(w, r);
		return;
	}
	for (i = 0; i < r->nargs && w->term == NULL; i++)
		w->term = term_of(w, r->args[i]);
}
