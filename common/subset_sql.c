/*
 * subset_sql: the SQL half of subset.h -- validation and canonicalisation
 * of a subset `where` and `order_by` (PROTOCOL.md §9, §10.1-§10.3).
 *
 * The user's text is wrapped as "SELECT 1 WHERE <where>" (or "SELECT 1
 * ORDER BY <order_by>"), parsed by libpg_query into its JSON tree and
 * walked against an allowlist of node kinds, operators, types and
 * functions; column references must name the shape's columns.  Only then
 * is the same text parsed again into protobuf and deparsed: the canonical
 * SQL is the deparser's output after the fixed prefix, never the user's
 * raw text.  Error positions are 0-based character offsets in the user's
 * string.
 *
 * Stack safety: libpg_query recurses once per tree level, so the text is
 * bounded first (length, and an estimate of the nesting depth from its
 * operators and words); the walk rejects trees deeper than WALK_MAX_DEPTH
 * before anything is deparsed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pg_query.h>

#include "pgtree.h"
#include "subset.h"
#include "subset_int.h"

#define WHERE_PREFIX	"SELECT 1 WHERE "
#define ORDER_PREFIX	"SELECT 1 ORDER BY "
#define WALK_MAX_DEPTH	400	/* tree levels the walk accepts */
#define TEXT_MAX_WEIGHT	20000	/* operators + words before parsing */

struct walk {
	const char	 *src;		/* the user's text */
	size_t		  srclen;
	size_t		  prefix;	/* bytes before it in the parsed query */
	char *const	 *cols;
	size_t		  ncols;
	int		  maxparam;
	uint8_t		 *used;		/* SUBSET_MAX_PARAMS flags */
	int		  depth;
	char		 *msg;
	size_t		  msglen;
};

static const char *const cast_types[] = {
	"bool", "bytea", "date", "float4", "float8", "int2", "int4", "int8",
	"jsonb", "text", "time", "timestamp", "timestamptz", "uuid", "varchar",
	"interval",
};

static const char *const functions[] = {
	"lower", "upper", "like", "ilike", "concat", "coalesce", "greatest",
	"least", "array_cat", "array_prepend", "array_append", "array_ndims",
	"timezone", "justify_days", "justify_hours", "justify_interval",
	"like_escape",
	/* type-named input functions */
	"bool", "date", "float4", "float8", "int2", "int4", "int8", "text",
	"time", "timestamp", "timestamptz", "uuid", "varchar", "interval",
};

static const char *const aggregates[] = {
	"count", "sum", "avg", "min", "max", "array_agg", "string_agg",
	"bool_and", "bool_or", "every", "json_agg", "jsonb_agg",
	"json_object_agg", "jsonb_object_agg", "bit_and", "bit_or",
};

static const char *const binary_ops[] = {
	"=", "<>", "<", ">", "<=", ">=", "+", "-", "*", "/", "^", "&", "|",
	"#", "||", "@>", "<@", "&&", "~~", "~~*", "!~~", "!~~*",
};

static const char *const unary_ops[] = { "+", "-", "@", "|/", "~" };

/* Operators of x op ANY/ALL (array) and of LIKE / ILIKE. */
static const char *const quant_ops[] = {
	"=", "<>", "<", ">", "<=", ">=", "~~", "~~*", "!~~", "!~~*",
};

/* Node kinds rejected as a whole, with a readable message. */
static const struct {
	const char	*node;
	const char	*msg;
} node_msgs[] = {
	{ "CaseExpr", "CASE expressions are not supported" },
	{ "RowExpr", "row constructors are not supported" },
	{ "CollateClause", "COLLATE is not supported" },
	{ "SQLValueFunction", "non-deterministic functions are not supported" },
	{ "XmlExpr", "XML functions are not supported" },
	{ "GroupingFunc", "GROUPING is not supported" },
	{ "A_Star", "* is not supported" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* ---- errors and positions ---- */

static int
fail_at(struct walk *w, int loc, const char *fmt, ...)
{
	size_t off = 0, n;
	va_list ap;

	if (loc >= 0 && (size_t)loc >= w->prefix)
		off = (size_t)loc - w->prefix;
	if (off > w->srclen)
		off = w->srclen;
	n = (size_t)snprintf(w->msg, w->msglen, "At location %zu: ",
	    subset_char_pos(w->src, off));
	if (n < w->msglen) {
		va_start(ap, fmt);
		vsnprintf(w->msg + n, w->msglen - n, fmt, ap);
		va_end(ap);
	}
	subset_utf8_trim(w->msg);
	return -1;
}

static int
fail_plain(struct walk *w, const char *msg)
{
	snprintf(w->msg, w->msglen, "%s", msg);
	subset_utf8_trim(w->msg);
	return -1;
}

/* ---- checks on the raw text ---- */

static int
check_text(struct walk *w)
{
	size_t i, n;

	if (w->srclen > SUBSET_MAX_TEXT)
		return fail_plain(w, "is too long");
	for (i = 0; i < w->srclen; i += n) {
		if (w->src[i] == '\0')
			return fail_at(w, (int)(w->prefix + i),
			    "invalid null byte");
		if ((n = subset_utf8_seq((const unsigned char *)w->src + i,
		    w->srclen - i)) == 0)
			return fail_at(w, (int)(w->prefix + i),
			    "invalid UTF-8");
	}
	if (subset_text_weight(w->src, w->srclen) > TEXT_MAX_WEIGHT)
		return fail_plain(w, "expression is too complex");
	return 0;
}

/* ---- the JSON tree ---- */

static int walk_node(struct walk *, json_t *, int loc);

static int
walk_list(struct walk *w, json_t *list, int loc)
{
	size_t i;
	json_t *v;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return fail_at(w, loc, "malformed expression");
	json_array_foreach(list, i, v)
		if (walk_node(w, v, loc) == -1)
			return -1;
	return 0;
}

static int
walk_opt(struct walk *w, json_t *body, const char *key, int loc)
{
	json_t *v = json_object_get(body, key);

	return v == NULL ? 0 : walk_node(w, v, loc);
}

static int
is_column(const struct walk *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->ncols; i++)
		if (strcmp(w->cols[i], name) == 0)
			return 1;
	return 0;
}

static int
walk_colref(struct walk *w, json_t *b, int loc)
{
	json_t *fields = json_object_get(b, "fields"), *f;
	char name[256];
	const char *s;
	size_t i, n = 0;

	if (json_array_size(fields) == 1 &&
	    (s = pgtree_string(json_array_get(fields, 0))) != NULL &&
	    is_column(w, s))
		return 0;
	name[0] = '\0';
	json_array_foreach(fields, i, f) {
		s = pgtree_string(f);
		n += (size_t)snprintf(name + n, n < sizeof(name) ? sizeof(name) - n : 0,
		    "%s%s", i > 0 ? "." : "", s != NULL ? s : "*");
		if (n >= sizeof(name))
			break;
	}
	return fail_at(w, loc, "unknown reference %s", name);
}

static int
walk_param(struct walk *w, json_t *b, int loc)
{
	json_int_t n = json_integer_value(json_object_get(b, "number"));

	if (n < 1 || n > SUBSET_MAX_PARAMS)
		return fail_at(w, loc, "parameter $%lld is out of range",
		    (long long)n);
	w->used[n - 1] = 1;
	if (n > w->maxparam)
		w->maxparam = (int)n;
	return 0;
}

static int
walk_const(struct walk *w, json_t *b, int loc)
{
	if (json_object_get(b, "bsval") != NULL)
		return fail_at(w, loc, "bit string literals are not supported");
	return 0;
}

/* The operator of an A_Expr: one unqualified name. */
static const char *
op_name(json_t *b)
{
	json_t *name = json_object_get(b, "name");

	if (json_array_size(name) != 1)
		return NULL;
	return pgtree_string(json_array_get(name, 0));
}

static int
walk_aexpr_op(struct walk *w, json_t *b, const char *op, int loc)
{
	int unary = json_object_get(b, "lexpr") == NULL;

	if (op == NULL || (unary && !in_list(op, unary_ops, NELEM(unary_ops))) ||
	    (!unary && !in_list(op, binary_ops, NELEM(binary_ops))))
		return fail_at(w, loc, "unsupported operator %s",
		    op != NULL ? op : "OPERATOR()");
	if (walk_opt(w, b, "lexpr", loc) == -1)
		return -1;
	return walk_opt(w, b, "rexpr", loc);
}

/* rexpr of IN / BETWEEN: a List of expressions. */
static int
walk_rlist(struct walk *w, json_t *b, int loc)
{
	json_t *r = json_object_get(b, "rexpr"), *body;
	const char *k = pgtree_kind(r, &body);

	if (k == NULL || strcmp(k, "List") != 0)
		return fail_at(w, loc, "malformed expression");
	return walk_list(w, json_object_get(body, "items"), loc);
}

static int
walk_aexpr(struct walk *w, json_t *b, int loc)
{
	const char *kind = json_string_value(json_object_get(b, "kind"));
	const char *op = op_name(b);

	if (kind == NULL)
		return fail_at(w, loc, "malformed expression");
	if (strcmp(kind, "AEXPR_OP") == 0)
		return walk_aexpr_op(w, b, op, loc);
	if (strcmp(kind, "AEXPR_OP_ANY") == 0 || strcmp(kind, "AEXPR_OP_ALL") == 0 ||
	    strcmp(kind, "AEXPR_LIKE") == 0 || strcmp(kind, "AEXPR_ILIKE") == 0) {
		if (op == NULL || !in_list(op, quant_ops, NELEM(quant_ops)))
			return fail_at(w, loc, "unsupported operator %s",
			    op != NULL ? op : "OPERATOR()");
	} else if (strcmp(kind, "AEXPR_IN") == 0 ||
	    strncmp(kind, "AEXPR_BETWEEN", 13) == 0 ||
	    strncmp(kind, "AEXPR_NOT_BETWEEN", 17) == 0) {
		if (walk_opt(w, b, "lexpr", loc) == -1)
			return -1;
		return walk_rlist(w, b, loc);
	} else if (strcmp(kind, "AEXPR_NULLIF") == 0) {
		return fail_at(w, loc, "unknown or unsupported function nullif/2");
	} else if (strcmp(kind, "AEXPR_DISTINCT") != 0 &&
	    strcmp(kind, "AEXPR_NOT_DISTINCT") != 0) {
		return fail_at(w, loc, "unsupported operator %s",
		    strcmp(kind, "AEXPR_SIMILAR") == 0 ? "SIMILAR TO" :
		    op != NULL ? op : kind);
	}
	if (walk_opt(w, b, "lexpr", loc) == -1)
		return -1;
	return walk_opt(w, b, "rexpr", loc);
}

static int
walk_bool(struct walk *w, json_t *b, int loc)
{
	return walk_list(w, json_object_get(b, "args"), loc);
}

static int
walk_arg(struct walk *w, json_t *b, int loc)
{
	return walk_opt(w, b, "arg", loc);
}

static int
check_type(struct walk *w, json_t *tn, int loc)
{
	json_t *tm;
	const char *name;
	size_t i;

	loc = pgtree_loc(tn, loc);
	if (pgtree_type_name(tn, &name) == -1)
		return fail_at(w, loc, "unsupported type %s",
		    name != NULL ? name : "");
	if (!in_list(name, cast_types, NELEM(cast_types)))
		return fail_at(w, loc, "unsupported type %s", name);
	json_array_foreach(json_object_get(tn, "typmods"), i, tm) {
		json_t *body;
		const char *k = pgtree_kind(tm, &body);

		if (k == NULL || strcmp(k, "A_Const") != 0)
			return fail_at(w, loc, "unsupported type modifier");
	}
	return 0;
}

static int
walk_cast(struct walk *w, json_t *b, int loc)
{
	if (check_type(w, json_object_get(b, "typeName"), loc) == -1)
		return -1;
	return walk_arg(w, b, loc);
}

static int
walk_array(struct walk *w, json_t *b, int loc)
{
	return walk_list(w, json_object_get(b, "elements"), loc);
}

static int
walk_indirection(struct walk *w, json_t *b, int loc)
{
	json_t *ind = json_object_get(b, "indirection"), *v, *body;
	const char *k;
	size_t i;

	if (walk_arg(w, b, loc) == -1)
		return -1;
	json_array_foreach(ind, i, v) {
		if ((k = pgtree_kind(v, &body)) == NULL || strcmp(k, "A_Indices") != 0)
			return fail_at(w, loc, "field selection is not supported");
		if (walk_opt(w, body, "lidx", loc) == -1 ||
		    walk_opt(w, body, "uidx", loc) == -1)
			return -1;
	}
	return 0;
}

static int
walk_func(struct walk *w, json_t *b, int loc)
{
	json_t *fn = json_object_get(b, "funcname");
	size_t n = json_array_size(fn);
	const char *name = n > 0 ? pgtree_string(json_array_get(fn, n - 1)) : NULL;
	const char *schema = n == 2 ? pgtree_string(json_array_get(fn, 0)) : NULL;
	static const char *const agg_keys[] = { "agg_star", "agg_distinct",
	    "agg_within_group", "agg_filter", "over", "agg_order" };
	size_t i;

	if (name == NULL)
		name = "";
	for (i = 0; i < NELEM(agg_keys); i++)
		if (json_object_get(b, agg_keys[i]) != NULL &&
		    !json_is_false(json_object_get(b, agg_keys[i])))
			return fail_at(w, loc,
			    "aggregation is not supported in this context");
	if (in_list(name, aggregates, NELEM(aggregates)))
		return fail_at(w, loc, "aggregation is not supported in this context");
	if (json_is_true(json_object_get(b, "func_variadic")))
		return fail_at(w, loc, "explicit VARIADIC is not supported");
	if (n == 0 || n > 2 || (n == 2 && (schema == NULL ||
	    strcmp(schema, "pg_catalog") != 0)) ||
	    !in_list(name, functions, NELEM(functions)))
		return fail_at(w, loc, "unknown or unsupported function %s/%zu",
		    name, json_array_size(json_object_get(b, "args")));
	return walk_list(w, json_object_get(b, "args"), loc);
}

static int
walk_sublink(struct walk *w, json_t *b, int loc)
{
	const char *t = json_string_value(json_object_get(b, "subLinkType"));

	if (t != NULL && strcmp(t, "ANY_SUBLINK") == 0 &&
	    json_object_get(b, "operName") == NULL)
		return fail_at(w, loc,
		    "subqueries are not supported in subset snapshots");
	return fail_at(w, loc,
	    "only `value IN (SELECT ...)` sublinks are supported right now");
}

static const struct {
	const char	*kind;
	int		(*fn)(struct walk *, json_t *, int);
} walkers[] = {
	{ "ColumnRef", walk_colref },
	{ "A_Const", walk_const },
	{ "ParamRef", walk_param },
	{ "A_Expr", walk_aexpr },
	{ "BoolExpr", walk_bool },
	{ "NullTest", walk_arg },
	{ "BooleanTest", walk_arg },
	{ "TypeCast", walk_cast },
	{ "A_ArrayExpr", walk_array },
	{ "A_Indirection", walk_indirection },
	{ "FuncCall", walk_func },
	{ "CoalesceExpr", walk_bool },
	{ "MinMaxExpr", walk_bool },
	{ "SubLink", walk_sublink },
};

static int
walk_node(struct walk *w, json_t *n, int loc)
{
	json_t *body = NULL;
	const char *kind = pgtree_kind(n, &body);
	size_t i;
	int r;

	if (kind == NULL)
		return fail_at(w, loc, "malformed expression");
	loc = pgtree_loc(body, loc);
	if (++w->depth > WALK_MAX_DEPTH)
		return fail_plain(w, "expression is too deeply nested");
	for (i = 0; i < NELEM(walkers); i++)
		if (strcmp(walkers[i].kind, kind) == 0) {
			r = walkers[i].fn(w, body, loc);
			w->depth--;
			return r;
		}
	for (i = 0; i < NELEM(node_msgs); i++)
		if (strcmp(node_msgs[i].node, kind) == 0)
			return fail_at(w, loc, "%s", node_msgs[i].msg);
	return fail_at(w, loc, "unsupported expression (%s)", kind);
}

/* ---- statements ---- */

/* Parses prefix+text; on success *sel is the SelectStmt body (a borrowed
 * pointer into *root, which the caller decrefs). */
static int
parse_select(struct walk *w, const char *sql, json_t **root, json_t **sel)
{
	PgQueryParseResult pr = pg_query_parse(sql);
	json_error_t je;
	json_t *stmts, *body;
	const char *k;

	*root = NULL;
	if (pr.error != NULL) {
		/* cursorpos: 1-based characters in sql; the prefix is ASCII */
		int pos = pr.error->cursorpos - 1 - (int)w->prefix;
		size_t nchar = subset_char_pos(w->src, w->srclen);

		snprintf(w->msg, w->msglen, "At location %zu: %s",
		    pos < 0 ? 0 : (size_t)pos > nchar ? nchar : (size_t)pos,
		    pr.error->message);
		subset_utf8_trim(w->msg);
		pg_query_free_parse_result(pr);
		return -1;
	}
	*root = json_loads(pr.parse_tree, 0, &je);
	pg_query_free_parse_result(pr);
	if (*root == NULL)
		return fail_plain(w, "expression is too deeply nested");
	stmts = json_object_get(*root, "stmts");
	if (json_array_size(stmts) > 1)
		return fail_plain(w, "unescaped \";\" causing statement split");
	k = pgtree_kind(json_object_get(json_array_get(stmts, 0), "stmt"), &body);
	if (k == NULL || strcmp(k, "SelectStmt") != 0)
		return fail_plain(w, "malformed query ending with SQL clauses");
	*sel = body;
	return 0;
}

/* The SelectStmt has nothing but its target list and the clause `want`. */
static int
only_clause(json_t *sel, const char *want)
{
	const char *k, *s;
	json_t *v;

	if (json_object_get(sel, want) == NULL)
		return 0;
	json_object_foreach(sel, k, v) {
		s = json_string_value(v);
		if (strcmp(k, "targetList") == 0 || strcmp(k, want) == 0)
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

/* Deparses sql and returns what follows prefix (malloc'd), or NULL. */
static char *
deparse_tail(const char *sql, const char *prefix)
{
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	PgQueryDeparseResult dr;
	size_t plen = strlen(prefix);
	char *out = NULL;

	if (pr.error != NULL) {
		pg_query_free_protobuf_parse_result(pr);
		return NULL;
	}
	dr = pg_query_deparse_protobuf(pr.parse_tree);
	if (dr.error == NULL && dr.query != NULL &&
	    strncmp(dr.query, prefix, plen) == 0 && dr.query[plen] != '\0')
		out = xstrdup(dr.query + plen);
	pg_query_free_deparse_result(dr);
	pg_query_free_protobuf_parse_result(pr);
	return out;
}

static void
walk_init(struct walk *w, const char *src, size_t len, const char *prefix,
    char *const *cols, size_t ncols, char *msg, size_t msglen)
{
	memset(w, 0, sizeof(*w));
	w->src = src;
	w->srclen = len;
	w->prefix = strlen(prefix);
	w->cols = cols;
	w->ncols = ncols;
	w->msg = msg;
	w->msglen = msglen;
}

/* Common frame: raw checks, parse, clause check, fn on the clause,
 * deparse.  *canon set on success. */
static int
canon_clause(struct walk *w, const char *prefix, const char *clause,
    int (*fn)(struct walk *, json_t *), char **canon)
{
	json_t *root = NULL, *sel = NULL;
	char *sql;
	int r = -1;

	*canon = NULL;
	if (check_text(w) == -1)
		return -1;
	sql = xmalloc(w->prefix + w->srclen + 1);
	memcpy(sql, prefix, w->prefix);
	memcpy(sql + w->prefix, w->src, w->srclen);
	sql[w->prefix + w->srclen] = '\0';
	if (parse_select(w, sql, &root, &sel) == -1)
		goto out;
	if (!only_clause(sel, clause)) {
		fail_plain(w, "malformed query ending with SQL clauses");
		goto out;
	}
	if (fn(w, json_object_get(sel, clause)) == -1)
		goto out;
	if ((*canon = deparse_tail(sql, prefix)) == NULL) {
		fail_plain(w, "cannot be normalised");
		goto out;
	}
	r = 0;
out:
	json_decref(root);
	free(sql);
	return r;
}

static int
where_fn(struct walk *w, json_t *clause)
{
	return walk_node(w, clause, (int)w->prefix);
}

int
subset_where_canon(const char *where, size_t len, char *const *cols,
    size_t ncols, char **canon, int *maxparam, uint8_t **used, char *msg,
    size_t msglen)
{
	struct walk w;
	int r;

	walk_init(&w, where, len, WHERE_PREFIX, cols, ncols, msg, msglen);
	w.used = xcalloc(SUBSET_MAX_PARAMS, 1);
	r = canon_clause(&w, WHERE_PREFIX, "whereClause", where_fn, canon);
	*maxparam = r == 0 ? w.maxparam : 0;
	if (used != NULL) {
		*used = NULL;
		if (r == 0 && w.maxparam > 0) {
			*used = xmalloc((size_t)w.maxparam);
			memcpy(*used, w.used, (size_t)w.maxparam);
		}
	}
	free(w.used);
	return r;
}

static int
order_fn(struct walk *w, json_t *clause)
{
	json_t *sb, *body, *nb;
	const char *k, *dir;
	size_t i;
	int loc;

	json_array_foreach(clause, i, sb) {
		if ((k = pgtree_kind(sb, &body)) == NULL || strcmp(k, "SortBy") != 0)
			return fail_plain(w, "malformed query ending with SQL clauses");
		loc = pgtree_loc(body, (int)w->prefix);
		dir = json_string_value(json_object_get(body, "sortby_dir"));
		if (dir != NULL && strcmp(dir, "SORTBY_USING") == 0)
			return fail_at(w, loc, "ORDER BY USING is not supported");
		if ((k = pgtree_kind(json_object_get(body, "node"), &nb)) == NULL ||
		    strcmp(k, "ColumnRef") != 0)
			return fail_at(w, nb != NULL ? pgtree_loc(nb, loc) : loc,
			    "only column references are allowed in order_by");
		if (walk_colref(w, nb, pgtree_loc(nb, loc)) == -1)
			return -1;
	}
	return 0;
}

int
subset_order_canon(const char *order_by, size_t len, char *const *cols,
    size_t ncols, char **canon, char *msg, size_t msglen)
{
	struct walk w;

	walk_init(&w, order_by, len, ORDER_PREFIX, cols, ncols, msg, msglen);
	return canon_clause(&w, ORDER_PREFIX, "sortClause", order_fn, canon);
}
