/*
 * live: the http process's view of every shape's durable log state and
 * the requests waiting on it (long-polls, snapshot waits, out-of-bounds
 * waits).  State comes from the consumers' MSG_SHAPE_NOTIFY (sent at
 * commits only, so it never points inside a transaction); for a shape no
 * consumer has reported on yet it is read from the files on each look
 * and polled while requests wait.  Also keeps the server-wide last
 * processed LSN (max last_tx over all notifications, §6.2), and which
 * http.sock channel leads to each shape's consumer (for subset requests,
 * §9).
 */
#ifndef ELECTRICD_HTTP_LIVE_H
#define ELECTRICD_HTTP_LIVE_H

#include <stdint.h>

#include "hreq.h"
#include "shapelog.h"

struct event_base;
struct chan;

struct shape_ent {
	char			*handle;
	char			*dir;		/* <shapes_dir>/<handle> */
	struct shapelog_state	 st;
	int			 notified;	/* st came from the consumer */
	struct chan		*chan;		/* its consumer, NULL if unknown */
	struct hreq_list	 waiters;
	char			*fault;		/* its consumer cannot store
						 * (MSG_SHAPE_FAULT), or NULL */
	struct shape_ent	*next;		/* hash chain */
};

void live_init(struct event_base *);
/* Finds or creates the entry of handle (a handle shapecache or a
 * consumer gave us, never a raw client string). */
struct shape_ent *live_ent(const char *handle);
/* 1 when handle has an entry (a shape this process has seen), else 0;
 * never creates one, so any string may be asked. */
int live_known(const char *handle);
/* The state to serve from: the notified one, else read from disk (a
 * missing directory reads as "snapshot not started").  0, or -1 (errno). */
int live_state(struct shape_ent *, struct shapelog_state *) WUR;
/* MSG_SHAPE_NOTIFY from the consumer on channel c: store the state and
 * the channel, and re-plan every waiter (those at tail->from, if given,
 * from the range the notification tells: serve_memo_tail). */
void live_notify(const char *handle, const struct shapelog_state *,
    const struct shapelog_tail *tail, struct chan *c);
/* The http.sock channel c closed: forget it as any shape's consumer. */
void live_chan_closed(struct chan *c);
/* MSG_SHAPE_FAULT from a consumer: record (or clear, "") the shape's
 * storage fault and re-plan its waiters, so that those waiting for the
 * snapshot get a 503 with it. */
void live_fault_frame(const struct frame *f);
/* MSG_SHAPE_GONE: end every waiter (409, or the end of an SSE stream)
 * and forget the shape. */
void live_gone(const char *handle);
/* Parses a MSG_SHAPE_GONE frame and calls live_gone. */
struct frame;
void live_gone_frame(const struct frame *);
/* MSG_READERS_Q from a consumer on c: answers MSG_READERS with the
 * number of requests waiting on its shape (consumer suspension). */
void live_readers_frame(struct chan *c, const struct frame *);
uint64_t live_global_lsn(void);
size_t live_nshapes(void);

#endif
