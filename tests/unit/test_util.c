/*
 * test_util: sbuf, JSON string escaping (table-driven, exact output),
 * hashing and the small filesystem helpers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "proc.h"
#include "util.h"

/* Process titles over the argv/environ area (the forked consumer's): the
 * environment moves out first and still reads the same; the title is one
 * NUL-terminated string, cut to the area; the rest of the area is NULs.
 * Runs in its own forked process (CK_FORK): it replaces environ. */
START_TEST(test_proc_title)
{
	extern char **environ;
	static char area[] = "prog\0-x\0A=1\0BB=22\0";
	char *argv[] = { area, area + 5, NULL };
	char *env[] = { area + 8, area + 12, NULL };
	size_t i;

	environ = env;
	proc_title_init(2, argv);
	ck_assert_ptr_ne(environ, env);
	ck_assert_str_eq(getenv("A"), "1");
	ck_assert_str_eq(getenv("BB"), "22");
	proc_title_set("t %s", "x");
	ck_assert_str_eq(area, "t x");
	for (i = 3; i < sizeof(area); i++)
		ck_assert_int_eq(area[i], '\0');
	ck_assert_str_eq(getenv("BB"), "22");	/* not in the area any more */
	proc_title_set("electricd: consumer --role consumer --shape %s", "H");
	ck_assert_uint_eq(strlen(area), sizeof(area) - 2);	/* the whole area */
	ck_assert_int_eq(strncmp(area, "electricd: consumer", sizeof(area) - 2), 0);
}
END_TEST

Suite *util_suite(void);

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char	*in;
	size_t		 n;
	const char	*out;
} json_cases[] = {
	{ S(""), "\"\"" },
	{ S("plain text"), "\"plain text\"" },
	{ S("say \"hi\""), "\"say \\\"hi\\\"\"" },
	{ S("a\\b"), "\"a\\\\b\"" },
	{ S("/"), "\"/\"" },
	{ S("l1\nl2\r\t\b\f"), "\"l1\\nl2\\r\\t\\b\\f\"" },
	{ S("\x01\x1f"), "\"\\u0001\\u001f\"" },
	{ S("\x0b\x1b"), "\"\\u000b\\u001b\"" },
	{ S(" \x7f"), "\" \x7f\"" },
	{ S("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	  "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ S("a\0b"), "\"a\\u0000b\"" },
	{ S("\0"), "\"\\u0000\"" },
	{ S("\"\\\""), "\"\\\"\\\\\\\"\"" },
};

START_TEST(test_json_str)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_add_json_str(&b, json_cases[_i].in, json_cases[_i].n);
	ck_assert_str_eq(b.p, json_cases[_i].out);
	ck_assert_uint_eq(b.len, strlen(json_cases[_i].out));
	sbuf_free(&b);
}
END_TEST

/* Appends after existing content; only n bytes are read. */
START_TEST(test_json_str_append)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "{\"k\":");
	sbuf_add_json_str(&b, "value-and-more", 5);
	sbuf_addc(&b, '}');
	ck_assert_str_eq(b.p, "{\"k\":\"value\"}");
	sbuf_free(&b);
}
END_TEST

START_TEST(test_sbuf)
{
	struct sbuf b;
	int i;

	sbuf_init(&b);
	sbuf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	sbuf_addu64(&b, 0);
	sbuf_addc(&b, ' ');
	sbuf_addu64(&b, UINT64_MAX);
	sbuf_addf(&b, " %s-%d", "x", 42);
	ck_assert_str_eq(b.p, "0 18446744073709551615 x-42");
	sbuf_reset(&b);
	ck_assert_str_eq(b.p, "");
	for (i = 0; i < 1000; i++)
		sbuf_add(&b, "0123456789", 10);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_uint_eq(strlen(b.p), 10000);
	ck_assert_mem_eq(b.p + 9990, "0123456789", 10);
	sbuf_free(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

START_TEST(test_sql_ident)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_add_sql_ident(&b, "a\"b");
	sbuf_addc(&b, '.');
	sbuf_add_sql_ident(&b, "");
	ck_assert_str_eq(b.p, "\"a\"\"b\".\"\"");
	sbuf_free(&b);
}
END_TEST

START_TEST(test_hash64)
{
	/* FNV-1a 64 reference values */
	ck_assert(hash64("", 0) == 0xcbf29ce484222325ULL);
	ck_assert(hash64("a", 1) == 0xaf63dc4c8601ec8cULL);
	ck_assert(hash64("foobar", 6) == 0x85944171f73967e8ULL);
}
END_TEST

START_TEST(test_dirs)
{
	char dir[] = "/tmp/electricd-util-XXXXXX", *deep, *file;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	deep = xasprintf("%s/a/b/c", dir);
	file = xasprintf("%s/a/b/f", dir);
	ck_assert_int_eq(mkdir_p(deep, 0700), 0);
	ck_assert_int_eq(mkdir_p(deep, 0700), 0);	/* exists: fine */
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	close(creat(file, 0600));
	ck_assert_int_eq(rm_rf(dir), 0);
	ck_assert_int_eq(access(dir, F_OK), -1);
	ck_assert_int_eq(rm_rf(dir), 0);		/* gone: fine */
	free(deep);
	free(file);
}
END_TEST

START_TEST(test_backoff_step)
{
	int cur = 0, i;
	const int want[] = { 5, 10, 20, 40, 80, 160, 200, 200 };

	for (i = 0; i < 8; i++)
		ck_assert_int_eq(backoff_step(&cur, 5, 200), want[i]);
	cur = 0;			/* connected: start again */
	ck_assert_int_eq(backoff_step(&cur, 5, 200), 5);
	cur = 0;
	ck_assert_int_eq(backoff_step(&cur, 200, 200), 200);
	ck_assert_int_eq(backoff_step(&cur, 200, 200), 200);
}
END_TEST

START_TEST(test_xasprintf)
{
	char *s = xasprintf("%s=%d", "n", -3);

	ck_assert_str_eq(s, "n=-3");
	free(s);
}
END_TEST

Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_loop_test(tc, test_json_str, 0,
	    sizeof(json_cases) / sizeof(json_cases[0]));
	tcase_add_test(tc, test_json_str_append);
	tcase_add_test(tc, test_sbuf);
	tcase_add_test(tc, test_sql_ident);
	tcase_add_test(tc, test_hash64);
	tcase_add_test(tc, test_proc_title);
	tcase_add_test(tc, test_dirs);
	tcase_add_test(tc, test_xasprintf);
	tcase_add_test(tc, test_backoff_step);
	suite_add_tcase(s, tc);
	return s;
}
