/*
 * scwake: shapecache's part of consumer suspension (issue 6).  A consumer
 * marks its own shape "suspended" in meta.db when it exits idle, and
 * "active" again when it starts; shapecache reads that state (one indexed
 * row, prepared once) to skip suspended shapes at start, to show them in
 * "electricctl shapes", and to wake a suspended shape when a live request
 * resolves to it (MSG_SPAWN to the root, which starts it or, if it is
 * still exiting, restarts it at once).  Called by shapecache.c.
 */
#include <string.h>

#include <sqlite3.h>

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "scwake.h"

static struct sqlite3 *scw_db;
static sqlite3_stmt *scw_st;
static struct chan *scw_root;

void
scwake_init(struct sqlite3 *db, struct chan *root)
{
	scw_db = db;
	scw_root = root;
	if (sqlite3_prepare_v2(db, "SELECT state FROM shapes WHERE handle = ?1",
	    -1, &scw_st, NULL) != SQLITE_OK) {
		log_warnx("meta: %s", sqlite3_errmsg(db));
		scw_st = NULL;
	}
}

int
scwake_is_suspended(const char *handle)
{
	const unsigned char *st;
	int r = 0;

	if (scw_st == NULL)
		return 0;
	sqlite3_reset(scw_st);
	sqlite3_bind_text(scw_st, 1, handle, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(scw_st) == SQLITE_ROW &&
	    (st = sqlite3_column_text(scw_st, 0)) != NULL)
		r = strcmp((const char *)st, "suspended") == 0;
	sqlite3_reset(scw_st);
	return r;
}

void
scwake_live(const char *handle)
{
	struct mbuf m;

	if (!scwake_is_suspended(handle))
		return;
	log_info("live request for suspended shape %s: waking it", handle);
	mbuf_init(&m);
	mbuf_str(&m, handle);
	if (scw_root != NULL && chan_sendm(scw_root, MSG_SPAWN, 0, &m) == -1)
		log_debug("root channel closed");
	mbuf_free(&m);
}
