/*
 * test_identity: identity_reconcile() (replication/identity.c) and
 * purge_all() (shapecache/purge.c) against a scratch storage directory:
 * the first start records the identity, an unchanged one keeps every
 * shape, a changed system id / timeline / slot or a created slot purges
 * every meta.db row and every shape directory, and the new identity is
 * recorded after the purge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "identity.h"
#include "meta.h"
#include "purge.h"
#include "util.h"

Suite *identity_suite(void);

static char id_dir[64];

static void
id_setup(void)
{
	snprintf(id_dir, sizeof(id_dir), "/tmp/test_identity.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(id_dir));
	cfg.storage_dir = xstrdup(id_dir);
	cfg.run_dir = xasprintf("%s/run", id_dir);
	cfg.shapes_dir = xasprintf("%s/shapes", id_dir);
	cfg.meta_path = xasprintf("%s/meta.db", id_dir);
	ck_assert_int_eq(mkdir(cfg.shapes_dir, 0700), 0);
}

static void
id_teardown(void)
{
	if (rm_rf(id_dir) == -1)
		perror(id_dir);
}

/* A shape row plus its directory with one file. */
static void
id_add_shape(const char *handle)
{
	struct sqlite3 *db = meta_open(cfg.meta_path);
	struct meta_shape m;
	char *p;
	FILE *f;

	memset(&m, 0, sizeof(m));
	m.handle = (char *)handle;
	m.schema_name = "public";
	m.table_name = "items";
	m.columns = "[]";
	m.electric_schema = "{}";
	m.definition = (char *)handle;
	m.state = "active";
	ck_assert_int_eq(meta_shape_insert(db, &m), 0);
	meta_close(db);
	p = xasprintf("%s/%s", cfg.shapes_dir, handle);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/%s/log.0", cfg.shapes_dir, handle);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fclose(f);
	free(p);
}

static int
id_count_one(const struct meta_shape *m UNUSED, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
id_nshapes(void)
{
	struct sqlite3 *db = meta_open(cfg.meta_path);
	int n = 0;

	ck_assert_int_eq(meta_shape_each(db, id_count_one, &n), 0);
	meta_close(db);
	return n;
}

static int
id_has_dir(const char *handle)
{
	char *p = xasprintf("%s/%s", cfg.shapes_dir, handle);
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

static char *
id_kv(const char *key)
{
	struct sqlite3 *db = meta_open(cfg.meta_path);
	char *v = NULL;

	ck_assert_int_eq(meta_kv_get(db, key, &v), 0);
	meta_close(db);
	return v;
}

static const struct identity id_base = { "7001", "1", "electric_slot_a", NULL };

START_TEST(first_start_records_and_keeps)
{
	char *v;

	id_add_shape("1-1");	/* a storage from before identities */
	ck_assert_int_eq(identity_reconcile(&id_base), 0);
	ck_assert_int_eq(id_nshapes(), 1);
	ck_assert(id_has_dir("1-1"));
	ck_assert_str_eq(v = id_kv("system_id"), "7001");
	free(v);
	ck_assert_str_eq(v = id_kv("timeline"), "1");
	free(v);
	ck_assert_str_eq(v = id_kv("slot"), "electric_slot_a");
	free(v);
	ck_assert_int_eq(identity_reconcile(&id_base), 0);
	ck_assert_int_eq(id_nshapes(), 1);
}
END_TEST

/* Index i: which field of the identity changes (3 = a created slot). */
START_TEST(any_change_purges)
{
	struct identity id = id_base;
	char *v;

	ck_assert_int_eq(identity_reconcile(&id_base), 0);
	id_add_shape("1-1");
	id_add_shape("2-2");
	switch (_i) {
	case 0: id.system_id = "7002"; break;
	case 1: id.timeline = "2"; break;
	case 2: id.slot = "electric_slot_b"; break;
	case 3: id.slot_created = "slot created"; break;
	}
	ck_assert_int_eq(identity_reconcile(&id), 0);
	ck_assert_int_eq(id_nshapes(), 0);
	ck_assert(!id_has_dir("1-1"));
	ck_assert(!id_has_dir("2-2"));
	ck_assert_str_eq(v = id_kv("system_id"), id.system_id);
	free(v);
	ck_assert_str_eq(v = id_kv("slot"), id.slot);
	free(v);
	/* recorded: the same identity again keeps a new shape */
	id.slot_created = NULL;
	id_add_shape("3-3");
	ck_assert_int_eq(identity_reconcile(&id), 0);
	ck_assert_int_eq(id_nshapes(), 1);
}
END_TEST

START_TEST(purge_removes_stray_dirs)
{
	struct sqlite3 *db;
	struct purge_result pr;
	char *p = xasprintf("%s/orphan", cfg.shapes_dir);

	ck_assert_int_eq(mkdir(p, 0700), 0);
	id_add_shape("4-4");
	db = meta_open(cfg.meta_path);
	ck_assert_int_eq(purge_all(db, cfg.shapes_dir, "test", &pr), 0);
	meta_close(db);
	ck_assert_uint_eq(pr.n, 1);
	ck_assert_str_eq(pr.handles[0], "4-4");
	purge_result_free(&pr);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_eq(access(cfg.shapes_dir, F_OK), 0);
	free(p);
}
END_TEST

Suite *
identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("reconcile");

	tcase_add_checked_fixture(tc, id_setup, id_teardown);
	tcase_add_test(tc, first_start_records_and_keeps);
	tcase_add_loop_test(tc, any_change_purges, 0, 4);
	tcase_add_test(tc, purge_removes_stray_dirs);
	suite_add_tcase(s, tc);
	return s;
}
