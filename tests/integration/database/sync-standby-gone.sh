#!/bin/bash
# sync-standby-gone.sh: a primary whose synchronous standby is gone.
# PostgreSQL then holds every commit until a standby confirms it;
# statement_timeout does not end that wait. Checks:
#   - a KV write and a webhook delivery answer the JSON 503 with
#     Retry-After at the programs' answer deadline (the statement timeout
#     and a second; lib/db.c, wait_answer), never 200: the standby does
#     not have them. PostgreSQL would keep their backends waiting (it
#     ends a commit's wait for a cancel only, not for statement_timeout
#     or a client that left): the programs have them cancelled before
#     closing the connection (lib/dbcancel.c), so none is left.
#   - a commit whose wait is cancelled (pg_cancel_backend, as an operator
#     or a pooler may do) is reported by PostgreSQL as done, with a
#     warning that it "might not have been replicated": the programs
#     answer that write 503 at once, not 200 (lib/db.c, notice).
#   - behind PgBouncer in transaction pooling (TT_DATABASE_PREPARE=0, a
#     pool of 2 server connections) the same: the cancel request goes
#     through PgBouncer to the backend, so no abandoned commit is left
#     waiting (PgBouncer drops the server connection of a client that
#     left mid-transaction, but its backend would wait on), and reads go
#     on through it;
#   - the standby back, the waiting commits end and writes answer 200.
. "$TOP/tests/harness/dbcase.sh"

dbcase_cluster p --primary || { echo "not ok - [$SERVER] primary started"; exit 1; }
dbcase_standby s p --sync || { echo "not ok - [$SERVER] standby started"; exit 1; }
# For PgBouncer (below), which drops the programs' settings: on the role,
# while a commit can still end (the programs' own options win over them).
"$TOP/tests/harness/pgbouncer.sh" role-settings "$URL_p" set >/dev/null
TT_DATABASE_URL=$URL_p
TT_STATEMENT_TIMEOUT_MS=1000
export TT_DATABASE_URL TT_STATEMENT_TIMEOUT_MS
dbcase_github || { echo "not ok - [$SERVER] stand-in GitHub started"; exit 1; }
dbcase_web "$URL_p" || { echo "not ok - [$SERVER] web server started"; exit 1; }
SECRET=$(head -1 "$TT_GITHUB_WEBHOOK_SECRET_FILE")

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

# put KEY VALUE: a KV write; sets s (status) and secs (its duration),
# also written to T/status and T/secs; the answer is in T/body and T/hdrs.
put() {
	local t0=$EPOCHREALTIME
	s=$(curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' --max-time 15 \
	    -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    --data-binary "{\"data\":\"$2\"}" "$BASE/api/v1/github/kv/$A/key/$1") || s=000
	secs=$(dbcase_secs "$t0" "$EPOCHREALTIME")
	echo "$s" >"$T/status"
	echo "$secs" >"$T/secs"
}
# hook ID: a signed delivery (a star, recorded and ignored).
hook() {
	local t0=$EPOCHREALTIME f=$T/hook.json
	printf '{"action":"created","starred_at":"%s"}' "$t0" >"$f"
	s=$(curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' --max-time 15 \
	    -X POST -H 'Content-Type: application/json' \
	    -H 'X-GitHub-Event: star' -H "X-GitHub-Delivery: $1" \
	    -H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac "$SECRET" <"$f" | awk '{print $NF}')" \
	    --data-binary "@$f" "$BASE/api/github/v1/events") || s=000
	secs=$(dbcase_secs "$t0" "$EPOCHREALTIME")
}
json_503() { [ "$s" = 503 ] && dbcase_is_503 "$T/body" "$T/hdrs"; }
within() { awk -v s="$secs" -v b="$1" 'BEGIN { exit !(s + 0 <= b) }'; }

put before v1
check "with the synchronous standby streaming, a KV write answers 200" test "$s" = 200
hook "$(</proc/sys/kernel/random/uuid)"
check "... and a delivery 2xx ($s)" test "${s#2}" != "$s"

# The standby goes away; the primary still waits for it.
"$TOP/tests/harness/pg.sh" stop "$T/s" >/dev/null
put gone v2
check "the standby gone: a KV write answers the JSON 503 with Retry-After ($s, ${secs} s)" json_503
check "... at the answer deadline, 2 s here, with slack (${secs} s <= 3.5)" within 3.5
id=$(</proc/sys/kernel/random/uuid)
hook "$id"
check "... and a delivery answers the JSON 503 ($s, ${secs} s), GitHub sends it again" json_503
check "... within the same bound (${secs} s)" within 3.5
check "the programs' log says why" \
    grep -rqE 'did not answer within 2000 ms' "$WEBDIR"
# waiting: how many backends wait for a standby; settled: 0 within 2 s.
waiting() {
	dbcase_psql "$URL_p" "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
}
settled() {
	for _ in $(seq 20); do
		[ "$(waiting)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
settled
check "no backend is left waiting for the standby ($(waiting)): the programs had them cancelled" \
    test "$(waiting)" = 0
check "... and said so in their log" \
    grep -rqE 'the database was asked to cancel its backend.s work' "$WEBDIR"
check "the write is on the primary alone, where a retry finds it" \
    test "$(dbcase_psql "$URL_p" "SELECT count(*) FROM kv_store WHERE installation_id = $A AND key = 'gone'")" = 1

# A cancelled wait: PostgreSQL reports the commit done, with a warning.
before=$(dbcase_psql "$URL_p" "SELECT coalesce(max(query_start), now()) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
put cancelled v1 &
pid=$!
b=
for _ in $(seq 30); do
	b=$(dbcase_psql "$URL_p" "SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'
	    AND query_start > '$before' ORDER BY query_start DESC LIMIT 1")
	[ -n "$b" ] && break
	sleep 0.03
done
check "the write waits for the standby (backend ${b:-none})" test -n "$b"
dbcase_psql "$URL_p" "SELECT pg_cancel_backend(${b:-0})" >/dev/null
wait $pid
s=$(<"$T/status") secs=$(<"$T/secs")
check "a write whose wait for the standby is cancelled answers the JSON 503, not 200 ($s)" json_503
check "... at once, before the 2 s deadline (${secs} s <= 1.5)" within 1.5
check "... and the programs' log has the server's warning" \
    grep -rqE 'the database warns: 01000 canceling wait for synchronous replication' "$WEBDIR"

# Behind PgBouncer, transaction pooling, a pool of 2: three writes
# abandoned at the deadline. Without the cancel their backends would wait
# on, each holding a connection slot and its locks.
pgport=$(dbcase_port)
dbcase_at_exit "kill \$(cat '$T/pgb/pgbouncer.pid')"
"$TOP/tests/harness/pgbouncer.sh" start "$T/pgb" "$T/p" "$PGPORT_p" "$pgport" transaction 2 ||
    { echo "not ok - [$SERVER] PgBouncer started"; exit 1; }
direct=$BASE
TT_DATABASE_PREPARE=0 dbcase_web "host=127.0.0.1 port=$pgport user=terrateam dbname=terrateam" pooled ||
    { echo "not ok - [$SERVER] web server (PgBouncer) started"; exit 1; }
n503=0
for i in 1 2 3; do
	put "pooled$i" v1
	json_503 && within 3.5 && n503=$((n503 + 1))
done
check "behind PgBouncer (transaction pooling, 2 server connections): three writes answer the JSON 503 at the deadline ($n503 of 3)" \
    test "$n503" = 3
settled
check "... no backend is left waiting for the standby ($(waiting)): the cancel went through PgBouncer" \
    test "$(waiting)" = 0
kv GET "$tok" "$A/key/before"
check "... and a KV read through it answers 200 ($STATUS)" data_is '"v1"'
BASE=$direct

# The standby back: writes are acknowledged again, the 503ed ones too.
"$TOP/tests/harness/pg.sh" start "$T/s" "$PGPORT_s" >/dev/null
for _ in $(seq 100); do
	[ "$(dbcase_psql "$URL_p" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] && break
	sleep 0.1
done
put gone v3
check "the standby back: the same write answers 200 ($s)" test "$s" = 200
hook "$id"
check "... and the delivery sent again answers 2xx ($s)" test "${s#2}" != "$s"
kv GET "$tok" "$A/key/gone"
check "... and reads the value written last" data_is '"v3"'
