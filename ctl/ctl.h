/*
 * ctl: electricctl's pieces that do no I/O on the control socket, so that
 * tests/unit/test_ctl.c can drive them with canned replies:
 *   ctl_cmd.c  the command table, prefix lookup, request JSON;
 *   ctl_fmt.c  the aligned tables and lines printed for people.
 * electricctl.c holds main(), the options and the socket conversation.
 */
#ifndef ELECTRICD_CTL_H
#define ELECTRICD_CTL_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Exit statuses (electricctl(8), EXIT STATUS). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_DAEMON = 1,		/* the daemon reported an error */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_NOT_RUNNING = 3,
	CTL_EXIT_PROTOCOL = 4		/* version mismatch, bad or no reply */
};

/* Prints an ok reply for people; -1 if the reply lacks what it needs. */
typedef int (*ctl_print_fn)(FILE *, const json_t *reply);

struct ctl_cmd {
	const char	*name;
	const char	*args;		/* usage of its argument, or NULL */
	const char	*help;
	int		 local;		/* answered without the daemon */
	ctl_print_fn	 print;
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

/* Exact name or unambiguous prefix.  NULL if unknown or ambiguous, with
 * *ambiguous set to 1 for the latter. */
const struct ctl_cmd *ctl_cmd_find(const char *word, int *ambiguous);
/* The MSG_CTL_REQ body, e.g. {"cmd":"restart","target":"http"} (malloc'd). */
char *ctl_request_json(const struct ctl_cmd *, const char *arg);
void ctl_usage(FILE *);

int ctl_print_status(FILE *, const json_t *);
int ctl_print_shapes(FILE *, const json_t *);
int ctl_print_restart(FILE *, const json_t *);
int ctl_print_version(FILE *, const json_t *);
/* 5 -> "5s", 65 -> "1m05s", 3700 -> "1h01m", 90000 -> "1d01h"; <0 "-". */
void ctl_fmt_duration(char *buf, size_t, long long secs);

#endif
