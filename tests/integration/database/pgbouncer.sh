#!/bin/bash
# pgbouncer.sh: the programs behind PgBouncer (Debian 12's 1.18), as
# docs/OPERATIONS.md section 8 describes. PgBouncer runs on loopback in
# front of the case's cluster, trust auth. Checks:
#   - without ignore_startup_parameters = options PgBouncer refuses the
#     programs' connections (they send libpq's options): /healthz 503;
#   - session pooling, ignore_startup_parameters = options and the role
#     settings: a functional mix (refresh, whoami, KV put/get/iter,
#     manifests list, a webhook ping) answers as without a pooler, and
#     concurrent bursts too;
#   - a pool smaller than the processes (session pooling, each FastCGI
#     process keeps its server connection): the processes that got one
#     go on; a request to any other waits and answers the JSON 503
#     (statement timeout + 1 s), every time;
#   - transaction pooling (one server connection for all): a second
#     program preparing a statement the first prepared on that server
#     connection fails with 42P05 "prepared statement ... already
#     exists" and answers 500, and the log names the likely cause;
#   - transaction pooling with TT_DATABASE_PREPARE=0 (statements sent
#     unnamed): the functional mix and the bursts answer as without a
#     pooler, with every process of lighttpd.conf served by two server
#     connections.
. "$TOP/tests/harness/dbcase.sh"

dbcase_cluster c || { echo "not ok - [$SERVER] cluster started"; exit 1; }
TT_DATABASE_URL=$URL_c	# ttctl and the helpers: the cluster itself
export TT_DATABASE_URL
dbcase_github || { echo "not ok - [$SERVER] stand-in GitHub started"; exit 1; }
. "$TOP/tests/harness/hooks.sh"

# pgb NAME MODE POOL [IGNORE]: PgBouncer (tests/harness/pgbouncer.sh) in
# T/NAME on a free loopback port in front of the cluster, pool_mode MODE,
# default_pool_size POOL, ignore_startup_parameters IGNORE (default:
# options); sets PGB (the programs' conninfo) and PGB_ADMIN (its console).
pgb() {
	local d=$T/$1 port
	port=$(dbcase_port)
	dbcase_at_exit "kill \$(cat '$d/pgbouncer.pid')"
	"$TOP/tests/harness/pgbouncer.sh" start "$d" "$T/c" "$PGPORT_c" "$port" \
	    "$2" "$3" ${4+"$4"} || return 1
	PGB="host=127.0.0.1 port=$port user=terrateam dbname=terrateam"
	PGB_ADMIN="host=127.0.0.1 port=$port user=terrateam dbname=pgbouncer"
}

# pool_column NAME: SHOW POOLS' column NAME (cl_active, cl_waiting,
# sv_active, ...) for the terrateam pool.
pool_column() {
	psql "$PGB_ADMIN" -Ac "SHOW POOLS" -F' ' 2>/dev/null | awk -v c="$1" '
	    NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) n = i; next }
	    $1 == "terrateam" { print $n }'
}

# mix LABEL: a functional mix through the web server at BASE, as without
# a pooler: /healthz, refresh, whoami, KV put/get/iter, the manifests
# list, a webhook ping, then 32 concurrent requests. Sets tok.
mix() {
	local d
	http GET /healthz
	check "$1: /healthz 200" status_is 200
	refresh "$key"; tok=$TOKEN
	check "... refresh 200" status_is 200
	whoami "$tok"
	check "... whoami 200" status_is 200
	check "... whoami names the key's user" json_is .id "$user"
	kv_json PUT "$tok" "$inst/key/pgb.a" "{\"value\":\"$1\"}"
	check "... KV put 200" status_is 200
	kv_json PUT "$tok" "$inst/key/pgb.b" '{"value":{"n":2}}'
	kv GET "$tok" "$inst/key/pgb.a"
	check "... KV get: the value put" data_is "\"$1\""
	kv GET "$tok" "$inst/iter/pgb.?prefix=true"
	check "... KV iter: both keys" [ "$(jq -r '[.results[].key] | join(",")' "$T/body" 2>/dev/null)" = pgb.a,pgb.b ]
	http GET "/api/v1/github/installations/$inst/work-manifests" -H "Authorization: Bearer $tok"
	check "... manifests list: the 3 seeded" json_is '.work_manifests | length' 3
	printf '{"zen":"pooled: %s","hook_id":1}' "$1" >"$T/ping.json"
	d=$(uuid); hook ping "$d" "$T/ping.json"
	check "... a webhook ping: 200 pong" json_is .status pong
	check "... recorded as done" wait_state "$d" done
	# Bursts: 16 whoami and 16 /healthz at once, all answered.
	for i in $(seq 16); do
		printf 'url = "%s/api/v1/whoami"\noutput = "/dev/null"\n' "$BASE"
	done >"$T/who.cfg"
	for i in $(seq 16); do
		printf 'url = "%s/healthz"\noutput = "/dev/null"\n' "$BASE"
	done >"$T/hz.cfg"
	{ curl -s --parallel --parallel-immediate --parallel-max 16 -H "Authorization: Bearer $tok" \
	    -w '%{http_code}\n' -K "$T/who.cfg" 2>/dev/null &
	  curl -s --parallel --parallel-immediate --parallel-max 16 \
	    -w '%{http_code}\n' -K "$T/hz.cfg" 2>/dev/null; wait $!; } >"$T/burst"
	check "... 32 concurrent requests: all 200" [ "$(grep -c '^200$' "$T/burst")" = 32 ]
}

user=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
key=$("$TOP/bin/ttctl" key create --user "$user" --name pgb \
    --cap installation:"$inst" --cap kv_store_read --cap kv_store_write \
    --rate-limit 1000000000 2>/dev/null)

# 1. PgBouncer as installed: the programs' options startup parameter is
# refused.
pgb refuse session 40 "" || { echo "not ok - [$SERVER] PgBouncer started"; exit 1; }
dbcase_web "$PGB" web0 || { echo "not ok - [$SERVER] web server started"; exit 1; }
http GET /healthz
check "without ignore_startup_parameters = options: /healthz is the 503" error_is 503 UNAVAILABLE
check "... PgBouncer said why" grep -q 'unsupported startup parameter: options' "$T/refuse/pgbouncer.log"

# 2. Session pooling, the settings on the role (OPERATIONS.md).
"$TOP/tests/harness/pgbouncer.sh" role-settings "$URL_c" set >/dev/null
pgb session session 40 || { echo "not ok - [$SERVER] PgBouncer (session) started"; exit 1; }
check "the role's settings reach a pooled connection" \
    [ "$(dbcase_psql "$PGB" "SHOW statement_timeout")" = 5s ]
TT_REFRESH_RATE_PER_ADDRESS=1000000 dbcase_web "$PGB" web1 ||
    { echo "not ok - [$SERVER] web server (session) started"; exit 1; }
"$TOP/bin/ttctl" manifests seed --installation "$inst" --count 3 >/dev/null
mix "session pooling"
cl=$(pool_column cl_active) sv=$(pool_column sv_active)
echo "# session pool after the bursts: $cl clients active, $sv server connections active, $(pool_column sv_idle) idle"
check "... each client of PgBouncer holds a server connection of its own" \
    eval '[ "${cl:-0}" -ge 9 ] && [ "$cl" = "$sv" ]'

# 3. A pool smaller than the processes: one process per program, a pool
# of 2, statement timeout 1 s. health and access-tokens take the two
# server connections and keep them.
pgb small session 2 || { echo "not ok - [$SERVER] PgBouncer (pool of 2) started"; exit 1; }
TT_MAX_PROCS=1 TT_STATEMENT_TIMEOUT_MS=1000 dbcase_web "$PGB" web2 ||
    { echo "not ok - [$SERVER] web server (pool of 2) started"; exit 1; }
http GET /healthz
check "pool of 2: /healthz 200 (health holds server connection 1)" status_is 200
whoami "$tok"
check "... whoami 200 (access-tokens holds server connection 2)" status_is 200
for i in 1 2; do
	t0=$(date +%s%N)
	kv GET "$tok" "$inst/key/pgb.a"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# pool exhausted, KV get $i: $STATUS after $ms ms"
	check "... the pool exhausted: a KV get ($i) is the JSON 503" error_is 503 UNAVAILABLE
	check "... after the statement timeout and a second (1.5 to 4 s: $ms ms)" \
	    eval '[ "$ms" -ge 1500 ] && [ "$ms" -le 4000 ]'
done
check "... the program gave up waiting for an answer" \
    grep -q 'kv.*the database did not answer within 2000 ms' "$WEBDIR"/lighttpd/log/*.log
kv GET "$tok" "$inst/key/pgb.a" & kvpid=$!
sleep 0.5
w=$(pool_column cl_waiting)
wait $kvpid
# (The clients the program gave up on earlier stay "waiting" in PgBouncer
# until its query_wait_timeout, 120 s: they count too.)
echo "# clients waiting in PgBouncer during the third KV get: $w"
check "... meanwhile PgBouncer shows clients waiting for a server ($w)" [ "${w:-0}" -ge 1 ]
http GET /healthz
check "... while the processes holding one go on: /healthz 200" status_is 200
whoami "$tok"
check "... whoami 200" status_is 200

# 4. Transaction pooling, one server connection for every client.
pgb tx transaction 1 || { echo "not ok - [$SERVER] PgBouncer (transaction) started"; exit 1; }
TT_MAX_PROCS=1 dbcase_web "$PGB" web3 || { echo "not ok - [$SERVER] web server (transaction) started"; exit 1; }
http GET /healthz
echo "# transaction pooling: /healthz $STATUS"
whoami "$tok"
echo "# transaction pooling: whoami $STATUS $(head -c 200 "$T/body")"
kv GET "$tok" "$inst/key/pgb.a"
echo "# transaction pooling: KV get $STATUS $(head -c 200 "$T/body")"
check "transaction pooling: a second program's KV get is the 500" error_is 500 INTERNAL
grep -ho 'could not run statement [^ ]* [0-9A-Z]\{5\} [^"]*' "$WEBDIR"/lighttpd/log/*.log |
    sort | uniq -c | sed 's/^/# /'
check "... logged as 42P05, a named statement already prepared on the shared server connection" \
    grep -q 'could not run statement [a-z_]*: 42P05 prepared statement "[a-z_]*" already exists.*a pooler in transaction mode' "$WEBDIR"/lighttpd/log/*.log

# 5. Transaction pooling with TT_DATABASE_PREPARE=0: nothing named is
# left on a server connection, so the processes share two.
pgb tx2 transaction 2 || { echo "not ok - [$SERVER] PgBouncer (transaction, 2) started"; exit 1; }
TT_DATABASE_PREPARE=0 TT_REFRESH_RATE_PER_ADDRESS=1000000 dbcase_web "$PGB" web4 ||
    { echo "not ok - [$SERVER] web server (TT_DATABASE_PREPARE=0) started"; exit 1; }
mix "transaction pooling, TT_DATABASE_PREPARE=0"
cl=$(pool_column cl_active) sv=$(( $(pool_column sv_active) + $(pool_column sv_idle) + $(pool_column sv_used) ))
echo "# transaction pool after the bursts: $cl clients, $sv server connections"
check "... the processes ($cl clients of PgBouncer) shared at most 2 server connections ($sv)" \
    eval '[ "${cl:-0}" -ge 9 ] && [ "$sv" -le 2 ]'
n=$(cat "$WEBDIR"/lighttpd/log/*.log | grep -c 'could not run statement')
check "... and no statement failed ($n logged)" [ "$n" = 0 ]
