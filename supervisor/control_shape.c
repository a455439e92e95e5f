/*
 * control_shape: the control commands about one shape, called from
 * control.c's command table.
 *
 * "shape HANDLE" is answered by the root alone: the definition from
 * meta.db, the durable state from the shape's directory
 * (shapelog_read_state), sizes from stat, the consumer from the process
 * table, the requests waiting on it from http (control_readers.c).  meta.db is opened read-only for the one request and closed again
 * before returning: the root forks, and no SQLite handle may cross a fork.
 * Its busy timeout is short, since the root's event loop waits meanwhile.
 *
 * "suspend HANDLE" and "resume HANDLE" (issue 6) are at the end.
 *
 * "delete HANDLE" is done by the shapecache, which owns shape rows and
 * files: the root opens a short-lived channel to <run>/shapecache.sock on
 * its event base (never blocking the loop), sends MSG_SHAPE_DELETE by
 * handle and relays MSG_SHAPE_DELETE_REPLY.  A pending delete outlives
 * its client (the shape is deleted anyway; the reply goes nowhere) and is
 * abandoned after CTL_DELETE_TIMEOUT_S.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#include "config.h"
#include "control.h"
#include "frame.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "offset.h"
#include "shapelog.h"
#include "shapereq.h"
#include "sup.h"

#define CTL_META_BUSY_MS	250
#define CTL_DELETE_TIMEOUT_S	10
#define CTL_DELETE_ID		1

static void ctl_suspend_client_gone(const struct ctl_client *);

int
control_handle_ok(const char *h)
{
	size_t n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-");

	return n > 0 && n <= 128 && h[n] == '\0';
}

/* ---- shape ---- */

/* 0 found, 1 not found, -1 error (meta.db missing or unreadable). */
static int
ctl_meta_get(const char *handle, struct meta_shape *m)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open_v2(cfg.meta_path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_debug("control: open %s: %s", cfg.meta_path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, CTL_META_BUSY_MS);
	rc = meta_shape_get(db, handle, m);
	meta_close(db);
	return rc;
}

/* Bytes of the regular files in dir: snapshot.*, log*, and all of them. */
static void
ctl_dir_sizes(const char *dir, json_t *o)
{
	json_int_t snap = 0, log = 0, total = 0;
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		total += sb.st_size;
		if (strncmp(de->d_name, "snapshot.", 9) == 0)
			snap += sb.st_size;
		else if (strncmp(de->d_name, "log", 3) == 0)
			log += sb.st_size;
	}
	closedir(d);
	json_object_set_new(o, "snapshot_bytes", json_integer(snap));
	json_object_set_new(o, "log_bytes", json_integer(log));
	json_object_set_new(o, "disk_bytes", json_integer(total));
}

/* What the files say: offsets, entry counts, sizes. */
static void
ctl_shape_files(const char *dir, json_t *o)
{
	struct shapelog_state st;
	struct offset last;
	char off[OFFSET_STRLEN];

	if (shapelog_read_state(dir, &st) == -1) {
		log_warn("control: %s", dir);
		return;
	}
	shapelog_last(&st, &last);
	json_object_set_new(o, "state", json_string(st.snap_done ? "active" :
	    "snapshotting"));
	json_object_set_new(o, "latest_offset", json_string(offset_fmt(&last, off)));
	json_object_set_new(o, "snapshot_chunks", json_integer(st.snap_chunks));
	json_object_set_new(o, "snapshot_done", json_boolean(st.snap_done));
	json_object_set_new(o, "log_entries", json_integer((json_int_t)st.log_entries));
	json_object_set_new(o, "log_chunks", json_integer((json_int_t)st.log_chunks));
	ctl_dir_sizes(dir, o);
}

static json_t *
ctl_iso_time(uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char when[32];

	if (us == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(when);
}

/* The definition and what meta.db knows. */
static void
ctl_shape_meta(const struct meta_shape *m, json_t *o)
{
	json_t *cols = json_loads(m->columns ? m->columns : "", 0, NULL);

	json_object_set_new(o, "table", json_sprintf("\"%s\".\"%s\"",
	    m->schema_name, m->table_name));
	json_object_set_new(o, "log_mode", json_string(m->log_mode ?
	    "changes_only" : "full"));
	json_object_set_new(o, "columns", json_is_array(cols) ? cols :
	    json_null());
	if (!json_is_array(cols))
		json_decref(cols);
	json_object_set_new(o, "relid", json_integer(m->relid));
	json_object_set_new(o, "meta_state", json_string(m->state));
	json_object_set_new(o, "created", ctl_iso_time(m->created_us));
	json_object_set_new(o, "snapshot_xmin", m->snapshot_xmin > 0 ?
	    json_integer((json_int_t)m->snapshot_xmin) : json_null());
}

static void
ctl_shape_consumer(const char *handle, json_t *o)
{
	const struct sup_proc *p = sup_find(handle);
	uint64_t now = mono_ms();

	json_object_set_new(o, "consumer_pid", p != NULL && p->pid > 0 ?
	    json_integer(p->pid) : json_null());
	json_object_set_new(o, "consumer_state", json_string(p != NULL ?
	    sup_state_name(p->state) : "none"));
	json_object_set_new(o, "consumer_restarts", json_integer(p ?
	    p->restarts : 0));
	json_object_set_new(o, "consumer_uptime_s", p != NULL && p->pid > 0 ?
	    json_integer((json_int_t)((now - p->started_ms) / 1000)) :
	    json_null());
}

void
control_cmd_shape(struct ctl_client *cl, uint32_t id, json_t *req)
{
	const char *h = json_string_value(json_object_get(req, "target"));
	struct meta_shape m;
	struct stat sb;
	char *dir;
	json_t *o;
	int rc, have_dir;

	if (h == NULL || !control_handle_ok(h)) {
		control_error(cl->chan, id, "no such shape: %s", h ? h : "");
		return;
	}
	memset(&m, 0, sizeof(m));
	dir = xasprintf("%s/%s", cfg.shapes_dir, h);
	rc = ctl_meta_get(h, &m);
	have_dir = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (rc != 0 && !have_dir) {
		control_error(cl->chan, id, "no such shape: %s", h);
		free(dir);
		return;
	}
	o = json_pack("{s:s}", "handle", h);
	if (rc == 0)
		ctl_shape_meta(&m, o);
	if (have_dir)
		ctl_shape_files(dir, o);
	if (rc == 0 && strcmp(m.state, "suspended") == 0)
		json_object_set_new(o, "state", json_string("suspended"));
	ctl_shape_consumer(h, o);
	control_readers_reply(cl, id, h, o);	/* adds waiting_clients */
	if (rc == 0)
		meta_shape_free(&m);
	free(dir);
}

/* ---- delete ---- */

struct ctl_delete {
	struct ctl_client	*client;	/* NULL: it went away */
	uint32_t		 client_id;
	char			*handle;
	struct chan		*chan;		/* to shapecache.sock */
	struct event		*timer;
	struct ctl_delete	*next;
};

static struct ctl_delete *ctl_deletes;

/* Replies (if the client is still there) and frees d. */
static void
ctl_delete_done(struct ctl_delete *d, int status, const char *msg)
{
	struct ctl_delete **pp;
	struct chan *c = d->client ? d->client->chan : NULL;

	if (c != NULL && status == 202)
		control_reply(c, d->client_id, 0, json_pack("{s:s}", "deleted",
		    d->handle));
	else if (c != NULL && status == 404)
		control_error(c, d->client_id, "no such shape: %s", d->handle);
	else if (c != NULL)
		control_error(c, d->client_id, "the shape cache refused to "
		    "delete %s (%d): %s", d->handle, status, msg);
	for (pp = &ctl_deletes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	chan_free(d->chan);
	event_free(d->timer);
	free(d->handle);
	free(d);
}

static void
ctl_delete_frame(struct chan *c UNUSED, struct frame *f, void *arg)
{
	struct ctl_delete *d = arg;
	struct mreader r;
	char *msg;
	int status;

	if (f->fd != -1)
		close(f->fd);
	if (f->type != MSG_SHAPE_DELETE_REPLY || f->id != CTL_DELETE_ID)
		return;		/* MSG_SHAPE_GONE and the like */
	mr_init(&r, f->data, f->len);
	status = mr_u16(&r);
	msg = mr_str(&r);
	if (mr_done(&r) == -1)
		ctl_delete_done(d, 502, "malformed reply");
	else
		ctl_delete_done(d, status, msg);
	free(msg);
}

static void
ctl_delete_close(struct chan *c UNUSED, int error, void *arg)
{
	ctl_delete_done(arg, 503, error ? strerror(error) :
	    "it closed the connection");
}

static void
ctl_delete_timeout(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	ctl_delete_done(arg, 504, "no reply in time");
}

/* Opens the channel and sends the request; -1 if the shapecache is not
 * listening. */
static int
ctl_delete_send(struct ctl_delete *d)
{
	struct timeval tv = { CTL_DELETE_TIMEOUT_S, 0 };
	struct shape_req q;
	struct mbuf m;
	int rc;

	d->chan = control_peer("shapecache", ctl_delete_frame, ctl_delete_close,
	    d);
	if (d->chan == NULL)
		return -1;
	memset(&q, 0, sizeof(q));
	q.table = (char *)"";		/* by handle only */
	q.handle = d->handle;
	mbuf_init(&m);
	shape_req_encode(&q, &m);
	rc = chan_sendm(d->chan, MSG_SHAPE_DELETE, CTL_DELETE_ID, &m);
	mbuf_free(&m);
	d->timer = evtimer_new(control_evbase(), ctl_delete_timeout, d);
	evtimer_add(d->timer, &tv);
	return rc;
}

void
control_cmd_delete(struct ctl_client *cl, uint32_t id, json_t *req)
{
	const char *h = json_string_value(json_object_get(req, "target"));
	struct ctl_delete *d;

	if (h == NULL || !control_handle_ok(h)) {
		control_error(cl->chan, id, "no such shape: %s", h ? h : "");
		return;
	}
	d = xcalloc(1, sizeof(*d));
	d->client = cl;
	d->client_id = id;
	d->handle = xstrdup(h);
	if (ctl_delete_send(d) == -1) {
		control_error(cl->chan, id, "the shape cache is not running");
		if (d->chan != NULL)
			chan_free(d->chan);
		if (d->timer != NULL)
			event_free(d->timer);
		free(d->handle);
		free(d);
		return;
	}
	log_info("control: deleting shape %s", h);
	d->next = ctl_deletes;
	ctl_deletes = d;
}

void
control_shape_client_gone(const struct ctl_client *cl)
{
	struct ctl_delete *d;

	for (d = ctl_deletes; d != NULL; d = d->next)
		if (d->client == cl)
			d->client = NULL;
	ctl_suspend_client_gone(cl);
}

/* ---- suspend and resume (issue 6) ---- */

/*
 * "suspend HANDLE": the root sends MSG_SUSPEND to the consumer, which
 * exits as soon as nothing is pending (within SUSP_FORCE_MS, else it
 * stays); a timer here watches for that process to be gone and replies
 * with the state meta.db then records.  "resume HANDLE" starts the
 * consumer (sup_want_consumer); it marks the shape active itself.
 */
#define CTL_SUSPEND_WAIT_MS	7000
#define CTL_SUSPEND_POLL_MS	50

struct ctl_suspend {
	struct ctl_client	*client;	/* NULL: it went away */
	uint32_t		 client_id;
	char			*handle;
	pid_t			 pid;		/* the consumer asked */
	uint64_t		 deadline;
	struct event		*timer;
	struct ctl_suspend	*next;
};

static struct ctl_suspend *ctl_suspends;

static void
ctl_suspend_free(struct ctl_suspend *s)
{
	struct ctl_suspend **pp;

	for (pp = &ctl_suspends; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	event_free(s->timer);
	free(s->handle);
	free(s);
}

/* Replies from meta.db's state of the shape. */
static void
ctl_suspend_reply(struct chan *c, uint32_t id, const char *h)
{
	struct meta_shape m;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = ctl_meta_get(h, &m)) != 0) {
		control_error(c, id, "no such shape: %s", h);
		return;
	}
	control_reply(c, id, 0, json_pack("{s:s,s:s}", "suspended", h,
	    "state", m.state));
	meta_shape_free(&m);
}

static void
ctl_suspend_poll(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct timeval tv = { 0, CTL_SUSPEND_POLL_MS * 1000 };
	struct ctl_suspend *s = arg;
	const struct sup_proc *p = sup_find(s->handle);
	struct chan *c = s->client ? s->client->chan : NULL;

	if (p != NULL && p->pid == s->pid) {
		if (mono_ms() < s->deadline) {
			evtimer_add(s->timer, &tv);
			return;
		}
		if (c != NULL)
			control_error(c, s->client_id, "%s did not suspend: its "
			    "consumer stays busy (snapshot or transaction)",
			    s->handle);
	} else if (c != NULL) {
		ctl_suspend_reply(c, s->client_id, s->handle);
	}
	ctl_suspend_free(s);
}

void
control_cmd_suspend(struct ctl_client *cl, uint32_t id, json_t *req)
{
	const char *h = json_string_value(json_object_get(req, "target"));
	struct sup_proc *p;
	struct ctl_suspend *s;

	if (h == NULL || !control_handle_ok(h)) {
		control_error(cl->chan, id, "no such shape: %s", h ? h : "");
		return;
	}
	p = sup_find(h);
	if (p == NULL || p->spec != &sup_consumer_spec || p->pid <= 0 ||
	    p->chan == NULL) {
		ctl_suspend_reply(cl->chan, id, h);	/* nothing runs */
		return;
	}
	if (chan_send(p->chan, MSG_SUSPEND, 0, NULL, 0, -1) == -1) {
		control_error(cl->chan, id, "cannot reach the consumer of %s", h);
		return;
	}
	log_info("control: suspending shape %s", h);
	s = xcalloc(1, sizeof(*s));
	s->client = cl;
	s->client_id = id;
	s->handle = xstrdup(h);
	s->pid = p->pid;
	s->deadline = mono_ms() + CTL_SUSPEND_WAIT_MS;
	s->timer = evtimer_new(control_evbase(), ctl_suspend_poll, s);
	s->next = ctl_suspends;
	ctl_suspends = s;
	ctl_suspend_poll(-1, 0, s);
}

void
control_cmd_resume(struct ctl_client *cl, uint32_t id, json_t *req)
{
	const char *h = json_string_value(json_object_get(req, "target"));
	const struct sup_proc *p;
	struct meta_shape m;

	if (h == NULL || !control_handle_ok(h)) {
		control_error(cl->chan, id, "no such shape: %s", h ? h : "");
		return;
	}
	memset(&m, 0, sizeof(m));
	if (ctl_meta_get(h, &m) != 0 || strcmp(m.state, "deleted") == 0) {
		control_error(cl->chan, id, "no such shape: %s", h);
		if (m.handle != NULL)
			meta_shape_free(&m);
		return;
	}
	p = sup_find(h);
	control_reply(cl->chan, id, 0, json_pack("{s:s,s:s,s:b}", "resumed", h,
	    "was", m.state, "running", p != NULL && p->pid > 0));
	meta_shape_free(&m);
	log_info("control: resuming shape %s", h);
	sup_want_consumer(h);
}

static void
ctl_suspend_client_gone(const struct ctl_client *cl)
{
	struct ctl_suspend *s;

	for (s = ctl_suspends; s != NULL; s = s->next)
		if (s->client == cl)
			s->client = NULL;
}
