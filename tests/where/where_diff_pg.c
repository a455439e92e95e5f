/*
 * where_diff_pg: the Postgres side of the WHERE differential test: the
 * connection with the PROTOCOL.md §11.1 session settings, a fresh schema
 * holding schema.sql, the table's columns from the catalog (as the
 * shapecache describes them to where_compile), its rows as text, and the
 * set of rows Postgres accepts for a condition.  Called by where_diff.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "where_diff.h"

#define INT8OID	20

static const char *const session_sql =
    "SET bytea_output = 'hex'; SET DateStyle = 'ISO, DMY'; "
    "SET TimeZone = 'UTC'; SET extra_float_digits = 1; "
    "SET IntervalStyle = 'iso_8601'; SET client_min_messages = warning";

/* Columns in attnum order: domains by their base type, arrays by their
 * element type with dims >= 1, enums flagged. */
static const char *const catalog_sql =
    "SELECT a.attname, coalesce(e.typname, b.typname), "
    "  CASE WHEN e.oid IS NULL THEN 0 ELSE greatest(a.attndims, 1) END, "
    "  coalesce(e.typtype, b.typtype) = 'e' "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' "
    "  THEN t.typbasetype ELSE t.oid END "
    "LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A' "
    "WHERE a.attrelid = 'wt'::regclass AND a.attnum > 0 "
    "  AND NOT a.attisdropped ORDER BY a.attnum";

/* (cond)::text on every row alone, in one round trip: val (NULL when
 * NULL or an error) and st: 'v' value, 'n' NULL, 'e' Postgres error. */
static const char *const each_sql =
    "CREATE FUNCTION wd_each(cond text) "
    "RETURNS TABLE (rid int8, val text, st text) LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "  FOR rid IN SELECT wt.id FROM wt ORDER BY wt.id LOOP "
    "    BEGIN "
    "      EXECUTE 'SELECT (' || cond || ')::text FROM wt WHERE id = $1' "
    "        INTO val USING rid; "
    "      st := CASE WHEN val IS NULL THEN 'n' ELSE 'v' END; "
    "    EXCEPTION WHEN OTHERS THEN "
    "      val := NULL; st := 'e'; "
    "    END; "
    "    RETURN NEXT; "
    "  END LOOP; "
    "END $$";

static int
exec_ok(PGconn *c, const char *sql, ExecStatusType want)
{
	PGresult	*r;
	int		 ok;

	r = PQexec(c, sql);
	ok = PQresultStatus(r) == want;
	if (!ok)
		fprintf(stderr, "where-diff: %s\n", PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

PGconn *
wd_connect(const char *conninfo)
{
	PGconn	*c;

	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "where-diff: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	if (exec_ok(c, session_sql, PGRES_COMMAND_OK) == -1) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

int
wd_setup(PGconn *c, const char *schema, const char *schema_sql)
{
	char	*sql;
	int	 rc;

	wd_teardown(c, schema);
	sql = xasprintf("CREATE SCHEMA %s; SET search_path = %s", schema,
	    schema);
	rc = exec_ok(c, sql, PGRES_COMMAND_OK);
	free(sql);
	if (rc == 0)
		rc = exec_ok(c, schema_sql, PGRES_COMMAND_OK);
	if (rc == 0)
		rc = exec_ok(c, each_sql, PGRES_COMMAND_OK);
	return rc;
}

PGresult *
wd_pg_each(PGconn *c, const struct wd_table *t, const char *cond)
{
	PGresult	*r;
	const char	*pv[1] = { cond };

	r = PQexecParams(c, "SELECT val, st FROM wd_each($1)", 1, NULL, pv,
	    NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK &&
	    (size_t)PQntuples(r) == t->nrows)
		return r;
	PQclear(r);
	return NULL;
}

int
wd_pg_each_ok(const PGresult *r, int i)
{
	return PQgetvalue(r, i, 1)[0] != 'e';
}

void
wd_teardown(PGconn *c, const char *schema)
{
	char	*sql;

	sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", schema);
	(void)exec_ok(c, sql, PGRES_COMMAND_OK);
	free(sql);
}

static int
load_cols(PGconn *c, struct wd_table *t)
{
	size_t	 i;

	t->cat = PQexec(c, catalog_sql);
	if (PQresultStatus(t->cat) != PGRES_TUPLES_OK) {
		fprintf(stderr, "where-diff: catalog: %s", PQerrorMessage(c));
		return -1;
	}
	t->ncols = (size_t)PQntuples(t->cat);
	t->cols = xcalloc(t->ncols, sizeof(*t->cols));
	for (i = 0; i < t->ncols; i++) {
		t->cols[i].name = PQgetvalue(t->cat, (int)i, 0);
		t->cols[i].type = PQgetvalue(t->cat, (int)i, 1);
		t->cols[i].dims = atoi(PQgetvalue(t->cat, (int)i, 2));
		t->cols[i].is_enum = PQgetvalue(t->cat, (int)i, 3)[0] == 't';
	}
	return 0;
}

static void
fill_val(struct change_val *v, const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col)) {
		v->kind = CHANGE_NULL;
		v->len = 0;
		v->s = NULL;
		return;
	}
	v->kind = CHANGE_TEXT;
	v->len = (uint32_t)PQgetlength(r, row, col);
	v->s = PQgetvalue(r, row, col);
}

static int
load_rows(PGconn *c, struct wd_table *t)
{
	size_t	 i, j;

	t->rows = PQexec(c, "SELECT * FROM wt ORDER BY id");
	if (PQresultStatus(t->rows) != PGRES_TUPLES_OK) {
		fprintf(stderr, "where-diff: rows: %s", PQerrorMessage(c));
		return -1;
	}
	if ((size_t)PQnfields(t->rows) != t->ncols) {
		fprintf(stderr, "where-diff: %d fields, %zu columns\n",
		    PQnfields(t->rows), t->ncols);
		return -1;
	}
	t->nrows = (size_t)PQntuples(t->rows);
	t->vals = xcalloc(t->nrows * t->ncols, sizeof(*t->vals));
	t->ids = xcalloc(t->nrows, sizeof(*t->ids));
	for (i = 0; i < t->nrows; i++) {
		t->ids[i] = PQgetvalue(t->rows, (int)i, 0);
		for (j = 0; j < t->ncols; j++)
			fill_val(&t->vals[i * t->ncols + j], t->rows, (int)i,
			    (int)j);
	}
	return 0;
}

int
wd_table_load(PGconn *c, struct wd_table *t)
{
	memset(t, 0, sizeof(*t));
	if (load_cols(c, t) == -1 || load_rows(c, t) == -1)
		return -1;
	return 0;
}

void
wd_table_free(struct wd_table *t)
{
	PQclear(t->cat);
	PQclear(t->rows);
	free(t->cols);
	free(t->vals);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

/* The row index of id (ids are sorted, as numbers). */
static long
row_of(const struct wd_table *t, const char *id)
{
	long long	 want = strtoll(id, NULL, 10), got;
	size_t		 lo = 0, hi = t->nrows, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		got = strtoll(t->ids[mid], NULL, 10);
		if (got == want)
			return (long)mid;
		if (got < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Every row at once; 0, or -1 when Postgres raised an error. */
static int
eval_all(PGconn *c, const struct wd_table *t, const char *cond,
    char *const *params, size_t np, enum wd_pg *out, char **err)
{
	PGresult	*r;
	char		*sql;
	int		 i;
	long		 k;

	sql = xasprintf("SELECT id FROM wt WHERE %s", cond);
	r = PQexecParams(c, sql, (int)np, NULL, (const char *const *)params,
	    NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = xstrdup(PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		k = row_of(t, PQgetvalue(r, i, 0));
		if (k >= 0)
			out[k] = WD_PG_TRUE;
	}
	PQclear(r);
	return 0;
}

/* One row: (cond) evaluated with the row's id as the last parameter
 * (sql NULL: the prepared statement "wd_row"). */
static enum wd_pg
eval_row(PGconn *c, const char *sql, size_t i, const struct wd_table *t,
    const char **pv, Oid *types, size_t np)
{
	PGresult	*r;
	enum wd_pg	 res;

	pv[np] = t->ids[i];
	if (sql == NULL)
		r = PQexecPrepared(c, "wd_row", (int)np + 1, pv, NULL, NULL, 0);
	else
		r = PQexecParams(c, sql, (int)np + 1, types, pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		res = WD_PG_ERROR;
	else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
	    PQgetvalue(r, 0, 0)[0] == 't')
		res = WD_PG_TRUE;
	else
		res = WD_PG_FALSE;
	PQclear(r);
	return res;
}

/* Prepares sql as "wd_row" (parsed and planned once for all rows). */
static int
prepare(PGconn *c, const char *sql, const Oid *types, size_t n)
{
	PGresult	*r;
	int		 ok;

	r = PQprepare(c, "wd_row", sql, (int)n, types);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok;
}

static int
eval_rows(PGconn *c, const struct wd_table *t, const char *cond,
    char *const *params, size_t np, enum wd_pg *out)
{
	const char	**pv;
	Oid		 *types;
	PGresult	 *r;
	char		 *sql;
	size_t		  i;
	int		  nerr = 0, prepared;

	pv = xcalloc(np + 1, sizeof(*pv));
	types = xcalloc(np + 1, sizeof(*types));
	for (i = 0; i < np; i++)
		pv[i] = params[i];
	types[np] = INT8OID;
	sql = xasprintf("SELECT (%s) FROM wt WHERE id = $%zu", cond, np + 1);
	prepared = prepare(c, sql, types, np + 1);
	for (i = 0; i < t->nrows; i++) {
		out[i] = eval_row(c, prepared ? NULL : sql, i, t, pv, types,
		    np);
		nerr += out[i] == WD_PG_ERROR;
	}
	if (prepared) {
		r = PQexec(c, "DEALLOCATE wd_row");
		PQclear(r);
	}
	free(sql);
	free(types);
	free(pv);
	return nerr;
}

/* Every row alone through wd_each (conditions without params); -1 if
 * wd_each itself fails. */
static int
eval_each(PGconn *c, const struct wd_table *t, const char *cond,
    enum wd_pg *out)
{
	PGresult	*r;
	size_t		 i;
	int		 nerr = 0;

	if ((r = wd_pg_each(c, t, cond)) == NULL)
		return -1;
	for (i = 0; i < t->nrows; i++) {
		if (!wd_pg_each_ok(r, (int)i)) {
			out[i] = WD_PG_ERROR;
			nerr++;
		} else if (strcmp(PQgetvalue(r, (int)i, 0), "true") == 0)
			out[i] = WD_PG_TRUE;
		else
			out[i] = WD_PG_FALSE;
	}
	PQclear(r);
	return nerr;
}

int
wd_pg_eval(PGconn *c, const struct wd_table *t, const char *cond,
    char *const *params, size_t np, enum wd_pg *out, char **err)
{
	size_t	 i;
	int	 nerr;

	*err = NULL;
	for (i = 0; i < t->nrows; i++)
		out[i] = WD_PG_FALSE;
	if (eval_all(c, t, cond, params, np, out, err) == 0)
		return 0;
	nerr = np == 0 ? eval_each(c, t, cond, out) : -1;
	if (nerr == -1)
		nerr = eval_rows(c, t, cond, params, np, out);
	if ((size_t)nerr < t->nrows)
		return nerr;
	return -1;	/* every row fails: the text itself is bad */
}
