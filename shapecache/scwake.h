/*
 * scwake: shapecache's part of consumer suspension (issue 6): which
 * shapes meta.db says are suspended, and waking one for a live request.
 */
#ifndef ELECTRICD_SCWAKE_H
#define ELECTRICD_SCWAKE_H

struct chan;
struct sqlite3;

/* db: shapecache's meta.db connection; root: its root channel. */
void scwake_init(struct sqlite3 *db, struct chan *root);
/* 1 when meta.db records the shape as suspended. */
int scwake_is_suspended(const char *handle);
/* A live request resolved to handle: ask the root for its consumer if
 * the shape is suspended. */
void scwake_live(const char *handle);

#endif
