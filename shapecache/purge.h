/*
 * purge: removes every shape of meta.db and every shape directory, when
 * the shapes can no longer be continued from the replication stream (a
 * new slot, another Postgres cluster, a new timeline, another stream id).
 * Called by connmgr (replication/identity.c) before it reports READY, so
 * that no consumer, shapecache or collector of the old shapes is running.
 */
#ifndef ELECTRICD_PURGE_H
#define ELECTRICD_PURGE_H

#include <stddef.h>

#include "util.h"

struct sqlite3;

struct purge_result {
	char	**handles;	/* the shapes removed from meta.db */
	size_t	  n;
};

/* Deletes every shape row, then everything under shapes_dir.  0, or -1
 * if meta.db could not be read or changed (logged; nothing half-known is
 * left behind: the caller must not record the new identity then). */
int purge_all(struct sqlite3 *, const char *shapes_dir, const char *why,
    struct purge_result *) WUR;
void purge_result_free(struct purge_result *);

#endif
