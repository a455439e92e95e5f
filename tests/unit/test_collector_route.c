/*
 * test_collector_route: the collector's routing index (collector_route.c)
 * gives exactly the shapes a full evaluation of every shape's WHERE gives
 * (PROTOCOL.md §10.5: "performance only, same results").  Hundreds of
 * random shapes over one table -- indexable (col = c, IN, = ANY, @>, and
 * AND-combinations) and not (ranges, OR, NOT) -- and thousands of random
 * inserts, updates and deletes; for each change the set of shapes
 * col_route_change reaches must equal the set whose WHERE holds on the
 * old or the new row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "collector_int.h"
#include "frame.h"
#include "meta.h"
#include "msg.h"
#include "wheremeta.h"

Suite *collector_route_suite(void);

#define NSHAPES	400
#define NCHANGES 3000
#define NCOLS	5

static const char columns_json[] =
    "[{\"name\":\"id\",\"type\":\"int4\",\"pk\":0},"
    "{\"name\":\"a\",\"type\":\"int4\",\"pk\":-1},"
    "{\"name\":\"t\",\"type\":\"text\",\"pk\":-1},"
    "{\"name\":\"tags\",\"type\":\"text\",\"dims\":1,\"pk\":-1},"
    "{\"name\":\"e\",\"type\":\"int8\",\"pk\":-1}]";
static const char *const colnames[NCOLS] = { "id", "a", "t", "tags", "e" };

static unsigned rnd_state = 12345;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* A random WHERE over small value domains, so that shapes overlap. */
static char *
random_where(void)
{
	unsigned k = rnd(5), m = rnd(5);

	switch (rnd(12)) {
	case 0: return xasprintf("a = %u", k);
	case 1: return xasprintf("%u = a", k);
	case 2: return xasprintf("a IN (%u, %u)", k, m);
	case 3: return xasprintf("t = 's%u'", k);
	case 4: return xasprintf("'s%u' = ANY(tags)", k);
	case 5: return xasprintf("tags @> ARRAY['s%u', 's%u']", k, m);
	case 6: return xasprintf("a = %u AND e > %u", k, m);
	case 7: return xasprintf("e >= %u AND t = 's%u'", m, k);
	case 8: return xasprintf("a > %u", k);
	case 9: return xasprintf("a = %u OR t = 's%u'", k, m);
	case 10: return xasprintf("NOT (a = %u)", k);
	default: return xasprintf("a = %u AND '05' = '05'", k);
	}
}

struct rt_row {
	char	 buf[NCOLS][48];
	char	 kind[NCOLS];
};

static void
random_row(struct rt_row *r, int id)
{
	int i;

	snprintf(r->buf[0], sizeof(r->buf[0]), "%d", id);
	snprintf(r->buf[1], sizeof(r->buf[1]), "%u", rnd(6));
	snprintf(r->buf[2], sizeof(r->buf[2]), "s%u", rnd(6));
	snprintf(r->buf[3], sizeof(r->buf[3]), "{s%u,s%u,NULL}", rnd(6), rnd(6));
	snprintf(r->buf[4], sizeof(r->buf[4]), "%u", rnd(6));
	for (i = 0; i < NCOLS; i++)
		r->kind[i] = rnd(10) == 0 && i > 0 ? CHANGE_NULL : CHANGE_TEXT;
}

static void
put_tuple(struct mbuf *m, const struct rt_row *r)
{
	int i;

	mbuf_u16(m, NCOLS);
	for (i = 0; i < NCOLS; i++) {
		mbuf_u8(m, (uint8_t)r->kind[i]);
		if (r->kind[i] == CHANGE_TEXT)
			mbuf_bytes(m, r->buf[i], strlen(r->buf[i]));
	}
}

static void
to_vals(const struct rt_row *r, struct change_val *v)
{
	int i;

	for (i = 0; i < NCOLS; i++) {
		v[i].kind = r->kind[i];
		v[i].s = r->buf[i];
		v[i].len = r->kind[i] == CHANGE_TEXT ? (uint32_t)strlen(r->buf[i]) : 0;
	}
}

static struct col_rel *
make_rel(void)
{
	struct col_rel *rel = xcalloc(1, sizeof(*rel));
	struct mbuf m;
	int i;

	mbuf_init(&m);
	mbuf_u32(&m, 777);
	mbuf_str(&m, "public");
	mbuf_str(&m, "rt");
	mbuf_u8(&m, 'f');
	mbuf_u16(&m, NCOLS);
	for (i = NCOLS - 1; i >= 0; i--) {	/* another order than meta's */
		mbuf_u8(&m, 0);
		mbuf_str(&m, colnames[i]);
		mbuf_u32(&m, 25);
		mbuf_i32(&m, -1);
	}
	rel->relid = 777;
	rel->version = 1;
	rel->schema = xstrdup("public");
	rel->table = xstrdup("rt");
	rel->frame = m.p;
	rel->framelen = (uint32_t)m.len;
	col_route_relation(rel);
	return rel;
}

static struct col_sub *shapes[NSHAPES];
static struct where *oracle[NSHAPES];
static unsigned char hit[NSHAPES];

static void
on_hit(struct col_sub *s, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NSHAPES; i++)
		if (shapes[i] == s) {
			ck_assert_msg(!hit[i], "shape %d reached twice", i);
			hit[i] = 1;
			return;
		}
	ck_abort_msg("a shape of another table was reached");
}

/* The relation sends columns in reverse order: reverse the tuple. */
static void
rel_tuple(struct mbuf *m, const struct rt_row *r)
{
	struct rt_row rev;
	int i;

	for (i = 0; i < NCOLS; i++) {
		memcpy(rev.buf[i], r->buf[NCOLS - 1 - i], sizeof(rev.buf[i]));
		rev.kind[i] = r->kind[NCOLS - 1 - i];
	}
	put_tuple(m, &rev);
}

START_TEST(test_index_equals_evaluation)
{
	struct meta_shape ms;
	struct col_rel *rel = make_rel();
	struct change_val ov[NCOLS], nv[NCOLS];
	struct rt_row o, n;
	struct frame f;
	struct mbuf m;
	char *err, name[32];
	int i, c, want, hits = 0, indexed = 0;
	char op;

	memset(&ms, 0, sizeof(ms));
	ms.columns = (char *)columns_json;
	ms.params = (char *)"[]";
	ms.relid = 777;
	for (i = 0; i < NSHAPES; i++) {
		snprintf(name, sizeof(name), "shape-%d", i);
		ms.handle = name;
		ms.where_text = random_where();
		shapes[i] = col_sub_add(name, "public", "rt");
		col_route_identity(shapes[i], &ms);
		ck_assert_msg(wheremeta_compile(columns_json, ms.where_text, "[]",
		    &oracle[i], &err) == 0, "%s: %s", ms.where_text, err);
		indexed += where_index_term(oracle[i]) != NULL;
		free(ms.where_text);
	}
	ck_assert_msg(indexed > NSHAPES / 2, "only %d shapes indexable", indexed);
	mbuf_init(&m);
	for (c = 0; c < NCHANGES; c++) {
		op = "IUD"[rnd(3)];
		random_row(&o, c);
		random_row(&n, rnd(4) ? c : c + 1);	/* sometimes a PK change */
		mbuf_reset(&m);
		mbuf_u32(&m, 777);
		mbuf_u8(&m, (uint8_t)op);
		mbuf_u32(&m, 0);
		mbuf_u8(&m, op != 'I');
		if (op != 'I')
			rel_tuple(&m, &o);
		mbuf_u8(&m, op != 'D');
		if (op != 'D')
			rel_tuple(&m, &n);
		memset(&f, 0, sizeof(f));
		f.type = MSG_CHANGE;
		f.data = m.p;
		f.len = (uint32_t)m.len;
		memset(hit, 0, sizeof(hit));
		ck_assert_int_eq(col_route_change(rel, &f, on_hit, NULL), 0);
		to_vals(&o, ov);
		to_vals(&n, nv);
		for (i = 0; i < NSHAPES; i++) {
			want = (op != 'D' && where_eval(oracle[i], nv)) ||
			    (op != 'I' && where_eval(oracle[i], ov));
			ck_assert_msg(hit[i] == want, "change %d (%c) shape %d (%s): "
			    "routed %d, WHERE says %d", c, op, i,
			    where_sql(oracle[i]), hit[i], want);
			hits += want;
		}
	}
	ck_assert_int_gt(hits, NCHANGES);	/* the test is not vacuous */
	mbuf_free(&m);
	for (i = 0; i < NSHAPES; i++) {
		where_free(oracle[i]);
		col_route_remove(shapes[i]);
	}
	for (i = 0; i < rel->ncols; i++)
		free(rel->colnames[i]);
	free(rel->colnames);
	free(rel->coltypes);
	free(rel->frame);
	free(rel->schema);
	free(rel->table);
	free(rel);
}
END_TEST

static void
check_cols(const char *json, const char *const *want)
{
	struct wheremeta_cols c;
	size_t i;

	ck_assert_int_eq(wheremeta_cols(json, &c), 0);
	for (i = 0; want[i] != NULL; i += 2) {
		ck_assert_uint_lt(i / 2, c.ncols);
		ck_assert_str_eq(c.cols[i / 2].name, want[i]);
		ck_assert_str_eq(c.cols[i / 2].type, want[i + 1]);
	}
	ck_assert_uint_eq(c.ncols, i / 2);
	wheremeta_cols_free(&c);
}

/* wheremeta_cols keeps the last list it parsed: each call still gets the
 * columns of its own JSON, in its own copy. */
START_TEST(test_wheremeta_cols_repeated)
{
	static const char a[] = "[{\"name\":\"id\",\"type\":\"int8\"},"
	    "{\"name\":\"d\",\"type\":\"mydomain\",\"base\":\"text\"}]";
	static const char b[] = "[{\"name\":\"k\",\"type\":\"uuid\"}]";
	static const char *const wa[] = { "id", "int8", "d", "text", NULL };
	static const char *const wb[] = { "k", "uuid", NULL };
	struct wheremeta_cols c;

	check_cols(a, wa);
	check_cols(a, wa);
	check_cols(b, wb);
	ck_assert_int_eq(wheremeta_cols("{not json", &c), -1);
	check_cols(b, wb);
	check_cols(a, wa);
}
END_TEST

Suite *
collector_route_suite(void)
{
	Suite *s = suite_create("collector_route");
	TCase *tc = tcase_create("index");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_index_equals_evaluation);
	tcase_add_test(tc, test_wheremeta_cols_repeated);
	suite_add_tcase(s, tc);
	return s;
}
