/*
 * test_pool: snapshot connection slots are exclusive across processes and
 * are released when their holder exits, even by SIGKILL.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "pool.h"
#include "util.h"

Suite *pool_suite(void);

static char pool_dir[] = "/tmp/electricd-pool-XXXXXX";

static void
pool_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(pool_dir));
}

static void
pool_teardown(void)
{
	if (rm_rf(pool_dir) == -1)
		abort();
}

/* Forks a process that takes a slot and reports how long it waited.  It
 * first closes the slot fd it inherited (real consumers are exec'd, and
 * slot fds are close-on-exec, so they never inherit one). */
static pid_t
pool_contender(int size, int out, int inherited)
{
	pid_t pid = fork();
	uint64_t t0;
	int fd;

	if (pid == 0) {
		if (inherited != -1)
			close(inherited);
		t0 = mono_ms();
		fd = pool_acquire(pool_dir, size);
		t0 = mono_ms() - t0;
		if (write(out, &t0, sizeof(t0)) != sizeof(t0))
			_exit(2);
		pool_release(fd);
		_exit(0);
	}
	return pid;
}

static uint64_t
pool_wait_of(int in)
{
	uint64_t ms = 0;

	ck_assert_int_eq(read(in, &ms, sizeof(ms)), sizeof(ms));
	return ms;
}

START_TEST(test_exclusive_then_released)
{
	int p[2], fd;
	pid_t c;

	ck_assert_int_eq(pipe(p), 0);
	fd = pool_acquire(pool_dir, 1);
	c = pool_contender(1, p[1], fd);
	usleep(300000);
	pool_release(fd);
	ck_assert_uint_ge(pool_wait_of(p[0]), 250);	/* it had to wait */
	waitpid(c, NULL, 0);
}
END_TEST

START_TEST(test_two_slots_no_wait)
{
	int p[2], fd;
	pid_t c;

	ck_assert_int_eq(pipe(p), 0);
	fd = pool_acquire(pool_dir, 2);
	c = pool_contender(2, p[1], fd);
	ck_assert_uint_lt(pool_wait_of(p[0]), 200);	/* the second slot */
	waitpid(c, NULL, 0);
	pool_release(fd);
}
END_TEST

START_TEST(test_sigkill_frees_slot)
{
	int p[2];
	pid_t holder, c;

	ck_assert_int_eq(pipe(p), 0);
	if ((holder = fork()) == 0) {
		(void)pool_acquire(pool_dir, 1);
		pause();
		_exit(0);
	}
	usleep(100000);
	c = pool_contender(1, p[1], -1);
	usleep(200000);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	ck_assert_uint_ge(pool_wait_of(p[0]), 150);
	waitpid(c, NULL, 0);
}
END_TEST

Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("slots");

	tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
	tcase_add_test(tc, test_exclusive_then_released);
	tcase_add_test(tc, test_two_slots_no_wait);
	tcase_add_test(tc, test_sigkill_frees_slot);
	suite_add_tcase(s, tc);
	return s;
}
