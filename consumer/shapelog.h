/*
 * shapelog: the on-disk format of one shape's log, written by its consumer
 * and read by the http process (ARCHITECTURE.md §4).  Everything a response
 * body needs is stored ready to serve: a response is "[" + one byte range of
 * one file + optional ",<up-to-date>" + "]", with no per-message work.
 *
 * Directory <storage>/shapes/<handle>/:
 *   snapshot.<n>   snapshot chunk n (n = 0..K).  Entries are stored as
 *                  ",<json>\n"; a chunk closes after the entry that brings
 *                  its size to >= chunk_bytes.  The last chunk ends with the
 *                  snapshot-end control message.  Complete chunks never
 *                  change (byte-identical re-reads, safe week-long caching).
 *                  A chunk is written as snapshot.<n>.part and renamed
 *                  when complete, so snapshot.<n> always is complete.
 *   snapshot.done  written (and fsynced) after the last chunk: "<K+1>\n",
 *                  then one line "<bytes>\n" per chunk (chunk sizes;
 *                  absent in directories written before issue 5).
 *                  Without it the snapshot is incomplete: redone if no
 *                  chunk was complete, else the shape is dropped (its
 *                  chunks may have been served: 409, never a mix).
 *   log            main log data, entries ",<json>\n" in offset order.
 *   log.idx        one 24-byte record per published entry, host order:
 *                  u64 tx, u64 op, u64 end (byte position in log just
 *                  after the entry).  Entry i spans [end(i-1), end(i)).
 *   log.chunks     one u64 per closed main-log chunk: the entry count at
 *                  which it closes (exclusive end).
 *   log.synced     one u64, host order: how many log.idx records are
 *                  known durable (a lower bound; absent in directories
 *                  written before it, where every record is durable).
 * A commit is published, then synced: log, log.idx and log.chunks are
 * written (readers may serve the entries at once), then fdatasynced, then
 * log.synced is updated.  Bytes in log past the last idx record, and idx
 * records past log.synced whose entries a machine crash tore, are an
 * interrupted commit (never acknowledged): shapelog_open truncates them.
 */
#ifndef ELECTRICD_SHAPELOG_H
#define ELECTRICD_SHAPELOG_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "offset.h"
#include "util.h"

/* What readers may serve: everything here is published (a crash of any
 * process keeps it; a machine crash may only cut the unacknowledged tail,
 * which the replay rewrites identically). */
struct shapelog_state {
	uint32_t	snap_chunks;	/* snapshot chunk files complete */
	uint8_t		snap_done;
	uint64_t	log_entries;	/* published main-log entries */
	uint64_t	last_tx;	/* offset of the last published entry */
	uint64_t	last_op;	/*   (both 0 when log_entries == 0) */
	uint64_t	log_chunks;	/* closed main-log chunks */
};

/* §7.3 "last": 0_inf while the snapshot runs, 0_K with no changes yet,
 * else the offset of the last published change. */
void shapelog_last(const struct shapelog_state *, struct offset *);
/* 1 when a and b name the same durable state. */
int shapelog_state_eq(const struct shapelog_state *a,
    const struct shapelog_state *b);

/* ---- writer (consumer) ---- */
struct shapelog;
/* Creates dir if needed and recovers it (truncates an interrupted commit,
 * discards an incomplete snapshot).  NULL with errno on failure:
 * SHAPELOG_EDAMAGED for a damaged directory (shapelog_damage() says
 * why; nothing is changed). */
struct shapelog *shapelog_open(const char *dir, uint64_t chunk_bytes);
void shapelog_close(struct shapelog *);
const struct shapelog_state *shapelog_state(const struct shapelog *);
/* Snapshot rows, in order, then finish with the snapshot-end message. */
int shapelog_snap_append(struct shapelog *, const char *json, size_t len) WUR;
int shapelog_snap_finish(struct shapelog *, const char *json, size_t len) WUR;
/* Main log: append entries (not yet visible), publish them (written:
 * readers may serve them), sync them (durable: only then acknowledge
 * them); commit = publish + sync.  A failed append or publish rolls back
 * every pending entry, a failed sync every entry published since the last
 * sync (the files are truncated back) before it returns -1. */
int shapelog_append(struct shapelog *, uint64_t tx, uint64_t op,
    const char *json, size_t len) WUR;
int shapelog_publish(struct shapelog *) WUR;
int shapelog_sync(struct shapelog *) WUR;
/* The entries the last shapelog_publish added, as a reader at the offset
 * before them is served: shapelog_plan(kind OFFSET_REAL, req from) on the
 * state after the publish plans bytes [start, start + len) of log, ending
 * at the last entry's offset, up-to-date.  Lets the http process answer
 * the requests waiting at that offset without searching the index, and
 * small ones from memory (MSG_SHAPE_NOTIFY). */
#define SHAPELOG_TAIL_MAX	1024u	/* bytes kept up to this */
struct shapelog_tail {
	struct offset	 from;
	off_t		 start;
	size_t		 len;
	const char	*bytes;		/* the len bytes, or NULL (more than
					 * SHAPELOG_TAIL_MAX); valid until
					 * the next append, publish or
					 * rollback */
};
/* 1 with *t when the last publish can be told so (it came after the
 * snapshot and closed no chunk before its last entry), else 0. */
int shapelog_tail(const struct shapelog *, struct shapelog_tail *) WUR;
/* Published entries wait for shapelog_sync. */
int shapelog_unsynced(const struct shapelog *);
int shapelog_commit(struct shapelog *) WUR;
void shapelog_rollback(struct shapelog *);

/* The snapshot's visibility filter (pg_current_snapshot(), PROTOCOL.md
 * §12.4), kept in snapshot.xip so that it still applies after a restart:
 * one line "<xmin> <xmax> <passed_lsn> <xip>...".  Written before
 * snapshot.done (and removed with an incomplete snapshot).  passed_lsn is
 * the final_lsn of a transaction seen with xid >= xmax (0 = none yet):
 * transactions committed at or after it are never in the snapshot. */
struct shapelog_xip {
	uint64_t	 xmin;
	uint64_t	 xmax;
	uint64_t	 passed_lsn;
	size_t		 nxip;
	uint64_t	*xip;		/* malloc'd */
};
int shapelog_xip_write(struct shapelog *, const struct shapelog_xip *) WUR;
/* 0 read, 1 absent, -1 error (errno). */
int shapelog_xip_read(struct shapelog *, struct shapelog_xip *) WUR;
void shapelog_xip_free(struct shapelog_xip *);

/* ---- reader (http) ---- */
/* Reads the published state from the files (used when no consumer has
 * reported yet, e.g. after an http restart). */
int shapelog_read_state(const char *dir, struct shapelog_state *) WUR;

enum shapelog_plan_result {
	SHAPELOG_OK = 0,
	SHAPELOG_NOT_READY,		/* the next snapshot chunk is not
					 * complete yet */
	SHAPELOG_OUT_OF_BOUNDS,		/* request offset > last */
	SHAPELOG_AT_END,		/* nothing after the offset: up-to-date */
	SHAPELOG_ERROR			/* I/O error, errno set */
};

/* A planned response: bytes [start, start+len) of path, which already
 * skip the first entry's leading comma; len 0 means no entries. */
struct shapelog_plan {
	char		path[512];
	off_t		start;
	size_t		len;
	struct offset	end;		/* electric-offset of the response */
	int		up_to_date;	/* append the up-to-date message */
};

/* §7.3 serving algorithm for request offset (kind, req) against state st.
 * For SHAPELOG_AT_END, plan->end is the request offset (or last) and
 * up_to_date is 1. */
enum shapelog_plan_result shapelog_plan(const char *dir,
    const struct shapelog_state *st, enum offset_kind kind,
    const struct offset *req, struct shapelog_plan *plan);
/* The plan shapelog_plan makes for (OFFSET_REAL, t->from) on st, from a
 * writer's tail (shapelog_tail) instead of the files: no range checks,
 * the bytes are the writer's.  0, or -1 (errno) when t cannot be st's
 * last publish. */
int shapelog_tail_plan(const char *dir, const struct shapelog_state *st,
    const struct shapelog_tail *t, struct shapelog_plan *plan) WUR;

/* ---- damage and storage faults (shapelog_check.c) ---- */

/* errno of a damaged shape directory: its files contradict each other in
 * a way no interrupted write of ours can leave (shapelog_check.c says
 * which).  Such a directory is never served: the shape is dropped. */
#define SHAPELOG_EDAMAGED	EUCLEAN

/* Checks a shape directory: 0 consistent (or nothing finished yet), 1
 * damaged (why, and shapelog_damage(), say what), -1 I/O error (errno).
 * deep = 1 also reads every log.idx and log.chunks record (consumer
 * start); deep = 0 only the last ones (readers). */
int shapelog_check(const char *dir, int deep, char *why, size_t whylen);
/* What the last check in this process found damaged. */
const char *shapelog_damage(void);
/* 1 for a storage fault a later retry may cure: disk full (ENOSPC,
 * EDQUOT, EFBIG), read-only or forbidden (EROFS, EACCES, EPERM), EIO. */
int shapelog_storage_errno(int);

/* The writer's last failure, "<path>: <operation>: <strerror>". */
const char *shapelog_errmsg(const struct shapelog *);
/* After a failed snapshot write: drops the unfinished snapshot's files so
 * the directory is as new.  0 or -1. */
int shapelog_snap_abort(struct shapelog *);
/* Can dir take writes again?  Writes, syncs and removes a 64 KiB probe
 * file.  0, or -1 with errno and why filled. */
int shapelog_probe(const char *dir, char *why, size_t whylen);

#endif
