/*
 * shapelog_w: the writer's private parts, shared by shapelog.c (writing)
 * and shapelog_recover.c (recovery at open).  Not for other modules: the
 * format contract is shapelog.h, the reader's helpers shapelog_int.h.
 */
#ifndef ELECTRICD_SHAPELOG_W_H
#define ELECTRICD_SHAPELOG_W_H

#include <stdint.h>

#include "shapelog.h"
#include "shapelog_int.h"
#include "util.h"

/* Where the published main log stands; dur keeps the durable one. */
struct shapelog_mark {
	uint64_t	size, entries, chunks, tx, op, fill;
};

struct shapelog {
	char			*dir;
	uint64_t		 chunk_bytes;
	struct shapelog_state	 st;

	/* snapshot writer */
	int			 snap_fd;	/* open snapshot.<n>.part or -1 */
	uint64_t		 snap_bytes;	/* bytes in the open chunk */
	struct sbuf		 snap_buf;	/* not yet written */

	/* main log: appended (pend*), published (st, log_size, fill_pub:
	 * in the files, servable), durable (dur: fdatasynced) */
	int			 log_fd, idx_fd, chunks_fd, synced_fd;
	uint64_t		 log_size;	/* published bytes in log */
	uint64_t		 written;	/* pending bytes already in the file */
	struct sbuf		 pend;		/* pending bytes not yet written */
	struct sbuf		 pend_idx;	/* pending log.idx records */
	struct sbuf		 pend_chunks;	/* pending log.chunks records */
	uint64_t		 pend_entries;
	uint64_t		 fill;		/* bytes in the open main chunk */
	uint64_t		 fill_pub;
	uint64_t		 ptx, pop;	/* last appended offset */
	struct shapelog_mark	 dur;
	int			 unsynced;	/* published, not yet durable */
	int			 chunks_unsynced;
	int			 synced_new;	/* log.synced needs an fdatasync */
	struct sbuf		 snap_sizes;	/* "<bytes>\n" per closed chunk */
	/* the last publish as one served range (shapelog_tail) */
	int			 tail_ok;
	struct offset		 tail_from;
	uint64_t		 tail_start, tail_len;
	struct sbuf		 tail;		/* its bytes, or empty */
	char			 err[SHAPELOG_PATH_MAX + 96];	/* last failure */
};

/* Records "<dir>/<name>: <op>: <strerror>" (shapelog_errmsg); keeps errno;
 * returns -1. */
int shapelog_fail(struct shapelog *, const char *name, const char *op);
int shapelog_open_in(const struct shapelog *, const char *name, int flags);
int shapelog_fsync_dir(const char *dir);
int shapelog_file_size(int fd, uint64_t *size);
void shapelog_pend_u64(struct sbuf *, uint64_t);
void shapelog_mark_take(const struct shapelog *, struct shapelog_mark *);
/* Recovery at open (shapelog_recover.c): the snapshot's files, then the
 * main log's (torn tails dropped, lost chunk boundaries derived again,
 * what is kept made durable). */
int shapelog_recover_snapshot(struct shapelog *);
int shapelog_recover_log(struct shapelog *);

#endif
