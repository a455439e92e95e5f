/*
 * replication: the process between Postgres and the collector.  It keeps
 * one channel to the collector (run/collector.sock) and one logical
 * replication stream (walstream.c), forwards every decoded message to the
 * collector as a frame, and passes the collector's acknowledgements
 * (MSG_ACK) back to Postgres as the slot's flush position.
 *
 * Recovery ("replay from the slot"): whenever the stream restarts -- the
 * collector asked for it (MSG_REWIND), the collector channel was lost and
 * reconnected, or the Postgres connection broke -- streaming starts again
 * from the slot's confirmed position, and MSG_REWOUND is the first frame
 * the collector gets from the new stream.
 *
 * Backpressure: above the collector channel's high watermark we stop
 * reading from Postgres until the queue drains; status updates go on.
 * Postgres failures are retried with a backoff of 1 s doubling to 30 s
 * (reset once a stream has lasted 30 s); the collector socket is retried
 * every 200 ms.  READY is sent once, when streaming first starts.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "pgoutput.h"
#include "proc.h"
#include "replag.h"
#include "roles.h"
#include "walstream.h"

#define REPL_COLLECTOR_RETRY_MIN_MS 5	/* doubling: it is starting */
#define REPL_COLLECTOR_RETRY_MS	50
#define REPL_BACKOFF_MIN_MS	1000
#define REPL_BACKOFF_MAX_MS	30000
#define REPL_STABLE_MS		30000	/* a stream this old resets backoff */
#define REPL_SLOT_BUSY_MS	200	/* old walsender still holds the slot */

struct repl {
	struct event_base	*base;
	struct chan		*root;
	struct chan		*coll;		/* NULL while reconnecting */
	struct walstream	*ws;
	struct event		*coll_timer;	/* collector reconnect */
	int			 coll_retry_ms;	/* backoff_step state */
	struct event		*pg_timer;	/* stream restart */
	int			 backoff_ms;
	int			 ready;
	uint64_t		 started_ms;
};

static void repl_coll_connect(struct repl *);
static void repl_coll_retry(struct repl *);

/* For /metrics (proc_stats_publish): frames forwarded to the collector. */
static uint64_t repl_changes, repl_xacts;
static const struct proc_stat repl_stats[] = {
	{ "changes_total", &repl_changes, NULL },
	{ "transactions_total", &repl_xacts, NULL },
	{ "lag_us", NULL, replag_now },
};

static void
repl_timer_ms(struct event *ev, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static void
repl_send(struct repl *r, uint16_t type, const struct mbuf *mb)
{
	if (r->coll == NULL)
		return;
	if ((mb ? chan_sendm(r->coll, type, 0, mb) :
	    chan_send(r->coll, type, 0, NULL, 0, -1)) == -1)
		log_debug("collector channel closed");
}

/* Drops the current stream, if any; a pending restart is cancelled. */
static void
repl_stream_drop(struct repl *r)
{
	walstream_stop(r->ws);
	evtimer_del(r->pg_timer);
	r->started_ms = 0;
}

static void
repl_stream_start(struct repl *r)
{
	if (r->coll == NULL)
		return;
	walstream_start(r->ws);
}

/* ---- walstream callbacks ---- */

static void
repl_on_started(void *arg)
{
	struct repl *r = arg;

	r->started_ms = mono_ms();
	/* Every stream after the first is a restart: the collector voids
	 * what it holds of the old one before any new frame. */
	if (r->ready)
		repl_send(r, MSG_REWOUND, NULL);
	else
		proc_ready(r->root);
	r->ready = 1;
}

/* Counts what reaches the collector; a COMMIT starts its lag clock. */
static void
repl_count(uint16_t type, const struct mbuf *mb)
{
	struct mreader mr;
	uint64_t end_lsn, at;

	if (type == MSG_CHANGE)
		repl_changes++;
	if (type != MSG_COMMIT)
		return;
	repl_xacts++;
	mr_init(&mr, mb->p, mb->len);
	(void)mr_u64(&mr);		/* seq */
	(void)mr_u64(&mr);		/* commit_lsn */
	end_lsn = mr_u64(&mr);
	at = mr_u64(&mr);
	if (!mr.err)
		replag_commit(end_lsn, at);
}

static void
repl_on_frame(uint16_t type, const struct mbuf *mb, void *arg)
{
	struct repl *r = arg;

	if (r->coll != NULL)
		repl_count(type, mb);
	repl_send(r, type, mb);
}

static void
repl_on_keepalive(uint64_t wal_end, void *arg)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mbuf_u64(&mb, wal_end);
	repl_send(arg, MSG_KEEPALIVE, &mb);
	mbuf_free(&mb);
}

static void
repl_on_broken(const char *why, const char *sqlstate, void *arg)
{
	struct repl *r = arg;
	int delay;

	if (r->started_ms != 0 &&
	    mono_ms() - r->started_ms >= REPL_STABLE_MS)
		r->backoff_ms = REPL_BACKOFF_MIN_MS;
	r->started_ms = 0;
	if (strcmp(sqlstate, "55006") == 0) {
		/* object_in_use: the previous walsender has not let go of the
		 * slot yet; that takes a moment, not a backoff. */
		log_debug("replication: %s; retrying", why);
		delay = REPL_SLOT_BUSY_MS;
	} else {
		delay = backoff_step(&r->backoff_ms, REPL_BACKOFF_MIN_MS,
		    REPL_BACKOFF_MAX_MS);
		log_warnx("replication stream: %s; retrying in %d s", why,
		    delay / 1000);
	}
	repl_timer_ms(r->pg_timer, delay);
}

static const struct walstream_cbs repl_ws_cbs = {
	repl_on_started, repl_on_frame, repl_on_keepalive, repl_on_broken
};

static void
repl_on_pg_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	repl_stream_start(arg);
}

/* ---- collector channel ---- */

static void
repl_on_ack(struct repl *r, const struct frame *f)
{
	struct mreader mr;
	uint64_t lsn;

	mr_init(&mr, f->data, f->len);
	lsn = mr_u64(&mr);
	if (mr_done(&mr) == -1) {
		log_warnx("malformed ACK from the collector");
		return;
	}
	walstream_ack(r->ws, lsn);
	replag_ack(lsn);
}

static void
repl_on_coll_frame(struct chan *c UNUSED, struct frame *f, void *arg)
{
	struct repl *r = arg;

	switch (f->type) {
	case MSG_ACK:
		repl_on_ack(r, f);
		break;
	case MSG_REWIND:
		log_info("collector asked to rewind: restarting the stream");
		repl_stream_drop(r);
		repl_stream_start(r);
		break;
	default:
		log_warnx("unexpected %s from the collector",
		    msg_name(f->type));
		break;
	}
	if (f->fd != -1)
		close(f->fd);
}

static void
repl_on_coll_close(struct chan *c, int error, void *arg)
{
	struct repl *r = arg;

	if (error)
		log_warnx("collector channel: %s", strerror(error));
	else
		log_info("collector closed its channel");
	chan_free(c);
	r->coll = NULL;
	repl_stream_drop(r);
	repl_coll_retry(r);
}

static void
repl_on_coll_wm(struct chan *c UNUSED, int above, void *arg)
{
	struct repl *r = arg;

	walstream_pause(r->ws, above);
}

static void
repl_coll_retry(struct repl *r)
{
	repl_timer_ms(r->coll_timer, backoff_step(&r->coll_retry_ms,
	    REPL_COLLECTOR_RETRY_MIN_MS, REPL_COLLECTOR_RETRY_MS));
}

static void
repl_coll_connect(struct repl *r)
{
	char *path = config_sock_path("collector");
	int fd = unix_connect(path);

	if (fd == -1) {
		log_debug("collector not there yet (%s)", path);
		free(path);
		repl_coll_retry(r);
		return;
	}
	free(path);
	r->coll = chan_new(r->base, fd, "replication", FRAME_MAX_DEFAULT,
	    repl_on_coll_frame, repl_on_coll_close, r);
	if (r->coll == NULL) {
		log_warn("collector channel");
		repl_coll_retry(r);
		return;
	}
	chan_set_watermark(r->coll, CHAN_HIGH_WATERMARK, repl_on_coll_wm);
	walstream_pause(r->ws, 0);
	log_info("connected to the collector");
	r->coll_retry_ms = 0;
	r->backoff_ms = REPL_BACKOFF_MIN_MS;
	repl_stream_start(r);
}

static void
repl_on_coll_timer(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	repl_coll_connect(arg);
}

static void
repl_stop(void *arg)
{
	struct repl *r = arg;

	log_info("stopping");
	walstream_stop(r->ws);
	exit(0);
}

int
replication_main(void)
{
	static struct repl r;

	r.base = proc_init("replication", NULL);
	r.root = proc_root_chan(r.base, "replication", NULL, NULL);
	proc_signals(r.base, repl_stop, &r);
	r.ws = walstream_new(r.base, &repl_ws_cbs, &r);
	r.backoff_ms = REPL_BACKOFF_MIN_MS;
	r.coll_timer = evtimer_new(r.base, repl_on_coll_timer, &r);
	r.pg_timer = evtimer_new(r.base, repl_on_pg_timer, &r);
	if (r.coll_timer == NULL || r.pg_timer == NULL)
		fatalx("evtimer_new");
	proc_stats_publish(r.base, r.root, repl_stats,
	    sizeof(repl_stats) / sizeof(repl_stats[0]));
	repl_coll_connect(&r);
	event_base_dispatch(r.base);
	return 1;
}
