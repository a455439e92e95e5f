/*
 * test_http_body: POST /v1/shape bodies (http/body.c, PROTOCOL.md §9,
 * §15): empty and whitespace bodies are plain requests, objects with a
 * subset key (flat or nested under "subset") are subset requests, other
 * objects are plain; non-objects, invalid JSON (including bad UTF-8 and
 * NUL bytes) and bodies over the limit get the exact §15 errors.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "body.h"

Suite *http_body_suite(void);

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOT_OBJECT "{\"error\":\"Request body must be a JSON object\"}"
#define TOO_LARGE "{\"error\":\"Request body too large\"}"
#define BAD_JSON NULL		/* "Invalid JSON in request body" + details */

static const struct {
	const char		*in;
	size_t			 len;	/* 0: strlen(in) */
	enum http_body_kind	 kind;
	int			 status;
	const char		*err;
} body_cases[] = {
	{ "", 0, HTTP_BODY_PLAIN, 0, NULL },
	{ " \r\n\t ", 0, HTTP_BODY_PLAIN, 0, NULL },
	{ "{}", 0, HTTP_BODY_PLAIN, 0, NULL },
	{ "{\"foo\":1,\"table\":\"x\"}", 0, HTTP_BODY_PLAIN, 0, NULL },
	{ "{\"where\":\"id = 1\"}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ " {\"limit\":1} ", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"params\":{\"1\":\"a\"}}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"offset\":0}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"order_by\":\"id\"}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"where_expr\":{}}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"order_by_expr\":[]}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"subset\":{\"where\":\"id = 1\",\"order_by\":\"id\"}}", 0,
	    HTTP_BODY_SUBSET, 0, NULL },
	{ "{\"where\":null}", 0, HTTP_BODY_SUBSET, 0, NULL },
	{ "[1,2]", 0, HTTP_BODY_ERROR, 400, NOT_OBJECT },
	{ "\"where\"", 0, HTTP_BODY_ERROR, 400, NOT_OBJECT },
	{ "42", 0, HTTP_BODY_ERROR, 400, NOT_OBJECT },
	{ "null", 0, HTTP_BODY_ERROR, 400, NOT_OBJECT },
	{ "true", 0, HTTP_BODY_ERROR, 400, NOT_OBJECT },
	{ "{bad", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{\"where\":", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{\"where\":\"id = 1\"} x", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{\"where\":\"id = 1\"}{}", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "\xc3\xbf", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "\xff", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{\"where\":\"\xff\"}", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{\"where\":\"a\\u0000b\"}", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{\"where\":\"a\"}\0", 14, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "\0", 1, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "{'where':1}", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
	{ "[", 0, HTTP_BODY_ERROR, 400, BAD_JSON },
};

START_TEST(test_classify)
{
	const char *in = body_cases[_i].in;
	size_t len = body_cases[_i].len ? body_cases[_i].len : strlen(in);
	enum http_body_kind k;
	json_t *v;
	char *err;
	int status;

	k = http_body_classify(in, len, 4096, &status, &err);
	ck_assert_msg(k == body_cases[_i].kind, "case %d: kind %d", _i, k);
	if (k != HTTP_BODY_ERROR) {
		ck_assert_ptr_null(err);
		return;
	}
	ck_assert_int_eq(status, body_cases[_i].status);
	ck_assert_ptr_nonnull(err);
	if (body_cases[_i].err != NULL) {
		ck_assert_str_eq(err, body_cases[_i].err);
	} else {
		/* the error body itself is valid JSON with a string detail */
		v = json_loads(err, 0, NULL);
		ck_assert_msg(v != NULL, "case %d: %s", _i, err);
		ck_assert_str_eq(json_string_value(json_object_get(v, "error")),
		    "Invalid JSON in request body");
		ck_assert(json_is_string(json_object_get(v, "details")));
		json_decref(v);
	}
	free(err);
}
END_TEST

START_TEST(test_too_large)
{
	size_t n = 5000;
	char *p = malloc(n);
	char *err;
	int status;

	memset(p, ' ', n);
	p[0] = '{';
	p[n - 1] = '}';
	/* over the limit: 413 before any parsing */
	ck_assert_int_eq(http_body_classify(p, n, n - 1, &status, &err),
	    HTTP_BODY_ERROR);
	ck_assert_int_eq(status, 413);
	ck_assert_str_eq(err, TOO_LARGE);
	free(err);
	/* exactly at the limit: parsed */
	ck_assert_int_eq(http_body_classify(p, n, n, &status, &err),
	    HTTP_BODY_PLAIN);
	ck_assert_ptr_null(err);
	/* even whitespace over the limit is too large */
	memset(p, ' ', n);
	ck_assert_int_eq(http_body_classify(p, n, 10, &status, &err),
	    HTTP_BODY_ERROR);
	ck_assert_int_eq(status, 413);
	free(err);
	free(p);
}
END_TEST

Suite *
http_body_suite(void)
{
	Suite *s = suite_create("http_body");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_classify, 0, N(body_cases));
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);
	return s;
}
