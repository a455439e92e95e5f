/*
 * where_diff_expr: the value half of the WHERE differential test.  For
 * every column of wt and every expression of exprs.txt, Postgres computes
 * (E)::text on every row; our evaluator must agree on each row through
 * WHEREs only it can answer: "(E)::text = $1" with $1 = Postgres' text
 * must be TRUE; where Postgres gives NULL, "(E) IS NULL" must be TRUE;
 * where Postgres raises an error, "(E) IS NULL" and "(E) IS NOT NULL"
 * must both be FALSE (where.h: an error row is in no shape).  This checks
 * parsing and text output of every stored value (columns) and of
 * computed values (expressions) byte for byte.  (The text check is one
 * WHERE, "(E)::text IS NOT DISTINCT FROM wd_ref", over the table plus a
 * text column wd_ref holding Postgres' text.)  Postgres evaluates the
 * canonical SQL of E (cut out of where_sql), not the user's text.
 * Called by where_diff.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "where_diff.h"

#define DUMMY		"wd_dummy_3f9c"
#define SHOWN_MAX	4	/* failing rows printed per expression */

static struct where *
compile1(const struct wd_table *t, const char *text, const char *param,
    struct where_err *e)
{
	struct where	*w;
	char		*p[1] = { (char *)param };

	if (where_compile(text, strlen(text), t->cols, t->ncols, p,
	    param != NULL, &w, e) == -1)
		return NULL;
	return w;
}

/* The canonical SQL of E: where_sql of "(E)::text = 'dummy'" is
 * "(<E as text> = 'dummy'::text)". */
static char *
expr_sql(const struct wd_table *t, const char *expr, char **err)
{
	struct where	*w;
	struct where_err e;
	const char	*s, *tail = " = '" DUMMY "'::text)";
	char		*text, *out = NULL;
	size_t		 n, tn = strlen(tail);

	text = xasprintf("(%s)::text = $1", expr);
	w = compile1(t, text, DUMMY, &e);
	free(text);
	if (w == NULL) {
		*err = xasprintf("%s: %s", e.field, e.msg);
		return NULL;
	}
	s = where_sql(w);
	n = strlen(s);
	if (n > tn + 1 && s[0] == '(' && strcmp(s + n - tn, tail) == 0)
		out = xasprintf("%.*s", (int)(n - tn - 1), s + 1);
	else
		*err = xasprintf("unexpected where_sql: %s", s);
	where_free(w);
	return out;
}

/* One expression being checked, compiled three times: "(E) IS NULL",
 * "(E) IS NOT NULL", and "(E)::text IS NOT DISTINCT FROM wd_ref" over the
 * table's columns plus one more, wd_ref (text), which holds Postgres'
 * text of E for the row at hand. */
struct ex {
	const struct wd_table	*t;
	const char		*expr;
	struct where		*isnull, *notnull, *eq;
	struct where_col	*xcols;		/* t->cols + wd_ref */
	struct change_val	*xrow;		/* a row + wd_ref */
};

static struct where *
compile_fmt(const struct ex *x, const char *fmt)
{
	struct where_err	 e;
	struct where		*w;
	char			*q;

	q = xasprintf(fmt, x->expr);
	w = compile1(x->t, q, NULL, &e);
	free(q);
	return w;
}

static void
ex_init(struct ex *x, const struct wd_table *t, const char *expr)
{
	struct where_err	 e;
	char			*q;

	memset(x, 0, sizeof(*x));
	x->t = t;
	x->expr = expr;
	x->isnull = compile_fmt(x, "(%s) IS NULL");
	x->notnull = compile_fmt(x, "(%s) IS NOT NULL");
	x->xcols = xcalloc(t->ncols + 1, sizeof(*x->xcols));
	memcpy(x->xcols, t->cols, t->ncols * sizeof(*x->xcols));
	x->xcols[t->ncols].name = "wd_ref";
	x->xcols[t->ncols].type = "text";
	x->xrow = xcalloc(t->ncols + 1, sizeof(*x->xrow));
	q = xasprintf("(%s)::text IS NOT DISTINCT FROM wd_ref", expr);
	if (where_compile(q, strlen(q), x->xcols, t->ncols + 1, NULL, 0,
	    &x->eq, &e) == -1)
		x->eq = NULL;
	free(q);
}

static void
ex_free(struct ex *x)
{
	where_free(x->isnull);
	where_free(x->notnull);
	where_free(x->eq);
	free(x->xcols);
	free(x->xrow);
}

/* Our verdict on row i: 1 if it agrees with Postgres' text/NULL/error. */
static int
row_agrees(struct ex *x, size_t i, const PGresult *r, int k, int ok)
{
	const struct change_val	*row = &x->t->vals[i * x->t->ncols];
	struct change_val	*ref = &x->xrow[x->t->ncols];

	if (!ok)
		return x->isnull != NULL && x->notnull != NULL &&
		    where_eval(x->isnull, row) == 0 &&
		    where_eval(x->notnull, row) == 0;
	if (x->eq == NULL)
		return 0;
	memcpy(x->xrow, row, x->t->ncols * sizeof(*row));
	if (PQgetisnull(r, k, 0)) {
		ref->kind = CHANGE_NULL;
		ref->s = NULL;
		ref->len = 0;
	} else {
		ref->kind = CHANGE_TEXT;
		ref->s = PQgetvalue(r, k, 0);
		ref->len = (uint32_t)PQgetlength(r, k, 0);
	}
	return where_eval(x->eq, x->xrow) == 1;
}

/* The row's values of the columns E uses. */
static void
show_inputs(const struct ex *x, size_t i)
{
	const struct change_val	*v;
	const uint8_t		*used;
	size_t			 j;

	if (x->isnull == NULL || (used = where_cols_used(x->isnull)) == NULL)
		return;
	for (j = 0; j < x->t->ncols; j++) {
		v = &x->t->vals[i * x->t->ncols + j];
		if (!used[j])
			continue;
		if (v->kind == CHANGE_NULL)
			printf("    %s = NULL\n", x->t->cols[j].name);
		else
			printf("    %s = '%.*s'\n", x->t->cols[j].name,
			    (int)v->len, v->s);
	}
}

static void
show_row(const struct wd_table *t, size_t i, const char *error,
    const PGresult *r, int k)
{
	if (error != NULL)
		printf("  row id %s: Postgres %s, ours a value or NULL\n",
		    t->ids[i], error);
	else if (PQgetisnull(r, k, 0))
		printf("  row id %s: Postgres NULL, ours not\n", t->ids[i]);
	else
		printf("  row id %s: Postgres '%s', ours differs\n", t->ids[i],
		    PQgetvalue(r, k, 0));
}

/* Postgres' (E)::text of every row: over all rows at once when that
 * succeeds, else each row alone (*each). */
static PGresult *
pg_values(PGconn *c, const struct wd_table *t, const char *sql, int *each)
{
	PGresult	*r;
	char		*q;

	*each = 0;
	q = xasprintf("SELECT (%s)::text FROM wt ORDER BY wt.id", sql);
	r = PQexec(c, q);
	free(q);
	if (PQresultStatus(r) == PGRES_TUPLES_OK &&
	    (size_t)PQntuples(r) == t->nrows)
		return r;
	PQclear(r);
	*each = 1;
	return wd_pg_each(c, t, sql);
}

/* Checks E on every row; returns the number of rows that disagree, or
 * -1 when E itself does not compile (printed unless quiet). */
int
wd_expr_check(PGconn *c, const struct wd_table *t, const char *label,
    const char *expr, int quiet)
{
	struct ex	 x;
	char		*sql, *err = NULL;
	PGresult	*r;
	size_t		 i;
	int		 each, ok, nbad = 0;

	if ((sql = expr_sql(t, expr, &err)) == NULL) {
		if (!quiet)
			printf("\n%s: %s\n  does not compile: %s\n", label,
			    expr, err);
		free(err);
		return -1;
	}
	ex_init(&x, t, expr);
	if ((r = pg_values(c, t, sql, &each)) == NULL) {
		printf("\n%s: %s\n  Postgres cannot run %s\n", label, expr,
		    sql);
		nbad = -1;
	}
	for (i = 0; r != NULL && i < t->nrows; i++) {
		ok = !each || wd_pg_each_ok(r, (int)i);
		if (row_agrees(&x, i, r, (int)i, ok))
			continue;
		if (nbad == 0)
			printf("\n%s: %s\n  sql: %s\n", label, expr, sql);
		if (nbad++ < SHOWN_MAX) {
			show_row(t, i, ok ? NULL : "an error", r, (int)i);
			show_inputs(&x, i);
		}
	}
	PQclear(r);
	ex_free(&x);
	if (nbad > SHOWN_MAX)
		printf("  ... %d rows in all\n", nbad);
	free(sql);
	fflush(stdout);
	return nbad;
}
