/*
 * control_readers: the "waiting_clients" of electricctl "shape HANDLE":
 * how many requests (live long-polls, SSE streams, subsets) are parked on
 * the shape in the http process right now.  control_shape.c builds the
 * reply, then hands it here: the root opens a short-lived channel to
 * <run>/http.sock on its event base (never blocking the loop), asks
 * MSG_READERS_Q for the handle -- the question a suspending consumer asks
 * (http/live.c answers it from its table of waiters) -- and sends the
 * reply with the count, or with null when http is not running or does not
 * answer within CTL_READERS_TIMEOUT_MS.  A client that goes away meanwhile
 * gets nothing; the question is finished all the same.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "control.h"
#include "frame.h"
#include "log.h"
#include "msg.h"

#define CTL_READERS_TIMEOUT_MS	2000
#define CTL_READERS_ID		1

struct ctl_readers {
	struct ctl_client	*client;	/* NULL: it went away */
	uint32_t		 client_id;
	json_t			*reply;
	struct chan		*chan;		/* to http.sock */
	struct event		*timer;
	struct ctl_readers	*next;
};

static struct ctl_readers *ctl_readers_list;

/* Sends the reply with waiting_clients n (-1: unknown) and frees q. */
static void
ctl_readers_done(struct ctl_readers *q, long long n)
{
	struct ctl_readers **pp;

	json_object_set_new(q->reply, "waiting_clients", n >= 0 ?
	    json_integer(n) : json_null());
	if (q->client != NULL)
		control_reply(q->client->chan, q->client_id, 0, q->reply);
	else
		json_decref(q->reply);
	for (pp = &ctl_readers_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	if (q->chan != NULL)
		chan_free(q->chan);
	if (q->timer != NULL)
		event_free(q->timer);
	free(q);
}

static void
ctl_readers_frame(struct chan *c UNUSED, struct frame *f, void *arg)
{
	struct mreader r;
	uint32_t n;

	if (f->fd != -1)
		close(f->fd);
	if (f->type != MSG_READERS || f->id != CTL_READERS_ID)
		return;
	mr_init(&r, f->data, f->len);
	n = mr_u32(&r);
	if (mr_done(&r) == -1) {
		log_warnx("control: malformed READERS from http");
		ctl_readers_done(arg, -1);
	} else
		ctl_readers_done(arg, n);
}

static void
ctl_readers_close(struct chan *c UNUSED, int error UNUSED, void *arg)
{
	ctl_readers_done(arg, -1);
}

static void
ctl_readers_timeout(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	log_info("control: http did not say who waits in time");
	ctl_readers_done(arg, -1);
}

/* -1 if http is not listening. */
static int
ctl_readers_ask(struct ctl_readers *q, const char *handle)
{
	struct timeval tv = { CTL_READERS_TIMEOUT_MS / 1000,
	    (CTL_READERS_TIMEOUT_MS % 1000) * 1000 };
	struct mbuf m;
	int rc;

	q->chan = control_peer("http", ctl_readers_frame, ctl_readers_close, q);
	if (q->chan == NULL)
		return -1;
	mbuf_init(&m);
	mbuf_str(&m, handle);
	rc = chan_sendm(q->chan, MSG_READERS_Q, CTL_READERS_ID, &m);
	mbuf_free(&m);
	if ((q->timer = evtimer_new(control_evbase(), ctl_readers_timeout,
	    q)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(q->timer, &tv);
	return rc;
}

void
control_readers_reply(struct ctl_client *cl, uint32_t id, const char *handle,
    json_t *reply)
{
	struct ctl_readers *q = xcalloc(1, sizeof(*q));

	q->client = cl;
	q->client_id = id;
	q->reply = reply;
	q->next = ctl_readers_list;
	ctl_readers_list = q;
	if (ctl_readers_ask(q, handle) == -1)
		ctl_readers_done(q, -1);
}

void
control_readers_client_gone(const struct ctl_client *cl)
{
	struct ctl_readers *q;

	for (q = ctl_readers_list; q != NULL; q = q->next)
		if (q->client == cl)
			q->client = NULL;
}
