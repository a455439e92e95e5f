/*
 * shapecache: owns shape definitions and handles (the seed's ShapeCache and
 * ShapeStatus).  http asks it to resolve a request (MSG_SHAPE_REQ); it
 * validates the table against the live catalog, finds or creates the shape
 * (publication + REPLICA IDENTITY FULL first, then the meta.db row, then
 * MSG_SPAWN to the root for its consumer) and answers MSG_SHAPE_REPLY.
 * At start it loads every shape from meta.db and asks the root to start
 * their consumers, except suspended ones (scwake.c wakes those).  Handles are "<27-bit hash>-<unix µs>" and never reused.
 *
 * Deleting a shape (DELETE /v1/shape, or a TRUNCATE reported by the
 * collector) removes its meta row, stops its consumer, tells the collector
 * to forget it (releasing what it held back), tells every http process
 * (MSG_SHAPE_GONE: its clients get 409) and removes its files.  The next
 * request for the definition creates a new handle.
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
#include "failed.h"
#include "frame.h"
#include "htab.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "scshape.h"
#include "scwake.h"
#include "shapedef.h"
#include "shapelog.h"
#include "shapereq.h"

#define SC_NAME_CACHE_MS 10000
#define SC_RETRY_MS	 200
#define SC_RECONCILE_MS	 15000

/* table parameter -> definition, so repeated requests skip the catalog */
struct sc_name {
	char		*param;
	char		*definition;
	uint64_t	 at_ms;
};

static struct event_base *sc_base;
static struct chan *sc_root;
static struct sqlite3 *sc_db;
static PGconn *sc_pg;
static struct htab sc_names;		/* param -> struct sc_name */
static size_t sc_names_swept;		/* entries after the last sweep */
static struct chan *sc_col;		/* to the collector */
static struct event *sc_col_timer;
static char **sc_forgets;		/* FORGETs waiting for the collector */
static size_t sc_nforgets;

/* http processes connected to us, told when a shape is gone */
struct sc_peer {
	struct chan	*chan;
	struct sc_peer	*next;
};
static struct sc_peer *sc_peers;

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
	/* Publishing a table takes locks: a session holding one must cost a
	 * quick 503 for that shape, not stall every other shape's creation
	 * (shapecache answers one request at a time). */
	static const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", "options", NULL };
	const char *vals[] = { cfg.database_url, "5", "electricd_shapecache",
	    "-c lock_timeout=2000 -c statement_timeout=10000", NULL };
	char *err;

	if (sc_pg != NULL && PQstatus(sc_pg) == CONNECTION_OK)
		return sc_pg;
	if (sc_pg != NULL)
		PQfinish(sc_pg);
	sc_pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(sc_pg) != CONNECTION_OK) {
		log_warnx("cannot connect to Postgres: %s", PQerrorMessage(sc_pg));
		PQfinish(sc_pg);
		sc_pg = NULL;
	} else if (catalog_prepare(sc_pg, &err) == -1) {
		log_warnx("catalog: %s", err);
		free(err);
		PQfinish(sc_pg);
		sc_pg = NULL;
	}
	return sc_pg;
}

static char *
sc_new_handle(const char *def)
{
	char *h;

	for (;;) {
		h = xasprintf("%llu-%llu",
		    (unsigned long long)(hash64(def, strlen(def)) & 0x7ffffff),
		    (unsigned long long)now_us());
		if (scshape_by_handle(h) == NULL)
			return h;
		free(h);
	}
}

static struct sc_shape *
sc_create(const struct catalog_table *t, const struct shapedef *d, char **err)
{
	const char *def = d->definition;
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
	m.columns = d->columns;
	m.electric_schema = d->electric_schema;
	m.definition = (char *)def;
	m.state = "creating";
	m.created_us = now_us();
	m.log_mode = d->log_mode;
	m.where_text = d->where_text;
	m.params = d->params;
	m.replica_full = d->replica_full;
	if (meta_shape_insert(sc_db, &m) == -1) {
		*err = xasprintf("Storage error: cannot record the shape in "
		    "meta.db: %s", meta_errmsg(sc_db));
		free(handle);
		return NULL;
	}
	s = scshape_add(handle, def, t->schema, t->table, d->electric_schema, t->relid);
	log_info("created shape %s for \"%s\".\"%s\"%s%s", handle, t->schema,
	    t->table, *d->where_sql ? " where " : "", d->where_sql);
	free(handle);
	sc_spawn(s->handle);
	return s;
}

static const char *
sc_name_lookup(const char *param)
{
	struct sc_name *n = htab_gets(&sc_names, param);

	if (n != NULL && mono_ms() - n->at_ms < SC_NAME_CACHE_MS)
		return n->definition;
	return NULL;
}

/* Drops the expired entries once the cache has doubled since the last
 * sweep: O(1) amortised, and memory bounded by the keys of 10 s. */
static void
sc_name_sweep(void)
{
	struct htab_iter it;
	struct sc_name *n;

	if (htab_count(&sc_names) < 2 * sc_names_swept + 1024)
		return;
	htab_iter_init(&it, &sc_names);
	while ((n = htab_next(&it)) != NULL)
		if (mono_ms() - n->at_ms >= SC_NAME_CACHE_MS) {
			htab_dels(&sc_names, n->param);
			free(n->param);
			free(n->definition);
			free(n);
		}
	sc_names_swept = htab_count(&sc_names);
}

static void
sc_name_remember(const char *param, const char *def)
{
	struct sc_name *n = htab_gets(&sc_names, param);

	if (n == NULL) {
		sc_name_sweep();
		n = xcalloc(1, sizeof(*n));
		n->param = xstrdup(param);
		htab_puts(&sc_names, n->param, n);
	} else {
		free(n->definition);
	}
	n->definition = xstrdup(def);
	n->at_ms = mono_ms();
}

static void sc_drop_recreated(const struct catalog_table *);
struct sc_answer;
static void sc_resolve_catalog(const struct shape_req *, const char *,
    struct sc_answer *);

struct sc_answer {
	int		 status;
	const struct sc_shape *shape;
	char		*error;
	char		*field;		/* of a 400 */
};

/* Finds (or creates, with SHAPEREQ_CREATE) the shape of a definition. */
static void
sc_resolve(const struct shape_req *q, struct sc_answer *a)
{
	const char *cached;
	char *key = shape_req_key(q);

	cached = sc_name_lookup(key);
	if (cached != NULL && (a->shape = scshape_by_def(cached)) != NULL) {
		a->status = 200;
		free(key);
		return;
	}
	sc_resolve_catalog(q, key, a);
	free(key);
}

static void
sc_resolve_catalog(const struct shape_req *q, const char *key,
    struct sc_answer *a)
{
	const char *param = q->table;
	struct catalog_table t;
	struct shapedef d;
	enum catalog_result r;

	if (sc_pg_conn() == NULL) {
		a->status = 503;
		a->error = xstrdup("Cannot connect to the database to verify the "
		    "shape. Please try again later.");
		return;
	}
	r = catalog_lookup(sc_pg, cfg.publication, param, &t,
	    &a->error);
	if (r == CATALOG_DB_ERROR && PQstatus(sc_pg) != CONNECTION_OK &&
	    sc_pg_conn() != NULL) {
		/* The idle connection had died (e.g. Postgres restarted):
		 * one retry on a new one. */
		free(a->error);
		a->error = NULL;
		r = catalog_lookup(sc_pg, cfg.publication, param, &t,
		    &a->error);
	}
	switch (r) {
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
	sc_drop_recreated(&t);
	if (shapedef_build(&t, q, &d, &a->field, &a->error) == -1 ||
	    (scshape_by_def(d.definition) == NULL &&
	    failed_lookup(d.definition, &a->field, &a->error))) {
		a->status = 400;
		shapedef_free(&d);
		catalog_table_free(&t);
		return;
	}
	sc_name_remember(key, d.definition);
	a->shape = scshape_by_def(d.definition);
	if (a->shape == NULL && (q->flags & SHAPEREQ_CREATE) &&
	    (a->shape = sc_create(&t, &d, &a->error)) == NULL) {
		log_warnx("creating a shape on %s failed: %s", param, a->error);
		if (strncmp(a->error, "Cannot publish table ", 21) != 0 &&
		    strncmp(a->error, "Storage error: ", 15) != 0) {
			free(a->error);
			a->error = xstrdup("Failed to create shape, please retry");
		}
		a->status = 503;
	} else {
		a->status = a->shape != NULL ? 200 : 404;
	}
	shapedef_free(&d);
	catalog_table_free(&t);
}

static void
sc_on_shape_req(struct chan *c, const struct frame *f)
{
	struct sc_answer a = { 0, NULL, NULL, NULL };
	struct shape_req q;
	struct mbuf m;
	const char *handle;

	if (shape_req_decode(f->data, f->len, &q) == -1) {
		a.status = 400;
		a.error = xstrdup("malformed request");
	} else {
		sc_resolve(&q, &a);
	}
	handle = q.handle != NULL ? q.handle : "";
	if (a.shape != NULL && (q.flags & SHAPEREQ_LIVE))
		scwake_live(a.shape->handle);
	mbuf_init(&m);
	mbuf_u16(&m, (uint16_t)a.status);
	mbuf_u8(&m, a.shape != NULL && *handle && strcmp(handle, a.shape->handle) == 0);
	mbuf_str(&m, a.shape ? a.shape->handle : "");
	mbuf_str(&m, a.shape ? a.shape->schema : "");
	mbuf_str(&m, a.shape ? a.shape->table : "");
	mbuf_str(&m, a.shape ? a.shape->electric_schema : "");
	mbuf_str(&m, a.error ? a.error : "");
	mbuf_str(&m, a.field ? a.field : "");
	if (chan_sendm(c, MSG_SHAPE_REPLY, f->id, &m) == -1)
		log_debug("http went away");
	mbuf_free(&m);
	free(a.error);
	free(a.field);
	shape_req_free(&q);
}

/* ---- deletion: DELETE /v1/shape and invalidation ---- */

static void
sc_send_str(struct chan *c, uint16_t type, const char *str)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_str(&m, str);
	if (c != NULL && chan_sendm(c, type, 0, &m) == -1)
		log_debug("peer gone while sending %s", msg_name(type));
	mbuf_free(&m);
}

static void
sc_flush_forgets(void)
{
	size_t i;

	if (sc_nforgets == 0)
		return;
	for (i = 0; sc_col != NULL && i < sc_nforgets; i++) {
		sc_send_str(sc_col, MSG_FORGET, sc_forgets[i]);
		free(sc_forgets[i]);
	}
	memmove(sc_forgets, sc_forgets + i, (sc_nforgets - i) * sizeof(char *));
	sc_nforgets -= i;
}

static void
sc_delete(struct sc_shape *s, const char *why)
{
	struct sc_peer *p;
	char *dir;

	log_info("deleting shape %s (%s)", s->handle, why);
	if (meta_shape_delete(sc_db, s->handle) == -1)
		log_warnx("meta: cannot delete %s", s->handle);
	sc_send_str(sc_root, MSG_STOP_CONSUMER, s->handle);
	sc_forgets = xrealloc(sc_forgets, (sc_nforgets + 1) * sizeof(char *));
	sc_forgets[sc_nforgets++] = xstrdup(s->handle);
	sc_flush_forgets();
	for (p = sc_peers; p != NULL; p = p->next)
		sc_send_str(p->chan, MSG_SHAPE_GONE, s->handle);
	dir = xasprintf("%s/%s", cfg.shapes_dir, s->handle);
	if (rm_rf(dir) == -1)
		log_warn("remove %s", dir);
	free(dir);
	scshape_free(s);
}

static void
sc_delete_reply(struct chan *c, uint32_t id, int status, const char *msg)
{
	struct mbuf m;

	mbuf_init(&m);
	mbuf_u16(&m, (uint16_t)status);
	mbuf_str(&m, msg);
	if (chan_sendm(c, MSG_SHAPE_DELETE_REPLY, id, &m) == -1)
		log_debug("http went away");
	mbuf_free(&m);
}

/* Finds the shape a DELETE names: by definition (table [+ handle]) or by
 * handle alone.  Returns the reply status; 200 means *out is set. */
static int
sc_delete_target(const struct shape_req *q, struct sc_shape **out, char **msg)
{
	struct sc_answer a = { 0, NULL, NULL, NULL };
	const char *table = q->table, *handle = q->handle;

	*out = NULL;
	if (*table == '\0' && *handle == '\0') {
		*msg = xstrdup("handle can't be blank when shape definition is "
		    "missing");
		return 400;
	}
	if (*table == '\0') {
		*out = scshape_by_handle(handle);
	} else {
		sc_resolve(q, &a);
		free(a.field);
		if (a.status != 200 && a.status != 404) {
			*msg = a.error ? a.error : xstrdup("");
			return a.status;
		}
		free(a.error);
		*out = (struct sc_shape *)a.shape;
		if (*out != NULL && *handle != '\0' &&
		    strcmp(handle, (*out)->handle) != 0) {
			*msg = xstrdup("The specified shape definition and handle "
			    "do not match. Please ensure the shape definition is "
			    "correct or omit the shape handle from the request to "
			    "obtain a new one.");
			return 400;
		}
	}
	if (*out == NULL) {
		*msg = xstrdup("No existing shape found");
		return 404;
	}
	return 200;
}

static void
sc_on_shape_delete(struct chan *c, const struct frame *f)
{
	struct sc_shape *s = NULL;
	struct shape_req q;
	char *msg = NULL;
	int status;

	if (shape_req_decode(f->data, f->len, &q) == -1) {
		status = 400;
		msg = xstrdup("malformed request");
	} else {
		q.flags = 0;
		status = sc_delete_target(&q, &s, &msg);
		shape_req_free(&q);
	}
	if (status == 200) {
		sc_delete(s, "deleted by request");
		status = 202;
	}
	sc_delete_reply(c, f->id, status, msg ? msg : "");
	free(msg);
}

/* ---- schema reconciliation (PROTOCOL.md §4.5) ---- */

/* A name now resolves to another table: the shapes of the old one (which
 * was dropped, so replication says nothing about it) end here. */
static void
sc_drop_recreated(const struct catalog_table *t)
{
	struct sc_shape **v;
	size_t n, i;

	if (!scshape_other_relid(t->schema, t->table, t->relid))
		return;
	v = scshape_of_table(t->schema, t->table, &n);
	for (i = 0; i < n; i++)
		if (v[i]->relid != 0 && v[i]->relid != t->relid)
			sc_delete(v[i], "table dropped and re-created");
	free(v);
}

/* The distinct table oids of v (shapes share few tables), in a new
 * array of *nr; idx maps an oid to its position. */
static uint32_t *
sc_distinct_relids(struct sc_shape **v, size_t n, struct htab *idx, size_t *nr)
{
	uint32_t *relids = xcalloc(n + 1, sizeof(*relids));
	size_t i;

	*nr = 0;
	for (i = 0; i < n; i++) {
		if (htab_get(idx, &v[i]->relid, sizeof(uint32_t)) != NULL)
			continue;
		relids[*nr] = v[i]->relid;
		htab_put(idx, &v[i]->relid, sizeof(uint32_t),
		    (void *)(uintptr_t)(++*nr));
	}
	return relids;
}

/* Periodically: shapes whose table is gone or renamed are deleted. */
static void
sc_reconcile(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct timeval tv = { SC_RECONCILE_MS / 1000, 0 };
	struct sc_shape *s, **v;
	struct htab idx;
	uint32_t *relids;
	char **names, *nm;
	size_t n, nr, i;

	evtimer_add((struct event *)arg, &tv);
	/* Connected from the first run on, not by the first shape request:
	 * a backend start costs that request ~20-40 ms here. */
	if (sc_pg_conn() == NULL || scshape_count() == 0)
		return;
	v = scshape_all(&n);
	htab_init(&idx);
	relids = sc_distinct_relids(v, n, &idx, &nr);
	names = xcalloc(nr + 1, sizeof(*names));
	if (catalog_relations(sc_pg, relids, nr, names) == 0) {
		for (i = 0; i < n; i++) {
			s = v[i];
			if (s->relid == 0)
				continue;
			nm = names[(uintptr_t)htab_get(&idx, &s->relid,
			    sizeof(uint32_t)) - 1];
			if (nm == NULL)
				sc_delete(s, "table dropped");
			else if (strcmp(nm, s->schema) != 0 ||
			    strcmp(nm + strlen(nm) + 1, s->table) != 0)
				sc_delete(s, "table renamed");
		}
	}
	for (i = 0; i < nr; i++)
		free(names[i]);
	htab_free(&idx);
	free(names);
	free(relids);
	free(v);
}

/* ---- the collector: FORGET out, invalidations in ---- */

static void sc_col_connect(evutil_socket_t, short, void *);

static void
sc_col_frame(struct chan *c UNUSED, struct frame *f, void *arg UNUSED)
{
	struct mreader r;
	struct sc_shape *s;
	char *handle, *reason;

	if (f->fd != -1)
		close(f->fd);
	if (f->type != MSG_SHAPE_INVALID)
		return;
	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	reason = mr_str(&r);
	if ((s = scshape_by_handle(handle)) != NULL)
		sc_delete(s, reason);
	free(handle);
	free(reason);
}

static void
sc_col_closed(struct chan *c, int error UNUSED, void *arg UNUSED)
{
	struct timeval tv = { 0, SC_RETRY_MS * 1000 };

	chan_free(c);
	sc_col = NULL;
	evtimer_add(sc_col_timer, &tv);
}

static void
sc_col_connect(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	struct timeval tv = { 0, SC_RETRY_MS * 1000 };
	char *path = config_sock_path("collector");
	int sock = unix_connect(path);

	free(path);
	if (sock == -1 || (sc_col = chan_new(sc_base, sock, "shapecache",
	    FRAME_MAX_DEFAULT, sc_col_frame, sc_col_closed, NULL)) == NULL) {
		evtimer_add(sc_col_timer, &tv);
		return;
	}
	/* the first frame registers us for invalidations */
	if (chan_send(sc_col, MSG_READY, 0, NULL, 0, -1) == -1)
		log_debug("collector went away");
	sc_flush_forgets();
}


static void
sc_on_client_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{
	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_SHAPE_REQ)
		sc_on_shape_req(c, f);
	else if (f->type == MSG_SHAPE_DELETE)
		sc_on_shape_delete(c, f);
	else
		log_warnx("unexpected %s from %s", msg_name(f->type),
		    chan_peer_role(c) ? chan_peer_role(c) : "?");
}

static void
sc_on_client_close(struct chan *c, int error UNUSED, void *arg UNUSED)
{
	struct sc_peer **pp, *p;

	for (pp = &sc_peers; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->chan == c) {
			p = *pp;
			*pp = p->next;
			free(p);
			break;
		}
	chan_free(c);
}

static void
sc_on_accept(evutil_socket_t lfd, short ev UNUSED, void *arg UNUSED)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct sc_peer *p;

	if (fd == -1)
		return;
	p = xcalloc(1, sizeof(*p));
	if ((p->chan = chan_new(sc_base, fd, "shapecache", FRAME_MAX_DEFAULT,
	    sc_on_client_frame, sc_on_client_close, NULL)) == NULL) {
		log_warnx("cannot set up a client channel");
		free(p);
		return;
	}
	p->next = sc_peers;
	sc_peers = p;
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
	    "state", scwake_is_suspended(s->handle) ? "suspended" :
	    st.snap_done ? "active" : "snapshotting",
	    "latest_offset", offset_fmt(&last, off),
	    "log_entries", (json_int_t)st.log_entries);
}

/* Newest first (as "electricctl shapes" always listed them): a handle
 * ends in its creation time in µs. */
static int
sc_newest_first(const void *a, const void *b)
{
	const char *x = strrchr((*(struct sc_shape *const *)a)->handle, '-');
	const char *y = strrchr((*(struct sc_shape *const *)b)->handle, '-');
	unsigned long long tx = x ? strtoull(x + 1, NULL, 10) : 0;
	unsigned long long ty = y ? strtoull(y + 1, NULL, 10) : 0;

	return tx < ty ? 1 : tx > ty ? -1 : 0;
}

/* A consumer's snapshot query fails on the data: remember why for its
 * definition and delete the shape (its clients get 409, then the 400). */
static void
sc_on_failed(const struct frame *f)
{
	struct mreader r;
	struct sc_shape *s;
	char *handle, *field, *msg, *why;

	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	field = mr_str(&r);
	msg = mr_str(&r);
	if (!r.err && (s = scshape_by_handle(handle)) != NULL) {
		failed_remember(s->definition, field, msg);
		why = xasprintf("its snapshot query fails: %s", msg);
		sc_delete(s, why);
		free(why);
	}
	free(handle);
	free(field);
	free(msg);
}

static void
sc_on_root_frame(struct chan *c, struct frame *f, void *arg UNUSED)
{
	struct sc_shape **v;
	size_t n, i;
	struct mbuf m;
	json_t *list, *o;
	char *out;

	if (f->fd != -1)
		close(f->fd);
	if (f->type == MSG_SHAPE_FAILED)
		sc_on_failed(f);
	if (f->type != MSG_CTL_REQ)
		return;
	list = json_array();
	v = scshape_all(&n);
	qsort(v, n, sizeof(*v), sc_newest_first);
	for (i = 0; i < n; i++)
		json_array_append_new(list, sc_shape_json(v[i]));
	free(v);
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
	scshape_add(m->handle, m->definition, m->schema_name, m->table_name,
	    m->electric_schema, m->relid);
	if (strcmp(m->state, "suspended") != 0)	/* woken when needed */
		sc_spawn(m->handle);
	return 0;
}

int
shapecache_main(void)
{
	struct timeval now = { 0, 0 };
	struct event *ev;
	char *path;
	int fd;

	sc_base = proc_init("shapecache", NULL);
	sc_root = proc_root_chan(sc_base, "shapecache", sc_on_root_frame, NULL);
	proc_signals(sc_base, NULL, NULL);
	if ((sc_db = meta_open(cfg.meta_path)) == NULL)
		fatalx("cannot open %s", cfg.meta_path);
	scwake_init(sc_db, sc_root);
	if (meta_shape_each(sc_db, sc_load_one, NULL) == -1)
		fatalx("cannot load shapes from %s", cfg.meta_path);
	path = config_sock_path("shapecache");
	if ((fd = unix_listen(path)) == -1)
		fatal("listen %s", path);
	free(path);
	ev = event_new(sc_base, fd, EV_READ | EV_PERSIST, sc_on_accept, NULL);
	event_add(ev, NULL);
	sc_col_timer = evtimer_new(sc_base, sc_col_connect, NULL);
	sc_col_connect(-1, 0, NULL);
	/* READY first: the first reconcile (tables dropped while we were
	 * down) runs from the loop; a request before it finds such a table
	 * gone through its own catalog lookup anyway. */
	ev = evtimer_new(sc_base, sc_reconcile, event_self_cbarg());
	proc_ready(sc_root);
	evtimer_add(ev, &now);
	event_base_dispatch(sc_base);
	return 1;
}
