/*
 * where_val_time: date, time, timetz, timestamp, timestamptz: ISO input
 * (also 'infinity', '-infinity', BC, 'T' separator, zone offsets Z/+HH/
 * +HHMM/+HH:MM[:SS]), output under DateStyle ISO and TimeZone UTC,
 * timetz comparison, and the date/time arithmetic table.  Intervals live
 * in where_val_interval.c.  Called through where_val.c.
 * Not supported: named zones and zone abbreviations other than UTC/GMT/Z,
 * month names, non-ISO field orders ('31/01/2024'), 'epoch', 'now',
 * 'today', Julian dates.  Invariant: dates and timestamps use Postgres'
 * encoding (days / µs since 2000-01-01, INT*_MIN/MAX infinities).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

#define JD_2000		2451545		/* Julian day of 2000-01-01 */
#define TS_END_JD	109203528	/* first JD after 294276-12-31 */
#define DATE_END_JD	2147483494	/* first JD after 5874897-12-31 */

/* Days since 2000-01-01 of a proleptic Gregorian date (y astronomical). */
int64_t
wvi_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 - 10957;
}

void
wvi_civil_from_days(int64_t z, int64_t *yp, int *mp, int *dp)
{
	int64_t era, doe, yoe, y, doy, mp0;

	z += 719468 + 10957;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp0 = (5 * doy + 2) / 153;
	*dp = (int)(doy - (153 * mp0 + 2) / 5 + 1);
	*mp = (int)(mp0 < 10 ? mp0 + 3 : mp0 - 9);
	*yp = y + (*mp <= 2);
}

int
wvi_mdays(int64_t y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return md[m - 1];
}

/* --- a tiny scanner over the trimmed input --- */
struct scan {
	const char	*s;
	size_t		 len, i;
};

static int
sc_num(struct scan *sc, int mindig, int maxdig, int64_t *v)
{
	int n = 0;

	*v = 0;
	while (sc->i < sc->len && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9' &&
	    n < maxdig) {
		*v = *v * 10 + (sc->s[sc->i++] - '0');
		n++;
	}
	return n >= mindig ? 0 : -1;
}

static int
sc_eat(struct scan *sc, char c)
{
	if (sc->i < sc->len && sc->s[sc->i] == c) {
		sc->i++;
		return 1;
	}
	return 0;
}

static void
sc_space(struct scan *sc)
{
	while (sc->i < sc->len && wvi_isspace((unsigned char)sc->s[sc->i]))
		sc->i++;
}

/* .ffffff -> µs: read as a double and rounded with rint, as Postgres */
static int64_t
sc_frac(struct scan *sc)
{
	char buf[40];
	size_t n = 0;

	if (!sc_eat(sc, '.'))
		return 0;
	buf[n++] = '0';
	buf[n++] = '.';
	while (sc->i < sc->len && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') {
		if (n < sizeof(buf) - 1)
			buf[n++] = sc->s[sc->i];
		sc->i++;
	}
	buf[n] = '\0';
	return (int64_t)rint(strtod(buf, NULL) * 1e6);
}

/* HH:MM[:SS[.f]] -> µs (24:00:00 allowed; seconds 60 carry) */
static int
sc_time(struct scan *sc, int64_t *us)
{
	int64_t h, m, s = 0, f = 0;

	if (sc_num(sc, 1, 2, &h) != 0 || !sc_eat(sc, ':') ||
	    sc_num(sc, 2, 2, &m) != 0)
		return -1;
	if (sc_eat(sc, ':')) {
		if (sc_num(sc, 2, 2, &s) != 0)
			return -1;
		f = sc_frac(sc);
	}
	if (m > 59 || s > 60 || h > 24)
		return -2;
	*us = ((h * 60 + m) * 60 + s) * 1000000 + f;
	if (*us > WV_USECS_PER_DAY)
		return -2;
	return 0;
}

/* Zone: Z | UTC | GMT | [+-]HH[[:]MM[[:]SS]] -> seconds west */
static int
sc_zone(struct scan *sc, int32_t *west, int *have)
{
	int64_t h = 0, m = 0, s = 0;
	int neg;

	*have = 0;
	sc_space(sc);
	if (sc->i == sc->len)
		return 0;
	if (sc->len - sc->i >= 3 && (strncasecmp(sc->s + sc->i, "UTC", 3) == 0
	    || strncasecmp(sc->s + sc->i, "GMT", 3) == 0)) {
		sc->i += 3;
		*west = 0;
		*have = 1;
		return 0;
	}
	if (sc->s[sc->i] == 'Z' || sc->s[sc->i] == 'z') {
		sc->i++;
		*west = 0;
		*have = 1;
		return 0;
	}
	if (sc->s[sc->i] != '+' && sc->s[sc->i] != '-')
		return 0;
	neg = sc->s[sc->i++] == '-';
	if (sc_num(sc, 1, 2, &h) != 0)
		return -1;
	sc_eat(sc, ':');
	if (sc->i < sc->len && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9') {
		if (sc_num(sc, 2, 2, &m) != 0)
			return -1;
		sc_eat(sc, ':');
		if (sc->i < sc->len && sc->s[sc->i] >= '0' &&
		    sc->s[sc->i] <= '9' && sc_num(sc, 2, 2, &s) != 0)
			return -1;
	}
	if (m > 59 || s > 59)
		return -2;
	if (h > 15)
		return -4;
	*west = (int32_t)((h * 3600 + m * 60 + s) * (neg ? 1 : -1));
	*have = 1;
	return 0;
}

static int
sc_bc(struct scan *sc)
{
	sc_space(sc);
	if (sc->len - sc->i >= 2 && strncasecmp(sc->s + sc->i, "BC", 2) == 0) {
		sc->i += 2;
		return 1;
	}
	return 0;
}

static const char *
wv_time_tname(enum wv_type t)
{
	switch (t) {
	case WV_DATE: return "date";
	case WV_TIME: return "time";
	case WV_TIMETZ: return "time with time zone";
	case WV_TIMESTAMP: return "timestamp";
	default: return "timestamp with time zone";
	}
}

/* Y-M-D [BC] part; returns days since 2000 or error (-1 syntax, -2 range) */
static int
sc_date(struct scan *sc, int64_t *days, int *bc_pending)
{
	int64_t y, m, d;

	if (sc_num(sc, 1, 9, &y) != 0 || !sc_eat(sc, '-') ||
	    sc_num(sc, 1, 2, &m) != 0 || !sc_eat(sc, '-') ||
	    sc_num(sc, 1, 2, &d) != 0)
		return -1;
	*bc_pending = 0;
	if (y == 0 || m < 1 || m > 12 || d < 1)
		return -2;
	/* BC may come at the very end; remember y, fix later */
	if (d > wvi_mdays(y, (int)m) && !(m == 2 && d == 29))
		return -2;
	*days = wvi_days_from_civil(y, (int)m, (int)d);
	*bc_pending = (int)(y);
	if (m == 2 && d == 29 && wvi_mdays(y, 2) != 29)
		*bc_pending = (int)-y;	/* valid only if BC makes it leap */
	return 0;
}

static int
wv_apply_bc(int64_t *days, int yinfo, int bc)
{
	int64_t y = yinfo < 0 ? -yinfo : yinfo;
	int64_t y2 = 1 - y;
	int m, d;
	int64_t yy;

	if (!bc)
		return yinfo < 0 ? -2 : 0;
	wvi_civil_from_days(*days, &yy, &m, &d);
	if (yinfo < 0) {
		m = 2;
		d = 29;
	}
	if (m == 2 && d == 29 && wvi_mdays(y2, 2) != 29)
		return -2;
	*days = wvi_days_from_civil(y2, m, d);
	return 0;
}

static int
wv_special_ts(const char *s, size_t len, int64_t *ts)
{
	if (len == 8 && strncasecmp(s, "infinity", 8) == 0)
		*ts = WV_TS_POSINF;
	else if (len == 9 && strncasecmp(s, "+infinity", 9) == 0)
		*ts = WV_TS_POSINF;
	else if (len == 9 && strncasecmp(s, "-infinity", 9) == 0)
		*ts = WV_TS_NEGINF;
	else
		return 0;
	return 1;
}

static int
wv_parse_datetime(enum wv_type t, struct scan *sc, struct wv_val *out)
{
	int64_t days = 0, us = 0;
	int32_t west = 0;
	int yinfo = 0, have = 0, rc, bc;

	if ((rc = sc_date(sc, &days, &yinfo)) != 0)
		return rc;
	if (sc->i < sc->len && (sc->s[sc->i] == 'T' || sc->s[sc->i] == 't' ||
	    wvi_isspace((unsigned char)sc->s[sc->i]))) {
		sc->i++;
		sc_space(sc);
		if (sc->i < sc->len && sc->s[sc->i] >= '0' &&
		    sc->s[sc->i] <= '9' && (rc = sc_time(sc, &us)) != 0)
			return rc;
	}
	if ((rc = sc_zone(sc, &west, &have)) != 0)
		return rc;
	bc = sc_bc(sc);
	sc_space(sc);
	if (sc->i != sc->len)
		return -1;
	if ((rc = wv_apply_bc(&days, yinfo, bc)) != 0)
		return rc;
	if (days + JD_2000 < 0 || days + JD_2000 >= (t == WV_DATE ?
	    DATE_END_JD : TS_END_JD))
		return -3;
	if (t == WV_DATE) {
		out->u.date = (int32_t)days;
		return 0;
	}
	out->u.ts = days * WV_USECS_PER_DAY + us;
	if (t == WV_TIMESTAMPTZ && have)
		out->u.ts += (int64_t)west * 1000000;
	if (out->u.ts < -(int64_t)JD_2000 * WV_USECS_PER_DAY ||
	    out->u.ts >= (int64_t)(TS_END_JD - JD_2000) * WV_USECS_PER_DAY)
		return -3;
	return 0;
}

static int
wv_parse_timeonly(enum wv_type t, struct scan *sc, struct wv_val *out)
{
	int64_t us;
	int32_t west = 0;
	int have, rc;

	if ((rc = sc_time(sc, &us)) != 0)
		return rc;
	if ((rc = sc_zone(sc, &west, &have)) != 0)
		return rc;
	sc_space(sc);
	if (sc->i != sc->len || (have && t == WV_TIME && 0))
		return -1;
	if (t == WV_TIME)
		out->u.time = us;
	else {
		out->u.ttz.us = us;
		out->u.ttz.zone = west;
	}
	return 0;
}

int
wvi_parse_time_type(enum wv_type t, const char *s0, size_t len0,
    struct wv_val *out, struct wv_err *err)
{
	struct scan sc = { s0, len0, 0 };
	int64_t ts;
	int rc;

	wvi_trim(&sc.s, &sc.len);
	if ((t == WV_DATE || t == WV_TIMESTAMP || t == WV_TIMESTAMPTZ) &&
	    wv_special_ts(sc.s, sc.len, &ts)) {
		if (t == WV_DATE)
			out->u.date = ts > 0 ? WV_DATE_POSINF : WV_DATE_NEGINF;
		else
			out->u.ts = ts;
		return 0;
	}
	if (t == WV_TIME || t == WV_TIMETZ)
		rc = wv_parse_timeonly(t, &sc, out);
	else
		rc = wv_parse_datetime(t, &sc, out);
	if (rc < -1)
		return wvi_err(err, "%s: \"%.*s\"", rc == -2 ?
		    "date/time field value out of range" : rc == -4 ?
		    "time zone displacement out of range" : t == WV_DATE ?
		    "date out of range" : "timestamp out of range",
		    (int)(len0 > 200 ? 200 : len0), s0);
	if (rc != 0)
		return wvi_bad_input(err, wv_time_tname(t), s0, len0);
	return 0;
}

/* --- output --- */

static void
wv_out_hms(int64_t us, struct sbuf *out)
{
	int64_t f = us % 1000000;
	char buf[8];
	int n;

	us /= 1000000;
	sbuf_addf(out, "%02d:%02d:%02d", (int)(us / 3600),
	    (int)(us / 60 % 60), (int)(us % 60));
	if (f != 0) {
		n = snprintf(buf, sizeof(buf), "%06d", (int)f);
		while (n > 0 && buf[n - 1] == '0')
			n--;
		sbuf_addc(out, '.');
		sbuf_add(out, buf, (size_t)n);
	}
}

static void
wv_out_zone(int32_t west, struct sbuf *out)
{
	int32_t e = -west, a = e < 0 ? -e : e;

	sbuf_addf(out, "%c%02d", e < 0 ? '-' : '+', a / 3600);
	if (a % 3600 != 0)
		sbuf_addf(out, ":%02d", a / 60 % 60);
	if (a % 60 != 0)
		sbuf_addf(out, ":%02d", a % 60);
}

static void
wv_out_ymd(int64_t days, struct sbuf *out, int *bc)
{
	int64_t y;
	int m, d;

	wvi_civil_from_days(days, &y, &m, &d);
	*bc = y <= 0;
	sbuf_addf(out, "%04lld-%02d-%02d", (long long)(y <= 0 ? 1 - y : y),
	    m, d);
}

static int64_t
wv_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void
wvi_out_time_type(const struct wv_val *v, struct sbuf *out)
{
	int64_t days;
	int bc;

	switch (v->type) {
	case WV_DATE:
		if (v->u.date == WV_DATE_POSINF || v->u.date == WV_DATE_NEGINF) {
			sbuf_adds(out, v->u.date > 0 ? "infinity" : "-infinity");
			return;
		}
		wv_out_ymd(v->u.date, out, &bc);
		break;
	case WV_TIME:
		wv_out_hms(v->u.time, out);
		return;
	case WV_TIMETZ:
		wv_out_hms(v->u.ttz.us, out);
		wv_out_zone(v->u.ttz.zone, out);
		return;
	case WV_TIMESTAMP: case WV_TIMESTAMPTZ:
		if (v->u.ts == WV_TS_POSINF || v->u.ts == WV_TS_NEGINF) {
			sbuf_adds(out, v->u.ts > 0 ? "infinity" : "-infinity");
			return;
		}
		days = wv_floordiv(v->u.ts, WV_USECS_PER_DAY);
		wv_out_ymd(days, out, &bc);
		sbuf_addc(out, ' ');
		wv_out_hms(v->u.ts - days * WV_USECS_PER_DAY, out);
		if (v->type == WV_TIMESTAMPTZ)
			sbuf_adds(out, "+00");
		break;
	default:
		wvi_out_interval(&v->u.iv, out);
		return;
	}
	if (bc)
		sbuf_adds(out, " BC");
}

int
wvi_cmp_timetz(const struct wv_val *a, const struct wv_val *b)
{
	int64_t ua = a->u.ttz.us + (int64_t)a->u.ttz.zone * 1000000;
	int64_t ub = b->u.ttz.us + (int64_t)b->u.ttz.zone * 1000000;

	if (ua != ub)
		return ua < ub ? -1 : 1;
	return (a->u.ttz.zone > b->u.ttz.zone) -
	    (a->u.ttz.zone < b->u.ttz.zone);
}

int
wvi_date_to_ts(int32_t d, int64_t *ts, struct wv_err *err)
{
	if (d == WV_DATE_POSINF || d == WV_DATE_NEGINF) {
		*ts = d > 0 ? WV_TS_POSINF : WV_TS_NEGINF;
		return 0;
	}
	if ((int64_t)d + JD_2000 >= TS_END_JD)
		return wvi_err(err, "date out of range for timestamp");
	*ts = (int64_t)d * WV_USECS_PER_DAY;
	return 0;
}

int32_t
wvi_ts_to_date(int64_t ts)
{
	if (ts == WV_TS_POSINF || ts == WV_TS_NEGINF)
		return ts > 0 ? WV_DATE_POSINF : WV_DATE_NEGINF;
	return (int32_t)wv_floordiv(ts, WV_USECS_PER_DAY);
}

int
wvi_ts_check(int64_t ts, struct wv_err *err)
{
	if (ts < -(int64_t)JD_2000 * WV_USECS_PER_DAY ||
	    ts >= (int64_t)(TS_END_JD - JD_2000) * WV_USECS_PER_DAY)
		return wvi_err(err, "timestamp out of range");
	return 0;
}

int
wvi_date_check(int64_t d, struct wv_err *err)
{
	if (d + JD_2000 < 0 || d + JD_2000 >= DATE_END_JD)
		return wvi_err(err, "date out of range");
	return 0;
}
