/*
 * pgasync: libpq on libevent (see pgasync.h).  Connects with
 * PQconnectStartParams/PQconnectPoll (libpq leaves the connect timeout to
 * us in that mode, hence the timer), sends queries non-blocking and
 * collects their results as the socket becomes readable.
 *
 * Invariants: at most one operation (phase) at a time; the callback is
 * always called from the event loop, never from inside pga_connect or
 * pga_query, and after the operation's events are gone; a COPY result
 * (START_REPLICATION) ends a query at once, the connection then belongs
 * to the caller's own events.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "pgasync.h"

static void pga_on_event(evutil_socket_t, short, void *);

void
pga_init(struct pgasync *p, struct event_base *base)
{
	memset(p, 0, sizeof(*p));
	p->base = base;
}

char *
pga_oneline(const char *msg, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; msg != NULL && msg[i] != '\0' && o + 1 < len; i++) {
		if (msg[i] == '\n' || msg[i] == '\t' || msg[i] == '\r') {
			if (o > 0 && buf[o - 1] != ' ')
				buf[o++] = ' ';
		} else
			buf[o++] = msg[i];
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	return buf;
}

const char *
pga_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

const char *
pga_res_error(struct pgasync *p, const PGresult *res)
{
	const char *m;

	if (res == NULL)
		return pga_oneline(PQerrorMessage(p->conn), p->err,
		    sizeof(p->err));
	m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (m != NULL)
		return pga_oneline(m, p->err, sizeof(p->err));
	if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		return pga_oneline(PQresultErrorMessage(res), p->err,
		    sizeof(p->err));
	snprintf(p->err, sizeof(p->err), "unexpected result %s",
	    PQresStatus(PQresultStatus(res)));
	return p->err;
}

/* Waits for what (EV_READ and/or EV_WRITE) on the connection's socket,
 * which may change between PQconnectPoll calls. */
static void
pga_wait(struct pgasync *p, short what)
{
	if (p->ev != NULL)
		event_free(p->ev);
	p->ev = event_new(p->base, PQsocket(p->conn), what, pga_on_event, p);
	if (p->ev == NULL || event_add(p->ev, NULL) == -1)
		fatalx("pgasync: cannot add an event");
}

void
pga_cancel(struct pgasync *p)
{
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->timer != NULL)
		event_free(p->timer);
	if (p->last != NULL)
		PQclear(p->last);
	p->ev = p->timer = NULL;
	p->last = NULL;
	p->phase = PGA_IDLE;
	p->flushing = 0;
}

void
pga_close(struct pgasync *p)
{
	pga_cancel(p);
	if (p->conn != NULL)
		PQfinish(p->conn);
	p->conn = NULL;
}

/* Ends the operation: events gone first, then the callback. */
static void
pga_done(struct pgasync *p, PGresult *res, const char *err)
{
	pga_cb cb = p->cb;
	void *arg = p->arg;

	pga_cancel(p);
	cb(p, res, err, arg);
	if (res != NULL)
		PQclear(res);
}

static void
pga_fail(struct pgasync *p)
{
	pga_oneline(PQerrorMessage(p->conn), p->err, sizeof(p->err));
	if (p->err[0] == '\0')
		snprintf(p->err, sizeof(p->err), "connection lost");
	pga_done(p, NULL, p->err);
}

static void
pga_on_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct pgasync *p = arg;

	if (p->err[0] == '\0')
		snprintf(p->err, sizeof(p->err), "connection timed out");
	pga_done(p, NULL, p->err);
}

static void
pga_connect_poll(struct pgasync *p)
{
	switch (PQconnectPoll(p->conn)) {
	case PGRES_POLLING_READING:
		pga_wait(p, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		pga_wait(p, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(p->conn, 1) == -1) {
			pga_fail(p);
			break;
		}
		pga_done(p, NULL, NULL);
		break;
	default:
		pga_fail(p);
		break;
	}
}

/* Notices (and a FATAL before a disconnect) go to our log, not stderr. */
static void
pga_notice(void *arg UNUSED, const char *msg)
{
	char buf[512];

	log_info("postgres: %s", pga_oneline(msg, buf, sizeof(buf)));
}

void
pga_connect(struct pgasync *p, const char *const *keys,
    const char *const *vals, int timeout_s, pga_cb cb, void *arg)
{
	struct timeval tv = { timeout_s, 0 };

	pga_close(p);
	p->cb = cb;
	p->arg = arg;
	p->err[0] = '\0';
	p->phase = PGA_CONNECTING;
	p->conn = PQconnectStartParams(keys, vals, 1);
	if (p->conn == NULL)
		fatalx("PQconnectStartParams: out of memory");
	PQsetNoticeProcessor(p->conn, pga_notice, p);
	p->timer = evtimer_new(p->base, pga_on_timer, p);
	if (PQstatus(p->conn) == CONNECTION_BAD) {
		/* Reported from the loop, like every other outcome. */
		pga_oneline(PQerrorMessage(p->conn), p->err, sizeof(p->err));
		tv.tv_sec = 0;
	} else
		pga_wait(p, EV_WRITE);
	if (p->timer == NULL || evtimer_add(p->timer, &tv) == -1)
		fatalx("pgasync: cannot add a timer");
}

/* Collects results while they are complete; waits for more otherwise.
 * p->last holds the result to report (the first error of a
 * multi-statement query, else the last result). */
static void
pga_query_results(struct pgasync *p)
{
	PGresult *res;
	ExecStatusType st;

	while (!PQisBusy(p->conn)) {
		if ((res = PQgetResult(p->conn)) == NULL) {
			res = p->last;
			p->last = NULL;
			if (res == NULL)
				snprintf(p->err, sizeof(p->err), "no result");
			pga_done(p, res, res ? NULL : p->err);
			return;
		}
		st = PQresultStatus(res);
		if (st == PGRES_COPY_BOTH || st == PGRES_COPY_OUT ||
		    st == PGRES_COPY_IN) {
			pga_done(p, res, NULL);
			return;
		}
		if (p->last != NULL &&
		    PQresultStatus(p->last) == PGRES_FATAL_ERROR)
			PQclear(res);
		else {
			PQclear(p->last);
			p->last = res;
		}
	}
	pga_wait(p, EV_READ);
}

static void
pga_query_event(struct pgasync *p, short what)
{
	int r;

	if ((what & EV_READ) && !PQconsumeInput(p->conn)) {
		pga_fail(p);
		return;
	}
	if (p->flushing) {
		if ((r = PQflush(p->conn)) == -1) {
			pga_fail(p);
			return;
		}
		p->flushing = r;
		if (r == 1) {
			pga_wait(p, EV_READ | EV_WRITE);
			return;
		}
	}
	pga_query_results(p);
}

static void
pga_on_event(evutil_socket_t fd UNUSED, short what, void *arg)
{
	struct pgasync *p = arg;
	PGnotify *n;

	switch (p->phase) {
	case PGA_CONNECTING:
		pga_connect_poll(p);
		break;
	case PGA_QUERY:
		pga_query_event(p, what);
		break;
	case PGA_WATCH:
		if (!PQconsumeInput(p->conn) ||
		    PQstatus(p->conn) == CONNECTION_BAD) {
			pga_fail(p);
			break;
		}
		while ((n = PQnotifies(p->conn)) != NULL)
			PQfreemem(n);
		pga_wait(p, EV_READ);
		break;
	case PGA_IDLE:
		break;
	}
}

int
pga_query(struct pgasync *p, const char *sql, int nparams,
    const char *const *params, pga_cb cb, void *arg)
{
	int ok;

	pga_cancel(p);
	if (p->conn == NULL) {
		snprintf(p->err, sizeof(p->err), "not connected");
		return -1;
	}
	ok = nparams == 0 ? PQsendQuery(p->conn, sql) :
	    PQsendQueryParams(p->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0);
	if (!ok || (p->flushing = PQflush(p->conn)) == -1) {
		pga_oneline(PQerrorMessage(p->conn), p->err, sizeof(p->err));
		p->flushing = 0;
		return -1;
	}
	p->cb = cb;
	p->arg = arg;
	p->err[0] = '\0';
	p->phase = PGA_QUERY;
	pga_wait(p, p->flushing ? EV_READ | EV_WRITE : EV_READ);
	return 0;
}

void
pga_watch(struct pgasync *p, pga_cb cb, void *arg)
{
	pga_cancel(p);
	p->cb = cb;
	p->arg = arg;
	p->phase = PGA_WATCH;
	pga_wait(p, EV_READ);
}
