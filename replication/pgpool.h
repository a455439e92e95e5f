/*
 * pgpool: connmgr's pool of snapshot connections.  Up to
 * ELECTRIC_DB_POOL_SIZE libpq connections, opened when consumers ask and
 * kept while used (closed after PGPOOL_IDLE_MS unused), are lent to
 * consumer processes over run/pgpool.sock by passing the socket
 * (MSG_POOL_BORROW / LEND / RETURN, msg.h).  A borrower speaks the
 * protocol on it itself (consumer/pgwire.h) and gives it back idle outside
 * a transaction; a connection that comes back dirty, or whose borrower's
 * channel closes first (a consumer killed mid-snapshot), is closed, which
 * ends its backend and any transaction it had open.
 *
 * Why: a fresh backend costs a snapshot 20-50 ms of Postgres CPU here
 * (fork, authentication, cold catalogue caches) against 1-3 ms on a warm
 * one.  Waiting borrowers are served first come, first served.
 *
 * The pool cannot lend an encrypted connection (the TLS state lives in
 * this process): when the first one comes up with TLS or GSS encryption
 * the pool stops lending and answers every borrower with an error, and
 * consumers connect on their own as before (consumer/pool.h's slots then
 * limit them).  Connect failures are answered the same way, one waiter per
 * failure, so that the consumer's own attempt reports the error.
 */
#ifndef ELECTRICD_PGPOOL_H
#define ELECTRICD_PGPOOL_H

#include <stdint.h>

#define PGPOOL_IDLE_MS		60000	/* an unused connection is closed */
#define PGPOOL_CONNECT_TIMEOUT_S	10

struct event_base;

/* Listens on run/pgpool.sock; borrowers wait until pgpool_start. */
void pgpool_init(struct event_base *, int size);
/* connmgr is READY: connections may be opened. */
void pgpool_start(void);

/* Statistics (electricctl metrics, connmgr's table). */
uint64_t pgpool_open(void);	/* connections open or opening */
uint64_t pgpool_lent(void);	/* on loan now */
uint64_t pgpool_waiting(void);	/* borrowers waiting now */
uint64_t pgpool_loans(void);	/* loans since start */
uint64_t pgpool_opened(void);	/* connections opened since start */

#endif
