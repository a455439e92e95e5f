/*
 * collector_inval: how the collector learns that a shape's incarnation has
 * ended (PROTOCOL.md §4.5) and how it lets go of a deleted shape.
 * Every shape's identity (table oid and published columns) comes from
 * meta.db; a TRUNCATE, or a RELATION message showing the table dropped and
 * re-created, renamed, or with other columns, is reported to shapecache
 * (MSG_SHAPE_INVALID, queued while it is away).  MSG_FORGET from shapecache
 * releases everything the shape held back in the acknowledgement queue.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "collector_int.h"
#include "config.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "wheremeta.h"

static struct sqlite3 *col_db;		/* meta.db: shape relids and columns */
static char **col_invalid;		/* "handle\0reason" to report */
static size_t col_ninvalid;
/* Shapes loaded at start whose WHERE is not compiled yet (issue 7: a
 * restart with 10,000 shapes serves within 1 s; compiling them all
 * first would take 0.6 s): compiled COL_LAZY_SLICE at a time from the
 * event loop, or all at once before the first frame that routes. */
#define COL_LAZY_SLICE	256
static struct col_sub **col_lazy;
static size_t col_nlazy, col_lazy_done;
static struct event *col_lazy_ev;

/* The columns a shape depends on, "name\toid\n" (see collector_int.h):
 * every published (non-generated) column of an all-column shape, else the
 * selected ones and those its WHERE references. */
static char *
col_depends(struct col_sub *s, const char *columns_json)
{
	const struct wheremeta_col *v;
	struct sbuf b;
	size_t i, n;

	v = wheremeta_columns(columns_json, &n);
	if (v == NULL)
		n = 0;
	s->all_columns = 1;
	for (i = 0; i < n; i++)
		s->all_columns &= v[i].sel;
	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (v[i].generated || (!v[i].sel && !col_route_uses(s, i)))
			continue;
		sbuf_adds(&b, v[i].name);
		sbuf_addf(&b, "\t%lld\n", v[i].typoid);
	}
	return b.p;
}

static void
col_sub_identity(struct col_sub *s, const struct meta_shape *m)
{
	s->relid = m->relid;
	col_route_identity(s, m);
	free(s->columns);
	s->columns = col_depends(s, m->columns);
}

/* Compiles the identity loaded for s, if it is still pending. */
static void
col_lazy_one(struct col_sub *s)
{
	struct meta_shape *m = s->lazy;

	if (m == NULL)
		return;
	s->lazy = NULL;
	col_sub_identity(s, m);
	meta_shape_free(m);
	free(m);
}

void
col_identity_all(void)
{
	while (col_lazy_done < col_nlazy)
		col_lazy_one(col_lazy[col_lazy_done++]);
	if (col_nlazy > 0)
		log_info("%zu shapes compiled (collector CPU so far: %ld ms)",
		    col_nlazy, (long)(clock() / (CLOCKS_PER_SEC / 1000)));
	free(col_lazy);
	col_lazy = NULL;
	col_nlazy = col_lazy_done = 0;
}

static void
col_lazy_tick(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	struct timeval tv = { 0, 0 };
	size_t end = col_lazy_done + COL_LAZY_SLICE;

	while (col_lazy_done < col_nlazy && col_lazy_done < end)
		col_lazy_one(col_lazy[col_lazy_done++]);
	if (col_lazy_done < col_nlazy)
		evtimer_add(col_lazy_ev, &tv);
	else
		col_identity_all();
}

static int
col_load_shape(const struct meta_shape *m, void *arg UNUSED)
{
	struct col_sub *s = col_sub_find(m->handle);

	if (s == NULL)
		s = col_sub_add(m->handle, m->schema_name, m->table_name);
	if (s->lazy == NULL) {
		s->lazy = xcalloc(1, sizeof(*s->lazy));
		if ((col_nlazy & (col_nlazy - 1)) == 0)	/* doubling */
			col_lazy = xrealloc(col_lazy,
			    (col_nlazy ? 2 * col_nlazy : 1) * sizeof(*col_lazy));
		col_lazy[col_nlazy++] = s;
	} else {
		meta_shape_free(s->lazy);
	}
	/* what col_sub_identity reads */
	s->lazy->relid = m->relid;
	s->lazy->columns = xstrdup(m->columns);
	s->lazy->where_text = xstrdup(m->where_text);
	s->lazy->params = xstrdup(m->params);
	return 0;
}

/* Every known shape starts as a down subscriber (see collector.c). */
void
col_load_shapes(struct event_base *base)
{
	struct timeval tv = { 0, 0 };

	col_db = meta_open(cfg.meta_path);
	if (col_db == NULL || meta_shape_each(col_db, col_load_shape, NULL) == -1)
		fatalx("cannot load shapes from %s", cfg.meta_path);
	col_lazy_ev = evtimer_new(base, col_lazy_tick, NULL);
	if (col_nlazy > 0)
		evtimer_add(col_lazy_ev, &tv);
	log_info("%zu shapes loaded", col_nlazy);
}

/* A shape created after we started: read its identity when it subscribes. */
void
col_sub_lookup_identity(struct col_sub *s)
{
	struct meta_shape m;

	col_lazy_one(s);
	memset(&m, 0, sizeof(m));
	if (s->relid != 0 || meta_shape_get(col_db, s->handle, &m) != 0)
		return;
	col_sub_identity(s, &m);
	meta_shape_free(&m);
}

/* Sends queued invalidations to shapecache (kept while it is away). */
void
col_flush_invalid(void)
{
	struct mbuf m;
	size_t i;

	if (col_sc == NULL || col_ninvalid == 0)
		return;
	mbuf_init(&m);
	for (i = 0; i < col_ninvalid; i++) {
		mbuf_reset(&m);
		mbuf_str(&m, col_invalid[i]);
		mbuf_str(&m, col_invalid[i] + strlen(col_invalid[i]) + 1);
		if (chan_sendm(col_sc, MSG_SHAPE_INVALID, 0, &m) == -1)
			break;
		free(col_invalid[i]);
	}
	memmove(col_invalid, col_invalid + i, (col_ninvalid - i) * sizeof(char *));
	col_ninvalid -= i;
	mbuf_free(&m);
}

/* Ends s's incarnation: shapecache deletes the shape, and from here on it
 * gets no change (col_deliver), so that a change made under the new schema
 * never reaches a log of the old one: its live clients get the 409. */
static void
col_invalidate(struct col_sub *s, const char *reason)
{
	size_t hl = strlen(s->handle), rl = strlen(reason);
	char *e = xmalloc(hl + rl + 2);

	log_info("shape %s on \"%s\".\"%s\": %s", s->handle, s->schema,
	    s->table, reason);
	s->ended = 1;
	memcpy(e, s->handle, hl + 1);
	memcpy(e + hl + 1, reason, rl + 1);
	col_invalid = xrealloc(col_invalid, (col_ninvalid + 1) * sizeof(char *));
	col_invalid[col_ninvalid++] = e;
	col_flush_invalid();
}

/* A TRUNCATE ends the incarnation of every shape on the table (§4.5). */
void
col_invalidate_rel(const struct col_rel *rel)
{
	struct col_sub *s;

	for (s = col_subs; s != NULL; s = s->next)
		if (col_sub_matches(s, rel))
			col_invalidate(s, "table truncated");
}

/* Why the relation no longer fits the shape's columns, or NULL. */
static const char *
col_columns_changed(const struct col_sub *s, const struct col_rel *rel)
{
	const char *p = s->columns, *tab, *nl;
	size_t n = 0, len;
	uint16_t i;
	unsigned long oid;

	for (; (tab = strchr(p, '\t')) != NULL; p = nl + 1, n++) {
		nl = strchr(tab, '\n');
		len = (size_t)(tab - p);
		oid = strtoul(tab + 1, NULL, 10);
		for (i = 0; i < rel->ncols; i++)
			if (strlen(rel->colnames[i]) == len &&
			    memcmp(rel->colnames[i], p, len) == 0)
				break;
		if (i == rel->ncols)
			return "columns dropped or renamed";
		if (oid != 0 && rel->coltypes[i] != oid)
			return "column type changed";
		if (nl == NULL)
			break;
	}
	if (s->all_columns && n != rel->ncols)
		return "columns added, dropped or renamed";
	return NULL;
}

/* Schema changes a RELATION message reveals (§4.5). */
void
col_check_relation(const struct col_rel *rel)
{
	struct col_sub *s;
	const char *why;
	int same_name;

	for (s = col_subs; s != NULL; s = s->next) {
		if (s->relid == 0)
			continue;
		same_name = col_sub_matches(s, rel);
		if (!same_name && s->relid == rel->relid) {
			col_invalidate(s, "table renamed");
		} else if (same_name && s->relid != rel->relid) {
			col_invalidate(s, "table dropped and re-created");
		} else if (same_name && s->columns != NULL &&
		    (why = col_columns_changed(s, rel)) != NULL) {
			col_invalidate(s, why);
		}
	}
}

/* ---- shapecache ---- */

static void
col_sub_free(struct col_sub *s)
{
	col_route_remove(s);
	free(s->handle);
	free(s->schema);
	free(s->table);
	free(s->pending);
	free(s->blocked);
	free(s->seen);
	free(s->columns);
	if (s->lazy != NULL)
		meta_shape_free(s->lazy);
	free(s->lazy);
	free(s);
}

/* The shape is gone: release everything it held back, drop it. */
void
col_on_forget(const struct frame *f)
{
	struct col_sub *s;
	struct mreader r;
	char *handle;
	size_t i;

	col_identity_all();	/* col_lazy holds no freed subscriber */
	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	if ((s = col_sub_find(handle)) != NULL) {
		col_sub_unlink(s);
		for (i = 0; i < s->npending; i++)
			col_queue_release(s->pending[i]);
		for (i = 0; i < s->nblocked; i++)
			col_queue_release(s->blocked[i]);
		if (s->chan != NULL)
			chan_set_arg(s->chan, NULL);
		log_info("forgot shape %s", handle);
		col_sub_free(s);
		col_advance();
	}
	free(handle);
}
