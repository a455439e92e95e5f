/*
 * replag: the commit-time lag of the replication process (replag.h).
 * Called by replication.c for every forwarded COMMIT and every MSG_ACK.
 *
 * A FIFO of (end LSN, commit time) of unacknowledged transactions,
 * oldest first.  Commits less than REPLAG_WINDOW_US apart share an entry
 * (the first one's time, the last one's LSN), and once REPLAG_MAX entries
 * are queued further commits join the newest entry: memory stays bounded
 * however long the collector stalls.  An entry leaves when the
 * acknowledged LSN reaches its LSN, so the age reported is never less
 * than the true lag (and at most one window more, unless the FIFO
 * filled up).
 */
#include <stdint.h>

#include "replag.h"
#include "util.h"

#define REPLAG_MAX		4096
#define REPLAG_WINDOW_US	100000
#define REPLAG_PG_EPOCH_US	946684800000000ULL	/* 2000-01-01 in Unix us */

static struct {
	uint64_t	lsn;
	uint64_t	at;	/* Postgres commit time */
} replag_q[REPLAG_MAX];
static unsigned replag_head, replag_len;

void
replag_commit(uint64_t end_lsn, uint64_t commit_time)
{
	unsigned last = (replag_head + replag_len - 1) % REPLAG_MAX;

	if (replag_len > 0 && (replag_len == REPLAG_MAX ||
	    commit_time < replag_q[last].at + REPLAG_WINDOW_US)) {
		if (end_lsn > replag_q[last].lsn)
			replag_q[last].lsn = end_lsn;
		return;
	}
	last = (replag_head + replag_len) % REPLAG_MAX;
	replag_q[last].lsn = end_lsn;
	replag_q[last].at = commit_time;
	replag_len++;
}

void
replag_ack(uint64_t lsn)
{
	while (replag_len > 0 && replag_q[replag_head].lsn <= lsn) {
		replag_head = (replag_head + 1) % REPLAG_MAX;
		replag_len--;
	}
}

uint64_t
replag_lag_us(uint64_t now)
{
	uint64_t at;

	if (replag_len == 0)
		return 0;
	at = replag_q[replag_head].at + REPLAG_PG_EPOCH_US;
	return now > at ? now - at : 0;
}

uint64_t
replag_now(void)
{
	return replag_lag_us(now_us());
}
