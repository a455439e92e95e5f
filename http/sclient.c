/*
 * sclient: shape resolution through shapecache (see sclient.h).  Called
 * by http.c once a shape request has passed validation; answers the
 * request itself on every outcome except success, where it hands over to
 * serve_attempt() with r->handle and r->eschema set.  DELETE requests
 * travel the same way (r->sc_kind) and are answered here.
 *
 * Every request waiting here sits in sc_pending (state
 * HREQ_WAIT_SHAPECACHE).  sc_sent says whether its MSG_SHAPE_REQ went out
 * on the current channel; when the channel drops, all of them are marked
 * unsent and go out again on the next one (shapecache treats a repeated
 * get-or-create as idempotent).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "frame.h"
#include "ident.h"
#include "live.h"
#include "log.h"
#include "msg.h"
#include "sclient.h"
#include "shapereq.h"
#include "serve.h"

static struct event_base *sc_base;
static struct chan *sc_chan;
static struct event *sc_retry_ev;
static int sc_retry_ms;		/* backoff_step state */
static struct hreq_list sc_pending = TAILQ_HEAD_INITIALIZER(sc_pending);
static uint32_t sc_next_id;
static char *sc_path;

struct sc_reply {
	uint16_t	 status;
	uint8_t		 matches;
	char		*handle;
	char		*schema;
	char		*table;
	char		*eschema;
	char		*error;
	char		*field;		/* of a 400: "table", "where", ... */
};

int
sclient_connected(void)
{
	return sc_chan != NULL;
}

/* The definition as shapecache reads it (common/shapereq.h). */
static void
sc_encode_req(const struct shape_params *p, uint8_t flags, struct mbuf *m)
{
	struct shape_req q;

	memset(&q, 0, sizeof(q));
	q.table = p->table;
	q.handle = p->handle;
	q.flags = flags;
	q.log_mode = (uint8_t)p->log_mode;
	q.replica_full = (uint8_t)p->replica_full;
	q.where = p->where;
	q.params = p->params;
	q.nparams = p->nparams;
	q.columns = p->columns;
	q.ncolumns = p->ncolumns;
	shape_req_encode(&q, m);
}

static void
sc_send(struct hreq *r)
{
	struct mbuf m;

	if (sc_chan == NULL || r->sc_sent)
		return;
	if (++sc_next_id == 0)
		sc_next_id = 1;
	r->sc_id = sc_next_id;
	mbuf_init(&m);
	sc_encode_req(&r->p, (r->sc_kind == HREQ_SC_SHAPE ? SHAPEREQ_CREATE : 0) |
	    (r->p.live ? SHAPEREQ_LIVE : 0), &m);
	if (chan_sendm(sc_chan, r->sc_kind == HREQ_SC_DELETE ?
	    MSG_SHAPE_DELETE : MSG_SHAPE_REQ, r->sc_id, &m) == 0)
		r->sc_sent = 1;
	mbuf_free(&m);
}

static void
sc_timeout(struct hreq *r)
{
	uint64_t waited = mono_ms() - r->t_start;

	if (!r->sc_sent) {
		serve_json(r, 503, "{\"message\":\"Timeout waiting for the shape "
		    "cache to be ready\"}", 5);
		return;
	}
	if (waited < SCLIENT_REPLY_MS) {
		hreq_rearm(r, SCLIENT_REPLY_MS - waited);
		return;
	}
	log_warnx("request %s: no reply from shapecache", r->reqid);
	serve_json(r, 503, "{\"message\":\"Failed to create shape, please "
	    "retry\"}", 1);
}

/* Queues r for shapecache; sent now if the channel is up. */
static void
sc_submit(struct hreq *r, enum hreq_sc_kind kind)
{
	r->sc_kind = kind;
	r->sc_sent = 0;
	hreq_wait(r, HREQ_WAIT_SHAPECACHE, &sc_pending, SCLIENT_DOWN_MS,
	    sc_timeout);
	sc_send(r);
}

void
sclient_request(struct hreq *r)
{
	sc_submit(r, HREQ_SC_SHAPE);
}

void
sclient_delete(struct hreq *r)
{
	sc_submit(r, HREQ_SC_DELETE);
}

void
sclient_drop(const char *handle)
{
	struct shape_req q;
	struct mbuf m;

	if (sc_chan == NULL)
		return;
	memset(&q, 0, sizeof(q));
	q.table = (char *)"";
	q.handle = (char *)handle;
	q.where = (char *)"";
	mbuf_init(&m);
	shape_req_encode(&q, &m);
	/* id 0: no request waits for the reply, which is dropped */
	if (chan_sendm(sc_chan, MSG_SHAPE_DELETE, 0, &m) == -1)
		log_debug("shapecache channel closed");
	mbuf_free(&m);
}

static void
sc_answer_error(struct hreq *r, struct sc_reply *rep)
{
	char *body;

	switch (rep->status) {
	case 400:
		if (!http_utf8_valid(rep->error, strlen(rep->error)))
			serve_invalid(r, *rep->field ? rep->field : "table",
			    "is invalid");
		else
			serve_invalid(r, *rep->field ? rep->field : "table",
			    rep->error);
		break;
	case 404:
		serve_must_refetch(r, NULL);
		break;
	case 503: {
		struct sbuf b;

		sbuf_init(&b);
		sbuf_adds(&b, "{\"message\":");
		if (*rep->error == '\0' ||
		    !http_utf8_valid(rep->error, strlen(rep->error)))
			sbuf_adds(&b, "\"Failed to create shape, please retry\"");
		else
			sbuf_add_json_str(&b, rep->error, strlen(rep->error));
		sbuf_addc(&b, '}');
		serve_json(r, 503, b.p, 1);
		sbuf_free(&b);
		break;
	}
	default:
		body = xasprintf("{\"error\":\"Internal server error\"}");
		log_warnx("request %s: shapecache status %u: %s", r->reqid,
		    rep->status, rep->error);
		serve_json(r, 500, body, 0);
		free(body);
		break;
	}
}

static void
sc_answer(struct hreq *r, struct sc_reply *rep)
{
	if (rep->status != 200 || !http_handle_ok(rep->handle)) {
		if (r->gone) {
			/* e.g. the table was renamed: a plain must-refetch, and
			 * the client's next request learns the rest (§4.3) */
			serve_must_refetch(r, NULL);
			return;
		}
		if (rep->status == 200)
			rep->status = 500;
		sc_answer_error(r, rep);
		return;
	}
	/* A real offset must name this definition's incarnation (§4.3). */
	if (r->p.offset_kind == OFFSET_REAL && !rep->matches) {
		serve_must_refetch(r, rep->handle);
		return;
	}
	r->handle = rep->handle;
	r->eschema = rep->eschema;
	rep->handle = rep->eschema = NULL;
	serve_attempt(r);
}

static int
sc_parse_reply(const struct frame *f, struct sc_reply *rep)
{
	struct mreader mr;

	mr_init(&mr, f->data, f->len);
	rep->status = mr_u16(&mr);
	rep->matches = mr_u8(&mr);
	rep->handle = mr_str(&mr);
	rep->schema = mr_str(&mr);
	rep->table = mr_str(&mr);
	rep->eschema = mr_str(&mr);
	rep->error = mr_str(&mr);
	rep->field = mr_str(&mr);
	return mr_done(&mr);
}

static void
sc_reply_free(struct sc_reply *rep)
{
	free(rep->handle);
	free(rep->schema);
	free(rep->table);
	free(rep->eschema);
	free(rep->error);
	free(rep->field);
}

static void sc_closed(struct chan *, int, void *);

static void
sc_on_reply(struct chan *c, struct frame *f)
{
	struct sc_reply rep;
	struct hreq *r;

	memset(&rep, 0, sizeof(rep));
	if (sc_parse_reply(f, &rep) == -1) {
		log_warnx("malformed SHAPE_REPLY from shapecache");
		sc_reply_free(&rep);
		sc_closed(c, EPROTO, NULL);
		return;
	}
	TAILQ_FOREACH(r, &sc_pending, link)
		if (r->sc_sent && r->sc_id == f->id &&
		    r->sc_kind == HREQ_SC_SHAPE)
			break;
	if (r != NULL)
		sc_answer(r, &rep);	/* else: its client went away */
	sc_reply_free(&rep);
}

/* §14.2: 202 empty, 404, 400 (neither given, mismatch, bad table), 503. */
static void
sc_answer_delete(struct hreq *r, uint16_t status, const char *msg)
{
	static const char blank[] = "handle can't be blank";
	static const char mismatch[] = "The specified shape definition";
	struct sbuf b;

	if (!http_utf8_valid(msg, strlen(msg)))
		msg = "";
	switch (status) {
	case 202:
		serve_empty(r, 202);
		return;
	case 404:
		serve_json(r, 404, "{\"message\":\"No existing shape found\"}", 0);
		return;
	case 400:
		if (strncmp(msg, blank, sizeof(blank) - 1) == 0) {
			serve_invalid(r, "handle", msg + 7);
			return;
		}
		if (strncmp(msg, mismatch, sizeof(mismatch) - 1) != 0) {
			serve_invalid(r, "table", *msg ? msg : "is invalid");
			return;
		}
		break;
	default:
		break;
	}
	if (*msg == '\0')
		msg = "Failed to delete shape, please retry";
	sbuf_init(&b);
	sbuf_adds(&b, "{\"message\":");
	sbuf_add_json_str(&b, msg, strlen(msg));
	sbuf_addc(&b, '}');
	serve_json(r, status == 400 ? 400 : 503, b.p, status == 400 ? 0 : 5);
	sbuf_free(&b);
}

static void
sc_on_delete_reply(struct chan *c, struct frame *f)
{
	struct mreader mr;
	struct hreq *r;
	uint16_t status;
	char *msg;

	mr_init(&mr, f->data, f->len);
	status = mr_u16(&mr);
	msg = mr_str(&mr);
	if (mr_done(&mr) == -1) {
		log_warnx("malformed SHAPE_DELETE_REPLY from shapecache");
		free(msg);
		sc_closed(c, EPROTO, NULL);
		return;
	}
	TAILQ_FOREACH(r, &sc_pending, link)
		if (r->sc_sent && r->sc_id == f->id &&
		    r->sc_kind == HREQ_SC_DELETE)
			break;
	if (r != NULL)
		sc_answer_delete(r, status, msg);
	free(msg);
}

static void
sc_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{

	if (f->fd != -1)
		close(f->fd);
	switch (f->type) {
	case MSG_SHAPE_REPLY:
		sc_on_reply(c, f);
		break;
	case MSG_SHAPE_DELETE_REPLY:
		sc_on_delete_reply(c, f);
		break;
	case MSG_SHAPE_GONE:
		live_gone_frame(f);
		break;
	default:
		log_debug("shapecache channel: ignoring %s", msg_name(f->type));
		break;
	}
}

static void
sc_schedule(void)
{
	int ms = backoff_step(&sc_retry_ms, SCLIENT_RETRY_MIN_MS,
	    SCLIENT_RETRY_MS);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(sc_retry_ev, &tv);
}

static void
sc_closed(struct chan *c, int error, void *arg UNUSED)
{
	struct hreq *r;

	if (error != 0)
		log_warnx("shapecache channel closed: %s", strerror(error));
	else
		log_info("shapecache channel closed");
	chan_free(c);
	sc_chan = NULL;
	TAILQ_FOREACH(r, &sc_pending, link)
		r->sc_sent = 0;
	sc_schedule();
}

static void
sc_connect(evutil_socket_t fd0 UNUSED, short what UNUSED, void *arg UNUSED)
{
	struct hreq *r;
	int fd;

	if ((fd = unix_connect(sc_path)) == -1) {
		sc_schedule();
		return;
	}
	sc_chan = chan_new(sc_base, fd, "http", FRAME_MAX_DEFAULT, sc_frame,
	    sc_closed, NULL);
	if (sc_chan == NULL) {
		log_warn("shapecache channel");
		sc_schedule();
		return;
	}
	log_info("connected to shapecache");
	sc_retry_ms = 0;
	TAILQ_FOREACH(r, &sc_pending, link)
		sc_send(r);
}

void
sclient_init(struct event_base *base)
{
	sc_base = base;
	sc_path = config_sock_path("shapecache");
	sc_retry_ev = evtimer_new(base, sc_connect, NULL);
	sc_connect(-1, 0, NULL);
}
