/*
 * sup_stop: stopping children (the root's side of sup.c).  sup_stop()
 * sends SIGTERM and a child that has not exited SUP_STOP_MS later gets
 * SIGKILL (one kill timer for all, armed for the next one due).  The
 * orderly stop of electricd (SIGTERM/SIGINT, `electricctl stop`) goes in
 * stages by each spec's stop_stage, lowest first; sup.c calls
 * sup_stop_progress() after every death while stopping, and electricd
 * exits when the last stage is empty.  A second stop signal, or SIGQUIT,
 * SIGKILLs everything at once.
 */
#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "sup.h"
#include "util.h"

#define SUP_STOP_MS	3000	/* SIGTERM, then SIGKILL after this */

static struct event *sup_kill_timer;
static int sup_stopping;
static int sup_stop_stage;
static int sup_exit_status;

int
sup_is_stopping(void)
{
	return sup_stopping;
}

/* ---- stopping children ---- */

void
sup_stop(struct sup_proc *p)
{
	struct timeval tv = { SUP_STOP_MS / 1000, (SUP_STOP_MS % 1000) * 1000 };

	if (p->pid <= 0 || p->state == PROC_STOPPING)
		return;
	kill(p->pid, SIGTERM);
	p->state = PROC_STOPPING;
	p->stopping_ms = mono_ms();
	if (!evtimer_pending(sup_kill_timer, NULL))
		evtimer_add(sup_kill_timer, &tv);
}

/* The kill timer: SIGKILL to every child stopping for SUP_STOP_MS; armed
 * again for the next one due. */
static void
sup_kill_overdue(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg UNUSED)
{
	struct sup_proc *p;
	struct timeval tv;
	uint64_t now = mono_ms(), due, next = 0;

	for (p = sup_procs(); p != NULL; p = p->next) {
		if (p->pid <= 0 || p->state != PROC_STOPPING ||
		    p->stopping_ms == 0)
			continue;
		due = p->stopping_ms + SUP_STOP_MS;
		if (due <= now) {
			log_warnx("%s did not stop in %d ms, killing it", p->id,
			    SUP_STOP_MS);
			kill(p->pid, SIGKILL);
			p->stopping_ms = 0;
		} else if (next == 0 || due < next) {
			next = due;
		}
	}
	if (next != 0) {
		tv.tv_sec = (time_t)((next - now) / 1000);
		tv.tv_usec = (suseconds_t)((next - now) % 1000) * 1000;
		evtimer_add(sup_kill_timer, &tv);
	}
}

/* ---- orderly stop: stages by stop_stage, lowest first ---- */

void
sup_stop_progress(void)
{
	struct sup_proc *p;
	int alive;

	for (;;) {
		alive = 0;
		for (p = sup_procs(); p != NULL; p = p->next)
			if (p->pid > 0 && p->spec->stop_stage <= sup_stop_stage)
				alive = 1;
		if (alive)
			return;
		if (++sup_stop_stage > 4) {
			log_info("stopped");
			exit(sup_exit_status);
		}
		for (p = sup_procs(); p != NULL; p = p->next)
			if (p->spec->stop_stage == sup_stop_stage)
				sup_stop(p);
	}
}

static void
sup_kill_all_now(void)
{
	struct sup_proc *p;

	for (p = sup_procs(); p != NULL; p = p->next)
		if (p->pid > 0)
			kill(p->pid, SIGKILL);
	exit(1);
}

/* Orderly stop in stages; electricd then exits with status. */
void
sup_stop_all(int status)
{
	if (sup_stopping)
		return;
	sup_stopping = 1;
	sup_exit_status = status;
	sup_stop_stage = -1;
	sup_stop_progress();
}

/* SIGTERM/SIGINT: orderly stop; a second one, or SIGQUIT: at once. */
static void
sup_on_stop_signal(evutil_socket_t sig, short ev UNUSED, void *arg UNUSED)
{
	if (sup_stopping || sig == SIGQUIT) {
		log_info("%s: stopping at once", sig == SIGQUIT ? "SIGQUIT" :
		    "second stop signal");
		sup_kill_all_now();
	}
	log_info("stopping (signal %d)", (int)sig);
	sup_stop_all(0);
}

void
sup_stop_init(struct event_base *base)
{
	static const int stop_sigs[] = { SIGTERM, SIGINT, SIGQUIT };
	struct event *ev;
	size_t i;

	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++) {
		ev = evsignal_new(base, stop_sigs[i], sup_on_stop_signal, NULL);
		if (ev == NULL || event_add(ev, NULL) == -1)
			fatalx("stop signal event");
	}
	if ((sup_kill_timer = evtimer_new(base, sup_kill_overdue, NULL)) == NULL)
		fatalx("evtimer_new");
}
