/*
 * pgoutput: pure decoding of the logical replication stream (no I/O, no
 * libpq), so that it is unit-tested with hand-built bytes.
 *
 * Two layers, as on the wire (all integers big-endian):
 *   - the CopyData messages of START_REPLICATION: 'w' XLogData (24-byte
 *     header, then one pgoutput message) and 'k' primary keepalive; and the
 *     client's 'r' standby status update;
 *   - the pgoutput protocol version 1 messages inside XLogData, turned into
 *     the frame payloads of common/msg.h (MSG_BEGIN, MSG_RELATION,
 *     MSG_CHANGE, MSG_TRUNCATE, MSG_COMMIT).
 * Malformed input makes a function return -1 and never reads past the
 * buffer; st->err then names what was wrong.
 */
#ifndef ELECTRICD_PGOUTPUT_H
#define ELECTRICD_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "util.h"

/* Microseconds between the Unix epoch and the Postgres epoch (2000-01-01). */
#define PG_EPOCH_OFFSET_US	946684800000000ULL

#define PGOUTPUT_XLOGDATA_HDR	24	/* after the 'w' byte */
#define PGOUTPUT_STATUS_LEN	34	/* 'r' + 3 x u64 LSN + u64 clock + u8 */

/* One CopyData message of the replication stream. */
struct pgoutput_copy {
	char		 kind;		/* 'w' or 'k' */
	uint64_t	 start_lsn;	/* 'w': WAL position of the data */
	uint64_t	 wal_end;	/* server's current end of WAL ('w'),
					 * or everything sent so far ('k') */
	uint64_t	 send_time;	/* server clock, Postgres epoch us */
	int		 reply;		/* 'k': the server asks for a status */
	const uint8_t	*data;		/* 'w': the pgoutput message */
	size_t		 len;
};

/* Decoder state across messages: where we are in a transaction. */
struct pgoutput_state {
	int		 in_tx;		/* between Begin and Commit */
	uint32_t	 index;		/* next change's position in the tx */
	uint64_t	 final_lsn;	/* Begin.final_lsn of the open tx */
	const char	*err;		/* why the last call returned -1 */
	char		 errbuf[96];
};

/* Parses one CopyData message.  Returns 0, or -1 (unknown kind, short). */
int pgoutput_copy_parse(const uint8_t *buf, size_t len,
    struct pgoutput_copy *out) WUR;

/* Writes a standby status update reporting write = flush = apply = lsn. */
void pgoutput_status_encode(uint8_t out[PGOUTPUT_STATUS_LEN], uint64_t lsn,
    uint64_t pg_now_us, int reply);

/* Current wall clock in Postgres-epoch microseconds. */
uint64_t pgoutput_pg_now(void);

void pgoutput_state_reset(struct pgoutput_state *);

/*
 * Decodes one pgoutput message into *out (reset first).  Returns 1 with
 * *out_type set when a frame payload was produced, 0 for a message that
 * is deliberately ignored (Type, Origin, logical Message), -1 when the
 * message is malformed or out of order (st->err says why).
 */
int pgoutput_decode(const uint8_t *msg, size_t len, struct pgoutput_state *st,
    struct mbuf *out, uint16_t *out_type) WUR;

/* "X/Y" as Postgres prints an LSN; buf needs PGOUTPUT_LSN_STRLEN bytes. */
#define PGOUTPUT_LSN_STRLEN 24
char *pgoutput_lsn_fmt(uint64_t lsn, char *buf);
/* Parses "X/Y".  Returns 0, or -1. */
int pgoutput_lsn_parse(const char *s, uint64_t *out) WUR;

#endif
