#!/bin/sh
# pgbouncer.sh: Debian's PgBouncer in front of a pg.sh cluster, as
# docs/OPERATIONS.md (section 8, PgBouncer) configures it, for the
# database cases and `make bench`.
#   pgbouncer.sh start DIR PG_DIR PG_PORT PORT MODE POOL [IGNORE]
#       PgBouncer in DIR, listening on 127.0.0.1:PORT and on a socket in
#       DIR, in front of the cluster in PG_DIR (its socket PG_DIR/run);
#       pool_mode MODE, default_pool_size POOL,
#       ignore_startup_parameters IGNORE (default: options); user
#       terrateam trusted (and its console, dbname=pgbouncer). Returns
#       once it answers; stop it with kill "$(cat DIR/pgbouncer.pid)"
#   pgbouncer.sh role-settings CONNINFO set|reset
#       the settings the programs send in their options startup
#       parameter (lib/db.c, db_connect), which PgBouncer drops, put on
#       (or taken off) the terrateam role in the terrateam database
# As root PgBouncer runs as "postgres", as the cluster does.
set -eu

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $1 in
start)
	d=$2 pgdir=$3 pgport=$4 port=$5 mode=$6 pool=$7
	ignore=${8-options}
	mkdir -p "$d"
	chmod 755 "$d"
	echo '"terrateam" ""' >"$d/users.txt"
	cat >"$d/pgbouncer.ini" <<INI
[databases]
terrateam = host=$pgdir/run port=$pgport dbname=terrateam
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $d
auth_type = trust
auth_file = $d/users.txt
admin_users = terrateam
pool_mode = $mode
default_pool_size = $pool
max_client_conn = 1000
ignore_startup_parameters = $ignore
logfile = $d/pgbouncer.log
pidfile = $d/pgbouncer.pid
INI
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$d"
	as_pg /usr/sbin/pgbouncer -d -q "$d/pgbouncer.ini"
	i=0
	while [ $i -lt 50 ]; do
		[ "$(psql "host=127.0.0.1 port=$port user=terrateam dbname=terrateam" \
		    -Atqc 'SELECT 1' 2>/dev/null)" = 1 ] && exit 0
		sleep 0.1; i=$((i + 1))
	done
	echo "pgbouncer.sh: PgBouncer did not start (see $d/pgbouncer.log)" >&2
	exit 1
	;;
role-settings)
	if [ "$3" = reset ]; then
		psql -q "$2" -c "ALTER ROLE terrateam IN DATABASE terrateam RESET ALL"
		exit 0
	fi
	for s in "statement_timeout = 5000" "lock_timeout = 2000" \
	    "idle_in_transaction_session_timeout = 10000" \
	    "client_min_messages = warning" "plan_cache_mode = force_generic_plan" \
	    "timezone = 'UTC'" "datestyle = 'ISO, YMD'"; do
		psql -q "$2" -c "ALTER ROLE terrateam IN DATABASE terrateam SET $s"
	done
	;;
*)	echo "usage: pgbouncer.sh start|role-settings ..." >&2; exit 2 ;;
esac
