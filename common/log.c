/*
 * log: line-oriented logging to stderr with a role/instance prefix.
 * The supervisor passes ELECTRIC_LOG_LEVEL to every child through the
 * environment, so every process filters the same way.  log_reopen() swaps
 * the file under fd 2 (log rotation on SIGHUP): lines are written with one
 * fprintf to an unbuffered stderr, so none is split between two files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char log_prefix[96] = "electricd";
static enum log_level log_level = LOG_LVL_INFO;

static const char *const log_names[] = { "error", "warning", "info", "debug" };

void
log_init(const char *role, const char *instance)
{
	if (instance != NULL && *instance != '\0')
		snprintf(log_prefix, sizeof(log_prefix), "%s[%.12s]", role, instance);
	else
		snprintf(log_prefix, sizeof(log_prefix), "%s[%d]", role, (int)getpid());
}

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcasecmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warn") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

int
log_reopen(const char *path)
{
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	if (fd != STDERR_FILENO && dup2(fd, STDERR_FILENO) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (fd != STDERR_FILENO)
		close(fd);
	else
		(void)fcntl(fd, F_SETFD, 0);	/* children inherit fd 2 */
	return 0;
}

static void
log_vemit(enum log_level lvl, const char *err, const char *fmt, va_list ap)
{
	char msg[2048], ts[32];
	struct timespec now;
	struct tm tm;

	if (lvl > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != NULL)
		fprintf(stderr, "%s.%03ld %s %s: %s: %s\n", ts, now.tv_nsec / 1000000,
		    log_names[lvl], log_prefix, msg, err);
	else
		fprintf(stderr, "%s.%03ld %s %s: %s\n", ts, now.tv_nsec / 1000000,
		    log_names[lvl], log_prefix, msg);
}

#define LOG_FN(name, lvl, witherr)					\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	int saved = errno;						\
									\
	va_start(ap, fmt);						\
	log_vemit(lvl, witherr ? strerror(saved) : NULL, fmt, ap);	\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
