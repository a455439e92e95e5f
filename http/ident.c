/*
 * ident: Postgres identifiers as the Shape API accepts them (§2.3):
 * UTF-8 validation, the unquoted-identifier character classes, and the
 * parsing of the `table` parameter into (schema, table).  Pure functions,
 * called by params.c during validation; shapecache may reuse
 * http_table_parse.  Every message that echoes the input is produced only
 * after the input was found to be valid UTF-8.
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "ident.h"

/* ---- UTF-8 and identifier characters ---- */

/* Decodes one code point at s[*i]; -1 on invalid UTF-8. */
static int32_t
utf8_next(const char *s, size_t n, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s + *i;
	size_t left = n - *i, len, k;
	int32_t cp, min;

	if (u[0] < 0x80) {
		(*i)++;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0) {
		len = 2; cp = u[0] & 0x1f; min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3; cp = u[0] & 0x0f; min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		len = 4; cp = u[0] & 0x07; min = 0x10000;
	} else
		return -1;
	if (left < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((u[k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (u[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += len;
	return cp;
}

int
http_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n)
		if (utf8_next(s, n, &i) < 0)
			return 0;
	return 1;
}

/* Combining-mark blocks (\pM), the common ones: enough for identifiers. */
static const struct {
	int32_t lo, hi;
} mark_ranges[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x05bf, 0x05c7 }, { 0x0610, 0x061a }, { 0x064b, 0x065f },
	{ 0x0670, 0x0670 }, { 0x06d6, 0x06ed }, { 0x0900, 0x0903 },
	{ 0x093a, 0x094f }, { 0x0951, 0x0957 }, { 0x0962, 0x0963 },
	{ 0x0e31, 0x0e3a }, { 0x0e47, 0x0e4e }, { 0x1ab0, 0x1aff },
	{ 0x1dc0, 0x1dff }, { 0x20d0, 0x20ff }, { 0x302a, 0x302f },
	{ 0x3099, 0x309a }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xe0100, 0xe01ef },
};

static int
is_mark(int32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof(mark_ranges) / sizeof(mark_ranges[0]); i++)
		if (cp >= mark_ranges[i].lo && cp <= mark_ranges[i].hi)
			return 1;
	return 0;
}

/* \pL: ASCII by hand; beyond ASCII the C.UTF-8 locale's alpha class. */
static int
is_letter(int32_t cp)
{
	static locale_t loc;
	static int tried;

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	if (loc == (locale_t)0)
		return !is_mark(cp);	/* no tables: accept letters broadly */
	return iswalpha_l((wint_t)cp, loc) && !is_mark(cp);
}

/* ---- table identifiers (§2.3) ---- */

static size_t
utf8_count(const char *s, size_t n)
{
	size_t i = 0, c = 0;

	while (i < n && utf8_next(s, n, &i) >= 0)
		c++;
	return c;
}

static char *
ident_err(const char *prefix, const char *part, size_t n)
{
	return xasprintf("%s%.*s", prefix, (int)n, part);
}

/* Unquoted: ^[\pL_][\pL\pM_0-9$]*$, ASCII upper case folded. */
static int
ident_unquoted(const char *s, size_t n, char **out, char **err)
{
	size_t i = 0, k;
	int32_t cp;
	int first = 1;
	char *d;

	while (i < n) {
		cp = utf8_next(s, n, &i);
		if (cp == '_' || is_letter(cp) ||
		    (!first && (is_mark(cp) || cp == '$' ||
		    (cp >= '0' && cp <= '9')))) {
			first = 0;
			continue;
		}
		*err = ident_err("Invalid unquoted identifier contains special "
		    "characters: ", s, n);
		return -1;
	}
	d = xmalloc(n + 1);
	for (k = 0; k < n; k++)
		d[k] = (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] + 32) : s[k];
	d[n] = '\0';
	*out = d;
	return 0;
}

/* Quoted (outer quotes already stripped): every '"' doubled. */
static int
ident_quoted(const char *s, size_t n, const char *part, size_t pn,
    char **out, char **err)
{
	size_t i, j = 0;
	char *d = xmalloc(n + 1);

	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			if (i + 1 >= n || s[i + 1] != '"') {
				free(d);
				*err = ident_err("Invalid identifier with unescaped "
				    "quote: ", part, pn);
				return -1;
			}
			i++;
		}
		d[j++] = s[i];
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

static int
ident_parse(const char *s, size_t n, char **out, char **err)
{
	int quoted = n >= 2 && s[0] == '"' && s[n - 1] == '"';
	int rc;

	*out = NULL;
	if (n == 0 || (quoted && n == 2)) {
		*err = xstrdup("Invalid zero-length delimited identifier");
		return -1;
	}
	if (memchr(s, '\0', n) != NULL) {
		*err = xstrdup("Invalid identifier: contains a NUL character");
		return -1;
	}
	if (quoted)
		rc = ident_quoted(s + 1, n - 2, s, n, out, err);
	else
		rc = ident_unquoted(s, n, out, err);
	if (rc == 0 && utf8_count(*out, strlen(*out)) > HTTP_IDENT_MAX) {
		free(*out);
		*out = NULL;
		*err = xstrdup("Identifier is too long (max length is 63)");
		return -1;
	}
	return rc;
}

int
http_table_parse(const char *s, size_t n, char **schema, char **table,
    char **err)
{
	size_t i, dot[3], ndots = 0;
	int inq = 0;

	*schema = *table = *err = NULL;
	if (!http_utf8_valid(s, n)) {
		*err = xstrdup("Invalid identifier: not valid UTF-8");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			inq = !inq;
		else if (s[i] == '.' && !inq && ndots++ < 3)
			dot[ndots - 1] = i;
	}
	if (ndots > 1) {
		*err = ident_err("Invalid relation identifier, too many "
		    "delimiters: ", s, n);
		return -1;
	}
	if (ndots == 0) {
		if (ident_parse(s, n, table, err) == -1)
			return -1;
		*schema = xstrdup("public");
		return 0;
	}
	if (ident_parse(s, dot[0], schema, err) == -1)
		return -1;
	if (ident_parse(s + dot[0] + 1, n - dot[0] - 1, table, err) == -1) {
		free(*schema);
		*schema = NULL;
		return -1;
	}
	return 0;
}

/* §2.4: split on commas outside double quotes; each item an identifier. */
int
http_columns_parse(const char *s, size_t n, char ***cols, size_t *ncols,
    char **err)
{
	size_t i, start = 0, cnt = 0;
	int inq = 0;
	char **v;

	*cols = NULL;
	*ncols = 0;
	*err = NULL;
	if (!http_utf8_valid(s, n)) {
		*err = xstrdup("Invalid identifier: not valid UTF-8");
		return -1;
	}
	v = xcalloc(n / 2 + 2, sizeof(*v));
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] == '"')
			inq = !inq;
		if (i < n && (s[i] != ',' || inq))
			continue;
		if (ident_parse(s + start, i - start, &v[cnt], err) == -1) {
			while (cnt > 0)
				free(v[--cnt]);
			free(v);
			return -1;
		}
		cnt++;
		start = i + 1;
	}
	*cols = v;
	*ncols = cnt;
	return 0;
}
