/*
 * pgpool: connmgr's snapshot connections, lent by fd (see pgpool.h).
 * A table of size slots, each empty, connecting, idle (watched for
 * breakage) or lent; a FIFO of waiting borrowers; one timer that closes
 * connections idle for PGPOOL_IDLE_MS.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "pgasync.h"
#include "pgpool.h"
#include "util.h"

#define PP_SWEEP_MS	10000

enum pp_state { PP_EMPTY, PP_CONNECTING, PP_IDLE, PP_LENT };

struct pp_client;

struct pp_conn {
	struct pgasync		 pg;
	enum pp_state		 state;
	uint32_t		 loan;		/* id of the current loan */
	struct pp_client	*borrower;
	uint64_t		 idle_since;	/* mono_ms */
};

/* One borrower channel (a consumer). */
struct pp_client {
	struct chan		*ch;
	struct pp_conn		*conn;		/* on loan to it */
	int			 waiting;
	TAILQ_ENTRY(pp_client)	 wq;
};

static struct {
	struct event_base	*base;
	struct pp_conn		*conns;
	int			 size;
	int			 started;	/* connmgr READY */
	int			 no_lend;	/* encrypted: cannot lend */
	uint32_t		 next_loan;
	struct event		*sweep;
	TAILQ_HEAD(, pp_client)	 waiters;
	uint64_t		 nwaiting, nloans, nopened;
} pp;

static void pp_dispatch(void);

static uint64_t
pp_count(enum pp_state st)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < pp.size; i++)
		n += pp.conns[i].state == st;
	return n;
}

uint64_t pgpool_open(void) { return (uint64_t)pp.size - pp_count(PP_EMPTY); }
uint64_t pgpool_lent(void) { return pp_count(PP_LENT); }
uint64_t pgpool_waiting(void) { return pp.nwaiting; }
uint64_t pgpool_loans(void) { return pp.nloans; }
uint64_t pgpool_opened(void) { return pp.nopened; }

static void
pp_unwait(struct pp_client *cl)
{
	if (!cl->waiting)
		return;
	TAILQ_REMOVE(&pp.waiters, cl, wq);
	cl->waiting = 0;
	pp.nwaiting--;
}

/* Answers a borrower: with the connection's socket, or (conn NULL) with
 * why it has none. */
static void
pp_answer(struct pp_client *cl, struct pp_conn *conn, const char *error)
{
	struct mbuf m;
	int fd = -1;

	pp_unwait(cl);
	mbuf_init(&m);
	if (conn != NULL) {
		conn->loan = ++pp.next_loan;
		conn->borrower = cl;
		conn->state = PP_LENT;
		pga_cancel(&conn->pg);		/* the borrower reads it now */
		cl->conn = conn;
		fd = PQsocket(conn->pg.conn);
		pp.nloans++;
	}
	mbuf_u32(&m, conn ? conn->loan : 0);
	mbuf_str(&m, error);
	if (chan_send(cl->ch, MSG_POOL_LEND, 0, m.p, m.len, fd) == -1)
		log_warnx("pgpool: cannot answer a borrower");
	else
		chan_push(cl->ch);
	mbuf_free(&m);
}

static void
pp_close(struct pp_conn *conn)
{
	pga_close(&conn->pg);
	if (conn->borrower != NULL)
		conn->borrower->conn = NULL;
	conn->borrower = NULL;
	conn->state = PP_EMPTY;
}

static void
pp_broke(struct pgasync *pg UNUSED, PGresult *res UNUSED, const char *err,
    void *arg)
{
	log_info("pgpool: an idle connection broke: %s", err ? err : "closed");
	pp_close(arg);
	pp_dispatch();
}

static void
pp_make_idle(struct pp_conn *conn)
{
	conn->state = PP_IDLE;
	conn->borrower = NULL;
	conn->idle_since = mono_ms();
	pga_watch(&conn->pg, pp_broke, conn);
}

/* Every waiter gets the error (the pool cannot lend any more). */
static void
pp_refuse_all(const char *why)
{
	struct pp_client *cl;

	while ((cl = TAILQ_FIRST(&pp.waiters)) != NULL)
		pp_answer(cl, NULL, why);
}

static void
pp_connected(struct pgasync *pg, PGresult *res UNUSED, const char *err,
    void *arg)
{
	struct pp_conn *conn = arg;
	struct pp_client *cl;
	char why[600];

	if (err != NULL) {
		log_warnx("pgpool: cannot open a snapshot connection: %s", err);
		snprintf(why, sizeof(why), "connect: %s", err);
		pp_close(conn);
		if ((cl = TAILQ_FIRST(&pp.waiters)) != NULL)
			pp_answer(cl, NULL, why);
		pp_dispatch();
		return;
	}
	if (PQsslInUse(pg->conn) || PQgssEncInUse(pg->conn)) {
		log_info("pgpool: snapshot connections are encrypted and "
		    "cannot be lent; consumers connect on their own");
		pp.no_lend = 1;
		pp_close(conn);
		pp_refuse_all("the connection is encrypted");
		return;
	}
	pp.nopened++;
	pp_make_idle(conn);
	pp_dispatch();
}

static void
pp_connect(struct pp_conn *conn)
{
	static const char *const keys[] = { "dbname",
	    "fallback_application_name", NULL };
	const char *vals[] = { cfg.database_url, "electricd-snapshot", NULL };

	conn->state = PP_CONNECTING;
	pga_connect(&conn->pg, keys, vals, PGPOOL_CONNECT_TIMEOUT_S,
	    pp_connected, conn);
}

/* Lends idle connections to waiters in order, and opens as many more as
 * there are waiters no connection is being opened for (up to size). */
static void
pp_dispatch(void)
{
	struct pp_client *cl;
	uint64_t need, opening;
	int i;

	if (pp.no_lend) {
		pp_refuse_all("the connection is encrypted");
		return;
	}
	for (i = 0; i < pp.size && !TAILQ_EMPTY(&pp.waiters); i++)
		if (pp.conns[i].state == PP_IDLE) {
			cl = TAILQ_FIRST(&pp.waiters);
			pp_answer(cl, &pp.conns[i], "");
		}
	if (!pp.started)
		return;
	opening = pp_count(PP_CONNECTING);
	need = pp.nwaiting > opening ? pp.nwaiting - opening : 0;
	for (i = 0; i < pp.size && need > 0; i++)
		if (pp.conns[i].state == PP_EMPTY) {
			pp_connect(&pp.conns[i]);
			need--;
		}
}

static void
pp_on_return(struct pp_client *cl, struct mreader *r)
{
	uint32_t loan = mr_u32(r);
	int clean = mr_u8(r);
	struct pp_conn *conn = cl->conn;

	if (mr_done(r) == -1 || conn == NULL || conn->loan != loan) {
		log_warnx("pgpool: a return of loan %u that is not out", loan);
		return;
	}
	cl->conn = NULL;
	if (clean)
		pp_make_idle(conn);
	else {
		log_info("pgpool: a connection came back in use; closing it");
		pp_close(conn);
	}
	pp_dispatch();
}

static void
pp_on_frame(struct chan *ch, struct frame *f, void *arg)
{
	struct pp_client *cl = arg;
	struct mreader r;

	mr_init(&r, f->data, f->len);
	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_POOL_BORROW && cl->conn == NULL && !cl->waiting) {
		TAILQ_INSERT_TAIL(&pp.waiters, cl, wq);
		cl->waiting = 1;
		pp.nwaiting++;
		pp_dispatch();
	} else if (f->type == MSG_POOL_RETURN)
		pp_on_return(cl, &r);
	else
		log_warnx("pgpool: unexpected %s from pid %d", msg_name(f->type),
		    (int)chan_peer_pid(ch));
}

static void
pp_on_close(struct chan *ch, int error UNUSED, void *arg)
{
	struct pp_client *cl = arg;

	pp_unwait(cl);
	if (cl->conn != NULL) {
		log_info("pgpool: a borrower left with its connection; "
		    "closing it");
		pp_close(cl->conn);
	}
	chan_free(ch);
	free(cl);
	pp_dispatch();
}

static void
pp_on_accept(evutil_socket_t lfd, short ev UNUSED, void *arg UNUSED)
{
	struct pp_client *cl;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd == -1)
		return;
	cl = xcalloc(1, sizeof(*cl));
	if ((cl->ch = chan_new(pp.base, fd, "connmgr", FRAME_MAX_CTL,
	    pp_on_frame, pp_on_close, cl)) == NULL) {
		log_warnx("pgpool: cannot set up a channel");
		free(cl);
	}
}

static void
pp_on_sweep(evutil_socket_t fd UNUSED, short what UNUSED, void *arg UNUSED)
{
	uint64_t now = mono_ms();
	int i;

	for (i = 0; i < pp.size; i++)
		if (pp.conns[i].state == PP_IDLE &&
		    now - pp.conns[i].idle_since >= PGPOOL_IDLE_MS)
			pp_close(&pp.conns[i]);
}

void
pgpool_init(struct event_base *base, int size)
{
	struct timeval tv = { PP_SWEEP_MS / 1000, 0 };
	struct event *ev;
	char *path;
	int fd, i;

	pp.base = base;
	pp.size = size < 1 ? 1 : size;
	pp.conns = xcalloc((size_t)pp.size, sizeof(*pp.conns));
	for (i = 0; i < pp.size; i++)
		pga_init(&pp.conns[i].pg, base);
	TAILQ_INIT(&pp.waiters);
	path = config_sock_path("pgpool");
	if ((fd = unix_listen(path)) == -1)
		fatal("listen %s", path);
	free(path);
	ev = event_new(base, fd, EV_READ | EV_PERSIST, pp_on_accept, NULL);
	pp.sweep = event_new(base, -1, EV_PERSIST, pp_on_sweep, NULL);
	if (ev == NULL || pp.sweep == NULL || event_add(ev, NULL) == -1 ||
	    evtimer_add(pp.sweep, &tv) == -1)
		fatalx("pgpool: cannot add events");
}

void
pgpool_start(void)
{
	pp.started = 1;
	pp_dispatch();
}
