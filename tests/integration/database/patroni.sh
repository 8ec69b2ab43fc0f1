#!/bin/bash
# patroni.sh: three PostgreSQL nodes managed by Patroni (Debian's patroni
# 3.0) over one etcd (etcd-server 3.4), all on loopback, in synchronous
# mode; one lighttpd whose TT_DATABASE_URL lists the three nodes with
# target_session_attrs=read-write. Under a KV write load from several
# clients the leader's Patroni and PostgreSQL are killed with SIGKILL:
# Patroni promotes the synchronous standby, the programs follow without a
# restart, every write answered 2xx is on the new leader with its value,
# every other answer is the JSON 503 with Retry-After, and service is
# back within a bound. The configuration has the shape of the one in
# docs/OPERATIONS.md (an /etc/patroni/config.yml per machine, etcd's
# /etc/default/etcd): only addresses, ports, paths and passwords differ.
. "$TOP/tests/harness/dbcase.sh"

missing=
command -v patroni >/dev/null || missing="$missing patroni"
command -v etcd >/dev/null || missing="$missing etcd(etcd-server)"
# (Patroni's own interpreter: a version manager's python3 may lack them.)
py=$(head -1 "$(command -v patroni 2>/dev/null || echo /dev/null)" | sed -n 's/^#! *//p')
${py:-python3} -c 'import etcd, psycopg2' 2>/dev/null ||
    missing="$missing python3-etcd/python3-psycopg2"
if [ -n "$missing" ]; then
	check "Patroni's prerequisites are installed (missing:$missing; tools/install-deps.sh)" false
	exit 0
fi

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
now() { echo "$EPOCHREALTIME"; }

# Timings (Patroni's dynamic configuration): the leader key lives ttl
# seconds unless its holder renews it (every loop_wait seconds); Patroni
# requires ttl >= 20, loop_wait >= 1, retry_timeout >= 3 and
# loop_wait + 2 * retry_timeout <= ttl.
TTL=20 LOOP_WAIT=2 RETRY_TIMEOUT=8
# Service must be back this long after the kill: the leader key's ttl,
# a loop of the promoted node and one of the remaining standby (which
# must follow it before a strict synchronous commit can end), and slack
# for a busy machine.
BOUND=$((TTL + 4 * LOOP_WAIT + 5))

PW_SUPER=$(openssl rand -hex 16) PW_REPL=$(openssl rand -hex 16)
PW_REWIND=$(openssl rand -hex 16) PW_APP=$(openssl rand -hex 16)

# --- etcd: one member, configured the way /etc/default/etcd does. ---
EC=$(dbcase_port) EP=$(dbcase_port)
mkdir -p "$T/etcd"
cat >"$T/etcd/default" <<EOF
ETCD_NAME=e1
ETCD_DATA_DIR=$T/etcd/data
ETCD_LISTEN_PEER_URLS=http://127.0.0.1:$EP
ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:$EC
ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.1:$EP
ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.1:$EC
ETCD_INITIAL_CLUSTER=e1=http://127.0.0.1:$EP
ETCD_INITIAL_CLUSTER_STATE=new
ETCD_INITIAL_CLUSTER_TOKEN=terrateam-etcd
EOF
(cd "$T/etcd" && set -a && . ./default && exec etcd) >"$T/etcd.log" 2>&1 &
ETCD_PID=$!
dbcase_at_exit "kill -9 $ETCD_PID; wait $ETCD_PID"
etcd_healthy() {
	curl -s --max-time 1 "http://127.0.0.1:$EC/health" | grep -q '"health":"true"'
}
for _ in $(seq 100); do
	etcd_healthy && break
	sleep 0.1
done
check "etcd answers healthy on 127.0.0.1:$EC" etcd_healthy

# --- post_bootstrap: the programs' role (named in terrateam.role, its
# password in terrateam.password, next to the script) and database. ---
cat >"$T/terrateam-bootstrap.sh" <<'EOF'
#!/bin/sh
# Patroni runs this once, on the node that initialises the cluster, with
# a superuser conninfo as $1 (and PGPASSFILE set to match).
set -eu
dir=$(dirname "$0")
psql "$1" -v ON_ERROR_STOP=1 -q -v role="$(cat "$dir/terrateam.role")" \
    -v pw="$(cat "$dir/terrateam.password")" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw';
CREATE DATABASE terrateam OWNER :"role";
SQL
EOF
printf 'terrateam\n' >"$T/terrateam.role"
printf '%s\n' "$PW_APP" >"$T/terrateam.password"
chmod 755 "$T/terrateam-bootstrap.sh"
chmod 644 "$T/terrateam.role" "$T/terrateam.password"

# --- Three Patroni nodes: pg1, pg2, pg3. ---
declare -a PGP REST
for n in 1 2 3; do
	PGP[n]=$(dbcase_port) REST[n]=$(dbcase_port)
	d=$T/pg$n
	mkdir -p "$d/run"
	chmod 755 "$d"
	[ "$(id -u)" -eq 0 ] && chown postgres "$d" "$d/run"
	cat >"$d/config.yml" <<EOF
scope: terrateam
namespace: /service/
name: pg$n

restapi:
  listen: 127.0.0.1:${REST[n]}
  connect_address: 127.0.0.1:${REST[n]}

etcd3:
  hosts:
  - 127.0.0.1:$EC

bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: $LOOP_WAIT
    retry_timeout: $RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 200
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
        wal_retrieve_retry_interval: 1s
  initdb:
  - encoding: UTF8
  - locale: C.UTF-8
  - data-checksums
  post_bootstrap: $T/terrateam-bootstrap.sh

postgresql:
  listen: 127.0.0.1:${PGP[n]}
  connect_address: 127.0.0.1:${PGP[n]}
  data_dir: $d/data
  bin_dir: $PGBIN
  pgpass: $d/pgpass
  basebackup:
  - checkpoint: fast
  use_unix_socket: true
  authentication:
    superuser:
      username: postgres
      password: $PW_SUPER
    replication:
      username: replicator
      password: $PW_REPL
    rewind:
      username: rewinder
      password: $PW_REWIND
  parameters:
    unix_socket_directories: $d/run
  pg_hba:
  - local all all scram-sha-256
  - host all all 127.0.0.1/32 scram-sha-256
  - host replication replicator 127.0.0.1/32 scram-sha-256

tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
	chmod 644 "$d/config.yml"
	# At the end: Patroni first (so it starts nothing again), then
	# whatever PostgreSQL it left.
	dbcase_at_exit "[ -f $d/data/postmaster.pid ] && kill -9 \$(head -1 $d/data/postmaster.pid)"
	dbcase_at_exit "as_pg $PGBIN/pg_ctl -D $d/data -m immediate -w -t 10 stop"
	dbcase_at_exit "[ -f $d/patroni.pid ] && kill -9 \$(cat $d/patroni.pid)"
done

t_start=$(now)
for n in 1 2 3; do
	d=$T/pg$n
	as_pg sh -c 'echo $$ >"$1/patroni.pid"; exec patroni "$1/config.yml"' \
	    - "$d" >"$d/patroni.log" 2>&1 &
done

# cluster N: Patroni's view of the cluster, from node N's REST API.
cluster() {
	curl -s --max-time 2 "http://127.0.0.1:${REST[$1]}/cluster"
}
# leader_of N: the name of the running leader node N sees, or nothing.
leader_of() {
	cluster "$1" | jq -r '[.members[]? | select(.role == "leader" and .state == "running") | .name][0] // empty' 2>/dev/null
}
# ready N: the leader runs and the other two are streaming replicas, one
# of them the synchronous standby.
ready() {
	cluster "$1" | jq -e '([.members[]? | select(.state == "running")] | length) == 3 and
	    ([.members[]? | select(.role == "leader")] | length) == 1 and
	    ([.members[]? | select(.role == "sync_standby")] | length) == 1' >/dev/null 2>&1
}

leader=
for _ in $(seq 600); do
	leader=$(leader_of 1)
	[ -n "$leader" ] && break
	sleep 0.1
done
t_elected=$(now)
check "a leader was elected at start (${leader:-none})" test -n "$leader"
[ -n "$leader" ] || { tail -20 "$T"/pg*/patroni.log; exit 0; }
echo "# leader $leader running $(dbcase_secs "$t_start" "$t_elected") s after Patroni started"
for _ in $(seq 600); do
	ready 1 && break
	sleep 0.1
done
t_ready=$(now)
check "the other two nodes stream from it, one as the synchronous standby" ready 1 ||
    { cluster 1; echo; tail -20 "$T"/pg*/patroni.log; exit 0; }
echo "# three nodes, one synchronous standby, $(dbcase_secs "$t_start" "$t_ready") s after Patroni started"
L=${leader#pg}

# --- The programs' URL: every node, the one that takes writes. ---
printf '127.0.0.1:*:terrateam:terrateam:%s\n' "$PW_APP" >"$T/pgpass"
chmod 600 "$T/pgpass"
[ "$(id -u)" -eq 0 ] && chown www-data "$T/pgpass"
URL="host=127.0.0.1,127.0.0.1,127.0.0.1 port=${PGP[1]},${PGP[2]},${PGP[3]} dbname=terrateam user=terrateam passfile=$T/pgpass target_session_attrs=read-write connect_timeout=2"
TT_DATABASE_URL=$URL
export TT_DATABASE_URL
"$TOP/bin/ttctl" migrate >"$T/migrate.out" 2>&1
check "ttctl migrate against the leader" test $? -eq 0 || cat "$T/migrate.out"
# admin N SQL: one value from node N, as the superuser.
printf '127.0.0.1:*:*:postgres:%s\n' "$PW_SUPER" >"$T/admin.pgpass"
chmod 600 "$T/admin.pgpass"
admin() {
	PGPASSFILE=$T/admin.pgpass dbcase_psql \
	    "host=127.0.0.1 port=${PGP[$1]} dbname=terrateam user=postgres connect_timeout=2" "$2"
}
# sync_of N: the synchronous standby node N's cluster view names.
sync_of() {
	cluster "$1" | jq -r '[.members[]? | select(.role == "sync_standby" and .state == "running") | .name][0] // empty' 2>/dev/null
}
sync=$(sync_of "$L")
check "the leader's commits wait for its synchronous standby ($sync)" \
    test -n "$sync" -a "$(admin "$L" "SELECT string_agg(application_name, ',')
        FROM pg_stat_replication WHERE sync_state = 'sync'")" = "$sync"

dbcase_web "$URL"
user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN
check "an access token from the programs over the Patroni cluster" test -n "$tok"

# The web server's processes: the same ones must serve throughout.
pids_before=$(dbcase_web_pids)

# --- The load: CLIENTS writers, each its own keys, every answer logged
# as "START END CLIENT SEQ STATUS VERDICT". ---
CLIENTS=4
mkdir -p "$T/load"
writer() {
	local c=$1 i=0 s t0 t1 v
	local b=$T/load/$c.body h=$T/load/$c.hdrs
	while [ ! -e "$T/load/stop" ]; do
		i=$((i + 1))
		t0=$EPOCHREALTIME
		s=$(curl -s -o "$b" -D "$h" -w '%{http_code}' --max-time 15 \
		    -X PUT -H "Authorization: Bearer $tok" \
		    -H 'Content-Type: application/json' \
		    --data-binary "{\"data\":\"value-$c-$i\"}" \
		    "$BASE/api/v1/github/kv/$A/key/load.$c.$i") || s=000
		t1=$EPOCHREALTIME
		dbcase_verdict "$s" "$b" "$h" "$T/load/bad.$c.$i"
		echo "$t0 $t1 $c $i $s $v" >>"$T/load/$c.log"
	done
}
load_pids=
for c in $(seq $CLIENTS); do
	writer "$c" &
	load_pids="$load_pids $!"
done
dbcase_at_exit "touch $T/load/stop; kill $load_pids"

# acks_since T: how many writes were answered 2xx after time T.
acks_since() {
	cat "$T"/load/*.log 2>/dev/null | awk -v t="$1" '$6 == "ack" && $1 > t { n++ } END { print n + 0 }'
}
for _ in $(seq 100); do
	[ "$(acks_since 0)" -ge 40 ] && break
	sleep 0.1
done
before=$(acks_since 0)
check "the load is acknowledged before the kill ($before writes)" test "$before" -ge 40

# --- Kill the leader's Patroni and PostgreSQL (every process of it). ---
ppid=$(cat "$T/pg$L/patroni.pid")
pmpid=$(head -1 "$T/pg$L/data/postmaster.pid")
kill -9 "$ppid" "$pmpid" $(pgrep -P "$pmpid") 2>/dev/null
t_kill=$(now)
echo "# killed pg$L: Patroni $ppid, postmaster $pmpid and its children"

others=$(echo 1 2 3 | tr ' ' '\n' | grep -v "^$L$")
new=
for _ in $(seq 900); do
	for n in $others; do
		new=$(leader_of "$n")
		[ -n "$new" ] && [ "$new" != "$leader" ] && break 2
		new=
	done
	sleep 0.1
done
t_promoted=$(now)
check "Patroni promoted another node (${new:-none}; the old leader was $leader)" \
    test -n "$new" ||
    { cluster "${others%% *}"; echo; tail -20 "$T"/pg*/patroni.log; exit 0; }
echo "# $new leads $(dbcase_secs "$t_kill" "$t_promoted") s after the kill"
N=${new#pg}

# Service is back when a write sent after the kill is acknowledged; in
# strict synchronous mode that needs the remaining node to stream from
# the new leader (when that node got WAL the new leader had not, Patroni
# rewinds it first).
rest=$(echo 1 2 3 | tr ' ' '\n' | grep -v "^$L$" | grep -v "^$N$")
t_follow=
for _ in $(seq $((BOUND * 10 + 100))); do
	[ -z "$t_follow" ] && [ "$(sync_of "$N")" = "pg$rest" ] && t_follow=$(now)
	[ -n "$t_follow" ] && [ "$(acks_since "$t_kill")" -gt 0 ] && break
	sleep 0.1
done
[ -n "$t_follow" ] && echo "# pg$rest is $new's synchronous standby $(dbcase_secs "$t_kill" "$t_follow") s after the kill$(grep -q 'running pg_rewind' "$T/pg$rest/patroni.log" && echo ', after a pg_rewind')"
# Then a while of writes on the new leader before stopping the load.
sleep 1
touch "$T/load/stop"
wait $load_pids
t_back=$(cat "$T"/load/*.log | awk -v t="$t_kill" '$6 == "ack" && $1 > t { print $2 }' | sort -n | head -1)
if [ -n "$t_back" ]; then
	outage=$(dbcase_secs "$t_kill" "$t_back")
else
	outage=none
fi
check "writes are acknowledged again within $BOUND s of the kill (after $outage s)" \
    awk -v o="$outage" -v b="$BOUND" 'BEGIN { exit !(o != "none" && o + 0 <= b) }'

total=$(cat "$T"/load/*.log | wc -l)
acked=$(cat "$T"/load/*.log | awk '$6 == "ack"' | wc -l)
n503=$(cat "$T"/load/*.log | awk '$6 == "503"' | wc -l)
bad=$(cat "$T"/load/*.log | awk '$6 == "bad" { print $3 "." $4 ":" $5 }' | head -10 | tr '\n' ' ')
slowest=$(cat "$T"/load/*.log | awk '{ d = $2 - $1; if (d > m) m = d } END { printf "%.1f", m }')
echo "# $total answers: $acked acknowledged, $n503 JSON 503; the slowest took $slowest s"
check "every answer was a 2xx or the JSON 503 with Retry-After (no 500, no timeout)${bad:+: $bad}" \
    test -z "$bad"

# Every acknowledged write, on the new leader, with its value.
admin "$N" "SELECT key || ' ' || (data #>> '{}') FROM kv_store
    WHERE installation_id = $A AND key LIKE 'load.%'" | sort >"$T/on-leader"
cat "$T"/load/*.log | awk '$6 == "ack" { print "load." $3 "." $4 " value-" $3 "-" $4 }' |
    sort >"$T/acked"
lost=$(comm -23 "$T/acked" "$T/on-leader" | wc -l)
echo "# $(wc -l <"$T/on-leader") of the load's keys on $new; acknowledged and not there: $lost"
check "every acknowledged write is on the new leader with its value ($acked acknowledged, $lost lost)" \
    test "$lost" -eq 0 -a "$acked" -gt "$before"
check "writes were acknowledged both before and after the kill" \
    test "$(acks_since "$t_kill")" -gt 0

check "the same web server processes served throughout (no restart)" \
    test "$(dbcase_web_pids)" = "$pids_before"
check "no commit on $new stopped waiting for its synchronous standby" \
    sh -c '! grep -q "canceling wait for synchronous replication" "$1"' - "$T/pg$N/patroni.log"
check "the remaining node pg$rest follows $new as its synchronous standby" \
    test "$(admin "$N" "SELECT string_agg(application_name, ',')
        FROM pg_stat_replication WHERE sync_state = 'sync'")" = "pg$rest"

# --- Stop everything and see that nothing of it is left. ---
t_stop=$(now)
for n in 1 2 3; do
	kill -9 "$(cat "$T/pg$n/patroni.pid")" 2>/dev/null
done
for n in 1 2 3; do
	[ -f "$T/pg$n/data/postmaster.pid" ] &&
	    kill -0 "$(head -1 "$T/pg$n/data/postmaster.pid")" 2>/dev/null &&
	    as_pg "$PGBIN/pg_ctl" -D "$T/pg$n/data" -m immediate -w -t 10 stop >/dev/null
done
"$TOP/tests/harness/web.sh" lighttpd stop "$WEBDIR" 0 >/dev/null 2>&1
kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null
# leftovers: processes whose command line names T or that run in it
# (etcd; PostgreSQL's backends, which show titles of their own).
leftovers() {
	LEFT_IN=$T python3 -c '
import os
t = os.environ["LEFT_IN"]
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        cmd = open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace")
        cwd = os.readlink(f"/proc/{p}/cwd")
    except OSError:
        continue
    if t + "/" in cmd or cwd == t or cwd.startswith(t + "/"):
        print(p)'
}
# (a process killed a moment ago may still be on its way out)
for _ in $(seq 50); do
	left=$(leftovers | tr '\n' ' ')
	[ -z "$left" ] && break
	sleep 0.1
done
[ -n "$left" ] && ps -o pid,ppid,user,args -p "$(echo "$left" | xargs | tr ' ' ,)" | sed 's/^/# /'
check "Patroni, PostgreSQL, etcd and lighttpd all stopped${left:+ (left: $left)}" test -z "$left"
echo "# stopped in $(dbcase_secs "$t_stop" "$(now)") s; figures: election $(dbcase_secs "$t_start" "$t_elected") s, failover $(dbcase_secs "$t_kill" "$t_promoted") s, outage $outage s, lost $lost"
