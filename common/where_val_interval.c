/*
 * where_val_interval: intervals (input in iso_8601 "P1Y2M3DT4H5M6S" and
 * "P0001-02-03T04:05:06" forms and Postgres' verbose form "1 year 2 mons
 * 3 days 04:05:06", "@ 1 day ago"; iso_8601 output; interval_cmp), the
 * date/time operator table (±, *, /), justify_* and timezone().  Called
 * through where_val.c.  Not supported: the SQL-standard "1-2" year-month
 * input form, typmod field qualifiers, named time zones except UTC.
 * Invariant: arithmetic follows Postgres 15, with "interval out of range",
 * "timestamp out of range" and "date out of range" errors.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "where_val_int.h"

#define USEC_H	INT64_C(3600000000)
#define USEC_M	INT64_C(60000000)
#define USEC_S	INT64_C(1000000)

struct ivacc {
	double	months, days;	/* doubles: exact for sane inputs */
	int64_t	us;		/* exact up to the int64 range */
	int	ovf;		/* us overflowed */
};

/* a->us += x (x already rounded to whole microseconds). */
static void
iv_us(struct ivacc *a, double x)
{
	if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0) ||
	    __builtin_add_overflow(a->us, (int64_t)x, &a->us))
		a->ovf = 1;
}

enum { U_YEAR, U_MON, U_WEEK, U_DAY, U_HOUR, U_MIN, U_SEC, U_MS, U_US,
    U_DECADE, U_CENTURY, U_MILLENNIUM };

static const struct {
	const char	*name;
	int		 unit;
} wv_units[] = {
	{ "year", U_YEAR }, { "years", U_YEAR }, { "y", U_YEAR },
	{ "yr", U_YEAR }, { "yrs", U_YEAR },
	{ "mon", U_MON }, { "mons", U_MON }, { "month", U_MON },
	{ "months", U_MON }, { "week", U_WEEK }, { "weeks", U_WEEK },
	{ "w", U_WEEK }, { "day", U_DAY }, { "days", U_DAY }, { "d", U_DAY },
	{ "hour", U_HOUR }, { "hours", U_HOUR }, { "h", U_HOUR },
	{ "hr", U_HOUR }, { "hrs", U_HOUR },
	{ "minute", U_MIN }, { "minutes", U_MIN }, { "min", U_MIN },
	{ "mins", U_MIN }, { "m", U_MIN },
	{ "second", U_SEC }, { "seconds", U_SEC }, { "sec", U_SEC },
	{ "secs", U_SEC }, { "s", U_SEC },
	{ "millisecond", U_MS }, { "milliseconds", U_MS }, { "ms", U_MS },
	{ "msec", U_MS }, { "msecs", U_MS },
	{ "microsecond", U_US }, { "microseconds", U_US }, { "us", U_US },
	{ "usec", U_US }, { "usecs", U_US },
	{ "decade", U_DECADE }, { "decades", U_DECADE },
	{ "century", U_CENTURY }, { "centuries", U_CENTURY },
	{ "millennium", U_MILLENNIUM }, { "millennia", U_MILLENNIUM },
};

/* Adds v units, spreading fractions down as Postgres does. */
static void
iv_add(struct ivacc *a, int unit, double v)
{
	double ip = trunc(v), f = v - ip, fd;

	switch (unit) {
	case U_MILLENNIUM: a->months += rint(v * 12000); return;
	case U_CENTURY: a->months += rint(v * 1200); return;
	case U_DECADE: a->months += rint(v * 120); return;
	case U_YEAR: a->months += ip * 12 + rint(f * 12); return;
	case U_MON: case U_WEEK:
		fd = f * (unit == U_MON ? 30 : 7);
		if (unit == U_MON)
			a->months += ip;
		else
			a->days += ip * 7;
		a->days += trunc(fd);
		iv_us(a, rint((fd - trunc(fd)) * 86400e6));
		return;
	case U_DAY: a->days += ip; iv_us(a, rint(f * 86400e6)); return;
	case U_HOUR: iv_us(a, rint(v * 3600e6)); return;
	case U_MIN: iv_us(a, rint(v * 60e6)); return;
	case U_SEC: iv_us(a, rint(v * 1e6)); return;
	case U_MS: iv_us(a, rint(v * 1e3)); return;
	default: iv_us(a, rint(v)); return;
	}
}

/* -2: the months overflow ("interval out of range"), -3: a field
 * ("interval field value out of range"), as Postgres words them. */
static int
iv_finish(const struct ivacc *a, int neg, struct wv_interval *out)
{
	double s = neg ? -1 : 1, m = a->months * s, d = a->days * s;

	if (m < INT32_MIN || m > INT32_MAX)
		return -2;
	if (d < INT32_MIN || d > INT32_MAX || a->ovf ||
	    (neg && a->us == INT64_MIN))
		return -3;
	out->months = (int32_t)m;
	out->days = (int32_t)d;
	out->us = neg ? -a->us : a->us;
	return 0;
}

static int
iv_number(const char *s, size_t len, size_t *i, double *v)
{
	char buf[64], *end;
	size_t st = *i;

	if (*i < len && (s[*i] == '-' || s[*i] == '+'))
		(*i)++;
	while (*i < len && (isdigit((unsigned char)s[*i]) || s[*i] == '.'))
		(*i)++;
	if (*i - st == 0 || *i - st >= sizeof(buf))
		return -1;
	memcpy(buf, s + st, *i - st);
	buf[*i - st] = '\0';
	*v = strtod(buf, &end);
	return *end == '\0' && end != buf && isdigit((unsigned char)end[-1]) ?
	    0 : (*end == '\0' && strchr(buf, '.') && end - buf > 1 ? 0 : -1);
}

/* P[nY][nM][nW][nD][T[nH][nM][nS]] or P<yyyy-mm-dd>T<hh:mm:ss> */
static int
iv_iso(const char *s, size_t len, struct wv_interval *out)
{
	static const char dates[] = "YMWD", times[] = "HMS";
	static const int dunit[] = { U_YEAR, U_MON, U_WEEK, U_DAY };
	static const int tunit[] = { U_HOUR, U_MIN, U_SEC };
	struct ivacc a = { 0, 0, 0, 0 };
	size_t i = 1;
	int in_time = 0;
	double v;
	const char *p;

	if (len == 1)
		return -1;
	while (i < len) {
		if (s[i] == 'T' && !in_time) {
			in_time = 1;
			i++;
			continue;
		}
		if (iv_number(s, len, &i, &v) != 0 || i >= len)
			return -1;
		p = strchr(in_time ? times : dates, toupper((unsigned char)s[i]));
		if (p == NULL || s[i] == '\0')
			return -1;
		iv_add(&a, in_time ? tunit[p - times] : dunit[p - dates], v);
		i++;
	}
	return iv_finish(&a, 0, out);
}

static int
iv_unit(const char *w, size_t n)
{
	size_t k;

	for (k = 0; k < sizeof(wv_units) / sizeof(wv_units[0]); k++)
		if (strlen(wv_units[k].name) == n &&
		    strncasecmp(wv_units[k].name, w, n) == 0)
			return wv_units[k].unit;
	return -1;
}

/* [-]H:MM[:SS[.f]] */
static int
iv_clock(const char *s, size_t len, size_t *i, struct ivacc *a)
{
	double h, m, sec = 0;
	int neg = 0;

	if (s[*i] == '-' || s[*i] == '+')
		neg = s[(*i)++] == '-';
	if (iv_number(s, len, i, &h) != 0 || *i >= len || s[*i] != ':')
		return -1;
	(*i)++;
	if (iv_number(s, len, i, &m) != 0)
		return -1;
	if (*i < len && s[*i] == ':') {
		(*i)++;
		if (iv_number(s, len, i, &sec) != 0)
			return -1;
	}
	iv_us(a, (neg ? -1 : 1) * h * 3600e6);
	iv_us(a, (neg ? -1 : 1) * m * 60e6);
	iv_us(a, (neg ? -1 : 1) * rint(sec * 1e6));
	return 0;
}

/* Fields set by an hh:mm[:ss] clock (each field may be given once). */
#define IV_CLOCK_M	(1u << U_HOUR | 1u << U_MIN | 1u << U_SEC | \
			 1u << U_MS | 1u << U_US)

/* A field separator of Postgres' ParseDateTime: spaces and punctuation
 * other than the signs, '.' and ':' ("50%" is 50 seconds). */
static int
iv_sep(int c)
{
	return wvi_isspace(c) || (ispunct(c) && strchr("+-.:", c) == NULL);
}

/* [+-]Y-M (SQL standard year-month) at s[i]: 1 and its end in *e, 0 if
 * not one, -3 when the month is out of range. */
static int
iv_ym(const char *s, size_t len, size_t i, size_t *e, double *months)
{
	size_t k = i + (s[i] == '-' || s[i] == '+'), d1, d2;
	double y = 0, m = 0;

	for (d1 = k; k < len && isdigit((unsigned char)s[k]); k++)
		y = y * 10 + (s[k] - '0');
	if (k == d1 || k >= len || s[k] != '-')
		return 0;
	for (d2 = ++k; k < len && isdigit((unsigned char)s[k]); k++)
		m = m * 10 + (s[k] - '0');
	if (k == d2 || (k < len && !iv_sep((unsigned char)s[k])))
		return 0;
	if (m > 11)
		return -3;
	*e = k;
	*months = (s[i] == '-' ? -1 : 1) * (y * 12 + m);
	return 1;
}

enum { IVF_BARE, IVF_UNIT, IVF_CLOCK, IVF_YM };

struct ivf {
	int	 kind, unit;
	double	 v;
	size_t	 pos;		/* IVF_CLOCK: where it starts */
};

#define IV_MAXF	32

/* Splits the verbose form into fields; returns their number or < 0. */
static int
iv_fields(const char *s, size_t len, struct ivf *f, int *neg)
{
	size_t i = 0, j, w;
	int n = 0, r;

	for (;;) {
		while (i < len && iv_sep((unsigned char)s[i]))
			i++;
		if (i == len)
			return n;
		if (len - i == 3 && strncasecmp(s + i, "ago", 3) == 0 && n) {
			*neg = 1;
			return n;
		}
		if (n == IV_MAXF)
			return -1;
		f[n].pos = i;
		for (j = i + (s[i] == '-' || s[i] == '+'); j < len &&
		    (isdigit((unsigned char)s[j]) || s[j] == '.'); j++)
			;
		if (j < len && s[j] == ':') {
			f[n++].kind = IVF_CLOCK;
			if (iv_clock(s, len, &i, &(struct ivacc){ 0 }) != 0)
				return -1;
			continue;
		}
		if ((r = iv_ym(s, len, i, &i, &f[n].v)) != 0) {
			if (r < 0)
				return r;
			f[n++].kind = IVF_YM;
			continue;
		}
		if (iv_number(s, len, &i, &f[n].v) != 0)
			return -1;
		while (i < len && iv_sep((unsigned char)s[i]))
			i++;
		for (w = i; w < len && isalpha((unsigned char)s[w]); w++)
			;
		f[n].kind = IVF_BARE;
		if (w > i && !(w - i == 3 && strncasecmp(s + i, "ago", 3) == 0)) {
			if ((f[n].unit = iv_unit(s + i, w - i)) < 0)
				return -1;
			f[n].kind = IVF_UNIT;
			i = w;
		}
		n++;
	}
}

/* Postgres reads the fields backwards: a number without a unit is
 * seconds at the end, days before a clock or an hour field, and takes
 * the unit of the field after it otherwise (usually a duplicate). */
static int
iv_verbose(const char *s, size_t len, struct wv_interval *out)
{
	struct ivacc a = { 0, 0, 0, 0 };
	struct ivf f[IV_MAXF];
	int neg = 0, n, k, unit, type = U_SEC;
	unsigned mask = 0, m;
	size_t pos;

	if ((n = iv_fields(s, len, f, &neg)) <= 0)
		return n < 0 ? n : -1;
	for (k = n - 1; k >= 0; k--) {
		switch (f[k].kind) {
		case IVF_CLOCK:
			m = IV_CLOCK_M;
			pos = f[k].pos;
			(void)iv_clock(s, len, &pos, &a);
			type = U_DAY;
			break;
		case IVF_YM:
			m = 1u << U_YEAR | 1u << U_MON;
			a.months += f[k].v;
			type = -1;
			break;
		default:
			if ((unit = f[k].kind == IVF_UNIT ? f[k].unit : type) < 0)
				return -1;
			m = 1u << unit;
			type = unit == U_HOUR ? U_DAY : unit;
			if (!(mask & m))
				iv_add(&a, unit, f[k].v);
			break;
		}
		if (mask & m)	/* a field given twice */
			return -1;
		mask |= m;
	}
	return iv_finish(&a, neg, out);
}

int
wvi_parse_interval(const char *s0, size_t len0, struct wv_interval *out,
    struct wv_err *err)
{
	const char *s = s0;
	size_t len = len0;
	int rc;

	wvi_trim(&s, &len);
	if (len > 0 && s[0] == 'P')
		rc = iv_iso(s, len, out);
	else
		rc = iv_verbose(s, len, out);
	if (rc == -2)
		return wvi_err(err, "interval out of range");
	if (rc == -3)
		return wvi_err(err, "interval field value out of range: \"%.*s\"",
		    (int)len0, s0);
	if (rc != 0)
		return wvi_bad_input(err, "interval", s0, len0);
	return 0;
}

void
wvi_out_interval(const struct wv_interval *iv, struct sbuf *out)
{
	int64_t us = iv->us, h, m, sec, f;
	char buf[8];
	int n;

	if (iv->months == 0 && iv->days == 0 && iv->us == 0) {
		sbuf_adds(out, "PT0S");
		return;
	}
	sbuf_addc(out, 'P');
	if (iv->months / 12 != 0)
		sbuf_addf(out, "%dY", iv->months / 12);
	if (iv->months % 12 != 0)
		sbuf_addf(out, "%dM", iv->months % 12);
	if (iv->days != 0)
		sbuf_addf(out, "%dD", iv->days);
	if (us == 0)
		return;
	sbuf_addc(out, 'T');
	h = us / USEC_H;
	us -= h * USEC_H;
	m = us / USEC_M;
	us -= m * USEC_M;
	sec = us / USEC_S;
	f = us - sec * USEC_S;
	if (h != 0)
		sbuf_addf(out, "%lldH", (long long)h);
	if (m != 0)
		sbuf_addf(out, "%lldM", (long long)m);
	if (sec == 0 && f == 0)
		return;
	if (sec == 0 && f < 0)
		sbuf_addc(out, '-');
	sbuf_addf(out, "%lld", (long long)sec);
	if (f != 0) {
		n = snprintf(buf, sizeof(buf), "%06lld", (long long)llabs(f));
		while (n > 0 && buf[n - 1] == '0')
			n--;
		sbuf_addc(out, '.');
		sbuf_add(out, buf, (size_t)n);
	}
	sbuf_addc(out, 'S');
}

int
wvi_cmp_interval(const struct wv_interval *a, const struct wv_interval *b)
{
	__int128 sa = ((__int128)a->months * 30 + a->days) *
	    (__int128)WV_USECS_PER_DAY + a->us;
	__int128 sb = ((__int128)b->months * 30 + b->days) *
	    (__int128)WV_USECS_PER_DAY + b->us;

	return (sa > sb) - (sa < sb);
}
