/*
 * where_val_datearith: date/time operators (date ± int4, date - date,
 * date + time, ± interval on date/time/timetz/timestamp/timestamptz,
 * timestamp - timestamp, interval ± interval, interval * / float8),
 * justify_* and timezone(zone, ts).  Called by where_val_ops.c and users
 * of where_val.h.  Follows Postgres 15's rules, including month
 * arithmetic clamping to the month's last day and the fractional cascade
 * of interval * factor.  Infinite timestamps stay infinite under ±
 * interval; subtracting infinities is an error.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

static int
iv_err(struct wv_err *err)
{
	return wvi_err(err, "interval out of range");
}

/* days + time of day as a timestamp within Postgres' range? */
static int
ts_days_check(int64_t days, int64_t tod, struct wv_err *err)
{
	int64_t t;

	if (days > INT32_MAX || days < INT32_MIN ||
	    __builtin_mul_overflow(days, WV_USECS_PER_DAY, &t) ||
	    __builtin_add_overflow(t, tod, &t))
		return wvi_err(err, "timestamp out of range");
	return wvi_ts_check(t, err);
}

/* Postgres' timestamp_pl_interval: months first, then days, then the
 * time, each step range-checked (an intermediate step out of range is an
 * error even when the final value would be in range). */
static int
ts_add_interval(int64_t ts, const struct wv_interval *iv, int64_t *r,
    struct wv_err *err)
{
	int64_t days, y, mo;
	int m, d;

	if (ts == WV_TS_POSINF || ts == WV_TS_NEGINF) {
		*r = ts;
		return 0;
	}
	days = ts / WV_USECS_PER_DAY - (ts % WV_USECS_PER_DAY < 0);
	ts -= days * WV_USECS_PER_DAY;		/* time of day */
	if (iv->months != 0) {
		wvi_civil_from_days(days, &y, &m, &d);
		mo = y * 12 + (m - 1) + iv->months;
		y = mo >= 0 ? mo / 12 : -((-mo + 11) / 12);
		m = (int)(mo - y * 12) + 1;
		if (d > wvi_mdays(y, m))
			d = wvi_mdays(y, m);
		days = wvi_days_from_civil(y, m, d);
		if (ts_days_check(days, ts, err) != 0)
			return -1;
	}
	if (iv->days != 0) {
		days += iv->days;
		if (ts_days_check(days, ts, err) != 0)
			return -1;
	}
	if (__builtin_mul_overflow(days, WV_USECS_PER_DAY, r) ||
	    __builtin_add_overflow(*r, ts, r) ||
	    __builtin_add_overflow(*r, iv->us, r))
		return wvi_err(err, "timestamp out of range");
	return wvi_ts_check(*r, err);
}

int
wvi_interval_neg(const struct wv_interval *a, struct wv_interval *r,
    struct wv_err *err)
{
	if (a->months == INT32_MIN || a->days == INT32_MIN ||
	    a->us == INT64_MIN)
		return iv_err(err);
	r->months = -a->months;
	r->days = -a->days;
	r->us = -a->us;
	return 0;
}

static int
iv_addsub(const struct wv_interval *a, const struct wv_interval *b, int sub,
    struct wv_interval *r, struct wv_err *err)
{
	int bad;

	if (sub)
		bad = __builtin_sub_overflow(a->months, b->months, &r->months) |
		    __builtin_sub_overflow(a->days, b->days, &r->days) |
		    __builtin_sub_overflow(a->us, b->us, &r->us);
	else
		bad = __builtin_add_overflow(a->months, b->months, &r->months) |
		    __builtin_add_overflow(a->days, b->days, &r->days) |
		    __builtin_add_overflow(a->us, b->us, &r->us);
	return bad ? iv_err(err) : 0;
}

static double
tsround(double x)
{
	return rint(x * 1e6) / 1e6;
}

/* interval * f (div: interval / f), with Postgres' cascade of fractional
 * months into days and fractional days into time. */
static int
iv_scale(const struct wv_interval *a, double f, int div,
    struct wv_interval *r, struct wv_err *err)
{
	double m, d, mrem, srem, t;

	if (div && f == 0)
		return wvi_err(err, "division by zero");
	m = div ? a->months / f : a->months * f;
	d = div ? a->days / f : a->days * f;
	if (isnan(m) || m > INT32_MAX || m < INT32_MIN || isnan(d) ||
	    d > INT32_MAX || d < INT32_MIN)
		return iv_err(err);
	r->months = (int32_t)m;
	r->days = (int32_t)d;
	mrem = tsround((m - r->months) * 30);
	srem = tsround((d - r->days + mrem - (int)mrem) * 86400);
	if (fabs(srem) >= 86400) {
		r->days += (int)(srem / 86400);
		srem -= (int)(srem / 86400) * 86400;
	}
	r->days += (int)mrem;
	t = rint((div ? a->us / f : a->us * f) + srem * 1e6);
	if (isnan(t) || t >= 9223372036854775807.0 || t < -9223372036854775808.0)
		return iv_err(err);
	r->us = (int64_t)t;
	return 0;
}

static int
time_add(int64_t t, const struct wv_interval *iv, int sub, int64_t *r)
{
	t += (sub ? -1 : 1) * (iv->us % WV_USECS_PER_DAY);
	t %= WV_USECS_PER_DAY;
	if (t < 0)
		t += WV_USECS_PER_DAY;
	*r = t;
	return 0;
}

static int
ts_minus(int64_t a, int64_t b, struct wv_interval *r, struct wv_err *err)
{
	if (a == WV_TS_POSINF || a == WV_TS_NEGINF || b == WV_TS_POSINF ||
	    b == WV_TS_NEGINF)
		return wvi_err(err, "cannot subtract infinite timestamps");
	/* Postgres 15 subtracts without an overflow check (it builds with
	 * -fwrapv): far-apart timestamps give a wrapped-around interval */
	r->us = (int64_t)((uint64_t)a - (uint64_t)b);
	r->months = 0;
	r->days = 0;
	*r = wv_justify_hours(*r);	/* days fit: timestamps are bounded */
	return 0;
}

static int
date_arith(enum wv_op op, const struct wv_val *a, const struct wv_val *b,
    struct wv_val *out, struct wv_err *err)
{
	int64_t d;

	if (b->type == WV_DATE) {		/* date - date */
		if (a->u.date == WV_DATE_POSINF || a->u.date == WV_DATE_NEGINF ||
		    b->u.date == WV_DATE_POSINF || b->u.date == WV_DATE_NEGINF)
			return wvi_err(err, "cannot subtract infinite dates");
		out->type = WV_INT4;
		out->u.i = (int64_t)a->u.date - b->u.date;
		return 0;
	}
	out->type = WV_DATE;
	if (a->u.date == WV_DATE_POSINF || a->u.date == WV_DATE_NEGINF) {
		out->u.date = a->u.date;
		return 0;
	}
	d = (int64_t)a->u.date + (op == WV_OP_SUB ? -b->u.i : b->u.i);
	if (wvi_date_check(d, err) != 0)
		return -1;
	out->u.date = (int32_t)d;
	return 0;
}

static int
with_interval(enum wv_op op, const struct wv_val *a,
    const struct wv_interval *iv0, struct wv_val *out, struct wv_err *err)
{
	struct wv_interval iv = *iv0;
	int64_t ts;

	if (op == WV_OP_SUB && a->type != WV_TIME && a->type != WV_TIMETZ &&
	    a->type != WV_INTERVAL && wvi_interval_neg(iv0, &iv, err) != 0)
		return -1;
	switch (a->type) {
	case WV_DATE:
		if (wvi_date_to_ts(a->u.date, &ts, err) != 0)
			return -1;
		out->type = WV_TIMESTAMP;
		return ts_add_interval(ts, &iv, &out->u.ts, err);
	case WV_TIMESTAMP: case WV_TIMESTAMPTZ:
		out->type = a->type;
		return ts_add_interval(a->u.ts, &iv, &out->u.ts, err);
	case WV_TIME:
		out->type = WV_TIME;
		return time_add(a->u.time, &iv, op == WV_OP_SUB, &out->u.time);
	case WV_TIMETZ:
		*out = *a;
		return time_add(a->u.ttz.us, &iv, op == WV_OP_SUB,
		    &out->u.ttz.us);
	case WV_INTERVAL:
		out->type = WV_INTERVAL;
		return iv_addsub(&a->u.iv, iv0, op == WV_OP_SUB, &out->u.iv,
		    err);
	default:
		return wvi_err(err, "operator not supported");
	}
}

int
wvi_time_binop(enum wv_op op, const struct wv_val *a, const struct wv_val *b,
    struct wv_val *out, struct wv_err *err)
{
	int64_t ts;

	memset(out, 0, sizeof(*out));
	/* commuted forms: int4 + date, time + date, interval + x, f * iv */
	if (op == WV_OP_ADD && (a->type == WV_INT4 || (a->type == WV_TIME &&
	    b->type == WV_DATE) || (a->type == WV_INTERVAL &&
	    b->type != WV_INTERVAL)))
		return wvi_time_binop(op, b, a, out, err);
	if (op == WV_OP_MUL && a->type == WV_FLOAT8)
		return wvi_time_binop(op, b, a, out, err);
	if (a->type == WV_INTERVAL && b->type == WV_FLOAT8) {
		out->type = WV_INTERVAL;
		return iv_scale(&a->u.iv, b->u.f, op == WV_OP_DIV, &out->u.iv,
		    err);
	}
	if (b->type == WV_INTERVAL)
		return with_interval(op, a, &b->u.iv, out, err);
	if (a->type == WV_DATE && (b->type == WV_INT4 || b->type == WV_DATE))
		return date_arith(op, a, b, out, err);
	if (a->type == WV_DATE && b->type == WV_TIME) {
		if (wvi_date_to_ts(a->u.date, &ts, err) != 0)
			return -1;
		out->type = WV_TIMESTAMP;
		out->u.ts = ts == WV_TS_POSINF || ts == WV_TS_NEGINF ? ts :
		    ts + b->u.time;
		return wvi_ts_check(out->u.ts, err) != 0 &&
		    out->u.ts != WV_TS_POSINF && out->u.ts != WV_TS_NEGINF ?
		    -1 : 0;
	}
	out->type = WV_INTERVAL;
	if (a->type == WV_TIME && b->type == WV_TIME) {
		out->u.iv.us = a->u.time - b->u.time;
		return 0;
	}
	if (a->type == b->type && (a->type == WV_TIMESTAMP ||
	    a->type == WV_TIMESTAMPTZ))
		return ts_minus(a->u.ts, b->u.ts, &out->u.iv, err);
	return wvi_err(err, "operator not supported");
}

/* The justify_* arithmetic in 64 bits; the caller checks the result
 * fits (Postgres errors only when the final value overflows, as its
 * justify_interval pre-justifies days when that avoids an overflow). */
static void
wv_just64(int which, const struct wv_interval *v, int64_t *mo, int64_t *dd,
    int64_t *us)
{
	int64_t w;

	*mo = v->months;
	*dd = v->days;
	*us = v->us;
	if (which != 'd') {
		w = *us / WV_USECS_PER_DAY;
		*us -= w * WV_USECS_PER_DAY;
		*dd += w;
	}
	if (which != 'h') {
		w = *dd / 30;
		*dd -= w * 30;
		*mo += w;
		if (*mo > 0 && (*dd < 0 || (*dd == 0 && *us < 0 &&
		    which == 'i'))) {
			*dd += 30;
			(*mo)--;
		} else if (*mo < 0 && (*dd > 0 || (*dd == 0 && *us > 0 &&
		    which == 'i'))) {
			*dd -= 30;
			(*mo)++;
		}
	}
	if (which == 'd')
		return;
	if (*dd > 0 && *us < 0) {
		*us += WV_USECS_PER_DAY;
		(*dd)--;
	} else if (*dd < 0 && *us > 0) {
		*us -= WV_USECS_PER_DAY;
		(*dd)++;
	}
}

static struct wv_interval
wv_just(int which, struct wv_interval v)
{
	int64_t mo, dd, us;

	wv_just64(which, &v, &mo, &dd, &us);
	v.months = (int32_t)mo;
	v.days = (int32_t)dd;
	v.us = us;
	return v;
}

struct wv_interval
wv_justify_hours(struct wv_interval v)
{
	return wv_just('h', v);
}

struct wv_interval
wv_justify_days(struct wv_interval v)
{
	return wv_just('d', v);
}

struct wv_interval
wv_justify_interval(struct wv_interval v)
{
	return wv_just('i', v);
}

int
wv_justify(int which, const struct wv_val *a, struct wv_val *out,
    struct wv_err *err)
{
	int64_t mo, dd, us;

	wv_just64(which, &a->u.iv, &mo, &dd, &us);
	if (mo > INT32_MAX || mo < INT32_MIN || dd > INT32_MAX ||
	    dd < INT32_MIN)
		return iv_err(err);
	out->type = WV_INTERVAL;
	out->elem = 0;
	out->u.iv.months = (int32_t)mo;
	out->u.iv.days = (int32_t)dd;
	out->u.iv.us = us;
	return 0;
}

static const char *const wv_utc_names[] = {
	"utc", "gmt", "z", "etc/utc", "etc/gmt", "zulu", "universal",
	"etc/universal", "etc/zulu", "uct", "etc/uct", "greenwich",
	"etc/greenwich", "gmt0", "etc/gmt0", "gmt+0", "gmt-0",
};

/* Postgres reads a bare numeric zone given to timezone() as POSIX: "+02"
 * is 2 hours WEST of Greenwich. */
int
wv_zone_parse(const char *z, size_t len, int32_t *west, struct wv_err *err)
{
	int64_t h = 0, m = 0, s = 0, *f[3] = { &h, &m, &s };
	size_t i, k = 0;
	int neg = 0, nd = 0;

	for (i = 0; i < sizeof(wv_utc_names) / sizeof(wv_utc_names[0]); i++)
		if (strlen(wv_utc_names[i]) == len &&
		    strncasecmp(wv_utc_names[i], z, len) == 0) {
			*west = 0;
			return 0;
		}
	i = 0;
	if (len > 0 && (z[0] == '+' || z[0] == '-'))
		neg = z[i++] == '-';
	for (; i < len && k < 3; i++) {
		if (z[i] == ':') {
			if (nd == 0)
				goto bad;
			k++;
			nd = 0;
		} else if (z[i] >= '0' && z[i] <= '9' && nd < 2) {
			*f[k] = *f[k] * 10 + (z[i] - '0');
			nd++;
		} else
			goto bad;
	}
	if (len == 0 || nd == 0 || i != len || (z[0] != '+' && z[0] != '-' &&
	    (z[0] < '0' || z[0] > '9')) || h > 15 || m > 59 || s > 59)
		goto bad;
	*west = (int32_t)((h * 3600 + m * 60 + s) * (neg ? -1 : 1));
	return 0;
bad:
	for (i = 0; i < len && (z[i] == '_' || z[i] == '/' ||
	    ((z[i] | 0x20) >= 'a' && (z[i] | 0x20) <= 'z')); i++)
		;
	return wvi_err(err, i == len && len > 0 ? "time zone \"%.*s\" not "
	    "supported" : "time zone \"%.*s\" not recognized",
	    (int)(len > 100 ? 100 : len), z);
}

int
wv_timezone(const char *zone, size_t len, const struct wv_val *ts,
    struct wv_val *out, struct wv_err *err)
{
	int32_t west;

	if (wv_zone_parse(zone, len, &west, err) != 0)
		return -1;
	*out = *ts;
	out->type = ts->type == WV_TIMESTAMPTZ ? WV_TIMESTAMP : WV_TIMESTAMPTZ;
	if (ts->u.ts == WV_TS_POSINF || ts->u.ts == WV_TS_NEGINF)
		return 0;
	/* tstz -> local time = utc - west; local -> tstz = local + west */
	out->u.ts = ts->u.ts + (ts->type == WV_TIMESTAMPTZ ? -1 : 1) *
	    (int64_t)west * 1000000;
	return wvi_ts_check(out->u.ts, err);
}
