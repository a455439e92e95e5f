/*
 * hreq: one Shape API request in flight in the http process, from the
 * moment evhttp hands it over until it is answered or its client goes
 * away.  A request waits in at most one list at a time (health waiters,
 * shapecache requests, a shape's waiters, subset requests in flight),
 * with at most one deadline; all moves between states go through
 * hreq_wait(), and every request ends in exactly one of hreq_send()
 * (answered), hreq_stream_end() (an SSE stream closed) or the client-close
 * path (freed silently).  A request counted by admission control (adm)
 * releases its slot when it is freed, or earlier through
 * hreq_admit_release().
 */
#ifndef ELECTRICD_HTTP_HREQ_H
#define ELECTRICD_HTTP_HREQ_H

#include <stdint.h>
#include <sys/queue.h>

#include "admit.h"
#include "offset.h"
#include "params.h"
#include "subset.h"

struct evhttp_request;
struct evhttp_connection;
struct evbuffer;
struct event;
struct event_base;
struct shape_ent;
struct chan;

enum hreq_state {
	HREQ_NEW = 0,
	HREQ_WAIT_HEALTH,	/* stack not active yet (§2.2 stage 1) */
	HREQ_WAIT_SHAPECACHE,	/* MSG_SHAPE_REQ queued or in flight */
	HREQ_WAIT_SNAPSHOT,	/* snapshot still running */
	HREQ_WAIT_LIVE,		/* live request at the end of the log (§8.1) */
	HREQ_WAIT_OOB,		/* offset beyond the end (§7.6) */
	HREQ_WAIT_CONSUMER,	/* subset: the shape's consumer not connected */
	HREQ_WAIT_SUBSET,	/* subset: MSG_SUBSET_REQ sent to the consumer */
	HREQ_SSE,		/* SSE stream open (§8.3) */
	HREQ_NSTATES
};

TAILQ_HEAD(hreq_list, hreq);

enum hreq_subset {
	HREQ_SUBSET_NONE = 0,
	HREQ_SUBSET_QUERY,	/* subset__* query parameters */
	HREQ_SUBSET_BODY	/* POST JSON body */
};

enum hreq_sc_kind {
	HREQ_SC_SHAPE = 0,	/* MSG_SHAPE_REQ */
	HREQ_SC_DELETE		/* MSG_SHAPE_DELETE */
};

struct hreq {
	struct evhttp_request	*req;
	struct evhttp_connection *conn;
	enum hreq_state		 state;
	struct hreq_list	*list;		/* where it waits, or NULL */
	TAILQ_ENTRY(hreq)	 link;
	struct event		*timer;
	void			(*on_timeout)(struct hreq *);
	void			(*on_ready)(struct hreq *);	/* health */
	struct event		*watch;		/* client-disconnect watcher */
	int			 head;		/* HEAD: headers only */
	int			 gone;		/* its shape went away while it
						 * waited: resolved again */
	int			 post;
	int			 route;		/* enum http_route */
	char			 reqid[24];
	struct http_query	 q;
	struct shape_params	 p;
	enum admit_class	 adm;		/* admission slot held */
	enum hreq_sc_kind	 sc_kind;
	uint32_t		 sc_id;		/* shapecache correlation id */
	int			 sc_sent;
	/* subset snapshots (§9) */
	enum hreq_subset	 subset;
	char			*body;		/* POST body, NUL-terminated */
	size_t			 body_len;
	int			 sub_valid;	/* sub holds the validated subset */
	struct subset		 sub;
	uint32_t		 sub_id;	/* MSG_SUBSET_REQ correlation id */
	struct chan		*sub_chan;	/* where it was sent */
	struct offset		 sub_end;	/* electric-offset of the reply */
	/* SSE (§8.3) */
	struct offset		 sse_pos;	/* last offset sent */
	uint64_t		 sse_end_ms;	/* mono_ms() when the stream ends */
	uint64_t		 sse_out_ms;	/* mono_ms() of the last output */
	int			 sse_more;	/* more to send: timer continues */
	uint64_t		 t_start;	/* mono_ms() at arrival */
	char			*handle;	/* resolved by shapecache */
	char			*eschema;	/* electric-schema header */
};

/* Event priorities of the http process (event_base_priority_init with
 * HTTP_NPRI; events get HREQ_PRI_DEFAULT unless set otherwise). */
#define HTTP_NPRI		2
#define HREQ_PRI_WAKE		0	/* answers to woken waiters */
#define HREQ_PRI_DEFAULT	1

void hreq_init(struct event_base *);
/* A fast per-process pseudo-random number (not for secrets). */
uint64_t hreq_rand(void);
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
/* Chunked streaming (SSE): start sends the status and headers; chunk
 * sends n bytes; end finishes the response and frees r.  The client
 * going away while streaming frees r through the close path. */
void hreq_stream_start(struct hreq *r, int code);
void hreq_stream_chunk(struct hreq *r, const void *p, size_t n);
void hreq_stream_end(struct hreq *r);
/* Bytes written but not yet sent to the client. */
size_t hreq_stream_queued(struct hreq *r);
/* Releases r's admission slot now (idempotent). */
void hreq_admit_release(struct hreq *r);
const char *hreq_state_name(enum hreq_state);
/* Number of requests currently in each state (for logs/inspection). */
extern unsigned hreq_count[HREQ_NSTATES];

#endif
