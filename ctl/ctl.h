/*
 * ctl: electricctl's pieces that do no I/O on the control socket, so that
 * tests/unit/test_ctl.c can drive them with canned replies and files:
 *   ctl_cmd.c   the command table, abbreviation lookup, request JSON;
 *   ctl_fmt.c   the aligned tables and lines printed for people;
 *   ctl_top.c   top's rates between two samples, and its table;
 *   ctl_tail.c  tail: follows a shape's log files in the storage directory.
 * electricctl.c holds main(), the options and the socket conversation.
 */
#ifndef ELECTRICD_CTL_H
#define ELECTRICD_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Exit statuses (electricctl(8), EXIT STATUS). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_DAEMON = 1,		/* the daemon reported an error, no such
					 * shape, permission denied */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_NOT_RUNNING = 3,
	CTL_EXIT_PROTOCOL = 4		/* version mismatch, bad or no reply */
};

/* Prints an ok reply for people; -1 if the reply lacks what it needs. */
typedef int (*ctl_print_fn)(FILE *, const json_t *reply);

/* How electricctl runs a command (electricctl.c switches on it). */
enum ctl_how {
	CTL_ASK,		/* one request, print the reply */
	CTL_ASK_STOP,		/* ask, then wait for the socket to go away */
	CTL_ASK_TOP,		/* ask every second, print the rates */
	CTL_TAIL,		/* follow the shape's files; no daemon */
	CTL_HELP		/* usage; no daemon */
};

struct ctl_cmd {
	const char	*name;
	size_t		 minlen;	/* shortest accepted abbreviation */
	const char	*args;		/* usage of its argument, or NULL */
	const char	*count;		/* meaning of -n N, or NULL: not taken */
	const char	*help;
	enum ctl_how	 how;
	ctl_print_fn	 print;
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

enum ctl_miss { CTL_MISS_UNKNOWN, CTL_MISS_AMBIGUOUS, CTL_MISS_SHORT };

/* The command named by word: its name, or a prefix of its name at least
 * minlen long.  NULL if none, *why saying whether the word is unknown, a
 * prefix of several commands, or too short for the one it starts. */
const struct ctl_cmd *ctl_cmd_find(const char *word, enum ctl_miss *why);
/* The options of "shapes" (NULL: not given): --table, --state, --sort. */
struct ctl_filter {
	const char	*table;
	const char	*state;		/* active, snapshotting, suspended */
	const char	*sort;		/* size, activity, handle */
};
/* 0, or -1 with a message in err if a --state or --sort value is unknown. */
int ctl_filter_check(const struct ctl_filter *, char *err, size_t);
/* The MSG_CTL_REQ body, e.g. {"cmd":"restart","target":"http"} or
 * {"cmd":"shapes","table":"items","sort":"size"} (malloc'd); f may be
 * NULL.  NULL if a string is not UTF-8. */
char *ctl_request_json(const struct ctl_cmd *, const char *arg,
    const struct ctl_filter *f);
void ctl_usage(FILE *);

int ctl_print_status(FILE *, const json_t *);
int ctl_print_shapes(FILE *, const json_t *);
int ctl_print_shape(FILE *, const json_t *);
int ctl_print_restart(FILE *, const json_t *);
int ctl_print_delete(FILE *, const json_t *);
int ctl_print_suspend(FILE *, const json_t *);
int ctl_print_resume(FILE *, const json_t *);
int ctl_print_stop(FILE *, const json_t *);
int ctl_print_version(FILE *, const json_t *);
/* 5 -> "5s", 65 -> "1m05s", 3700 -> "1h01m", 90000 -> "1d01h"; <0 "-". */
void ctl_fmt_duration(char *buf, size_t, long long secs);
/* 512 -> "512B", 1536 -> "1.5K", 123456789 -> "118M"; <0 "-". */
void ctl_fmt_bytes(char *buf, size_t, long long bytes);
/* One log entry (its JSON text) as a line for people:
 * "<offset>  <operation>  <key>  col=value ...". */
void ctl_fmt_entry(FILE *, const char *offset, const char *json, size_t len);

/* top: the rates between two "top" replies (prev may be NULL), as a new
 * object {"interval_ms":..,"processes":[{"role","id","pid","cpu_pct",
 * "rss_kb","log_entries","entries_per_s"}..]}, busiest first. */
json_t *ctl_top_view(const json_t *prev, const json_t *cur);
int ctl_print_top(FILE *, const json_t *view);

/* tail */
struct ctl_tail;
/* Opens <storage>/shapes/<handle>, positioned after its durable log
 * entries but the last `last` ones.  NULL with errno (ENOENT: no such
 * shape). */
struct ctl_tail *ctl_tail_open(const char *storage, const char *handle,
    uint64_t last);
/* Prints the entries that became durable since the last call, one line
 * each (raw JSON, or ctl_fmt_entry).  Returns how many, or -1 with errno:
 * ENOENT when the shape's directory is gone (the shape was deleted). */
int ctl_tail_poll(struct ctl_tail *, FILE *, int json)
    __attribute__((warn_unused_result));
const char *ctl_tail_dir(const struct ctl_tail *);
void ctl_tail_close(struct ctl_tail *);

#endif
