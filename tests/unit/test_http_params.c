/*
 * test_http_params: table-driven tests of http/params.c and http/ident.c:
 * route normalisation, query decoding with hostile input, authentication,
 * the exact §2.2 error bodies, §2.3 table parsing, DELETE parameters
 * (§14.2), and the cursor / ETag / handle helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ident.h"
#include "params.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define INVALID(f, m) "{\"message\":\"Invalid request\",\"errors\":{\"" f \
    "\":[\"" m "\"]}}"

/* ---- request targets ---- */

static const struct {
	const char	*raw;
	const char	*path;
	const char	*query;		/* NULL: absent */
} target_cases[] = {
	{ "/v1/shape?table=items&offset=-1", "/v1/shape", "table=items&offset=-1" },
	{ "//v1/shape?table=x", "//v1/shape", "table=x" },
	{ "//v1//shape/", "//v1//shape/", NULL },
	{ "/v1/shape?", "/v1/shape", "" },
	{ "/v1/shape?a=1#frag", "/v1/shape", "a=1" },
	{ "/v1/shape#frag?x", "/v1/shape", NULL },
	{ "?a=b", "/", "a=b" },
	{ "", "/", NULL },
	{ "/p?a?b=c", "/p", "a?b=c" },
	{ "http://example.com/v1/shape?x=1", "/v1/shape", "x=1" },
	{ "HTTPS://example.com:443", "/", NULL },
	{ "http://h?q", "/", "q" },
	{ "*", "*", NULL },
};

START_TEST(test_target)
{
	char *path, *query;

	http_target_split(target_cases[_i].raw, &path, &query);
	ck_assert_str_eq(path, target_cases[_i].path);
	if (target_cases[_i].query == NULL)
		ck_assert_ptr_null(query);
	else
		ck_assert_str_eq(query, target_cases[_i].query);
	free(path);
	free(query);
}
END_TEST

/* ---- routes ---- */

static const struct {
	const char	*path;
	int		 rc;
	enum http_route	 route;
} route_cases[] = {
	{ "/", 0, HTTP_ROUTE_ROOT },
	{ "", 0, HTTP_ROUTE_ROOT },
	{ "//", 0, HTTP_ROUTE_ROOT },
	{ "/v1/shape", 0, HTTP_ROUTE_SHAPE },
	{ "/v1/shape/", 0, HTTP_ROUTE_SHAPE },
	{ "/v1//shape", 0, HTTP_ROUTE_SHAPE },
	{ "/v1/shape//", 0, HTTP_ROUTE_SHAPE },
	{ "//v1///shape", 0, HTTP_ROUTE_SHAPE },
	{ "/v1/%73hape", 0, HTTP_ROUTE_SHAPE },
	{ "/%76%31/%73%68%61%70%65", 0, HTTP_ROUTE_SHAPE },
	{ "/v1/health", 0, HTTP_ROUTE_HEALTH },
	{ "/v1/health/", 0, HTTP_ROUTE_HEALTH },
	{ "/v1/shape/x", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/shapes", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/V1/shape", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/v1%2Fshape", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/sh+ape", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/nope", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/a/b/c/d/e/f/g", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/./shape", 0, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/sh%zzape", -1, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/shape%", -1, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/shape%4", -1, HTTP_ROUTE_NOT_FOUND },
	{ "/%", -1, HTTP_ROUTE_NOT_FOUND },
	{ "/v1/shape%00", 0, HTTP_ROUTE_NOT_FOUND },
};

START_TEST(test_route)
{
	enum http_route r = HTTP_ROUTE_ROOT;
	int rc;

	rc = http_route_parse(route_cases[_i].path, &r);
	ck_assert_msg(rc == route_cases[_i].rc, "%s: rc %d",
	    route_cases[_i].path, rc);
	if (rc == 0)
		ck_assert_msg(r == route_cases[_i].route, "%s: route %d",
		    route_cases[_i].path, r);
}
END_TEST

/* ---- query decoding ---- */

static const struct {
	const char	*qs;
	int		 rc;
	size_t		 n;
	const char	*key;		/* looked up with http_query_get */
	const char	*sub;
	const char	*val;
	size_t		 vlen;
} query_cases[] = {
	{ NULL, 0, 0, NULL, NULL, NULL, 0 },
	{ "", 0, 0, NULL, NULL, NULL, 0 },
	{ "&&&", 0, 0, NULL, NULL, NULL, 0 },
	{ "a=1&b=2", 0, 2, "b", NULL, "2", 1 },
	{ "a=x+y", 0, 1, "a", NULL, "x y", 3 },
	{ "a%2Bb=c%20d", 0, 1, "a+b", NULL, "c d", 3 },
	{ "a+b=1", 0, 1, "a b", NULL, "1", 1 },
	{ "a=1&a=2&a=3", 0, 3, "a", NULL, "3", 1 },
	{ "params%5B1%5D=x", 0, 1, "params", "1", "x", 1 },
	{ "params[2]=y&params[1]=x", 0, 2, "params", "1", "x", 1 },
	{ "params[]=x", 0, 1, "params", "", "x", 1 },
	{ "[1]=x", 0, 1, "[1]", NULL, "x", 1 },
	{ "a]=x", 0, 1, "a]", NULL, "x", 1 },
	{ "flag", 0, 1, "flag", NULL, "", 0 },
	{ "=x", 0, 1, "", NULL, "x", 1 },
	{ "a==b", 0, 1, "a", NULL, "=b", 2 },
	{ "a=%00b", 0, 1, "a", NULL, "\0b", 2 },
	{ "table=%22Foo%22.%22bar%22", 0, 1, "table", NULL, "\"Foo\".\"bar\"", 11 },
	{ "a=%E2%82%AC", 0, 1, "a", NULL, "\xe2\x82\xac", 3 },
	{ "a=%zz", -1, 0, NULL, NULL, NULL, 0 },
	{ "a=%2", -1, 0, NULL, NULL, NULL, 0 },
	{ "a=%", -1, 0, NULL, NULL, NULL, 0 },
	{ "a=1&b=%G1", -1, 0, NULL, NULL, NULL, 0 },
	{ "%=1", -1, 0, NULL, NULL, NULL, 0 },
	{ "a%2=1", -1, 0, NULL, NULL, NULL, 0 },
	{ "a=%%41", -1, 0, NULL, NULL, NULL, 0 },
};

START_TEST(test_query)
{
	const struct http_qparam *qp;
	struct http_query q;
	int rc;

	rc = http_query_parse(query_cases[_i].qs, &q);
	ck_assert_msg(rc == query_cases[_i].rc, "%s: rc %d",
	    query_cases[_i].qs ? query_cases[_i].qs : "(null)", rc);
	ck_assert_uint_eq(q.n, query_cases[_i].n);
	if (query_cases[_i].key != NULL) {
		qp = http_query_get(&q, query_cases[_i].key);
		ck_assert_ptr_nonnull(qp);
		if (query_cases[_i].sub == NULL)
			ck_assert_ptr_null(qp->sub);
		else
			ck_assert_str_eq(qp->sub, query_cases[_i].sub);
		ck_assert_uint_eq(qp->vlen, query_cases[_i].vlen);
		ck_assert(memcmp(qp->val, query_cases[_i].val, qp->vlen) == 0);
		ck_assert(qp->val[qp->vlen] == '\0');
	}
	http_query_free(&q);
}
END_TEST

START_TEST(test_query_brackets)
{
	struct http_query q;
	size_t i;
	int seen = 0;

	ck_assert_int_eq(http_query_parse("params[2]=b&params%5B1%5D=a&x=1", &q), 0);
	for (i = 0; i < q.n; i++) {
		if (strcmp(q.v[i].key, "params") != 0)
			continue;
		ck_assert_ptr_nonnull(q.v[i].sub);
		if (strcmp(q.v[i].sub, "1") == 0) {
			ck_assert_str_eq(q.v[i].val, "a");
			seen |= 1;
		}
		if (strcmp(q.v[i].sub, "2") == 0) {
			ck_assert_str_eq(q.v[i].val, "b");
			seen |= 2;
		}
	}
	ck_assert_int_eq(seen, 3);
	http_query_free(&q);
}
END_TEST

START_TEST(test_query_limits)
{
	struct http_query q;
	struct sbuf b;
	int i;

	sbuf_init(&b);
	for (i = 0; i < HTTP_QUERY_MAX_PARAMS; i++)
		sbuf_addf(&b, "k%d=v&", i);
	ck_assert_int_eq(http_query_parse(b.p, &q), 0);
	ck_assert_uint_eq(q.n, HTTP_QUERY_MAX_PARAMS);
	http_query_free(&q);
	sbuf_adds(&b, "one=more");
	ck_assert_int_eq(http_query_parse(b.p, &q), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_int_eq(http_query_parse("a=1&b=%x1", &q), -1);
	ck_assert_int_eq(errno, EINVAL);
	sbuf_free(&b);
}
END_TEST

/* ---- authentication ---- */

static const struct {
	const char	*qs;
	int		 insecure;
	const char	*secret;
	int		 ok;
} auth_cases[] = {
	{ "table=a", 1, NULL, 1 },
	{ "table=a", 0, "s3cret", 0 },
	{ "secret=s3cret", 0, "s3cret", 1 },
	{ "api_secret=s3cret", 0, "s3cret", 1 },
	{ "secret=wrong&api_secret=s3cret", 0, "s3cret", 0 },
	{ "secret=s3cret&api_secret=wrong", 0, "s3cret", 1 },
	{ "secret=s3cre", 0, "s3cret", 0 },
	{ "secret=s3crett", 0, "s3cret", 0 },
	{ "secret=", 0, "s3cret", 0 },
	{ "secret=s3cret%00", 0, "s3cret", 0 },
	{ "secret[x]=s3cret", 0, "s3cret", 0 },
	{ "secret=a+b", 0, "a b", 1 },
	{ "secret=wrong&secret=s3cret", 0, "s3cret", 1 },
	{ "Secret=s3cret", 0, "s3cret", 0 },
};

START_TEST(test_auth)
{
	struct http_query q;

	ck_assert_int_eq(http_query_parse(auth_cases[_i].qs, &q), 0);
	ck_assert_msg(http_auth_ok(&q, auth_cases[_i].insecure,
	    auth_cases[_i].secret) == auth_cases[_i].ok, "%s", auth_cases[_i].qs);
	http_query_free(&q);
}
END_TEST

/* ---- validation (§2.2) ---- */

static const struct {
	const char	*qs;
	const char	*body;		/* NULL: valid */
} validate_cases[] = {
	/* stage 2: casts */
	{ "table=a&offset=-1&replica=bogus", INVALID("replica", "is invalid") },
	{ "table=a&offset=-1&log=everything", INVALID("log", "is invalid") },
	{ "table=a&offset=-1&params=x", INVALID("params", "is invalid") },
	{ "table[x]=a&offset=-1", INVALID("table", "is invalid") },
	{ "table=a&offset[0]=-1", INVALID("offset", "is invalid") },
	{ "table=a&offset=-1%000", INVALID("offset", "is invalid") },
	{ "table=a&offset=0_0&handle=h%00x", INVALID("handle", "is invalid") },
	/* stage 3: offset */
	{ "table=items", INVALID("offset", "can't be blank") },
	{ "table=items&offset=", INVALID("offset", "can't be blank") },
	{ "table=items&offset=abc", INVALID("offset", "has invalid format") },
	{ "table=items&offset=10", INVALID("offset", "has invalid format") },
	{ "table=items&offset=0_-1", INVALID("offset", "has invalid format") },
	{ "table=items&offset=1_2_3", INVALID("offset", "has invalid format") },
	{ "table=items&offset=1_2+", INVALID("offset", "has invalid format") },
	{ "table=items&offset=10_32.1", INVALID("offset", "has invalid format") },
	{ "table=items&offset=-2", INVALID("offset", "has invalid format") },
	{ "offset=abc", INVALID("offset", "has invalid format") },
	/* stage 4: handle */
	{ "table=items&offset=0_0", INVALID("handle",
	    "can't be blank when offset != -1") },
	{ "table=items&offset=0_02&handle=", INVALID("handle",
	    "can't be blank when offset != -1") },
	/* stage 5, 6: live */
	{ "table=items&offset=-1&live=true", INVALID("live",
	    "can't be true when offset == -1") },
	{ "table=items&offset=-1&live", INVALID("live",
	    "can't be true when offset == -1") },
	{ "table=items&offset=now&live=1", INVALID("live",
	    "can't be true when offset is 'now'") },
	{ "table=items&offset=0_0&handle=h&live_sse=true", INVALID("live_sse",
	    "can't be true unless live is also true") },
	{ "table=items&offset=0_0&handle=h&experimental_live_sse=true",
	    INVALID("live_sse", "can't be true unless live is also true") },
	{ "table=items&offset=0_0&handle=h&live=false&live_sse", INVALID(
	    "live_sse", "can't be true unless live is also true") },
	/* stage 7: table */
	{ "offset=-1", INVALID("table", "can't be blank") },
	{ "offset=-1&table=", INVALID("table", "can't be blank") },
	{ "offset=-1&table=.x", INVALID("table",
	    "Invalid zero-length delimited identifier") },
	{ "offset=-1&table=a.b.c", INVALID("table",
	    "Invalid relation identifier, too many delimiters: a.b.c") },
	{ "offset=-1&table=a%0Ab", INVALID("table",
	    "Invalid unquoted identifier contains special characters: a\\nb") },
	{ "offset=-1&table=%22a%22b%22", INVALID("table",
	    "Invalid identifier with unescaped quote: \\\"a\\\"b\\\"") },
	{ "offset=-1&table=%FF", INVALID("table",
	    "Invalid identifier: not valid UTF-8") },
	{ "offset=-1&table=a%00", INVALID("table", "is invalid") },
	/* definition syntax (§2.4, §2.5); the rest is shapecache's */
	{ "table=items&offset=-1&where=id%3D1", NULL },
	{ "table=items&offset=-1&columns=%22id%22", NULL },
	{ "table=items&offset=-1&params%5B1%5D=x", NULL },
	{ "table=items&offset=-1&replica=full", NULL },
	{ "table=items&offset=-1&columns=id,", INVALID("columns",
	    "Invalid zero-length delimited identifier") },
	{ "table=items&offset=-1&columns=id,%22%22", INVALID("columns",
	    "Invalid zero-length delimited identifier") },
	{ "table=items&offset=-1&columns=id,a-b", INVALID("columns",
	    "Invalid unquoted identifier contains special characters: a-b") },
	{ "table=items&offset=-1&params%5Bx%5D=1", INVALID("params",
	    "Parameters can only use numbers as keys") },
	{ "table=items&offset=-1&params%5B-1%5D=1", INVALID("params",
	    "Parameters can only use numbers as keys") },
	{ "table=items&offset=-1&params%5B2%5D=x", INVALID("params",
	    "Parameters must be numbered sequentially, starting from 1") },
	{ "table=items&offset=-1&params%5B0%5D=x", INVALID("params",
	    "Parameters must be numbered sequentially, starting from 1") },
	{ "table=items&offset=-1&params%5B1%5D=a&params%5B3%5D=c", INVALID(
	    "params", "Parameters must be numbered sequentially, starting "
	    "from 1") },
	{ "table=items&offset=-1&params%5B1%5D=a%00b", INVALID("params",
	    "Parameter values must not contain NUL characters") },
	{ "table=items&offset=-1&where=a%00b", INVALID("where", "is invalid") },
	/* order: the first failing stage wins */
	{ "replica=x&live=true", INVALID("replica", "is invalid") },
	{ "offset=0_0&live=true", INVALID("handle",
	    "can't be blank when offset != -1") },
	{ "offset=-1&live=true&table=.x", INVALID("live",
	    "can't be true when offset == -1") },
	{ "offset=-1&table=.x&where=1", INVALID("table",
	    "Invalid zero-length delimited identifier") },
	/* valid */
	{ "table=items&offset=-1", NULL },
	{ "table=items&offset=-1&handle=ignored", NULL },
	{ "table=items&offset=now", NULL },
	{ "table=items&offset=0_02&handle=h", NULL },
	{ "table=items&offset=-1_0", NULL },
	{ "table=items&offset=0_inf&handle=h&live=true&cursor=", NULL },
	{ "table=items&offset=26800584_4&handle=h&live=true&live_sse=true", NULL },
	{ "table=items&offset=1_0&handle=h&live=true&experimental_live_sse=true",
	    NULL },
	{ "table=items&offset=-1&live=false", NULL },
	{ "table=items&offset=-1&log=changes_only", NULL },
	/* subset__* are validated later, against the shape's columns */
	{ "table=items&offset=-1&subset__limit=1", NULL },
	{ "table=items&offset=-1&subset__where=x&subset__foo[1]=y", NULL },
	{ "table=items&offset=-1&%FF__=1", NULL },
	{ "table=items&offset=-1&replica=default&log=full", NULL },
	{ "table=items&offset=-1&replica=&log=&where=", NULL },
	{ "table=items&offset=-1&columns=", INVALID("columns",
	    "Invalid zero-length delimited identifier") },
	{ "table=items&offset=-1&cursor=1&expired_handle=x&cache-buster=y&foo=z",
	    NULL },
	{ "table=items&offset=-1&offset=abc&offset=0_0&handle=h", NULL },
	{ "columns=%22id%22%2C%22title%22&log=full&offset=-1&table=items"
	    "&replica=default", NULL },
	{ "columns=%22a%2Cb%22,%22x%22%22y%22,Z&offset=-1&table=items", NULL },
};

START_TEST(test_validate)
{
	struct shape_params p;
	struct http_query q;
	char *body = NULL;
	int rc;

	ck_assert_int_eq(http_query_parse(validate_cases[_i].qs, &q), 0);
	rc = http_params_validate(&q, &p, &body);
	if (validate_cases[_i].body == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", validate_cases[_i].qs, body);
		ck_assert_ptr_nonnull(p.table);
		ck_assert_str_eq(p.schema_name, "public");
		ck_assert_str_eq(p.table_name, "items");
		if (p.offset_kind != OFFSET_REAL)
			ck_assert_ptr_null(p.handle);
		else
			ck_assert_str_eq(p.handle, "h");
		http_params_free(&p);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", validate_cases[_i].qs);
		ck_assert_str_eq(body, validate_cases[_i].body);
		ck_assert_ptr_null(p.table);
		free(body);
	}
	http_query_free(&q);
}
END_TEST

/* columns (§2.4), params (§2.5), where, replica as shapecache gets them */
START_TEST(test_validate_definition)
{
	struct shape_params p;
	struct http_query q;
	char *body;

	ck_assert_int_eq(http_query_parse("table=items&offset=-1&columns="
	    "%22a%2Cb%22,%22x%22%22y%22,Z,%22Id%22&params%5B2%5D=two&"
	    "params%5B1%5D=one&params%5B1%5D=uno&where=a+%3D+%241&replica=full",
	    &q), 0);
	ck_assert_int_eq(http_params_validate(&q, &p, &body), 0);
	ck_assert_uint_eq(p.ncolumns, 4);
	ck_assert_str_eq(p.columns[0], "a,b");
	ck_assert_str_eq(p.columns[1], "x\"y");
	ck_assert_str_eq(p.columns[2], "z");
	ck_assert_str_eq(p.columns[3], "Id");
	ck_assert_uint_eq(p.nparams, 2);
	ck_assert_str_eq(p.params[0], "uno");	/* the last one wins */
	ck_assert_str_eq(p.params[1], "two");
	ck_assert_str_eq(p.where, "a = $1");
	ck_assert_int_eq(p.replica_full, 1);
	http_params_free(&p);
	http_query_free(&q);
}
END_TEST

START_TEST(test_validate_fields)
{
	struct shape_params p;
	struct http_query q;
	char *body;

	ck_assert_int_eq(http_query_parse("table=%22Foo%22&offset=0_02&"
	    "handle=abc&live&live_sse=false&experimental_live_sse=true&"
	    "cursor=42", &q), 0);
	ck_assert_int_eq(http_params_validate(&q, &p, &body), 0);
	ck_assert_int_eq(p.offset_kind, OFFSET_REAL);
	ck_assert_uint_eq(p.offset.tx, 0);
	ck_assert_uint_eq(p.offset.op, 2);
	ck_assert_str_eq(p.handle, "abc");
	ck_assert_int_eq(p.live, 1);
	ck_assert_int_eq(p.live_sse, 0);
	ck_assert_str_eq(p.cursor, "42");
	ck_assert_str_eq(p.table, "\"Foo\"");
	ck_assert_str_eq(p.table_name, "Foo");
	http_params_free(&p);
	http_query_free(&q);
}
END_TEST

START_TEST(test_log_mode)
{
	static const struct {
		const char	*qs;
		int		 mode;
	} c[] = {
		{ "table=items&offset=-1", 0 },
		{ "table=items&offset=-1&log=full", 0 },
		{ "table=items&offset=-1&log=", 0 },
		{ "table=items&offset=-1&log=changes_only", 1 },
		{ "table=items&offset=-1&log=full&log=changes_only", 1 },
		{ "table=items&offset=-1&log=changes_only&log=full", 0 },
	};
	struct shape_params p;
	struct http_query q;
	char *body;
	size_t i;

	for (i = 0; i < N(c); i++) {
		ck_assert_int_eq(http_query_parse(c[i].qs, &q), 0);
		ck_assert_int_eq(http_params_validate(&q, &p, &body), 0);
		ck_assert_msg(p.log_mode == c[i].mode, "%s", c[i].qs);
		http_params_free(&p);
		http_query_free(&q);
	}
}
END_TEST

/* ---- DELETE (§14.2) ---- */

static const struct {
	const char	*qs;
	const char	*body;		/* NULL: valid */
	const char	*table;		/* expected p.table, p.handle */
	const char	*handle;
	int		 log_mode;
} delete_cases[] = {
	{ "table=items", NULL, "items", NULL, 0 },
	{ "handle=h1", NULL, NULL, "h1", 0 },
	{ "table=items&handle=h1&log=changes_only", NULL, "items", "h1", 1 },
	{ "table=items&offset=-1&live=true", NULL, "items", NULL, 0 },
	{ "table=&handle=h", NULL, NULL, "h", 0 },
	{ "", INVALID("handle",
	    "can't be blank when shape definition is missing"), NULL, NULL, 0 },
	{ "table=&handle=", INVALID("handle",
	    "can't be blank when shape definition is missing"), NULL, NULL, 0 },
	{ "log=changes_only", INVALID("handle",
	    "can't be blank when shape definition is missing"), NULL, NULL, 0 },
	{ "table=.x", INVALID("table",
	    "Invalid zero-length delimited identifier"), NULL, NULL, 0 },
	{ "table=items&log=bogus", INVALID("log", "is invalid"), NULL, NULL, 0 },
	{ "handle[x]=h", INVALID("handle", "is invalid"), NULL, NULL, 0 },
	{ "table=items&where=id%3D1", NULL, "items", NULL, 0 },
	{ "table=items&columns=a,", INVALID("columns",
	    "Invalid zero-length delimited identifier"), NULL, NULL, 0 },
};

START_TEST(test_delete)
{
	struct shape_params p;
	struct http_query q;
	char *body = NULL;
	int rc;

	ck_assert_int_eq(http_query_parse(delete_cases[_i].qs, &q), 0);
	rc = http_delete_validate(&q, &p, &body);
	if (delete_cases[_i].body != NULL) {
		ck_assert_msg(rc == -1, "%s: accepted", delete_cases[_i].qs);
		ck_assert_str_eq(body, delete_cases[_i].body);
		ck_assert_ptr_null(p.table);
		ck_assert_ptr_null(p.handle);
		free(body);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", delete_cases[_i].qs, body);
		if (delete_cases[_i].table == NULL)
			ck_assert_ptr_null(p.table);
		else
			ck_assert_str_eq(p.table, delete_cases[_i].table);
		if (delete_cases[_i].handle == NULL)
			ck_assert_ptr_null(p.handle);
		else
			ck_assert_str_eq(p.handle, delete_cases[_i].handle);
		ck_assert_int_eq(p.log_mode, delete_cases[_i].log_mode);
		http_params_free(&p);
	}
	http_query_free(&q);
}
END_TEST

/* ---- table parsing (§2.3) ---- */

static const struct {
	const char	*in;
	const char	*schema;	/* NULL: error */
	const char	*table;		/* or the error message */
} table_cases[] = {
	{ "items", "public", "items" },
	{ "Foo", "public", "foo" },
	{ "\"Foo\"", "public", "Foo" },
	{ "public.items", "public", "items" },
	{ "MySchema.MyTable", "myschema", "mytable" },
	{ "\"foo.woah\".\"bar\"", "foo.woah", "bar" },
	{ "\"a\"\"b\"", "public", "a\"b" },
	{ "\"a b\"", "public", "a b" },
	{ "\"with.dot\"", "public", "with.dot" },
	{ "_x1$", "public", "_x1$" },
	{ "\xc3\xa9t\xc3\xa9", "public", "\xc3\xa9t\xc3\xa9" },	/* été */
	{ "\xc3\x89T\xc3\x89", "public", "\xc3\x89t\xc3\x89" },	/* ÉTÉ: ASCII folded only */
	{ "e\xcc\x81t", "public", "e\xcc\x81t" },	/* combining mark inside */
	{ "\xe4\xb8\xad\xe6\x96\x87", "public", "\xe4\xb8\xad\xe6\x96\x87" },
	{ "\"\"", NULL, "Invalid zero-length delimited identifier" },
	{ ".x", NULL, "Invalid zero-length delimited identifier" },
	{ "x.", NULL, "Invalid zero-length delimited identifier" },
	{ ".", NULL, "Invalid zero-length delimited identifier" },
	{ "\"\".x", NULL, "Invalid zero-length delimited identifier" },
	{ "a.b.c", NULL, "Invalid relation identifier, too many delimiters: a.b.c" },
	{ "a..b", NULL, "Invalid relation identifier, too many delimiters: a..b" },
	{ "1abc", NULL, "Invalid unquoted identifier contains special characters: 1abc" },
	{ "$abc", NULL, "Invalid unquoted identifier contains special characters: $abc" },
	{ "a-b", NULL, "Invalid unquoted identifier contains special characters: a-b" },
	{ "a b", NULL, "Invalid unquoted identifier contains special characters: a b" },
	{ "items;drop", NULL, "Invalid unquoted identifier contains special characters: items;drop" },
	{ "\"Foo", NULL, "Invalid unquoted identifier contains special characters: \"Foo" },
	{ "Foo\"", NULL, "Invalid unquoted identifier contains special characters: Foo\"" },
	{ "\"", NULL, "Invalid unquoted identifier contains special characters: \"" },
	{ "\xcc\x81x", NULL, "Invalid unquoted identifier contains special characters: \xcc\x81x" },
	{ "a\xe2\x80\x94" "b", NULL, "Invalid unquoted identifier contains special characters: a\xe2\x80\x94" "b" },
	{ "\"a\"b\"", NULL, "Invalid identifier with unescaped quote: \"a\"b\"" },
	{ "\"a\"\"\"b\"", NULL, "Invalid identifier with unescaped quote: \"a\"\"\"b\"" },
	{ "\xff", NULL, "Invalid identifier: not valid UTF-8" },
	{ "\xc0\xaf", NULL, "Invalid identifier: not valid UTF-8" },	/* overlong */
	{ "\xed\xa0\x80", NULL, "Invalid identifier: not valid UTF-8" },	/* surrogate */
	{ "a\xe2\x82", NULL, "Invalid identifier: not valid UTF-8" },	/* truncated */
	{ "\"a\xf4\x90\x80\x80\"", NULL, "Invalid identifier: not valid UTF-8" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "public", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    NULL, "Identifier is too long (max length is 63)" },
	{ "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	    NULL, "Identifier is too long (max length is 63)" },
	{ "s.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    NULL, "Identifier is too long (max length is 63)" },
};

START_TEST(test_table)
{
	char *schema, *table, *err;
	int rc;

	rc = http_table_parse(table_cases[_i].in, strlen(table_cases[_i].in),
	    &schema, &table, &err);
	if (table_cases[_i].schema != NULL) {
		ck_assert_msg(rc == 0, "%s: %s", table_cases[_i].in, err);
		ck_assert_str_eq(schema, table_cases[_i].schema);
		ck_assert_str_eq(table, table_cases[_i].table);
		ck_assert_ptr_null(err);
		free(schema);
		free(table);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", table_cases[_i].in);
		ck_assert_ptr_null(schema);
		ck_assert_ptr_null(table);
		ck_assert_str_eq(err, table_cases[_i].table);
		free(err);
	}
}
END_TEST

START_TEST(test_table_nul)
{
	char *schema, *table, *err;

	ck_assert_int_eq(http_table_parse("a\0b", 3, &schema, &table, &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);
	ck_assert_int_eq(http_table_parse("\"a\0b\"", 5, &schema, &table, &err), -1);
	free(err);
}
END_TEST

/* ---- response helpers ---- */

START_TEST(test_cursor)
{
	uint64_t e = HTTP_CURSOR_EPOCH;

	ck_assert_uint_eq(http_cursor_next(20000, e + 1, NULL, 0), 20);
	ck_assert_uint_eq(http_cursor_next(20000, e + 20, NULL, 0), 20);
	ck_assert_uint_eq(http_cursor_next(20000, e + 21, "", 0), 40);
	ck_assert_uint_eq(http_cursor_next(20000, e + 21, "junk", 0), 40);
	ck_assert_uint_eq(http_cursor_next(20000, e + 21, "39", 0), 40);
	/* the client already holds this window: move past it */
	ck_assert_uint_eq(http_cursor_next(20000, e + 21, "40", 0), 41);
	ck_assert_uint_eq(http_cursor_next(20000, e + 21, "40", 3599), 3640);
	ck_assert_uint_eq(http_cursor_next(20000, e + 21, "40", 3600), 41);
	ck_assert_uint_eq(http_cursor_next(999, e + 21, NULL, 0), 0);
	ck_assert_uint_eq(http_cursor_next(20000, 0, NULL, 0), 1);
	ck_assert_uint_eq(http_cursor_next(20000, e + 21,
	    "99999999999999999999999", 0), 40);
	ck_assert_uint_eq(http_cursor_next(20000, e + 1733000000, NULL, 0) % 20, 0);
}
END_TEST

static const struct {
	const char	*inm;
	int		 match;
} etag_cases[] = {
	{ NULL, 0 },
	{ "", 0 },
	{ "\"h:-1:0_0\"", 1 },
	{ "h:-1:0_0", 1 },
	{ "  \"h:-1:0_0\"  ", 1 },
	{ "W/\"h:-1:0_0\"", 1 },
	{ "\"x\", \"h:-1:0_0\"", 1 },
	{ "\"x\",\"y\"", 0 },
	{ "\"h:-1:0_0:1\"", 0 },
	{ "\"h:-1:0_\"", 0 },
	{ ",,,", 0 },
	{ "\"", 0 },
	{ "*", 0 },
};

START_TEST(test_etag)
{
	ck_assert_int_eq(http_etag_match(etag_cases[_i].inm, "h:-1:0_0"),
	    etag_cases[_i].match);
}
END_TEST

START_TEST(test_handle_ok)
{
	ck_assert(http_handle_ok("3833821-1721812114261123"));
	ck_assert(http_handle_ok("a_B-9"));
	ck_assert(!http_handle_ok(""));
	ck_assert(!http_handle_ok(".."));
	ck_assert(!http_handle_ok("a/b"));
	ck_assert(!http_handle_ok("../../etc"));
	ck_assert(!http_handle_ok("a b"));
}
END_TEST

START_TEST(test_invalid_body)
{
	char *b = http_invalid_body("table", "quote \" and \\ and \n");

	ck_assert_str_eq(b, "{\"message\":\"Invalid request\",\"errors\":"
	    "{\"table\":[\"quote \\\" and \\\\ and \\n\"]}}");
	free(b);
}
END_TEST

Suite *http_params_suite(void);

Suite *
http_params_suite(void)
{
	Suite *s = suite_create("http_params");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_target, 0, N(target_cases));
	tcase_add_loop_test(tc, test_route, 0, N(route_cases));
	tcase_add_loop_test(tc, test_query, 0, N(query_cases));
	tcase_add_test(tc, test_query_brackets);
	tcase_add_test(tc, test_query_limits);
	tcase_add_loop_test(tc, test_auth, 0, N(auth_cases));
	tcase_add_loop_test(tc, test_validate, 0, N(validate_cases));
	tcase_add_test(tc, test_validate_fields);
	tcase_add_test(tc, test_validate_definition);
	tcase_add_test(tc, test_log_mode);
	tcase_add_loop_test(tc, test_delete, 0, N(delete_cases));
	tcase_add_loop_test(tc, test_table, 0, N(table_cases));
	tcase_add_test(tc, test_table_nul);
	tcase_add_test(tc, test_cursor);
	tcase_add_loop_test(tc, test_etag, 0, N(etag_cases));
	tcase_add_test(tc, test_handle_ok);
	tcase_add_test(tc, test_invalid_body);
	suite_add_tcase(s, tc);
	return s;
}
