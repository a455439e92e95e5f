/*
 * htab: the chained hash table of htab.h.  Used by shapecache (handles,
 * definitions, tables), the collector (subscribers), http (channels) and
 * the root (process table).  Invariants: nb is 0 or a power of two;
 * n <= nb after every put (the table doubles first); every entry sits in
 * bucket hash & (nb - 1) with hash = hash64(key).
 */
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "util.h"

#define HTAB_MIN_BUCKETS 16

void
htab_init(struct htab *h)
{
	memset(h, 0, sizeof(*h));
}

void
htab_free(struct htab *h)
{
	struct htab_ent *e, *nx;
	size_t i;

	for (i = 0; i < h->nb; i++)
		for (e = h->b[i]; e != NULL; e = nx) {
			nx = e->next;
			free(e);
		}
	free(h->b);
	memset(h, 0, sizeof(*h));
}

static struct htab_ent **
htab_slot(const struct htab *h, const void *key, size_t klen, size_t hash)
{
	struct htab_ent **pp;

	if (h->nb == 0)
		return NULL;
	for (pp = &h->b[hash & (h->nb - 1)]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == hash && (*pp)->klen == klen &&
		    memcmp((*pp)->key, key, klen) == 0)
			break;
	return pp;
}

static void
htab_grow(struct htab *h)
{
	size_t nb = h->nb ? h->nb * 2 : HTAB_MIN_BUCKETS, i;
	struct htab_ent **nt = xcalloc(nb, sizeof(*nt)), *e, *nx;

	for (i = 0; i < h->nb; i++)
		for (e = h->b[i]; e != NULL; e = nx) {
			nx = e->next;
			e->next = nt[e->hash & (nb - 1)];
			nt[e->hash & (nb - 1)] = e;
		}
	free(h->b);
	h->b = nt;
	h->nb = nb;
}

void *
htab_get(const struct htab *h, const void *key, size_t klen)
{
	struct htab_ent **pp = htab_slot(h, key, klen,
	    (size_t)hash64(key, klen));

	return pp != NULL && *pp != NULL ? (*pp)->val : NULL;
}

void *
htab_put(struct htab *h, const void *key, size_t klen, void *val)
{
	size_t hash = (size_t)hash64(key, klen);
	struct htab_ent **pp = htab_slot(h, key, klen, hash), *e;
	void *old;

	if (pp != NULL && *pp != NULL) {
		old = (*pp)->val;
		(*pp)->key = key;
		(*pp)->val = val;
		return old;
	}
	if (h->n + 1 > h->nb)
		htab_grow(h);
	e = xmalloc(sizeof(*e));
	e->key = key;
	e->klen = klen;
	e->val = val;
	e->hash = hash;
	e->next = h->b[hash & (h->nb - 1)];
	h->b[hash & (h->nb - 1)] = e;
	h->n++;
	return NULL;
}

void *
htab_del(struct htab *h, const void *key, size_t klen)
{
	struct htab_ent **pp = htab_slot(h, key, klen,
	    (size_t)hash64(key, klen)), *e;
	void *val;

	if (pp == NULL || (e = *pp) == NULL)
		return NULL;
	*pp = e->next;
	val = e->val;
	free(e);
	h->n--;
	return val;
}

void *
htab_gets(const struct htab *h, const char *key)
{
	return htab_get(h, key, strlen(key));
}

void *
htab_puts(struct htab *h, const char *key, void *val)
{
	return htab_put(h, key, strlen(key), val);
}

void *
htab_dels(struct htab *h, const char *key)
{
	return htab_del(h, key, strlen(key));
}

size_t
htab_count(const struct htab *h)
{
	return h->n;
}

void
htab_iter_init(struct htab_iter *it, const struct htab *h)
{
	it->h = h;
	it->i = 0;
	it->next = NULL;
}

void *
htab_next(struct htab_iter *it)
{
	struct htab_ent *e;

	while (it->next == NULL && it->i < it->h->nb)
		it->next = it->h->b[it->i++];
	if ((e = it->next) == NULL)
		return NULL;
	it->next = e->next;
	return e->val;
}
