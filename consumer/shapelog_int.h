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
/* A finished snapshot's chunk count from snapshot.done, after checking
 * every chunk file (shapelog_check.c).  -1 with ENOENT when the snapshot
 * is not finished, SHAPELOG_EDAMAGED when a chunk is missing or wrong
 * (why filled), other errno on I/O errors. */
int shapelog_snap_scan(const char *dir, uint32_t *nchunks, char *why,
    size_t whylen);
int shapelog_open_ro(const char *dir, const char *name);
/* Records why a directory is damaged for shapelog_damage(); returns 1. */
int shapelog_set_damage(const char *why);
/* Reads dir/name whole into b, NUL-terminated; 0 or -1 (errno). */
struct sbuf;
int shapelog_read_small(const char *dir, const char *name, struct sbuf *b);
/* Parses snapshot.xip's line (s is modified); 0 or -1 (EINVAL). */
struct shapelog_xip;
int shapelog_xip_parse(char *s, struct shapelog_xip *);
/* How many of log.idx's nrec records are durable: log.synced's count
 * (fd, or -1 when absent: an older directory, all of them). */
int shapelog_synced(int fd, uint64_t nrec, uint64_t *durable);
/* The same, for a reader: dir's log.synced. */
int shapelog_synced_in(const char *dir, uint64_t nrec, uint64_t *durable);
/* Counts the records [from, nrec) that are whole entries of log, up to
 * the first that is not (each after the one before, within log, its bytes
 * a ',' ... '\n'): *valid = from + that count, *last = the record before
 * *valid (zeros if none).  Records before from are taken as checked. */
int shapelog_tail_valid(int idx_fd, int log_fd, uint64_t from, uint64_t nrec,
    uint64_t *valid, struct shapelog_rec *last);
/* The bytes [start, start+len) of path about to be served are whole
 * entries (a ',' at start-1, a '\n' at the end, within the file).  0, or
 * -1 with SHAPELOG_EDAMAGED (shapelog_damage() says why) or errno. */
int shapelog_check_range(const char *path, off_t start, size_t len);

#endif
