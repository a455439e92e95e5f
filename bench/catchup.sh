#!/usr/bin/env bash
# catchup.sh: runs bench/catchup.mjs against a private throwaway Postgres
# and a private electricd (default settings, insecure), then stops both.
# Not part of make check.
#   bench/catchup.sh [seconds per case]      (default 10)
# Needs bin/electricd (make), the e2e node modules (installed here if
# missing) and, for the best numbers, wrk (apt-get install wrk; without it
# a node keep-alive loop generates the load).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

[[ -x bin/electricd ]] || { echo "bin/electricd is missing: run make" >&2; exit 1; }
[[ -d tests/e2e/node_modules/pg ]] ||
	(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

tmp=$(mktemp -d /tmp/electricd-bench.XXXXXX)
chmod 755 "$tmp"
pid=
finish() {
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	fi
	scripts/pg.sh stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p
	for p in $(seq "$1" "$2"); do
		port_busy "$p" || { echo "$p"; return 0; }
	done
	return 1
}

pgport=$(free_port 55470 55499) || { echo "no free Postgres port" >&2; exit 1; }
scripts/pg.sh start "$tmp/pg" "$pgport" --fast >/dev/null
dburl=$(scripts/pg.sh url "$tmp/pg" "$pgport")
port=$(free_port 38470 38499) || { echo "no free HTTP port" >&2; exit 1; }

env DATABASE_URL="$dburl" ELECTRIC_INSECURE=true ELECTRIC_PORT="$port" \
	ELECTRIC_STORAGE_DIR="$tmp/storage" ELECTRIC_LOG_LEVEL=warning \
	"$root/bin/electricd" >"$tmp/electricd.log" 2>&1 &
pid=$!

node bench/catchup.mjs "http://127.0.0.1:$port" "$dburl" "${1:-10}" || {
	echo "--- electricd log ---" >&2; tail -n 30 "$tmp/electricd.log" >&2; exit 1; }
