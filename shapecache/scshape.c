/*
 * scshape: the shapes shapecache knows (see scshape.h).  Three indexes
 * over the same structs: handle -> shape, definition -> shape (the
 * newest incarnation: a definition is added again only after the old
 * shape was removed, or when meta.db holds two rows, loaded oldest
 * first), and "schema\0table" -> a doubly linked list of its shapes (for
 * the table-recreated check on a catalog lookup).  Invariant: a shape is
 * in all three or in none.
 */
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "scshape.h"
#include "util.h"

struct sc_tbl {
	char		*key;		/* schema \0 table */
	size_t		 klen;
	struct sc_shape	*head;
	struct sc_rel {			/* how many shapes per table oid */
		uint32_t relid;
		size_t	 n;
	}		*rels;
	size_t		 nrels;
};

static struct htab scs_handles, scs_defs, scs_tables;

struct sc_shape *
scshape_by_handle(const char *handle)
{
	return htab_gets(&scs_handles, handle);
}

struct sc_shape *
scshape_by_def(const char *def)
{
	return htab_gets(&scs_defs, def);
}

static char *
scs_tkey(const char *schema, const char *table, size_t *klen)
{
	size_t sl = strlen(schema), tl = strlen(table);
	char *k = xmalloc(sl + tl + 2);

	memcpy(k, schema, sl + 1);
	memcpy(k + sl + 1, table, tl + 1);
	*klen = sl + tl + 1;
	return k;
}

static struct sc_tbl *
scs_tbl_get(const char *schema, const char *table, int create)
{
	struct sc_tbl *t;
	size_t klen;
	char *k = scs_tkey(schema, table, &klen);

	if ((t = htab_get(&scs_tables, k, klen)) != NULL || !create) {
		free(k);
		return t;
	}
	t = xcalloc(1, sizeof(*t));
	t->key = k;
	t->klen = klen;
	htab_put(&scs_tables, t->key, t->klen, t);
	return t;
}

/* Counts s under its relid in its table (delta +1 or -1). */
static void
scs_rel_count(struct sc_tbl *t, uint32_t relid, int delta)
{
	size_t i;

	for (i = 0; i < t->nrels && t->rels[i].relid != relid; i++)
		;
	if (i == t->nrels) {
		t->rels = xrealloc(t->rels, (t->nrels + 1) * sizeof(*t->rels));
		t->rels[t->nrels].relid = relid;
		t->rels[t->nrels++].n = 0;
	}
	t->rels[i].n += (size_t)delta;
	if (t->rels[i].n == 0)
		t->rels[i] = t->rels[--t->nrels];
}

int
scshape_other_relid(const char *schema, const char *table, uint32_t relid)
{
	struct sc_tbl *t = scs_tbl_get(schema, table, 0);
	size_t i;

	for (i = 0; t != NULL && i < t->nrels; i++)
		if (t->rels[i].relid != 0 && t->rels[i].relid != relid)
			return 1;
	return 0;
}

struct sc_shape *
scshape_add(const char *handle, const char *def, const char *schema,
    const char *table, const char *es, uint32_t relid)
{
	struct sc_shape *s = xcalloc(1, sizeof(*s));

	s->relid = relid;
	s->handle = xstrdup(handle);
	s->definition = xstrdup(def);
	s->schema = xstrdup(schema);
	s->table = xstrdup(table);
	s->electric_schema = xstrdup(es);
	s->tbl = scs_tbl_get(schema, table, 1);
	s->tnext = s->tbl->head;
	if (s->tnext != NULL)
		s->tnext->tprev = s;
	s->tbl->head = s;
	scs_rel_count(s->tbl, relid, 1);
	htab_puts(&scs_handles, s->handle, s);
	htab_puts(&scs_defs, s->definition, s);
	return s;
}

void
scshape_free(struct sc_shape *s)
{
	struct sc_tbl *t = s->tbl;

	htab_dels(&scs_handles, s->handle);
	if (htab_gets(&scs_defs, s->definition) == s)
		htab_dels(&scs_defs, s->definition);
	if (s->tprev != NULL)
		s->tprev->tnext = s->tnext;
	else
		t->head = s->tnext;
	if (s->tnext != NULL)
		s->tnext->tprev = s->tprev;
	scs_rel_count(t, s->relid, -1);
	if (t->head == NULL) {
		htab_del(&scs_tables, t->key, t->klen);
		free(t->rels);
		free(t->key);
		free(t);
	}
	free(s->handle);
	free(s->definition);
	free(s->schema);
	free(s->table);
	free(s->electric_schema);
	free(s);
}

size_t
scshape_count(void)
{
	return htab_count(&scs_handles);
}

struct sc_shape **
scshape_all(size_t *n)
{
	struct sc_shape **v, *s;
	struct htab_iter it;

	*n = 0;
	v = xcalloc(htab_count(&scs_handles) + 1, sizeof(*v));
	htab_iter_init(&it, &scs_handles);
	while ((s = htab_next(&it)) != NULL)
		v[(*n)++] = s;
	return v;
}

struct sc_shape **
scshape_of_table(const char *schema, const char *table, size_t *n)
{
	struct sc_tbl *t = scs_tbl_get(schema, table, 0);
	struct sc_shape **v = NULL, *s;
	size_t cap = 0;

	*n = 0;
	for (s = t != NULL ? t->head : NULL; s != NULL; s = s->tnext) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = s;
	}
	return v;
}
