/*
 * where_type: types of the WHERE compiler -- names, implicit casts (with a
 * cost, to pick the cheapest overload), explicit cast rules, the operator
 * table (PROTOCOL.md §10.2) and operator resolution in the style of
 * Postgres (unknown literals take the other operand's type first, then
 * the cheapest row wins, a tie is an error).  Called by where_parse*.c.
 */
#include <stdio.h>
#include <string.h>

#include "where_int.h"

#define ANYARRAY	WT_P_ANYARRAY
#define ANYELEM		WT_P_ANYELEM
#define ANYNONARRAY	WT_P_ANYNONARRAY
#define ANYENUM		WT_P_ANYENUM
#define B		WV_BOOL

/* Comparison rows of one type. */
#define CMP6(T)								\
	{ "=", T, T, B, WI_EQ }, { "<>", T, T, B, WI_NE },		\
	{ "<", T, T, B, WI_LT }, { ">", T, T, B, WI_GT },		\
	{ "<=", T, T, B, WI_LE }, { ">=", T, T, B, WI_GE }
#define EQ2(T)	{ "=", T, T, B, WI_EQ }, { "<>", T, T, B, WI_NE }
/* Arithmetic rows of one numeric type. */
#define ARITH(T)							\
	{ "+", T, T, T, WI_ADD }, { "-", T, T, T, WI_SUB },		\
	{ "*", T, T, T, WI_MUL }, { "/", T, T, T, WI_DIV },		\
	{ "-", WOP_UNARY, T, T, WI_NEG }, { "+", WOP_UNARY, T, T, WI_POS }, \
	{ "@", WOP_UNARY, T, T, WI_ABS }
#define INTOPS(T)							\
	{ "%", T, T, T, WI_MOD }, { "&", T, T, T, WI_BAND },		\
	{ "|", T, T, T, WI_BOR }, { "#", T, T, T, WI_BXOR },		\
	{ "~", WOP_UNARY, T, T, WI_BNOT },				\
	{ "<<", T, WV_INT4, T, WI_SHL }, { ">>", T, WV_INT4, T, WI_SHR }
#define LIKE4(T)							\
	{ "~~", T, WV_TEXT, B, WI_LIKE }, { "!~~", T, WV_TEXT, B, WI_NOT_LIKE }, \
	{ "~~*", T, WV_TEXT, B, WI_ILIKE },				\
	{ "!~~*", T, WV_TEXT, B, WI_NOT_ILIKE }

const struct wop where_ops[] = {
	CMP6(WV_INT2), CMP6(WV_INT4), CMP6(WV_INT8), CMP6(WV_FLOAT4),
	CMP6(WV_FLOAT8), CMP6(WV_NUMERIC), CMP6(WV_TEXT), CMP6(WV_BPCHAR),
	CMP6(WV_UUID), CMP6(WV_DATE), CMP6(WV_TIME), CMP6(WV_TIMESTAMP),
	CMP6(WV_TIMESTAMPTZ),
	EQ2(WV_BOOL), EQ2(WV_INTERVAL), EQ2(WV_BYTEA), EQ2(WV_JSONB),
	EQ2(ANYENUM), EQ2(ANYARRAY),
	ARITH(WV_INT2), ARITH(WV_INT4), ARITH(WV_INT8), ARITH(WV_FLOAT4),
	ARITH(WV_FLOAT8), ARITH(WV_NUMERIC),
	INTOPS(WV_INT2), INTOPS(WV_INT4), INTOPS(WV_INT8),
	{ "%", WV_NUMERIC, WV_NUMERIC, WV_NUMERIC, WI_MOD },
	{ "^", WV_FLOAT8, WV_FLOAT8, WV_FLOAT8, WI_POW },
	{ "^", WV_NUMERIC, WV_NUMERIC, WV_NUMERIC, WI_POW },
	{ "|/", WOP_UNARY, WV_FLOAT8, WV_FLOAT8, WI_SQRT },
	/* date/time arithmetic */
	{ "+", WV_DATE, WV_INT4, WV_DATE, WI_ADD },
	{ "+", WV_INT4, WV_DATE, WV_DATE, WI_ADD },
	{ "-", WV_DATE, WV_INT4, WV_DATE, WI_SUB },
	{ "-", WV_DATE, WV_DATE, WV_INT4, WI_SUB },
	{ "+", WV_DATE, WV_TIME, WV_TIMESTAMP, WI_ADD },
	{ "+", WV_TIME, WV_DATE, WV_TIMESTAMP, WI_ADD },
	{ "+", WV_DATE, WV_INTERVAL, WV_TIMESTAMP, WI_ADD },
	{ "+", WV_INTERVAL, WV_DATE, WV_TIMESTAMP, WI_ADD },
	{ "-", WV_DATE, WV_INTERVAL, WV_TIMESTAMP, WI_SUB },
	{ "+", WV_TIME, WV_INTERVAL, WV_TIME, WI_ADD },
	{ "+", WV_INTERVAL, WV_TIME, WV_TIME, WI_ADD },
	{ "-", WV_TIME, WV_INTERVAL, WV_TIME, WI_SUB },
	{ "-", WV_TIME, WV_TIME, WV_INTERVAL, WI_SUB },
	{ "+", WV_TIMESTAMP, WV_INTERVAL, WV_TIMESTAMP, WI_ADD },
	{ "+", WV_INTERVAL, WV_TIMESTAMP, WV_TIMESTAMP, WI_ADD },
	{ "-", WV_TIMESTAMP, WV_INTERVAL, WV_TIMESTAMP, WI_SUB },
	{ "-", WV_TIMESTAMP, WV_TIMESTAMP, WV_INTERVAL, WI_SUB },
	{ "+", WV_TIMESTAMPTZ, WV_INTERVAL, WV_TIMESTAMPTZ, WI_ADD },
	{ "+", WV_INTERVAL, WV_TIMESTAMPTZ, WV_TIMESTAMPTZ, WI_ADD },
	{ "-", WV_TIMESTAMPTZ, WV_INTERVAL, WV_TIMESTAMPTZ, WI_SUB },
	{ "-", WV_TIMESTAMPTZ, WV_TIMESTAMPTZ, WV_INTERVAL, WI_SUB },
	{ "+", WV_INTERVAL, WV_INTERVAL, WV_INTERVAL, WI_ADD },
	{ "-", WV_INTERVAL, WV_INTERVAL, WV_INTERVAL, WI_SUB },
	{ "-", WOP_UNARY, WV_INTERVAL, WV_INTERVAL, WI_NEG },
	{ "*", WV_INTERVAL, WV_FLOAT8, WV_INTERVAL, WI_MUL },
	{ "*", WV_FLOAT8, WV_INTERVAL, WV_INTERVAL, WI_MUL },
	{ "/", WV_INTERVAL, WV_FLOAT8, WV_INTERVAL, WI_DIV },
	/* text */
	{ "||", WV_TEXT, WV_TEXT, WV_TEXT, WI_CAT },
	{ "||", WV_TEXT, ANYNONARRAY, WV_TEXT, WI_CAT_ANY_R },
	{ "||", ANYNONARRAY, WV_TEXT, WV_TEXT, WI_CAT_ANY_L },
	LIKE4(WV_TEXT), LIKE4(WV_BPCHAR),
	/* arrays */
	{ "@>", ANYARRAY, ANYARRAY, B, WI_CONTAINS },
	{ "<@", ANYARRAY, ANYARRAY, B, WI_CONTAINED },
	{ "&&", ANYARRAY, ANYARRAY, B, WI_OVERLAP },
	{ "||", ANYARRAY, ANYARRAY, WOP_RES_ARRAY, WI_ARR_CAT },
	{ "||", ANYELEM, ANYARRAY, WOP_RES_ARRAY, WI_ARR_PREPEND },
	{ "||", ANYARRAY, ANYELEM, WOP_RES_ARRAY, WI_ARR_APPEND },
};
const size_t where_nops = NELEM(where_ops);

/* ---- types ---- */

void
wt_of_col(const struct where_col *c, struct wtype *t)
{
	int b = c->is_enum ? WV_ENUM : strcmp(c->type, "char") == 0 ? -1 :
	    wv_type_from_name(c->type, strlen(c->type));

	memset(t, 0, sizeof(*t));
	t->array = c->dims > 0;
	if (b < 0 || b == WV_NULL || b == WV_ARRAY) {
		t->base = WT_OTHER;
		t->name = c->type;
	} else {
		t->base = (uint8_t)b;
		if (b == WV_ENUM)
			t->name = c->type;
	}
}

const char *
wt_sqlname(const struct wtype *t)
{
	if (t->base == WT_UNKNOWN)
		return "unknown";
	if (t->base == WV_ENUM || t->base == WT_OTHER)
		return t->name;
	return wv_type_name((enum wv_type)t->base);
}

/* Names in Postgres' messages ("integer", "character varying"). */
const char *
wt_errname(const struct wtype *t)
{
	static const struct { uint8_t b; const char *n; } names[] = {
		{ WV_INT2, "smallint" }, { WV_INT4, "integer" },
		{ WV_INT8, "bigint" }, { WV_FLOAT4, "real" },
		{ WV_FLOAT8, "double precision" }, { WV_BOOL, "boolean" },
		{ WV_VARCHAR, "character varying" }, { WV_BPCHAR, "character" },
		{ WV_TIMESTAMP, "timestamp without time zone" },
		{ WV_TIMESTAMPTZ, "timestamp with time zone" },
		{ WV_TIME, "time without time zone" },
	};
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		if (names[i].b == t->base)
			return names[i].n;
	return wt_sqlname(t);
}

int
wt_equal(const struct wtype *a, const struct wtype *b)
{
	if (a->base != b->base || a->array != b->array)
		return 0;
	if (a->base == WV_ENUM || a->base == WT_OTHER)
		return strcmp(a->name, b->name) == 0;
	return 1;
}

int
wt_is_text(const struct wtype *t)
{
	return !t->array && (t->base == WV_TEXT || t->base == WV_VARCHAR ||
	    t->base == WV_BPCHAR || t->base == WV_NAME);
}

static int
rank_num(int b)
{
	static const uint8_t ladder[] = { WV_INT2, WV_INT4, WV_INT8,
	    WV_NUMERIC, WV_FLOAT4, WV_FLOAT8 };
	size_t i;

	for (i = 0; i < NELEM(ladder); i++)
		if (ladder[i] == b)
			return (int)i;
	return -1;
}

static int
rank_dt(int b)
{
	return b == WV_DATE ? 0 : b == WV_TIMESTAMP ? 1 :
	    b == WV_TIMESTAMPTZ ? 2 : -1;
}

/* Implicit casts: int2<int4<int8<numeric<float4<float8, varchar/bpchar/
 * name -> text, date<timestamp<timestamptz; arrays elementwise. */
int
wt_cast_cost(const struct wtype *a, const struct wtype *b)
{
	int ra, rb;

	if (a->base == WT_UNKNOWN)
		return 0;
	if (a->array != b->array)
		return -1;
	if (wt_equal(a, b))
		return 0;
	if ((ra = rank_num(a->base)) >= 0 && (rb = rank_num(b->base)) > ra)
		return rb - ra;
	if ((ra = rank_dt(a->base)) >= 0 && (rb = rank_dt(b->base)) > ra)
		return rb - ra;
	if (b->base == WV_TEXT && (a->base == WV_VARCHAR ||
	    a->base == WV_BPCHAR || a->base == WV_NAME))
		return 1;
	return -1;
}

/* Explicit casts: implicit ones, I/O casts to and from text types, and
 * what where_val says Postgres allows. */
int
wt_can_cast(const struct wtype *a, const struct wtype *b)
{
	struct wtype ea = *a, eb = *b;

	if (a->base == WT_UNKNOWN || wt_cast_cost(a, b) >= 0)
		return 1;
	if (a->base == WT_OTHER || b->base == WT_OTHER)
		return 0;
	if (a->array != b->array)
		return !b->array && (b->base == WV_TEXT || b->base == WV_VARCHAR);
	ea.array = eb.array = 0;
	if (wt_is_text(&eb) || (wt_is_text(&ea) && b->base != WV_ENUM))
		return 1;
	if (a->base == WV_ENUM || b->base == WV_ENUM)
		return 0;
	return wv_cast_kind((enum wv_type)a->base, (enum wv_type)b->base) !=
	    WV_CAST_NONE;
}

/* ---- common type (select_common_type) ---- */

int
wt_common(const struct wtype *const *ts, size_t n, struct wtype *out)
{
	const struct wtype *c = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ts[i]->base == WT_UNKNOWN)
			continue;
		if (c == NULL || (wt_cast_cost(c, ts[i]) > 0 &&
		    wt_cast_cost(ts[i], c) < 0))
			c = ts[i];
		else if (wt_cast_cost(ts[i], c) < 0)
			return -1;
	}
	if (c == NULL) {
		memset(out, 0, sizeof(*out));
		out->base = WV_TEXT;
	} else
		*out = *c;
	return 0;
}

/* ---- operator resolution ---- */

static int
is_pseudo(int t)
{
	return t >= WT_P_ANYARRAY && t <= WT_P_ANYENUM;
}

/* Cost of passing a as a concrete slot type t, or -1. */
static int
slot_cost(const struct wtype *a, int t, struct wtype *to)
{
	memset(to, 0, sizeof(*to));
	to->base = (uint8_t)t;
	if (a->base == WT_UNKNOWN)
		return t == WV_TEXT ? 0 : 1;
	return wt_cast_cost(a, to);
}

/* The element type shared by the polymorphic slots of row o. */
static int
poly_elem(const struct wop *o, const struct wtype *l, const struct wtype *r,
    struct wtype *e)
{
	const struct wtype *ts[2];
	struct wtype el[2];
	size_t n = 0;
	int i;

	for (i = 0; i < 2; i++) {
		int slot = i == 0 ? o->l : o->r;
		const struct wtype *a = i == 0 ? l : r;

		if (a == NULL || a->base == WT_UNKNOWN)
			continue;
		if (slot == ANYARRAY && !a->array)
			return -1;
		if (slot == ANYELEM && a->array)
			return -1;
		el[n] = *a;
		el[n].array = 0;
		ts[n] = &el[n];
		n++;
	}
	if (n == 0 || wt_common(ts, n, e) == -1)
		return -1;
	return e->base == WT_OTHER ? -1 : 0;
}

/* Cost of row o for (l, r), the target types in *tl / *tr, or -1. */
static int
row_cost(const struct wop *o, const struct wtype *l, const struct wtype *r,
    struct wtype *tl, struct wtype *tr)
{
	const struct wtype *a[2] = { l, r };
	struct wtype *t[2] = { tl, tr }, e;
	int slot[2] = { o->l, o->r }, i, c, sum = 0;

	if ((o->l == WOP_UNARY) != (l == NULL))
		return -1;
	if ((is_pseudo(o->l) && o->l != ANYNONARRAY && o->l != ANYENUM) ||
	    (is_pseudo(o->r) && o->r != ANYNONARRAY && o->r != ANYENUM))
		if (poly_elem(o, l, r, &e) == -1)
			return -1;
	for (i = l == NULL ? 1 : 0; i < 2; i++) {
		if (slot[i] == ANYARRAY || slot[i] == ANYELEM) {
			*t[i] = e;
			t[i]->array = slot[i] == ANYARRAY;
			c = a[i]->base == WT_UNKNOWN ?
			    (slot[i] == ANYARRAY ? 0 : 1) : wt_cast_cost(a[i], t[i]);
		} else if (slot[i] == ANYNONARRAY) {
			*t[i] = *a[i];
			c = a[i]->base == WT_UNKNOWN || a[i]->array ||
			    a[i]->base == WT_OTHER ? -1 : 2;
		} else if (slot[i] == ANYENUM) {
			*t[i] = *a[i];
			c = a[i]->base == WV_ENUM && !a[i]->array &&
			    wt_equal(a[0], a[1]) ? 0 : -1;
		} else
			c = slot_cost(a[i], slot[i], t[i]);
		if (c < 0)
			return -1;
		sum += c;
	}
	return sum;
}

/* Postgres first tries "unknown has the other operand's type". */
static int
exact_unknown(const struct wop *o, const struct wtype *l,
    const struct wtype *r)
{
	const struct wtype *k;
	int slot;

	if (l == NULL || (l->base == WT_UNKNOWN) == (r->base == WT_UNKNOWN))
		return 0;
	k = l->base == WT_UNKNOWN ? r : l;
	if (o->l != o->r)
		return 0;
	slot = o->l;
	if (slot == ANYARRAY)
		return k->array;
	if (slot == ANYENUM)
		return 0;
	return !k->array && !is_pseudo(slot) && slot == k->base;
}

static void
row_result(const struct wop *o, const struct wtype *tl,
    const struct wtype *tr, struct wtype *res)
{
	memset(res, 0, sizeof(*res));
	if (o->res == WOP_RES_ARRAY)
		*res = tl->array ? *tl : *tr;
	else
		res->base = o->res;
}

int
wt_resolve_op(const char *name, int impl, const struct wtype *l,
    const struct wtype *r, struct wtype *tl, struct wtype *tr,
    struct wtype *res)
{
	struct wtype cl, cr;
	size_t i;
	int best = -1, bestcost = 0, tie = 0, c;

	memset(&cl, 0, sizeof(cl));
	for (i = 0; i < where_nops; i++) {
		if (strcmp(where_ops[i].name, name) != 0 ||
		    (impl >= 0 && where_ops[i].impl != impl) ||
		    (c = row_cost(&where_ops[i], l, r, &cl, &cr)) < 0)
			continue;
		if (exact_unknown(&where_ops[i], l, r))
			c = -1;		/* beats everything */
		if (best < 0 || c < bestcost) {
			best = (int)i, bestcost = c, tie = 0;
			*tl = cl, *tr = cr;
		} else if (c == bestcost)
			tie = 1;
	}
	if (best < 0 || tie)
		return -1;
	row_result(&where_ops[best], tl, tr, res);
	return best;
}

/* ---- constants ---- */

int
wt_const_value(struct wnode *n, struct wv_arena *a, struct wv_err *err)
{
	enum wv_type t = n->type.array ? WV_ARRAY : (enum wv_type)n->type.base;
	enum wv_type e = n->type.array ? (enum wv_type)n->type.base : WV_NULL;

	if (n->isnull)
		return 0;
	if (n->type.base == WT_OTHER || n->type.base == WT_UNKNOWN) {
		snprintf(err->msg, sizeof(err->msg), "unsupported type %s",
		    wt_sqlname(&n->type));
		return -1;
	}
	return wv_parse(t, e, n->text, n->textlen, a, &n->val, err);
}
