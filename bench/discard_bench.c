/*
 * discard_bench: how fast electricd decodes and discards changes that
 * match no shape (issue 7 scenario 2), by replaying a captured pgoutput
 * stream through the replication decoder (replication/pgoutput.c) and the
 * collector's router (shapecache/collector_route.c), in one process.
 * Driven by bench/s2_discard.mjs, which writes the WAL first.
 *
 *   bin/discard-bench capture URL SLOT PUBLICATION LSN FILE
 *	streams SLOT (pgoutput, proto_version 1) until the first Commit at
 *	or after LSN and stores every CopyData message in FILE as
 *	"u32 length (host order), bytes"; prints the number of messages.
 *   bin/discard-bench replay FILE TABLE NSHAPES SECONDS
 *	registers NSHAPES shapes `k = -1 - i` on public.TABLE (columns id
 *	int8, k int4, v text; no captured row has a negative k) and replays
 *	FILE for at least SECONDS: every message parsed and decoded into
 *	its frame payload (RELATION frames update the relation as the
 *	collector does), every CHANGE routed.  SECONDS is CPU time of this
 *	process (the machine may be shared: changes per CPU second is the
 *	figure that does not depend on the load).  Prints one JSON object:
 *	{"changes":N,"seconds":wall,"cpu_seconds":S,"changes_per_s":R,
 *	 "changes_per_cpu_s":R,"routed":0}.
 *
 * What it leaves out: the socket hop replication -> collector (one
 * frame write and read per message) and Postgres' own decoding in the
 * walsender; s2_discard.mjs measures the whole path separately.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "collector_int.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "pgoutput.h"

static const char columns_json[] =
    "[{\"name\":\"id\",\"type\":\"int8\",\"pk\":0},"
    "{\"name\":\"k\",\"type\":\"int4\",\"pk\":-1},"
    "{\"name\":\"v\",\"type\":\"text\",\"pk\":-1}]";

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- capture ---- */

/* 1 when the 'w' message is a Commit at or after lsn. */
static int
is_last_commit(const struct pgoutput_copy *c, uint64_t lsn)
{
	uint64_t commit = 0;
	int i;

	if (c->len < 26 || c->data[0] != 'C')
		return 0;
	for (i = 0; i < 8; i++)
		commit = commit << 8 | c->data[2 + i];
	return commit >= lsn;
}

static int
capture(const char *url, const char *slot, const char *pub, const char *lsn_s,
    const char *path)
{
	struct pgoutput_copy c;
	const char *keys[] = { "dbname", "replication", NULL };
	const char *vals[] = { url, "database", NULL };
	uint64_t lsn, n = 0;
	PGconn *conn;
	PGresult *res;
	char *sql, *buf;
	FILE *out;
	int len;
	uint32_t l32;

	if (pgoutput_lsn_parse(lsn_s, &lsn) == -1)
		fatalx("bad LSN %s", lsn_s);
	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK)
		fatalx("connect: %s", PQerrorMessage(conn));
	sql = xasprintf("START_REPLICATION SLOT \"%s\" LOGICAL 0/0 "
	    "(proto_version '1', publication_names '%s')", slot, pub);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_BOTH)
		fatalx("START_REPLICATION: %s", PQerrorMessage(conn));
	PQclear(res);
	free(sql);
	if ((out = fopen(path, "w")) == NULL)
		fatal("%s", path);
	while ((len = PQgetCopyData(conn, &buf, 0)) > 0) {
		l32 = (uint32_t)len;
		if (fwrite(&l32, 4, 1, out) != 1 ||
		    fwrite(buf, 1, (size_t)len, out) != (size_t)len)
			fatal("%s", path);
		n++;
		if (pgoutput_copy_parse((uint8_t *)buf, (size_t)len, &c) == 0 &&
		    c.kind == 'w' && is_last_commit(&c, lsn)) {
			PQfreemem(buf);
			break;
		}
		PQfreemem(buf);
	}
	if (len <= 0)
		fatalx("stream ended early: %s", PQerrorMessage(conn));
	if (fclose(out) != 0)
		fatal("%s", path);
	PQfinish(conn);
	printf("%llu\n", (unsigned long long)n);
	return 0;
}

/* ---- replay ---- */

struct capture {
	uint8_t	*p;
	size_t	 len;
};

static void
load(const char *path, struct capture *cap)
{
	FILE *f = fopen(path, "r");
	long sz = -1;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0)
		sz = ftell(f);
	if (sz < 0)
		fatal("%s", path);
	rewind(f);
	cap->len = (size_t)sz;
	cap->p = xmalloc(cap->len + 1);
	if (fread(cap->p, 1, cap->len, f) != cap->len)
		fatal("%s", path);
	fclose(f);
}

/* The collector's handling of a RELATION frame (collector.c). */
static void
on_relation(struct col_rel **rels, const struct mbuf *m)
{
	struct mreader r;
	struct col_rel *rel;
	uint32_t relid;

	mr_init(&r, m->p, m->len);
	relid = mr_u32(&r);
	for (rel = *rels; rel != NULL && rel->relid != relid; rel = rel->next)
		;
	if (rel == NULL) {
		rel = xcalloc(1, sizeof(*rel));
		rel->relid = relid;
		rel->next = *rels;
		*rels = rel;
	}
	free(rel->schema);
	free(rel->table);
	rel->schema = mr_str(&r);
	rel->table = mr_str(&r);
	rel->version++;
	free(rel->frame);
	rel->frame = xmalloc(m->len);
	memcpy(rel->frame, m->p, m->len);
	rel->framelen = (uint32_t)m->len;
	col_route_relation(rel);
}

static void
on_route(struct col_sub *s, void *arg)
{
	(void)s;
	(*(uint64_t *)arg)++;
}

/* One pass over the capture; returns the number of changes. */
static uint64_t
replay_once(const struct capture *cap, struct col_rel **rels, struct mbuf *m,
    uint64_t *routed)
{
	struct pgoutput_state st;
	struct pgoutput_copy c;
	struct col_rel *rel;
	struct frame f;
	uint64_t changes = 0;
	uint32_t len, relid;
	uint16_t type;
	size_t off;

	pgoutput_state_reset(&st);
	for (off = 0; off + 4 <= cap->len; off += 4 + len) {
		memcpy(&len, cap->p + off, 4);
		if (pgoutput_copy_parse(cap->p + off + 4, len, &c) == -1)
			fatalx("malformed capture at %zu", off);
		if (c.kind != 'w')
			continue;
		if (pgoutput_decode(c.data, c.len, &st, m, &type) == -1)
			fatalx("decode: %s", st.err);
		if (type == MSG_RELATION) {
			on_relation(rels, m);
		} else if (type == MSG_CHANGE) {
			memcpy(&relid, m->p, 4);
			for (rel = *rels; rel != NULL && rel->relid != relid;
			    rel = rel->next)
				;
			if (rel == NULL)
				fatalx("change before its relation");
			memset(&f, 0, sizeof(f));
			f.type = MSG_CHANGE;
			f.data = m->p;
			f.len = (uint32_t)m->len;
			if (col_route_change(rel, &f, on_route, routed) == -1)
				fatalx("malformed change");
			changes++;
		}
	}
	return changes;
}

static int
replay(const char *path, const char *table, int nshapes, double secs)
{
	struct capture cap;
	struct col_rel *rels = NULL;
	struct meta_shape ms;
	struct mbuf m;
	uint64_t changes = 0, routed = 0;
	char h[32];
	double t0, c0, el, cpu;
	int i;

	load(path, &cap);
	memset(&ms, 0, sizeof(ms));
	ms.columns = (char *)columns_json;
	ms.params = (char *)"[]";
	for (i = 0; i < nshapes; i++) {
		snprintf(h, sizeof(h), "discard-%d", i);
		ms.handle = h;
		ms.where_text = xasprintf("k = %d", -1 - i);
		col_route_identity(col_sub_add(h, "public", table), &ms);
		free(ms.where_text);
	}
	mbuf_init(&m);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	do
		changes += replay_once(&cap, &rels, &m, &routed);
	while ((cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) < secs);
	el = clock_s(CLOCK_MONOTONIC) - t0;
	printf("{\"changes\":%llu,\"seconds\":%.4f,\"cpu_seconds\":%.4f,"
	    "\"changes_per_s\":%.0f,\"changes_per_cpu_s\":%.0f,"
	    "\"routed\":%llu}\n", (unsigned long long)changes, el, cpu,
	    (double)changes / el, (double)changes / cpu,
	    (unsigned long long)routed);
	mbuf_free(&m);
	free(cap.p);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("discard-bench", NULL);
	if (argc == 7 && strcmp(argv[1], "capture") == 0)
		return capture(argv[2], argv[3], argv[4], argv[5], argv[6]);
	if (argc == 6 && strcmp(argv[1], "replay") == 0)
		return replay(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
	fprintf(stderr, "usage: discard-bench capture URL SLOT PUBLICATION LSN FILE\n"
	    "       discard-bench replay FILE TABLE NSHAPES SECONDS\n");
	return 2;
}
