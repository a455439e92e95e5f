/*
 * subset_text: byte-level helpers of subset_sql.c (UTF-8 validation and
 * positions, the nesting estimate that guards libpg_query's recursion).
 * Pure functions; internal to the subset module.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "subset_int.h"

/* A message cut by its buffer must not end inside a UTF-8 sequence. */
void
subset_utf8_trim(char *s)
{
	size_t len = strlen(s), i = 0, n;

	while (i < len) {
		n = subset_utf8_seq((const unsigned char *)s + i, len - i);
		if (n == 0) {
			s[i] = '\0';
			return;
		}
		i += n;
	}
}

/* Characters (UTF-8 code points) in the first n bytes of s. */
size_t
subset_char_pos(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0. */
size_t
subset_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

/* A rough upper bound of the tree depth: operator characters and words
 * outside quotes (AND / OR chains are flattened by the parser). */
size_t
subset_text_weight(const char *s, size_t len)
{
	size_t i = 0, wlen, weight = 0;
	char q = 0;

	while (i < len) {
		if (q != 0) {
			if (s[i++] == q)
				q = 0;
			continue;
		}
		if (s[i] == '\'' || s[i] == '"') {
			q = s[i++];
			continue;
		}
		if (isalpha((unsigned char)s[i]) || s[i] == '_') {
			for (wlen = 0; i + wlen < len &&
			    (isalnum((unsigned char)s[i + wlen]) || s[i + wlen] == '_');
			    wlen++)
				;
			if (!(wlen == 3 && strncasecmp(s + i, "and", 3) == 0) &&
			    !(wlen == 2 && strncasecmp(s + i, "or", 2) == 0))
				weight++;
			i += wlen;
			continue;
		}
		if (strchr("+-*/<>=~!@#%^&|`?:[.", s[i]) != NULL)
			weight++;
		i++;
	}
	return weight;
}
