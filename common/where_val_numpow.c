/*
 * where_val_numpow: numeric ^ numeric with Postgres 15's semantics:
 * NaN / infinity rules (POSIX pow), its errors, and for exponents that
 * are integers fitting int32 its result scale (max(16, dscale of the
 * base), at most 1000) and its algorithm (square-and-multiply with the
 * same intermediate rounding scales, then one final rounding or, for a
 * negative exponent, one division).  Called by where_val_numeric.c's
 * users through wvi_numeric_pow (where_val_ops.c dispatch).
 * Non-integral exponents: Postgres computes ln/exp at a result scale it
 * derives from an 8-digit estimate of the result's magnitude; we derive
 * the same scale and compute with long double, which is exact enough
 * when the result needs at most 17 significant digits (the common case:
 * scale 16 and a result below 10) and the rounding digit is not close
 * to a tie.  Otherwise (and for integral exponents beyond int32) the
 * result is an error saying so.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "where_val_int.h"

#define NP_MIN_SIG	16
#define NP_MAX_DSCALE	1000

static const struct wv_num np_one = { "1", 1, 0, 0, WV_NUM_FINITE, 0 };

static void
np_special(struct wv_num *out, enum wv_numkind k)
{
	memset(out, 0, sizeof(*out));
	out->kind = (uint8_t)k;
}

static int
np_sign(const struct wv_num *a)
{
	if (a->kind == WV_NUM_PINF)
		return 1;
	if (a->kind == WV_NUM_NINF)
		return -1;
	return a->nd == 0 ? 0 : a->neg ? -1 : 1;
}

/* Number of digits in d (a '.' inside is skipped). */
static int
np_ndig(const struct wv_num *a)
{
	return a->nd == 0 ? 0 : (int)a->nd - (memchr(a->d, '.', a->nd) != 0);
}

/* Finite and without fractional digits?  Infinities count as integral
 * (as in Postgres' numeric_is_integral). */
static int
np_integral(const struct wv_num *a)
{
	if (a->kind == WV_NUM_NAN)
		return 0;
	return a->kind != WV_NUM_FINITE || a->nd == 0 ||
	    a->exp >= np_ndig(a) - 1;
}

/* |a| compared with 1. */
static int
np_cmp_one(const struct wv_num *a)
{
	struct wv_num x = *a;

	x.neg = 0;
	return wvi_numeric_cmp(&x, &np_one);
}

static int
np_is_one(const struct wv_num *a, int neg)
{
	return a->kind == WV_NUM_FINITE && a->nd > 0 && a->neg == neg &&
	    np_cmp_one(a) == 0;
}

/* Odd integer (finite)? */
static int
np_odd(const struct wv_num *a)
{
	int last;

	if (a->kind != WV_NUM_FINITE || a->nd == 0 || a->exp > np_ndig(a) - 1)
		return 0;		/* 0 or a multiple of 10 */
	last = a->d[a->nd - 1] - '0';
	return a->exp == np_ndig(a) - 1 && (last & 1);
}

/* The rules for NaN and infinite operands.  Returns 1 when handled. */
static int
np_specials(const struct wv_num *x, const struct wv_num *y,
    struct wv_num *out)
{
	int sy = np_sign(y);

	if (x->kind == WV_NUM_NAN || y->kind == WV_NUM_NAN) {
		if ((x->kind == WV_NUM_NAN && y->kind == WV_NUM_FINITE &&
		    sy == 0) || (y->kind == WV_NUM_NAN && np_is_one(x, 0)))
			*out = np_one;
		else
			np_special(out, WV_NUM_NAN);
		return 1;
	}
	if (x->kind == WV_NUM_FINITE && y->kind == WV_NUM_FINITE)
		return 0;
	if (np_is_one(x, 0) || sy == 0)
		*out = np_one;
	else if (np_sign(x) == 0)
		memset(out, 0, sizeof(*out));		/* 0 ^ +Inf */
	else if (y->kind != WV_NUM_FINITE) {		/* x ^ +-Inf */
		if (np_is_one(x, 1))
			*out = np_one;
		else if ((x->kind != WV_NUM_FINITE || np_cmp_one(x) > 0) ==
		    (sy > 0))
			np_special(out, WV_NUM_PINF);
		else
			memset(out, 0, sizeof(*out));
	} else if (sy < 0)				/* +-Inf ^ negative */
		memset(out, 0, sizeof(*out));
	else if (x->kind == WV_NUM_NINF && np_odd(y))
		np_special(out, WV_NUM_NINF);
	else
		np_special(out, WV_NUM_PINF);
	return 1;
}

/* log10 |a| from its leading digits (a finite, non-zero). */
static double
np_log10(const struct wv_num *a)
{
	double m = 0;
	int i, k = 0;

	for (i = 0; i < (int)a->nd && k < 16; i++)
		if (a->d[i] != '.') {
			m = m * 10 + (a->d[i] - '0');
			k++;
		}
	return log10(m) + a->exp - (k - 1);
}

static int
np_min(int a, int b)
{
	return a < b ? a : b;
}

static int
np_max(int a, int b)
{
	return a > b ? a : b;
}

static int
np_weight(const struct wv_num *a)
{
	return a->nd == 0 ? 0 : wvi_numeric_weight(a);
}

/* base ^ e for an int32 e at result scale rscale (power_var_int). */
static int
np_pow_int(const struct wv_num *base, int64_t e, int rscale,
    struct wv_arena *ar, struct wv_num *out, struct wv_err *err)
{
	struct wv_num prod, res;
	double f;
	int sig, ls;
	uint64_t mask;

	if (e == 0) {
		*out = np_one;
		out->dscale = (uint16_t)rscale;
		return 0;
	}
	if (e == 1)
		return wvi_numeric_scaled(WV_OP_POS, base, NULL, rscale, ar, out,
		    err);
	if (e == -1)
		return wvi_numeric_scaled(WV_OP_DIV, &np_one, base, rscale, ar,
		    out, err);
	if (e == 2)
		return wvi_numeric_scaled(WV_OP_MUL, base, base, rscale, ar, out,
		    err);
	if (base->nd == 0) {
		memset(out, 0, sizeof(*out));
		out->dscale = (uint16_t)rscale;
		return 0;
	}
	f = (double)e * np_log10(base);
	if (f > 3 * 32767 * 4)
		return wvi_err(err, "value overflows numeric format");
	if (f + 1 < -rscale || f + 1 < -NP_MAX_DSCALE) {
		memset(out, 0, sizeof(*out));
		out->dscale = (uint16_t)rscale;
		return 0;
	}
	sig = 1 + rscale + (int)f + (int)log(fabs((double)e)) + 8;
	mask = e < 0 ? (uint64_t)(-e) : (uint64_t)e;
	prod = *base;
	res = mask & 1 ? *base : np_one;
	while ((mask >>= 1) > 0) {
		ls = np_max(np_min(sig - 2 * np_weight(&prod) * 4,
		    2 * prod.dscale), 0);
		if (wvi_numeric_scaled(WV_OP_MUL, &prod, &prod, ls, ar, &prod,
		    err) != 0)
			return -1;
		if (mask & 1) {
			ls = np_max(np_min(sig - (np_weight(&prod) +
			    np_weight(&res)) * 4, prod.dscale + res.dscale), 0);
			if (wvi_numeric_scaled(WV_OP_MUL, &prod, &res, ls, ar,
			    &res, err) != 0)
				return -1;
		}
	}
	if (e < 0)
		return wvi_numeric_scaled(WV_OP_DIV, &np_one, &res, rscale, ar,
		    out, err);
	return wvi_numeric_scaled(WV_OP_POS, &res, NULL, rscale, ar, out, err);
}

/* A finite value as a long double (0 when out of its range). */
static long double
np_ld(const struct wv_num *a)
{
	char buf[64];
	int i, k = 0;

	for (i = 0; i < (int)a->nd && k < 40; i++)
		if (a->d[i] != '.')
			buf[k++] = a->d[i];
	snprintf(buf + k, sizeof(buf) - (size_t)k, "e%d", a->exp - (k - 1));
	return (a->neg ? -1 : 1) * strtold(buf, NULL);
}

/* Rounds v half away from zero to s decimals (s <= 27: 10^s exact). */
static long double
np_round(long double v, int s)
{
	long double m = powl(10, s);

	return roundl(v * m) / m;
}

/* Postgres' choice of the result scale for a non-integral exponent: an
 * 8-digit estimate of y * ln(x) (ln_dweight, then ln and the product
 * rounded to 8 - ln_dweight decimals) gives the result's decimal weight. */
static int
np_frac_rscale(const struct wv_num *x, const struct wv_num *y,
    long double bx, long double by, int *val)
{
	long double ln = logl(bx), t;
	int dw, ls, rs;
	double v;

	if (bx >= 0.9L && bx <= 1.1L)
		dw = bx == 1 ? 0 : (int)floorl(log10l(fabsl(bx - 1)));
	else
		dw = (int)log10(fabs((double)ln));
	ls = np_max(8 - dw, 0);
	if (ls > 27)
		return -1;
	t = np_round(np_round(ln, ls) * by, ls);
	v = (double)t * 0.434294481903252;
	*val = (int)v;
	if (fabs(v - nearbyint(v)) < 1e-7 && nearbyint(v) != 0)
		return -1;	/* the truncation might go either way */
	rs = np_max(np_max(NP_MIN_SIG - *val, x->dscale), y->dscale);
	return np_min(rs, NP_MAX_DSCALE);
}

/* x ^ y for x > 0 and a non-integral y: correctly rounded at Postgres'
 * result scale when long double carries enough digits (at most 17
 * significant digits needed and the rounding is clear), else -1. */
static int
np_pow_frac(const struct wv_num *x, const struct wv_num *y,
    struct wv_arena *ar, struct wv_num *out, struct wv_err *err)
{
	long double bx = np_ld(x), by = np_ld(y), r, t, f;
	int rs, val;
	char *p;

	if (LDBL_MANT_DIG < 64 || x->exp > 4000 || x->exp < -4000 ||
	    y->exp > 6 ||
	    (rs = np_frac_rscale(x, y, bx, by, &val)) < 0 ||
	    rs + val > 17 || rs > 4000)
		return -1;
	r = powl(bx, by);
	if (!isfinite(r))
		return -1;
	t = r * powl(10, rs);
	f = t - floorl(t);
	/* powl is within 1 ulp, the scaling adds half an ulp: a margin of
	 * 4 ulps of t around the tie */
	if (t >= 1e18L || fabsl(f - 0.5L) <= ldexpl(t, -61) + 1e-6L)
		return -1;
	p = wv_arena_alloc(ar, 48);
	snprintf(p, 48, "%.0Lfe-%d", floorl(t) + (f > 0.5L), rs);
	if (wvi_parse_numeric(p, strlen(p), ar, out, err) != 0)
		return -1;
	out->dscale = (uint16_t)rs;
	return 0;
}

int
wvi_numeric_pow(const struct wv_num *x, const struct wv_num *y,
    struct wv_arena *ar, struct wv_num *out, struct wv_err *err)
{
	int64_t e;
	int rscale;

	if (x->kind != WV_NUM_NAN && y->kind != WV_NUM_NAN) {
		if (np_sign(x) == 0 && np_sign(y) < 0)
			return wvi_err(err, "zero raised to a negative power "
			    "is undefined");
		if (np_sign(x) < 0 && !np_integral(y))
			return wvi_err(err, "a negative number raised to a "
			    "non-integer power yields a complex result");
	}
	if (np_specials(x, y, out))
		return 0;
	if (np_integral(y) && (y->nd == 0 || y->exp < 10) &&
	    wvi_numeric_to_int(y, WV_INT8, &e, NULL) == 0 &&
	    e >= INT32_MIN && e <= INT32_MAX) {
		rscale = np_min(np_max(NP_MIN_SIG, x->dscale), NP_MAX_DSCALE);
		return np_pow_int(x, e, rscale, ar, out, err);
	}
	if (x->nd == 0) {		/* 0 ^ positive non-integer */
		memset(out, 0, sizeof(*out));
		out->dscale = NP_MIN_SIG;
		return 0;
	}
	if (np_sign(x) > 0 && np_pow_frac(x, y, ar, out, err) == 0)
		return 0;
	return wvi_err(err, "numeric ^ with a non-integer exponent: result "
	    "not supported (needs more than 17 significant digits)");
}
