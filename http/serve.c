/*
 * serve: every response the http process sends (see serve.h).  Called by
 * http.c (routing, errors), sclient.c (resolution errors) and live.c
 * (wake-ups of waiting requests).
 *
 * Log responses are "[" + one byte range of one shape file + optional
 * ",<up-to-date>" + "]": a range of up to SEG_COPY_MAX bytes is read
 * into the reply with one pread (cheaper than mapping it: a munmap per
 * answer costs a TLB shoot-down, which dominated a 10,000-client
 * fan-out); a larger one goes in as a file segment the socket drains with
 * sendfile.  The http process does no work per message either way.
 * A shape whose files fail shapelog's checks is never served: the
 * request waits for the shape's drop (serve_damaged).
 * Invariants: the ETag is computed before the log is touched (§5.4); a
 * HEAD reply carries the GET headers, Content-Length included, but no
 * body; 204 and 304 never carry a body.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "ident.h"
#include "live.h"
#include "log.h"
#include "msg.h"
#include "sclient.h"
#include "serve.h"
#include "sse.h"
#include "subreq.h"
#include "version.h"

#define SNAPSHOT_WAIT_MS	60000
#define EXPOSE_HEADERS	"electric-cursor,electric-handle,electric-has-data," \
    "electric-offset,electric-schema,electric-up-to-date," \
    "electric-internal-known-error,retry-after"
#define CC_DEFAULT	"max-age=0, private, must-revalidate"
#define CC_INITIAL	"public, max-age=604800, s-maxage=3600, " \
    "stale-while-revalidate=2629746"
#define CC_LIVE		"public, max-age=5, stale-while-revalidate=5"
#define CC_SSE		"public, max-age=59"
#define JSON_TYPE	"application/json; charset=utf-8"
#define SEG_COPY_MAX	(256u * 1024)	/* read, not sendfile, up to this */

void
serve_hdr(struct hreq *r, const char *k, const char *v)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	evhttp_remove_header(h, k);
	if (evhttp_add_header(h, k, v) == -1)
		log_debug("request %s: header %s not sent", r->reqid, k);
}

/* §1.2: electric-server, x-request-id and CORS on every response. */
static void
serve_common(struct hreq *r)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	const char *origin = NULL;
	struct evkeyval *kv;
	int norigin = 0;

	TAILQ_FOREACH(kv, in, next)
		if (strcasecmp(kv->key, "origin") == 0) {
			origin = kv->value;
			norigin++;
		}
	serve_hdr(r, "electric-server", "ElectricSQL/" ELECTRICD_VERSION);
	serve_hdr(r, "x-request-id", r->reqid);
	serve_hdr(r, "access-control-allow-origin", norigin == 1 ? origin : "*");
	serve_hdr(r, "access-control-expose-headers", EXPOSE_HEADERS);
	serve_hdr(r, "access-control-allow-methods", r->route == HTTP_ROUTE_SHAPE ?
	    "GET, POST, HEAD, DELETE, OPTIONS" : "GET, HEAD");
}

/* §5.3, first matching row wins. */
static void
serve_cache(struct hreq *r, int code, int has_handle)
{
	char buf[96];

	if (r->route != HTTP_ROUTE_SHAPE || code == 401) {
		serve_hdr(r, "cache-control", CC_DEFAULT);
	} else if (r->post) {
		serve_hdr(r, "cache-control", "no-cache");
	} else if (code == 409) {
		serve_hdr(r, "cache-control", has_handle ?
		    "public, max-age=60, must-revalidate" :
		    "public, max-age=1, must-revalidate");
	} else if (code >= 400) {
		serve_hdr(r, "cache-control", "no-store");
		serve_hdr(r, "surrogate-control", "no-store");
	} else if (r->subset != HREQ_SUBSET_NONE) {
		serve_hdr(r, "cache-control", "no-cache");
	} else if (r->p.offset_kind == OFFSET_BEFORE_ALL) {
		serve_hdr(r, "cache-control", CC_INITIAL);
	} else if (r->p.live && r->p.live_sse) {
		serve_hdr(r, "cache-control", CC_SSE);
	} else if (r->p.live) {
		serve_hdr(r, "cache-control", CC_LIVE);
	} else {
		snprintf(buf, sizeof(buf),
		    "public, max-age=%d, stale-while-revalidate=%d",
		    cfg.cache_max_age, cfg.cache_stale_age);
		serve_hdr(r, "cache-control", buf);
	}
}

static void
content_length(struct hreq *r, size_t n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%zu", n);
	serve_hdr(r, "content-length", buf);
}

void
serve_prelude(struct hreq *r, int code, int has_handle)
{
	serve_common(r);
	serve_cache(r, code, has_handle);
}

void
serve_cursor(struct hreq *r)
{
	char cur[24];

	snprintf(cur, sizeof(cur), "%llu", (unsigned long long)
	    http_cursor_next(cfg.long_poll_timeout_ms, now_us() / 1000000,
	    r->p.cursor, (uint32_t)hreq_rand()));
	serve_hdr(r, "electric-cursor", cur);
}

/* Sends a small in-memory body (not for HEAD). */
void
serve_body(struct hreq *r, int code, const char *body, size_t n)
{
	struct evbuffer *b = NULL;

	content_length(r, n);
	if (!r->head && n > 0) {
		b = evbuffer_new();
		evbuffer_add(b, body, n);
	}
	hreq_send(r, code, b);
}

void
serve_text(struct hreq *r, int code, const char *text)
{
	serve_common(r);
	serve_cache(r, code, 0);
	serve_body(r, code, text, strlen(text));
}

void
serve_empty(struct hreq *r, int code)
{
	serve_common(r);
	serve_cache(r, code, 0);
	serve_body(r, code, "", 0);
}

void
serve_json(struct hreq *r, int code, const char *json, int retry_after)
{
	char buf[16];

	serve_common(r);
	serve_cache(r, code, 0);
	serve_hdr(r, "content-type", JSON_TYPE);
	if (retry_after > 0) {
		snprintf(buf, sizeof(buf), "%d", retry_after);
		serve_hdr(r, "retry-after", buf);
	}
	serve_body(r, code, json, strlen(json));
}

void
serve_invalid(struct hreq *r, const char *field, const char *msg)
{
	char *body = http_invalid_body(field, msg);

	serve_json(r, 400, body, 0);
	free(body);
}

void
serve_unauthorized(struct hreq *r)
{
	static const char body[] = "{\"message\":\"Unauthorized - Invalid API secret\"}";

	serve_common(r);
	serve_cache(r, 401, 0);
	serve_body(r, 401, body, sizeof(body) - 1);
}

void
serve_must_refetch(struct hreq *r, const char *handle)
{
	static const char body[] = "[{\"headers\":{\"control\":\"must-refetch\"}}]";

	serve_common(r);
	serve_cache(r, 409, handle != NULL);
	if (handle != NULL)
		serve_hdr(r, "electric-handle", handle);
	serve_hdr(r, "content-type", JSON_TYPE);
	serve_body(r, 409, body, sizeof(body) - 1);
}

void
serve_options(struct hreq *r)
{
	const char *req_hdrs;

	serve_common(r);
	serve_hdr(r, "access-control-max-age", "86400");
	serve_hdr(r, "connection", "keep-alive");
	req_hdrs = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "access-control-request-headers");
	if (req_hdrs != NULL && *req_hdrs != '\0')
		serve_hdr(r, "access-control-allow-headers", req_hdrs);
	hreq_send(r, 204, NULL);
}

void
serve_health(struct hreq *r, int health)
{
	const char *body = health == HEALTH_ACTIVE ? "{\"status\":\"active\"}" :
	    health == HEALTH_WAITING ? "{\"status\":\"waiting\"}" :
	    "{\"status\":\"starting\"}";

	serve_common(r);
	serve_hdr(r, "content-type", "application/json");
	serve_hdr(r, "cache-control", "no-cache, no-store, must-revalidate");
	serve_body(r, health == HEALTH_ACTIVE ? 200 : 202, body, strlen(body));
}

/* ---- shape log responses ---- */

/* What a log response says besides its bytes. */
struct logresp {
	struct shapelog_plan	plan;		/* end = electric-offset */
	int			empty;		/* live timeout or offset=now */
	uint64_t		lsn;		/* global_last_seen_lsn */
};

static const char *
req_offset_str(struct hreq *r, char *buf)
{
	if (r->p.offset_kind == OFFSET_BEFORE_ALL)
		return "-1";
	if (r->p.offset_kind == OFFSET_NOW)
		return "now";
	return offset_fmt(&r->p.offset, buf);
}

/* Monotonic nanoseconds, strictly increasing across calls: the suffix
 * that keeps empty responses from ever revalidating (§5.2 etag). */
static uint64_t
unique_ns(void)
{
	static uint64_t last;
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	last = ns > last ? ns : last + 1;
	return last;
}

/* §5.2 / §5.3 / §5.4 headers; returns 1 when If-None-Match matched. */
static int
log_headers(struct hreq *r, const struct logresp *lr)
{
	char ob[OFFSET_STRLEN], rb[OFFSET_STRLEN], etag[640];
	const char *inm;

	serve_common(r);
	serve_cache(r, 200, 1);
	offset_fmt(&lr->plan.end, ob);
	serve_hdr(r, "electric-handle", r->handle);
	serve_hdr(r, "electric-offset", ob);
	if (r->p.live)
		serve_cursor(r);
	if (lr->plan.up_to_date)
		serve_hdr(r, "electric-up-to-date", "");
	serve_hdr(r, "electric-has-data", lr->empty ? "false" : "true");
	if (lr->empty)
		snprintf(etag, sizeof(etag), "\"%s:%s:%s:%llu\"", r->handle,
		    req_offset_str(r, rb), ob, (unsigned long long)unique_ns());
	else
		snprintf(etag, sizeof(etag), "\"%s:%s:%s\"", r->handle,
		    req_offset_str(r, rb), ob);
	serve_hdr(r, "etag", etag);
	inm = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "if-none-match");
	etag[strlen(etag) - 1] = '\0';
	if (!lr->empty && http_etag_match(inm, etag + 1))
		return 1;
	if (!r->p.live)
		serve_hdr(r, "electric-schema", r->eschema != NULL && *r->eschema ?
		    r->eschema : "{}");
	serve_hdr(r, "content-type", JSON_TYPE);
	return 0;
}

/* The last plan and the bytes of the last small range, remembered: a
 * wake re-plans every waiter of a shape against one state, so 10,000
 * clients at one offset cost one plan and one read, not 10,000.  Sound
 * because a plan is a function of the handle (one incarnation), its
 * durable state and the request offset, and the bytes below a durable
 * state never change.  Only successful plans are kept, and for at most
 * MEMO_MS, so that the range checks shapelog_plan makes (damaged files)
 * still run at least that often. */
#define MEMO_MS	1000
static struct {
	uint64_t		 ms;		/* when filled (mono_ms) */
	char			 handle[128];
	struct shapelog_state	 st;
	enum offset_kind	 kind;
	struct offset		 req;
	enum shapelog_plan_result res;
	struct shapelog_plan	 plan;
	char			*body;		/* bytes of plan, or NULL */
} memo;

static int
memo_hit(const char *handle, const struct shapelog_state *a,
    enum offset_kind kind, const struct offset *req)
{
	return mono_ms() - memo.ms < MEMO_MS &&
	    strcmp(memo.handle, handle) == 0 && memo.kind == kind &&
	    memo.req.tx == req->tx && memo.req.op == req->op &&
	    shapelog_state_eq(a, &memo.st);
}

static enum shapelog_plan_result
memo_plan(const struct shape_ent *e, const struct shapelog_state *st,
    enum offset_kind kind, const struct offset *req,
    struct shapelog_plan *plan)
{
	enum shapelog_plan_result res;

	if (memo_hit(e->handle, st, kind, req)) {
		*plan = memo.plan;
		return memo.res;
	}
	res = shapelog_plan(e->dir, st, kind, req, plan);
	if ((res != SHAPELOG_OK && res != SHAPELOG_AT_END) ||
	    strlen(e->handle) >= sizeof(memo.handle))
		return res;
	snprintf(memo.handle, sizeof(memo.handle), "%s", e->handle);
	memo.ms = mono_ms();
	memo.st = *st;
	memo.kind = kind;
	memo.req = *req;
	memo.res = res;
	memo.plan = *plan;
	free(memo.body);
	memo.body = NULL;
	return res;
}

/* Remembers the plan of a request at t->from on st (shapelog_tail_plan)
 * and its bytes if t has them: the wake that follows searches no index
 * (and reads no file). */
void
serve_memo_tail(const struct shape_ent *e, const struct shapelog_state *st,
    const struct shapelog_tail *t)
{
	struct shapelog_plan plan;

	if (strlen(e->handle) >= sizeof(memo.handle) ||
	    shapelog_tail_plan(e->dir, st, t, &plan) == -1)
		return;
	snprintf(memo.handle, sizeof(memo.handle), "%s", e->handle);
	memo.ms = mono_ms();
	memo.st = *st;
	memo.kind = OFFSET_REAL;
	memo.req = t->from;
	memo.res = SHAPELOG_OK;
	memo.plan = plan;
	free(memo.body);
	memo.body = NULL;
	if (t->bytes != NULL && t->len <= SEG_COPY_MAX)
		memo.body = memcpy(xmalloc(t->len), t->bytes, t->len);
}

/* plan's bytes from the memo if it holds them, else NULL. */
static const char *
memo_body(const struct shapelog_plan *plan)
{
	if (memo.body == NULL || memo.plan.start != plan->start ||
	    memo.plan.len != plan->len || strcmp(memo.plan.path, plan->path) != 0)
		return NULL;
	return memo.body;
}

/* A small range: read into b (one pread, no mapping). */
static int
add_copy(struct evbuffer *b, int fd, const struct shapelog_plan *plan)
{
	struct evbuffer_iovec v;
	size_t got = 0;
	ssize_t n;

	if (evbuffer_reserve_space(b, (ev_ssize_t)plan->len, &v, 1) != 1)
		fatal("evbuffer_reserve_space");
	while (got < plan->len) {
		n = pread(fd, (char *)v.iov_base + got, plan->len - got,
		    (off_t)(plan->start + got));
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		got += (size_t)n;
	}
	v.iov_len = plan->len;
	if (memo.body == NULL && memo.plan.start == plan->start &&
	    memo.plan.len == plan->len && strcmp(memo.plan.path, plan->path) == 0)
		memo.body = memcpy(xmalloc(plan->len), v.iov_base, plan->len);
	return evbuffer_commit_space(b, &v, 1) == 0 ? 0 : (errno = EIO, -1);
}

/* The file range into b: copied if small, else as a file segment that
 * the socket's output buffer sends with sendfile (b is marked as draining
 * to a descriptor, so libevent neither maps nor reads it). */
static int
add_segment(struct evbuffer *b, const struct shapelog_plan *plan)
{
	struct evbuffer_file_segment *seg;
	int fd, r, saved;

	if (plan->len <= SEG_COPY_MAX && memo_body(plan) != NULL)
		return evbuffer_add(b, memo_body(plan), plan->len) == 0 ? 0 :
		    (errno = ENOMEM, -1);
	if ((fd = open(plan->path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (plan->len <= SEG_COPY_MAX) {
		r = add_copy(b, fd, plan);
		saved = errno;
		close(fd);
		errno = saved;
		return r;
	}
	evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD);
	seg = evbuffer_file_segment_new(fd, plan->start, (ev_off_t)plan->len,
	    EVBUF_FS_CLOSE_ON_FREE);
	if (seg == NULL) {
		close(fd);
		errno = EIO;
		return -1;
	}
	if (evbuffer_add_file_segment(b, seg, 0, (ev_off_t)plan->len) == -1) {
		evbuffer_file_segment_free(seg);
		errno = EIO;
		return -1;
	}
	evbuffer_file_segment_free(seg);	/* b holds a reference */
	return 0;
}

static void serve_log_error(struct hreq *r, int err);

static void
serve_log(struct hreq *r, const struct logresp *lr)
{
	const struct shapelog_plan *plan = &lr->plan;
	struct evbuffer *b = NULL;
	char utd[128];
	size_t ulen = 0, total;

	if (log_headers(r, lr)) {
		hreq_send(r, 304, NULL);
		return;
	}
	if (plan->up_to_date)
		ulen = (size_t)snprintf(utd, sizeof(utd),
		    "{\"headers\":{\"control\":\"up-to-date\","
		    "\"global_last_seen_lsn\":\"%llu\"}}",
		    (unsigned long long)lr->lsn);
	total = 2 + plan->len + ulen + (plan->len > 0 && ulen > 0);
	content_length(r, total);
	if (!r->head) {
		b = evbuffer_new();
		evbuffer_add(b, "[", 1);
		if (plan->len > 0 && add_segment(b, plan) == -1) {
			evbuffer_free(b);
			serve_log_error(r, errno);
			return;
		}
		if (plan->len > 0 && ulen > 0)
			evbuffer_add(b, ",", 1);
		evbuffer_add(b, utd, ulen);
		evbuffer_add(b, "]", 1);
	}
	hreq_send(r, 200, b);
}

/* global_last_seen_lsn (§6.2). */
static uint64_t
utd_lsn(struct hreq *r, const struct offset *end, int empty,
    const struct shapelog_state *st)
{
	uint64_t g = live_global_lsn();

	if (empty)
		return g != 0 ? g : st->last_tx;
	if (r->p.live)
		return end->tx != 0 ? end->tx : g;
	return g > end->tx ? g : end->tx;
}

static void serve_wait(struct hreq *r, struct shape_ent *e,
    enum hreq_state st);

/* Was handle's drop asked for less than DROP_AGAIN_MS ago?  (A few
 * recent handles: requests and polls re-plan the same shape often.) */
#define DROP_RECENT	8
#define DROP_AGAIN_MS	2000
static int
drop_recent(const char *handle)
{
	static struct { char h[64]; uint64_t ms; } rec[DROP_RECENT];
	static size_t next;
	uint64_t now = mono_ms();
	size_t i;

	for (i = 0; i < DROP_RECENT; i++)
		if (strcmp(rec[i].h, handle) == 0) {
			if (now - rec[i].ms < DROP_AGAIN_MS)
				return 1;
			rec[i].ms = now;
			return 0;
		}
	snprintf(rec[next].h, sizeof(rec[next].h), "%s", handle);
	rec[next].ms = now;
	next = (next + 1) % DROP_RECENT;
	return 0;
}

/* The shape's directory is damaged (shapelog_check.c): never serve a
 * byte of it.  Ask shapecache to drop the shape and hold the request
 * until MSG_SHAPE_GONE ends it with a 409 naming the new handle (or the
 * snapshot wait times out with a 503). */
static void
serve_damaged(struct hreq *r)
{
	if (!drop_recent(r->handle)) {
		log_warnx("shape %s: damaged directory (%s): dropping the shape",
		    r->handle, shapelog_damage());
		sclient_drop(r->handle);
	}
	serve_wait(r, live_ent(r->handle), HREQ_WAIT_SNAPSHOT);
}

static void
serve_log_error(struct hreq *r, int err)
{
	char *body;

	/* Drop whatever log headers were already set for a 200. */
	evhttp_clear_headers(evhttp_request_get_output_headers(r->req));
	/* Files gone: the shape was removed under us (§4.3 case 3). */
	if (err == ENOENT) {
		serve_must_refetch(r, NULL);
		return;
	}
	if (err == SHAPELOG_EDAMAGED) {
		serve_damaged(r);
		return;
	}
	log_warnx("request %s: shape %s: %s", r->reqid, r->handle,
	    strerror(err));
	body = xasprintf("{\"message\":\"Unable to retrieve shape log: %s\"}",
	    strerror(err));
	serve_json(r, 500, body, 0);
	free(body);
}

void
serve_unavailable(struct hreq *r, const char *msg, int retry_after)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "{\"message\":");
	sbuf_add_json_str(&b, msg, strlen(msg));
	sbuf_addc(&b, '}');
	serve_hdr(r, "electric-internal-known-error", "true");
	serve_json(r, 503, b.p, retry_after);
	sbuf_free(&b);
}

/* The shape's consumer cannot store its snapshot (disk full, read-only):
 * say so now instead of letting the request time out. */
static void
serve_storage_fault(struct hreq *r, const char *why)
{
	char *msg = http_utf8_valid(why, strlen(why)) ?
	    xasprintf("Storage error: the shape's snapshot cannot be stored: %s",
	    why) : xstrdup("Storage error: the shape's snapshot cannot be stored");

	serve_unavailable(r, msg, 5);
	free(msg);
}

static void
serve_wait_timeout(struct hreq *r)
{
	struct shapelog_state st;
	struct logresp lr;

	switch (r->state) {
	case HREQ_WAIT_LIVE:
		memset(&lr, 0, sizeof(lr));
		if (live_state(live_ent(r->handle), &st) == -1)
			memset(&st, 0, sizeof(st));
		lr.plan.end = r->p.offset;
		lr.plan.up_to_date = 1;
		lr.empty = 1;
		lr.lsn = utd_lsn(r, &lr.plan.end, 1, &st);
		serve_log(r, &lr);
		break;
	case HREQ_WAIT_OOB:
		serve_invalid(r, "offset", "out of bounds for this shape");
		break;
	default:
		serve_hdr(r, "electric-internal-known-error", "true");
		serve_json(r, 503, "{\"message\":\"Timeout waiting for the shape "
		    "snapshot\"}", 10);
		break;
	}
}

static void
serve_wait(struct hreq *r, struct shape_ent *e, enum hreq_state st)
{
	uint64_t ms = st == HREQ_WAIT_LIVE ? (uint64_t)cfg.long_poll_timeout_ms :
	    st == HREQ_WAIT_OOB ? (uint64_t)cfg.long_poll_timeout_ms / 2 :
	    SNAPSHOT_WAIT_MS;

	hreq_wait(r, st, &e->waiters, ms > 0 ? ms : 1, serve_wait_timeout);
}

/* A live SSE request that can start streaming (HEAD gets long-poll). */
static int
sse_wanted(const struct hreq *r)
{
	return r->p.live && r->p.live_sse && !r->head;
}

/* The shape r waits on was deleted or invalidated.  Resolving the request
 * again makes shapecache find or create the definition's new incarnation,
 * so the 409 carries its handle (§4.4 SHOULD; the client warns without). */
void
serve_gone(struct hreq *r)
{
	if (r->state == HREQ_SSE) {
		sse_end(r);
	} else {
		r->gone = 1;
		sclient_request(r);
	}
}

void
serve_attempt(struct hreq *r)
{
	struct shape_ent *e;
	enum shapelog_plan_result res;
	struct shapelog_state st;
	struct logresp lr;

	if (r->state == HREQ_SSE) {
		sse_push(r);
		return;
	}
	if (r->subset != HREQ_SUBSET_NONE) {
		subreq_attempt(r);
		return;
	}
	e = live_ent(r->handle);
	memset(&lr, 0, sizeof(lr));
	if (live_state(e, &st) == -1) {
		serve_log_error(r, errno);
		return;
	}
	res = memo_plan(e, &st, r->p.offset_kind, &r->p.offset, &lr.plan);
	switch (res) {
	case SHAPELOG_AT_END:
		if (r->p.live && !sse_wanted(r)) {
			serve_wait(r, e, HREQ_WAIT_LIVE);
			return;
		}
		lr.empty = r->p.offset_kind == OFFSET_NOW;
		/* FALLTHROUGH */
	case SHAPELOG_OK:
		if (sse_wanted(r)) {
			sse_start(r, e);
			return;
		}
		lr.lsn = utd_lsn(r, &lr.plan.end, lr.empty, &st);
		serve_log(r, &lr);
		return;
	case SHAPELOG_NOT_READY:
		if (e->fault != NULL) {
			serve_storage_fault(r, e->fault);
			return;
		}
		serve_wait(r, e, HREQ_WAIT_SNAPSHOT);
		return;
	case SHAPELOG_OUT_OF_BOUNDS:
		serve_wait(r, e, HREQ_WAIT_OOB);
		return;
	case SHAPELOG_ERROR:
	default:
		serve_log_error(r, errno);
		return;
	}
}
