#!/usr/bin/env bash
# pg.sh: a throwaway Postgres cluster for make run and make check.
#
#   scripts/pg.sh start DIR PORT [--fast]   initdb if needed, start, wait
#   scripts/pg.sh stop DIR                  fast shutdown (no-op if down)
#   scripts/pg.sh status DIR                exit 0 iff running
#   scripts/pg.sh url DIR PORT              print the connection URL
#
# DIR holds the data directory (DIR/data), the server log (DIR/log) and
# the Unix socket.  The cluster trusts local connections, listens on
# 127.0.0.1:PORT only and is set up for logical replication (wal_level =
# logical).  --fast turns fsync and synchronous_commit off (test clusters:
# a crash may lose data, which tests never rely on).  Postgres refuses to
# run as root: as root, DIR is given to user postgres and every server
# command runs through runuser; otherwise it runs as the current user.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

pg_bindir() {
	local d
	d=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[[ -n $d && -x $d/initdb ]] ||
		die "no Postgres server found under /usr/lib/postgresql (run scripts/deps.sh)"
	echo "$d"
}

# as_pg CMD...: run a server command as the cluster's owner.
as_pg() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_prepare_dir() {
	local dir=$1
	mkdir -p "$dir"
	if [[ $(id -u) -eq 0 ]]; then
		chown postgres:postgres "$dir"
		[[ ! -d $dir/data ]] || chown -R postgres:postgres "$dir/data"
		runuser -u postgres -- test -w "$dir" ||
			die "user postgres cannot reach $dir (a parent directory is not" \
			    "searchable by it); use a directory under /tmp"
	fi
}

pg_initdb() {
	local dir=$1 bin=$2 loc=C.UTF-8
	[[ -f $dir/data/PG_VERSION ]] && return 0
	locale -a 2>/dev/null | grep -qix 'c.utf-\?8' || loc=C
	as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync \
		-E UTF8 --locale="$loc" >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2; die "initdb failed"; }
	echo "include_if_exists = 'electricd.conf'" >>"$dir/data/postgresql.conf"
}

# The settings that may change between starts live in electricd.conf,
# rewritten at every start.
pg_write_conf() {
	local dir=$1 port=$2 fast=$3 sock
	sock=$dir
	# A Unix socket path is limited to 107 bytes; fall back to TCP only.
	((${#sock} < 80)) || sock=
	as_pg tee "$dir/data/electricd.conf" >/dev/null <<CONF
# written by scripts/pg.sh at every start
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 200
fsync = $([[ $fast == 1 ]] && echo off || echo on)
synchronous_commit = $([[ $fast == 1 ]] && echo off || echo on)
full_page_writes = $([[ $fast == 1 ]] && echo off || echo on)
CONF
}

pg_running() {
	local bin
	bin=$(pg_bindir)
	[[ -f $1/data/PG_VERSION ]] && as_pg "$bin/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

cmd_start() {
	local dir port fast=0 bin i
	[[ $# -ge 2 ]] || die "usage: pg.sh start DIR PORT [--fast]"
	dir=$(realpath -m "$1"); port=$2
	[[ ${3:-} == --fast ]] && fast=1
	[[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"
	bin=$(pg_bindir)
	pg_prepare_dir "$dir"
	if pg_running "$dir"; then
		echo "pg.sh: already running in $dir" >&2
		return 0
	fi
	pg_initdb "$dir" "$bin"
	pg_write_conf "$dir" "$port" "$fast"
	# setsid: the server gets its own session, so a Ctrl-C typed at the
	# terminal of `make run` does not reach it; run.sh stops it in order.
	as_pg setsid -w "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start \
		>/dev/null || { tail -n 20 "$dir/log" >&2; die "could not start Postgres in $dir"; }
	for ((i = 0; i < 300; i++)); do
		"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
		sleep 0.1
	done
	tail -n 20 "$dir/log" >&2
	die "Postgres in $dir is not accepting connections on port $port"
}

cmd_stop() {
	local dir bin
	[[ $# -ge 1 ]] || die "usage: pg.sh stop DIR"
	dir=$(realpath -m "$1")
	bin=$(pg_bindir)
	pg_running "$dir" || return 0
	as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

cmd_url() {
	[[ $# -ge 2 ]] || die "usage: pg.sh url DIR PORT"
	echo "postgresql://postgres@127.0.0.1:$2/postgres"
}

case ${1:-} in
start)	shift; cmd_start "$@" ;;
stop)	shift; cmd_stop "$@" ;;
status)	shift; [[ $# -ge 1 ]] || die "usage: pg.sh status DIR"
	pg_running "$(realpath -m "$1")" ;;
url)	shift; cmd_url "$@" ;;
*)	die "usage: pg.sh start DIR PORT [--fast] | stop DIR | status DIR | url DIR PORT" ;;
esac
