#!/bin/sh
# pg.sh: a private PostgreSQL cluster on a unix socket.
#   pg.sh start DIR [PORT] [--durable] [--primary]
#                              init (once) and start; prints the conninfo.
#                              --primary: ready to stream to standbys and
#                              to be rewound (wal_log_hints, WAL kept)
#   pg.sh stop DIR             stop (fast; PGSTOP_MODE=immediate to crash it)
#   pg.sh url DIR [PORT]       the conninfo for programs and ttctl
# Streaming replication (the primary started with --primary; every
# cluster listens on DIR/run only, trust auth, replication included):
#   pg.sh standby DIR PORT PRIMARY_DIR PRIMARY_PORT [--sync]
#                              a hot standby cloned with pg_basebackup -R
#                              over the primary's socket, started; returns
#                              once it streams. --sync: then made the
#                              primary's synchronous standby (a commit is
#                              acknowledged once the standby flushed it)
#   pg.sh promote DIR          promote a standby; returns once it writes
#   pg.sh rewind DIR PORT NEW_PRIMARY_DIR NEW_PRIMARY_PORT [--sync]
#                              a former primary (stopped, crashed or still
#                              running: it is stopped) rewound onto the new
#                              primary with pg_rewind, started as its
#                              standby; --sync as for standby
#   pg.sh sync DIR PORT on|off the cluster's synchronous_standby_names: '*'
#                              (on: returns once a standby is synchronous)
#                              or '' (commits no longer wait)
#   pg.sh crash DIR            kill -9 of the postmaster and its children,
#                              as when the machine dies
# A clone (standby, rewind) never inherits synchronous_standby_names:
# promoted, it would otherwise wait for a standby that is not there.
# As root the server runs as the "postgres" user (initdb refuses root).
set -eu

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
cmd=$1; dir=$2; port=${3:-5432}
pdir=${4:-} pport=${5:-}
durable=0; primary=0; sync=0
for o in "$@"; do
	case $o in
	--durable) durable=1 ;;
	--primary) primary=1 ;;
	--sync) sync=1 ;;
	esac
done

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

url() {
	echo "host=$dir/run port=$port user=terrateam dbname=terrateam"
}

# sql DIR PORT SQL...: runs each statement against the cluster in DIR.
sql() {
	_d=$1 _p=$2; shift 2
	for _s in "$@"; do
		as_pg "$PGBIN/psql" -h "$_d/run" -p "$_p" -U terrateam -d postgres \
		    -Atqc "$_s"
	done
}

# wait_for DIR PORT SQL: until the query prints t (30 s at most).
wait_for() {
	_i=0
	while [ "$(sql "$1" "$2" "$3" 2>/dev/null)" != t ]; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] && { echo "pg.sh: $1: timed out waiting for: $3" >&2; return 1; }
		sleep 0.1
	done
}

run_dir() {
	mkdir -p "$dir/run"
	chmod 755 "$dir" "$dir/run"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir/run"
	touch "$dir/pg.log"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg.log"
	return 0
}

pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/pg.log" \
	    -w -t 30 start >/dev/null
}

# clone_conf: a copied data directory (pg_basebackup, pg_rewind copy the
# configuration too) made this cluster's own: its socket directory, and
# no synchronous standby of its own.
clone_conf() {
	cat >>"$dir/data/postgresql.conf" <<CONF
# $(basename "$dir")'s own (pg.sh clone_conf)
unix_socket_directories = '$dir/run'
cluster_name = '$(basename "$dir")'
hot_standby = on
CONF
	as_pg sed -i '/^synchronous_standby_names/d' "$dir/data/postgresql.auto.conf"
}

# streaming [--sync]: waits until this standby streams from its primary
# (PRIMARY_DIR, PRIMARY_PORT), then with --sync makes it synchronous.
streaming() {
	wait_for "$dir" "$port" "SELECT count(*) > 0 FROM pg_stat_wal_receiver WHERE status = 'streaming'"
	[ $sync = 1 ] || return 0
	set_sync "$pdir" "$pport" on
}

# set_sync DIR PORT on|off
set_sync() {
	case $3 in
	on)	sql "$1" "$2" "ALTER SYSTEM SET synchronous_standby_names = '*'" \
		    "SELECT pg_reload_conf()" >/dev/null
		wait_for "$1" "$2" "SELECT count(*) > 0 FROM pg_stat_replication WHERE sync_state = 'sync'" ;;
	off)	sql "$1" "$2" "ALTER SYSTEM SET synchronous_standby_names = ''" \
		    "SELECT pg_reload_conf()" >/dev/null ;;
	*)	echo "pg.sh sync: on or off" >&2; return 2 ;;
	esac
}

case $cmd in
start)
	mkdir -p "$dir/run"
	chmod 755 "$dir" "$dir/run"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir/run"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data"
		[ "$(id -u)" -eq 0 ] && chown postgres "$dir/data"
		as_pg "$PGBIN/initdb" -D "$dir/data" -U terrateam \
		    --auth=trust -E UTF8 --locale=C.UTF-8 $( [ $durable = 1 ] || echo --no-sync ) >"$dir/initdb.log" 2>&1 ||
		    { cat "$dir/initdb.log" >&2; exit 1; }
		cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0777
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
log_line_prefix = '%m [%p] %a '
CONF
		[ $durable = 1 ] || cat >>"$dir/data/postgresql.conf" <<CONF
log_statement = 'all'
CONF
		[ $durable = 1 ] || cat >>"$dir/data/postgresql.conf" <<CONF
fsync = off
full_page_writes = off
CONF
		# pg_rewind needs hint bits WAL-logged; a standby that was
		# away a while catches up from the WAL kept.
		if [ $primary = 1 ]; then
			cat >>"$dir/data/postgresql.conf" <<CONF
wal_log_hints = on
wal_keep_size = '256MB'
CONF
		fi
	fi
	touch "$dir/pg.log"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg.log"
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/pg.log" \
	    -w -t 30 start >/dev/null
	as_pg "$PGBIN/psql" -h "$dir/run" -p "$port" -U terrateam -d postgres \
	    -Atqc "SELECT 1 FROM pg_database WHERE datname='terrateam'" |
	    grep -q 1 || as_pg "$PGBIN/createdb" -h "$dir/run" -p "$port" \
	    -U terrateam terrateam
	url
	;;
standby)
	run_dir
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data"
		chmod 700 "$dir/data"
		[ "$(id -u)" -eq 0 ] && chown postgres "$dir/data"
		as_pg "$PGBIN/pg_basebackup" -D "$dir/data" -h "$pdir/run" \
		    -p "$pport" -U terrateam -R -X stream -c fast \
		    >"$dir/basebackup.log" 2>&1 ||
		    { cat "$dir/basebackup.log" >&2; exit 1; }
		clone_conf
	fi
	pg_start
	streaming
	url
	;;
promote)
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -w -t 60 promote >/dev/null
	;;
rewind)
	run_dir
	[ -f "$dir/data/postmaster.pid" ] &&
	    { as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; }
	# A just promoted primary names its new timeline in pg_control only
	# after a checkpoint (PostgreSQL 15's pg_rewind reads it there).
	sql "$pdir" "$pport" CHECKPOINT
	as_pg "$PGBIN/pg_rewind" -D "$dir/data" -R --source-server \
	    "host=$pdir/run port=$pport user=terrateam dbname=postgres" \
	    >"$dir/rewind.log" 2>&1 || { cat "$dir/rewind.log" >&2; exit 1; }
	clone_conf
	pg_start
	streaming
	url
	;;
sync)
	set_sync "$dir" "$port" "${4:-}"
	;;
crash)
	pid=$(head -1 "$dir/data/postmaster.pid")
	# shellcheck disable=SC2046 # a list of process ids
	kill -9 "$pid" $(pgrep -P "$pid") 2>/dev/null || true
	# (gone, or a zombie no one reaps: pg_ctl's child is reparented)
	i=0
	while [ $i -lt 50 ]; do
		case $(ps -o stat= -p "$pid" 2>/dev/null) in
		''|Z*) break ;;
		esac
		sleep 0.02; i=$((i + 1))
	done
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] &&
	    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m "${PGSTOP_MODE:-fast}" -w stop >/dev/null 2>&1 || true
	;;
url)
	url
	;;
*)
	echo "usage: pg.sh start|stop|url|standby|promote|rewind|sync|crash DIR [PORT] ..." >&2
	exit 2
	;;
esac
