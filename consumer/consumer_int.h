/*
 * consumer_int: the state of a consumer process, shared by consumer.c
 * (process, connections, snapshot), consumer_stream.c (applying the
 * replication stream) and consumer_subset.c (subset snapshots).  Private
 * to those files.
 */
#ifndef ELECTRICD_CONSUMER_INT_H
#define ELECTRICD_CONSUMER_INT_H

#include <stdint.h>

#include "change.h"
#include "frame.h"
#include "shapelog.h"
#include "where.h"

struct event;
struct event_base;
struct sqlite3;

enum cons_state {
	CONS_CONNECTING,	/* waiting for the collector socket */
	CONS_SUBSCRIBING,	/* SUBSCRIBE sent, waiting for SUBSCRIBED */
	CONS_SNAPSHOT,		/* snapshot pending or running: frames queue */
	CONS_STREAMING		/* applying transactions */
};

/* pgoutput relation -> shape columns. */
struct cons_rel {
	uint32_t	 relid;
	char		 replident;	/* 'f' full, 'd' default, ... */
	uint16_t	 ncols;
	int		*map;		/* relation column -> shape column or -1 */
};

/* A frame received while the snapshot runs. */
struct cons_qframe {
	struct cons_qframe	*next;
	uint16_t		 type;
	uint32_t		 len;
	uint8_t			 data[];
};

struct cons_txn {
	int		active;
	int		skip;
	uint64_t	seq;
	uint64_t	lsn;		/* Begin.final_lsn */
	uint32_t	xid;
	uint64_t	appended;	/* entries given to shapelog_append */
};

struct consumer {
	struct event_base	*base;
	char			*handle;
	char			*dir;
	enum cons_state		 state;
	struct chan		*root, *coll, *http;
	struct sqlite3		*db;
	struct change_shape	 sh;
	struct where		*where;		/* NULL: every row */
	struct shapelog		*sl;
	struct shapelog_xip	 xip;
	int			 have_xip;
	int			 xip_dirty;	/* passed_lsn not yet persisted */

	struct cons_qframe	*q_head, **q_tail;
	struct cons_rel		*rels;
	size_t			 nrels;

	struct cons_txn		 tx;
	uint64_t		 applied_lsn;	/* last transaction taken */
	struct change_val	*oldv, *newv;	/* scratch, shape order */
	struct change_msg	 out[2];
	struct sbuf		 held;		/* last message of the txn so far */
	uint64_t		 held_op;
	int			 have_held;
	int			 dirty;		/* appended, not committed */
	int			 ack_pending;
	uint64_t		 ack_seq;
	uint64_t		 npending;	/* transactions awaiting publish */
	uint64_t		 pending_since;	/* mono_ms of the first */
	uint64_t		 synced_ms;	/* mono_ms of the last sync */
	uint64_t		 published_ms;	/* mono_ms of the last publish */
	uint64_t		 last_commit_ts; /* Postgres µs, 0 = none yet */

	struct event		*flush_ev, *hold_tmr, *coll_tmr, *http_tmr;
	uint64_t		 meta_tx, meta_op;
	int			 log_mode;	/* 0 full, 1 changes_only */
	int			 truncated;	/* its table was truncated */

	struct cons_subset	*subset;	/* consumer_subset.c */

	/* suspend.c */
	int			 was_suspended;	/* meta.db said so at start */
	uint64_t		 active_ms;	/* last sign of work (mono) */
	struct event		*susp_tmr;
	uint32_t		 susp_qid;	/* MSG_READERS_Q awaiting reply */
	uint64_t		 susp_qms;	/* when it was sent */
	uint64_t		 susp_force_until; /* electricctl suspend */
	const char		*suspending;	/* decided, and why */

	/* consumer_storage.c */
	int			 storage_err;	/* waiting to retry a write */
	char			*fault;		/* the storage error told to
						 * http, or NULL */
	unsigned		 storage_ms;	/* current backoff, 0 = none */
	struct event		*storage_tmr;
};

/* consumer.c */
void cons_notify_http(struct consumer *);
/* The same right after a publish, with the entries it added. */
void cons_notify_published(struct consumer *);
/* The shape's canonical WHERE, or NULL. */
const char *cons_where_sql(const struct consumer *);
void cons_fail(struct consumer *, const char *why) __attribute__((noreturn));

/* consumer_subset.c */
void cons_subset_init(struct consumer *);
/* MSG_SUBSET_REQ from http (payload borrowed); always answered with
 * MSG_SUBSET_REPLY of the same id, now or later. */
void cons_subset_request(struct consumer *, uint32_t id, const uint8_t *,
    size_t);

/* Pause 1: fail the running request (503), close the kept connection
 * and start nothing until pause 0 -- the initial snapshot blocks the event
 * loop in pool_acquire, and must not wait for a slot held here. */
void cons_subset_pause(struct consumer *, int pause);

/* 1 when no subset request is queued or running. */
int cons_subset_idle(const struct consumer *);

/* suspend.c: an idle consumer exits and marks its shape suspended. */
void cons_suspend_init(struct consumer *);
/* Work arrived (a transaction, a subset request): postpone suspension. */
void cons_suspend_touch(struct consumer *);
/* MSG_SUSPEND from the root (electricctl suspend). */
void cons_suspend_request(struct consumer *);
/* After the event loop returned with c->suspending set: tell the root,
 * record the state, exit 0. */
void cons_suspend_finish(struct consumer *) __attribute__((noreturn));
/* MSG_READERS from http (payload borrowed). */
void cons_suspend_readers(struct consumer *, uint32_t id, const uint8_t *,
    size_t);

/* consumer.c: meta.db, opened only for a write (cons_db: NULL if it
 * cannot be) and closed again (cons_db_release); cons_meta_sync records
 * the latest offset if it moved (at suspension and stop). */
struct sqlite3 *cons_db(struct consumer *);
void cons_db_release(struct consumer *);
void cons_meta_sync(struct consumer *);

/* consumer.c: connects to the collector and subscribes (now, and again
 * every 100 ms until the socket is there). */
void cons_coll_connect(struct consumer *);

/* consumer_storage.c: storage faults and damaged directories. */
void cons_storage_init(struct consumer *);
/* A write failed (what: shapelog_errmsg): enter the storage-error state:
 * drop pending work and the subscription, retry with backoff. */
void cons_storage_fail(struct consumer *, const char *what);
/* Sends http the current storage fault (MSG_SHAPE_FAULT; "" = none). */
void cons_fault_http(struct consumer *);
/* Connects to http now if not connected (then notifies it, and tells it
 * the fault if any); 0, or -1 (http_try retries later). */
int cons_http_connect(struct consumer *);
/* shapelog_open failed with a storage errno: log, tell the root, wait
 * the backoff (serving the root channel); the caller tries again. */
void cons_storage_open_failed(struct consumer *, int err);
/* A commit succeeded: leave the storage-error state for good. */
void cons_storage_ok(struct consumer *);
/* Runs the event loop without blocking for ms milliseconds. */
void cons_pump(struct consumer *, unsigned ms);
/* Tells shapecache (MSG_SHAPE_FAILED through the root) to delete the
 * shape, then exits 0. */
void cons_give_up(struct consumer *, const char *field, const char *msg)
    __attribute__((noreturn));
/* The shape directory is damaged: give the shape up (field "storage"). */
void cons_drop_damaged(struct consumer *, const char *why)
    __attribute__((noreturn));

/* consumer_stream.c */
/* Forgets every transaction not yet durable and acknowledged (the log is
 * rolled back): the replay after the next SUBSCRIBE brings them again. */
void cons_stream_reset(struct consumer *);
void cons_stream_init(struct consumer *);
/* Handles one frame from the collector (state CONS_STREAMING). */
void cons_stream_frame(struct consumer *, uint16_t type, const uint8_t *,
    size_t);
/* Publishes finished transactions (http is told at once), and makes them
 * durable and acknowledges them, unless the open one already wrote
 * entries (then its COMMIT does it).  A consumer catching up on a backlog
 * defers the sync (c->flush_ev fires for it) unless force is set. */
void cons_stream_flush(struct consumer *, int force);
/* evtimer_add in ms. */
void cons_arm_ms(struct event *, unsigned ms);
/* c->hold_tmr: reads from the collector again after a hold. */
void cons_stream_unhold(struct consumer *);
/* SIGTERM: keep what is complete, drop the rest, never ack a partial txn. */
void cons_stream_stop(struct consumer *);

#endif
