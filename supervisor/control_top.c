/*
 * control_top: the "top" control command.  One sample of every running
 * process of the tree (the root first, then the process table's order):
 * CPU time as utime+stime clock ticks from /proc/<pid>/stat, resident
 * memory from VmRSS in /proc/<pid>/status, and for a consumer the number of
 * durable log entries of its shape (the size of log.idx over its record
 * length: one stat).  Rates are electricctl's business: it asks twice and
 * divides by the root's monotonic clock ("at_ms") and "clock_ticks".
 * A process that exits between the table and /proc is reported with null
 * counters; nothing here can fail the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "control.h"
#include "frame.h"
#include "sup.h"

#define CTL_IDX_REC_LEN	24	/* a log.idx record (consumer/shapelog.h) */

/* utime + stime of pid in clock ticks; -1 if unreadable. */
static long long
ctl_top_ticks(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

/* The "<key>: <n> kB" line of /proc/<pid>/<file>; -1 if unreadable.
 * Also used by control_metrics.c (VmRSS from status, Pss from
 * smaps_rollup). */
long long
control_proc_kb(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			kb = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

static json_t *
ctl_top_num(long long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static long long
ctl_top_entries(const char *handle)
{
	char *path = xasprintf("%s/%s/log.idx", cfg.shapes_dir, handle);
	struct stat sb;
	long long n;

	n = stat(path, &sb) == 0 ? (long long)(sb.st_size / CTL_IDX_REC_LEN) :
	    (long long)0;
	free(path);
	return n;
}

static json_t *
ctl_top_proc(const char *role, const char *id, pid_t pid)
{
	json_t *o = json_pack("{s:s,s:s}", "role", role, "id", id);

	json_object_set_new(o, "pid", pid > 0 ? json_integer(pid) : json_null());
	json_object_set_new(o, "cpu_ticks", ctl_top_num(pid > 0 ?
	    ctl_top_ticks(pid) : -1));
	json_object_set_new(o, "rss_kb", ctl_top_num(pid > 0 ?
	    control_proc_kb(pid, "status", "VmRSS") : -1));
	if (strcmp(role, "consumer") == 0)
		json_object_set_new(o, "log_entries",
		    json_integer(ctl_top_entries(id)));
	return o;
}

void
control_cmd_top(struct ctl_client *cl, uint32_t id, json_t *req UNUSED)
{
	const struct sup_proc *p;
	json_t *procs = json_array();

	json_array_append_new(procs, ctl_top_proc("root", "root", getpid()));
	for (p = sup_procs(); p != NULL; p = p->next)
		json_array_append_new(procs, ctl_top_proc(p->spec->role, p->id,
		    p->pid));
	control_reply(cl->chan, id, 0, json_pack("{s:I,s:I,s:o}",
	    "clock_ticks", (json_int_t)sysconf(_SC_CLK_TCK),
	    "at_ms", (json_int_t)mono_ms(), "processes", procs));
}
