/*
 * subset: pure validation and canonicalisation of subset-snapshot
 * parameters (PROTOCOL.md §9, §10, §2.5).  No Postgres, no I/O: the
 * `where` and `order_by` texts are parsed with libpg_query, checked
 * against an allowlist of node kinds and the shape's columns, and
 * deparsed into canonical SQL; the user's raw text never reaches SQL.
 * Called by http (GET subset__* parameters and POST bodies) and by the
 * consumer (MSG_SUBSET_REQ payload).  Unit-tested by
 * tests/unit/test_subset.c.
 */
#ifndef ELECTRICD_SUBSET_H
#define ELECTRICD_SUBSET_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "util.h"

#define SUBSET_NONE		UINT64_MAX	/* limit / offset absent */
#define SUBSET_MAX_TEXT		(256u * 1024)	/* where / order_by bytes */
#define SUBSET_MAX_PARAMS	1000

/* A validated subset request. */
struct subset {
	char	 *where;	/* canonical boolean expression, NULL = none */
	char	 *order_by;	/* canonical ORDER BY list, NULL = none */
	char	**params;	/* params[i] is the text value of $(i+1) */
	size_t	  nparams;
	uint64_t  limit;	/* > 0, or SUBSET_NONE */
	uint64_t  offset;	/* >= 0, or SUBSET_NONE */
};

/* A 400: field is "where", "params", "order_by", "limit" or "offset"
 * (or "subset" when a POST body is not a JSON object); the body is
 * {"message":"Invalid request","errors":{"subset":{field:[msg]}}}.
 * msg is valid UTF-8 (may contain quotes: JSON-escape it).  Checks stop at
 * the first failure, in this order: params, limit, offset, where (then
 * "parameter $N was not provided"), order_by, then "order_by is required
 * when limit or offset is present" (under order_by). */
struct subset_err {
	char	field[16];
	char	msg[512];
};

/* Raw GET inputs (subset__where, subset__params, subset__order_by,
 * subset__limit, subset__offset), already percent-decoded; p == NULL means
 * absent.  Lengths are authoritative (a NUL byte inside is an error). */
struct subset_text {
	const char	*p;
	size_t		 len;
};
struct subset_input {
	struct subset_text	where;
	struct subset_text	params;		/* JSON object text {"1":"x"} */
	struct subset_text	order_by;
	struct subset_text	limit;		/* decimal */
	struct subset_text	offset;		/* decimal */
};

/*
 * schema_json is the shape's electric-schema JSON (MSG_SHAPE_REPLY): its
 * keys are the columns a where / order_by may reference.
 * Both return 0 with *out filled (free with subset_free), or -1 with *err.
 */
int subset_from_query(const struct subset_input *, const char *schema_json,
    struct subset *out, struct subset_err *err) WUR;
/* POST body (text of a JSON object; the caller has already answered the
 * §15 "not an object / invalid JSON" cases): flat {"where":..,"params":
 * {..},"limit":10,"offset":0,"order_by":".."} or {"subset":{...}}.  limit /
 * offset may be JSON integers or decimal strings; param values may be
 * strings, numbers or booleans (stringified). */
int subset_from_body(const char *body, size_t len, const char *schema_json,
    struct subset *out, struct subset_err *err) WUR;
/* 1 when a POST body asks for a subset (§9 trigger: a key among where,
 * params, limit, offset, order_by, where_expr, order_by_expr, subset),
 * 0 otherwise (including unparsable bodies). */
int subset_body_is_subset(const char *body, size_t len);
void subset_free(struct subset *);

/* MSG_SUBSET_REQ payload (common/msg.h), http -> consumer. */
void subset_encode(const struct subset *, struct mbuf *);
/* Returns 0, or -1 when the payload is malformed or out of range (limit
 * 0, limit or offset above INT64_MAX but not SUBSET_NONE); out is then
 * empty.  where / order_by are NOT re-validated: the receiver runs
 * subset_where_canon / subset_order_canon on them itself. */
int subset_decode(const uint8_t *, size_t, struct subset *out) WUR;

/*
 * The building blocks, exposed for tests and for the future shape WHERE:
 * ncols names (NUL-terminated) are the referable columns.  On success
 * *canon is the malloc'd canonical SQL, *maxparam the highest $N used (0
 * if none) and, if used is not NULL, *used a malloc'd array of maxparam
 * flags ((*used)[i] != 0: $(i+1) appears; NULL when maxparam is 0); on
 * failure -1 with msg filled ("At location N: ...").
 */
int subset_where_canon(const char *where, size_t len, char *const *cols,
    size_t ncols, char **canon, int *maxparam, uint8_t **used, char *msg,
    size_t msglen) WUR;
int subset_order_canon(const char *order_by, size_t len, char *const *cols,
    size_t ncols, char **canon, char *msg, size_t msglen) WUR;

#endif
