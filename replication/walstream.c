/*
 * walstream: the replication connection and its START_REPLICATION stream
 * (see walstream.h).  Called by replication.c, which decides when to
 * (re)start and where the frames go.
 *
 * A stream moves WS_IDLE -> WS_CONNECTING -> WS_SLOT (reading the slot's
 * confirmed_flush_lsn) -> WS_STARTING -> WS_STREAMING, and back to WS_IDLE
 * through ws_close() on any failure or stop; ws_set_state() is the one
 * place that changes it.
 *
 * Invariants: the LSN sent in a status update is `acked`, which only
 * grows and is only raised by the slot's own confirmed position or by
 * walstream_ack(); no callback is made after the stream was closed
 * inside an earlier callback (the read loop re-checks the state); while
 * paused nothing is read from Postgres but status updates go on, so
 * wal_sender_timeout never fires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "pgasync.h"
#include "pgoutput.h"
#include "walstream.h"

#define WS_CONNECT_TIMEOUT_S	5
#define WS_STATUS_INTERVAL_MS	1000
#define WS_MIN_STATUS_GAP_MS	100	/* at most 10 extra updates/s */
#define WS_KEEPALIVE_REPEAT_MS	1000	/* same wal_end forwarded again */

/* pgoutput's text output must match snapshots: PROTOCOL.md §11.1. */
#define WS_SESSION_OPTIONS \
	"-c bytea_output=hex -c DateStyle=ISO,DMY -c TimeZone=UTC " \
	"-c extra_float_digits=1 -c IntervalStyle=iso_8601"

enum ws_state { WS_IDLE, WS_CONNECTING, WS_SLOT, WS_STARTING, WS_STREAMING };

static const char *const ws_state_names[] = { "idle", "connecting",
    "reading slot", "starting", "streaming" };

struct walstream {
	struct event_base	*base;
	struct walstream_cbs	 cbs;
	void			*arg;
	enum ws_state		 state;
	struct pgasync		 pg;
	struct event		*rev;		/* socket readable, streaming */
	struct event		*wev;		/* socket writable, flushing */
	struct event		*status_timer;	/* every second */
	struct event		*ack_timer;	/* rate-limited extra update */
	int			 paused;
	int			 reply_due;	/* the server asked for one */
	uint64_t		 acked;
	uint64_t		 reported;
	uint64_t		 last_status_ms;
	uint64_t		 last_ka_lsn;	/* last keepalive forwarded */
	uint64_t		 last_ka_ms;
	struct pgoutput_state	 dec;
	struct mbuf		 out;
};

static void ws_drain(struct walstream *);

static void
ws_set_state(struct walstream *ws, enum ws_state s)
{
	if (ws->state != s)
		log_debug("stream: %s -> %s", ws_state_names[ws->state],
		    ws_state_names[s]);
	ws->state = s;
}

static void
ws_close(struct walstream *ws)
{
	if (ws->rev != NULL)
		event_free(ws->rev);
	if (ws->wev != NULL)
		event_free(ws->wev);
	ws->rev = ws->wev = NULL;
	evtimer_del(ws->status_timer);
	evtimer_del(ws->ack_timer);
	pga_close(&ws->pg);
	pgoutput_state_reset(&ws->dec);
	ws_set_state(ws, WS_IDLE);
}

/* Closes, then tells the owner (why is copied: it may point into libpq). */
static void
ws_broken(struct walstream *ws, const char *why, const char *sqlstate)
{
	char w[512], s[8];

	pga_oneline(why, w, sizeof(w));
	snprintf(s, sizeof(s), "%s", sqlstate ? sqlstate : "");
	ws_close(ws);
	ws->cbs.broken(w[0] ? w : "connection lost", s, ws->arg);
}

static void
ws_on_write(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct walstream *ws = arg;
	int r = PQflush(ws->pg.conn);

	if (r == -1)
		ws_broken(ws, PQerrorMessage(ws->pg.conn), "");
	else if (r == 1)
		event_add(ws->wev, NULL);
}

/* Queues a standby status update with the acked LSN and starts sending
 * it.  -1: the connection failed (nothing else done). */
static int
ws_put_status(struct walstream *ws)
{
	uint8_t msg[PGOUTPUT_STATUS_LEN];
	int r;

	pgoutput_status_encode(msg, ws->acked, pgoutput_pg_now(), 0);
	r = PQputCopyData(ws->pg.conn, (const char *)msg, sizeof(msg));
	if (r == 0)		/* output buffer full: the next tick retries */
		return 0;
	if (r == -1 || (r = PQflush(ws->pg.conn)) == -1)
		return -1;
	if (r == 1)
		event_add(ws->wev, NULL);
	ws->reported = ws->acked;
	ws->reply_due = 0;
	ws->last_status_ms = mono_ms();
	return 0;
}

/* -1: the stream broke (and is closed). */
static int
ws_send_status(struct walstream *ws)
{
	if (ws->state != WS_STREAMING)
		return 0;
	if (ws_put_status(ws) == -1) {
		ws_broken(ws, PQerrorMessage(ws->pg.conn), "");
		return -1;
	}
	return 0;
}

/* A status update soon, but not more often than every 100 ms: a server
 * waiting for our flush position (a shutdown) asks after every reply. */
static int
ws_status_soon(struct walstream *ws)
{
	uint64_t now = mono_ms(), gap = now - ws->last_status_ms;
	struct timeval tv;

	if (ws->state != WS_STREAMING || evtimer_pending(ws->ack_timer, NULL))
		return 0;
	if (gap >= WS_MIN_STATUS_GAP_MS)
		return ws_send_status(ws);
	tv.tv_sec = 0;
	tv.tv_usec = (long)(WS_MIN_STATUS_GAP_MS - gap) * 1000;
	evtimer_add(ws->ack_timer, &tv);
	return 0;
}

/* Keepalives outside transactions tell the collector how far the stream
 * got; one with an unchanged wal_end is passed on once a second. */
static void
ws_keepalive(struct walstream *ws, uint64_t wal_end)
{
	uint64_t now = mono_ms();

	if (ws->dec.in_tx || (wal_end == ws->last_ka_lsn &&
	    now - ws->last_ka_ms < WS_KEEPALIVE_REPEAT_MS))
		return;
	ws->last_ka_lsn = wal_end;
	ws->last_ka_ms = now;
	ws->cbs.keepalive(wal_end, ws->arg);
}

static void
ws_on_status_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	(void)ws_send_status(arg);
}

static void
ws_on_ack_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct walstream *ws = arg;

	if (ws->acked != ws->reported || ws->reply_due)
		(void)ws_send_status(ws);
}

/* One CopyData message.  -1: the stream is closed. */
static int
ws_handle(struct walstream *ws, const uint8_t *buf, size_t len)
{
	struct pgoutput_copy c;
	uint16_t type;
	char why[160];

	if (pgoutput_copy_parse(buf, len, &c) == -1) {
		snprintf(why, sizeof(why), "malformed CopyData message (%zu "
		    "bytes, kind 0x%02x)", len, len ? buf[0] : 0);
		ws_broken(ws, why, "");
		return -1;
	}
	if (c.kind == 'k') {
		ws_keepalive(ws, c.wal_end);
		if (!c.reply || ws->state != WS_STREAMING)
			return 0;
		ws->reply_due = 1;
		return ws_status_soon(ws);
	}
	switch (pgoutput_decode(c.data, c.len, &ws->dec, &ws->out, &type)) {
	case -1:
		snprintf(why, sizeof(why), "pgoutput protocol error: %s",
		    ws->dec.err);
		ws_broken(ws, why, "");
		return -1;
	case 1:
		ws->cbs.frame(type, &ws->out, ws->arg);
		break;
	}
	return 0;
}

/* The server ended the COPY (an error, or the server shutting down). */
static void
ws_copy_ended(struct walstream *ws, int n)
{
	PGresult *res;
	char why[512], state[8];

	if (n == -2 || (res = PQgetResult(ws->pg.conn)) == NULL) {
		ws_broken(ws, PQerrorMessage(ws->pg.conn), "");
		return;
	}
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		snprintf(why, sizeof(why), "the server ended the stream "
		    "(shutting down?)");
	else
		snprintf(why, sizeof(why), "stream ended: %s",
		    pga_res_error(&ws->pg, res));
	snprintf(state, sizeof(state), "%s", pga_sqlstate(res));
	PQclear(res);
	ws_broken(ws, why, state);
}

static void
ws_drain(struct walstream *ws)
{
	char *buf;
	int n, rc;

	while (ws->state == WS_STREAMING && !ws->paused) {
		n = PQgetCopyData(ws->pg.conn, &buf, 1);
		if (n == 0)
			return;
		if (n < 0) {
			ws_copy_ended(ws, n);
			return;
		}
		rc = ws_handle(ws, (const uint8_t *)buf, (size_t)n);
		PQfreemem(buf);
		if (rc == -1)
			return;
	}
}

static void
ws_on_read(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct walstream *ws = arg;

	if (ws->state != WS_STREAMING)
		return;
	if (!PQconsumeInput(ws->pg.conn)) {
		ws_broken(ws, PQerrorMessage(ws->pg.conn), "");
		return;
	}
	ws_drain(ws);
}

static void
ws_begin_streaming(struct walstream *ws)
{
	struct timeval tv = { WS_STATUS_INTERVAL_MS / 1000,
	    (WS_STATUS_INTERVAL_MS % 1000) * 1000 };
	int fd = PQsocket(ws->pg.conn);
	char lsn[PGOUTPUT_LSN_STRLEN];

	ws->rev = event_new(ws->base, fd, EV_READ | EV_PERSIST, ws_on_read, ws);
	ws->wev = event_new(ws->base, fd, EV_WRITE, ws_on_write, ws);
	if (ws->rev == NULL || ws->wev == NULL)
		fatalx("event_new");
	ws_set_state(ws, WS_STREAMING);
	pgoutput_state_reset(&ws->dec);
	ws->last_ka_lsn = ws->last_ka_ms = 0;
	ws->reply_due = 0;
	evtimer_add(ws->status_timer, &tv);
	log_info("streaming from slot %s (flush position %s)", cfg.slot,
	    pgoutput_lsn_fmt(ws->acked, lsn));
	ws->cbs.started(ws->arg);
	if (ws->state == WS_STREAMING && !ws->paused) {
		event_add(ws->rev, NULL);
		/* libpq may hold data already: drain it from the loop. */
		event_active(ws->rev, EV_READ, 0);
	}
}

static void
ws_on_started(struct pgasync *pg, PGresult *res, const char *err, void *arg)
{
	struct walstream *ws = arg;

	if (res == NULL)
		ws_broken(ws, err, "");
	else if (PQresultStatus(res) != PGRES_COPY_BOTH)
		ws_broken(ws, pga_res_error(pg, res), pga_sqlstate(res));
	else
		ws_begin_streaming(ws);
}

/* START_REPLICATION; names are valid identifiers, quoted all the same. */
static void
ws_start_replication(struct walstream *ws)
{
	char *sql;
	int rc;

	sql = xasprintf("START_REPLICATION SLOT \"%s\" LOGICAL 0/0 "
	    "(proto_version '1', publication_names '\"%s\"')", cfg.slot,
	    cfg.publication);
	ws_set_state(ws, WS_STARTING);
	rc = pga_query(&ws->pg, sql, 0, NULL, ws_on_started, ws);
	free(sql);
	if (rc == -1)
		ws_broken(ws, ws->pg.err, "");
}

static void
ws_on_slot(struct pgasync *pg, PGresult *res, const char *err, void *arg)
{
	struct walstream *ws = arg;
	char why[256];
	uint64_t lsn;

	if (res == NULL) {
		ws_broken(ws, err, "");
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ws_broken(ws, pga_res_error(pg, res), pga_sqlstate(res));
		return;
	}
	if (PQntuples(res) != 1) {
		snprintf(why, sizeof(why), "replication slot %s does not "
		    "exist (connmgr re-creates it and purges the shapes)",
		    cfg.slot);
		ws_broken(ws, why, "");
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "lost") == 0) {
		snprintf(why, sizeof(why), "replication slot %s was invalidated "
		    "(wal_status lost; connmgr re-creates it and purges the "
		    "shapes)", cfg.slot);
		ws_broken(ws, why, "");
		return;
	}
	if (!PQgetisnull(res, 0, 0) &&
	    pgoutput_lsn_parse(PQgetvalue(res, 0, 0), &lsn) == 0 &&
	    lsn > ws->acked)
		ws->acked = lsn;
	ws_start_replication(ws);
}

static void
ws_on_connected(struct pgasync *pg, PGresult *res UNUSED, const char *err,
    void *arg)
{
	struct walstream *ws = arg;
	char *sql, *lit;
	int rc;

	if (err != NULL) {
		ws_broken(ws, err, "");
		return;
	}
	/* A replication connection takes the simple query protocol only. */
	lit = PQescapeLiteral(pg->conn, cfg.slot, strlen(cfg.slot));
	if (lit == NULL)
		fatalx("PQescapeLiteral: %s", PQerrorMessage(pg->conn));
	sql = xasprintf("SELECT confirmed_flush_lsn, coalesce(wal_status, '') "
	    "FROM pg_replication_slots WHERE slot_name = %s", lit);
	PQfreemem(lit);
	ws_set_state(ws, WS_SLOT);
	rc = pga_query(pg, sql, 0, NULL, ws_on_slot, ws);
	free(sql);
	if (rc == -1)
		ws_broken(ws, pg->err, "");
}

void
walstream_start(struct walstream *ws)
{
	static const char *const keys[] = { "dbname", "replication",
	    "options", "fallback_application_name", NULL };
	const char *vals[] = { cfg.database_url, "database",
	    WS_SESSION_OPTIONS, "electricd-replication", NULL };

	if (ws->state != WS_IDLE)
		walstream_stop(ws);
	ws_set_state(ws, WS_CONNECTING);
	pga_connect(&ws->pg, keys, vals, WS_CONNECT_TIMEOUT_S, ws_on_connected,
	    ws);
}

void
walstream_stop(struct walstream *ws)
{
	/* The last update goes out before the Terminate of PQfinish; the
	 * walsender handles both in order. */
	if (ws->state == WS_STREAMING && ws_put_status(ws) == 0 &&
	    PQsetnonblocking(ws->pg.conn, 0) == 0)
		(void)PQflush(ws->pg.conn);
	if (ws->state != WS_IDLE)
		ws_close(ws);
}

void
walstream_ack(struct walstream *ws, uint64_t lsn)
{
	if (lsn <= ws->acked)
		return;
	ws->acked = lsn;
	(void)ws_status_soon(ws);
}

void
walstream_pause(struct walstream *ws, int paused)
{
	if (ws->paused == paused)
		return;
	ws->paused = paused;
	log_debug("stream %s", paused ? "paused (collector is behind)" :
	    "resumed");
	if (ws->state != WS_STREAMING)
		return;
	if (paused)
		event_del(ws->rev);
	else {
		event_add(ws->rev, NULL);
		event_active(ws->rev, EV_READ, 0);
	}
}

int
walstream_streaming(const struct walstream *ws)
{
	return ws->state == WS_STREAMING;
}

uint64_t
walstream_acked(const struct walstream *ws)
{
	return ws->acked;
}

struct walstream *
walstream_new(struct event_base *base, const struct walstream_cbs *cbs,
    void *arg)
{
	struct walstream *ws = xcalloc(1, sizeof(*ws));

	ws->base = base;
	ws->cbs = *cbs;
	ws->arg = arg;
	pga_init(&ws->pg, base);
	mbuf_init(&ws->out);
	ws->status_timer = event_new(base, -1, EV_PERSIST, ws_on_status_timer,
	    ws);
	ws->ack_timer = evtimer_new(base, ws_on_ack_timer, ws);
	if (ws->status_timer == NULL || ws->ack_timer == NULL)
		fatalx("evtimer_new");
	return ws;
}
