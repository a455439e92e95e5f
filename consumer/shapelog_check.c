/*
 * shapelog_check: detects a damaged shape directory (format in
 * shapelog.h), and the small file helpers it shares with the writer
 * (shapelog.c) and the reader (shapelog_plan.c).  Called by the consumer
 * before it opens its log (deep: every record), by shapelog_read_state
 * and by the planner of every response (cheap: the last records and the
 * bytes around a served range).
 *
 * Damage is what no crash of our own writer can leave: a finished
 * snapshot missing a chunk or with a chunk of the wrong size or shape, an
 * unparseable snapshot.done or snapshot.xip, durable log.idx records (the
 * first log.synced of them) that are not increasing or point past the end
 * of log, an entry not ending in "\n", chunk boundaries out of order, log
 * entries without a finished snapshot.  A partial trailing record of
 * log.idx or log.chunks, log bytes past the last record, and records past
 * the durable ones that are not whole entries (written, not yet
 * fdatasynced when the machine stopped) are an interrupted commit (never
 * acknowledged): not damage, the writer truncates them and readers
 * ignore them (shapelog_tail_valid).
 *
 * Also the storage-fault helpers: which errnos a retry may cure, and the
 * probe a consumer in storage_error runs before it tries again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shapelog.h"
#include "shapelog_int.h"

#define SCAN_RECS	4096	/* log.idx records read at once (deep) */

static char damage_why[256];

const char *
shapelog_damage(void)
{
	return damage_why;
}

int
shapelog_storage_errno(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EROFS ||
	    e == EACCES || e == EPERM || e == EIO;
}

static int
damaged(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
damaged(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(damage_why, sizeof(damage_why), fmt, ap);
	va_end(ap);
	if (why != NULL && n > 0)
		snprintf(why, n, "%s", damage_why);
	return 1;
}

int
shapelog_set_damage(const char *why)
{
	return damaged(NULL, 0, "%s", why);
}

int
shapelog_open_ro(const char *dir, const char *name)
{
	char path[SHAPELOG_PATH_MAX];

	if (shapelog_path(path, sizeof(path), dir, name) == -1)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Reads a small file whole (NUL-terminated); 0, or -1 with errno. */
int
shapelog_read_small(const char *dir, const char *name, struct sbuf *b)
{
	char buf[4096];
	ssize_t r;
	int fd;

	if ((fd = shapelog_open_ro(dir, name)) == -1)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			r = errno;
			close(fd);
			errno = (int)r;
			return -1;
		}
		sbuf_add(b, buf, (size_t)r);
	}
	close(fd);
	sbuf_addc(b, '\0');
	return 0;
}

/* ---- snapshot.done: "<K>\n" then, since issue 5, K lines "<bytes>\n" ---- */

static int
parse_u64(const char **s, uint64_t *v)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*v = strtoull(*s, &end, 10);
	if (errno != 0 || *end != '\n')
		return -1;
	*s = end + 1;
	return 0;
}

/* sizes: malloc'd K sizes, or NULL for an old file without them. */
static int
parse_done(const char *s, uint32_t *n, uint64_t **sizes)
{
	uint64_t k, i;

	*sizes = NULL;
	if (parse_u64(&s, &k) == -1 || k == 0 || k > UINT32_MAX)
		return -1;
	*n = (uint32_t)k;
	if (*s == '\0')
		return 0;
	*sizes = xcalloc(k, sizeof(uint64_t));
	for (i = 0; i < k; i++)
		if (parse_u64(&s, &(*sizes)[i]) == -1)
			break;
	if (i == k && *s == '\0')
		return 0;
	free(*sizes);
	*sizes = NULL;
	return -1;
}

/* One finished chunk: it exists, has the recorded size (0 = unknown) and
 * holds whole entries (",...\n"). */
static int
check_chunk(const char *dir, uint32_t i, uint64_t want, char *why, size_t n)
{
	char name[48], a, z;
	struct stat sb;
	int fd, r = 0;

	snprintf(name, sizeof(name), "snapshot.%" PRIu32, i);
	if ((fd = shapelog_open_ro(dir, name)) == -1)
		return errno == ENOENT ? damaged(why, n, "%s: missing", name) : -1;
	if (fstat(fd, &sb) == -1 || (sb.st_size >= 2 &&
	    (shapelog_pread_all(fd, &a, 1, 0) == -1 ||
	    shapelog_pread_all(fd, &z, 1, sb.st_size - 1) == -1)))
		r = -1;
	else if (want != 0 && (uint64_t)sb.st_size != want)
		r = damaged(why, n, "%s: %lld bytes, snapshot.done says %" PRIu64,
		    name, (long long)sb.st_size, want);
	else if (sb.st_size < 2 || a != ',' || z != '\n')
		r = damaged(why, n, "%s: not whole entries", name);
	close(fd);
	return r;
}

int
shapelog_snap_scan(const char *dir, uint32_t *nchunks, char *why, size_t n)
{
	uint64_t *sizes = NULL;
	struct sbuf b;
	uint32_t i;
	int r = 0;

	sbuf_init(&b);
	if (shapelog_read_small(dir, "snapshot.done", &b) == -1) {
		sbuf_free(&b);
		return -1;		/* ENOENT: not finished */
	}
	if (parse_done(b.p, nchunks, &sizes) == -1)
		r = damaged(why, n, "snapshot.done: unparseable");
	for (i = 0; r == 0 && i < *nchunks; i++)
		r = check_chunk(dir, i, sizes != NULL ? sizes[i] : 0, why, n);
	free(sizes);
	sbuf_free(&b);
	if (r == 1)
		errno = SHAPELOG_EDAMAGED;
	return r == 0 ? 0 : -1;
}

/* ---- snapshot.xip ---- */

int
shapelog_xip_parse(char *s, struct shapelog_xip *x)
{
	char *tok, *save = NULL, *end;
	unsigned long long u;
	uint64_t v[3];
	size_t i = 0;

	memset(x, 0, sizeof(*x));
	for (tok = strtok_r(s, " \n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \n", &save), i++) {
		errno = 0;
		u = strtoull(tok, &end, 10);
		if (errno != 0 || *end != '\0' || *tok < '0' || *tok > '9')
			goto bad;
		if (i < 3) {
			v[i] = u;
			continue;
		}
		x->xip = xrealloc(x->xip, (x->nxip + 1) * sizeof(uint64_t));
		x->xip[x->nxip++] = u;
	}
	if (i < 3)
		goto bad;
	x->xmin = v[0];
	x->xmax = v[1];
	x->passed_lsn = v[2];
	return 0;
bad:
	shapelog_xip_free(x);
	errno = EINVAL;
	return -1;
}

/* Absent is accepted (shapes older than the file). */
static int
check_xip(const char *dir, char *why, size_t n)
{
	struct shapelog_xip x;
	struct sbuf b;
	int r = 0;

	sbuf_init(&b);
	if (shapelog_read_small(dir, "snapshot.xip", &b) == -1)
		r = errno == ENOENT ? 0 : -1;
	else if (b.len < 2 || b.p[b.len - 2] != '\n' ||
	    shapelog_xip_parse(b.p, &x) == -1)
		r = damaged(why, n, "snapshot.xip: unparseable");
	else
		shapelog_xip_free(&x);
	sbuf_free(&b);
	return r;
}

/* ---- the main log ---- */

static int
rec_after(const struct shapelog_rec *a, const struct shapelog_rec *b)
{
	return b->end > a->end &&
	    (b->tx > a->tx || (b->tx == a->tx && b->op > a->op));
}

/* Deep: every record of log.idx follows the one before. */
static int
scan_idx(int fd, uint64_t nrec, char *why, size_t n)
{
	struct shapelog_rec prev = { 0, 0, 0 }, cur;
	uint64_t *buf = xmalloc(SCAN_RECS * SHAPELOG_REC_LEN), i, j, k;
	int r = 0;

	for (i = 0; r == 0 && i < nrec; i += k) {
		k = nrec - i < SCAN_RECS ? nrec - i : SCAN_RECS;
		if (shapelog_pread_all(fd, buf, k * SHAPELOG_REC_LEN,
		    (off_t)(i * SHAPELOG_REC_LEN)) == -1) {
			r = -1;
			break;
		}
		for (j = 0; j < k && r == 0; j++) {
			cur = (struct shapelog_rec){ buf[3 * j], buf[3 * j + 1],
			    buf[3 * j + 2] };
			if (cur.tx == 0 || cur.op == OFFSET_INF ||
			    (i + j > 0 && !rec_after(&prev, &cur)) ||
			    (i + j == 0 && cur.end < 2))
				r = damaged(why, n, "log.idx: record %" PRIu64
				    " out of order", i + j);
			prev = cur;
		}
	}
	free(buf);
	return r;
}

/* ---- the durable count and the tail past it (shapelog.h) ---- */

int
shapelog_synced(int fd, uint64_t nrec, uint64_t *durable)
{
	struct stat sb;
	uint64_t v;

	*durable = nrec;
	if (fd == -1)
		return 0;
	if (fstat(fd, &sb) == -1)
		return -1;
	if (sb.st_size < (off_t)sizeof(v))
		return 0;
	if (shapelog_pread_all(fd, &v, sizeof(v), 0) == -1)
		return -1;
	if (v < nrec)
		*durable = v;
	return 0;
}

int
shapelog_synced_in(const char *dir, uint64_t nrec, uint64_t *durable)
{
	int fd, r;

	if ((fd = shapelog_open_ro(dir, "log.synced")) == -1 && errno != ENOENT)
		return -1;
	r = shapelog_synced(fd, nrec, durable);
	if (fd != -1)
		close(fd);
	return r;
}

int
shapelog_tail_valid(int idx_fd, int log_fd, uint64_t from, uint64_t nrec,
    uint64_t *valid, struct shapelog_rec *last)
{
	struct shapelog_rec prev = { 0, 0, 0 }, cur;
	uint64_t i, lsz;
	struct stat sb;
	char a, z;

	if (fstat(log_fd, &sb) == -1)
		return -1;
	lsz = (uint64_t)sb.st_size;
	if (from > 0 && shapelog_rec_read(idx_fd, from - 1, &prev) == -1)
		return -1;
	for (i = from; i < nrec; i++) {
		if (shapelog_rec_read(idx_fd, i, &cur) == -1)
			return -1;
		if (cur.tx == 0 || cur.op == OFFSET_INF || cur.end > lsz ||
		    (i > 0 ? !rec_after(&prev, &cur) : cur.end < 2))
			break;
		if (shapelog_pread_all(log_fd, &a, 1, (off_t)prev.end) == -1 ||
		    shapelog_pread_all(log_fd, &z, 1, (off_t)cur.end - 1) == -1)
			return -1;
		if (a != ',' || z != '\n')
			break;
		prev = cur;
	}
	*valid = i;
	*last = prev;
	return 0;
}

/* The last durable records: increasing, within log, the last entry
 * whole. */
static int
check_idx_tail(const char *dir, int fd, uint64_t nrec, char *why, size_t n)
{
	struct shapelog_rec a = { 0, 0, 0 }, b;
	struct stat sb;
	char c0 = ',', cz;
	int lfd, r = 0;

	if (shapelog_rec_read(fd, nrec - 1, &b) == -1 ||
	    (nrec > 1 && shapelog_rec_read(fd, nrec - 2, &a) == -1))
		return -1;
	if (nrec > 1 && !rec_after(&a, &b))
		return damaged(why, n, "log.idx: last record out of order");
	if ((lfd = shapelog_open_ro(dir, "log")) == -1)
		return errno == ENOENT ? damaged(why, n, "log: missing") : -1;
	if (fstat(lfd, &sb) == -1)
		r = -1;
	else if (b.end < 2 || (uint64_t)sb.st_size < b.end)
		r = damaged(why, n, "log: %lld bytes, log.idx needs %" PRIu64,
		    (long long)sb.st_size, b.end);
	else if (shapelog_pread_all(lfd, &c0, 1, 0) == -1 ||
	    shapelog_pread_all(lfd, &cz, 1, (off_t)b.end - 1) == -1)
		r = -1;
	else if (c0 != ',' || cz != '\n')
		r = damaged(why, n, "log: entries not where log.idx says");
	close(lfd);
	return r;
}

/* log.chunks: increasing boundaries within the durable entries
 * (boundaries past them are a commit in progress or its torn tail). */
static int
check_chunks(const char *dir, uint64_t nrec, int deep, char *why, size_t n)
{
	uint64_t i, cnt, b, prev = 0;
	struct stat sb;
	int fd, past = 0, r = 0;

	if ((fd = shapelog_open_ro(dir, "log.chunks")) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return -1;
	}
	cnt = (uint64_t)sb.st_size / 8;
	for (i = deep ? 0 : (cnt > 2 ? cnt - 2 : 0); r == 0 && i < cnt; i++) {
		if (shapelog_u64_read(fd, i, &b) == -1)
			r = -1;
		else if (b > nrec)
			past = 1;	/* the tail: the rest must be past too */
		else if (past || b == 0 || (prev != 0 && b <= prev))
			r = damaged(why, n, "log.chunks: boundary %" PRIu64
			    " out of order", i);
		prev = b;
	}
	close(fd);
	return r;
}

static int
check_log(const char *dir, int done, int deep, char *why, size_t n)
{
	struct stat sb;
	uint64_t nrec, d;
	int fd, r = 0;

	if ((fd = shapelog_open_ro(dir, "log.idx")) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return -1;
	}
	nrec = (uint64_t)sb.st_size / SHAPELOG_REC_LEN;
	if (shapelog_synced_in(dir, nrec, &d) == -1)
		r = -1;
	else if (nrec > 0 && !done)
		r = damaged(why, n, "log entries without a finished snapshot");
	else if (d > 0 && deep)
		r = scan_idx(fd, d, why, n);
	if (r == 0 && d > 0)
		r = check_idx_tail(dir, fd, d, why, n);
	close(fd);
	if (r == 0)
		r = check_chunks(dir, d, deep, why, n);
	return r;
}

int
shapelog_check(const char *dir, int deep, char *why, size_t n)
{
	uint32_t k;
	int r, done;

	if (shapelog_snap_scan(dir, &k, why, n) == 0)
		done = 1;
	else if (errno == ENOENT)
		done = 0;
	else
		return errno == SHAPELOG_EDAMAGED ? 1 : -1;
	r = check_log(dir, done, deep, why, n);
	if (r == 0 && done)
		r = check_xip(dir, why, n);
	return r;
}

/* ---- the bytes of one planned range ---- */

int
shapelog_check_range(const char *path, off_t start, size_t len)
{
	char a, z = '\n';
	struct stat sb;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		r = -1;
	else if (start < 1 || (uint64_t)sb.st_size < (uint64_t)start + len)
		r = damaged(NULL, 0, "%s: shorter than its index says", path);
	else if (shapelog_pread_all(fd, &a, 1, start - 1) == -1 ||
	    (len > 0 && shapelog_pread_all(fd, &z, 1,
	    start + (off_t)len - 1) == -1))
		r = -1;
	else if (a != ',' || z != '\n')
		r = damaged(NULL, 0, "%s: entries not where the index says",
		    path);
	if (r == -1)
		r = -errno;
	close(fd);
	if (r == 1)
		errno = SHAPELOG_EDAMAGED;
	else if (r < 0)
		errno = -r;
	return r == 0 ? 0 : -1;
}

/* ---- storage faults ---- */

/* Writes, syncs and removes a 64 KiB file: can dir take writes again? */
int
shapelog_probe(const char *dir, char *why, size_t whylen)
{
	static const char zero[64 * 1024];
	char path[SHAPELOG_PATH_MAX];
	const char *op = "mkdir";
	int fd = -1, e;

	if (shapelog_path(path, sizeof(path), dir, ".probe") == -1)
		goto bad;
	if (mkdir_p(dir, 0700) == -1)
		goto bad;
	op = "create";
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		goto bad;
	if ((op = "write", shapelog_pwrite_all(fd, zero, sizeof(zero), 0) == -1) ||
	    (op = "fsync", fsync(fd) == -1))
		goto bad;
	close(fd);
	(void)unlink(path);
	return 0;
bad:
	e = errno;
	if (fd != -1) {
		close(fd);
		(void)unlink(path);
	}
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s: %s: %s", path, op, strerror(e));
	errno = e;
	return -1;
}
