/*
 * shapelog (writer): the consumer's side of the on-disk shape log whose
 * format shapelog.h describes.  Only the shape's consumer writes; the http
 * process reads the same files (shapelog_plan.c) and never serves more than
 * the published state the consumer reported.
 *
 * Invariants kept here:
 *  - snapshot.<n> exists only when chunk n is complete and fdatasynced;
 *    snapshot.done is written only after every chunk and the directory.
 *  - a main-log commit has two steps.  shapelog_publish writes the
 *    entries (log, then log.idx and log.chunks) to the page cache: readers
 *    may serve them from then on, a crash of any process keeps them.
 *    shapelog_sync fdatasyncs the three files and only then counts the
 *    entries in log.synced, so log.synced never counts an entry that is
 *    not durable.  After a machine crash, records past that count may
 *    point at bytes that were never written back: shapelog_open keeps
 *    their whole prefix and drops the rest (never acknowledged, the
 *    replay brings them again, the same bytes at the same offsets).
 *  - bytes in log past the last record are never served and are
 *    truncated by shapelog_open.
 *  - main-log chunk boundaries are a function of the entries (an entry
 *    closes its chunk once the chunk holds >= chunk_bytes), so boundaries
 *    lost with a torn log.chunks are derived again at the same entries.
 *  - main-log offsets are strictly increasing and > 0_inf.
 *  - a failed write (disk full, read-only storage, EIO) leaves no torn
 *    state behind: the main log's files are cut back to their published
 *    lengths, a failed snapshot file stays a .part (shapelog_snap_abort
 *    removes it), and shapelog_errmsg() says which file and operation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "shapelog_w.h"

#define SNAP_FLUSH_BYTES	(256u * 1024)
#define LOG_FLUSH_BYTES		(1024u * 1024)

/* Records "<dir>/<name>: <op>: <strerror>" as the last failure; keeps
 * errno; returns -1. */
int
shapelog_fail(struct shapelog *sl, const char *name, const char *op)
{
	int e = errno;

	snprintf(sl->err, sizeof(sl->err), "%s/%s: %s: %s", sl->dir, name, op,
	    strerror(e));
	errno = e;
	return -1;
}

const char *
shapelog_errmsg(const struct shapelog *sl)
{
	return sl->err[0] != '\0' ? sl->err : "no error";
}

/* ---- small file helpers (shared with the reader via shapelog_int.h) ---- */

int
shapelog_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
shapelog_pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, c, n, off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int
shapelog_pread_all(int fd, void *p, size_t n, off_t off)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, c, n, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
shapelog_open_in(const struct shapelog *sl, const char *name, int flags)
{
	char path[SHAPELOG_PATH_MAX];

	if (shapelog_path(path, sizeof(path), sl->dir, name) == -1)
		return -1;
	return open(path, flags | O_CLOEXEC, 0600);
}

int
shapelog_fsync_dir(const char *dir)
{
	int fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Writes name atomically: name.part, fdatasync, rename.  A failure
 * removes the .part file and is recorded (shapelog_errmsg). */
static int
write_file_atomic(struct shapelog *sl, const char *name,
    const char *data, size_t len, int sync)
{
	char tmp[SHAPELOG_PATH_MAX], path[SHAPELOG_PATH_MAX];
	const char *op = "create";
	int fd, e;

	if (shapelog_path(path, sizeof(path), sl->dir, name) == -1 ||
	    snprintf(tmp, sizeof(tmp), "%s.part", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return shapelog_fail(sl, name, "path");
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return shapelog_fail(sl, name, op);
	if ((op = "write", write_all(fd, data, len) == -1) ||
	    (op = "fdatasync", sync && fdatasync(fd) == -1)) {
		e = errno;
		close(fd);
		goto bad;
	}
	if ((op = "close", close(fd) == -1) ||
	    (op = "rename", rename(tmp, path) == -1)) {
		e = errno;
		goto bad;
	}
	return 0;
bad:
	(void)unlink(tmp);
	errno = e;
	return shapelog_fail(sl, name, op);
}

struct shapelog *
shapelog_open(const char *dir, uint64_t chunk_bytes)
{
	struct shapelog *sl;
	int saved;

	if (strlen(dir) + 32 >= SHAPELOG_PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (mkdir_p(dir, 0700) == -1)
		return NULL;
	/* Damage is reported before recovery changes anything. */
	switch (shapelog_check(dir, 1, NULL, 0)) {
	case 1:
		errno = SHAPELOG_EDAMAGED;
		return NULL;
	case -1:
		return NULL;
	}
	sl = xcalloc(1, sizeof(*sl));
	sl->dir = xstrdup(dir);
	sl->chunk_bytes = chunk_bytes > 0 ? chunk_bytes : 1;
	sl->snap_fd = sl->log_fd = sl->idx_fd = sl->chunks_fd = -1;
	sl->synced_fd = -1;
	sbuf_init(&sl->snap_buf);
	sbuf_init(&sl->pend);
	sbuf_init(&sl->pend_idx);
	sbuf_init(&sl->pend_chunks);
	sbuf_init(&sl->snap_sizes);
	sbuf_init(&sl->tail);
	if (shapelog_recover_snapshot(sl) == -1 ||
	    shapelog_recover_log(sl) == -1) {
		saved = errno;
		shapelog_close(sl);
		errno = saved;
		return NULL;
	}
	return sl;
}

void
shapelog_close(struct shapelog *sl)
{
	if (sl == NULL)
		return;
	if (sl->snap_fd != -1)
		close(sl->snap_fd);
	if (sl->log_fd != -1)
		close(sl->log_fd);
	if (sl->idx_fd != -1)
		close(sl->idx_fd);
	if (sl->chunks_fd != -1)
		close(sl->chunks_fd);
	if (sl->synced_fd != -1)
		close(sl->synced_fd);
	sbuf_free(&sl->snap_buf);
	sbuf_free(&sl->pend);
	sbuf_free(&sl->pend_idx);
	sbuf_free(&sl->pend_chunks);
	sbuf_free(&sl->snap_sizes);
	sbuf_free(&sl->tail);
	free(sl->dir);
	free(sl);
}

const struct shapelog_state *
shapelog_state(const struct shapelog *sl)
{
	return &sl->st;
}

/* ---- snapshot ---- */

static void
snap_part_name(const struct shapelog *sl, char *name, size_t n)
{
	snprintf(name, n, "snapshot.%" PRIu32 ".part", sl->st.snap_chunks);
}

static int
snap_open_chunk(struct shapelog *sl)
{
	char name[64];

	snap_part_name(sl, name, sizeof(name));
	sl->snap_fd = shapelog_open_in(sl, name, O_WRONLY | O_CREAT | O_TRUNC);
	sl->snap_bytes = 0;
	sbuf_reset(&sl->snap_buf);
	return sl->snap_fd == -1 ? shapelog_fail(sl, name, "create") : 0;
}

static int
snap_flush(struct shapelog *sl)
{
	char name[64];

	if (sl->snap_buf.len == 0)
		return 0;
	if (write_all(sl->snap_fd, sl->snap_buf.p, sl->snap_buf.len) == -1) {
		snap_part_name(sl, name, sizeof(name));
		return shapelog_fail(sl, name, "write");
	}
	sbuf_reset(&sl->snap_buf);
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start writing back what the chunk has so far: the fdatasync that
	 * closes it then waits for the last part only, not the whole chunk
	 * (the snapshot's reads from Postgres stall while it waits).  A hint:
	 * its failure changes nothing, the fdatasync decides. */
	(void)sync_file_range(sl->snap_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	return 0;
}

/* Makes the open chunk durable and visible as snapshot.<n>. */
static int
snap_close_chunk(struct shapelog *sl)
{
	char from[SHAPELOG_PATH_MAX], to[SHAPELOG_PATH_MAX], name[64];

	if (snap_flush(sl) == -1)
		return -1;
	snprintf(name, sizeof(name), "snapshot.%" PRIu32, sl->st.snap_chunks);
	if (fdatasync(sl->snap_fd) == -1)
		return shapelog_fail(sl, name, "fdatasync");
	close(sl->snap_fd);
	sl->snap_fd = -1;
	if (shapelog_path(to, sizeof(to), sl->dir, name) == -1 ||
	    snprintf(from, sizeof(from), "%s.part", to) >= (int)sizeof(from))
		return shapelog_fail(sl, name, "path");
	if (rename(from, to) == -1)
		return shapelog_fail(sl, name, "rename");
	sbuf_addf(&sl->snap_sizes, "%" PRIu64 "\n", sl->snap_bytes);
	sl->st.snap_chunks++;
	return 0;
}

static int
snap_entry(struct shapelog *sl, const char *json, size_t len)
{
	if (sl->st.snap_done) {
		errno = EINVAL;
		return -1;
	}
	if (sl->snap_fd == -1 && snap_open_chunk(sl) == -1)
		return -1;
	sbuf_addc(&sl->snap_buf, ',');
	sbuf_add(&sl->snap_buf, json, len);
	sbuf_addc(&sl->snap_buf, '\n');
	sl->snap_bytes += len + 2;
	if (sl->snap_buf.len >= SNAP_FLUSH_BYTES)
		return snap_flush(sl);
	return 0;
}

int
shapelog_snap_append(struct shapelog *sl, const char *json, size_t len)
{
	if (snap_entry(sl, json, len) == -1)
		return -1;
	if (sl->snap_bytes >= sl->chunk_bytes)
		return snap_close_chunk(sl);
	return 0;
}

/* snapshot.done: the chunk count, then each chunk's size (shapelog.h). */
int
shapelog_snap_finish(struct shapelog *sl, const char *json, size_t len)
{
	struct sbuf done;
	int r;

	if (snap_entry(sl, json, len) == -1 || snap_close_chunk(sl) == -1)
		return -1;
	if (shapelog_fsync_dir(sl->dir) == -1)
		return shapelog_fail(sl, ".", "fsync");
	sbuf_init(&done);
	sbuf_addf(&done, "%" PRIu32 "\n", sl->st.snap_chunks);
	sbuf_add(&done, sl->snap_sizes.p, sl->snap_sizes.len);
	r = write_file_atomic(sl, "snapshot.done", done.p, done.len, 1);
	sbuf_free(&done);
	if (r == -1)
		return -1;
	if (shapelog_fsync_dir(sl->dir) == -1)
		return shapelog_fail(sl, ".", "fsync");
	sl->st.snap_done = 1;
	return 0;
}

/* Removes snapshot.* (chunks, .part files, xip): the directory is as new
 * (an unfinished snapshot has no main log). */
int
shapelog_snap_abort(struct shapelog *sl)
{
	char path[SHAPELOG_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (sl->snap_fd != -1)
		close(sl->snap_fd);
	sl->snap_fd = -1;
	sl->snap_bytes = 0;
	sbuf_reset(&sl->snap_buf);
	sbuf_reset(&sl->snap_sizes);
	sl->st.snap_chunks = 0;
	sl->st.snap_done = 0;
	if ((d = opendir(sl->dir)) == NULL)
		return shapelog_fail(sl, ".", "opendir");
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "snapshot.", 9) != 0 ||
		    shapelog_path(path, sizeof(path), sl->dir, de->d_name) == -1)
			continue;
		if (unlink(path) == -1 && errno != ENOENT) {
			r = shapelog_fail(sl, de->d_name, "unlink");
			log_warn("unlink %s", path);
		}
	}
	closedir(d);
	return r;
}

/* ---- main log ---- */

void
shapelog_pend_u64(struct sbuf *b, uint64_t v)
{
	sbuf_add(b, &v, sizeof(v));
}

void
shapelog_mark_take(const struct shapelog *sl, struct shapelog_mark *m)
{
	*m = (struct shapelog_mark){ sl->log_size, sl->st.log_entries,
	    sl->st.log_chunks, sl->st.last_tx, sl->st.last_op, sl->fill_pub };
}

/* The inverse of shapelog_mark_take: the published state goes back to m. */
static void
mark_put(struct shapelog *sl, const struct shapelog_mark *m)
{
	sl->log_size = m->size;
	sl->st.log_entries = m->entries;
	sl->st.log_chunks = m->chunks;
	sl->st.last_tx = m->tx;
	sl->st.last_op = m->op;
	sl->fill_pub = m->fill;
}

/* A main-log write failed: record it, roll back every pending entry
 * (the files go back to their published lengths); errno kept, -1. */
static int
log_failed(struct shapelog *sl, const char *name, const char *op)
{
	int e = errno;

	shapelog_fail(sl, name, op);
	shapelog_rollback(sl);
	errno = e;
	return -1;
}

static int
log_spill(struct shapelog *sl)
{
	if (shapelog_pwrite_all(sl->log_fd, sl->pend.p, sl->pend.len,
	    (off_t)(sl->log_size + sl->written)) == -1)
		return log_failed(sl, "log", "write");
	sl->written += sl->pend.len;
	sbuf_reset(&sl->pend);
	return 0;
}

int
shapelog_append(struct shapelog *sl, uint64_t tx, uint64_t op,
    const char *json, size_t len)
{
	uint64_t end;

	sl->tail_ok = 0;
	if (tx == 0 || op == OFFSET_INF || tx < sl->ptx ||
	    (tx == sl->ptx && op <= sl->pop)) {
		errno = EINVAL;
		return -1;
	}
	sbuf_addc(&sl->pend, ',');
	sbuf_add(&sl->pend, json, len);
	sbuf_addc(&sl->pend, '\n');
	end = sl->log_size + sl->written + sl->pend.len;
	shapelog_pend_u64(&sl->pend_idx, tx);
	shapelog_pend_u64(&sl->pend_idx, op);
	shapelog_pend_u64(&sl->pend_idx, end);
	sl->pend_entries++;
	sl->ptx = tx;
	sl->pop = op;
	sl->fill += len + 2;
	if (sl->fill >= sl->chunk_bytes) {
		shapelog_pend_u64(&sl->pend_chunks, sl->st.log_entries + sl->pend_entries);
		sl->fill = 0;
	}
	if (sl->pend.len >= LOG_FLUSH_BYTES)
		return log_spill(sl);
	return 0;
}

/* Keeps what the n pending entries will be to a reader at the offset
 * before them, if shapelog_plan serves them as one range: they close no
 * chunk before their last entry (plan_main stops at the first boundary
 * after the request).  Their bytes are kept too when they are all still
 * pending (none spilled) and few. */
static void
tail_keep(struct shapelog *sl, uint64_t n)
{
	uint64_t b, len = sl->written + sl->pend.len;

	sl->tail_ok = 0;
	if (!sl->st.snap_done || len < 2 || sl->pend_chunks.len > 8)
		return;
	if (sl->pend_chunks.len == 8) {
		memcpy(&b, sl->pend_chunks.p, sizeof(b));
		if (b != sl->st.log_entries + n)
			return;
	}
	shapelog_last(&sl->st, &sl->tail_from);
	sl->tail_start = sl->log_size + 1;	/* past the leading comma */
	sl->tail_len = len - 1;
	sbuf_reset(&sl->tail);
	if (sl->written == 0 && sl->tail_len <= SHAPELOG_TAIL_MAX)
		sbuf_add(&sl->tail, sl->pend.p + 1, sl->tail_len);
	sl->tail_ok = 1;
}

int
shapelog_tail(const struct shapelog *sl, struct shapelog_tail *t)
{
	if (!sl->tail_ok)
		return 0;
	t->from = sl->tail_from;
	t->start = sl->tail_start;
	t->len = sl->tail_len;
	t->bytes = sl->tail.len > 0 ? sl->tail.p : NULL;
	return 1;
}

/* Writes the pending entries: log data, then their index records, then
 * chunk boundaries.  No fdatasync: see the invariants at the top. */
int
shapelog_publish(struct shapelog *sl)
{
	uint64_t n = sl->pend_entries;

	if (n == 0)
		return 0;
	tail_keep(sl, n);
	if (log_spill(sl) == -1)
		return -1;
	if (shapelog_pwrite_all(sl->idx_fd, sl->pend_idx.p, sl->pend_idx.len,
	    (off_t)(sl->st.log_entries * SHAPELOG_REC_LEN)) == -1)
		return log_failed(sl, "log.idx", "write");
	if (sl->pend_chunks.len > 0 &&
	    shapelog_pwrite_all(sl->chunks_fd, sl->pend_chunks.p,
	    sl->pend_chunks.len, (off_t)(sl->st.log_chunks * 8)) == -1)
		return log_failed(sl, "log.chunks", "write");
	sl->chunks_unsynced |= sl->pend_chunks.len > 0;
	sl->unsynced = 1;
	sl->log_size += sl->written;
	sl->st.log_entries += n;
	sl->st.log_chunks += sl->pend_chunks.len / 8;
	sl->st.last_tx = sl->ptx;
	sl->st.last_op = sl->pop;
	sl->fill_pub = sl->fill;
	sl->written = 0;
	sl->pend_entries = 0;
	sbuf_reset(&sl->pend_idx);
	sbuf_reset(&sl->pend_chunks);
	return 0;
}

/* An fdatasync failed: what was published since the last sync may be
 * gone from the disk, so go back to the durable state (the replay writes
 * the same entries again).  errno kept, -1. */
static int
sync_failed(struct shapelog *sl, const char *name)
{
	int e = errno;

	shapelog_fail(sl, name, "fdatasync");
	mark_put(sl, &sl->dur);
	shapelog_rollback(sl);
	sl->unsynced = sl->chunks_unsynced = 0;
	errno = e;
	return -1;
}

/* Durability order: the three files, then the count in log.synced (in
 * place, not synced itself: a count the disk lost only makes the next
 * open check fewer records as durable). */
int
shapelog_sync(struct shapelog *sl)
{
	uint64_t n = sl->st.log_entries;

	if (!sl->unsynced)
		return 0;
	if (fdatasync(sl->log_fd) == -1)
		return sync_failed(sl, "log");
	if (fdatasync(sl->idx_fd) == -1)
		return sync_failed(sl, "log.idx");
	if (sl->chunks_unsynced && fdatasync(sl->chunks_fd) == -1)
		return sync_failed(sl, "log.chunks");
	shapelog_mark_take(sl, &sl->dur);
	sl->unsynced = sl->chunks_unsynced = 0;
	if (shapelog_pwrite_all(sl->synced_fd, &n, sizeof(n), 0) == -1 ||
	    (sl->synced_new && fdatasync(sl->synced_fd) == -1)) {
		log_warn("%s/log.synced: write", sl->dir);
		return 0;	/* the older count is still true */
	}
	sl->synced_new = 0;
	return 0;
}

int
shapelog_unsynced(const struct shapelog *sl)
{
	return sl->unsynced;
}

int
shapelog_commit(struct shapelog *sl)
{
	return shapelog_publish(sl) == -1 ? -1 : shapelog_sync(sl);
}

/* Cuts fd back to len bytes if it is longer (a failed or abandoned
 * write may have left bytes, or a torn record, past it). */
static void
trim(const struct shapelog *sl, int fd, const char *name, uint64_t len)
{
	uint64_t size;

	if (fd == -1 || shapelog_file_size(fd, &size) == -1 || size <= len)
		return;
	if (ftruncate(fd, (off_t)len) == -1)
		log_warn("%s/%s: truncate to %" PRIu64 " bytes", sl->dir, name,
		    len);
}

void
shapelog_rollback(struct shapelog *sl)
{
	int e = errno;

	sl->tail_ok = 0;
	trim(sl, sl->log_fd, "log", sl->log_size);
	trim(sl, sl->idx_fd, "log.idx", sl->st.log_entries * SHAPELOG_REC_LEN);
	trim(sl, sl->chunks_fd, "log.chunks", sl->st.log_chunks * 8);
	sl->written = 0;
	sl->pend_entries = 0;
	sbuf_reset(&sl->pend);
	sbuf_reset(&sl->pend_idx);
	sbuf_reset(&sl->pend_chunks);
	sl->fill = sl->fill_pub;
	sl->ptx = sl->st.last_tx;
	sl->pop = sl->st.last_op;
	errno = e;
}

/* ---- snapshot visibility filter ---- */

int
shapelog_xip_write(struct shapelog *sl, const struct shapelog_xip *x)
{
	struct sbuf b;
	size_t i;
	int r;

	sbuf_init(&b);
	sbuf_addf(&b, "%" PRIu64 " %" PRIu64 " %" PRIu64, x->xmin, x->xmax,
	    x->passed_lsn);
	for (i = 0; i < x->nxip; i++)
		sbuf_addf(&b, " %" PRIu64, x->xip[i]);
	sbuf_addc(&b, '\n');
	r = write_file_atomic(sl, "snapshot.xip", b.p, b.len, !sl->st.snap_done);
	sbuf_free(&b);
	return r;
}

int
shapelog_xip_read(struct shapelog *sl, struct shapelog_xip *x)
{
	struct sbuf b;
	int rc;

	memset(x, 0, sizeof(*x));
	sbuf_init(&b);
	if (shapelog_read_small(sl->dir, "snapshot.xip", &b) == -1) {
		rc = errno == ENOENT ? 1 : -1;
		sbuf_free(&b);
		return rc;
	}
	rc = shapelog_xip_parse(b.p, x);
	sbuf_free(&b);
	return rc;
}

void
shapelog_xip_free(struct shapelog_xip *x)
{
	free(x->xip);
	x->xip = NULL;
	x->nxip = 0;
}
