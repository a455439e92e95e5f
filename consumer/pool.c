/*
 * pool: a consumer's Postgres connections (pool.h): borrowed from connmgr,
 * or opened under a slot.  Waiting for a slot is a poll every 20 ms:
 * queries on own connections take far longer than that, and it keeps the
 * mechanism to one system call a slot.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "pool.h"
#include "util.h"

/* Tries every slot once; the fd of the one taken, or -1. */
static int
pool_try(const char *run_dir, int size)
{
	char *path;
	int i, fd;

	for (i = 0; i < size; i++) {
		path = xasprintf("%s/pool.%d.lock", run_dir, i);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		free(path);
		if (fd == -1) {
			log_warn("pool: open slot %d", i);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

int
pool_try_acquire(const char *run_dir, int size)
{
	return pool_try(run_dir, size < 1 ? 1 : size);
}

int
pool_acquire(const char *run_dir, int size)
{
	uint64_t start = mono_ms(), said = 0;
	int fd;

	if (size < 1)
		size = 1;
	while ((fd = pool_try(run_dir, size)) == -1) {
		if (mono_ms() - start >= said + 10000) {
			said = mono_ms() - start;
			log_info("waiting for one of %d snapshot connections", size);
		}
		usleep(20000);
	}
	return fd;
}

void
pool_release(int fd)
{
	if (fd != -1)
		close(fd);
}

/* ---- connections lent by connmgr (replication/pgpool.c) ---- */

static int
pool_borrow_fail(struct pool_loan *l, char *why, size_t whylen,
    const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(errno));
	if (l->chan != -1)
		close(l->chan);
	l->chan = l->fd = -1;
	return -1;
}

int
pool_borrow(struct pool_loan *l, char *why, size_t whylen)
{
	struct frame f;
	struct mreader r;
	char *error;
	char *path = config_sock_path("pgpool");

	l->fd = -1;
	l->id = 0;
	l->chan = unix_connect(path);
	free(path);
	if (l->chan == -1)
		return pool_borrow_fail(l, why, whylen, "connect to connmgr");
	if (frame_hello_blocking(l->chan, "consumer") == -1 ||
	    frame_write_blocking(l->chan, MSG_POOL_BORROW, 0, NULL, 0, -1) == -1 ||
	    frame_read_blocking(l->chan, FRAME_MAX_CTL, &f) == -1)
		return pool_borrow_fail(l, why, whylen, "connmgr");
	mr_init(&r, f.data, f.len);
	l->id = mr_u32(&r);
	error = mr_str(&r);
	if (f.type != MSG_POOL_LEND || mr_done(&r) == -1 ||
	    (f.fd == -1 && *error == '\0'))
		snprintf(why, whylen, "connmgr: a bad answer");
	else
		snprintf(why, whylen, "%s", error);
	l->fd = f.fd;
	free(error);
	free((void *)(uintptr_t)f.data);
	if (l->fd != -1 && *why == '\0')
		return 0;
	if (l->fd != -1)
		close(l->fd);
	close(l->chan);
	l->chan = l->fd = -1;
	return -1;
}

void
pool_return(struct pool_loan *l, int clean)
{
	struct mbuf m;

	if (l->fd != -1)
		close(l->fd);
	if (l->chan != -1) {
		mbuf_init(&m);
		mbuf_u32(&m, l->id);
		mbuf_u8(&m, clean ? 1 : 0);
		if (frame_write_blocking(l->chan, MSG_POOL_RETURN, 0, m.p, m.len,
		    -1) == -1)
			log_warn("pool: giving a connection back");
		mbuf_free(&m);
		close(l->chan);
	}
	l->chan = l->fd = -1;
}
