/*
 * sclient: the http process's client channel to shapecache
 * (run/shapecache.sock): MSG_SHAPE_REQ out, MSG_SHAPE_REPLY back, matched
 * by correlation id (§4.3).  Requests queue while the channel is down and
 * are (re)sent when it comes back; one that could not be sent for
 * SCLIENT_DOWN_MS gets a 503.
 */
#ifndef ELECTRICD_HTTP_SCLIENT_H
#define ELECTRICD_HTTP_SCLIENT_H

#include "hreq.h"

#define SCLIENT_RETRY_MS	200
#define SCLIENT_DOWN_MS		5000
#define SCLIENT_REPLY_MS	30000

struct event_base;

void sclient_init(struct event_base *);
/* r->p is validated: resolve the shape, then serve (serve_attempt) or
 * answer the error. */
void sclient_request(struct hreq *r);
int sclient_connected(void);

#endif
