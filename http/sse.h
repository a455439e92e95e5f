/*
 * sse: live requests in Server-Sent Events mode (PROTOCOL.md §8.3,
 * `live=true&live_sse=true`).  The stream starts with the live headers
 * and the start offset; every stored message becomes one event
 * "data: <json>\n\n", each batch that reaches the end of the log is
 * followed by an up-to-date event carrying the batch's end TX, a
 * ": keep-alive" comment goes out after SSE_KEEPALIVE_MS without output,
 * and the stream ends after SSE_TIMEOUT_MS or when the shape goes away.
 * Called by serve.c; the framing is pure and unit-tested by
 * tests/unit/test_http_sse.c.
 */
#ifndef ELECTRICD_HTTP_SSE_H
#define ELECTRICD_HTTP_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SSE_TIMEOUT_MS		60000
#define SSE_KEEPALIVE_MS	21000
#define SSE_KEEPALIVE		": keep-alive\n\n"

struct hreq;
struct shape_ent;

/* Appends one event "data: <json>\n\n" per stored entry of p[0..n): the
 * byte range of a shapelog_plan, i.e. entries "<json>\n" separated by
 * ",".  Returns the number of events, or -1 (b unchanged) when the range
 * is not such a sequence. */
int sse_frame_entries(const char *p, size_t n, struct sbuf *b) WUR;
/* Appends the up-to-date event of a batch ending at transaction lsn. */
void sse_frame_up_to_date(struct sbuf *b, uint64_t lsn);

/* r is a live SSE request on shape e whose offset is within the log:
 * send the headers, whatever follows the offset, and keep the stream
 * open (r then waits in e->waiters in state HREQ_SSE). */
void sse_start(struct hreq *r, struct shape_ent *e);
/* The shape's state moved: send what follows the stream's position. */
void sse_push(struct hreq *r);
/* Ends the stream (timeout, or the shape went away) and frees r. */
void sse_end(struct hreq *r);

#endif
