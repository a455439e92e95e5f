/*
 * offset: the Shape API's log offsets (PROTOCOL.md §3).
 * An offset is (tx, op); tx 0 is the snapshot area, op OFFSET_INF means
 * "inf".  The request-only forms "-1" and "now" are parse results.
 */
#ifndef ELECTRICD_OFFSET_H
#define ELECTRICD_OFFSET_H

#include <stdint.h>

#define OFFSET_INF UINT64_MAX

struct offset {
	uint64_t tx;
	uint64_t op;
};

enum offset_kind {
	OFFSET_INVALID = 0,
	OFFSET_BEFORE_ALL,	/* "-1" */
	OFFSET_NOW,		/* "now" */
	OFFSET_REAL		/* TX_OP */
};

enum offset_kind offset_parse(const char *s, struct offset *out);
int offset_cmp(const struct offset *, const struct offset *);
/* Writes "tx_op" (or "tx_inf"); buf needs OFFSET_STRLEN bytes. */
#define OFFSET_STRLEN 48
char *offset_fmt(const struct offset *, char *buf);

#endif
