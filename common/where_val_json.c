/*
 * where_val_json: json and jsonb values.  Parsing validates the JSON
 * text with Postgres' grammar (error "invalid input syntax for type
 * json"); json keeps the text as is, jsonb is rewritten to jsonb_out's
 * canonical text (object keys sorted shorter first then bytewise, the
 * last duplicate key wins, ", " and ": " separators, strings re-escaped,
 * numbers as numeric text) in the arena.  Comparison of jsonb follows
 * Postgres' btree order (compareJsonbContainers): null < string <
 * number < bool < array < object, containers by item count first, then
 * item by item (object pairs in storage order, key then value), numbers
 * as numeric, a top-level scalar below a non-empty array and above an
 * empty one.  Called by where_val.c.
 * Deviations: strings (and keys) order by their escaped bytes, i.e.
 * COLLATE "C" instead of the database collation (equality is exact).
 */
#include <stdlib.h>
#include <string.h>

#include "where_val_int.h"

struct js {
	const char	*p, *end;
	int		 jsonb;		/* decode escapes, canonical output */
	int		 bad_escape;	/* \u0000 in jsonb */
	int		 depth;
};

static void
js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
js_hex4(const char *p, const char *end, unsigned *v)
{
	int i, c;

	*v = 0;
	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = p[i];
		c = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
		    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (c < 0)
			return -1;
		*v = *v << 4 | (unsigned)c;
	}
	return 0;
}

static void
js_utf8(unsigned c, struct sbuf *o)
{
	if (c < 0x80)
		sbuf_addc(o, (char)c);
	else if (c < 0x800) {
		sbuf_addc(o, (char)(0xc0 | c >> 6));
		sbuf_addc(o, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		sbuf_addc(o, (char)(0xe0 | c >> 12));
		sbuf_addc(o, (char)(0x80 | (c >> 6 & 0x3f)));
		sbuf_addc(o, (char)(0x80 | (c & 0x3f)));
	} else {
		sbuf_addc(o, (char)(0xf0 | c >> 18));
		sbuf_addc(o, (char)(0x80 | (c >> 12 & 0x3f)));
		sbuf_addc(o, (char)(0x80 | (c >> 6 & 0x3f)));
		sbuf_addc(o, (char)(0x80 | (c & 0x3f)));
	}
}

/* One \uXXXX (with its low surrogate) at j->p (after the 'u'). */
static int
js_uescape(struct js *j, struct sbuf *dec)
{
	unsigned c, lo;

	if (js_hex4(j->p, j->end, &c) != 0)
		return -1;
	j->p += 4;
	if (!j->jsonb)		/* json checks the hex digits only */
		return 0;
	if (c >= 0xdc00 && c <= 0xdfff)
		return -1;
	if (c >= 0xd800 && c <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
		    js_hex4(j->p + 2, j->end, &lo) != 0 || lo < 0xdc00 ||
		    lo > 0xdfff)
			return -1;
		j->p += 6;
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (c == 0 && j->jsonb) {
		j->bad_escape = 1;
		return -1;
	}
	if (dec != NULL)
		js_utf8(c, dec);
	return 0;
}

/* A string at j->p ('"'); its decoded bytes go to dec (may be NULL). */
static int
js_string(struct js *j, struct sbuf *dec)
{
	static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char *e;

	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return -1;
		if (*j->p != '\\') {
			if (dec != NULL)
				sbuf_addc(dec, *j->p);
			j->p++;
			continue;
		}
		if (++j->p == j->end)
			return -1;
		if (*j->p == 'u') {
			j->p++;
			if (js_uescape(j, dec) != 0)
				return -1;
			continue;
		}
		for (e = esc; *e != '\0' && *e != *j->p; e += 2)
			;
		if (*e == '\0')
			return -1;
		if (dec != NULL)
			sbuf_addc(dec, e[1]);
		j->p++;
	}
	if (j->p == j->end)
		return -1;
	j->p++;
	return 0;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
js_number(struct js *j)
{
	const char *p = j->p, *e = j->end;

	if (p < e && *p == '-')
		p++;
	if (p == e || *p < '0' || *p > '9')
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	if (p < e && *p == '.') {
		if (++p == e || *p < '0' || *p > '9')
			return -1;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || *p < '0' || *p > '9')
			return -1;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	/* a number must end at a delimiter: "1x" and "01" are errors */
	if (p < e && !strchr(" \t\n\r,]}:", *p))
		return -1;
	j->p = p;
	return 0;
}

static int
js_word(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	j->p += n;
	if (j->p < j->end && ((*j->p >= 'a' && *j->p <= 'z') ||
	    (*j->p >= 'A' && *j->p <= 'Z') || (*j->p >= '0' &&
	    *j->p <= '9') || *j->p == '_'))
		return -1;
	return 0;
}

static void
js_out_string(const char *s, size_t n, struct sbuf *o)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;
	unsigned char c;

	sbuf_addc(o, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		switch (c) {
		case '"': sbuf_adds(o, "\\\""); break;
		case '\\': sbuf_adds(o, "\\\\"); break;
		case '\b': sbuf_adds(o, "\\b"); break;
		case '\f': sbuf_adds(o, "\\f"); break;
		case '\n': sbuf_adds(o, "\\n"); break;
		case '\r': sbuf_adds(o, "\\r"); break;
		case '\t': sbuf_adds(o, "\\t"); break;
		default:
			if (c < 0x20) {
				sbuf_adds(o, "\\u00");
				sbuf_addc(o, hx[c >> 4]);
				sbuf_addc(o, hx[c & 15]);
			} else
				sbuf_addc(o, (char)c);
		}
	}
	sbuf_addc(o, '"');
}

static int js_value(struct js *, struct sbuf *);

struct js_pair {
	size_t	 k, klen, v, vlen;	/* offsets into the pairs buffer */
	size_t	 idx;
	const char *base;
};

static int
js_pair_cmp(const void *a0, const void *b0)
{
	const struct js_pair *a = a0, *b = b0;
	int c;

	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	if ((c = memcmp(a->base + a->k, b->base + b->k, a->klen)) != 0)
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Canonical output of the sorted pairs, the last of equal keys winning. */
static void
js_out_pairs(struct js_pair *pr, size_t n, const char *base, struct sbuf *o)
{
	size_t i;
	int first = 1;

	for (i = 0; i < n; i++)
		pr[i].base = base;
	if (n > 1)
		qsort(pr, n, sizeof(*pr), js_pair_cmp);
	sbuf_addc(o, '{');
	for (i = 0; i < n; i++) {
		if (i + 1 < n && pr[i + 1].klen == pr[i].klen &&
		    memcmp(base + pr[i + 1].k, base + pr[i].k, pr[i].klen) == 0)
			continue;
		if (!first)
			sbuf_adds(o, ", ");
		first = 0;
		js_out_string(base + pr[i].k, pr[i].klen, o);
		sbuf_adds(o, ": ");
		sbuf_add(o, base + pr[i].v, pr[i].vlen);
	}
	sbuf_addc(o, '}');
}

static int
js_object(struct js *j, struct sbuf *o)
{
	struct sbuf buf;
	struct js_pair *pr = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	sbuf_init(&buf);
	j->p++;
	js_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		rc = 0;
		goto done;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			pr = xrealloc(pr, cap * sizeof(*pr));
		}
		js_ws(j);
		if (j->p == j->end || *j->p != '"')
			goto done;
		pr[n].k = buf.len;
		if (js_string(j, &buf) != 0)
			goto done;
		pr[n].klen = buf.len - pr[n].k;
		js_ws(j);
		if (j->p == j->end || *j->p++ != ':')
			goto done;
		pr[n].v = buf.len;
		if (js_value(j, &buf) != 0)
			goto done;
		pr[n].vlen = buf.len - pr[n].v;
		pr[n].idx = n;
		n++;
		js_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p == j->end || *j->p++ != '}')
			goto done;
		break;
	}
	rc = 0;
done:
	if (rc == 0)
		js_out_pairs(pr, n, buf.p, o);
	free(pr);
	sbuf_free(&buf);
	return rc;
}

static int
js_array(struct js *j, struct sbuf *o)
{
	int first = 1;

	j->p++;
	sbuf_addc(o, '[');
	js_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		sbuf_addc(o, ']');
		return 0;
	}
	for (;;) {
		if (!first)
			sbuf_adds(o, ", ");
		first = 0;
		if (js_value(j, o) != 0)
			return -1;
		js_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p == j->end || *j->p++ != ']')
			return -1;
		sbuf_addc(o, ']');
		return 0;
	}
}

/* One value at j->p (leading spaces allowed); canonical text to o. */
static int
js_value(struct js *j, struct sbuf *o)
{
	struct sbuf dec;
	struct wv_num num;
	const char *s;
	int rc;

	js_ws(j);
	if (j->p == j->end || ++j->depth > 6400)
		return -1;
	s = j->p;
	switch (*j->p) {
	case '{':
		rc = js_object(j, o);
		break;
	case '[':
		rc = js_array(j, o);
		break;
	case '"':
		sbuf_init(&dec);
		if ((rc = js_string(j, &dec)) == 0)
			js_out_string(dec.p, dec.len, o);
		sbuf_free(&dec);
		break;
	case 't': case 'f': case 'n':
		rc = js_word(j, *j->p == 't' ? "true" : *j->p == 'f' ?
		    "false" : "null");
		if (rc == 0)
			sbuf_add(o, s, (size_t)(j->p - s));
		break;
	default:
		if ((rc = js_number(j)) == 0 && wvi_parse_numeric(s,
		    (size_t)(j->p - s), NULL, &num, NULL) == 0)
			wvi_numeric_out(&num, o);
		break;
	}
	j->depth--;
	return rc;
}

/* json / jsonb input: validates; jsonb gets its canonical text. */
int
wvi_parse_json(enum wv_type t, const char *s, size_t len,
    struct wv_arena *ar, struct wv_val *out, struct wv_err *err)
{
	struct js j = { s, s + len, t == WV_JSONB, 0, 0 };
	struct sbuf o;
	char *p;
	int rc;

	sbuf_init(&o);
	rc = js_value(&j, &o);
	js_ws(&j);
	if (rc != 0 || j.p != j.end) {
		sbuf_free(&o);
		return wvi_err(err, j.bad_escape ? "unsupported Unicode "
		    "escape sequence" : "invalid input syntax for type json");
	}
	out->u.s.p = s;
	out->u.s.len = len;
	if (t == WV_JSONB && (o.len != len || memcmp(o.p, s, len) != 0)) {
		p = wv_arena_alloc(ar, o.len + 1);
		memcpy(p, o.p, o.len + 1);
		out->u.s.p = p;
		out->u.s.len = o.len;
	}
	sbuf_free(&o);
	return 0;
}

/* --- comparison of canonical (valid) jsonb texts --- */

/* Rank of the value at p: Postgres' jbvType order. */
static int
jc_rank(const char *p)
{
	switch (*p) {
	case 'n': return 0;
	case '"': return 1;
	case 't': case 'f': return 3;
	case '[': return 4;
	case '{': return 5;
	default: return 2;
	}
}

static const char *
jc_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* End of the value at p. */
static const char *
jc_skip(const char *p, const char *e)
{
	int depth = 0, instr = 0;

	for (; p < e; p++) {
		if (instr) {
			if (*p == '\\')
				p++;
			else if (*p == '"') {
				instr = 0;
				if (depth == 0)
					return p + 1;
			}
		} else if (depth == 0 && strchr(" \t\n\r,]}:", *p))
			return p;	/* the end of a scalar */
		else if (*p == '"')
			instr = 1;
		else if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return p;
}

/* Items of the container at p (pairs for objects). */
static int
jc_count(const char *p, const char *e)
{
	int n = 0, obj = *p == '{';

	p = jc_ws(p + 1, e);
	while (p < e && *p != ']' && *p != '}') {
		p = jc_ws(jc_skip(p, e), e);
		if (obj)	/* ':' value */
			p = jc_ws(jc_skip(jc_ws(p + 1, e), e), e);
		n++;
		if (p < e && *p == ',')
			p = jc_ws(p + 1, e);
	}
	return n;
}

static int
jc_scalar(const char *a, const char *ae, const char *b, const char *be)
{
	struct wv_num x, y;
	size_t al = (size_t)(ae - a), bl = (size_t)(be - b);
	int c;

	switch (*a) {
	case 'n':
		return 0;
	case 't': case 'f':
		return (*a == 't') - (*b == 't');
	case '"':
		c = memcmp(a, b, al < bl ? al : bl);
		return c != 0 ? (c > 0) - (c < 0) : (al > bl) - (al < bl);
	default:
		if (wvi_parse_numeric(a, al, NULL, &x, NULL) != 0 ||
		    wvi_parse_numeric(b, bl, NULL, &y, NULL) != 0)
			return 0;
		return wvi_numeric_cmp(&x, &y);
	}
}

static int jc_value(const char **, const char *, const char **,
    const char *);

/* Containers of the same kind: count, then items in order. */
static int
jc_container(const char **pa, const char *ae, const char **pb,
    const char *be)
{
	const char *a = *pa, *b = *pb;
	int na = jc_count(a, ae), nb = jc_count(b, be), obj = *a == '{', c;

	if (na != nb)
		return na > nb ? 1 : -1;
	a = jc_ws(a + 1, ae);
	b = jc_ws(b + 1, be);
	while (a < ae && *a != ']' && *a != '}') {
		if ((c = jc_value(&a, ae, &b, be)) != 0)
			return c;
		if (obj) {
			a = jc_ws(jc_ws(a, ae) + 1, ae);
			b = jc_ws(jc_ws(b, be) + 1, be);
			if ((c = jc_value(&a, ae, &b, be)) != 0)
				return c;
		}
		a = jc_ws(a, ae);
		b = jc_ws(b, be);
		if (a < ae && *a == ',')
			a = jc_ws(a + 1, ae);
		if (b < be && *b == ',')
			b = jc_ws(b + 1, be);
	}
	*pa = a + 1;
	*pb = b + 1;
	return 0;
}

static int
jc_value(const char **pa, const char *ae, const char **pb, const char *be)
{
	const char *a = jc_ws(*pa, ae), *b = jc_ws(*pb, be), *x, *y;
	int ra = jc_rank(a), rb = jc_rank(b), c;

	if (ra != rb)
		return ra > rb ? 1 : -1;
	if (ra >= 4) {
		c = jc_container(&a, ae, &b, be);
		*pa = a;
		*pb = b;
		return c;
	}
	x = jc_skip(a, ae);
	y = jc_skip(b, be);
	*pa = x;
	*pb = y;
	return jc_scalar(a, x, b, y);
}

/* jsonb btree order of two canonical jsonb texts. */
int
wvi_cmp_jsonb(const char *a, size_t al, const char *b, size_t bl)
{
	const char *ae = a + al, *be = b + bl;
	int sa, sb, n;

	a = jc_ws(a, ae);
	b = jc_ws(b, be);
	if (a == ae || b == be)
		return (a != ae) - (b != be);
	sa = jc_rank(a) < 4;
	sb = jc_rank(b) < 4;
	if (sa != sb) {		/* raw scalar vs a container */
		if (*(sa ? b : a) == '{')
			return sa ? -1 : 1;
		n = jc_count(sa ? b : a, sa ? be : ae);
		return (n == 0) == sa ? 1 : -1;
	}
	return jc_value(&a, ae, &b, be);
}
