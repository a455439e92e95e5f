/*
 * where_type: types of the WHERE compiler -- names, implicit casts (with a
 * cost, to pick the cheapest overload), explicit cast rules, the operator
 * table (PROTOCOL.md §10.2) and operator resolution exactly as Postgres'
 * oper_select_candidate / func_select_candidate does it (exact match with
 * unknown taking the other operand's type; then among the rows reachable
 * by implicit casts: most exact matches, most preferred types of the
 * input's category, unknowns resolved by category (string first), the
 * single-known-type heuristic; anything left ambiguous is an error).
 * Implicit casts are pg_cast's (where_val's table), common types are
 * select_common_type's.  Called by where_parse*.c.
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
/* Cross-type comparison rows (float48eq, date_lt_timestamp, ...). */
#define CMP6X(L, R)							\
	{ "=", L, R, B, WI_EQ }, { "<>", L, R, B, WI_NE },		\
	{ "<", L, R, B, WI_LT }, { ">", L, R, B, WI_GT },		\
	{ "<=", L, R, B, WI_LE }, { ">=", L, R, B, WI_GE }
#define ARITHX(L, R, T)							\
	{ "+", L, R, T, WI_ADD }, { "-", L, R, T, WI_SUB },		\
	{ "*", L, R, T, WI_MUL }, { "/", L, R, T, WI_DIV }
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
	CMP6X(WV_FLOAT4, WV_FLOAT8), CMP6X(WV_FLOAT8, WV_FLOAT4),
	CMP6X(WV_DATE, WV_TIMESTAMP), CMP6X(WV_DATE, WV_TIMESTAMPTZ),
	CMP6X(WV_TIMESTAMP, WV_DATE), CMP6X(WV_TIMESTAMP, WV_TIMESTAMPTZ),
	CMP6X(WV_TIMESTAMPTZ, WV_DATE), CMP6X(WV_TIMESTAMPTZ, WV_TIMESTAMP),
	EQ2(WV_BOOL), EQ2(WV_INTERVAL), EQ2(WV_BYTEA), EQ2(WV_JSONB),
	EQ2(ANYENUM), EQ2(ANYARRAY),
	ARITH(WV_INT2), ARITH(WV_INT4), ARITH(WV_INT8), ARITH(WV_FLOAT4),
	ARITH(WV_FLOAT8), ARITH(WV_NUMERIC),
	ARITHX(WV_FLOAT4, WV_FLOAT8, WV_FLOAT8),
	ARITHX(WV_FLOAT8, WV_FLOAT4, WV_FLOAT8),
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
	/* Postgres has these (they take part in resolution); we do not */
	{ "||", WV_BYTEA, WV_BYTEA, WV_BYTEA, WI_UNSUPP },
	{ "||", WV_JSONB, WV_JSONB, WV_JSONB, WI_UNSUPP },
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
is_pseudo(int t)
{
	return t >= WT_P_ANYARRAY && t <= WT_P_ANYENUM;
}

/* pg_type.typcategory and typispreferred. */
static char
category(const struct wtype *t, int *pref)
{
	static const struct { uint8_t b; char cat; uint8_t pref; } cats[] = {
		{ WV_BOOL, 'B', 1 }, { WV_INT2, 'N', 0 }, { WV_INT4, 'N', 0 },
		{ WV_INT8, 'N', 0 }, { WV_FLOAT4, 'N', 0 }, { WV_FLOAT8, 'N', 1 },
		{ WV_NUMERIC, 'N', 0 }, { WV_TEXT, 'S', 1 },
		{ WV_VARCHAR, 'S', 0 }, { WV_BPCHAR, 'S', 0 }, { WV_NAME, 'S', 0 },
		{ WV_DATE, 'D', 0 }, { WV_TIME, 'D', 0 }, { WV_TIMETZ, 'D', 0 },
		{ WV_TIMESTAMP, 'D', 0 }, { WV_TIMESTAMPTZ, 'D', 1 },
		{ WV_INTERVAL, 'T', 1 }, { WV_ENUM, 'E', 0 },
	};
	size_t i;

	*pref = 0;
	if (t->array)
		return 'A';
	if (is_pseudo(t->base))
		return 'P';
	for (i = 0; i < NELEM(cats); i++)
		if (cats[i].b == t->base) {
			*pref = cats[i].pref;
			return cats[i].cat;
		}
	return 'U';		/* uuid, bytea, json, jsonb, unknown types */
}

/* An implicit cast a -> b (a != b) in pg_cast; arrays elementwise. */
static int
implicit(const struct wtype *a, const struct wtype *b)
{
	if (a->array != b->array || a->base >= WV_NTYPES ||
	    b->base >= WV_NTYPES || a->base == WV_ENUM || b->base == WV_ENUM)
		return 0;
	return wv_cast_kind((enum wv_type)a->base, (enum wv_type)b->base) ==
	    WV_CAST_IMPLICIT;
}

/* 0: the same type (or unknown), 1: an implicit cast, -1: none. */
int
wt_cast_cost(const struct wtype *a, const struct wtype *b)
{
	if (a->base == WT_UNKNOWN || wt_equal(a, b))
		return 0;
	return implicit(a, b) ? 1 : -1;
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

/* The first known type; another of the same category replaces it when
 * it is not preferred and casts implicitly one way only; then every
 * input must cast to it. */
int
wt_common(const struct wtype *const *ts, size_t n, struct wtype *out)
{
	const struct wtype *c = NULL;
	int cpref = 0, np;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ts[i]->base == WT_UNKNOWN || (c != NULL && wt_equal(c, ts[i])))
			continue;
		if (c == NULL) {
			c = ts[i];
			category(c, &cpref);
		} else if (category(ts[i], &np) != category(c, &cpref))
			return -1;
		else if (!cpref && implicit(c, ts[i]) && !implicit(ts[i], c))
			c = ts[i], cpref = np;
	}
	for (i = 0; c != NULL && i < n; i++)
		if (wt_cast_cost(ts[i], c) < 0)
			return -1;
	if (c == NULL) {
		memset(out, 0, sizeof(*out));
		out->base = WV_TEXT;
	} else
		*out = *c;
	return 0;
}

/* ---- operator resolution ---- */

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

/* 1 when row o accepts (l, r) through implicit casts (unknown goes
 * anywhere), with the types to cast them to in *tl / *tr. */
static int
row_ok(const struct wop *o, const struct wtype *l, const struct wtype *r,
    struct wtype *tl, struct wtype *tr)
{
	const struct wtype *a[2] = { l, r };
	struct wtype *t[2] = { tl, tr }, e;
	int slot[2] = { o->l, o->r }, i;

	if ((o->l == WOP_UNARY) != (l == NULL))
		return 0;
	if ((o->l == ANYARRAY || o->l == ANYELEM || o->r == ANYARRAY ||
	    o->r == ANYELEM) && poly_elem(o, l, r, &e) == -1)
		return 0;
	for (i = l == NULL ? 1 : 0; i < 2; i++) {
		memset(t[i], 0, sizeof(*t[i]));
		if (slot[i] == ANYARRAY || slot[i] == ANYELEM) {
			*t[i] = e;
			t[i]->array = slot[i] == ANYARRAY;
			if (wt_cast_cost(a[i], t[i]) < 0)
				return 0;
		} else if (slot[i] == ANYNONARRAY) {
			*t[i] = *a[i];
			if (a[i]->array || a[i]->base == WT_OTHER)
				return 0;
		} else if (slot[i] == ANYENUM) {
			*t[i] = a[i]->base == WT_UNKNOWN && l != NULL ?
			    *a[1 - i] : *a[i];
			if (a[i]->base != WT_UNKNOWN && (a[i]->base != WV_ENUM ||
			    a[i]->array || !wt_equal(a[0], a[1])))
				return 0;
		} else {
			t[i]->base = (uint8_t)slot[i];
			if (wt_cast_cost(a[i], t[i]) < 0)
				return 0;
		}
	}
	return 1;
}

/* binary_oper_exact: a row declared exactly (l, r), an unknown operand
 * taking the other's type. */
static int
exact_row(const char *name, int impl, const struct wtype *l,
    const struct wtype *r)
{
	const struct wtype *a = l, *b = r;
	size_t i;

	if (l == NULL || (l->base == WT_UNKNOWN && r->base == WT_UNKNOWN))
		return -1;
	if (a->base == WT_UNKNOWN)
		a = r;
	if (b->base == WT_UNKNOWN)
		b = l;
	if (a->array || b->array || a->base >= WV_NTYPES ||
	    b->base >= WV_NTYPES || a->base == WV_ENUM || b->base == WV_ENUM)
		return -1;
	for (i = 0; i < where_nops; i++)
		if (strcmp(where_ops[i].name, name) == 0 &&
		    (impl < 0 || where_ops[i].impl == impl) &&
		    where_ops[i].l == a->base && where_ops[i].r == b->base)
			return (int)i;
	return -1;
}

struct cands {
	int		 row[64];
	size_t		 n;
	const struct wtype *in[2];	/* the inputs; in[0] NULL: unary */
};

static void
decl(const struct wop *o, int i, struct wtype *t)
{
	memset(t, 0, sizeof(*t));
	t->base = (uint8_t)(i == 0 ? o->l : o->r);
}

/* Keeps the candidates with the highest score (exact: 1 per input of
 * exactly the declared type; else also 1 per declared preferred type of
 * the input's category). */
static void
keep_best(struct cands *c, int exact)
{
	int score[64], best = -1, i, p, q;
	struct wtype d;
	size_t k, m = 0;

	for (k = 0; k < c->n; k++) {
		score[k] = 0;
		for (i = c->in[0] == NULL ? 1 : 0; i < 2; i++) {
			if (c->in[i]->base == WT_UNKNOWN)
				continue;
			decl(&where_ops[c->row[k]], i, &d);
			if (wt_equal(&d, c->in[i]) || (!exact &&
			    category(&d, &p) == category(c->in[i], &q) && p))
				score[k]++;
		}
		if (score[k] > best)
			best = score[k];
	}
	for (k = 0; k < c->n; k++)
		if (score[k] == best)
			c->row[m++] = c->row[k];
	c->n = m;
}

/* The category an unknown input at i resolves to (string wins; else
 * all candidates must agree), or 0. */
static char
unknown_category(const struct cands *c, int i, int *haspref)
{
	char cat = 0, k;
	int conflict = 0, p;
	struct wtype d;
	size_t j;

	*haspref = 0;
	for (j = 0; j < c->n; j++) {
		decl(&where_ops[c->row[j]], i, &d);
		k = category(&d, &p);
		if (cat == 0 || k == cat) {
			*haspref |= p;
			cat = k;
		} else if (k == 'S') {
			cat = k;
			*haspref = p;
		} else
			conflict = 1;
	}
	return conflict && cat != 'S' ? 0 : cat;
}

static void
resolve_unknowns(struct cands *c)
{
	char cat[2] = { 0, 0 };
	int pref[2] = { 0, 0 }, i, p, keep;
	struct wtype d;
	size_t k, m = 0;

	for (i = c->in[0] == NULL ? 1 : 0; i < 2; i++)
		if (c->in[i]->base == WT_UNKNOWN &&
		    (cat[i] = unknown_category(c, i, &pref[i])) == 0)
			return;
	if (cat[0] == 0 && cat[1] == 0)
		return;
	for (k = 0; k < c->n; k++) {
		keep = 1;
		for (i = 0; i < 2; i++) {
			if (cat[i] == 0)
				continue;
			decl(&where_ops[c->row[k]], i, &d);
			if (category(&d, &p) != cat[i] || (pref[i] && !p))
				keep = 0;
		}
		if (keep)
			c->row[m++] = c->row[k];
	}
	if (m > 0)
		c->n = m;
}

/* With unknown and known inputs all of one type: the single candidate
 * that takes that type everywhere, or -1. */
static int
single_known(const struct cands *c)
{
	const struct wtype *known = NULL;
	struct wtype tl, tr;
	int i, found = -1;
	size_t k;

	for (i = c->in[0] == NULL ? 1 : 0; i < 2; i++) {
		if (c->in[i]->base == WT_UNKNOWN)
			continue;
		if (known != NULL && !wt_equal(known, c->in[i]))
			return -1;
		known = c->in[i];
	}
	if (known == NULL || c->in[0] == NULL || (c->in[0]->base !=
	    WT_UNKNOWN && c->in[1]->base != WT_UNKNOWN))
		return -1;
	for (k = 0; k < c->n; k++)
		if (row_ok(&where_ops[c->row[k]], known, known, &tl, &tr)) {
			if (found >= 0)
				return -1;
			found = c->row[k];
		}
	return found;
}

/* func_select_candidate */
static int
select_candidate(struct cands *c)
{
	int u = c->in[1]->base == WT_UNKNOWN ||
	    (c->in[0] != NULL && c->in[0]->base == WT_UNKNOWN);

	keep_best(c, 1);
	if (c->n == 1)
		return c->row[0];
	keep_best(c, 0);
	if (c->n == 1)
		return c->row[0];
	if (u) {
		resolve_unknowns(c);
		if (c->n == 1)
			return c->row[0];
		return single_known(c);
	}
	return -1;
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
	struct cands c;
	struct wtype cl, cr;
	size_t i;
	int best;

	memset(&c, 0, sizeof(c));
	c.in[0] = l, c.in[1] = r;
	if ((best = exact_row(name, impl, l, r)) < 0) {
		for (i = 0; i < where_nops && c.n < NELEM(c.row); i++)
			if (strcmp(where_ops[i].name, name) == 0 &&
			    (impl < 0 || where_ops[i].impl == impl) &&
			    row_ok(&where_ops[i], l, r, &cl, &cr))
				c.row[c.n++] = (int)i;
		if (c.n == 0)
			return -1;
		best = c.n == 1 ? c.row[0] : select_candidate(&c);
	}
	if (best < 0 || where_ops[best].impl == WI_UNSUPP ||
	    !row_ok(&where_ops[best], l, r, tl, tr))
		return -1;
	/* a polymorphic slot needs a known input */
	if (l != NULL && where_ops[best].l == ANYNONARRAY &&
	    l->base == WT_UNKNOWN)
		return -1;
	if (where_ops[best].r == ANYNONARRAY && r->base == WT_UNKNOWN)
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
