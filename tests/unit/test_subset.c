/*
 * test_subset: subset.h -- where / order_by validation and canonical SQL,
 * params, limit / offset, POST bodies and the MSG_SUBSET_REQ codec
 * (PROTOCOL.md §9, §10, §2.5).  Table-driven, hostile inputs included.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "subset.h"

Suite *subset_suite(void);

static char *cols[] = { "id", "title", "done", "B", "tags", "ts", "été" };
#define NCOLS	(sizeof(cols) / sizeof(cols[0]))
#define SCHEMA	"{\"id\":{\"type\":\"int4\",\"pk_index\":0},\"title\":{\"type\":" \
		"\"text\"},\"done\":{\"type\":\"bool\"},\"B\":{\"type\":\"int4\"}}"

/* want: canonical SQL, or NULL and err the exact message. */
static const struct {
	const char	*in;
	const char	*want;
	const char	*err;
} where_cases[] = {
	{ "id = 1", "id = 1", NULL },
	{ "  id=1  ", "id = 1", NULL },
	{ "id = 1 -- trailing comment", "id = 1", NULL },
	{ "id /* inline */ = 1", "id = 1", NULL },
	{ "true;", "true", NULL },
	{ "id IN (1,2,3) AND \"B\" like 'x%'",
	  "id IN (1, 2, 3) AND \"B\" LIKE 'x%'", NULL },
	{ "id NOT IN (1) OR title NOT ILIKE 'a%'",
	  "id NOT IN (1) OR title NOT ILIKE 'a%'", NULL },
	{ "id BETWEEN 1 AND 2", "id BETWEEN 1 AND 2", NULL },
	{ "id not between symmetric 2 and 1",
	  "id NOT BETWEEN SYMMETRIC 2 AND 1", NULL },
	{ "title is null and done is not true and id is distinct from 3",
	  "title IS NULL AND done IS NOT TRUE AND id IS DISTINCT FROM 3", NULL },
	{ "NOT done", "NOT done", NULL },
	{ "id = $1 and title = $2", "id = $1 AND title = $2", NULL },
	{ "id::text = '1'", "id::text = '1'", NULL },
	{ "CAST(id AS bigint) > 2", "id::bigint > 2", NULL },
	{ "ts::timestamp with time zone > '2024-01-01'",
	  "ts::timestamp with time zone > '2024-01-01'", NULL },
	{ "interval '1 day' > ts - ts", "'1 day'::interval > (ts - ts)", NULL },
	{ "tags @> ARRAY['a'] and tags[1] = 'b' and tags[1:2] <@ tags",
	  "tags @> ARRAY['a'] AND tags[1] = 'b' AND tags[1:2] <@ tags", NULL },
	{ "'{1}'::int4[] && tags", "'{1}'::int4[] && tags", NULL },
	{ "id = ANY($1) AND id <> ALL('{3}')",
	  "id = ANY($1) AND id <> ALL('{3}')", NULL },
	{ "lower(title) = upper(title)", "lower(title) = upper(title)", NULL },
	{ "coalesce(id, 1) = greatest(1, 2)",
	  "COALESCE(id, 1) = GREATEST(1, 2)", NULL },
	{ "ts AT TIME ZONE 'UTC' > '2020-01-01'",
	  "ts AT TIME ZONE 'UTC' > '2020-01-01'", NULL },
	{ "-id = +1", "(- id) = (+ 1)", NULL },
	{ "id & 1 = 1", "(id & 1) = 1", NULL },
	/* strings are re-quoted by the deparser, never spliced */
	{ "title = 'it''s'", "title = 'it''s'", NULL },
	{ "title = $$a'b$$", "title = 'a''b'", NULL },
	{ "title = $x$;DROP TABLE x$x$", "title = ';DROP TABLE x'", NULL },
	{ "title = 'é ☃ 😀'", "title = 'é ☃ 😀'", NULL },
	{ "\"été\" = 'x'", "\"été\" = 'x'", NULL },
	{ "\"B\" = 1", "\"B\" = 1", NULL },
	/* statement splitting and extra clauses */
	{ "1=1; DROP TABLE x", NULL, "unescaped \";\" causing statement split" },
	{ "true; SELECT 1", NULL, "unescaped \";\" causing statement split" },
	{ "true LIMIT 1", NULL, "malformed query ending with SQL clauses" },
	{ "true ORDER BY id", NULL, "malformed query ending with SQL clauses" },
	{ "true GROUP BY id", NULL, "malformed query ending with SQL clauses" },
	{ "true UNION SELECT 1", NULL, "malformed query ending with SQL clauses" },
	{ "true FOR UPDATE", NULL, "malformed query ending with SQL clauses" },
	/* syntax errors, located in the user's string */
	{ "' OR TRUE --", NULL,
	  "At location 0: unterminated quoted string at or near \"' OR TRUE --\"" },
	{ "true) OR (true", NULL, "At location 4: syntax error at or near \")\"" },
	{ "id = 1 /* never closed", NULL,
	  "At location 7: unterminated /* comment at or near \"/* never closed\"" },
	{ "'é' = ) x", NULL, "At location 6: syntax error at or near \")\"" },
	{ "id =", NULL, "At location 4: syntax error at end of input" },
	{ "", NULL, "At location 0: syntax error at end of input" },
	/* references */
	{ "foo = 1", NULL, "At location 0: unknown reference foo" },
	{ "title = 'é' AND nope > 3", NULL, "At location 16: unknown reference nope" },
	{ "items.id = 1", NULL, "At location 0: unknown reference items.id" },
	{ "public.items.id = 1", NULL,
	  "At location 0: unknown reference public.items.id" },
	{ "ID = 1", "id = 1", NULL },	/* folded to lower case */
	{ "\"Id\" = 1", NULL, "At location 0: unknown reference Id" },
	{ "b = 1", NULL, "At location 0: unknown reference b" },
	/* rejected constructs */
	{ "count(*) > 1", NULL,
	  "At location 0: aggregation is not supported in this context" },
	{ "sum(id) > 1", NULL,
	  "At location 0: aggregation is not supported in this context" },
	{ "lower(title) FILTER (WHERE true) = 'a'", NULL,
	  "At location 0: aggregation is not supported in this context" },
	{ "now() > ts", NULL, "At location 0: unknown or unsupported function now/0" },
	{ "pg_sleep(10) IS NULL", NULL,
	  "At location 0: unknown or unsupported function pg_sleep/1" },
	{ "evil.lower(title) = 'a'", NULL,
	  "At location 0: unknown or unsupported function lower/1" },
	{ "concat(VARIADIC tags) = 'a'", NULL,
	  "At location 0: explicit VARIADIC is not supported" },
	{ "current_date = ts", NULL,
	  "At location 0: non-deterministic functions are not supported" },
	{ "id IN (SELECT 1)", NULL,
	  "At location 3: subqueries are not supported in subset snapshots" },
	{ "EXISTS (SELECT 1)", NULL,
	  "At location 0: only `value IN (SELECT ...)` sublinks are supported right now" },
	{ "id::numeric = 1", NULL, "At location 4: unsupported type numeric" },
	{ "id::regclass = 1", NULL, "At location 4: unsupported type regclass" },
	{ "id = b'101'", NULL, "At location 5: bit string literals are not supported" },
	{ "title ->> 'a' = 'b'", NULL, "At location 6: unsupported operator ->>" },
	{ "title ~ 'x'", NULL, "At location 6: unsupported operator ~" },
	{ "title SIMILAR TO 'a'", NULL, "At location 6: unsupported operator SIMILAR TO" },
	{ "OPERATOR(pg_catalog.=)(id, 1)", NULL,
	  "At location 0: unsupported operator OPERATOR()" },
	{ "nullif(id, 1) = 1", NULL,
	  "At location 0: unknown or unsupported function nullif/2" },
	{ "CASE WHEN true THEN true END", NULL,
	  "At location 0: CASE expressions are not supported" },
	{ "(1, 2) = (id, id)", NULL, "At location 0: row constructors are not supported" },
	{ "title COLLATE \"C\" = 'a'", NULL, "At location 6: COLLATE is not supported" },
	{ "(title).x = 1", NULL, "At location 10: field selection is not supported" },
	{ "id = $0", NULL, "At location 5: parameter $0 is out of range" },
	{ "id = $1001", NULL, "At location 5: parameter $1001 is out of range" },
};

START_TEST(test_where)
{
	const char *in = where_cases[_i].in;
	char msg[512], *canon = NULL;
	int maxp, r;

	msg[0] = '\0';
	r = subset_where_canon(in, strlen(in), cols, NCOLS, &canon, &maxp, NULL,
	    msg, sizeof(msg));
	if (where_cases[_i].want != NULL) {
		ck_assert_msg(r == 0, "\"%s\": %s", in, msg);
		ck_assert_str_eq(canon, where_cases[_i].want);
		free(canon);
		/* canonical SQL is a fixed point */
		r = subset_where_canon(where_cases[_i].want,
		    strlen(where_cases[_i].want), cols, NCOLS, &canon, &maxp,
		    NULL, msg, sizeof(msg));
		ck_assert_msg(r == 0, "\"%s\": %s", where_cases[_i].want, msg);
		ck_assert_str_eq(canon, where_cases[_i].want);
		free(canon);
	} else {
		ck_assert_msg(r == -1, "\"%s\" accepted as %s", in,
		    canon != NULL ? canon : "?");
		ck_assert_str_eq(msg, where_cases[_i].err);
		ck_assert_ptr_null(canon);
	}
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
	const char	*err;
} order_cases[] = {
	{ "id", "id", NULL },
	{ "id DESC NULLS LAST, title", "id DESC NULLS LAST, title", NULL },
	{ "\"B\" asc nulls first", "\"B\" ASC NULLS FIRST", NULL },
	{ "lower(title)", NULL,
	  "At location 0: only column references are allowed in order_by" },
	{ "id::text", NULL,
	  "At location 2: only column references are allowed in order_by" },
	{ "$1", NULL, "At location 0: only column references are allowed in order_by" },
	{ "1", NULL, "At location 0: only column references are allowed in order_by" },
	{ "(SELECT 1)", NULL,
	  "At location 0: only column references are allowed in order_by" },
	{ "id; DROP TABLE x", NULL, "unescaped \";\" causing statement split" },
	{ "id LIMIT 1", NULL, "malformed query ending with SQL clauses" },
	{ "foo", NULL, "At location 0: unknown reference foo" },
	{ "items.id", NULL, "At location 0: unknown reference items.id" },
	{ "id USING <", NULL, "At location 9: ORDER BY USING is not supported" },
	{ "id,", NULL, "At location 3: syntax error at end of input" },
};

START_TEST(test_order)
{
	const char *in = order_cases[_i].in;
	char msg[512], *canon = NULL;
	int r;

	msg[0] = '\0';
	r = subset_order_canon(in, strlen(in), cols, NCOLS, &canon, msg,
	    sizeof(msg));
	if (order_cases[_i].want != NULL) {
		ck_assert_msg(r == 0, "\"%s\": %s", in, msg);
		ck_assert_str_eq(canon, order_cases[_i].want);
		free(canon);
	} else {
		ck_assert_msg(r == -1, "\"%s\" accepted as %s", in,
		    canon != NULL ? canon : "?");
		ck_assert_str_eq(msg, order_cases[_i].err);
	}
}
END_TEST

/* Inputs that must fail cleanly (no crash, no canonical output). */
START_TEST(test_where_hostile)
{
	static const char nul[] = "id = 1\0 OR true";
	static const char bad_utf8[] = "title = '\xc3\x28'";
	char msg[512], *canon = NULL, *big;
	size_t i, n;
	int maxp;

	ck_assert_int_eq(subset_where_canon(nul, sizeof(nul) - 1, cols, NCOLS,
	    &canon, &maxp, NULL, msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "At location 6: invalid null byte");
	ck_assert_int_eq(subset_where_canon(bad_utf8, strlen(bad_utf8), cols,
	    NCOLS, &canon, &maxp, NULL, msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "At location 9: invalid UTF-8");

	/* huge input */
	n = SUBSET_MAX_TEXT + 1;
	big = malloc(n);
	memset(big, ' ', n);
	ck_assert_int_eq(subset_where_canon(big, n, cols, NCOLS, &canon, &maxp,
	    NULL, msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "is too long");

	/* left-deep binary chain: the parser would recurse 100k levels */
	n = 0;
	memcpy(big, "id", 2), n = 2;
	for (i = 0; i < 100000; i++)
		memcpy(big + n, "+1", 2), n += 2;
	ck_assert_int_eq(subset_where_canon(big, n, cols, NCOLS, &canon, &maxp,
	    NULL, msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "expression is too complex");

	/* deep but under the text bound: rejected by the walk or jansson */
	n = 0;
	for (i = 0; i < 5000; i++)
		memcpy(big + n, "NOT ", 4), n += 4;
	memcpy(big + n, "done", 4), n += 4;
	ck_assert_int_eq(subset_where_canon(big, n, cols, NCOLS, &canon, &maxp,
	    NULL, msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "expression is too deeply nested");

	/* parenthesis nesting beyond the parser's stack */
	n = 0;
	for (i = 0; i < 20000; i++)
		big[n++] = '(';
	memcpy(big + n, "true", 4), n += 4;
	for (i = 0; i < 20000; i++)
		big[n++] = ')';
	ck_assert_int_eq(subset_where_canon(big, n, cols, NCOLS, &canon, &maxp,
	    NULL, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "At location") == msg, "%s", msg);

	/* a long flat list is fine */
	n = 0;
	memcpy(big, "id IN (0", 8), n = 8;
	for (i = 0; i < 20000; i++)
		memcpy(big + n, ",1", 2), n += 2;
	big[n++] = ')';
	ck_assert_int_eq(subset_where_canon(big, n, cols, NCOLS, &canon, &maxp,
	    NULL, msg, sizeof(msg)), 0);
	free(canon);
	free(big);
}
END_TEST

START_TEST(test_where_params_used)
{
	const char *w = "id = $3 OR id = $1";
	char msg[256], *canon;
	uint8_t *used;
	int maxp;

	ck_assert_int_eq(subset_where_canon(w, strlen(w), cols, NCOLS, &canon,
	    &maxp, &used, msg, sizeof(msg)), 0);
	ck_assert_int_eq(maxp, 3);
	ck_assert(used[0] && !used[1] && used[2]);
	free(canon);
	free(used);
	w = "true";
	ck_assert_int_eq(subset_where_canon(w, strlen(w), cols, NCOLS, &canon,
	    &maxp, &used, msg, sizeof(msg)), 0);
	ck_assert_int_eq(maxp, 0);
	ck_assert_ptr_null(used);
	free(canon);
}
END_TEST

#define T(s)	{ s, sizeof(s) - 1 }
#define NO	{ NULL, 0 }

/* GET inputs: where, params, order_by, limit, offset. */
static const struct {
	struct subset_input	 in;
	const char		*field;		/* NULL: accepted */
	const char		*err;
} query_cases[] = {
	{ { NO, NO, NO, NO, NO }, NULL, NULL },
	{ { T("id = $1"), T("{\"1\":\"5\"}"), T("id"), T("10"), T("0") }, NULL, NULL },
	{ { T("id = $1"), T("{\"1\":5}"), NO, NO, NO }, NULL, NULL },
	{ { T("id = $1"), NO, NO, NO, NO }, "where",
	  "parameter $1 was not provided" },
	{ { T("id = $1 or id = $3"), T("{\"1\":\"a\",\"2\":\"b\"}"), NO, NO, NO },
	  "where", "parameter $3 was not provided" },
	{ { NO, T("{\"2\":\"a\"}"), NO, NO, NO }, "params",
	  "Parameters must be numbered sequentially, starting from 1" },
	{ { NO, T("{\"1\":\"a\",\"01\":\"b\"}"), NO, NO, NO }, "params",
	  "Parameters must be numbered sequentially, starting from 1" },
	{ { NO, T("{\"0\":\"a\"}"), NO, NO, NO }, "params",
	  "Parameters must be numbered sequentially, starting from 1" },
	{ { NO, T("{\"a\":\"x\"}"), NO, NO, NO }, "params",
	  "Parameters can only use numbers as keys" },
	{ { NO, T("{\"-1\":\"x\"}"), NO, NO, NO }, "params",
	  "Parameters can only use numbers as keys" },
	{ { NO, T("[\"x\"]"), NO, NO, NO }, "params", "is invalid" },
	{ { NO, T("{\"1\":\"x\""), NO, NO, NO }, "params", "is invalid" },
	{ { NO, T("{\"1\":null}"), NO, NO, NO }, "params", "is invalid" },
	{ { NO, T("{\"1\":{}}"), NO, NO, NO }, "params", "is invalid" },
	{ { NO, T("{\"1\":\"a\\u0000b\"}"), NO, NO, NO }, "params", "is invalid" },
	{ { NO, NO, T("id"), T("0"), NO }, "limit", "must be greater than 0" },
	{ { NO, NO, T("id"), T("-5"), NO }, "limit", "must be greater than 0" },
	{ { NO, NO, T("id"), T("1.5"), NO }, "limit", "is invalid" },
	{ { NO, NO, T("id"), T(""), NO }, "limit", "is invalid" },
	{ { NO, NO, T("id"), T("99999999999999999999"), NO }, "limit", "is invalid" },
	{ { NO, NO, T("id"), NO, T("-1") }, "offset",
	  "must be greater than or equal to 0" },
	{ { NO, NO, T("id"), NO, T("x") }, "offset", "is invalid" },
	{ { NO, NO, NO, T("10"), NO }, "order_by",
	  "order_by is required when limit or offset is present" },
	{ { NO, NO, NO, NO, T("0") }, "order_by",
	  "order_by is required when limit or offset is present" },
	{ { NO, NO, T("nope"), NO, NO }, "order_by",
	  "At location 0: unknown reference nope" },
	{ { T("nope"), NO, NO, NO, NO }, "where",
	  "At location 0: unknown reference nope" },
};

START_TEST(test_query)
{
	struct subset s;
	struct subset_err e;
	int r;

	memset(&e, 0, sizeof(e));
	r = subset_from_query(&query_cases[_i].in, SCHEMA, &s, &e);
	if (query_cases[_i].field == NULL) {
		ck_assert_msg(r == 0, "case %d: %s: %s", _i, e.field, e.msg);
		subset_free(&s);
		return;
	}
	ck_assert_msg(r == -1, "case %d accepted", _i);
	ck_assert_str_eq(e.field, query_cases[_i].field);
	ck_assert_str_eq(e.msg, query_cases[_i].err);
}
END_TEST

START_TEST(test_query_values)
{
	struct subset_input in = { T(" id > $1 AND title <> $2 "),
	    T("{\"2\":\"it's\",\"1\":7}"), T("id desc"), T("10"), T("5") };
	struct subset s;
	struct subset_err e;

	ck_assert_int_eq(subset_from_query(&in, SCHEMA, &s, &e), 0);
	ck_assert_str_eq(s.where, "id > $1 AND title <> $2");
	ck_assert_str_eq(s.order_by, "id DESC");
	ck_assert_uint_eq(s.nparams, 2);
	ck_assert_str_eq(s.params[0], "7");
	ck_assert_str_eq(s.params[1], "it's");
	ck_assert_uint_eq(s.limit, 10);
	ck_assert_uint_eq(s.offset, 5);
	subset_free(&s);
	/* a column outside the shape's schema */
	in = (struct subset_input){ T("tags = '{}'"), NO, NO, NO, NO };
	ck_assert_int_eq(subset_from_query(&in, SCHEMA, &s, &e), -1);
	ck_assert_str_eq(e.msg, "At location 0: unknown reference tags");
	ck_assert_int_eq(subset_from_query(&in, "not json", &s, &e), -1);
	ck_assert_str_eq(e.field, "where");
}
END_TEST

static const struct {
	const char	*body;
	int		 is_subset;
	const char	*field;		/* NULL: accepted */
	const char	*where;		/* expected canonical where */
} body_cases[] = {
	{ "{}", 0, NULL, NULL },
	{ "{\"foo\":1}", 0, NULL, NULL },
	{ "{\"where\":\"id = $1\",\"params\":{\"1\":\"3\"},\"limit\":10,"
	  "\"offset\":0,\"order_by\":\"id\"}", 1, NULL, "id = $1" },
	{ "{\"subset\":{\"where\":\"done\",\"where_expr\":{}}}", 1, NULL, "done" },
	{ "{\"where_expr\":{\"type\":\"x\"}}", 1, NULL, NULL },
	{ "{\"limit\":\"7\",\"order_by\":\"id\"}", 1, NULL, NULL },
	{ "{\"limit\":1.5,\"order_by\":\"id\"}", 1, "limit", NULL },
	{ "{\"limit\":0,\"order_by\":\"id\"}", 1, "limit", NULL },
	{ "{\"offset\":-1,\"order_by\":\"id\"}", 1, "offset", NULL },
	{ "{\"limit\":5}", 1, "order_by", NULL },
	{ "{\"where\":5}", 1, "where", NULL },
	{ "{\"where\":\"id = 1 \\u0000 OR true\"}", 1, "where", NULL },
	{ "{\"order_by\":[\"id\"]}", 1, "order_by", NULL },
	{ "{\"params\":[\"a\"]}", 1, "params", NULL },
	{ "{\"params\":{\"1\":true,\"2\":1.5}, \"where\":\"done = $1 and "
	  "id < $2\"}", 1, NULL, "done = $1 AND id < $2" },
	{ "[1]", 0, "subset", NULL },
	{ "not json", 0, "subset", NULL },
};

START_TEST(test_body)
{
	const char *b = body_cases[_i].body;
	struct subset s;
	struct subset_err e;
	int r;

	ck_assert_int_eq(subset_body_is_subset(b, strlen(b)),
	    body_cases[_i].is_subset);
	memset(&e, 0, sizeof(e));
	r = subset_from_body(b, strlen(b), SCHEMA, &s, &e);
	if (body_cases[_i].field != NULL) {
		ck_assert_msg(r == -1, "%s accepted", b);
		ck_assert_str_eq(e.field, body_cases[_i].field);
		return;
	}
	ck_assert_msg(r == 0, "%s: %s: %s", b, e.field, e.msg);
	if (body_cases[_i].where == NULL)
		ck_assert_ptr_null(s.where);
	else
		ck_assert_str_eq(s.where, body_cases[_i].where);
	subset_free(&s);
}
END_TEST

START_TEST(test_codec)
{
	struct subset_input in = { T("title = $1"),
	    T("{\"1\":\"quote \\\" and \\\\ and \\u00e9\"}"), T("id"), T("3"), NO };
	struct subset s, back;
	struct subset_err e;
	struct mbuf mb;

	ck_assert_int_eq(subset_from_query(&in, SCHEMA, &s, &e), 0);
	mbuf_init(&mb);
	subset_encode(&s, &mb);
	ck_assert_int_eq(subset_decode(mb.p, mb.len, &back), 0);
	ck_assert_str_eq(back.where, "title = $1");
	ck_assert_str_eq(back.order_by, "id");
	ck_assert_uint_eq(back.nparams, 1);
	ck_assert_str_eq(back.params[0], "quote \" and \\ and é");
	ck_assert_uint_eq(back.limit, 3);
	ck_assert_uint_eq(back.offset, SUBSET_NONE);
	subset_free(&back);
	/* truncated payloads never decode */
	ck_assert_int_eq(subset_decode(mb.p, mb.len - 1, &back), -1);
	ck_assert_int_eq(subset_decode(mb.p, 3, &back), -1);
	mbuf_free(&mb);
	subset_free(&s);
	/* an empty request */
	subset_free(&s);
	mbuf_init(&mb);
	subset_encode(&s, &mb);
	ck_assert_int_eq(subset_decode(mb.p, mb.len, &back), 0);
	ck_assert_ptr_null(back.where);
	ck_assert_ptr_null(back.order_by);
	ck_assert_uint_eq(back.nparams, 0);
	ck_assert_uint_eq(back.limit, SUBSET_NONE);
	subset_free(&back);
	mbuf_free(&mb);
}
END_TEST

Suite *
subset_suite(void)
{
	Suite *s = suite_create("subset");
	TCase *tc = tcase_create("subset");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_where, 0,
	    sizeof(where_cases) / sizeof(where_cases[0]));
	tcase_add_loop_test(tc, test_order, 0,
	    sizeof(order_cases) / sizeof(order_cases[0]));
	tcase_add_test(tc, test_where_hostile);
	tcase_add_test(tc, test_where_params_used);
	tcase_add_loop_test(tc, test_query, 0,
	    sizeof(query_cases) / sizeof(query_cases[0]));
	tcase_add_test(tc, test_query_values);
	tcase_add_loop_test(tc, test_body, 0,
	    sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_test(tc, test_codec);
	suite_add_tcase(s, tc);
	return s;
}
