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

#include <jansson.h>

#include "collector_int.h"
#include "config.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "msg.h"

static struct sqlite3 *col_db;		/* meta.db: shape relids and columns */
static char **col_invalid;		/* "handle\0reason" to report */
static size_t col_ninvalid;

/* "a\nb\n": the shape's non-generated columns (what pgoutput publishes). */
static char *
col_published_columns(const char *columns_json)
{
	json_t *cols = json_loads(columns_json, 0, NULL), *c;
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	json_array_foreach(cols, i, c) {
		if (json_is_true(json_object_get(c, "generated")))
			continue;
		sbuf_adds(&b, json_string_value(json_object_get(c, "name")) ?: "");
		sbuf_addc(&b, '\n');
	}
	json_decref(cols);
	return b.p;
}

static void
col_sub_identity(struct col_sub *s, const struct meta_shape *m)
{
	s->relid = m->relid;
	free(s->columns);
	s->columns = col_published_columns(m->columns);
}

static int
col_load_shape(const struct meta_shape *m, void *arg UNUSED)
{
	struct col_sub *s = col_sub_find(m->handle);

	if (s == NULL)
		s = col_sub_add(m->handle, m->schema_name, m->table_name);
	col_sub_identity(s, m);
	return 0;
}

/* Every known shape starts as a down subscriber (see collector.c). */
void
col_load_shapes(void)
{
	col_db = meta_open(cfg.meta_path);
	if (col_db == NULL || meta_shape_each(col_db, col_load_shape, NULL) == -1)
		fatalx("cannot load shapes from %s", cfg.meta_path);
}

/* A shape created after we started: read its identity when it subscribes. */
void
col_sub_lookup_identity(struct col_sub *s)
{
	struct meta_shape m;

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

static void
col_invalidate(const struct col_sub *s, const char *reason)
{
	size_t hl = strlen(s->handle), rl = strlen(reason);
	char *e = xmalloc(hl + rl + 2);

	log_info("shape %s on \"%s\".\"%s\": %s", s->handle, s->schema,
	    s->table, reason);
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

/* The published column names of a RELATION payload, "a\nb\n". */
static char *
col_rel_columns(const uint8_t *d, size_t n)
{
	struct mreader r;
	struct sbuf b;
	uint16_t ncols, i;
	char *name;

	mr_init(&r, d, n);
	(void)mr_u32(&r);
	free(mr_str(&r));
	free(mr_str(&r));
	(void)mr_u8(&r);
	ncols = mr_u16(&r);
	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	for (i = 0; i < ncols && !r.err; i++) {
		(void)mr_u8(&r);
		name = mr_str(&r);
		sbuf_adds(&b, name);
		sbuf_addc(&b, '\n');
		free(name);
		(void)mr_u32(&r);
		(void)mr_i32(&r);
	}
	return b.p;
}

/* Schema changes a RELATION message reveals (§4.5). */
void
col_check_relation(const struct col_rel *rel)
{
	struct col_sub *s;
	char *cols = NULL;
	int same_name;

	for (s = col_subs; s != NULL; s = s->next) {
		if (s->relid == 0)
			continue;
		same_name = col_sub_matches(s, rel);
		if (!same_name && s->relid == rel->relid) {
			col_invalidate(s, "table renamed");
		} else if (same_name && s->relid != rel->relid) {
			col_invalidate(s, "table dropped and re-created");
		} else if (same_name && s->columns != NULL) {
			if (cols == NULL)
				cols = col_rel_columns(rel->frame, rel->framelen);
			if (strcmp(cols, s->columns) != 0)
				col_invalidate(s, "columns added, dropped or renamed");
		}
	}
	free(cols);
}

/* ---- shapecache ---- */

static void
col_sub_free(struct col_sub *s)
{
	free(s->handle);
	free(s->schema);
	free(s->table);
	free(s->pending);
	free(s->blocked);
	free(s->seen);
	free(s->columns);
	free(s);
}

/* The shape is gone: release everything it held back, drop it. */
void
col_on_forget(const struct frame *f)
{
	struct col_sub **pp, *s;
	struct mreader r;
	char *handle;
	size_t i;

	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	for (pp = &col_subs; *pp != NULL && strcmp((*pp)->handle, handle); pp = &(*pp)->next)
		;
	if ((s = *pp) != NULL) {
		*pp = s->next;
		for (i = 0; i < s->npending; i++)
			col_queue_release(s->pending[i]);
		for (i = 0; i < s->nblocked; i++)
			col_queue_release(s->blocked[i]);
		for (i = 0; i < col_naffected; i++)
			if (col_affected[i] == s)
				col_affected[i] = col_affected[--col_naffected];
		if (s->chan != NULL)
			chan_set_arg(s->chan, NULL);
		log_info("forgot shape %s", handle);
		col_sub_free(s);
		col_advance();
	}
	free(handle);
}
