/*
 * collector_wake: the collector asks the root for the consumer of a shape
 * that must take a transaction but has no consumer subscribed (issue 6:
 * suspended shapes, also shapes whose consumer is not up yet).  Called
 * by collector.c when a transaction reaches such a subscriber, and by a
 * timer every COL_WAKE_MS for every such subscriber that still blocks
 * the acknowledgement queue (so a request that reached the root while an
 * old instance was exiting is repeated).
 *
 * The request is MSG_SPAWN on the collector's root channel; the root
 * ignores it for a consumer it already runs (or is restarting), starts a
 * new one otherwise, and restarts at once one that is suspending.
 * Meanwhile the subscriber is an ordinary down one: its transactions stay
 * blocked, and the stream rewinds when it subscribes (collector.c).
 */
#include <string.h>

#include <event2/event.h>

#include "collector_int.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

#define COL_WAKE_MS	1000

static struct chan *wake_root;
static struct event *wake_tmr;

void
col_wake(struct col_sub *s)
{
	uint64_t now = mono_ms();
	struct mbuf m;

	if (s->chan != NULL || wake_root == NULL ||
	    (s->wake_ms != 0 && now - s->wake_ms < COL_WAKE_MS))
		return;
	s->wake_ms = now;
	log_debug("shape %s has a transaction and no consumer: waking it",
	    s->handle);
	mbuf_init(&m);
	mbuf_str(&m, s->handle);
	if (chan_sendm(wake_root, MSG_SPAWN, 0, &m) == -1)
		log_debug("root channel closed");
	mbuf_free(&m);
}

static void
col_wake_tick(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	struct timeval tv = { COL_WAKE_MS / 1000, (COL_WAKE_MS % 1000) * 1000 };
	struct col_sub *s;

	for (s = col_subs; s != NULL; s = s->next)
		if (s->chan == NULL && s->missed)
			col_wake(s);
	evtimer_add(wake_tmr, &tv);
}

void
col_wake_init(struct event_base *base, struct chan *root)
{
	wake_root = root;
	if ((wake_tmr = evtimer_new(base, col_wake_tick, NULL)) == NULL)
		fatalx("evtimer_new");
	col_wake_tick(-1, 0, NULL);
}
