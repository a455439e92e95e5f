/*
 * ctl_fmt: electricctl's output for people.  Each reply printer checks the
 * shape it needs (the root object and its list) and returns -1 without
 * printing if that is missing; any other absent or null field prints as
 * "-".  status adds, under its table, the "detail" line each process gave.
 * Tables: columns two spaces apart, widths from the content, numbers
 * right-aligned, no trailing blanks.  "shape" prints "name  value" lines
 * with the names aligned; tail's lines are ctl_fmt_entry.
 * The golden outputs are in tests/unit/test_ctl.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

#define CTL_CELL 256

struct ctl_table {
	size_t		 ncols;
	const char	*const *head;
	const char	*align;		/* 'l' or 'r' per column */
	char		**cells;	/* nrows * ncols, malloc'd */
	size_t		 nrows;
};

static void
ctl_table_add(struct ctl_table *t, char row[][CTL_CELL])
{
	size_t i;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols *
	    sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(row[i]);
	t->nrows++;
}

static void
ctl_table_line(FILE *fp, const struct ctl_table *t, const size_t *w,
    const char *const *cell)
{
	size_t i;
	int pad;

	for (i = 0; i < t->ncols; i++) {
		pad = (int)(w[i] - strlen(cell[i]));
		if (t->align[i] == 'r')
			fprintf(fp, "%*s%s", pad, "", cell[i]);
		else if (i + 1 < t->ncols)
			fprintf(fp, "%s%*s", cell[i], pad, "");
		else
			fputs(cell[i], fp);
		fputs(i + 1 < t->ncols ? "  " : "\n", fp);
	}
}

/* Prints and frees the table. */
static void
ctl_table_print(FILE *fp, struct ctl_table *t)
{
	size_t w[16], i, r;

	for (i = 0; i < t->ncols; i++) {
		w[i] = strlen(t->head[i]);
		for (r = 0; r < t->nrows; r++)
			if (strlen(t->cells[r * t->ncols + i]) > w[i])
				w[i] = strlen(t->cells[r * t->ncols + i]);
	}
	ctl_table_line(fp, t, w, t->head);
	for (r = 0; r < t->nrows; r++)
		ctl_table_line(fp, t, w, (const char *const *)t->cells + r * t->ncols);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

void
ctl_fmt_duration(char *buf, size_t n, long long s)
{
	if (s < 0)
		snprintf(buf, n, "-");
	else if (s < 60)
		snprintf(buf, n, "%llds", s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* A member as a cell: strings as they are, integers in decimal, anything
 * else (null, missing, empty string) "-". */
static void
ctl_cell(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		snprintf(buf, CTL_CELL, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, CTL_CELL, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		snprintf(buf, CTL_CELL, "-");
}

static void
ctl_cell_duration(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		ctl_fmt_duration(buf, CTL_CELL, (long long)json_integer_value(v));
	else
		snprintf(buf, CTL_CELL, "-");
}

/* last_exit: a string ("exit 1", "signal 9"), an exit code, or null. */
static void
ctl_cell_exit(char *buf, const json_t *obj)
{
	const json_t *v = json_object_get(obj, "last_exit");

	if (json_is_integer(v))
		snprintf(buf, CTL_CELL, "exit %" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		ctl_cell(buf, obj, "last_exit");
}

/* What a process said about its state (MSG_STATE detail), one line each. */
static void
ctl_print_details(FILE *fp, const json_t *procs)
{
	const json_t *p, *d;
	char id[CTL_CELL];
	size_t i;

	json_array_foreach(procs, i, p) {
		d = json_object_get(p, "detail");
		if (!json_is_string(d) || json_string_length(d) == 0)
			continue;
		ctl_cell(id, p, "id");
		fprintf(fp, "%s: %s\n", id, json_string_value(d));
	}
}

static const char *const ctl_status_head[] = {
	"ROLE", "ID", "PID", "STATE", "RESTARTS", "UPTIME", "LAST-EXIT"
};

int
ctl_print_status(FILE *fp, const json_t *r)
{
	struct ctl_table t = { 7, ctl_status_head, "llrlrrl", NULL, 0 };
	const json_t *procs = json_object_get(r, "processes"), *p;
	char c[7][CTL_CELL];
	size_t i;

	if (!json_is_object(r) || !json_is_array(procs))
		return -1;
	ctl_cell(c[0], r, "version");
	ctl_cell(c[1], r, "pid");
	ctl_cell(c[2], r, "health");
	ctl_cell_duration(c[3], r, "uptime_s");
	fprintf(fp, "electricd %s  pid %s  health %s  uptime %s\n", c[0], c[1],
	    c[2], c[3]);
	json_array_foreach(procs, i, p) {
		ctl_cell(c[0], p, "role");
		ctl_cell(c[1], p, "id");
		ctl_cell(c[2], p, "pid");
		ctl_cell(c[3], p, "state");
		ctl_cell(c[4], p, "restarts");
		ctl_cell_duration(c[5], p, "uptime_s");
		ctl_cell_exit(c[6], p);
		ctl_table_add(&t, c);
	}
	ctl_table_print(fp, &t);
	ctl_print_details(fp, procs);
	return 0;
}

static const char *const ctl_shapes_head[] = {
	"HANDLE", "TABLE", "STATE", "OFFSET", "ENTRIES", "SIZE", "LAST-CHANGE",
	"PID"
};

static void ctl_cell_bytes(char *buf, const json_t *obj, const char *key);

int
ctl_print_shapes(FILE *fp, const json_t *r)
{
	struct ctl_table t = { 8, ctl_shapes_head, "llllrrlr", NULL, 0 };
	const json_t *shapes = json_object_get(r, "shapes"), *s;
	char c[8][CTL_CELL];
	size_t i;

	if (!json_is_object(r) || !json_is_array(shapes))
		return -1;
	if (json_array_size(shapes) == 0) {
		fprintf(fp, "no shapes\n");
		return 0;
	}
	json_array_foreach(shapes, i, s) {
		ctl_cell(c[0], s, "handle");
		ctl_cell(c[1], s, "table");
		ctl_cell(c[2], s, "state");
		ctl_cell(c[3], s, "latest_offset");
		ctl_cell(c[4], s, "log_entries");
		ctl_cell_bytes(c[5], s, "disk_bytes");
		ctl_cell(c[6], s, "last_change");
		ctl_cell(c[7], s, "consumer_pid");
		ctl_table_add(&t, c);
	}
	ctl_table_print(fp, &t);
	return 0;
}

int
ctl_print_restart(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "restarted");

	if (!json_is_string(v))
		return -1;
	fprintf(fp, "restarted %s\n", json_string_value(v));
	return 0;
}

/* electricctl's own version is printed before the daemon is asked. */
int
ctl_print_version(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "version");

	if (!json_is_string(v))
		return -1;
	fprintf(fp, "electricd %s\n", json_string_value(v));
	return 0;
}

void
ctl_fmt_bytes(char *buf, size_t n, long long b)
{
	static const char units[] = "KMGTP";
	double v = (double)b;
	size_t u = 0;

	if (b < 0) {
		snprintf(buf, n, "-");
		return;
	}
	if (b < 1024) {
		snprintf(buf, n, "%lldB", b);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) - 1; u++)
		v /= 1024;
	if (v < 99.95)
		snprintf(buf, n, "%.1f%c", v, units[u]);
	else
		snprintf(buf, n, "%.0f%c", v, units[u]);
}

/* ---- shape: "name  value" lines ---- */

static long long
ctl_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* "id (pk), title, done" from the columns [{"name":..,"pk":..},..] */
static void
ctl_cell_columns(char *buf, const json_t *cols)
{
	const json_t *c;
	size_t i, len = 0;
	int pk;

	snprintf(buf, CTL_CELL, "-");
	json_array_foreach(cols, i, c) {
		pk = json_is_integer(json_object_get(c, "pk")) &&
		    json_integer_value(json_object_get(c, "pk")) >= 0;
		len += (size_t)snprintf(buf + len, CTL_CELL - len, "%s%s%s",
		    i > 0 ? ", " : "", json_string_value(json_object_get(c,
		    "name")) ?: "?", pk ? " (pk)" : "");
		if (len >= CTL_CELL)
			break;
	}
}

/* "pid 4130, ready, 2 restarts, up 1h02m", or "none" */
static void
ctl_cell_consumer(char *buf, const json_t *r)
{
	const char *st = json_string_value(json_object_get(r, "consumer_state"));
	long long pid = ctl_int(r, "consumer_pid");
	char up[32];

	if (st == NULL) {
		snprintf(buf, CTL_CELL, "-");
		return;
	}
	ctl_fmt_duration(up, sizeof(up), ctl_int(r, "consumer_uptime_s"));
	if (pid < 0) {
		snprintf(buf, CTL_CELL, "%.64s, %lld restarts", st,
		    ctl_int(r, "consumer_restarts"));
		return;
	}
	snprintf(buf, CTL_CELL, "pid %lld, %.64s, %lld restarts, up %s", pid,
	    st, ctl_int(r, "consumer_restarts"), up);
}

/* "1 chunk, complete, 1.2K" */
static void
ctl_cell_snapshot(char *buf, const json_t *r)
{
	char sz[32];
	long long n = ctl_int(r, "snapshot_chunks");
	const json_t *done = json_object_get(r, "snapshot_done");

	if (n < 0) {
		snprintf(buf, CTL_CELL, "-");
		return;
	}
	ctl_fmt_bytes(sz, sizeof(sz), ctl_int(r, "snapshot_bytes"));
	snprintf(buf, CTL_CELL, "%lld chunk%s, %s, %s", n, n == 1 ? "" : "s",
	    json_is_true(done) ? "complete" : "running", sz);
}

/* "42 entries, 0 closed chunks, 5.5K" */
static void
ctl_cell_log(char *buf, const json_t *r)
{
	char sz[32];
	long long n = ctl_int(r, "log_entries"), c = ctl_int(r, "log_chunks");

	if (n < 0) {
		snprintf(buf, CTL_CELL, "-");
		return;
	}
	ctl_fmt_bytes(sz, sizeof(sz), ctl_int(r, "log_bytes"));
	snprintf(buf, CTL_CELL, "%lld entr%s, %lld closed chunk%s, %s", n,
	    n == 1 ? "y" : "ies", c, c == 1 ? "" : "s", sz);
}

static void
ctl_cell_bytes(char *buf, const json_t *obj, const char *key)
{
	ctl_fmt_bytes(buf, CTL_CELL, ctl_int(obj, key));
}

/* "2 requests" (long-polls, SSE streams, subsets parked in http) */
static void
ctl_cell_waiting(char *buf, const json_t *r)
{
	long long n = ctl_int(r, "waiting_clients");

	if (n < 0)
		snprintf(buf, CTL_CELL, "-");
	else
		snprintf(buf, CTL_CELL, "%lld request%s", n, n == 1 ? "" : "s");
}

static void
ctl_cell_disk(char *buf, const json_t *r)
{
	char sz[32];
	long long n = ctl_int(r, "disk_bytes");

	ctl_fmt_bytes(sz, sizeof(sz), n);
	if (n < 0)
		snprintf(buf, CTL_CELL, "-");
	else
		snprintf(buf, CTL_CELL, "%s (%lld bytes)", sz, n);
}

int
ctl_print_shape(FILE *fp, const json_t *r)
{
	static const char *const names[] = { "handle", "table", "columns",
	    "log mode", "state", "created", "latest offset", "snapshot xmin",
	    "snapshot", "log", "disk", "consumer", "waiting" };
	char c[13][CTL_CELL];
	size_t i;

	if (!json_is_string(json_object_get(r, "handle")))
		return -1;
	ctl_cell(c[0], r, "handle");
	ctl_cell(c[1], r, "table");
	ctl_cell_columns(c[2], json_object_get(r, "columns"));
	ctl_cell(c[3], r, "log_mode");
	ctl_cell(c[4], r, "state");
	ctl_cell(c[5], r, "created");
	ctl_cell(c[6], r, "latest_offset");
	ctl_cell(c[7], r, "snapshot_xmin");
	ctl_cell_snapshot(c[8], r);
	ctl_cell_log(c[9], r);
	ctl_cell_disk(c[10], r);
	ctl_cell_consumer(c[11], r);
	ctl_cell_waiting(c[12], r);
	for (i = 0; i < 13; i++)
		fprintf(fp, "%-13s  %s\n", names[i], c[i]);
	return 0;
}

int
ctl_print_delete(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "deleted");

	if (!json_is_string(v))
		return -1;
	fprintf(fp, "deleted %s\n", json_string_value(v));
	return 0;
}

int
ctl_print_suspend(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "suspended");
	const char *st = json_string_value(json_object_get(r, "state"));

	if (!json_is_string(v) || st == NULL)
		return -1;
	if (strcmp(st, "suspended") == 0)
		fprintf(fp, "suspended %s\n", json_string_value(v));
	else
		fprintf(fp, "%s is %s (not suspended: it has no consumer to "
		    "stop, or was needed again at once)\n",
		    json_string_value(v), st);
	return 0;
}

int
ctl_print_resume(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "resumed");

	if (!json_is_string(v))
		return -1;
	fprintf(fp, "%s %s\n", json_is_true(json_object_get(r, "running")) ?
	    "already running:" : "resumed", json_string_value(v));
	return 0;
}

/* Printed when the daemon accepted; electricctl then waits. */
int
ctl_print_stop(FILE *fp, const json_t *r)
{
	char pid[CTL_CELL];

	if (!json_is_true(json_object_get(r, "stopping")))
		return -1;
	ctl_cell(pid, r, "pid");
	fprintf(fp, "electricd (pid %s) is stopping\n", pid);
	return 0;
}

/* ---- top ---- */

static const char *const ctl_top_head[] = {
	"ROLE", "ID", "PID", "CPU%", "RSS", "ENTRIES/S"
};

/* A real or integer member with one decimal; "-" otherwise. */
static void
ctl_cell_rate(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_number(v))
		snprintf(buf, CTL_CELL, "%.1f", json_number_value(v));
	else
		snprintf(buf, CTL_CELL, "-");
}

int
ctl_print_top(FILE *fp, const json_t *view)
{
	struct ctl_table t = { 6, ctl_top_head, "llrrrr", NULL, 0 };
	const json_t *procs = json_object_get(view, "processes"), *p;
	long long rss, total = 0;
	double cpu = 0;
	char c[6][CTL_CELL];
	size_t i;

	if (!json_is_array(procs))
		return -1;
	json_array_foreach(procs, i, p) {
		ctl_cell(c[0], p, "role");
		ctl_cell(c[1], p, "id");
		ctl_cell(c[2], p, "pid");
		ctl_cell_rate(c[3], p, "cpu_pct");
		rss = ctl_int(p, "rss_kb");
		ctl_fmt_bytes(c[4], CTL_CELL, rss < 0 ? -1 : rss * 1024);
		ctl_cell_rate(c[5], p, "entries_per_s");
		ctl_table_add(&t, c);
		cpu += json_number_value(json_object_get(p, "cpu_pct"));
		total += rss > 0 ? rss : 0;
	}
	ctl_fmt_bytes(c[0], CTL_CELL, total * 1024);
	fprintf(fp, "%zu processes  cpu %.1f%%  rss %s  interval %.1fs\n",
	    json_array_size(procs), cpu, c[0],
	    (double)ctl_int(view, "interval_ms") / 1000);
	ctl_table_print(fp, &t);
	return 0;
}

/* ---- tail ---- */

/* A value as people read it: plain if it is one word, else JSON-quoted. */
static void
ctl_fmt_value(FILE *fp, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v);
	char *q;

	if (json_is_null(v)) {
		fputs("NULL", fp);
		return;
	}
	for (i = 0; s != NULL && i < n; i++)
		if (isspace((unsigned char)s[i]) || iscntrl((unsigned char)s[i]) ||
		    s[i] == '"' || s[i] == '=' || s[i] == '\\')
			break;
	if (s != NULL && n > 0 && i == n) {
		fputs(s, fp);
		return;
	}
	q = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	fputs(q ? q : "?", fp);
	free(q);
}

void
ctl_fmt_entry(FILE *fp, const char *offset, const char *json, size_t len)
{
	json_t *e = json_loadb(json, len, 0, NULL), *h, *v;
	const char *what, *k, *sep;

	h = json_object_get(e, "headers");
	what = json_string_value(json_object_get(h, "operation"));
	if (what == NULL)
		what = json_string_value(json_object_get(h, "control"));
	if (what == NULL) {	/* not a message we know: as it is */
		fprintf(fp, "%s  %.*s\n", offset, (int)len, json);
		json_decref(e);
		return;
	}
	fprintf(fp, "%s  %s", offset, what);
	if (json_is_string(json_object_get(e, "key")))
		fprintf(fp, "  %s", json_string_value(json_object_get(e, "key")));
	sep = "  ";
	json_object_foreach(json_object_get(e, "value"), k, v) {
		fprintf(fp, "%s%s=", sep, k);
		ctl_fmt_value(fp, v);
		sep = " ";
	}
	fputc('\n', fp);
	json_decref(e);
}
