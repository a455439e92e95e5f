/*
 * shapelog_int: helpers shared by the shapelog writer (shapelog.c) and
 * reader (shapelog_plan.c).  Not for other modules: the format contract is
 * shapelog.h.
 */
#ifndef ELECTRICD_SHAPELOG_INT_H
#define ELECTRICD_SHAPELOG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHAPELOG_PATH_MAX	512
#define SHAPELOG_REC_LEN	24

/* One log.idx record. */
struct shapelog_rec {
	uint64_t	tx;
	uint64_t	op;
	uint64_t	end;
};

int shapelog_path(char *buf, size_t size, const char *dir, const char *name);
int shapelog_pread_all(int fd, void *, size_t, off_t);
int shapelog_pwrite_all(int fd, const void *, size_t, off_t);
/* Record i of log.idx / u64 i of log.chunks; -1 (errno EIO if short). */
int shapelog_rec_read(int fd, uint64_t i, struct shapelog_rec *);
int shapelog_u64_read(int fd, uint64_t i, uint64_t *);
/* A finished snapshot's chunk count from snapshot.done, after checking that
 * every chunk file exists.  -1 with ENOENT when the snapshot is incomplete
 * (or a chunk is missing). */
int shapelog_snap_scan(const char *dir, uint32_t *nchunks);

#endif
