/*
 * ctl_tail: electricctl tail, which follows one shape's main log straight
 * from the storage directory, without the daemon (consumer/shapelog.h is
 * the format).  log.idx is the commit record: one 24-byte record per
 * durable entry (u64 tx, u64 op, u64 end, host order), entry i being bytes
 * [end(i-1), end(i)) of `log`, stored as ",<json>\n".  A record is only
 * written after its bytes are synced, so whatever log.idx holds can be
 * read from `log`; a partial record at its end is a commit in progress and
 * is left for the next poll.
 *
 * The shape is gone when its directory is (shapecache removes it on
 * delete) or was replaced by another one (another inode).  Reading the old
 * files' descriptors would go on "working", so every poll checks first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "offset.h"
#include "util.h"

#define CTL_REC_LEN	24
#define CTL_BATCH	256		/* records read at once */

struct ctl_tail {
	char		*dir;
	dev_t		 dev;
	ino_t		 ino;
	int		 idx_fd;	/* -1 until log.idx exists */
	int		 log_fd;	/* -1 until needed */
	uint64_t	 next;		/* index of the next entry to print */
	uint64_t	 start;		/* byte in log where it begins */
	char		*buf;
	size_t		 cap;
};

struct ctl_rec {
	uint64_t	tx, op, end;
};

static int
ctl_tail_openat(struct ctl_tail *t, const char *name)
{
	char *path = xasprintf("%s/%s", t->dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	return fd;
}

/* Reads n whole records from index i; -1 with errno (EIO if short). */
static int
ctl_tail_recs(struct ctl_tail *t, uint64_t i, size_t n, struct ctl_rec *r)
{
	uint8_t raw[CTL_BATCH * CTL_REC_LEN];
	ssize_t got;
	size_t k;

	got = pread(t->idx_fd, raw, n * CTL_REC_LEN, (off_t)(i * CTL_REC_LEN));
	if (got < 0 || (size_t)got != n * CTL_REC_LEN) {
		if (got >= 0)
			errno = EIO;
		return -1;
	}
	for (k = 0; k < n; k++) {
		memcpy(&r[k].tx, raw + k * CTL_REC_LEN, 8);
		memcpy(&r[k].op, raw + k * CTL_REC_LEN + 8, 8);
		memcpy(&r[k].end, raw + k * CTL_REC_LEN + 16, 8);
	}
	return 0;
}

/* Durable entries in log.idx now; -1 with errno. */
static int
ctl_tail_count(struct ctl_tail *t, uint64_t *n)
{
	struct stat sb;

	*n = 0;
	if (t->idx_fd == -1 &&
	    (t->idx_fd = ctl_tail_openat(t, "log.idx")) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(t->idx_fd, &sb) == -1)
		return -1;
	*n = (uint64_t)sb.st_size / CTL_REC_LEN;
	return 0;
}

/* Positions t at entry i: start is the end of entry i-1. */
static int
ctl_tail_seek(struct ctl_tail *t, uint64_t i)
{
	struct ctl_rec r;

	t->next = i;
	t->start = 0;
	if (i == 0)
		return 0;
	if (ctl_tail_recs(t, i - 1, 1, &r) == -1)
		return -1;
	t->start = r.end;
	return 0;
}

struct ctl_tail *
ctl_tail_open(const char *storage, const char *handle, uint64_t last)
{
	struct ctl_tail *t;
	struct stat sb;
	uint64_t n;
	int e;

	if (*handle == '\0' || strchr(handle, '/') != NULL ||
	    strcmp(handle, ".") == 0 || strcmp(handle, "..") == 0) {
		errno = ENOENT;
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->dir = xasprintf("%s/shapes/%s", storage, handle);
	t->idx_fd = t->log_fd = -1;
	if (stat(t->dir, &sb) == -1)
		goto fail;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOENT;
		goto fail;
	}
	if (ctl_tail_count(t, &n) == -1 ||
	    ctl_tail_seek(t, n > last ? n - last : 0) == -1)
		goto fail;
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	return t;
fail:
	e = errno;
	ctl_tail_close(t);
	errno = e;
	return NULL;
}

/* Prints one entry: bytes [t->start, end) of log. */
static int
ctl_tail_entry(struct ctl_tail *t, const struct ctl_rec *r, FILE *fp, int json)
{
	struct offset off = { r->tx, r->op };
	char os[OFFSET_STRLEN];
	size_t len;
	ssize_t got;
	const char *p;

	if (r->end < t->start || r->end - t->start > 64u * 1024 * 1024) {
		errno = EIO;
		return -1;
	}
	len = (size_t)(r->end - t->start);
	if (len + 1 > t->cap)
		t->buf = xrealloc(t->buf, t->cap = len + 1);
	got = pread(t->log_fd, t->buf, len, (off_t)t->start);
	if (got < 0 || (size_t)got != len) {
		if (got >= 0)
			errno = EIO;
		return -1;
	}
	p = t->buf;
	if (len > 0 && *p == ',')
		p++, len--;
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (json)
		fprintf(fp, "%.*s\n", (int)len, p);
	else
		ctl_fmt_entry(fp, offset_fmt(&off, os), p, len);
	t->start = r->end;
	t->next++;
	return 0;
}

static int
ctl_tail_alive(const struct ctl_tail *t)
{
	struct stat sb;

	if (stat(t->dir, &sb) == -1 || sb.st_ino != t->ino || sb.st_dev != t->dev) {
		errno = ENOENT;
		return 0;
	}
	return 1;
}

int
ctl_tail_poll(struct ctl_tail *t, FILE *fp, int json)
{
	struct ctl_rec r[CTL_BATCH];
	uint64_t n;
	size_t k, batch;
	int printed = 0;

	if (!ctl_tail_alive(t) || ctl_tail_count(t, &n) == -1)
		return -1;
	if (n < t->next)	/* cannot happen to a live shape: start over */
		return ctl_tail_seek(t, n);
	if (n > t->next && t->log_fd == -1 &&
	    (t->log_fd = ctl_tail_openat(t, "log")) == -1)
		return -1;
	while (t->next < n) {
		batch = n - t->next < CTL_BATCH ? (size_t)(n - t->next) : CTL_BATCH;
		if (ctl_tail_recs(t, t->next, batch, r) == -1)
			return -1;
		for (k = 0; k < batch; k++, printed++)
			if (ctl_tail_entry(t, &r[k], fp, json) == -1)
				return -1;
	}
	return printed;
}

const char *
ctl_tail_dir(const struct ctl_tail *t)
{
	return t->dir;
}

void
ctl_tail_close(struct ctl_tail *t)
{
	if (t == NULL)
		return;
	if (t->idx_fd != -1)
		close(t->idx_fd);
	if (t->log_fd != -1)
		close(t->log_fd);
	free(t->buf);
	free(t->dir);
	free(t);
}
