/*
 * pool: ELECTRIC_DB_POOL_SIZE as a limit on concurrent snapshot
 * connections across all consumer processes.  A slot is an flock on
 * <run>/pool.<n>.lock; the kernel releases it when its holder exits, even
 * after SIGKILL, so a crashed consumer never leaks a slot.
 */
#ifndef ELECTRICD_POOL_H
#define ELECTRICD_POOL_H

/* Blocks until one of size slots is free; returns the fd holding it. */
int pool_acquire(const char *run_dir, int size);
/* Never blocks: the fd of a free slot, or -1 when all size are taken. */
int pool_try_acquire(const char *run_dir, int size);
void pool_release(int fd);

#endif
