/*
 * sup: the root's process table, spawning, reaping and restart strategies.
 *
 * Every child is a struct sup_proc in one list.  sup_reconcile() is the one
 * place that starts processes: a child in PROC_DOWN starts when the role it
 * needs is READY.  A death is handled by sup_on_death(): the dead child's
 * group strategy (childspec.c) decides which others are stopped with it;
 * the dead one waits out its backoff (1 s doubling to 60 s, reset after
 * 30 s of READY), the ones we stopped restart at once.  Consumers stopped
 * by a replication-group restart are forgotten: the new shapecache asks for
 * them again from meta.db.  A group that stops children together waits
 * until all of them have exited before starting any again (OTP order);
 * stopping a child, and the orderly stop of everything, are in
 * sup_stop.c.  Restart types: permanent children always come back,
 * transient ones only after an abnormal exit, temporary ones never.
 * Every group counts its children's restarts; past its intensity the group
 * escalates (sup_escalate).  Forks are rate-limited (SUP_SPAWN_BURST per
 * SUP_SPAWN_TICK_MS) so thousands of consumers never start at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "frame.h"
#include "htab.h"
#include "log.h"
#include "msg.h"
#include "proc.h"
#include "roles.h"
#include "sup.h"

#define SUP_BACKOFF_MIN_MS	1000
#define SUP_BACKOFF_MAX_MS	60000
#define SUP_STABLE_MS		30000
#define SUP_SPAWN_BURST		32
#define SUP_SPAWN_TICK_MS	100
static struct event *sup_spawn_timer;

static struct event_base *sup_base;
static struct sup_proc *sup_list, *sup_tail;
static struct htab sup_by_id;		/* id -> proc */
static struct htab sup_by_pid;		/* pid (> 0) -> proc */
static uint64_t sup_start_ms;
static int sup_last_health = -1;

static void sup_reconcile(void);

struct sup_proc *
sup_procs(void)
{
	return sup_list;
}

uint64_t
sup_uptime_ms(void)
{
	return mono_ms() - sup_start_ms;
}

struct sup_proc *
sup_find(const char *id)
{
	return htab_gets(&sup_by_id, id);
}

static struct sup_proc *
sup_find_pid(pid_t pid)
{
	return htab_get(&sup_by_pid, &pid, sizeof(pid));
}

/* Every change of p->pid goes through here (the pid index). */
static void
sup_set_pid(struct sup_proc *p, pid_t pid)
{
	if (p->pid > 0 && htab_get(&sup_by_pid, &p->pid, sizeof(p->pid)) == p)
		htab_del(&sup_by_pid, &p->pid, sizeof(p->pid));
	p->pid = pid;
	if (pid > 0)
		htab_put(&sup_by_pid, &p->pid, sizeof(p->pid), p);
}

const char *
sup_state_name(enum sup_state s)
{
	static const char *const names[] = { "down", "backoff", "starting",
	    "ready", "stopping" };

	return names[s];
}

/* The list keeps the order of creation (the strategies rely on it);
 * the indexes make finding a child O(1) with thousands of consumers. */
static struct sup_proc *
sup_add(const struct sup_spec *spec, const char *id)
{
	struct sup_proc *p;

	p = xcalloc(1, sizeof(*p));
	p->spec = spec;
	p->id = xstrdup(id);
	p->pid = -1;
	p->state = PROC_DOWN;
	p->prev = sup_tail;
	if (sup_tail != NULL)
		sup_tail->next = p;
	else
		sup_list = p;
	sup_tail = p;
	htab_puts(&sup_by_id, p->id, p);
	return p;
}

static void
sup_remove(struct sup_proc *dead)
{
	if (dead->prev != NULL)
		dead->prev->next = dead->next;
	else
		sup_list = dead->next;
	if (dead->next != NULL)
		dead->next->prev = dead->prev;
	else
		sup_tail = dead->prev;
	htab_dels(&sup_by_id, dead->id);
	sup_set_pid(dead, -1);
	if (dead->timer != NULL)
		event_free(dead->timer);
	if (dead->chan != NULL)
		chan_free(dead->chan);
	free(dead->id);
	free(dead);
}

static int
sup_ready(const char *role)
{
	struct sup_proc *p = sup_find(role);

	return p != NULL && p->state == PROC_READY;
}

/* ---- health, told to http ---- */

int
sup_health(const char **reason)
{
	struct sup_proc *cm = sup_find("connmgr");
	static const char *const need[] = { "connmgr", "replication",
	    "collector", "shapecache" };
	size_t i;

	*reason = "";
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!sup_ready(need[i]))
			break;
	if (i == sizeof(need) / sizeof(need[0]))
		return HEALTH_ACTIVE;
	if (cm != NULL)
		*reason = cm->state_detail;
	if (cm != NULL && strcmp(cm->state_word, "waiting_lock") == 0)
		return HEALTH_WAITING;
	return HEALTH_STARTING;
}

static void
sup_tell_health(int force)
{
	struct sup_proc *h = sup_find("http");
	struct mbuf m;
	const char *reason;
	int health = sup_health(&reason);

	if (h == NULL || h->chan == NULL || h->state != PROC_READY)
		return;
	if (!force && health == sup_last_health)
		return;
	sup_last_health = health;
	mbuf_init(&m);
	mbuf_u8(&m, (uint8_t)health);
	mbuf_str(&m, reason);
	if (chan_sendm(h->chan, MSG_HEALTH, 0, &m) == -1)
		log_debug("http channel closed");
	mbuf_free(&m);
}

/* ---- frames from children ---- */

/* Makes sure the consumer of handle runs (MSG_SPAWN, electricctl resume).
 * One that is suspending (MSG_STATE "suspending") is restarted as soon as
 * it exits: the request came after it decided to go (issue 6). */
void
sup_want_consumer(const char *handle)
{
	struct sup_proc *p;

	if ((p = sup_find(handle)) == NULL) {
		sup_add(&sup_consumer_spec, handle);
	} else if (p->removed) {
		/* asked for again while a group restart stops it */
		p->removed = 0;
		p->restart_now = 1;
	} else if (p->pid > 0 && strcmp(p->state_word, "suspending") == 0) {
		p->restart_now = 1;
	}
	sup_reconcile();
}

static void
sup_on_spawn(const struct frame *f)
{
	struct mreader r;
	char *handle;

	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	if (r.err || *handle == '\0' || strchr(handle, '/') != NULL)
		log_warnx("bad SPAWN frame");
	else
		sup_want_consumer(handle);
	free(handle);
}

static void
sup_on_stop_consumer(const struct frame *f)
{
	struct mreader r;
	struct sup_proc *p;
	char *handle;

	mr_init(&r, f->data, f->len);
	handle = mr_str(&r);
	if ((p = sup_find(handle)) != NULL && p->spec == &sup_consumer_spec) {
		p->removed = 1;
		if (p->pid > 0)
			sup_stop(p);
		else
			sup_remove(p);
	}
	free(handle);
}

static void
sup_on_state(struct sup_proc *p, const struct frame *f)
{
	struct mreader r;
	char *word, *detail;

	mr_init(&r, f->data, f->len);
	word = mr_str(&r);
	detail = mr_str(&r);
	snprintf(p->state_word, sizeof(p->state_word), "%s", word);
	snprintf(p->state_detail, sizeof(p->state_detail), "%s", detail);
	free(word);
	free(detail);
	sup_tell_health(0);
}

static void
sup_on_frame(struct chan *c UNUSED, struct frame *f, void *arg)
{
	struct sup_proc *p = arg;

	switch (f->type) {
	case MSG_READY:
		if (p->state == PROC_STARTING) {
			p->state = PROC_READY;
			p->ready_ms = mono_ms();
			log_info("%s ready (pid %d)", p->id, (int)p->pid);
		}
		if (strcmp(p->id, "http") == 0)
			sup_tell_health(1);
		sup_tell_health(0);
		sup_reconcile();
		break;
	case MSG_STATE:
		sup_on_state(p, f);
		break;
	case MSG_SPAWN:
		sup_on_spawn(f);
		break;
	case MSG_STOP_CONSUMER:
		sup_on_stop_consumer(f);
		break;
	case MSG_CTL_REPLY:
		if (!control_metrics_on_reply(f->id, f->data, f->len))
			control_on_shapecache_reply(f->id, f->data, f->len);
		break;
	case MSG_CTL_REQ:	/* http's "metrics" */
		control_metrics_request(p, f->id, f->data, f->len);
		break;
	case MSG_STATS:
		control_metrics_on_stats(p, f->data, f->len);
		break;
	case MSG_SHAPE_FAILED:	/* a consumer's: shapecache decides */
		if (sup_to_shapecache(f->type, 0, f->data, f->len) == -1)
			log_warnx("%s failed, but shapecache is away", p->id);
		break;
	default:
		log_warnx("%s sent unexpected %s", p->id, msg_name(f->type));
	}
	if (f->fd != -1)
		close(f->fd);
}

static void
sup_on_chan_close(struct chan *c, int error, void *arg)
{
	struct sup_proc *p = arg;

	/* The death itself is handled when the pid is reaped. */
	if (error == EPROTO && p->pid > 0) {
		log_warnx("%s: protocol error on its channel, restarting it", p->id);
		kill(p->pid, SIGKILL);
	}
	chan_free(c);
	p->chan = NULL;
}

int
sup_to_shapecache(uint16_t type, uint32_t id, const void *d, size_t n)
{
	struct sup_proc *p = sup_find("shapecache");

	if (p == NULL || p->chan == NULL || p->state != PROC_READY)
		return -1;
	return chan_send(p->chan, type, id, d, n, -1);
}

/* ---- spawning ---- */

/* In the child: the root channel on PROC_ROOT_FD, nothing else open but
 * stdio, its own process group, the signals back to their defaults. */
static void
sup_child_setup(int fd)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGPIPE };
	sigset_t none;
	size_t i;

	if (dup2(fd, PROC_ROOT_FD) == -1)
		_exit(127);
	close_range(PROC_ROOT_FD + 1, ~0U, 0);
	setpgid(0, 0);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	signal(SIGHUP, SIG_IGN);	/* until proc_init handles it */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* A static role: exec of our own binary, a fresh process image. */
static void
sup_exec_child(struct sup_proc *p, int fd)
{
	char title[64];
	char *argv[4];

	sup_child_setup(fd);
	snprintf(title, sizeof(title), "electricd: %s", p->spec->role);
	argv[0] = title;
	argv[1] = "--role";
	argv[2] = (char *)p->spec->role;
	argv[3] = NULL;
	execv("/proc/self/exe", argv);
	_exit(127);
}

/*
 * A shape's consumer: no exec.  Its code and the shared libraries, with
 * the relocations the dynamic linker wrote into them, stay the root's
 * pages, shared copy-on-write by every consumer: about 1 MB less of
 * private memory per shape than an exec'd process, and no dynamic linking
 * at each start.  The root's event base is left alone, never used again
 * (freeing it would close fd numbers that are the consumer's now, and its
 * epoll set is the root's too); its signals are back to their defaults
 * (sup_child_setup), and libevent's one complaint about it, when the
 * consumer's base takes the signals over, is logged at debug level.  The
 * root holds no SQLite or libpq connection across this fork
 * (control_shape.c opens and closes meta.db inside one callback), so the
 * consumer's own are safe.
 */
static void
sup_libevent_log(int severity, const char *msg)
{
	if (strncmp(msg, "Added a signal to event base", 28) == 0 ||
	    severity < EVENT_LOG_WARN)
		log_debug("libevent: %s", msg);
	else
		log_warnx("libevent: %s", msg);
}

static void
sup_fork_consumer(struct sup_proc *p, int fd)
{
	sup_child_setup(fd);
	event_set_log_callback(sup_libevent_log);
	proc_title_set("electricd: consumer --role consumer --shape %s", p->id);
	_exit(consumer_main(p->id));
}

static int
sup_spawn(struct sup_proc *p)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return -1;
	}
	fflush(NULL);		/* nothing buffered is written twice */
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		close(sp[0]);
		if (p->spec == &sup_consumer_spec)
			sup_fork_consumer(p, sp[1]);
		sup_exec_child(p, sp[1]);
	}
	close(sp[1]);
	sup_set_pid(p, pid);
	p->state = PROC_STARTING;
	p->started_ms = mono_ms();
	p->state_word[0] = p->state_detail[0] = '\0';
	p->chan = chan_new(sup_base, sp[0], "root", FRAME_MAX_CTL, sup_on_frame,
	    sup_on_chan_close, p);
	log_debug("started %s (pid %d)", p->id, (int)pid);
	return 0;
}

static void
sup_spawn_tick(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	sup_reconcile();
}

/* As in OTP, a group that stops children together (rest_for_one,
 * one_for_all) starts them again only once every one of them has exited:
 * a new shapecache never meets the consumers of the old one. */
static int
sup_group_draining(const struct sup_proc *p)
{
	const struct sup_group *g = sup_group_find(p->spec->group);
	const struct sup_proc *q;

	if (g == NULL || g->strategy == SUP_ONE_FOR_ONE)
		return 0;
	for (q = sup_list; q != NULL; q = q->next)
		if (q != p && q->pid > 0 && q->state == PROC_STOPPING &&
		    sup_group_within(q->spec->group, g->name))
			return 1;
	return 0;
}

/* Starts what may run, at most SUP_SPAWN_BURST now; the rest next tick. */
static void
sup_reconcile(void)
{
	struct timeval tv = { 0, SUP_SPAWN_TICK_MS * 1000 };
	struct sup_proc *p;
	int started = 0;

	if (sup_is_stopping())
		return;
	for (p = sup_list; p != NULL; p = p->next) {
		if (p->state != PROC_DOWN || p->removed)
			continue;
		if (p->spec->needs != NULL && !sup_ready(p->spec->needs))
			continue;
		if (sup_group_draining(p))
			continue;
		if (started == SUP_SPAWN_BURST) {
			if (!evtimer_pending(sup_spawn_timer, NULL))
				evtimer_add(sup_spawn_timer, &tv);
			return;
		}
		if (sup_spawn(p) == -1)
			p->state = PROC_DOWN;
		else
			started++;
	}
}

/* ---- deaths ---- */

static void
sup_backoff_done(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	struct sup_proc *p = arg;

	if (p->state == PROC_BACKOFF)
		p->state = PROC_DOWN;
	sup_reconcile();
}

static void
sup_schedule_restart(struct sup_proc *p)
{
	struct timeval tv;

	if (p->ready_ms != 0 && mono_ms() - p->ready_ms >= SUP_STABLE_MS)
		p->backoff_ms = 0;
	p->backoff_ms = p->backoff_ms == 0 ? SUP_BACKOFF_MIN_MS :
	    p->backoff_ms * 2;
	if (p->backoff_ms > SUP_BACKOFF_MAX_MS)
		p->backoff_ms = SUP_BACKOFF_MAX_MS;
	p->state = PROC_BACKOFF;
	if (p->timer == NULL)
		p->timer = evtimer_new(sup_base, sup_backoff_done, p);
	tv.tv_sec = (time_t)(p->backoff_ms / 1000);
	tv.tv_usec = (suseconds_t)(p->backoff_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	log_info("restarting %s in %llu ms", p->id,
	    (unsigned long long)p->backoff_ms);
}

static void
sup_describe_exit(struct sup_proc *p, int status)
{
	struct sup_death *d = &p->deaths[p->ndeaths++ % 8];

	if (WIFEXITED(status))
		snprintf(p->last_exit, sizeof(p->last_exit), "exit %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(p->last_exit, sizeof(p->last_exit), "signal %d",
		    WTERMSIG(status));
	d->at_us = now_us();
	snprintf(d->what, sizeof(d->what), "%s", p->last_exit);
}

/* Does this death end the child for good (restart type, exit status)? */
static int
sup_done_for_good(const struct sup_proc *p, int status, int by_us)
{
	int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (p->removed)
		return 1;
	if (by_us)
		return 0;
	switch (p->spec->restart) {
	case SUP_PERMANENT:
		return 0;
	case SUP_TRANSIENT:
		return clean;
	case SUP_TEMPORARY:
		return 1;
	}
	return 0;
}

static void
sup_on_death(struct sup_proc *p, int status)
{
	int by_us = p->restart_now || p->state == PROC_STOPPING;
	const struct sup_group *g;

	sup_describe_exit(p, status);
	control_metrics_on_death(p);
	sup_set_pid(p, -1);
	if (p->chan != NULL) {
		chan_free(p->chan);
		p->chan = NULL;
	}
	if (strcmp(p->state_word, "suspending") == 0 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		log_info("%s suspended%s", p->id, by_us ? "; needed again" : "");
	else if (!by_us)
		log_warnx("%s died (%s)", p->id, p->last_exit);
	if (sup_is_stopping())
		return;
	if (sup_done_for_good(p, status, by_us)) {
		sup_remove(p);
		return;
	}
	p->restarts++;
	control_metrics_restarted(p);
	if (by_us) {
		p->restart_now = 0;
		p->state = PROC_DOWN;
		sup_tell_health(0);
		return;
	}
	strategy_cascade(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == SUP_EXIT_CONFIG) {
		log_warnx("%s failed on its configuration; retrying in %d s",
		    p->id, SUP_BACKOFF_MAX_MS / 1000);
		p->backoff_ms = SUP_BACKOFF_MAX_MS / 2;
	}
	sup_schedule_restart(p);
	g = sup_group_find(p->spec->group);
	if (g != NULL && strategy_count_restart(g))
		strategy_escalate(g);
	sup_tell_health(0);
}

static void
sup_on_sigchld(evutil_socket_t sig UNUSED, short ev UNUSED, void *arg UNUSED)
{
	struct sup_proc *p;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((p = sup_find_pid(pid)) != NULL)
			sup_on_death(p, status);
	}
	if (sup_is_stopping())
		sup_stop_progress();
	else
		sup_reconcile();
}

int
sup_restart(const char *id)
{
	struct sup_proc *p = sup_find(id);

	if (p == NULL)
		return -1;
	if (p->pid > 0) {
		log_info("restart of %s requested", id);
		p->restart_now = 1;
		sup_stop(p);
		if (p->spec != &sup_consumer_spec)
			strategy_cascade(p);
	}
	return 0;
}

/* SIGHUP: reopen ELECTRIC_LOG_FILE (rotated), then every child does. */
static void
sup_on_sighup(evutil_socket_t sig UNUSED, short ev UNUSED, void *arg UNUSED)
{
	struct sup_proc *p;

	if (cfg.log_file == NULL) {
		log_info("SIGHUP ignored: no ELECTRIC_LOG_FILE");
		return;
	}
	if (log_reopen(cfg.log_file) == -1)
		log_warn("SIGHUP: cannot reopen %s, logging on to the old file",
		    cfg.log_file);
	else
		log_info("reopened log file %s", cfg.log_file);
	for (p = sup_list; p != NULL; p = p->next)
		if (p->pid > 0)
			kill(p->pid, SIGHUP);
}

void
sup_main(void)
{
	struct event *ev;
	const struct sup_spec *s;

	sup_start_ms = mono_ms();
	signal(SIGPIPE, SIG_IGN);
	if ((sup_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	ev = evsignal_new(sup_base, SIGCHLD, sup_on_sigchld, NULL);
	event_add(ev, NULL);
	ev = evsignal_new(sup_base, SIGHUP, sup_on_sighup, NULL);
	event_add(ev, NULL);
	if (control_listen(sup_base) == -1)
		fatal("control socket");
	sup_spawn_timer = evtimer_new(sup_base, sup_spawn_tick, NULL);
	sup_stop_init(sup_base);
	for (s = sup_specs; s->role != NULL; s++)
		sup_add(s, s->role);
	sup_reconcile();
	event_base_dispatch(sup_base);
	fatalx("event loop ended");
}
