/*
 * collector: the ShapeLogCollector.  The replication process streams
 * decoded transactions here; the collector numbers each one (seq), forwards
 * it to the consumers whose shapes it touches, and tracks their MSG_FLUSHED
 * acknowledgements.  The durable LSN told to replication (MSG_ACK) is the
 * end LSN of the longest prefix of transactions that every affected
 * consumer has made durable.
 *
 * Invariant: a transaction that a consumer should have received but did
 * not (the consumer was down, or subscribed in the middle of it) keeps a
 * "blocker" on that transaction, so the slot never moves past it.  When the
 * consumer is back, the collector asks replication to rewind (restart from
 * the slot): everything after the confirmed position is sent again, and
 * consumers skip what they already hold.  So nothing is lost or duplicated.
 * At start every shape in meta.db is such a "down" subscriber until its
 * consumer subscribes: a transaction for it that arrives first is never
 * acknowledged as if no shape wanted it.
 *
 * Backpressure (docs/internals.md "Backpressure"): while any consumer
 * channel holds more than its high watermark of unsent frames, the
 * collector stops reading from replication, which in turn stops reading
 * from Postgres but keeps sending status updates.  So the collector's
 * memory is bounded by one watermark per consumer, and a stuck consumer
 * pauses the stream for every shape (the slot cannot pass it anyway).
 *
 * Invalidation (PROTOCOL.md §4.5): a TRUNCATE of a shape's table, or a
 * RELATION message showing that the table was dropped and re-created
 * (another relid), renamed, or gained or lost a column, ends the shape's
 * incarnation: the collector tells shapecache (MSG_SHAPE_INVALID), which
 * deletes it and sends MSG_FORGET back.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "collector_int.h"

struct col_txn {
	uint64_t	seq;
	uint64_t	end_lsn;
	uint32_t	outstanding;
};

static struct event_base *col_base;
static struct chan *col_repl;
struct chan *col_sc;			/* shapecache, for invalidations */
static struct col_rel *col_rels;
static struct col_txn *col_q;		/* ack queue, seqs contiguous */
static size_t col_qhead, col_qlen, col_qcap;
static uint64_t col_next_seq;
static uint64_t col_durable;
static int col_rewinding;
static int col_some_missed;	/* a subscriber missed a transaction since
				 * the stream last restarted */
static struct chan **col_full;		/* consumer channels above the mark */
static size_t col_nfull, col_capfull;

/* current transaction */
static int col_txn_open;
static uint64_t col_txn_seq;
static struct mbuf col_begin;		/* BEGIN payload with our seq */
struct col_sub **col_affected;
size_t col_naffected;
static size_t col_capaffected;
static uint32_t col_blockers;

/* ---- lookups ---- */

static struct col_rel *
col_rel_find(uint32_t relid)
{
	struct col_rel *r;

	for (r = col_rels; r != NULL; r = r->next)
		if (r->relid == relid)
			return r;
	return NULL;
}


int
col_sub_matches(const struct col_sub *s, const struct col_rel *r)
{
	return strcmp(s->table, r->table) == 0 && strcmp(s->schema, r->schema) == 0;
}

static void
col_seq_push(uint64_t **v, size_t *n, size_t *cap, uint64_t seq)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = seq;
}

/* What a dead instance was sent but did not flush can never be flushed by
 * its successor: it stays blocked until a rewind replays it. */
static void
col_sub_pending_to_blocked(struct col_sub *s)
{
	size_t i;

	for (i = 0; i < s->npending; i++)
		col_seq_push(&s->blocked, &s->nblocked, &s->capblocked, s->pending[i]);
	if (s->npending > 0)
		s->missed = col_some_missed = 1;
	s->npending = 0;
}

/* ---- acknowledgements ---- */

static void
col_send_ack(void)
{
	struct mbuf m;

	if (col_repl == NULL || col_durable == 0)
		return;
	mbuf_init(&m);
	mbuf_u64(&m, col_durable);
	if (chan_sendm(col_repl, MSG_ACK, 0, &m) == -1)
		log_debug("replication channel closed");
	mbuf_free(&m);
}

void
col_advance(void)
{
	uint64_t before = col_durable;

	while (col_qlen > 0 && col_q[col_qhead].outstanding == 0) {
		if (col_q[col_qhead].end_lsn > col_durable)
			col_durable = col_q[col_qhead].end_lsn;
		col_qhead++;
		col_qlen--;
	}
	if (col_qlen == 0)
		col_qhead = 0;
	if (col_durable != before)
		col_send_ack();
}

static void
col_queue_push(uint64_t seq, uint64_t end_lsn, uint32_t outstanding)
{
	if (col_qhead > 0 && col_qhead + col_qlen == col_qcap) {
		memmove(col_q, col_q + col_qhead, col_qlen * sizeof(*col_q));
		col_qhead = 0;
	}
	if (col_qhead + col_qlen == col_qcap) {
		col_qcap = col_qcap ? col_qcap * 2 : 64;
		col_q = xrealloc(col_q, col_qcap * sizeof(*col_q));
	}
	col_q[col_qhead + col_qlen].seq = seq;
	col_q[col_qhead + col_qlen].end_lsn = end_lsn;
	col_q[col_qhead + col_qlen].outstanding = outstanding;
	col_qlen++;
}

void
col_queue_release(uint64_t seq)
{
	uint64_t first;

	if (col_qlen == 0)
		return;
	first = col_q[col_qhead].seq;
	if (seq < first || seq - first >= col_qlen)
		return;
	if (col_q[col_qhead + (seq - first)].outstanding > 0)
		col_q[col_qhead + (seq - first)].outstanding--;
}

/* The stream restarted from the slot: everything pending is void. */
static void
col_reset_stream(void)
{
	struct col_sub *s;

	col_qhead = col_qlen = 0;
	col_txn_open = 0;
	col_naffected = 0;
	col_rewinding = 0;
	col_some_missed = 0;
	col_joining_clear();
	for (s = col_subs; s != NULL; s = s->next) {
		s->npending = 0;
		s->nblocked = 0;
		s->missed = 0;
		s->in_txn = 0;
		s->joining = 0;
	}
}

static void
col_maybe_rewind(void)
{
	struct col_sub *s;

	/* checked on every commit: without a miss, O(1), not O(shapes) */
	if (col_rewinding || col_repl == NULL || !col_some_missed)
		return;
	for (s = col_conn; s != NULL; s = s->cnext)
		if (!s->joining && s->missed)
			break;
	if (s == NULL)
		return;
	log_info("consumer %s missed transactions: rewinding the stream", s->handle);
	col_rewinding = 1;
	if (chan_send(col_repl, MSG_REWIND, 0, NULL, 0, -1) == -1)
		log_debug("replication channel closed");
}

/* ---- backpressure ---- */

/* Reads from replication only while no consumer channel is full. */
static void
col_pace(void)
{
	if (col_repl != NULL)
		chan_pause_read(col_repl, col_nfull > 0);
}

static void
col_full_set(struct chan *c, int above)
{
	struct col_sub *s = chan_arg(c);
	size_t i;

	for (i = 0; i < col_nfull && col_full[i] != c; i++)
		;
	if (above && i == col_nfull) {
		if (col_nfull == col_capfull) {
			col_capfull = col_capfull ? col_capfull * 2 : 8;
			col_full = xrealloc(col_full,
			    col_capfull * sizeof(*col_full));
		}
		col_full[col_nfull++] = c;
	} else if (!above && i < col_nfull)
		col_full[i] = col_full[--col_nfull];
	else
		return;
	log_info("consumer %s %s: %s reading the stream",
	    s != NULL ? s->handle : "(forgotten)",
	    above ? "is behind" : "caught up",
	    col_nfull > 0 ? "paused" : "resumed");
	col_pace();
}

static void
col_on_consumer_wm(struct chan *c, int above, void *arg UNUSED)
{
	col_full_set(c, above);
}

/* ---- forwarding ---- */

static void
col_sub_send(struct col_sub *s, uint16_t type, const void *d, size_t n)
{
	if (s->chan != NULL && chan_send(s->chan, type, 0, d, n, -1) == -1)
		log_debug("consumer %s channel closed", s->handle);
}

static void
col_sub_relation(struct col_sub *s, const struct col_rel *r)
{
	size_t i;

	for (i = 0; i < s->nseen; i++)
		if (s->seen[i].relid == r->relid)
			break;
	if (i < s->nseen && s->seen[i].version == r->version)
		return;
	if (i == s->nseen) {
		s->seen = xrealloc(s->seen, (s->nseen + 1) * sizeof(*s->seen));
		s->seen[s->nseen++].relid = r->relid;
	}
	s->seen[i].version = r->version;
	col_sub_send(s, MSG_RELATION, r->frame, r->framelen);
}

/* Makes s part of the open transaction; returns 0 if it cannot receive it:
 * it is down, joined in the middle of this transaction, or has missed an
 * earlier one.  The last case covers a consumer back up while the old
 * stream still flows (until MSG_REWOUND): a later transaction sent to it
 * now would be applied, and the replayed missed ones then skipped as
 * already held (their LSNs are below it): lost. */
static int
col_sub_join_txn(struct col_sub *s)
{
	if (s->chan == NULL || s->joining || s->missed) {
		/* one blocker suffices: the queue only advances as a prefix */
		if (!s->missed) {
			col_blockers++;
			col_seq_push(&s->blocked, &s->nblocked, &s->capblocked,
			    col_txn_seq);
		}
		s->missed = col_some_missed = 1;
		col_wake(s);	/* suspended, or not up yet (collector_wake.c) */
		return 0;
	}
	if (!s->in_txn) {
		s->in_txn = 1;
		col_sub_send(s, MSG_BEGIN, col_begin.p, col_begin.len);
		if (col_naffected == col_capaffected) {
			col_capaffected = col_capaffected ? col_capaffected * 2 : 16;
			col_affected = xrealloc(col_affected,
			    col_capaffected * sizeof(*col_affected));
		}
		col_affected[col_naffected++] = s;
	}
	return 1;
}

static void
col_on_relation(const struct frame *f)
{
	struct mreader r;
	struct col_rel *rel;
	uint32_t relid;
	int same;

	col_identity_all();
	mr_init(&r, f->data, f->len);
	relid = mr_u32(&r);
	if ((rel = col_rel_find(relid)) == NULL) {
		rel = xcalloc(1, sizeof(*rel));
		rel->relid = relid;
		rel->next = col_rels;
		col_rels = rel;
	}
	free(rel->schema);
	free(rel->table);
	rel->schema = mr_str(&r);
	rel->table = mr_str(&r);
	rel->version++;
	/* pgoutput repeats an unchanged RELATION in every new stream (each
	 * rewind): checking every shape again would cost O(shapes) */
	same = rel->frame != NULL && rel->framelen == f->len &&
	    memcmp(rel->frame, f->data, f->len) == 0;
	free(rel->frame);
	rel->frame = xmalloc(f->len);
	memcpy(rel->frame, f->data, f->len);
	rel->framelen = f->len;
	col_route_relation(rel);
	if (!same)
		col_check_relation(rel);
}

static void
col_on_begin(const struct frame *f)
{
	struct mreader r;
	uint64_t lsn, ts;
	uint32_t xid;
	size_t i;

	col_identity_all();
	mr_init(&r, f->data, f->len);
	(void)mr_u64(&r);
	lsn = mr_u64(&r);
	ts = mr_u64(&r);
	xid = mr_u32(&r);
	/* an open transaction without COMMIT: its joiners are off */
	for (i = 0; i < col_naffected; i++)
		col_affected[i]->in_txn = 0;
	col_joining_clear();
	col_txn_open = 1;
	col_txn_seq = ++col_next_seq;
	col_naffected = 0;
	col_blockers = 0;
	mbuf_reset(&col_begin);
	mbuf_u64(&col_begin, col_txn_seq);
	mbuf_u64(&col_begin, lsn);
	mbuf_u64(&col_begin, ts);
	mbuf_u32(&col_begin, xid);
}

struct col_delivery {
	const struct col_rel	*rel;
	const struct frame	*f;
};

static void
col_deliver(struct col_sub *s, void *arg)
{
	const struct col_delivery *d = arg;

	if (s->ended || !col_sub_join_txn(s))
		return;
	col_sub_relation(s, d->rel);
	col_sub_send(s, d->f->type, d->f->data, d->f->len);
}

/* A TRUNCATE goes to every shape of the table. */
static void
col_route(const struct col_rel *rel, const struct frame *f)
{
	struct col_delivery d = { rel, f };
	struct col_sub *s;

	for (s = col_subs; s != NULL; s = s->next)
		if (col_sub_matches(s, rel))
			col_deliver(s, &d);
}

static void
col_on_change(const struct frame *f)
{
	struct col_delivery d = { NULL, f };
	struct mreader r;
	struct col_rel *rel;

	col_identity_all();
	mr_init(&r, f->data, f->len);
	if (!col_txn_open || (rel = col_rel_find(mr_u32(&r))) == NULL) {
		log_warnx("change outside a transaction or for an unknown relation");
		return;
	}
	d.rel = rel;
	if (col_route_change(rel, f, col_deliver, &d) == -1) {
		/* the consumers judge it (and fail loudly if it is bad) */
		log_warnx("CHANGE for \"%s\".\"%s\" not understood; sent to "
		    "every shape of the table", rel->schema, rel->table);
		col_route(rel, f);
	}
}

static void
col_on_truncate(const struct frame *f)
{
	struct mreader r;
	struct col_rel *rel;
	uint32_t n, i;

	col_identity_all();
	mr_init(&r, f->data, f->len);
	n = mr_u32(&r);
	for (i = 0; i < n && !r.err; i++) {
		if ((rel = col_rel_find(mr_u32(&r))) == NULL || !col_txn_open)
			continue;
		col_route(rel, f);
		col_invalidate_rel(rel);
	}
}

static void
col_on_commit(const struct frame *f)
{
	struct mreader r;
	struct mbuf m;
	uint64_t clsn, elsn, ts;
	size_t i;
	struct col_sub *s;

	mr_init(&r, f->data, f->len);
	(void)mr_u64(&r);
	clsn = mr_u64(&r);
	elsn = mr_u64(&r);
	ts = mr_u64(&r);
	if (!col_txn_open)
		return;
	mbuf_init(&m);
	mbuf_u64(&m, col_txn_seq);
	mbuf_u64(&m, clsn);
	mbuf_u64(&m, elsn);
	mbuf_u64(&m, ts);
	for (i = 0; i < col_naffected; i++) {
		s = col_affected[i];
		col_sub_send(s, MSG_COMMIT, m.p, m.len);
		if (s->chan != NULL)
			col_seq_push(&s->pending, &s->npending, &s->cappending,
			    col_txn_seq);
		else	/* it died inside the transaction */
			col_seq_push(&s->blocked, &s->nblocked, &s->capblocked,
			    col_txn_seq);
		s->in_txn = 0;
	}
	mbuf_free(&m);
	col_queue_push(col_txn_seq, elsn, (uint32_t)col_naffected + col_blockers);
	col_txn_open = 0;
	col_naffected = 0;
	col_joining_clear();
	col_advance();
	col_maybe_rewind();
}

static void
col_on_keepalive(const struct frame *f)
{
	struct mreader r;
	uint64_t end;

	mr_init(&r, f->data, f->len);
	end = mr_u64(&r);
	if (col_qlen == 0 && !col_txn_open && end > col_durable) {
		col_durable = end;
		col_send_ack();
	}
}

static void
col_on_repl_frame(struct chan *c UNUSED, struct frame *f, void *arg UNUSED)
{
	switch (f->type) {
	case MSG_RELATION: col_on_relation(f); break;
	case MSG_BEGIN: col_on_begin(f); break;
	case MSG_CHANGE: col_on_change(f); break;
	case MSG_TRUNCATE: col_on_truncate(f); break;
	case MSG_COMMIT: col_on_commit(f); break;
	case MSG_KEEPALIVE: col_on_keepalive(f); break;
	case MSG_REWOUND:
		log_info("stream rewound");
		col_reset_stream();
		break;
	default:
		log_warnx("unexpected %s from replication", msg_name(f->type));
	}
}

/* ---- consumers ---- */

static void
col_on_subscribe(struct chan *c, const struct frame *f)
{
	struct mreader r;
	struct col_sub *s;
	char *handle, *schema, *table;

	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	schema = mr_str(&r);
	table = mr_str(&r);
	(void)mr_u64(&r);
	if (r.err || *handle == '\0') {
		log_warnx("bad SUBSCRIBE");
		goto out;
	}
	if ((s = col_sub_find(handle)) == NULL) {
		s = col_sub_add(handle, schema, table);
	} else if (s->chan != NULL && s->chan != c) {
		log_warnx("consumer %s subscribed twice; replacing", handle);
		chan_set_arg(s->chan, NULL);
		col_conn_unlink(s);
		s->chan = NULL;
	}
	if (strcmp(s->schema, schema) != 0 || strcmp(s->table, table) != 0) {
		free(s->schema);
		free(s->table);
		s->schema = xstrdup(schema);
		s->table = xstrdup(table);
		col_route_add(s);
	}
	if (s->chan == NULL)
		col_conn_link(s);
	s->chan = c;
	chan_set_arg(c, s);
	chan_set_watermark(c, 0, col_on_consumer_wm);
	s->nseen = 0;
	col_sub_lookup_identity(s);
	col_sub_pending_to_blocked(s);
	if (col_txn_open)
		col_joining_add(s);
	s->in_txn = 0;
	if (chan_send(c, MSG_SUBSCRIBED, 0, NULL, 0, -1) == -1)
		log_debug("consumer gone");
	log_debug("consumer %s subscribed to \"%s\".\"%s\"", handle, schema, table);
	col_maybe_rewind();
out:
	free(handle);
	free(schema);
	free(table);
}

static void
col_on_flushed(struct col_sub *s, const struct frame *f)
{
	struct mreader r;
	uint64_t seq;
	size_t n = 0;

	mr_init(&r, f->data, f->len);
	seq = mr_u64(&r);
	while (n < s->npending && s->pending[n] <= seq)
		col_queue_release(s->pending[n++]);
	memmove(s->pending, s->pending + n, (s->npending - n) * sizeof(uint64_t));
	s->npending -= n;
	col_advance();
}

static void
col_on_consumer_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{
	struct col_sub *s = chan_arg(c);

	if (f->type == MSG_SUBSCRIBE)
		col_on_subscribe(c, f);
	else if (f->type == MSG_FLUSHED && s != NULL)
		col_on_flushed(s, f);
	else if (f->type == MSG_FLUSHED)
		;	/* the last ack of a shape already forgotten */
	else
		log_warnx("unexpected %s from a consumer", msg_name(f->type));
}

static void
col_on_frame(struct chan *c, struct frame *f, void *arg)
{
	const char *role = chan_peer_role(c);

	if (f->fd != -1)
		close(f->fd);
	if (role != NULL && strcmp(role, "replication") == 0) {
		if (col_repl != c) {
			/* a new replication connection starts a new stream */
			col_repl = c;
			col_reset_stream();
			col_pace();
		}
		col_on_repl_frame(c, f, arg);
	} else if (role != NULL && strcmp(role, "shapecache") == 0) {
		/* its first frame (READY) registers it for invalidations */
		col_sc = c;
		if (f->type == MSG_FORGET)
			col_on_forget(f);
		else if (f->type != MSG_READY)
			log_warnx("unexpected %s from shapecache", msg_name(f->type));
		col_flush_invalid();
	} else {
		col_on_consumer_frame(c, f, arg);
	}
}

static void
col_on_close(struct chan *c, int error UNUSED, void *arg UNUSED)
{
	struct col_sub *s = chan_arg(c);

	col_full_set(c, 0);
	if (c == col_sc) {
		col_sc = NULL;
	} else if (c == col_repl) {
		log_info("replication disconnected");
		col_repl = NULL;
		col_rewinding = 1;	/* its next stream starts from the slot */
	} else if (s != NULL && s->chan == c) {
		log_debug("consumer %s disconnected", s->handle);
		col_conn_unlink(s);
		s->chan = NULL;
		if (s->in_txn)
			s->missed = col_some_missed = 1;
		col_sub_pending_to_blocked(s);
	}
	chan_free(c);
}

static void
col_on_accept(evutil_socket_t lfd, short ev UNUSED, void *arg UNUSED)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if (chan_new(col_base, fd, "collector", FRAME_MAX_DEFAULT, col_on_frame,
	    col_on_close, NULL) == NULL)
		log_warnx("cannot set up a channel");
}

int
collector_main(void)
{
	struct chan *root;
	struct event *ev;
	char *path;
	int fd;

	col_base = proc_init("collector", NULL);
	root = proc_root_chan(col_base, "collector", NULL, NULL);
	proc_signals(col_base, NULL, NULL);
	mbuf_init(&col_begin);
	col_load_shapes(col_base);
	col_wake_init(col_base, root);
	path = config_sock_path("collector");
	if ((fd = unix_listen(path)) == -1)
		fatal("listen %s", path);
	free(path);
	ev = event_new(col_base, fd, EV_READ | EV_PERSIST, col_on_accept, NULL);
	event_add(ev, NULL);
	proc_ready(root);
	event_base_dispatch(col_base);
	return 1;
}
