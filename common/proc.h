/*
 * proc: what every child process does first.  The root starts a child by
 * fork + exec of its own binary as "electricd --role ROLE [--shape HANDLE]"
 * with the root channel (a socketpair) on fd PROC_ROOT_FD and the resolved
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
