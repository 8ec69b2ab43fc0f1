#!/bin/sh
# pg.sh: a private PostgreSQL cluster on a unix socket.
#   pg.sh start DIR [PORT] [--durable]   init (once) and start; prints the conninfo
#   pg.sh stop DIR                       stop (immediate)
#   pg.sh url DIR [PORT]                 the conninfo for programs and ttctl
# As root the server runs as the "postgres" user (initdb refuses root).
set -eu

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
cmd=$1; dir=$2; port=${3:-5432}
durable=0; [ "${4:-}" = "--durable" ] && durable=1

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
stop)
	[ -f "$dir/data/postmaster.pid" ] &&
	    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m "${PGSTOP_MODE:-fast}" -w stop >/dev/null 2>&1 || true
	;;
url)
	url
	;;
*)
	echo "usage: pg.sh start|stop|url DIR [PORT]" >&2
	exit 2
	;;
esac
