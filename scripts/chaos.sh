#!/usr/bin/env bash
# chaos.sh (make chaos, after the binaries are built): the oracle test of
# tests/e2e/oracle.test.mjs at the large size with chaos: random
# SIGKILLs of electricd processes (the root included) during a random
# workload, zero mismatches required.  Takes minutes.  Starts its own
# throwaway Postgres like check.sh.  ORACLE_SEED=N replays a run,
# ORACLE_BATCHES=N changes its length.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

(
	cd tests/e2e
	stamp=node_modules/.electricd-lock
	sum=$(sha256sum package-lock.json | cut -d' ' -f1)
	[[ -f $stamp && $(cat "$stamp") == "$sum" ]] && exit 0
	npm ci --no-audit --no-fund --loglevel=error && echo "$sum" >"$stamp"
) || { echo "make chaos: npm ci failed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/electricd-chaos.XXXXXX)
chmod 755 "$tmp"
export TEST_TMPDIR=$tmp
run_mark="chaos-$$-$RANDOM"
pgdir=$tmp/pg

# Leftover electricd processes of this run (by the marker in their
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
pgport=
for p in $(seq 55432 55460); do
	port_busy "$p" || { pgport=$p; break; }
done
if [[ -z $pgport ]] || ! scripts/pg.sh start "$pgdir" "$pgport" --fast; then
	echo "make chaos: could not start Postgres" >&2
	exit 1
fi
export TEST_DATABASE_URL=$(scripts/pg.sh url "$pgdir" "$pgport")
export ELECTRICD_BIN=$root/bin/electricd ELECTRICCTL_BIN=$root/bin/electricctl
export ORACLE_SCALE=large ORACLE_CHAOS=1
ELECTRICD_TEST_RUN=$run_mark timeout -k 10 3600 node --test --test-concurrency=1 \
	--test-timeout=3000000 tests/e2e/oracle.test.mjs
