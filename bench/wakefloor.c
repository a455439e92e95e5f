/*
 * wakefloor: what waking one of N idle processes costs on this machine, a
 * floor under scenarios 3, 5 and 6b of bench/, where every shape has a
 * consumer process of its own.  Forks N children that each block in
 * read() on a pipe of their own; then, SAMPLES times, writes one byte to a
 * random child, which touches its PAGES pages (a working set, 4 KiB
 * apart) and answers on a shared pipe, and times the round trip.  The
 * same is then timed against one child woken over and over (warm): the
 * difference is what an idle process costs to wake among N.
 *
 *   bin/wakefloor N SAMPLES [PAGES]
 *
 * Prints one JSON line: {"procs":N,"samples":S,"pages":K,"p50_us":..,
 * "p99_us":..,"warm_p50_us":..,"warm_p99_us":..}.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GAP_US	2000		/* between samples: the machine idles */

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "wakefloor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The child: wait, touch the working set, answer; until EOF. */
static void __attribute__((noreturn))
child(int in, int out, int pages)
{
	volatile char *m = malloc((size_t)pages * 4096 + 1);
	char c;
	int i;

	if (m == NULL)
		_exit(1);
	memset((char *)m, 1, (size_t)pages * 4096 + 1);
	while (read(in, &c, 1) == 1) {
		for (i = 0; i < pages; i++)
			m[(size_t)i * 4096]++;
		if (write(out, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* Times samples round trips, each to a random child (or, warm, always
 * to the first); lat comes back sorted. */
static void
run(const int *wfd, int n, int samples, int warm, int rfd, double *lat)
{
	struct timespec gap = { 0, GAP_US * 1000 };
	double t;
	char c = 'x';
	int s, i;

	srand(1);
	for (s = 0; s < samples; s++) {
		i = warm ? 0 : rand() % n;
		t = now_us();
		if (write(wfd[i], &c, 1) != 1 || read(rfd, &c, 1) != 1)
			die("round trip");
		lat[s] = now_us() - t;
		nanosleep(&gap, NULL);
	}
	qsort(lat, (size_t)samples, sizeof(*lat), cmp_double);
}

int
main(int argc, char **argv)
{
	int n, samples, pages, rep[2], p[2], i, *wfd;
	double *cold, *warm;

	if (argc < 3 || (n = atoi(argv[1])) < 1 ||
	    (samples = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: wakefloor N SAMPLES [PAGES]\n");
		return 2;
	}
	pages = argc > 3 ? atoi(argv[3]) : 100;
	if (pages < 0)
		pages = 0;
	signal(SIGPIPE, SIG_IGN);
	if (pipe(rep) == -1)
		die("pipe");
	wfd = calloc((size_t)n, sizeof(*wfd));
	cold = calloc((size_t)samples, sizeof(*cold));
	warm = calloc((size_t)samples, sizeof(*warm));
	if (wfd == NULL || cold == NULL || warm == NULL)
		die("calloc");
	for (i = 0; i < n; i++) {
		if (pipe(p) == -1)
			die("pipe");
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			close(p[1]);
			close(rep[0]);
			child(p[0], rep[1], pages);
		}
		close(p[0]);
		wfd[i] = p[1];
	}
	sleep(1);			/* every child is asleep in read() */
	run(wfd, n, samples, 0, rep[0], cold);
	run(wfd, n, samples, 1, rep[0], warm);
	printf("{\"procs\":%d,\"samples\":%d,\"pages\":%d,\"p50_us\":%.0f,"
	    "\"p99_us\":%.0f,\"warm_p50_us\":%.0f,\"warm_p99_us\":%.0f}\n",
	    n, samples, pages, cold[samples / 2], cold[samples * 99 / 100],
	    warm[samples / 2], warm[samples * 99 / 100]);
	for (i = 0; i < n; i++)
		close(wfd[i]);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
