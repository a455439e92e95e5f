/*
 * pgwire: the few messages of the Postgres frontend/backend protocol (v3,
 * simple query only) that a consumer needs to take a snapshot on a
 * connection it did not open: a socket lent by connmgr's pool (pool.h),
 * already authenticated and idle, and not encrypted (connmgr lends no TLS
 * or GSS connection).  Blocking from the caller's view: the socket stays
 * non-blocking (its file status flags are shared with connmgr) and waits
 * are poll()s.
 *
 * Messages are read into one growing buffer; a message's body stays valid
 * until the next pgw_next().  ErrorResponse fields are kept in sqlstate /
 * errmsg; ReadyForQuery's status in txstatus ('I' idle, 'T' in a
 * transaction, 'E' in a failed one).
 */
#ifndef ELECTRICD_PGWIRE_H
#define ELECTRICD_PGWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PGW_MAX_MSG	(1100u * 1024 * 1024)	/* above any 1 GB field */

struct pgw {
	int	 fd;
	char	*buf;
	size_t	 cap;
	size_t	 start;		/* first unread byte */
	size_t	 end;		/* one past the last byte read */
	char	 txstatus;	/* of the last ReadyForQuery, 0 before one */
	int	 broken;	/* I/O error, EOF or a malformed message */
	int	 idle;		/* the last message was ReadyForQuery */
	char	 sqlstate[6];	/* of the last ErrorResponse, "" if none */
	char	 errmsg[512];	/* its message, or why the link broke */
};

void pgw_init(struct pgw *, int fd);
/* Frees the buffer; the fd is the caller's. */
void pgw_free(struct pgw *);
/* Sends a simple Query; -1 (broken set) on failure.  Clears the error. */
int pgw_query(struct pgw *, const char *sql) WUR;
/* The next message: its type and body (len bytes, borrowed).  An
 * ErrorResponse is parsed into sqlstate/errmsg, a ReadyForQuery into
 * txstatus, and both are still returned.  -1 with broken set when the
 * link fails or the message is malformed. */
int pgw_next(struct pgw *, char *type, char **body, uint32_t *len) WUR;
/* A DataRow's first column: *val and *vlen, or -1 (NULL or malformed). */
int pgw_datarow_first(const char *body, uint32_t len, const char **val,
    uint32_t *vlen) WUR;
/* Parses an ErrorResponse body into sqlstate/errmsg (tests use it). */
void pgw_parse_error(struct pgw *, const char *body, uint32_t len);

#endif
