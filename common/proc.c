/*
 * proc: common start-up of child processes (see proc.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"

static void (*proc_stop_fn)(void *);
static void *proc_stop_arg;

struct event_base *
proc_init(const char *role, const char *instance)
{
	struct event_base *base;
	char *err = NULL;

	log_init(role, instance);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		log_warn("prctl");
	if (getppid() == 1)
		fatalx("root is gone");
	if (config_load_env(&err) == -1) {
		log_warnx("configuration: %s", err);
		exit(78);	/* SUP_EXIT_CONFIG: not retried in a loop */
	}
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	return base;
}

static void
proc_root_closed(struct chan *c, int error, void *arg)
{
	(void)c; (void)arg;
	if (error)
		log_debug("root channel error: %d", error);
	_exit(0);
}

struct chan *
proc_root_chan(struct event_base *base, const char *role, chan_frame_cb cb,
    void *arg)
{
	struct chan *c;

	c = chan_new(base, PROC_ROOT_FD, role, FRAME_MAX_DEFAULT, cb,
	    proc_root_closed, arg);
	if (c == NULL)
		fatal("root channel");
	return c;
}

void
proc_ready(struct chan *root)
{
	if (chan_send(root, MSG_READY, 0, NULL, 0, -1) == -1)
		_exit(0);
}

static void
proc_on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig; (void)ev; (void)arg;
	if (proc_stop_fn != NULL)
		proc_stop_fn(proc_stop_arg);
	else
		exit(0);
}

void
proc_signals(struct event_base *base, void (*stop)(void *), void *arg)
{
	struct event *ev;

	proc_stop_fn = stop;
	proc_stop_arg = arg;
	signal(SIGPIPE, SIG_IGN);
	ev = evsignal_new(base, SIGTERM, proc_on_signal, NULL);
	event_add(ev, NULL);
	ev = evsignal_new(base, SIGINT, proc_on_signal, NULL);
	event_add(ev, NULL);
}
