/*
 * pgtree: small readers of libpg_query's JSON parse tree (see pgtree.h).
 */
#include <string.h>

#include "pgtree.h"

const char *
pgtree_kind(json_t *n, json_t **body)
{
	const char *k;
	json_t *v;

	*body = NULL;
	if (!json_is_object(n) || json_object_size(n) != 1)
		return NULL;
	json_object_foreach(n, k, v) {
		*body = v;
		return k;
	}
	return NULL;
}

int
pgtree_loc(json_t *body, int parent)
{
	json_t *l = json_object_get(body, "location");

	if (json_is_integer(l) && json_integer_value(l) >= 0)
		return (int)json_integer_value(l);
	return parent;
}

const char *
pgtree_string(json_t *n)
{
	json_t *b;
	const char *k = pgtree_kind(n, &b);

	if (k == NULL || strcmp(k, "String") != 0)
		return NULL;
	return json_string_value(json_object_get(b, "sval"));
}

int
pgtree_type_name(json_t *tn, const char **name)
{
	json_t *names = json_object_get(tn, "names");
	size_t n = json_array_size(names);
	const char *schema = n == 2 ? pgtree_string(json_array_get(names, 0)) :
	    NULL;

	*name = n > 0 ? pgtree_string(json_array_get(names, n - 1)) : NULL;
	if (*name == NULL || n > 2 || (n == 2 && (schema == NULL ||
	    strcmp(schema, "pg_catalog") != 0)) ||
	    json_is_true(json_object_get(tn, "setof")) ||
	    json_is_true(json_object_get(tn, "pct_type")))
		return -1;
	return 0;
}
