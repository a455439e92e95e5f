/*
 * hreq: one Shape API request in flight in the http process, from the
 * moment evhttp hands it over until it is answered or its client goes
 * away.  A request waits in at most one list at a time (health waiters,
 * shapecache requests, a shape's waiters), with at most one deadline; all
 * moves between states go through hreq_wait(), and every request ends in
 * exactly one of hreq_send() (answered) or the client-close path (freed
 * silently).
 */
#ifndef ELECTRICD_HTTP_HREQ_H
#define ELECTRICD_HTTP_HREQ_H

#include <stdint.h>
#include <sys/queue.h>

#include "params.h"

struct evhttp_request;
struct evhttp_connection;
struct evbuffer;
struct event;
struct event_base;
struct shape_ent;

enum hreq_state {
	HREQ_NEW = 0,
	HREQ_WAIT_HEALTH,	/* stack not active yet (§2.2 stage 1) */
	HREQ_WAIT_SHAPECACHE,	/* MSG_SHAPE_REQ queued or in flight */
	HREQ_WAIT_SNAPSHOT,	/* snapshot still running */
	HREQ_WAIT_LIVE,		/* live request at the end of the log (§8.1) */
	HREQ_WAIT_OOB,		/* offset beyond the end (§7.6) */
	HREQ_NSTATES
};

TAILQ_HEAD(hreq_list, hreq);

struct hreq {
	struct evhttp_request	*req;
	struct evhttp_connection *conn;
	enum hreq_state		 state;
	struct hreq_list	*list;		/* where it waits, or NULL */
	TAILQ_ENTRY(hreq)	 link;
	struct event		*timer;
	void			(*on_timeout)(struct hreq *);
	struct event		*watch;		/* client-disconnect watcher */
	int			 head;		/* HEAD: headers only */
	int			 post;
	int			 route;		/* enum http_route */
	char			 reqid[24];
	struct http_query	 q;
	struct shape_params	 p;
	uint32_t		 sc_id;		/* shapecache correlation id */
	int			 sc_sent;
	uint64_t		 t_start;	/* mono_ms() at arrival */
	char			*handle;	/* resolved by shapecache */
	char			*eschema;	/* electric-schema header */
};

void hreq_init(struct event_base *);
struct hreq *hreq_new(struct evhttp_request *);
/* Moves r into state st and list (NULL: none).  Entering a new state arms
 * a deadline of timeout_ms (0: none) calling on_timeout; staying in the
 * same state keeps the current deadline.  The first wait also starts
 * watching for the client going away. */
void hreq_wait(struct hreq *r, enum hreq_state st, struct hreq_list *list,
    uint64_t timeout_ms, void (*on_timeout)(struct hreq *));
/* Re-arms the current deadline to fire in timeout_ms. */
void hreq_rearm(struct hreq *r, uint64_t timeout_ms);
/* Sends the response (body may be NULL; ownership of its data moves to
 * libevent) and frees r. */
void hreq_send(struct hreq *r, int code, struct evbuffer *body);
const char *hreq_state_name(enum hreq_state);
/* Number of requests currently in each state (for logs/inspection). */
extern unsigned hreq_count[HREQ_NSTATES];

#endif
