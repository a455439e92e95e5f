/*
 * sup: the root supervisor's process table and restart logic.
 * The tree is data (childspec.c): groups with a strategy, children with a
 * restart type and the children they wait for.  sup.c starts what may run,
 * reaps through a libevent SIGCHLD event, and applies the strategies.
 */
#ifndef ELECTRICD_SUP_H
#define ELECTRICD_SUP_H

#include <stdint.h>
#include <sys/types.h>

struct chan;
struct event;
struct event_base;

enum sup_strategy { SUP_ONE_FOR_ONE, SUP_REST_FOR_ONE, SUP_ONE_FOR_ALL };
enum sup_restart { SUP_PERMANENT, SUP_TRANSIENT, SUP_TEMPORARY };

/* A child that exits with this status (sysexits' EX_CONFIG) failed on its
 * configuration: it is retried at the longest backoff, never in a loop. */
#define SUP_EXIT_CONFIG	78

struct sup_group {
	const char		*name;
	const char		*parent;
	enum sup_strategy	 strategy;
	int			 max_restarts;	/* intensity: more than this many */
	int			 period_s;	/* restarts in this window escalate */
};

struct sup_spec {
	const char		*role;
	const char		*group;
	enum sup_restart	 restart;
	const char		*needs;	/* role that must be READY first, or NULL */
	int			 stop_stage; /* order of shutdown: lower stops first */
};

extern const struct sup_group sup_groups[];
extern const struct sup_spec sup_specs[];
extern const struct sup_spec sup_consumer_spec;
const char *sup_strategy_name(enum sup_strategy);
const struct sup_group *sup_group_find(const char *name);
/* Is group the group ancestor, or inside it? */
int sup_group_within(const char *group, const char *ancestor);

enum sup_state {
	PROC_DOWN,		/* not running, may be started when allowed */
	PROC_BACKOFF,		/* waiting for its restart timer */
	PROC_STARTING,		/* forked, no READY yet */
	PROC_READY,
	PROC_STOPPING		/* sent SIGTERM */
};

struct sup_proc {
	const struct sup_spec	*spec;
	char			*id;		/* role, or the shape handle */
	pid_t			 pid;
	enum sup_state		 state;
	struct chan		*chan;
	int			 restarts;
	uint64_t		 started_ms;
	uint64_t		 ready_ms;
	uint64_t		 backoff_ms;
	char			 last_exit[48];
	struct sup_death {
		uint64_t	 at_us;		/* wall clock */
		char		 what[48];	/* "exit 1", "signal 9" */
	}			 deaths[8];	/* ring: the death tally */
	int			 ndeaths;	/* deaths ever */
	int			 restart_now;	/* stopped by us: restart at once */
	int			 removed;	/* consumer: forget after exit */
	uint64_t		 stopping_ms;	/* SIGTERM sent; 0 once killed */
	char			 state_word[24]; /* from MSG_STATE */
	char			 state_detail[256];
	struct event		*timer;
	struct sup_proc		*next, *prev;
};

struct sup_proc *sup_procs(void);
struct sup_proc *sup_find(const char *id);
const char *sup_state_name(enum sup_state);
int sup_health(const char **reason);
uint64_t sup_uptime_ms(void);
/* Starts the consumer of a shape unless it runs (MSG_SPAWN, resume). */
void sup_want_consumer(const char *handle);
/* SIGTERM to a running child, SIGKILL if it has not exited
 * SUP_STOP_MS later; nothing if it is stopping already. */
void sup_stop(struct sup_proc *);
/* restart a role or consumer on request; -1 if unknown. */
int sup_restart(const char *id);
/* Run the root: never returns. */
void sup_main(void) __attribute__((noreturn));
/* Sends a frame to the shapecache over its root channel; -1 if down. */
int sup_to_shapecache(uint16_t type, uint32_t id, const void *, size_t);

/* sup_stop.c.  Stops everything in order, then exits with status. */
void sup_stop_all(int status);
/* 1 once the orderly stop has begun. */
int sup_is_stopping(void);
/* A child died while stopping: starts the next stage if this one is done. */
void sup_stop_progress(void);
/* Stop signals and the kill timer. */
void sup_stop_init(struct event_base *);

/* strategy.c */
void strategy_cascade(struct sup_proc *dead);
/* Counts a restart of one of g's children; 1 if g exceeded its intensity. */
int strategy_count_restart(const struct sup_group *g);
void strategy_escalate(const struct sup_group *g);

/* control.c */
int control_listen(struct event_base *);
void control_on_shapecache_reply(uint32_t id, const uint8_t *, size_t);

/* control_metrics.c: for the http process's /metrics */
void control_metrics_on_stats(const struct sup_proc *, const uint8_t *, size_t);
void control_metrics_on_death(const struct sup_proc *);
void control_metrics_restarted(const struct sup_proc *);
/* http's {"cmd":"metrics"} (MSG_CTL_REQ id on its root channel). */
void control_metrics_request(struct sup_proc *, uint32_t id, const uint8_t *,
    size_t);
/* 1 if the shapecache's MSG_CTL_REPLY id was for a metrics request. */
int control_metrics_on_reply(uint32_t id, const uint8_t *, size_t);

#endif
