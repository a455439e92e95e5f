/*
 * where_val: the entry points of the WHERE value library (where_val.h):
 * the arena, type names, and dispatch of parse / compare / output /
 * operators to the per-concern files (where_val_int.h).  Called by the
 * WHERE compiler and evaluator.  Invariant: a wv_val's type decides which
 * union member is valid; nothing here allocates except through the arena.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

struct wv_block {
	struct wv_block	*next;
	size_t		 cap;
	char		 data[];
};

#define WV_BLOCK_MIN	(16u * 1024)

void
wv_arena_init(struct wv_arena *a)
{
	a->head = NULL;
	a->used = 0;
}

void
wv_arena_reset(struct wv_arena *a)
{
	struct wv_block *b, *next;

	if (a->head == NULL)
		return;
	/* keep the newest (largest) block only */
	for (b = a->head->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->used = 0;
}

void
wv_arena_free(struct wv_arena *a)
{
	struct wv_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used = 0;
}

void *
wv_arena_alloc(struct wv_arena *a, size_t n)
{
	struct wv_block *b;
	size_t cap;

	n = (n + 7) & ~(size_t)7;
	if (a->head == NULL || a->head->cap - a->used < n) {
		cap = a->head != NULL ? a->head->cap * 2 : WV_BLOCK_MIN;
		while (cap < n)
			cap *= 2;
		b = xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->next = a->head;
		a->head = b;
		a->used = 0;
	}
	a->used += n;
	return a->head->data + a->used - n;
}

int
wvi_err(struct wv_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
wvi_bad_input(struct wv_err *err, const char *tname, const char *s,
    size_t len)
{
	if (len > 200)
		len = 200;
	return wvi_err(err, "invalid input syntax for type %s: \"%.*s\"",
	    tname, (int)len, s);
}

int
wvi_range(struct wv_err *err, const char *tname, const char *s, size_t len)
{
	if (len > 200)
		len = 200;
	return wvi_err(err, "value \"%.*s\" is out of range for type %s",
	    (int)len, s, tname);
}

int
wvi_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

void
wvi_trim(const char **s, size_t *len)
{
	while (*len > 0 && wvi_isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && wvi_isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* Type names: typname first, then SQL spellings. */
static const struct {
	const char	*name;
	uint8_t		 type;
} wv_names[] = {
	{ "bool", WV_BOOL }, { "int2", WV_INT2 }, { "int4", WV_INT4 },
	{ "int8", WV_INT8 }, { "float4", WV_FLOAT4 }, { "float8", WV_FLOAT8 },
	{ "numeric", WV_NUMERIC }, { "text", WV_TEXT },
	{ "varchar", WV_VARCHAR }, { "bpchar", WV_BPCHAR },
	{ "name", WV_NAME }, { "uuid", WV_UUID }, { "date", WV_DATE },
	{ "time", WV_TIME }, { "timetz", WV_TIMETZ },
	{ "timestamp", WV_TIMESTAMP }, { "timestamptz", WV_TIMESTAMPTZ },
	{ "interval", WV_INTERVAL }, { "bytea", WV_BYTEA },
	{ "json", WV_JSON }, { "jsonb", WV_JSONB },
	{ "boolean", WV_BOOL }, { "smallint", WV_INT2 },
	{ "integer", WV_INT4 }, { "int", WV_INT4 }, { "bigint", WV_INT8 },
	{ "real", WV_FLOAT4 }, { "double precision", WV_FLOAT8 },
	{ "float", WV_FLOAT8 }, { "decimal", WV_NUMERIC },
	{ "character varying", WV_VARCHAR }, { "character", WV_BPCHAR },
	{ "char", WV_BPCHAR },
	{ "time without time zone", WV_TIME },
	{ "time with time zone", WV_TIMETZ },
	{ "timestamp without time zone", WV_TIMESTAMP },
	{ "timestamp with time zone", WV_TIMESTAMPTZ },
};

const char *
wv_type_name(enum wv_type t)
{
	size_t i;

	if (t == WV_ENUM)
		return "enum";
	if (t == WV_ARRAY)
		return "array";
	for (i = 0; i < sizeof(wv_names) / sizeof(wv_names[0]); i++)
		if (wv_names[i].type == t)
			return wv_names[i].name;
	return "unknown";
}

int
wv_type_from_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(wv_names) / sizeof(wv_names[0]); i++)
		if (strlen(wv_names[i].name) == len &&
		    strncasecmp(wv_names[i].name, name, len) == 0)
			return wv_names[i].type;
	return -1;
}

int
wv_type_is_text(enum wv_type t)
{
	return t == WV_TEXT || t == WV_VARCHAR || t == WV_BPCHAR ||
	    t == WV_NAME;
}

int
wv_type_is_int(enum wv_type t)
{
	return t == WV_INT2 || t == WV_INT4 || t == WV_INT8;
}

static int
wv_parse_plain(enum wv_type t, const char *s, size_t len, struct wv_val *out)
{
	out->u.s.p = s;
	out->u.s.len = len;
	(void)t;
	return 0;
}

int
wv_parse(enum wv_type t, enum wv_type elem, const char *s, size_t len,
    struct wv_arena *a, struct wv_val *out, struct wv_err *err)
{
	out->type = t;
	out->elem = 0;
	switch (t) {
	case WV_BOOL:
		return wvi_parse_bool(s, len, out, err);
	case WV_INT2: case WV_INT4: case WV_INT8:
		return wvi_parse_int(t, s, len, out, err);
	case WV_FLOAT4: case WV_FLOAT8:
		return wvi_parse_float(t, s, len, out, err);
	case WV_NUMERIC:
		return wvi_parse_numeric(s, len, a, &out->u.num, err);
	case WV_TEXT: case WV_VARCHAR: case WV_BPCHAR: case WV_NAME:
	case WV_ENUM:
		return wv_parse_plain(t, s, len, out);
	case WV_JSON: case WV_JSONB:
		return wvi_parse_json(t, s, len, a, out, err);
	case WV_UUID:
		return wvi_parse_uuid(s, len, out->u.uuid, err);
	case WV_DATE: case WV_TIME: case WV_TIMETZ: case WV_TIMESTAMP:
	case WV_TIMESTAMPTZ:
		return wvi_parse_time_type(t, s, len, out, err);
	case WV_INTERVAL:
		return wvi_parse_interval(s, len, &out->u.iv, err);
	case WV_BYTEA:
		return wvi_parse_bytea(s, len, a, out, err);
	case WV_ARRAY:
		return wvi_parse_array(elem, s, len, a, out, err);
	default:
		return wvi_err(err, "unsupported type");
	}
}

static int
wv_sign64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int
wv_cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c;

	c = alen == 0 || blen == 0 ? 0 : memcmp(a, b, alen < blen ? alen :
	    blen);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

int
wv_cmp(const struct wv_val *a, const struct wv_val *b)
{
	if (wv_type_is_text(a->type) && wv_type_is_text(b->type))
		return wvi_cmp_text(a, b);
	switch (a->type) {
	case WV_BOOL:
		return (a->u.b > b->u.b) - (a->u.b < b->u.b);
	case WV_INT2: case WV_INT4: case WV_INT8:
		return wv_sign64(a->u.i, b->u.i);
	case WV_FLOAT4: case WV_FLOAT8:
		return wvi_cmp_float(a->u.f, b->u.f);
	case WV_NUMERIC:
		return wvi_numeric_cmp(&a->u.num, &b->u.num);
	case WV_UUID:
		return wv_cmp_bytes((const char *)a->u.uuid, 16,
		    (const char *)b->u.uuid, 16);
	case WV_DATE:
		return wv_sign64(a->u.date, b->u.date);
	case WV_TIME:
		return wv_sign64(a->u.time, b->u.time);
	case WV_TIMETZ:
		return wvi_cmp_timetz(a, b);
	case WV_TIMESTAMP: case WV_TIMESTAMPTZ:
		return wv_sign64(a->u.ts, b->u.ts);
	case WV_INTERVAL:
		return wvi_cmp_interval(&a->u.iv, &b->u.iv);
	case WV_ARRAY:
		return wvi_cmp_array(a->u.arr, b->u.arr);
	case WV_JSONB:
		return wvi_cmp_jsonb(a->u.s.p, a->u.s.len, b->u.s.p,
		    b->u.s.len);
	default:	/* bytea, json, enum */
		return wv_cmp_bytes(a->u.s.p, a->u.s.len, b->u.s.p,
		    b->u.s.len);
	}
}

void
wv_out(const struct wv_val *v, struct sbuf *out)
{
	switch (v->type) {
	case WV_NULL:
		sbuf_adds(out, "NULL");
		break;
	case WV_BOOL:
		sbuf_addc(out, v->u.b ? 't' : 'f');
		break;
	case WV_INT2: case WV_INT4: case WV_INT8:
		sbuf_addf(out, "%lld", (long long)v->u.i);
		break;
	case WV_FLOAT4: case WV_FLOAT8:
		wvi_out_float(v->u.f, v->type == WV_FLOAT4, out);
		break;
	case WV_NUMERIC:
		wvi_numeric_out(&v->u.num, out);
		break;
	case WV_UUID:
		wvi_out_uuid(v->u.uuid, out);
		break;
	case WV_DATE: case WV_TIME: case WV_TIMETZ: case WV_TIMESTAMP:
	case WV_TIMESTAMPTZ: case WV_INTERVAL:
		wvi_out_time_type(v, out);
		break;
	case WV_BYTEA:
		wvi_out_bytea(v->u.s.p, v->u.s.len, out);
		break;
	case WV_ARRAY:
		wvi_out_array(v->u.arr, out);
		break;
	default:
		sbuf_add(out, v->u.s.p, v->u.s.len);
		break;
	}
}

const char *
wv_out_arena(const struct wv_val *v, struct wv_arena *a, size_t *lenp)
{
	struct sbuf sb;
	char *p;

	sbuf_init(&sb);
	wv_out(v, &sb);
	p = wv_arena_alloc(a, sb.len + 1);
	memcpy(p, sb.p, sb.len + 1);
	*lenp = sb.len;
	sbuf_free(&sb);
	return p;
}
