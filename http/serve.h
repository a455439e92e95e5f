/*
 * serve: builds and sends every response of the http process: the
 * headers common to all responses (§1.2), the cache-control matrix
 * (§5.3), error bodies, and shape-log responses planned by shapelog_plan
 * (§5.2, §5.4, §7.3, §7.5, §7.6, §8.1).  Each serve_* call that answers
 * a request frees it (hreq_send).
 */
#ifndef ELECTRICD_HTTP_SERVE_H
#define ELECTRICD_HTTP_SERVE_H

#include "hreq.h"

/* Text body without content-type (404 "Not found"). */
void serve_text(struct hreq *r, int code, const char *text);
/* Empty body (GET / -> 200). */
void serve_empty(struct hreq *r, int code);
/* JSON body; retry_after > 0 adds retry-after. */
void serve_json(struct hreq *r, int code, const char *json, int retry_after);
/* 503 {"message":msg} with electric-internal-known-error and Retry-After. */
void serve_unavailable(struct hreq *r, const char *msg, int retry_after);
/* 400 {"message":"Invalid request","errors":{field:[msg]}}. */
void serve_invalid(struct hreq *r, const char *field, const char *msg);
/* 401 {"message":"Unauthorized - Invalid API secret"}. */
void serve_unauthorized(struct hreq *r);
/* 409 must-refetch (§4.4); handle may be NULL. */
void serve_must_refetch(struct hreq *r, const char *handle);
/* OPTIONS /v1/shape (§14.3). */
void serve_options(struct hreq *r);
/* GET /v1/health (§14.1); health is an enum stack_health. */
void serve_health(struct hreq *r, int health);

/* r->handle and r->eschema are set: serve the log, start waiting, run a
 * subset request (subreq.c) or start / feed an SSE stream (sse.c).  Also
 * called again for every waiter when its shape's state moves. */
void serve_attempt(struct hreq *r);
/* The shape of a waiting r is gone: 409, or the end of its SSE stream. */
void serve_gone(struct hreq *r);
/* A consumer told what its last publish added (MSG_SHAPE_NOTIFY): keep
 * it as the plan (and bytes, if carried) for a request at t->from on
 * state st, so that the wake that follows searches no index. */
struct shape_ent;
struct shapelog_state;
struct shapelog_tail;
void serve_memo_tail(const struct shape_ent *, const struct shapelog_state *,
    const struct shapelog_tail *t);

/* Building blocks for sse.c and subreq.c. */
void serve_hdr(struct hreq *r, const char *key, const char *value);
/* The common headers (§1.2) and cache-control (§5.3) of a response. */
void serve_prelude(struct hreq *r, int code, int has_handle);
/* electric-cursor (§8.2). */
void serve_cursor(struct hreq *r);
/* Content-length and an in-memory body (none for HEAD); frees r. */
void serve_body(struct hreq *r, int code, const char *body, size_t n);

#endif
