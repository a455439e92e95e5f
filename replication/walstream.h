/*
 * walstream: one logical replication stream from Postgres (a
 * replication=database connection running START_REPLICATION with
 * pgoutput), decoded into frame payloads for the collector.  It also
 * sends the standby status updates: every second, soon after the
 * acknowledged LSN advances, and at once when the server asks.  The
 * LSN it reports is never more than what walstream_ack() was given (or
 * the slot's confirmed flush LSN at start).  Used by replication.c.
 */
#ifndef ELECTRICD_WALSTREAM_H
#define ELECTRICD_WALSTREAM_H

#include <stdint.h>

#include "frame.h"

struct event_base;
struct walstream;

struct walstream_cbs {
	/* START_REPLICATION succeeded; frames follow. */
	void	(*started)(void *arg);
	/* A decoded message (MSG_BEGIN, MSG_CHANGE, ...); payload borrowed. */
	void	(*frame)(uint16_t type, const struct mbuf *, void *arg);
	/* A primary keepalive outside a transaction. */
	void	(*keepalive)(uint64_t wal_end, void *arg);
	/* The stream failed or could not start; it is closed already.
	 * sqlstate is that of the server's error, or "". */
	void	(*broken)(const char *why, const char *sqlstate, void *arg);
};

struct walstream *walstream_new(struct event_base *,
    const struct walstream_cbs *, void *arg);
/* Connects and starts streaming from the slot (0/0 = its confirmed
 * flush position).  Outcome through started or broken. */
void walstream_start(struct walstream *);
/* Sends a last status update (if streaming) and closes the connection. */
void walstream_stop(struct walstream *);
/* The collector holds everything up to lsn durably. */
void walstream_ack(struct walstream *, uint64_t lsn);
/* Stops / resumes reading from Postgres (backpressure). */
void walstream_pause(struct walstream *, int paused);
int walstream_streaming(const struct walstream *);
uint64_t walstream_acked(const struct walstream *);

#endif
