/*
 * where_val_cast: casts between where_val types (Postgres' pg_cast rules
 * for the §10.2 types) and the cast-kind table the compiler uses for
 * implicit coercions.  Called by the compiler (constants) and the
 * evaluator (casts in the AST).  Conversions through text use the type's
 * input parser and output function, as Postgres' I/O casts do.
 */
#include <math.h>
#include <string.h>

#include "where_val_int.h"

struct wv_castrow {
	uint8_t	from, to, kind;
};

#define I WV_CAST_IMPLICIT
#define A WV_CAST_ASSIGN
#define E WV_CAST_EXPLICIT
static const struct wv_castrow wv_casttab[] = {
	{ WV_INT2, WV_INT4, I }, { WV_INT2, WV_INT8, I },
	{ WV_INT2, WV_FLOAT4, I }, { WV_INT2, WV_FLOAT8, I },
	{ WV_INT2, WV_NUMERIC, I }, { WV_INT4, WV_INT8, I },
	{ WV_INT4, WV_FLOAT4, I }, { WV_INT4, WV_FLOAT8, I },
	{ WV_INT4, WV_NUMERIC, I }, { WV_INT8, WV_FLOAT4, I },
	{ WV_INT8, WV_FLOAT8, I }, { WV_INT8, WV_NUMERIC, I },
	{ WV_FLOAT4, WV_FLOAT8, I }, { WV_NUMERIC, WV_FLOAT4, I },
	{ WV_NUMERIC, WV_FLOAT8, I },
	{ WV_INT4, WV_INT2, A }, { WV_INT8, WV_INT2, A },
	{ WV_INT8, WV_INT4, A }, { WV_FLOAT4, WV_INT2, A },
	{ WV_FLOAT4, WV_INT4, A }, { WV_FLOAT4, WV_INT8, A },
	{ WV_FLOAT8, WV_INT2, A }, { WV_FLOAT8, WV_INT4, A },
	{ WV_FLOAT8, WV_INT8, A }, { WV_FLOAT8, WV_FLOAT4, A },
	{ WV_NUMERIC, WV_INT2, A }, { WV_NUMERIC, WV_INT4, A },
	{ WV_NUMERIC, WV_INT8, A }, { WV_FLOAT4, WV_NUMERIC, A },
	{ WV_FLOAT8, WV_NUMERIC, A },
	{ WV_INT4, WV_BOOL, E }, { WV_BOOL, WV_INT4, E },
	{ WV_VARCHAR, WV_TEXT, I }, { WV_BPCHAR, WV_TEXT, I },
	{ WV_NAME, WV_TEXT, I }, { WV_TEXT, WV_VARCHAR, I },
	{ WV_TEXT, WV_BPCHAR, I }, { WV_BPCHAR, WV_VARCHAR, I },
	{ WV_VARCHAR, WV_BPCHAR, I }, { WV_TEXT, WV_NAME, I },
	{ WV_VARCHAR, WV_NAME, I }, { WV_BPCHAR, WV_NAME, A },
	{ WV_NAME, WV_VARCHAR, A }, { WV_NAME, WV_BPCHAR, A },
	{ WV_DATE, WV_TIMESTAMP, I }, { WV_DATE, WV_TIMESTAMPTZ, I },
	{ WV_TIMESTAMP, WV_TIMESTAMPTZ, I }, { WV_TIME, WV_INTERVAL, I },
	{ WV_TIME, WV_TIMETZ, I },
	{ WV_TIMESTAMP, WV_DATE, A }, { WV_TIMESTAMP, WV_TIME, A },
	{ WV_TIMESTAMPTZ, WV_DATE, A }, { WV_TIMESTAMPTZ, WV_TIME, A },
	{ WV_TIMESTAMPTZ, WV_TIMESTAMP, A }, { WV_TIMESTAMPTZ, WV_TIMETZ, A },
	{ WV_INTERVAL, WV_TIME, A }, { WV_TIMETZ, WV_TIME, A },
	{ WV_JSON, WV_JSONB, A }, { WV_JSONB, WV_JSON, A },
};
#undef I
#undef A
#undef E

enum wv_castkind
wv_cast_kind(enum wv_type from, enum wv_type to)
{
	size_t i;

	if (from == to)
		return WV_CAST_IMPLICIT;
	for (i = 0; i < sizeof(wv_casttab) / sizeof(wv_casttab[0]); i++)
		if (wv_casttab[i].from == from && wv_casttab[i].to == to)
			return wv_casttab[i].kind;
	/* I/O conversions: anything -> text types (assignment), text types
	 * -> anything (explicit) */
	if (wv_type_is_text(to) && from != WV_ARRAY)
		return WV_CAST_ASSIGN;
	if (wv_type_is_text(from) && to != WV_ARRAY)
		return WV_CAST_EXPLICIT;
	if (from == WV_ENUM && wv_type_is_text(to))
		return WV_CAST_ASSIGN;
	return WV_CAST_NONE;
}

static int
wv_to_text(const struct wv_val *in, enum wv_type to, struct wv_arena *ar,
    struct wv_val *out)
{
	size_t n;

	out->type = to;
	out->elem = 0;
	if (in->type == WV_BOOL) {
		out->u.s.p = in->u.b ? "true" : "false";
		out->u.s.len = in->u.b ? 4 : 5;
	} else if (wv_type_is_text(in->type) || in->type == WV_ENUM ||
	    in->type == WV_JSON || in->type == WV_JSONB) {
		out->u.s = in->u.s;
		if (in->type == WV_BPCHAR && to != WV_BPCHAR)
			while (out->u.s.len > 0 &&
			    out->u.s.p[out->u.s.len - 1] == ' ')
				out->u.s.len--;
	} else {
		out->u.s.p = wv_out_arena(in, ar, &n);
		out->u.s.len = n;
	}
	return 0;
}

static int
wv_float_to_int(double f, enum wv_type to, int64_t *r, struct wv_err *err)
{
	const char *tn = to == WV_INT2 ? "smallint" : to == WV_INT4 ?
	    "integer" : "bigint";

	f = rint(f);
	if (isnan(f) || f < -9223372036854775808.0 ||
	    f >= 9223372036854775808.0)
		return wvi_err(err, "%s out of range", tn);
	*r = (int64_t)f;
	if (wvi_int_check(to, *r, NULL) != 0)
		return wvi_err(err, "%s out of range", tn);
	return 0;
}

static int
wv_cast_num(const struct wv_val *in, enum wv_type to, struct wv_arena *ar,
    struct wv_val *out, struct wv_err *err)
{
	double f;

	if (wv_type_is_int(in->type)) {
		if (wv_type_is_int(to)) {
			out->u.i = in->u.i;
			return wvi_int_check(to, in->u.i, err);
		}
		if (to == WV_NUMERIC) {
			wvi_numeric_from_int(in->u.i, ar, &out->u.num);
			return 0;
		}
		out->u.f = to == WV_FLOAT4 ? (double)(float)in->u.i :
		    (double)in->u.i;
		return 0;
	}
	if (in->type == WV_NUMERIC) {
		if (wv_type_is_int(to))
			return wvi_numeric_to_int(&in->u.num, to, &out->u.i,
			    err);
		f = wvi_numeric_to_float(&in->u.num);
		out->u.f = to == WV_FLOAT4 ? (double)(float)f : f;
		if ((isinf(out->u.f) && in->u.num.kind == WV_NUM_FINITE) ||
		    (out->u.f == 0 && in->u.num.nd != 0)) {
			struct sbuf sb;
			sbuf_init(&sb);
			wvi_numeric_out(&in->u.num, &sb);
			wvi_err(err, "\"%s\" is out of range for type %s",
			    sb.p, to == WV_FLOAT4 ? "real" : "double precision");
			sbuf_free(&sb);
			return -1;
		}
		return 0;
	}
	if (wv_type_is_int(to))
		return wv_float_to_int(in->u.f, to, &out->u.i, err);
	if (to == WV_NUMERIC)
		return wvi_numeric_from_float(in->u.f, in->type == WV_FLOAT4,
		    ar, &out->u.num, err);
	out->u.f = to == WV_FLOAT4 ? (double)(float)in->u.f : in->u.f;
	if (to == WV_FLOAT4 && isinf(out->u.f) && !isinf(in->u.f))
		return wvi_err(err, "value out of range: overflow");
	if (to == WV_FLOAT4 && out->u.f == 0 && in->u.f != 0)
		return wvi_err(err, "value out of range: underflow");
	return 0;
}

static int
wv_cast_time(const struct wv_val *in, enum wv_type to, struct wv_val *out,
    struct wv_err *err)
{
	int64_t ts, d;

	switch (in->type * 64 + to) {
	case WV_DATE * 64 + WV_TIMESTAMP: case WV_DATE * 64 + WV_TIMESTAMPTZ:
		return wvi_date_to_ts(in->u.date, &out->u.ts, err);
	case WV_TIMESTAMP * 64 + WV_TIMESTAMPTZ:
	case WV_TIMESTAMPTZ * 64 + WV_TIMESTAMP:
		out->u.ts = in->u.ts;
		return 0;
	case WV_TIMESTAMP * 64 + WV_DATE: case WV_TIMESTAMPTZ * 64 + WV_DATE:
		out->u.date = wvi_ts_to_date(in->u.ts);
		return 0;
	case WV_TIMESTAMP * 64 + WV_TIME: case WV_TIMESTAMPTZ * 64 + WV_TIME:
	case WV_TIMESTAMPTZ * 64 + WV_TIMETZ:
		ts = in->u.ts;
		if (ts == WV_TS_POSINF || ts == WV_TS_NEGINF) {
			out->type = WV_NULL;	/* Postgres returns NULL */
			return 0;
		}
		d = wvi_ts_to_date(ts);
		out->u.ttz.us = ts - d * WV_USECS_PER_DAY;
		out->u.ttz.zone = 0;
		return 0;
	case WV_TIME * 64 + WV_INTERVAL:
		memset(&out->u.iv, 0, sizeof(out->u.iv));
		out->u.iv.us = in->u.time;
		return 0;
	case WV_INTERVAL * 64 + WV_TIME:
		out->u.time = in->u.iv.us % WV_USECS_PER_DAY;
		if (out->u.time < 0)
			out->u.time += WV_USECS_PER_DAY;
		return 0;
	case WV_TIME * 64 + WV_TIMETZ:
		out->u.ttz.us = in->u.time;
		out->u.ttz.zone = 0;
		return 0;
	case WV_TIMETZ * 64 + WV_TIME:
		out->u.time = in->u.ttz.us;
		return 0;
	default:
		return wvi_err(err, "cannot cast type %s to %s",
		    wv_type_name(in->type), wv_type_name(to));
	}
}

static int
wv_cast_array(const struct wv_val *in, enum wv_type to_elem,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	const struct wv_array *a = in->u.arr;
	struct wv_array *r = wv_arena_alloc(ar, sizeof(*r));
	struct wv_val *items = wv_arena_alloc(ar, sizeof(*items) *
	    (a->n ? a->n : 1));
	size_t k;

	*r = *a;
	r->elem = (uint8_t)to_elem;
	for (k = 0; k < a->n; k++) {
		if (a->items[k].type == WV_NULL)
			items[k] = a->items[k];
		else if (wv_cast(&a->items[k], to_elem, 0, ar, &items[k],
		    err) != 0)
			return -1;
	}
	r->items = items;
	out->type = WV_ARRAY;
	out->elem = (uint8_t)to_elem;
	out->u.arr = r;
	return 0;
}

int
wv_cast(const struct wv_val *in, enum wv_type to, enum wv_type to_elem,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	const char *s;
	size_t n;

	if (to == WV_ARRAY && in->type == WV_ARRAY)
		return wv_cast_array(in, to_elem, ar, out, err);
	if (in->type == to && to != WV_ARRAY) {
		*out = *in;
		return 0;
	}
	if (wv_type_is_text(to))
		return wv_to_text(in, to, ar, out);
	if (wv_type_is_text(in->type) || in->type == WV_JSON ||
	    in->type == WV_JSONB) {
		/* an I/O conversion: bpchar's output keeps its padding */
		wv_to_text(in, in->type == WV_BPCHAR ? WV_BPCHAR : WV_TEXT,
		    ar, out);
		s = out->u.s.p;
		n = out->u.s.len;
		return wv_parse(to, to_elem, s, n, ar, out, err);
	}
	memset(out, 0, sizeof(*out));
	out->type = to;
	if (in->type == WV_BOOL && to == WV_INT4) {
		out->u.i = in->u.b;
		return 0;
	}
	if (in->type == WV_INT4 && to == WV_BOOL) {
		out->u.b = in->u.i != 0;
		return 0;
	}
	if ((wv_type_is_int(in->type) || in->type == WV_FLOAT4 ||
	    in->type == WV_FLOAT8 || in->type == WV_NUMERIC) &&
	    (wv_type_is_int(to) || to == WV_FLOAT4 || to == WV_FLOAT8 ||
	    to == WV_NUMERIC))
		return wv_cast_num(in, to, ar, out, err);
	if (to == WV_ENUM || in->type == WV_ARRAY || to == WV_ARRAY)
		return wvi_err(err, "cannot cast type %s to %s",
		    wv_type_name(in->type), wv_type_name(to));
	return wv_cast_time(in, to, out, err);
}
