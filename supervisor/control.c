/*
 * control: the root's control socket <storage>/run/control.sock for
 * electricctl.  Each request is one MSG_CTL_REQ holding a JSON object
 * {"cmd":...[,"target":...]}; the reply is one MSG_CTL_REPLY (u16 status,
 * str JSON).  A client may send several requests on one connection
 * (electricctl top does).  Commands are a table; "shapes" is answered by
 * the shapecache (forwarded over its root channel), then filtered, sorted
 * and enriched by control_shapes.c; "shape", "delete" and "top" live in
 * control_shape.c and control_top.c.
 *
 * Mutating commands (restart, delete, suspend, resume, stop) are refused unless the peer's
 * uid (SO_PEERCRED, taken at accept) is ours or 0; the rest are answered to
 * whoever can connect (the run directory is 0700 anyway).  Bad requests get
 * an error reply and change nothing.  The socket file is removed when the
 * root exits, so that "electricctl stop" can wait for it to disappear.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "control.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "sup.h"
#include "version.h"

struct ctl_pending {
	uint32_t		 id;		/* sent to shapecache */
	uint32_t		 client_id;	/* the client's request id */
	struct ctl_client	*client;
	json_t			*req;		/* its options (control_shapes.c) */
	struct ctl_pending	*next;
};

static struct ctl_client *ctl_clients;
static struct ctl_pending *ctl_pendings;
static uint32_t ctl_next_id = 1;
static struct event_base *ctl_base;
static char *ctl_path;		/* the socket, unlinked at exit */
static pid_t ctl_pid;		/* the root: children never unlink it */

struct event_base *
control_evbase(void)
{
	return ctl_base;
}

struct chan *
control_peer(const char *role, chan_frame_cb frame_cb, chan_close_cb close_cb,
    void *arg)
{
	char *path = config_sock_path(role);
	int fd = unix_connect(path);

	free(path);
	if (fd == -1)
		return NULL;
	return chan_new(ctl_base, fd, "root", FRAME_MAX_CTL, frame_cb, close_cb,
	    arg);
}

void
control_reply(struct chan *c, uint32_t id, int status, json_t *body)
{
	struct mbuf m;
	char *s = json_dumps(body, JSON_COMPACT);

	mbuf_init(&m);
	mbuf_u16(&m, (uint16_t)status);
	mbuf_str(&m, s != NULL ? s : "{}");
	if (chan_sendm(c, MSG_CTL_REPLY, id, &m) == -1)
		log_debug("control client went away");
	mbuf_free(&m);
	free(s);
	json_decref(body);
}

void
control_error(struct chan *c, uint32_t id, const char *fmt, ...)
{
	va_list ap;
	json_t *body;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	body = json_pack("{s:s}", "error", msg);
	if (body == NULL)	/* not UTF-8: an argument we echoed */
		body = json_pack("{s:s}", "error", "bad request");
	control_reply(c, id, 1, body);
	free(msg);
}

/* The death tally, oldest first: [{"at":"2026-11-23T12:00:00Z","exit":..}] */
static json_t *
ctl_deaths_json(const struct sup_proc *p)
{
	json_t *a = json_array();
	int i, n = p->ndeaths < 8 ? p->ndeaths : 8;
	const struct sup_death *d;
	char when[32];
	time_t t;
	struct tm tm;

	for (i = p->ndeaths - n; i < p->ndeaths; i++) {
		d = &p->deaths[i % 8];
		t = (time_t)(d->at_us / 1000000);
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(a, json_pack("{s:s,s:s}", "at", when,
		    "exit", d->what));
	}
	return a;
}

static json_t *
ctl_proc_json(const struct sup_proc *p)
{
	uint64_t now = mono_ms();
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I}", "role", p->spec->role,
	    "id", p->id, "group", p->spec->group,
	    "strategy", sup_strategy_name(sup_group_find(p->spec->group)->strategy),
	    "restarts", p->restarts,
	    "uptime_s", (json_int_t)(p->pid > 0 ? (now - p->started_ms) / 1000 : 0));
	json_object_set_new(o, "pid", p->pid > 0 ? json_integer(p->pid) : json_null());
	json_object_set_new(o, "state", json_string(sup_state_name(p->state)));
	json_object_set_new(o, "last_exit", p->last_exit[0] ?
	    json_string(p->last_exit) : json_null());
	json_object_set_new(o, "deaths", ctl_deaths_json(p));
	if (p->state_word[0])
		json_object_set_new(o, "detail", json_sprintf("%s%s%s",
		    p->state_word, p->state_detail[0] ? ": " : "", p->state_detail));
	return o;
}

static void
ctl_cmd_status(struct ctl_client *cl, uint32_t id, json_t *req UNUSED)
{
	static const char *const names[] = { "starting", "waiting", "active" };
	const struct sup_proc *p;
	const char *reason;
	json_t *procs = json_array();

	for (p = sup_procs(); p != NULL; p = p->next)
		json_array_append_new(procs, ctl_proc_json(p));
	control_reply(cl->chan, id, 0, json_pack("{s:s,s:i,s:I,s:s,s:o}",
	    "version", ELECTRICD_VERSION, "pid", (int)getpid(),
	    "uptime_s", (json_int_t)(sup_uptime_ms() / 1000),
	    "health", names[sup_health(&reason)], "processes", procs));
}

static void
ctl_cmd_version(struct ctl_client *cl, uint32_t id, json_t *req UNUSED)
{
	control_reply(cl->chan, id, 0, json_pack("{s:s}", "version", ELECTRICD_VERSION));
}

static void
ctl_cmd_restart(struct ctl_client *cl, uint32_t id, json_t *req)
{
	const char *target = json_string_value(json_object_get(req, "target"));

	if (target == NULL || *target == '\0') {
		control_error(cl->chan, id, "restart needs a shape handle or a role");
		return;
	}
	if (strcmp(target, "root") == 0 || sup_restart(target) == -1) {
		control_error(cl->chan, id, "no such shape or role: %s", target);
		return;
	}
	control_reply(cl->chan, id, 0, json_pack("{s:s}", "restarted", target));
}

static void
ctl_cmd_shapes(struct ctl_client *cl, uint32_t id, json_t *req)
{
	struct ctl_pending *pe;
	char *s, err[256];
	struct mbuf m;

	if (control_shapes_check(req, err, sizeof(err)) == -1) {
		control_error(cl->chan, id, "%s", err);
		return;
	}
	s = json_dumps(req, JSON_COMPACT);
	mbuf_init(&m);
	mbuf_str(&m, s);
	free(s);
	pe = xcalloc(1, sizeof(*pe));
	pe->id = ctl_next_id++;
	pe->client_id = id;
	pe->client = cl;
	pe->req = json_incref(req);
	if (sup_to_shapecache(MSG_CTL_REQ, pe->id, m.p, m.len) == -1) {
		control_error(cl->chan, id, "the shape cache is not running yet");
		json_decref(pe->req);
		free(pe);
	} else {
		pe->next = ctl_pendings;
		ctl_pendings = pe;
	}
	mbuf_free(&m);
}

/* The reply goes out before the first stage is signalled; the socket
 * disappears when the root exits. */
static void
ctl_cmd_stop(struct ctl_client *cl, uint32_t id, json_t *req UNUSED)
{
	log_info("stop requested over the control socket (uid %u)",
	    (unsigned)cl->uid);
	control_reply(cl->chan, id, 0, json_pack("{s:b,s:i}", "stopping", 1,
	    "pid", (int)getpid()));
	sup_stop_all(0);
}

static const struct {
	const char	*name;
	void		(*fn)(struct ctl_client *, uint32_t, json_t *);
	int		 mutating;	/* only for our uid (or root) */
} ctl_cmds[] = {
	{ "status",	ctl_cmd_status,		0 },
	{ "shapes",	ctl_cmd_shapes,		0 },
	{ "shape",	control_cmd_shape,	0 },
	{ "top",	control_cmd_top,	0 },
	{ "version",	ctl_cmd_version,	0 },
	{ "restart",	ctl_cmd_restart,	1 },
	{ "delete",	control_cmd_delete,	1 },
	{ "suspend",	control_cmd_suspend,	1 },
	{ "resume",	control_cmd_resume,	1 },
	{ "stop",	ctl_cmd_stop,		1 },
};

static int
ctl_allowed(const struct ctl_client *cl)
{
	return cl->uid == 0 || cl->uid == geteuid();
}

void
control_on_shapecache_reply(uint32_t id, const uint8_t *d, size_t n)
{
	struct ctl_pending **pp, *pe;
	struct mreader r;
	json_t *body;
	char *s;
	int status;

	for (pp = &ctl_pendings; *pp != NULL && (*pp)->id != id; pp = &(*pp)->next)
		;
	if ((pe = *pp) == NULL)
		return;
	*pp = pe->next;
	mr_init(&r, d, n);
	status = mr_u16(&r);
	s = mr_str(&r);
	body = json_loads(s, 0, NULL);
	free(s);
	if (pe->client != NULL && body != NULL) {
		control_shapes_view(body, pe->req);
		control_reply(pe->client->chan, pe->client_id, status, body);
	} else if (pe->client != NULL) {
		control_error(pe->client->chan, pe->client_id, "bad reply from shapecache");
	} else {
		json_decref(body);
	}
	json_decref(pe->req);
	free(pe);
}

static void
ctl_on_frame(struct chan *c, struct frame *f, void *arg)
{
	struct ctl_client *cl = arg;
	struct mreader r;
	json_t *req;
	const char *cmd;
	char *s;
	size_t i;

	if (f->fd != -1)
		close(f->fd);
	if (f->type != MSG_CTL_REQ) {
		control_error(c, f->id, "expected a control request");
		return;
	}
	mr_init(&r, f->data, f->len);
	s = mr_str(&r);
	req = json_loads(s, 0, NULL);
	free(s);
	cmd = json_string_value(json_object_get(req, "cmd"));
	for (i = 0; cmd != NULL && i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(cmd, ctl_cmds[i].name) != 0)
			continue;
		if (ctl_cmds[i].mutating && !ctl_allowed(cl)) {
			log_info("control: %s refused to uid %u", cmd,
			    (unsigned)cl->uid);
			control_error(c, f->id, "permission denied");
		} else
			ctl_cmds[i].fn(cl, f->id, req);
		json_decref(req);
		return;
	}
	control_error(c, f->id, "unknown command");
	json_decref(req);
}

static void
ctl_on_close(struct chan *c, int error UNUSED, void *arg)
{
	struct ctl_client *cl = arg, **pp;
	struct ctl_pending *pe;

	for (pe = ctl_pendings; pe != NULL; pe = pe->next)
		if (pe->client == cl)
			pe->client = NULL;
	control_shape_client_gone(cl);
	control_readers_client_gone(cl);
	for (pp = &ctl_clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	chan_free(c);
	free(cl);
}

static void
ctl_on_accept(evutil_socket_t lfd, short ev UNUSED, void *arg UNUSED)
{
	struct ctl_client *cl;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control accept");
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		cl->uid = cred.uid;
	else
		log_warn("control: SO_PEERCRED");
	cl->chan = chan_new(ctl_base, fd, "root", FRAME_MAX_CTL, ctl_on_frame,
	    ctl_on_close, cl);
	if (cl->chan == NULL) {
		free(cl);
		return;
	}
	cl->next = ctl_clients;
	ctl_clients = cl;
}

static void
ctl_unlink(void)
{
	if (ctl_path != NULL && getpid() == ctl_pid)
		unlink(ctl_path);
}

int
control_listen(struct event_base *base)
{
	struct event *ev;
	int fd;

	ctl_base = base;
	ctl_path = config_sock_path("control");
	if ((fd = unix_listen(ctl_path)) == -1)
		return -1;
	ctl_pid = getpid();
	atexit(ctl_unlink);
	ev = event_new(base, fd, EV_READ | EV_PERSIST, ctl_on_accept, NULL);
	return event_add(ev, NULL);
}
