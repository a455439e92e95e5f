/*
 * body: the JSON body of POST /v1/shape (PROTOCOL.md §9, §15).  An empty
 * body (or only whitespace) and an object without subset keys are plain
 * log requests; an object with one of the §9 keys is a subset request;
 * everything else is answered with the exact §15 error.  Pure (jansson
 * only), called by http.c; unit-tested by tests/unit/test_http_body.c.
 */
#ifndef ELECTRICD_HTTP_BODY_H
#define ELECTRICD_HTTP_BODY_H

#include <stddef.h>

/* Bodies above this get a JSON 413; libevent refuses bodies above
 * HTTP_BODY_HARD_MAX itself (its own 413, without the JSON body). */
#define HTTP_BODY_MAX		(1024 * 1024)
#define HTTP_BODY_HARD_MAX	(32 * 1024 * 1024)

enum http_body_kind {
	HTTP_BODY_PLAIN = 0,	/* a log request, as a GET */
	HTTP_BODY_SUBSET,	/* a subset snapshot request */
	HTTP_BODY_ERROR		/* answer *status with *err_body */
};

/* Classifies body p[0..n) (max: the size limit).  For HTTP_BODY_ERROR,
 * *status is 400 or 413 and *err_body the malloc'd JSON body. */
enum http_body_kind http_body_classify(const char *p, size_t n, size_t max,
    int *status, char **err_body);

#endif
