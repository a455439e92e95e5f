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
	int		 published;	/* in the publication already */
	char		*columns;	/* JSON for meta.columns */
	char		*electric_schema;
	char		*pk;		/* comma list of PK column names, for identity */
};

enum catalog_result { CATALOG_OK, CATALOG_INVALID, CATALOG_DB_ERROR };

/* Prepares catalog_lookup's statement on a new connection: 0, or -1 with
 * *err (malloc'd) set. */
int catalog_prepare(struct pg_conn *, char **err) WUR;
/* One round trip.  On CATALOG_INVALID *err is the user-facing message; on
 * DB_ERROR a log line.  *err is malloc'd; t is filled only on CATALOG_OK. */
enum catalog_result catalog_lookup(struct pg_conn *, const char *publication,
    const char *table_param, struct catalog_table *, char **err);
void catalog_table_free(struct catalog_table *);
/* For each relid, the table's current "schema\0table" (two NUL-terminated
 * strings, malloc'd) or NULL if no such table exists any more.  0 or -1
 * (database error). */
int catalog_relations(struct pg_conn *, const uint32_t *relids, size_t n,
    char **names) WUR;
/* Adds the table to the publication and sets REPLICA IDENTITY FULL if
 * needed (nothing to do when catalog_lookup found both done).  0 or -1
 * (*err malloc'd). */
int catalog_publish(struct pg_conn *, const char *publication,
    const struct catalog_table *, char **err) WUR;

#endif
