#!/usr/bin/env bash
# deps.sh: install the Debian packages electricd needs to build, run and be
# tested (make deps; also run by make run / make check).  Fast path: when
# everything is installed it only asks dpkg and exits 0.  Node.js and npm
# may come from outside Debian (e.g. an image that ships them): if `node`
# and `npm` are on PATH their packages are not required.
set -euo pipefail

# sqlite3: tests/e2e/scale_restart copies meta.db rows.
# gnuplot-nox: the benchmarks' sweep plots (bench/run.mjs); nginx-light, wrk:
# the static-file and caching-proxy baselines of bench/ (make check runs
# every scenario at smoke size).
pkgs=(gcc make pkg-config libpq-dev libevent-dev libjansson-dev
      libsqlite3-dev libpg-query-dev check postgresql mandoc curl procps
      gnuplot-nox nginx-light wrk sqlite3)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm  >/dev/null 2>&1 || pkgs+=(npm)

# One dpkg-query for all: "<name> <status>" per known package.
declare -A ok=()
while read -r name want flag state; do
	[[ "$want $flag $state" == "install ok installed" ]] && ok[$name]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
missing=()
for p in "${pkgs[@]}"; do
	[[ -n ${ok[$p]:-} ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "deps: installing missing packages: ${missing[*]}" >&2
install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y
         --no-install-recommends "${missing[@]}")
if [[ $(id -u) -eq 0 ]]; then
	apt-get update -qq
	"${install[@]}"
elif command -v sudo >/dev/null 2>&1; then
	sudo apt-get update -qq
	sudo "${install[@]}"
else
	echo "deps: not root and no sudo; run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
