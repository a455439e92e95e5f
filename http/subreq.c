/*
 * subreq: subset snapshot requests (see subreq.h).  Called by serve.c
 * (serve_attempt, for requests with r->subset set: first after shape
 * resolution, then again on every wake-up of the shape while waiting for
 * its consumer) and by http.c (replies and closed channels on
 * run/http.sock).
 *
 * States: HREQ_WAIT_CONSUMER in the shape's waiters until a consumer has
 * announced itself with MSG_SHAPE_NOTIFY (then live.c knows its channel),
 * HREQ_WAIT_SNAPSHOT there until the shape's snapshot is stored (the
 * consumer runs no subset before), HREQ_WAIT_SUBSET in sub_pending until the reply with the same id comes
 * back on the same channel.  The consumer re-validates everything it gets
 * (subset.h); nothing here reaches SQL.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "hreq.h"
#include "ident.h"
#include "live.h"
#include "log.h"
#include "msg.h"
#include "serve.h"
#include "subreq.h"

static struct hreq_list sub_pending = TAILQ_HEAD_INITIALIZER(sub_pending);
static uint32_t sub_next_id;

/* ---- request parameters ---- */

static const struct {
	const char	*key;
	size_t		 off;
} subreq_keys[] = {
	{ "subset__where", offsetof(struct subset_input, where) },
	{ "subset__params", offsetof(struct subset_input, params) },
	{ "subset__order_by", offsetof(struct subset_input, order_by) },
	{ "subset__limit", offsetof(struct subset_input, limit) },
	{ "subset__offset", offsetof(struct subset_input, offset) },
};

int
subreq_in_query(const struct http_query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strncmp(q->v[i].key, "subset__", 8) == 0)
			return 1;
	return 0;
}

int
subreq_input(const struct http_query *q, struct subset_input *in,
    const char **field)
{
	const struct http_qparam *qp;
	struct subset_text *t;
	size_t i;

	memset(in, 0, sizeof(*in));
	for (i = 0; i < sizeof(subreq_keys) / sizeof(subreq_keys[0]); i++) {
		if ((qp = http_query_get(q, subreq_keys[i].key)) == NULL)
			continue;
		if (qp->sub != NULL) {
			*field = subreq_keys[i].key + 8;
			return -1;
		}
		t = (struct subset_text *)((char *)in + subreq_keys[i].off);
		t->p = qp->val;
		t->len = qp->vlen;
	}
	return 0;
}

char *
subreq_invalid_body(const char *field, const char *msg)
{
	struct sbuf b;
	int flat = strcmp(field, "subset") == 0;

	sbuf_init(&b);
	sbuf_adds(&b, "{\"message\":\"Invalid request\",\"errors\":{\"subset\":");
	if (!flat) {
		sbuf_addc(&b, '{');
		sbuf_add_json_str(&b, field, strlen(field));
		sbuf_addc(&b, ':');
	}
	sbuf_addc(&b, '[');
	sbuf_add_json_str(&b, msg, strlen(msg));
	sbuf_adds(&b, flat ? "]}}" : "]}}}");
	return b.p;
}

static void
subreq_invalid(struct hreq *r, const char *field, const char *msg)
{
	char *body;

	if (*field == '\0' || !http_utf8_valid(field, strlen(field)) ||
	    strlen(field) > 32)
		field = "where";
	if (!http_utf8_valid(msg, strlen(msg)))
		msg = "is invalid";
	body = subreq_invalid_body(field, msg);
	serve_json(r, 400, body, 0);
	free(body);
}

/* ---- validation and sending ---- */

static int
subreq_validate(struct hreq *r)
{
	struct subset_input in;
	struct subset_err err;
	const char *field;
	int rc;

	memset(&err, 0, sizeof(err));
	if (r->subset == HREQ_SUBSET_BODY)
		rc = subset_from_body(r->body, r->body_len, r->eschema, &r->sub,
		    &err);
	else if (subreq_input(&r->q, &in, &field) == -1) {
		subreq_invalid(r, field, "is invalid");
		return -1;
	} else
		rc = subset_from_query(&in, r->eschema, &r->sub, &err);
	if (rc == -1) {
		err.field[sizeof(err.field) - 1] = '\0';
		err.msg[sizeof(err.msg) - 1] = '\0';
		subreq_invalid(r, err.field, err.msg);
		return -1;
	}
	r->sub_valid = 1;
	return 0;
}

/* electric-offset: the chunk end for the request offset (§7.3); -1 with
 * errno when the shape's files are unreadable. */
static int
subreq_end(struct hreq *r, struct shape_ent *e,
    const struct shapelog_state *st)
{
	struct shapelog_plan plan;

	switch (shapelog_plan(e->dir, st, r->p.offset_kind, &r->p.offset,
	    &plan)) {
	case SHAPELOG_OK:
	case SHAPELOG_AT_END:
		r->sub_end = plan.end;
		return 0;
	case SHAPELOG_ERROR:
		return -1;
	default:	/* snapshot not done yet, or ahead of the log */
		if (r->p.offset_kind == OFFSET_REAL)
			r->sub_end = r->p.offset;
		else
			r->sub_end.tx = r->sub_end.op = 0;
		return 0;
	}
}

static void
subreq_unavailable(struct hreq *r, const char *msg)
{
	serve_unavailable(r, msg, 10);
}

static void
subreq_no_consumer(struct hreq *r)
{
	log_warnx("request %s: shape %s has no consumer connected", r->reqid,
	    r->handle);
	subreq_unavailable(r, "Timeout waiting for the shape's consumer, "
	    "please retry");
}

static void
subreq_no_snapshot(struct hreq *r)
{
	log_warnx("request %s: snapshot of shape %s still running", r->reqid,
	    r->handle);
	subreq_unavailable(r, "Timeout waiting for the shape snapshot, "
	    "please retry");
}

static void
subreq_timeout(struct hreq *r)
{
	log_warnx("request %s: no subset reply for shape %s", r->reqid,
	    r->handle);
	subreq_unavailable(r, "Timeout waiting for the subset snapshot, "
	    "please retry");
}

static void
subreq_send(struct hreq *r, struct shape_ent *e)
{
	struct mbuf m;
	int rc;

	if (++sub_next_id == 0)
		sub_next_id = 1;
	r->sub_id = sub_next_id;
	mbuf_init(&m);
	subset_encode(&r->sub, &m);
	rc = chan_sendm(e->chan, MSG_SUBSET_REQ, r->sub_id, &m);
	mbuf_free(&m);
	if (rc == -1) {
		subreq_unavailable(r, "The shape's consumer is not reachable, "
		    "please retry");
		return;
	}
	r->sub_chan = e->chan;
	hreq_wait(r, HREQ_WAIT_SUBSET, &sub_pending, SUBREQ_REPLY_MS,
	    subreq_timeout);
}

void
subreq_attempt(struct hreq *r)
{
	struct shapelog_state st;
	struct shape_ent *e;

	if (!r->sub_valid && subreq_validate(r) == -1)
		return;
	e = live_ent(r->handle);
	if (e->chan == NULL) {
		hreq_wait(r, HREQ_WAIT_CONSUMER, &e->waiters,
		    SUBREQ_CONSUMER_WAIT_MS, subreq_no_consumer);
		return;
	}
	if (live_state(e, &st) == 0 && !st.snap_done) {
		/* the consumer runs subsets once its snapshot is stored */
		hreq_wait(r, HREQ_WAIT_SNAPSHOT, &e->waiters,
		    SUBREQ_SNAPSHOT_WAIT_MS, subreq_no_snapshot);
		return;
	}
	if (live_state(e, &st) == -1 || subreq_end(r, e, &st) == -1) {
		if (errno == ENOENT)
			serve_must_refetch(r, NULL);
		else
			subreq_unavailable(r, "Unable to read the shape log, "
			    "please retry");
		return;
	}
	subreq_send(r, e);
}

/* ---- replies ---- */

static void
subreq_ok(struct hreq *r, const char *body)
{
	char ob[OFFSET_STRLEN];

	serve_prelude(r, 200, 1);
	serve_hdr(r, "electric-snapshot", "true");
	serve_hdr(r, "electric-handle", r->handle);
	serve_hdr(r, "electric-offset", offset_fmt(&r->sub_end, ob));
	serve_hdr(r, "electric-schema", r->eschema != NULL && *r->eschema ?
	    r->eschema : "{}");
	serve_hdr(r, "content-type", "application/json; charset=utf-8");
	serve_body(r, 200, body, strlen(body));
}

void
subreq_reply(struct chan *c, const struct frame *f)
{
	struct mreader mr;
	struct hreq *r;
	uint16_t status;
	char *body, *field;

	mr_init(&mr, f->data, f->len);
	status = mr_u16(&mr);
	body = mr_str(&mr);
	field = mr_str(&mr);
	if (mr_done(&mr) == -1) {
		log_warnx("malformed SUBSET_REPLY (pid %d)", (int)f->pid);
		goto out;
	}
	TAILQ_FOREACH(r, &sub_pending, link)
		if (r->sub_id == f->id && r->sub_chan == c)
			break;
	if (r == NULL)		/* its client went away */
		goto out;
	if (status == 200)
		subreq_ok(r, body);
	else if (status == 400)
		subreq_invalid(r, field, body);
	else
		subreq_unavailable(r, *body != '\0' &&
		    http_utf8_valid(body, strlen(body)) ? body :
		    "Subset snapshot failed, please retry");
out:
	free(body);
	free(field);
}

void
subreq_chan_closed(struct chan *c)
{
	struct hreq *r, *nx;

	for (r = TAILQ_FIRST(&sub_pending); r != NULL; r = nx) {
		nx = TAILQ_NEXT(r, link);
		if (r->sub_chan == c)
			subreq_unavailable(r, "The shape's consumer went away, "
			    "please retry");
	}
}
