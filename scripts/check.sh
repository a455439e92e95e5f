#!/usr/bin/env bash
# check.sh (make check, after the binaries are built): every test.
#   1. unit tests (Check, fork mode, ASan/UBSan build: bin-san/unit-tests)
#   2. the where-bench smoke run; mandoc -Tlint of the man pages
#   3. npm ci of the end-to-end test dependencies (tests/e2e), then smoke
#      runs of the benchmark scenarios at tiny sizes (node bench/run.mjs
#      --smoke: each starts its own Postgres and electricd; a failing
#      script fails the stage, a missed target does not)
#   4. one throwaway Postgres for the whole run (under /tmp, fsync off)
#   5. the WHERE differential test (bin-san/where-diff, tests/where)
#   6. the end-to-end tests: node --test, one file at a time
# Every stage runs even if an earlier one failed; the exit status is
# non-zero if any failed.  The node test runner's summary is printed last.
# E2E_FILES="a.test.mjs b.test.mjs" runs only those files;
# CHECK_STAGES="e2e" (any of unit bench man where e2e) runs only those
# stages; E2E_CAP_S / E2E_TEST_TIMEOUT_MS change the end-to-end time limits
# (scripts/chaos.sh uses all three).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
failed=()

stage() { printf '\n==> %s\n' "$*"; }
stages=" ${CHECK_STAGES:-unit bench man where e2e} "
want() { [[ $stages == *" $1 "* ]]; }

if want unit; then
	stage "unit tests (bin-san/unit-tests)"
	if [[ -x bin-san/unit-tests ]]; then
		CK_FORK=yes bin-san/unit-tests || failed+=(unit)
	else
		echo "bin-san/unit-tests is missing"; failed+=(unit)
	fi
fi

if want bench; then
	stage "benchmark smoke runs (bench/, tiny sizes)"
	bin/where-bench 1000 0.05 || failed+=(bench)
fi

if want man; then
	stage "mandoc -Tlint man/*.8"
	mandoc -Tlint -Wwarning man/*.8 || failed+=(man)
fi

stage "npm ci (tests/e2e)"
e2e_ready=1
(
	cd tests/e2e
	stamp=node_modules/.electricd-lock
	sum=$(sha256sum package-lock.json | cut -d' ' -f1)
	if [[ -f $stamp && $(cat "$stamp") == "$sum" ]]; then
		echo "node_modules up to date"
		exit 0
	fi
	npm ci --no-audit --no-fund --loglevel=error && echo "$sum" >"$stamp"
) || { failed+=(npm); e2e_ready=0; }

if want bench; then
	stage "benchmark scenario smoke runs (node bench/run.mjs --smoke)"
	if ((e2e_ready)); then
		BENCH_TMPDIR=${TMPDIR:-/tmp} timeout -k 10 600 \
			node bench/run.mjs --smoke || failed+=(bench-smoke)
	else
		echo "skipped: npm ci failed"; failed+=(bench-smoke)
	fi
fi

tmp=$(mktemp -d /tmp/electricd-check.XXXXXX)
chmod 755 "$tmp"
export TEST_TMPDIR=$tmp
# Given to node only (the tests put it into electricd's environment), so
# that finish() can find an electricd a crashed test run left behind.
run_mark="check-$$-$RANDOM"
pgdir=$tmp/pg

# Safety net: leftover electricd processes (found by the marker in their
# environment), then the cluster, then the scratch directory.
finish() {
	local p
	for p in /proc/[0-9]*; do
		if grep -qxz "ELECTRICD_TEST_RUN=$run_mark" \
			"$p/environ" 2>/dev/null; then
			kill -KILL "${p#/proc/}" 2>/dev/null
		fi
	done
	scripts/pg.sh stop "$pgdir" >/dev/null 2>&1
	[[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stage "throwaway Postgres"
pgport=
for p in $(seq 55432 55460); do
	port_busy "$p" || { pgport=$p; break; }
done
if [[ -z $pgport ]] || ! scripts/pg.sh start "$pgdir" "$pgport" --fast; then
	echo "could not start Postgres"; failed+=(postgres); e2e_ready=0
else
	TEST_DATABASE_URL=$(scripts/pg.sh url "$pgdir" "$pgport")
	export TEST_DATABASE_URL
	echo "TEST_DATABASE_URL=$TEST_DATABASE_URL"
fi

want where && stage "WHERE differential test (tests/where)"
# Every clause of tests/where/clauses.txt against Postgres, row by row
# (the ASan/UBSan build when there is one: hostile rows meet the
# evaluator here); prints only failures and the summary.
wd=bin-san/where-diff
[[ -x $wd ]] || wd=bin/where-diff
if ! want where; then
	:
elif [[ -z ${TEST_DATABASE_URL:-} ]]; then
	echo "skipped: no Postgres"; failed+=(where-diff)
elif [[ ! -x $wd ]]; then
	echo "$wd is missing"; failed+=(where-diff)
else
	# UBSan reports do not stop the run; any of them fails the stage.
	wd_ok=1
	UBSAN_OPTIONS=print_stacktrace=1 timeout -k 5 120 "$wd" \
		"$TEST_DATABASE_URL" 2>"$tmp/where-diff.err" || wd_ok=0
	cat "$tmp/where-diff.err" >&2
	if grep -q 'runtime error' "$tmp/where-diff.err"; then
		echo "where-diff: undefined behaviour (see above)"
		wd_ok=0
	fi
	((wd_ok)) || failed+=(where-diff)
fi

want e2e && stage "end-to-end tests (tests/e2e)"
if ! want e2e; then
	:
elif ((e2e_ready)); then
	files=()
	for f in ${E2E_FILES:-tests/e2e/*.test.mjs}; do
		[[ -f $f ]] || f=tests/e2e/$f
		files+=("$f")
	done
	export ELECTRICD_BIN=$root/bin/electricd ELECTRICCTL_BIN=$root/bin/electricctl
	# One file at a time (they share the machine's two cores and the
	# cluster); each test has its own timeout, the whole run a hard cap.
	ELECTRICD_TEST_RUN=$run_mark timeout -k 10 "${E2E_CAP_S:-780}" \
		node --test --test-concurrency=1 \
		--test-timeout="${E2E_TEST_TIMEOUT_MS:-180000}" "${files[@]}" ||
		failed+=(e2e)
else
	echo "skipped: the stages above failed"
fi

if ((${#failed[@]})); then
	echo "make check: FAILED: ${failed[*]}" >&2
	exit 1
fi
