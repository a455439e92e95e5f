/*
 * admit: admission control for shape requests (PROTOCOL.md §15).  Two
 * classes of requests in flight are counted against their own limits:
 * "initial" (no handle, or a handle this http process does not know) and
 * "existing" (every other).  A request over its class's limit is refused
 * with a 503 at once.  Pure counting; the http process keeps one
 * instance (http_admit) and every hreq releases its slot exactly once.
 * Unit-tested by tests/unit/test_http_admit.c.
 */
#ifndef ELECTRICD_HTTP_ADMIT_H
#define ELECTRICD_HTTP_ADMIT_H

#include <stdint.h>

enum admit_class {
	ADMIT_NONE = -1,	/* not counted (yet, or any more) */
	ADMIT_INITIAL = 0,
	ADMIT_EXISTING = 1,
	ADMIT_NCLASSES
};

struct admit {
	unsigned	inflight[ADMIT_NCLASSES];
	unsigned	limit[ADMIT_NCLASSES];
};

extern struct admit http_admit;

void admit_init(struct admit *, unsigned max_initial, unsigned max_existing);
/* Counts one request of class c and returns 0, or returns -1 (nothing
 * counted) when c is at its limit. */
int admit_try(struct admit *, enum admit_class c);
/* Releases a slot taken by admit_try; ADMIT_NONE is a no-op. */
void admit_release(struct admit *, enum admit_class c);
/* The 503 body for class c (malloc'd). */
char *admit_body(const struct admit *, enum admit_class c);
/* retry-after seconds: uniformly 5..10 from rnd. */
int admit_retry_after(uint32_t rnd);

#endif
