/*
 * ctl_fmt: electricctl's output for people.  Each reply printer checks the
 * shape it needs (the root object and its list) and returns -1 without
 * printing if that is missing; any other absent or null field prints as
 * "-".  status adds, under its table, the "detail" line each process gave.  Tables: columns two spaces apart, widths from the content, numbers
 * right-aligned, no trailing blanks.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

#define CTL_CELL 256

struct ctl_table {
	size_t		 ncols;
	const char	*const *head;
	const char	*align;		/* 'l' or 'r' per column */
	char		**cells;	/* nrows * ncols, malloc'd */
	size_t		 nrows;
};

static void
ctl_table_add(struct ctl_table *t, char row[][CTL_CELL])
{
	size_t i;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols *
	    sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(row[i]);
	t->nrows++;
}

static void
ctl_table_line(FILE *fp, const struct ctl_table *t, const size_t *w,
    const char *const *cell)
{
	size_t i;
	int pad;

	for (i = 0; i < t->ncols; i++) {
		pad = (int)(w[i] - strlen(cell[i]));
		if (t->align[i] == 'r')
			fprintf(fp, "%*s%s", pad, "", cell[i]);
		else if (i + 1 < t->ncols)
			fprintf(fp, "%s%*s", cell[i], pad, "");
		else
			fputs(cell[i], fp);
		fputs(i + 1 < t->ncols ? "  " : "\n", fp);
	}
}

/* Prints and frees the table. */
static void
ctl_table_print(FILE *fp, struct ctl_table *t)
{
	size_t w[16], i, r;

	for (i = 0; i < t->ncols; i++) {
		w[i] = strlen(t->head[i]);
		for (r = 0; r < t->nrows; r++)
			if (strlen(t->cells[r * t->ncols + i]) > w[i])
				w[i] = strlen(t->cells[r * t->ncols + i]);
	}
	ctl_table_line(fp, t, w, t->head);
	for (r = 0; r < t->nrows; r++)
		ctl_table_line(fp, t, w, (const char *const *)t->cells + r * t->ncols);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

void
ctl_fmt_duration(char *buf, size_t n, long long s)
{
	if (s < 0)
		snprintf(buf, n, "-");
	else if (s < 60)
		snprintf(buf, n, "%llds", s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* A member as a cell: strings as they are, integers in decimal, anything
 * else (null, missing, empty string) "-". */
static void
ctl_cell(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		snprintf(buf, CTL_CELL, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, CTL_CELL, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		snprintf(buf, CTL_CELL, "-");
}

static void
ctl_cell_duration(char *buf, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		ctl_fmt_duration(buf, CTL_CELL, (long long)json_integer_value(v));
	else
		snprintf(buf, CTL_CELL, "-");
}

/* last_exit: a string ("exit 1", "signal 9"), an exit code, or null. */
static void
ctl_cell_exit(char *buf, const json_t *obj)
{
	const json_t *v = json_object_get(obj, "last_exit");

	if (json_is_integer(v))
		snprintf(buf, CTL_CELL, "exit %" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		ctl_cell(buf, obj, "last_exit");
}

/* What a process said about its state (MSG_STATE detail), one line each. */
static void
ctl_print_details(FILE *fp, const json_t *procs)
{
	const json_t *p, *d;
	char id[CTL_CELL];
	size_t i;

	json_array_foreach(procs, i, p) {
		d = json_object_get(p, "detail");
		if (!json_is_string(d) || json_string_length(d) == 0)
			continue;
		ctl_cell(id, p, "id");
		fprintf(fp, "%s: %s\n", id, json_string_value(d));
	}
}

static const char *const ctl_status_head[] = {
	"ROLE", "ID", "PID", "STATE", "RESTARTS", "UPTIME", "LAST-EXIT"
};

int
ctl_print_status(FILE *fp, const json_t *r)
{
	struct ctl_table t = { 7, ctl_status_head, "llrlrrl", NULL, 0 };
	const json_t *procs = json_object_get(r, "processes"), *p;
	char c[7][CTL_CELL];
	size_t i;

	if (!json_is_object(r) || !json_is_array(procs))
		return -1;
	ctl_cell(c[0], r, "version");
	ctl_cell(c[1], r, "pid");
	ctl_cell(c[2], r, "health");
	ctl_cell_duration(c[3], r, "uptime_s");
	fprintf(fp, "electricd %s  pid %s  health %s  uptime %s\n", c[0], c[1],
	    c[2], c[3]);
	json_array_foreach(procs, i, p) {
		ctl_cell(c[0], p, "role");
		ctl_cell(c[1], p, "id");
		ctl_cell(c[2], p, "pid");
		ctl_cell(c[3], p, "state");
		ctl_cell(c[4], p, "restarts");
		ctl_cell_duration(c[5], p, "uptime_s");
		ctl_cell_exit(c[6], p);
		ctl_table_add(&t, c);
	}
	ctl_table_print(fp, &t);
	ctl_print_details(fp, procs);
	return 0;
}

static const char *const ctl_shapes_head[] = {
	"HANDLE", "TABLE", "STATE", "OFFSET", "PID"
};

int
ctl_print_shapes(FILE *fp, const json_t *r)
{
	struct ctl_table t = { 5, ctl_shapes_head, "llllr", NULL, 0 };
	const json_t *shapes = json_object_get(r, "shapes"), *s;
	char c[5][CTL_CELL];
	size_t i;

	if (!json_is_object(r) || !json_is_array(shapes))
		return -1;
	if (json_array_size(shapes) == 0) {
		fprintf(fp, "no shapes\n");
		return 0;
	}
	json_array_foreach(shapes, i, s) {
		ctl_cell(c[0], s, "handle");
		ctl_cell(c[1], s, "table");
		ctl_cell(c[2], s, "state");
		ctl_cell(c[3], s, "latest_offset");
		ctl_cell(c[4], s, "consumer_pid");
		ctl_table_add(&t, c);
	}
	ctl_table_print(fp, &t);
	return 0;
}

int
ctl_print_restart(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "restarted");

	if (!json_is_string(v))
		return -1;
	fprintf(fp, "restarted %s\n", json_string_value(v));
	return 0;
}

/* electricctl's own version is printed before the daemon is asked. */
int
ctl_print_version(FILE *fp, const json_t *r)
{
	const json_t *v = json_object_get(r, "version");

	if (!json_is_string(v))
		return -1;
	fprintf(fp, "electricd %s\n", json_string_value(v));
	return 0;
}
