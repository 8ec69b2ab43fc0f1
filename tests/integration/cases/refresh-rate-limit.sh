#!/bin/bash
# refresh-rate-limit.sh: POST /api/v1/access-token/refresh is limited per
# key (TT_REFRESH_RATE_PER_KEY, default 60 a minute) and, for refused
# credentials, per source address (TT_REFRESH_RATE_PER_ADDRESS, default
# 30 a minute), in token buckets kept in PostgreSQL; a 429 carries
# Retry-After and RateLimit-*, a granted refresh RateLimit-* too, and each
# answer leaves an audit row. The suite's servers run with the defaults.
# Every case runs against several servers over one database, and the
# other cases refresh (some with bad keys) from 127.0.0.1: this one sends
# from loopback addresses of its own (127.x.y.z, all of them reach a
# server bound to 127.0.0.1 on Linux), so its address buckets are its own.
# passes: lighttpd apache asan cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

q() { psql "$TT_DATABASE_URL" -Atc "$1"; }
now_ms() { date +%s%3N; }


addr=$(rand_addr)
user=$(new_user)
new_key "$user" kv_store_read; k1=$KEY k1_id=$KEY_ID
new_key "$user" kv_store_read; k2=$KEY

# --- Per key: the 60th refresh passes, the 61st is a 429. ---
t0=$(now_ms)
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Bearer $k1" --interface "$addr"
check "the first refresh of a key is a 200" status_is 200
check "it says the key's limit, 60" header_matches RateLimit-Limit '^60$'
check "and that 59 remain" header_matches RateLimit-Remaining '^59$'
check "and when the bucket is full again (1 s)" header_matches RateLimit-Reset '^1$'
codes=$(refresh_burst 59 "$k1" "$addr")
check "refreshes 2 to 60 are all 200" \
    test "$(printf '%s\n' "$codes" | grep -c '^200$')" = 59
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Bearer $k1" --interface "$addr"
el=$(( $(now_ms) - t0 ))
echo "# 61 refreshes in $el ms (the bucket gains one every 1000 ms)"
extra=0
if [ "$el" -ge 1000 ]; then
	# A slow server (plain CGI under load): tokens came back meanwhile,
	# at most one a second; spend them, then the next must be a 429.
	while [ "$STATUS" = 200 ] && [ $extra -lt 200 ]; do
		extra=$((extra + 1))
		http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
		    -H "Authorization: Bearer $k1" --interface "$addr"
	done
	el=$(( $(now_ms) - t0 ))
fi
check "the 61st refresh is a 429 RATE_LIMITED ($extra granted from refill in $el ms)" \
    fails_with 429 RATE_LIMITED
check "no more were granted than the refill allows" \
    test $extra -le $((el / 1000))
check "the 429 says when to retry (1 s)" header_matches Retry-After '^1$'
check "the 429 says the limit" header_matches RateLimit-Limit '^60$'
check "the 429 says none remain" header_matches RateLimit-Remaining '^0$'
check "the 429 says when the bucket is full again" header_matches RateLimit-Reset '^(59|60)$'
check "the 429 has the standard headers" std_headers

refresh "$k2"
check "another key of the same user keeps working" status_is 200
check "with its own bucket" header_matches RateLimit-Remaining '^59$'

check "the audit trail holds the key's 60 (+ refill) granted refreshes" \
    test "$(q "SELECT count(*) FROM audit_events WHERE api_key_id = '$k1_id' \
        AND event = 'refresh' AND outcome = 'ok' AND source_address = '$addr'")" \
        = $((60 + extra))
check "and its refused one, as key_rate_limited" \
    test "$(q "SELECT count(*) FROM audit_events WHERE api_key_id = '$k1_id' \
        AND event = 'refresh' AND outcome = 'key_rate_limited' \
        AND source_address = '$addr' AND user_id = '$user'")" = 1

# --- A key with its own limit (ttctl key create --rate-limit). ---
new_key "$user" kv_store_read --rate-limit 2; k3=$KEY
codes=$(refresh_burst 3 "$k3" "$(rand_addr)" | tr '\n' ' ')
check "a key created with --rate-limit 2 gets two refreshes, then a 429" \
    test "$codes" = "200 200 429 "

# --- Per address: 30 refused credentials, then a 429 for everything. ---
a2=$(rand_addr)
unknown=$(unknown_key)
t0=$(now_ms)
codes=$(refresh_burst 30 "$unknown" "$a2")
check "30 unknown keys from one address are 30 401s" \
    test "$(printf '%s\n' "$codes" | grep -c '^401$')" = 30
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Bearer $unknown" --interface "$a2"
el=$(( $(now_ms) - t0 ))
echo "# 31 refused credentials in $el ms (the bucket gains one every 2000 ms)"
extra=0
if [ "$el" -ge 2000 ]; then
	while [ "$STATUS" = 401 ] && [ $extra -lt 200 ]; do
		extra=$((extra + 1))
		http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
		    -H "Authorization: Bearer $unknown" --interface "$a2"
	done
	el=$(( $(now_ms) - t0 ))
fi
check "the 31st refused credential from that address is a 429 ($extra from refill)" \
    fails_with 429 RATE_LIMITED
check "no more were refused with 401 than the refill allows" \
    test $extra -le $((el / 2000))
check "the address's 429 says when to retry" header_matches Retry-After '^[12]$'
check "the address's 429 says its limit, 30" header_matches RateLimit-Limit '^30$'
check "the address's 429 says none remain" header_matches RateLimit-Remaining '^0$'
# A 429 says the bucket lacks a token, not for how long. Once it gains
# one back, a refused credential spends it (a 401) and the address is
# dry for a whole step (2 s): the checks run right then (again when the
# server took 1.5 s or more for them).
new_key "$user" kv_store_read; k4=$KEY
bad=$(printf '%s' "$k4" | sed 's/.$//')
good=none
for try in 1 2 3 4 5; do
	prev=429 n=0
	while [ $n -lt 100 ]; do
		http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
		    -H "Authorization: Bearer $unknown" --interface "$a2"
		[ "$STATUS" = 401 ] && [ "$prev" = 429 ] && break
		prev=$STATUS n=$((n + 1))
		sleep 0.05
	done
	t1=$(now_ms)
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
	    -H "Authorization: Bearer $k4" --interface "$a2"
	good=$STATUS
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
	    -H "Authorization: Bearer ${bad}" --interface "$a2"
	[ $(( $(now_ms) - t1 )) -lt 1500 ] && break
	echo "# try $try took 1.5 s or more: the bucket may have refilled; again"
done
check "a malformed key from the limited address is a 401 (no database work)" \
    unauth_is 'malformed'
STATUS=$good
check "a good key from the limited address is a 200: the address bucket never refuses a valid key" \
    status_is 200
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Bearer $unknown" --interface "$a2"
check "while an unknown key from it is still a 429" fails_with 429 RATE_LIMITED
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Bearer $k4" --interface "$(rand_addr)"
check "the same key from another address is a 200" status_is 200
check "the audit trail holds the address's refused credentials as unknown" \
    test "$(q "SELECT count(*) FROM audit_events WHERE source_address = '$a2' \
        AND outcome = 'unknown' AND user_id IS NULL")" -ge $((30 + extra))
check "and its 429s as address_rate_limited" \
    test "$(q "SELECT count(*) FROM audit_events WHERE source_address = '$a2' \
        AND outcome = 'address_rate_limited'")" -ge 3

# --- Under concurrent load. A process with requests waiting reserves a
# high-limit key's tokens in blocks (at most a 64th of what the bucket
# has left) and queues those refreshes' audit rows, written in groups
# (lib/lease.h, lib/auditq.h). Sixteen at a time, 420 refreshes of a key
# limited to 320 a minute (a token back every 187.5 ms): never more
# grants than the bucket holds plus its refill, at most a few tokens
# left unspent in reservations, and once every answer is in, one audit
# row for each, at its own time. Plain CGI (a process per request, no
# reservations) runs 100 against a limit of 60: the same counts, in a
# time its process starts allow. ---
case $SERVER in
*cgi*)	n=100 lim=60 ;;
*)	n=420 lim=320 ;;
esac
new_key "$user" kv_store_read --rate-limit $lim; k5=$KEY k5_id=$KEY_ID
a5=$(rand_addr)
: >"$T/par.cfg"
for _i in $(seq $n); do
	printf 'url = "%s/api/v1/access-token/refresh"\noutput = "/dev/null"\n' \
	    "$BASE" >>"$T/par.cfg"
done
t0=$(now_ms)
curl -s -Z --parallel-max 16 -X POST -H 'Content-Length: 0' \
    -H "Authorization: Bearer $k5" --interface "$a5" \
    -w '%{http_code}\n' -K "$T/par.cfg" >"$T/par.codes"
el=$(( $(now_ms) - t0 ))
granted=$(grep -c '^200$' "$T/par.codes")
limited=$(grep -c '^429$' "$T/par.codes")
refill=$(( el * lim / 60000 + 1 ))
echo "# $n parallel refreshes in $el ms: $granted granted, $limited limited (refill $refill)"
check "every parallel refresh is a 200 or a 429" \
    test $((granted + limited)) = "$n"
check "no more were granted than the bucket holds plus its refill" \
    test "$granted" -le $((lim + refill))
check "at most 64 tokens were left unspent in reservations" \
    test "$granted" -ge $((lim - 64 < 0 ? 0 : lim - 64))
check "the audit trail holds one ok row per granted refresh" \
    test "$(q "SELECT count(*) FROM audit_events WHERE api_key_id = '$k5_id' \
        AND outcome = 'ok' AND source_address = '$a5' AND user_id = '$user'")" \
        = "$granted"
check "and one key_rate_limited row per 429" \
    test "$(q "SELECT count(*) FROM audit_events WHERE api_key_id = '$k5_id' \
        AND outcome = 'key_rate_limited' AND source_address = '$a5'")" \
        = "$limited"
check "each at its own time, within the burst" \
    test "$(q "SELECT count(*) FROM audit_events WHERE api_key_id = '$k5_id' \
        AND event = 'refresh' AND (at < to_timestamp($t0 / 1000.0 - 1) OR at > now())")" = 0
check "with no user agent lost" \
    test "$(q "SELECT count(*) FROM audit_events WHERE api_key_id = '$k5_id' \
        AND event = 'refresh' AND (user_agent IS NULL OR user_agent NOT LIKE 'curl/%')")" = 0
# lighttpd queues connections on a busy process's socket, so there the
# reservations are used: rows written by one group insert share their
# transaction (xmin). mod_fcgid hands a process one request at a time
# and plain CGI has none waiting: every refresh is written on its own.
case $SERVER in
lighttpd|lighttpd-asan)
	check "some refreshes were spent from reserved tokens, their rows written in groups" \
	    test "$(q "SELECT count(*) - count(DISTINCT xmin::text) FROM audit_events \
	        WHERE api_key_id = '$k5_id' AND outcome = 'ok'")" -gt 0 ;;
apache|*cgi*)
	check "every refresh was written on its own" \
	    test "$(q "SELECT count(*) - count(DISTINCT xmin::text) FROM audit_events \
	        WHERE api_key_id = '$k5_id' AND outcome = 'ok'")" = 0 ;;
*)	echo "# $SERVER: whether requests queue for a busy process is not known here" ;;
esac
