/*
 * subreq: subset snapshot requests (PROTOCOL.md §9).  Once the main shape
 * is resolved (its handle and electric-schema known), the subset fields
 * (GET subset__* parameters or a POST body) are validated against the
 * shape's columns (common/subset.h) and sent as MSG_SUBSET_REQ to the
 * shape's consumer over its http.sock channel; MSG_SUBSET_REPLY becomes
 * the response: 200 {"metadata":..,"data":[..]} with electric-snapshot,
 * or a 400 nested under "subset", or a 503.
 */
#ifndef ELECTRICD_HTTP_SUBREQ_H
#define ELECTRICD_HTTP_SUBREQ_H

#include "subset.h"

#define SUBREQ_CONSUMER_WAIT_MS	5000	/* for the consumer to connect */
#define SUBREQ_SNAPSHOT_WAIT_MS	60000	/* for the shape's snapshot */
#define SUBREQ_REPLY_MS		60000	/* for MSG_SUBSET_REPLY */

struct chan;
struct frame;
struct hreq;
struct http_query;

/* 1 when the query has a subset__* key (§9 trigger). */
int subreq_in_query(const struct http_query *);
/* Collects the subset__* parameters into in (pointers into q).  Returns
 * 0, or -1 with *field naming a parameter in bracket form. */
int subreq_input(const struct http_query *q, struct subset_input *in,
    const char **field) WUR;
/* {"message":"Invalid request","errors":{"subset":{field:[msg]}}}, or
 * {"subset":[msg]} for field "subset" (malloc'd; msg must be UTF-8). */
char *subreq_invalid_body(const char *field, const char *msg);

/* serve_attempt for a subset request (r->handle, r->eschema set). */
void subreq_attempt(struct hreq *r);
/* MSG_SUBSET_REPLY received on channel c. */
void subreq_reply(struct chan *c, const struct frame *f);
/* Channel c closed: requests in flight on it get a 503. */
void subreq_chan_closed(struct chan *c);

#endif
