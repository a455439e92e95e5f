/*
 * test_http_metrics: the Prometheus text formatter (http/metrics.c,
 * metrics_format) on fixed snapshots, compared line for line: families
 * whole and in table order, kB scaled to bytes, microseconds printed as
 * seconds, label escapes, values the snapshot lacks left out (no family
 * without a sample, except shapes: zero shapes is a fact); and the lag
 * FIFO of replication/replag.c.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "metrics.h"
#include "replag.h"

Suite *http_metrics_suite(void);

static uint64_t t_status[METRICS_MAX_STATUS];
static const char *t_names[] = { "new", "wait-live" };
static const unsigned t_counts[] = { 0, 3 };

static char *
fmt(const char *snap_json, long long connections)
{
	struct metrics_local loc = { t_status, t_names, t_counts, 2,
	    connections };
	json_t *snap = snap_json ? json_loads(snap_json, 0, NULL) : NULL;
	char *out;

	if (snap_json != NULL)
		ck_assert_ptr_nonnull(snap);
	out = metrics_format(snap, &loc);
	json_decref(snap);
	return out;
}

START_TEST(test_local_only)
{
	char *out;

	memset(t_status, 0, sizeof(t_status));
	t_status[200] = 7;
	t_status[409] = 1;
	out = fmt(NULL, -1);
	ck_assert_str_eq(out,
	    "# HELP electricd_http_requests_total Shape API responses by HTTP "
	    "status since the http process started.\n"
	    "# TYPE electricd_http_requests_total counter\n"
	    "electricd_http_requests_total{code=\"200\"} 7\n"
	    "electricd_http_requests_total{code=\"409\"} 1\n"
	    "# HELP electricd_http_requests_in_flight Shape API requests being "
	    "served or waiting, by state (wait-live: live long-polls waiting for "
	    "a change; sse: open SSE streams).\n"
	    "# TYPE electricd_http_requests_in_flight gauge\n"
	    "electricd_http_requests_in_flight{state=\"new\"} 0\n"
	    "electricd_http_requests_in_flight{state=\"wait-live\"} 3\n");
	free(out);
}
END_TEST

/* The lines of out that start with prefix, joined. */
static char *
grep(const char *out, const char *prefix)
{
	size_t n = strlen(prefix), len = 0;
	char *acc = calloc(1, strlen(out) + 1);
	const char *l, *e;

	for (l = out; *l != '\0'; l = *e ? e + 1 : e) {
		e = strchr(l, '\n');
		if (e == NULL)
			e = l + strlen(l);
		if (strncmp(l, prefix, n) == 0) {
			memcpy(acc + len, l, (size_t)(e - l) + 1);
			len += (size_t)(e - l) + 1;
		}
	}
	acc[len] = '\0';
	return acc;
}

#define SNAP \
	"{\"version\":\"1.2.3\",\"uptime_s\":42," \
	"\"roles\":[{\"role\":\"root\",\"states\":{\"ready\":1}," \
	"\"restarts\":null,\"rss_kb\":100,\"pss_kb\":null}," \
	"{\"role\":\"consumer\",\"states\":{\"ready\":2,\"backoff\":1}," \
	"\"restarts\":3,\"rss_kb\":2000,\"pss_kb\":1500}]," \
	"\"stats\":[{\"role\":\"replication\",\"name\":\"changes_total\"," \
	"\"value\":12},{\"role\":\"replication\",\"name\":\"lag_us\"," \
	"\"value\":1500042},{\"role\":\"other\",\"name\":\"x\",\"value\":1}]," \
	"\"shapes\":{\"active\":2,\"snapshotting\":1}}"

START_TEST(test_snapshot)
{
	char *out, *g;

	memset(t_status, 0, sizeof(t_status));
	out = fmt(SNAP, 5);
	g = grep(out, "electricd_");
	ck_assert_str_eq(g,
	    "electricd_build_info{version=\"1.2.3\"} 1\n"
	    "electricd_uptime_seconds 42\n"
	    "electricd_processes{role=\"root\",state=\"ready\"} 1\n"
	    "electricd_processes{role=\"consumer\",state=\"ready\"} 2\n"
	    "electricd_processes{role=\"consumer\",state=\"backoff\"} 1\n"
	    "electricd_restarts_total{role=\"consumer\"} 3\n"
	    "electricd_memory_rss_bytes{role=\"root\"} 102400\n"
	    "electricd_memory_rss_bytes{role=\"consumer\"} 2048000\n"
	    "electricd_memory_pss_bytes{role=\"consumer\"} 1536000\n"
	    "electricd_shapes{state=\"active\"} 2\n"
	    "electricd_shapes{state=\"snapshotting\"} 1\n"
	    "electricd_changes_total 12\n"
	    "electricd_replication_lag_seconds 1.500042\n"
	    "electricd_http_connections 5\n"
	    "electricd_http_requests_in_flight{state=\"new\"} 0\n"
	    "electricd_http_requests_in_flight{state=\"wait-live\"} 3\n");
	free(g);
	/* families without a sample are absent, each TYPE once */
	ck_assert_ptr_null(strstr(out, "transactions_total"));
	ck_assert_ptr_null(strstr(out, "lag_bytes"));
	ck_assert_ptr_null(strstr(out, "electricd_http_requests_total"));
	ck_assert_ptr_nonnull(strstr(out, "# TYPE electricd_changes_total "
	    "counter\n"));
	ck_assert_ptr_nonnull(strstr(out, "# TYPE electricd_replication_lag_"
	    "seconds gauge\n"));
	free(out);
}
END_TEST

START_TEST(test_escapes_and_empty_shapes)
{
	char *out, *g;

	memset(t_status, 0, sizeof(t_status));
	out = fmt("{\"version\":\"a\\\"b\\\\c\\nd\",\"roles\":[],\"stats\":[],"
	    "\"shapes\":{}}", -1);
	g = grep(out, "electricd_build_info");
	ck_assert_str_eq(g, "electricd_build_info{version=\"a\\\"b\\\\c\\nd\"} 1\n");
	free(g);
	ck_assert_ptr_nonnull(strstr(out, "# TYPE electricd_shapes gauge\n"));
	ck_assert_ptr_null(strstr(out, "electricd_shapes{"));
	ck_assert_ptr_null(strstr(out, "electricd_processes"));
	ck_assert_ptr_null(strstr(out, "electricd_http_connections"));
	free(out);
}
END_TEST

/* replag: the oldest unacknowledged commit, windows of 100 ms. */
START_TEST(test_replag)
{
	const uint64_t epoch = 946684800000000ULL, now = epoch + 10000000;

	ck_assert_uint_eq(replag_lag_us(now), 0);
	replag_commit(100, 1000000);		/* 9 s before now */
	replag_commit(110, 1050000);		/* same window */
	replag_commit(200, 3000000);		/* 7 s before now */
	ck_assert_uint_eq(replag_lag_us(now), 9000000);
	replag_ack(105);			/* the first window's LSN is 110 */
	ck_assert_uint_eq(replag_lag_us(now), 9000000);
	replag_ack(110);
	ck_assert_uint_eq(replag_lag_us(now), 7000000);
	replag_commit(300, 20000000);		/* in the future: 0, not negative */
	replag_ack(200);
	ck_assert_uint_eq(replag_lag_us(now), 0);
	replag_ack(300);
	ck_assert_uint_eq(replag_lag_us(now), 0);
}
END_TEST

Suite *
http_metrics_suite(void)
{
	Suite *s = suite_create("http_metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_local_only);
	tcase_add_test(tc, test_snapshot);
	tcase_add_test(tc, test_escapes_and_empty_shapes);
	tcase_add_test(tc, test_replag);
	suite_add_tcase(s, tc);
	return s;
}
