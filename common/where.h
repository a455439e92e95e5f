/*
 * where: the shape WHERE language (PROTOCOL.md §10, §2.5).
 *
 * where_compile parses the user's text with libpg_query ("SELECT 1 WHERE
 * <text>"), translates the parse tree into a typed AST checked against the
 * table's columns and the §10.2 operator/function set, and binds $N to
 * the request's params (typed by context, converted to typed constants).
 * From then on only the AST is used:
 *  - where_sql renders it as canonical SQL for the snapshot query and the
 *    shape's identity: every constant a quoted typed literal, every
 *    implicit cast explicit, text comparisons pinned to COLLATE "C", so
 *    Postgres computes exactly what where_eval computes;
 *  - where_eval evaluates it on a row on the replication path with SQL
 *    three-valued logic;
 *  - where_index_term exposes the conjunct the collector's index can use.
 * Pure: no Postgres, no I/O.  Users: shapecache (validation, identity),
 * consumer (snapshot SQL, update semantics), collector (routing, index),
 * tests/where (the differential test against Postgres).
 */
#ifndef ELECTRICD_WHERE_H
#define ELECTRICD_WHERE_H

#include <stddef.h>
#include <stdint.h>

#include "rowval.h"
#include "util.h"

#define WHERE_MAX_TEXT		(256u * 1024)	/* bytes of WHERE text */
#define WHERE_MAX_PARAMS	1000

/* A column of the shape's table, in attnum order (all of them, selected
 * or not: a WHERE may use columns the shape does not select). */
struct where_col {
	const char	*name;
	const char	*type;		/* typname; for arrays the element's; for
					 * domains the base type's */
	int		 dims;		/* 0 scalar, >= 1 array */
	int		 is_enum;	/* type is an enum (type = its name) */
};

/* A 400 under errors[field]: field is "where" or "params". */
struct where_err {
	char	field[8];
	char	msg[512];
};

struct where;

/*
 * Compiles text (len bytes; a NUL inside is an error) against ncols
 * columns.  params[i] is the text of $(i + 1); the caller has checked the
 * numbering (§2.5).  Returns 0 with *out (free with where_free), or -1
 * with *err: §10.1/§10.3 messages "At location N: ..." (N = 0-based
 * character position in text) under "where"; "parameter $N was not
 * provided" under "where"; a param value its inferred type rejects
 * (e.g. "invalid input syntax for type integer: \"abc\"") under "params".
 */
int where_compile(const char *text, size_t len, const struct where_col *cols,
    size_t ncols, char *const *params, size_t nparams, struct where **out,
    struct where_err *err) WUR;
void where_free(struct where *);

/* The canonical boolean SQL expression (NUL-terminated, owned by w).
 * Deterministic: equal ASTs give equal strings; params are inlined. */
const char *where_sql(const struct where *w);

/* Evaluates on one row: ncols values in column order (the caller fills
 * CHANGE_TOAST values from the old tuple first; a CHANGE_TOAST left over
 * counts as unknown).  Returns 1 when the WHERE is TRUE, 0 when it is FALSE
 * or NULL, or when evaluating this row raises an error in Postgres too
 * (overflow, division by zero, malformed value): such a row is not in the
 * shape. */
int where_eval(const struct where *w, const struct change_val *row);

/* Columns the WHERE references: used[i] != 0 for column i. */
const uint8_t *where_cols_used(const struct where *w);

/*
 * Index support (§10.5).  An indexable conjunct of the top-level AND:
 *   WHERE_TERM_EQ: col = c, c = col, col IN (c1, ...): the row's value of
 *     col must equal one of vals;
 *   WHERE_TERM_HAS: c = ANY(arraycol), arraycol @> ARRAY[c1, ...],
 *     ARRAY[c1, ...] <@ arraycol: some element of the row's array must
 *     equal vals[0] (a necessary condition; nvals == 1).
 * vals are index keys (where_index_key of the constant), so equality of
 * keys (memcmp) is exactly Postgres' = for the column's type.  A shape
 * whose WHERE has no such conjunct (or only on types where_index_key
 * does not support) gets NULL.  The index is a pre-filter only: callers
 * still run where_eval on the candidates it yields.
 */
enum where_term_kind { WHERE_TERM_EQ, WHERE_TERM_HAS };
struct where_term {
	enum where_term_kind	  kind;
	int			  col;
	size_t			  nvals;
	char			**vals;		/* NUL-terminated keys */
};
const struct where_term *where_index_term(const struct where *w);

/* The index key of one value (Postgres text output) of a column of type
 * col->type (dims ignored: an element's type) into out (reset first).
 * Returns 0, or -1 when the type is not indexable or the text is not a
 * valid value of it. */
int where_index_key(const struct where_col *col, const char *s, size_t len,
    struct sbuf *out);

/* Calls fn for every non-NULL element of the array literal s (any number
 * of dimensions, flattened), with the element's unquoted text.  Returns 0,
 * -1 if s is malformed, or fn's non-zero return value (which stops it). */
int where_array_each(const char *s, size_t len,
    int (*fn)(const char *elem, size_t len, void *arg), void *arg);

#endif
