/*
 * consumer_storage: what a consumer does when its storage fails (disk
 * full, read-only, EIO) or its directory is damaged.  Called by
 * consumer.c (opening the log, the snapshot) and consumer_stream.c
 * (append, commit).
 *
 * Policy (docs/internals.md "Storage faults"): a failed write is rolled
 * back by shapelog (files truncated to their durable lengths), nothing of
 * it is acknowledged, and the consumer stays alive in a "storage error"
 * state instead of exiting (a crash loop of many consumers would exceed
 * the consumers group's intensity and restart healthy shapes too).  It
 * drops its collector subscription, so the collector holds the slot at
 * what the shape has durably; http keeps serving what is durable.  Every
 * 1 s doubling to 30 s it probes the directory with a small write; once
 * that works it subscribes again and the collector's rewind replays what
 * it lacks (the usual block-and-rewind path: no loss, no duplicates).
 * The root hears "storage_error" (MSG_STATE), so `electricctl status`
 * shows it on the consumer.
 *
 * A damaged directory (shapelog_check), or a snapshot that failed after
 * some of its chunks were served, cannot be repaired under the same
 * handle: the shape is given up (MSG_SHAPE_FAILED, field "storage") and
 * shapecache deletes it, so its clients get 409 and a new handle.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "consumer_int.h"
#include "log.h"
#include "msg.h"

#define STORAGE_RETRY_MIN_MS	1000
#define STORAGE_RETRY_MAX_MS	30000

/* Tells http whether the shape cannot store (so that a request waiting
 * for its snapshot gets a 503 saying why, not the snapshot timeout);
 * remembered for an http connection made later (cons_fault_http). */
static void
storage_fault_http(struct consumer *c, const char *why)
{
	free(c->fault);
	c->fault = *why != '\0' ? xstrdup(why) : NULL;
	cons_fault_http(c);
}

void
cons_fault_http(struct consumer *c)
{
	struct mbuf m;

	if (c->http == NULL)
		return;
	mbuf_init(&m);
	mbuf_str(&m, c->handle);
	mbuf_str(&m, c->fault != NULL ? c->fault : "");
	if (chan_sendm(c->http, MSG_SHAPE_FAULT, 0, &m) == -1)
		log_debug("http channel closed");
	mbuf_free(&m);
}

/* The state the root shows (electricctl status), and http's view. */
static void
storage_state(struct consumer *c, const char *word, const char *detail)
{
	struct mbuf m;

	storage_fault_http(c, strcmp(word, "storage_error") == 0 ? detail : "");
	if (c->root == NULL)
		return;
	mbuf_init(&m);
	mbuf_str(&m, word);
	mbuf_str(&m, detail);
	if (chan_sendm(c->root, MSG_STATE, 0, &m) == -1)
		log_debug("root channel closed");
	mbuf_free(&m);
}

static unsigned
next_backoff(struct consumer *c)
{
	unsigned ms = c->storage_ms;

	c->storage_ms = ms == 0 ? STORAGE_RETRY_MIN_MS :
	    ms * 2 > STORAGE_RETRY_MAX_MS ? STORAGE_RETRY_MAX_MS : ms * 2;
	return c->storage_ms;
}

/* Runs the event loop without blocking for ms (root channel, signals). */
void
cons_pump(struct consumer *c, unsigned ms)
{
	uint64_t until = mono_ms() + ms;

	while (mono_ms() < until) {
		event_base_loop(c->base, EVLOOP_NONBLOCK);
		usleep(20000);
	}
}

static void
free_queue(struct consumer *c)
{
	struct cons_qframe *q;

	while ((q = c->q_head) != NULL) {
		c->q_head = q->next;
		free(q);
	}
	c->q_tail = &c->q_head;
}

static void
storage_retry(evutil_socket_t s UNUSED, short ev UNUSED, void *arg)
{
	struct consumer *c = arg;
	struct timeval tv;
	char why[600];
	unsigned ms;

	if (shapelog_probe(c->dir, why, sizeof(why)) == -1) {
		ms = next_backoff(c);
		log_warnx("storage error persists: %s; retrying in %u s", why,
		    ms / 1000);
		storage_state(c, "storage_error", why);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(c->storage_tmr, &tv);
		return;
	}
	log_info("storage writable again: subscribing (the stream replays "
	    "from the last durable transaction)");
	storage_state(c, "recovering", "");
	c->storage_err = 0;
	cons_coll_connect(c);
}

void
cons_storage_init(struct consumer *c)
{
	if ((c->storage_tmr = evtimer_new(c->base, storage_retry, c)) == NULL)
		fatalx("evtimer_new");
}

void
cons_storage_fail(struct consumer *c, const char *what)
{
	struct timeval tv;
	unsigned ms;

	if (c->storage_err)
		return;
	ms = next_backoff(c);
	log_warnx("storage error: %s; rolled back to %s entries, nothing "
	    "acknowledged; retrying in %u s", what,
	    c->sl != NULL ? "the durable" : "no", ms / 1000);
	storage_state(c, "storage_error", what);
	c->storage_err = 1;
	cons_stream_reset(c);
	free_queue(c);
	if (c->coll != NULL) {
		chan_free(c->coll);	/* safe inside its callback */
		c->coll = NULL;
	}
	c->state = CONS_CONNECTING;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->storage_tmr, &tv);
}

void
cons_storage_open_failed(struct consumer *c, int err)
{
	char *what = xasprintf("cannot open the shape log %s: %s", c->dir,
	    strerror(err));
	unsigned ms = next_backoff(c);

	log_warnx("storage error: %s; retrying in %u s", what, ms / 1000);
	(void)cons_http_connect(c);	/* so that requests hear of it */
	storage_state(c, "storage_error", what);
	free(what);
	cons_pump(c, ms);
}

void
cons_storage_ok(struct consumer *c)
{
	if (c->storage_ms == 0)
		return;
	log_info("storage error over: writes succeed again");
	storage_state(c, "streaming", "");
	c->storage_ms = 0;
}

void
cons_give_up(struct consumer *c, const char *field, const char *msg)
{
	uint64_t until = mono_ms() + 2000;
	struct mbuf m;

	mbuf_init(&m);
	mbuf_str(&m, c->handle);
	mbuf_str(&m, field);
	mbuf_str(&m, msg);
	if (c->root != NULL && chan_sendm(c->root, MSG_SHAPE_FAILED, 0, &m) == 0)
		while (c->root != NULL && chan_queued(c->root) > 0 &&
		    mono_ms() < until) {
			event_base_loop(c->base, EVLOOP_NONBLOCK);
			usleep(1000);
		}
	mbuf_free(&m);
	exit(0);
}

void
cons_drop_damaged(struct consumer *c, const char *why)
{
	char *msg = xasprintf("shape directory %s is damaged (%s)", c->dir, why);

	log_warnx("%s: dropping the shape; its clients get 409", msg);
	cons_give_up(c, "storage", msg);
}
