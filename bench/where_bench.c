/*
 * where_bench: throughput of the WHERE engine and of the collector's
 * routing index (issue 4), in one process, no Postgres.
 *
 *   bin/where-bench [NSHAPES [SECONDS]]      (default 100000 shapes, 1 s)
 *
 * 1. evaluations/s of where_eval for a few typical clauses on one row;
 * 2. routing of one change among NSHAPES `a = const` shapes on one table
 *    (all indexed): changes/s, i.e. index lookups/s, and the same with a
 *    tenth of the shapes non-indexable (a > const, evaluated per change).
 * Prints one line per figure: "name value unit".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector_int.h"
#include "frame.h"
#include "meta.h"
#include "msg.h"
#include "wheremeta.h"

static const char columns_json[] =
    "[{\"name\":\"id\",\"type\":\"int8\",\"pk\":0},"
    "{\"name\":\"a\",\"type\":\"int4\",\"pk\":-1},"
    "{\"name\":\"t\",\"type\":\"text\",\"pk\":-1},"
    "{\"name\":\"f\",\"type\":\"float8\",\"pk\":-1},"
    "{\"name\":\"ts\",\"type\":\"timestamptz\",\"pk\":-1},"
    "{\"name\":\"tags\",\"type\":\"text\",\"dims\":1,\"pk\":-1}]";
#define NCOLS 6
static const char *const names[NCOLS] = { "id", "a", "t", "f", "ts", "tags" };
static const char *const row_text[NCOLS] = { "123456", "42", "hello world",
    "3.25", "2024-01-31 12:34:56.123+00", "{red,green,blue}" };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
eval_bench(const char *where, double secs)
{
	struct change_val row[NCOLS];
	struct where *w;
	double t0, el;
	uint64_t n = 0, hits = 0;
	char *err;
	int i;

	for (i = 0; i < NCOLS; i++)
		row[i] = (struct change_val){ CHANGE_TEXT,
		    (uint32_t)strlen(row_text[i]), row_text[i] };
	if (wheremeta_compile(columns_json, where, "[]", &w, &err) == -1) {
		fprintf(stderr, "%s: %s\n", where, err);
		exit(1);
	}
	t0 = now_s();
	do {
		for (i = 0; i < 1000; i++)
			hits += (uint64_t)where_eval(w, row);
		n += 1000;
	} while ((el = now_s() - t0) < secs);
	printf("eval %-48s %12.0f evals/s (%s)\n", where, (double)n / el,
	    hits ? "true" : "false");
	where_free(w);
}

static int delivered;

static void
count(struct col_sub *s, void *arg)
{
	(void)s;
	(void)arg;
	delivered++;
}

static struct col_rel *
make_rel(uint32_t relid, const char *table)
{
	struct col_rel *rel = calloc(1, sizeof(*rel));
	struct mbuf m;
	int i;

	mbuf_init(&m);
	mbuf_u32(&m, relid);
	mbuf_str(&m, "public");
	mbuf_str(&m, table);
	mbuf_u8(&m, 'f');
	mbuf_u16(&m, NCOLS);
	for (i = 0; i < NCOLS; i++) {
		mbuf_u8(&m, 0);
		mbuf_str(&m, names[i]);
		mbuf_u32(&m, 25);
		mbuf_i32(&m, -1);
	}
	rel->relid = relid;
	rel->version = 1;
	rel->schema = strdup("public");
	rel->table = strdup(table);
	rel->frame = m.p;
	rel->framelen = (uint32_t)m.len;
	col_route_relation(rel);
	return rel;
}

static void
route_bench(int nshapes, int plain_every, double secs)
{
	const char *table = plain_every ? "mixed" : "indexed";
	uint32_t relid = plain_every ? 2 : 1;
	struct col_rel *rel = make_rel(relid, table);
	struct meta_shape ms;
	struct frame f;
	struct mbuf m;
	char h[32], val[16];
	double t0, el;
	uint64_t n = 0;
	int i, k;

	memset(&ms, 0, sizeof(ms));
	ms.columns = (char *)columns_json;
	ms.params = (char *)"[]";
	ms.relid = relid;
	t0 = now_s();
	for (i = 0; i < nshapes; i++) {
		snprintf(h, sizeof(h), "s%d-%d", plain_every, i);
		ms.handle = h;
		ms.where_text = plain_every && i % plain_every == 0 ?
		    xasprintf("a > %d", 1000000 + i) : xasprintf("a = %d", i);
		col_route_identity(col_sub_add(h, "public", table), &ms);
		free(ms.where_text);
	}
	printf("route register %d shapes: %.2f s\n", nshapes, now_s() - t0);
	mbuf_init(&m);
	t0 = now_s();
	do {
		for (k = 0; k < 100; k++) {
			mbuf_reset(&m);
			mbuf_u32(&m, relid);
			mbuf_u8(&m, 'I');
			mbuf_u32(&m, 0);
			mbuf_u8(&m, 0);
			mbuf_u8(&m, 1);
			mbuf_u16(&m, NCOLS);
			snprintf(val, sizeof(val), "%llu",
			    (unsigned long long)(n % (uint64_t)nshapes));
			for (i = 0; i < NCOLS; i++) {
				mbuf_u8(&m, CHANGE_TEXT);
				if (i == 1)
					mbuf_bytes(&m, val, strlen(val));
				else
					mbuf_bytes(&m, row_text[i], strlen(row_text[i]));
			}
			memset(&f, 0, sizeof(f));
			f.type = MSG_CHANGE;
			f.data = m.p;
			f.len = (uint32_t)m.len;
			(void)col_route_change(rel, &f, count, NULL);
			n++;
		}
	} while ((el = now_s() - t0) < secs);
	printf("route %d shapes (%s): %12.0f changes/s, %.2f shapes reached per "
	    "change\n", nshapes, plain_every ? "1 in 10 not indexable" :
	    "all indexed", (double)n / el, (double)delivered / (double)n);
	delivered = 0;
	mbuf_free(&m);
}

int
main(int argc, char **argv)
{
	int nshapes = argc > 1 ? atoi(argv[1]) : 100000;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;

	if (nshapes < 1)
		nshapes = 1;
	eval_bench("a = 42", secs);
	eval_bench("a = 42 AND t LIKE 'hello%'", secs);
	eval_bench("f * 2 > 6.0 OR id IN (1, 2, 3)", secs);
	eval_bench("ts >= '2024-01-01' AND 'green' = ANY(tags)", secs);
	eval_bench("lower(t) = 'hello world' AND NOT (a BETWEEN 1 AND 10)", secs);
	route_bench(nshapes, 0, secs);
	route_bench(nshapes / 10 > 0 ? nshapes / 10 : 1, 10, secs);
	return 0;
}
