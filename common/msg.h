/*
 * msg: the catalogue of frame types exchanged by electricd processes.
 * Each line says who sends it to whom and its payload, field by field
 * (u8/u16/u32/u64/i32 host order; str = u32 length + bytes; tuple below).
 * msg_name() gives the name for logs.  Sockets (ARCHITECTURE.md §3):
 *   root channel   socketpair fd 3 of every child  <-> root
 *   run/control.sock    electricctl -> root
 *   run/collector.sock  replication, consumers      -> collector
 *   run/shapecache.sock http                        -> shapecache
 *   run/http.sock       consumers, shapecache       -> http
 *   run/pgpool.sock     consumers                   -> connmgr
 */
#ifndef ELECTRICD_MSG_H
#define ELECTRICD_MSG_H

#include <stdint.h>

enum msg_type {
	MSG_HELLO = 1,		/* any, first frame: u32 version, str role */

	/* root channel */
	MSG_READY = 2,		/* child -> root: (empty) I am up */
	MSG_STATE = 3,		/* child -> root: str state word, str detail
				 * (connmgr: "connecting", "waiting_lock",
				 * "ready", "error"; detail is a reason) */
	MSG_HEALTH = 4,		/* root -> http: u8 enum stack_health, str reason */
	MSG_SPAWN = 5,		/* shapecache -> root: str handle; start its consumer */
	MSG_STOP_CONSUMER = 6,	/* shapecache -> root: str handle; stop it for good */
	MSG_CTL_REQ = 7,	/* electricctl -> root, root -> shapecache,
				 * http -> root ({"cmd":"metrics"} only, on its
				 * root channel): str JSON request {"cmd":...} */
	MSG_CTL_REPLY = 8,	/* reply to MSG_CTL_REQ (same id): u16 status
				 * (0 ok, else error), str JSON body */
	MSG_SHAPE_FAILED = 9,	/* consumer -> root -> shapecache: str handle,
				 * str field ("where", "table"), str message: its
				 * snapshot query fails on the data; the shape is
				 * deleted and its definition answers 400 */
	MSG_STATS = 19,		/* child -> root: u32 n, n x { str name, u64
				 * value }: the child's counters (names ending
				 * in "_total") and gauges, replacing what it sent
				 * before; UINT64_MAX = unknown (dropped).  The
				 * root keeps them for the http process's
				 * /metrics (supervisor/control_metrics.c) */

	/* decoded replication stream: replication -> collector -> consumers */
	MSG_RELATION = 20,	/* u32 relid, str schema, str table, u8 replident,
				 * u16 ncols, ncols x { u8 flags (1 = key), str name,
				 * u32 type oid, i32 typmod } */
	MSG_BEGIN = 21,		/* u64 seq, u64 final_lsn, u64 commit_time (PG us),
				 * u32 xid.  seq: 0 from replication; the
				 * collector numbers transactions for acks */
	MSG_CHANGE = 22,	/* u32 relid, u8 op ('I','U','D'), u32 index (0-based
				 * position of the change in its transaction),
				 * u8 has_old, [tuple], u8 has_new, [tuple]
				 * tuple = u16 ncols, ncols x { u8 kind ('n' null,
				 * 'u' unchanged toast, 't' text), if 't': str } */
	MSG_TRUNCATE = 23,	/* u32 nrels, nrels x u32 relid, u8 options */
	MSG_COMMIT = 24,	/* u64 seq, u64 commit_lsn, u64 end_lsn, u64 commit_time */
	MSG_KEEPALIVE = 25,	/* replication -> collector: u64 wal_end; everything
				 * before it in the stream has been sent */
	MSG_ACK = 26,		/* collector -> replication: u64 lsn durable in
				 * every shape (standby status flush position) */
	MSG_REWIND = 27,	/* collector -> replication: (empty) restart
				 * streaming from the slot's confirmed position */
	MSG_REWOUND = 28,	/* replication -> collector: (empty) the stream
				 * restarted; earlier pending transactions are void */

	/* consumer <-> collector */
	MSG_SUBSCRIBE = 30,	/* consumer -> collector: str handle, str schema,
				 * str table, u64 last_lsn (final_lsn of the last
				 * transaction it holds durably, 0 if none) */
	MSG_SUBSCRIBED = 31,	/* collector -> consumer: (empty) every transaction
				 * committed after this frame will be forwarded */
	MSG_FLUSHED = 32,	/* consumer -> collector: u64 seq; every forwarded
				 * transaction with seq <= this is durable (or
				 * deliberately skipped) */
	MSG_INVALIDATE = 33,	/* collector -> consumer: str reason (TRUNCATE...) */

	/* http <-> shapecache */
	MSG_SHAPE_REQ = 40,	/* http -> shapecache (id correlates): a
				 * struct shape_req (common/shapereq.h: table,
				 * handle, flags, log_mode, replica, where,
				 * params, columns) */
	MSG_SHAPE_REPLY = 41,	/* shapecache -> http (same id): u16 status
				 * (200 found/created, 400 invalid, 404 unknown,
				 * 503 not available), u8 handle_matches (the
				 * requested handle is this definition's),
				 * str handle, str schema (quoted) , str table,
				 * str electric-schema JSON, str error message,
				 * str field of a 400 ("" = table) */
	MSG_SHAPE_GONE = 42,	/* shapecache -> http: str handle; the shape was
				 * removed: its clients get 409 */

	/* consumer -> http */
	MSG_SHAPE_NOTIFY = 43,	/* str handle, then struct shapelog_state fields:
				 * u32 snap_chunks, u8 snap_done, u64 log_entries,
				 * u64 last_tx, u64 last_op, u64 log_chunks;
				 * optionally the last publish's struct
				 * shapelog_tail: u64 from tx, u64 from op,
				 * u64 start, u64 len, bytes (empty when
				 * not carried) */

	/* deletion and invalidation (PROTOCOL.md §4.5, §14.2) */
	MSG_SHAPE_DELETE = 44,	/* http -> shapecache (id correlates): a
				 * struct shape_req; table "" = by handle only,
				 * handle "" = by definition only */
	MSG_SHAPE_DELETE_REPLY = 45, /* shapecache -> http (same id): u16 status
				 * (202 deleted, 400 mismatch or neither given,
				 * 404 no such shape, 503), str message */
	MSG_FORGET = 46,	/* shapecache -> collector: str handle; the shape
				 * is gone: drop its subscriber, release what it
				 * blocked */
	MSG_SHAPE_INVALID = 47,	/* collector -> shapecache: str handle, str
				 * reason; the shape's incarnation died (TRUNCATE
				 * of its table): delete it */

	/* subset snapshots (PROTOCOL.md §9): http -> the shape's consumer over
	 * the consumer's http.sock connection; id correlates */
	MSG_SUBSET_REQ = 48,	/* str where (deparsed, validated SQL; "" = none),
				 * str params (JSON object {"1":"v",...}),
				 * str order_by (deparsed, validated; "" = none),
				 * i64-as-u64 limit (UINT64_MAX = none),
				 * i64-as-u64 offset (UINT64_MAX = none) */
	MSG_SUBSET_REPLY = 49,	/* consumer -> http: u16 status (200, 400, 503),
				 * str body (200: the whole JSON response body
				 * {"metadata":{..},"data":[..]}; else the error
				 * message), str field (400: "where" or
				 * "order_by"...) */

	/* consumer suspension (issue 6) */
	MSG_SUSPEND = 50,	/* root -> consumer: (empty) electricctl suspend:
				 * suspend as soon as nothing is pending */
	MSG_READERS_Q = 51,	/* consumer -> http (id correlates): str handle;
				 * may I suspend? */
	MSG_READERS = 52,	/* http -> consumer (same id): u32 requests
				 * waiting on the shape (long-polls, SSE,
				 * subsets); 0 = none */

	/* storage faults (issue 5) */
	MSG_SHAPE_FAULT = 53,	/* consumer -> http: str handle, str message;
				 * the shape cannot store (disk full,
				 * read-only...): requests waiting for its
				 * snapshot get 503 with the message.  "" = over */

	/* connmgr's snapshot connection pool (replication/pgpool.c) */
	MSG_POOL_BORROW = 54,	/* consumer -> connmgr: (empty) lend me a
				 * connection; one loan per channel at a time */
	MSG_POOL_LEND = 55,	/* connmgr -> consumer: u32 loan id, str error;
				 * with the fd of a connection idle outside
				 * any transaction when error is "", without
				 * one when the pool cannot lend (then error
				 * says why: connect directly) */
	MSG_POOL_RETURN = 56,	/* consumer -> connmgr: u32 loan id, u8 clean;
				 * clean 1: idle outside a transaction again,
				 * else (or when the channel closes first)
				 * the connection is closed */
};

enum stack_health {
	HEALTH_STARTING = 0,
	HEALTH_WAITING = 1,	/* blocked on the advisory lock */
	HEALTH_ACTIVE = 2
};

const char *msg_name(uint16_t type);

#endif
