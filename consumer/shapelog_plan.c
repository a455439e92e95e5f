/*
 * shapelog (reader): plans a response over a shape's log files (format in
 * shapelog.h) following PROTOCOL.md §7.3.  Called by the http process for
 * every request, so it never loads a whole file: the offset lookup is a
 * binary search over log.idx and log.chunks with one pread per probe.
 * It never reads past the durable state it is given, even when the files
 * already hold more.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shapelog.h"
#include "shapelog_int.h"

void
shapelog_last(const struct shapelog_state *st, struct offset *last)
{
	if (!st->snap_done) {
		last->tx = 0;
		last->op = OFFSET_INF;
	} else if (st->log_entries == 0) {
		last->tx = 0;
		last->op = st->snap_chunks > 0 ? st->snap_chunks - 1 : 0;
	} else {
		last->tx = st->last_tx;
		last->op = st->last_op;
	}
}

int
shapelog_state_eq(const struct shapelog_state *a,
    const struct shapelog_state *b)
{
	return a->snap_chunks == b->snap_chunks && a->snap_done == b->snap_done &&
	    a->log_entries == b->log_entries && a->last_tx == b->last_tx &&
	    a->last_op == b->last_op && a->log_chunks == b->log_chunks;
}

int
shapelog_rec_read(int fd, uint64_t i, struct shapelog_rec *rec)
{
	uint64_t v[3];

	if (shapelog_pread_all(fd, v, sizeof(v), (off_t)(i * SHAPELOG_REC_LEN)) == -1)
		return -1;
	rec->tx = v[0];
	rec->op = v[1];
	rec->end = v[2];
	return 0;
}

int
shapelog_u64_read(int fd, uint64_t i, uint64_t *v)
{
	return shapelog_pread_all(fd, v, sizeof(*v), (off_t)(i * 8));
}

static int
chunk_exists(const char *dir, uint32_t n)
{
	char path[SHAPELOG_PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/snapshot.%" PRIu32, dir, n);
	return stat(path, &sb) == 0;
}

static uint64_t
fd_size(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The whole entries of log.idx: the durable ones (checked already), then
 * those of the tail up to the first one a machine crash tore. */
static int
count_entries(const char *dir, int fd, uint64_t *n, struct shapelog_rec *rec)
{
	uint64_t nrec = fd_size(fd) / SHAPELOG_REC_LEN, d;
	int lfd, r;

	if (shapelog_synced_in(dir, nrec, &d) == -1 ||
	    (lfd = shapelog_open_ro(dir, "log")) == -1)
		return -1;
	r = shapelog_tail_valid(fd, lfd, d, nrec, n, rec);
	close(lfd);
	return r;
}

/* Main-log part of the state: idx records and chunk boundaries. */
static int
read_log_state(const char *dir, struct shapelog_state *st)
{
	struct shapelog_rec rec;
	uint64_t n, b;
	int fd, r;

	if ((fd = shapelog_open_ro(dir, "log.idx")) == -1)
		return errno == ENOENT ? 0 : -1;
	r = fd_size(fd) > 0 ? count_entries(dir, fd, &n, &rec) : (n = 0, 0);
	close(fd);
	if (r == -1)
		return -1;
	st->log_entries = n;
	st->last_tx = n > 0 ? rec.tx : 0;
	st->last_op = n > 0 ? rec.op : 0;
	if ((fd = shapelog_open_ro(dir, "log.chunks")) == -1)
		return errno == ENOENT ? 0 : -1;
	st->log_chunks = fd_size(fd) / 8;
	while (st->log_chunks > 0) {
		if (shapelog_u64_read(fd, st->log_chunks - 1, &b) == -1) {
			close(fd);
			return -1;
		}
		if (b <= n)
			break;
		st->log_chunks--;
	}
	close(fd);
	return 0;
}

int
shapelog_read_state(const char *dir, struct shapelog_state *st)
{
	uint32_t n;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = shapelog_check(dir, 0, NULL, 0)) != 0) {
		if (r == 1)
			errno = SHAPELOG_EDAMAGED;
		return -1;
	}
	if (shapelog_snap_scan(dir, &n, NULL, 0) == 0) {
		st->snap_chunks = n;
		st->snap_done = 1;
		return read_log_state(dir, st);
	}
	if (errno != ENOENT)
		return -1;
	/* Running snapshot: snapshot.<n> only appears once complete. */
	while (chunk_exists(dir, st->snap_chunks))
		st->snap_chunks++;
	return 0;
}

/* ---- planning ---- */

static enum shapelog_plan_result
plan_at_end(const struct offset *req, const struct offset *last,
    struct shapelog_plan *plan)
{
	plan->end = offset_cmp(req, last) > 0 ? *req : *last;
	plan->up_to_date = 1;
	return SHAPELOG_AT_END;
}

static enum shapelog_plan_result
plan_snap_chunk(const char *dir, uint32_t n, const struct offset *last,
    int never_utd, struct shapelog_plan *plan)
{
	struct stat sb;
	int len;

	len = snprintf(plan->path, sizeof(plan->path), "%s/snapshot.%" PRIu32,
	    dir, n);
	if (len < 0 || (size_t)len >= sizeof(plan->path)) {
		errno = ENAMETOOLONG;
		return SHAPELOG_ERROR;
	}
	if (stat(plan->path, &sb) == -1)
		return SHAPELOG_ERROR;
	plan->start = 1;
	plan->len = sb.st_size > 1 ? (size_t)sb.st_size - 1 : 0;
	if (plan->len == 0 || shapelog_check_range(plan->path, plan->start,
	    plan->len) == -1) {
		if (plan->len == 0)
			errno = SHAPELOG_EDAMAGED;
		return SHAPELOG_ERROR;
	}
	plan->end.tx = 0;
	plan->end.op = n;
	plan->up_to_date = !never_utd && offset_cmp(&plan->end, last) >= 0;
	return SHAPELOG_OK;
}

static int
rec_gt(const struct shapelog_rec *r, const struct offset *o)
{
	return r->tx > o->tx || (r->tx == o->tx && r->op > o->op);
}

/* Index of the first of n entries with offset > o (n if none). */
static int
find_after(int fd, uint64_t n, const struct offset *o, uint64_t *out)
{
	struct shapelog_rec rec;
	uint64_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (shapelog_rec_read(fd, mid, &rec) == -1)
			return -1;
		if (rec_gt(&rec, o))
			hi = mid;
		else
			lo = mid + 1;
	}
	*out = lo;
	return 0;
}

/* Last entry (exclusive end) of the chunk holding entry i: the first
 * boundary > i among the first nchunks, or n for the open chunk. */
static int
chunk_end(const char *dir, uint64_t nchunks, uint64_t n, uint64_t i,
    uint64_t *out)
{
	uint64_t lo = 0, hi = nchunks, mid, b, cand = 0;
	int fd;

	*out = n;
	if (nchunks == 0)
		return 0;
	if ((fd = shapelog_open_ro(dir, "log.chunks")) == -1)
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (shapelog_u64_read(fd, mid, &b) == -1) {
			close(fd);
			return -1;
		}
		if (b > i) {
			hi = mid;
			cand = b;
		} else
			lo = mid + 1;
	}
	if (lo < nchunks && cand <= n)
		*out = cand;
	close(fd);
	return 0;
}

/* Fills plan with entries [first, stop) of the main log. */
static int
plan_range(const char *dir, int idx, uint64_t first, uint64_t stop,
    struct shapelog_plan *plan)
{
	struct shapelog_rec a = { 0, 0, 0 }, b;

	if (first > 0 && shapelog_rec_read(idx, first - 1, &a) == -1)
		return -1;
	if (shapelog_rec_read(idx, stop - 1, &b) == -1)
		return -1;
	if (b.end <= a.end + 1) {
		errno = SHAPELOG_EDAMAGED;
		return -1;
	}
	if (shapelog_path(plan->path, sizeof(plan->path), dir, "log") == -1)
		return -1;
	plan->start = (off_t)a.end + 1;
	plan->len = (size_t)(b.end - a.end - 1);
	if (shapelog_check_range(plan->path, plan->start, plan->len) == -1)
		return -1;
	plan->end.tx = b.tx;
	plan->end.op = b.op;
	return 0;
}

static enum shapelog_plan_result
plan_main(const char *dir, const struct shapelog_state *st,
    const struct offset *req, const struct offset *last,
    struct shapelog_plan *plan)
{
	uint64_t first, stop;
	int fd, r;

	if (st->log_entries == 0)
		return plan_at_end(req, last, plan);
	if ((fd = shapelog_open_ro(dir, "log.idx")) == -1)
		return SHAPELOG_ERROR;
	r = find_after(fd, st->log_entries, req, &first);
	if (r == 0 && first == st->log_entries) {
		close(fd);
		return plan_at_end(req, last, plan);
	}
	if (r == 0)
		r = chunk_end(dir, st->log_chunks, st->log_entries, first, &stop);
	if (r == 0)
		r = plan_range(dir, fd, first, stop, plan);
	close(fd);
	if (r == -1)
		return SHAPELOG_ERROR;
	plan->up_to_date = offset_cmp(&plan->end, last) >= 0;
	return SHAPELOG_OK;
}

/* Request offsets 0_n and 0_inf. */
static enum shapelog_plan_result
plan_snap_area(const char *dir, const struct shapelog_state *st,
    const struct offset *req, const struct offset *last,
    struct shapelog_plan *plan)
{
	if (req->op != OFFSET_INF &&
	    (!st->snap_done || req->op + 1 < st->snap_chunks)) {
		if (req->op + 1 >= st->snap_chunks)
			return SHAPELOG_NOT_READY;
		return plan_snap_chunk(dir, (uint32_t)(req->op + 1), last, 0, plan);
	}
	if (!st->snap_done)
		return plan_at_end(req, last, plan);
	/* 0_K, beyond it, or 0_inf: never out of bounds (§7.6). */
	return plan_main(dir, st, req, last, plan);
}

enum shapelog_plan_result
shapelog_plan(const char *dir, const struct shapelog_state *st,
    enum offset_kind kind, const struct offset *req,
    struct shapelog_plan *plan)
{
	struct offset last;

	memset(plan, 0, sizeof(*plan));
	shapelog_last(st, &last);
	switch (kind) {
	case OFFSET_BEFORE_ALL:
		/* Chunk 0 as soon as it is complete, while the snapshot goes
		 * on: a snapshot cut short after that is never redone under
		 * the same handle (shapelog_open reports it damaged: 409). */
		if (st->snap_chunks == 0)
			return SHAPELOG_NOT_READY;
		return plan_snap_chunk(dir, 0, &last, 1, plan);
	case OFFSET_NOW:
		return plan_at_end(&last, &last, plan);
	case OFFSET_REAL:
		break;
	default:
		errno = EINVAL;
		return SHAPELOG_ERROR;
	}
	if (req->tx == 0)
		return plan_snap_area(dir, st, req, &last, plan);
	if (offset_cmp(req, &last) > 0)
		return SHAPELOG_OUT_OF_BOUNDS;
	return plan_main(dir, st, req, &last, plan);
}

int
shapelog_tail_plan(const char *dir, const struct shapelog_state *st,
    const struct shapelog_tail *t, struct shapelog_plan *plan)
{
	struct offset last;

	memset(plan, 0, sizeof(*plan));
	shapelog_last(st, &last);
	if (!st->snap_done || st->log_entries == 0 || t->len == 0 ||
	    t->start < 1 || offset_cmp(&t->from, &last) >= 0) {
		errno = EINVAL;
		return -1;
	}
	if (shapelog_path(plan->path, sizeof(plan->path), dir, "log") == -1)
		return -1;
	plan->start = t->start;
	plan->len = t->len;
	plan->end = last;
	plan->up_to_date = 1;
	return 0;
}
