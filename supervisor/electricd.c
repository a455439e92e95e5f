/*
 * electricd: the program's entry point.  Run by a user it is the root
 * supervisor (sup.c); run by the root as "electricd --role ROLE" it becomes
 * that child process (roles.h).  The role table below is the only place
 * that maps names to entry points.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "proc.h"
#include "roles.h"
#include "sup.h"
#include "version.h"

static const struct {
	const char	*role;
	int		(*main_fn)(void);
} electricd_roles[] = {
	{ "connmgr", connmgr_main },
	{ "replication", replication_main },
	{ "collector", collector_main },
	{ "shapecache", shapecache_main },
	{ "http", http_main },
};

static int
electricd_child(int argc, char **argv)
{
	size_t i;

	if (argc >= 5 && strcmp(argv[2], "consumer") == 0 &&
	    strcmp(argv[3], "--shape") == 0)
		return consumer_main(argv[4]);
	for (i = 0; i < sizeof(electricd_roles) / sizeof(electricd_roles[0]); i++)
		if (argc >= 3 && strcmp(argv[2], electricd_roles[i].role) == 0)
			return electricd_roles[i].main_fn();
	fprintf(stderr, "electricd: unknown role\n");
	return 2;
}

/* Refuses to start a second root on the same storage directory. */
static void
electricd_check_single(void)
{
	char *path = config_sock_path("control");
	int fd = unix_connect(path);

	if (fd != -1) {
		close(fd);
		fatalx("another electricd is already running on %s", cfg.storage_dir);
	}
	free(path);
}

static void
electricd_dirs(void)
{
	if (mkdir_p(cfg.storage_dir, 0755) == -1)
		fatal("cannot create storage directory %s", cfg.storage_dir);
	if (mkdir_p(cfg.run_dir, 0700) == -1 || chmod(cfg.run_dir, 0700) == -1)
		fatal("cannot create %s", cfg.run_dir);
	if (mkdir_p(cfg.shapes_dir, 0755) == -1)
		fatal("cannot create %s", cfg.shapes_dir);
	if (access(cfg.storage_dir, W_OK) == -1)
		fatal("storage directory %s is not writable", cfg.storage_dir);
}

int
main(int argc, char **argv)
{
	char *err = NULL;

	if (argc >= 3 && strcmp(argv[1], "--role") == 0)
		return electricd_child(argc, argv);
	proc_title_init(argc, argv);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		config_usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("electricd %s\n", ELECTRICD_VERSION);
		return 0;
	}
	log_init("electricd", "root");
	if (config_load(argc, argv, &err) == -1) {
		fprintf(stderr, "electricd: %s\n", err);
		return 2;
	}
	electricd_dirs();
	if (cfg.log_file != NULL && log_reopen(cfg.log_file) == -1)
		fatal("cannot open log file %s", cfg.log_file);
	electricd_check_single();
	config_export();
	log_info("electricd %s starting: storage %s, port %d, stream %s",
	    ELECTRICD_VERSION, cfg.storage_dir, cfg.port, cfg.stream_id);
	sup_main();
}
