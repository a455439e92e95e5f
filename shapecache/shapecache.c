/*
 * shapecache: owns shape definitions and handles (the seed's ShapeCache and
 * ShapeStatus).  http asks it to resolve a request (MSG_SHAPE_REQ); it
 * validates the table against the live catalog, finds or creates the shape
 * (publication + REPLICA IDENTITY FULL first, then the meta.db row, then
 * MSG_SPAWN to the root for its consumer) and answers MSG_SHAPE_REPLY.
 * At start it loads every shape from meta.db and asks the root to start
 * their consumers.  Handles are "<27-bit hash>-<unix µs>" and never reused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "catalog.h"
#include "config.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "shapelog.h"

#define SC_NAME_CACHE_MS 10000

struct sc_shape {
	char		*handle;
	char		*definition;
	char		*schema;
	char		*table;
	char		*electric_schema;
	struct sc_shape	*next;
};

/* table parameter -> definition, so repeated requests skip the catalog */
struct sc_name {
	char		*param;
	char		*definition;
	uint64_t	 at_ms;
	struct sc_name	*next;
};

static struct event_base *sc_base;
static struct chan *sc_root;
static struct sqlite3 *sc_db;
static PGconn *sc_pg;
static struct sc_shape *sc_shapes;
static struct sc_name *sc_names;

static struct sc_shape *
sc_find_handle(const char *handle)
{
	struct sc_shape *s;

	for (s = sc_shapes; s != NULL; s = s->next)
		if (strcmp(s->handle, handle) == 0)
			return s;
	return NULL;
}

static struct sc_shape *
sc_find_def(const char *def)
{
	struct sc_shape *s;

	for (s = sc_shapes; s != NULL; s = s->next)
		if (strcmp(s->definition, def) == 0)
			return s;
	return NULL;
}

static struct sc_shape *
sc_add(const char *handle, const char *def, const char *schema,
    const char *table, const char *es)
{
	struct sc_shape *s = xcalloc(1, sizeof(*s));

	s->handle = xstrdup(handle);
	s->definition = xstrdup(def);
	s->schema = xstrdup(schema);
	s->table = xstrdup(table);
	s->electric_schema = xstrdup(es);
	s->next = sc_shapes;
	sc_shapes = s;
	return s;
}

static void
sc_spawn(const char *handle)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_str(&m, handle);
	if (chan_sendm(sc_root, MSG_SPAWN, 0, &m) == -1)
		_exit(0);
	mbuf_free(&m);
}

static PGconn *
sc_pg_conn(void)
{
	static const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", NULL };
	const char *vals[] = { cfg.database_url, "5", "electricd_shapecache", NULL };

	if (sc_pg != NULL && PQstatus(sc_pg) == CONNECTION_OK)
		return sc_pg;
	if (sc_pg != NULL)
		PQfinish(sc_pg);
	sc_pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(sc_pg) != CONNECTION_OK) {
		log_warnx("cannot connect to Postgres: %s", PQerrorMessage(sc_pg));
		PQfinish(sc_pg);
		sc_pg = NULL;
	}
	return sc_pg;
}

/* The identity of a whole-table shape (PROTOCOL.md §4.1). */
static char *
sc_definition(const struct catalog_table *t)
{
	return xasprintf("v1|%u|\"%s\".\"%s\"|pk=%s|cols=*|replica=default|log=full",
	    t->relid, t->schema, t->table, t->pk);
}

static char *
sc_new_handle(const char *def)
{
	char *h;

	for (;;) {
		h = xasprintf("%llu-%llu",
		    (unsigned long long)(hash64(def, strlen(def)) & 0x7ffffff),
		    (unsigned long long)now_us());
		if (sc_find_handle(h) == NULL)
			return h;
		free(h);
	}
}

static struct sc_shape *
sc_create(const struct catalog_table *t, const char *def, char **err)
{
	struct meta_shape m;
	struct sc_shape *s;
	char *handle;

	if (catalog_publish(sc_pg, cfg.publication, t, err) == -1)
		return NULL;
	handle = sc_new_handle(def);
	memset(&m, 0, sizeof(m));
	m.handle = handle;
	m.schema_name = t->schema;
	m.table_name = t->table;
	m.relid = t->relid;
	m.columns = t->columns;
	m.electric_schema = t->electric_schema;
	m.definition = (char *)def;
	m.state = "creating";
	m.created_us = now_us();
	if (meta_shape_insert(sc_db, &m) == -1) {
		*err = xstrdup("cannot record the shape in meta.db");
		free(handle);
		return NULL;
	}
	s = sc_add(handle, def, t->schema, t->table, t->electric_schema);
	log_info("created shape %s for \"%s\".\"%s\"", handle, t->schema, t->table);
	free(handle);
	sc_spawn(s->handle);
	return s;
}

static const char *
sc_name_lookup(const char *param)
{
	struct sc_name *n;

	for (n = sc_names; n != NULL; n = n->next)
		if (strcmp(n->param, param) == 0 &&
		    mono_ms() - n->at_ms < SC_NAME_CACHE_MS)
			return n->definition;
	return NULL;
}

static void
sc_name_remember(const char *param, const char *def)
{
	struct sc_name *n;

	for (n = sc_names; n != NULL; n = n->next)
		if (strcmp(n->param, param) == 0)
			break;
	if (n == NULL) {
		n = xcalloc(1, sizeof(*n));
		n->param = xstrdup(param);
		n->next = sc_names;
		sc_names = n;
	} else {
		free(n->definition);
	}
	n->definition = xstrdup(def);
	n->at_ms = mono_ms();
}

struct sc_answer {
	int		 status;
	const struct sc_shape *shape;
	char		*error;
};

/* Finds (or creates) the shape for a table parameter. */
static void
sc_resolve(const char *param, int create, struct sc_answer *a)
{
	struct catalog_table t;
	const char *cached;
	char *def;

	if ((cached = sc_name_lookup(param)) != NULL &&
	    (a->shape = sc_find_def(cached)) != NULL) {
		a->status = 200;
		return;
	}
	if (sc_pg_conn() == NULL) {
		a->status = 503;
		a->error = xstrdup("Cannot connect to the database to verify the "
		    "shape. Please try again later.");
		return;
	}
	switch (catalog_lookup(sc_pg, param, &t, &a->error)) {
	case CATALOG_INVALID:
		a->status = 400;
		return;
	case CATALOG_DB_ERROR:
		log_warnx("catalog lookup of %s: %s", param, a->error);
		free(a->error);
		a->error = xstrdup("Cannot connect to the database to verify the "
		    "shape. Please try again later.");
		a->status = 503;
		return;
	case CATALOG_OK:
		break;
	}
	def = sc_definition(&t);
	sc_name_remember(param, def);
	a->shape = sc_find_def(def);
	if (a->shape == NULL && create && (a->shape = sc_create(&t, def, &a->error)) == NULL) {
		log_warnx("creating a shape on %s failed: %s", param, a->error);
		a->status = 503;
	} else {
		a->status = a->shape != NULL ? 200 : 404;
	}
	free(def);
	catalog_table_free(&t);
}

static void
sc_on_shape_req(struct chan *c, const struct frame *f)
{
	struct sc_answer a = { 0, NULL, NULL };
	struct mreader r;
	struct mbuf m;
	char *param, *handle;
	uint8_t flags;

	mr_init(&r, f->data, f->len);
	param = mr_str(&r);
	handle = mr_str(&r);
	flags = mr_u8(&r);
	if (r.err) {
		a.status = 400;
		a.error = xstrdup("malformed request");
	} else {
		sc_resolve(param, flags & 1, &a);
	}
	mbuf_init(&m);
	mbuf_u16(&m, (uint16_t)a.status);
	mbuf_u8(&m, a.shape != NULL && *handle && strcmp(handle, a.shape->handle) == 0);
	mbuf_str(&m, a.shape ? a.shape->handle : "");
	mbuf_str(&m, a.shape ? a.shape->schema : "");
	mbuf_str(&m, a.shape ? a.shape->table : "");
	mbuf_str(&m, a.shape ? a.shape->electric_schema : "");
	mbuf_str(&m, a.error ? a.error : "");
	if (chan_sendm(c, MSG_SHAPE_REPLY, f->id, &m) == -1)
		log_debug("http went away");
	mbuf_free(&m);
	free(a.error);
	free(param);
	free(handle);
}

static void
sc_on_client_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{
	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_SHAPE_REQ)
		sc_on_shape_req(c, f);
	else
		log_warnx("unexpected %s from %s", msg_name(f->type),
		    chan_peer_role(c) ? chan_peer_role(c) : "?");
}

static void
sc_on_client_close(struct chan *c, int error UNUSED, void *arg UNUSED)
{
	chan_free(c);
}

static void
sc_on_accept(evutil_socket_t lfd, short ev UNUSED, void *arg UNUSED)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if (chan_new(sc_base, fd, "shapecache", FRAME_MAX_DEFAULT,
	    sc_on_client_frame, sc_on_client_close, NULL) == NULL)
		log_warnx("cannot set up a client channel");
}

/* ---- electricctl "shapes", forwarded by the root ---- */

static json_t *
sc_shape_json(const struct sc_shape *s)
{
	struct shapelog_state st;
	struct offset last;
	char off[OFFSET_STRLEN], *dir;

	dir = xasprintf("%s/%s", cfg.shapes_dir, s->handle);
	memset(&st, 0, sizeof(st));
	if (shapelog_read_state(dir, &st) == -1)
		memset(&st, 0, sizeof(st));
	free(dir);
	shapelog_last(&st, &last);
	return json_pack("{s:s,s:o,s:s,s:s,s:I}", "handle", s->handle,
	    "table", json_sprintf("\"%s\".\"%s\"", s->schema, s->table),
	    "state", st.snap_done ? "active" : "snapshotting",
	    "latest_offset", offset_fmt(&last, off),
	    "log_entries", (json_int_t)st.log_entries);
}

static void
sc_on_root_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{
	struct sc_shape *s;
	struct mbuf m;
	json_t *list, *o;
	char *out;

	if (f->fd != -1)
		close(f->fd);
	if (f->type != MSG_CTL_REQ)
		return;
	list = json_array();
	for (s = sc_shapes; s != NULL; s = s->next)
		json_array_append_new(list, sc_shape_json(s));
	o = json_pack("{s:o}", "shapes", list);
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	mbuf_init(&m);
	mbuf_u16(&m, 0);
	mbuf_str(&m, out);
	if (chan_sendm(c, MSG_CTL_REPLY, f->id, &m) == -1)
		_exit(0);
	mbuf_free(&m);
	free(out);
}

static int
sc_load_one(const struct meta_shape *m, void *arg UNUSED)
{
	sc_add(m->handle, m->definition, m->schema_name, m->table_name,
	    m->electric_schema);
	sc_spawn(m->handle);
	return 0;
}

int
shapecache_main(void)
{
	struct event *ev;
	char *path;
	int fd;

	sc_base = proc_init("shapecache", NULL);
	sc_root = proc_root_chan(sc_base, "shapecache", sc_on_root_frame, NULL);
	proc_signals(sc_base, NULL, NULL);
	if ((sc_db = meta_open(cfg.meta_path)) == NULL)
		fatalx("cannot open %s", cfg.meta_path);
	if (meta_shape_each(sc_db, sc_load_one, NULL) == -1)
		fatalx("cannot load shapes from %s", cfg.meta_path);
	path = config_sock_path("shapecache");
	if ((fd = unix_listen(path)) == -1)
		fatal("listen %s", path);
	free(path);
	ev = event_new(sc_base, fd, EV_READ | EV_PERSIST, sc_on_accept, NULL);
	event_add(ev, NULL);
	sc_pg_conn();
	proc_ready(sc_root);
	event_base_dispatch(sc_base);
	return 1;
}
