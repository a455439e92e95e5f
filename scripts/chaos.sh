#!/usr/bin/env bash
# chaos.sh (make chaos, after the binaries are built): the oracle test of
# tests/e2e/oracle.test.mjs at the large size with chaos: random
# SIGKILLs of electricd processes (the root included) during a random
# workload, zero mismatches required; then tests/e2e/supervision_stress.mjs,
# rounds of SIGKILL of every role under a steady writer, every row once
# and in order after each round.  Takes minutes.  check.sh provides
# the node modules, the throwaway Postgres and the clean-up; only its
# end-to-end stage runs.  ORACLE_SEED=N replays a run, ORACLE_BATCHES=N
# changes its length.
cd "$(dirname "$0")/.." || exit 1
export ORACLE_SCALE=large ORACLE_CHAOS=1
CHECK_STAGES=e2e E2E_FILES="oracle.test.mjs supervision_stress.mjs" E2E_CAP_S=3600 \
	E2E_TEST_TIMEOUT_MS=3000000 exec scripts/check.sh
