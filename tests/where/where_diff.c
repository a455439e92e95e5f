/*
 * where_diff: bin/where-diff, the WHERE differential test against
 * Postgres (issue 4; run by scripts/check.sh against TEST_DATABASE_URL).
 *
 *   where-diff [-v] [-k] [-d DIR] [-l LINE] [CONNINFO]
 *
 * Loads DIR/schema.sql (default tests/where) into a fresh schema, reads
 * the columns and rows back, then for every clause of DIR/clauses.txt:
 *  - where_compile must accept it;
 *  - where_compile(where_sql(w)) must give the same SQL (round trip);
 *  - the rows where_eval accepts must be exactly the rows Postgres
 *    returns for where_sql(w); a row on which Postgres raises an error
 *    (overflow, division by zero, ...) must not be accepted (where.h);
 *  - Postgres must return the same rows for the user's own text with the
 *    params bound as untyped parameters (where_sql keeps the meaning);
 *  - every accepted row must pass the where_index_term pre-filter;
 *  - where_eval must not look at columns where_cols_used leaves out.
 * Generated clauses follow (where_diff_gen.c: column pairs under each
 * operator).  For every line of DIR/rejects.txt, where_compile must fail
 * with exactly the expected field and message.  For every column of wt,
 * every expression of DIR/exprs.txt and the generated ones, our text of
 * the value on every row must be Postgres' (where_diff_expr.c).
 * Prints each failure and the summary
 * "N clauses, M rows, K mismatches" (K counts failing clauses, rejects
 * and expressions); exits 1 if K > 0, 2 on set-up errors.  -l runs only
 * the cases on that line of the three files; -k keeps the schema; -v
 * prints every clause with its SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "where_diff.h"

#define MAX_ROWS_SHOWN	6	/* mismatching rows printed per clause */

struct wd {
	PGconn			*conn;
	struct wd_table		 t;
	int			 verbose;
	int			 only_line;
	enum wd_pg		*pg, *raw;
	int			*ours;
	size_t			 nclauses, nrejects;
	const struct wd_case	*cur;		/* the clause being run */
	const char		*cur_sql;	/* its where_sql, or NULL */
	int			 cur_shown;	/* its header is printed */
	size_t			 bad_compile, bad_rows, bad_clauses,
				 bad_roundtrip, bad_meaning, bad_index,
				 bad_rejects, pg_error_rows, pg_error_clauses,
				 raw_rejected, known_deviations, with_index;
	size_t			 nexprs, bad_exprs, bad_expr_rows, bad_used, gaps;
};

static void
case_print(const char *file, const struct wd_case *c)
{
	size_t	 i;

	if (c->line == 0)
		printf("\ngenerated: %.300s%s\n", c->text,
		    strlen(c->text) > 300 ? "..." : "");
	else
		printf("\n%s:%d: %s\n", file, c->line, c->text);
	for (i = 0; i < c->nparams; i++)
		printf("  $%zu = '%s'\n", i + 1, c->params[i]);
}

/* Prints the current clause's header once, before its first failure. */
static void
head(struct wd *d)
{
	if (d->cur_shown)
		return;
	d->cur_shown = 1;
	case_print("clauses.txt", d->cur);
	if (d->cur_sql != NULL)
		printf("  sql: %s\n", d->cur_sql);
}

static const char *
pg_name(enum wd_pg p)
{
	return p == WD_PG_TRUE ? "true" : p == WD_PG_ERROR ? "error" :
	    "false/null";
}

/* The values of the columns the WHERE uses, for a mismatch report. */
static void
row_print(const struct wd *d, const struct where *w, size_t i)
{
	const uint8_t		*used = where_cols_used(w);
	const struct change_val	*v;
	size_t			 j;

	for (j = 0; j < d->t.ncols; j++) {
		if (used == NULL || !used[j])
			continue;
		v = &d->t.vals[i * d->t.ncols + j];
		if (v->kind == CHANGE_NULL)
			printf("    %s = NULL\n", d->t.cols[j].name);
		else
			printf("    %s = '%.*s'\n", d->t.cols[j].name,
			    (int)v->len, v->s);
	}
}

static void
compare_rows(struct wd *d, const struct where *w)
{
	size_t	 i, shown = 0, nbad = 0;

	for (i = 0; i < d->t.nrows; i++) {
		if ((d->pg[i] == WD_PG_TRUE) == (d->ours[i] == 1))
			continue;
		nbad++;
		head(d);
		if (shown++ < MAX_ROWS_SHOWN) {
			printf("  row id %s: ours %s, Postgres %s\n",
			    d->t.ids[i], d->ours[i] ? "true" : "false/null",
			    pg_name(d->pg[i]));
			row_print(d, w, i);
		}
	}
	if (nbad > shown)
		printf("  ... %zu rows in all\n", nbad);
	d->bad_rows += nbad;
	d->bad_clauses += nbad > 0;
}

static void
check_roundtrip(struct wd *d, const char *sql)
{
	struct where		*w2;
	struct where_err	 e;

	if (where_compile(sql, strlen(sql), d->t.cols, d->t.ncols, NULL, 0,
	    &w2, &e) == -1) {
		head(d);
		printf("  round trip: where_sql does not compile: %s: %s\n",
		    e.field, e.msg);
		d->bad_roundtrip++;
		return;
	}
	if (strcmp(sql, where_sql(w2)) != 0) {
		head(d);
		printf("  round trip: where_sql(where_compile(sql)) differs:"
		    "\n    %s\n", where_sql(w2));
		d->bad_roundtrip++;
	}
	where_free(w2);
}

/* Postgres on the user's own text must agree with where_sql. */
static void
check_meaning(struct wd *d, const struct wd_case *c)
{
	char	*err;
	size_t	 i, nbad = 0;
	int	 rc;

	rc = wd_pg_eval(d->conn, &d->t, c->text, c->params, c->nparams,
	    d->raw, &err);
	if (rc == -1) {
		/* Not a mismatch: e.g. ilike() exists in §10.2 only. */
		if (d->verbose)
			printf("  note: Postgres rejects the user's text "
			    "itself: %s", err);
		d->raw_rejected++;
	} else {
		for (i = 0; i < d->t.nrows; i++) {
			if ((d->raw[i] == WD_PG_TRUE) ==
			    (d->pg[i] == WD_PG_TRUE))
				continue;
			if (c->deviation && !d->verbose) {
				nbad++;
				continue;
			}
			head(d);
			if (nbad++ < MAX_ROWS_SHOWN)
				printf("  meaning: row id %s: user's text %s, "
				    "where_sql %s\n", d->t.ids[i],
				    pg_name(d->raw[i]), pg_name(d->pg[i]));
		}
		if (c->deviation)
			d->known_deviations += nbad > 0;
		else
			d->bad_meaning += nbad > 0;
	}
	free(err);
}

struct has_ctx {
	const struct where_col	*col;
	const char		*want;
	struct sbuf		 key;
	int			 found;
};

static int
has_elem(const char *s, size_t len, void *arg)
{
	struct has_ctx	*h = arg;

	if (where_index_key(h->col, s, len, &h->key) == 0 &&
	    strcmp(h->key.p, h->want) == 0)
		h->found = 1;
	return h->found;
}

/* Does the row's value pass the index pre-filter term? */
static int
term_passes(const struct wd *d, const struct where_term *term, size_t i)
{
	const struct change_val	*v = &d->t.vals[i * d->t.ncols + term->col];
	struct has_ctx		 h = { &d->t.cols[term->col], NULL,
				       { NULL, 0, 0 }, 0 };
	size_t			 k;

	if (v->kind != CHANGE_TEXT)
		return 0;
	sbuf_init(&h.key);
	if (term->kind == WHERE_TERM_HAS) {
		h.want = term->nvals > 0 ? term->vals[0] : "";
		(void)where_array_each(v->s, v->len, has_elem, &h);
	} else if (where_index_key(h.col, v->s, v->len, &h.key) == 0) {
		for (k = 0; k < term->nvals && !h.found; k++)
			h.found = strcmp(h.key.p, term->vals[k]) == 0;
	}
	sbuf_free(&h.key);
	return h.found;
}

static void
check_index(struct wd *d, const struct where *w)
{
	const struct where_term	*term = where_index_term(w);
	size_t			 i, nbad = 0;

	if (term == NULL)
		return;
	d->with_index++;
	for (i = 0; i < d->t.nrows; i++) {
		if (d->ours[i] != 1 && d->pg[i] != WD_PG_TRUE)
			continue;
		if (term_passes(d, term, i))
			continue;
		head(d);
		if (nbad++ < MAX_ROWS_SHOWN)
			printf("  index term (%s on column %s) drops accepted "
			    "row id %s\n", term->kind == WHERE_TERM_EQ ? "EQ" :
			    "HAS", d->t.cols[term->col].name, d->t.ids[i]);
	}
	d->bad_index += nbad > 0;
}

/* where_cols_used must name every column the WHERE reads: with every
 * other column garbage (a value no type accepts) or NULL, where_eval must
 * give the same answer on every row. */
static void
check_used(struct wd *d, const struct where *w)
{
	const uint8_t		*used = where_cols_used(w);
	struct change_val	*row;
	size_t			 i, j, nbad = 0;

	if (used == NULL)
		return;
	row = xcalloc(d->t.ncols, sizeof(*row));
	for (i = 0; i < d->t.nrows; i++) {
		for (j = 0; j < d->t.ncols; j++) {
			row[j] = d->t.vals[i * d->t.ncols + j];
			if (used[j])
				continue;
			row[j].kind = (i + j) % 2 ? CHANGE_NULL : CHANGE_TEXT;
			row[j].s = "{\"garbage\x01";
			row[j].len = (uint32_t)strlen(row[j].s);
		}
		if (where_eval(w, row) == d->ours[i])
			continue;
		head(d);
		if (nbad++ < MAX_ROWS_SHOWN)
			printf("  where_cols_used misses a column: row id %s "
			    "changes when unused columns change\n",
			    d->t.ids[i]);
	}
	d->bad_used += nbad > 0;
	free(row);
}

/* Compiles c; prints and counts a failure. */
static struct where *
compile_case(struct wd *d, const struct wd_case *c)
{
	struct where		*w;
	struct where_err	 e;

	if (where_compile(c->text, strlen(c->text), d->t.cols, d->t.ncols,
	    c->params, c->nparams, &w, &e) == 0)
		return w;
	head(d);
	printf("  where_compile fails: %s: %s\n", e.field, e.msg);
	d->bad_compile++;
	return NULL;
}

static void
run_clause(struct wd *d, const struct wd_case *c)
{
	struct where	*w;
	size_t		 i;
	char		*err;
	int		 nerr;

	d->cur = c;
	d->cur_sql = NULL;
	d->cur_shown = 0;
	if (d->verbose)
		head(d);
	if ((w = compile_case(d, c)) == NULL)
		return;
	d->cur_sql = where_sql(w);
	if (d->verbose)
		printf("  sql: %s\n", d->cur_sql);
	check_roundtrip(d, where_sql(w));
	nerr = wd_pg_eval(d->conn, &d->t, where_sql(w), NULL, 0, d->pg, &err);
	if (nerr == -1) {
		head(d);
		printf("  Postgres rejects where_sql: %s", err);
		d->bad_clauses++;
	} else {
		for (i = 0; i < d->t.nrows; i++)
			d->ours[i] = where_eval(w, &d->t.vals[i * d->t.ncols]);
		compare_rows(d, w);
		check_used(d, w);
		check_index(d, w);
		check_meaning(d, c);
		d->pg_error_rows += (size_t)nerr;
		d->pg_error_clauses += nerr > 0;
		if (nerr > 0 && d->verbose)
			printf("  (%d rows raise an error in Postgres)\n",
			    nerr);
	}
	free(err);
	where_free(w);
	fflush(stdout);
}

static void
run_reject(struct wd *d, const struct wd_case *c)
{
	struct where		*w;
	struct where_err	 e;

	if (where_compile(c->text, strlen(c->text), d->t.cols, d->t.ncols,
	    c->params, c->nparams, &w, &e) == 0) {
		case_print("rejects.txt", c);
		printf("  accepted (want %s: %s); sql: %s\n", c->want_field,
		    c->want_msg, where_sql(w));
		where_free(w);
		d->bad_rejects++;
	} else if (strcmp(e.field, c->want_field) != 0 ||
	    strcmp(e.msg, c->want_msg) != 0) {
		case_print("rejects.txt", c);
		printf("  got  %s: %s\n  want %s: %s\n", e.field, e.msg,
		    c->want_field, c->want_msg);
		d->bad_rejects++;
	} else if (d->verbose)
		printf("rejects.txt:%d: ok\n", c->line);
}

static size_t
mismatches(const struct wd *d)
{
	return d->bad_compile + d->bad_clauses + d->bad_roundtrip +
	    d->bad_meaning + d->bad_index + d->bad_rejects + d->bad_exprs +
	    d->bad_used;
}

/* Does Postgres accept expr over wt (parse and plan only)? */
static int
pg_accepts(PGconn *c, const char *expr)
{
	PGresult	*r;
	char		*q;
	int		 ok;

	q = xasprintf("SELECT (%s)::text FROM wt LIMIT 0", expr);
	r = PQexec(c, q);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	free(q);
	return ok;
}

/* One expression of the value check.  optional: a column or generated
 * expression that ours may reject; if Postgres accepts it, it is noted
 * (a gap, not a failure). */
static void
run_expr(struct wd *d, const char *label, const char *expr, int optional)
{
	int	 n;

	n = wd_expr_check(d->conn, &d->t, label, expr, optional);
	if (n == -1 && optional) {
		if (pg_accepts(d->conn, expr)) {
			d->gaps++;
			if (d->verbose)
				printf("\n%s: %s\n  note: Postgres accepts it, "
				    "ours does not\n", label, expr);
		}
		return;
	}
	d->nexprs++;
	if (n != 0) {
		d->bad_exprs++;
		d->bad_expr_rows += n > 0 ? (size_t)n : 0;
	}
}

static void
run_exprs(struct wd *d, const struct wd_cases *ex)
{
	char	*label, *expr;
	size_t	 i;

	for (i = 0; i < d->t.ncols && d->only_line == 0; i++) {
		label = xasprintf("column %s", d->t.cols[i].name);
		expr = xasprintf("\"%s\"", d->t.cols[i].name);
		run_expr(d, label, expr, 1);
		free(label);
		free(expr);
	}
	for (i = 0; i < ex->n; i++) {
		if (d->only_line != 0 && ex->v[i].line != d->only_line)
			continue;
		label = ex->v[i].line == 0 ? xstrdup("generated") :
		    xasprintf("exprs.txt:%d", ex->v[i].line);
		run_expr(d, label, ex->v[i].text, ex->v[i].optional);
		free(label);
	}
}

static void
run_all(struct wd *d, const struct wd_cases *cl, const struct wd_cases *rj,
    const struct wd_cases *ex)
{
	size_t	 i;

	d->pg = xcalloc(d->t.nrows, sizeof(*d->pg));
	d->raw = xcalloc(d->t.nrows, sizeof(*d->raw));
	d->ours = xcalloc(d->t.nrows, sizeof(*d->ours));
	for (i = 0; i < cl->n; i++) {
		if (d->only_line != 0 && cl->v[i].line != d->only_line)
			continue;
		run_clause(d, &cl->v[i]);
		d->nclauses++;
	}
	for (i = 0; i < rj->n; i++) {
		if (d->only_line != 0 && rj->v[i].line != d->only_line)
			continue;
		run_reject(d, &rj->v[i]);
		d->nrejects++;
	}
	run_exprs(d, ex);
	free(d->pg);
	free(d->raw);
	free(d->ours);
}

static void
summary(const struct wd *d, double secs)
{
	printf("\nwhere-diff: %zu clauses (%zu with an index term), %zu "
	    "rejects, %zu columns, %.1f s\n", d->nclauses, d->with_index,
	    d->nrejects, d->t.ncols, secs);
	printf("where-diff: clauses failing: %zu do not compile, %zu differ "
	    "from Postgres (%zu rows), %zu round trips, %zu change meaning, "
	    "%zu index terms, %zu used columns; %zu rejects wrong\n",
	    d->bad_compile, d->bad_clauses, d->bad_rows, d->bad_roundtrip,
	    d->bad_meaning, d->bad_index, d->bad_used, d->bad_rejects);
	printf("where-diff: values: %zu columns and expressions, %zu differ "
	    "from Postgres (%zu rows); %zu generated ones Postgres accepts "
	    "and ours rejects (-v lists them)\n", d->nexprs, d->bad_exprs,
	    d->bad_expr_rows, d->gaps);
	printf("where-diff: %zu rows raise an error in Postgres (in %zu "
	    "clauses); %zu user texts are not valid Postgres as such; %zu "
	    "documented deviations from the user's text\n", d->pg_error_rows,
	    d->pg_error_clauses, d->raw_rejected, d->known_deviations);
	printf("%zu clauses, %zu rows, %zu mismatches\n", d->nclauses,
	    d->t.nrows, mismatches(d));
}

static void
usage(void)
{
	fprintf(stderr, "usage: where-diff [-kv] [-d dir] [-l line] "
	    "[conninfo]\n");
	exit(2);
}

struct opts {
	const char	*dir, *conninfo;
	int		 keep, verbose, line;
};

static void
opts_parse(int argc, char **argv, struct opts *o)
{
	int	 ch;

	o->dir = "tests/where";
	o->conninfo = getenv("TEST_DATABASE_URL");
	while ((ch = getopt(argc, argv, "d:kl:v")) != -1) {
		switch (ch) {
		case 'd': o->dir = optarg; break;
		case 'k': o->keep = 1; break;
		case 'l': o->line = atoi(optarg); break;
		case 'v': o->verbose = 1; break;
		default: usage();
		}
	}
	if (optind < argc)
		o->conninfo = argv[optind++];
	if (optind != argc || o->conninfo == NULL)
		usage();
}

static int
load_files(const struct opts *o, char **schema_sql, struct wd_cases *cl,
    struct wd_cases *rj, struct wd_cases *ex)
{
	char	*p;
	int	 rc;

	p = xasprintf("%s/schema.sql", o->dir);
	*schema_sql = wd_slurp(p);
	free(p);
	p = xasprintf("%s/clauses.txt", o->dir);
	rc = wd_cases_load(p, 0, cl);
	free(p);
	p = xasprintf("%s/rejects.txt", o->dir);
	rc |= wd_cases_load(p, 1, rj);
	free(p);
	p = xasprintf("%s/exprs.txt", o->dir);
	rc |= wd_cases_load(p, 0, ex);
	free(p);
	return *schema_sql == NULL || rc != 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct opts	 o = { 0 };
	struct wd	 d = { 0 };
	struct wd_cases	 cl, rj, ex;
	struct timespec	 t0, t1;
	char		*schema_sql = NULL, *schema;
	int		 rc, loaded;

	opts_parse(argc, argv, &o);
	d.verbose = o.verbose;
	d.only_line = o.line;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	schema = xasprintf("where_diff_%ld", (long)getpid());
	rc = 2;		/* set-up error, unless the run happens */
	loaded = load_files(&o, &schema_sql, &cl, &rj, &ex) == 0;
	wd_gen_cases(&cl, &rj, &ex);
	if (loaded &&
	    (d.conn = wd_connect(o.conninfo)) != NULL &&
	    wd_setup(d.conn, schema, schema_sql) == 0 &&
	    wd_table_load(d.conn, &d.t) == 0) {
		run_all(&d, &cl, &rj, &ex);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		summary(&d, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		rc = mismatches(&d) > 0;
	}
	if (d.conn != NULL && !o.keep)
		wd_teardown(d.conn, schema);
	wd_table_free(&d.t);
	PQfinish(d.conn);
	wd_cases_free(&cl);
	wd_cases_free(&rj);
	wd_cases_free(&ex);
	free(schema_sql);
	free(schema);
	return rc;
}
