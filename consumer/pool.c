/*
 * pool: snapshot connection slots shared by consumer processes (pool.h).
 * Waiting is a poll every 20 ms: snapshots take far longer than that, and
 * it keeps the mechanism to one system call a slot.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
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
