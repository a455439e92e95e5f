/*
 * hreq: lifecycle of a request in flight (see hreq.h).  Used by http.c,
 * sclient.c, serve.c and live.c.
 *
 * Client disconnects: libevent 2.1 stops reading a connection once a
 * request is parsed, so it would only notice a vanished client when the
 * reply is written.  While a request waits we therefore watch its socket
 * ourselves (EV_READ, recv MSG_PEEK): on EOF or error we free the
 * connection, whose close callback frees the request.  Pipelined bytes
 * just end the watch (the wait then ends by its deadline).  The close
 * callback is cleared before every reply, so it only fires for waiting
 * requests.
 *
 * Priorities (http_main sets up HTTP_NPRI): the answer to a request that
 * waited for a change is written at HREQ_PRI_WAKE, ahead of everything
 * else, so that when one change wakes 10,000 long-polls their answers all
 * leave before the loop reads the requests the first clients send next.
 * Every other answer keeps the default priority: a large download never
 * starves the loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>

#include "hreq.h"
#include "log.h"
#include "metrics.h"

static struct event_base *hreq_base;
static uint64_t hreq_rand_state;
unsigned hreq_count[HREQ_NSTATES];

static const char *const hreq_state_names[HREQ_NSTATES] = {
	[HREQ_NEW] = "new",
	[HREQ_WAIT_HEALTH] = "wait-health",
	[HREQ_WAIT_SHAPECACHE] = "wait-shapecache",
	[HREQ_WAIT_SNAPSHOT] = "wait-snapshot",
	[HREQ_WAIT_LIVE] = "wait-live",
	[HREQ_WAIT_OOB] = "wait-oob",
	[HREQ_WAIT_CONSUMER] = "wait-consumer",
	[HREQ_WAIT_SUBSET] = "wait-subset",
	[HREQ_SSE] = "sse",
};

const char *
hreq_state_name(enum hreq_state st)
{
	return st < HREQ_NSTATES ? hreq_state_names[st] : "?";
}

void
hreq_init(struct event_base *base)
{
	hreq_base = base;
	arc4random_buf(&hreq_rand_state, sizeof(hreq_rand_state));
}

/* splitmix64, seeded from arc4random once: request ids and cursor jitter
 * need to differ, not to be secret, and arc4random is a getrandom system
 * call per use here (3 % of the http process's CPU in a fan-out). */
uint64_t
hreq_rand(void)
{
	uint64_t z = (hreq_rand_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct hreq *
hreq_new(struct evhttp_request *req)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint64_t a = hreq_rand(), b = hreq_rand();
	struct hreq *r;
	size_t i;

	r = xcalloc(1, sizeof(*r));
	r->req = req;
	r->conn = evhttp_request_get_connection(req);
	r->state = HREQ_NEW;
	r->adm = ADMIT_NONE;
	r->t_start = mono_ms();
	hreq_count[HREQ_NEW]++;
	for (i = 0; i < 20; i++) {	/* 100 random bits */
		r->reqid[i] = b32[a & 31];
		a = i == 9 ? b : a >> 5;
	}
	r->reqid[20] = '\0';
	return r;
}

static void
hreq_unlist(struct hreq *r)
{
	if (r->list != NULL) {
		TAILQ_REMOVE(r->list, r, link);
		r->list = NULL;
	}
}

void
hreq_admit_release(struct hreq *r)
{
	admit_release(&http_admit, r->adm);
	r->adm = ADMIT_NONE;
}

/* Everything but the evhttp request itself, which libevent owns. */
static void
hreq_free(struct hreq *r)
{
	hreq_unlist(r);
	hreq_admit_release(r);
	hreq_count[r->state]--;
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->watch != NULL)
		event_free(r->watch);
	http_query_free(&r->q);
	http_params_free(&r->p);
	free(r->handle);
	free(r->eschema);
	free(r->body);
	if (r->sub_valid)
		subset_free(&r->sub);
	free(r);
}

static void
hreq_closed(struct evhttp_connection *conn UNUSED, void *arg)
{
	struct hreq *r = arg;
	struct evhttp_request *req = r->req;

	log_debug("request %s: client went away while %s", r->reqid,
	    hreq_state_name(r->state));
	hreq_free(r);
	/* Detached by libevent's own failure path: nobody else frees it. */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
}

static void
hreq_watch_cb(evutil_socket_t fd, short what UNUSED, void *arg)
{
	struct hreq *r = arg;
	ssize_t n;
	char c;

	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return;			/* pipelined data: stop watching */
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		event_add(r->watch, NULL);
		return;
	}
	evhttp_connection_free(r->conn);	/* calls hreq_closed */
}

static void
hreq_watch_start(struct hreq *r)
{
	struct bufferevent *bev;
	evutil_socket_t fd;

	if (r->watch != NULL || r->conn == NULL)
		return;
	evhttp_connection_set_closecb(r->conn, hreq_closed, r);
	bev = evhttp_connection_get_bufferevent(r->conn);
	if (bev == NULL || (fd = bufferevent_getfd(bev)) < 0)
		return;
	r->watch = event_new(hreq_base, fd, EV_READ, hreq_watch_cb, r);
	if (r->watch != NULL)
		event_add(r->watch, NULL);
}

static void
hreq_timer_cb(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct hreq *r = arg;

	r->on_timeout(r);
}

void
hreq_rearm(struct hreq *r, uint64_t timeout_ms)
{
	struct timeval tv;

	if (r->timer == NULL)
		return;
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
}

void
hreq_wait(struct hreq *r, enum hreq_state st, struct hreq_list *list,
    uint64_t timeout_ms, void (*on_timeout)(struct hreq *))
{
	hreq_watch_start(r);
	if (r->list != list) {
		hreq_unlist(r);
		if (list != NULL)
			TAILQ_INSERT_TAIL(list, r, link);
		r->list = list;
	}
	if (r->state == st)
		return;
	hreq_count[r->state]--;
	hreq_count[st]++;
	r->state = st;
	if (r->timer == NULL)
		r->timer = evtimer_new(hreq_base, hreq_timer_cb, r);
	evtimer_del(r->timer);
	r->on_timeout = on_timeout;
	if (timeout_ms > 0)
		hreq_rearm(r, timeout_ms);
}

/* The priority of the write event of r's connection (its bufferevent
 * re-assigns the event, and so resets it, only when its socket changes). */
static void
hreq_write_priority(struct hreq *r)
{
	struct bufferevent *bev;

	if (r->conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(r->conn)) == NULL)
		return;
	/* fails only while the event is active: it then keeps its priority */
	(void)event_priority_set(&bev->ev_write, r->state == HREQ_WAIT_LIVE ?
	    HREQ_PRI_WAKE : HREQ_PRI_DEFAULT);
}

void
hreq_send(struct hreq *r, int code, struct evbuffer *body)
{
	struct evhttp_request *req = r->req;

	hreq_write_priority(r);
	if (r->conn != NULL)
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
	hreq_free(r);
	metrics_count_status(code);
	evhttp_send_reply(req, code, NULL, body);
	if (body != NULL)
		evbuffer_free(body);
}

void
hreq_stream_start(struct hreq *r, int code)
{
	hreq_write_priority(r);		/* never a woken waiter: the default */
	metrics_count_status(code);
	evhttp_send_reply_start(r->req, code, NULL);
}

void
hreq_stream_chunk(struct hreq *r, const void *p, size_t n)
{
	struct evbuffer *b;

	if (n == 0 || (b = evbuffer_new()) == NULL)
		return;
	evbuffer_add(b, p, n);
	evhttp_send_reply_chunk(r->req, b);
	evbuffer_free(b);
}

size_t
hreq_stream_queued(struct hreq *r)
{
	struct bufferevent *bev;

	if (r->conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(r->conn)) == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(bev));
}

void
hreq_stream_end(struct hreq *r)
{
	struct evhttp_request *req = r->req;

	if (r->conn != NULL)
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
	hreq_free(r);
	evhttp_send_reply_end(req);
}
