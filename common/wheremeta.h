/*
 * wheremeta: a shape's WHERE compiled from what meta.db stores (the
 * columns JSON, where_text and the params JSON; shapecache/meta.h), the
 * same way in every process that needs it: shapecache (validation,
 * identity), the consumer (snapshot SQL, update semantics) and the
 * collector (routing).
 */
#ifndef ELECTRICD_WHEREMETA_H
#define ELECTRICD_WHEREMETA_H

#include <stddef.h>

#include "where.h"

/* One column of a stored columns JSON, as every reader of it needs it. */
struct wheremeta_col {
	const char	*name;
	const char	*type;		/* for a domain, its base type */
	int		 dims;
	int		 is_enum;
	long long	 typoid;
	int		 generated;
	int		 sel;		/* selected (not "sel": false) */
};

/* The columns JSON parsed (*n of them), or NULL when it is not an array.
 * Valid until the next call: the last list parsed is kept, so the shapes
 * of one table cost one parse. */
const struct wheremeta_col *wheremeta_columns(const char *columns_json,
    size_t *n);

/* The table's columns as where_compile wants them.  Free with
 * wheremeta_cols_free. */
struct wheremeta_cols {
	struct where_col	*cols;
	size_t			 ncols;
	char			**strs;		/* owned names and types */
};

/* 0, or -1 when the JSON is malformed. */
int wheremeta_cols(const char *columns_json, struct wheremeta_cols *) WUR;
void wheremeta_cols_free(struct wheremeta_cols *);

/* params JSON array of strings -> vector (*n of them); 0 or -1. */
int wheremeta_params(const char *params_json, char ***params, size_t *n) WUR;
void wheremeta_params_free(char **params, size_t n);

/*
 * Compiles where_text ("" = no WHERE: *w = NULL and 0) against the
 * columns with the params.  0, or -1 with *err (malloc'd, "field: msg"
 * form is not used: the message only).
 */
int wheremeta_compile(const char *columns_json, const char *where_text,
    const char *params_json, struct where **w, char **err) WUR;

#endif
