/*
 * consumer_subset: subset snapshots (PROTOCOL.md §9) of the consumer's
 * shape, asked by http with MSG_SUBSET_REQ on the consumer's http.sock
 * channel and answered with MSG_SUBSET_REPLY (same id).
 *
 * Everything runs on the consumer's event loop with non-blocking libpq,
 * so a slow or stuck query never stops the replication stream: one
 * request at a time, the others wait in a bounded queue.  A request takes
 * a pool slot (pool.h, shared with snapshots), connects, and runs
 *   BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL <§11.1>;
 *   SET LOCAL statement_timeout; SELECT pg_current_snapshot(), <lsn>
 * then the row query with the user's params as text parameters (never
 * inlined) and COMMIT.  The connection and its slot are kept for the next
 * request and closed after SS_IDLE_MS without one.
 *
 * Invariants: where / order_by are re-validated and re-canonicalised here
 * (subset.h) against the shape's own columns, so nothing reaches SQL that
 * did not pass the allowlist in this process; a watchdog bounds every
 * request (503 when it fires); errors Postgres raises because of the input
 * (data exceptions, class 22; undefined functions / operators, class 42)
 * are 400 under "where" (or "order_by" when Postgres points into it),
 * everything else 503.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "config.h"
#include "consumer_int.h"
#include "log.h"
#include "msg.h"
#include "pool.h"
#include "snapshot.h"
#include "subset.h"

#define SS_QUEUE_MAX		64
#define SS_SLOT_POLL_MS		20
#define SS_SLOT_WAIT_MS		10000
#define SS_RUN_MS		45000	/* watchdog: connect + whole request */
#define SS_STATEMENT_TIMEOUT	"30s"
#define SS_IDLE_MS		5000
#define SS_BODY_MAX		(60u * 1024 * 1024)	/* < FRAME_MAX_DEFAULT */
#define TEXTOID			25

enum ss_state {
	SS_IDLE,		/* no request running (a connection may be kept) */
	SS_SLOT,		/* waiting for a pool slot */
	SS_CONNECT,		/* PQconnectPoll */
	SS_SETUP,		/* BEGIN, SET LOCAL, snapshot */
	SS_ROWS,		/* the row query */
	SS_COMMIT,
	SS_ROLLBACK		/* after an error the connection survived */
};

struct ss_req {
	struct ss_req	*next;
	uint32_t	 id;
	struct subset	 s;
	uint8_t		*used;		/* $N flags, maxparam long */
	int		 maxparam;
};

struct cons_subset {
	struct consumer		*c;
	enum ss_state		 state;
	struct ss_req		*head, **tail;
	size_t			 nq;
	char			**cols;		/* selected column names */
	size_t			  ncols;
	PGconn			*conn;
	int			 slot;
	int			 flushing;	/* PQflush still has output */
	int			 reused;	/* conn served an earlier request */
	struct event		*sock_ev, *tmr;
	uint64_t		 deadline;	/* mono_ms */

	/* the running request */
	struct sbuf		 body;
	struct change_val	*vals;
	uint32_t		 mark;
	uint64_t		 rows;
	size_t			 order_pos;	/* query char where ORDER BY starts */
	int			 err_status;	/* 0, 400 or 503 */
	char			*err_field;
	char			*err_msg;
	int			 have_snap;
	int			 abort;		/* stop reading rows */
	int			 paused;	/* the initial snapshot runs */
};

static void ss_next(struct cons_subset *);
static void ss_wait(struct cons_subset *, short what);

/* ---- replies ---- */

static void
ss_send(struct cons_subset *ss, uint32_t id, uint16_t status,
    const char *body, size_t len, const char *field)
{
	struct mbuf mb;

	if (ss->c->http == NULL) {
		log_debug("subset %" PRIu32 ": http is gone, reply dropped", id);
		return;
	}
	mbuf_init(&mb);
	mbuf_u16(&mb, status);
	mbuf_bytes(&mb, body, len);		/* str: u32 length + bytes */
	mbuf_str(&mb, field);
	if (chan_sendm(ss->c->http, MSG_SUBSET_REPLY, id, &mb) == -1)
		log_debug("http channel closed");
	mbuf_free(&mb);
}

static void
ss_send_err(struct cons_subset *ss, uint32_t id, uint16_t status,
    const char *field, const char *msg)
{
	ss_send(ss, id, status, msg, strlen(msg), field);
}

static void
req_free(struct ss_req *r)
{
	subset_free(&r->s);
	free(r->used);
	free(r);
}

/* Ends the running request with the decided outcome. */
static void
ss_finish(struct cons_subset *ss)
{
	struct ss_req *r = ss->head;

	if (ss->err_status != 0) {
		log_info("subset %" PRIu32 ": %d %s", r->id, ss->err_status,
		    ss->err_msg);
		ss_send_err(ss, r->id, (uint16_t)ss->err_status,
		    ss->err_field != NULL ? ss->err_field : "", ss->err_msg);
	} else {
		sbuf_adds(&ss->body, "]}");
		log_debug("subset %" PRIu32 ": %" PRIu64 " rows, %zu bytes",
		    r->id, ss->rows, ss->body.len);
		ss_send(ss, r->id, 200, ss->body.p, ss->body.len, "");
	}
	ss->head = r->next;
	if (ss->head == NULL)
		ss->tail = &ss->head;
	ss->nq--;
	req_free(r);
	sbuf_free(&ss->body);
	free(ss->err_field);
	free(ss->err_msg);
	ss->err_field = ss->err_msg = NULL;
	ss->err_status = 0;
	ss->rows = 0;
	ss->have_snap = 0;
	ss->abort = 0;
	ss->state = SS_IDLE;
	if (ss->conn != NULL)
		ss->reused = 1;
	ss_next(ss);
}

/* Bytes outside printable ASCII and valid UTF-8 become '?' (messages of
 * a server whose encoding is not UTF-8 must still make valid JSON). */
static void
clean_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n, i;

	while (*p != '\0') {
		n = *p < 0x80 ? 1 : *p >= 0xC2 && *p <= 0xDF ? 2 :
		    *p >= 0xE0 && *p <= 0xEF ? 3 : *p >= 0xF0 && *p <= 0xF4 ? 4 : 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				n = 0;
		if (n == 0 || (n == 1 && *p < 0x20))
			n = 1, *p = '?';
		p += n;
	}
}

/* The first error wins. */
static void
ss_error(struct cons_subset *ss, int status, const char *field,
    const char *msg)
{
	if (ss->err_status != 0)
		return;
	ss->err_status = status;
	ss->err_field = field != NULL ? xstrdup(field) : NULL;
	ss->err_msg = xstrdup(msg);
	clean_utf8(ss->err_msg);
}

/* ---- connection ---- */

static void
ss_drop_conn(struct cons_subset *ss)
{
	event_del(ss->sock_ev);
	if (ss->conn != NULL)
		PQfinish(ss->conn);
	ss->conn = NULL;
	ss->flushing = 0;
	ss->reused = 0;
}

/* Drops the connection and gives its pool slot back. */
static void
ss_close(struct cons_subset *ss)
{
	ss_drop_conn(ss);
	pool_release(ss->slot);
	ss->slot = -1;
}

static void ss_connect(struct cons_subset *);

/* The connection is unusable: drop it and fail the request with 503 --
 * unless it was a kept one that died while idle (the server closed it):
 * then connect again once. */
static void
ss_lost(struct cons_subset *ss, const char *why)
{
	char *msg;

	if (ss->reused && ss->state == SS_SETUP) {
		log_debug("the kept subset connection is gone; reconnecting");
		free(ss->err_field);
		free(ss->err_msg);
		ss->err_field = ss->err_msg = NULL;
		ss->err_status = 0;
		ss->have_snap = 0;
		sbuf_free(&ss->body);
		ss_drop_conn(ss);
		ss_connect(ss);
		return;
	}
	msg = xasprintf("%s%s%s", why, ss->conn != NULL ? ": " : "",
	    ss->conn != NULL ? PQerrorMessage(ss->conn) : "");
	msg[strcspn(msg, "\n")] = '\0';
	ss_error(ss, 503, NULL, msg);
	free(msg);
	ss_close(ss);
	ss_finish(ss);
}

static void
arm(struct cons_subset *ss, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(ss->tmr, &tv);
}

/* ---- steps ---- */

static const char *const setup_sql =
	"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
	SNAPSHOT_SETTINGS_SQL
	"SET LOCAL statement_timeout = '" SS_STATEMENT_TIMEOUT "';"
	"SELECT pg_current_snapshot()::text, "
	"(pg_current_wal_lsn() - '0/0'::pg_lsn)::text";

/* Sends a query; output still queued is flushed from ss_io. */
static void
ss_sent(struct cons_subset *ss, int ok, enum ss_state next)
{
	ss->state = next;
	if (!ok) {
		ss_lost(ss, "cannot send the subset query");
		return;
	}
	ss->flushing = 1;
	ss_wait(ss, EV_READ | EV_WRITE);
}

static void
ss_start_setup(struct cons_subset *ss)
{
	ss_sent(ss, PQsendQuery(ss->conn, setup_sql), SS_SETUP);
}

/* Characters (UTF-8 code points) in the first n bytes of s. */
static size_t
char_count(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

static char *
ss_query(struct cons_subset *ss, const struct subset *s)
{
	struct sbuf q;
	const char *shape_where = cons_where_sql(ss->c);
	char *base = snapshot_query(&ss->c->sh, shape_where);

	sbuf_init(&q);
	sbuf_adds(&q, base);
	free(base);
	if (s->where != NULL) {
		sbuf_adds(&q, shape_where != NULL ? " AND (" : " WHERE (");
		sbuf_adds(&q, s->where);
		sbuf_adds(&q, ")");
	}
	ss->order_pos = SIZE_MAX;	/* 0-based, in characters */
	if (s->order_by != NULL) {
		sbuf_adds(&q, " ORDER BY ");
		ss->order_pos = char_count(q.p, q.len);
		sbuf_adds(&q, s->order_by);
	}
	if (s->limit != SUBSET_NONE)
		sbuf_addf(&q, " LIMIT %" PRIu64, s->limit);
	if (s->offset != SUBSET_NONE)
		sbuf_addf(&q, " OFFSET %" PRIu64, s->offset);
	return q.p;
}

static void
ss_start_rows(struct cons_subset *ss)
{
	struct ss_req *r = ss->head;
	Oid *types = xcalloc(r->s.nparams + 1, sizeof(Oid));
	char *q = ss_query(ss, &r->s);
	size_t i;
	int ok;

	/* A provided but unused $N would leave its type undetermined. */
	for (i = 0; i < r->s.nparams; i++)
		types[i] = (int)i < r->maxparam && r->used[i] ? 0 : TEXTOID;
	ok = PQsendQueryParams(ss->conn, q, (int)r->s.nparams, types,
	    (const char *const *)r->s.params, NULL, NULL, 0) &&
	    PQsetSingleRowMode(ss->conn);
	log_debug("subset %" PRIu32 ": %s", r->id, q);
	free(q);
	free(types);
	ss_sent(ss, ok, SS_ROWS);
}

static void
ss_end_txn(struct cons_subset *ss)
{
	if (ss->err_status == 0)
		ss_sent(ss, PQsendQuery(ss->conn, "COMMIT"), SS_COMMIT);
	else
		ss_sent(ss, PQsendQuery(ss->conn, "ROLLBACK"), SS_ROLLBACK);
}

/* ---- results ---- */

/* SQLSTATEs caused by the request's input: 400, else 503. */
static int
pg_err_status(const char *state)
{
	if (state == NULL)
		return 503;
	if (strcmp(state, "42501") == 0 || strcmp(state, "42P01") == 0)
		return 503;	/* privileges, table gone: not the input */
	if (strncmp(state, "22", 2) == 0 || strncmp(state, "42", 2) == 0 ||
	    strncmp(state, "2201", 4) == 0 || strcmp(state, "54001") == 0)
		return 400;
	return 503;
}

static void
ss_pg_error(struct cons_subset *ss, PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	int status = ss->state == SS_ROWS ? pg_err_status(state) : 503;
	const char *field = "where";

	if (msg == NULL)
		msg = "subset query failed";
	if (pos != NULL && ss->order_pos != SIZE_MAX &&
	    (size_t)strtoul(pos, NULL, 10) > ss->order_pos)
		field = "order_by";
	ss_error(ss, status, status == 400 ? field : NULL, msg);
}

static void
ss_setup_result(struct cons_subset *ss, PGresult *res)
{
	struct shapelog_xip x;
	uint64_t lsn;
	char *end;

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		return;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != 2) {
		ss_error(ss, 503, NULL, "unexpected snapshot result");
		return;
	}
	lsn = strtoull(PQgetvalue(res, 0, 1), &end, 10);
	if (snapshot_parse_txids(PQgetvalue(res, 0, 0), &x) == -1 ||
	    *end != '\0') {
		ss_error(ss, 503, NULL, "cannot parse pg_current_snapshot()");
		return;
	}
	ss->mark = arc4random() & 0x7fffffff;
	sbuf_init(&ss->body);
	change_subset_open(&ss->body, x.xmin, x.xmax, x.xip, x.nxip, lsn,
	    ss->mark);
	shapelog_xip_free(&x);
	ss->have_snap = 1;
}

static void
ss_row(struct cons_subset *ss, PGresult *res)
{
	const struct change_shape *sh = &ss->c->sh;
	size_t i;

	if ((size_t)PQnfields(res) != ss->ncols) {
		ss_error(ss, 503, NULL, "unexpected number of columns");
		return;
	}
	for (i = 0; i < ss->ncols; i++) {
		ss->vals[i].kind = PQgetisnull(res, 0, (int)i) ? CHANGE_NULL :
		    CHANGE_TEXT;
		ss->vals[i].s = PQgetvalue(res, 0, (int)i);
		ss->vals[i].len = (uint32_t)PQgetlength(res, 0, (int)i);
	}
	if (ss->rows++ > 0)
		sbuf_addc(&ss->body, ',');
	change_subset_row(&ss->body, sh, ss->vals, ss->mark);
	if (ss->body.len > SS_BODY_MAX) {
		ss_error(ss, 400, "limit", "the subset is too large; use limit");
		ss->abort = 1;
	}
}

/* One result of the current step. */
static void
ss_result(struct cons_subset *ss, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_FATAL_ERROR) {
		ss_pg_error(ss, res);
		return;
	}
	if (ss->err_status != 0)
		return;		/* draining after an error */
	if (ss->state == SS_SETUP)
		ss_setup_result(ss, res);
	else if (ss->state == SS_ROWS && st == PGRES_SINGLE_TUPLE)
		ss_row(ss, res);
	else if (!(ss->state == SS_ROWS && st == PGRES_TUPLES_OK) &&
	    st != PGRES_COMMAND_OK)
		ss_error(ss, 503, NULL, PQresStatus(st));
}

/* The current step has returned all its results. */
static void
ss_step_done(struct cons_subset *ss)
{
	if (PQstatus(ss->conn) != CONNECTION_OK) {
		ss_lost(ss, "lost the subset connection");
		return;
	}
	switch (ss->state) {
	case SS_SETUP:
		if (ss->err_status == 0 && !ss->have_snap)
			ss_error(ss, 503, NULL, "no snapshot");
		if (ss->err_status == 0)
			ss_start_rows(ss);
		else
			ss_end_txn(ss);
		break;
	case SS_ROWS:
		ss_end_txn(ss);
		break;
	case SS_COMMIT:
	case SS_ROLLBACK:
		event_del(ss->sock_ev);
		ss_finish(ss);
		break;
	default:
		break;
	}
}

/* ---- I/O ---- */

static void ss_io(evutil_socket_t, short, void *);

static void
ss_wait(struct cons_subset *ss, short what)
{
	event_del(ss->sock_ev);
	event_assign(ss->sock_ev, ss->c->base, PQsocket(ss->conn), what,
	    ss_io, ss);
	event_add(ss->sock_ev, NULL);
}

static void
ss_connect_poll(struct cons_subset *ss)
{
	switch (PQconnectPoll(ss->conn)) {
	case PGRES_POLLING_READING:
		ss_wait(ss, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		ss_wait(ss, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(ss->conn, 1) == -1) {
			ss_lost(ss, "cannot make the subset connection non-blocking");
			return;
		}
		ss_start_setup(ss);
		break;
	default:
		ss_lost(ss, "cannot connect to the database");
	}
}

static void
ss_io(evutil_socket_t fd, short what, void *arg)
{
	struct cons_subset *ss = arg;
	PGresult *res;
	int r;

	(void)fd;
	if (ss->state == SS_CONNECT) {
		ss_connect_poll(ss);
		return;
	}
	if (ss->flushing && (what & EV_WRITE)) {
		if ((r = PQflush(ss->conn)) == -1) {
			ss_lost(ss, "cannot send the subset query");
			return;
		}
		ss->flushing = r == 1;
		ss_wait(ss, ss->flushing ? EV_READ | EV_WRITE : EV_READ);
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(ss->conn)) {
		ss_lost(ss, "lost the subset connection");
		return;
	}
	while (!PQisBusy(ss->conn)) {
		if ((res = PQgetResult(ss->conn)) == NULL) {
			ss_step_done(ss);
			return;
		}
		ss_result(ss, res);
		PQclear(res);
		if (ss->abort) {	/* do not read the rest: drop it all */
			ss_close(ss);
			ss_finish(ss);
			return;
		}
	}
	if (!ss->flushing)
		ss_wait(ss, EV_READ);
}

/* ---- scheduling ---- */

static void
ss_connect(struct cons_subset *ss)
{
	ss->conn = PQconnectStart(cfg.database_url);
	if (ss->conn == NULL || PQstatus(ss->conn) == CONNECTION_BAD) {
		ss_lost(ss, "cannot connect to the database");
		return;
	}
	ss->state = SS_CONNECT;
	ss_wait(ss, EV_WRITE);
}

/* Starts the head request once a slot is held. */
static void
ss_begin(struct cons_subset *ss)
{
	ss->deadline = mono_ms() + SS_RUN_MS;
	arm(ss, SS_RUN_MS);
	if (ss->conn != NULL && PQstatus(ss->conn) == CONNECTION_OK)
		ss_start_setup(ss);
	else {
		if (ss->conn != NULL) {
			PQfinish(ss->conn);
			ss->conn = NULL;
		}
		ss_connect(ss);
	}
}

static void
ss_try_slot(struct cons_subset *ss)
{
	if (ss->slot == -1)
		ss->slot = pool_try_acquire(cfg.run_dir, cfg.db_pool_size);
	if (ss->slot != -1) {
		ss_begin(ss);
		return;
	}
	if (mono_ms() >= ss->deadline) {
		ss_error(ss, 503, NULL, "no database connection available");
		ss_finish(ss);
		return;
	}
	arm(ss, SS_SLOT_POLL_MS);
}

static void
ss_next(struct cons_subset *ss)
{
	evtimer_del(ss->tmr);
	if (ss->paused)
		return;
	if (ss->head == NULL) {
		if (ss->conn != NULL)
			arm(ss, SS_IDLE_MS);
		return;
	}
	ss->state = SS_SLOT;
	ss->deadline = mono_ms() + SS_SLOT_WAIT_MS;
	ss_try_slot(ss);
}

static void
ss_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cons_subset *ss = arg;

	(void)fd; (void)what;
	switch (ss->state) {
	case SS_IDLE:
		log_debug("closing the idle subset connection");
		ss_close(ss);
		break;
	case SS_SLOT:
		ss_try_slot(ss);
		break;
	default:
		ss_error(ss, 503, NULL, "subset query timed out");
		ss_close(ss);
		ss_finish(ss);
	}
}

/* ---- entry points ---- */

int
cons_subset_idle(const struct consumer *c)
{
	return c->subset == NULL || (c->subset->state == SS_IDLE &&
	    c->subset->nq == 0);
}

void
cons_subset_init(struct consumer *c)
{
	struct cons_subset *ss = xcalloc(1, sizeof(*ss));
	size_t i;

	ss->c = c;
	ss->tail = &ss->head;
	ss->slot = -1;
	ss->cols = xcalloc(c->sh.ncols + 1, sizeof(char *));
	for (i = 0; i < c->sh.ncols; i++)	/* what a subset may reference */
		if (c->sh.cols[i].sel)
			ss->cols[ss->ncols++] = c->sh.cols[i].name;
	ss->vals = xcalloc(c->sh.ncols + 1, sizeof(*ss->vals));
	ss->sock_ev = event_new(c->base, -1, 0, ss_io, ss);
	ss->tmr = evtimer_new(c->base, ss_timer, ss);
	if (ss->sock_ev == NULL || ss->tmr == NULL)
		fatalx("event_new");
	c->subset = ss;
}

void
cons_subset_pause(struct consumer *c, int pause)
{
	struct cons_subset *ss = c->subset;

	ss->paused = pause;
	if (!pause) {
		if (ss->state == SS_IDLE)
			ss_next(ss);
		return;
	}
	if (ss->state != SS_IDLE) {
		ss_error(ss, 503, NULL, "the shape's snapshot is running");
		ss_close(ss);
		ss_finish(ss);
	}
	ss_close(ss);
	evtimer_del(ss->tmr);
}

/* Re-validates where / order_by against the shape's columns; 0 or -1
 * (already answered). */
static int
ss_revalidate(struct cons_subset *ss, uint32_t id, struct ss_req *r)
{
	char msg[512], *canon;

	if (r->s.where != NULL) {
		if (subset_where_canon(r->s.where, strlen(r->s.where), ss->cols,
		    ss->ncols, &canon, &r->maxparam, &r->used, msg,
		    sizeof(msg)) == -1) {
			ss_send_err(ss, id, 400, "where", msg);
			return -1;
		}
		free(r->s.where);
		r->s.where = canon;
	}
	if (r->maxparam > 0 && (size_t)r->maxparam > r->s.nparams) {
		snprintf(msg, sizeof(msg), "parameter $%d was not provided",
		    r->maxparam);
		ss_send_err(ss, id, 400, "where", msg);
		return -1;
	}
	if (r->s.order_by != NULL) {
		if (subset_order_canon(r->s.order_by, strlen(r->s.order_by),
		    ss->cols, ss->ncols, &canon, msg, sizeof(msg)) == -1) {
			ss_send_err(ss, id, 400, "order_by", msg);
			return -1;
		}
		free(r->s.order_by);
		r->s.order_by = canon;
	}
	return 0;
}

void
cons_subset_request(struct consumer *c, uint32_t id, const uint8_t *p,
    size_t len)
{
	struct cons_subset *ss = c->subset;
	struct ss_req *r = xcalloc(1, sizeof(*r));

	r->id = id;
	if (subset_decode(p, len, &r->s) == -1) {
		ss_send_err(ss, id, 400, "subset", "malformed subset request");
		free(r);
		return;
	}
	if (ss_revalidate(ss, id, r) == -1) {
		req_free(r);
		return;
	}
	if (ss->nq >= SS_QUEUE_MAX) {
		ss_send_err(ss, id, 503, "", "too many subset requests");
		req_free(r);
		return;
	}
	*ss->tail = r;
	ss->tail = &r->next;
	ss->nq++;
	if (ss->nq == 1 && ss->state == SS_IDLE)
		ss_next(ss);
}
