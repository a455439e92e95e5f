/*
 * test_ctl: electricctl's command lookup, requests and human output,
 * against canned replies with golden expected text.
 *
 * The ctl helpers (ctl/ctl_cmd.c, ctl/ctl_fmt.c) are referenced weakly:
 * if the unit-test link does not include them, the suite says so and runs
 * nothing instead of breaking the link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../ctl/ctl.h"

Suite *ctl_suite(void);

#pragma weak ctl_cmd_find
#pragma weak ctl_request_json
#pragma weak ctl_print_status
#pragma weak ctl_print_shapes
#pragma weak ctl_print_restart
#pragma weak ctl_print_version
#pragma weak ctl_fmt_duration

/* Runs print on the JSON text; returns its result, *out the output. */
static int
render(ctl_print_fn print, const char *json, char **out)
{
	json_error_t err;
	json_t *j = json_loads(json, 0, &err);
	size_t len;
	FILE *fp;
	int rc;

	ck_assert_msg(j != NULL, "bad test JSON: %s", err.text);
	fp = open_memstream(out, &len);
	ck_assert_ptr_nonnull(fp);
	rc = print(fp, j);
	fclose(fp);
	json_decref(j);
	return rc;
}

static void
golden(ctl_print_fn print, const char *json, const char *want)
{
	char *out;

	ck_assert_int_eq(render(print, json, &out), 0);
	ck_assert_str_eq(out, want);
	free(out);
}

static void
rejected(ctl_print_fn print, const char *json)
{
	char *out;

	ck_assert_int_eq(render(print, json, &out), -1);
	ck_assert_str_eq(out, "");
	free(out);
}

START_TEST(test_status)
{
	golden(ctl_print_status,
	    "{\"version\":\"0.1.0\",\"pid\":123,\"uptime_s\":3725,"
	    "\"health\":\"active\",\"processes\":["
	    "{\"role\":\"connmgr\",\"id\":\"connmgr\",\"group\":\"connection\","
	    "\"strategy\":\"rest_for_one\",\"pid\":124,\"state\":\"ready\","
	    "\"restarts\":0,\"uptime_s\":5,\"last_exit\":null},"
	    "{\"role\":\"consumer\",\"id\":\"98765432-1700000000\",\"pid\":130,"
	    "\"state\":\"starting\",\"restarts\":12,\"uptime_s\":65,"
	    "\"last_exit\":\"signal 9\",\"detail\":\"snapshotting\"},"
	    "{\"role\":\"http\",\"id\":\"http\",\"pid\":null,\"state\":\"backoff\","
	    "\"restarts\":3,\"uptime_s\":90061,\"last_exit\":1,\"detail\":\"\"}]}",
	    "electricd 0.1.0  pid 123  health active  uptime 1h02m\n"
	    "ROLE      ID                   PID  STATE     RESTARTS  UPTIME  LAST-EXIT\n"
	    "connmgr   connmgr              124  ready            0      5s  -\n"
	    "consumer  98765432-1700000000  130  starting        12   1m05s  signal 9\n"
	    "http      http                   -  backoff          3   1d01h  exit 1\n"
	    "98765432-1700000000: snapshotting\n");
}
END_TEST

START_TEST(test_status_sparse)
{
	/* missing fields print as "-"; no processes: the header only */
	golden(ctl_print_status, "{\"processes\":[{}]}",
	    "electricd -  pid -  health -  uptime -\n"
	    "ROLE  ID  PID  STATE  RESTARTS  UPTIME  LAST-EXIT\n"
	    "-     -     -  -             -       -  -\n");
	golden(ctl_print_status, "{\"version\":\"9\",\"processes\":[]}",
	    "electricd 9  pid -  health -  uptime -\n"
	    "ROLE  ID  PID  STATE  RESTARTS  UPTIME  LAST-EXIT\n");
	rejected(ctl_print_status, "{\"version\":\"0.1.0\"}");
	rejected(ctl_print_status, "{\"processes\":{}}");
	rejected(ctl_print_status, "[]");
}
END_TEST

START_TEST(test_shapes)
{
	golden(ctl_print_shapes,
	    "{\"shapes\":[{\"handle\":\"3833821-1731070000\","
	    "\"table\":\"\\\"public\\\".\\\"items\\\"\",\"state\":\"active\","
	    "\"latest_offset\":\"26800584_4\",\"consumer_pid\":130},"
	    "{\"handle\":\"1-2\",\"table\":\"\\\"s\\\".\\\"t\\\"\","
	    "\"state\":\"creating\",\"latest_offset\":\"0_inf\","
	    "\"consumer_pid\":null}]}",
	    "HANDLE              TABLE             STATE     OFFSET      PID\n"
	    "3833821-1731070000  \"public\".\"items\"  active    26800584_4  130\n"
	    "1-2                 \"s\".\"t\"           creating  0_inf         -\n");
	golden(ctl_print_shapes, "{\"shapes\":[]}", "no shapes\n");
	rejected(ctl_print_shapes, "{}");
	rejected(ctl_print_shapes, "{\"shapes\":\"x\"}");
}
END_TEST

START_TEST(test_restart_version)
{
	golden(ctl_print_restart, "{\"restarted\":\"http\"}", "restarted http\n");
	rejected(ctl_print_restart, "{\"error\":\"x\"}");
	golden(ctl_print_version, "{\"version\":\"0.1.0\"}", "electricd 0.1.0\n");
	rejected(ctl_print_version, "{\"version\":1}");
}
END_TEST

static const struct {
	long long	 s;
	const char	*out;
} durations[] = {
	{ -1, "-" }, { 0, "0s" }, { 59, "59s" }, { 60, "1m00s" },
	{ 3599, "59m59s" }, { 3600, "1h00m" }, { 86399, "23h59m" },
	{ 86400, "1d00h" }, { 90061, "1d01h" }, { 864000, "10d00h" },
};

START_TEST(test_duration)
{
	char buf[32];

	ctl_fmt_duration(buf, sizeof(buf), durations[_i].s);
	ck_assert_str_eq(buf, durations[_i].out);
}
END_TEST

static const struct {
	const char	*word;
	const char	*name;		/* NULL: not found */
	int		 ambiguous;
} lookups[] = {
	{ "status", "status", 0 }, { "st", "status", 0 }, { "stat", "status", 0 },
	{ "sh", "shapes", 0 }, { "shapes", "shapes", 0 }, { "r", "restart", 0 },
	{ "v", "version", 0 }, { "h", "help", 0 }, { "s", NULL, 1 },
	{ "x", NULL, 0 }, { "", NULL, 0 }, { "statusx", NULL, 0 },
	{ "STATUS", NULL, 0 },
};

START_TEST(test_lookup)
{
	const struct ctl_cmd *c;
	int amb = -1;

	c = ctl_cmd_find(lookups[_i].word, &amb);
	ck_assert_int_eq(amb, lookups[_i].ambiguous);
	if (lookups[_i].name == NULL)
		ck_assert_ptr_null(c);
	else {
		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c->name, lookups[_i].name);
	}
}
END_TEST

START_TEST(test_request)
{
	const struct ctl_cmd *c;
	char *s;
	int amb;

	c = ctl_cmd_find("st", &amb);
	s = ctl_request_json(c, NULL);
	ck_assert_str_eq(s, "{\"cmd\":\"status\"}");
	free(s);
	c = ctl_cmd_find("r", &amb);
	s = ctl_request_json(c, "http");
	ck_assert_str_eq(s, "{\"cmd\":\"restart\",\"target\":\"http\"}");
	free(s);
	s = ctl_request_json(c, "a\"b\\");
	ck_assert_str_eq(s, "{\"cmd\":\"restart\",\"target\":\"a\\\"b\\\\\"}");
	free(s);
	ck_assert_ptr_null(ctl_request_json(c, "\xff"));
	c = ctl_cmd_find("ver", &amb);
	s = ctl_request_json(c, NULL);
	ck_assert_str_eq(s, "{\"cmd\":\"version\"}");
	free(s);
}
END_TEST

Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc;

	if (ctl_cmd_find == NULL || ctl_print_status == NULL) {
		fprintf(stderr, "ctl suite: ctl/ctl_cmd.c and ctl/ctl_fmt.c are "
		    "not linked into the unit tests; nothing to run\n");
		return s;
	}
	tc = tcase_create("ctl");
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_status_sparse);
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_restart_version);
	tcase_add_loop_test(tc, test_duration, 0,
	    sizeof(durations) / sizeof(durations[0]));
	tcase_add_loop_test(tc, test_lookup, 0,
	    sizeof(lookups) / sizeof(lookups[0]));
	tcase_add_test(tc, test_request);
	suite_add_tcase(s, tc);
	return s;
}
