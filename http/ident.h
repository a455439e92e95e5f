/*
 * ident: Postgres identifier parsing for the Shape API (§2.3): the
 * `table` parameter and UTF-8 validity.  Pure; see ident.c.
 */
#ifndef ELECTRICD_HTTP_IDENT_H
#define ELECTRICD_HTTP_IDENT_H

#include <stddef.h>

#include "util.h"

/* §2.3 table parsing.  On success returns 0 with *schema and *table
 * malloc'd (unquoted, case-folded as Postgres would); else -1 with *err a
 * malloc'd message as the reference words it. */
#define HTTP_IDENT_MAX	63
int http_table_parse(const char *s, size_t n, char **schema, char **table,
    char **err) WUR;

/* §2.4 columns parsing: comma-separated identifiers (commas inside
 * double quotes belong to the name).  Returns 0 with *cols (*ncols
 * malloc'd unquoted names, in request order, duplicates kept), or -1 with
 * *err as http_table_parse. */
int http_columns_parse(const char *s, size_t n, char ***cols, size_t *ncols,
    char **err) WUR;

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int http_utf8_valid(const char *s, size_t n);

#endif
