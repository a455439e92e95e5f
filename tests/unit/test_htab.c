/*
 * test_htab: the hash table of common/htab.h against a plain array model
 * (insert, replace, delete, growth, binary keys, deletion while
 * iterating).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "htab.h"

Suite *htab_suite(void);

#define HT_N 5000

START_TEST(test_htab_basic)
{
	struct htab h;
	int a = 1, b = 2;

	htab_init(&h);
	ck_assert_ptr_null(htab_gets(&h, "x"));
	ck_assert_ptr_null(htab_dels(&h, "x"));
	ck_assert_ptr_null(htab_puts(&h, "x", &a));
	ck_assert_ptr_eq(htab_gets(&h, "x"), &a);
	ck_assert_ptr_eq(htab_puts(&h, "x", &b), &a);	/* replace */
	ck_assert_uint_eq(htab_count(&h), 1);
	ck_assert_ptr_eq(htab_gets(&h, "x"), &b);
	ck_assert_ptr_null(htab_gets(&h, "xx"));
	ck_assert_ptr_null(htab_gets(&h, ""));
	ck_assert_ptr_null(htab_puts(&h, "", &a));	/* empty key */
	ck_assert_ptr_eq(htab_gets(&h, ""), &a);
	ck_assert_ptr_eq(htab_dels(&h, "x"), &b);
	ck_assert_ptr_null(htab_gets(&h, "x"));
	ck_assert_uint_eq(htab_count(&h), 1);
	htab_free(&h);
	ck_assert_uint_eq(htab_count(&h), 0);
}
END_TEST

/* Many keys, every other one deleted, growth in between: the table
 * agrees with the model at the end and iteration sees each value once. */
START_TEST(test_htab_model)
{
	static char keys[HT_N][16];
	static int present[HT_N], seen[HT_N];
	struct htab_iter it;
	struct htab h;
	int *v, i, n = 0;

	htab_init(&h);
	for (i = 0; i < HT_N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i * 7919);
		ck_assert_ptr_null(htab_puts(&h, keys[i], keys[i]));
		present[i] = 1;
		if (i % 3 == 0 && i > 0) {
			ck_assert_ptr_eq(htab_dels(&h, keys[i / 2]),
			    present[i / 2] ? keys[i / 2] : NULL);
			present[i / 2] = 0;
		}
	}
	for (i = 0; i < HT_N; i++) {
		ck_assert_ptr_eq(htab_gets(&h, keys[i]), present[i] ? keys[i] : NULL);
		n += present[i];
	}
	ck_assert_uint_eq(htab_count(&h), (size_t)n);
	memset(seen, 0, sizeof(seen));
	htab_iter_init(&it, &h);
	while ((v = htab_next(&it)) != NULL) {
		i = (int)(((char (*)[16])(void *)v) - keys);
		ck_assert(present[i] && !seen[i]);
		seen[i] = 1;
		n--;
	}
	ck_assert_int_eq(n, 0);
	htab_free(&h);
}
END_TEST

/* Binary keys (the address of a field, a pid) and deleting the current
 * entry while iterating. */
START_TEST(test_htab_binary_iter_delete)
{
	struct htab_iter it;
	struct htab h;
	int pids[100], i, *p, n = 0;

	htab_init(&h);
	for (i = 0; i < 100; i++) {
		pids[i] = i * 65536;	/* only high bytes differ */
		htab_put(&h, &pids[i], sizeof(pids[i]), &pids[i]);
	}
	i = 4 * 65536;
	ck_assert_ptr_eq(htab_get(&h, &i, sizeof(i)), &pids[4]);
	htab_iter_init(&it, &h);
	while ((p = htab_next(&it)) != NULL) {
		if ((*p / 65536) % 2 == 0)
			ck_assert_ptr_eq(htab_del(&h, p, sizeof(*p)), p);
		n++;
	}
	ck_assert_int_eq(n, 100);
	ck_assert_uint_eq(htab_count(&h), 50);
	for (i = 0; i < 100; i++)
		ck_assert_ptr_eq(htab_get(&h, &pids[i], sizeof(int)),
		    i % 2 ? &pids[i] : NULL);
	htab_free(&h);
}
END_TEST

Suite *
htab_suite(void)
{
	Suite *s = suite_create("htab");
	TCase *tc = tcase_create("htab");

	tcase_add_test(tc, test_htab_basic);
	tcase_add_test(tc, test_htab_model);
	tcase_add_test(tc, test_htab_binary_iter_delete);
	suite_add_tcase(s, tc);
	return s;
}
