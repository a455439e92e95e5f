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
