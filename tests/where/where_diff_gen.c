/*
 * where_diff_gen: generated cases of the WHERE differential test, from
 * tables: every ordered pair of columns of a group under each of the
 * group's operators, as clauses ("c_i2 < c_f4": every implicit cast and
 * cross-type comparison) and as expressions of the value check
 * ("c_i8 * c_num": result types, overflow, float and numeric text);
 * every scalar column against itself ("c_f8 = c_f8": NaN, -0, NULL
 * elements of arrays); every column under every one-argument function
 * and cast to every §10.2 target; big inputs and the size limits.  The
 * generated value expressions are optional: many combinations are not
 * valid at all; where_diff notes those Postgres accepts and ours not.
 * Appended to the cases read from the files (line 0 = generated).
 * Called by where_diff.c.
 */
#include <stdlib.h>
#include <string.h>

#include "where_diff.h"

#define GROUP_MAX	13

struct gen_group {
	const char	*cols[GROUP_MAX];
	const char	*ops[GROUP_MAX];
	int		 self;		/* only "a op a" */
};

#define SCALARS1	{ "c_i2", "c_i4", "c_i8", "c_f4", "c_f8", "c_num", \
			  "c_num2", "c_text", "c_vc", "c_ch", "c_uuid" }
#define SCALARS2	{ "c_date", "c_time", "c_ts", "c_tstz", "c_iv", \
			  "c_bool", "c_mood", "c_ia", "c_ta", "c_ia2" }

static const struct gen_group gen_clauses[] = {
	{ { "c_i2", "c_i4", "c_i8", "c_f4", "c_f8", "c_num", "c_num2",
	    "c_i4b", "c_i8b", "c_f8b" },
	  { "=", "<", ">=", "IS DISTINCT FROM" }, 0 },
	{ { "c_date", "c_ts", "c_tstz", "c_date2", "c_tstz2" },
	  { "=", "<", ">=" }, 0 },
	{ { "c_text", "c_vc", "c_ch", "c_text2" },
	  { "=", "<", ">=", "LIKE" }, 0 },
	{ { "c_ia", "c_ia2" }, { "=", "@>", "<@", "&&" }, 0 },
	{ { "c_mood", "c_mood2" }, { "=", "<>" }, 0 },
	{ SCALARS1, { "=", "<>", "<", ">=", "IS NOT DISTINCT FROM" }, 1 },
	{ SCALARS2, { "=", "<>", "IS NOT DISTINCT FROM" }, 1 },
};

/* Every column cast to every §10.2 target (also the columns of the
 * one-argument functions). */
static const char *const cast_cols[] = {
	"c_i2", "c_i4", "c_i8", "c_f4", "c_f8", "c_num", "c_num2", "c_text",
	"c_vc", "c_ch", "c_bool", "c_uuid", "c_date", "c_time", "c_ts",
	"c_tstz", "c_iv", "c_bytea", "c_jsonb", "c_mood", "c_ia", "c_ta",
	"c_ia2",
};
static const char *const cast_targets[] = {
	"bool", "bytea", "date", "float4", "float8", "int2", "int4", "int8",
	"jsonb", "text", "time", "timestamp", "timestamptz", "uuid", "varchar",
	"interval", "int4[]", "int8[]", "text[]", "float8[]",
};

static const struct gen_group gen_exprs[] = {
	{ { "c_i2", "c_i4", "c_i8", "c_f4", "c_f8", "c_num", "c_num2" },
	  { "+", "-", "*", "/" }, 0 },
	{ { "c_i2", "c_i4", "c_i8" }, { "%", "&", "#", "|", "<<", ">>" }, 0 },
	{ { "c_date", "c_time", "c_ts", "c_tstz", "c_iv", "c_date2",
	    "c_tstz2", "c_i4" }, { "+", "-" }, 0 },
	{ { "c_iv", "c_f8", "c_num2", "c_i2" }, { "*", "/" }, 0 },
	{ { "c_text", "c_vc", "c_ch", "c_i4", "c_ia", "c_ta", "c_ia2",
	    "c_bool" }, { "||" }, 0 },
	{ { "c_i4", "c_f8", "c_num", "c_text", "c_ch", "c_date", "c_ts",
	    "c_tstz", "c_iv", "c_bool", "c_ia" },
	  { "coalesce(%s, %s)", "greatest(%s, %s)", "least(%s, %s)",
	    "concat(%s, %s)" }, 0 },
};

/* Functions of one argument over every column they may apply to. */
static const char *const unary_fns[] = {
	"lower(%s)", "upper(%s)", "-%s", "@ %s", "|/ %s", "~%s",
	"justify_days(%s)", "justify_hours(%s)", "justify_interval(%s)",
	"array_ndims(%s)", "%s[1]", "%s[2:3]", "timezone('UTC', %s)",
	"timezone('+05:30', %s)", "%s IS TRUE",
};

static void
add(struct wd_cases *cs, char *text)
{
	cs->v = xrealloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
	memset(&cs->v[cs->n], 0, sizeof(cs->v[0]));
	cs->v[cs->n++].text = text;
}

/* "a op b", or op(a, b) when op is a format ("coalesce(%s, %s)"). */
static char *
pair(const char *fmt, const char *op, const char *a, const char *b)
{
	if (strstr(op, "%s") == NULL)
		return xasprintf(fmt, a, op, b);
	return xasprintf(op, a, b);
}

static void
gen(const struct gen_group *g, size_t ng, const char *fmt,
    struct wd_cases *out)
{
	size_t	 i, a, b, o;

	for (i = 0; i < ng; i++)
		for (o = 0; g[i].ops[o] != NULL; o++)
			for (a = 0; g[i].cols[a] != NULL; a++)
				for (b = 0; g[i].cols[b] != NULL; b++)
					if (!g[i].self || a == b)
						add(out, pair(fmt, g[i].ops[o],
						    g[i].cols[a],
						    g[i].cols[b]));
}

static void
gen_casts(struct wd_cases *out)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(cast_cols) / sizeof(cast_cols[0]); i++)
		for (j = 0; j < sizeof(cast_targets) / sizeof(cast_targets[0]);
		    j++)
			add(out, xasprintf("%s::%s", cast_cols[i],
			    cast_targets[j]));
}

/* s repeated n times, then mid, then t repeated n times. */
static char *
repeat(const char *s, size_t n, const char *mid, const char *t)
{
	struct sbuf	 b;
	size_t		 i;

	sbuf_init(&b);
	for (i = 0; i < n; i++)
		sbuf_adds(&b, s);
	sbuf_adds(&b, mid);
	for (i = 0; i < n; i++)
		sbuf_adds(&b, t);
	return b.p;
}

static void
reject_want(struct wd_cases *rejects, const char *msg)
{
	rejects->v[rejects->n - 1].want_field = xstrdup("where");
	rejects->v[rejects->n - 1].want_msg = xstrdup(msg);
}

/* Big inputs: long IN lists and AND chains, deep parentheses (which
 * vanish in the parse tree), and the limits (§10.1: size, nesting). */
static void
gen_big(struct wd_cases *clauses, struct wd_cases *rejects)
{
	struct sbuf	 b;
	int		 i;

	sbuf_init(&b);
	sbuf_adds(&b, "c_i4 IN (");
	for (i = -500; i < 500; i++)
		sbuf_addf(&b, "%d, ", i);
	sbuf_adds(&b, "NULL, 2147483647)");
	add(clauses, b.p);
	sbuf_init(&b);
	for (i = 0; i < 2000; i++)
		sbuf_addf(&b, "%sc_i4 <> %d", i > 0 ? " AND " : "", i);
	add(clauses, b.p);
	add(clauses, repeat("(", 5000, "c_i4 = 1", ")"));
	add(rejects, repeat("NOT ", 3000, "c_bool", ""));
	reject_want(rejects, "expression is too deeply nested");
	sbuf_init(&b);
	sbuf_adds(&b, "c_text = '");
	for (i = 0; i < 300000; i++)
		sbuf_addc(&b, 'x');
	sbuf_addc(&b, '\'');
	add(rejects, b.p);
	reject_want(rejects, "is too long");
}

static void
gen_unary(struct wd_cases *out)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(unary_fns) / sizeof(unary_fns[0]); i++)
		for (j = 0; j < sizeof(cast_cols) / sizeof(cast_cols[0]); j++)
			add(out, xasprintf(unary_fns[i], cast_cols[j]));
}

/* Generated value expressions are optional: many pairs are not valid
 * (date + date); where_diff notes those Postgres accepts and ours not. */
static void
all_optional(struct wd_cases *cs, size_t from)
{
	for (; from < cs->n; from++)
		cs->v[from].optional = 1;
}

void
wd_gen_cases(struct wd_cases *clauses, struct wd_cases *rejects,
    struct wd_cases *exprs)
{
	size_t	 n0 = exprs->n;

	gen_big(clauses, rejects);
	gen_casts(exprs);
	gen_unary(exprs);
	gen(gen_clauses, sizeof(gen_clauses) / sizeof(gen_clauses[0]),
	    "%s %s %s", clauses);
	gen(gen_exprs, sizeof(gen_exprs) / sizeof(gen_exprs[0]),
	    "%s %s %s", exprs);
	all_optional(exprs, n0);
}
