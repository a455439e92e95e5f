/*
 * where_val_numeric: exact decimal numbers (Postgres numeric): input
 * parsing (pointing into the source, no allocation), comparison, output
 * with the value's display scale, + - * / % with Postgres' result scales,
 * and conversions to and from ints and floats.  Called by where_val.c,
 * where_val_num.c and where_val_cast.c.  Division uses Postgres' rule for
 * the result scale (at least 16 significant digits, at least the inputs'
 * scales, at most 1000), rounding half away from zero.
 * numeric ^ numeric lives in where_val_numpow.c.
 * Invariant: computed digit strings have no leading zero and lie in the
 * arena; at most WV_NUM_MAXDIG digits per operand/result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

#define WV_NUM_MAXDIG		20000
#define WV_NUM_MAXEXP		200000
#define WV_NUM_MIN_SIG		16
#define WV_NUM_MAX_DSCALE	1000

/* Working form: digits as values 0..9, d[0] has weight 10^exp. */
struct nbuf {
	uint8_t	*d;
	int	 n;
	int	 exp;
	int	 neg;
	int	 dscale;
};

static const struct {
	const char	*word;
	uint8_t		 kind;
} wv_num_words[] = {
	{ "nan", WV_NUM_NAN }, { "infinity", WV_NUM_PINF },
	{ "+infinity", WV_NUM_PINF }, { "-infinity", WV_NUM_NINF },
	{ "inf", WV_NUM_PINF }, { "+inf", WV_NUM_PINF },
	{ "-inf", WV_NUM_NINF },
};

static int
wv_num_special(const char *s, size_t len, struct wv_num *out)
{
	size_t i;

	for (i = 0; i < sizeof(wv_num_words) / sizeof(wv_num_words[0]); i++)
		if (strlen(wv_num_words[i].word) == len &&
		    strncasecmp(wv_num_words[i].word, s, len) == 0) {
			memset(out, 0, sizeof(*out));
			out->kind = wv_num_words[i].kind;
			return 1;
		}
	return 0;
}

/* [+-] digits [. digits] [e [+-] digits], at least one digit. */
int
wvi_parse_numeric(const char *s0, size_t len0, struct wv_arena *ar,
    struct wv_num *out, struct wv_err *err)
{
	const char *s = s0, *first = NULL, *last = NULL;
	size_t len = len0, i = 0;
	long e = 0, ndig = 0, intdig = 0, frac = 0, lead = 0;
	int seen_dot = 0, eneg = 0, seen_nz = 0;

	(void)ar;
	wvi_trim(&s, &len);
	if (wv_num_special(s, len, out))
		return 0;
	memset(out, 0, sizeof(*out));
	if (i < len && (s[i] == '+' || s[i] == '-'))
		out->neg = s[i++] == '-';
	for (; i < len; i++) {
		if (s[i] == '.' && !seen_dot) {
			seen_dot = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		ndig++;
		if (seen_dot)
			frac++;
		else
			intdig++;
		if (s[i] != '0') {
			if (!seen_nz)
				first = s + i;
			seen_nz = 1;
			last = s + i;
		} else if (!seen_nz)
			lead++;
	}
	if (ndig == 0)
		return wvi_bad_input(err, "numeric", s0, len0);
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i == len)
			return wvi_bad_input(err, "numeric", s0, len0);
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if ((e = e * 10 + (s[i] - '0')) > WV_NUM_MAXEXP)
				return wvi_err(err,
				    "value overflows numeric format");
		if (eneg)
			e = -e;
	}
	if (i != len)
		return wvi_bad_input(err, "numeric", s0, len0);
	out->dscale = (uint16_t)(frac - e > 0 ? frac - e : 0);
	if (!seen_nz) {
		out->neg = 0;
		return 0;
	}
	out->d = first;
	out->nd = (uint32_t)(last - first + 1);
	out->exp = (int32_t)(intdig - lead - 1 + e);
	return 0;
}

static int
wv_num_digit(const struct wv_num *a, int e)
{
	int idx = a->exp - e;
	const char *dot;

	if (idx < 0 || a->nd == 0)
		return 0;
	/* a '.' inside d is skipped: digit idx sits one char further */
	dot = memchr(a->d, '.', a->nd);
	if (dot != NULL && idx >= dot - a->d)
		idx++;
	if ((uint32_t)idx >= a->nd)
		return 0;
	return a->d[idx] - '0';
}

static int
wv_num_ndig(const struct wv_num *a)
{
	return a->nd == 0 ? 0 : (int)a->nd - (memchr(a->d, '.', a->nd) != NULL);
}

static int
wv_kind_rank(const struct wv_num *a)
{
	if (a->kind == WV_NUM_NAN)
		return 3;
	if (a->kind == WV_NUM_PINF)
		return 2;
	if (a->kind == WV_NUM_NINF)
		return -2;
	return a->nd == 0 ? 0 : a->neg ? -1 : 1;
}

int
wvi_numeric_cmp(const struct wv_num *a, const struct wv_num *b)
{
	int ra = wv_kind_rank(a), rb = wv_kind_rank(b), e, lo, c;

	if (ra != rb || ra == 0 || ra == 2 || ra == -2 || ra == 3)
		return (ra > rb) - (ra < rb);
	/* same sign, both non-zero: compare magnitudes */
	if (a->exp != b->exp)
		c = a->exp > b->exp ? 1 : -1;
	else {
		lo = a->exp - wv_num_ndig(a) + 1;
		if (b->exp - wv_num_ndig(b) + 1 < lo)
			lo = b->exp - wv_num_ndig(b) + 1;
		for (c = 0, e = a->exp; c == 0 && e >= lo; e--)
			c = wv_num_digit(a, e) - wv_num_digit(b, e);
		c = (c > 0) - (c < 0);
	}
	return ra < 0 ? -c : c;
}

void
wvi_numeric_out(const struct wv_num *a, struct sbuf *out)
{
	int e;

	if (a->kind != WV_NUM_FINITE) {
		sbuf_adds(out, a->kind == WV_NUM_NAN ? "NaN" :
		    a->kind == WV_NUM_PINF ? "Infinity" : "-Infinity");
		return;
	}
	if (a->neg && a->nd > 0)
		sbuf_addc(out, '-');
	if (a->nd == 0 || a->exp < 0)
		sbuf_addc(out, '0');
	for (e = a->nd > 0 ? a->exp : -1; e >= 0; e--)
		sbuf_addc(out, (char)('0' + wv_num_digit(a, e)));
	if (a->dscale > 0)
		sbuf_addc(out, '.');
	for (e = -1; e >= -(int)a->dscale; e--)
		sbuf_addc(out, (char)('0' + (a->nd ? wv_num_digit(a, e) : 0)));
}

/* --- working buffers --- */

static int
wv_unpack(const struct wv_num *a, struct wv_arena *ar, struct nbuf *nb)
{
	int i, n = a->nd ? wv_num_ndig(a) : 0;

	nb->d = wv_arena_alloc(ar, (size_t)n + 1);
	nb->n = n;
	nb->exp = a->exp;
	nb->neg = a->neg;
	nb->dscale = a->dscale;
	for (i = 0; i < n; i++)
		nb->d[i] = (uint8_t)wv_num_digit(a, a->exp - i);
	return n;
}

/* Rounds nb half away from zero to nb->dscale fractional digits, strips
 * zeros, stores ASCII digits in the arena. */
static int
wv_pack(struct nbuf *nb, struct wv_arena *ar, struct wv_num *out,
    struct wv_err *err)
{
	int keep = nb->exp + nb->dscale + 1, i, start = 0;
	char *p;

	if (keep < nb->n) {
		int up = keep >= 0 && nb->d[keep] >= 5;
		nb->n = keep < 0 ? 0 : keep;
		for (i = nb->n - 1; up && i >= 0; i--) {
			up = nb->d[i] == 9;
			nb->d[i] = up ? 0 : nb->d[i] + 1;
		}
		if (up) {
			/* carry out of the top: 99.9 -> 100 */
			memmove(nb->d + 1, nb->d, (size_t)nb->n);
			nb->d[0] = 1;
			nb->n++;
			nb->exp++;
		}
	}
	while (start < nb->n && nb->d[start] == 0)
		start++;
	while (nb->n > start && nb->d[nb->n - 1] == 0)
		nb->n--;
	memset(out, 0, sizeof(*out));
	out->dscale = (uint16_t)nb->dscale;
	if (nb->n == start)
		return 0;
	if (nb->exp - start > WV_NUM_MAXEXP || nb->n - start > WV_NUM_MAXDIG)
		return wvi_err(err, "value overflows numeric format");
	p = wv_arena_alloc(ar, (size_t)(nb->n - start));
	for (i = start; i < nb->n; i++)
		p[i - start] = (char)('0' + nb->d[i]);
	out->d = p;
	out->nd = (uint32_t)(nb->n - start);
	out->exp = nb->exp - start;
	out->neg = (uint8_t)nb->neg;
	return 0;
}

static int
wv_nb_digit(const struct nbuf *a, int e)
{
	int idx = a->exp - e;

	return idx < 0 || idx >= a->n ? 0 : a->d[idx];
}

static int
wv_nb_low(const struct nbuf *a)
{
	return a->n ? a->exp - a->n + 1 : 0;
}

/* |a| vs |b| */
static int
wv_nb_cmpabs(const struct nbuf *a, const struct nbuf *b)
{
	int hi = a->exp > b->exp ? a->exp : b->exp, lo, e, c;

	if (a->n == 0 || b->n == 0)
		return (a->n > 0) - (b->n > 0);
	lo = wv_nb_low(a) < wv_nb_low(b) ? wv_nb_low(a) : wv_nb_low(b);
	for (e = hi; e >= lo; e--)
		if ((c = wv_nb_digit(a, e) - wv_nb_digit(b, e)) != 0)
			return c > 0 ? 1 : -1;
	return 0;
}

/* r = |a| + |b| (sub = 0) or |a| - |b| (sub = 1, |a| >= |b|). */
static void
wv_nb_addabs(const struct nbuf *a, const struct nbuf *b, int sub,
    struct wv_arena *ar, struct nbuf *r)
{
	int hi, lo, e, carry = 0, v;

	hi = (a->n && (!b->n || a->exp >= b->exp) ? a->exp : b->exp) + 1;
	lo = a->n == 0 ? wv_nb_low(b) : b->n == 0 ? wv_nb_low(a) :
	    wv_nb_low(a) < wv_nb_low(b) ? wv_nb_low(a) : wv_nb_low(b);
	r->n = hi - lo + 1;
	r->exp = hi;
	r->d = wv_arena_alloc(ar, (size_t)r->n + 1);
	for (e = lo; e <= hi; e++) {
		v = wv_nb_digit(a, e) + (sub ? -wv_nb_digit(b, e) :
		    wv_nb_digit(b, e)) + carry;
		carry = v < 0 ? -1 : v / 10;
		r->d[hi - e] = (uint8_t)(v < 0 ? v + 10 : v % 10);
	}
}

static void
wv_nb_add(const struct nbuf *a, const struct nbuf *b, int negate_b,
    struct wv_arena *ar, struct nbuf *r)
{
	int bneg = b->neg ^ negate_b;

	if (a->neg == bneg) {
		wv_nb_addabs(a, b, 0, ar, r);
		r->neg = a->neg;
	} else if (wv_nb_cmpabs(a, b) >= 0) {
		wv_nb_addabs(a, b, 1, ar, r);
		r->neg = a->neg;
	} else {
		wv_nb_addabs(b, a, 1, ar, r);
		r->neg = bneg;
	}
	r->dscale = a->dscale > b->dscale ? a->dscale : b->dscale;
}

static void
wv_nb_mul(const struct nbuf *a, const struct nbuf *b, struct wv_arena *ar,
    struct nbuf *r)
{
	int i, j, n = a->n + b->n, carry;
	int *acc = wv_arena_alloc(ar, sizeof(int) * ((size_t)n + 1));

	memset(acc, 0, sizeof(int) * ((size_t)n + 1));
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			acc[i + j + 1] += a->d[i] * b->d[j];
	r->d = wv_arena_alloc(ar, (size_t)n + 1);
	for (i = n - 1, carry = 0; i >= 0; i--) {
		acc[i] += carry;
		carry = acc[i] / 10;
		r->d[i] = (uint8_t)(acc[i] % 10);
	}
	r->n = n;
	r->exp = a->exp + b->exp + 1;
	r->neg = a->neg ^ b->neg;
	r->dscale = a->dscale + b->dscale;
}

/* Base-10000 weight and first base-10000 digit of a non-zero value, as
 * Postgres stores numerics; they drive its division result scale. */
static void
wv_nb_nbase(const struct nbuf *a, int *weight, int *first)
{
	int w = a->exp >= 0 ? a->exp / 4 : -((-a->exp + 3) / 4), e;

	*weight = w;
	*first = 0;
	for (e = 4 * w + 3; e >= 4 * w; e--)
		*first = *first * 10 + wv_nb_digit(a, e);
}

static int
wv_div_scale(const struct nbuf *a, const struct nbuf *b)
{
	int w1 = 0, f1 = 0, w2 = 0, f2 = 0, qw, rs;

	if (a->n)
		wv_nb_nbase(a, &w1, &f1);
	if (b->n)
		wv_nb_nbase(b, &w2, &f2);
	qw = w1 - w2;
	if (f1 <= f2)
		qw--;
	rs = WV_NUM_MIN_SIG - qw * 4;
	if (rs < a->dscale)
		rs = a->dscale;
	if (rs < b->dscale)
		rs = b->dscale;
	if (rs < 0)
		rs = 0;
	return rs > WV_NUM_MAX_DSCALE ? WV_NUM_MAX_DSCALE : rs;
}

/* q = floor(|a| / |b| * 10^(lowq... )): the integer quotient of the digit
 * stream of |a| shifted by s places (s < 0 drops digits) by |b|. */
static int
wv_nb_divint(const struct nbuf *a, const struct nbuf *b, int s,
    struct wv_arena *ar, uint8_t **qp, int *nq, struct wv_err *err)
{
	int nn = a->n + s, nb = b->n, i, j, k, q, ge;
	uint8_t *rem, *qd;

	if (nn <= 0) {
		*qp = NULL;
		*nq = 0;
		return 0;
	}
	if (nn > WV_NUM_MAXDIG)
		return wvi_err(err, "value overflows numeric format");
	rem = wv_arena_alloc(ar, (size_t)nb + 1);
	qd = wv_arena_alloc(ar, (size_t)nn);
	memset(rem, 0, (size_t)nb + 1);
	for (i = 0; i < nn; i++) {
		memmove(rem, rem + 1, (size_t)nb);
		rem[nb] = i < a->n ? a->d[i] : 0;
		for (q = 0;; q++) {
			/* rem (nb+1 digits) >= b (nb digits)? */
			ge = 1;
			for (j = 0; j <= nb; j++) {
				k = j == 0 ? 0 : b->d[j - 1];
				if (rem[j] != k) {
					ge = rem[j] > k;
					break;
				}
			}
			if (!ge)
				break;
			for (j = nb, k = 0; j >= 0; j--) {
				int v = rem[j] - (j == 0 ? 0 : b->d[j - 1]) - k;
				k = v < 0;
				rem[j] = (uint8_t)(v < 0 ? v + 10 : v);
			}
		}
		qd[i] = (uint8_t)q;
	}
	*qp = qd;
	*nq = nn;
	return 0;
}

/* r = a / b rounded (by wv_pack) to rs fractional digits. */
static int
wv_nb_div(const struct nbuf *a, const struct nbuf *b, int rs,
    struct wv_arena *ar, struct nbuf *r, struct wv_err *err)
{
	int s;

	s = wv_nb_low(a) - wv_nb_low(b) + rs + 1;
	if (wv_nb_divint(a, b, s, ar, &r->d, &r->n, err) != 0)
		return -1;
	r->exp = r->n - 1 - (rs + 1);
	r->neg = a->neg ^ b->neg;
	r->dscale = rs;
	return 0;
}

static int
wv_nb_mod(const struct nbuf *a, const struct nbuf *b, struct wv_arena *ar,
    struct nbuf *r, struct wv_err *err)
{
	struct nbuf q, qb;

	if (wv_nb_divint(a, b, wv_nb_low(a) - wv_nb_low(b), ar, &q.d, &q.n,
	    err) != 0)
		return -1;
	q.exp = q.n - 1;
	q.neg = 0;
	q.dscale = 0;
	wv_nb_mul(&q, b, ar, &qb);
	qb.neg = a->neg;
	wv_nb_add(a, &qb, 1, ar, r);
	r->neg = a->neg;
	return 0;
}

static int
wv_num_isinf(const struct wv_num *a)
{
	return a->kind == WV_NUM_PINF || a->kind == WV_NUM_NINF;
}

static int
wv_num_sign(const struct wv_num *a)
{
	if (a->kind == WV_NUM_PINF)
		return 1;
	if (a->kind == WV_NUM_NINF)
		return -1;
	return a->nd == 0 ? 0 : a->neg ? -1 : 1;
}

static void
wv_num_set_special(struct wv_num *out, int sign)
{
	memset(out, 0, sizeof(*out));
	out->kind = sign > 0 ? WV_NUM_PINF : sign < 0 ? WV_NUM_NINF :
	    WV_NUM_NAN;
}

/* NaN and infinities, Postgres 15's rules. Returns 1 when handled. */
static int
wv_num_special_op(enum wv_op op, const struct wv_num *a,
    const struct wv_num *b, struct wv_num *out, int *rc, struct wv_err *err)
{
	int sa = wv_num_sign(a), sb = wv_num_sign(b);

	*rc = 0;
	if (a->kind == WV_NUM_FINITE && b->kind == WV_NUM_FINITE)
		return 0;
	if (a->kind == WV_NUM_NAN || b->kind == WV_NUM_NAN) {
		wv_num_set_special(out, 0);
		return 1;
	}
	switch (op) {
	case WV_OP_ADD: case WV_OP_SUB:
		if (op == WV_OP_SUB)
			sb = -sb;
		if (wv_num_isinf(a) && wv_num_isinf(b) && sa != sb)
			wv_num_set_special(out, 0);
		else
			wv_num_set_special(out, wv_num_isinf(a) ? sa : sb);
		return 1;
	case WV_OP_MUL:
		wv_num_set_special(out, sa * sb);
		return 1;
	case WV_OP_DIV: case WV_OP_MOD:
		if (sb == 0) {
			*rc = wvi_err(err, "division by zero");
			return 1;
		}
		if (wv_num_isinf(a)) {
			wv_num_set_special(out, op == WV_OP_DIV &&
			    !wv_num_isinf(b) ? sa * sb : 0);
			return 1;
		}
		if (op == WV_OP_MOD)
			*out = *a;
		else
			memset(out, 0, sizeof(*out));
		return 1;
	default:
		*rc = wvi_err(err, "operator not supported");
		return 1;
	}
}

int
wvi_numeric_binop(enum wv_op op, const struct wv_num *a,
    const struct wv_num *b, struct wv_arena *ar, struct wv_num *out,
    struct wv_err *err)
{
	struct nbuf x, y, r;
	int rc;

	if (op == WV_OP_POW)
		return wvi_numeric_pow(a, b, ar, out, err);
	if (wv_num_special_op(op, a, b, out, &rc, err))
		return rc;
	if (wv_num_ndig(a) > WV_NUM_MAXDIG || wv_num_ndig(b) > WV_NUM_MAXDIG)
		return wvi_err(err, "value overflows numeric format");
	wv_unpack(a, ar, &x);
	wv_unpack(b, ar, &y);
	switch (op) {
	case WV_OP_ADD: case WV_OP_SUB:
		wv_nb_add(&x, &y, op == WV_OP_SUB, ar, &r);
		break;
	case WV_OP_MUL:
		wv_nb_mul(&x, &y, ar, &r);
		break;
	case WV_OP_DIV: case WV_OP_MOD:
		if (y.n == 0)
			return wvi_err(err, "division by zero");
		if ((op == WV_OP_DIV ? wv_nb_div(&x, &y, wv_div_scale(&x, &y),
		    ar, &r, err) :
		    wv_nb_mod(&x, &y, ar, &r, err)) != 0)
			return -1;
		break;
	default:
		return wvi_err(err, "numeric operator not supported");
	}
	return wv_pack(&r, ar, out, err);
}

/* Finite a * b, a / b or a itself (op WV_OP_POS) rounded half away from
 * zero to rscale fractional digits (the result's dscale). */
int
wvi_numeric_scaled(enum wv_op op, const struct wv_num *a,
    const struct wv_num *b, int rscale, struct wv_arena *ar,
    struct wv_num *out, struct wv_err *err)
{
	struct nbuf x, y, r;

	if (rscale < 0)
		rscale = 0;
	if (rscale > WV_NUM_MAXDIG || wv_num_ndig(a) > WV_NUM_MAXDIG ||
	    (b != NULL && wv_num_ndig(b) > WV_NUM_MAXDIG))
		return wvi_err(err, "value overflows numeric format");
	wv_unpack(a, ar, &x);
	if (b != NULL)
		wv_unpack(b, ar, &y);
	if (op == WV_OP_MUL)
		wv_nb_mul(&x, &y, ar, &r);
	else if (op == WV_OP_DIV) {
		if (y.n == 0)
			return wvi_err(err, "division by zero");
		if (wv_nb_div(&x, &y, rscale, ar, &r, err) != 0)
			return -1;
	} else
		r = x;
	r.dscale = rscale;
	return wv_pack(&r, ar, out, err);
}

/* Postgres' base-10000 weight of a finite non-zero value. */
int
wvi_numeric_weight(const struct wv_num *a)
{
	return a->exp >= 0 ? a->exp / 4 : -((-a->exp + 3) / 4);
}

int
wvi_numeric_unop(enum wv_op op, const struct wv_num *a, struct wv_arena *ar,
    struct wv_num *out, struct wv_err *err)
{
	(void)ar;
	*out = *a;
	switch (op) {
	case WV_OP_POS:
		return 0;
	case WV_OP_NEG:
		if (a->kind == WV_NUM_PINF || a->kind == WV_NUM_NINF)
			out->kind = a->kind == WV_NUM_PINF ? WV_NUM_NINF :
			    WV_NUM_PINF;
		else if (a->nd > 0)
			out->neg = !a->neg;
		return 0;
	case WV_OP_ABS:
		if (a->kind == WV_NUM_NINF)
			out->kind = WV_NUM_PINF;
		out->neg = 0;
		return 0;
	default:
		return wvi_err(err, "numeric operator not supported");
	}
}

void
wvi_numeric_from_int(int64_t v, struct wv_arena *ar, struct wv_num *out)
{
	char *p = wv_arena_alloc(ar, 24);
	int n = snprintf(p, 24, "%lld", (long long)v);

	if (wvi_parse_numeric(p, (size_t)n, ar, out, NULL) != 0)
		memset(out, 0, sizeof(*out));
}

/* float8_numeric: the value printed with 15 (float4: 6) significant
 * digits, then read as a numeric. */
int
wvi_numeric_from_float(double v, int is4, struct wv_arena *ar,
    struct wv_num *out, struct wv_err *err)
{
	char *p;
	int n;

	if (isnan(v) || isinf(v)) {
		wv_num_set_special(out, isnan(v) ? 0 : v > 0 ? 1 : -1);
		return 0;
	}
	p = wv_arena_alloc(ar, 64);
	n = snprintf(p, 64, "%.*g", is4 ? 6 : 15, v);
	return wvi_parse_numeric(p, (size_t)n, ar, out, err);
}

int
wvi_numeric_to_int(const struct wv_num *a, enum wv_type t, int64_t *r,
    struct wv_err *err)
{
	const char *tn = t == WV_INT2 ? "smallint" : t == WV_INT4 ?
	    "integer" : "bigint";
	uint64_t acc = 0;
	int e;

	if (a->kind == WV_NUM_NAN)
		return wvi_err(err, "cannot convert NaN to %s", tn);
	if (a->kind != WV_NUM_FINITE)
		return wvi_err(err, "cannot convert infinity to %s", tn);
	if (a->nd > 0 && a->exp > 18)
		return wvi_err(err, "%s out of range", tn);
	for (e = a->nd > 0 ? a->exp : -1; e >= 0; e--)
		acc = acc * 10 + (uint64_t)wv_num_digit(a, e);
	if (a->nd > 0 && wv_num_digit(a, -1) >= 5)	/* half away from 0 */
		acc++;
	if (acc > (uint64_t)INT64_MAX + a->neg)
		return wvi_err(err, "%s out of range", tn);
	*r = a->neg ? (int64_t)(0 - acc) : (int64_t)acc;
	if (wvi_int_check(t, *r, NULL) != 0)
		return wvi_err(err, "%s out of range", tn);
	return 0;
}

double
wvi_numeric_to_float(const struct wv_num *a)
{
	struct sbuf sb;
	double v;

	if (a->kind != WV_NUM_FINITE)
		return a->kind == WV_NUM_NAN ? NAN : a->kind == WV_NUM_PINF ?
		    INFINITY : -INFINITY;
	sbuf_init(&sb);
	if (a->neg)
		sbuf_addc(&sb, '-');
	sbuf_adds(&sb, "0.");
	for (uint32_t i = 0; i < a->nd; i++)
		if (a->d[i] != '.')
			sbuf_addc(&sb, a->d[i]);
	sbuf_addf(&sb, "e%d", a->exp + 1);
	v = strtod(sb.p, NULL);
	sbuf_free(&sb);
	return v;
}
