/*
 * where_expr: the non-leaf nodes of the WHERE compiler -- operators
 * (A_Expr: plain, ANY/ALL, LIKE, IS DISTINCT FROM; IN and BETWEEN are
 * where_in.c's),
 * functions (§10.2 list), ARRAY[...], subscripts, COALESCE, GREATEST /
 * LEAST.  Each resolves its overload (where_type.c), casts its operands
 * explicitly and yields a typed node.  Called by where_parse.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pgtree.h"
#include "where_int.h"

static const struct wtype T_BOOL = { WV_BOOL, 0, NULL };
static const struct wtype T_TEXT = { WV_TEXT, 0, NULL };
static const struct wtype T_INT4 = { WV_INT4, 0, NULL };
static const struct wtype T_TSTZ = { WV_TIMESTAMPTZ, 0, NULL };
static const struct wtype T_IVL = { WV_INTERVAL, 0, NULL };

static const char *const aggregates[] = {
	"count", "sum", "avg", "min", "max", "array_agg", "string_agg",
	"bool_and", "bool_or", "every", "json_agg", "jsonb_agg",
	"json_object_agg", "jsonb_object_agg", "bit_and", "bit_or",
};

/* Type-named input functions: int4('5') is a cast. */
static const char *const type_funcs[] = {
	"bool", "date", "float4", "float8", "int2", "int4", "int8", "text",
	"time", "timestamp", "timestamptz", "uuid", "varchar", "interval",
};

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int
op_known(const char *op)
{
	size_t i;

	for (i = 0; i < where_nops; i++)
		if (strcmp(where_ops[i].name, op) == 0)
			return 1;
	return 0;
}

static struct wnode *
fail_null(struct wp *p, int loc, const char *msg)
{
	wp_fail(p, loc, "%s", msg);
	return NULL;
}

/* An enum compared with a literal / param: rejected (§10.2); a NULL
 * literal just takes the enum type. */
int
wp_enum_check(struct wp *p, struct wnode *a, struct wnode *b)
{
	struct wnode *e = a, *u = b;

	if (b->type.base == WV_ENUM && a->type.base == WT_UNKNOWN)
		e = b, u = a;
	if (e->type.base != WV_ENUM || u->type.base != WT_UNKNOWN)
		return 0;
	if (u->isnull && u->param == 0) {
		u->type = e->type;
		return 0;
	}
	return wp_fail(p, u->loc, "invalid syntax for type enum %s: \"%s\"",
	    e->type.name, u->text);
}

struct wnode *
wp_binop(struct wp *p, const char *op, int impl, struct wnode *l,
    struct wnode *r, int loc)
{
	struct wtype tl, tr, res;
	struct wnode *n;
	int idx;

	if (l != NULL && wp_enum_check(p, l, r) == -1)
		return NULL;
	idx = wt_resolve_op(op, impl, l != NULL ? &l->type : NULL, &r->type,
	    &tl, &tr, &res);
	if (idx < 0)
		return fail_null(p, loc, op_known(op) ?
		    "Could not select an operator overload" :
		    "unsupported operator");
	n = wp_new(p, WN_OP, loc);
	n->op = idx;
	n->type = res;
	wp_set_args(n, l != NULL ? 2 : 1);
	if (l != NULL && (n->args[0] = wp_cast(p, l, &tl)) == NULL)
		return NULL;
	if ((n->args[l != NULL] = wp_cast(p, r, &tr)) == NULL)
		return NULL;
	return n;
}

/* ---- A_Expr ---- */

static const char *
op_name(json_t *b)
{
	json_t *name = json_object_get(b, "name");

	if (json_array_size(name) != 1)
		return NULL;
	return pgtree_string(json_array_get(name, 0));
}

static struct wnode *
opt_node(struct wp *p, json_t *b, const char *key, int loc)
{
	json_t *v = json_object_get(b, key);

	return v == NULL ? NULL : wp_node(p, v, loc);
}

/* x op ANY/ALL (array) */
static struct wnode *
quantified(struct wp *p, const char *op, int all, struct wnode *l,
    struct wnode *r, int loc)
{
	struct wtype tl, tr, res, elem = r->type;
	struct wnode *n;
	int idx;

	if (r->type.base != WT_UNKNOWN && !r->type.array)
		return fail_null(p, loc, "op ANY/ALL (array) requires array "
		    "on right side");
	elem.array = 0;
	if (wp_enum_check(p, l, r) == -1)
		return NULL;
	idx = wt_resolve_op(op, -1, &l->type, &elem, &tl, &tr, &res);
	if (idx < 0 || res.base != WV_BOOL || res.array)
		return fail_null(p, loc, "Could not select an operator overload");
	tr.array = 1;
	n = wp_new(p, all ? WN_ALL : WN_ANY, loc);
	n->op = idx;
	n->type = T_BOOL;
	wp_set_args(n, 2);
	if ((n->args[0] = wp_cast(p, l, &tl)) == NULL ||
	    (n->args[1] = wp_coerce(p, r, &tr)) == NULL)
		return NULL;
	return n;
}

/* The operators of type a serve t: the same type, or varchar / name
 * with text's (binary compatible, as Postgres' opclass lookup does). */
static int
same_ops(const struct wtype *a, const struct wtype *t)
{
	return wt_equal(a, t) || (a->base == WV_TEXT && wt_is_text(t) &&
	    t->base != WV_BPCHAR && !a->array);
}

/* Casts a[0..n) to their common type and resolves op on it. */
static int
unify(struct wp *p, struct wnode **a, size_t n, const char *op, int loc,
    int *idx)
{
	const struct wtype **ts = xcalloc(n, sizeof(*ts));
	struct wtype t, tl, tr, res;
	size_t i;
	int r = -1;

	for (i = 0; i < n; i++)
		ts[i] = &a[i]->type;
	for (i = 0; i < n && a[i]->type.base != WV_ENUM; i++)
		;
	for (size_t j = 0; i < n && j < n; j++)
		if (wp_enum_check(p, a[i], a[j]) == -1)
			goto out;
	if (wt_common(ts, n, &t) == -1) {
		wp_fail(p, loc, "Could not select an operator overload");
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((a[i] = wp_coerce(p, a[i], &t)) == NULL)
			goto out;
	if (op != NULL && ((*idx = wt_resolve_op(op, -1, &t, &t, &tl, &tr,
	    &res)) < 0 || !same_ops(&tl, &t) || !same_ops(&tr, &t))) {
		wp_fail(p, loc, "Could not select an operator overload");
		goto out;
	}
	r = 0;
out:
	free(ts);
	return r;
}

static struct wnode *
distinct(struct wp *p, struct wnode *l, struct wnode *r, int neg, int loc)
{
	struct wnode *eq = wp_binop(p, "=", WI_EQ, l, r, loc), *n;

	if (eq == NULL)
		return NULL;
	n = wp_new(p, WN_DISTINCT, loc);
	n->op = eq->op;
	n->neg = (uint8_t)neg;
	n->type = T_BOOL;
	wp_set_args(n, 2);
	n->args[0] = eq->args[0], n->args[1] = eq->args[1];
	return n;
}

struct wnode *
wp_aexpr(struct wp *p, json_t *b, int loc)
{
	const char *kind = json_string_value(json_object_get(b, "kind"));
	const char *op = op_name(b);
	struct wnode *l = NULL, *r;

	if (kind == NULL)
		return fail_null(p, loc, "malformed expression");
	if (strcmp(kind, "AEXPR_NULLIF") == 0)
		return fail_null(p, loc, "unknown or unsupported function nullif/2");
	if (strcmp(kind, "AEXPR_SIMILAR") == 0)
		return fail_null(p, loc, "unsupported operator SIMILAR TO");
	if (op == NULL) {
		wp_fail(p, loc, "unsupported operator OPERATOR()");
		return NULL;
	}
	if (strcmp(kind, "AEXPR_IN") == 0)
		return wp_in(p, b, op, json_object_get(b, "lexpr"), loc);
	if (strncmp(kind, "AEXPR_BETWEEN", 13) == 0 ||
	    strncmp(kind, "AEXPR_NOT_BETWEEN", 17) == 0)
		return wp_between(p, b, kind, json_object_get(b, "lexpr"), loc);
	if (json_object_get(b, "lexpr") != NULL &&
	    (l = opt_node(p, b, "lexpr", loc)) == NULL)
		return NULL;
	if ((r = opt_node(p, b, "rexpr", loc)) == NULL)
		return NULL;
	if (strcmp(kind, "AEXPR_OP_ANY") == 0 || strcmp(kind, "AEXPR_OP_ALL") == 0)
		return quantified(p, op, kind[10] == 'L', l, r, loc);
	if (strcmp(kind, "AEXPR_DISTINCT") == 0 ||
	    strcmp(kind, "AEXPR_NOT_DISTINCT") == 0)
		return distinct(p, l, r, kind[6] == 'N', loc);
	if (strcmp(kind, "AEXPR_OP") == 0 || strcmp(kind, "AEXPR_LIKE") == 0 ||
	    strcmp(kind, "AEXPR_ILIKE") == 0)
		return wp_binop(p, op, -1, l, r, loc);
	wp_fail(p, loc, "unsupported operator %s", op);
	return NULL;
}

/* ---- ARRAY[], COALESCE, GREATEST / LEAST ---- */

static struct wnode *
list_node(struct wp *p, json_t *list, int kind, int loc)
{
	struct wnode *n = wp_new(p, kind, loc);
	json_t *v;
	size_t i;

	wp_set_args(n, json_array_size(list));
	json_array_foreach(list, i, v)
		if ((n->args[i] = wp_node(p, v, loc)) == NULL)
			return NULL;
	return n;
}

struct wnode *
wp_array(struct wp *p, json_t *b, int loc)
{
	struct wnode *n = list_node(p, json_object_get(b, "elements"),
	    WN_ARRAY, loc);

	if (n == NULL)
		return NULL;
	if (n->nargs == 0)
		return fail_null(p, loc, "cannot determine type of empty array");
	if (unify(p, n->args, n->nargs, NULL, loc, NULL) == -1)
		return NULL;
	n->type = n->args[0]->type;
	if (n->type.base == WT_OTHER)
		return fail_null(p, loc, "Could not select an operator overload");
	n->type.array = 1;
	return n;
}

struct wnode *
wp_coalesce(struct wp *p, json_t *b, int loc)
{
	struct wnode *n = list_node(p, json_object_get(b, "args"), WN_FUNC, loc);

	if (n == NULL || unify(p, n->args, n->nargs, NULL, loc, NULL) == -1)
		return NULL;
	n->op = WF_COALESCE;
	n->type = n->args[0]->type;
	return n;
}

struct wnode *
wp_minmax(struct wp *p, json_t *b, int loc)
{
	const char *op = json_string_value(json_object_get(b, "op"));
	struct wnode *n = list_node(p, json_object_get(b, "args"), WN_FUNC, loc);
	int idx;

	if (n == NULL || unify(p, n->args, n->nargs, "<", loc, &idx) == -1)
		return NULL;
	n->op = op != NULL && strcmp(op, "IS_LEAST") == 0 ? WF_LEAST :
	    WF_GREATEST;
	n->op2 = idx;
	n->type = n->args[0]->type;
	return n;
}

/* ---- subscripts ---- */

static struct wnode *
subscript_idx(struct wp *p, json_t *b, const char *key, int loc)
{
	struct wnode *n;

	if (json_object_get(b, key) == NULL)
		return NULL;
	if ((n = wp_node(p, json_object_get(b, key), loc)) == NULL)
		return NULL;
	if (n->type.base != WT_UNKNOWN && n->type.base != WV_INT2 &&
	    n->type.base != WV_INT4 && n->type.base != WV_INT8)
		return fail_null(p, n->loc, "array subscript must have type integer");
	return wp_cast(p, n, &T_INT4);
}

struct wnode *
wp_indirection(struct wp *p, json_t *b, int loc)
{
	json_t *ind = json_object_get(b, "indirection"), *v, *ib;
	struct wnode *a, *n;
	const char *k;
	size_t i, nd = json_array_size(ind);

	if ((a = wp_node(p, json_object_get(b, "arg"), loc)) == NULL)
		return NULL;
	if (!a->type.array || nd == 0 || nd > WV_MAXDIM) {
		wp_fail(p, loc, "cannot subscript type %s because it does not "
		    "support subscripting", wt_errname(&a->type));
		return NULL;
	}
	n = wp_new(p, WN_SUBSCRIPT, loc);
	wp_set_args(n, 1 + 2 * nd);
	n->args[0] = a;
	json_array_foreach(ind, i, v) {
		if ((k = pgtree_kind(v, &ib)) == NULL ||
		    strcmp(k, "A_Indices") != 0)
			return fail_null(p, loc, "field selection is not supported");
		if (json_is_true(json_object_get(ib, "is_slice")))
			n->op = 1;
		if ((json_object_get(ib, "lidx") != NULL &&
		    (n->args[1 + 2 * i] = subscript_idx(p, ib, "lidx", loc)) ==
		    NULL) || (json_object_get(ib, "uidx") != NULL &&
		    (n->args[2 + 2 * i] = subscript_idx(p, ib, "uidx", loc)) ==
		    NULL))
			return NULL;
	}
	/* in a slice, a single subscript i means 1:i */
	for (i = 0; n->op && i < nd; i++)
		if (!json_is_true(json_object_get(json_object_get(
		    json_array_get(ind, i), "A_Indices"), "is_slice"))) {
			struct wnode *one = wp_new(p, WN_CONST, loc);

			one->type = T_INT4;
			one->text = xstrdup("1");
			one->textlen = 1;
			n->args[1 + 2 * i] = one;
		}
	n->type = a->type;
	n->type.array = (uint8_t)n->op;
	return n;
}

/* ---- functions ---- */

struct fdef {
	const char	*name;
	int		 nargs;		/* -1: one or more */
	struct wnode	*(*fn)(struct wp *, struct wnode *, int);
};

/* one argument of type t, result t2 */
static struct wnode *
f_unary(struct wp *p, struct wnode *n, const struct wtype *t,
    const struct wtype *res)
{
	if ((n->args[0] = wp_coerce(p, n->args[0], t)) == NULL)
		return NULL;
	n->type = *res;
	return n;
}

static struct wnode *
f_text(struct wp *p, struct wnode *n, int loc)
{
	(void)loc;
	return f_unary(p, n, &T_TEXT, &T_TEXT);
}

static struct wnode *
f_justify(struct wp *p, struct wnode *n, int loc)
{
	(void)loc;
	return f_unary(p, n, &T_IVL, &T_IVL);
}

static struct wnode *
f_concat(struct wp *p, struct wnode *n, int loc)
{
	size_t i;

	(void)loc;
	for (i = 0; i < n->nargs; i++)
		if (n->args[i]->type.base == WT_UNKNOWN &&
		    (n->args[i] = wp_cast(p, n->args[i], &T_TEXT)) == NULL)
			return NULL;
	n->type = T_TEXT;
	return n;
}

static struct wnode *
f_ndims(struct wp *p, struct wnode *n, int loc)
{
	if (!n->args[0]->type.array)
		return fail_null(p, loc, "Could not select a function overload");
	n->type = T_INT4;
	return n;
}

static struct wnode *
f_timezone(struct wp *p, struct wnode *n, int loc)
{
	struct wnode *z, *ts = n->args[1];
	struct wv_err err;
	int32_t west;

	if ((z = n->args[0] = wp_coerce(p, n->args[0], &T_TEXT)) == NULL)
		return NULL;
	if (z->kind == WN_CONST && !z->isnull &&
	    wv_zone_parse(z->text, z->textlen, &west, &err) == -1)
		return fail_null(p, z->loc, err.msg);
	if (ts->type.base == WV_TIMESTAMP && !ts->type.array) {
		n->type = T_TSTZ;
		return n;
	}
	if ((n->args[1] = wp_coerce(p, ts, &T_TSTZ)) == NULL)
		return fail_null(p, loc, "Could not select a function overload");
	n->type.base = WV_TIMESTAMP;
	return n;
}

static const struct {
	const char	*name;
	int		 nargs;		/* -1: one or more */
	int		 wf;
	struct wnode	*(*fn)(struct wp *, struct wnode *, int);
} funcs[] = {
	{ "lower", 1, WF_LOWER, f_text },
	{ "upper", 1, WF_UPPER, f_text },
	{ "concat", -1, WF_CONCAT, f_concat },
	{ "array_ndims", 1, WF_ARRAY_NDIMS, f_ndims },
	{ "timezone", 2, WF_TIMEZONE, f_timezone },
	{ "justify_days", 1, WF_JUSTIFY_DAYS, f_justify },
	{ "justify_hours", 1, WF_JUSTIFY_HOURS, f_justify },
	{ "justify_interval", 1, WF_JUSTIFY_INTERVAL, f_justify },
};

/* Functions that are operators in disguise. */
static const struct {
	const char	*name;
	const char	*op;
	int		 impl;
} op_funcs[] = {
	{ "like", "~~", WI_LIKE }, { "ilike", "~~*", WI_ILIKE },
	{ "array_cat", "||", WI_ARR_CAT },
	{ "array_append", "||", WI_ARR_APPEND },
	{ "array_prepend", "||", WI_ARR_PREPEND },
};

static int
func_checks(struct wp *p, json_t *b, const char *name, int loc)
{
	static const char *const agg_keys[] = { "agg_star", "agg_distinct",
	    "agg_within_group", "agg_filter", "over", "agg_order" };
	size_t i;

	for (i = 0; i < NELEM(agg_keys); i++)
		if (json_object_get(b, agg_keys[i]) != NULL &&
		    !json_is_false(json_object_get(b, agg_keys[i])))
			return wp_fail(p, loc,
			    "aggregation is not supported in this context");
	if (in_list(name, aggregates, NELEM(aggregates)))
		return wp_fail(p, loc,
		    "aggregation is not supported in this context");
	if (json_is_true(json_object_get(b, "func_variadic")))
		return wp_fail(p, loc, "explicit VARIADIC is not supported");
	return 0;
}

static struct wnode *
type_func(struct wp *p, const char *name, struct wnode *a, int loc)
{
	struct wtype t = { 0, 0, NULL };

	t.base = (uint8_t)wv_type_from_name(name, strlen(name));
	if (!wt_can_cast(&a->type, &t)) {
		wp_fail(p, loc, "cannot cast type %s to %s",
		    wt_errname(&a->type), wt_errname(&t));
		return NULL;
	}
	return wp_cast(p, a, &t);
}

struct wnode *
wp_func(struct wp *p, json_t *b, int loc)
{
	json_t *fn = json_object_get(b, "funcname"), *args;
	size_t n = json_array_size(fn), i, na;
	const char *name = n > 0 ? pgtree_string(json_array_get(fn, n - 1)) : NULL;
	const char *schema = n == 2 ? pgtree_string(json_array_get(fn, 0)) : NULL;
	struct wnode *f;

	args = json_object_get(b, "args");
	na = json_array_size(args);
	if (name == NULL)
		name = "";
	if (func_checks(p, b, name, loc) == -1)
		return NULL;
	if (n == 0 || n > 2 || (n == 2 && (schema == NULL ||
	    strcmp(schema, "pg_catalog") != 0)))
		goto unknown;
	for (i = 0; i < NELEM(op_funcs); i++)
		if (strcmp(name, op_funcs[i].name) == 0 && na == 2) {
			if ((f = list_node(p, args, WN_FUNC, loc)) == NULL)
				return NULL;
			return wp_binop(p, op_funcs[i].op, op_funcs[i].impl,
			    f->args[0], f->args[1], loc);
		}
	if (na == 1 && in_list(name, type_funcs, NELEM(type_funcs))) {
		if ((f = list_node(p, args, WN_FUNC, loc)) == NULL)
			return NULL;
		return type_func(p, name, f->args[0], loc);
	}
	for (i = 0; i < NELEM(funcs); i++)
		if (strcmp(name, funcs[i].name) == 0 &&
		    (funcs[i].nargs < 0 ? na > 0 : na == (size_t)funcs[i].nargs)) {
			if ((f = list_node(p, args, WN_FUNC, loc)) == NULL)
				return NULL;
			f->op = funcs[i].wf;
			return funcs[i].fn(p, f, loc);
		}
unknown:
	wp_fail(p, loc, "unknown or unsupported function %s/%zu", name, na);
	return NULL;
}
