/*
 * htab: a small chained hash table from byte-string keys to pointers, for
 * the per-shape and per-request lookups that must not be O(shapes)
 * (shape handles, definitions, process ids, channels).
 *
 * The table does not copy keys: a key must stay valid and unchanged
 * while its entry is in the table (use a string the value owns, or the
 * address of one of its fields).  Keys are unique; htab_put replaces.
 * Buckets double when the load passes 1, so every operation is O(1) on
 * average.  Iteration order is unspecified; an entry may be removed
 * while iterating with htab_next (the current one only).
 */
#ifndef ELECTRICD_HTAB_H
#define ELECTRICD_HTAB_H

#include <stddef.h>

struct htab_ent {
	const void	*key;
	size_t		 klen;
	void		*val;
	size_t		 hash;
	struct htab_ent	*next;
};

struct htab {
	struct htab_ent	**b;
	size_t		  nb, n;
};

struct htab_iter {
	const struct htab *h;
	size_t		   i;
	struct htab_ent	  *next;
};

void htab_init(struct htab *);
/* Frees the table's own memory (not the keys or values). */
void htab_free(struct htab *);
void *htab_get(const struct htab *, const void *key, size_t klen);
/* Inserts or replaces; returns the value replaced, or NULL. */
void *htab_put(struct htab *, const void *key, size_t klen, void *val);
/* Removes; returns the value removed, or NULL. */
void *htab_del(struct htab *, const void *key, size_t klen);
/* NUL-terminated string keys. */
void *htab_gets(const struct htab *, const char *key);
void *htab_puts(struct htab *, const char *key, void *val);
void *htab_dels(struct htab *, const char *key);
size_t htab_count(const struct htab *);

void htab_iter_init(struct htab_iter *, const struct htab *);
/* The next value, or NULL at the end. */
void *htab_next(struct htab_iter *);

#endif
