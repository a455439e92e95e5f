/*
 * consumer_stream: applies the decoded replication stream that the
 * collector forwards to one shape (PROTOCOL.md §6.4, §12.4).  Called by
 * consumer.c for every collector frame once the snapshot is done.
 *
 * Invariants:
 *  - a transaction is skipped whole when the shape already holds it
 *    (final_lsn <= last stored one, after a replay) or when the snapshot
 *    already contains it (xid visible in the snapshot's xmin/xmax/xip);
 *  - the last message of a transaction is held back so it can carry
 *    "last"; shapelog only ever commits whole transactions;
 *  - a batch is published (written) and http told at once, before the
 *    batch is made durable: a reader waits for no fdatasync, and a crash
 *    of any process keeps what it was shown (shapelog.c);
 *  - MSG_FLUSHED(seq) is sent only after every transaction up to seq is
 *    durable (or deliberately skipped): only then may the slot move past
 *    it, so a machine crash that tears the unsynced tail is replayed;
 *  - only a consumer catching up on a backlog (catching_up) defers a
 *    sync or pauses its reads; a live transaction is published and made
 *    durable as soon as it is read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "consumer_int.h"
#include "log.h"
#include "msg.h"
#include "pgoutput.h"
#include "snapshot.h"

#define BATCH_MAX_TXNS	64	/* commit at the latest after this many */
#define BATCH_MAX_MS	5	/* or after this long */
#define BEHIND_MS	100	/* catching up: the last commit is older, */
#define BUSY_MS		20	/* and the previous publish was more recent */
#define SYNC_GAP_MS	50	/* then: a sync at most this often, */
#define HOLD_MS		20	/* and no read for this long once idle */

void
cons_stream_init(struct consumer *c)
{
	size_t n = c->sh.ncols ? c->sh.ncols : 1;

	c->oldv = xcalloc(n, sizeof(*c->oldv));
	c->newv = xcalloc(n, sizeof(*c->newv));
	sbuf_init(&c->out[0].json);
	sbuf_init(&c->out[1].json);
	sbuf_init(&c->held);
}

/* ---- relations ---- */

static struct cons_rel *
rel_find(struct consumer *c, uint32_t relid)
{
	size_t i;

	for (i = 0; i < c->nrels; i++)
		if (c->rels[i].relid == relid)
			return &c->rels[i];
	return NULL;
}

static int
shape_col(const struct consumer *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->sh.ncols; i++)
		if (strcmp(c->sh.cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
on_relation(struct consumer *c, struct mreader *mr)
{
	struct cons_rel *r, nr = { 0, 0, 0, NULL };
	char *schema, *table, *name;
	size_t i, found = 0;

	nr.relid = mr_u32(mr);
	schema = mr_str(mr);
	table = mr_str(mr);
	nr.replident = (char)mr_u8(mr);
	nr.ncols = mr_u16(mr);
	nr.map = xcalloc(nr.ncols ? nr.ncols : 1, sizeof(int));
	for (i = 0; i < nr.ncols && !mr->err; i++) {
		(void)mr_u8(mr);
		name = mr_str(mr);
		(void)mr_u32(mr);
		(void)mr_i32(mr);
		nr.map[i] = shape_col(c, name);
		found += nr.map[i] >= 0;
		free(name);
	}
	if (mr->err || mr_done(mr) == -1)
		cons_fail(c, "malformed RELATION");
	if (found != c->sh.ncols)
		log_warnx("relation %s.%s has %zu of the shape's %zu columns",
		    schema, table, found, c->sh.ncols);
	if (nr.replident != 'f')
		log_warnx("relation %s.%s: replica identity is not FULL", schema,
		    table);
	free(schema);
	free(table);
	if ((r = rel_find(c, nr.relid)) != NULL) {
		free(r->map);
		*r = nr;
		return;
	}
	c->rels = xrealloc(c->rels, (c->nrels + 1) * sizeof(*c->rels));
	c->rels[c->nrels++] = nr;
}

/* ---- transactions ---- */

/* Is the transaction already part of the snapshot? (§12.4) */
static int
in_snapshot(struct consumer *c, uint32_t xid, uint64_t lsn)
{
	struct shapelog_xip *s = &c->xip;
	int after, vis;

	if (!c->have_xip || (s->passed_lsn != 0 && lsn >= s->passed_lsn))
		return 0;
	vis = snapshot_visible(s, xid, &after);
	if (after) {
		/* Everything committed from here on started after the
		 * snapshot: stop filtering (persisted after the batch is
		 * answered, best effort: the filter gives the same answer). */
		s->passed_lsn = lsn;
		c->xip_dirty = 1;
	}
	return vis;
}

static void
persist_xip(struct consumer *c)
{
	if (!c->xip_dirty || c->sl == NULL)
		return;
	c->xip_dirty = 0;
	if (shapelog_xip_write(c->sl, &c->xip) == -1)
		log_warnx("%s (best effort: the filter stays in memory)",
		    shapelog_errmsg(c->sl));
}

/* A BEGIN inside a transaction: the stream restarted (collector rewind)
 * and the open transaction will come again.  Drop it; if it already wrote
 * entries, drop everything not committed (none of it was acknowledged, so
 * the replay brings it back too). */
static void
abandon_txn(struct consumer *c)
{
	log_warnx("transaction %" PRIu64 " interrupted, dropping it", c->tx.lsn);
	c->have_held = 0;
	c->tx.active = 0;
	if (c->tx.appended == 0)
		return;
	shapelog_rollback(c->sl);
	c->dirty = 0;
	c->ack_pending = 0;
	c->npending = 0;
	c->applied_lsn = shapelog_state(c->sl)->last_tx;
}

static void
on_begin(struct consumer *c, struct mreader *mr)
{
	const struct shapelog_state *st = shapelog_state(c->sl);
	struct cons_txn *t = &c->tx;

	if (t->active)
		abandon_txn(c);
	t->seq = mr_u64(mr);
	t->lsn = mr_u64(mr);
	(void)mr_u64(mr);
	t->xid = mr_u32(mr);
	if (mr->err || mr_done(mr) == -1)
		cons_fail(c, "malformed BEGIN");
	if (c->npending > 0 && (c->npending >= BATCH_MAX_TXNS ||
	    mono_ms() - c->pending_since >= BATCH_MAX_MS))
		cons_stream_flush(c, 0);
	if (c->storage_err)
		return;
	t->active = 1;
	t->appended = 0;
	t->skip = c->truncated || t->lsn <= c->applied_lsn ||
	    (st->log_entries > 0 && t->lsn <= st->last_tx);
	if (!t->skip)
		t->skip = in_snapshot(c, t->xid, t->lsn);
	if (t->skip)
		log_debug("skipping transaction %" PRIu64 " (xid %" PRIu32 ")",
		    t->lsn, t->xid);
}

/* 0, or -1 after a storage failure (the consumer is in storage error). */
static int
append_held(struct consumer *c)
{
	if (!c->have_held)
		return 0;
	if (shapelog_append(c->sl, c->tx.lsn, c->held_op, c->held.p,
	    c->held.len) == -1) {
		if (errno == EINVAL)
			cons_fail(c, "log append out of order");
		cons_storage_fail(c, shapelog_errmsg(c->sl));
		return -1;
	}
	c->have_held = 0;
	c->dirty = 1;
	c->tx.appended++;
	return 0;
}

static void
hold(struct consumer *c, struct change_msg *m)
{
	struct sbuf tmp;

	if (append_held(c) == -1)
		return;
	tmp = c->held;
	c->held = m->json;
	m->json = tmp;
	c->held_op = m->op;
	c->have_held = 1;
}

/* Reads a tuple into vals (shape order) through the relation's map. */
static int
read_tuple(struct mreader *mr, const struct cons_rel *r, struct change_val *vals,
    size_t nshape)
{
	const uint8_t *p;
	uint16_t n, i;
	uint32_t len;
	char kind;

	for (i = 0; i < nshape; i++)
		vals[i] = (struct change_val){ CHANGE_NULL, 0, NULL };
	n = mr_u16(mr);
	if (n != r->ncols)
		return -1;
	for (i = 0; i < n && !mr->err; i++) {
		kind = (char)mr_u8(mr);
		p = NULL;
		len = 0;
		if (kind == CHANGE_TEXT)
			p = mr_bytes(mr, &len);
		else if (kind != CHANGE_NULL && kind != CHANGE_TOAST)
			return -1;
		if (r->map[i] >= 0)
			vals[r->map[i]] = (struct change_val){ kind, len,
			    (const char *)p };
	}
	return mr->err ? -1 : 0;
}

/* Unchanged TOASTed values of the new row come from the old row (§6.4). */
static void
fill_toast(struct consumer *c)
{
	size_t i;

	for (i = 0; i < c->sh.ncols; i++)
		if (c->newv[i].kind == CHANGE_TOAST &&
		    c->oldv[i].kind != CHANGE_TOAST)
			c->newv[i] = c->oldv[i];
}

/* Which of the change's rows are in the shape (the WHERE holds): a
 * CHANGE_IN_* mask.  Without an old tuple an update keeps membership. */
static int
rows_in(struct consumer *c, char op, int has_old, int has_new)
{
	int in = 0;

	if (has_new && (c->where == NULL || where_eval(c->where, c->newv)))
		in |= CHANGE_IN_NEW;
	if (op == 'U' && !has_old)
		return in ? CHANGE_IN_OLD | CHANGE_IN_NEW : 0;
	if (has_old && (c->where == NULL || where_eval(c->where, c->oldv)))
		in |= CHANGE_IN_OLD;
	return in;
}

static void
on_change(struct consumer *c, struct mreader *mr)
{
	struct change_src src = { c->tx.lsn, c->tx.xid, 0 };
	const struct cons_rel *r;
	uint8_t has_old, has_new;
	int n, i, in;
	char op;

	if (!c->tx.active)
		cons_fail(c, "CHANGE outside a transaction");
	if (c->tx.skip)
		return;
	if ((r = rel_find(c, mr_u32(mr))) == NULL) {
		log_warnx("change for an unknown relation, ignored");
		return;
	}
	op = (char)mr_u8(mr);
	src.index = mr_u32(mr);
	if ((has_old = mr_u8(mr)) && read_tuple(mr, r, c->oldv, c->sh.ncols) == -1)
		cons_fail(c, "malformed CHANGE (old tuple)");
	if ((has_new = mr_u8(mr)) && read_tuple(mr, r, c->newv, c->sh.ncols) == -1)
		cons_fail(c, "malformed CHANGE (new tuple)");
	if (mr->err || mr_done(mr) == -1)
		cons_fail(c, "malformed CHANGE");
	if (has_old && has_new && r->replident == 'f')
		fill_toast(c);	/* a key-only old tuple has no values to give */
	if ((in = rows_in(c, op, has_old, has_new)) == 0)
		return;
	n = change_encode(&c->sh, &src, op, has_old ? c->oldv : NULL,
	    r->replident == 'f', has_new ? c->newv : NULL, in, c->out);
	if (n < 0) {
		log_warnx("change %c at %" PRIu64 "/%" PRIu32 " cannot be encoded, "
		    "ignored", op, src.lsn, src.index);
		return;
	}
	for (i = 0; i < n && !c->storage_err; i++)
		hold(c, &c->out[i]);
}

static void
on_commit(struct consumer *c, struct mreader *mr)
{
	uint64_t seq = mr_u64(mr), ts;

	(void)mr_u64(mr);
	(void)mr_u64(mr);
	ts = mr_u64(mr);
	if (!c->tx.active)
		cons_fail(c, "COMMIT outside a transaction");
	if (mr->err || mr_done(mr) == -1)
		cons_fail(c, "malformed COMMIT");
	if (c->have_held) {
		change_set_last(&c->held);
		if (append_held(c) == -1)
			return;
	}
	if (!c->tx.skip && c->tx.lsn > c->applied_lsn)
		c->applied_lsn = c->tx.lsn;
	c->tx.active = 0;
	if (c->npending == 0)
		c->pending_since = mono_ms();
	c->ack_pending = 1;
	c->ack_seq = seq;
	c->last_commit_ts = ts;
	c->npending++;
	/* Commit once the frames already read are handled (batching). */
	event_active(c->flush_ev, EV_TIMEOUT, 0);
}

void
cons_stream_unhold(struct consumer *c)
{
	if (c->coll != NULL)
		chan_pause_read(c->coll, 0);
}

/*
 * Catch-up mode: the shape is busy (published less than BUSY_MS ago) on a
 * backlog (the last transaction committed BEHIND_MS or more ago by
 * Postgres' clock).  Each publish costs writes and a wake-up of http,
 * each sync three fdatasyncs, so in catch-up mode syncs are at most
 * SYNC_GAP_MS apart, and once the consumer has read all that was queued
 * it reads nothing more for HOLD_MS: the next publish covers all that
 * arrived meanwhile.  Otherwise (a live stream, a quiet shape) every
 * batch is published and synced at once.  Updates c->published_ms.
 */
static int
catching_up(struct consumer *c)
{
	uint64_t now = mono_ms(), prev = c->published_ms;

	c->published_ms = now;
	return c->last_commit_ts != 0 && now - prev < BUSY_MS &&
	    pgoutput_pg_now() >= c->last_commit_ts + BEHIND_MS * 1000;
}

static void
hold_reads(struct consumer *c)
{
	if (c->coll == NULL || chan_input_pending(c->coll))
		return;
	chan_pause_read(c->coll, 1);
	cons_arm_ms(c->hold_tmr, HOLD_MS);
}

/* 1 if the sync must wait (flush_ev is armed for the end of the gap). */
static int
sync_later(struct consumer *c)
{
	uint64_t since = mono_ms() - c->synced_ms;

	if (since >= SYNC_GAP_MS)
		return 0;
	cons_arm_ms(c->flush_ev, (unsigned)(SYNC_GAP_MS - since));
	return 1;
}

void
cons_stream_flush(struct consumer *c, int force)
{
	struct mbuf mb;
	int later = 0;

	if (!c->ack_pending || (c->tx.active && c->tx.appended > 0))
		return;
	if (c->dirty) {
		if (shapelog_publish(c->sl) == -1) {
			cons_storage_fail(c, shapelog_errmsg(c->sl));
			return;
		}
		c->dirty = 0;
		cons_notify_published(c);
		if (c->http != NULL)
			chan_push(c->http);	/* before the fdatasyncs */
		if ((later = catching_up(c)))
			hold_reads(c);
	}
	c->npending = 0;	/* published (the sync may wait) */
	if (shapelog_unsynced(c->sl)) {
		if (!force && later && sync_later(c))
			return;
		if (evtimer_pending(c->flush_ev, NULL))
			event_del(c->flush_ev);
		c->synced_ms = mono_ms();
		if (shapelog_sync(c->sl) == -1) {
			cons_notify_http(c);	/* back to the durable state */
			cons_storage_fail(c, shapelog_errmsg(c->sl));
			return;
		}
		cons_storage_ok(c);
	}
	persist_xip(c);
	mbuf_init(&mb);
	mbuf_u64(&mb, c->ack_seq);
	if (c->coll != NULL && chan_sendm(c->coll, MSG_FLUSHED, 0, &mb) == -1)
		log_warnx("collector channel closed");
	mbuf_free(&mb);
	c->ack_pending = 0;
}

void
cons_stream_reset(struct consumer *c)
{
	if (c->sl != NULL)
		shapelog_rollback(c->sl);
	c->have_held = 0;
	c->tx.active = 0;
	c->tx.appended = 0;
	c->dirty = 0;
	c->ack_pending = 0;
	c->npending = 0;
	c->applied_lsn = c->sl != NULL ? shapelog_state(c->sl)->last_tx : 0;
}

void
cons_stream_stop(struct consumer *c)
{
	if (c->tx.active && c->tx.appended > 0) {
		shapelog_rollback(c->sl);	/* not acked: replay brings it */
		c->dirty = 0;
		return;
	}
	cons_stream_flush(c, 1);
}

/*
 * TRUNCATE of the shape's table (the collector forwards it only to the
 * shapes of that table, and tells shapecache, which deletes the shape:
 * §4.5).  This incarnation ends here, and its log must stay a prefix of
 * committed history: the rest of this transaction and every later one are
 * skipped (still acknowledged), and entries this transaction already
 * appended are rolled back.  The rollback also drops finished transactions
 * of the same uncommitted batch; they are acknowledged as skipped, which
 * only shortens the log of a shape that is being deleted.
 */
static void
on_truncate(struct consumer *c, struct mreader *mr)
{
	(void)mr;
	if (!c->tx.active) {
		log_warnx("TRUNCATE outside a transaction, ignored");
		return;
	}
	if (!c->truncated)
		log_info("table truncated by transaction %" PRIu64 "; the shape "
		    "takes no more changes", c->tx.lsn);
	c->truncated = 1;
	c->have_held = 0;
	c->tx.skip = 1;
	if (c->tx.appended > 0) {
		shapelog_rollback(c->sl);
		c->tx.appended = 0;
		c->dirty = 0;
	}
}

static void
on_invalidate(struct consumer *c UNUSED, struct mreader *mr)
{
	(void)mr;
	log_info("INVALIDATE ignored (shapecache stops this consumer)");
}

static const struct {
	uint16_t	type;
	void		(*fn)(struct consumer *, struct mreader *);
} stream_handlers[] = {
	{ MSG_RELATION, on_relation },
	{ MSG_BEGIN, on_begin },
	{ MSG_CHANGE, on_change },
	{ MSG_COMMIT, on_commit },
	{ MSG_TRUNCATE, on_truncate },
	{ MSG_INVALIDATE, on_invalidate },
};

void
cons_stream_frame(struct consumer *c, uint16_t type, const uint8_t *p,
    size_t len)
{
	struct mreader mr;
	size_t i;

	if (c->storage_err)
		return;		/* dropped: the replay brings it again */
	mr_init(&mr, p, len);
	for (i = 0; i < sizeof(stream_handlers) / sizeof(stream_handlers[0]); i++)
		if (stream_handlers[i].type == type) {
			stream_handlers[i].fn(c, &mr);
			return;
		}
	log_debug("ignoring %s from the collector", msg_name(type));
}
