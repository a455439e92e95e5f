/*
 * pgtree: reading libpg_query's JSON parse tree (nodes are one-key objects
 * {"Kind":{...}} with an optional "location").  Shared by the subset
 * validator (subset_sql.c) and the WHERE compiler (where_parse.c).
 */
#ifndef ELECTRICD_PGTREE_H
#define ELECTRICD_PGTREE_H

#include <jansson.h>

/* The single key of a node object and its body (*body NULL if none). */
const char *pgtree_kind(json_t *n, json_t **body);
/* The node body's "location", or parent when it has none. */
int pgtree_loc(json_t *body, int parent);
/* {"String":{"sval":s}} -> s, else NULL. */
const char *pgtree_string(json_t *n);

/* A TypeName node's name: one part or pg_catalog.<name>, no SETOF or
 * %TYPE.  0 with *name, or -1 with *name the last part for the message
 * (NULL when there is none). */
int pgtree_type_name(json_t *tn, const char **name);

#endif
