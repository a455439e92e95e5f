/*
 * sse: SSE streams (see sse.h).  Called by serve.c: sse_start() when a
 * live SSE request can be served, sse_push() on every wake-up of a shape
 * with open streams (live.c re-plans its waiters through serve_attempt),
 * sse_end() when the shape is gone.
 *
 * Unlike the long-poll path, SSE reads the planned byte range into memory
 * and reframes it: the stored entries ",<json>\n" hold exactly one JSON
 * message each and JSON text never contains a raw newline, so entries
 * split at "\n,".  After an immediate answer the stream stays open (the
 * client resumes from "<lsn>_0" after every up-to-date, which may re-send
 * the rest of transaction lsn; closing after such an answer would make
 * every reconnect immediate again).
 * A stream far behind is sent a few chunks per turn of the event loop,
 * and only while the client keeps reading (SSE_QUEUED_MAX), so memory
 * stays bounded.
 * One change wakes every stream of its shape against one state: the
 * events collected for a position are remembered (sse_memo, keyed by
 * handle, durable state and position, as serve.c's memo), so 10,000
 * streams at one position cost one plan, one read and one framing.
 * Invariants: r->sse_pos only moves forward, to the end offset of what
 * was sent; output always ends on an event boundary.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hreq.h"
#include "live.h"
#include "log.h"
#include "serve.h"
#include "sse.h"

/* Backpressure: at most SSE_BATCH_PLANS chunks per turn of the event
 * loop, and none while more than SSE_QUEUED_MAX bytes wait for the
 * client; the rest follows from the timer (sse_more). */
#define SSE_BATCH_PLANS	4
#define SSE_QUEUED_MAX	(16u * 1024 * 1024)
#define SSE_RETRY_MS	50

int
sse_frame_entries(const char *p, size_t n, struct sbuf *b)
{
	size_t pos = 0, mark = b->len;
	const char *nl;
	int count = 0;

	while (pos < n) {
		nl = memchr(p + pos, '\n', n - pos);
		if (nl == NULL || nl == p + pos || p[pos] == ',')
			goto bad;
		sbuf_adds(b, "data: ");
		sbuf_add(b, p + pos, (size_t)(nl - (p + pos)));
		sbuf_adds(b, "\n\n");
		count++;
		pos = (size_t)(nl - p) + 1;
		if (pos < n) {
			if (p[pos] != ',')
				goto bad;
			pos++;
			if (pos == n)
				goto bad;
		}
	}
	return count;
bad:
	b->len = mark;
	b->p[mark] = '\0';
	return -1;
}

void
sse_frame_up_to_date(struct sbuf *b, uint64_t lsn)
{
	sbuf_addf(b, "data: {\"headers\":{\"control\":\"up-to-date\","
	    "\"global_last_seen_lsn\":\"%llu\"}}\n\n", (unsigned long long)lsn);
}

/* Reads bytes [start, start+len) of path into b. */
static int
read_range(const char *path, off_t start, size_t len, struct sbuf *b)
{
	size_t done = 0;
	ssize_t k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	sbuf_reserve(b, len);
	while (done < len) {
		k = pread(fd, b->p + b->len + done, len - done,
		    start + (off_t)done);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			close(fd);
			return -1;
		}
		done += (size_t)k;
	}
	close(fd);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static void
sse_rearm(struct hreq *r)
{
	uint64_t now = mono_ms(), next = r->sse_out_ms + SSE_KEEPALIVE_MS;

	if (next > r->sse_end_ms)
		next = r->sse_end_ms;
	hreq_rearm(r, next > now ? next - now : 0);
}

static void
sse_send(struct hreq *r, const struct sbuf *out)
{
	if (out->len == 0)
		return;
	hreq_stream_chunk(r, out->p, out->len);
	r->sse_out_ms = mono_ms();
	sse_rearm(r);
}

/* Appends the events of one planned range; -1 with errno on failure. */
static int
sse_add_plan(struct hreq *r, const struct shapelog_plan *plan,
    struct sbuf *out)
{
	struct sbuf raw;
	int rc = 0, err = 0;

	sbuf_init(&raw);
	if (plan->len > 0) {
		if (read_range(plan->path, plan->start, plan->len, &raw) == -1) {
			err = errno;
			rc = -1;
		} else if (sse_frame_entries(raw.p, raw.len, out) == -1) {
			err = EIO;
			rc = -1;
		}
	}
	sbuf_free(&raw);
	if (rc == -1) {
		errno = err;
		return -1;
	}
	r->sse_pos = plan->end;
	if (plan->up_to_date)
		sse_frame_up_to_date(out, plan->end.tx);
	return 0;
}

static void
sse_fail(struct hreq *r, int err)
{
	if (err != ENOENT)
		log_warnx("request %s: SSE on shape %s: %s", r->reqid,
		    r->handle, strerror(err));
	sse_end(r);
}

/* Appends what follows r->sse_pos, a few chunks at most; sets
 * r->sse_more when there is more.  0, or -1 with errno. */
static int
sse_collect(struct hreq *r, struct sbuf *out)
{
	struct shape_ent *e = live_ent(r->handle);
	struct shapelog_state st;
	struct shapelog_plan plan;
	int i;

	for (i = 0; i < SSE_BATCH_PLANS; i++) {
		if (live_state(e, &st) == -1)
			return -1;
		switch (shapelog_plan(e->dir, &st, OFFSET_REAL, &r->sse_pos,
		    &plan)) {
		case SHAPELOG_OK:
			if (sse_add_plan(r, &plan, out) == -1)
				return -1;
			if (plan.up_to_date)
				return 0;
			break;
		case SHAPELOG_ERROR:
			if (errno == 0)
				errno = EIO;
			return -1;
		default:	/* at the end, snapshot not ready, ahead */
			return 0;
		}
	}
	r->sse_more = 1;
	return 0;
}

/* The last successful sse_collect: what it appended from pos against st,
 * where it left the stream (end, more).  Valid for SSE_MEMO_MS at most,
 * so that shapelog_plan's range checks still run that often. */
#define SSE_MEMO_MS	1000
static struct {
	uint64_t		 ms;		/* when filled (mono_ms); 0: empty */
	char			 handle[128];
	struct shapelog_state	 st;
	struct offset		 pos, end;
	int			 more;
	struct sbuf		 out;
} sse_memo;

static int
sse_memo_hit(const struct hreq *r, const struct shapelog_state *st)
{
	return sse_memo.ms != 0 && mono_ms() - sse_memo.ms < SSE_MEMO_MS &&
	    strcmp(sse_memo.handle, r->handle) == 0 &&
	    sse_memo.pos.tx == r->sse_pos.tx && sse_memo.pos.op == r->sse_pos.op &&
	    shapelog_state_eq(st, &sse_memo.st);
}

static void
sse_memo_put(const struct hreq *r, const struct shapelog_state *st,
    const struct offset *pos, const struct sbuf *out)
{
	if (strlen(r->handle) >= sizeof(sse_memo.handle))
		return;
	snprintf(sse_memo.handle, sizeof(sse_memo.handle), "%s", r->handle);
	sse_memo.ms = mono_ms();
	sse_memo.st = *st;
	sse_memo.pos = *pos;
	sse_memo.end = r->sse_pos;
	sse_memo.more = r->sse_more;
	sbuf_reset(&sse_memo.out);
	if (out->len > 0)
		sbuf_add(&sse_memo.out, out->p, out->len);
}

void
sse_push(struct hreq *r)
{
	struct shapelog_state st;
	struct offset pos = r->sse_pos;
	struct sbuf out;
	int rc, err, known;

	if (hreq_stream_queued(r) > SSE_QUEUED_MAX) {
		r->sse_more = 1;
		hreq_rearm(r, SSE_RETRY_MS);
		return;
	}
	known = live_state(live_ent(r->handle), &st) == 0;
	if (known && sse_memo_hit(r, &st)) {
		r->sse_pos = sse_memo.end;
		r->sse_more = sse_memo.more;
		sse_send(r, &sse_memo.out);
		if (r->sse_more)
			hreq_rearm(r, 0);
		return;
	}
	r->sse_more = 0;
	sbuf_init(&out);
	rc = sse_collect(r, &out);
	err = errno;
	if (rc == 0 && known)
		sse_memo_put(r, &st, &pos, &out);
	sse_send(r, &out);
	sbuf_free(&out);
	if (rc == -1)
		sse_fail(r, err);
	else if (r->sse_more)
		hreq_rearm(r, 0);
}

static void
sse_timer(struct hreq *r)
{
	uint64_t now = mono_ms();

	if (now >= r->sse_end_ms) {
		sse_end(r);
		return;
	}
	if (r->sse_more) {
		sse_push(r);
		return;
	}
	if (now >= r->sse_out_ms + SSE_KEEPALIVE_MS) {
		hreq_stream_chunk(r, SSE_KEEPALIVE, sizeof(SSE_KEEPALIVE) - 1);
		r->sse_out_ms = now;
	}
	sse_rearm(r);
}

void
sse_start(struct hreq *r, struct shape_ent *e)
{
	char ob[OFFSET_STRLEN];

	serve_prelude(r, 200, 1);
	serve_hdr(r, "content-type", "text/event-stream");
	serve_hdr(r, "connection", "keep-alive");
	serve_hdr(r, "electric-handle", r->handle);
	serve_hdr(r, "electric-offset", offset_fmt(&r->p.offset, ob));
	serve_cursor(r);
	if (r->adm == ADMIT_INITIAL)	/* released once streaming starts */
		hreq_admit_release(r);
	hreq_stream_start(r, 200);
	r->sse_pos = r->p.offset;
	r->sse_out_ms = mono_ms();
	r->sse_end_ms = r->sse_out_ms + SSE_TIMEOUT_MS;
	hreq_wait(r, HREQ_SSE, &e->waiters, SSE_KEEPALIVE_MS, sse_timer);
	log_debug("request %s: SSE stream on %s from %s", r->reqid, r->handle, ob);
	sse_push(r);
}

void
sse_end(struct hreq *r)
{
	log_debug("request %s: SSE stream ends", r->reqid);
	hreq_stream_end(r);
}
