/*
 * change: the exact JSON of the Shape API's change messages (PROTOCOL.md
 * §6.1, §6.4, replica=default and replica=full, column projection and
 * WHERE transitions), built once by the consumer at write time and stored
 * ready to serve.  Also the snapshot rows and the snapshot-end control
 * message.
 */
#ifndef ELECTRICD_CHANGE_H
#define ELECTRICD_CHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "rowval.h"
#include "util.h"

struct change_col {
	char	*name;
	int	 pk;		/* index in the primary key, or -1 */
	int	 sel;		/* selected by the shape (columns=); 1 by default */
	char	*jname;		/* "name": as JSON, built once */
	size_t	 jname_len;
};

/* A shape's table and columns (the table's column order = attnum order;
 * cols[] holds EVERY column of the table, selected or not). */
struct change_shape {
	char			*schema;
	char			*table;
	size_t			 ncols;
	struct change_col	*cols;
	size_t			 npk;
	size_t			*pk_cols;	/* pk index -> column index */
	size_t			 nsel;		/* selected columns */
	size_t			*pk_sel;	/* pk index -> index among the
						 * selected columns */
	int			 replica_full;	/* replica=full (§6.4); 0 after
						 * change_shape_init, the caller
						 * sets it */
	struct sbuf		 key_json;	/* "schema"."table" of the key,
						 * JSON-escaped, no quotes */
	struct sbuf		 rel_json;	/* "relation":["schema","table"] */
};

/* Parses meta's columns JSON ([{"name":..,"type":..,"pk":n|-1
 * [,"sel":false]}, ...]): every column of the table in attnum order;
 * "sel" absent = true.  The key uses the PK columns (all columns on a
 * PK-less table); those must be selected, else -1.  0, or -1 with a
 * message in *err (malloc'd); change_shape_free is safe after either. */
int change_shape_init(struct change_shape *, const char *schema,
    const char *table, const char *columns_json, char **err) WUR;
void change_shape_free(struct change_shape *);

/* Where a change comes from. */
struct change_src {
	uint64_t	lsn;		/* Begin.final_lsn: offset tx, header lsn */
	uint32_t	xid;
	uint32_t	index;		/* 0-based position in the transaction */
};

/* One encoded message and its offset op (offset tx = src.lsn). */
struct change_msg {
	struct sbuf	json;
	uint64_t	op;
};

#define CHANGE_IN_OLD	1	/* the old row is in the shape (WHERE true) */
#define CHANGE_IN_NEW	2	/* the new row is in the shape */

/*
 * Encodes one change (op 'I', 'U' or 'D') of a row whose tuples are FULL
 * table rows in column order (ncols values each, selected or not; old or
 * new may be NULL when absent); only selected columns are written into
 * value / old_value.  old_full says the old tuple has every column
 * (REPLICA IDENTITY FULL); otherwise only its key columns are trusted.
 * `in` (CHANGE_IN_OLD | CHANGE_IN_NEW) matters for 'U' only: both = an
 * update (§6.4; no selected column changed = 0 messages), NEW only = an
 * insert of the new row, OLD only = a delete of the old row, neither = 0
 * messages.  For 'I' / 'D' call only when the row is in the shape.
 * Writes 0, 1 or 2 messages (a PK-changing update is a delete at 2*index
 * followed by an insert at 2*index+1) into out[] (whose sbufs must be
 * initialised) and returns how many, or -1 for a change that cannot be
 * encoded (bad input).  No message carries "last"; see change_set_last.
 */
int change_encode(const struct change_shape *, const struct change_src *,
    char op, const struct change_val *old, int old_full,
    const struct change_val *new_, int in, struct change_msg out[2]);
/* Adds "last":true to the headers of an encoded change message. */
void change_set_last(struct sbuf *);

/* The key `"<schema>"."<table>"/"<pk1>"/...` (raw, not JSON-escaped) of
 * a FULL table row (ncols values). */
void change_key(struct sbuf *, const struct change_shape *,
    const struct change_val *row);

/* {"key":..,"value":{..},"headers":{"operation":"insert","relation":[s,t]}}
 * of a snapshot row holding only the SELECTED columns (nsel values, in
 * column order; the key columns are always among them). */
void change_snapshot_row(struct sbuf *, const struct change_shape *,
    const struct change_val *row);
/* A subset-snapshot row (§9): a snapshot row (SELECTED columns only, as
 * for change_snapshot_row) whose headers end with "snapshot_mark":mark. */
void change_subset_row(struct sbuf *, const struct change_shape *,
    const struct change_val *row, uint32_t mark);
/* The start of a subset response body, up to and including "data":[ :
 * {"metadata":{"xmin":..,"xmax":..,"xip_list":[..],"database_lsn":"..",
 * "snapshot_mark":mark},"data":[ */
void change_subset_open(struct sbuf *, uint64_t xmin, uint64_t xmax,
    const uint64_t *xip, size_t nxip, uint64_t lsn, uint32_t mark);
/* {"headers":{"control":"snapshot-end","xmin":..,"xmax":..,"xip_list":[..]}} */
void change_snapshot_end(struct sbuf *, uint64_t xmin, uint64_t xmax,
    const uint64_t *xip, size_t nxip);

#endif
