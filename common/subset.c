/*
 * subset: the request half of subset.h -- GET parameters and POST bodies
 * turned into a validated struct subset (PROTOCOL.md §9, §2.5), and the
 * MSG_SUBSET_REQ codec shared by http and the consumer.  The SQL half
 * (where / order_by) is subset_sql.c.
 *
 * Checks run in a fixed order and stop at the first failure: params,
 * limit, offset, where (with its $N against the params), order_by, then
 * "order_by is required when limit or offset is present".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "subset.h"

#define JSON_FLAGS	(JSON_REJECT_DUPLICATES)

static int
fail(struct subset_err *e, const char *field, const char *msg)
{
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return -1;
}

void
subset_free(struct subset *s)
{
	size_t i;

	free(s->where);
	free(s->order_by);
	for (i = 0; i < s->nparams; i++)
		free(s->params[i]);
	free(s->params);
	memset(s, 0, sizeof(*s));
	s->limit = s->offset = SUBSET_NONE;
}

static void
subset_init(struct subset *s)
{
	memset(s, 0, sizeof(*s));
	s->limit = s->offset = SUBSET_NONE;
}

/* ---- params ---- */

/* A JSON scalar as the text Postgres gets ("x", 3, 1.5, true). */
static char *
param_text(json_t *v)
{
	if (json_is_string(v))	/* a NUL cannot travel as a text parameter */
		return strlen(json_string_value(v)) != json_string_length(v) ?
		    NULL : xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_real(v))
		return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	return NULL;
}

/* Decimal key "1".."SUBSET_MAX_PARAMS" -> number, else 0. */
static size_t
param_key(const char *k)
{
	size_t n = 0;

	if (*k == '\0')
		return 0;
	for (; *k != '\0'; k++) {
		if (*k < '0' || *k > '9')
			return 0;
		n = n * 10 + (size_t)(*k - '0');
		if (n > SUBSET_MAX_PARAMS)
			return SUBSET_MAX_PARAMS + 1;
	}
	return n;
}

/* {"1":"a","2":"b"} -> s->params.  field is "params". */
static int
params_from_json(json_t *obj, struct subset *s, struct subset_err *e)
{
	const char *k;
	json_t *v;
	size_t n, count = json_object_size(obj);
	char *txt;

	if (!json_is_object(obj))
		return fail(e, "params", "is invalid");
	json_object_foreach(obj, k, v)
		if (param_key(k) == 0 && strcmp(k, "0") != 0)
			return fail(e, "params",
			    "Parameters can only use numbers as keys");
	if (count > SUBSET_MAX_PARAMS)
		return fail(e, "params", "has too many parameters");
	s->params = xcalloc(count ? count : 1, sizeof(char *));
	s->nparams = count;
	json_object_foreach(obj, k, v) {
		n = param_key(k);
		if (n < 1 || n > count || s->params[n - 1] != NULL)
			return fail(e, "params", "Parameters must be numbered "
			    "sequentially, starting from 1");
		if ((txt = param_text(v)) == NULL)
			return fail(e, "params", "is invalid");
		s->params[n - 1] = txt;
	}
	return 0;
}

static int
params_from_text(const struct subset_text *t, struct subset *s,
    struct subset_err *e)
{
	json_error_t je;
	json_t *obj;
	int r;

	if (t->p == NULL || t->len == 0)
		return 0;
	if ((obj = json_loadb(t->p, t->len, JSON_FLAGS, &je)) == NULL)
		return fail(e, "params", "is invalid");
	r = params_from_json(obj, s, e);
	json_decref(obj);
	return r;
}

/* ---- limit / offset ---- */

/* Decimal integer text (optional '-') -> *v; -1 when not an integer. */
static int
int_text(const char *p, size_t len, int64_t *v)
{
	int neg = 0;
	uint64_t n = 0;
	size_t i = 0;

	if (len > 0 && p[0] == '-')
		neg = 1, i = 1;
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9' || n > (uint64_t)INT64_MAX / 10)
			return -1;
		n = n * 10 + (uint64_t)(p[i] - '0');
		if (n > (uint64_t)INT64_MAX)
			return -1;
	}
	*v = neg ? -(int64_t)n : (int64_t)n;
	return 0;
}

/* min is 1 (limit) or 0 (offset). */
static int
check_count(const char *field, int64_t v, int64_t min, uint64_t *out,
    struct subset_err *e)
{
	if (v < min)
		return fail(e, field, min == 1 ? "must be greater than 0" :
		    "must be greater than or equal to 0");
	*out = (uint64_t)v;
	return 0;
}

static int
count_from_text(const char *field, const struct subset_text *t, int64_t min,
    uint64_t *out, struct subset_err *e)
{
	int64_t v;

	if (t->p == NULL)
		return 0;
	if (int_text(t->p, t->len, &v) == -1)
		return fail(e, field, "is invalid");
	return check_count(field, v, min, out, e);
}

static int
count_from_json(const char *field, json_t *j, int64_t min, uint64_t *out,
    struct subset_err *e)
{
	const char *s;
	int64_t v;

	if (j == NULL || json_is_null(j))
		return 0;
	if (json_is_integer(j))
		v = json_integer_value(j);
	else if ((s = json_string_value(j)) == NULL ||
	    int_text(s, json_string_length(j), &v) == -1)
		return fail(e, field, "is invalid");
	return check_count(field, v, min, out, e);
}

/* ---- columns ---- */

static char **
schema_cols(const char *schema_json, size_t *n)
{
	json_t *obj = json_loads(schema_json != NULL ? schema_json : "", 0, NULL);
	const char *k;
	json_t *v;
	char **cols;

	*n = 0;
	if (!json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	cols = xcalloc(json_object_size(obj) + 1, sizeof(char *));
	json_object_foreach(obj, k, v)
		cols[(*n)++] = xstrdup(k);
	json_decref(obj);
	return cols;
}

static void
free_cols(char **cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(cols[i]);
	free(cols);
}

/* ---- where / order_by, the common tail ---- */

static int
check_where(const struct subset_text *t, char *const *cols, size_t ncols,
    struct subset *s, struct subset_err *e)
{
	uint8_t *used = NULL;
	int maxp, i;

	if (t->p == NULL || t->len == 0)
		return 0;
	if (subset_where_canon(t->p, t->len, cols, ncols, &s->where, &maxp,
	    &used, e->msg, sizeof(e->msg)) == -1) {
		snprintf(e->field, sizeof(e->field), "where");
		return -1;
	}
	for (i = 0; i < maxp; i++)
		if (used[i] && (size_t)i >= s->nparams) {
			snprintf(e->field, sizeof(e->field), "where");
			snprintf(e->msg, sizeof(e->msg),
			    "parameter $%d was not provided", i + 1);
			free(used);
			return -1;
		}
	free(used);
	return 0;
}

static int
check_order(const struct subset_text *t, char *const *cols, size_t ncols,
    struct subset *s, struct subset_err *e)
{
	if (t->p != NULL && t->len > 0 &&
	    subset_order_canon(t->p, t->len, cols, ncols, &s->order_by, e->msg,
	    sizeof(e->msg)) == -1) {
		snprintf(e->field, sizeof(e->field), "order_by");
		return -1;
	}
	if (s->order_by == NULL &&
	    (s->limit != SUBSET_NONE || s->offset != SUBSET_NONE))
		return fail(e, "order_by",
		    "order_by is required when limit or offset is present");
	return 0;
}

static int
check_sql(const struct subset_text *where, const struct subset_text *order,
    const char *schema_json, struct subset *s, struct subset_err *e)
{
	size_t ncols;
	char **cols = schema_cols(schema_json, &ncols);
	int r;

	if (cols == NULL)
		return fail(e, "where", "the shape's columns are unknown");
	r = check_where(where, cols, ncols, s, e);
	if (r == 0)
		r = check_order(order, cols, ncols, s, e);
	free_cols(cols, ncols);
	return r;
}

int
subset_from_query(const struct subset_input *in, const char *schema_json,
    struct subset *out, struct subset_err *e)
{
	subset_init(out);
	if (params_from_text(&in->params, out, e) == -1 ||
	    count_from_text("limit", &in->limit, 1, &out->limit, e) == -1 ||
	    count_from_text("offset", &in->offset, 0, &out->offset, e) == -1 ||
	    check_sql(&in->where, &in->order_by, schema_json, out, e) == -1) {
		subset_free(out);
		return -1;
	}
	return 0;
}

/* ---- POST bodies ---- */

static const char *const body_keys[] = {
	"where", "params", "limit", "offset", "order_by", "where_expr",
	"order_by_expr",
};

/* The object holding the subset fields ({"subset":{..}} or the body). */
static json_t *
body_fields(json_t *root)
{
	json_t *sub = json_object_get(root, "subset");

	return json_is_object(sub) ? sub : root;
}

int
subset_body_is_subset(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
	size_t i;
	int r = 0;

	if (json_is_object(root)) {
		r = json_object_get(root, "subset") != NULL;
		for (i = 0; !r && i < sizeof(body_keys) / sizeof(body_keys[0]); i++)
			r = json_object_get(root, body_keys[i]) != NULL;
	}
	json_decref(root);
	return r;
}

/* A string field -> subset_text (borrowed from j); -1 when not a string. */
static int
text_field(json_t *obj, const char *key, struct subset_text *t)
{
	json_t *v = json_object_get(obj, key);

	t->p = NULL;
	t->len = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	t->p = json_string_value(v);
	t->len = json_string_length(v);
	return 0;
}

static int
from_fields(json_t *f, const char *schema_json, struct subset *out,
    struct subset_err *e)
{
	struct subset_text where, order;
	json_t *p = json_object_get(f, "params");

	if (p != NULL && !json_is_null(p) && params_from_json(p, out, e) == -1)
		return -1;
	if (count_from_json("limit", json_object_get(f, "limit"), 1,
	    &out->limit, e) == -1 ||
	    count_from_json("offset", json_object_get(f, "offset"), 0,
	    &out->offset, e) == -1)
		return -1;
	if (text_field(f, "where", &where) == -1)
		return fail(e, "where", "is invalid");
	if (text_field(f, "order_by", &order) == -1)
		return fail(e, "order_by", "is invalid");
	return check_sql(&where, &order, schema_json, out, e);
}

int
subset_from_body(const char *body, size_t len, const char *schema_json,
    struct subset *out, struct subset_err *e)
{
	json_t *root;
	int r;

	subset_init(out);
	/* JSON_ALLOW_NUL: a NUL inside where is then reported by position */
	root = json_loadb(body, len, JSON_FLAGS | JSON_ALLOW_NUL, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return fail(e, "subset", "is invalid");
	}
	r = from_fields(body_fields(root), schema_json, out, e);
	json_decref(root);
	if (r == -1)
		subset_free(out);
	return r;
}

/* ---- MSG_SUBSET_REQ ---- */

void
subset_encode(const struct subset *s, struct mbuf *mb)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_addc(&b, '{');
	for (i = 0; i < s->nparams; i++) {
		sbuf_addf(&b, "%s\"%zu\":", i > 0 ? "," : "", i + 1);
		sbuf_add_json_str(&b, s->params[i], strlen(s->params[i]));
	}
	sbuf_addc(&b, '}');
	mbuf_str(mb, s->where);
	mbuf_str(mb, b.p);
	mbuf_str(mb, s->order_by);
	mbuf_u64(mb, s->limit);
	mbuf_u64(mb, s->offset);
	sbuf_free(&b);
}

static char *
empty_null(char *s)
{
	if (s != NULL && *s == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

int
subset_decode(const uint8_t *p, size_t len, struct subset *out)
{
	struct subset_text pt;
	struct subset_err e;
	struct mreader mr;
	char *params;
	int r;

	subset_init(out);
	mr_init(&mr, p, len);
	out->where = empty_null(mr_str(&mr));
	params = mr_str(&mr);
	out->order_by = empty_null(mr_str(&mr));
	out->limit = mr_u64(&mr);
	out->offset = mr_u64(&mr);
	pt.p = params;
	pt.len = strlen(params);
	r = mr.err || mr_done(&mr) == -1 || out->limit == 0 ||
	    (out->limit != SUBSET_NONE && out->limit > INT64_MAX) ||
	    (out->offset != SUBSET_NONE && out->offset > INT64_MAX) ? -1 :
	    params_from_text(&pt, out, &e);
	free(params);
	if (r == -1)
		subset_free(out);
	return r;
}
