/*
 * pgasync: one libpq connection driven by libevent, so that a process
 * keeps serving its channels while it connects to Postgres, waits for a
 * query (an advisory lock may wait for hours) or merely watches an idle
 * connection for breakage.  Used by connmgr.c and walstream.c.
 *
 * One operation at a time: pga_connect, pga_query or pga_watch.  Its
 * callback runs once, after the operation's events are removed, so the
 * callback may start the next operation or close the connection.
 */
#ifndef ELECTRICD_PGASYNC_H
#define ELECTRICD_PGASYNC_H

#include <libpq-fe.h>

#include "util.h"

struct event_base;
struct event;
struct pgasync;

/*
 * Connect: res NULL, err NULL on success, else the reason (one line).
 * Query: res is the last result (borrowed: cleared after the callback
 * returns) and err NULL; or res NULL and err set when the connection
 * broke.  Watch: err set when the connection broke.
 */
typedef void (*pga_cb)(struct pgasync *, PGresult *res, const char *err,
    void *arg);

enum pga_phase { PGA_IDLE, PGA_CONNECTING, PGA_QUERY, PGA_WATCH };

struct pgasync {
	struct event_base	*base;
	PGconn			*conn;
	struct event		*ev;		/* on PQsocket(conn) */
	struct event		*timer;		/* connect timeout */
	enum pga_phase		 phase;
	int			 flushing;	/* query not fully sent yet */
	PGresult		*last;		/* query result kept so far */
	pga_cb			 cb;
	void			*arg;
	char			 err[512];
};

void pga_init(struct pgasync *, struct event_base *);
/* keys/vals as for PQconnectdbParams (expand_dbname = 1), NULL-ended. */
void pga_connect(struct pgasync *, const char *const *keys,
    const char *const *vals, int timeout_s, pga_cb, void *arg);
/* Sends sql (with nparams text parameters, or none: simple protocol,
 * which replication connections require).  Returns -1 with pga->err set
 * when it cannot be sent; the callback is then not called. */
int pga_query(struct pgasync *, const char *sql, int nparams,
    const char *const *params, pga_cb, void *arg) WUR;
/* Calls cb with err once the idle connection breaks. */
void pga_watch(struct pgasync *, pga_cb, void *arg);
/* Removes the events of the current operation; the connection stays. */
void pga_cancel(struct pgasync *);
/* Cancels and closes the connection (PQfinish). */
void pga_close(struct pgasync *);

/* Copies a libpq message into buf on one line (newlines and tabs become
 * spaces, trailing space dropped). */
char *pga_oneline(const char *msg, char *buf, size_t len);
/* The primary message of an error result, or of a result of an
 * unexpected status ("unexpected result ..."), on one line, in pga->err. */
const char *pga_res_error(struct pgasync *, const PGresult *);
/* SQLSTATE of a result ("" if none). */
const char *pga_sqlstate(const PGresult *);

#endif
