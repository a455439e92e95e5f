/*
 * shapereq: a shape definition as http received it, and its MSG_SHAPE_REQ
 * / MSG_SHAPE_DELETE payload (common/msg.h), http -> shapecache.  http
 * has checked the syntax it can check alone (§2.2 stages 2-7, column
 * identifiers §2.4, params numbering §2.5); shapecache checks the rest
 * against the catalog (shapecache/shapedef.c).
 */
#ifndef ELECTRICD_SHAPEREQ_H
#define ELECTRICD_SHAPEREQ_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "util.h"

#define SHAPEREQ_CREATE		1	/* flags: create if missing (§4.3) */
#define SHAPEREQ_LIVE		2	/* a live request: wake a suspended shape */

struct shape_req {
	char		 *table;	/* the raw `table` parameter */
	char		 *handle;	/* "" = none */
	uint8_t		  flags;
	uint8_t		  log_mode;	/* 0 full, 1 changes_only */
	uint8_t		  replica_full;	/* replica=full */
	char		 *where;	/* NULL or "" = none */
	char		**params;	/* params[i] = value of $(i+1) */
	size_t		  nparams;
	char		**columns;	/* unquoted names, NULL = all */
	size_t		  ncolumns;
};

void shape_req_encode(const struct shape_req *, struct mbuf *);
/* 0, or -1 when malformed (r is then freed and empty). */
int shape_req_decode(const uint8_t *, size_t, struct shape_req *r) WUR;
void shape_req_free(struct shape_req *);
/* A string naming everything that defines the shape except the handle
 * and flags (a cache key: equal keys = equal definitions). */
char *shape_req_key(const struct shape_req *);

#endif
