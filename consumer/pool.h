/*
 * pool: how a consumer gets a Postgres connection for a snapshot or a
 * subset query.
 *
 * A snapshot first borrows a warm connection from connmgr's pool
 * (replication/pgpool.h) over run/pgpool.sock: pool_borrow blocks until
 * one is lent (borrowers are served in order) and gives its socket.
 *
 * When the pool cannot lend (encrypted connections, a connect failure,
 * connmgr unreachable), and for subset queries, the consumer connects on
 * its own, holding one of ELECTRIC_DB_POOL_SIZE slots meanwhile.  A slot
 * is an flock on <run>/pool.<n>.lock; the kernel releases it when its
 * holder exits, even after SIGKILL, so a crashed consumer never leaks a
 * slot.
 */
#ifndef ELECTRICD_POOL_H
#define ELECTRICD_POOL_H

#include <stddef.h>
#include <stdint.h>

/* Blocks until one of size slots is free; returns the fd holding it. */
int pool_acquire(const char *run_dir, int size);
/* Never blocks: the fd of a free slot, or -1 when all size are taken. */
int pool_try_acquire(const char *run_dir, int size);
void pool_release(int fd);

/* A connection on loan from connmgr. */
struct pool_loan {
	int		chan;	/* our channel to connmgr */
	int		fd;	/* the connection's socket */
	uint32_t	id;
};
/* Blocks until connmgr lends a connection: 0, or -1 with why (the pool
 * cannot lend, or connmgr is unreachable) when the caller must connect on
 * its own. */
int pool_borrow(struct pool_loan *, char *why, size_t whylen);
/* Gives the loan back, clean (idle outside a transaction: reused) or not
 * (connmgr closes it); closes our fds either way. */
void pool_return(struct pool_loan *, int clean);

#endif
