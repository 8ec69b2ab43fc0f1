#!/bin/bash
# audit-trail.sh: every refresh (granted or refused), key creation and
# revocation, through the API and ttctl, leaves one audit row with time,
# user, key, source address, user agent (bounded, valid UTF-8) and
# outcome, never the credential; GET /api/v1/github/audit pages the
# caller's own rows; ttctl audit list and prune. The case sends from a
# loopback address of its own (see refresh-rate-limit.sh) so its rows
# are told apart from the other cases'.
# passes: lighttpd apache asan cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

q() { psql "$TT_DATABASE_URL" -Atc "$1"; }
addr="127.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))"
# rows WHERE: the number of audit rows matching the condition.
rows() { q "SELECT count(*) FROM audit_events WHERE $1"; }
post_refresh() {
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
	    -H "Authorization: Bearer $1" --interface "$addr" "${@:2}"
}

user=$(new_user)
other=$(new_user)
new_key "$user" access_token_create kv_store_read; key=$KEY key_id=$KEY_ID
check "ttctl key create leaves a key_create row (via ttctl, no address)" \
    test "$(rows "event = 'key_create' AND via = 'ttctl' AND api_key_id = '$key_id' \
        AND user_id = '$user' AND outcome = 'ok' AND source_address IS NULL")" = 1

# --- Refresh granted, with a user agent to clean. ---
ua=$(printf 'audit-test/1.0 caf\xc3\xa9 \xff\xfe bad\tctl %0300d' 0)
post_refresh "$key" -A "$ua"
check "a refresh with a live key is a 200" status_is 200
token=$(jq -r .access_token <"$T/body"); remember "$token"
check "it leaves one refresh/ok row with the user, key and source address" \
    test "$(rows "event = 'refresh' AND outcome = 'ok' AND via = 'api' \
        AND api_key_id = '$key_id' AND user_id = '$user' \
        AND source_address = '$addr' AND at > now() - interval '1 minute'")" = 1
stored=$(q "SELECT user_agent FROM audit_events WHERE api_key_id = '$key_id' \
    AND event = 'refresh' ORDER BY id DESC LIMIT 1")
check "the user agent is kept to 256 bytes" \
    test "$(printf '%s' "$stored" | wc -c)" -le 256
check "the user agent is kept as valid UTF-8, control bytes replaced" \
    test "$(printf '%s' "$stored" | head -c 31)" = "audit-test/1.0 café ?? bad?ctl"
check "the user agent keeps its well-formed characters" \
    sh -c 'printf "%s" "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null' - "$stored"

# --- Refused credentials. ---
unknown=$(unknown_key)
post_refresh "$unknown"
check "an unknown key is a 401" unauth_is 'unknown'
check "it leaves a refresh/unknown row with the address, no user, no key" \
    test "$(rows "event = 'refresh' AND outcome = 'unknown' \
        AND source_address = '$addr' AND user_id IS NULL AND api_key_id IS NULL")" = 1
# A key whose checksum fails costs no database work: no audit row, and
# no address bucket (from an address of its own).
maddr=$(rand_addr)
REFRESH_FROM=$maddr refresh "${key}x"
check "a malformed key is a 401" unauth_is 'malformed'
check "it leaves no audit row" \
    test "$(rows "source_address = '$maddr'")" = 0
check "and no address bucket row" \
    test "$(psql "$TT_DATABASE_URL" -Atc "SELECT count(*) FROM rate_buckets \
        WHERE bucket = 'a:$maddr'")" = 0

new_key "$user" kv_store_read; revoked=$KEY revoked_id=$KEY_ID
"$TOP/bin/ttctl" key revoke "$revoked_id" >/dev/null
check "ttctl key revoke leaves a key_revoke row (via ttctl)" \
    test "$(rows "event = 'key_revoke' AND via = 'ttctl' \
        AND api_key_id = '$revoked_id' AND user_id = '$user'")" = 1
post_refresh "$revoked"
check "a revoked key is a 401" unauth_is 'revoked'
check "it leaves a refresh/revoked row naming the key and its user" \
    test "$(rows "event = 'refresh' AND outcome = 'revoked' \
        AND api_key_id = '$revoked_id' AND user_id = '$user' \
        AND source_address = '$addr'")" = 1

new_key "$user" kv_store_read; expired=$KEY expired_id=$KEY_ID
q "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = '$expired_id'" >/dev/null
post_refresh "$expired"
check "an expired key is a 401" unauth_is 'expired'
check "it leaves a refresh/expired row" \
    test "$(rows "event = 'refresh' AND outcome = 'expired' \
        AND api_key_id = '$expired_id' AND source_address = '$addr'")" = 1

# --- Key creation and revocation through the API. ---
http POST /api/v1/github/access-token -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -A 'audit-test/2.0' --interface "$addr" \
    -d '{"name": "made-by-api", "capabilities": ["kv_store_read"]}'
check "POST access-token creates a key" status_is 201
api_key=$(jq -r .api_key <"$T/body"); remember "$api_key"
api_id=$(jq -r .id <"$T/body")
check "it leaves a key_create row (via api, address, user agent)" \
    test "$(rows "event = 'key_create' AND via = 'api' AND api_key_id = '$api_id' \
        AND user_id = '$user' AND source_address = '$addr' \
        AND user_agent = 'audit-test/2.0'")" = 1
http DELETE "/api/v1/github/access-token?id=$api_id" \
    -H "Authorization: Bearer $token" --interface "$addr"
check "DELETE access-token revokes it" status_is 204
check "it leaves a key_revoke row (via api)" \
    test "$(rows "event = 'key_revoke' AND via = 'api' AND api_key_id = '$api_id' \
        AND source_address = '$addr'")" = 1
http DELETE "/api/v1/github/access-token?id=$api_id" \
    -H "Authorization: Bearer $token" --interface "$addr"
check "revoking it again is a 404 and records nothing" \
    test "$STATUS" = 404 -a "$(rows "event = 'key_revoke' AND api_key_id = '$api_id'")" = 1

check "no row holds a key or a key's hash" \
    test "$(q "SELECT count(*) FROM audit_events a WHERE a::text LIKE '%tt_live_%' \
        OR a::text LIKE '%' || (SELECT encode(key_sha256, 'hex') FROM api_keys \
        WHERE id = '$key_id') || '%'")" = 0

# --- Another user's actions, which the first must not see. ---
new_key "$other" kv_store_read; other_key=$KEY
post_refresh "$other_key"
check "another user's refresh is a 200" status_is 200

# --- GET /api/v1/github/audit. ---
http GET /api/v1/github/audit
check "the audit route without a token is a 401" unauth_is
http GET /api/v1/github/audit -H "Authorization: Bearer $key"
check "the audit route with an API key instead of a token is a 401" unauth_is
want=$(rows "user_id = '$user'")
http GET "/api/v1/github/audit?limit=3" -H "Authorization: Bearer $token"
check "the audit route answers 200" status_is 200
check "with the standard headers" std_headers
check "and at most limit rows" json_is '.results | length' 3
check "newest first: the API revocation" json_is '.results[0].event' key_revoke
check "the row's fields" json_is '.results[0] | [.outcome, .via, .api_key_id, .user_id, .source_address] | join(" ")' \
    "ok api $api_id $user $addr"
check "a Link to the next page" header_matches Link '^<[^>]*page=[A-Za-z0-9_-]+>; rel="next"$'
all=$(jq -c '.results[]' <"$T/body")
pages=1
next=$(header Link | sed -n 's/^<\([^>]*\)>.*/\1/p')
while [ -n "$next" ] && [ $pages -lt 50 ]; do
	http GET "$next" -H "Authorization: Bearer $token"
	[ "$STATUS" = 200 ] || break
	all=$(printf '%s\n%s' "$all" "$(jq -c '.results[]' <"$T/body")")
	pages=$((pages + 1))
	next=$(header Link | sed -n 's/^<\([^>]*\)>.*/\1/p')
done
check "the pages together hold every row of the user ($want)" \
    test "$(printf '%s\n' "$all" | grep -c .)" = "$want"
check "only the caller's own rows" \
    test "$(printf '%s\n' "$all" | jq -r .user_id | sort -u)" = "$user"
check "each row once, newest first" \
    sh -c 'printf "%s\n" "$1" | jq -r .id | sort -rn -c && \
        test "$(printf "%s\n" "$1" | jq -r .id | sort -u | wc -l)" = "$2"' - "$all" "$want"
check "the refused revoked/expired refreshes are in the user's trail" \
    test "$(printf '%s\n' "$all" | jq -r .outcome | grep -cE '^(revoked|expired)$')" = 2
http GET "/api/v1/github/audit" -H "Authorization: Bearer $token"
check "the default page is 20 rows at most" \
    sh -c 'test "$(jq ".results | length" "$1")" -le 20' - "$T/body"
http GET "/api/v1/github/audit?limit=101" -H "Authorization: Bearer $token"
check "?limit=101 is clamped to 100, not refused (200, every row)" \
    json_is '.results | length' "$want"
for bad in 'limit=0' 'limit=x' 'page=%%%' 'page=bm9wZQ'; do
	http GET "/api/v1/github/audit?$bad" -H "Authorization: Bearer $token"
	check "?$bad is a 400 INVALID_PARAM" fails_with 400 INVALID_PARAM
done

# --- ttctl audit list. ---
n=$("$TOP/bin/ttctl" --json audit list --user "$user" | grep -c .)
check "ttctl audit list --user --json lists the user's rows" test "$n" = "$want"
check "ttctl audit list --since 1h --user finds them too" \
    test "$("$TOP/bin/ttctl" audit list --user "$user" --since 1h | grep -c .)" = "$want"
check "ttctl audit list --since a future time finds none" \
    test -z "$("$TOP/bin/ttctl" audit list --user "$user" --since 2999-01-01T00:00:00Z)"
check "ttctl audit list --limit 2 prints two" \
    test "$("$TOP/bin/ttctl" audit list --user "$user" --limit 2 | grep -c .)" = 2
check "ttctl audit list's human line names event, outcome and address" \
    sh -c '"$1/bin/ttctl" audit list --user "$2" --limit 20 | grep -q "refresh  *revoked .* from $3 "' \
    - "$TOP" "$user" "$addr"
"$TOP/bin/ttctl" audit list --since yesterday-ish >/dev/null 2>&1
check "ttctl audit list --since nonsense is a usage error (2)" test $? = 2

# --- ttctl audit prune. ---
q "INSERT INTO audit_events (at, event, outcome, via, user_id) VALUES
    (now() - interval '100 days', 'refresh', 'ok', 'api', '$user'),
    (now() - interval '10 days', 'refresh', 'ok', 'api', '$user')" >/dev/null
"$TOP/bin/ttctl" audit prune >/dev/null
check "ttctl audit prune drops rows older than 90 days (the default)" \
    test "$(rows "user_id = '$user' AND at < now() - interval '1 day'")" = 1
TT_AUDIT_RETENTION_DAYS=11 "$TOP/bin/ttctl" audit prune >/dev/null
check "TT_AUDIT_RETENTION_DAYS=11 keeps the 10-day-old row" \
    test "$(rows "user_id = '$user' AND at < now() - interval '1 day'")" = 1
out=$("$TOP/bin/ttctl" --json audit prune --days 9)
check "ttctl audit prune --days 9 drops it" \
    test "$(rows "user_id = '$user' AND at < now() - interval '1 day'")" = 0
check "and says how many rows went" \
    sh -c 'printf "%s" "$1" | jq -e ".days == 9 and .events >= 1" >/dev/null' - "$out"
check "recent rows stay" test "$(rows "user_id = '$user'")" = "$want"
"$TOP/bin/ttctl" audit prune --days 0 >/dev/null 2>&1
check "ttctl audit prune --days 0 is a usage error (2)" test $? = 2
