/*
 * ctl_top: electricctl top's arithmetic.  The daemon's "top" reply is one
 * sample: {"clock_ticks":100,"at_ms":<root's monotonic clock>,"processes":
 * [{"role","id","pid","cpu_ticks","rss_kb"[,"log_entries"]}..]}.  Rates
 * need two samples of the same process: same id and same pid (a restarted
 * process starts over, and has no rate until the next sample).  The view is
 * sorted busiest first; equal CPU keeps the daemon's order, so that the
 * table does not jump around when everything idles.  ctl_print_top
 * (ctl_fmt.c) prints the view.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

struct ctl_top_row {
	json_t	*o;
	double	 cpu;
	size_t	 pos;
};

static const json_t *
ctl_top_find(const json_t *prev, const json_t *p)
{
	const json_t *q, *procs = json_object_get(prev, "processes");
	const char *id = json_string_value(json_object_get(p, "id"));
	size_t i;

	if (id == NULL || !json_is_integer(json_object_get(p, "pid")))
		return NULL;
	json_array_foreach(procs, i, q) {
		if (json_equal(json_object_get(q, "pid"), json_object_get(p, "pid")) &&
		    json_equal(json_object_get(q, "id"), json_object_get(p, "id")))
			return q;
	}
	return NULL;
}

/* (cur[key] - prev[key]) / scale per second, one decimal; null if either
 * is missing or the counter went backwards. */
static json_t *
ctl_top_rate(const json_t *q, const json_t *p, const char *key, double scale,
    double secs)
{
	const json_t *a = json_object_get(q, key), *b = json_object_get(p, key);
	double d;

	if (q == NULL || !json_is_integer(a) || !json_is_integer(b) || secs <= 0)
		return json_null();
	d = (double)(json_integer_value(b) - json_integer_value(a));
	if (d < 0)
		return json_null();
	/* one decimal, without libm (electricctl does not link it) */
	return json_real((double)(long long)(d / scale / secs * 10 + 0.5) / 10);
}

static int
ctl_top_cmp(const void *a, const void *b)
{
	const struct ctl_top_row *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? 1 : -1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static json_t *
ctl_top_row(const json_t *prev, const json_t *p, double ticks, double secs)
{
	const json_t *q = prev ? ctl_top_find(prev, p) : NULL;
	json_t *o;

	o = json_pack("{s:O*,s:O*,s:O*}", "role", json_object_get(p, "role"),
	    "id", json_object_get(p, "id"), "pid", json_object_get(p, "pid"));
	if (o == NULL)
		o = json_object();
	json_object_set_new(o, "cpu_pct", ctl_top_rate(q, p, "cpu_ticks",
	    ticks / 100, secs));
	json_object_set(o, "rss_kb", json_object_get(p, "rss_kb") ?:
	    json_null());
	if (json_object_get(p, "log_entries") != NULL) {
		json_object_set(o, "log_entries", json_object_get(p, "log_entries"));
		json_object_set_new(o, "entries_per_s", ctl_top_rate(q, p,
		    "log_entries", 1, secs));
	}
	return o;
}

json_t *
ctl_top_view(const json_t *prev, const json_t *cur)
{
	const json_t *procs = json_object_get(cur, "processes"), *p;
	double ticks = (double)json_integer_value(json_object_get(cur,
	    "clock_ticks"));
	json_int_t ms = json_integer_value(json_object_get(cur, "at_ms")) -
	    json_integer_value(json_object_get(prev, "at_ms"));
	struct ctl_top_row *rows;
	json_t *out, *list = json_array();
	size_t i, n = json_array_size(procs);

	if (prev == NULL || ticks <= 0)
		ms = 0;
	rows = xcalloc(n + 1, sizeof(*rows));
	json_array_foreach(procs, i, p) {
		rows[i].o = ctl_top_row(prev, p, ticks, (double)ms / 1000);
		rows[i].cpu = json_number_value(json_object_get(rows[i].o,
		    "cpu_pct"));
		rows[i].pos = i;
	}
	qsort(rows, n, sizeof(*rows), ctl_top_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(list, rows[i].o);
	free(rows);
	out = json_pack("{s:I,s:o}", "interval_ms", ms, "processes", list);
	return out;
}
