/*
 * strategy: what the death of a child means for the others (the group
 * strategies of childspec.c) and the restart intensity of each group.
 * sup.c calls strategy_cascade() and strategy_count_restart() from its
 * death handler; strategy_escalate() restarts a whole group, or stops
 * electricd when the top of the tree has failed too often.
 *
 * Test hook: ELECTRICD_TEST_INTENSITY="group=max/period_s[,...]" (read by
 * the root, once) overrides the intensity of the named groups, so that the
 * end-to-end tests (tests/e2e/supervision_intensity.test.mjs) reach an
 * escalation in seconds: the real limits need restarts faster than the
 * 1 s..60 s backoff allows.  Malformed entries are ignored with a warning.
 * Not for production use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sup.h"
#include "util.h"

#define SUP_GROUPS_MAX		8
#define SUP_WINDOW_MAX		128

/* restart times of each group's children, for the intensity check */
static struct sup_window {
	uint64_t	at_ms[SUP_WINDOW_MAX];
	int		n;
} sup_windows[SUP_GROUPS_MAX];

/* ELECTRICD_TEST_INTENSITY, by group index; set = 0: childspec.c's */
static struct strategy_limit {
	int	set, max_restarts, period_s;
} strategy_limits[SUP_GROUPS_MAX];

static void
strategy_load_limits(void)
{
	static int loaded;
	const char *env = getenv("ELECTRICD_TEST_INTENSITY");
	char name[32];
	const struct sup_group *g;
	int max, period, used;

	if (loaded || env == NULL)
		return;
	loaded = 1;
	while (*env != '\0') {
		if (sscanf(env, "%31[^=,]=%d/%d%n", name, &max, &period,
		    &used) != 3 || (g = sup_group_find(name)) == NULL ||
		    max < 0 || period <= 0) {
			log_warnx("ELECTRICD_TEST_INTENSITY: bad entry at %s", env);
			return;
		}
		log_warnx("test hook: group %s intensity %d in %d s", name,
		    max, period);
		strategy_limits[g - sup_groups] =
		    (struct strategy_limit){ 1, max, period };
		env += used;
		env += *env == ',';
	}
}

/* g's intensity: childspec.c's, unless the test hook overrides it. */
static struct strategy_limit
strategy_limit(const struct sup_group *g)
{
	strategy_load_limits();
	if (strategy_limits[g - sup_groups].set)
		return strategy_limits[g - sup_groups];
	return (struct strategy_limit){ 0, g->max_restarts, g->period_s };
}

static int
sup_spec_index(const struct sup_spec *s)
{
	int i;

	for (i = 0; sup_specs[i].role != NULL; i++)
		if (&sup_specs[i] == s)
			return i;
	return 1000;	/* consumers: after every static child */
}

/* Is q taken down with dead, under dead's group strategy? */
static int
sup_affected(const struct sup_proc *dead, const struct sup_proc *q)
{
	const struct sup_group *g = sup_group_find(dead->spec->group);
	int in_sub;

	if (q == dead || g == NULL)
		return 0;
	in_sub = strcmp(q->spec->group, g->name) != 0 &&
	    sup_group_within(q->spec->group, g->name);
	switch (g->strategy) {
	case SUP_ONE_FOR_ONE:
		return 0;
	case SUP_ONE_FOR_ALL:
		return sup_group_within(q->spec->group, g->name);
	case SUP_REST_FOR_ONE:
		if (in_sub)
			return 1;
		return strcmp(q->spec->group, g->name) == 0 &&
		    sup_spec_index(q->spec) > sup_spec_index(dead->spec);
	}
	return 0;
}

static int
strategy_group_index(const struct sup_group *g)
{
	return (int)(g - sup_groups);
}

/* Records a restart in g's window; 1 if that exceeds its intensity. */
int
strategy_count_restart(const struct sup_group *g)
{
	struct sup_window *w = &sup_windows[strategy_group_index(g)];
	struct strategy_limit lim = strategy_limit(g);
	uint64_t now = mono_ms();
	int i, kept = 0;

	for (i = 0; i < w->n; i++)
		if (now - w->at_ms[i] < (uint64_t)lim.period_s * 1000)
			w->at_ms[kept++] = w->at_ms[i];
	w->n = kept;
	if (w->n < SUP_WINDOW_MAX)
		w->at_ms[w->n++] = now;
	return w->n > lim.max_restarts;
}

/* Stops every child within g so that it restarts as a whole. */
static void
strategy_restart_group(const struct sup_group *g)
{
	struct sup_proc *q;

	for (q = sup_procs(); q != NULL; q = q->next) {
		if (!sup_group_within(q->spec->group, g->name))
			continue;
		if (q->spec == &sup_consumer_spec)
			q->removed = 1;	/* the new shapecache respawns it */
		sup_stop(q);
		q->restart_now = 1;
		q->backoff_ms = 0;
	}
}

/* g restarted too often: it fails as a whole, as one child of its parent,
 * under the parent's strategy: one_for_all takes the parent's other
 * children with it; rest_for_one and one_for_one restart g alone (a
 * subgroup comes after every static child of its group, see
 * sup_spec_index).  Past the top, electricd gives up (a crash loop must
 * not run forever). */
void
strategy_escalate(const struct sup_group *g)
{
	const struct sup_group *parent, *down;
	struct strategy_limit lim;

	while (g != NULL) {
		lim = strategy_limit(g);
		log_warnx("group %s exceeded its restart intensity (%d in %d s)",
		    g->name, lim.max_restarts, lim.period_s);
		parent = g->parent ? sup_group_find(g->parent) : NULL;
		if (parent == NULL) {
			log_warnx("giving up: stopping electricd");
			sup_stop_all(1);
			return;
		}
		down = parent->strategy == SUP_ONE_FOR_ALL ? parent : g;
		log_warnx("restarting group %s as a whole (escalated to %s, %s)",
		    down->name, parent->name, sup_strategy_name(parent->strategy));
		memset(&sup_windows[strategy_group_index(g)], 0, sizeof(struct sup_window));
		strategy_restart_group(down);
		if (!strategy_count_restart(parent))
			return;
		g = parent;
	}
}

void
strategy_cascade(struct sup_proc *dead)
{
	struct sup_proc *q;

	for (q = sup_procs(); q != NULL; q = q->next) {
		if (!sup_affected(dead, q))
			continue;
		if (q->spec == &sup_consumer_spec)
			q->removed = 1;	/* the new shapecache respawns it */
		if (q->pid > 0 && q->state != PROC_STOPPING)
			log_info("stopping %s with %s (%s)", q->id, dead->id,
			    sup_strategy_name(sup_group_find(dead->spec->group)->strategy));
		sup_stop(q);
		q->restart_now = 1;
	}
}
