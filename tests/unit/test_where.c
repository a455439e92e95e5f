/*
 * test_where: where.h -- the WHERE compiler (parsing, type resolution,
 * every rejection message with its location), canonical SQL and its
 * round trip, evaluation with three-valued logic on rows, index terms,
 * index keys and array literal walking (PROTOCOL.md §10).  Table-driven.
 * The differential test against Postgres lives in tests/where.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "where.h"

Suite *where_suite(void);

static const struct where_col cols[] = {
	{ "id", "int4", 0, 0 }, { "title", "text", 0, 0 },
	{ "done", "bool", 0, 0 }, { "big", "int8", 0, 0 },
	{ "tags", "text", 1, 0 }, { "ts", "timestamptz", 0, 0 },
	{ "mood", "mood", 0, 1 }, { "price", "numeric", 0, 0 },
	{ "vc", "varchar", 0, 0 }, { "ch", "bpchar", 0, 0 },
	{ "d", "date", 0, 0 }, { "f", "float8", 0, 0 },
	{ "ints", "int4", 1, 0 }, { "pt", "point", 0, 0 },
	{ "u", "uuid", 0, 0 }, { "iv", "interval", 0, 0 },
	{ "j", "jsonb", 0, 0 }, { "We\"ird", "text", 0, 0 },
	{ "été", "int2", 0, 0 }, { "m2", "mood2", 0, 1 },
	{ "f4", "float4", 0, 0 }, { "tsn", "timestamp", 0, 0 },
};
#define NCOLS	(sizeof(cols) / sizeof(cols[0]))

static char *params2[] = { "5", "o'k" };

/* want: canonical SQL; or err: the exact message (field "where"). */
static const struct {
	const char	*in;
	const char	*want;
	const char	*err;
} compile_cases[] = {
	{ "id = 1", "(\"id\" = '1'::int4)", NULL },
	{ "  id=1 -- c", "(\"id\" = '1'::int4)", NULL },
	{ "id = '5' and title < 'x'",
	  "((\"id\" = '5'::int4) AND (\"title\" COLLATE \"C\" < 'x'::text))", NULL },
	{ "big = 5", "(\"big\" = '5'::int8)", NULL },
	{ "big = 99999999999", "(\"big\" = '99999999999'::int8)", NULL },
	{ "price > 1.50 or f < 2",
	  "((\"price\" > '1.50'::\"numeric\") OR (\"f\" < '2'::float8))", NULL },
	{ "id in (1, 2)", "(\"id\" IN ('1'::int4, '2'::int4))", NULL },
	{ "id not in (1, null)", "(\"id\" NOT IN ('1'::int4, NULL::int4))", NULL },
	{ "vc = 'x'", "(CAST(\"vc\" AS text) = 'x'::text)", NULL },
	{ "ch = 'ab  '", "(\"ch\" = 'ab  '::bpchar)", NULL },
	{ "mood::text = 'happy'", "(CAST(\"mood\" AS text) = 'happy'::text)", NULL },
	{ "mood = m2", NULL, "At location 5: Could not select an operator overload" },
	{ "mood = mood", "(\"mood\" = \"mood\")", NULL },
	{ "mood = NULL", "(\"mood\" = NULL::\"mood\")", NULL },
	{ "ts > '2024-01-01'",
	  "(\"ts\" > '2024-01-01 00:00:00+00'::timestamptz)", NULL },
	{ "d between '2024-01-01' and '2024-02-01'",
	  "(\"d\" BETWEEN '2024-01-01'::date AND '2024-02-01'::date)", NULL },
	{ "id not between symmetric 5 and 1",
	  "(\"id\" NOT BETWEEN SYMMETRIC '5'::int4 AND '1'::int4)", NULL },
	{ "1 between 0.5 and id",
	  "(('1'::\"numeric\" >= '0.5'::\"numeric\") AND ('1'::int4 <= \"id\"))", NULL },
	/* overload resolution as Postgres' func_select_candidate: float8 is
	 * the preferred numeric type (float48eq, float48mul, dpow) */
	{ "f4 = 0.1", "(\"f4\" = '0.1'::float8)", NULL },
	{ "f4 * 2 > 3.4e38",
	  "((\"f4\" * '2'::float8) > '3.4e+38'::float8)", NULL },
	{ "f4 * f4 = f4", "((\"f4\" * \"f4\") = \"f4\")", NULL },
	{ "price = f4", "(CAST(\"price\" AS float8) = \"f4\")", NULL },
	{ "f4 = $1", "(\"f4\" = '5'::float4)", NULL },
	{ "id ^ 2 = 49",
	  "((CAST(\"id\" AS float8) ^ '2'::float8) = '49'::float8)", NULL },
	{ "price ^ 2 = 2.25",
	  "((\"price\" ^ '2'::\"numeric\") = '2.25'::\"numeric\")", NULL },
	{ "id = 0.5", "(CAST(\"id\" AS \"numeric\") = '0.5'::\"numeric\")", NULL },
	/* bpchar = varchar is bpchareq; text wins over bpchar */
	{ "ch = vc", "(\"ch\" = CAST(\"vc\" AS bpchar))", NULL },
	{ "vc = ch", "(CAST(\"vc\" AS bpchar) = \"ch\")", NULL },
	{ "title = ch", "(\"title\" = CAST(\"ch\" AS text))", NULL },
	{ "vc < vc", "(CAST(\"vc\" AS text) COLLATE \"C\" < CAST(\"vc\" AS text))",
	  NULL },
	{ "coalesce(ch, title) = 'a'",
	  "(COALESCE(\"ch\", CAST(\"title\" AS bpchar)) = 'a'::bpchar)", NULL },
	{ "coalesce(title, ch) = 'a'",
	  "(COALESCE(\"title\", CAST(\"ch\" AS text)) = 'a'::text)", NULL },
	/* date / timestamp / timestamptz: the cross-type operators */
	{ "d < tsn and d >= ts and tsn <> ts",
	  "((\"d\" < \"tsn\") AND (\"d\" >= \"ts\") AND (\"tsn\" <> \"ts\"))", NULL },
	{ "d is distinct from tsn", "(\"d\" IS DISTINCT FROM \"tsn\")", NULL },
	{ "d = '2024-01-01 10:00'", "(\"d\" = '2024-01-01'::date)", NULL },
	/* unknown || int4 is text || anynonarray */
	{ "'x' || id = 'x42'", "(('x'::text || \"id\") = 'x42'::text)", NULL },
	{ "id || 'x' = '1x'", "((\"id\" || 'x'::text) = '1x'::text)", NULL },
	{ "ints || '{2}' = ints", "((\"ints\" || '{2}'::int4[]) = \"ints\")", NULL },
	{ "j || j is null", NULL,
	  "At location 2: Could not select an operator overload" },
	/* IN: column-free items (2+) as one array test, others one by one;
	 * BETWEEN: each comparison resolved on its own */
	{ "f4 in (0.1)", "(\"f4\" IN ('0.1'::float8))", NULL },
	{ "f4 not in (0.1)", "(\"f4\" NOT IN ('0.1'::float8))", NULL },
	{ "f4 in (0.1, 0.2)", "(\"f4\" IN ('0.1'::float4, '0.2'::float4))", NULL },
	{ "ch in (vc, title)",
	  "(\"ch\" IN (CAST(\"vc\" AS bpchar), \"title\"))", NULL },
	{ "'5' in (id, big, 7)",
	  "(('5'::int4 = \"id\") OR ('5'::int8 = \"big\") OR ('5'::int4 = '7'::int4))",
	  NULL },
	{ "id not in (1, 2, big)",
	  "(\"id\" NOT IN ('1'::int4, '2'::int4, \"big\"))", NULL },
	{ "d in ('2024-01-01'::timestamp, '2024-01-02'::timestamp)",
	  "(\"d\" IN ('2024-01-01 00:00:00'::timestamp, "
	  "'2024-01-02 00:00:00'::timestamp))", NULL },
	{ "f4 between 0.1 and f",
	  "(\"f4\" BETWEEN '0.1'::float8 AND \"f\")", NULL },
	/* numeric: not a cast target (§10.2); where_sql spells it "numeric" */
	{ "id::numeric = 1", NULL, "At location 2: unsupported type numeric" },
	{ "CAST(id AS decimal) = 1", NULL,
	  "At location 0: unsupported type numeric" },
	{ "'1.5'::numeric = price", NULL,
	  "At location 5: unsupported type numeric" },
	{ "id::pg_catalog.numeric = 1", NULL,
	  "At location 2: unsupported type numeric" },
	{ "f::\"numeric\" = 1", NULL, "At location 1: unsupported type numeric" },
	{ "title || 1 = 'a1'", "((\"title\" || '1'::int4) = 'a1'::text)", NULL },
	{ "lower(title) like 'a%'",
	  "(lower(\"title\" COLLATE \"C\") ~~ 'a%'::text)", NULL },
	{ "title ilike 'A%'", "(\"title\" COLLATE \"C\" ~~* 'A%'::text)", NULL },
	{ "like(title, 'a%')", "(\"title\" ~~ 'a%'::text)", NULL },
	{ "id = $1 and title = $2",
	  "((\"id\" = '5'::int4) AND (\"title\" = 'o''k'::text))", NULL },
	{ "title = $2 or title = $2 || 'x'",
	  "((\"title\" = 'o''k'::text) OR (\"title\" = ('o''k'::text || 'x'::text)))",
	  NULL },
	{ "pt is null", "(\"pt\" IS NULL)", NULL },
	{ "id = -1 and id = - 3 and id = -(4)",
	  "((\"id\" = '-1'::int4) AND (\"id\" = '-3'::int4) AND (\"id\" = '-4'::int4))",
	  NULL },
	{ "ints[1] = 2", "((\"ints\")['1'::int4] = '2'::int4)", NULL },
	{ "ints[1:2] = '{1,2}'",
	  "((\"ints\")['1'::int4:'2'::int4] = '{1,2}'::int4[])", NULL },
	{ "ints[:2] = ints[2:]",
	  "((\"ints\")[:'2'::int4] = (\"ints\")['2'::int4:])", NULL },
	{ "coalesce(id, 2) = greatest(1, big)",
	  "(CAST(COALESCE(\"id\", '2'::int4) AS int8) = GREATEST('1'::int8, \"big\"))",
	  NULL },
	{ "greatest(title, 'b') = 'c'",
	  "(GREATEST(\"title\" COLLATE \"C\", 'b'::text) = 'c'::text)", NULL },
	{ "concat(title, id, done) = 'x'",
	  "(concat(\"title\", \"id\", \"done\") = 'x'::text)", NULL },
	{ "ts at time zone 'UTC' > '2020-01-01'",
	  "(timezone('UTC'::text, \"ts\") > '2020-01-01 00:00:00'::timestamp)", NULL },
	{ "iv = '1 day'", "(\"iv\" = 'P1D'::interval)", NULL },
	{ "\"We\"\"ird\" = 'it''s'", "(\"We\"\"ird\" = 'it''s'::text)", NULL },
	{ "\"été\" = 1", "(CAST(\"été\" AS int4) = '1'::int4)", NULL },
	{ "tags @> ARRAY['a'] and 'b' = ANY(tags)",
	  "((\"tags\" @> ARRAY['a'::text]) AND ('b'::text = ANY (\"tags\")))", NULL },
	{ "id = any('{1,2}') and id <> all(ints)",
	  "((\"id\" = ANY ('{1,2}'::int4[])) AND (\"id\" <> ALL (\"ints\")))", NULL },
	{ "ints || 1 = array_append(ints, 1)",
	  "((\"ints\" || '1'::int4) = (\"ints\" || '1'::int4))", NULL },
	{ "array_ndims(ints) = 1", "(array_ndims(\"ints\") = '1'::int4)", NULL },
	{ "int4('5') = id", "('5'::int4 = \"id\")", NULL },
	{ "CAST(id AS int8) = big", "(CAST(\"id\" AS int8) = \"big\")", NULL },
	{ "'{1}'::int4[] && ints", "('{1}'::int4[] && \"ints\")", NULL },
	{ "ARRAY[]::int4[] = ints", "('{}'::int4[] = \"ints\")", NULL },
	{ "done", "\"done\"", NULL },
	{ "'t'", "'t'::bool", NULL },
	{ "$1", NULL, NULL },	/* bool param "5": rejected under params */
	{ "done is not true and done is unknown",
	  "((\"done\" IS NOT TRUE) AND (\"done\" IS UNKNOWN))", NULL },
	{ "id is distinct from null",
	  "(\"id\" IS DISTINCT FROM NULL::int4)", NULL },
	{ "u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
	  "(\"u\" = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid)", NULL },
	{ "justify_days(iv) = iv", "(justify_days(\"iv\") = \"iv\")", NULL },
	{ "j = '{}'", "(\"j\" = '{}'::jsonb)", NULL },
	{ "d - 1 < d + 1", "((\"d\" - '1'::int4) < (\"d\" + '1'::int4))", NULL },
	{ "-id = +1 and @id = 1 and ~id = 1",
	  "(((- \"id\") = (+ '1'::int4)) AND ((@ \"id\") = '1'::int4) AND "
	  "((~ \"id\") = '1'::int4))", NULL },
	/* rejections */
	{ "x = 1", NULL, "At location 0: unknown reference x" },
	{ "id = 1 and items.id = 1", NULL,
	  "At location 11: unknown reference items.id" },
	{ "id = 1; select 1", NULL,
	  "At location 0: unescaped \";\" causing statement split" },
	{ "true order by 1", NULL,
	  "At location 0: malformed query ending with SQL clauses" },
	{ "true limit 1", NULL,
	  "At location 0: malformed query ending with SQL clauses" },
	{ "id + 1", NULL, "At location 3: WHERE clause must return a boolean" },
	{ "count(*) > 1", NULL,
	  "At location 0: aggregation is not supported in this context" },
	{ "id = 1 and now() > ts", NULL,
	  "At location 11: unknown or unsupported function now/0" },
	{ "random() > 0.5", NULL,
	  "At location 0: unknown or unsupported function random/0" },
	{ "current_date > d", NULL,
	  "At location 0: non-deterministic functions are not supported" },
	{ "B'01' = B'01'", NULL,
	  "At location 0: bit string literals are not supported" },
	{ "f::numeric = 1", NULL, "At location 1: unsupported type numeric" },
	{ "id::point is null", NULL, "At location 4: unsupported type point" },
	{ "id = 'abc'", NULL,
	  "At location 5: invalid input syntax for type integer: \"abc\"" },
	{ "mood = 'happy'", NULL,
	  "At location 7: invalid syntax for type enum mood: \"happy\"" },
	{ "mood in ('happy')", NULL,
	  "At location 9: invalid syntax for type enum mood: \"happy\"" },
	{ "$1 = $1::int8 and $1 = 2", NULL,
	  "At location 18: type conflict for $1: int8 vs int4" },
	{ "id = $3", NULL, "parameter $3 was not provided" },
	{ "pt = pt", NULL, "At location 3: Could not select an operator overload" },
	{ "j->>'a' = 'x'", NULL, "At location 1: unsupported operator" },
	{ "title = 1", NULL, "At location 6: Could not select an operator overload" },
	{ "iv > iv", NULL, "At location 3: Could not select an operator overload" },
	{ "id in (select 1)", NULL, "At location 3: subqueries are not supported" },
	{ "exists (select 1)", NULL, "At location 0: only `value IN (SELECT ...)` "
	  "sublinks are supported right now" },
	{ "case when done then true end", NULL,
	  "At location 0: CASE expressions are not supported" },
	{ "concat(variadic tags) = 'a'", NULL,
	  "At location 0: explicit VARIADIC is not supported" },
	{ "foo(id)", NULL, "At location 0: unknown or unsupported function foo/1" },
	{ "title collate \"en_US\" > 'a'", NULL,
	  "At location 6: COLLATE is not supported" },
	{ "id = 1 or", NULL, "At location 9: syntax error at end of input" },
	{ "'été' = 'x' and y", NULL, "At location 16: unknown reference y" },
	{ "(id = 1", NULL, "At location 7: syntax error at end of input" },
	{ "id = ' OR TRUE --", NULL,
	  "At location 5: unterminated quoted string at or near \"' OR TRUE --\"" },
	{ "title::varchar(3) = 'a'", NULL,
	  "At location 7: type modifiers are not supported" },
	{ "not id", NULL,
	  "At location 4: argument of NOT must be type boolean, not type integer" },
};

static void
check_compile(int i, const char *in, const char *want, const char *err)
{
	struct where *w = NULL, *w2 = NULL;
	struct where_err e;
	int r = where_compile(in, strlen(in), cols, NCOLS, params2, 2, &w, &e);

	if (want == NULL && err == NULL) {
		ck_assert_msg(r == -1 && strcmp(e.field, "params") == 0,
		    "case %d: %s", i, in);
		return;
	}
	if (err != NULL) {
		ck_assert_msg(r == -1, "case %d: %s compiled: %s", i, in,
		    r == 0 ? where_sql(w) : "");
		ck_assert_str_eq(e.msg, err);
		return;
	}
	ck_assert_msg(r == 0, "case %d: %s: %s", i, in, e.msg);
	ck_assert_str_eq(where_sql(w), want);
	/* the canonical SQL compiles to itself */
	r = where_compile(where_sql(w), strlen(where_sql(w)), cols, NCOLS, NULL,
	    0, &w2, &e);
	ck_assert_msg(r == 0, "round trip %d: %s", i, e.msg);
	ck_assert_str_eq(where_sql(w2), want);
	where_free(w2);
	where_free(w);
}

START_TEST(test_compile)
{
	check_compile(_i, compile_cases[_i].in, compile_cases[_i].want,
	    compile_cases[_i].err);
}
END_TEST

START_TEST(test_hostile)
{
	struct where *w;
	struct where_err e;
	char *big, *s;
	size_t n = 200000, i;
	char *p1[] = { "' OR TRUE --" }, *p2[] = { "a\\'b\"c é" };

	/* NUL inside */
	ck_assert_int_eq(where_compile("id = 1\0 or true", 15, cols, NCOLS,
	    NULL, 0, &w, &e), -1);
	ck_assert_str_eq(e.msg, "At location 6: invalid null byte");
	/* deep parens and long chains */
	big = malloc(n + 16);
	for (i = 0; i < n / 2; i++)
		big[i] = '(';
	strcpy(big + i, "true");
	ck_assert_int_eq(where_compile(big, strlen(big), cols, NCOLS, NULL, 0,
	    &w, &e), -1);
	s = big;
	for (i = 0; i + 8 < n; i += 7)
		memcpy(s + i, "-id + 1", 7);
	strcpy(s + i, " > 0");
	ck_assert_int_eq(where_compile(s, strlen(s), cols, NCOLS, NULL, 0,
	    &w, &e), -1);
	free(big);
	big = malloc(WHERE_MAX_TEXT + 2);
	memset(big, ' ', WHERE_MAX_TEXT + 1);
	ck_assert_int_eq(where_compile(big, WHERE_MAX_TEXT + 1, cols, NCOLS,
	    NULL, 0, &w, &e), -1);
	free(big);
	/* operands used twice (BETWEEN SYMMETRIC, IN) are shared, not
	 * copied: no exponential blow-up with nesting */
	big = xstrdup("id");
	for (i = 0; i < 60; i++) {
		s = xasprintf("(%s between symmetric 1 and id)::int4", big);
		free(big);
		big = s;
	}
	s = xasprintf("%s in (1, id, 2, big) and true", big);
	ck_assert_msg(where_compile(s, strlen(s), cols, NCOLS, NULL, 0, &w,
	    &e) == 0, "%s", e.msg);
	where_free(w);
	free(s);
	free(big);
	/* params cannot change the meaning */
	ck_assert_int_eq(where_compile("title = $1", 10, cols, NCOLS, p1, 1,
	    &w, &e), 0);
	ck_assert_str_eq(where_sql(w), "(\"title\" = ''' OR TRUE --'::text)");
	where_free(w);
	ck_assert_int_eq(where_compile("title = $1", 10, cols, NCOLS, p2, 1,
	    &w, &e), 0);
	ck_assert_str_eq(where_sql(w), "(\"title\" = 'a\\''b\"c é'::text)");
	where_free(w);
	ck_assert_int_eq(where_compile("id = $1", 7, cols, NCOLS, p1, 1,
	    &w, &e), -1);
	ck_assert_str_eq(e.field, "params");
	ck_assert_str_eq(e.msg,
	    "invalid input syntax for type integer: \"' OR TRUE --\"");
}
END_TEST

/* ---- evaluation ---- */

/* row: "col=value|col=value"; missing columns are NULL; "~" is TOAST. */
static void
make_row(const char *spec, struct change_val *row, char *buf)
{
	char *tok, *save, *eq;
	size_t i;

	for (i = 0; i < NCOLS; i++)
		row[i].kind = CHANGE_NULL;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, "|", &save); tok != NULL;
	    tok = strtok_r(NULL, "|", &save)) {
		eq = strchr(tok, '=');
		*eq = '\0';
		for (i = 0; i < NCOLS && strcmp(cols[i].name, tok) != 0; i++)
			;
		ck_assert_msg(i < NCOLS, "no column %s", tok);
		if (strcmp(eq + 1, "~") == 0) {
			row[i].kind = CHANGE_TOAST;
			continue;
		}
		row[i].kind = CHANGE_TEXT;
		row[i].s = eq + 1;
		row[i].len = (uint32_t)strlen(eq + 1);
	}
}

static const struct {
	const char	*where;
	const char	*row;
	int		 want;
} eval_cases[] = {
	{ "id = 1", "id=1", 1 }, { "id = 1", "id=2", 0 }, { "id = 1", "", 0 },
	{ "id <> 1", "", 0 }, { "not (id = 1)", "", 0 },
	{ "id = 1 or true", "", 1 }, { "id = 1 and false", "", 0 },
	{ "(id = 1 or title = 'a') is unknown", "title=b", 1 },
	{ "(id = 1 and title = 'a') is unknown", "title=b", 0 },
	{ "(id = 1 and title = 'a') is false", "title=b", 1 },
	{ "(id = 1) is not true", "", 1 }, { "(id = 1) is not false", "", 1 },
	{ "done", "done=t", 1 }, { "done", "done=f", 0 }, { "not done", "done=f", 1 },
	{ "done is true", "done=~", 0 }, { "done is unknown", "done=~", 1 },
	{ "id in (1, 2)", "id=2", 1 }, { "id in (1, null)", "id=2", 0 },
	{ "(id in (1, null)) is unknown", "id=2", 1 },
	{ "id not in (1, null)", "id=2", 0 }, { "id not in (1, 3)", "id=2", 1 },
	{ "(id not in (1, 3)) is unknown", "", 1 },
	{ "id is distinct from null", "id=1", 1 },
	{ "id is not distinct from null", "", 1 },
	{ "id is distinct from 1", "", 1 }, { "id is distinct from 1", "id=1", 0 },
	{ "id between 1 and 3", "id=3", 1 }, { "id between 3 and 1", "id=2", 0 },
	{ "id between symmetric 3 and 1", "id=2", 1 },
	{ "id not between 1 and 3", "id=4", 1 },
	{ "(id between null and 3) is unknown", "id=2", 1 },
	{ "id between null and 1", "id=2", 0 },
	{ "2 = any(ints)", "ints={1,2}", 1 }, { "3 = any(ints)", "ints={1,NULL}", 0 },
	{ "(3 = any(ints)) is unknown", "ints={1,NULL}", 1 },
	{ "3 <> all(ints)", "ints={}", 1 }, { "id = any(ints)", "ints={}", 0 },
	{ "(id = all(ints)) is unknown", "ints={1}", 1 },
	{ "3 > all(ints)", "ints={1,2}", 1 },
	{ "big = 5", "big=5", 1 }, { "big > id", "big=5|id=4", 1 },
	{ "id + 1 = 3", "id=2", 1 }, { "id * 2 = -4", "id=-2", 1 },
	{ "id + 1 > 0", "id=2147483647", 0 },		/* overflow: error */
	{ "not (id + 1 > 0)", "id=2147483647", 0 },
	{ "id / 0 = 1 or true", "id=1", 0 },		/* division by zero */
	{ "id / 2 = 3", "id=7", 1 }, { "id % 3 = 1", "id=7", 1 },
	{ "price = 1.5", "price=1.50", 1 }, { "price > 1", "price=1.0001", 1 },
	{ "price = 'NaN'", "price=NaN", 1 },
	{ "f = 0.1", "f=0.1", 1 }, { "f > 1e308", "f=Infinity", 1 },
	{ "f = 'NaN' and f > 1", "f=NaN", 1 },
	{ "title = 'abc'", "title=abc", 1 }, { "title < 'b'", "title=B", 1 },
	{ "title like 'a%c'", "title=abbc", 1 }, { "title like 'a_c'", "title=abbc", 0 },
	{ "title ilike 'A%'", "title=abc", 1 }, { "title not ilike 'A%'", "title=abc", 0 },
	{ "lower(title) = 'abc'", "title=ABC", 1 }, { "upper(title) = 'ABC'", "title=abc", 1 },
	{ "title || 'x' = 'ax'", "title=a", 1 },
	{ "(title || 'x') is null", "", 1 },
	{ "concat(title, 'x', id) = 'x1'", "id=1", 1 },
	{ "concat(done) = 't'", "done=t", 1 },
	{ "title || done = 'atrue'", "title=a|done=t", 1 },	/* ::text */
	{ "done || title = 'falsea'", "title=a|done=f", 1 },
	{ "coalesce(title, 'd') = 'd'", "", 1 },
	{ "greatest(id, 3, null) = 3", "id=1", 1 }, { "least(id, 3) = 1", "id=1", 1 },
	{ "greatest(id, null) is null", "", 1 },
	{ "vc = 'x'", "vc=x", 1 }, { "ch = 'ab'", "ch=ab  ", 1 },
	{ "ch::text = 'ab'", "ch=ab  ", 1 },
	{ "mood::text = 'happy'", "mood=happy", 1 }, { "mood = mood", "mood=a", 1 },
	{ "mood::text = m2::text", "mood=a|m2=a", 1 },
	{ "mood::text = m2::text", "mood=a|m2=b", 0 },
	{ "u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
	  "u=a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", 1 },
	{ "d = '2024-02-29'", "d=2024-02-29", 1 }, { "d + 1 = '2024-03-01'", "d=2024-02-29", 1 },
	{ "d - '2024-01-01' = 59", "d=2024-02-29", 1 },
	{ "ts > '2024-01-01'", "ts=2024-01-01 00:00:01+00", 1 },
	{ "ts = '2024-01-01 02:00+02'", "ts=2024-01-01 00:00:00+00", 1 },
	{ "d < ts", "d=2024-01-01|ts=2024-01-01 00:00:01+00", 1 },
	/* Postgres' overloads: float48eq, float48mul, bpchareq, dpow,
	 * date_lt_timestamp (overflow-safe), textanycat */
	{ "f4 = 0.1", "f4=0.1", 0 }, { "f4 = 0.5", "f4=0.5", 1 },
	{ "f4 = 0.1::float4", "f4=0.1", 1 },
	{ "f4 * 2 > 3.4e38", "f4=3.4028235e+38", 1 },
	{ "f4 in (0.1)", "f4=0.1", 0 }, { "f4 in (0.1, 0.2)", "f4=0.1", 1 },
	{ "f4 between 0.05 and 0.1", "f4=0.1", 0 },
	{ "f4 between 0.05 and 0.2", "f4=0.1", 1 },
	{ "ch = vc", "ch=abc  |vc=abc ", 1 }, { "ch in (vc, title)", "ch=ab  |vc=ab", 1 },
	{ "title = ch", "title=ab |ch=ab ", 0 },
	{ "coalesce(ch, title) = 'a'", "title=a  ", 1 },
	{ "d < tsn", "d=5874897-12-31|tsn=infinity", 1 },
	{ "d > tsn", "d=5874897-12-31|tsn=294276-12-31 23:59:59.999999", 1 },
	{ "d < ts", "d=5874897-12-31|ts=infinity", 1 },
	{ "d = tsn", "d=2024-01-01|tsn=2024-01-01 00:00:00", 1 },
	{ "d = tsn", "d=infinity|tsn=infinity", 1 },
	{ "d > tsn", "d=-infinity|tsn=4713-11-24 00:00:00 BC", 0 },
	{ "d is distinct from tsn", "d=2024-01-01|tsn=2024-01-01 00:00:00", 0 },
	{ "d in (tsn, ts)", "d=2024-01-01|ts=2024-01-01 00:00:00+00", 1 },
	{ "tsn = ts", "tsn=2024-01-01 02:00:00|ts=2024-01-01 02:00:00+00", 1 },
	{ "'x' || id = 'x42'", "id=42", 1 },
	{ "id not in (1, 2, big)", "id=3|big=3", 0 },
	{ "id not in (1, 2, big)", "id=3|big=4", 1 },
	{ "(id not in (1, 2, big)) is unknown", "id=3", 1 },
	{ "'5' in (id, big, 7)", "big=5", 1 },
	{ "d between tsn and ts", "d=2024-01-02|tsn=2024-01-01 00:00:00|"
	  "ts=2024-01-03 00:00:00+00", 1 },
	{ "d between symmetric ts and tsn", "d=2024-01-02|tsn=2024-01-01 00:00:00|"
	  "ts=2024-01-03 00:00:00+00", 1 },
	{ "d not between symmetric ts and tsn", "d=2024-01-02|tsn=2024-01-01 00:00:00|"
	  "ts=2024-01-03 00:00:00+00", 0 },
	{ "d between tsn and ts", "d=5874897-12-31|tsn=2024-01-01 00:00:00|"
	  "ts=infinity", 1 },
	{ "id ^ 2 = 49", "id=-7", 1 }, { "id ^ 0.5 = 3", "id=9", 1 },
	{ "price = f4", "price=0.5|f4=0.5", 1 },
	{ "ts - interval '1 day' < '2024-01-01'", "ts=2024-01-01 12:00:00+00", 1 },
	{ "iv = '1 day'", "iv=P1D", 1 }, { "iv = '24 hours'", "iv=P1D", 1 },
	{ "justify_hours(iv) = '1 day'", "iv=PT24H", 1 },
	{ "j = '{}'", "j={}", 1 },
	{ "pt is not null", "pt=(1,2)", 1 }, { "pt is null", "pt=~", 1 },
	{ "tags @> ARRAY['a']", "tags={a,b}", 1 }, { "tags @> '{c}'", "tags={a,b}", 0 },
	{ "'{a}' <@ tags", "tags={a}", 1 }, { "tags && '{x,b}'", "tags={a,b}", 1 },
	{ "tags = '{a,b}'", "tags={a,b}", 1 },
	{ "ints[2] = 2", "ints={1,2}", 1 }, { "ints[3] is null", "ints={1,2}", 1 },
	{ "ints[null] is null", "ints={1,2}", 1 },
	{ "ints[1:1] = '{1}'", "ints={1,2}", 1 },
	{ "ints[2:] = '{2}'", "ints={1,2}", 1 },
	{ "array_ndims(ints) = 1", "ints={1}", 1 },
	{ "array_ndims(ints) is null", "ints={}", 1 },
	{ "ints || 3 = '{1,3}'", "ints={1}", 1 },
	{ "0 || ints = '{0,1}'", "ints={1}", 1 },
	{ "ints || ints = '{1,1}'", "ints={1}", 1 },
	{ "array_cat(ints, null) = '{1}'", "ints={1}", 1 },
	{ "array_append(ints, 1) = '{1}'", "", 1 },
	{ "ARRAY[id, 2] = '{1,2}'", "id=1", 1 },
	{ "ARRAY[id, 2] = '{NULL,2}'", "", 1 },
	{ "ts at time zone 'UTC' = '2024-01-01'", "ts=2024-01-01 00:00:00+00", 1 },
	{ "\"été\" = 3", "été=3", 1 },
	{ "id = 1", "id=abc", 0 },				/* malformed value */
	{ "id = $1 and title = $2", "id=5|title=o'k", 1 },
};

START_TEST(test_eval)
{
	struct change_val row[NCOLS];
	struct where *w;
	struct where_err e;
	char buf[256];
	const char *in = eval_cases[_i].where;

	ck_assert_msg(where_compile(in, strlen(in), cols, NCOLS, params2, 2, &w,
	    &e) == 0, "%s: %s", in, e.msg);
	make_row(eval_cases[_i].row, row, buf);
	ck_assert_msg(where_eval(w, row) == eval_cases[_i].want,
	    "case %d: %s on %s: want %d (sql %s)", _i, in, eval_cases[_i].row,
	    eval_cases[_i].want, where_sql(w));
	/* and the same through the canonical SQL */
	where_free(w);
	in = eval_cases[_i].where;
	ck_assert(where_compile(in, strlen(in), cols, NCOLS, params2, 2, &w,
	    &e) == 0);
	{
		struct where *w2;
		const char *s = where_sql(w);

		ck_assert_msg(where_compile(s, strlen(s), cols, NCOLS, NULL, 0,
		    &w2, &e) == 0, "%s: %s", s, e.msg);
		ck_assert_int_eq(where_eval(w2, row), eval_cases[_i].want);
		where_free(w2);
	}
	where_free(w);
}
END_TEST

/* ---- index ---- */

static const struct {
	const char	*where;
	int		 kind;		/* -1: no term */
	int		 col;
	const char	*vals;		/* keys joined by '|' */
} term_cases[] = {
	{ "id = 1", WHERE_TERM_EQ, 0, "1" },
	{ "1 = id and title = 'x'", WHERE_TERM_EQ, 0, "1" },
	{ "title = 'x' and id = 1", WHERE_TERM_EQ, 1, "x" },
	{ "id in (3, 1, null)", WHERE_TERM_EQ, 0, "3|1" },
	{ "id not in (3)", -1, 0, NULL },
	{ "id = 1 or id = 2", -1, 0, NULL },
	{ "vc = 'x'", WHERE_TERM_EQ, 8, "x" },
	{ "ch = 'x  '", WHERE_TERM_EQ, 9, "x" },
	{ "price = 1.50", WHERE_TERM_EQ, 7, "15e0" },
	{ "big = 5", WHERE_TERM_EQ, 3, "5" },
	{ "f = 1", -1, 0, NULL },
	{ "ts = '2024-01-01'", -1, 0, NULL },
	{ "d = '2024-01-01'", WHERE_TERM_EQ, 10, "8766" },
	{ "done = true", WHERE_TERM_EQ, 2, "t" },
	{ "mood = mood", -1, 0, NULL },
	{ "u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", WHERE_TERM_EQ, 14,
	  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" },
	{ "'a' = any(tags)", WHERE_TERM_HAS, 4, "a" },
	{ "tags @> ARRAY['b', 'c']", WHERE_TERM_HAS, 4, "b" },
	{ "'{x}' <@ tags", WHERE_TERM_HAS, 4, "x" },
	{ "ints @> '{NULL,7}'", WHERE_TERM_HAS, 12, "7" },
	{ "id = $1", WHERE_TERM_EQ, 0, "5" },
	{ "id + 0 = 1", -1, 0, NULL },
	{ "d = '2024-01-01 10:00'::timestamp", -1, 0, NULL },	/* cross-type */
	{ "d in ('2024-01-01'::timestamp, '2024-01-02'::timestamp)", -1, 0, NULL },
};

START_TEST(test_term)
{
	struct where *w;
	struct where_err e;
	const struct where_term *t;
	const char *in = term_cases[_i].where;
	char buf[256];
	size_t i, n = 0;

	ck_assert_msg(where_compile(in, strlen(in), cols, NCOLS, params2, 2, &w,
	    &e) == 0, "%s: %s", in, e.msg);
	t = where_index_term(w);
	if (term_cases[_i].kind < 0) {
		ck_assert_msg(t == NULL, "%s has a term", in);
		where_free(w);
		return;
	}
	ck_assert_msg(t != NULL, "%s has no term", in);
	ck_assert_int_eq(t->kind, term_cases[_i].kind);
	ck_assert_int_eq(t->col, term_cases[_i].col);
	buf[0] = '\0';
	for (i = 0; i < t->nvals; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? "|" : "", t->vals[i]);
	ck_assert_str_eq(buf, term_cases[_i].vals);
	where_free(w);
}
END_TEST

START_TEST(test_keys)
{
	static const struct {
		struct where_col col;
		const char	*in;
		const char	*key;	/* NULL: -1 */
	} k[] = {
		{ { "a", "int4", 0, 0 }, "05", "5" },
		{ { "a", "int8", 0, 0 }, "-9223372036854775808",
		  "-9223372036854775808" },
		{ { "a", "numeric", 0, 0 }, "1.500", "15e0" },
		{ { "a", "numeric", 0, 0 }, "15", "15e1" },
		{ { "a", "numeric", 0, 0 }, "-0.00", "0" },
		{ { "a", "numeric", 0, 0 }, "0.015", "15e-2" },
		{ { "a", "bpchar", 0, 0 }, "ab  ", "ab" },
		{ { "a", "text", 0, 0 }, "ab  ", "ab  " },
		{ { "a", "bool", 0, 0 }, "true", "t" },
		{ { "a", "mood", 0, 1 }, "happy", "happy" },
		{ { "a", "float8", 0, 0 }, "1", NULL },
		{ { "a", "int4", 0, 0 }, "x", NULL },
		{ { "a", "char", 0, 0 }, "x", NULL },
	};
	struct sbuf out;
	size_t i;
	int r;

	sbuf_init(&out);
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		r = where_index_key(&k[i].col, k[i].in, strlen(k[i].in), &out);
		if (k[i].key == NULL)
			ck_assert_msg(r == -1, "%s", k[i].in);
		else {
			ck_assert_msg(r == 0, "%s", k[i].in);
			ck_assert_str_eq(out.p, k[i].key);
		}
	}
	sbuf_free(&out);
}
END_TEST

static int
collect(const char *e, size_t len, void *arg)
{
	struct sbuf *b = arg;

	sbuf_add(b, e, len);
	sbuf_addc(b, ';');
	return 0;
}

START_TEST(test_array_each)
{
	static const struct { const char *in, *want; } a[] = {
		{ "{}", "" }, { "{1,2}", "1;2;" }, { "{{1,2},{3,NULL}}", "1;2;3;" },
		{ "{\"a,b\",\"c\\\"d\",\" x \", y }", "a,b;c\"d; x ;y;" },
		{ "[0:1]={7,8}", "7;8;" }, { "{\"NULL\",null}", "NULL;" },
		{ "{1,2", NULL }, { "1,2", NULL }, { "{1,,2}", NULL },
		{ "{1}x", NULL },
	};
	struct sbuf b;
	size_t i;
	int r;

	sbuf_init(&b);
	for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		sbuf_reset(&b);
		r = where_array_each(a[i].in, strlen(a[i].in), collect, &b);
		if (a[i].want == NULL)
			ck_assert_msg(r == -1, "%s", a[i].in);
		else {
			ck_assert_msg(r == 0, "%s", a[i].in);
			ck_assert_str_eq(b.len > 0 ? b.p : "", a[i].want);
		}
	}
	sbuf_free(&b);
}
END_TEST

START_TEST(test_cols_used)
{
	struct where *w;
	struct where_err e;
	const uint8_t *u;

	ck_assert_int_eq(where_compile("title = 'a' or d is null", 24, cols,
	    NCOLS, NULL, 0, &w, &e), 0);
	u = where_cols_used(w);
	ck_assert(u[1] && u[10] && !u[0] && !u[2]);
	where_free(w);
}
END_TEST

Suite *
where_suite(void)
{
	Suite *s = suite_create("where");
	TCase *tc = tcase_create("where");

	tcase_add_loop_test(tc, test_compile, 0,
	    sizeof(compile_cases) / sizeof(compile_cases[0]));
	tcase_add_test(tc, test_hostile);
	tcase_add_loop_test(tc, test_eval, 0,
	    sizeof(eval_cases) / sizeof(eval_cases[0]));
	tcase_add_loop_test(tc, test_term, 0,
	    sizeof(term_cases) / sizeof(term_cases[0]));
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_array_each);
	tcase_add_test(tc, test_cols_used);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
