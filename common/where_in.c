/*
 * where_in: IN and BETWEEN of the WHERE compiler, resolved as Postgres
 * does (transformAExprIn / transformAExprBetween): a comparison per IN
 * item, except that several column-free items with a common type with
 * the left operand are compared as that type (x = ANY(ARRAY[...]));
 * BETWEEN as x >= a AND x <= b (NOT: x < a OR x > b; SYMMETRIC: also
 * swapped), each comparison resolved on its own.  Postgres copies the
 * left operand for each comparison; we keep it once (WN_IN /
 * WN_BETWEEN: its value is cast per comparison at evaluation) so that
 * nesting cannot blow up the AST, the SQL or the evaluation, and render
 * `x IN (...)` / `x BETWEEN a AND b` with the items / bounds cast to the
 * resolved rows' types, which Postgres resolves back to the same rows.
 * Only a constant x (a leaf, typed by each use) is really copied.
 * Called by where_expr.c.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pgtree.h"
#include "where_int.h"

static struct wnode *
fail_null(struct wp *p, int loc, const char *msg)
{
	wp_fail(p, loc, "%s", msg);
	return NULL;
}

/* The items of the List rexpr of IN / BETWEEN (JSON nodes). */
static json_t *
rlist(struct wp *p, json_t *b, int loc)
{
	json_t *r = json_object_get(b, "rexpr"), *body;
	const char *k = pgtree_kind(r, &body);

	if (k == NULL || strcmp(k, "List") != 0) {
		wp_fail(p, loc, strcmp(k != NULL ? k : "", "SubLink") == 0 ?
		    "subqueries are not supported" : "malformed expression");
		return NULL;
	}
	return json_object_get(body, "items");
}

/* A node mentions a column (Postgres: contain_vars_of_level). */
static int
has_col(const struct wnode *n)
{
	size_t i;

	if (n->kind == WN_COL)
		return 1;
	for (i = 0; i < n->nargs; i++)
		if (n->args[i] != NULL && has_col(n->args[i]))
			return 1;
	return 0;
}

/* An operand used more than once (IN, BETWEEN): Postgres copies it.  A
 * constant is typed by each use, so each gets a fresh one (a leaf: cheap);
 * anything else is typed already and shared (the AST is a DAG: no
 * blow-up with nesting). */
static struct wnode *
operand(struct wp *p, json_t *j, struct wnode **first, int loc)
{
	if (*first == NULL || (*first)->kind == WN_CONST)
		*first = wp_node(p, j, loc);
	return *first;
}

/* l op r, a boolean. */
static struct wnode *
cmp_op(struct wp *p, const char *op, struct wnode *l, struct wnode *r,
    int loc)
{
	struct wnode *n;

	if (l == NULL || r == NULL ||
	    (n = wp_binop(p, op, -1, l, r, loc)) == NULL)
		return NULL;
	if (n->type.base != WV_BOOL || n->type.array)
		return fail_null(p, loc, "Could not select an operator overload");
	return n;
}

static struct wnode *
bool_node(struct wp *p, int kind, struct wnode **a, size_t n, int loc)
{
	struct wnode *b;
	size_t i;

	if (n == 1)
		return a[0];
	b = wp_new(p, kind, loc);
	b->type.base = WV_BOOL;
	wp_set_args(b, n);
	for (i = 0; i < n; i++)
		b->args[i] = a[i];
	return b;
}

static struct wnode *
in_node(struct wp *p, struct wnode *x, size_t k, int neg, int loc)
{
	struct wnode *n = wp_new(p, WN_IN, loc);

	n->neg = (uint8_t)neg;
	n->type.base = WV_BOOL;
	wp_set_args(n, k + 1);
	n->args[0] = x;
	n->ops = xcalloc(k > 0 ? k : 1, sizeof(*n->ops));
	n->ltypes = xcalloc(k > 0 ? k : 1, sizeof(*n->ltypes));
	return n;
}

/* Item i of WN_IN n (coerced to t first when not NULL): the row for op
 * on (args[0], item), the item cast to its right type. */
static int
in_item(struct wp *p, struct wnode *n, size_t i, const char *op,
    struct wnode *item, const struct wtype *t, int loc)
{
	struct wtype tl, tr, res;
	int idx;

	if (wp_enum_check(p, n->args[0], item) == -1 ||
	    (t != NULL && (item = wp_coerce(p, item, t)) == NULL))
		return -1;
	idx = wt_resolve_op(op, -1, &n->args[0]->type, &item->type, &tl, &tr,
	    &res);
	if (idx < 0 || res.base != WV_BOOL || res.array)
		return wp_fail(p, loc, "Could not select an operator overload");
	if ((n->args[i + 1] = wp_cast(p, item, &tr)) == NULL)
		return -1;
	if (n->args[0]->type.base == WT_UNKNOWN)	/* a constant: typed */
		n->args[0] = wp_cast(p, n->args[0], &tl);
	n->ops[i] = idx;
	n->ltypes[i] = tl;
	return 0;
}

/* Postgres' split of an IN list: when several items have no column and
 * a common type with x, they are compared as that type (one
 * x = ANY(ARRAY[...])); every other item on its own.  1 with *t and
 * grp[i] set for the group, 0 no group. */
static int
in_group(struct wnode *x, struct wnode **items, size_t k, uint8_t *grp,
    struct wtype *t)
{
	const struct wtype **ts = xcalloc(k + 1, sizeof(*ts));
	size_t i, m = 0;
	int r;

	ts[m++] = &x->type;
	for (i = 0; i < k; i++)
		if ((grp[i] = !has_col(items[i])))
			ts[m++] = &items[i]->type;
	r = m >= 3 && wt_common(ts, m, t) == 0 && !t->array &&
	    t->base != WT_OTHER;
	free(ts);
	if (!r)
		memset(grp, 0, k);
	return r;
}

/* x [NOT] IN (...) as Postgres' transformAExprIn (in_group): one WN_IN
 * whose items have their own rows; a constant x (typed per use) as the
 * group's WN_IN and a comparison per other item, ORed (NOT IN: <>,
 * ANDed). */
struct wnode *
wp_in(struct wp *p, json_t *b, const char *op, json_t *lj, int loc)
{
	json_t *list = rlist(p, b, loc), *v;
	size_t k = json_array_size(list), i, m = 0, ng = 0;
	struct wnode **items, **terms, *n = NULL, *x = NULL, *g;
	int neg = op != NULL && strcmp(op, "<>") == 0;
	uint8_t *grp;
	struct wtype t;

	if (list == NULL || lj == NULL || k == 0)
		return list == NULL ? NULL : fail_null(p, loc, "malformed expression");
	op = neg ? "<>" : "=";
	items = xcalloc(k, sizeof(*items));
	terms = xcalloc(k, sizeof(*terms));
	grp = xcalloc(k, 1);
	json_array_foreach(list, i, v)
		if ((items[i] = wp_node(p, v, loc)) == NULL)
			goto out;
	if ((x = wp_node(p, lj, loc)) == NULL)
		goto out;
	in_group(x, items, k, grp, &t);
	for (i = 0; i < k; i++)
		ng += grp[i];
	if (x->kind != WN_CONST || ng > 0) {
		g = terms[m++] = in_node(p, x, x->kind != WN_CONST ? k : ng,
		    neg, loc);
		for (i = 0, ng = 0; i < k; i++)
			if ((x->kind != WN_CONST || grp[i]) && in_item(p, g, ng++,
			    op, items[i], grp[i] ? &t : NULL, loc) == -1)
				goto out;
	}
	for (i = 0; x->kind == WN_CONST && i < k; i++)
		if (!grp[i] && (terms[m++] = cmp_op(p, op,
		    operand(p, lj, &x, loc), items[i], loc)) == NULL)
			goto out;
	n = bool_node(p, neg ? WN_AND : WN_OR, terms, m, loc);
out:
	free(items);
	free(terms);
	free(grp);
	return n;
}

/* x BETWEEN a AND b, each comparison resolved on its own (Postgres'
 * transformAExprBetween: x >= a AND x <= b, NOT: x < a OR x > b,
 * SYMMETRIC: also with a and b swapped, which needs the same rows). */
static struct wnode *
between_node(struct wp *p, struct wnode *x, json_t *bj[2], int neg, int sym,
    int loc)
{
	const char *o[2] = { neg ? "<" : ">=", neg ? ">" : "<=" };
	struct wnode *n = wp_new(p, WN_BETWEEN, loc), *y;
	struct wtype tr, res;
	int i, idx;

	n->neg = (uint8_t)neg, n->sym = (uint8_t)sym;
	n->type.base = WV_BOOL;
	wp_set_args(n, 3);
	n->args[0] = x;
	n->ltypes = xcalloc(2, sizeof(*n->ltypes));
	for (i = 0; i < 2; i++) {
		if ((y = wp_node(p, bj[i], loc)) == NULL ||
		    wp_enum_check(p, x, y) == -1)
			return NULL;
		idx = wt_resolve_op(o[i], -1, &x->type, &y->type,
		    &n->ltypes[i], &tr, &res);
		if (idx < 0 || res.base != WV_BOOL)
			return fail_null(p, loc,
			    "Could not select an operator overload");
		*(i == 0 ? &n->op : &n->op2) = idx;
		if ((n->args[i + 1] = wp_cast(p, y, &tr)) == NULL)
			return NULL;
	}
	return n;
}

/* BETWEEN: a WN_BETWEEN; with a constant x (typed per use, a leaf) the
 * comparisons themselves (x and the bounds are copied, Postgres' way). */
struct wnode *
wp_between(struct wp *p, json_t *b, const char *kind, json_t *lj, int loc)
{
	json_t *list = rlist(p, b, loc), *bj[2];
	int neg = strstr(kind, "NOT_") != NULL, sym = strstr(kind, "_SYM") != NULL;
	const char *o1 = neg ? "<" : ">=", *o2 = neg ? ">" : "<=";
	struct wnode *t[2], *s[2], *x, *y[2] = { NULL, NULL };
	int i;

	if (list == NULL)
		return NULL;
	if (json_array_size(list) != 2 || lj == NULL)
		return fail_null(p, loc, "malformed expression");
	bj[0] = json_array_get(list, 0), bj[1] = json_array_get(list, 1);
	if ((x = wp_node(p, lj, loc)) == NULL)
		return NULL;
	if (x->kind != WN_CONST)
		return between_node(p, x, bj, neg, sym, loc);
	for (i = 0; i <= sym; i++) {
		if ((t[0] = cmp_op(p, o1, operand(p, lj, &x, loc),
		    operand(p, bj[i], &y[i], loc), loc)) == NULL ||
		    (t[1] = cmp_op(p, o2, operand(p, lj, &x, loc),
		    operand(p, bj[!i], &y[!i], loc), loc)) == NULL)
			return NULL;
		s[i] = bool_node(p, neg ? WN_OR : WN_AND, t, 2, loc);
	}
	return bool_node(p, neg ? WN_AND : WN_OR, s, (size_t)sym + 1, loc);
}
