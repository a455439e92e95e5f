/*
 * meta: the shared SQLite metadata file (see meta.h).  Opened separately by
 * each process that needs it (shapecache writes shape rows; consumers
 * update their snapshot and offset fields).  WAL mode and a busy timeout
 * let those writers interleave.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "meta.h"

static const char meta_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS shapes ("
    " handle TEXT PRIMARY KEY, hash INTEGER, schema_name TEXT NOT NULL,"
    " table_name TEXT NOT NULL, relid INTEGER, columns TEXT NOT NULL,"
    " electric_schema TEXT NOT NULL, definition TEXT NOT NULL,"
    " state TEXT NOT NULL, snapshot_xmin INTEGER DEFAULT 0,"
    " snapshot_started INTEGER DEFAULT 0, latest_tx INTEGER DEFAULT 0,"
    " latest_op INTEGER DEFAULT 0, created_us INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS shapes_def ON shapes(definition);"
    /* meta_shape_each's order at start, without sorting every row */
    "CREATE INDEX IF NOT EXISTS shapes_created ON shapes(created_us);"
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT);";

/* Columns added after the first release of the schema, added to older
 * files at open ("duplicate column" means it is there already). */
static const char *const meta_migrations[] = {
	"ALTER TABLE shapes ADD COLUMN log_mode INTEGER NOT NULL DEFAULT 0",
	"ALTER TABLE shapes ADD COLUMN where_text TEXT NOT NULL DEFAULT ''",
	"ALTER TABLE shapes ADD COLUMN params TEXT NOT NULL DEFAULT '[]'",
	"ALTER TABLE shapes ADD COLUMN replica INTEGER NOT NULL DEFAULT 0",
};

#define META_COLS "handle, schema_name, table_name, relid, columns, " \
    "electric_schema, definition, state, snapshot_xmin, snapshot_started, " \
    "latest_tx, latest_op, created_us, log_mode, where_text, params, replica"

static int
meta_migrate(sqlite3 *db, char **err)
{
	size_t i;

	for (i = 0; i < sizeof(meta_migrations) / sizeof(meta_migrations[0]); i++) {
		if (sqlite3_exec(db, meta_migrations[i], NULL, NULL, err) == SQLITE_OK)
			continue;
		if (strstr(*err, "duplicate column") == NULL)
			return -1;
		sqlite3_free(*err);
		*err = NULL;
	}
	return 0;
}

struct sqlite3 *
meta_open(const char *path)
{
	sqlite3 *db;
	char *err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("meta: open %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, meta_schema, NULL, NULL, &err) != SQLITE_OK ||
	    meta_migrate(db, &err) == -1) {
		log_warnx("meta: schema: %s", err);
		sqlite3_free(err);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

struct sqlite3 *
meta_attach(const char *path)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("meta: open %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	return db;
}

void
meta_close(struct sqlite3 *db)
{
	sqlite3_close(db);
}

void
meta_shape_free(struct meta_shape *s)
{
	free(s->handle);
	free(s->schema_name);
	free(s->table_name);
	free(s->columns);
	free(s->electric_schema);
	free(s->definition);
	free(s->state);
	free(s->where_text);
	free(s->params);
	memset(s, 0, sizeof(*s));
}

static sqlite3_stmt *
meta_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("meta: prepare: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

static char *
meta_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return xstrdup(t ? (const char *)t : "");
}

static void
meta_row(sqlite3_stmt *st, struct meta_shape *s)
{
	s->handle = meta_col_str(st, 0);
	s->schema_name = meta_col_str(st, 1);
	s->table_name = meta_col_str(st, 2);
	s->relid = (uint32_t)sqlite3_column_int64(st, 3);
	s->columns = meta_col_str(st, 4);
	s->electric_schema = meta_col_str(st, 5);
	s->definition = meta_col_str(st, 6);
	s->state = meta_col_str(st, 7);
	s->snapshot_xmin = (uint64_t)sqlite3_column_int64(st, 8);
	s->snapshot_started = sqlite3_column_int(st, 9);
	s->latest_tx = (uint64_t)sqlite3_column_int64(st, 10);
	s->latest_op = (uint64_t)sqlite3_column_int64(st, 11);
	s->created_us = (uint64_t)sqlite3_column_int64(st, 12);
	s->log_mode = sqlite3_column_int(st, 13);
	s->where_text = meta_col_str(st, 14);
	s->params = meta_col_str(st, 15);
	s->replica_full = sqlite3_column_int(st, 16);
}

int
meta_shape_get(struct sqlite3 *db, const char *handle, struct meta_shape *s)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = meta_prepare(db, "SELECT " META_COLS
	    " FROM shapes WHERE handle = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		meta_row(st, s);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 1;
	} else {
		log_warnx("meta: get %s: %s", handle, sqlite3_errmsg(db));
		rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs a prepared statement to completion; 0 or -1. */
static int
meta_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("meta: %s: %s", what, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

const char *
meta_errmsg(struct sqlite3 *db)
{
	return sqlite3_errmsg(db);
}

int
meta_shape_insert(struct sqlite3 *db, const struct meta_shape *s)
{
	sqlite3_stmt *st;

	if ((st = meta_prepare(db, "INSERT INTO shapes (" META_COLS
	    ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, s->handle, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->schema_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->table_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->relid);
	sqlite3_bind_text(st, 5, s->columns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s->electric_schema, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s->definition, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)s->snapshot_xmin);
	sqlite3_bind_int(st, 10, s->snapshot_started);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)s->latest_tx);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)s->latest_op);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)s->created_us);
	sqlite3_bind_int(st, 14, s->log_mode);
	sqlite3_bind_text(st, 15, s->where_text ? s->where_text : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 16, s->params ? s->params : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 17, s->replica_full);
	return meta_done(db, st, "insert");
}

int
meta_shape_set_state(struct sqlite3 *db, const char *handle, const char *state)
{
	sqlite3_stmt *st;

	if ((st = meta_prepare(db, "UPDATE shapes SET state = ? WHERE handle = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, handle, -1, SQLITE_STATIC);
	return meta_done(db, st, "set state");
}

int
meta_shape_set_snapshot(struct sqlite3 *db, const char *handle, uint64_t xmin,
    int started)
{
	sqlite3_stmt *st;

	if ((st = meta_prepare(db, "UPDATE shapes SET snapshot_xmin = ?, "
	    "snapshot_started = ? WHERE handle = ?")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)xmin);
	sqlite3_bind_int(st, 2, started);
	sqlite3_bind_text(st, 3, handle, -1, SQLITE_STATIC);
	return meta_done(db, st, "set snapshot");
}

int
meta_shape_set_latest(struct sqlite3 *db, const char *handle, uint64_t tx,
    uint64_t op)
{
	sqlite3_stmt *st;

	if ((st = meta_prepare(db, "UPDATE shapes SET latest_tx = ?, latest_op = ? "
	    "WHERE handle = ?")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)tx);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)op);
	sqlite3_bind_text(st, 3, handle, -1, SQLITE_STATIC);
	return meta_done(db, st, "set latest");
}

int
meta_shape_delete(struct sqlite3 *db, const char *handle)
{
	sqlite3_stmt *st;

	if ((st = meta_prepare(db, "DELETE FROM shapes WHERE handle = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	return meta_done(db, st, "delete");
}

int
meta_shape_each(struct sqlite3 *db, int (*fn)(const struct meta_shape *, void *),
    void *arg)
{
	sqlite3_stmt *st;
	struct meta_shape s;
	int rc, stop = 0;

	if ((st = meta_prepare(db, "SELECT " META_COLS " FROM shapes "
	    "WHERE state <> 'deleted' ORDER BY created_us")) == NULL)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&s, 0, sizeof(s));
		meta_row(st, &s);
		stop = fn(&s, arg) == -1;
		meta_shape_free(&s);
	}
	sqlite3_finalize(st);
	return stop ? -1 : 0;
}

int
meta_kv_get(struct sqlite3 *db, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = meta_prepare(db, "SELECT value FROM kv WHERE key = ?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = meta_col_str(st, 0);
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_finalize(st);
	return rc;
}

int
meta_kv_set(struct sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st;

	if ((st = meta_prepare(db, "INSERT INTO kv (key, value) VALUES (?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return meta_done(db, st, "kv set");
}
