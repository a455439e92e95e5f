/*
 * params: pure request decoding for the HTTP Shape API (PROTOCOL.md §1.1,
 * §1.3, §1.4, §2.2).  No I/O and no libevent: route normalisation,
 * query-string decoding, authentication, parameter validation with the
 * exact 400 bodies (the `table` identifier itself is parsed by ident.h),
 * and the pure response helpers (cursor, ETag matching, handle check).
 * Called by http.c and serve.c; unit-tested by
 * tests/unit/test_http_params.c.
 */
#ifndef ELECTRICD_HTTP_PARAMS_H
#define ELECTRICD_HTTP_PARAMS_H

#include <stddef.h>

#include "offset.h"
#include "util.h"

enum http_route {
	HTTP_ROUTE_NOT_FOUND = 0,
	HTTP_ROUTE_ROOT,		/* "/" */
	HTTP_ROUTE_SHAPE,		/* "/v1/shape" */
	HTTP_ROUTE_HEALTH		/* "/v1/health" */
};

/* Splits a raw request target into its path (malloc'd, "/" when empty)
 * and its query (malloc'd, without "?", NULL when absent); a fragment is
 * dropped, and so are the scheme and authority of an absolute-form
 * target ("http://host/p?q").  Nothing is decoded. */
void http_target_split(const char *raw, char **path, char **query);

/* Resolves a raw path (no query) after splitting on "/", dropping empty
 * segments and percent-decoding each segment (§1.1).  Returns 0, or -1
 * when a segment has an invalid percent escape. */
int http_route_parse(const char *path, enum http_route *out) WUR;

/* One decoded query parameter.  key "params[1]" is stored as key "params",
 * sub "1".  Every string is NUL-terminated after its length; decoded data
 * may contain NUL bytes, so lengths are authoritative. */
struct http_qparam {
	char	*key;
	size_t	 klen;
	char	*sub;		/* bracket sub-key, NULL when absent */
	size_t	 slen;
	char	*val;
	size_t	 vlen;
};

struct http_query {
	struct http_qparam	*v;
	size_t			 n;
	size_t			 cap;
};

#define HTTP_QUERY_MAX_PARAMS	1024

/* Decodes a raw query string (may be NULL): "&"-separated, "+" is a space,
 * %XX escapes, bracket keys.  Returns 0, or -1 with errno EINVAL (an
 * invalid escape) or E2BIG (too many parameters); q is then empty. */
int http_query_parse(const char *qs, struct http_query *q) WUR;
void http_query_free(struct http_query *q);
/* The last occurrence of key (with or without a bracket sub-key). */
const struct http_qparam *http_query_get(const struct http_query *,
    const char *key);

/* Percent-decodes s[0..n) into a new buffer (NUL-terminated); plus_space
 * turns "+" into " ".  Returns 0, or -1 on an invalid escape. */
int http_pct_decode(const char *s, size_t n, int plus_space, char **out,
    size_t *outlen) WUR;

/* §1.3: 1 when the request may pass (insecure mode, or `secret` -- or,
 * when absent, `api_secret` -- equals secret exactly), else 0. */
int http_auth_ok(const struct http_query *, int insecure, const char *secret);

/* A validated shape request (§2.1). */
struct shape_params {
	enum offset_kind	 offset_kind;
	struct offset		 offset;	/* when OFFSET_REAL */
	char			*handle;	/* NULL for -1 / now */
	int			 live;
	int			 live_sse;
	char			*cursor;	/* NULL when absent */
	char			*table;		/* decoded raw parameter */
	char			*schema_name;	/* parsed */
	char			*table_name;
	int			 log_mode;	/* 0 full, 1 changes_only (§7.4) */
	int			 replica_full;	/* replica=full (§6.4) */
	char			*where;		/* NULL when absent or empty */
	char		       **params;	/* params[i] = value of $(i+1) */
	size_t			 nparams;
	char		       **columns;	/* parsed names; NULL = all */
	size_t			 ncolumns;
};

/* §2.2 stages 2-7, then the syntax of columns (§2.4) and params (§2.5);
 * where, and columns against the table, are checked by shapecache.
 * Returns 0 with p filled (free with http_params_free), or -1 with
 * *err_body the complete JSON body of the 400 (malloc'd). */
int http_params_validate(const struct http_query *, struct shape_params *p,
    char **err_body) WUR;
void http_params_free(struct shape_params *p);

/* DELETE /v1/shape (§14.2): the same casts and definition parameters as
 * a GET, but table and handle are each optional (p->table NULL: by
 * handle only; p->handle NULL: by definition only); neither is a 400.
 * Returns 0 with p filled, or -1 with *err_body as above. */
int http_delete_validate(const struct http_query *, struct shape_params *p,
    char **err_body) WUR;

/* {"message":"Invalid request","errors":{"<field>":["<msg>"]}} (malloc'd;
 * msg is JSON-escaped and must be valid UTF-8). */
char *http_invalid_body(const char *field, const char *msg);

/* §8.2 electric-cursor: the next multiple of long_poll_ms/1000 seconds
 * since 2024-10-09T00:00:00Z, or the request's cursor plus 1..3600 (from
 * rnd) when that is not smaller.  prev may be NULL. */
#define HTTP_CURSOR_EPOCH	1728432000ULL
uint64_t http_cursor_next(int long_poll_ms, uint64_t now_s, const char *prev,
    uint32_t rnd);

/* §5.4: 1 when one comma-separated entry of an If-None-Match value (NULL:
 * none), trimmed of whitespace, W/ and quotes, equals etag (unquoted). */
int http_etag_match(const char *inm, const char *etag);

/* 1 when h is usable as a handle and a directory name: 1..128 bytes of
 * [A-Za-z0-9_-] (handles come from shapecache and consumers; checked
 * anyway because they become paths). */
int http_handle_ok(const char *h);

#endif
