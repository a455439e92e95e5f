/*
 * where_val_num: bool, int2/int4/int8 and float4/float8 values: input
 * parsing with Postgres' grammar and messages, shortest round-trip float
 * output (extra_float_digits = 1), comparison, and arithmetic with
 * Postgres' overflow / division-by-zero errors.  Numeric operands are
 * forwarded to where_val_numeric.c.  Called through where_val.c.
 * Invariant: an int value always fits its type; a float4 value is a
 * double holding an exactly representable float.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

static const char *
wv_int_sqlname(enum wv_type t)
{
	return t == WV_INT2 ? "smallint" : t == WV_INT4 ? "integer" : "bigint";
}

int
wvi_int_check(enum wv_type t, int64_t v, struct wv_err *err)
{
	if ((t == WV_INT2 && (v < INT16_MIN || v > INT16_MAX)) ||
	    (t == WV_INT4 && (v < INT32_MIN || v > INT32_MAX)))
		return wvi_err(err, "%s out of range", wv_int_sqlname(t));
	return 0;
}

int
wvi_parse_int(enum wv_type t, const char *s0, size_t len0, struct wv_val *out,
    struct wv_err *err)
{
	const char *s = s0;
	size_t len = len0, i = 0;
	uint64_t acc = 0, lim;
	int neg = 0;

	wvi_trim(&s, &len);
	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return wvi_bad_input(err, wv_int_sqlname(t), s0, len0);
	lim = (uint64_t)INT64_MAX + neg;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return wvi_bad_input(err, wv_int_sqlname(t), s0, len0);
		if (acc > (lim - (uint64_t)(s[i] - '0')) / 10)
			return wvi_range(err, wv_int_sqlname(t), s0, len0);
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	out->u.i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	if (wvi_int_check(t, out->u.i, NULL) != 0)
		return wvi_range(err, wv_int_sqlname(t), s0, len0);
	return 0;
}

/* Postgres' float8in/float4in: strtod + its own spellings of specials. */
static const struct {
	const char	*word;
	double		 val;
} wv_float_words[] = {
	{ "nan", NAN }, { "infinity", INFINITY }, { "+infinity", INFINITY },
	{ "-infinity", -INFINITY }, { "inf", INFINITY }, { "+inf", INFINITY },
	{ "-inf", -INFINITY },
};

int
wvi_parse_float(enum wv_type t, const char *s0, size_t len0,
    struct wv_val *out, struct wv_err *err)
{
	const char *tname = t == WV_FLOAT4 ? "real" : "double precision";
	const char *s = s0;
	size_t len = len0, i;
	char buf[128], *end;
	double v;

	wvi_trim(&s, &len);
	for (i = 0; i < sizeof(wv_float_words) / sizeof(wv_float_words[0]); i++)
		if (strlen(wv_float_words[i].word) == len &&
		    strncasecmp(wv_float_words[i].word, s, len) == 0) {
			out->u.f = wv_float_words[i].val;
			return 0;
		}
	if (len == 0 || len >= sizeof(buf) || memchr(s, 'x', len) ||
	    memchr(s, 'X', len) || memchr(s, 'n', len) || memchr(s, 'N', len))
		return wvi_bad_input(err, tname, s0, len0);
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	if (t == WV_FLOAT4)
		v = strtof(buf, &end);
	else
		v = strtod(buf, &end);
	if (end != buf + len || end == buf)
		return wvi_bad_input(err, tname, s0, len0);
	if (errno == ERANGE && (v == 0.0 || isinf(v)))
		return wvi_err(err, "\"%.*s\" is out of range for type %s",
		    (int)(len0 > 200 ? 200 : len0), s0, tname);
	out->u.f = v;
	return 0;
}

static const struct {
	const char	*word;
	int		 val;
} wv_bool_words[] = {
	{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
	{ "1", 1 }, { "0", 0 },
};

/* boolin: any unique prefix of true/false/yes/no; on/off need 2+ chars. */
int
wvi_parse_bool(const char *s0, size_t len0, struct wv_val *out,
    struct wv_err *err)
{
	const char *s = s0;
	size_t len = len0, i;

	wvi_trim(&s, &len);
	if (len >= 2 && len <= 3 && strncasecmp(s, "off", len) == 0) {
		out->u.b = 0;
		return 0;
	}
	if (len == 2 && strncasecmp(s, "on", 2) == 0) {
		out->u.b = 1;
		return 0;
	}
	for (i = 0; len > 0 && i < sizeof(wv_bool_words) /
	    sizeof(wv_bool_words[0]); i++)
		if (len <= strlen(wv_bool_words[i].word) &&
		    strncasecmp(wv_bool_words[i].word, s, len) == 0 &&
		    (len == strlen(wv_bool_words[i].word) || i < 4)) {
			out->u.b = wv_bool_words[i].val;
			return 0;
		}
	return wvi_bad_input(err, "boolean", s0, len0);
}

/* Does the decimal in buf lie strictly inside v's rounding interval
 * (v > 0)?  Postgres' shortest output (Ryu without STRICTLY_SHORTEST)
 * never picks a decimal lying exactly halfway to a neighbour, even when
 * reading it back would round to v (ties to even).  The midpoints are
 * exact in double (float4) and in long double (float8, x87 80-bit).
 * Above the largest finite value the neighbour is the next power of two
 * (the value reading back as infinity). */
static int
wv_float_inside(const char *buf, double v, int is4)
{
	long double c, lo, hi, up;

	if (is4) {
		float f = (float)v;

		c = strtod(buf, NULL);
		lo = ((double)f + (double)nextafterf(f, -INFINITY)) / 2;
		up = nextafterf(f, INFINITY);
		if (isinf(up))
			up = (double)f + ((double)f - nextafterf(f, -INFINITY));
	} else if (LDBL_MANT_DIG < DBL_MANT_DIG + 1) {
		return strtod(buf, NULL) == v;	/* no exact midpoints */
	} else {
		c = strtold(buf, NULL);
		lo = ((long double)v + nextafter(v, -INFINITY)) / 2;
		up = nextafter(v, INFINITY);
		if (isinf(up))
			up = (long double)v + ((long double)v -
			    nextafter(v, -INFINITY));
	}
	hi = ((is4 ? (long double)(double)(float)v : (long double)v) + up) / 2;
	return lo < c && c < hi;
}

/* The shortest decimal strictly inside v's rounding interval (v > 0),
 * as Ryu picks it: at each length the nearest decimal, else its other
 * neighbour of that length (possible just above a power of two, where
 * the interval below v is half as wide).  digits gets the significant
 * digits (no trailing zeros), *exp the exponent of the first one. */
static int
wv_float_shortest(double v, int is4, char *digits, int *exp)
{
	char buf[64], *e;
	int prec, maxp = is4 ? 9 : 17, k, n, scale;
	unsigned long long m, alt;

	*exp = 0;
	for (prec = 1; prec <= maxp; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		e = strchr(buf, 'e');
		scale = atoi(e + 1) - (prec - 1);
		for (m = 0, k = 0; buf + k < e; k++)
			if (buf[k] != '.')
				m = m * 10 + (unsigned)(buf[k] - '0');
		snprintf(buf, sizeof(buf), "%llue%d", m, scale);
		if (!wv_float_inside(buf, v, is4) && prec < maxp) {
			alt = strtold(buf, NULL) < (long double)v ? m + 1 :
			    m - 1;
			snprintf(buf, sizeof(buf), "%llue%d", alt, scale);
			if (alt == 0 || !wv_float_inside(buf, v, is4))
				continue;
			m = alt;
		}
		n = snprintf(digits, 24, "%llu", m);
		*exp = scale + n - 1;
		while (n > 1 && digits[n - 1] == '0')
			n--;
		digits[n] = '\0';
		return n;
	}
	digits[0] = '0';	/* not reached: 17 (9) digits always fit */
	return 1;
}

/* Shortest digits that read back as v, printed like Postgres' float
 * output: plain notation when -4 <= exponent < DIG (15, float4: 6), else
 * d.ddde+XX. */
void
wvi_out_float(double v, int is4, struct sbuf *out)
{
	char digits[32];
	int exp, nd, i, dig = is4 ? 6 : 15;

	if (isnan(v)) {
		sbuf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		sbuf_adds(out, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (v == 0) {
		sbuf_adds(out, signbit(v) ? "-0" : "0");
		return;
	}
	nd = wv_float_shortest(fabs(v), is4, digits, &exp);
	if (v < 0)
		sbuf_addc(out, '-');
	if (exp < -4 || exp >= dig) {
		sbuf_addc(out, digits[0]);
		if (nd > 1) {
			sbuf_addc(out, '.');
			sbuf_add(out, digits + 1, (size_t)nd - 1);
		}
		sbuf_addf(out, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		sbuf_adds(out, "0.");
		for (i = -1; i > exp; i--)
			sbuf_addc(out, '0');
		sbuf_add(out, digits, (size_t)nd);
	} else {
		for (i = 0; i <= exp || i < nd; i++) {
			if (i == exp + 1)
				sbuf_addc(out, '.');
			sbuf_addc(out, i < nd ? digits[i] : '0');
		}
	}
}

int
wvi_cmp_float(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return (a > b) - (a < b);
}

/* Postgres' float_overflow / underflow checks after an operation. */
int
wvi_float_check(enum wv_type t, double r, int inf_ok, int zero_ok,
    struct wv_err *err)
{
	if (t == WV_FLOAT4 && !isinf(r) && !isnan(r) &&
	    (fabs(r) > FLT_MAX))
		r = INFINITY;
	if (isinf(r) && !inf_ok)
		return wvi_err(err, "value out of range: overflow");
	if (r == 0.0 && !zero_ok)
		return wvi_err(err, "value out of range: underflow");
	return 0;
}

static int
wv_int_binop(enum wv_op op, enum wv_type t, int64_t a, int64_t b,
    int64_t *r, struct wv_err *err)
{
	int width = t == WV_INT8 ? 63 : 31;

	switch (op) {
	case WV_OP_ADD:
		if (__builtin_add_overflow(a, b, r))
			goto range;
		break;
	case WV_OP_SUB:
		if (__builtin_sub_overflow(a, b, r))
			goto range;
		break;
	case WV_OP_MUL:
		if (__builtin_mul_overflow(a, b, r))
			goto range;
		break;
	case WV_OP_DIV: case WV_OP_MOD:
		if (b == 0)
			return wvi_err(err, "division by zero");
		if (b == -1) {
			*r = op == WV_OP_MOD ? 0 : 0 - (uint64_t)a;
			if (op == WV_OP_DIV && a == INT64_MIN)
				goto range;
			break;
		}
		*r = op == WV_OP_DIV ? a / b : a % b;
		break;
	case WV_OP_BAND: *r = a & b; break;
	case WV_OP_BOR: *r = a | b; break;
	case WV_OP_BXOR: *r = a ^ b; break;
	case WV_OP_SHL:
		*r = (int64_t)((uint64_t)a << (b & width));
		if (t != WV_INT8)
			*r = (int32_t)(uint32_t)(uint64_t)*r;
		if (t == WV_INT2)
			*r = (int16_t)(uint16_t)(uint64_t)*r;
		return 0;
	case WV_OP_SHR:
		*r = a >> (b & width);
		return 0;
	default:
		return wvi_err(err, "operator not supported");
	}
	if (wvi_int_check(t, *r, NULL) == 0)
		return 0;
range:
	return wvi_err(err, "%s out of range", wv_int_sqlname(t));
}

static int
wv_float_pow(double a, double b, double *r, struct wv_err *err)
{
	if (a == 0 && b < 0)
		return wvi_err(err,
		    "zero raised to a negative power is undefined");
	if (a < 0 && floor(b) != b && !isinf(b))
		return wvi_err(err, "a negative number raised to a non-integer "
		    "power yields a complex result");
	if (isnan(a) || isnan(b)) {
		*r = (a == 1 || b == 0) ? 1.0 : NAN;
		return 0;
	}
	errno = 0;
	*r = pow(a, b);
	if (errno == EDOM && isnan(*r))
		return wvi_err(err, "a negative number raised to a non-integer "
		    "power yields a complex result");
	if (isinf(*r) && !isinf(a) && !isinf(b))
		return wvi_err(err, "value out of range: overflow");
	if (*r == 0 && a != 0 && !isinf(b) && !isinf(a))
		return wvi_err(err, "value out of range: underflow");
	return 0;
}

static int
wv_float_binop(enum wv_op op, enum wv_type t, double a, double b, double *r,
    struct wv_err *err)
{
	int is4 = t == WV_FLOAT4, inf_ok = isinf(a) || isinf(b);

	switch (op) {
	case WV_OP_ADD: *r = is4 ? (double)((float)a + (float)b) : a + b;
		return wvi_float_check(t, *r, inf_ok, 1, err);
	case WV_OP_SUB: *r = is4 ? (double)((float)a - (float)b) : a - b;
		return wvi_float_check(t, *r, inf_ok, 1, err);
	case WV_OP_MUL: *r = is4 ? (double)((float)a * (float)b) : a * b;
		return wvi_float_check(t, *r, inf_ok, a == 0 || b == 0, err);
	case WV_OP_DIV:
		if (b == 0 && !isnan(a))
			return wvi_err(err, "division by zero");
		*r = is4 ? (double)((float)a / (float)b) : a / b;
		return wvi_float_check(t, *r, isinf(a), a == 0 || isinf(b),
		    err);
	case WV_OP_POW:
		return wv_float_pow(a, b, r, err);
	default:
		return wvi_err(err, "operator not supported");
	}
}

int
wvi_num_binop(enum wv_op op, const struct wv_val *a, const struct wv_val *b,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	out->type = a->type;
	out->elem = 0;
	switch (a->type) {
	case WV_INT2: case WV_INT4: case WV_INT8:
		return wv_int_binop(op, a->type, a->u.i, b->u.i, &out->u.i,
		    err);
	case WV_FLOAT4: case WV_FLOAT8:
		return wv_float_binop(op, a->type, a->u.f, b->u.f, &out->u.f,
		    err);
	case WV_NUMERIC:
		return wvi_numeric_binop(op, &a->u.num, &b->u.num, ar,
		    &out->u.num, err);
	default:
		return wvi_err(err, "operator not supported");
	}
}

int
wvi_num_unop(enum wv_op op, const struct wv_val *a, struct wv_arena *ar,
    struct wv_val *out, struct wv_err *err)
{
	*out = *a;
	if (a->type == WV_NUMERIC)
		return wvi_numeric_unop(op, &a->u.num, ar, &out->u.num, err);
	if (op == WV_OP_POS)
		return 0;
	if (a->type == WV_FLOAT4 || a->type == WV_FLOAT8) {
		if (op == WV_OP_NEG)
			out->u.f = -a->u.f;
		else if (op == WV_OP_ABS)
			out->u.f = fabs(a->u.f);
		else if (op == WV_OP_SQRT && a->u.f < 0)
			return wvi_err(err, "cannot take square root of a "
			    "negative number");
		else if (op == WV_OP_SQRT)
			out->u.f = sqrt(a->u.f);
		else
			return wvi_err(err, "operator not supported");
		return 0;
	}
	if (op == WV_OP_BNOT) {
		out->u.i = ~a->u.i;
		return 0;
	}
	if (op != WV_OP_NEG && op != WV_OP_ABS)
		return wvi_err(err, "operator not supported");
	if (op == WV_OP_ABS && a->u.i >= 0)
		return 0;
	if (a->u.i == INT64_MIN ||
	    wvi_int_check(a->type, -a->u.i, NULL) != 0)
		return wvi_err(err, "%s out of range", wv_int_sqlname(a->type));
	out->u.i = -a->u.i;
	return 0;
}
