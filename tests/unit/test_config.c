/*
 * test_config: flags over environment, value parsing, the secret rule and
 * the derived names.  Every test starts from an environment without any
 * electricd variable (fork mode keeps the global cfg per test).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "util.h"

Suite *config_suite(void);

static const char *const config_vars[] = {
	"DATABASE_URL", "ELECTRIC_PORT", "ELECTRIC_STORAGE_DIR",
	"ELECTRIC_INSECURE", "ELECTRIC_SECRET", "ELECTRIC_REPLICATION_STREAM_ID",
	"ELECTRIC_DB_POOL_SIZE", "ELECTRIC_LONG_POLL_TIMEOUT",
	"ELECTRIC_LOG_LEVEL", "ELECTRIC_SHAPE_CHUNK_BYTES_THRESHOLD",
	"ELECTRIC_CACHE_MAX_AGE", "ELECTRIC_CACHE_STALE_AGE",
};

static void
config_clean_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(config_vars) / sizeof(config_vars[0]); i++)
		unsetenv(config_vars[i]);
	setenv("ELECTRIC_STORAGE_DIR", "/tmp/electricd-cfg-test", 1);
}

/* config_load over "electricd" + the NULL-terminated flags; *err is
 * freed and replaced. */
static int
load(char **err, ...)
{
	char *argv[16] = { "electricd" };
	int argc = 1;
	va_list ap;

	free(*err);
	*err = NULL;
	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return config_load(argc, argv, err);
}

static void
base_env(void)
{
	setenv("DATABASE_URL", "postgresql://u@localhost/db", 1);
	setenv("ELECTRIC_INSECURE", "true", 1);
}

START_TEST(test_defaults)
{
	char *err = NULL, *sock;

	base_env();
	ck_assert_msg(load(&err, NULL) == 0, "%s", err);
	ck_assert_str_eq(cfg.database_url, "postgresql://u@localhost/db");
	ck_assert_int_eq(cfg.port, 3000);
	ck_assert_int_eq(cfg.insecure, 1);
	ck_assert_int_eq(cfg.db_pool_size, 20);
	ck_assert_int_eq(cfg.long_poll_timeout_ms, 20000);
	ck_assert(cfg.chunk_bytes == 10485760);
	ck_assert_int_eq(cfg.cache_max_age, 60);
	ck_assert_int_eq(cfg.cache_stale_age, 300);
	ck_assert_str_eq(cfg.stream_id, "default");
	ck_assert_str_eq(cfg.log_level, "info");
	ck_assert_str_eq(cfg.storage_dir, "/tmp/electricd-cfg-test");
	ck_assert_str_eq(cfg.run_dir, "/tmp/electricd-cfg-test/run");
	ck_assert_str_eq(cfg.shapes_dir, "/tmp/electricd-cfg-test/shapes");
	ck_assert_str_eq(cfg.meta_path, "/tmp/electricd-cfg-test/meta.db");
	ck_assert_str_eq(cfg.slot, "electric_slot_default");
	ck_assert_str_eq(cfg.publication, "electric_publication_default");
	sock = config_sock_path("control");
	ck_assert_str_eq(sock, "/tmp/electricd-cfg-test/run/control.sock");
	free(sock);
}
END_TEST

static const struct {
	const char	*env_port;	/* ELECTRIC_PORT, or NULL */
	const char	*flag1;
	const char	*flag2;
	int		 port;
	const char	*slot;
} override_cases[] = {
	{ "4000", NULL, NULL, 4000, "electric_slot_fromenv" },
	{ "4000", "--port", "5000", 5000, "electric_slot_fromenv" },
	{ "4000", "--port=6000", NULL, 6000, "electric_slot_fromenv" },
	{ NULL, "--stream-id=abc_1", NULL, 3000, "electric_slot_abc_1" },
	{ "4000", "--stream-id", "x9", 4000, "electric_slot_x9" },
};

START_TEST(test_flags_override_env)
{
	char *err = NULL;

	base_env();
	if (override_cases[_i].env_port != NULL)
		setenv("ELECTRIC_PORT", override_cases[_i].env_port, 1);
	setenv("ELECTRIC_REPLICATION_STREAM_ID", "fromenv", 1);
	ck_assert_msg(load(&err, override_cases[_i].flag1,
	    override_cases[_i].flag2, NULL) == 0, "%s", err);
	ck_assert_int_eq(cfg.port, override_cases[_i].port);
	ck_assert_str_eq(cfg.slot, override_cases[_i].slot);
	ck_assert_str_eq(cfg.publication + strlen("electric_publication_"),
	    cfg.slot + strlen("electric_slot_"));
}
END_TEST

START_TEST(test_database_url_flag)
{
	char *err = NULL;

	base_env();
	ck_assert_msg(load(&err, "--database-url", "postgres://x", NULL) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.database_url, "postgres://x");
}
END_TEST

static const struct {
	const char	*v;
	int		 ok;
	int		 insecure;
} bool_cases[] = {
	{ "true", 1, 1 }, { "1", 1, 1 }, { "yes", 1, 1 },
	{ "false", 1, 0 }, { "0", 1, 0 }, { "no", 1, 0 },
	{ "maybe", 0, 0 }, { "2", 0, 0 }, { "truex", 0, 0 },
};

/* ELECTRIC_INSECURE values; a secret is set whenever insecure is false. */
START_TEST(test_bools)
{
	char *err = NULL;
	int rc;

	setenv("DATABASE_URL", "postgres://x", 1);
	setenv("ELECTRIC_INSECURE", bool_cases[_i].v, 1);
	if (!bool_cases[_i].insecure)
		setenv("ELECTRIC_SECRET", "s3cret", 1);
	rc = load(&err, NULL);
	if (!bool_cases[_i].ok) {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(strstr(err, "ELECTRIC_INSECURE"));
	} else {
		ck_assert_msg(rc == 0, "%s: %s", bool_cases[_i].v, err);
		ck_assert_int_eq(cfg.insecure, bool_cases[_i].insecure);
	}
	free(err);
}
END_TEST

START_TEST(test_bool_flag)
{
	char *err = NULL;

	setenv("DATABASE_URL", "postgres://x", 1);
	ck_assert_msg(load(&err, "--insecure", NULL) == 0, "%s", err);
	ck_assert_int_eq(cfg.insecure, 1);
}
END_TEST

START_TEST(test_bool_flag_value)
{
	char *err = NULL;

	setenv("DATABASE_URL", "postgres://x", 1);
	setenv("ELECTRIC_INSECURE", "true", 1);
	ck_assert_msg(load(&err, "--insecure=false", "--secret", "k", NULL) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.insecure, 0);
	ck_assert_str_eq(cfg.secret, "k");
}
END_TEST

static const char *const bad_ints[] = {
	"abc", "-1", "12x", "", "1.5", "99999999999",
};

START_TEST(test_invalid_ints)
{
	char *err = NULL;

	base_env();
	ck_assert_int_eq(load(&err, "--port", bad_ints[_i], NULL), -1);
	ck_assert_msg(strstr(err, "ELECTRIC_PORT") != NULL &&
	    strstr(err, "--port") != NULL, "message: %s", err);
	setenv("ELECTRIC_DB_POOL_SIZE", bad_ints[_i], 1);
	ck_assert_int_eq(load(&err, NULL), -1);
	ck_assert_msg(strstr(err, "ELECTRIC_DB_POOL_SIZE") != NULL, "message: %s",
	    err);
	free(err);
}
END_TEST

START_TEST(test_u64)
{
	char *err = NULL;

	base_env();
	ck_assert_msg(load(&err, "--chunk-bytes", "99999999999", NULL) == 0,
	    "%s", err);
	ck_assert(cfg.chunk_bytes == 99999999999ULL);
}
END_TEST

START_TEST(test_zero)
{
	char *err = NULL;

	base_env();
	ck_assert_int_eq(load(&err, "--chunk-bytes", "0", NULL), -1);
	ck_assert_int_eq(load(&err, "--long-poll-timeout", "0", NULL), -1);
	free(err);
}
END_TEST

START_TEST(test_secret_rule)
{
	char *err = NULL;

	setenv("DATABASE_URL", "postgres://x", 1);
	ck_assert_int_eq(load(&err, NULL), -1);		/* neither */
	ck_assert_ptr_nonnull(strstr(err, "exactly one"));
	setenv("ELECTRIC_SECRET", "", 1);		/* empty = unset */
	ck_assert_int_eq(load(&err, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "exactly one"));
	ck_assert_int_eq(load(&err, "--secret", "k", "--insecure", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "exactly one"));
	setenv("ELECTRIC_SECRET", "k", 1);
	setenv("ELECTRIC_INSECURE", "true", 1);
	ck_assert_int_eq(load(&err, NULL), -1);		/* both */
	ck_assert_ptr_nonnull(strstr(err, "exactly one"));
	free(err);
}
END_TEST

START_TEST(test_errors)
{
	char *err = NULL;

	setenv("ELECTRIC_INSECURE", "true", 1);
	ck_assert_int_eq(load(&err, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "DATABASE_URL"));
	base_env();
	ck_assert_int_eq(load(&err, "--bogus", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--bogus"));
	ck_assert_int_eq(load(&err, "--port", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(load(&err, "--stream-id", "Bad-Id", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "Bad-Id"));
	ck_assert_int_eq(load(&err, "--stream-id", "", NULL), -1);
	ck_assert_int_eq(load(&err, "--log-level", "loud", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "loud"));
	free(err);
}
END_TEST

START_TEST(test_relative_storage)
{
	char *err = NULL, cwd[PATH_MAX], *want;

	base_env();
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	setenv("ELECTRIC_STORAGE_DIR", "./persistent", 1);
	ck_assert_msg(load(&err, NULL) == 0, "%s", err);
	want = xasprintf("%s/persistent", cwd);
	ck_assert_str_eq(cfg.storage_dir, want);
	free(want);
	want = xasprintf("%s/persistent/run", cwd);
	ck_assert_str_eq(cfg.run_dir, want);
	free(want);
}
END_TEST

/* Frees and zeroes cfg: what a freshly exec'd child starts with. */
static void
cfg_reset(void)
{
	char **strs[] = { &cfg.database_url, &cfg.storage_dir, &cfg.secret,
	    &cfg.stream_id, &cfg.log_level, &cfg.run_dir, &cfg.shapes_dir,
	    &cfg.meta_path, &cfg.publication, &cfg.slot };
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	memset(&cfg, 0, sizeof(cfg));
}

/* What the root exports is what a child loads. */
START_TEST(test_export_roundtrip)
{
	char *err = NULL;

	setenv("DATABASE_URL", "postgres://x", 1);
	ck_assert_msg(load(&err, "--port", "7001", "--secret", "k",
	    "--stream-id", "s1", "--chunk-bytes", "12345", NULL) == 0, "%s", err);
	config_export();
	ck_assert_str_eq(getenv("ELECTRIC_PORT"), "7001");
	ck_assert_str_eq(getenv("ELECTRIC_INSECURE"), "false");
	ck_assert_str_eq(getenv("ELECTRIC_SECRET"), "k");
	cfg_reset();
	ck_assert_int_eq(config_load_env(&err), 0);
	ck_assert_int_eq(cfg.port, 7001);
	ck_assert(cfg.chunk_bytes == 12345);
	ck_assert_str_eq(cfg.slot, "electric_slot_s1");
	ck_assert_str_eq(cfg.storage_dir, "/tmp/electricd-cfg-test");
	free(err);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, config_clean_env, NULL);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_flags_override_env, 0,
	    sizeof(override_cases) / sizeof(override_cases[0]));
	tcase_add_test(tc, test_database_url_flag);
	tcase_add_loop_test(tc, test_bools, 0,
	    sizeof(bool_cases) / sizeof(bool_cases[0]));
	tcase_add_test(tc, test_bool_flag);
	tcase_add_test(tc, test_bool_flag_value);
	tcase_add_loop_test(tc, test_invalid_ints, 0,
	    sizeof(bad_ints) / sizeof(bad_ints[0]));
	tcase_add_test(tc, test_u64);
	tcase_add_test(tc, test_zero);
	tcase_add_test(tc, test_secret_rule);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_relative_storage);
	tcase_add_test(tc, test_export_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
