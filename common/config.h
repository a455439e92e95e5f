/*
 * config: electricd's settings.  One table (config.c) names each setting's
 * environment variable, command-line flag, default and help text; the root
 * resolves flags and environment once, then exports the result into the
 * environment so that every child process reads the same values.
 */
#ifndef ELECTRICD_CONFIG_H
#define ELECTRICD_CONFIG_H

#include <stdint.h>
#include <stdio.h>

struct config {
	char		*database_url;
	int		 port;
	char		*storage_dir;		/* absolute path */
	int		 insecure;
	char		*secret;
	char		*stream_id;
	int		 db_pool_size;
	int		 long_poll_timeout_ms;
	char		*log_level;
	uint64_t	 chunk_bytes;
	int		 cache_max_age;
	int		 cache_stale_age;
	int		 enable_integration_testing;	/* DELETE /v1/shape */
	int		 max_initial_requests;		/* admission control */
	int		 max_existing_requests;
	int		 shape_suspend_timeout;		/* s; 0: never suspend */
	int		 prometheus_port;		/* 0: no /metrics */
	char		*log_file;			/* NULL: stderr */
	/* derived */
	char		*run_dir;		/* <storage>/run */
	char		*shapes_dir;		/* <storage>/shapes */
	char		*meta_path;		/* <storage>/meta.db */
	char		*publication;		/* electric_publication_<id> */
	char		*slot;			/* electric_slot_<id> */
};

extern struct config cfg;

/* Parses argv flags over the environment.  Returns 0, or -1 after writing
 * a message to *err (malloc'd).  Handles neither --help nor --version. */
int config_load(int argc, char **argv, char **err);
/* Loads from the environment only (children). */
int config_load_env(char **err);
void config_export(void);
void config_usage(FILE *);
/* Path of a socket in the run directory: "<run_dir>/<name>.sock" (malloc'd). */
char *config_sock_path(const char *name);

#endif
