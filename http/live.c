/*
 * live: per-shape state cache and waiters (see live.h).  Called by http.c
 * (notifications from consumers, removals from shapecache) and by serve.c
 * (state lookups, registering waiters through hreq_wait()).
 *
 * Lost wake-ups: a waiter is registered in the same event-loop callback
 * that looked at the state, and notifications are handled by that same
 * loop, so a notification is either already in the state that was looked
 * at or arrives later and wakes the waiter.  The one state that can move
 * without a notification, the on-disk state of a shape whose consumer has
 * not reported yet, is polled every LIVE_POLL_MS while it has waiters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "htab.h"
#include "live.h"
#include "log.h"
#include "msg.h"
#include "serve.h"

#define LIVE_POLL_MS	500

static struct shape_ent **live_tab;
static size_t live_nbuckets, live_n;
static uint64_t live_lsn;
static struct event *live_poll_ev;

/* The shapes each http.sock channel has notified (in practice the one
 * shape of its consumer): a channel closing costs O(its shapes), not
 * O(every shape) (issue 6). */
struct live_chan {
	struct chan		*c;		/* the key: &lc->c */
	struct shape_ent	**ents;
	size_t			 n;
};
static struct htab live_chans;

static struct live_chan *
live_chan_get(struct chan *c, int create)
{
	struct live_chan *lc = htab_get(&live_chans, &c, sizeof(c));

	if (lc == NULL && create) {
		lc = xcalloc(1, sizeof(*lc));
		lc->c = c;
		htab_put(&live_chans, &lc->c, sizeof(lc->c), lc);
	}
	return lc;
}

/* e no longer names its channel (it has another, or is removed). */
static void
live_chan_drop(struct shape_ent *e)
{
	struct live_chan *lc;
	size_t i;

	if (e->chan == NULL || (lc = live_chan_get(e->chan, 0)) == NULL)
		return;
	for (i = 0; i < lc->n; i++)
		if (lc->ents[i] == e) {
			lc->ents[i] = lc->ents[--lc->n];
			break;
		}
	if (lc->n == 0) {
		htab_del(&live_chans, &lc->c, sizeof(lc->c));
		free(lc->ents);
		free(lc);
	}
}

static void
live_chan_set(struct shape_ent *e, struct chan *c)
{
	struct live_chan *lc;

	if (e->chan == c)
		return;
	live_chan_drop(e);
	e->chan = c;
	if (c == NULL)
		return;
	lc = live_chan_get(c, 1);
	lc->ents = xrealloc(lc->ents, (lc->n + 1) * sizeof(*lc->ents));
	lc->ents[lc->n++] = e;
}

static size_t
live_bucket(const char *handle, size_t nb)
{
	return (size_t)(hash64(handle, strlen(handle)) & (nb - 1));
}

static void
live_grow(void)
{
	struct shape_ent **nt, *e, *nx;
	size_t nb = live_nbuckets ? live_nbuckets * 2 : 256, i, b;

	nt = xcalloc(nb, sizeof(*nt));
	for (i = 0; i < live_nbuckets; i++)
		for (e = live_tab[i]; e != NULL; e = nx) {
			nx = e->next;
			b = live_bucket(e->handle, nb);
			e->next = nt[b];
			nt[b] = e;
		}
	free(live_tab);
	live_tab = nt;
	live_nbuckets = nb;
}

static struct shape_ent *
live_find(const char *handle)
{
	struct shape_ent *e;

	if (live_nbuckets == 0)
		return NULL;
	for (e = live_tab[live_bucket(handle, live_nbuckets)]; e != NULL;
	    e = e->next)
		if (strcmp(e->handle, handle) == 0)
			return e;
	return NULL;
}

int
live_known(const char *handle)
{
	return live_find(handle) != NULL;
}

struct shape_ent *
live_ent(const char *handle)
{
	struct shape_ent *e;
	size_t b;

	if ((e = live_find(handle)) != NULL)
		return e;
	if (live_n >= live_nbuckets)
		live_grow();
	e = xcalloc(1, sizeof(*e));
	e->handle = xstrdup(handle);
	e->dir = xasprintf("%s/%s", cfg.shapes_dir, handle);
	TAILQ_INIT(&e->waiters);
	b = live_bucket(handle, live_nbuckets);
	e->next = live_tab[b];
	live_tab[b] = e;
	live_n++;
	return e;
}

static void
live_remove(struct shape_ent *e)
{
	struct shape_ent **pp;

	for (pp = &live_tab[live_bucket(e->handle, live_nbuckets)]; *pp != e;
	    pp = &(*pp)->next)
		;
	*pp = e->next;
	live_n--;
	live_chan_drop(e);
	free(e->fault);
	free(e->handle);
	free(e->dir);
	free(e);
}

int
live_state(struct shape_ent *e, struct shapelog_state *st)
{
	if (!e->notified && shapelog_read_state(e->dir, &e->st) == -1)
		return -1;
	*st = e->st;
	return 0;
}

/* Re-plans every waiter of e; each one either stays in place or leaves
 * the list (answered), never touching the others. */
static void
live_wake(struct shape_ent *e)
{
	struct hreq *r, *nx;

	for (r = TAILQ_FIRST(&e->waiters); r != NULL; r = nx) {
		nx = TAILQ_NEXT(r, link);
		serve_attempt(r);
	}
}

void
live_notify(const char *handle, const struct shapelog_state *st,
    const struct shapelog_tail *tail, struct chan *c)
{
	struct shape_ent *e = live_ent(handle);

	e->st = *st;
	e->notified = 1;
	free(e->fault);		/* a consumer that can store (or a new one) */
	e->fault = NULL;
	live_chan_set(e, c);
	if (st->log_entries > 0 && st->last_tx > live_lsn)
		live_lsn = st->last_tx;
	if (tail != NULL && !TAILQ_EMPTY(&e->waiters))
		serve_memo_tail(e, st, tail);
	live_wake(e);
}

/* MSG_SHAPE_GONE, from shapecache (over either of its channels). */
void
live_gone_frame(const struct frame *f)
{
	struct mreader mr;
	char *h;

	mr_init(&mr, f->data, f->len);
	h = mr_str(&mr);
	if (mr_done(&mr) == 0 && *h != '\0')
		live_gone(h);
	else
		log_warnx("malformed SHAPE_GONE (pid %d)", (int)f->pid);
	free(h);
}

void
live_gone(const char *handle)
{
	struct shape_ent *e = live_find(handle);
	struct hreq *r;

	if (e == NULL)
		return;
	log_debug("shape %s gone", handle);
	while ((r = TAILQ_FIRST(&e->waiters)) != NULL)
		serve_gone(r);
	live_remove(e);
}

void
live_fault_frame(const struct frame *f)
{
	struct shape_ent *e;
	struct mreader mr;
	char *h, *why;

	mr_init(&mr, f->data, f->len);
	h = mr_str(&mr);
	why = mr_str(&mr);
	if (mr_done(&mr) == -1 || *h == '\0') {
		log_warnx("malformed SHAPE_FAULT (pid %d)", (int)f->pid);
	} else if ((e = live_ent(h)) != NULL) {
		free(e->fault);
		e->fault = *why != '\0' ? xstrdup(why) : NULL;
		if (e->fault != NULL)
			live_wake(e);
	}
	free(h);
	free(why);
}

void
live_chan_closed(struct chan *c)
{
	struct live_chan *lc = live_chan_get(c, 0);
	size_t i;

	if (lc == NULL)
		return;
	htab_del(&live_chans, &lc->c, sizeof(lc->c));
	for (i = 0; i < lc->n; i++)
		lc->ents[i]->chan = NULL;
	free(lc->ents);
	free(lc);
}

void
live_readers_frame(struct chan *c, const struct frame *f)
{
	struct shape_ent *e;
	struct mreader mr;
	struct hreq *r;
	struct mbuf m;
	uint32_t n = 0;
	char *h;

	mr_init(&mr, f->data, f->len);
	h = mr_str(&mr);
	if (mr_done(&mr) == -1) {
		log_warnx("malformed READERS_Q (pid %d)", (int)f->pid);
		free(h);
		return;
	}
	if ((e = live_find(h)) != NULL)
		TAILQ_FOREACH(r, &e->waiters, link)
			n++;
	free(h);
	mbuf_init(&m);
	mbuf_u32(&m, n);
	if (chan_sendm(c, MSG_READERS, f->id, &m) == -1)
		log_debug("consumer channel closed");
	mbuf_free(&m);
}

uint64_t
live_global_lsn(void)
{
	return live_lsn;
}

size_t
live_nshapes(void)
{
	return live_n;
}

/* Shapes nobody has notified us about: re-read their files while
 * requests wait on them, and wake those on any change. */
static void
live_poll(evutil_socket_t fd UNUSED, short what UNUSED, void *arg UNUSED)
{
	struct shapelog_state old;
	struct shape_ent *e;
	size_t i;

	for (i = 0; i < live_nbuckets; i++)
		for (e = live_tab[i]; e != NULL; e = e->next) {
			if (e->notified || TAILQ_EMPTY(&e->waiters))
				continue;
			old = e->st;
			if (shapelog_read_state(e->dir, &e->st) == -1) {
				e->st = old;
				continue;
			}
			if (!shapelog_state_eq(&old, &e->st))
				live_wake(e);
		}
}

void
live_init(struct event_base *base)
{
	struct timeval tv = { LIVE_POLL_MS / 1000, (LIVE_POLL_MS % 1000) * 1000 };

	live_grow();
	live_poll_ev = event_new(base, -1, EV_PERSIST, live_poll, NULL);
	event_add(live_poll_ev, &tv);
}
