/*
 * offset: parse, compare and format Shape API offsets.
 * Parsing is lenient exactly as the reference is: leading zeros are fine,
 * "-1_0" means -1; anything else (spaces, signs, extra parts) is invalid.
 */
#include <stdio.h>
#include <string.h>

#include "offset.h"

static int
offset_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 40)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

enum offset_kind
offset_parse(const char *s, struct offset *out)
{
	const char *us;

	if (strcmp(s, "-1") == 0 || strcmp(s, "-1_0") == 0)
		return OFFSET_BEFORE_ALL;
	if (strcmp(s, "now") == 0)
		return OFFSET_NOW;
	us = strchr(s, '_');
	if (us == NULL || strchr(us + 1, '_') != NULL)
		return OFFSET_INVALID;
	if (offset_parse_u64(s, (size_t)(us - s), &out->tx) == -1)
		return OFFSET_INVALID;
	if (strcmp(us + 1, "inf") == 0) {
		out->op = OFFSET_INF;
		return OFFSET_REAL;
	}
	if (offset_parse_u64(us + 1, strlen(us + 1), &out->op) == -1 ||
	    out->op == OFFSET_INF)
		return OFFSET_INVALID;
	return OFFSET_REAL;
}

int
offset_cmp(const struct offset *a, const struct offset *b)
{
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	return 0;
}

char *
offset_fmt(const struct offset *o, char *buf)
{
	if (o->op == OFFSET_INF)
		snprintf(buf, OFFSET_STRLEN, "%llu_inf", (unsigned long long)o->tx);
	else
		snprintf(buf, OFFSET_STRLEN, "%llu_%llu", (unsigned long long)o->tx,
		    (unsigned long long)o->op);
	return buf;
}
