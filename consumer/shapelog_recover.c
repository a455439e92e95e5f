/*
 * shapelog_recover: what shapelog_open does to a shape directory before
 * anything is written (format in shapelog.h, invariants in shapelog.c).
 * An unfinished snapshot is wiped (or, after a chunk was complete, the
 * directory is damaged); the main log keeps its durable records
 * (log.synced) and the whole entries after them, drops a torn tail,
 * derives chunk boundaries a torn log.chunks lost, and makes what it kept
 * durable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "shapelog_w.h"

static int
is_shape_file(const char *name)
{
	return strncmp(name, "snapshot.", 9) == 0 || strcmp(name, "log") == 0 ||
	    strcmp(name, "log.idx") == 0 || strcmp(name, "log.chunks") == 0 ||
	    strcmp(name, "log.synced") == 0;
}

/* Removes every shape file: the snapshot is incomplete, so nothing that
 * depends on it (the main log) is meaningful either. */
static int
wipe_dir(const struct shapelog *sl)
{
	char path[SHAPELOG_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(sl->dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!is_shape_file(de->d_name))
			continue;
		if (shapelog_path(path, sizeof(path), sl->dir, de->d_name) == 0 &&
		    unlink(path) == -1 && errno != ENOENT)
			log_warn("unlink %s", path);
	}
	closedir(d);
	return 0;
}

/* Removes leftover snapshot.*.part files of a finished snapshot. */
static void
remove_parts(const struct shapelog *sl)
{
	char path[SHAPELOG_PATH_MAX];
	struct dirent *de;
	size_t n;
	DIR *d;

	if ((d = opendir(sl->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (strncmp(de->d_name, "snapshot.", 9) != 0 || n < 5 ||
		    strcmp(de->d_name + n - 5, ".part") != 0)
			continue;
		if (shapelog_path(path, sizeof(path), sl->dir, de->d_name) == 0)
			(void)unlink(path);
	}
	closedir(d);
}

/* Snapshot state from the files.  An unfinished snapshot with no complete
 * chunk was never served: it wipes the dir and is redone.  One whose
 * snapshot.0 is complete may have been served (shapelog_plan serves chunks
 * while the snapshot runs), and a redone snapshot under the same handle
 * could mix with it: that is damage (the shape is dropped, its clients get
 * 409, never a mix of two snapshots). */
int
shapelog_recover_snapshot(struct shapelog *sl)
{
	char path[SHAPELOG_PATH_MAX];
	struct stat sb;
	uint32_t n;

	if (shapelog_snap_scan(sl->dir, &n, NULL, 0) == 0) {
		sl->st.snap_chunks = n;
		sl->st.snap_done = 1;
		remove_parts(sl);
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	if (shapelog_path(path, sizeof(path), sl->dir, "snapshot.0") == 0 &&
	    stat(path, &sb) == 0) {
		shapelog_set_damage("snapshot interrupted after a chunk was "
		    "complete (clients may hold it)");
		errno = SHAPELOG_EDAMAGED;
		return -1;
	}
	sl->st.snap_chunks = 0;
	sl->st.snap_done = 0;
	return wipe_dir(sl);
}

int
shapelog_file_size(int fd, uint64_t *size)
{
	struct stat sb;

	if (fstat(fd, &sb) == -1)
		return -1;
	*size = (uint64_t)sb.st_size;
	return 0;
}

/* Keeps the durable records (log.synced; shapelog_check verified them)
 * and the whole entries of the tail after them, drops the rest (a partial
 * record, entries a machine crash tore), then truncates the log after the
 * last record kept. */
static int
recover_idx(struct shapelog *sl)
{
	struct shapelog_rec rec = { 0, 0, 0 };
	uint64_t isz, lsz, nrec, d, n;

	if (shapelog_file_size(sl->idx_fd, &isz) == -1 || shapelog_file_size(sl->log_fd, &lsz) == -1)
		return -1;
	nrec = isz / SHAPELOG_REC_LEN;
	if (shapelog_synced(sl->synced_fd, nrec, &d) == -1 ||
	    shapelog_tail_valid(sl->idx_fd, sl->log_fd, d, nrec, &n, &rec) == -1)
		return -1;
	if (n < d) {	/* shapelog_check found it first: never reached */
		shapelog_set_damage("log.idx points past the end of log");
		errno = SHAPELOG_EDAMAGED;
		return -1;
	}
	sl->unsynced |= n > d;
	if (n * SHAPELOG_REC_LEN != isz &&
	    ftruncate(sl->idx_fd, (off_t)(n * SHAPELOG_REC_LEN)) == -1)
		return -1;
	sl->log_size = n > 0 ? rec.end : 0;
	if (lsz > sl->log_size && ftruncate(sl->log_fd, (off_t)sl->log_size) == -1)
		return -1;
	sl->st.log_entries = n;
	sl->st.last_tx = n > 0 ? rec.tx : 0;
	sl->st.last_op = n > 0 ? rec.op : 0;
	return 0;
}

/* Adds the boundaries that entries [from, log_entries) close (chunk
 * bytes counted from entry from, which starts a chunk): the ones a torn
 * log.chunks lost, at the same entries as before.  Sets sl->fill. */
static int
rederive_chunks(struct shapelog *sl, uint64_t from)
{
	struct shapelog_rec rec = { 0, 0, 0 };
	uint64_t i, prev_end = 0;

	if (from > 0 && shapelog_rec_read(sl->idx_fd, from - 1, &rec) == -1)
		return -1;
	prev_end = rec.end;
	sl->fill = 0;
	for (i = from; i < sl->st.log_entries; i++) {
		if (shapelog_rec_read(sl->idx_fd, i, &rec) == -1)
			return -1;
		sl->fill += rec.end - prev_end;
		prev_end = rec.end;
		if (sl->fill < sl->chunk_bytes)
			continue;
		shapelog_pend_u64(&sl->pend_chunks, i + 1);
		sl->fill = 0;
	}
	if (sl->pend_chunks.len == 0)
		return 0;
	if (shapelog_pwrite_all(sl->chunks_fd, sl->pend_chunks.p,
	    sl->pend_chunks.len, (off_t)(sl->st.log_chunks * 8)) == -1)
		return -1;
	sl->st.log_chunks += sl->pend_chunks.len / 8;
	sbuf_reset(&sl->pend_chunks);
	sl->unsynced = sl->chunks_unsynced = 1;
	return 0;
}

/* Drops a partial chunk record and boundaries past the entries kept;
 * derives lost ones again; recomputes how full the open chunk is. */
static int
recover_chunks(struct shapelog *sl)
{
	struct shapelog_rec rec;
	uint64_t csz, n, b = 0;

	if (shapelog_file_size(sl->chunks_fd, &csz) == -1)
		return -1;
	n = csz / 8;
	while (n > 0) {
		if (shapelog_u64_read(sl->chunks_fd, n - 1, &b) == -1)
			return -1;
		if (b <= sl->st.log_entries && b > 0)
			break;
		n--;
	}
	if (n * 8 != csz && ftruncate(sl->chunks_fd, (off_t)(n * 8)) == -1)
		return -1;
	sl->st.log_chunks = n;
	sl->fill = sl->log_size;
	if (n > 0) {
		if (shapelog_rec_read(sl->idx_fd, b - 1, &rec) == -1)
			return -1;
		sl->fill = sl->log_size - rec.end;
	}
	if (sl->fill >= sl->chunk_bytes && rederive_chunks(sl, n > 0 ? b : 0) == -1)
		return -1;
	sl->fill_pub = sl->fill;
	return 0;
}

/* log.synced: created (and made durable) before log.idx can hold a
 * record that is not durable, so that its absence always means an older
 * directory whose every record is durable. */
static int
open_synced(struct shapelog *sl)
{
	uint64_t size, zero;

	if ((sl->synced_fd = shapelog_open_in(sl, "log.synced", O_RDWR | O_CREAT)) == -1 ||
	    shapelog_file_size(sl->synced_fd, &size) == -1)
		return -1;
	if (size >= sizeof(zero))
		return 0;
	sl->synced_new = sl->unsynced = 1;	/* recovery's sync writes it */
	return 0;
}

int
shapelog_recover_log(struct shapelog *sl)
{
	int fl = O_RDWR | O_CREAT;

	if ((sl->log_fd = shapelog_open_in(sl, "log", fl)) == -1 ||
	    (sl->idx_fd = shapelog_open_in(sl, "log.idx", fl)) == -1 ||
	    (sl->chunks_fd = shapelog_open_in(sl, "log.chunks", fl)) == -1)
		return -1;
	/* The files may be new: make their names durable before any commit
	 * relies on them. */
	if (shapelog_fsync_dir(sl->dir) == -1)
		return -1;
	if (open_synced(sl) == -1 || recover_idx(sl) == -1 ||
	    recover_chunks(sl) == -1)
		return -1;
	sl->ptx = sl->st.last_tx;
	sl->pop = sl->st.last_op;
	/* What recovery kept is made durable before anything relies on it
	 * (a failure here truncates nothing: the open fails, the files stay
	 * for the next attempt). */
	shapelog_mark_take(sl, &sl->dur);
	sl->chunks_unsynced |= sl->unsynced;
	return shapelog_sync(sl);
}
