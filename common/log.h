/*
 * log: the one logging API of every electricd process.
 * Each line goes to stderr as "<time> <level> <role>[<instance>]: <text>";
 * stderr is the terminal, or ELECTRIC_LOG_FILE (log_reopen).
 * fatal()/fatalx() are for broken invariants and start-up errors only.
 */
#ifndef ELECTRICD_LOG_H
#define ELECTRICD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *role, const char *instance);
void log_set_level(enum log_level);
int log_parse_level(const char *s, enum log_level *out);
/* Opens path for appending (creating it 0644) and puts it on fd 2, so that
 * this process and every child it forks afterwards log there.  0, or -1
 * (errno set) with fd 2 unchanged.  ELECTRIC_LOG_FILE: the root calls it
 * at start and on SIGHUP, children on SIGHUP (common/proc.c). */
int log_reopen(const char *path) __attribute__((warn_unused_result));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
