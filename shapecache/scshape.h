/*
 * scshape: shapecache's table of live shapes, indexed by handle, by
 * definition and by table name (issue 6: per-request and per-shape work
 * is O(1), not O(shapes)).  Used by shapecache.c only.
 */
#ifndef ELECTRICD_SCSHAPE_H
#define ELECTRICD_SCSHAPE_H

#include <stddef.h>
#include <stdint.h>

struct sc_tbl;

struct sc_shape {
	char		*handle;
	char		*definition;
	char		*schema;
	char		*table;
	char		*electric_schema;
	uint32_t	 relid;
	struct sc_tbl	*tbl;		/* the shapes of "schema"."table" */
	struct sc_shape	*tprev, *tnext;
};

struct sc_shape *scshape_by_handle(const char *handle);
/* The newest shape of a definition. */
struct sc_shape *scshape_by_def(const char *def);
struct sc_shape *scshape_add(const char *handle, const char *def,
    const char *schema, const char *table, const char *es, uint32_t relid);
/* Removes s from every index and frees it. */
void scshape_free(struct sc_shape *s);
size_t scshape_count(void);
/* Every shape, in no particular order, into a new array of *n. */
struct sc_shape **scshape_all(size_t *n);
/* 1 when "schema"."table" has a shape of another (non-zero) table oid. */
int scshape_other_relid(const char *schema, const char *table, uint32_t relid);
/* Every shape of "schema"."table" into a new array of *n (NULL if none). */
struct sc_shape **scshape_of_table(const char *schema, const char *table,
    size_t *n);

#endif
