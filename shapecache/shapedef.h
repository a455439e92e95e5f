/*
 * shapedef: a shape request checked against its table's catalog entry
 * (PROTOCOL.md §2.4, §2.5, §4.1, §10): the selected columns, the
 * compiled WHERE, the identity string, and what meta.db stores.  No I/O:
 * shapecache calls it after catalog_lookup.  Unit-tested by
 * tests/unit/test_shapedef.c.
 */
#ifndef ELECTRICD_SHAPEDEF_H
#define ELECTRICD_SHAPEDEF_H

#include "util.h"

struct catalog_table;
struct shape_req;

struct shapedef {
	char	*definition;		/* identity (§4.1) */
	char	*columns;		/* meta columns JSON, with "sel" */
	char	*electric_schema;	/* the selected columns only */
	char	*where_text;		/* "" = none */
	char	*where_sql;		/* canonical, "" = none */
	char	*params;		/* JSON array */
	int	 replica_full;
	int	 log_mode;
};

/* 0, or -1 with *field ("columns", "where" or "params") and *msg set
 * (both malloc'd): the 400 of §2.2 stage 8. */
int shapedef_build(const struct catalog_table *, const struct shape_req *,
    struct shapedef *, char **field, char **msg) WUR;
void shapedef_free(struct shapedef *);

#endif
