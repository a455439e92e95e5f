/*
 * control: the root's control socket, private to its files:
 *   control.c        the socket, its clients and their credentials, the
 *                    command table; status, shapes, restart, stop, version
 *   control_shape.c  "shape" (process table, shape directory, meta.db) and
 *                    "delete" (forwarded to the shapecache's socket)
 *   control_shapes.c "shapes": its filters, sorts and extra fields
 *   control_readers.c "shape": the requests waiting on it, asked of http
 *   control_top.c    "top": CPU ticks and RSS of every process from /proc
 *   control_metrics.c the http process's "metrics" (for /metrics): the
 *                    children's MSG_STATS, restarts, memory by role, shapes
 * What the rest of the root calls (control_listen,
 * control_on_shapecache_reply) is in sup.h.
 */
#ifndef ELECTRICD_CONTROL_H
#define ELECTRICD_CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "frame.h"

struct chan;
struct event_base;

struct ctl_client {
	struct chan		*chan;
	uid_t			 uid;		/* SO_PEERCRED; (uid_t)-1 unknown */
	struct ctl_client	*next;
};

/* Sends MSG_CTL_REPLY (status 0 ok, 1 error); takes the reference to body. */
void control_reply(struct chan *, uint32_t id, int status, json_t *body);
/* An error reply {"error":"<printf>"}. */
void control_error(struct chan *, uint32_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct event_base *control_evbase(void);
/* A short-lived channel from the root to a child's socket (run/ROLE.sock)
 * for one request; NULL if nothing listens there. */
struct chan *control_peer(const char *role, chan_frame_cb, chan_close_cb,
    void *arg);

/* control_shape.c: req is {"cmd":..,"target":HANDLE}. */
void control_cmd_shape(struct ctl_client *, uint32_t id, json_t *req);
void control_cmd_delete(struct ctl_client *, uint32_t id, json_t *req);
/* Suspension (issue 6): {"cmd":"suspend"|"resume","target":HANDLE}. */
void control_cmd_suspend(struct ctl_client *, uint32_t id, json_t *req);
void control_cmd_resume(struct ctl_client *, uint32_t id, json_t *req);
/* The client closed: its pending deletes and suspends reply to nobody. */
void control_shape_client_gone(const struct ctl_client *);
/* A shape handle as it may appear in a path: [A-Za-z0-9_-]{1,128}. */
int control_handle_ok(const char *);

/* control_shapes.c: "shapes" with its options {"table","state","sort"}.
 * check: -1 with a message for the client if an option is bad; view:
 * filters, enriches (consumer_pid, disk_bytes, last_change) and sorts the
 * shapecache's {"shapes":[..]} in place. */
int control_shapes_check(const json_t *req, char *err, size_t);
void control_shapes_view(json_t *body, const json_t *req);

/* control_readers.c: adds "waiting_clients" (asked of http; null when it
 * cannot tell) to reply, then sends it to cl; takes the reference. */
void control_readers_reply(struct ctl_client *, uint32_t id,
    const char *handle, json_t *reply);
void control_readers_client_gone(const struct ctl_client *);

/* control_top.c */
void control_cmd_top(struct ctl_client *, uint32_t id, json_t *req);
/* The "<key>: <n> kB" line of /proc/<pid>/<file> in kB; -1 if unreadable. */
long long control_proc_kb(pid_t pid, const char *file, const char *key);

#endif
