/*
 * test_shapedef: shape definitions from requests (shapecache/shapedef.c)
 * and the MSG_SHAPE_REQ codec (common/shapereq.c): column rules (§2.4),
 * identity (§4.1), the electric-schema of a projection, WHERE errors.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "catalog.h"
#include "shapedef.h"
#include "shapereq.h"

static const char cols_json[] =
    "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0,\"generated\":false},"
    "{\"name\":\"title\",\"type\":\"text\",\"pk\":-1,\"generated\":false},"
    "{\"name\":\"done\",\"type\":\"bool\",\"pk\":-1,\"generated\":false},"
    "{\"name\":\"g\",\"type\":\"int4\",\"pk\":-1,\"generated\":true}]";
static const char eschema[] =
    "{\"id\":{\"type\":\"int4\",\"pk_index\":0,\"not_null\":true},"
    "\"title\":{\"type\":\"text\"},\"done\":{\"type\":\"bool\"},"
    "\"g\":{\"type\":\"int4\"}}";

static struct catalog_table
table(void)
{
	struct catalog_table t;

	memset(&t, 0, sizeof(t));
	t.relid = 42;
	t.schema = (char *)"public";
	t.table = (char *)"items";
	t.columns = (char *)cols_json;
	t.electric_schema = (char *)eschema;
	t.pk = (char *)"id";
	return t;
}

static int
build(const char *const *cols, size_t ncols, int replica, const char *where,
    struct shapedef *d, char **field, char **msg)
{
	struct catalog_table t = table();
	struct shape_req q;

	memset(&q, 0, sizeof(q));
	q.table = (char *)"items";
	q.columns = (char **)cols;
	q.ncolumns = ncols;
	q.replica_full = (uint8_t)replica;
	q.where = (char *)where;
	return shapedef_build(&t, &q, d, field, msg);
}

static const struct {
	const char	*cols[4];
	size_t		 n;
	const char	*msg;
} column_errors[] = {
	{ { "title" }, 1, "The list of columns must include all primary key "
	  "columns, missing: id" },
	{ { "id", "nope", "zz" }, 3, "The following columns are not found on "
	  "the table: nope, zz" },
	{ { "id", "g" }, 2, "The following columns are generated and cannot be "
	  "included in the shape: g." },
	{ { NULL }, 0, "The following columns are generated and cannot be "
	  "included in the shape: g. You can exclude them from the shape by "
	  "explicitly listing which columns to fetch in the 'columns' query "
	  "param" },
};

START_TEST(test_column_errors)
{
	struct shapedef d;
	char *field, *msg;

	ck_assert_int_eq(build(column_errors[_i].n ? column_errors[_i].cols :
	    NULL, column_errors[_i].n, 0, NULL, &d, &field, &msg), -1);
	ck_assert_str_eq(field, "columns");
	ck_assert_str_eq(msg, column_errors[_i].msg);
	free(field);
	free(msg);
}
END_TEST

START_TEST(test_projection)
{
	static const char *const a[] = { "title", "id", "title" };
	static const char *const b[] = { "id", "title" };
	struct shapedef d1, d2, d3;
	char *field, *msg;

	ck_assert_int_eq(build(a, 3, 0, NULL, &d1, &field, &msg), 0);
	ck_assert_int_eq(build(b, 2, 0, NULL, &d2, &field, &msg), 0);
	ck_assert_int_eq(build(b, 2, 1, NULL, &d3, &field, &msg), 0);
	/* order and duplicates are irrelevant; replica is part of identity */
	ck_assert_str_eq(d1.definition, d2.definition);
	ck_assert_str_ne(d2.definition, d3.definition);
	ck_assert_ptr_nonnull(strstr(d1.definition, "cols=[\"id\",\"title\"]"));
	ck_assert_ptr_nonnull(strstr(d3.definition, "replica=full"));
	ck_assert_str_eq(d1.electric_schema, "{\"id\":{\"not_null\":true,"
	    "\"pk_index\":0,\"type\":\"int4\"},\"title\":{\"type\":\"text\"}}");
	ck_assert_ptr_nonnull(strstr(d1.columns, "\"name\":\"done\",\"type\":"
	    "\"bool\",\"pk\":-1,\"generated\":false,\"sel\":false"));
	ck_assert_ptr_null(strstr(d1.columns, "\"name\":\"title\",\"type\":"
	    "\"text\",\"pk\":-1,\"generated\":false,\"sel\""));
	ck_assert_str_eq(d1.where_text, "");
	ck_assert_str_eq(d1.params, "[]");
	shapedef_free(&d1);
	shapedef_free(&d2);
	shapedef_free(&d3);
}
END_TEST

START_TEST(test_req_codec)
{
	static const char *const params[] = { "a'b", "" };
	static const char *const cols[] = { "id", "x,y" };
	struct shape_req q, r;
	struct mbuf m;
	char *k1, *k2;

	memset(&q, 0, sizeof(q));
	q.table = (char *)"\"Foo\".bar";
	q.handle = (char *)"h-1";
	q.flags = SHAPEREQ_CREATE;
	q.log_mode = 1;
	q.replica_full = 1;
	q.where = (char *)"id = $1";
	q.params = (char **)params;
	q.nparams = 2;
	q.columns = (char **)cols;
	q.ncolumns = 2;
	mbuf_init(&m);
	shape_req_encode(&q, &m);
	ck_assert_int_eq(shape_req_decode(m.p, m.len, &r), 0);
	ck_assert_str_eq(r.table, q.table);
	ck_assert_str_eq(r.handle, "h-1");
	ck_assert_int_eq(r.flags, SHAPEREQ_CREATE);
	ck_assert_int_eq(r.log_mode, 1);
	ck_assert_int_eq(r.replica_full, 1);
	ck_assert_str_eq(r.where, "id = $1");
	ck_assert_uint_eq(r.nparams, 2);
	ck_assert_str_eq(r.params[0], "a'b");
	ck_assert_str_eq(r.params[1], "");
	ck_assert_uint_eq(r.ncolumns, 2);
	ck_assert_str_eq(r.columns[1], "x,y");
	k1 = shape_req_key(&q);
	k2 = shape_req_key(&r);
	ck_assert_str_eq(k1, k2);
	free(k2);
	r.params[0][0] = 'z';		/* a param value changes the key */
	k2 = shape_req_key(&r);
	ck_assert_str_ne(k1, k2);
	free(k1);
	free(k2);
	shape_req_free(&r);
	/* truncated payloads are rejected, never half-read */
	ck_assert_int_eq(shape_req_decode(m.p, m.len - 1, &r), -1);
	ck_assert_ptr_null(r.table);
	/* a bare request: no where, params or columns */
	memset(&q, 0, sizeof(q));
	q.table = (char *)"items";
	mbuf_reset(&m);
	shape_req_encode(&q, &m);
	ck_assert_int_eq(shape_req_decode(m.p, m.len, &r), 0);
	ck_assert_str_eq(r.table, "items");
	ck_assert_str_eq(r.handle, "");
	ck_assert_str_eq(r.where, "");
	ck_assert_uint_eq(r.nparams, 0);
	ck_assert_ptr_null(r.columns);
	shape_req_free(&r);
	mbuf_free(&m);
}
END_TEST

Suite *shapedef_suite(void);

Suite *
shapedef_suite(void)
{
	Suite *s = suite_create("shapedef");
	TCase *tc = tcase_create("shapedef");

	tcase_add_loop_test(tc, test_column_errors, 0,
	    sizeof(column_errors) / sizeof(column_errors[0]));
	tcase_add_test(tc, test_projection);
	tcase_add_test(tc, test_req_codec);
	suite_add_tcase(s, tc);
	return s;
}
