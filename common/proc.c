/*
 * proc: common start-up of child processes (see proc.h): configuration,
 * log prefix, SIGHUP (log reopen), stop signals, and the stats a child
 * publishes to the root for /metrics.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "proc.h"

#define PROC_STATS_MS	1000

static void (*proc_stop_fn)(void *);
static void *proc_stop_arg;

static struct {
	struct chan		*root;
	const struct proc_stat	*stats;
	size_t			 n;
	uint64_t		*sent;		/* values last sent */
	int			 once;		/* sent at least once */
	struct event		*timer;
} proc_st;

static char *proc_title;	/* the argv/environ area, or NULL */
static size_t proc_title_len;

void
proc_title_init(int argc, char **argv)
{
	extern char **environ;
	char *end, **env;
	size_t i, n;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < (size_t)argc; i++) {
		if (argv[i] != end)
			return;		/* not contiguous: no title area */
		end = argv[i] + strlen(argv[i]) + 1;
	}
	for (n = 0; environ[n] != NULL; n++)
		if (environ[n] == end)
			end = environ[n] + strlen(environ[n]) + 1;
	env = xcalloc(n + 1, sizeof(*env));
	for (i = 0; i < n; i++)
		env[i] = xstrdup(environ[i]);
	environ = env;
	proc_title = argv[0];
	proc_title_len = (size_t)(end - argv[0]);
}

void
proc_title_set(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (proc_title == NULL || proc_title_len < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(proc_title, proc_title_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	/* NULs after it: a title longer than the original argv leaves its last
	 * byte non-NUL, and the kernel then reads the area up to the first
	 * NUL; a shorter one is read up to argv's end, NULs included. */
	if ((size_t)n < proc_title_len)
		memset(proc_title + n, '\0', proc_title_len - (size_t)n);
}

/* SIGHUP: reopen ELECTRIC_LOG_FILE (the root has renamed or rotated it). */
static void
proc_on_sighup(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig; (void)ev; (void)arg;
	if (cfg.log_file == NULL)
		log_info("SIGHUP ignored: no ELECTRIC_LOG_FILE");
	else if (log_reopen(cfg.log_file) == -1)
		log_warn("SIGHUP: cannot reopen %s, logging on to the old file",
		    cfg.log_file);
	else
		log_info("reopened log file %s", cfg.log_file);
}

struct event_base *
proc_init(const char *role, const char *instance)
{
	struct event_base *base;
	struct event *ev;
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
	ev = evsignal_new(base, SIGHUP, proc_on_sighup, NULL);
	if (ev == NULL || event_add(ev, NULL) == -1)
		fatalx("SIGHUP event");
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

/* ---- stats for /metrics (MSG_STATS) ---- */

static uint64_t
proc_stat_value(const struct proc_stat *st)
{
	return st->value != NULL ? *st->value : st->get();
}

static void
proc_stats_send(void)
{
	struct mbuf m;
	size_t i;

	mbuf_init(&m);
	mbuf_u32(&m, (uint32_t)proc_st.n);
	for (i = 0; i < proc_st.n; i++) {
		proc_st.sent[i] = proc_stat_value(&proc_st.stats[i]);
		mbuf_str(&m, proc_st.stats[i].name);
		mbuf_u64(&m, proc_st.sent[i]);
	}
	if (chan_sendm(proc_st.root, MSG_STATS, 0, &m) == -1)
		log_debug("root channel closed");
	mbuf_free(&m);
	proc_st.once = 1;
}

static void
proc_stats_tick(evutil_socket_t fd, short ev, void *arg)
{
	size_t i;

	(void)fd; (void)ev; (void)arg;
	for (i = 0; i < proc_st.n; i++)
		if (!proc_st.once || proc_st.sent[i] !=
		    proc_stat_value(&proc_st.stats[i])) {
			proc_stats_send();
			return;
		}
}

void
proc_stats_publish(struct event_base *base, struct chan *root,
    const struct proc_stat *stats, size_t n)
{
	struct timeval tv = { PROC_STATS_MS / 1000, (PROC_STATS_MS % 1000) * 1000 };

	proc_st.root = root;
	proc_st.stats = stats;
	proc_st.n = n;
	proc_st.sent = xcalloc(n, sizeof(*proc_st.sent));
	proc_st.timer = event_new(base, -1, EV_PERSIST, proc_stats_tick, NULL);
	if (proc_st.timer == NULL || event_add(proc_st.timer, &tv) == -1)
		fatalx("stats timer");
	proc_stats_send();
}
