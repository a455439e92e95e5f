/*
 * meta: the shared SQLite file <storage>/meta.db (WAL mode, busy timeout),
 * holding what the seed's ShapeStatus holds.  Every process opens its own
 * connection after it starts; none crosses a fork.
 *
 * Table shapes: one row per shape incarnation.
 *   handle TEXT PK, hash INTEGER, schema_name TEXT, table_name TEXT,
 *   relid INTEGER, columns TEXT (JSON array, attnum order, of
 *   {"name":..,"type":..,"pk":<pk index or -1>}), electric_schema TEXT
 *   (the electric-schema header), definition TEXT (identity string),
 *   state TEXT ("creating", "active", "deleted"),
 *   snapshot_xmin INTEGER, snapshot_started INTEGER (0/1),
 *   latest_tx INTEGER, latest_op INTEGER, created_us INTEGER,
 *   log_mode INTEGER (0 full, 1 changes_only: the snapshot holds no rows),
 *   where_text TEXT (the request's WHERE, "" = none), params TEXT (JSON
 *   array of the $N values), replica INTEGER (1 = replica=full).
 * The columns JSON entries also carry "sel":false for columns the shape
 * does not select, "dims" for arrays, "enum":true and "base" (a domain's
 * base type), "generated":true.
 * Table kv: key TEXT PK, value TEXT (replication state: system id, ...).
 */
#ifndef ELECTRICD_META_H
#define ELECTRICD_META_H

#include <stdint.h>

#include "util.h"

struct sqlite3;

struct meta_shape {
	char		*handle;
	char		*schema_name;
	char		*table_name;
	uint32_t	 relid;
	char		*columns;		/* JSON */
	char		*electric_schema;	/* JSON */
	char		*definition;
	char		*state;
	uint64_t	 snapshot_xmin;
	int		 snapshot_started;
	uint64_t	 latest_tx;
	uint64_t	 latest_op;
	uint64_t	 created_us;
	int		 log_mode;		/* 0 full, 1 changes_only */
	char		*where_text;		/* "" = none */
	char		*params;		/* JSON array of strings */
	int		 replica_full;
};

/* Opens (creating the schema if needed). NULL on failure (logged). */
struct sqlite3 *meta_open(const char *path);
/* Opens an existing meta.db for a few statements: no schema check (for
 * consumers, whose shape row shapecache wrote before spawning them). */
struct sqlite3 *meta_attach(const char *path);
void meta_close(struct sqlite3 *);
void meta_shape_free(struct meta_shape *);
/* 0 found, 1 not found, -1 error. */
int meta_shape_get(struct sqlite3 *, const char *handle, struct meta_shape *) WUR;
int meta_shape_insert(struct sqlite3 *, const struct meta_shape *) WUR;
int meta_shape_set_state(struct sqlite3 *, const char *handle, const char *state) WUR;
int meta_shape_set_snapshot(struct sqlite3 *, const char *handle,
    uint64_t xmin, int started) WUR;
int meta_shape_set_latest(struct sqlite3 *, const char *handle,
    uint64_t tx, uint64_t op) WUR;
int meta_shape_delete(struct sqlite3 *, const char *handle) WUR;
/* Calls fn for every shape not in state "deleted"; stops if fn returns -1. */
int meta_shape_each(struct sqlite3 *, int (*fn)(const struct meta_shape *, void *),
    void *arg) WUR;
/* SQLite's message for the last failure on db ("database or disk is
 * full", ...). */
const char *meta_errmsg(struct sqlite3 *);
int meta_kv_get(struct sqlite3 *, const char *key, char **value) WUR;	/* 1 = absent */
int meta_kv_set(struct sqlite3 *, const char *key, const char *value) WUR;

#endif
