/*
 * ctl_cmd: electricctl's command table (one row per command: its shortest
 * abbreviation, argument, -n option, help line, how it runs and how its
 * reply is printed), the lookup and the JSON request.  The usage text is
 * generated from the table, so a new command is one row here plus its
 * printer in ctl_fmt.c and, on the daemon's side, one row in
 * supervisor/control.c.
 *
 * Abbreviations: a word names a command if it is the command's name, or
 * else a prefix of its name at least minlen long ("shape" is the command
 * shape, "shap" is shapes).  minlen keeps the short forms people
 * type unambiguous and stable as commands are added ("st" status, "sh"
 * shapes), and makes the one that stops the daemon take "sto".  No two
 * rows may accept the same word (test_ctl checks every prefix).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

const struct ctl_cmd ctl_cmds[] = {
	{ "status", 2, NULL, NULL, "the daemon, its health and every process",
	  CTL_ASK, ctl_print_status },
	{ "shapes", 2, NULL, NULL, "every shape: state, offset, size, last "
	  "change", CTL_ASK, ctl_print_shapes },
	{ "shape", 5, "HANDLE", NULL, "one shape: definition, offsets, sizes, "
	  "consumer, waiting clients", CTL_ASK, ctl_print_shape },
	{ "restart", 1, "HANDLE|ROLE", NULL, "restart a role's process or a "
	  "shape's consumer", CTL_ASK, ctl_print_restart },
	{ "delete", 1, "HANDLE", NULL, "delete a shape: its files, its "
	  "consumer; clients must refetch", CTL_ASK, ctl_print_delete },
	{ "suspend", 4, "HANDLE", NULL, "stop a shape's consumer until a "
	  "change or a live request needs it", CTL_ASK, ctl_print_suspend },
	{ "resume", 4, "HANDLE", NULL, "start a suspended shape's consumer "
	  "again", CTL_ASK, ctl_print_resume },
	{ "tail", 2, "HANDLE", "start with the last N entries", "follow a "
	  "shape's changes as they are stored", CTL_TAIL, NULL },
	{ "top", 2, NULL, "stop after N refreshes", "CPU and memory of every "
	  "process, refreshed every second", CTL_ASK_TOP, NULL },
	{ "stop", 3, NULL, NULL, "stop electricd in order and wait until it "
	  "is gone", CTL_ASK_STOP, ctl_print_stop },
	{ "version", 1, NULL, NULL, "versions of electricctl and electricd",
	  CTL_ASK, ctl_print_version },
	{ "help", 1, NULL, NULL, "this text", CTL_HELP, NULL },
};
const size_t ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

const struct ctl_cmd *
ctl_cmd_find(const char *word, enum ctl_miss *why)
{
	const struct ctl_cmd *found = NULL;
	size_t i, n = strlen(word), starts = 0, accepts = 0;

	*why = CTL_MISS_UNKNOWN;
	if (n == 0)
		return NULL;
	for (i = 0; i < ctl_ncmds; i++) {
		if (strncmp(word, ctl_cmds[i].name, n) != 0)
			continue;
		starts++;
		if (n == strlen(ctl_cmds[i].name))
			return &ctl_cmds[i];
		if (n >= ctl_cmds[i].minlen) {
			found = &ctl_cmds[i];
			accepts++;
		}
	}
	if (accepts == 1)
		return found;
	if (starts > 0)
		*why = starts > 1 ? CTL_MISS_AMBIGUOUS : CTL_MISS_SHORT;
	return NULL;
}

static const char *const ctl_states[] = { "active", "snapshotting",
    "suspended", NULL };
static const char *const ctl_sort_keys[] = { "size", "activity", "handle",
    NULL };

static int
ctl_one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

int
ctl_filter_check(const struct ctl_filter *f, char *err, size_t n)
{
	if (f->state != NULL && !ctl_one_of(f->state, ctl_states)) {
		snprintf(err, n, "unknown state \"%s\" (active, snapshotting "
		    "or suspended)", f->state);
		return -1;
	}
	if (f->sort != NULL && !ctl_one_of(f->sort, ctl_sort_keys)) {
		snprintf(err, n, "unknown sort \"%s\" (size, activity or "
		    "handle)", f->sort);
		return -1;
	}
	return 0;
}

/* -1 if v is not UTF-8. */
static int
ctl_set_opt(json_t *req, const char *key, const char *v)
{
	json_t *j;

	if (v == NULL)
		return 0;
	if ((j = json_string(v)) == NULL)
		return -1;
	return json_object_set_new(req, key, j);
}

char *
ctl_request_json(const struct ctl_cmd *cmd, const char *arg,
    const struct ctl_filter *f)
{
	json_t *req;
	char *s, *out;

	if (cmd->args != NULL)
		req = json_pack("{s:s, s:s}", "cmd", cmd->name, "target",
		    arg ? arg : "");
	else
		req = json_pack("{s:s}", "cmd", cmd->name);
	if (req != NULL && f != NULL && (ctl_set_opt(req, "table", f->table) ||
	    ctl_set_opt(req, "state", f->state) ||
	    ctl_set_opt(req, "sort", f->sort))) {
		json_decref(req);
		return NULL;
	}
	if (req == NULL || (s = json_dumps(req, JSON_COMPACT)) == NULL)
		return NULL;	/* arg is not UTF-8 */
	json_decref(req);
	out = xstrdup(s);
	free(s);
	return out;
}

/* "st[atus]", or "shape HANDLE", "tail [-n N] HANDLE" */
static void
ctl_usage_left(char *buf, size_t n, const struct ctl_cmd *c)
{
	size_t len = strlen(c->name);

	if (c->minlen < len)
		snprintf(buf, n, "%.*s[%s]", (int)c->minlen, c->name,
		    c->name + c->minlen);
	else
		snprintf(buf, n, "%s", c->name);
	if (c->count != NULL)
		snprintf(buf + strlen(buf), n - strlen(buf), " [-n N]");
	if (c->args != NULL)
		snprintf(buf + strlen(buf), n - strlen(buf), " %s", c->args);
}

void
ctl_usage(FILE *fp)
{
	size_t i;
	char left[48];

	fprintf(fp, "usage: electricctl [-d DIR] [--json] COMMAND [-n N] [ARG]\n"
	    "       electricctl [-d DIR] [--json] shapes [--table T] "
	    "[--state S] [--sort K]\n\n"
	    "  -d DIR      electricd's storage directory (default: "
	    "$ELECTRIC_STORAGE_DIR,\n"
	    "              else ./persistent); the socket is "
	    "DIR/run/control.sock\n"
	    "  --json      print the daemon's reply as JSON\n"
	    "  -n N        tail: start with the last N entries; top: stop "
	    "after N refreshes\n"
	    "  --table T   shapes: only those of table T (name, schema.name)\n"
	    "  --state S   shapes: only those in state S (active, "
	    "snapshotting, suspended)\n"
	    "  --sort K    shapes: by size (largest first), activity "
	    "(latest change\n"
	    "              first) or handle\n\n"
	    "commands (the part in brackets may be left out, or any of it):\n");
	for (i = 0; i < ctl_ncmds; i++) {
		ctl_usage_left(left, sizeof(left), &ctl_cmds[i]);
		fprintf(fp, "  %-26s %s\n", left, ctl_cmds[i].help);
	}
}
