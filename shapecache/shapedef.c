/*
 * shapedef: from a request and a catalog entry to a shape definition (see
 * shapedef.h).  Column rules (§2.4): requested names must exist, must not
 * be generated (Postgres 15 does not publish them), and must include every
 * primary-key column (all columns on a PK-less table); without `columns`
 * a table with generated columns is rejected.  The identity names the
 * sorted set of selected columns, the canonical WHERE with its params
 * inlined, replica and log mode, so equal definitions share a shape and
 * different param values do not.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "shapedef.h"
#include "shapereq.h"
#include "wheremeta.h"

static int
sd_fail(char **field, char **msg, const char *f, char *m)
{
	*field = xstrdup(f);
	*msg = m;
	return -1;
}

static int
sd_requested(const struct shape_req *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->ncolumns; i++)
		if (strcmp(q->columns[i], name) == 0)
			return 1;
	return 0;
}

static void
sd_list_add(struct sbuf *b, const char *name)
{
	if (b->len > 0)
		sbuf_adds(b, ", ");
	sbuf_adds(b, name);
}

/* Requested names that are not columns of the table. */
static int
sd_unknown(json_t *cols, const struct shape_req *q, char **field, char **msg)
{
	struct sbuf b;
	json_t *c;
	size_t i, j;
	int found;

	sbuf_init(&b);
	for (i = 0; i < q->ncolumns; i++) {
		found = 0;
		json_array_foreach(cols, j, c)
			found |= strcmp(json_string_value(json_object_get(c,
			    "name")), q->columns[i]) == 0;
		if (!found)
			sd_list_add(&b, q->columns[i]);
	}
	if (b.len == 0) {
		sbuf_free(&b);
		return 0;
	}
	sd_fail(field, msg, "columns", xasprintf("The following columns are "
	    "not found on the table: %s", b.p));
	sbuf_free(&b);
	return -1;
}

/* Marks "sel" and checks generated / primary-key rules. */
static int
sd_select(json_t *cols, const struct shape_req *q, int has_pk, char **field,
    char **msg)
{
	struct sbuf gen, missing;
	json_t *c;
	size_t i;
	int sel, pk, rc = 0;

	sbuf_init(&gen);
	sbuf_init(&missing);
	json_array_foreach(cols, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		sel = q->columns == NULL || sd_requested(q, name);
		pk = json_integer_value(json_object_get(c, "pk")) >= 0;
		if (sel && json_is_true(json_object_get(c, "generated")))
			sd_list_add(&gen, name);
		if (!sel && (pk || !has_pk))
			sd_list_add(&missing, name);
		if (!sel)
			json_object_set_new(c, "sel", json_false());
	}
	if (gen.len > 0)
		rc = sd_fail(field, msg, "columns", xasprintf("The following "
		    "columns are generated and cannot be included in the shape: "
		    "%s.%s", gen.p, q->columns == NULL ? " You can exclude them "
		    "from the shape by explicitly listing which columns to fetch "
		    "in the 'columns' query param" : ""));
	else if (missing.len > 0)
		rc = sd_fail(field, msg, "columns", xasprintf("The list of columns "
		    "must include all primary key columns, missing: %s",
		    missing.p));
	sbuf_free(&gen);
	sbuf_free(&missing);
	return rc;
}

/* electric-schema restricted to the selected columns. */
static char *
sd_schema(const char *eschema, json_t *cols)
{
	json_t *es = json_loads(eschema, 0, NULL), *c;
	char *out;
	size_t i;

	json_array_foreach(cols, i, c)
		if (json_is_false(json_object_get(c, "sel")))
			json_object_del(es, json_string_value(json_object_get(c,
			    "name")));
	out = json_dumps(es, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(es);
	return out;
}

/* "*" or the sorted, quoted selected names. */
static char *
sd_cols_ident(json_t *cols, const struct shape_req *q)
{
	json_t *names = json_array(), *c;
	struct sbuf b;
	size_t i;

	if (q->columns == NULL)
		return xstrdup("*");
	json_array_foreach(cols, i, c)
		if (!json_is_false(json_object_get(c, "sel")))
			json_array_append(names, json_object_get(c, "name"));
	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	/* attnum order is a stable, total order of the names */
	json_array_foreach(names, i, c) {
		sbuf_addc(&b, i ? ',' : '[');
		sbuf_add_json_str(&b, json_string_value(c),
		    strlen(json_string_value(c)));
	}
	sbuf_addc(&b, ']');
	json_decref(names);
	return b.p;
}

static char *
sd_params_json(const struct shape_req *q)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < q->nparams; i++)
		json_array_append_new(a, json_string(q->params[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int
sd_where(struct shapedef *d, const struct shape_req *q, char **field,
    char **msg)
{
	struct where *w;
	char *err, *colon;

	d->where_text = xstrdup(q->where != NULL ? q->where : "");
	d->params = sd_params_json(q);
	if (wheremeta_compile(d->columns, d->where_text, d->params, &w,
	    &err) == -1) {
		colon = strstr(err, ": ");
		*msg = xstrdup(colon ? colon + 2 : err);
		if (colon != NULL)
			*colon = '\0';
		*field = xstrdup(colon ? err : "where");
		free(err);
		return -1;
	}
	d->where_sql = xstrdup(w != NULL ? where_sql(w) : "");
	where_free(w);
	return 0;
}

int
shapedef_build(const struct catalog_table *t, const struct shape_req *q,
    struct shapedef *d, char **field, char **msg)
{
	json_t *cols = json_loads(t->columns, 0, NULL);
	char *ident;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	*field = *msg = NULL;
	if (!json_is_array(cols)) {
		json_decref(cols);
		return sd_fail(field, msg, "table", xstrdup("cannot read the "
		    "table's columns"));
	}
	if (sd_unknown(cols, q, field, msg) == -1 ||
	    sd_select(cols, q, *t->pk != '\0', field, msg) == -1)
		goto out;
	d->columns = json_dumps(cols, JSON_COMPACT);
	d->electric_schema = sd_schema(t->electric_schema, cols);
	d->replica_full = q->replica_full;
	d->log_mode = q->log_mode;
	if (sd_where(d, q, field, msg) == -1)
		goto out;
	ident = sd_cols_ident(cols, q);
	d->definition = xasprintf("v1|%u|\"%s\".\"%s\"|pk=%s|cols=%s|"
	    "replica=%s|log=%s%s%s", t->relid, t->schema, t->table, t->pk,
	    ident, q->replica_full ? "full" : "default",
	    q->log_mode ? "changes_only" : "full", *d->where_sql ? "|where=" : "",
	    d->where_sql);
	free(ident);
	rc = 0;
out:
	json_decref(cols);
	if (rc == -1)
		shapedef_free(d);
	return rc;
}

void
shapedef_free(struct shapedef *d)
{
	free(d->definition);
	free(d->columns);
	free(d->electric_schema);
	free(d->where_text);
	free(d->where_sql);
	free(d->params);
	memset(d, 0, sizeof(*d));
}
