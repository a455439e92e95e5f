/*
 * collector_route: which shapes a change goes to (PROTOCOL.md §10.4,
 * §10.5).  Called by collector.c for every MSG_CHANGE; shapes register
 * here when the collector learns their identity from meta.db.
 *
 * Shapes are grouped by table.  A shape whose WHERE has an indexable
 * conjunct (where_index_term: col = c, col IN (...), c = ANY(arraycol),
 * arraycol @> ...) is entered into a hash table of that column under the
 * conjunct's keys; every other shape of the table is "plain".  For a
 * change, the candidates are the plain shapes plus the shapes found by
 * looking up the keys of the old and new rows' values: O(1) per indexed
 * column, whatever the number of shapes.  Each candidate's full WHERE is
 * then evaluated on the old and new rows; the change goes to the shapes
 * for which either holds (the consumer works out insert/update/delete).
 *
 * The index is only a pre-filter: without it (ROUTE_NO_INDEX in the
 * environment, for tests) every shape is a candidate and the result is
 * the same.  A shape whose WHERE does not compile here takes every change
 * of its table (its consumer filters again, so this only costs time).
 */
#include <stdlib.h>
#include <string.h>

#include "collector_int.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "wheremeta.h"

#define RT_BUCKETS_MIN	64

struct rt_ent {				/* one key of one indexed column */
	char		 *key;
	size_t		  keylen;
	struct col_sub	**subs;
	size_t		  n, cap;
	struct rt_ent	 *next;
};

struct rt_icol {			/* an indexed column of a table */
	char		 *name;
	char		 *type;
	struct where_col  wc;
	enum where_term_kind kind;
	struct rt_ent	**tab;
	size_t		  nbuckets, nents;
	struct rt_icol	 *next;
};

struct rt_table {
	char		 *schema, *table;
	struct col_sub	**plain;	/* shapes without an index term */
	size_t		  nplain, capplain;
	struct rt_icol	 *icols;
	struct rt_table	 *next;
};

struct col_route_sub {
	struct rt_table		*t;
	struct rt_icol		*ic;		/* NULL: plain */
	size_t			 plain_i;	/* its place in t->plain */
	struct where		*w;		/* NULL: every row */
	struct wheremeta_cols	 wc;		/* the shape's table columns */
	int			*map;		/* shape column -> relation col */
	uint32_t		 map_relid, map_version;
	struct change_val	*row;		/* scratch, shape order */
	uint64_t		 gen;		/* candidate mark */
};

static struct rt_table *rt_tables;
static uint64_t rt_gen;
static int rt_no_index = -1;

/* ---- tables and the index ---- */

static struct rt_table *
rt_table_get(const char *schema, const char *table)
{
	struct rt_table *t;

	for (t = rt_tables; t != NULL; t = t->next)
		if (strcmp(t->table, table) == 0 && strcmp(t->schema, schema) == 0)
			return t;
	t = xcalloc(1, sizeof(*t));
	t->schema = xstrdup(schema);
	t->table = xstrdup(table);
	t->next = rt_tables;
	rt_tables = t;
	return t;
}

static void
rt_vec_add(struct col_sub ***v, size_t *n, size_t *cap, struct col_sub *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = s;
}

static void
rt_vec_del(struct col_sub **v, size_t *n, struct col_sub *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (v[i] == s) {
			v[i] = v[--*n];
			return;
		}
}

static struct rt_icol *
rt_icol_get(struct rt_table *t, const struct where_col *wc,
    enum where_term_kind kind)
{
	struct rt_icol *ic;

	for (ic = t->icols; ic != NULL; ic = ic->next)
		if (ic->kind == kind && strcmp(ic->name, wc->name) == 0)
			return ic;
	ic = xcalloc(1, sizeof(*ic));
	ic->name = xstrdup(wc->name);
	ic->type = xstrdup(wc->type);
	ic->wc = *wc;
	ic->wc.name = ic->name;
	ic->wc.type = ic->type;
	ic->kind = kind;
	ic->nbuckets = RT_BUCKETS_MIN;
	ic->tab = xcalloc(ic->nbuckets, sizeof(*ic->tab));
	ic->next = t->icols;
	t->icols = ic;
	return ic;
}

static struct rt_ent **
rt_slot(struct rt_icol *ic, const char *key, size_t len)
{
	struct rt_ent **pp;

	pp = &ic->tab[hash64(key, len) & (ic->nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->keylen == len && memcmp((*pp)->key, key, len) == 0)
			break;
	return pp;
}

static void
rt_grow(struct rt_icol *ic)
{
	struct rt_ent **old = ic->tab, *e, *next;
	size_t i, n = ic->nbuckets;

	ic->nbuckets *= 2;
	ic->tab = xcalloc(ic->nbuckets, sizeof(*ic->tab));
	for (i = 0; i < n; i++)
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			e->next = NULL;
			*rt_slot(ic, e->key, e->keylen) = e;
		}
	free(old);
}

static void
rt_index_add(struct rt_icol *ic, const char *key, struct col_sub *s)
{
	struct rt_ent **pp = rt_slot(ic, key, strlen(key));

	if (*pp == NULL) {
		*pp = xcalloc(1, sizeof(**pp));
		(*pp)->key = xstrdup(key);
		(*pp)->keylen = strlen(key);
		if (++ic->nents > 2 * ic->nbuckets)
			rt_grow(ic);
		pp = rt_slot(ic, key, strlen(key));
	}
	rt_vec_add(&(*pp)->subs, &(*pp)->n, &(*pp)->cap, s);
}

static void
rt_index_del(struct rt_icol *ic, const char *key, struct col_sub *s)
{
	struct rt_ent **pp = rt_slot(ic, key, strlen(key)), *e;

	if ((e = *pp) == NULL)
		return;
	rt_vec_del(e->subs, &e->n, s);
	if (e->n > 0)
		return;
	*pp = e->next;
	free(e->key);
	free(e->subs);
	free(e);
	ic->nents--;
}

/* ---- registration ---- */

static void
rt_unregister(struct col_sub *s)
{
	struct col_route_sub *r = s->rt;
	const struct where_term *term;
	size_t i;

	if (r == NULL || r->t == NULL)
		return;
	if (r->ic == NULL) {
		/* O(1): thousands of shapes are plain until compiled */
		r->t->plain[r->plain_i] = r->t->plain[--r->t->nplain];
		r->t->plain[r->plain_i]->rt->plain_i = r->plain_i;
	} else {
		term = where_index_term(r->w);
		for (i = 0; i < term->nvals; i++)
			rt_index_del(r->ic, term->vals[i], s);
	}
	r->t = NULL;
	r->ic = NULL;
}

static int
rt_use_index(void)
{
	if (rt_no_index == -1)
		rt_no_index = getenv("ROUTE_NO_INDEX") != NULL;
	return !rt_no_index;
}

static void
rt_register(struct col_sub *s)
{
	struct col_route_sub *r = s->rt;
	const struct where_term *term = NULL;
	size_t i;

	r->t = rt_table_get(s->schema, s->table);
	if (r->w != NULL && rt_use_index())
		term = where_index_term(r->w);
	if (term == NULL || term->col < 0 || (size_t)term->col >= r->wc.ncols) {
		r->plain_i = r->t->nplain;
		rt_vec_add(&r->t->plain, &r->t->nplain, &r->t->capplain, s);
		return;
	}
	r->ic = rt_icol_get(r->t, &r->wc.cols[term->col], term->kind);
	for (i = 0; i < term->nvals; i++)
		rt_index_add(r->ic, term->vals[i], s);
}

void
col_route_add(struct col_sub *s)
{
	if (s->rt == NULL)
		s->rt = xcalloc(1, sizeof(*s->rt));
	rt_unregister(s);
	rt_register(s);
}

void
col_route_identity(struct col_sub *s, const struct meta_shape *m)
{
	struct col_route_sub *r;
	char *err;

	col_route_add(s);
	r = s->rt;
	rt_unregister(s);
	where_free(r->w);
	r->w = NULL;
	wheremeta_cols_free(&r->wc);
	free(r->map);
	free(r->row);
	r->map = NULL;
	r->map_relid = 0;
	if (wheremeta_cols(m->columns, &r->wc) == -1)
		log_warnx("shape %s: malformed columns", s->handle);
	r->row = xcalloc(r->wc.ncols + 1, sizeof(*r->row));
	r->map = xcalloc(r->wc.ncols + 1, sizeof(*r->map));
	if (wheremeta_compile(m->columns, m->where_text, m->params, &r->w,
	    &err) == -1) {
		log_warnx("shape %s: WHERE does not compile (%s); it gets every "
		    "change of its table", s->handle, err);
		free(err);
	}
	rt_register(s);
}

void
col_route_remove(struct col_sub *s)
{
	struct col_route_sub *r = s->rt;

	if (r == NULL)
		return;
	rt_unregister(s);
	where_free(r->w);
	wheremeta_cols_free(&r->wc);
	free(r->map);
	free(r->row);
	free(r);
	s->rt = NULL;
}

/* 1 when the shape's WHERE references the column (by its index in the
 * shape's columns). */
int
col_route_uses(const struct col_sub *s, size_t col)
{
	const uint8_t *used;

	if (s->rt == NULL || s->rt->w == NULL)
		return 0;
	used = where_cols_used(s->rt->w);
	return col < s->rt->wc.ncols && used[col];
}

/* ---- relations ---- */

void
col_route_relation(struct col_rel *rel)
{
	struct mreader r;
	uint16_t i;

	for (i = 0; i < rel->ncols; i++)
		free(rel->colnames[i]);
	free(rel->colnames);
	free(rel->coltypes);
	mr_init(&r, rel->frame, rel->framelen);
	(void)mr_u32(&r);
	free(mr_str(&r));
	free(mr_str(&r));
	(void)mr_u8(&r);
	rel->ncols = mr_u16(&r);
	rel->colnames = xcalloc(rel->ncols + 1u, sizeof(char *));
	rel->coltypes = xcalloc(rel->ncols + 1u, sizeof(uint32_t));
	for (i = 0; i < rel->ncols; i++) {
		(void)mr_u8(&r);
		rel->colnames[i] = mr_str(&r);
		rel->coltypes[i] = mr_u32(&r);
		(void)mr_i32(&r);
	}
	if (r.err)
		log_warnx("malformed RELATION for relid %u", rel->relid);
}

static int
rt_relcol(const struct col_rel *rel, const char *name)
{
	uint16_t i;

	for (i = 0; i < rel->ncols; i++)
		if (strcmp(rel->colnames[i], name) == 0)
			return i;
	return -1;
}

/* ---- a change ---- */

struct rt_change {
	const struct col_rel	*rel;
	char			 op;
	int			 has_old, has_new;
	struct change_val	*oldr, *newr;	/* relation order */
};

static int
rt_tuple(struct mreader *mr, struct change_val *v, uint16_t ncols)
{
	uint16_t n = mr_u16(mr), i;
	uint32_t len;

	if (n != ncols)
		return -1;
	for (i = 0; i < n && !mr->err; i++) {
		v[i].kind = (char)mr_u8(mr);
		v[i].len = 0;
		v[i].s = NULL;
		if (v[i].kind == CHANGE_TEXT) {
			v[i].s = (const char *)mr_bytes(mr, &len);
			v[i].len = len;
		} else if (v[i].kind != CHANGE_NULL && v[i].kind != CHANGE_TOAST)
			return -1;
	}
	return mr->err ? -1 : 0;
}

static int
rt_decode(struct rt_change *c, const struct frame *f)
{
	static struct change_val *buf;
	static size_t cap;
	struct mreader mr;
	uint16_t i, n = c->rel->ncols;

	if (cap < 2u * n + 2) {
		cap = 2u * n + 2;
		buf = xrealloc(buf, cap * sizeof(*buf));
	}
	c->oldr = buf;
	c->newr = buf + n + 1;
	mr_init(&mr, f->data, f->len);
	(void)mr_u32(&mr);
	c->op = (char)mr_u8(&mr);
	(void)mr_u32(&mr);
	if ((c->has_old = mr_u8(&mr)) && rt_tuple(&mr, c->oldr, n) == -1)
		return -1;
	if ((c->has_new = mr_u8(&mr)) && rt_tuple(&mr, c->newr, n) == -1)
		return -1;
	if (mr.err)
		return -1;
	for (i = 0; c->has_old && c->has_new && i < n; i++)
		if (c->newr[i].kind == CHANGE_TOAST)
			c->newr[i] = c->oldr[i];
	return 0;
}

/* The shape's row from a relation-order tuple. */
static const struct change_val *
rt_row(struct col_route_sub *r, const struct col_rel *rel,
    const struct change_val *tuple)
{
	size_t j;

	if (r->map_relid != rel->relid || r->map_version != rel->version) {
		for (j = 0; j < r->wc.ncols; j++)
			r->map[j] = rt_relcol(rel, r->wc.cols[j].name);
		r->map_relid = rel->relid;
		r->map_version = rel->version;
	}
	for (j = 0; j < r->wc.ncols; j++)
		r->row[j] = r->map[j] >= 0 ? tuple[r->map[j]] :
		    (struct change_val){ CHANGE_NULL, 0, NULL };
	return r->row;
}

static int
rt_matches(struct col_sub *s, const struct rt_change *c)
{
	struct col_route_sub *r = s->rt;

	if (r->w == NULL)
		return 1;
	if (c->has_new && where_eval(r->w, rt_row(r, c->rel, c->newr)))
		return 1;
	if (c->op == 'U' && !c->has_old)
		return 0;
	return c->has_old && where_eval(r->w, rt_row(r, c->rel, c->oldr));
}

struct rt_visit {
	const struct rt_change	*c;
	void			(*fn)(struct col_sub *, void *);
	void			*arg;
	struct rt_icol		*ic;		/* being probed */
};

static void
rt_visit(struct col_sub *s, struct rt_visit *v)
{
	if (s->rt->gen == rt_gen)
		return;
	s->rt->gen = rt_gen;
	if (rt_matches(s, v->c))
		v->fn(s, v->arg);
}

static void
rt_lookup(struct rt_icol *ic, const char *s, size_t len, struct rt_visit *v)
{
	static struct sbuf key;
	struct rt_ent *e;
	size_t i;

	if (where_index_key(&ic->wc, s, len, &key) == -1)
		return;
	if ((e = *rt_slot(ic, key.p, key.len)) == NULL)
		return;
	for (i = 0; i < e->n; i++)
		rt_visit(e->subs[i], v);
}

static int
rt_elem(const char *s, size_t len, void *arg)
{
	struct rt_visit *v = arg;

	rt_lookup(v->ic, s, len, v);
	return 0;
}

static void
rt_probe(struct rt_icol *ic, const struct change_val *val, struct rt_visit *v)
{
	if (val->kind != CHANGE_TEXT)
		return;
	if (ic->kind == WHERE_TERM_EQ) {
		rt_lookup(ic, val->s, val->len, v);
		return;
	}
	v->ic = ic;
	if (where_array_each(val->s, val->len, rt_elem, v) < 0)
		log_debug("malformed array value of %s", ic->name);
}

int
col_route_change(const struct col_rel *rel, const struct frame *f,
    void (*fn)(struct col_sub *, void *), void *arg)
{
	struct rt_change c;
	struct rt_visit v = { &c, fn, arg, NULL };
	struct rt_table *t;
	struct rt_icol *ic;
	size_t i;
	int k;

	memset(&c, 0, sizeof(c));
	c.rel = rel;
	if (rt_decode(&c, f) == -1)
		return -1;
	for (t = rt_tables; t != NULL; t = t->next)
		if (strcmp(t->table, rel->table) == 0 &&
		    strcmp(t->schema, rel->schema) == 0)
			break;
	if (t == NULL)
		return 0;
	rt_gen++;
	for (i = 0; i < t->nplain; i++)
		rt_visit(t->plain[i], &v);
	for (ic = t->icols; ic != NULL; ic = ic->next) {
		if (ic->nents == 0 || (k = rt_relcol(rel, ic->name)) < 0)
			continue;
		if (c.has_old)
			rt_probe(ic, &c.oldr[k], &v);
		if (c.has_new)
			rt_probe(ic, &c.newr[k], &v);
	}
	return 0;
}
