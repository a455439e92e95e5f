/*
 * catalog: what shapecache asks Postgres about a table: resolve the
 * request's table name, read its columns (types, primary key, nullability,
 * modifiers) into the consumer's column list and the electric-schema
 * header, and put the table into the publication with REPLICA IDENTITY
 * FULL before any snapshot of it is taken.
 */
#ifndef ELECTRICD_CATALOG_H
#define ELECTRICD_CATALOG_H

#include <stdint.h>

#include "util.h"

struct pg_conn;

struct catalog_table {
	uint32_t	 relid;
	char		*schema;
	char		*table;
	char		 replident;
	char		*columns;	/* JSON for meta.columns */
	char		*electric_schema;
	char		*pk;		/* comma list of PK column names, for identity */
};

enum catalog_result { CATALOG_OK, CATALOG_INVALID, CATALOG_DB_ERROR };

/* On CATALOG_INVALID *err is the user-facing message; on DB_ERROR a log
 * line.  *err is malloc'd. */
enum catalog_result catalog_lookup(struct pg_conn *, const char *table_param,
    struct catalog_table *, char **err);
void catalog_table_free(struct catalog_table *);
/* For each relid, the table's current "schema\0table" (two NUL-terminated
 * strings, malloc'd) or NULL if no such table exists any more.  0 or -1
 * (database error). */
int catalog_relations(struct pg_conn *, const uint32_t *relids, size_t n,
    char **names) WUR;
/* Adds the table to the publication and sets REPLICA IDENTITY FULL if
 * needed.  0 or -1 (*err malloc'd). */
int catalog_publish(struct pg_conn *, const char *publication,
    const struct catalog_table *, char **err) WUR;

#endif
