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
	c->strs[(*n)++] = xstrdup(s);
	return c->strs[*n - 1];
}

/* The last columns JSON parsed, kept: a process compiling the stored
 * WHEREs of many shapes (the collector at start: 10,000 of one table)
 * meets the same list again and again, and parsing it was a third of
 * that work. */
static struct {
	char			*json;
	struct wheremeta_col	*v;
	size_t			 n;
	int			 ok;
} wm_last;

static void
wm_last_clear(void)
{
	size_t i;

	for (i = 0; i < wm_last.n; i++) {
		free((char *)wm_last.v[i].name);
		free((char *)wm_last.v[i].type);
	}
	free(wm_last.v);
	free(wm_last.json);
	memset(&wm_last, 0, sizeof(wm_last));
}

static void
wm_last_parse(const char *columns_json)
{
	json_t *root = json_loads(columns_json, 0, NULL), *o, *base;
	struct wheremeta_col *c;
	size_t i;

	wm_last_clear();
	wm_last.json = xstrdup(columns_json);
	wm_last.ok = json_is_array(root);
	wm_last.v = xcalloc(json_array_size(root) + 1, sizeof(*wm_last.v));
	json_array_foreach(root, i, o) {
		c = &wm_last.v[wm_last.n++];
		base = json_object_get(o, "base");
		c->name = xstrdup(json_string_value(json_object_get(o,
		    "name")) ?: "");
		c->type = xstrdup((json_is_string(base) ?
		    json_string_value(base) :
		    json_string_value(json_object_get(o, "type"))) ?: "");
		c->dims = (int)json_integer_value(json_object_get(o, "dims"));
		c->is_enum = json_is_true(json_object_get(o, "enum"));
		c->typoid = json_integer_value(json_object_get(o, "typoid"));
		c->generated = json_is_true(json_object_get(o, "generated"));
		c->sel = !json_is_false(json_object_get(o, "sel"));
	}
	json_decref(root);
}

const struct wheremeta_col *
wheremeta_columns(const char *columns_json, size_t *n)
{
	if (columns_json == NULL) {
		*n = 0;
		return NULL;
	}
	if (wm_last.json == NULL || strcmp(wm_last.json, columns_json) != 0)
		wm_last_parse(columns_json);
	*n = wm_last.n;
	return wm_last.ok ? wm_last.v : NULL;
}

int
wheremeta_cols(const char *columns_json, struct wheremeta_cols *c)
{
	const struct wheremeta_col *v;
	size_t i, n, ns = 0;

	memset(c, 0, sizeof(*c));
	if ((v = wheremeta_columns(columns_json, &n)) == NULL)
		return -1;
	c->ncols = n;
	c->cols = xcalloc(n ? n : 1, sizeof(*c->cols));
	c->strs = xcalloc(2 * n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		c->cols[i].name = keep(c, &ns, v[i].name);
		c->cols[i].type = keep(c, &ns, v[i].type);
		c->cols[i].dims = v[i].dims;
		c->cols[i].is_enum = v[i].is_enum;
	}
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
