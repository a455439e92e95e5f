/*
 * body: classification of POST /v1/shape bodies (see body.h).  Called by
 * http.c once evhttp has read the whole body.  The subset fields
 * themselves are validated later, against the shape's columns, by
 * common/subset.c (subset_from_body); here only the §15 shape of the body
 * and the §9 trigger are decided.  Error bodies are valid JSON even when
 * the input is not valid UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "body.h"
#include "ident.h"
#include "util.h"

/* Keys that make a POST body a subset request (§9 trigger). */
static const char *const subset_keys[] = {
	"where", "params", "limit", "offset", "order_by", "where_expr",
	"order_by_expr", "subset",
};

static int
all_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

static char *
invalid_json_body(const json_error_t *je)
{
	struct sbuf b;
	size_t tl = strnlen(je->text, sizeof(je->text));

	sbuf_init(&b);
	sbuf_adds(&b, "{\"error\":\"Invalid JSON in request body\",\"details\":");
	if (http_utf8_valid(je->text, tl)) {
		char *d = xasprintf("%.*s at position %d", (int)tl, je->text,
		    je->position);

		sbuf_add_json_str(&b, d, strlen(d));
		free(d);
	} else
		sbuf_addf(&b, "\"invalid byte at position %d\"", je->position);
	sbuf_addc(&b, '}');
	return b.p;
}

static int
has_subset_key(json_t *o)
{
	size_t i;

	for (i = 0; i < sizeof(subset_keys) / sizeof(subset_keys[0]); i++)
		if (json_object_get(o, subset_keys[i]) != NULL)
			return 1;
	return 0;
}

enum http_body_kind
http_body_classify(const char *p, size_t n, size_t max, int *status,
    char **err_body)
{
	json_error_t je;
	json_t *v;
	enum http_body_kind k;

	*status = 0;
	*err_body = NULL;
	if (n > max) {
		*status = 413;
		*err_body = xstrdup("{\"error\":\"Request body too large\"}");
		return HTTP_BODY_ERROR;
	}
	if (all_space(p, n))
		return HTTP_BODY_PLAIN;
	if ((v = json_loadb(p, n, JSON_DECODE_ANY, &je)) == NULL) {
		*status = 400;
		*err_body = invalid_json_body(&je);
		return HTTP_BODY_ERROR;
	}
	if (!json_is_object(v)) {
		*status = 400;
		*err_body = xstrdup("{\"error\":\"Request body must be a JSON "
		    "object\"}");
		k = HTTP_BODY_ERROR;
	} else
		k = has_subset_key(v) ? HTTP_BODY_SUBSET : HTTP_BODY_PLAIN;
	json_decref(v);
	return k;
}
