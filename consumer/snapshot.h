/*
 * snapshot: takes a shape's initial snapshot (PROTOCOL.md §7.1, §12.4) on
 * a connection lent by connmgr's pool (pgwire.h) or, when the pool cannot
 * lend, on a blocking libpq connection of its own, and writes it into the
 * shape log as ready-to-serve chunks ending with the snapshot-end message.
 */
#ifndef ELECTRICD_SNAPSHOT_H
#define ELECTRICD_SNAPSHOT_H

#include "change.h"
#include "shapelog.h"

/* Where a snapshot runs: on fd, a connection lent by connmgr's pool
 * (pool_borrow), idle outside a transaction, spoken to with pgwire.h; or,
 * with fd -1, on a libpq connection of its own to conninfo.  reusable is
 * set on return when the lent connection is idle outside a transaction
 * again, even after a failed query: it can go back to the pool. */
struct snapshot_via {
	int		 fd;
	const char	*conninfo;
	int		 reusable;
};

/*
 * Reads pg_current_snapshot() and every row of the shape (its selected
 * columns of the rows where the canonical WHERE `where` holds; NULL or ""
 * = all rows) in one REPEATABLE READ READ ONLY transaction on via,
 * appends the rows to sl, persists the visibility filter
 * (shapelog_xip_write) and finishes the snapshot.  With rows == 0
 * (log=changes_only, §7.4) the snapshot is taken and recorded but no row
 * is read: chunk 0 is just the snapshot-end message.  on_chunk(arg), if
 * set, runs after each closed chunk.  On success *xip holds the filter
 * (caller frees with shapelog_xip_free).  -1 on any failure (logged); sl
 * then holds an incomplete snapshot that shapelog_open discards, and err
 * (if not NULL) says whether the failure is permanent (the query fails on
 * the data) or a storage fault.
 */
struct snapshot_err {
	int	permanent;	/* the query fails on the data: no retry helps */
	int	storage;	/* writing the snapshot failed (disk full,
				 * read-only...): shapelog_storage_errno */
	char	msg[640];	/* Postgres' message, when permanent; the
				 * failed write (shapelog_errmsg), storage */
};
int snapshot_take(struct snapshot_via *, const struct change_shape *,
    const char *where, int rows, struct shapelog *sl, struct shapelog_xip *xip,
    void (*on_chunk)(void *), void *arg, struct snapshot_err *err) WUR;

/* The session settings of every snapshot transaction (§11.1): values in
 * text format byte-identical to what pgoutput sends.  SQL statements,
 * each ending with ';'. */
#define SNAPSHOT_SETTINGS_SQL \
	"SET LOCAL bytea_output = 'hex';" \
	"SET LOCAL DateStyle = 'ISO, DMY';" \
	"SET LOCAL TimeZone = 'UTC';" \
	"SET LOCAL extra_float_digits = 1;" \
	"SET LOCAL IntervalStyle = 'iso_8601';"

/* Is a transaction with 32-bit xid visible in the snapshot x (§12.4)?  The
 * xid is extended to 64 bits as the nearest value to xmax (wraparound).
 * *after is set when the transaction started after the snapshot (xid >=
 * xmax): from then on no transaction can be in the snapshot. */
int snapshot_visible(const struct shapelog_xip *x, uint32_t xid, int *after);
/* Parses pg_current_snapshot()::text, "xmin:xmax:xip1,xip2,..."; 0 or -1. */
int snapshot_parse_txids(const char *s, struct shapelog_xip *) WUR;
/* SELECT "c1","c2",... FROM "schema"."table" [WHERE (where)] of the
 * selected columns (malloc'd); where NULL or "" = none. */
char *snapshot_query(const struct change_shape *, const char *where);
/* Splits one COPY text-format row (line, len bytes, with or without its
 * '\n') into n values in place: tabs end fields, \N is NULL, backslash
 * escapes are undone.  vals[i].s point into line.  0, or -1 if the row
 * does not have exactly n fields. */
int snapshot_copy_row(char *line, size_t len, struct change_val *vals,
    size_t n) WUR;
/* How many columns the shape selects (the width of snapshot rows). */
size_t snapshot_ncols(const struct change_shape *);

#endif
