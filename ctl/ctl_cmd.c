/*
 * ctl_cmd: electricctl's command table (one row per command: its argument,
 * help line, whether it needs the daemon, how its reply is printed), the
 * prefix lookup and the JSON request.  The usage text is generated from the
 * table, so a new command is one row here plus its printer in ctl_fmt.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

const struct ctl_cmd ctl_cmds[] = {
	{ "status", NULL, "the daemon, its health and every process", 0,
	  ctl_print_status },
	{ "shapes", NULL, "every shape, its state and latest offset", 0,
	  ctl_print_shapes },
	{ "restart", "HANDLE|ROLE", "restart a role's process or a shape's "
	  "consumer", 0, ctl_print_restart },
	{ "version", NULL, "versions of electricctl and electricd", 0,
	  ctl_print_version },
	{ "help", NULL, "this text", 1, NULL },
};
const size_t ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

const struct ctl_cmd *
ctl_cmd_find(const char *word, int *ambiguous)
{
	const struct ctl_cmd *found = NULL;
	size_t i, n = strlen(word);

	*ambiguous = 0;
	if (n == 0)
		return NULL;
	for (i = 0; i < ctl_ncmds; i++) {
		if (strcmp(word, ctl_cmds[i].name) == 0)
			return &ctl_cmds[i];
		if (strncmp(word, ctl_cmds[i].name, n) != 0)
			continue;
		if (found != NULL)
			*ambiguous = 1;
		found = &ctl_cmds[i];
	}
	return *ambiguous ? NULL : found;
}

char *
ctl_request_json(const struct ctl_cmd *cmd, const char *arg)
{
	json_t *req;
	char *s, *out;

	if (cmd->args != NULL)
		req = json_pack("{s:s, s:s}", "cmd", cmd->name, "target",
		    arg ? arg : "");
	else
		req = json_pack("{s:s}", "cmd", cmd->name);
	if (req == NULL || (s = json_dumps(req, JSON_COMPACT)) == NULL)
		return NULL;	/* arg is not UTF-8 */
	json_decref(req);
	out = xstrdup(s);
	free(s);
	return out;
}

void
ctl_usage(FILE *fp)
{
	size_t i;
	char left[40];

	fprintf(fp, "usage: electricctl [-d DIR] [--json] COMMAND [ARGS]\n\n"
	    "  -d DIR   electricd's storage directory (default: "
	    "$ELECTRIC_STORAGE_DIR,\n"
	    "           else ./persistent); the socket is DIR/run/control.sock\n"
	    "  --json   print the daemon's reply as JSON\n\n"
	    "commands (any unambiguous prefix will do):\n");
	for (i = 0; i < ctl_ncmds; i++) {
		snprintf(left, sizeof(left), "%s%s%s", ctl_cmds[i].name,
		    ctl_cmds[i].args ? " " : "",
		    ctl_cmds[i].args ? ctl_cmds[i].args : "");
		fprintf(fp, "  %-20s %s\n", left, ctl_cmds[i].help);
	}
}
