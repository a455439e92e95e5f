/*
 * sclient: the http process's client channel to shapecache
 * (run/shapecache.sock): MSG_SHAPE_REQ out, MSG_SHAPE_REPLY back (§4.3),
 * and MSG_SHAPE_DELETE / MSG_SHAPE_DELETE_REPLY (§14.2), matched by
 * correlation id.  Requests queue while the channel is down and
 * are (re)sent when it comes back; one that could not be sent for
 * SCLIENT_DOWN_MS gets a 503.
 */
#ifndef ELECTRICD_HTTP_SCLIENT_H
#define ELECTRICD_HTTP_SCLIENT_H

#include "hreq.h"

#define SCLIENT_RETRY_MIN_MS	5	/* doubling: it is starting */
#define SCLIENT_RETRY_MS	50
#define SCLIENT_DOWN_MS		5000
#define SCLIENT_REPLY_MS	30000

struct event_base;

void sclient_init(struct event_base *);
/* r->p is validated: resolve the shape, then serve (serve_attempt) or
 * answer the error. */
void sclient_request(struct hreq *r);
/* DELETE /v1/shape with r->p validated by http_delete_validate: ask
 * shapecache to delete the shape and answer 202 / 400 / 404 / 503. */
void sclient_delete(struct hreq *r);
/* Asks shapecache to delete the shape handle (its files are damaged:
 * serve.c); its waiting clients then get 409 through MSG_SHAPE_GONE.
 * Nothing if shapecache is not connected. */
void sclient_drop(const char *handle);
int sclient_connected(void);

#endif
