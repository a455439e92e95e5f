/*
 * log: the one logging API of every electricd process.
 * Each line goes to stderr as "<time> <level> <role>[<instance>]: <text>".
 * fatal()/fatalx() are for broken invariants and start-up errors only.
 */
#ifndef ELECTRICD_LOG_H
#define ELECTRICD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *role, const char *instance);
void log_set_level(enum log_level);
int log_parse_level(const char *s, enum log_level *out);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
