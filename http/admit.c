/*
 * admit: admission-control counters (see admit.h).  Called by http.c when
 * a shape request arrives and by hreq.c when a request stops counting
 * (answered, streaming started, or its client went away).
 * Invariant: inflight[c] is the number of hreqs whose adm field is c.
 */
#include <stdlib.h>

#include "admit.h"
#include "log.h"
#include "util.h"

struct admit http_admit;

static const char *const admit_names[ADMIT_NCLASSES] = {
	[ADMIT_INITIAL] = "initial",
	[ADMIT_EXISTING] = "existing",
};

void
admit_init(struct admit *a, unsigned max_initial, unsigned max_existing)
{
	a->inflight[ADMIT_INITIAL] = a->inflight[ADMIT_EXISTING] = 0;
	a->limit[ADMIT_INITIAL] = max_initial;
	a->limit[ADMIT_EXISTING] = max_existing;
}

int
admit_try(struct admit *a, enum admit_class c)
{
	if (c < 0 || c >= ADMIT_NCLASSES)
		return 0;
	if (a->inflight[c] >= a->limit[c])
		return -1;
	a->inflight[c]++;
	return 0;
}

void
admit_release(struct admit *a, enum admit_class c)
{
	if (c < 0 || c >= ADMIT_NCLASSES)
		return;
	if (a->inflight[c] == 0) {
		log_warnx("admission: releasing an unused %s slot",
		    admit_names[c]);
		return;
	}
	a->inflight[c]--;
}

char *
admit_body(const struct admit *a, enum admit_class c)
{
	if (c < 0 || c >= ADMIT_NCLASSES)
		c = ADMIT_INITIAL;
	return xasprintf("{\"code\":\"concurrent_request_limit_exceeded\","
	    "\"message\":\"Concurrent %s request limit exceeded (limit: %u), "
	    "please retry\"}", admit_names[c], a->limit[c]);
}

int
admit_retry_after(uint32_t rnd)
{
	return 5 + (int)(rnd % 6);
}
