/*
 * proc: what every child process does first.  The root starts a static
 * role by fork + exec of its own binary as "electricd --role ROLE", and a
 * shape's consumer by fork alone (sup.c: its pages stay shared with the
 * root, issue 7 scenario 7), retitled "electricd: consumer --role
 * consumer --shape HANDLE" (proc_title_set); either way with the root
 * channel (a socketpair) on fd PROC_ROOT_FD and the resolved
 * configuration in the environment.  proc_init loads that configuration,
 * sets the log prefix, asks the kernel to kill us if the root dies, and
 * makes the event base; proc_root_chan opens the root channel, whose EOF
 * ends the process (no child outlives the root).
 */
#ifndef ELECTRICD_PROC_H
#define ELECTRICD_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define PROC_ROOT_FD 3

struct event_base;

struct event_base *proc_init(const char *role, const char *instance);

/* Process titles without exec (PostgreSQL's ps_status on Linux): the
 * root calls proc_title_init first thing in main, which moves the
 * environment out of the argv/environ area; a forked child then writes
 * its title over that area with proc_title_set.  /proc/PID/cmdline then
 * reads as "electricd: consumer --role consumer --shape H": one string,
 * words separated by spaces, not NULs (perhaps NULs after it). */
void proc_title_init(int argc, char **argv);
void proc_title_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cb may be NULL (frames are then ignored).  On EOF or error of the root
 * channel the process exits with status 0. */
struct chan *proc_root_chan(struct event_base *, const char *role,
    chan_frame_cb cb, void *arg);
/* Sends MSG_READY on the root channel. */
void proc_ready(struct chan *root);
/* SIGTERM/SIGINT handlers on the base that call stop(arg) (or exit(0) if
 * stop is NULL), and SIGPIPE ignored. */
void proc_signals(struct event_base *, void (*stop)(void *), void *arg);

/* proc_init also handles SIGHUP: with ELECTRIC_LOG_FILE set, the file is
 * reopened on fd 2 (the root sends SIGHUP to its children after it
 * reopened it itself); without, SIGHUP is ignored. */

/* A counter or gauge for /metrics: name (ending in "_total" for a
 * counter) and where its value lives, or the function that computes it
 * (value NULL); UINT64_MAX = unknown now. */
struct proc_stat {
	const char	*name;
	const uint64_t	*value;
	uint64_t	(*get)(void);
};
/* Sends the n stats (a table that outlives the process) to the root as
 * MSG_STATS now and then once a second whenever one changed. */
void proc_stats_publish(struct event_base *, struct chan *root,
    const struct proc_stat *, size_t n);

#endif
