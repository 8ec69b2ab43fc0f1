#!/bin/bash
# failover.sh: a primary and its synchronous hot standby, no manager; one
# lighttpd whose TT_DATABASE_URL lists both with
# target_session_attrs=read-write. Under a mixed load (KV writes,
# access-token refreshes, signed webhook deliveries) from several clients
# the primary is killed with SIGKILL and, a second later, the standby
# promoted by hand: every KV write and delivery answered 2xx is on the
# new primary (with its value), every other answer is the JSON 503 with
# Retry-After, service is back within a bound, and the same web server
# processes serve throughout. Then the old primary is rewound onto the new
# one as its synchronous standby and, under the same load, a planned
# switch back (a clean stop, a promotion, a rewind) loses nothing either.
# A refresh records nothing a crash must keep (its audit row commits
# without waiting, lib/refresh.c): only its answers are checked.
. "$TOP/tests/harness/dbcase.sh"

now() { echo "$EPOCHREALTIME"; }
pg() { "$TOP/tests/harness/pg.sh" "$@"; }

# Service must be back this long after the kill (or the clean stop): the
# second before the promotion, the promotion itself, a client's pause
# after a 503, and slack for a loaded two-core machine.
BOUND=10

dbcase_cluster p --primary || { echo "not ok - [$SERVER] primary started"; exit 1; }
dbcase_standby s p --sync || { echo "not ok - [$SERVER] standby started"; exit 1; }
# Both hosts; libpq picks the one that takes writes.
URL="host=$T/p/run,$T/s/run port=$PGPORT_p,$PGPORT_s user=terrateam dbname=terrateam target_session_attrs=read-write connect_timeout=2"
TT_DATABASE_URL=$URL
# The case's tokens outlive it; the load's refreshes are not rate limited.
TT_ACCESS_TOKEN_TTL=600
export TT_DATABASE_URL TT_ACCESS_TOKEN_TTL
dbcase_github || { echo "not ok - [$SERVER] stand-in GitHub started"; exit 1; }
dbcase_web "$URL" || { echo "not ok - [$SERVER] web server started"; exit 1; }

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN
new_key "$user" kv_store_read --rate-limit 1000000; rkey=$KEY
check "an access token and a key to refresh" test -n "$tok" -a -n "$rkey"
SECRET=$(head -1 "$TT_GITHUB_WEBHOOK_SECRET_FILE")

# sync_of URL: the application names the cluster's commits wait for.
sync_of() {
	dbcase_psql "$1" "SELECT string_agg(application_name, ',')
	    FROM pg_stat_replication WHERE sync_state = 'sync'"
}
check "p's commits wait for its synchronous standby s" test "$(sync_of "$URL_p")" = s

# The web server's processes: the same ones must serve throughout.
pids_before=$(dbcase_web_pids)

# --- The load: clients of three kinds, every answer logged as
# "START END KIND CLIENT SEQ STATUS VERDICT WHAT" (WHAT: the KV key and
# value, the delivery id, or -). ---
mkdir -p "$T/load"
client() {
	local k=$1 c=$2 i=0 s t0 t1 v w b=$T/load/$1.$2.body h=$T/load/$1.$2.hdrs
	local f=$T/load/$1.$2.json
	while [ ! -e "$T/load/stop" ]; do
		i=$((i + 1))
		t0=$EPOCHREALTIME
		case $k in
		kv)	w="load.$c.$i value-$c-$i"
			s=$(curl -s -o "$b" -D "$h" -w '%{http_code}' --max-time 15 \
			    -X PUT -H "Authorization: Bearer $tok" \
			    -H 'Content-Type: application/json' \
			    --data-binary "{\"data\":\"value-$c-$i\"}" \
			    "$BASE/api/v1/github/kv/$A/key/load.$c.$i") || s=000 ;;
		refresh) w=-
			s=$(curl -s -o "$b" -D "$h" -w '%{http_code}' --max-time 15 \
			    -X POST -H 'Content-Length: 0' -H "Authorization: Bearer $rkey" \
			    "$BASE/api/v1/access-token/refresh") || s=000
			[ "$s" = 200 ] && ! grep -q '"access_token":"ey' "$b" && s=200-without-token ;;
		hook)	w=$(</proc/sys/kernel/random/uuid)
			printf '{"action":"created","starred_at":"%s","load":"%s.%s"}' \
			    "$t0" "$c" "$i" >"$f"
			s=$(curl -s -o "$b" -D "$h" -w '%{http_code}' --max-time 15 \
			    -X POST -H 'Content-Type: application/json' \
			    -H 'X-GitHub-Event: star' -H "X-GitHub-Delivery: $w" \
			    -H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac "$SECRET" <"$f" | awk '{print $NF}')" \
			    --data-binary "@$f" "$BASE/api/github/v1/events") || s=000 ;;
		esac
		t1=$EPOCHREALTIME
		dbcase_verdict "$s" "$b" "$h" "$T/load/bad.$k.$c.$i"
		echo "$t0 $t1 $k $c $i $s $v $w" >>"$T/load/$k.$c.log"
	done
}
load_pids=
for kc in kv.1 kv.2 refresh.1 hook.1 hook.2; do
	client "${kc%.*}" "${kc#*.}" &
	load_pids="$load_pids $!"
done
dbcase_at_exit "touch $T/load/stop; kill $load_pids"

answers() { cat "$T"/load/*.log 2>/dev/null; }
# acks_since T [KIND]: answers 2xx to requests sent after time T.
acks_since() {
	answers | awk -v t="$1" -v k="${2:-}" '$7 == "ack" && $1 > t && (k == "" || $3 == k) { n++ } END { print n + 0 }'
}
# first_ack T: the end of the first write (KV or delivery) answered 2xx
# that was sent after the first failed answer after T (a request sent
# just after T may still have been served before the event), or after T
# when none failed.
first_ack() {
	local f
	f=$(answers | awk -v t="$1" '$1 >= t && $7 != "ack" { print $2 }' | sort -n | head -1)
	answers | awk -v f="${f:-$1}" '$1 > f && $7 == "ack" && $3 != "refresh" { print $2 }' |
	    sort -n | head -1
}
# wait_back T: until writes sent after T are acknowledged (BOUND + 5 s).
wait_back() {
	for _ in $(seq $((BOUND * 10 + 50))); do
		[ "$(acks_since "$1" kv)" -gt 0 ] && [ "$(acks_since "$1" hook)" -gt 0 ] && return
		sleep 0.1
	done
}
# outage T: seconds from T to first_ack T.
outage() {
	local b
	b=$(first_ack "$1")
	if [ -n "$b" ]; then dbcase_secs "$1" "$b"; else echo none; fi
}
# gap T: the longest time after T no write was acknowledged, from the
# last write acknowledged before T (a request sent just after T may still
# have been served by the old primary) up to now.
gap() {
	answers | awk '$7 == "ack" && $3 != "refresh" { print $2 }' | sort -n |
	    awk -v t="$1" -v n="$(now)" '$1 < t { p = $1; next }
		p != "" && $1 - p > m { m = $1 - p } { p = $1 }
		END { if (p != "" && n - p > m) m = n - p; printf "%.1f", m }'
}
within_bound() {
	awk -v o="$1" -v b="$BOUND" 'BEGIN { exit !(o != "none" && o + 0 <= b) }'
}
# lost URL: the acknowledged KV writes (key and value) and deliveries
# the cluster at URL lacks, among the answers logged so far.
lost() {
	answers >"$T/answers"
	{
		dbcase_psql "$1" "SELECT key || ' ' || (data #>> '{}') FROM kv_store
		    WHERE installation_id = $A AND key LIKE 'load.%'"
		dbcase_psql "$1" "SELECT delivery_id FROM webhook_deliveries"
	} | sort >"$T/on-primary"
	awk '$7 == "ack" && $3 != "refresh" { $1 = $2 = $3 = $4 = $5 = $6 = $7 = ""; sub(/^ +/, ""); print }' \
	    "$T/answers" | sort >"$T/acked"
	comm -23 "$T/acked" "$T/on-primary" | tee "$T/lost" | wc -l
}
# acked KIND: the answers 2xx of a kind logged so far.
acked() { awk -v k="$1" '$7 == "ack" && $3 == k' "$T/answers" | wc -l; }

for _ in $(seq 100); do
	[ "$(acks_since 0 kv)" -ge 20 ] && [ "$(acks_since 0 hook)" -ge 10 ] &&
	    [ "$(acks_since 0 refresh)" -ge 5 ] && break
	sleep 0.1
done
check "the mixed load is acknowledged before the kill ($(acks_since 0 kv) writes, $(acks_since 0 hook) deliveries, $(acks_since 0 refresh) refreshes)" \
    test "$(acks_since 0 kv)" -ge 20 -a "$(acks_since 0 hook)" -ge 10 -a "$(acks_since 0 refresh)" -ge 5

# --- Failover: p dies, s is promoted by hand a second later. ---
# (pg.sh crash returns once the postmaster is gone: the kill is before.)
t_kill=$(now)
pg crash "$T/p"
echo "# pg.sh crash returned after $(dbcase_secs "$t_kill" "$(now)") s"
sleep 1
pg promote "$T/s"
t_promoted=$(now)
echo "# s promoted $(dbcase_secs "$t_kill" "$t_promoted") s after p was killed"
wait_back "$t_kill"
sleep 1
out1=$(outage "$t_kill")
echo "# failover outage: $out1 s from the kill to the first acknowledged write; no write acknowledged for $(gap "$t_kill") s"
check "writes and deliveries are acknowledged again within $BOUND s of the kill (after $out1 s)" \
    within_bound "$out1"
n=$(lost "$URL_s")
check "every acknowledged write (with its value) and delivery is on s ($(acked kv) writes, $(acked hook) deliveries, $n lost)" \
    test "$n" -eq 0 -a "$(acked kv)" -gt 0 -a "$(acked hook)" -gt 0
[ "$n" -eq 0 ] || head -5 "$T/lost" | sed 's/^/# lost: /'
whoami "$tok"
check "an access token issued before the failover still works" status_is 200

# --- p rewound onto s, as its synchronous standby. ---
pg rewind "$T/p" "$PGPORT_p" "$T/s" "$PGPORT_s" --sync >/dev/null ||
    { echo "not ok - [$SERVER] p rewound onto s"; tail -5 "$T/p/rewind.log"; exit 1; }
check "p, rewound, streams from s as its synchronous standby" test "$(sync_of "$URL_s")" = p
sleep 1

# --- A planned switch back: s stopped cleanly (its WAL flushed to p
# first), p promoted, s rewound onto p. ---
t_stop=$(now)
pg stop "$T/s"
pg promote "$T/p"
t_promoted=$(now)
echo "# p promoted $(dbcase_secs "$t_stop" "$t_promoted") s after the clean stop of s began"
wait_back "$t_stop"
out2=$(gap "$t_stop")
echo "# switch-back outage: no write acknowledged for $out2 s (the first after a failure, if any, $(outage "$t_stop") s after the stop began)"
check "writes and deliveries are acknowledged again within $BOUND s of the stop (after $out2 s)" \
    within_bound "$out2"
pg rewind "$T/s" "$PGPORT_s" "$T/p" "$PGPORT_p" --sync >/dev/null ||
    { echo "not ok - [$SERVER] s rewound onto p"; tail -5 "$T/s/rewind.log"; exit 1; }
check "s rejoined as p's synchronous standby" test "$(sync_of "$URL_p")" = s
sleep 1
touch "$T/load/stop"
wait $load_pids

n=$(lost "$URL_p")
check "every acknowledged write and delivery of the whole run is on p ($(acked kv) writes, $(acked hook) deliveries, $n lost)" \
    test "$n" -eq 0
[ "$n" -eq 0 ] || head -5 "$T/lost" | sed 's/^/# lost: /'
total=$(wc -l <"$T/answers")
n503=$(awk '$7 == "503"' "$T/answers" | wc -l)
bad=$(awk '$7 == "bad" { print $3 "." $4 "." $5 ":" $6 }' "$T/answers" | head -10 | tr '\n' ' ')
slowest=$(awk '{ d = $2 - $1; if (d > m) m = d } END { printf "%.1f", m }' "$T/answers")
by_kind=$(awk '$7 == "503" { n[$3]++ } END { for (k in n) printf " %s %d", k, n[k] }' "$T/answers")
echo "# $total answers: $(acked kv) writes, $(acked hook) deliveries, $(acked refresh) refreshes acknowledged, $n503 JSON 503 (${by_kind# }); the slowest took $slowest s"
check "every answer was a 2xx or the JSON 503 with Retry-After (no 500, no timeout)${bad:+: $bad}" \
    test -z "$bad"
check "the same web server processes served throughout (no restart)" \
    test "$(dbcase_web_pids)" = "$pids_before"
# A commit whose wait for its standby is cancelled is reported done
# though the standby may lack it (a terminated one is not reported done).
check "no commit stopped waiting for its synchronous standby" \
    sh -c '! grep -h "canceling wait for synchronous replication" "$@"' - "$T/p/pg.log" "$T/s/pg.log"
echo "# figures: failover outage $out1 s, switch-back outage $out2 s, lost $n"
