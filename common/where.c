/*
 * where: the public API of the WHERE compiler (where.h).  where_compile
 * runs the parser (where_parse.c), renders the canonical SQL
 * (where_sql.c) and finds the index term (where_index.c) once; the result
 * is immutable except for the evaluator's scratch state (one where_eval
 * at a time per where).  Users: shapecache, consumer, collector,
 * tests/where.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "where_int.h"

int
where_compile(const char *text, size_t len, const struct where_col *cols,
    size_t ncols, char *const *params, size_t nparams, struct where **out,
    struct where_err *err)
{
	struct where *w = xcalloc(1, sizeof(*w));

	memset(err, 0, sizeof(*err));
	*out = NULL;
	w->cols = cols;
	w->ncols = ncols;
	w->used = xcalloc(ncols + 1, 1);
	w->cache = xcalloc(ncols + 1, sizeof(*w->cache));
	wv_arena_init(&w->arena);
	wv_arena_init(&w->scratch);
	if (nparams > WHERE_MAX_PARAMS) {
		snprintf(err->field, sizeof(err->field), "params");
		snprintf(err->msg, sizeof(err->msg), "too many parameters");
		where_free(w);
		return -1;
	}
	if (where_parse(w, text, len, params, nparams, err) == -1) {
		where_free(w);
		return -1;
	}
	w->sql = where_render(w);
	w->usedcols = xcalloc(ncols + 1, sizeof(*w->usedcols));
	for (size_t i = 0; i < ncols; i++)
		if (w->used[i])
			w->usedcols[w->nused++] = (int)i;
	where_find_term(w);
	w->cols = NULL;		/* borrowed for the compilation only */
	*out = w;
	return 0;
}

void
where_free(struct where *w)
{
	struct wnode *n, *next;
	size_t i;

	if (w == NULL)
		return;
	for (n = w->nodes; n != NULL; n = next) {
		next = n->next;
		free(n->args);
		free(n->ops);
		free(n->ltypes);
		free(n->text);
		free(n);
	}
	if (w->term != NULL) {
		for (i = 0; i < w->term->nvals; i++)
			free(w->term->vals[i]);
		free(w->term->vals);
		free(w->term);
	}
	wv_arena_free(&w->arena);
	wv_arena_free(&w->scratch);
	free(w->cache);
	free(w->usedcols);
	free(w->used);
	free(w->sql);
	free(w);
}

const char *
where_sql(const struct where *w)
{
	return w->sql;
}

const uint8_t *
where_cols_used(const struct where *w)
{
	return w->used;
}

const struct where_term *
where_index_term(const struct where *w)
{
	return w->term;
}
