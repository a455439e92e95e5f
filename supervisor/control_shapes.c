/*
 * control_shapes: the options of electricctl "shapes", applied by the root
 * to the shapecache's list before it goes to the client (control.c calls
 * control_shapes_check when the request arrives and control_shapes_view
 * on the reply).
 *
 * Request: {"cmd":"shapes"[,"table":T][,"state":S][,"sort":K]}.  T matches
 * a shape whose table is T, schema.T or "schema"."T" as printed; S is one
 * of ctl_shape_states; K one of ctl_sorts.  Every shape gets, besides the
 * shapecache's fields, consumer_pid (the process table), disk_bytes (the
 * regular files of its directory) and last_change (the mtime of its log,
 * ISO 8601 UTC; null while the log is empty): the facts the sorts use.
 * Without "sort" the shapecache's order (newest first) is kept.  Bad
 * options are refused with an error reply before anything is asked.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "control.h"
#include "sup.h"
#include "util.h"

static const char *const ctl_shape_states[] = { "active", "snapshotting",
    "suspended", NULL };

static int ctl_by_size(const void *, const void *);
static int ctl_by_activity(const void *, const void *);
static int ctl_by_handle(const void *, const void *);

static const struct {
	const char	*name;
	int		(*cmp)(const void *, const void *);
} ctl_sorts[] = {
	{ "size", ctl_by_size },		/* disk_bytes, largest first */
	{ "activity", ctl_by_activity },	/* last change, then entries */
	{ "handle", ctl_by_handle },		/* handle, ascending */
};
#define CTL_NSORTS (sizeof(ctl_sorts) / sizeof(ctl_sorts[0]))

static const char *
ctl_opt(const json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static json_int_t
ctl_int(const json_t *s, const char *key)
{
	return json_integer_value(json_object_get(s, key));
}

int
control_shapes_check(const json_t *req, char *err, size_t n)
{
	const char *state = ctl_opt(req, "state"), *sort = ctl_opt(req, "sort");
	size_t i;

	for (i = 0; state != NULL && ctl_shape_states[i] != NULL; i++)
		if (strcmp(state, ctl_shape_states[i]) == 0)
			break;
	if (state != NULL && ctl_shape_states[i] == NULL) {
		snprintf(err, n, "unknown state \"%s\" (active, snapshotting "
		    "or suspended)", state);
		return -1;
	}
	for (i = 0; sort != NULL && i < CTL_NSORTS; i++)
		if (strcmp(sort, ctl_sorts[i].name) == 0)
			break;
	if (sort != NULL && i == CTL_NSORTS) {
		snprintf(err, n, "unknown sort \"%s\" (size, activity or "
		    "handle)", sort);
		return -1;
	}
	return 0;
}

/* Bytes of the regular files in the shape's directory; its log's mtime. */
static void
ctl_shape_disk(const char *handle, json_int_t *bytes, time_t *log_mtime)
{
	char *dir = xasprintf("%s/%s", cfg.shapes_dir, handle);
	struct dirent *de;
	struct stat sb;
	DIR *d;

	*bytes = 0;
	*log_mtime = 0;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (fstatat(dirfd(d), de->d_name, &sb,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode))
				continue;
			*bytes += sb.st_size;
			if (strcmp(de->d_name, "log") == 0 && sb.st_size > 0)
				*log_mtime = sb.st_mtime;
		}
		closedir(d);
	}
	free(dir);
}

static json_t *
ctl_iso(time_t t)
{
	struct tm tm;
	char when[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(when);
}

static void
ctl_enrich(json_t *s)
{
	const char *h = json_string_value(json_object_get(s, "handle"));
	const struct sup_proc *p = sup_find(h ? h : "");
	json_int_t bytes;
	time_t mtime;

	json_object_set_new(s, "consumer_pid", p != NULL && p->pid > 0 ?
	    json_integer(p->pid) : json_null());
	if (h == NULL || !control_handle_ok(h))
		return;
	ctl_shape_disk(h, &bytes, &mtime);
	json_object_set_new(s, "disk_bytes", json_integer(bytes));
	json_object_set_new(s, "last_change", ctl_iso(mtime));
}

/* "schema"."table" as the shapecache prints it: does T name it (as
 * printed, as schema.table or as table)? */
static int
ctl_table_matches(const json_t *s, const char *t)
{
	const char *q = json_string_value(json_object_get(s, "table")), *sep;
	char *schema, *table, *both;
	size_t n;
	int ok;

	if (q == NULL)
		return 0;
	if (strcmp(q, t) == 0)
		return 1;
	n = strlen(q);
	if (n < 5 || q[0] != '"' || q[n - 1] != '"' ||
	    (sep = strstr(q, "\".\"")) == NULL)
		return 0;
	schema = xasprintf("%.*s", (int)(sep - q - 1), q + 1);
	table = xasprintf("%.*s", (int)(q + n - 1 - (sep + 3)), sep + 3);
	both = xasprintf("%s.%s", schema, table);
	ok = strcmp(t, table) == 0 || strcmp(t, both) == 0;
	free(schema);
	free(table);
	free(both);
	return ok;
}

static int
ctl_keep(const json_t *s, const json_t *req)
{
	const char *t = ctl_opt(req, "table"), *st = ctl_opt(req, "state");
	const char *have = json_string_value(json_object_get(s, "state"));

	if (t != NULL && !ctl_table_matches(s, t))
		return 0;
	return st == NULL || (have != NULL && strcmp(st, have) == 0);
}

static int
ctl_by_handle(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a,
	    "handle"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b,
	    "handle"));

	return strcmp(x ? x : "", y ? y : "");
}

static int
ctl_desc(json_int_t x, json_int_t y)
{
	return x < y ? 1 : x > y ? -1 : 0;
}

static int
ctl_by_size(const void *a, const void *b)
{
	int c = ctl_desc(ctl_int(*(json_t *const *)a, "disk_bytes"),
	    ctl_int(*(json_t *const *)b, "disk_bytes"));

	return c != 0 ? c : ctl_by_handle(a, b);
}

/* ISO 8601 UTC strings sort as times; null (no change yet) last. */
static int
ctl_by_activity(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *tx = json_string_value(json_object_get(x, "last_change"));
	const char *ty = json_string_value(json_object_get(y, "last_change"));
	int c;

	if (tx != NULL && ty != NULL && (c = strcmp(ty, tx)) != 0)
		return c;
	if ((tx == NULL) != (ty == NULL))
		return tx == NULL ? 1 : -1;
	c = ctl_desc(ctl_int(x, "log_entries"), ctl_int(y, "log_entries"));
	return c != 0 ? c : ctl_by_handle(a, b);
}

static void
ctl_sort(json_t *list, const char *sort)
{
	json_t **v;
	size_t i, n = json_array_size(list), k;

	for (k = 0; k < CTL_NSORTS && strcmp(sort, ctl_sorts[k].name); k++)
		;
	if (k == CTL_NSORTS || n < 2)
		return;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof(*v), ctl_sorts[k].cmp);
	json_array_clear(list);
	for (i = 0; i < n; i++)
		json_array_append_new(list, v[i]);
	free(v);
}

void
control_shapes_view(json_t *body, const json_t *req)
{
	json_t *shapes = json_object_get(body, "shapes"), *kept, *s;
	const char *sort = ctl_opt(req, "sort");
	size_t i;

	if (!json_is_array(shapes))
		return;
	kept = json_array();
	json_array_foreach(shapes, i, s) {
		if (!ctl_keep(s, req))
			continue;
		ctl_enrich(s);
		json_array_append(kept, s);
	}
	if (sort != NULL)
		ctl_sort(kept, sort);
	json_object_set_new(body, "shapes", kept);
}
