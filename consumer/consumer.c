/*
 * consumer: the process of one shape ("electricd --role consumer --shape
 * H", started by the root).  It loads the shape from meta.db, opens its log
 * (shapelog.h), subscribes to the collector, takes the snapshot if it is
 * not done yet (snapshot.c), then applies the forwarded transactions
 * (consumer_stream.c) and tells http about every durable change.  http
 * also sends it subset-snapshot requests (consumer_subset.c).  A shape
 * with log_mode 1 (changes_only) takes its snapshot without rows.
 *
 * Ordering (§12.4): SUBSCRIBE is acknowledged before the snapshot starts,
 * so no transaction falls between the snapshot and the stream; frames that
 * arrive while the snapshot runs wait in a queue and are applied after it,
 * filtered by the snapshot's visibility.
 * Suspension (suspend.c): an idle consumer exits 0 and leaves its shape
 * "suspended"; it is started again when needed.
 * Exit status: 0 on SIGTERM, for a shape that is gone, suspended or given
 * up (damaged directory: consumer_storage.c; not restarted), 1 on any
 * other failure (restarted; replay from the slot covers the gap).  A
 * storage fault (disk full, read-only) does not exit: consumer_storage.c
 * waits it out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "meta.h"
#include "roles.h"
#include "config.h"
#include "consumer_int.h"
#include "log.h"
#include "msg.h"
#include "pool.h"
#include "proc.h"
#include "snapshot.h"
#include "wheremeta.h"

#define COLL_RETRY_MS	100
#define HTTP_RETRY_MS	500
#define COLL_LOST_MS	3000	/* wait for the root's group restart */

static struct consumer cons;

void
cons_fail(struct consumer *c, const char *why)
{
	log_warnx("%s; exiting", why);
	(void)c;
	exit(1);
}

void
cons_arm_ms(struct event *ev, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* ---- http ---- */

/* MSG_SHAPE_NOTIFY with the published state and, with tail, the range
 * the last publish added (shapelog_tail; its bytes if few), for http to
 * answer the requests waiting before it without searching the files. */
static void
notify_http(struct consumer *c, int tail)
{
	const struct shapelog_state *st = shapelog_state(c->sl);
	struct shapelog_tail t;
	struct mbuf mb;

	if (c->http == NULL || c->sl == NULL)
		return;
	mbuf_init(&mb);
	mbuf_str(&mb, c->handle);
	mbuf_u32(&mb, st->snap_chunks);
	mbuf_u8(&mb, st->snap_done);
	mbuf_u64(&mb, st->log_entries);
	mbuf_u64(&mb, st->last_tx);
	mbuf_u64(&mb, st->last_op);
	mbuf_u64(&mb, st->log_chunks);
	if (tail && shapelog_tail(c->sl, &t)) {
		mbuf_u64(&mb, t.from.tx);
		mbuf_u64(&mb, t.from.op);
		mbuf_u64(&mb, (uint64_t)t.start);
		mbuf_u64(&mb, t.len);
		mbuf_bytes(&mb, t.bytes, t.bytes != NULL ? t.len : 0);
	}
	if (chan_sendm(c->http, MSG_SHAPE_NOTIFY, 0, &mb) == -1)
		log_debug("http channel closed");
	mbuf_free(&mb);
}

void
cons_notify_http(struct consumer *c)
{
	notify_http(c, 0);
}

void
cons_notify_published(struct consumer *c)
{
	notify_http(c, 1);
}

static void
http_frame(struct chan *ch, struct frame *f, void *arg)
{
	struct consumer *c = arg;

	(void)ch;
	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_SUBSET_REQ) {
		cons_suspend_touch(c);
		cons_subset_request(c, f->id, f->data, f->len);
	} else if (f->type == MSG_READERS)
		cons_suspend_readers(c, f->id, f->data, f->len);
	else
		log_debug("ignoring %s from http", msg_name(f->type));
}

static void
http_closed(struct chan *ch, int error, void *arg)
{
	struct consumer *c = arg;

	log_debug("http channel closed (%d)", error);
	chan_free(ch);
	c->http = NULL;
	if (c->http_tmr != NULL)	/* else: before make_events */
		cons_arm_ms(c->http_tmr, HTTP_RETRY_MS);
}

int
cons_http_connect(struct consumer *c)
{
	char *path;
	int fd;

	if (c->http != NULL)
		return 0;
	path = config_sock_path("http");
	fd = unix_connect(path);
	free(path);
	if (fd == -1 || (c->http = chan_new(c->base, fd, "consumer",
	    FRAME_MAX_DEFAULT, http_frame, http_closed, c)) == NULL)
		return -1;
	cons_notify_http(c);
	if (c->fault != NULL)
		cons_fault_http(c);
	return 0;
}

/* Connects in the background; never blocks the consumer on http. */
static void
http_try(evutil_socket_t s, short ev, void *arg)
{
	struct consumer *c = arg;

	(void)s; (void)ev;
	if (cons_http_connect(c) == -1)
		cons_arm_ms(c->http_tmr, HTTP_RETRY_MS);
}

/* ---- meta.db ----
 * A consumer holds no SQLite connection while it streams: each open
 * connection in WAL mode keeps a POSIX lock on meta.db's shared memory,
 * and every lock operation of every process walks the list of them, so
 * 1,500 consumers made each SQLite write in the stack cost 1,500 steps
 * per fcntl.  It opens meta.db for its rare writes (snapshot recorded,
 * suspension, orderly stop) and closes it again.  The latest offset is
 * recorded at suspension and stop only: the shape's own files are
 * authoritative (electricctl and restarts read them), and a write within
 * a second of every change by every consumer contended on SQLite's lock
 * exactly when one transaction reached many shapes. */

struct sqlite3 *
cons_db(struct consumer *c)
{
	if (c->db == NULL && (c->db = meta_attach(cfg.meta_path)) == NULL)
		log_warnx("meta: cannot open %s", cfg.meta_path);
	return c->db;
}

void
cons_db_release(struct consumer *c)
{
	if (c->db != NULL) {
		meta_close(c->db);
		c->db = NULL;
	}
}

void
cons_meta_sync(struct consumer *c)
{
	const struct shapelog_state *st;

	if (c->sl == NULL)
		return;
	st = shapelog_state(c->sl);
	if (st->last_tx == c->meta_tx && st->last_op == c->meta_op)
		return;
	if (cons_db(c) == NULL ||
	    meta_shape_set_latest(c->db, c->handle, st->last_tx, st->last_op) == -1) {
		log_warnx("meta: cannot record the latest offset");
		return;
	}
	c->meta_tx = st->last_tx;
	c->meta_op = st->last_op;
}

static void
load_shape(struct consumer *c)
{
	struct meta_shape ms;
	char *err = NULL;
	int r;

	if ((c->db = meta_open(cfg.meta_path)) == NULL)
		fatalx("cannot open %s", cfg.meta_path);
	if ((r = meta_shape_get(c->db, c->handle, &ms)) == -1)
		fatalx("meta: cannot read shape %s", c->handle);
	if (r == 1 || strcmp(ms.state, "deleted") == 0) {
		log_info("shape %s is gone, stopping", c->handle);
		if (r == 0)
			meta_shape_free(&ms);
		exit(0);
	}
	if (change_shape_init(&c->sh, ms.schema_name, ms.table_name, ms.columns,
	    &err) == -1)
		fatalx("shape %s: %s", c->handle, err);
	c->sh.replica_full = ms.replica_full;
	if (wheremeta_compile(ms.columns, ms.where_text, ms.params, &c->where,
	    &err) == -1)
		fatalx("shape %s: its WHERE no longer compiles: %s", c->handle,
		    err);
	c->meta_tx = ms.latest_tx;
	c->meta_op = ms.latest_op;
	c->log_mode = ms.log_mode;
	c->was_suspended = strcmp(ms.state, "suspended") == 0;
	meta_shape_free(&ms);
}

/* Opens the log; a damaged directory gives the shape up, a storage fault
 * (read-only, full) is retried with backoff, serving the root meanwhile. */
static void
open_log(struct consumer *c)
{
	int r;

	c->dir = xasprintf("%s/%s", cfg.shapes_dir, c->handle);
	while ((c->sl = shapelog_open(c->dir, cfg.chunk_bytes)) == NULL) {
		if (errno == SHAPELOG_EDAMAGED)
			cons_drop_damaged(c, shapelog_damage());
		if (!shapelog_storage_errno(errno))
			fatal("shape log %s", c->dir);
		cons_storage_open_failed(c, errno);
	}
	cons_storage_ok(c);
	if (!shapelog_state(c->sl)->snap_done)
		return;
	if ((r = shapelog_xip_read(c->sl, &c->xip)) == 0)
		c->have_xip = 1;
	else
		log_warnx("%s: no snapshot.xip%s; transactions are not filtered "
		    "by snapshot visibility", c->dir, r == -1 ? " (unreadable)" : "");
}

/* ---- collector ---- */

static void
queue_frame(struct consumer *c, const struct frame *f)
{
	struct cons_qframe *q = xmalloc(sizeof(*q) + f->len);

	q->next = NULL;
	q->type = f->type;
	q->len = f->len;
	if (f->len > 0)
		memcpy(q->data, f->data, f->len);
	*c->q_tail = q;
	c->q_tail = &q->next;
}

static void
drain_queue(struct consumer *c)
{
	struct cons_qframe *q;

	while ((q = c->q_head) != NULL) {
		c->q_head = q->next;
		if (c->q_head == NULL)
			c->q_tail = &c->q_head;
		cons_stream_frame(c, q->type, q->data, q->len);
		free(q);
	}
}

static void
on_subscribed(struct consumer *c)
{
	proc_ready(c->root);
	if (!shapelog_state(c->sl)->snap_done) {
		/* The snapshot runs outside the event loop (consumer_main). */
		c->state = CONS_SNAPSHOT;
		event_base_loopbreak(c->base);
		return;
	}
	log_info("subscribed, streaming");
	c->state = CONS_STREAMING;
	drain_queue(c);
}

static void
coll_frame(struct chan *ch, struct frame *f, void *arg)
{
	struct consumer *c = arg;

	(void)ch;
	if (f->fd != -1)
		close(f->fd);
	if (c->storage_err)
		return;
	cons_suspend_touch(c);
	if (c->state == CONS_STREAMING)
		cons_stream_frame(c, f->type, f->data, f->len);
	else if (c->state == CONS_SUBSCRIBING && f->type == MSG_SUBSCRIBED)
		on_subscribed(c);
	else
		queue_frame(c, f);
}

static void
coll_lost(evutil_socket_t s, short ev, void *arg)
{
	(void)s; (void)ev;
	cons_fail(arg, "lost the collector, and nobody stopped us");
}

/* The collector died (or dropped us).  Its death restarts the whole
 * replication group, so the root stops this consumer in a moment; exiting
 * first would race with that: reaped before the collector, our exit
 * would count as our own failure (a restart with backoff) instead of a
 * stop by the group.  So wait, and exit only if nobody stops us. */
static void
coll_closed(struct chan *ch, int error, void *arg)
{
	struct consumer *c = arg;
	struct event *ev;

	(void)ch;
	log_warnx("collector channel closed (%d): waiting for the root", error);
	if ((ev = evtimer_new(c->base, coll_lost, c)) == NULL)
		cons_fail(c, "lost the collector");
	cons_arm_ms(ev, COLL_LOST_MS);
}

void
cons_coll_connect(struct consumer *c)
{
	cons_arm_ms(c->coll_tmr, 0);
}

static void
coll_try(evutil_socket_t s, short ev, void *arg)
{
	struct consumer *c = arg;
	char *path = config_sock_path("collector");
	struct mbuf mb;
	int fd;

	(void)s; (void)ev;
	fd = unix_connect(path);
	free(path);
	if (fd == -1 || (c->coll = chan_new(c->base, fd, "consumer",
	    FRAME_MAX_DEFAULT, coll_frame, coll_closed, c)) == NULL) {
		cons_arm_ms(c->coll_tmr, COLL_RETRY_MS);
		return;
	}
	mbuf_init(&mb);
	mbuf_str(&mb, c->handle);
	mbuf_str(&mb, c->sh.schema);
	mbuf_str(&mb, c->sh.table);
	mbuf_u64(&mb, shapelog_state(c->sl)->last_tx);
	if (chan_sendm(c->coll, MSG_SUBSCRIBE, 0, &mb) == -1)
		cons_fail(c, "cannot subscribe");
	mbuf_free(&mb);
	c->state = CONS_SUBSCRIBING;
}

/* ---- snapshot ---- */

/* After each closed chunk: tell http, and let the loop run briefly so that
 * the root and http channels are served (collector frames just queue). */
static void
snapshot_chunk(void *arg)
{
	struct consumer *c = arg;

	cons_notify_http(c);
	event_base_loop(c->base, EVLOOP_NONBLOCK);
}

const char *
cons_where_sql(const struct consumer *c)
{
	return c->where != NULL ? where_sql(c->where) : NULL;
}

/* The snapshot query fails on the data (e.g. the WHERE overflows on some
 * row): retrying cannot help.  Tell shapecache (through the root), which
 * deletes the shape and answers its definition with a 400 for a while;
 * then stop for good (exit 0: a transient child is not restarted). */
static void
snapshot_failed_for_good(struct consumer *c, const char *msg)
{
	log_warnx("the snapshot query fails on the data: %s; giving the shape "
	    "up", msg);
	cons_give_up(c, c->where != NULL ? "where" : "table", msg);
}

/* A snapshot write failed.  Chunks already complete may have been served
 * (they are, while the snapshot runs) and cannot be redone under the same
 * handle (clients would mix two snapshots): give the shape up.  Else
 * discard the files and retry after the storage backoff. */
static void
snapshot_storage_failed(struct consumer *c, const char *msg)
{
	char *why;

	if (shapelog_state(c->sl)->snap_chunks > 0) {
		why = xasprintf("storage error during the snapshot after %u "
		    "chunks were complete: %s",
		    shapelog_state(c->sl)->snap_chunks, msg);
		log_warnx("%s; giving the shape up (its clients get 409)", why);
		cons_give_up(c, "storage", why);
	}
	if (shapelog_snap_abort(c->sl) == -1)
		log_warn("%s: cannot discard the unfinished snapshot", c->dir);
	cons_storage_fail(c, msg);
}

/* Takes the snapshot on a connection lent by connmgr's pool or, when the
 * pool cannot lend, on one of our own under a pool slot (pool.h). */
static int
take_snapshot(struct consumer *c, struct snapshot_err *err)
{
	struct snapshot_via via = { -1, cfg.database_url, 0 };
	struct pool_loan loan;
	char why[640];
	int r, slot = -1;

	if (pool_borrow(&loan, why, sizeof(why)) == 0)
		via.fd = loan.fd;
	else {
		log_info("the pool lends no connection (%s): connecting for "
		    "the snapshot", why);
		slot = pool_acquire(cfg.run_dir, cfg.db_pool_size);
	}
	log_info("taking the snapshot of %s.%s%s", c->sh.schema, c->sh.table,
	    c->log_mode == 1 ? " (changes_only: no rows)" : "");
	r = snapshot_take(&via, &c->sh, cons_where_sql(c), c->log_mode != 1,
	    c->sl, &c->xip, snapshot_chunk, c, err);
	if (via.fd != -1)
		pool_return(&loan, via.reusable);
	else
		pool_release(slot);
	return r;
}

static void
run_snapshot(struct consumer *c)
{
	struct snapshot_err err;

	chan_pause_read(c->coll, 1);
	cons_subset_pause(c, 1);
	if (take_snapshot(c, &err) == -1) {
		if (err.permanent)
			snapshot_failed_for_good(c, err.msg);
		if (!err.storage)
			cons_fail(c, "snapshot failed");
		cons_subset_pause(c, 0);
		snapshot_storage_failed(c, err.msg);
		return;
	}
	cons_subset_pause(c, 0);
	c->have_xip = 1;
	if (cons_db(c) == NULL ||
	    meta_shape_set_snapshot(c->db, c->handle, c->xip.xmin, 1) == -1 ||
	    meta_shape_set_state(c->db, c->handle, "active") == -1)
		log_warnx("meta: cannot record the snapshot");
	cons_db_release(c);
	cons_notify_http(c);
	c->state = CONS_STREAMING;
	drain_queue(c);
	chan_pause_read(c->coll, 0);
}

/* ---- process ---- */

static void
root_frame(struct chan *ch, struct frame *f, void *arg)
{
	(void)ch;
	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_SUSPEND)
		cons_suspend_request(arg);
	else
		log_debug("ignoring %s from the root", msg_name(f->type));
}

static void
flush_cb(evutil_socket_t s, short ev, void *arg)
{
	(void)s; (void)ev;
	cons_stream_flush(arg, 0);
}

static void
hold_cb(evutil_socket_t s, short ev, void *arg)
{
	(void)s; (void)ev;
	cons_stream_unhold(arg);
}

static void
cons_stop(void *arg)
{
	struct consumer *c = arg;

	if (c->state == CONS_STREAMING)
		cons_stream_stop(c);
	cons_meta_sync(c);
	log_info("stopping");
	exit(0);
}

static void
make_events(struct consumer *c)
{
	c->flush_ev = event_new(c->base, -1, 0, flush_cb, c);
	c->hold_tmr = evtimer_new(c->base, hold_cb, c);
	c->coll_tmr = evtimer_new(c->base, coll_try, c);
	c->http_tmr = evtimer_new(c->base, http_try, c);
	if (c->flush_ev == NULL || c->hold_tmr == NULL || c->coll_tmr == NULL ||
	    c->http_tmr == NULL)
		fatalx("event_new");
	cons_arm_ms(c->coll_tmr, 0);
	cons_arm_ms(c->http_tmr, 0);
}

int
consumer_main(const char *handle)
{
	struct consumer *c = &cons;

	c->handle = xstrdup(handle);
	c->q_tail = &c->q_head;
	c->base = proc_init("consumer", handle);
	c->root = proc_root_chan(c->base, "consumer", root_frame, c);
	proc_signals(c->base, cons_stop, c);
	load_shape(c);
	cons_db_release(c);	/* opened again only to write */
	cons_storage_init(c);
	open_log(c);
	cons_stream_init(c);
	make_events(c);
	cons_subset_init(c);
	cons_suspend_init(c);
	for (;;) {
		event_base_dispatch(c->base);
		if (c->suspending != NULL)
			cons_suspend_finish(c);
		if (c->storage_err)
			continue;	/* the retry timer runs the loop */
		if (c->state != CONS_SNAPSHOT || shapelog_state(c->sl)->snap_done)
			break;
		run_snapshot(c);
	}
	log_warnx("event loop ended");
	return 1;
}
