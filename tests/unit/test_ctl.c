/*
 * test_ctl: electricctl's command lookup, requests and human output,
 * against canned replies with golden expected text; top's rates between
 * two canned samples; tail over a shape directory written here in the
 * shapelog format.
 *
 * The ctl helpers (ctl/ctl_cmd.c, ctl/ctl_fmt.c) are referenced weakly:
 * if the unit-test link does not include them, the suite says so and runs
 * nothing instead of breaking the link.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
#pragma weak ctl_fmt_bytes
#pragma weak ctl_fmt_entry
#pragma weak ctl_print_shape
#pragma weak ctl_print_delete
#pragma weak ctl_print_stop
#pragma weak ctl_print_top
#pragma weak ctl_top_view
#pragma weak ctl_tail_open
#pragma weak ctl_tail_poll
#pragma weak ctl_tail_close
#pragma weak ctl_usage

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
	    "\"latest_offset\":\"26800584_4\",\"consumer_pid\":130,"
	    "\"log_entries\":42,\"disk_bytes\":1536,"
	    "\"last_change\":\"2026-11-23T12:00:00Z\"},"
	    "{\"handle\":\"1-2\",\"table\":\"\\\"s\\\".\\\"t\\\"\","
	    "\"state\":\"creating\",\"latest_offset\":\"0_inf\","
	    "\"consumer_pid\":null,\"last_change\":null}]}",
	    "HANDLE              TABLE             STATE     OFFSET      ENTRIES  "
	    "SIZE  LAST-CHANGE           PID\n"
	    "3833821-1731070000  \"public\".\"items\"  active    26800584_4       42  "
	    "1.5K  2026-11-23T12:00:00Z  130\n"
	    "1-2                 \"s\".\"t\"           creating  0_inf             -  "
	    "   -  -                       -\n");
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
	enum ctl_miss	 why;
} lookups[] = {
	{ "status", "status", 0 }, { "st", "status", 0 }, { "stat", "status", 0 },
	{ "sh", "shapes", 0 }, { "shapes", "shapes", 0 }, { "r", "restart", 0 },
	{ "sha", "shapes", 0 }, { "shap", "shapes", 0 }, { "shape", "shape", 0 },
	{ "sto", "stop", 0 }, { "stop", "stop", 0 }, { "d", "delete", 0 },
	{ "del", "delete", 0 }, { "ta", "tail", 0 }, { "to", "top", 0 },
	{ "top", "top", 0 }, { "tail", "tail", 0 },
	{ "v", "version", 0 }, { "h", "help", 0 },
	{ "s", NULL, CTL_MISS_AMBIGUOUS }, { "t", NULL, CTL_MISS_AMBIGUOUS },
	{ "x", NULL, CTL_MISS_UNKNOWN }, { "", NULL, CTL_MISS_UNKNOWN },
	{ "statusx", NULL, CTL_MISS_UNKNOWN }, { "shapex", NULL, CTL_MISS_UNKNOWN },
	{ "STATUS", NULL, CTL_MISS_UNKNOWN }, { "stopp", NULL, CTL_MISS_UNKNOWN },
};

START_TEST(test_lookup)
{
	const struct ctl_cmd *c;
	enum ctl_miss why = (enum ctl_miss)-1;

	c = ctl_cmd_find(lookups[_i].word, &why);
	if (lookups[_i].name == NULL)
		ck_assert_int_eq(why, lookups[_i].why);
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
	struct ctl_filter f = { "public.items", NULL, "size" };
	char *s;
	enum ctl_miss amb;

	c = ctl_cmd_find("st", &amb);
	s = ctl_request_json(c, NULL, NULL);
	ck_assert_str_eq(s, "{\"cmd\":\"status\"}");
	free(s);
	c = ctl_cmd_find("r", &amb);
	s = ctl_request_json(c, "http", NULL);
	ck_assert_str_eq(s, "{\"cmd\":\"restart\",\"target\":\"http\"}");
	free(s);
	s = ctl_request_json(c, "a\"b\\", NULL);
	ck_assert_str_eq(s, "{\"cmd\":\"restart\",\"target\":\"a\\\"b\\\\\"}");
	free(s);
	ck_assert_ptr_null(ctl_request_json(c, "\xff", NULL));
	c = ctl_cmd_find("ver", &amb);
	s = ctl_request_json(c, NULL, NULL);
	ck_assert_str_eq(s, "{\"cmd\":\"version\"}");
	free(s);
	c = ctl_cmd_find("sh", &amb);
	s = ctl_request_json(c, NULL, &f);
	ck_assert_str_eq(s, "{\"cmd\":\"shapes\",\"table\":\"public.items\","
	    "\"sort\":\"size\"}");
	free(s);
	f.table = "\xff";
	ck_assert_ptr_null(ctl_request_json(c, NULL, &f));
}
END_TEST

START_TEST(test_filter_check)
{
	struct ctl_filter f = { "x", "suspended", "activity" };
	char err[128];

	ck_assert_int_eq(ctl_filter_check(&f, err, sizeof(err)), 0);
	f.sort = "handle";
	f.state = "snapshotting";
	ck_assert_int_eq(ctl_filter_check(&f, err, sizeof(err)), 0);
	f.state = "gone";
	ck_assert_int_eq(ctl_filter_check(&f, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown state \"gone\" (active, snapshotting "
	    "or suspended)");
	f.state = NULL;
	f.sort = "Size";
	ck_assert_int_eq(ctl_filter_check(&f, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown sort \"Size\" (size, activity or handle)");
}
END_TEST

/* Every row is found by its name and by each longer-than-minlen prefix
 * of it that is not another row's name; no word names two rows. */
START_TEST(test_table_unambiguous)
{
	const struct ctl_cmd *c;
	enum ctl_miss why;
	char word[32];
	size_t i, n;

	for (i = 0; i < ctl_ncmds; i++) {
		ck_assert_uint_ge(ctl_cmds[i].minlen, 1);
		ck_assert_uint_le(ctl_cmds[i].minlen, strlen(ctl_cmds[i].name));
		for (n = ctl_cmds[i].minlen; n <= strlen(ctl_cmds[i].name); n++) {
			snprintf(word, sizeof(word), "%.*s", (int)n, ctl_cmds[i].name);
			c = ctl_cmd_find(word, &why);
			ck_assert_ptr_nonnull(c);
			ck_assert_msg(c == &ctl_cmds[i] || strcmp(word, c->name) == 0,
			    "\"%s\" does not name %s", word, ctl_cmds[i].name);
		}
	}
}
END_TEST

START_TEST(test_usage)
{
	char *out;
	size_t len;
	FILE *fp = open_memstream(&out, &len);

	ctl_usage(fp);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(out, "\n  st[atus]                   the daemon"));
	ck_assert_ptr_nonnull(strstr(out, "\n  shape HANDLE               one shape"));
	ck_assert_ptr_nonnull(strstr(out, "\n  ta[il] [-n N] HANDLE       follow"));
	ck_assert_ptr_nonnull(strstr(out, "\n  to[p] [-n N]               CPU"));
	ck_assert_ptr_nonnull(strstr(out, "\n  sto[p]                     stop"));
	ck_assert_ptr_nonnull(strstr(out, "\n  --sort K    shapes: by size"));
	free(out);
}
END_TEST

static const char shape_full[] =
    "{\"handle\":\"50299640-1795438824176929\",\"table\":\"\\\"public\\\".\\\"items\\\"\","
    "\"log_mode\":\"full\",\"columns\":[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
    "{\"name\":\"title\",\"type\":\"text\",\"pk\":-1},{\"name\":\"done\",\"pk\":-1}],"
    "\"relid\":16384,\"meta_state\":\"active\",\"created\":\"2025-11-23T13:00:24Z\","
    "\"snapshot_xmin\":728,\"state\":\"active\",\"latest_offset\":\"22043776_4\","
    "\"snapshot_chunks\":1,\"snapshot_done\":true,\"log_entries\":3,\"log_chunks\":0,"
    "\"snapshot_bytes\":400,\"log_bytes\":627,\"disk_bytes\":1027,"
    "\"consumer_pid\":20013,\"consumer_state\":\"ready\",\"consumer_restarts\":2,"
    "\"consumer_uptime_s\":3725,\"waiting_clients\":2}";

START_TEST(test_shape)
{
	golden(ctl_print_shape, shape_full,
	    "handle         50299640-1795438824176929\n"
	    "table          \"public\".\"items\"\n"
	    "columns        id (pk), title, done\n"
	    "log mode       full\n"
	    "state          active\n"
	    "created        2025-11-23T13:00:24Z\n"
	    "latest offset  22043776_4\n"
	    "snapshot xmin  728\n"
	    "snapshot       1 chunk, complete, 400B\n"
	    "log            3 entries, 0 closed chunks, 627B\n"
	    "disk           1.0K (1027 bytes)\n"
	    "consumer       pid 20013, ready, 2 restarts, up 1h02m\n"
	    "waiting        2 requests\n");
	/* files only (no meta.db row), a snapshot running, no consumer */
	golden(ctl_print_shape,
	    "{\"handle\":\"1-2\",\"state\":\"snapshotting\",\"latest_offset\":\"0_inf\","
	    "\"snapshot_chunks\":2,\"snapshot_done\":false,\"log_entries\":1,"
	    "\"log_chunks\":1,\"snapshot_bytes\":20971520,\"log_bytes\":0,"
	    "\"disk_bytes\":20971520,\"snapshot_xmin\":null,\"consumer_pid\":null,"
	    "\"consumer_state\":\"none\",\"consumer_restarts\":0}",
	    "handle         1-2\n"
	    "table          -\n"
	    "columns        -\n"
	    "log mode       -\n"
	    "state          snapshotting\n"
	    "created        -\n"
	    "latest offset  0_inf\n"
	    "snapshot xmin  -\n"
	    "snapshot       2 chunks, running, 20.0M\n"
	    "log            1 entry, 1 closed chunk, 0B\n"
	    "disk           20.0M (20971520 bytes)\n"
	    "consumer       none, 0 restarts\n"
	    "waiting        -\n");
	golden(ctl_print_shape, "{\"handle\":\"h\"}",
	    "handle         h\n" "table          -\n" "columns        -\n"
	    "log mode       -\n" "state          -\n" "created        -\n"
	    "latest offset  -\n" "snapshot xmin  -\n" "snapshot       -\n"
	    "log            -\n" "disk           -\n" "consumer       -\n"
	    "waiting        -\n");
	rejected(ctl_print_shape, "{}");
	rejected(ctl_print_shape, "{\"handle\":1}");
}
END_TEST

START_TEST(test_delete_stop)
{
	golden(ctl_print_delete, "{\"deleted\":\"1-2\"}", "deleted 1-2\n");
	rejected(ctl_print_delete, "{\"deleted\":true}");
	golden(ctl_print_stop, "{\"stopping\":true,\"pid\":4120}",
	    "electricd (pid 4120) is stopping\n");
	golden(ctl_print_stop, "{\"stopping\":true}",
	    "electricd (pid -) is stopping\n");
	rejected(ctl_print_stop, "{\"stopping\":false}");
}
END_TEST

static const struct {
	long long	 b;
	const char	*out;
} sizes[] = {
	{ -1, "-" }, { 0, "0B" }, { 1023, "1023B" }, { 1024, "1.0K" },
	{ 1536, "1.5K" }, { 102338, "99.9K" }, { 102400, "100K" },
	{ 1048575, "1024K" }, { 1048576, "1.0M" }, { 123456789, "118M" },
	{ 5LL << 30, "5.0G" }, { 3LL << 40, "3.0T" }, { 2000LL << 40, "2.0P" },
};

START_TEST(test_bytes)
{
	char buf[32];

	ctl_fmt_bytes(buf, sizeof(buf), sizes[_i].b);
	ck_assert_str_eq(buf, sizes[_i].out);
}
END_TEST

/* Two samples 2 s apart at 100 ticks/s. */
static const char top_prev[] =
    "{\"clock_ticks\":100,\"at_ms\":10000,\"processes\":["
    "{\"role\":\"root\",\"id\":\"root\",\"pid\":10,\"cpu_ticks\":50,\"rss_kb\":9000},"
    "{\"role\":\"http\",\"id\":\"http\",\"pid\":11,\"cpu_ticks\":100,\"rss_kb\":8000},"
    "{\"role\":\"consumer\",\"id\":\"1-2\",\"pid\":12,\"cpu_ticks\":0,"
    "\"rss_kb\":10000,\"log_entries\":100},"
    "{\"role\":\"collector\",\"id\":\"collector\",\"pid\":13,\"cpu_ticks\":7,"
    "\"rss_kb\":9500}]}";
static const char top_cur[] =
    "{\"clock_ticks\":100,\"at_ms\":12000,\"processes\":["
    "{\"role\":\"root\",\"id\":\"root\",\"pid\":10,\"cpu_ticks\":51,\"rss_kb\":9000},"
    "{\"role\":\"http\",\"id\":\"http\",\"pid\":11,\"cpu_ticks\":150,\"rss_kb\":8192},"
    "{\"role\":\"consumer\",\"id\":\"1-2\",\"pid\":12,\"cpu_ticks\":90,"
    "\"rss_kb\":10240,\"log_entries\":1101},"
    "{\"role\":\"collector\",\"id\":\"collector\",\"pid\":14,\"cpu_ticks\":3,"
    "\"rss_kb\":9500},"
    "{\"role\":\"replication\",\"id\":\"replication\",\"pid\":null,"
    "\"cpu_ticks\":null,\"rss_kb\":null}]}";

static json_t *
top_view(const char *prev, const char *cur)
{
	json_t *p = prev ? json_loads(prev, 0, NULL) : NULL;
	json_t *c = json_loads(cur, 0, NULL), *v;

	ck_assert_ptr_nonnull(c);
	v = ctl_top_view(p, c);
	json_decref(p);
	json_decref(c);
	return v;
}

START_TEST(test_top_view)
{
	json_t *v = top_view(top_prev, top_cur);
	char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10));

	/* busiest first; a new pid (collector restarted) has no rate yet */
	ck_assert_str_eq(s, "{\"interval_ms\":2000,\"processes\":["
	    "{\"role\":\"consumer\",\"id\":\"1-2\",\"pid\":12,\"cpu_pct\":45.0,"
	    "\"rss_kb\":10240,\"log_entries\":1101,\"entries_per_s\":500.5},"
	    "{\"role\":\"http\",\"id\":\"http\",\"pid\":11,\"cpu_pct\":25.0,"
	    "\"rss_kb\":8192},"
	    "{\"role\":\"root\",\"id\":\"root\",\"pid\":10,\"cpu_pct\":0.5,"
	    "\"rss_kb\":9000},"
	    "{\"role\":\"collector\",\"id\":\"collector\",\"pid\":14,"
	    "\"cpu_pct\":null,\"rss_kb\":9500},"
	    "{\"role\":\"replication\",\"id\":\"replication\",\"pid\":null,"
	    "\"cpu_pct\":null,\"rss_kb\":null}]}");
	free(s);
	json_decref(v);
	/* no previous sample: no rates, the daemon's order */
	v = top_view(NULL, top_prev);
	s = json_dumps(v, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"interval_ms\":0,\"processes\":["
	    "{\"role\":\"root\",\"id\":\"root\",\"pid\":10,\"cpu_pct\":null,\"rss_kb\":9000},"
	    "{\"role\":\"http\",\"id\":\"http\",\"pid\":11,\"cpu_pct\":null,\"rss_kb\":8000},"
	    "{\"role\":\"consumer\",\"id\":\"1-2\",\"pid\":12,\"cpu_pct\":null,"
	    "\"rss_kb\":10000,\"log_entries\":100,\"entries_per_s\":null},"
	    "{\"role\":\"collector\",\"id\":\"collector\",\"pid\":13,\"cpu_pct\":null,"
	    "\"rss_kb\":9500}]}");
	free(s);
	json_decref(v);
}
END_TEST

static int
print_top_json(FILE *fp, const json_t *j)
{
	return ctl_print_top(fp, j);
}

START_TEST(test_top_table)
{
	json_t *v = top_view(top_prev, top_cur);
	char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10));

	golden(print_top_json, s,
	    "5 processes  cpu 70.5%  rss 36.1M  interval 2.0s\n"
	    "ROLE         ID           PID  CPU%    RSS  ENTRIES/S\n"
	    "consumer     1-2           12  45.0  10.0M      500.5\n"
	    "http         http          11  25.0   8.0M          -\n"
	    "root         root          10   0.5   8.8M          -\n"
	    "collector    collector     14     -   9.3M          -\n"
	    "replication  replication    -     -      -          -\n");
	free(s);
	json_decref(v);
	rejected(print_top_json, "{}");
}
END_TEST

static const struct {
	const char	*json;
	const char	*line;
} entries[] = {
	{ "{\"key\":\"\\\"public\\\".\\\"items\\\"/\\\"3\\\"\",\"value\":{\"id\":\"3\","
	  "\"title\":\"three\",\"done\":null},\"headers\":{\"operation\":\"insert\"}}",
	  "7_0  insert  \"public\".\"items\"/\"3\"  id=3 title=three done=NULL\n" },
	{ "{\"key\":\"k\",\"value\":{\"t\":\"x y\",\"e\":\"\",\"q\":\"a\\\"b\","
	  "\"eq\":\"a=b\",\"nl\":\"a\\nb\"},\"headers\":{\"operation\":\"update\"}}",
	  "7_0  update  k  t=\"x y\" e=\"\" q=\"a\\\"b\" eq=\"a=b\" nl=\"a\\nb\"\n" },
	{ "{\"key\":\"k\",\"value\":{},\"headers\":{\"operation\":\"delete\"}}",
	  "7_0  delete  k\n" },
	{ "{\"headers\":{\"control\":\"snapshot-end\",\"xmin\":\"1\"}}",
	  "7_0  snapshot-end\n" },
	{ "{\"other\":1}", "7_0  {\"other\":1}\n" },
	{ "not json", "7_0  not json\n" },
};

START_TEST(test_entry)
{
	char *out;
	size_t len;
	FILE *fp = open_memstream(&out, &len);

	ctl_fmt_entry(fp, "7_0", entries[_i].json, strlen(entries[_i].json));
	fclose(fp);
	ck_assert_str_eq(out, entries[_i].line);
	free(out);
}
END_TEST

/* ---- tail over a shape directory written in the shapelog format ---- */

struct fake_shape {
	char	 storage[64];
	char	 dir[128];
	int	 log, idx;
	uint64_t end;
};

static void
fake_files(struct fake_shape *f)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/log", f->dir);
	f->log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	snprintf(path, sizeof(path), "%s/log.idx", f->dir);
	f->idx = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ck_assert_int_ge(f->log, 0);
	ck_assert_int_ge(f->idx, 0);
	f->end = 0;
}

static void
fake_open(struct fake_shape *f)
{
	char path[160];

	snprintf(f->storage, sizeof(f->storage), "/tmp/test_ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->storage));
	snprintf(path, sizeof(path), "%s/shapes", f->storage);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(f->dir, sizeof(f->dir), "%s/shapes/1-2", f->storage);
	ck_assert_int_eq(mkdir(f->dir, 0700), 0);
	fake_files(f);
}

/* Appends an entry; with partial, only half of its index record. */
static void
fake_add(struct fake_shape *f, uint64_t tx, uint64_t op, const char *json,
    int partial)
{
	char buf[512];
	uint64_t rec[3];
	int n = snprintf(buf, sizeof(buf), ",%s\n", json);

	ck_assert_int_eq(write(f->log, buf, (size_t)n), n);
	f->end += (uint64_t)n;
	rec[0] = tx;
	rec[1] = op;
	rec[2] = f->end;
	ck_assert_int_eq(write(f->idx, rec, partial ? 12 : 24), partial ? 12 : 24);
}

static char *
poll_out(struct ctl_tail *t, int json, int want)
{
	char *out;
	size_t len;
	FILE *fp = open_memstream(&out, &len);

	ck_assert_int_eq(ctl_tail_poll(t, fp, json), want);
	fclose(fp);
	return out;
}

#define E(n) "{\"key\":\"k" #n "\",\"value\":{\"id\":\"" #n "\"}," \
    "\"headers\":{\"operation\":\"insert\"}}"

START_TEST(test_tail)
{
	struct fake_shape f;
	struct ctl_tail *t, *t2;
	char *out, cmd[400];

	fake_open(&f);
	fake_add(&f, 100, 0, E(1), 0);
	fake_add(&f, 100, 2, E(2), 0);
	fake_add(&f, 101, 0, E(3), 0);
	/* from the end: nothing yet; -n 2: the last two */
	t = ctl_tail_open(f.storage, "1-2", 0);
	ck_assert_ptr_nonnull(t);
	out = poll_out(t, 1, 0);
	ck_assert_str_eq(out, "");
	free(out);
	t2 = ctl_tail_open(f.storage, "1-2", 2);
	out = poll_out(t2, 0, 2);
	ck_assert_str_eq(out, "100_2  insert  k2  id=2\n101_0  insert  k3  id=3\n");
	free(out);
	ctl_tail_close(t2);
	/* new entries, and a commit in progress that is not shown yet */
	fake_add(&f, 102, 0, E(4), 0);
	fake_add(&f, 102, 2, E(5), 1);
	out = poll_out(t, 1, 1);
	ck_assert_str_eq(out, E(4) "\n");
	free(out);
	/* more than asked: -n 10 of 4 entries gives all of them */
	t2 = ctl_tail_open(f.storage, "1-2", 10);
	out = poll_out(t2, 0, 4);
	ck_assert_ptr_nonnull(strstr(out, "100_0  insert  k1  id=1\n"));
	free(out);
	ctl_tail_close(t2);
	/* deleted: the directory goes away */
	snprintf(cmd, sizeof(cmd), "rm -rf %s/shapes/1-2", f.storage);
	ck_assert_int_eq(system(cmd), 0);
	errno = 0;
	ck_assert_int_eq(ctl_tail_poll(t, stdout, 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ctl_tail_close(t);
	close(f.log);
	close(f.idx);
	/* unknown and hostile handles */
	errno = 0;
	ck_assert_ptr_null(ctl_tail_open(f.storage, "1-2", 0));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(ctl_tail_open(f.storage, "../shapes", 0));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(ctl_tail_open(f.storage, "..", 0));
	ck_assert_int_eq(errno, ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f.storage);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A shape whose log does not exist yet (snapshot still running). */
START_TEST(test_tail_empty)
{
	struct fake_shape f;
	struct ctl_tail *t;
	char *out, cmd[400];

	fake_open(&f);
	snprintf(cmd, sizeof(cmd), "rm %s/log %s/log.idx", f.dir, f.dir);
	ck_assert_int_eq(system(cmd), 0);
	close(f.log);
	close(f.idx);
	t = ctl_tail_open(f.storage, "1-2", 5);
	ck_assert_ptr_nonnull(t);
	out = poll_out(t, 1, 0);
	free(out);
	fake_files(&f);
	fake_add(&f, 5, 0, E(9), 0);
	out = poll_out(t, 1, 1);
	ck_assert_str_eq(out, E(9) "\n");
	free(out);
	ctl_tail_close(t);
	close(f.log);
	close(f.idx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f.storage);
	ck_assert_int_eq(system(cmd), 0);
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
	tcase_add_test(tc, test_filter_check);
	tcase_add_test(tc, test_table_unambiguous);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_shape);
	tcase_add_test(tc, test_delete_stop);
	tcase_add_loop_test(tc, test_bytes, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, test_top_view);
	tcase_add_test(tc, test_top_table);
	tcase_add_loop_test(tc, test_entry, 0,
	    sizeof(entries) / sizeof(entries[0]));
	tcase_add_test(tc, test_tail);
	tcase_add_test(tc, test_tail_empty);
	suite_add_tcase(s, tc);
	return s;
}
