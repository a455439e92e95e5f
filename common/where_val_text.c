/*
 * where_val_text: text-like values (text, varchar, bpchar, name) compared
 * bytewise as under COLLATE "C" (bpchar without its trailing spaces),
 * ||, lower/upper (ASCII letters only, as Postgres with the C collation),
 * LIKE / ILIKE with escape '\' (UTF-8: '_' matches one character), and
 * the uuid and bytea codecs.  Called through where_val.c.
 */
#include <string.h>

#include "where_val_int.h"

static size_t
wv_bpchar_len(const struct wv_val *v)
{
	size_t n = v->u.s.len;

	if (v->type == WV_BPCHAR)
		while (n > 0 && v->u.s.p[n - 1] == ' ')
			n--;
	return n;
}

int
wvi_cmp_text(const struct wv_val *a, const struct wv_val *b)
{
	size_t al = wv_bpchar_len(a), bl = wv_bpchar_len(b);
	int c = al == 0 || bl == 0 ? 0 : memcmp(a->u.s.p, b->u.s.p,
	    al < bl ? al : bl);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return (al > bl) - (al < bl);
}

int
wvi_text_concat(const struct wv_val *a, const struct wv_val *b,
    struct wv_arena *ar, struct wv_val *out)
{
	size_t al = wv_bpchar_len(a), bl = wv_bpchar_len(b);
	char *p = wv_arena_alloc(ar, al + bl + 1);

	if (al > 0)
		memcpy(p, a->u.s.p, al);
	if (bl > 0)
		memcpy(p + al, b->u.s.p, bl);
	p[al + bl] = '\0';
	out->type = WV_TEXT;
	out->elem = 0;
	out->u.s.p = p;
	out->u.s.len = al + bl;
	return 0;
}

static void
wv_case(const struct wv_val *a, struct wv_arena *ar, struct wv_val *out,
    int up)
{
	size_t n = a->u.s.len, i;
	char *p = wv_arena_alloc(ar, n + 1);

	for (i = 0; i < n; i++) {
		char c = a->u.s.p[i];
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!up && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		p[i] = c;
	}
	p[n] = '\0';
	out->type = WV_TEXT;
	out->elem = 0;
	out->u.s.p = p;
	out->u.s.len = n;
}

void
wv_lower(const struct wv_val *a, struct wv_arena *ar, struct wv_val *out)
{
	wv_case(a, ar, out, 0);
}

void
wv_upper(const struct wv_val *a, struct wv_arena *ar, struct wv_val *out)
{
	wv_case(a, ar, out, 1);
}

/* --- LIKE --- */

static size_t
wv_u8len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t l = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ?
	    2 : 1;

	return l > n ? n : l;
}

static int
wv_fold(int c, int icase)
{
	return icase && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

enum { LIKE_FALSE, LIKE_TRUE, LIKE_ABORT, LIKE_ERROR };

static size_t
wv_like_skip(const char *t, size_t tl)
{
	return tl > 0 ? wv_u8len(t, tl) : 0;
}

/* After a '%': skips further '%' and '_' (each '_' eats a character),
 * then tries every text position whose byte equals the next literal.
 * A lone trailing escape is an error only once it is reached. */
static int wv_like_rec(const char *, size_t, const char *, size_t, int,
    int);

static int
wv_like_pct(const char *t, size_t tl, const char *p, size_t pl, int icase,
    int depth)
{
	size_t n;
	int first, r;

	for (; pl > 0 && (p[0] == '%' || p[0] == '_'); p++, pl--) {
		if (p[0] == '_') {
			if (tl == 0)
				return LIKE_ABORT;
			n = wv_like_skip(t, tl);
			t += n;
			tl -= n;
		}
	}
	if (pl == 0)
		return LIKE_TRUE;
	if (p[0] == '\\' && pl < 2)
		return LIKE_ERROR;
	first = wv_fold((unsigned char)p[p[0] == '\\'], icase);
	for (; tl > 0; t += n, tl -= n) {
		if (wv_fold((unsigned char)t[0], icase) == first &&
		    (r = wv_like_rec(t, tl, p, pl, icase, depth + 1)) !=
		    LIKE_FALSE)
			return r;
		n = wv_like_skip(t, tl);
	}
	return LIKE_ABORT;
}

/* Matcher in the style of Postgres' MatchText: LIKE_ABORT stops the
 * search when the text ran out; LIKE_ERROR: the matcher reached a
 * pattern ending in a lone escape. */
static int
wv_like_rec(const char *t, size_t tl, const char *p, size_t pl, int icase,
    int depth)
{
	size_t n;

	if (depth > 10000)
		return LIKE_ABORT;
	while (tl > 0 && pl > 0) {
		if (p[0] == '%')
			return wv_like_pct(t, tl, p + 1, pl - 1, icase, depth);
		if (p[0] == '_') {
			n = wv_like_skip(t, tl);
			t += n;
			tl -= n;
			p++;
			pl--;
			continue;
		}
		if (p[0] == '\\') {
			p++;
			pl--;
			if (pl == 0)
				return LIKE_ERROR;
		}
		if (wv_fold((unsigned char)p[0], icase) !=
		    wv_fold((unsigned char)t[0], icase))
			return LIKE_FALSE;
		p++;
		pl--;
		t++;
		tl--;
	}
	if (tl > 0)
		return LIKE_FALSE;
	while (pl > 0 && p[0] == '%') {
		p++;
		pl--;
	}
	return pl == 0 ? LIKE_TRUE : LIKE_ABORT;
}

int
wv_like(const char *s, size_t slen, const char *pat, size_t plen, int icase,
    struct wv_err *err)
{
	int r = wv_like_rec(s, slen, pat, plen, icase, 0);

	if (r == LIKE_ERROR)
		return wvi_err(err, "LIKE pattern must not end with escape "
		    "character");
	return r == LIKE_TRUE;
}

/* --- uuid --- */

static int
wv_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
wvi_parse_uuid(const char *s, size_t len, uint8_t *u, struct wv_err *err)
{
	size_t i = 0, k;
	int braces = len > 0 && s[0] == '{', hi, lo;

	i = (size_t)braces;
	for (k = 0; k < 16; k++) {
		if (i + 2 > len || (hi = wv_hex(s[i])) < 0 ||
		    (lo = wv_hex(s[i + 1])) < 0)
			return wvi_bad_input(err, "uuid", s, len);
		u[k] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (k % 2 == 1 && k < 15 && i < len && s[i] == '-')
			i++;
	}
	if (braces && (i >= len || s[i++] != '}'))
		return wvi_bad_input(err, "uuid", s, len);
	if (i != len)
		return wvi_bad_input(err, "uuid", s, len);
	return 0;
}

void
wvi_out_uuid(const uint8_t *u, struct sbuf *out)
{
	static const char hx[] = "0123456789abcdef";
	int k;

	for (k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			sbuf_addc(out, '-');
		sbuf_addc(out, hx[u[k] >> 4]);
		sbuf_addc(out, hx[u[k] & 15]);
	}
}

/* --- bytea: hex "\x..." or escape format --- */

static int
wv_bytea_hex(const char *s, size_t len, char *p, size_t *n,
    struct wv_err *err)
{
	size_t i;
	int hi, lo;

	for (i = 2, *n = 0; i < len;) {
		if (wvi_isspace((unsigned char)s[i])) {
			i++;
			continue;
		}
		if ((hi = wv_hex(s[i])) < 0)
			return wvi_err(err, "invalid hexadecimal digit: \"%c\"",
			    s[i]);
		if (i + 1 >= len)
			return wvi_err(err, "invalid hexadecimal data: odd "
			    "number of digits");
		if ((lo = wv_hex(s[i + 1])) < 0)
			return wvi_err(err, "invalid hexadecimal digit: \"%c\"",
			    s[i + 1]);
		p[(*n)++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

static int
wv_bytea_esc(const char *s, size_t len, char *p, size_t *n)
{
	size_t i;

	for (i = 0, *n = 0; i < len;) {
		if (s[i] != '\\') {
			p[(*n)++] = s[i++];
		} else if (i + 1 < len && s[i + 1] == '\\') {
			p[(*n)++] = '\\';
			i += 2;
		} else if (i + 3 < len + 0 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
		    s[i + 3] <= '7') {
			p[(*n)++] = (char)((s[i + 1] - '0') << 6 |
			    (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 4;
		} else
			return -1;
	}
	return 0;
}

int
wvi_parse_bytea(const char *s, size_t len, struct wv_arena *ar,
    struct wv_val *out, struct wv_err *err)
{
	char *p = wv_arena_alloc(ar, len + 1);
	size_t n;

	if (len >= 2 && s[0] == '\\' && s[1] == 'x') {
		if (wv_bytea_hex(s, len, p, &n, err) != 0)
			return -1;
	} else if (wv_bytea_esc(s, len, p, &n) != 0)
		return wvi_bad_input(err, "bytea", s, len);
	out->u.s.p = p;
	out->u.s.len = n;
	return 0;
}

void
wvi_out_bytea(const char *p, size_t n, struct sbuf *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	sbuf_adds(out, "\\x");
	for (i = 0; i < n; i++) {
		sbuf_addc(out, hx[(unsigned char)p[i] >> 4]);
		sbuf_addc(out, hx[p[i] & 15]);
	}
}
