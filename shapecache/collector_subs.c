/*
 * collector_subs: the collector's table of subscribers (one per shape):
 * col_subs (every shape, doubly linked), an index by handle, col_conn
 * (the subscribers whose consumer is connected) and the joiners of the
 * open transaction, so that per-transaction and per-consumer work is
 * O(consumers running), never O(shapes) (issue 6).  Called by
 * collector.c and collector_inval.c.  Invariant: s is on col_conn iff
 * s->chan != NULL; on col_joining iff s->joining.
 */
#include <string.h>

#include "collector_int.h"
#include "htab.h"
#include "util.h"

struct col_sub *col_subs;
struct col_sub *col_conn;
static struct htab col_by_handle;	/* handle -> struct col_sub */
static struct col_sub **col_joining;	/* subscribed in the open txn */
static size_t col_njoining, col_capjoining;

struct col_sub *
col_sub_add(const char *handle, const char *schema, const char *table)
{
	struct col_sub *s = xcalloc(1, sizeof(*s));

	s->handle = xstrdup(handle);
	s->schema = xstrdup(schema);
	s->table = xstrdup(table);
	s->next = col_subs;
	if (col_subs != NULL)
		col_subs->prev = s;
	col_subs = s;
	htab_puts(&col_by_handle, s->handle, s);
	col_route_add(s);
	return s;
}

struct col_sub *
col_sub_find(const char *handle)
{
	return htab_gets(&col_by_handle, handle);
}

/* col_conn holds the subscribers with a consumer, so that what only
 * concerns those costs O(consumers running), not O(shapes). */
void
col_conn_link(struct col_sub *s)
{
	s->cprev = NULL;
	s->cnext = col_conn;
	if (col_conn != NULL)
		col_conn->cprev = s;
	col_conn = s;
}

void
col_conn_unlink(struct col_sub *s)
{
	if (s->chan == NULL)
		return;
	if (s->cprev != NULL)
		s->cprev->cnext = s->cnext;
	else
		col_conn = s->cnext;
	if (s->cnext != NULL)
		s->cnext->cprev = s->cprev;
	s->cnext = s->cprev = NULL;
}

static void
col_vec_drop(struct col_sub **v, size_t *n, const struct col_sub *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (v[i] == s)
			v[i--] = v[--*n];
}

void
col_sub_unlink(struct col_sub *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		col_subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	col_conn_unlink(s);
	htab_dels(&col_by_handle, s->handle);
	col_vec_drop(col_affected, &col_naffected, s);
	col_vec_drop(col_joining, &col_njoining, s);
}

/* The transaction the joiners came in the middle of has ended. */
void
col_joining_clear(void)
{
	size_t i;

	for (i = 0; i < col_njoining; i++)
		col_joining[i]->joining = 0;
	col_njoining = 0;
}

void
col_joining_add(struct col_sub *s)
{
	if (s->joining)
		return;
	if (col_njoining == col_capjoining) {
		col_capjoining = col_capjoining ? col_capjoining * 2 : 16;
		col_joining = xrealloc(col_joining,
		    col_capjoining * sizeof(*col_joining));
	}
	col_joining[col_njoining++] = s;
	s->joining = 1;
}
