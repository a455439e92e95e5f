/*
 * where_parse: the user's WHERE text -> typed AST (where_int.h).  Wraps
 * it as "SELECT 1 WHERE <text>", parses with libpg_query (JSON tree),
 * checks the statement shape, then walks the tree: leaves (columns,
 * literals, params, casts) here, operators and functions in where_expr.c.
 * Every node is typed as it is built; implicit casts become WN_CAST nodes
 * and unknown literals / params take their type from context (untyped
 * ones end up text).  Finally every constant is parsed into its value.
 *
 * Stack safety as subset_sql.c: the text is bounded (length, an estimate
 * of the nesting from its operators), the walk rejects deep trees.
 * Errors: "At location N: ..." with N the 0-based character position in
 * the user's text.  Called by where.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "subset_int.h"
#include "pgtree.h"
#include "where_int.h"

#define WHERE_PREFIX	"SELECT 1 WHERE "
#define WALK_MAX_DEPTH	400
#define TEXT_MAX_WEIGHT	20000

static const char *const cast_targets[] = {
	"bool", "bytea", "date", "float4", "float8", "int2", "int4", "int8",
	"jsonb", "text", "time", "timestamp", "timestamptz", "uuid", "varchar",
	"interval",
};

/* ---- errors ---- */

static void
vfail(struct wp *p, const char *field, int loc, const char *fmt, va_list ap)
{
	struct where_err *e = p->err;
	size_t off = 0, n = 0;

	snprintf(e->field, sizeof(e->field), "%s", field);
	if (loc >= 0) {
		if ((size_t)loc >= p->prefix)
			off = (size_t)loc - p->prefix;
		if (off > p->srclen)
			off = p->srclen;
		n = (size_t)snprintf(e->msg, sizeof(e->msg), "At location %zu: ",
		    subset_char_pos(p->src, off));
	}
	if (n < sizeof(e->msg))
		vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	subset_utf8_trim(e->msg);
}

int
wp_fail(struct wp *p, int loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, "where", loc, fmt, ap);
	va_end(ap);
	return -1;
}

static int
fail_params(struct wp *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
fail_params(struct wp *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, "params", -1, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- nodes ---- */

struct wnode *
wp_new(struct wp *p, int kind, int loc)
{
	struct wnode *n = xcalloc(1, sizeof(*n));

	n->kind = (uint8_t)kind;
	n->loc = loc;
	n->next = p->w->nodes;
	p->w->nodes = n;
	return n;
}

void
wp_set_args(struct wnode *n, size_t k)
{
	n->nargs = k;
	n->args = xcalloc(k > 0 ? k : 1, sizeof(*n->args));
}

/* ---- coercion ---- */

static int
record_param(struct wp *p, struct wnode *n)
{
	struct wtype *pt = &p->ptypes[n->param - 1];

	if (pt->base != 0 && !wt_equal(pt, &n->type))
		return wp_fail(p, n->loc, "type conflict for $%d: %s%s vs %s%s",
		    n->param, wt_sqlname(pt), pt->array ? "[]" : "",
		    wt_sqlname(&n->type), n->type.array ? "[]" : "");
	*pt = n->type;
	return 0;
}

struct wnode *
wp_cast(struct wp *p, struct wnode *n, const struct wtype *t)
{
	struct wnode *c;

	if (n->type.base == WT_UNKNOWN) {
		n->type = *t;
		if (n->param > 0 && record_param(p, n) == -1)
			return NULL;
		return n;
	}
	if (wt_equal(&n->type, t))
		return n;
	if (n->kind == WN_CONST && n->param == 0 && !n->isnull &&
	    !t->array && !n->type.array && wt_cast_cost(&n->type, t) > 0 &&
	    (n->type.base == WV_INT4 || n->type.base == WV_INT8 ||
	    n->type.base == WV_NUMERIC)) {
		n->type = *t;		/* a numeric literal read as wider type */
		return n;
	}
	c = wp_new(p, WN_CAST, n->loc);
	wp_set_args(c, 1);
	c->args[0] = n;
	c->type = *t;
	return c;
}

struct wnode *
wp_coerce(struct wp *p, struct wnode *n, const struct wtype *t)
{
	if (n->type.base != WT_UNKNOWN && wt_cast_cost(&n->type, t) < 0) {
		wp_fail(p, n->loc, "Could not select an operator overload");
		return NULL;
	}
	return wp_cast(p, n, t);
}

struct wnode *
wp_to_bool(struct wp *p, struct wnode *n, const char *what)
{
	struct wtype b = { WV_BOOL, 0, NULL };

	if (n->type.base != WT_UNKNOWN && !wt_equal(&n->type, &b)) {
		wp_fail(p, n->loc, "argument of %s must be type boolean, not "
		    "type %s", what, wt_errname(&n->type));
		return NULL;
	}
	return wp_cast(p, n, &b);
}

/* ---- leaves ---- */

static struct wnode *
colref(struct wp *p, json_t *b, int loc)
{
	json_t *fields = json_object_get(b, "fields"), *f;
	const struct where *w = p->w;
	const char *s;
	struct wnode *n;
	char name[256];
	size_t i, k = 0;

	s = json_array_size(fields) == 1 ? pgtree_string(json_array_get(fields, 0)) :
	    NULL;
	for (i = 0; s != NULL && i < w->ncols; i++)
		if (strcmp(w->cols[i].name, s) == 0) {
			n = wp_new(p, WN_COL, loc);
			n->col = (int)i;
			wt_of_col(&w->cols[i], &n->type);
			w->used[i] = 1;
			return n;
		}
	name[0] = '\0';
	json_array_foreach(fields, i, f) {
		s = pgtree_string(f);
		k += (size_t)snprintf(name + k, sizeof(name) - k, "%s%s",
		    i > 0 ? "." : "", s != NULL ? s : "*");
		if (k >= sizeof(name))
			break;
	}
	wp_fail(p, loc, "unknown reference %s", name);
	return NULL;
}

static struct wnode *
mkconst(struct wp *p, int loc, int base, const char *s, size_t len)
{
	struct wnode *n = wp_new(p, WN_CONST, loc);

	n->type.base = (uint8_t)base;
	if (s == NULL)
		n->isnull = 1;
	else {
		n->text = xmalloc(len + 1);
		memcpy(n->text, s, len);
		n->text[len] = '\0';
		n->textlen = len;
	}
	return n;
}

/* libpg_query's JSON drops negative ints ("ival":{}): read the literal
 * back from the SQL text at its location (minus signs, parens, blanks and
 * comments, then digits). */
static long long
ival_from_text(struct wp *p, int loc)
{
	const char *s = p->sql + loc;
	long long v = 0;
	int neg = 0;

	for (;;) {
		if (*s == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (*s == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e != NULL ? e + 2 : s + strlen(s);
		} else if (*s == '-') {
			neg = !neg, s++;
		} else if (*s == '(' || isspace((unsigned char)*s)) {
			s++;
		} else
			break;
	}
	while (isdigit((unsigned char)*s) && v < 1000000000000LL)
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

/* A decimal / big integer literal: int8 if it fits, else numeric. */
static int
fval_type(const char *s)
{
	const char *d = s + (*s == '-');
	size_t n = strlen(d);

	if (n == 0 || strspn(d, "0123456789") != n)
		return WV_NUMERIC;
	if (n < 19 || (n == 19 && strcmp(d, *s == '-' ? "9223372036854775808" :
	    "9223372036854775807") <= 0))
		return WV_INT8;
	return WV_NUMERIC;
}

static struct wnode *
aconst(struct wp *p, json_t *b, int loc)
{
	json_t *v;
	char buf[32];
	long long iv;

	if (json_object_get(b, "bsval") != NULL) {
		wp_fail(p, loc, "bit string literals are not supported");
		return NULL;
	}
	if (json_is_true(json_object_get(b, "isnull")))
		return mkconst(p, loc, WT_UNKNOWN, NULL, 0);
	if ((v = json_object_get(b, "ival")) != NULL) {
		v = json_object_get(v, "ival");
		iv = v != NULL ? json_integer_value(v) : ival_from_text(p, loc);
		snprintf(buf, sizeof(buf), "%lld", iv);
		return mkconst(p, loc, WV_INT4, buf, strlen(buf));
	}
	if ((v = json_object_get(json_object_get(b, "fval"), "fval")) != NULL) {
		const char *s = json_string_value(v);
		return mkconst(p, loc, fval_type(s), s, strlen(s));
	}
	if ((v = json_object_get(b, "boolval")) != NULL) {
		int t = json_is_true(json_object_get(v, "boolval"));
		return mkconst(p, loc, WV_BOOL, t ? "true" : "false", t ? 4 : 5);
	}
	if ((v = json_object_get(json_object_get(b, "sval"), "sval")) != NULL)
		return mkconst(p, loc, WT_UNKNOWN, json_string_value(v),
		    strlen(json_string_value(v)));
	if (json_object_get(b, "sval") != NULL)	/* '' */
		return mkconst(p, loc, WT_UNKNOWN, "", 0);
	wp_fail(p, loc, "malformed expression");
	return NULL;
}

static struct wnode *
paramref(struct wp *p, json_t *b, int loc)
{
	json_int_t k = json_integer_value(json_object_get(b, "number"));
	struct wnode *n;

	if (k < 1 || (size_t)k > p->nparams) {
		wp_fail(p, -1, "parameter $%lld was not provided", (long long)k);
		return NULL;
	}
	n = mkconst(p, loc, WT_UNKNOWN, p->params[k - 1],
	    strlen(p->params[k - 1]));
	n->param = (int)k;
	return n;
}

/* ---- casts ---- */

/* Types the canonical SQL uses that users may not cast to freely
 * (bpchar, name, the table's enums, and numeric, which where_sql spells
 * "numeric" because §10.2 forbids `numeric` as a cast target):
 * allowed only for typed literals and for casts that are implicit
 * anyway (see typecast()). */
static int
extra_target(struct wp *p, const char *name, struct wtype *t)
{
	size_t i;

	if (strcmp(name, "numeric") == 0 || strcmp(name, "bpchar") == 0 ||
	    strcmp(name, "name") == 0) {
		t->base = (uint8_t)wv_type_from_name(name, strlen(name));
		return 0;
	}
	for (i = 0; i < p->w->ncols; i++)
		if (p->w->cols[i].is_enum &&
		    strcmp(p->w->cols[i].type, name) == 0) {
			t->base = WV_ENUM;
			t->name = p->w->cols[i].type;
			return 0;
		}
	return -1;
}

/* 0 for a §10.2 cast target, 1 for an extra_target, 2 for plain
 * "numeric" (rejected by the caller at the cast), -1 error. */
int
wp_type_name(struct wp *p, json_t *tn, int loc, struct wtype *t)
{
	const char *name;
	size_t i;

	loc = pgtree_loc(tn, loc);
	memset(t, 0, sizeof(*t));
	if (pgtree_type_name(tn, &name) == -1)
		return wp_fail(p, loc, "unsupported type %s",
		    name != NULL ? name : "");
	for (i = 0; i < NELEM(cast_targets); i++)
		if (strcmp(name, cast_targets[i]) == 0)
			break;
	t->array = json_array_size(json_object_get(tn, "arrayBounds")) > 0;
	if (i == NELEM(cast_targets) && extra_target(p, name, t) == -1)
		return wp_fail(p, loc, "unsupported type %s", name);
	if (json_array_size(json_object_get(tn, "typmods")) > 0)
		return wp_fail(p, loc, "type modifiers are not supported");
	if (i < NELEM(cast_targets))
		t->base = (uint8_t)wv_type_from_name(name, strlen(name));
	/* §10.2: numeric is no cast target.  The keyword (NUMERIC, DECIMAL,
	 * DEC) parses as pg_catalog.numeric; where_sql's "numeric" (quoted:
	 * a plain name) is the only spelling accepted. */
	if (t->base == WV_NUMERIC &&
	    json_array_size(json_object_get(tn, "names")) == 2)
		return 2;
	return i < NELEM(cast_targets) ? 0 : 1;
}

static struct wnode *
typecast(struct wp *p, json_t *b, int loc)
{
	json_t *arg = json_object_get(b, "arg"), *ab;
	struct wnode *n;
	struct wtype t;
	const char *k;
	int extra;

	if ((extra = wp_type_name(p, json_object_get(b, "typeName"), loc,
	    &t)) == -1)
		return NULL;
	if (extra == 2) {
		wp_fail(p, loc, "unsupported type numeric");
		return NULL;
	}
	k = pgtree_kind(arg, &ab);
	if (k != NULL && strcmp(k, "A_ArrayExpr") == 0 && t.array &&
	    json_array_size(json_object_get(ab, "elements")) == 0) {
		n = mkconst(p, loc, WT_UNKNOWN, "{}", 2);	/* ARRAY[]::t[] */
		return wp_cast(p, n, &t);
	}
	if ((n = wp_node(p, arg, loc)) == NULL)
		return NULL;
	if (extra && t.base == WV_ENUM && n->type.base == WT_UNKNOWN &&
	    !n->isnull) {
		wp_fail(p, n->loc, "invalid syntax for type enum %s: \"%s\"",
		    t.name, n->text);
		return NULL;
	}
	if (extra && n->type.base != WT_UNKNOWN && wt_cast_cost(&n->type, &t) < 0) {
		wp_fail(p, loc, "unsupported type %s", wt_sqlname(&t));
		return NULL;
	}
	if (!wt_can_cast(&n->type, &t)) {
		wp_fail(p, loc, "cannot cast type %s%s to %s%s",
		    wt_errname(&n->type), n->type.array ? "[]" : "",
		    wt_errname(&t), t.array ? "[]" : "");
		return NULL;
	}
	return wp_cast(p, n, &t);
}

/* ---- dispatch ---- */

static struct wnode *
boolexpr(struct wp *p, json_t *b, int loc)
{
	const char *op = json_string_value(json_object_get(b, "boolop"));
	json_t *args = json_object_get(b, "args"), *a;
	int kind = op == NULL ? -1 : strcmp(op, "AND_EXPR") == 0 ? WN_AND :
	    strcmp(op, "OR_EXPR") == 0 ? WN_OR : strcmp(op, "NOT_EXPR") == 0 ?
	    WN_NOT : -1;
	struct wnode *n;
	size_t i;

	if (kind < 0 || json_array_size(args) == 0 ||
	    (kind == WN_NOT && json_array_size(args) != 1)) {
		wp_fail(p, loc, "malformed expression");
		return NULL;
	}
	n = wp_new(p, kind, loc);
	n->type.base = WV_BOOL;
	wp_set_args(n, json_array_size(args));
	json_array_foreach(args, i, a) {
		if ((n->args[i] = wp_node(p, a, loc)) == NULL ||
		    (n->args[i] = wp_to_bool(p, n->args[i], kind == WN_AND ?
		    "AND" : kind == WN_OR ? "OR" : "NOT")) == NULL)
			return NULL;
	}
	return n;
}

static struct wnode *
nulltest(struct wp *p, json_t *b, int loc)
{
	const char *t = json_string_value(json_object_get(b, "nulltesttype"));
	struct wnode *n = wp_new(p, WN_NULLTEST, loc), *a;
	struct wtype text = { WV_TEXT, 0, NULL };

	if ((a = wp_node(p, json_object_get(b, "arg"), loc)) == NULL)
		return NULL;
	if (a->type.base == WT_UNKNOWN && a->param == 0)
		a = wp_cast(p, a, &text);
	n->type.base = WV_BOOL;
	n->op = t != NULL && strcmp(t, "IS_NOT_NULL") == 0;
	wp_set_args(n, 1);
	n->args[0] = a;
	return n;
}

static struct wnode *
booltest(struct wp *p, json_t *b, int loc)
{
	static const char *const names[] = { "IS_TRUE", "IS_NOT_TRUE",
	    "IS_FALSE", "IS_NOT_FALSE", "IS_UNKNOWN", "IS_NOT_UNKNOWN" };
	static const char *const what[] = { "IS TRUE", "IS NOT TRUE",
	    "IS FALSE", "IS NOT FALSE", "IS UNKNOWN", "IS NOT UNKNOWN" };
	const char *t = json_string_value(json_object_get(b, "booltesttype"));
	struct wnode *n = wp_new(p, WN_BOOLTEST, loc);
	size_t i;

	for (i = 0; t != NULL && i < NELEM(names); i++)
		if (strcmp(t, names[i]) == 0)
			break;
	if (t == NULL || i == NELEM(names)) {
		wp_fail(p, loc, "malformed expression");
		return NULL;
	}
	n->op = (int)i;
	n->type.base = WV_BOOL;
	wp_set_args(n, 1);
	if ((n->args[0] = wp_node(p, json_object_get(b, "arg"), loc)) == NULL ||
	    (n->args[0] = wp_to_bool(p, n->args[0], what[i])) == NULL)
		return NULL;
	return n;
}

static struct wnode *
sublink(struct wp *p, json_t *b, int loc)
{
	const char *t = json_string_value(json_object_get(b, "subLinkType"));

	if (t != NULL && strcmp(t, "ANY_SUBLINK") == 0 &&
	    json_object_get(b, "operName") == NULL)
		wp_fail(p, loc, "subqueries are not supported");
	else
		wp_fail(p, loc, "only `value IN (SELECT ...)` sublinks are "
		    "supported right now");
	return NULL;
}


/* x COLLATE "C" on a text value: what the evaluator does anyway (the
 * canonical SQL says it explicitly). */
static struct wnode *
collate(struct wp *p, json_t *b, int loc)
{
	json_t *cn = json_object_get(b, "collname");
	size_t k = json_array_size(cn);
	const char *name = k > 0 ? pgtree_string(json_array_get(cn, k - 1)) : NULL;
	const char *schema = k == 2 ? pgtree_string(json_array_get(cn, 0)) : NULL;
	struct wtype text = { WV_TEXT, 0, NULL }, e;
	struct wnode *n;

	if (name == NULL || strcmp(name, "C") != 0 || k > 2 || (k == 2 &&
	    (schema == NULL || strcmp(schema, "pg_catalog") != 0))) {
		wp_fail(p, loc, "COLLATE is not supported");
		return NULL;
	}
	if ((n = wp_node(p, json_object_get(b, "arg"), loc)) == NULL)
		return NULL;
	if (n->type.base == WT_UNKNOWN)
		return wp_cast(p, n, &text);
	e = n->type;
	e.array = 0;
	if (!wt_is_text(&e)) {
		wp_fail(p, loc, "collations are not supported by type %s",
		    wt_errname(&n->type));
		return NULL;
	}
	return n;
}

static const struct {
	const char	*kind;
	struct wnode	*(*fn)(struct wp *, json_t *, int);
} walkers[] = {
	{ "CollateClause", collate },
	{ "ColumnRef", colref }, { "A_Const", aconst },
	{ "ParamRef", paramref }, { "A_Expr", wp_aexpr },
	{ "BoolExpr", boolexpr }, { "NullTest", nulltest },
	{ "BooleanTest", booltest }, { "TypeCast", typecast },
	{ "A_ArrayExpr", wp_array }, { "A_Indirection", wp_indirection },
	{ "FuncCall", wp_func }, { "CoalesceExpr", wp_coalesce },
	{ "MinMaxExpr", wp_minmax }, { "SubLink", sublink },
};

static const struct {
	const char	*node;
	const char	*msg;
} node_msgs[] = {
	{ "CaseExpr", "CASE expressions are not supported" },
	{ "RowExpr", "row constructors are not supported" },
	{ "SQLValueFunction", "non-deterministic functions are not supported" },
	{ "XmlExpr", "XML functions are not supported" },
	{ "GroupingFunc", "GROUPING is not supported" },
	{ "A_Star", "* is not supported" },
};

struct wnode *
wp_node(struct wp *p, json_t *j, int loc)
{
	json_t *body;
	const char *kind = pgtree_kind(j, &body);
	struct wnode *n;
	size_t i;

	if (kind == NULL) {
		wp_fail(p, loc, "malformed expression");
		return NULL;
	}
	loc = pgtree_loc(body, loc);
	if (++p->depth > WALK_MAX_DEPTH) {
		wp_fail(p, -1, "expression is too deeply nested");
		return NULL;
	}
	for (i = 0; i < NELEM(walkers); i++)
		if (strcmp(walkers[i].kind, kind) == 0) {
			n = walkers[i].fn(p, body, loc);
			p->depth--;
			return n;
		}
	for (i = 0; i < NELEM(node_msgs); i++)
		if (strcmp(node_msgs[i].node, kind) == 0) {
			wp_fail(p, loc, "%s", node_msgs[i].msg);
			return NULL;
		}
	wp_fail(p, loc, "unsupported expression (%s)", kind);
	return NULL;
}

/* ---- statement ---- */

static int
check_text(struct wp *p)
{
	size_t i, n;

	if (p->srclen > WHERE_MAX_TEXT)
		return wp_fail(p, -1, "is too long");
	for (i = 0; i < p->srclen; i += n) {
		if (p->src[i] == '\0')
			return wp_fail(p, (int)(p->prefix + i), "invalid null byte");
		if ((n = subset_utf8_seq((const unsigned char *)p->src + i,
		    p->srclen - i)) == 0)
			return wp_fail(p, (int)(p->prefix + i), "invalid UTF-8");
	}
	if (subset_text_weight(p->src, p->srclen) > TEXT_MAX_WEIGHT)
		return wp_fail(p, -1, "expression is too complex");
	return 0;
}

/* The SelectStmt has nothing but its one target and a WHERE. */
static int
only_where(json_t *sel)
{
	const char *k, *s;
	json_t *v;

	if (json_object_get(sel, "whereClause") == NULL)
		return 0;
	json_object_foreach(sel, k, v) {
		s = json_string_value(v);
		if (strcmp(k, "targetList") == 0 || strcmp(k, "whereClause") == 0)
			continue;
		if (strcmp(k, "limitOption") == 0 && s != NULL &&
		    strcmp(s, "LIMIT_OPTION_DEFAULT") == 0)
			continue;
		if (strcmp(k, "op") == 0 && s != NULL && strcmp(s, "SETOP_NONE") == 0)
			continue;
		return 0;
	}
	return json_array_size(json_object_get(sel, "targetList")) == 1;
}

static int
parse_sql(struct wp *p, json_t **root, json_t **clause)
{
	PgQueryParseResult pr = pg_query_parse(p->sql);
	json_error_t je;
	json_t *stmts, *body;
	const char *k;

	*root = NULL;
	if (pr.error != NULL) {
		int pos = pr.error->cursorpos - 1;

		wp_fail(p, pos < 0 ? 0 : pos, "%s", pr.error->message);
		pg_query_free_parse_result(pr);
		return -1;
	}
	*root = json_loads(pr.parse_tree, 0, &je);
	pg_query_free_parse_result(pr);
	if (*root == NULL)
		return wp_fail(p, -1, "expression is too deeply nested");
	stmts = json_object_get(*root, "stmts");
	if (json_array_size(stmts) > 1)
		return wp_fail(p, 0, "unescaped \";\" causing statement split");
	k = pgtree_kind(json_object_get(json_array_get(stmts, 0), "stmt"), &body);
	if (k == NULL || strcmp(k, "SelectStmt") != 0 || !only_where(body))
		return wp_fail(p, 0, "malformed query ending with SQL clauses");
	*clause = json_object_get(body, "whereClause");
	return 0;
}

/* Untyped params take their type from another use, else text; then every
 * constant gets its value. */
static int
finish_consts(struct wp *p)
{
	struct wtype text = { WV_TEXT, 0, NULL };
	struct wv_err err;
	struct wnode *n;

	for (n = p->w->nodes; n != NULL; n = n->next) {
		if (n->kind != WN_CONST)
			continue;
		if (n->type.base == WT_UNKNOWN)
			n->type = n->param > 0 && p->ptypes[n->param - 1].base != 0 ?
			    p->ptypes[n->param - 1] : text;
		if (wt_const_value(n, &p->w->arena, &err) == -1) {
			if (n->param > 0)
				return fail_params(p, "%s", err.msg);
			return wp_fail(p, n->loc, "%s", err.msg);
		}
	}
	return 0;
}

int
where_parse(struct where *w, const char *text, size_t len,
    char *const *params, size_t nparams, struct where_err *err)
{
	struct wp p;
	json_t *root = NULL, *clause = NULL;
	struct wnode *top;
	char *sql;
	int r = -1;

	memset(&p, 0, sizeof(p));
	p.w = w, p.src = text, p.srclen = len, p.err = err;
	p.prefix = strlen(WHERE_PREFIX);
	p.params = params, p.nparams = nparams;
	if (check_text(&p) == -1)
		return -1;
	sql = xmalloc(p.prefix + len + 1);
	memcpy(sql, WHERE_PREFIX, p.prefix);
	memcpy(sql + p.prefix, text, len);
	sql[p.prefix + len] = '\0';
	p.sql = sql;
	p.ptypes = xcalloc(nparams + 1, sizeof(*p.ptypes));
	if (parse_sql(&p, &root, &clause) == -1 ||
	    (top = wp_node(&p, clause, (int)p.prefix)) == NULL)
		goto out;
	if (top->type.base != WT_UNKNOWN &&
	    (top->type.base != WV_BOOL || top->type.array)) {
		wp_fail(&p, top->loc, "WHERE clause must return a boolean");
		goto out;
	} else
		top = wp_to_bool(&p, top, "WHERE");
	if (top == NULL || finish_consts(&p) == -1)
		goto out;
	w->root = top;
	r = 0;
out:
	json_decref(root);
	free(p.ptypes);
	free(sql);
	return r;
}
