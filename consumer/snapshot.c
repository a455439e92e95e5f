/*
 * snapshot: the consumer's initial snapshot of its shape (snapshot.h).
 * Blocking libpq on a connection of its own, opened and closed here (no
 * handle crosses a fork).  The consumer subscribes to the collector before
 * calling this, so every transaction the snapshot cannot see is forwarded
 * and later filtered with the (xmin, xmax, xip) read here (§12.4).
 * Rows are read with COPY (SELECT ...) TO STDOUT, text format, under the
 * §11.1 settings: the types' text output functions, so values are
 * byte-identical to what pgoutput sends (bool is t/f on both paths).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "pgwire.h"
#include "snapshot.h"

/* The transaction and the snapshot, in one round trip (one simple query
 * of several statements; PQexec returns the last one's result). */
static const char snapshot_setup[] =
	"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
	SNAPSHOT_SETTINGS_SQL
	"SELECT pg_current_snapshot()::text";

size_t
snapshot_ncols(const struct change_shape *sh)
{
	size_t i, n = 0;

	for (i = 0; i < sh->ncols; i++)
		n += sh->cols[i].sel != 0;
	return n;
}

char *
snapshot_query(const struct change_shape *sh, const char *where)
{
	struct sbuf b;
	size_t i, n = 0;

	sbuf_init(&b);
	sbuf_adds(&b, "SELECT ");
	for (i = 0; i < sh->ncols; i++) {
		if (!sh->cols[i].sel)
			continue;
		if (n++ > 0)
			sbuf_addc(&b, ',');
		sbuf_add_sql_ident(&b, sh->cols[i].name);
	}
	sbuf_adds(&b, " FROM ");
	sbuf_add_sql_ident(&b, sh->schema);
	sbuf_addc(&b, '.');
	sbuf_add_sql_ident(&b, sh->table);
	if (where != NULL && *where != '\0') {
		sbuf_adds(&b, " WHERE (");
		sbuf_adds(&b, where);
		sbuf_addc(&b, ')');
	}
	return b.p;
}

static int
parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	*sp = s;
	return 0;
}

int
snapshot_parse_txids(const char *s, struct shapelog_xip *x)
{
	uint64_t v;

	memset(x, 0, sizeof(*x));
	if (parse_u64(&s, &x->xmin) == -1 || *s++ != ':' ||
	    parse_u64(&s, &x->xmax) == -1 || *s++ != ':' || x->xmin > x->xmax)
		return -1;
	if (*s == '\0')
		return 0;
	for (;;) {
		if (parse_u64(&s, &v) == -1 || (*s != ',' && *s != '\0')) {
			shapelog_xip_free(x);
			return -1;
		}
		x->xip = xrealloc(x->xip, (x->nxip + 1) * sizeof(uint64_t));
		x->xip[x->nxip++] = v;
		if (*s++ == '\0')
			return 0;
	}
}

/* The 64-bit xid nearest to ref with the low 32 bits x. */
static uint64_t
xid_extend(uint32_t x, uint64_t ref)
{
	int32_t d = (int32_t)(x - (uint32_t)ref);

	if (d < 0 && (uint64_t)(-(int64_t)d) > ref)
		return x;	/* would be before xid 0: take the first epoch */
	return ref + (uint64_t)(int64_t)d;
}

int
snapshot_visible(const struct shapelog_xip *s, uint32_t xid, int *after)
{
	uint64_t x = xid_extend(xid, s->xmax);
	size_t i;

	*after = x >= s->xmax;
	if (*after)
		return 0;
	if (x < s->xmin)
		return 1;
	for (i = 0; i < s->nxip; i++)
		if (s->xip[i] == x)
			return 0;
	return 1;
}

static int
exec_ok(PGconn *conn, const char *sql, ExecStatusType want, char **value)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == want;

	if (!ok)
		log_warnx("snapshot: %s: %s", sql, PQerrorMessage(conn));
	else if (value != NULL && PQntuples(res) == 1 && PQnfields(res) == 1)
		*value = xstrdup(PQgetvalue(res, 0, 0));
	else if (value != NULL)
		ok = 0;
	PQclear(res);
	return ok ? 0 : -1;
}

/* Opens the transaction and reads its snapshot. */
static int
snapshot_begin(PGconn *conn, struct shapelog_xip *xip)
{
	char *txt = NULL;
	int r;

	if (exec_ok(conn, snapshot_setup, PGRES_TUPLES_OK, &txt) == -1)
		return -1;
	r = snapshot_parse_txids(txt, xip);
	if (r == -1)
		log_warnx("snapshot: cannot parse pg_current_snapshot() '%s'", txt);
	free(txt);
	return r;
}

struct rowctx {
	struct snapshot_err		*err;
	const struct change_shape	*sh;
	const char			*where;
	size_t				 nsel;
	struct shapelog			*sl;
	struct change_val		*vals;
	struct sbuf			 json;
	void				(*on_chunk)(void *);
	void				*arg;
	uint64_t			 rows;
};

/* A shapelog write failed: say which file and why, and whether it is a
 * storage fault the consumer waits out. */
static void
snapshot_write_failed(struct shapelog *sl, struct snapshot_err *err)
{
	int e = errno;

	log_warnx("snapshot: %s", shapelog_errmsg(sl));
	if (err != NULL && shapelog_storage_errno(e)) {
		err->storage = 1;
		snprintf(err->msg, sizeof(err->msg), "%s", shapelog_errmsg(sl));
	}
}

/* Unescapes one COPY text field in place (s..end, no tab or newline
 * inside); returns its new length.  COPY TO writes \b \f \n \r \t \v
 * and \\; the octal and \x forms are accepted as COPY FROM does. */
static size_t
copy_unescape(char *s, const char *end)
{
	static const char esc[] = "b\bf\fn\nr\rt\tv\v";
	const char *r = s, *e;
	char *w = s;
	unsigned v;
	int k;

	while (r < end) {
		if (*r != '\\' || r + 1 >= end) {
			*w++ = *r++;
			continue;
		}
		r++;
		if (*r >= '0' && *r <= '7') {
			for (v = 0, k = 0; k < 3 && r < end && *r >= '0' && *r <= '7'; k++)
				v = v * 8 + (unsigned)(*r++ - '0');
			*w++ = (char)v;
		} else if (*r == 'x' && r + 1 < end && isxdigit((unsigned char)r[1])) {
			for (r++, v = 0, k = 0; k < 2 && r < end &&
			    isxdigit((unsigned char)*r); k++, r++)
				v = v * 16 + (unsigned)(isdigit((unsigned char)*r) ?
				    *r - '0' : (tolower((unsigned char)*r) - 'a' + 10));
			*w++ = (char)v;
		} else {
			for (e = esc; *e != '\0' && *e != *r; e += 2)
				;
			*w++ = *e != '\0' ? e[1] : *r;
			r++;
		}
	}
	return (size_t)(w - s);
}

int
snapshot_copy_row(char *line, size_t len, struct change_val *vals, size_t n)
{
	char *p = line, *end = line + len, *f;
	size_t i;

	if (len > 0 && end[-1] == '\n')
		end--;
	for (i = 0; i < n; i++) {
		if (p > end || (i > 0 && *(p - 1) != '\t'))
			return -1;
		f = p;
		if ((p = memchr(f, '\t', (size_t)(end - f))) == NULL)
			p = end;
		vals[i].s = f;
		if (p - f == 2 && f[0] == '\\' && f[1] == 'N') {
			vals[i].kind = CHANGE_NULL;
			vals[i].len = 0;
		} else {
			vals[i].kind = CHANGE_TEXT;
			vals[i].len = memchr(f, '\\', (size_t)(p - f)) == NULL ?
			    (uint32_t)(p - f) : (uint32_t)copy_unescape(f, p);
		}
		p++;		/* past the tab (or the end) */
	}
	return p == end + 1 ? 0 : -1;
}

static int
snapshot_row(struct rowctx *rc, char *line, size_t len)
{
	uint32_t before = shapelog_state(rc->sl)->snap_chunks;

	if (snapshot_copy_row(line, len, rc->vals, rc->nsel) == -1) {
		log_warnx("snapshot: a COPY row that is not %zu columns", rc->nsel);
		return -1;
	}
	sbuf_reset(&rc->json);
	change_snapshot_row(&rc->json, rc->sh, rc->vals);
	if (shapelog_snap_append(rc->sl, rc->json.p, rc->json.len) == -1) {
		snapshot_write_failed(rc->sl, rc->err);
		return -1;
	}
	rc->rows++;
	if (shapelog_state(rc->sl)->snap_chunks != before && rc->on_chunk != NULL)
		rc->on_chunk(rc->arg);
	return 0;
}

/* A query error that retrying cannot cure: the data or the query itself
 * (SQLSTATE classes 22 data exception, 42 syntax/access, 0A not
 * supported), e.g. a WHERE overflowing on some row. */
static void
snapshot_judge_state(const char *state, const char *msg,
    struct snapshot_err *err)
{
	if (err == NULL || state == NULL || msg == NULL)
		return;
	if (strncmp(state, "22", 2) != 0 && strncmp(state, "42", 2) != 0 &&
	    strncmp(state, "0A", 2) != 0)
		return;
	err->permanent = 1;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

static void
snapshot_judge(const PGresult *res, struct snapshot_err *err)
{
	snapshot_judge_state(PQresultErrorField(res, PG_DIAG_SQLSTATE),
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), err);
}

/* Streams the rows as COPY (query) TO STDOUT in text format: the same
 * output functions as a text-mode SELECT, without a PGresult per row.
 * On failure the connection is left mid-query; the caller closes it. */
static int
snapshot_rows(PGconn *conn, struct rowctx *rc)
{
	char *q = snapshot_query(rc->sh, rc->where), *copy, *buf;
	PGresult *res;
	int failed = 0, n;

	copy = xasprintf("COPY (%s) TO STDOUT", q);
	free(q);
	res = PQexec(conn, copy);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		log_warnx("snapshot: %s: %s", copy, PQerrorMessage(conn));
		snapshot_judge(res, rc->err);
		PQclear(res);
		free(copy);
		return -1;
	}
	PQclear(res);
	while (!failed && (n = PQgetCopyData(conn, &buf, 0)) > 0) {
		failed = snapshot_row(rc, buf, (size_t)n) == -1;
		PQfreemem(buf);
	}
	if (failed) {
		free(copy);
		return -1;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			log_warnx("snapshot: %s: %s", copy, PQerrorMessage(conn));
			snapshot_judge(res, rc->err);
			failed = 1;
		}
		PQclear(res);
	}
	free(copy);
	return failed ? -1 : 0;
}

static int
snapshot_finish(struct shapelog *sl, struct shapelog_xip *xip,
    struct snapshot_err *err)
{
	struct sbuf end;
	int r;

	sbuf_init(&end);
	change_snapshot_end(&end, xip->xmin, xip->xmax, xip->xip, xip->nxip);
	r = shapelog_xip_write(sl, xip);
	if (r == 0)
		r = shapelog_snap_finish(sl, end.p, end.len);
	if (r == -1)
		snapshot_write_failed(sl, err);
	sbuf_free(&end);
	return r;
}

/* The rows on a libpq connection of our own to conninfo. */
static int
own_take(const char *conninfo, struct rowctx *rc, int rows,
    struct shapelog_xip *xip)
{
	PGconn *conn = PQconnectdb(conninfo);
	int r = -1;

	if (PQstatus(conn) != CONNECTION_OK)
		log_warnx("snapshot: connect: %s", PQerrorMessage(conn));
	else if (snapshot_begin(conn, xip) == 0 &&
	    (!rows || snapshot_rows(conn, rc) == 0) &&
	    exec_ok(conn, "COMMIT", PGRES_COMMAND_OK, NULL) == 0)
		r = 0;
	PQfinish(conn);
	return r;
}

/* ---- on a connection lent by connmgr's pool (pgwire) ---- */

/* What a lent statement list delivers, message by message: the text of
 * a one-value result (want_value), or COPY rows to snapshot_row. */
struct lentctx {
	struct rowctx	*rc;
	int		 want_value;
	char		*value;		/* malloc'd */
	int		 copying;	/* CopyOutResponse seen */
	int		 row_failed;	/* snapshot_row failed: stop reading */
};

static void
lent_message(struct lentctx *lc, char type, char *body, uint32_t len)
{
	const char *v;
	uint32_t vlen;

	if (type == 'D' && lc->want_value && lc->value == NULL &&
	    pgw_datarow_first(body, len, &v, &vlen) == 0) {
		lc->value = xmalloc((size_t)vlen + 1);
		memcpy(lc->value, v, vlen);
		lc->value[vlen] = '\0';
	}
	else if (type == 'H')
		lc->copying = 1;
	else if (type == 'd' && lc->copying)
		lc->row_failed = snapshot_row(lc->rc, body, len) == -1;
}

/* Sends sql and reads every message up to ReadyForQuery (not after a
 * failed row write: the connection is then left mid-COPY, and not
 * reusable).  0, or -1 after an error (logged, judged). */
static int
lent_exec(struct pgw *w, const char *sql, struct lentctx *lc,
    struct snapshot_err *err)
{
	char type, *body;
	uint32_t len;

	if (pgw_query(w, sql) == -1)
		goto broken;
	do {
		if (pgw_next(w, &type, &body, &len) == -1)
			goto broken;
		if (type == 'E') {
			log_warnx("snapshot: %s: %s", sql, w->errmsg);
			snapshot_judge_state(w->sqlstate, w->errmsg, err);
		} else
			lent_message(lc, type, body, len);
	} while (type != 'Z' && !lc->row_failed);
	return lc->row_failed || w->sqlstate[0] != '\0' ? -1 : 0;
broken:
	log_warnx("snapshot: %s: %s", sql, w->errmsg);
	return -1;
}

static int
lent_begin(struct pgw *w, struct shapelog_xip *xip)
{
	struct lentctx lc = { .want_value = 1 };
	int r = -1;

	if (lent_exec(w, snapshot_setup, &lc, NULL) == 0 && lc.value != NULL &&
	    (r = snapshot_parse_txids(lc.value, xip)) == -1)
		log_warnx("snapshot: cannot parse pg_current_snapshot() '%s'",
		    lc.value);
	free(lc.value);
	return r;
}

static int
lent_rows(struct pgw *w, struct rowctx *rc)
{
	struct lentctx lc = { .rc = rc };
	char *q = snapshot_query(rc->sh, rc->where);
	char *copy = xasprintf("COPY (%s) TO STDOUT", q);
	int r;

	free(q);
	r = lent_exec(w, copy, &lc, rc->err);
	free(copy);
	return r == 0 && lc.copying ? 0 : -1;
}

/* After a failure: a connection idle in a (failed) transaction is rolled
 * back; *reusable says whether it is idle outside one now. */
static void
lent_settle(struct pgw *w, int *reusable)
{
	struct lentctx lc = { 0 };

	if (!w->broken && w->idle && w->txstatus != 'I')
		(void)lent_exec(w, "ROLLBACK", &lc, NULL);
	*reusable = !w->broken && w->idle && w->txstatus == 'I';
}

/* The rows on a lent connection; via->reusable says whether it can go
 * back to the pool. */
static int
lent_take(struct snapshot_via *via, struct rowctx *rc, int rows,
    struct shapelog_xip *xip)
{
	struct lentctx lc = { 0 };
	struct pgw w;
	int r = -1;

	pgw_init(&w, via->fd);
	if (lent_begin(&w, xip) == 0 &&
	    (!rows || lent_rows(&w, rc) == 0) &&
	    lent_exec(&w, "COMMIT", &lc, NULL) == 0 && w.txstatus == 'I')
		r = 0;
	lent_settle(&w, &via->reusable);
	pgw_free(&w);
	return r;
}

int
snapshot_take(struct snapshot_via *via, const struct change_shape *sh,
    const char *where, int rows, struct shapelog *sl, struct shapelog_xip *xip,
    void (*on_chunk)(void *), void *arg, struct snapshot_err *err)
{
	struct rowctx rc = { err, sh, where, snapshot_ncols(sh), sl, NULL,
	    { NULL, 0, 0 }, on_chunk, arg, 0 };
	int r;

	memset(xip, 0, sizeof(*xip));
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	via->reusable = 0;
	rc.vals = xcalloc(sh->ncols ? sh->ncols : 1, sizeof(*rc.vals));
	r = via->fd != -1 ? lent_take(via, &rc, rows, xip) :
	    own_take(via->conninfo, &rc, rows, xip);
	if (r == 0)
		r = snapshot_finish(sl, xip, err);
	free(rc.vals);
	sbuf_free(&rc.json);
	if (r == 0)
		log_info("snapshot: %" PRIu64 " rows in %" PRIu32 " chunks, "
		    "xmin %" PRIu64 " xmax %" PRIu64 " (%zu in progress)%s",
		    rc.rows, shapelog_state(sl)->snap_chunks, xip->xmin,
		    xip->xmax, xip->nxip,
		    via->fd != -1 ? " on a pooled connection" : "");
	else
		shapelog_xip_free(xip);
	return r;
}
