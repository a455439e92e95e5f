#!/usr/bin/env bash
# run.sh (make run): run electricd in the foreground.
#
# Without DATABASE_URL, a private Postgres cluster is kept in .local/pg
# (port ELECTRICD_PG_PORT, default 54321), started if it is not running,
# given a demo table `items` the first time, and stopped after electricd
# when you press Ctrl-C.  With DATABASE_URL set, no cluster is started.
# Defaults: ELECTRIC_INSECURE=true unless ELECTRIC_SECRET is set,
# ELECTRIC_STORAGE_DIR=./persistent.  Other ELECTRIC_* variables pass
# through (see electricd --help).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/bin/electricd
[[ -x $bin ]] || { echo "run.sh: $bin not built (run make)" >&2; exit 1; }

private_pg=
pgdir=$root/.local/pg

# Postgres runs as user postgres when we are root: it must be able to
# reach the cluster directory; if the checkout is not searchable by it
# (e.g. under /root), keep the cluster under /tmp instead.
pick_pgdir() {
	mkdir -p "$pgdir"
	if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$pgdir"; then
		pgdir=/tmp/electricd-run-pg-$(printf '%s' "$root" | cksum | cut -d' ' -f1)
		echo "run.sh: $root is not reachable by user postgres; cluster in $pgdir" >&2
	fi
}

demo_table() {
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$
BEGIN
	IF to_regclass('public.items') IS NULL THEN
		CREATE TABLE public.items (id int PRIMARY KEY, title text, done bool);
		INSERT INTO public.items VALUES (1, 'first item', false),
		                                (2, 'second item', true);
	END IF;
END
$$;
SQL
}

# A closed terminal or pipe must not kill us before the cleanup below.
trap '' PIPE

stop_private_pg() {
	[[ -n $private_pg ]] || return 0
	echo "run.sh: stopping the private Postgres cluster ($pgdir)" >&2 || true
	scripts/pg.sh stop "$pgdir" || true
	private_pg=
}

pid=
trap 'stop_private_pg' EXIT
if [[ -z ${DATABASE_URL:-} ]]; then
	pick_pgdir
	port=${ELECTRICD_PG_PORT:-54321}
	scripts/pg.sh start "$pgdir" "$port"
	private_pg=1
	DATABASE_URL=$(scripts/pg.sh url "$pgdir" "$port")
	export DATABASE_URL
	demo_table
fi

if [[ -z ${ELECTRIC_SECRET:-} ]]; then
	export ELECTRIC_INSECURE=${ELECTRIC_INSECURE:-true}
fi
export ELECTRIC_STORAGE_DIR=${ELECTRIC_STORAGE_DIR:-./persistent}

http_port=${ELECTRIC_PORT:-3000}
secret_q=
[[ -n ${ELECTRIC_SECRET:-} ]] && secret_q="&secret=$ELECTRIC_SECRET"
cat <<MSG
electricd: http://localhost:$http_port   (Postgres: $DATABASE_URL)
storage:   $ELECTRIC_STORAGE_DIR
try:       curl -i 'http://localhost:$http_port/v1/shape?table=items&offset=-1$secret_q'
status:    bin/electricctl -d $ELECTRIC_STORAGE_DIR status
stop:      Ctrl-C
MSG

# electricd gets its own session so that exactly one stop signal reaches
# it (ours, below) and it can stop its children in order; the private
# cluster is stopped only after electricd has exited.
setsid "$bin" &
pid=$!
# shellcheck disable=SC2317  # called from traps
stop_electricd() { kill -TERM "$pid" 2>/dev/null || true; }
trap stop_electricd INT TERM HUP
# Whatever ends this script, electricd stops before the private cluster.
trap 'stop_electricd; wait "$pid" 2>/dev/null; stop_private_pg' EXIT
# wait returns early (> 128) whenever a trapped signal arrives.
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid" || true
done
trap - INT TERM HUP
wait "$pid" 2>/dev/null && status=0 || status=$?
echo "run.sh: electricd exited (status $status)" >&2 || true
stop_private_pg
exit "$status"
