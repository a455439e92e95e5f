/*
 * http: the http process (http_main), the Electric HTTP Shape API on
 * libevent's evhttp.  Started by the root as "electricd --role http".
 *
 * Channels: the root channel (MSG_HEALTH: the stack's health), a listener
 * on run/http.sock for consumers (MSG_SHAPE_NOTIFY) and shapecache
 * (MSG_SHAPE_GONE), and a client channel to shapecache (sclient.c).
 *
 * A shape request goes: route (normalised path, §1.1) -> query decoding
 * -> authentication (§1.3) -> stack readiness (§2.2 stage 1, waiting up
 * to 5 s) -> validation (params.c) -> resolution by shapecache
 * (sclient.c) -> serving or waiting (serve.c, live.c).  Every step that
 * fails answers the request and stops; nothing here trusts the client.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "frame.h"
#include "hreq.h"
#include "live.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "sclient.h"
#include "serve.h"

#define HTTP_URI_MAX		(32 * 1024)
#define HTTP_HEADERS_MAX	(64 * 1024)
#define HTTP_BODY_MAX		(1024 * 1024)
#define HTTP_READY_WAIT_MS	5000

static int http_health = HEALTH_STARTING;
static struct hreq_list health_waiters = TAILQ_HEAD_INITIALIZER(health_waiters);

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
	sclient_request(r);
}

static void
health_timeout(struct hreq *r)
{
	serve_json(r, 503, http_health == HEALTH_WAITING ?
	    "{\"message\":\"Timeout waiting for Postgres lock acquisition\"}" :
	    "{\"message\":\"Timeout waiting for the replication stream to be "
	    "ready\"}", 5);
}

static void
h_shape(struct hreq *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);

	if (r->post && evbuffer_get_length(in) > 0) {
		serve_invalid(r, "subset", "is not supported by this server yet");
		return;
	}
	if (http_health == HEALTH_ACTIVE)
		shape_validated(r);
	else
		hreq_wait(r, HREQ_WAIT_HEALTH, &health_waiters,
		    HTTP_READY_WAIT_MS, health_timeout);
}

static void
h_delete(struct hreq *r)
{
	serve_json(r, 405, "{\"message\":\"DELETE not allowed\"}", 0);
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
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = evhttp_request_get_uri(req), *path;
	int method = (int)evhttp_request_get_command(req);
	struct hreq *r;
	enum http_route route;

	r = hreq_new(req);
	r->head = method == EVHTTP_REQ_HEAD;
	r->post = method == EVHTTP_REQ_POST || method == EVHTTP_REQ_DELETE;
	if (raw != NULL && strlen(raw) > HTTP_URI_MAX) {
		serve_json(r, 414, "{\"message\":\"URI too long\"}", 0);
		return;
	}
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (http_route_parse(path != NULL ? path : "/", &route) == -1) {
		serve_invalid(r, "path", "is not a valid URL path");
		return;
	}
	r->route = route;
	log_debug("request %s: %s", r->reqid, raw != NULL ? raw : "?");
	http_dispatch(r, method, uri != NULL ? evhttp_uri_get_query(uri) : NULL);
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
	evhttp_set_max_body_size(http, HTTP_BODY_MAX);
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
		shape_validated(r);
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
peer_notify(const struct frame *f)
{
	struct shapelog_state st;
	struct mreader mr;
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
	if (mr_done(&mr) == -1 || !http_handle_ok(h))
		log_warnx("malformed SHAPE_NOTIFY (pid %d)", (int)f->pid);
	else
		live_notify(h, &st);
	free(h);
}

static void
peer_frame(struct chan *c UNUSED, struct frame *f, void *arg UNUSED)
{
	struct mreader mr;
	char *h;

	if (f->fd != -1)
		close(f->fd);
	switch (f->type) {
	case MSG_SHAPE_NOTIFY:
		peer_notify(f);
		break;
	case MSG_SHAPE_GONE:
		mr_init(&mr, f->data, f->len);
		h = mr_str(&mr);
		if (mr_done(&mr) == 0 && *h != '\0')
			live_gone(h);
		else
			log_warnx("malformed SHAPE_GONE (pid %d)", (int)f->pid);
		free(h);
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
	proc_signals(base, NULL, NULL);
	root = proc_root_chan(base, "http", root_frame, NULL);
	hreq_init(base);
	live_init(base);
	http_listen(base);
	peers_listen(base);
	sclient_init(base);
	proc_ready(root);
	event_base_dispatch(base);
	return 0;
}
