/*
 * purge: see purge.h.  The meta.db rows go first, then the directories:
 * a crash in between leaves directories without rows, which are garbage
 * only (shapecache knows shapes from meta.db alone), never rows whose
 * files are gone.  Every entry of shapes_dir is removed, including those
 * of shapes whose rows were lost earlier.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "meta.h"
#include "purge.h"

static int
purge_collect(const struct meta_shape *m, void *arg)
{
	struct purge_result *res = arg;

	res->handles = xrealloc(res->handles, (res->n + 1) * sizeof(char *));
	res->handles[res->n++] = xstrdup(m->handle);
	return 0;
}

static void
purge_dirs(const char *shapes_dir)
{
	struct dirent *de;
	DIR *d;
	char *p;

	if ((d = opendir(shapes_dir)) == NULL) {
		if (errno != ENOENT)
			log_warn("purge: opendir %s", shapes_dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", shapes_dir, de->d_name);
		if (rm_rf(p) == -1)
			log_warn("purge: remove %s", p);
		free(p);
	}
	closedir(d);
}

int
purge_all(struct sqlite3 *db, const char *shapes_dir, const char *why,
    struct purge_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	if (meta_shape_each(db, purge_collect, res) == -1) {
		log_warnx("purge: cannot list the shapes of meta.db");
		return -1;
	}
	for (i = 0; i < res->n; i++) {
		if (meta_shape_delete(db, res->handles[i]) == -1) {
			log_warnx("purge: cannot delete shape %s from meta.db",
			    res->handles[i]);
			return -1;
		}
		log_info("purged shape %s", res->handles[i]);
	}
	purge_dirs(shapes_dir);
	if (res->n > 0)
		log_info("purged %zu shape%s: %s", res->n, res->n == 1 ? "" : "s",
		    why);
	else
		log_debug("no shapes to purge: %s", why);
	return 0;
}

void
purge_result_free(struct purge_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		free(res->handles[i]);
	free(res->handles);
	memset(res, 0, sizeof(*res));
}
