/*
 * childspec: the supervision tree of ARCHITECTURE.md §1 as data.
 *
 *   stack (one_for_one)
 *   ├── connection (rest_for_one): connmgr, replication, replication group
 *   │   └── replication group (one_for_all): collector, shapecache, consumers
 *   │       └── consumers (one_for_one, dynamic)
 *   └── http
 *
 * Order inside a group matters for rest_for_one: a child's death restarts
 * itself and every child listed after it in the same group (and their
 * subgroups).  "needs" delays a start until that role is READY.
 * Intensity: more than max_restarts restarts of a group's children within
 * period_s escalates: the whole group is restarted as one failing child of
 * its parent; past the top (stack) electricd stops with status 1.
 */
#include <string.h>

#include "sup.h"

const struct sup_group sup_groups[] = {
	{ "stack", NULL, SUP_ONE_FOR_ONE, 20, 60 },
	{ "connection", "stack", SUP_REST_FOR_ONE, 10, 60 },
	{ "replication_group", "connection", SUP_ONE_FOR_ALL, 10, 60 },
	{ "consumers", "replication_group", SUP_ONE_FOR_ONE, 50, 10 },
	{ NULL, NULL, 0, 0, 0 }
};

const struct sup_spec sup_specs[] = {
	{ "connmgr", "connection", SUP_PERMANENT, NULL, 4 },
	{ "replication", "connection", SUP_PERMANENT, "connmgr", 3 },
	{ "collector", "replication_group", SUP_PERMANENT, "connmgr", 2 },
	{ "shapecache", "replication_group", SUP_PERMANENT, "connmgr", 2 },
	{ "http", "stack", SUP_PERMANENT, NULL, 0 },
	{ NULL, NULL, 0, NULL, 0 }
};

/* Consumers are temporary in the OTP sense for exit 0 (a deleted shape
 * stops for good) and restarted after a crash. */
const struct sup_spec sup_consumer_spec =
	{ "consumer", "consumers", SUP_TRANSIENT, "shapecache", 1 };

const char *
sup_strategy_name(enum sup_strategy s)
{
	static const char *const names[] = { "one_for_one", "rest_for_one",
	    "one_for_all" };

	return names[s];
}

const struct sup_group *
sup_group_find(const char *name)
{
	const struct sup_group *g;

	for (g = sup_groups; g->name != NULL; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

int
sup_group_within(const char *group, const char *ancestor)
{
	const struct sup_group *g;

	while (group != NULL) {
		if (strcmp(group, ancestor) == 0)
			return 1;
		g = sup_group_find(group);
		group = g != NULL ? g->parent : NULL;
	}
	return 0;
}
