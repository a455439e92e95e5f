/*
 * lpfloor: the floor of scenario 6a on this machine, the baseline of
 * bench/s6_fanout.mjs.  A long-poll server that does nothing but hold
 * requests and, when told, write one fixed answer (the bytes of a real
 * electricd live answer, captured by the bench) to every held connection
 * in one epoll loop; the clients (bin/lpfan) read it and ask again.  No
 * parsing beyond the end of a request head, no state, no allocation per
 * answer: what is left is the kernel's cost of a TCP write, a read of the
 * next request and the clients' own work on the same cores, which no
 * HTTP server can avoid.
 *
 *   bin/lpfloor PORT ANSWER_FILE    listens on 127.0.0.1:PORT, prints
 *                                   "listening"; then commands on stdin:
 *   held                            prints "held N" (requests waiting)
 *   fire                            answers every waiting request, prints
 *                                   "fired N"
 *   stop                            exits
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXFD	65536

struct fc {
	int	 open;
	int	 waiting;	/* complete requests not yet answered */
	size_t	 len;		/* bytes of the request head so far */
	char	 tail[4];	/* its last bytes, to find "\r\n\r\n" */
};

static struct fc fcs[MAXFD];
static char *answer;
static size_t answer_len;
static int ep;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "lpfloor: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void
fc_close(int fd)
{
	fcs[fd].open = 0;
	close(fd);
}

/* Counts the request heads in the bytes read (pipelining included). */
static void
fc_readable(int fd)
{
	struct fc *f = &fcs[fd];
	char buf[16384];
	ssize_t n, i;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			fc_close(fd);
			return;
		}
		if (n == -1)
			return;
		for (i = 0; i < n; i++) {
			memmove(f->tail, f->tail + 1, 3);
			f->tail[3] = buf[i];
			f->len++;
			if (f->len >= 4 && memcmp(f->tail, "\r\n\r\n", 4) == 0) {
				f->waiting++;
				f->len = 0;
				memset(f->tail, 0, sizeof(f->tail));
			}
		}
	}
}

static void
accept_all(int lfd)
{
	struct epoll_event ev;
	int fd, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		if (fd >= MAXFD)
			die("too many connections");
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(&fcs[fd], 0, sizeof(fcs[fd]));
		fcs[fd].open = 1;
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			die("epoll_ctl: %s", strerror(errno));
	}
}

static int
held(void)
{
	int fd, n = 0;

	for (fd = 0; fd < MAXFD; fd++)
		if (fcs[fd].open && fcs[fd].waiting > 0)
			n++;
	return n;
}

/* One write per waiting request: the answer fits any idle socket buffer. */
static int
fire(void)
{
	int fd, n = 0;

	for (fd = 0; fd < MAXFD; fd++) {
		if (!fcs[fd].open || fcs[fd].waiting == 0)
			continue;
		fcs[fd].waiting--;
		if (write(fd, answer, answer_len) != (ssize_t)answer_len)
			fc_close(fd);
		else
			n++;
	}
	return n;
}

static int
command(void)
{
	char line[64];
	ssize_t n;

	if ((n = read(0, line, sizeof(line) - 1)) <= 0)
		return 0;
	line[n] = '\0';
	if (strncmp(line, "held", 4) == 0)
		printf("held %d\n", held());
	else if (strncmp(line, "fire", 4) == 0)
		printf("fired %d\n", fire());
	else
		return 0;
	fflush(stdout);
	return 1;
}

static void
load_answer(const char *path)
{
	struct stat sb;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) == -1)
		die("%s: %s", path, strerror(errno));
	answer_len = (size_t)sb.st_size;
	if ((answer = malloc(answer_len)) == NULL ||
	    fread(answer, 1, answer_len, f) != answer_len)
		die("%s: short read", path);
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256], ev;
	struct sockaddr_in sa;
	int lfd, i, n, one = 1;

	if (argc != 3)
		die("usage: lpfloor PORT ANSWER_FILE");
	load_answer(argv[2]);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 4096) == -1)
		die("listen: %s", strerror(errno));
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == 0) {
				if (!command())
					return 0;
			} else if (evs[i].data.fd == lfd) {
				accept_all(lfd);
			} else {
				fc_readable(evs[i].data.fd);
			}
		}
	}
}
