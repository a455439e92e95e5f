/*
 * where_sql: the canonical SQL of a compiled WHERE, rendered from the AST
 * only (never from the user's text).  Identifiers are always double-
 * quoted, constants are '<text output>'::type (quotes doubled; no NUL can
 * occur), every cast is an explicit CAST(... AS ...) (numeric spelled
 * "numeric", quoted: the compiler rejects the keyword NUMERIC as a cast
 * target, §10.2, but accepts its own spelling), every compound
 * expression is parenthesised, and ordering comparisons / ILIKE /
 * lower / upper / GREATEST / LEAST on text types carry COLLATE "C" so that
 * Postgres computes exactly what where_eval does.  Output parses back to
 * the same AST (tests check where_sql(compile(where_sql(w))) is stable).
 * Called by where.c at compile time.
 */
#include <string.h>

#include "where_int.h"

struct rctx {
	struct sbuf		 b;
	const struct where_col	*cols;
};

static void r_node(struct rctx *, const struct wnode *);

static void
r_type(struct sbuf *b, const struct wtype *t)
{
	if (t->base == WV_ENUM || t->base == WT_OTHER)
		sbuf_add_sql_ident(b, t->name);
	else if (t->base == WV_NUMERIC)	/* `numeric` is no user cast target */
		sbuf_adds(b, "\"numeric\"");
	else
		sbuf_adds(b, wt_sqlname(t));
	if (t->array)
		sbuf_adds(b, "[]");
}

static void
r_quoted(struct sbuf *b, const char *s, size_t len)
{
	size_t i;

	sbuf_addc(b, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			sbuf_addc(b, '\'');
		sbuf_addc(b, s[i]);
	}
	sbuf_addc(b, '\'');
}

static void
r_const(struct rctx *c, const struct wnode *n)
{
	struct sbuf out;

	if (n->isnull) {
		sbuf_adds(&c->b, "NULL::");
	} else {
		sbuf_init(&out);
		wv_out(&n->val, &out);
		r_quoted(&c->b, out.p != NULL ? out.p : "", out.len);
		sbuf_free(&out);
		sbuf_adds(&c->b, "::");
	}
	r_type(&c->b, &n->type);
}

/* Ordering on text types: bytewise, as the evaluator. */
static int
needs_collate(const struct wnode *operand, int impl)
{
	struct wtype t = operand->type;

	t.array = 0;
	if (!wt_is_text(&t))
		return 0;
	return impl == WI_LT || impl == WI_GT || impl == WI_LE ||
	    impl == WI_GE || impl == WI_ILIKE || impl == WI_NOT_ILIKE ||
	    impl == -1;
}

static void
r_operand(struct rctx *c, const struct wnode *n, int impl)
{
	r_node(c, n);
	if (needs_collate(n, impl))
		sbuf_adds(&c->b, " COLLATE \"C\"");
}

static void
r_list(struct rctx *c, struct wnode *const *a, size_t n, int impl)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_adds(&c->b, ", ");
		if (i == 0)
			r_operand(c, a[i], impl);
		else
			r_node(c, a[i]);
	}
}

static void
r_op(struct rctx *c, const struct wnode *n)
{
	const struct wop *o = &where_ops[n->op];

	sbuf_addc(&c->b, '(');
	if (n->nargs == 2) {
		r_operand(c, n->args[0], o->impl);
		sbuf_addf(&c->b, " %s ", o->name);
		r_node(c, n->args[1]);
	} else {
		sbuf_addf(&c->b, "%s ", o->name);
		r_node(c, n->args[0]);
	}
	sbuf_addc(&c->b, ')');
}

static void
r_quant(struct rctx *c, const struct wnode *n)
{
	const struct wop *o = &where_ops[n->op];

	sbuf_addc(&c->b, '(');
	r_operand(c, n->args[0], o->impl);
	sbuf_addf(&c->b, " %s %s (", o->name, n->kind == WN_ANY ? "ANY" : "ALL");
	r_node(c, n->args[1]);
	sbuf_adds(&c->b, "))");
}

static void
r_bool(struct rctx *c, const struct wnode *n)
{
	static const char *const tests[] = { "IS TRUE", "IS NOT TRUE",
	    "IS FALSE", "IS NOT FALSE", "IS UNKNOWN", "IS NOT UNKNOWN" };
	size_t i;

	sbuf_addc(&c->b, '(');
	switch (n->kind) {
	case WN_NOT:
		sbuf_adds(&c->b, "NOT ");
		r_node(c, n->args[0]);
		break;
	case WN_NULLTEST:
		r_node(c, n->args[0]);
		sbuf_adds(&c->b, n->op ? " IS NOT NULL" : " IS NULL");
		break;
	case WN_BOOLTEST:
		r_node(c, n->args[0]);
		sbuf_addf(&c->b, " %s", tests[n->op]);
		break;
	case WN_DISTINCT:
		r_node(c, n->args[0]);
		sbuf_adds(&c->b, n->neg ? " IS NOT DISTINCT FROM " :
		    " IS DISTINCT FROM ");
		r_node(c, n->args[1]);
		break;
	default:
		for (i = 0; i < n->nargs; i++) {
			if (i > 0)
				sbuf_adds(&c->b, n->kind == WN_AND ? " AND " :
				    " OR ");
			r_node(c, n->args[i]);
		}
	}
	sbuf_addc(&c->b, ')');
}

static void
r_in(struct rctx *c, const struct wnode *n)
{
	sbuf_addc(&c->b, '(');
	r_node(c, n->args[0]);
	sbuf_adds(&c->b, n->neg ? " NOT IN (" : " IN (");
	r_list(c, n->args + 1, n->nargs - 1, WI_EQ);
	sbuf_adds(&c->b, "))");
}

static void
r_between(struct rctx *c, const struct wnode *n)
{
	sbuf_addc(&c->b, '(');
	r_operand(c, n->args[0], WI_LE);
	sbuf_addf(&c->b, " %sBETWEEN %s", n->neg ? "NOT " : "",
	    n->sym ? "SYMMETRIC " : "");
	r_node(c, n->args[1]);
	sbuf_adds(&c->b, " AND ");
	r_node(c, n->args[2]);
	sbuf_addc(&c->b, ')');
}

static void
r_subscript(struct rctx *c, const struct wnode *n)
{
	size_t i;

	sbuf_addc(&c->b, '(');
	r_node(c, n->args[0]);
	sbuf_addc(&c->b, ')');
	for (i = 1; i + 1 < n->nargs; i += 2) {
		sbuf_addc(&c->b, '[');
		if (n->args[i] != NULL)
			r_node(c, n->args[i]);
		if (n->op)
			sbuf_addc(&c->b, ':');
		if (n->args[i + 1] != NULL)
			r_node(c, n->args[i + 1]);
		sbuf_addc(&c->b, ']');
	}
}

static void
r_func(struct rctx *c, const struct wnode *n)
{
	static const struct { int wf; const char *name; int collate; } fn[] = {
		{ WF_LOWER, "lower", 1 }, { WF_UPPER, "upper", 1 },
		{ WF_CONCAT, "concat", 0 }, { WF_COALESCE, "COALESCE", 0 },
		{ WF_GREATEST, "GREATEST", 1 }, { WF_LEAST, "LEAST", 1 },
		{ WF_ARRAY_NDIMS, "array_ndims", 0 },
		{ WF_TIMEZONE, "timezone", 0 },
		{ WF_JUSTIFY_DAYS, "justify_days", 0 },
		{ WF_JUSTIFY_HOURS, "justify_hours", 0 },
		{ WF_JUSTIFY_INTERVAL, "justify_interval", 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(fn) && fn[i].wf != n->op; i++)
		;
	sbuf_addf(&c->b, "%s(", i < NELEM(fn) ? fn[i].name : "?");
	r_list(c, n->args, n->nargs, i < NELEM(fn) && fn[i].collate ? -1 : WI_EQ);
	sbuf_addc(&c->b, ')');
}

static void
r_node(struct rctx *c, const struct wnode *n)
{
	switch (n->kind) {
	case WN_CONST:
		r_const(c, n);
		break;
	case WN_COL:
		sbuf_add_sql_ident(&c->b, c->cols[n->col].name);
		break;
	case WN_OP:
		r_op(c, n);
		break;
	case WN_CAST:
		sbuf_adds(&c->b, "CAST(");
		r_node(c, n->args[0]);
		sbuf_adds(&c->b, " AS ");
		r_type(&c->b, &n->type);
		sbuf_addc(&c->b, ')');
		break;
	case WN_ANY:
	case WN_ALL:
		r_quant(c, n);
		break;
	case WN_ARRAY:
		sbuf_adds(&c->b, "ARRAY[");
		r_list(c, n->args, n->nargs, WI_EQ);
		sbuf_addc(&c->b, ']');
		break;
	case WN_IN:
		r_in(c, n);
		break;
	case WN_BETWEEN:
		r_between(c, n);
		break;
	case WN_SUBSCRIPT:
		r_subscript(c, n);
		break;
	case WN_FUNC:
		r_func(c, n);
		break;
	default:
		r_bool(c, n);
	}
}

char *
where_render(const struct where *w)
{
	struct rctx c;

	sbuf_init(&c.b);
	c.cols = w->cols;
	r_node(&c, w->root);
	return c.b.p;
}
