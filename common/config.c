/*
 * config: the settings table, flag and environment parsing, export to
 * children.  Adding a setting is one row in config_table plus a field.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"

struct config cfg;

enum cfg_kind { CFG_STR, CFG_INT, CFG_U64, CFG_BOOL };

static const struct cfg_opt {
	const char	*env;
	const char	*flag;
	enum cfg_kind	 kind;
	size_t		 field;
	const char	*def;
	const char	*help;
} config_table[] = {
	{ "DATABASE_URL", "--database-url", CFG_STR,
	  offsetof(struct config, database_url), NULL,
	  "Postgres connection URL (wal_level=logical, REPLICATION role)" },
	{ "ELECTRIC_PORT", "--port", CFG_INT, offsetof(struct config, port),
	  "3000", "HTTP port" },
	{ "ELECTRIC_STORAGE_DIR", "--storage-dir", CFG_STR,
	  offsetof(struct config, storage_dir), "./persistent",
	  "shape logs, meta.db and the run/ socket directory" },
	{ "ELECTRIC_INSECURE", "--insecure", CFG_BOOL,
	  offsetof(struct config, insecure), "false",
	  "serve without a secret (exactly one of this and --secret)" },
	{ "ELECTRIC_SECRET", "--secret", CFG_STR, offsetof(struct config, secret),
	  NULL, "secret every shape request must carry as ?secret=" },
	{ "ELECTRIC_REPLICATION_STREAM_ID", "--stream-id", CFG_STR,
	  offsetof(struct config, stream_id), "default",
	  "names the publication and the replication slot" },
	{ "ELECTRIC_DB_POOL_SIZE", "--db-pool-size", CFG_INT,
	  offsetof(struct config, db_pool_size), "20",
	  "maximum concurrent snapshot/query connections" },
	{ "ELECTRIC_LONG_POLL_TIMEOUT", "--long-poll-timeout", CFG_INT,
	  offsetof(struct config, long_poll_timeout_ms), "20000",
	  "milliseconds a live request is held" },
	{ "ELECTRIC_LOG_LEVEL", "--log-level", CFG_STR,
	  offsetof(struct config, log_level), "info",
	  "error, warning, info or debug" },
	{ "ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD", "--chunk-bytes", CFG_U64,
	  offsetof(struct config, chunk_bytes), "10485760",
	  "bytes after which a log chunk is closed" },
	{ "ELECTRIC_CACHE_MAX_AGE", "--cache-max-age", CFG_INT,
	  offsetof(struct config, cache_max_age), "60",
	  "max-age of non-live responses, seconds" },
	{ "ELECTRIC_CACHE_STALE_AGE", "--cache-stale-age", CFG_INT,
	  offsetof(struct config, cache_stale_age), "300",
	  "stale-while-revalidate of non-live responses, seconds" },
	{ "ELECTRIC_ENABLE_INTEGRATION_TESTING", "--enable-integration-testing",
	  CFG_BOOL, offsetof(struct config, enable_integration_testing), "false",
	  "allow DELETE /v1/shape" },
	{ "ELECTRIC_MAX_INITIAL_REQUESTS", "--max-initial-requests", CFG_INT,
	  offsetof(struct config, max_initial_requests), "300",
	  "concurrent requests without a known handle (admission control)" },
	{ "ELECTRIC_MAX_EXISTING_REQUESTS", "--max-existing-requests", CFG_INT,
	  offsetof(struct config, max_existing_requests), "10000",
	  "concurrent requests for existing shapes (admission control)" },
	{ "ELECTRIC_SHAPE_SUSPEND_TIMEOUT", "--shape-suspend-timeout", CFG_INT,
	  offsetof(struct config, shape_suspend_timeout), "300",
	  "seconds without changes or readers after which a shape's consumer "
	  "exits until needed (0: never)" },
	{ "ELECTRIC_PROMETHEUS_PORT", "--prometheus-port", CFG_INT,
	  offsetof(struct config, prometheus_port), NULL,
	  "serve Prometheus GET /metrics on this port (default: off)" },
	{ "ELECTRIC_LOG_FILE", "--log-file", CFG_STR,
	  offsetof(struct config, log_file), NULL,
	  "append logs to this file, reopened on SIGHUP (default: stderr)" },
};
#define CONFIG_N (sizeof(config_table) / sizeof(config_table[0]))

static int
config_set(const struct cfg_opt *o, const char *v, char **err)
{
	void *f = (char *)&cfg + o->field;
	char *end;
	long long n;

	switch (o->kind) {
	case CFG_STR:
		free(*(char **)f);
		*(char **)f = v ? xstrdup(v) : NULL;
		return 0;
	case CFG_BOOL:
		*(int *)f = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
		    strcmp(v, "yes") == 0);
		if (v && !*(int *)f && strcmp(v, "false") && strcmp(v, "0") &&
		    strcmp(v, "no") && *v)
			goto bad;
		return 0;
	case CFG_INT:
	case CFG_U64:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || *end || end == v || n < 0 ||
		    (o->kind == CFG_INT && n > INT_MAX))
			goto bad;
		if (o->kind == CFG_INT)
			*(int *)f = (int)n;
		else
			*(uint64_t *)f = (uint64_t)n;
		return 0;
	}
bad:
	*err = xasprintf("invalid value for %s (%s): \"%s\"", o->env, o->flag, v);
	return -1;
}

static int
config_derive(char **err)
{
	char cwd[PATH_MAX];
	const char *s;
	enum log_level lvl;

	if (cfg.storage_dir[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			fatal("getcwd");
		char *rel = cfg.storage_dir;

		s = rel;
		if (s[0] == '.' && s[1] == '/')
			s += 2;
		cfg.storage_dir = xasprintf("%s/%s", cwd, s);
		free(rel);
	}
	if (log_parse_level(cfg.log_level, &lvl) == -1) {
		*err = xasprintf("invalid ELECTRIC_LOG_LEVEL \"%s\"", cfg.log_level);
		return -1;
	}
	log_set_level(lvl);
	for (s = cfg.stream_id; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			break;
	if (*s || !*cfg.stream_id || strlen(cfg.stream_id) > 40) {
		*err = xasprintf("ELECTRIC_REPLICATION_STREAM_ID must be lower-case "
		    "letters, digits and _ (got \"%s\")", cfg.stream_id);
		return -1;
	}
	if (cfg.prometheus_port > 65535 || (cfg.prometheus_port != 0 &&
	    cfg.prometheus_port == cfg.port)) {
		*err = xasprintf("ELECTRIC_PROMETHEUS_PORT must be a port other "
		    "than ELECTRIC_PORT (got %d)", cfg.prometheus_port);
		return -1;
	}
	if (cfg.log_file != NULL && *cfg.log_file == '\0') {
		free(cfg.log_file);
		cfg.log_file = NULL;
	}
	if (cfg.chunk_bytes == 0 || cfg.long_poll_timeout_ms == 0) {
		*err = xstrdup("chunk bytes and long-poll timeout must be positive");
		return -1;
	}
	free(cfg.run_dir);
	free(cfg.shapes_dir);
	free(cfg.meta_path);
	free(cfg.publication);
	free(cfg.slot);
	cfg.run_dir = xasprintf("%s/run", cfg.storage_dir);
	cfg.shapes_dir = xasprintf("%s/shapes", cfg.storage_dir);
	cfg.meta_path = xasprintf("%s/meta.db", cfg.storage_dir);
	cfg.publication = xasprintf("electric_publication_%s", cfg.stream_id);
	cfg.slot = xasprintf("electric_slot_%s", cfg.stream_id);
	return 0;
}

static int
config_defaults_env(char **err)
{
	size_t i;
	const char *v;

	for (i = 0; i < CONFIG_N; i++) {
		v = getenv(config_table[i].env);
		if (v == NULL)
			v = config_table[i].def;
		if ((v != NULL || config_table[i].kind == CFG_STR) &&
		    config_set(&config_table[i], v, err) == -1)
			return -1;
	}
	return 0;
}

static const struct cfg_opt *
config_find_flag(const char *arg, const char **val)
{
	size_t i, n;

	for (i = 0; i < CONFIG_N; i++) {
		n = strlen(config_table[i].flag);
		if (strncmp(arg, config_table[i].flag, n) != 0)
			continue;
		if (arg[n] == '=') {
			*val = arg + n + 1;
			return &config_table[i];
		}
		if (arg[n] == '\0') {
			*val = NULL;
			return &config_table[i];
		}
	}
	return NULL;
}

int
config_load(int argc, char **argv, char **err)
{
	const struct cfg_opt *o;
	const char *v;
	int i;

	if (config_defaults_env(err) == -1)
		return -1;
	for (i = 1; i < argc; i++) {
		if ((o = config_find_flag(argv[i], &v)) == NULL) {
			*err = xasprintf("unknown option \"%s\" (see --help)", argv[i]);
			return -1;
		}
		if (v == NULL && o->kind == CFG_BOOL)
			v = "true";
		else if (v == NULL && ++i < argc)
			v = argv[i];
		if (v == NULL) {
			*err = xasprintf("option %s needs a value", o->flag);
			return -1;
		}
		if (config_set(o, v, err) == -1)
			return -1;
	}
	if (cfg.database_url == NULL || *cfg.database_url == '\0') {
		*err = xstrdup("DATABASE_URL is not set (or use --database-url)");
		return -1;
	}
	if (cfg.insecure == (cfg.secret != NULL && *cfg.secret != '\0')) {
		*err = xstrdup("set exactly one of ELECTRIC_SECRET and "
		    "ELECTRIC_INSECURE=true");
		return -1;
	}
	return config_derive(err);
}

int
config_load_env(char **err)
{
	if (config_defaults_env(err) == -1)
		return -1;
	return config_derive(err);
}

void
config_export(void)
{
	size_t i;
	void *f;
	char buf[32];

	for (i = 0; i < CONFIG_N; i++) {
		f = (char *)&cfg + config_table[i].field;
		switch (config_table[i].kind) {
		case CFG_STR:
			if (*(char **)f != NULL)
				setenv(config_table[i].env, *(char **)f, 1);
			else
				unsetenv(config_table[i].env);
			continue;
		case CFG_BOOL:
			snprintf(buf, sizeof(buf), "%s", *(int *)f ? "true" : "false");
			break;
		case CFG_INT:
			snprintf(buf, sizeof(buf), "%d", *(int *)f);
			break;
		case CFG_U64:
			snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)*(uint64_t *)f);
			break;
		}
		setenv(config_table[i].env, buf, 1);
	}
}

void
config_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: electricd [options]\n\n"
	    "Every option can also be given as its environment variable.\n\n");
	for (i = 0; i < CONFIG_N; i++)
		fprintf(fp, "  %-22s %-38s %s%s%s%s\n", config_table[i].flag,
		    config_table[i].env, config_table[i].help,
		    config_table[i].def ? " (default " : "",
		    config_table[i].def ? config_table[i].def : "",
		    config_table[i].def ? ")" : "");
	fprintf(fp, "  %-22s %-38s %s\n  %-22s %-38s %s\n", "--help", "",
	    "show this help", "--version", "", "show the version");
}

char *
config_sock_path(const char *name)
{
	return xasprintf("%s/%s.sock", cfg.run_dir, name);
}
