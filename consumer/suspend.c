/*
 * suspend: consumer suspension (issue 6).  A consumer that has had no
 * work for ELECTRIC_SHAPE_SUSPEND_TIMEOUT seconds, holds nothing pending
 * and has no http request waiting on its shape exits 0 and leaves its
 * shape "suspended" in meta.db; shapecache does not start suspended
 * shapes, http serves their files as they are (complete up to the last
 * flush).  Called by consumer.c: init, root and http frames, and
 * cons_suspend_touch() for every collector frame and subset request.
 *
 * Coming back: a change routed to the shape makes the collector ask the
 * root for the consumer (collector_wake.c); a live request makes
 * shapecache ask (scwake.c); electricctl resume asks directly.  The new
 * instance marks the shape "active" again before it subscribes.
 *
 * Nothing is lost: at the moment of the decision every transaction the
 * collector forwarded is flushed and acknowledged.  Anything forwarded
 * after it is pending in the collector when our channel closes, so the
 * collector keeps it blocked, wakes us, and rewinds when we subscribe
 * again.  The root is told "suspending" (MSG_STATE) before meta.db says
 * suspended, so that a wake-up that reaches the root while this process
 * is still exiting restarts it at once instead of being dropped.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "consumer_int.h"
#include "log.h"
#include "meta.h"
#include "msg.h"

#define SUSP_TICK_MIN_MS	250
#define SUSP_TICK_MAX_MS	5000
#define SUSP_QUERY_MS		2000	/* wait for http's answer at most */
#define SUSP_FORCE_MS		5000	/* electricctl suspend: retry this long */
#define SUSP_FORCE_TICK_MS	50

static uint64_t
susp_timeout_ms(void)
{
	return (uint64_t)cfg.shape_suspend_timeout * 1000;
}

static void
susp_arm(struct consumer *c, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(c->susp_tmr, &tv);
}

static uint64_t
susp_tick_ms(void)
{
	uint64_t t = susp_timeout_ms() / 4;

	return t < SUSP_TICK_MIN_MS ? SUSP_TICK_MIN_MS :
	    t > SUSP_TICK_MAX_MS ? SUSP_TICK_MAX_MS : t;
}

/* Nothing pending anywhere in this process. */
static int
susp_quiet(const struct consumer *c)
{
	return c->state == CONS_STREAMING && !c->tx.active && !c->ack_pending &&
	    !c->dirty && !c->have_held && c->q_head == NULL &&
	    cons_subset_idle(c) && (c->coll == NULL || chan_queued(c->coll) == 0);
}

static void
susp_state_to_root(struct consumer *c)
{
	uint64_t until = mono_ms() + 1000;
	struct mbuf m;

	mbuf_init(&m);
	mbuf_str(&m, "suspending");
	mbuf_str(&m, "");
	if (c->root != NULL && chan_sendm(c->root, MSG_STATE, 0, &m) == 0)
		while (c->root != NULL && chan_queued(c->root) > 0 &&
		    mono_ms() < until) {
			event_base_loop(c->base, EVLOOP_NONBLOCK);
			usleep(1000);
		}
	mbuf_free(&m);
}

/* Decided: the rest runs outside the event loop (cons_suspend_finish),
 * which may then be run again to send the root our state. */
static void
susp_now(struct consumer *c, const char *why)
{
	c->suspending = why;
	event_base_loopbreak(c->base);
}

void
cons_suspend_finish(struct consumer *c)
{
	susp_state_to_root(c);
	cons_meta_sync(c);
	if (cons_db(c) == NULL ||
	    meta_shape_set_state(c->db, c->handle, "suspended") == -1) {
		log_warnx("meta: cannot record the suspension; exiting anyway");
		exit(0);	/* restarted by a change or a live request */
	}
	log_info("suspended (%s)", c->suspending);
	exit(0);
}

static void
susp_ask_http(struct consumer *c)
{
	struct mbuf m;

	if (++c->susp_qid == 0)
		c->susp_qid = 1;
	mbuf_init(&m);
	mbuf_str(&m, c->handle);
	if (chan_sendm(c->http, MSG_READERS_Q, c->susp_qid, &m) == -1)
		c->susp_qid = 0;
	else
		c->susp_qms = mono_ms();
	mbuf_free(&m);
}

static void
susp_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct consumer *c = arg;
	uint64_t now = mono_ms();

	(void)fd; (void)ev;
	if (c->suspending != NULL)
		return;
	if (c->susp_force_until != 0) {
		if (susp_quiet(c)) {
			susp_now(c, "electricctl suspend");
			return;
		}
		if (now < c->susp_force_until) {
			susp_arm(c, SUSP_FORCE_TICK_MS);
			return;
		}
		log_warnx("electricctl suspend: still busy after %d ms; staying",
		    SUSP_FORCE_MS);
		c->susp_force_until = 0;
	}
	if (susp_timeout_ms() == 0)
		return;
	susp_arm(c, susp_tick_ms());
	if (c->susp_qid != 0 && now - c->susp_qms < SUSP_QUERY_MS)
		return;			/* http has not answered yet */
	c->susp_qid = 0;
	if (!susp_quiet(c) || now - c->active_ms < susp_timeout_ms())
		return;
	if (c->http == NULL)
		susp_now(c, "idle, no http process");
	else
		susp_ask_http(c);
}

void
cons_suspend_readers(struct consumer *c, uint32_t id, const uint8_t *p,
    size_t len)
{
	struct mreader mr;
	uint32_t n;

	mr_init(&mr, p, len);
	n = mr_u32(&mr);
	if (mr_done(&mr) == -1 || id == 0 || id != c->susp_qid ||
	    c->suspending != NULL) {
		log_debug("stale or malformed READERS, ignored");
		return;
	}
	c->susp_qid = 0;
	if (n > 0) {
		log_debug("%u requests wait on the shape: staying", n);
		cons_suspend_touch(c);
		return;
	}
	if (susp_quiet(c) && mono_ms() - c->active_ms >= susp_timeout_ms())
		susp_now(c, "idle");
}

void
cons_suspend_touch(struct consumer *c)
{
	c->active_ms = mono_ms();
	c->susp_qid = 0;	/* an answer to an older question is stale */
}

void
cons_suspend_request(struct consumer *c)
{
	log_info("suspension requested");
	c->susp_force_until = mono_ms() + SUSP_FORCE_MS;
	susp_arm(c, 0);
}

void
cons_suspend_init(struct consumer *c)
{
	c->active_ms = mono_ms();
	if ((c->susp_tmr = evtimer_new(c->base, susp_tick, c)) == NULL)
		fatalx("evtimer_new");
	if (c->was_suspended) {
		if (cons_db(c) == NULL ||
		    meta_shape_set_state(c->db, c->handle, "active") == -1)
			log_warnx("meta: cannot mark the shape active");
		cons_db_release(c);
		log_info("resuming a suspended shape");
	}
	if (susp_timeout_ms() > 0)
		susp_arm(c, susp_tick_ms());
}
