/*
 * change: encodes changes, snapshot rows and the snapshot-end message as
 * the exact JSON of PROTOCOL.md §6 (replica=default).  Called by the
 * consumer on the write path (once per change; readers never re-encode)
 * and by the snapshot.  Column values are the text Postgres sent, copied
 * as JSON strings; the key is built the same way on both paths so that a
 * row has one key whether it came from the snapshot or the WAL.
 * Header order: operation, relation, lsn, op_position, txids,
 * key_change_to/from, last (change_set_last appends it).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "change.h"

/* ---- shape ---- */

static int
shape_fail(char **err, json_t *root, const char *msg)
{
	*err = xstrdup(msg);
	json_decref(root);
	return -1;
}

static int
shape_pk_index(struct change_shape *sh, char **err)
{
	size_t i;

	sh->pk_cols = xcalloc(sh->npk ? sh->npk : 1, sizeof(size_t));
	for (i = 0; i < sh->npk; i++)
		sh->pk_cols[i] = (size_t)-1;
	for (i = 0; i < sh->ncols; i++) {
		int pk = sh->cols[i].pk;
		if (pk < 0)
			continue;
		if ((size_t)pk >= sh->npk || sh->pk_cols[pk] != (size_t)-1) {
			*err = xstrdup("columns: bad primary-key indexes");
			return -1;
		}
		sh->pk_cols[pk] = i;
	}
	return 0;
}

int
change_shape_init(struct change_shape *sh, const char *schema,
    const char *table, const char *columns_json, char **err)
{
	json_t *root, *c, *name, *pk;
	size_t i;

	memset(sh, 0, sizeof(*sh));
	root = json_loads(columns_json, 0, NULL);
	if (!json_is_array(root))
		return shape_fail(err, root, "columns: not a JSON array");
	sh->schema = xstrdup(schema);
	sh->table = xstrdup(table);
	sh->ncols = json_array_size(root);
	sh->cols = xcalloc(sh->ncols ? sh->ncols : 1, sizeof(*sh->cols));
	json_array_foreach(root, i, c) {
		name = json_object_get(c, "name");
		pk = json_object_get(c, "pk");
		if (!json_is_string(name) || !json_is_integer(pk)) {
			sh->ncols = i;
			return shape_fail(err, root, "columns: bad column entry");
		}
		sh->cols[i].name = xstrdup(json_string_value(name));
		sh->cols[i].pk = json_integer_value(pk) < 0 ||
		    json_integer_value(pk) > 65535 ? -1 : (int)json_integer_value(pk);
		if (sh->cols[i].pk >= 0)
			sh->npk++;
	}
	json_decref(root);
	return shape_pk_index(sh, err);
}

void
change_shape_free(struct change_shape *sh)
{
	size_t i;

	for (i = 0; i < sh->ncols; i++)
		free(sh->cols[i].name);
	free(sh->cols);
	free(sh->pk_cols);
	free(sh->schema);
	free(sh->table);
	memset(sh, 0, sizeof(*sh));
}

/* ---- key ---- */

static void
key_ident(struct sbuf *b, const char *s)
{
	const char *q;

	sbuf_addc(b, '"');
	while ((q = strchr(s, '"')) != NULL) {
		sbuf_add(b, s, (size_t)(q - s) + 1);
		sbuf_addc(b, '"');
		s = q + 1;
	}
	sbuf_adds(b, s);
	sbuf_addc(b, '"');
}

static void
key_value(struct sbuf *b, const struct change_val *v)
{
	const char *s, *e, *q;

	sbuf_addc(b, '/');
	if (v->kind != CHANGE_TEXT) {
		sbuf_addc(b, '_');
		return;
	}
	sbuf_addc(b, '"');
	s = v->s;
	e = v->s + v->len;
	while ((q = memchr(s, '/', (size_t)(e - s))) != NULL) {
		sbuf_add(b, s, (size_t)(q - s) + 1);
		sbuf_addc(b, '/');
		s = q + 1;
	}
	sbuf_add(b, s, (size_t)(e - s));
	sbuf_addc(b, '"');
}

void
change_key(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row)
{
	size_t i;

	key_ident(b, sh->schema);
	sbuf_addc(b, '.');
	key_ident(b, sh->table);
	if (sh->npk > 0) {
		for (i = 0; i < sh->npk; i++)
			key_value(b, &row[sh->pk_cols[i]]);
	} else {
		for (i = 0; i < sh->ncols; i++)
			key_value(b, &row[i]);
	}
}

/* ---- message parts ---- */

enum col_sel { SEL_ALL, SEL_KEY, SEL_MASK };

static int
col_selected(const struct change_shape *sh, size_t i, enum col_sel sel,
    const char *mask)
{
	switch (sel) {
	case SEL_ALL:
		return 1;
	case SEL_KEY:
		return sh->npk == 0 || sh->cols[i].pk >= 0;
	case SEL_MASK:
		return sh->cols[i].pk >= 0 || mask[i];
	}
	return 0;
}

/* "value":{...}: selected columns in shape order; unknown (TOAST) values
 * are left out. */
static void
add_value(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row, enum col_sel sel, const char *mask)
{
	const struct change_val *v;
	int first = 1;
	size_t i;

	sbuf_adds(b, "\"value\":{");
	for (i = 0; i < sh->ncols; i++) {
		v = &row[i];
		if (v->kind == CHANGE_TOAST || !col_selected(sh, i, sel, mask))
			continue;
		if (!first)
			sbuf_addc(b, ',');
		first = 0;
		sbuf_add_json_str(b, sh->cols[i].name, strlen(sh->cols[i].name));
		sbuf_addc(b, ':');
		if (v->kind == CHANGE_TEXT)
			sbuf_add_json_str(b, v->s, v->len);
		else
			sbuf_adds(b, "null");
	}
	sbuf_addc(b, '}');
}

static void
add_key(struct sbuf *b, const struct sbuf *key)
{
	sbuf_adds(b, "{\"key\":");
	sbuf_add_json_str(b, key->p, key->len);
	sbuf_addc(b, ',');
}

static void
add_relation(struct sbuf *b, const char *operation,
    const struct change_shape *sh)
{
	sbuf_adds(b, ",\"headers\":{\"operation\":\"");
	sbuf_adds(b, operation);
	sbuf_adds(b, "\",\"relation\":[");
	sbuf_add_json_str(b, sh->schema, strlen(sh->schema));
	sbuf_addc(b, ',');
	sbuf_add_json_str(b, sh->table, strlen(sh->table));
	sbuf_addc(b, ']');
}

/* The replication headers after relation; kc_name/kc_key optional. */
static void
add_repl_headers(struct sbuf *b, const struct change_src *src, uint64_t op,
    const char *kc_name, const struct sbuf *kc_key)
{
	sbuf_adds(b, ",\"lsn\":\"");
	sbuf_addu64(b, src->lsn);
	sbuf_adds(b, "\",\"op_position\":");
	sbuf_addu64(b, op);
	sbuf_adds(b, ",\"txids\":[");
	sbuf_addu64(b, src->xid);
	sbuf_addc(b, ']');
	if (kc_name != NULL) {
		sbuf_adds(b, ",\"");
		sbuf_adds(b, kc_name);
		sbuf_adds(b, "\":");
		sbuf_add_json_str(b, kc_key->p, kc_key->len);
	}
	sbuf_adds(b, "}}");
}

/* One replication change message. */
struct enc {
	const struct change_shape	*sh;
	const struct change_src		*src;
	const char			*operation;
	const struct change_val		*row;
	enum col_sel			 sel;
	const char			*mask;
	const struct sbuf		*key;
	const char			*kc_name;
	const struct sbuf		*kc_key;
};

static void
encode_msg(struct change_msg *m, const struct enc *e, uint64_t op)
{
	sbuf_reset(&m->json);
	add_key(&m->json, e->key);
	add_value(&m->json, e->sh, e->row, e->sel, e->mask);
	add_relation(&m->json, e->operation, e->sh);
	add_repl_headers(&m->json, e->src, op, e->kc_name, e->kc_key);
	m->op = op;
}

void
change_set_last(struct sbuf *b)
{
	if (b->len < 2 || memcmp(b->p + b->len - 2, "}}", 2) != 0)
		return;
	b->len -= 2;
	sbuf_adds(b, ",\"last\":true}}");
}

/* ---- operations ---- */

static int
same_val(const struct change_val *a, const struct change_val *b)
{
	if (a->kind != b->kind)
		return 0;
	return a->kind != CHANGE_TEXT ||
	    (a->len == b->len && memcmp(a->s, b->s, a->len) == 0);
}

static int
encode_single(struct enc *e, struct change_msg out[2])
{
	struct sbuf key;

	sbuf_init(&key);
	change_key(&key, e->sh, e->row);
	e->key = &key;
	encode_msg(&out[0], e, 2 * (uint64_t)e->src->index);
	sbuf_free(&key);
	return 1;
}

/* PK-changing update: delete of the old key, insert of the new one. */
static int
encode_split(struct enc *e, const struct change_val *old,
    const struct change_val *nrow, const struct sbuf *okey,
    const struct sbuf *nkey, struct change_msg out[2])
{
	uint64_t op = 2 * (uint64_t)e->src->index;

	e->operation = "delete";
	e->row = old;
	e->sel = SEL_KEY;
	e->key = okey;
	e->kc_name = "key_change_to";
	e->kc_key = nkey;
	encode_msg(&out[0], e, op);
	e->operation = "insert";
	e->row = nrow;
	e->sel = SEL_ALL;
	e->key = nkey;
	e->kc_name = "key_change_from";
	e->kc_key = okey;
	encode_msg(&out[1], e, op + 1);
	return 2;
}

/* Same key: value = PK columns + changed columns (all if undiffable). */
static int
encode_update(struct enc *e, const struct change_val *old, int old_full,
    const struct change_val *nrow, const struct sbuf *key,
    struct change_msg out[2])
{
	char *mask;
	size_t i, nchanged = 0;

	e->operation = "update";
	e->row = nrow;
	e->key = key;
	if (old == NULL || !old_full) {
		e->sel = SEL_ALL;
		encode_msg(&out[0], e, 2 * (uint64_t)e->src->index);
		return 1;
	}
	mask = xcalloc(e->sh->ncols ? e->sh->ncols : 1, 1);
	for (i = 0; i < e->sh->ncols; i++)
		if (!same_val(&old[i], &nrow[i]) && nrow[i].kind != CHANGE_TOAST) {
			mask[i] = 1;
			nchanged++;
		}
	if (nchanged > 0) {
		e->sel = SEL_MASK;
		e->mask = mask;
		encode_msg(&out[0], e, 2 * (uint64_t)e->src->index);
	}
	free(mask);
	return nchanged > 0 ? 1 : 0;
}

static int
change_update(struct enc *e, const struct change_val *old, int old_full,
    const struct change_val *new_, struct change_msg out[2])
{
	struct change_val *nrow;
	struct sbuf okey, nkey;
	size_t i;
	int n;

	nrow = xcalloc(e->sh->ncols ? e->sh->ncols : 1, sizeof(*nrow));
	for (i = 0; i < e->sh->ncols; i++) {
		nrow[i] = new_[i];
		if (nrow[i].kind == CHANGE_TOAST && old != NULL && old_full)
			nrow[i] = old[i];
	}
	sbuf_init(&okey);
	sbuf_init(&nkey);
	change_key(&nkey, e->sh, nrow);
	if (old != NULL)
		change_key(&okey, e->sh, old);
	if (old != NULL && (okey.len != nkey.len ||
	    memcmp(okey.p, nkey.p, nkey.len) != 0))
		n = encode_split(e, old, nrow, &okey, &nkey, out);
	else
		n = encode_update(e, old, old_full, nrow, &nkey, out);
	sbuf_free(&okey);
	sbuf_free(&nkey);
	free(nrow);
	return n;
}

int
change_encode(const struct change_shape *sh, const struct change_src *src,
    char op, const struct change_val *old, int old_full,
    const struct change_val *new_, struct change_msg out[2])
{
	struct enc e = { sh, src, NULL, NULL, SEL_ALL, NULL, NULL, NULL, NULL };

	switch (op) {
	case 'I':
		if (new_ == NULL)
			return -1;
		e.operation = "insert";
		e.row = new_;
		return encode_single(&e, out);
	case 'U':
		if (new_ == NULL)
			return -1;
		return change_update(&e, old, old_full, new_, out);
	case 'D':
		if (old == NULL)
			return -1;
		e.operation = "delete";
		e.row = old;
		e.sel = SEL_KEY;
		return encode_single(&e, out);
	}
	return -1;
}

/* ---- snapshot ---- */

void
change_snapshot_row(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row)
{
	struct sbuf key;

	sbuf_init(&key);
	change_key(&key, sh, row);
	add_key(b, &key);
	sbuf_free(&key);
	add_value(b, sh, row, SEL_ALL, NULL);
	add_relation(b, "insert", sh);
	sbuf_adds(b, "}}");
}

void
change_subset_row(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row, uint32_t mark)
{
	change_snapshot_row(b, sh, row);
	b->len -= 2;		/* reopen the headers: drop "}}" */
	b->p[b->len] = '\0';
	sbuf_adds(b, ",\"snapshot_mark\":");
	sbuf_addu64(b, mark);
	sbuf_adds(b, "}}");
}

/* "xmin":"..","xmax":"..","xip_list":[".."] */
static void
add_snapshot(struct sbuf *b, uint64_t xmin, uint64_t xmax,
    const uint64_t *xip, size_t nxip)
{
	size_t i;

	sbuf_adds(b, "\"xmin\":\"");
	sbuf_addu64(b, xmin);
	sbuf_adds(b, "\",\"xmax\":\"");
	sbuf_addu64(b, xmax);
	sbuf_adds(b, "\",\"xip_list\":[");
	for (i = 0; i < nxip; i++) {
		if (i > 0)
			sbuf_addc(b, ',');
		sbuf_addc(b, '"');
		sbuf_addu64(b, xip[i]);
		sbuf_addc(b, '"');
	}
	sbuf_addc(b, ']');
}

void
change_snapshot_end(struct sbuf *b, uint64_t xmin, uint64_t xmax,
    const uint64_t *xip, size_t nxip)
{
	sbuf_adds(b, "{\"headers\":{\"control\":\"snapshot-end\",");
	add_snapshot(b, xmin, xmax, xip, nxip);
	sbuf_adds(b, "}}");
}

void
change_subset_open(struct sbuf *b, uint64_t xmin, uint64_t xmax,
    const uint64_t *xip, size_t nxip, uint64_t lsn, uint32_t mark)
{
	sbuf_adds(b, "{\"metadata\":{");
	add_snapshot(b, xmin, xmax, xip, nxip);
	sbuf_adds(b, ",\"database_lsn\":\"");
	sbuf_addu64(b, lsn);
	sbuf_adds(b, "\",\"snapshot_mark\":");
	sbuf_addu64(b, mark);
	sbuf_adds(b, "},\"data\":[");
}
