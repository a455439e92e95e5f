/*
 * test_http_admit: admission-control counting (http/admit.c, PROTOCOL.md
 * §15): separate limits per class, refusals count nothing, releases free
 * exactly one slot, the exact 503 bodies and the retry-after range; and
 * the release-once rule of an hreq's slot.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "admit.h"

Suite *http_admit_suite(void);

START_TEST(test_limits)
{
	struct admit a;
	int i;

	admit_init(&a, 2, 3);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), 0);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), 0);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), -1);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), -1);
	ck_assert_uint_eq(a.inflight[ADMIT_INITIAL], 2);
	/* the other class is unaffected */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(admit_try(&a, ADMIT_EXISTING), 0);
	ck_assert_int_eq(admit_try(&a, ADMIT_EXISTING), -1);
	ck_assert_uint_eq(a.inflight[ADMIT_EXISTING], 3);
	/* a release frees exactly one slot of its class */
	admit_release(&a, ADMIT_INITIAL);
	ck_assert_uint_eq(a.inflight[ADMIT_INITIAL], 1);
	ck_assert_int_eq(admit_try(&a, ADMIT_EXISTING), -1);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), 0);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), -1);
	/* ADMIT_NONE is never counted nor refused */
	ck_assert_int_eq(admit_try(&a, ADMIT_NONE), 0);
	admit_release(&a, ADMIT_NONE);
	ck_assert_uint_eq(a.inflight[ADMIT_INITIAL], 2);
	ck_assert_uint_eq(a.inflight[ADMIT_EXISTING], 3);
	/* draining to zero, and an extra release does not underflow */
	for (i = 0; i < 3; i++)
		admit_release(&a, ADMIT_EXISTING);
	admit_release(&a, ADMIT_EXISTING);
	ck_assert_uint_eq(a.inflight[ADMIT_EXISTING], 0);
	ck_assert_int_eq(admit_try(&a, ADMIT_EXISTING), 0);
}
END_TEST

START_TEST(test_zero_limit)
{
	struct admit a;

	admit_init(&a, 0, 1);
	ck_assert_int_eq(admit_try(&a, ADMIT_INITIAL), -1);
	ck_assert_int_eq(admit_try(&a, ADMIT_EXISTING), 0);
	ck_assert_int_eq(admit_try(&a, ADMIT_EXISTING), -1);
}
END_TEST

START_TEST(test_body)
{
	struct admit a;
	char *b;

	admit_init(&a, 300, 10000);
	b = admit_body(&a, ADMIT_INITIAL);
	ck_assert_str_eq(b, "{\"code\":\"concurrent_request_limit_exceeded\","
	    "\"message\":\"Concurrent initial request limit exceeded (limit: "
	    "300), please retry\"}");
	free(b);
	b = admit_body(&a, ADMIT_EXISTING);
	ck_assert_str_eq(b, "{\"code\":\"concurrent_request_limit_exceeded\","
	    "\"message\":\"Concurrent existing request limit exceeded (limit: "
	    "10000), please retry\"}");
	free(b);
}
END_TEST

START_TEST(test_retry_after)
{
	int seen[11] = { 0 }, v;
	uint32_t r;

	for (r = 0; r < 1000; r++) {
		v = admit_retry_after(r * 2654435761u);
		ck_assert_int_ge(v, 5);
		ck_assert_int_le(v, 10);
		seen[v]++;
	}
	for (v = 5; v <= 10; v++)
		ck_assert_int_gt(seen[v], 0);
}
END_TEST

Suite *
http_admit_suite(void)
{
	Suite *s = suite_create("http_admit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_zero_limit);
	tcase_add_test(tc, test_body);
	tcase_add_test(tc, test_retry_after);
	suite_add_tcase(s, tc);
	return s;
}
