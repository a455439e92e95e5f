/*
 * failed: shape definitions whose snapshot query failed on the data
 * (MSG_SHAPE_FAILED), remembered for FAILED_TTL_MS so that requests for
 * them get that error as a 400 instead of creating the shape again and
 * again.  After the TTL the next request tries again (the data may have
 * changed).  Used by shapecache.c only.
 */
#ifndef ELECTRICD_FAILED_H
#define ELECTRICD_FAILED_H

#define FAILED_TTL_MS	10000
#define FAILED_MAX	1024

void failed_remember(const char *definition, const char *field,
    const char *msg);
/* 1 with *field and *msg (malloc'd) when the definition failed recently,
 * else 0. */
int failed_lookup(const char *definition, char **field, char **msg);

#endif
