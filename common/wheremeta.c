/*
 * wheremeta: compile a stored shape WHERE (see wheremeta.h).  The
 * stored text was validated when the shape was created; compiling it
 * again gives the same AST because the catalog it was checked against is
 * stored with it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wheremeta.h"

static char *
keep(struct wheremeta_cols *c, size_t *n, const char *s)
{
	c->strs[(*n)++] = xstrdup(s != NULL ? s : "");
	return c->strs[*n - 1];
}

static int
wheremeta_cols_parse(const char *columns_json, struct wheremeta_cols *c)
{
	json_t *root = json_loads(columns_json, 0, NULL), *o, *base;
	size_t i, ns = 0;

	memset(c, 0, sizeof(*c));
	if (!json_is_array(root)) {
		json_decref(root);
		return -1;
	}
	c->ncols = json_array_size(root);
	c->cols = xcalloc(c->ncols ? c->ncols : 1, sizeof(*c->cols));
	c->strs = xcalloc(2 * c->ncols + 1, sizeof(char *));
	json_array_foreach(root, i, o) {
		base = json_object_get(o, "base");
		c->cols[i].name = keep(c, &ns,
		    json_string_value(json_object_get(o, "name")));
		c->cols[i].type = keep(c, &ns, json_is_string(base) ?
		    json_string_value(base) :
		    json_string_value(json_object_get(o, "type")));
		c->cols[i].dims = (int)json_integer_value(json_object_get(o,
		    "dims"));
		c->cols[i].is_enum = json_is_true(json_object_get(o, "enum"));
	}
	json_decref(root);
	return 0;
}

static void
wheremeta_cols_copy(const struct wheremeta_cols *from, struct wheremeta_cols *c)
{
	size_t i, ns = 0;

	c->ncols = from->ncols;
	c->cols = xcalloc(c->ncols ? c->ncols : 1, sizeof(*c->cols));
	c->strs = xcalloc(2 * c->ncols + 1, sizeof(char *));
	for (i = 0; i < c->ncols; i++) {
		c->cols[i] = from->cols[i];
		c->cols[i].name = keep(c, &ns, from->cols[i].name);
		c->cols[i].type = keep(c, &ns, from->cols[i].type);
	}
}

/* The last list parsed is kept: a process compiling the stored WHEREs of
 * many shapes (the collector at start: 10,000 of one table) meets the
 * same columns JSON again and again, and parsing it was a third of that
 * work. */
int
wheremeta_cols(const char *columns_json, struct wheremeta_cols *c)
{
	static char *last_json;
	static struct wheremeta_cols last;

	if (last_json != NULL && columns_json != NULL &&
	    strcmp(last_json, columns_json) == 0) {
		wheremeta_cols_copy(&last, c);
		return 0;
	}
	if (wheremeta_cols_parse(columns_json, c) == -1)
		return -1;
	free(last_json);
	wheremeta_cols_free(&last);
	last_json = xstrdup(columns_json);
	wheremeta_cols_copy(c, &last);
	return 0;
}

void
wheremeta_cols_free(struct wheremeta_cols *c)
{
	size_t i;

	for (i = 0; c->strs != NULL && i < 2 * c->ncols; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->cols);
	memset(c, 0, sizeof(*c));
}

int
wheremeta_params(const char *params_json, char ***params, size_t *n)
{
	json_t *root, *v;
	size_t i;

	*params = NULL;
	*n = 0;
	if (params_json == NULL || *params_json == '\0')
		return 0;
	root = json_loads(params_json, 0, NULL);
	if (!json_is_array(root)) {
		json_decref(root);
		return -1;
	}
	*params = xcalloc(json_array_size(root) + 1, sizeof(char *));
	json_array_foreach(root, i, v)
		(*params)[(*n)++] = xstrdup(json_is_string(v) ?
		    json_string_value(v) : "");
	json_decref(root);
	return 0;
}

void
wheremeta_params_free(char **params, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(params[i]);
	free(params);
}

int
wheremeta_compile(const char *columns_json, const char *where_text,
    const char *params_json, struct where **w, char **err)
{
	struct wheremeta_cols c;
	struct where_err we;
	char **params;
	size_t np;
	int rc;

	*w = NULL;
	*err = NULL;
	if (where_text == NULL || *where_text == '\0')
		return 0;
	if (wheremeta_cols(columns_json, &c) == -1) {
		*err = xstrdup("malformed columns");
		return -1;
	}
	if (wheremeta_params(params_json, &params, &np) == -1) {
		wheremeta_cols_free(&c);
		*err = xstrdup("malformed params");
		return -1;
	}
	rc = where_compile(where_text, strlen(where_text), c.cols, c.ncols,
	    params, np, w, &we);
	if (rc == -1)
		*err = xasprintf("%s: %s", we.field, we.msg);
	wheremeta_params_free(params, np);
	wheremeta_cols_free(&c);
	return rc;
}
