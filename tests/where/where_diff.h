/*
 * where_diff: the WHERE differential test (PROTOCOL.md §10, issue 4).
 * bin/where-diff loads tests/where/schema.sql into a fresh schema of
 * $TEST_DATABASE_URL and checks, for every clause of clauses.txt, that
 * the rows where_eval accepts are exactly the rows Postgres returns for
 * where_sql(), and for every line of rejects.txt that where_compile fails
 * with the expected message.  Internal to tests/where.
 */
#ifndef ELECTRICD_WHERE_DIFF_H
#define ELECTRICD_WHERE_DIFF_H

#include <stddef.h>

#include <libpq-fe.h>

#include "rowval.h"
#include "util.h"
#include "where.h"

/* One line of clauses.txt or rejects.txt. */
struct wd_case {
	int	 line;
	int	 deviation;		/* "~ " line: may differ from the
					 * user's text run by Postgres */
	int	 optional;		/* generated: skipped if ours
					 * rejects it */
	char	*text;			/* the WHERE text */
	char	**params;		/* values of $1.. (NULL if none) */
	size_t	 nparams;
	char	*want_field;		/* rejects: "where" or "params" */
	char	*want_msg;		/* rejects: the exact message */
};

struct wd_cases {
	struct wd_case	*v;
	size_t		 n;
};

/* The table as read back from Postgres. */
struct wd_table {
	PGresult		*cat;	/* the catalog query (owns col names) */
	struct where_col	*cols;
	size_t			 ncols;
	PGresult		*rows;	/* SELECT * ORDER BY id (owns values) */
	size_t			 nrows;
	struct change_val	*vals;	/* nrows * ncols */
	char			**ids;	/* nrows; borrowed from rows */
};

/* Per-row outcome of a query in Postgres. */
enum wd_pg { WD_PG_FALSE, WD_PG_TRUE, WD_PG_ERROR };

/* where_diff_file.c */
int wd_cases_load(const char *path, int rejects, struct wd_cases *out) WUR;
void wd_cases_free(struct wd_cases *);
char *wd_slurp(const char *path);

/* where_diff_pg.c */
PGconn *wd_connect(const char *conninfo);
int wd_setup(PGconn *, const char *schema, const char *schema_sql) WUR;
void wd_teardown(PGconn *, const char *schema);
int wd_table_load(PGconn *, struct wd_table *) WUR;
void wd_table_free(struct wd_table *);
/* (cond)::text of every row alone, in one query (the wd_each function
 * schema.sql's schema gets): column 0 the text (NULL when NULL or an
 * error), wd_pg_each_ok false on rows where Postgres raised an error.
 * NULL if the query fails. */
PGresult *wd_pg_each(PGconn *, const struct wd_table *, const char *cond);
int wd_pg_each_ok(const PGresult *, int row);
/* Runs "SELECT id FROM wt WHERE <cond>" with params (typed by Postgres
 * from context); on an error, each row alone.  out[i] for row i; returns
 * the number of rows that raised an error, or -1 (and *err) when even
 * a single-row query could not be prepared. */
int wd_pg_eval(PGconn *, const struct wd_table *, const char *cond,
    char *const *params, size_t nparams, enum wd_pg *out, char **err);

/* where_diff_gen.c: appends generated cases (line 0) */
void wd_gen_cases(struct wd_cases *clauses, struct wd_cases *rejects,
    struct wd_cases *exprs);

/* where_diff_expr.c */
int wd_expr_check(PGconn *, const struct wd_table *, const char *label,
    const char *expr, int quiet);

#endif
