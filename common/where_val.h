/*
 * where_val: typed values of the shape WHERE language (PROTOCOL.md §10.2,
 * §10.4, §11.1, §11.3): parse Postgres text (output and input grammar),
 * compare, arithmetic, casts, text output, LIKE, arrays.  Semantics are
 * Postgres 15's under the §11.1 session settings (DateStyle ISO, DMY;
 * TimeZone UTC; IntervalStyle iso_8601; extra_float_digits 1;
 * bytea_output hex).  Users: the WHERE compiler/evaluator (where_*.c),
 * tests/where.  Pure: no I/O, no Postgres.
 *
 * Values are small and passed by value.  Fixed-size types live in the
 * struct; variable-size ones (text, numeric digits, bytea bytes, arrays)
 * point either into the parsed source text (which must outlive the value)
 * or into a caller-provided arena.  Parsing Postgres *output* of a scalar
 * never allocates (numeric digits and text point into the source); only
 * input forms that need rewriting (numeric with exponent, bytea, quoted
 * array elements, arrays themselves) and computed results use the arena.
 *
 * Errors: functions return 0 on success or -1 on error; when err is not
 * NULL it receives Postgres' message text (e.g. "integer out of range",
 * "division by zero", `invalid input syntax for type integer: "abc"`).
 * Passing err = NULL skips formatting (cheaper on the row path).
 * The caller handles SQL NULL operands (strictness, 3VL); these functions
 * never see a NULL scalar, except array elements (type WV_NULL).
 */
#ifndef ELECTRICD_WHERE_VAL_H
#define ELECTRICD_WHERE_VAL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Value types.  WV_ARRAY is "array of elem" (any number of dims). */
enum wv_type {
	WV_NULL = 0,		/* an array element that is NULL */
	WV_BOOL, WV_INT2, WV_INT4, WV_INT8, WV_FLOAT4, WV_FLOAT8,
	WV_NUMERIC, WV_TEXT, WV_VARCHAR, WV_BPCHAR, WV_NAME, WV_UUID,
	WV_DATE, WV_TIME, WV_TIMETZ, WV_TIMESTAMP, WV_TIMESTAMPTZ,
	WV_INTERVAL, WV_BYTEA, WV_JSON, WV_JSONB, WV_ENUM,
	WV_ARRAY,
	WV_NTYPES
};

/* Special values of dates and timestamps (Postgres' own encoding). */
#define WV_DATE_NEGINF	INT32_MIN
#define WV_DATE_POSINF	INT32_MAX
#define WV_TS_NEGINF	INT64_MIN
#define WV_TS_POSINF	INT64_MAX
#define WV_USECS_PER_DAY	INT64_C(86400000000)

/* numeric kinds */
enum wv_numkind { WV_NUM_FINITE = 0, WV_NUM_NAN, WV_NUM_PINF, WV_NUM_NINF };

/*
 * An exact decimal: (-1)^neg * 0.d1d2d3... * 10^(exp+1), i.e. d[0] is the
 * digit of weight 10^exp.  d holds nd ASCII characters '0'..'9' and at
 * most one '.', which is skipped (so a value can point straight into
 * "123.4500").  No leading zero digits; trailing zero digits allowed.
 * Zero is nd == 0 (neg == 0).  dscale = digits shown after the point.
 */
struct wv_num {
	const char	*d;
	uint32_t	 nd;
	int32_t		 exp;
	uint16_t	 dscale;
	uint8_t		 kind;		/* enum wv_numkind */
	uint8_t		 neg;
};

struct wv_interval {
	int64_t		 us;		/* time part, microseconds */
	int32_t		 days;
	int32_t		 months;
};

struct wv_array;

struct wv_val {
	uint8_t		 type;		/* enum wv_type */
	uint8_t		 elem;		/* WV_ARRAY: the element type */
	union {
		int		 b;	/* WV_BOOL: 0 or 1 */
		int64_t		 i;	/* WV_INT2/4/8 */
		double		 f;	/* WV_FLOAT4 (value rounded to float)
					 * and WV_FLOAT8 */
		struct wv_num	 num;	/* WV_NUMERIC */
		struct {		/* text types, json, jsonb, enum label,
					 * bytea (the raw bytes, not hex) */
			const char	*p;
			size_t		 len;
		} s;
		uint8_t		 uuid[16];
		int32_t		 date;	/* days since 2000-01-01 */
		int64_t		 time;	/* WV_TIME: µs since midnight,
					 * 0..86400000000 (24:00:00 ok) */
		struct {		/* WV_TIMETZ */
			int64_t	 us;
			int32_t	 zone;	/* seconds WEST of UTC (Postgres'
					 * sign: "+02" is -7200) */
		} ttz;
		int64_t		 ts;	/* WV_TIMESTAMP(TZ): µs since
					 * 2000-01-01 00:00 (UTC for tz) */
		struct wv_interval iv;
		const struct wv_array *arr;	/* WV_ARRAY */
	} u;
};

#define WV_MAXDIM	6
struct wv_array {
	uint8_t		 elem;		/* element type */
	int		 ndim;		/* 0 = empty array '{}' */
	int		 dims[WV_MAXDIM];
	int		 lbound[WV_MAXDIM];	/* 1 unless [lo:hi]= given */
	size_t		 n;		/* product of dims */
	const struct wv_val *items;	/* n values, row-major; NULL elements
					 * have type WV_NULL */
};

/* Postgres error text (NUL-terminated). */
struct wv_err {
	char	msg[256];
};

/*
 * Arena: bump allocator for variable-size results.  Reset keeps the first
 * block so a steady state allocates nothing.  Values from the arena are
 * valid until the next reset/free.
 */
struct wv_arena {
	struct wv_block	*head;
	size_t		 used;		/* in head */
};
void wv_arena_init(struct wv_arena *);
void wv_arena_reset(struct wv_arena *);
void wv_arena_free(struct wv_arena *);
void *wv_arena_alloc(struct wv_arena *, size_t);	/* 8-aligned */

/* Type names: typname ("int4", "timestamptz", "bpchar", ...).  from_name
 * also takes SQL spellings ("integer", "int", "smallint", "bigint", "real",
 * "double precision", "boolean", "character varying", "character",
 * "char", "decimal", "timestamp with[out] time zone", "time with[out]
 * time zone").  Returns -1 for an unknown name (enums are the caller's
 * business: it knows the table's enum types). */
const char *wv_type_name(enum wv_type);
int wv_type_from_name(const char *name, size_t len);
int wv_type_is_text(enum wv_type);	/* text, varchar, bpchar, name */
int wv_type_is_int(enum wv_type);	/* int2, int4, int8 */

/*
 * Parse: text of type t (elem for WV_ARRAY) -> *out.  Accepts Postgres'
 * output and its input grammar: ints with spaces/sign ("  05 ", "+3"),
 * floats ("1e5", " -Infinity ", "nan", "inf"), bool (t/f/true/false/yes/
 * no/on/off/1/0, any case, unique prefixes, spaces), uuid (braces, upper
 * case, hyphen groups of 4 as Postgres allows), numeric (" 1.50 ", "1e3",
 * "NaN", "Infinity"), date/time/timestamp[tz]/timetz in ISO forms (see
 * where_val_time.c for exactly what), interval (iso_8601 "P1Y2M3DT4H5M6S",
 * "P0001-02-03T04:05:06" and Postgres' "1 day 02:00:00" / "@ 1 day ago"
 * verbose form), bytea (hex "\x.." and escape format), arrays ("{...}",
 * quoting, NULL, nested, "[lo:hi]={...}").  text/varchar/bpchar/name/
 * enum take the text as is (no typmod: no length checks, no padding; name
 * is not truncated to 63 bytes).  json and jsonb are validated ("invalid
 * input syntax for type json"); json keeps the text, jsonb becomes
 * jsonb_out's canonical text (in the arena unless the input already is).
 * Errors use Postgres' messages: `invalid input syntax for type integer:
 * "abc"`, `value "99999999999" is out of range for type integer`, ...
 */
int wv_parse(enum wv_type t, enum wv_type elem, const char *s, size_t len,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;

/*
 * Compare two values of the SAME type (the caller casts first; text types
 * may be mixed: text/varchar/name compare bytewise like COLLATE "C", bpchar
 * ignores trailing spaces when either side is bpchar).  Returns <0, 0, >0.
 * floats: NaN == NaN, NaN > everything, -0 == 0.  numeric exact, NaN >
 * +Infinity > finite.  interval: Postgres' interval_cmp (months*30 days,
 * days*24h, 128-bit).  timetz: by UTC instant, then zone.  arrays:
 * array_cmp (elements first, NULL > non-NULL, then length, ndims, dims,
 * lower bounds).  bool false < true.  enum: by label bytes (valid for
 * equality only).  json: bytes (Postgres has no json =).  jsonb:
 * Postgres' jsonb order (numbers as numeric, strings bytewise).
 */
int wv_cmp(const struct wv_val *a, const struct wv_val *b);

/* Operators.  The result type of a binary operator is a table lookup on
 * (op, left type, right type): wv_op_type returns it, or -1 when the
 * combination is not supported.  Unary operators pass WV_NULL as right. */
enum wv_op {
	WV_OP_ADD, WV_OP_SUB, WV_OP_MUL, WV_OP_DIV, WV_OP_MOD,
	WV_OP_POW,		/* ^ : float8 ^ float8, numeric ^ numeric
				 * (numeric: integral exponents only, else
				 * an error; see where_val_numpow.c) */
	WV_OP_NEG, WV_OP_POS, WV_OP_ABS,	/* unary - + @ */
	WV_OP_SQRT,		/* |/ (float8 only; not numeric) */
	WV_OP_BAND, WV_OP_BOR, WV_OP_BXOR, WV_OP_BNOT,	/* & | # ~ (ints) */
	WV_OP_SHL, WV_OP_SHR,	/* << >> (int, int4) */
	WV_OP_CONCAT,		/* || text/text, array/array, elem/array,
				 * array/elem */
	WV_NOPS
};
/*
 * Supported combinations (both operands of the listed types exactly; the
 * caller applies implicit casts, e.g. int2 + int4 -> int4 + int4):
 *   ints/float4/float8/numeric: T op T for + - * / (% ints and numeric),
 *     unary - + @ on all; ^ on float8 and numeric; |/ on float8 only;
 *     bitwise & | # ~ on ints, << >> with int4 right operand.
 *   date + int4, int4 + date, date - int4 -> date; date - date -> int4;
 *   date + time, time + date -> timestamp; date + interval -> timestamp;
 *   date - interval -> timestamp; time ± interval -> time;
 *   timetz ± interval -> timetz;
 *   timestamp ± interval -> timestamp; timestamptz ± interval ->
 *   timestamptz; interval + date/timestamp/timestamptz/time (commuted);
 *   timestamp - timestamp, timestamptz - timestamptz -> interval;
 *   time - time -> interval; interval ± interval; - interval;
 *   interval * float8, float8 * interval, interval / float8 -> interval.
 *   text || text -> text; array || array, elem || array, array || elem.
 */
int wv_op_type(enum wv_op op, enum wv_type left, enum wv_type right);
int wv_binop(enum wv_op op, const struct wv_val *a, const struct wv_val *b,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;
int wv_unop(enum wv_op op, const struct wv_val *a, struct wv_arena *,
    struct wv_val *out, struct wv_err *err) WUR;

/* Casts.  wv_cast_kind tells what Postgres allows between two types (for
 * the compiler's overload resolution); wv_cast converts (to_elem is the
 * element type when to == WV_ARRAY; array casts convert elementwise).
 * Examples: int4::text, text::int4 (input parser, with its errors),
 * float8::int4 (round half to even as rint, overflow error), numeric::int
 * (round half away from zero), date::timestamp, timestamptz::date (UTC),
 * bool::text -> "true"/"false", bpchar::text strips trailing spaces,
 * enum::text = label, interval::text = iso_8601.  A cast may succeed
 * with out->type == WV_NULL: SQL NULL, as Postgres' timestamp[tz]::time
 * and timestamptz::timetz of +-infinity (the caller yields NULL). */
enum wv_castkind {
	WV_CAST_NONE = 0,	/* not allowed */
	WV_CAST_EXPLICIT,	/* x::t only */
	WV_CAST_ASSIGN,		/* also in assignment (unused by WHERE) */
	WV_CAST_IMPLICIT	/* applied silently */
};
enum wv_castkind wv_cast_kind(enum wv_type from, enum wv_type to);
int wv_cast(const struct wv_val *in, enum wv_type to, enum wv_type to_elem,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;

/* Text output (the type's output function under §11.1, so bool is "t"/"f"
 * as in pgoutput and in arrays), appended to out.  float4/float8 shortest
 * round-trip ("1e+100", "1.5e-07", "Infinity", "NaN"); timestamptz
 * "2024-01-31 12:34:56.123+00"; interval iso_8601; bytea "\x..."; arrays
 * with array_out quoting. */
void wv_out(const struct wv_val *v, struct sbuf *out);
/* The same, as a NUL-terminated string in the arena. */
const char *wv_out_arena(const struct wv_val *v, struct wv_arena *,
    size_t *lenp);

/* Text functions (any text type in; WV_TEXT out, in the arena).  lower/
 * upper change ASCII letters only, as Postgres does under COLLATE "C" /
 * a C-locale database. */
void wv_lower(const struct wv_val *a, struct wv_arena *, struct wv_val *out);
void wv_upper(const struct wv_val *a, struct wv_arena *, struct wv_val *out);
/* s LIKE pat (icase: ILIKE) with escape '\'.  Returns 1 match, 0 no
 * match, -1 error ("LIKE pattern must not end with escape character").
 * Byte-oriented (UTF-8 safe for % and _ as Postgres: _ matches one
 * character, not one byte).  ILIKE folds ASCII letters only. */
int wv_like(const char *s, size_t slen, const char *pat, size_t plen,
    int icase, struct wv_err *err);

/* Date/time functions. */
struct wv_interval wv_justify_days(struct wv_interval);
struct wv_interval wv_justify_hours(struct wv_interval);
struct wv_interval wv_justify_interval(struct wv_interval);
/* The justify_* variants with Postgres' overflow error ("interval out of
 * range"). */
int wv_justify(int which /* 'd', 'h', 'i' */, const struct wv_val *a,
    struct wv_val *out, struct wv_err *err) WUR;
/* timezone(zone, ts): timestamptz -> timestamp (local time in zone) and
 * timestamp -> timestamptz.  zone: "UTC"/"utc"/"GMT"/"Z"/"Etc/UTC" or a
 * fixed offset in Postgres' POSIX-sign-aware form ("+02", "-05:30",
 * "+0530": as for Postgres, a bare ISO offset means east of UTC) or an
 * interval-like offset is NOT accepted.  Other named zones return -1
 * with `time zone "Europe/Paris" not supported` (Postgres would accept
 * it; the compiler turns this into a compile error).  wv_zone_parse
 * checks a zone alone (seconds WEST of UTC, Postgres' sign). */
int wv_zone_parse(const char *zone, size_t len, int32_t *west,
    struct wv_err *err) WUR;
int wv_timezone(const char *zone, size_t len, const struct wv_val *ts,
    struct wv_val *out, struct wv_err *err) WUR;

/* Arrays.  Element equality is wv_cmp == 0; NULL elements never match. */
int wv_array_contains(const struct wv_array *a, const struct wv_array *b);
							/* a @> b */
int wv_array_overlap(const struct wv_array *a, const struct wv_array *b);
							/* a && b */
/* array_cat / array || array (also elem || array, array || elem via
 * wv_binop WV_OP_CONCAT); errors as Postgres ("cannot concatenate
 * incompatible arrays"). */
int wv_array_cat(const struct wv_array *a, const struct wv_array *b,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;
int wv_array_append(const struct wv_array *a, const struct wv_val *elem,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;
int wv_array_prepend(const struct wv_val *elem, const struct wv_array *a,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;
/* array_ndims: NULL for an empty array -> returns 0 and the caller yields
 * NULL; otherwise ndim. */
int wv_array_ndims(const struct wv_array *a);
/* a[i1][i2]..: nsubs subscripts.  Returns 0 with *out (may be WV_NULL:
 * out of range, wrong number of subscripts -> NULL as Postgres). */
void wv_array_subscript(const struct wv_array *a, const int *subs,
    int nsubs, struct wv_val *out);
/* a[lo:hi] on the first nsl dims (lo/hi may be "omitted": pass has_lo /
 * has_hi 0).  Result is an array (empty when out of range). */
int wv_array_slice(const struct wv_array *a, int nsl, const int *lo,
    const int *has_lo, const int *hi, const int *has_hi,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;
/* Builds an array value of elem type from n items (ARRAY[...]; items
 * copied into the arena).  When the items are themselves arrays
 * (ARRAY[ARRAY[1,2],ARRAY[3,4]]) the result has one more dimension; they
 * must have equal dims (else -1, "multidimensional arrays must have
 * array expressions with matching dimensions"). */
int wv_array_make(enum wv_type elem, const struct wv_val *items, size_t n,
    struct wv_arena *, struct wv_val *out, struct wv_err *err) WUR;

#endif
