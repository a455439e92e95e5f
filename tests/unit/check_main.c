/*
 * check_main: the unit-test runner.  Every suite is declared weak, so the
 * binary links whichever test_<module>.c files exist and runs those whose
 * symbol resolved.  Adding a suite is one line in UNIT_SUITES.
 *
 * Usage: unit-tests [SUITE...]   (no argument: every suite)
 * Tests run in fork mode unless CK_FORK is set in the environment;
 * CK_VERBOSITY, CK_RUN_SUITE and CK_RUN_CASE work as Check documents.
 * Exit status: 0 if every test passed, 1 otherwise, 2 for an unknown name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#define UNIT_SUITES(X)							\
	X(frame) X(chan) X(offset) X(util) X(config) X(ctl) X(pgoutput)	\
	X(shapelog) X(shapelog_damage) X(change) X(http_params) X(meta) X(collector)	\
	X(pool) X(subset) X(consumer) X(http_sse) X(http_admit) X(http_body) \
	X(where_val)	\
	X(where)	\
	X(shapedef) X(collector_route) X(identity) X(http_metrics) X(htab) X(pgwire)

#define UNIT_DECLARE(name) extern Suite *name##_suite(void) __attribute__((weak));
UNIT_SUITES(UNIT_DECLARE)

static const struct unit_suite {
	const char	*name;
	Suite		*(*fn)(void);
} unit_suites[] = {
#define UNIT_ENTRY(name) { #name, name##_suite },
	UNIT_SUITES(UNIT_ENTRY)
};
#define UNIT_N (sizeof(unit_suites) / sizeof(unit_suites[0]))

static int
unit_wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int
unit_check_args(int argc, char **argv)
{
	size_t j;
	int i;

	for (i = 1; i < argc; i++) {
		for (j = 0; j < UNIT_N; j++)
			if (strcmp(argv[i], unit_suites[j].name) == 0)
				break;
		if (j == UNIT_N) {
			fprintf(stderr, "unit-tests: unknown suite \"%s\"\n",
			    argv[i]);
			return -1;
		}
		if (unit_suites[j].fn == NULL)
			fprintf(stderr, "unit-tests: suite \"%s\" is not "
			    "linked in\n", argv[i]);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	SRunner *sr = NULL;
	size_t i;
	int failed;

	if (unit_check_args(argc, argv) == -1)
		return 2;
	for (i = 0; i < UNIT_N; i++) {
		if (unit_suites[i].fn == NULL ||
		    !unit_wanted(unit_suites[i].name, argc, argv))
			continue;
		if (sr == NULL)
			sr = srunner_create(unit_suites[i].fn());
		else
			srunner_add_suite(sr, unit_suites[i].fn());
	}
	if (sr == NULL) {
		fprintf(stderr, "unit-tests: no suite to run\n");
		return 1;
	}
	if (getenv("CK_FORK") == NULL)
		srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
