/*
 * change: encodes changes, snapshot rows and the snapshot-end message as
 * the exact JSON of PROTOCOL.md §6 (§6.4: replica=default and full,
 * columns= projection, WHERE transitions given by the caller as `in`).
 * Called by the consumer on the write path (once per change; readers never
 * re-encode) and by the snapshot.  Column values are the text Postgres
 * sent, copied as JSON strings; the key is built the same way on both
 * paths so that a row has one key whether it came from the snapshot or
 * the WAL.  Replication rows are full table rows, snapshot rows hold the
 * selected columns only; unselected columns are never written.
 * Member order: key, value, old_value; header order: operation, relation,
 * lsn, op_position, txids, key_change_to/from, last (change_set_last
 * appends it).
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

/* pk_cols, pk_sel and nsel from cols[]; the key columns must be selected. */
static int
shape_pk_index(struct change_shape *sh, char **err)
{
	size_t i, nsel = 0;
	int pk;

	sh->pk_cols = xcalloc(sh->npk ? sh->npk : 1, sizeof(size_t));
	sh->pk_sel = xcalloc(sh->npk ? sh->npk : 1, sizeof(size_t));
	for (i = 0; i < sh->npk; i++)
		sh->pk_cols[i] = (size_t)-1;
	for (i = 0; i < sh->ncols; i++) {
		if ((pk = sh->cols[i].pk) >= 0 &&
		    ((size_t)pk >= sh->npk || sh->pk_cols[pk] != (size_t)-1)) {
			*err = xstrdup("columns: bad primary-key indexes");
			return -1;
		}
		if (!sh->cols[i].sel && (pk >= 0 || sh->npk == 0)) {
			*err = xstrdup("columns: a key column is not selected");
			return -1;
		}
		if (pk >= 0) {
			sh->pk_cols[pk] = i;
			sh->pk_sel[pk] = nsel;
		}
		nsel += sh->cols[i].sel != 0;
	}
	sh->nsel = nsel;
	return 0;
}

static void key_ident(struct sbuf *, const char *);

/* The parts of every message that depend on the shape only, JSON-encoded
 * once: column names, the key's relation prefix, the relation header. */
static void
shape_json_parts(struct change_shape *sh)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	for (i = 0; i < sh->ncols; i++) {
		sbuf_reset(&b);
		sbuf_add_json_str(&b, sh->cols[i].name, strlen(sh->cols[i].name));
		sbuf_addc(&b, ':');
		sh->cols[i].jname = xstrdup(b.p);
		sh->cols[i].jname_len = b.len;
	}
	sbuf_reset(&b);
	key_ident(&b, sh->schema);
	sbuf_addc(&b, '.');
	key_ident(&b, sh->table);
	sbuf_init(&sh->key_json);
	sbuf_add_json_inner(&sh->key_json, b.p, b.len);
	sbuf_free(&b);
	sbuf_init(&sh->rel_json);
	sbuf_adds(&sh->rel_json, "\"relation\":[");
	sbuf_add_json_str(&sh->rel_json, sh->schema, strlen(sh->schema));
	sbuf_addc(&sh->rel_json, ',');
	sbuf_add_json_str(&sh->rel_json, sh->table, strlen(sh->table));
	sbuf_addc(&sh->rel_json, ']');
}

int
change_shape_init(struct change_shape *sh, const char *schema,
    const char *table, const char *columns_json, char **err)
{
	json_t *root, *c, *name, *pk, *sel;
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
		sel = json_object_get(c, "sel");
		if (!json_is_string(name) || !json_is_integer(pk) ||
		    (sel != NULL && !json_is_boolean(sel))) {
			sh->ncols = i;
			return shape_fail(err, root, "columns: bad column entry");
		}
		sh->cols[i].name = xstrdup(json_string_value(name));
		sh->cols[i].pk = json_integer_value(pk) < 0 ||
		    json_integer_value(pk) > 65535 ? -1 : (int)json_integer_value(pk);
		sh->cols[i].sel = sel == NULL || json_is_true(sel);
		if (sh->cols[i].pk >= 0)
			sh->npk++;
	}
	json_decref(root);
	shape_json_parts(sh);
	return shape_pk_index(sh, err);
}

void
change_shape_free(struct change_shape *sh)
{
	size_t i;

	for (i = 0; i < sh->ncols; i++) {
		free(sh->cols[i].name);
		free(sh->cols[i].jname);
	}
	free(sh->cols);
	sbuf_free(&sh->key_json);
	sbuf_free(&sh->rel_json);
	free(sh->pk_cols);
	free(sh->pk_sel);
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

/* The key of a full row (compact = 0) or of a row of the selected columns
 * only (compact = 1; on a PK-less table every column is selected, so both
 * rows are the same). */
static void
key_build(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row, int compact)
{
	size_t i;

	key_ident(b, sh->schema);
	sbuf_addc(b, '.');
	key_ident(b, sh->table);
	if (sh->npk > 0) {
		for (i = 0; i < sh->npk; i++)
			key_value(b, &row[compact ? sh->pk_sel[i] : sh->pk_cols[i]]);
	} else {
		for (i = 0; i < sh->ncols; i++)
			key_value(b, &row[i]);
	}
}

void
change_key(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row)
{
	key_build(b, sh, row, 0);
}

/* ---- message parts ---- */

/* Which selected columns go into an object: all of them, the key columns
 * (all on a PK-less table), the key columns plus mask[], mask[] only. */
enum col_sel { SEL_ALL, SEL_KEY, SEL_KEY_MASK, SEL_MASK };

static int
col_selected(const struct change_shape *sh, size_t i, enum col_sel sel,
    const char *mask)
{
	if (!sh->cols[i].sel)
		return 0;
	switch (sel) {
	case SEL_ALL:
		return 1;
	case SEL_KEY:
		return sh->npk == 0 || sh->cols[i].pk >= 0;
	case SEL_KEY_MASK:
		return sh->cols[i].pk >= 0 || mask[i];
	case SEL_MASK:
		return mask[i];
	}
	return 0;
}

/* ,"<field>":{...} (no comma when field is "value"): the chosen columns in
 * column order; unknown (TOAST) values are left out.  A compact row holds
 * the selected columns only (snapshot rows), a full row every column. */
static void
add_object(struct sbuf *b, const char *field, const struct change_shape *sh,
    const struct change_val *row, int compact, enum col_sel sel,
    const char *mask)
{
	const struct change_val *v;
	size_t i, j = 0;
	int first = 1;

	sbuf_adds(b, strcmp(field, "value") == 0 ? "\"" : ",\"");
	sbuf_adds(b, field);
	sbuf_adds(b, "\":{");
	for (i = 0; i < sh->ncols; i++) {
		if (!col_selected(sh, i, sel, mask)) {
			j += sh->cols[i].sel != 0;
			continue;
		}
		v = &row[compact ? j++ : i];
		if (v->kind == CHANGE_TOAST)
			continue;
		if (!first)
			sbuf_addc(b, ',');
		first = 0;
		sbuf_add(b, sh->cols[i].jname, sh->cols[i].jname_len);
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

/* {"key":"..", of a row of the selected columns, written as JSON directly:
 * the same bytes as add_key of key_build(compact = 1), without building
 * the raw key first (the snapshot's hot path). */
static void
add_key_json(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row)
{
	const struct change_val *v;
	const char *s, *e, *q;
	size_t i, n = sh->npk > 0 ? sh->npk : sh->ncols;

	sbuf_add(b, "{\"key\":\"", 8);
	sbuf_add(b, sh->key_json.p, sh->key_json.len);
	for (i = 0; i < n; i++) {
		v = &row[sh->npk > 0 ? sh->pk_sel[i] : i];
		if (v->kind != CHANGE_TEXT) {
			sbuf_add(b, "/_", 2);
			continue;
		}
		sbuf_add(b, "/\\\"", 3);
		for (s = v->s, e = v->s + v->len;
		    (q = memchr(s, '/', (size_t)(e - s))) != NULL; s = q + 1) {
			sbuf_add_json_inner(b, s, (size_t)(q - s));
			sbuf_add(b, "//", 2);
		}
		sbuf_add_json_inner(b, s, (size_t)(e - s));
		sbuf_add(b, "\\\"", 2);
	}
	sbuf_add(b, "\",", 2);
}

static void
add_relation(struct sbuf *b, const char *operation,
    const struct change_shape *sh)
{
	sbuf_adds(b, ",\"headers\":{\"operation\":\"");
	sbuf_adds(b, operation);
	sbuf_add(b, "\",", 2);
	sbuf_add(b, sh->rel_json.p, sh->rel_json.len);
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

/* One replication change message: value = sel/mask of row; old_value (if
 * old_row) = mask of old_row. */
struct enc {
	const struct change_shape	*sh;
	const struct change_src		*src;
	const char			*operation;
	const struct change_val		*row;
	enum col_sel			 sel;
	const char			*mask;
	const struct change_val		*old_row;
	const struct sbuf		*key;
	const char			*kc_name;
	const struct sbuf		*kc_key;
};

static void
encode_msg(struct change_msg *m, const struct enc *e, uint64_t op)
{
	sbuf_reset(&m->json);
	add_key(&m->json, e->key);
	add_object(&m->json, "value", e->sh, e->row, 0, e->sel, e->mask);
	if (e->old_row != NULL)
		add_object(&m->json, "old_value", e->sh, e->old_row, 0,
		    SEL_MASK, e->mask);
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

static uint64_t
enc_op(const struct enc *e)
{
	return 2 * (uint64_t)e->src->index;
}

/* The delete rule of §6.4: the key columns, or with replica=full the
 * whole old row (only when the old tuple has every column). */
static void
set_delete(struct enc *e, const struct change_val *old, int old_full)
{
	e->operation = "delete";
	e->row = old;
	e->sel = e->sh->replica_full && old_full ? SEL_ALL : SEL_KEY;
}

static void
set_insert(struct enc *e, const struct change_val *nrow)
{
	e->operation = "insert";
	e->row = nrow;
	e->sel = SEL_ALL;
}

/* A lone insert or delete (already set up in e) of row. */
static int
encode_single(struct enc *e, const struct change_val *row,
    struct change_msg out[2])
{
	struct sbuf key;

	sbuf_init(&key);
	change_key(&key, e->sh, row);
	e->key = &key;
	encode_msg(&out[0], e, enc_op(e));
	sbuf_free(&key);
	return 1;
}

/* PK-changing update: delete of the old key, insert of the new one. */
static int
encode_split(struct enc *e, const struct change_val *old, int old_full,
    const struct change_val *nrow, const struct sbuf *okey,
    const struct sbuf *nkey, struct change_msg out[2])
{
	set_delete(e, old, old_full);
	e->key = okey;
	e->kc_name = "key_change_to";
	e->kc_key = nkey;
	encode_msg(&out[0], e, enc_op(e));
	set_insert(e, nrow);
	e->key = nkey;
	e->kc_name = "key_change_from";
	e->kc_key = okey;
	encode_msg(&out[1], e, enc_op(e) + 1);
	return 2;
}

/* Same key.  replica=default: value = PK columns + changed selected
 * columns; replica=full: value = all selected columns, old_value = the old
 * values of the changed ones.  Without a full old tuple nothing can be
 * diffed: value = all selected columns, no old_value. */
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
		encode_msg(&out[0], e, enc_op(e));
		return 1;
	}
	mask = xcalloc(e->sh->ncols ? e->sh->ncols : 1, 1);
	for (i = 0; i < e->sh->ncols; i++)
		if (e->sh->cols[i].sel && nrow[i].kind != CHANGE_TOAST &&
		    !same_val(&old[i], &nrow[i])) {
			mask[i] = 1;
			nchanged++;
		}
	if (nchanged > 0) {
		e->sel = e->sh->replica_full ? SEL_ALL : SEL_KEY_MASK;
		e->mask = mask;
		e->old_row = e->sh->replica_full ? old : NULL;
		encode_msg(&out[0], e, enc_op(e));
	}
	free(mask);
	return nchanged > 0 ? 1 : 0;
}

/* Both rows in the shape: an update, or a delete+insert if the key
 * changed. */
static int
encode_both(struct enc *e, const struct change_val *old, int old_full,
    const struct change_val *nrow, struct change_msg out[2])
{
	struct sbuf okey, nkey;
	int n;

	sbuf_init(&okey);
	sbuf_init(&nkey);
	change_key(&nkey, e->sh, nrow);
	if (old != NULL)
		change_key(&okey, e->sh, old);
	if (old != NULL && (okey.len != nkey.len ||
	    memcmp(okey.p, nkey.p, nkey.len) != 0))
		n = encode_split(e, old, old_full, nrow, &okey, &nkey, out);
	else
		n = encode_update(e, old, old_full, nrow, &nkey, out);
	sbuf_free(&okey);
	sbuf_free(&nkey);
	return n;
}

/* An update: unchanged TOAST values of the new tuple are filled from a
 * full old tuple, then `in` picks update, insert, delete or nothing.
 * Without an old tuple the key did not change and the new row stands in
 * for the old one (key columns only). */
static int
change_update(struct enc *e, const struct change_val *old, int old_full,
    const struct change_val *new_, int in, struct change_msg out[2])
{
	struct change_val *nrow;
	size_t i;
	int n = 0;

	if (!(in & (CHANGE_IN_OLD | CHANGE_IN_NEW)))
		return 0;
	nrow = xcalloc(e->sh->ncols ? e->sh->ncols : 1, sizeof(*nrow));
	for (i = 0; i < e->sh->ncols; i++) {
		nrow[i] = new_[i];
		if (nrow[i].kind == CHANGE_TOAST && old != NULL && old_full)
			nrow[i] = old[i];
	}
	if ((in & CHANGE_IN_OLD) && (in & CHANGE_IN_NEW))
		n = encode_both(e, old, old_full, nrow, out);
	else if (in & CHANGE_IN_NEW) {
		set_insert(e, nrow);
		n = encode_single(e, nrow, out);
	} else if (old != NULL) {
		set_delete(e, old, old_full);
		n = encode_single(e, old, out);
	} else {
		set_delete(e, nrow, 0);
		n = encode_single(e, nrow, out);
	}
	free(nrow);
	return n;
}

int
change_encode(const struct change_shape *sh, const struct change_src *src,
    char op, const struct change_val *old, int old_full,
    const struct change_val *new_, int in, struct change_msg out[2])
{
	struct enc e;

	memset(&e, 0, sizeof(e));
	e.sh = sh;
	e.src = src;
	switch (op) {
	case 'I':
		if (new_ == NULL)
			return -1;
		set_insert(&e, new_);
		return encode_single(&e, new_, out);
	case 'U':
		if (new_ == NULL)
			return -1;
		return change_update(&e, old, old_full, new_, in, out);
	case 'D':
		if (old == NULL)
			return -1;
		set_delete(&e, old, old_full);
		return encode_single(&e, old, out);
	}
	return -1;
}

/* ---- snapshot ---- */

void
change_snapshot_row(struct sbuf *b, const struct change_shape *sh,
    const struct change_val *row)
{
	add_key_json(b, sh, row);
	add_object(b, "value", sh, row, 1, SEL_ALL, NULL);
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
