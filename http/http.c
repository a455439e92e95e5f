/*
 * http: the http process (http_main), the Electric HTTP Shape API on
 * libevent's evhttp.  Started by the root as "electricd --role http".
 *
 * Channels: the root channel (MSG_HEALTH: the stack's health; the
 * snapshots for /metrics on ELECTRIC_PROMETHEUS_PORT, metrics.c), a listener
 * on run/http.sock for consumers (MSG_SHAPE_NOTIFY) and shapecache
 * (MSG_SHAPE_GONE), and a client channel to shapecache (sclient.c).
 *
 * A shape request goes: route (normalised path, §1.1) -> query decoding
 * -> authentication (§1.3) -> admission control (admit.c, §15) -> the
 * POST body (body.c, §9, §15) -> stack readiness (§2.2 stage 1, waiting
 * up to 5 s) -> validation (params.c) -> resolution by shapecache
 * (sclient.c) -> serving or waiting (serve.c, live.c), an SSE stream
 * (sse.c) or a subset snapshot (subreq.c).  DELETE goes: authentication
 * -> enabled? -> readiness -> validation -> shapecache.  Every step that
 * fails answers the request and stops; nothing here trusts the client.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "admit.h"
#include "body.h"
#include "config.h"
#include "frame.h"
#include "hreq.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "sclient.h"
#include "serve.h"
#include "subreq.h"

#define HTTP_URI_MAX		(32 * 1024)
#define HTTP_HEADERS_MAX	(64 * 1024)
#define HTTP_READY_WAIT_MS	5000
#define HTTP_TRIM_THRESHOLD	(32 * 1024 * 1024)	/* heap kept after a burst */

static int http_health = HEALTH_STARTING;
static struct hreq_list health_waiters = TAILQ_HEAD_INITIALIZER(health_waiters);

/* ---- readiness (§2.2 stage 1) ---- */

static void
health_timeout(struct hreq *r)
{
	serve_json(r, 503, http_health == HEALTH_WAITING ?
	    "{\"message\":\"Timeout waiting for Postgres lock acquisition\"}" :
	    "{\"message\":\"Timeout waiting for the replication stream to be "
	    "ready\"}", 5);
}

/* Runs fn(r) once the stack is active, or answers 503 after 5 s. */
static void
when_ready(struct hreq *r, void (*fn)(struct hreq *))
{
	if (http_health == HEALTH_ACTIVE) {
		fn(r);
		return;
	}
	r->on_ready = fn;
	hreq_wait(r, HREQ_WAIT_HEALTH, &health_waiters, HTTP_READY_WAIT_MS,
	    health_timeout);
}

/* ---- shape requests ---- */

static void
shape_validated(struct hreq *r)
{
	char *err;

	if (http_params_validate(&r->q, &r->p, &err) == -1) {
		serve_json(r, 400, err, 0);
		free(err);
		return;
	}
	if (r->subset == HREQ_SUBSET_NONE && subreq_in_query(&r->q))
		r->subset = HREQ_SUBSET_QUERY;
	sclient_request(r);
}

/* §15: initial = no handle, or one this process has never seen. */
static int
shape_admit(struct hreq *r)
{
	const struct http_qparam *qp = http_query_get(&r->q, "handle");
	enum admit_class c = ADMIT_INITIAL;
	char *body;

	if (qp != NULL && qp->sub == NULL && strlen(qp->val) == qp->vlen &&
	    http_handle_ok(qp->val) && live_known(qp->val))
		c = ADMIT_EXISTING;
	if (admit_try(&http_admit, c) == 0) {
		r->adm = c;
		return 0;
	}
	log_debug("request %s: %s request limit reached", r->reqid,
	    c == ADMIT_INITIAL ? "initial" : "existing");
	body = admit_body(&http_admit, c);
	serve_hdr(r, "electric-internal-known-error", "true");
	serve_json(r, 503, body, admit_retry_after(arc4random()));
	free(body);
	return -1;
}

/* POST: a subset body is kept in r; -1 when r was answered. */
static int
shape_body(struct hreq *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t n = evbuffer_get_length(in);
	unsigned char *p = n > 0 ? evbuffer_pullup(in, -1) : NULL;
	char *err;
	int status;

	switch (http_body_classify((const char *)p, n, HTTP_BODY_MAX, &status,
	    &err)) {
	case HTTP_BODY_PLAIN:
		return 0;
	case HTTP_BODY_SUBSET:
		r->subset = HREQ_SUBSET_BODY;
		r->body = xmalloc(n + 1);
		memcpy(r->body, p, n);
		r->body[n] = '\0';
		r->body_len = n;
		return 0;
	case HTTP_BODY_ERROR:
	default:
		serve_json(r, status, err, 0);
		free(err);
		return -1;
	}
}

static void
h_shape(struct hreq *r)
{
	if (shape_admit(r) == -1)
		return;
	if (r->post && shape_body(r) == -1)
		return;
	when_ready(r, shape_validated);
}

/* ---- DELETE /v1/shape (§14.2) ---- */

static void
delete_ready(struct hreq *r)
{
	char *err;

	if (http_delete_validate(&r->q, &r->p, &err) == -1) {
		serve_json(r, 400, err, 0);
		free(err);
		return;
	}
	sclient_delete(r);
}

static void
h_delete(struct hreq *r)
{
	if (!cfg.enable_integration_testing) {
		serve_json(r, 405, "{\"message\":\"DELETE not allowed\"}", 0);
		return;
	}
	when_ready(r, delete_ready);
}

static void
h_root(struct hreq *r)
{
	serve_empty(r, 200);
}

static void
h_health(struct hreq *r)
{
	serve_health(r, http_health);
}

/* ---- routing ---- */

#define M_GET		(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)
#define M_ALL		(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | \
    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | \
    EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

static const struct {
	enum http_route	 route;
	int		 methods;
	int		 auth;		/* §1.3 secret required */
	void		(*fn)(struct hreq *);
} http_routes[] = {
	{ HTTP_ROUTE_ROOT, M_GET, 0, h_root },
	{ HTTP_ROUTE_HEALTH, M_GET, 0, h_health },
	{ HTTP_ROUTE_SHAPE, EVHTTP_REQ_OPTIONS, 0, serve_options },
	{ HTTP_ROUTE_SHAPE, M_GET | EVHTTP_REQ_POST, 1, h_shape },
	{ HTTP_ROUTE_SHAPE, EVHTTP_REQ_DELETE, 1, h_delete },
};
#define HTTP_NROUTES (sizeof(http_routes) / sizeof(http_routes[0]))

static void
http_dispatch(struct hreq *r, int method, const char *query)
{
	size_t i;

	for (i = 0; i < HTTP_NROUTES; i++)
		if (http_routes[i].route == (enum http_route)r->route &&
		    (http_routes[i].methods & method))
			break;
	if (i == HTTP_NROUTES) {
		r->route = HTTP_ROUTE_NOT_FOUND;
		serve_text(r, 404, "Not found");
		return;
	}
	if (http_routes[i].auth) {
		if (http_query_parse(query, &r->q) == -1) {
			serve_invalid(r, "query", errno == E2BIG ?
			    "has too many parameters" :
			    "is not a valid URL query string");
			return;
		}
		if (!http_auth_ok(&r->q, cfg.insecure, cfg.secret)) {
			serve_unauthorized(r);
			return;
		}
	}
	http_routes[i].fn(r);
}

static void
http_request_cb(struct evhttp_request *req, void *arg UNUSED)
{
	const char *raw = evhttp_request_get_uri(req);
	int method = (int)evhttp_request_get_command(req);
	char *path, *query;
	struct hreq *r;
	enum http_route route;
	int rc;

	r = hreq_new(req);
	r->head = method == EVHTTP_REQ_HEAD;
	r->post = method == EVHTTP_REQ_POST || method == EVHTTP_REQ_DELETE;
	if (raw != NULL && strlen(raw) > HTTP_URI_MAX) {
		serve_json(r, 414, "{\"message\":\"URI too long\"}", 0);
		return;
	}
	/* The raw target, not evhttp's URI parse: "//v1/shape" must stay a
	 * path (a parser reads "v1" as an authority there). */
	http_target_split(raw != NULL ? raw : "/", &path, &query);
	rc = http_route_parse(path, &route);
	free(path);
	if (rc == -1) {
		free(query);
		serve_invalid(r, "path", "is not a valid URL path");
		return;
	}
	r->route = route;
	log_debug("request %s: %s", r->reqid, raw != NULL ? raw : "?");
	http_dispatch(r, method, query);
	free(query);
}

static void
http_listen(struct event_base *base)
{
	struct evhttp *http;
	int tmo;

	if ((http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_default_content_type(http, NULL);
	evhttp_set_allowed_methods(http, M_ALL);
	evhttp_set_max_headers_size(http, HTTP_HEADERS_MAX);
	/* Bodies up to HTTP_BODY_HARD_MAX are read, so that those above
	 * HTTP_BODY_MAX still get the JSON 413 of §15 (body.c). */
	evhttp_set_max_body_size(http, HTTP_BODY_HARD_MAX);
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	tmo = cfg.long_poll_timeout_ms / 1000 + 60;
	evhttp_set_timeout(http, tmo);
	evhttp_set_gencb(http, http_request_cb, NULL);
	if (evhttp_bind_socket_with_handle(http, "0.0.0.0",
	    (ev_uint16_t)cfg.port) == NULL)
		fatal("cannot listen on 0.0.0.0:%d (is the port already in use?)",
		    cfg.port);
	log_info("listening on 0.0.0.0:%d", cfg.port);
}

/* ---- root channel: stack health ---- */

static void
health_set(int h, const char *reason)
{
	struct hreq *r, *nx;

	if (h != http_health)
		log_info("stack health: %s%s%s", h == HEALTH_ACTIVE ? "active" :
		    h == HEALTH_WAITING ? "waiting" : "starting",
		    *reason ? ": " : "", reason);
	http_health = h;
	if (h != HEALTH_ACTIVE)
		return;
	for (r = TAILQ_FIRST(&health_waiters); r != NULL; r = nx) {
		nx = TAILQ_NEXT(r, link);
		r->on_ready(r);
	}
}

static void
root_frame(struct chan *c UNUSED, struct frame *f, void *arg UNUSED)
{
	struct mreader mr;
	uint8_t h;
	char *reason;

	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_CTL_REPLY) {		/* a /metrics snapshot */
		metrics_root_reply(f);
		return;
	}
	if (f->type != MSG_HEALTH) {
		log_debug("root channel: ignoring %s", msg_name(f->type));
		return;
	}
	mr_init(&mr, f->data, f->len);
	h = mr_u8(&mr);
	reason = mr_str(&mr);
	if (mr_done(&mr) == -1 || h > HEALTH_ACTIVE)
		log_warnx("root channel: malformed HEALTH");
	else
		health_set(h, reason);
	free(reason);
}

/* ---- run/http.sock: consumers and shapecache ---- */

static void
peer_notify(struct chan *c, const struct frame *f)
{
	struct shapelog_state st;
	struct shapelog_tail t, *tp = NULL;
	struct mreader mr;
	uint32_t n = 0;
	char *h;

	memset(&st, 0, sizeof(st));
	mr_init(&mr, f->data, f->len);
	h = mr_str(&mr);
	st.snap_chunks = mr_u32(&mr);
	st.snap_done = mr_u8(&mr);
	st.log_entries = mr_u64(&mr);
	st.last_tx = mr_u64(&mr);
	st.last_op = mr_u64(&mr);
	st.log_chunks = mr_u64(&mr);
	if (mr.off < mr.len) {		/* the last publish's entries */
		t.from.tx = mr_u64(&mr);
		t.from.op = mr_u64(&mr);
		t.start = (off_t)mr_u64(&mr);
		t.len = mr_u64(&mr);
		t.bytes = (const char *)mr_bytes(&mr, &n);
		if (n == 0)
			t.bytes = NULL;
		tp = &t;
	}
	if (mr_done(&mr) == -1 || !http_handle_ok(h) ||
	    (tp != NULL && (t.start < 1 || (n != 0 && n != t.len))))
		log_warnx("malformed SHAPE_NOTIFY (pid %d)", (int)f->pid);
	else
		live_notify(h, &st, tp, c);
	free(h);
}

static void
peer_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{

	if (f->fd != -1)
		close(f->fd);
	switch (f->type) {
	case MSG_SHAPE_NOTIFY:
		peer_notify(c, f);
		break;
	case MSG_SUBSET_REPLY:
		subreq_reply(c, f);
		break;
	case MSG_SHAPE_GONE:
		live_gone_frame(f);
		break;
	case MSG_READERS_Q:	/* a consumer about to suspend */
		live_readers_frame(c, f);
		break;
	case MSG_SHAPE_FAULT:
		live_fault_frame(f);
		break;
	default:
		log_debug("http.sock: ignoring %s", msg_name(f->type));
		break;
	}
}

static void
peer_closed(struct chan *c, int error, void *arg UNUSED)
{
	if (error != 0)
		log_debug("http.sock peer %s closed: %s",
		    chan_peer_role(c) ? chan_peer_role(c) : "?", strerror(error));
	live_chan_closed(c);
	subreq_chan_closed(c);
	chan_free(c);
}

static void
peer_accept(evutil_socket_t lfd, short what UNUSED, void *arg)
{
	struct event_base *base = arg;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept on http.sock");
		return;
	}
	if (chan_new(base, fd, "http", FRAME_MAX_DEFAULT, peer_frame,
	    peer_closed, NULL) == NULL)
		log_warn("http.sock channel");
}

static void
peers_listen(struct event_base *base)
{
	char *path = config_sock_path("http");
	struct event *ev;
	int fd;

	if ((fd = unix_listen(path)) == -1)
		fatal("listen on %s", path);
	if (fd_nonblock(fd) == -1)
		fatal("fcntl %s", path);
	ev = event_new(base, fd, EV_READ | EV_PERSIST, peer_accept, base);
	event_add(ev, NULL);
	free(path);
}

int
http_main(void)
{
	struct event_base *base;
	struct chan *root;

	base = proc_init("http", NULL);
	/* A wake of 10,000 waiters allocates and frees 10-20 MB of buffers at
	 * once; trimming the heap after each made the next wake fault every
	 * page in again (7 % of the CPU of an SSE fan-out). */
	mallopt(M_TRIM_THRESHOLD, HTTP_TRIM_THRESHOLD);
	if (event_base_priority_init(base, HTTP_NPRI) == -1)
		fatalx("event_base_priority_init");
	proc_signals(base, NULL, NULL);
	root = proc_root_chan(base, "http", root_frame, NULL);
	hreq_init(base);
	admit_init(&http_admit, (unsigned)cfg.max_initial_requests,
	    (unsigned)cfg.max_existing_requests);
	live_init(base);
	http_listen(base);
	metrics_init(base, root);
	peers_listen(base);
	sclient_init(base);
	proc_ready(root);
	event_base_dispatch(base);
	return 0;
}
