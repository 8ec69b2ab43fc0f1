#!/bin/sh
# auth-refresh.sh: an API key is exchanged for a 60 s access token at
# POST /api/v1/access-token/refresh (API.md 1.2), and the token says who
# the caller is at GET /api/v1/whoami (1.5). Every refused credential is a
# JSON 401 with an RFC 6750 challenge saying what was wrong.
# passes: lighttpd apache asan proxy cgi cgi-asan valgrind
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
# A key that expires in 1 s, made first so that its wait overlaps the
# other checks.
new_key "$user" kv_store_read --expires-in 1s
short_key=$KEY
short_made=$(date +%s)
new_key "$user" kv_store_read access_token_create
key=$KEY key_id=$KEY_ID

"$TOP/bin/ttctl" --json key list --user "$user" >"$T/keys" 2>/dev/null
check "a new key has no last_used_at before its first refresh" \
    sh -c 'jq -se --arg id "$1" "map(select(.id == \$id)) | length == 1 and (.[0] | has(\"last_used_at\") | not)" <"$2" >/dev/null' - "$key_id" "$T/keys"

# --- The exchange. ---
refresh "$key"
check "refresh with a live API key is a 200" status_is 200
check "the refresh answer carries the standard headers" std_headers
check "token_type is Bearer" json_is .token_type Bearer
check "expires_in is 60" json_is .expires_in 60
check "token (Terrateam's name) equals access_token" \
    json_is '.token == .access_token' true
check "access_token is a compact JWS" \
    sh -c 'printf %s "$1" | grep -Eq "^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"' - "$TOKEN"
token=$TOKEN

whoami "$token"
check "whoami with the access token is a 200" status_is 200
check "whoami carries the standard headers" std_headers
check "whoami: id is the key's user" json_is .id "$user"
check "whoami: api_key_id is the key's id" json_is .api_key_id "$key_id"
check "whoami: capabilities are the key's" \
    json_is '.capabilities | tojson' '["kv_store_read","access_token_create"]'
check "whoami: vcs is [\"github\"]" json_is '.vcs | tojson' '["github"]'
now=$(date +%s)
check "whoami: expires_at is the token's exp, about 60 s ahead" \
    json_is "(.expires_at | fromdateiso8601) - $now | . >= 50 and . <= 61" true

"$TOP/bin/ttctl" --json key list --user "$user" >"$T/keys" 2>/dev/null
check "after a refresh the key's last_used_at is set (ttctl key list)" \
    sh -c 'jq -se --arg id "$1" "map(select(.id == \$id))[0].last_used_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T\")" <"$2" >/dev/null' - "$key_id" "$T/keys"

http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: bearer    $key"
check "the Bearer scheme is case-insensitive and spaces after it are skipped" \
    status_is 200
remember "$(jq -r '.access_token // empty' <"$T/body" 2>/dev/null)"

# --- Missing or foreign credentials. ---
http POST /api/v1/access-token/refresh -H 'Content-Length: 0'
check "refresh without Authorization is a JSON 401" unauth_is 'Authorization'
check "the 401 has WWW-Authenticate with realm=\"terrateam\" and error=\"invalid_token\"" \
    sh -c 'grep -i "^WWW-Authenticate:" "$1" | grep -F "realm=\"terrateam\"" | grep -Fq "error=\"invalid_token\""' - "$T/hdrs"
check "the 401 carries the standard headers" std_headers
http GET /api/v1/whoami
check "whoami without Authorization is a JSON 401 with the challenge" unauth_is

basic=$(printf 'x:%s' "$key" | base64 | tr -d '\n')
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Basic $basic"
check "refresh with the Basic scheme is a 401 asking for Bearer" unauth_is 'Bearer'
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H 'Authorization: Bearer '
check "refresh with an empty bearer token is a 401" unauth_is

# --- Keys the server must refuse. ---
last=$(printf '%s' "$key" | tail -c 1)
if [ "$last" = A ]; then other=B; else other=A; fi
bad=$(printf '%s' "$key" | sed 's/.$//')$other
refresh "$bad"
check "a key with a wrong checksum (last character changed) is a 401 'malformed'" \
    unauth_is 'malformed'
refresh "${key}x"
check "a key one character too long is a 401 'malformed'" unauth_is 'malformed'

# A well-formed key (valid CRC32 checksum) that was never issued.
unknown=$(unknown_key)
refresh "$unknown"
check "a well-formed key that was never issued is a 401 'unknown'" \
    unauth_is 'unknown'

new_key "$user" kv_store_read
revoked=$KEY
"$TOP/bin/ttctl" key revoke "$KEY_ID" >/dev/null 2>&1
refresh "$revoked"
check "a revoked key is a 401 'revoked'" unauth_is 'revoked'

# --- Token kind confusion (SECURITY.md threat 8). ---
refresh "$token"
check "an access token sent to refresh is a 401 that says to send the API key" \
    unauth_is 'send the API key'
whoami "$key"
check "an API key sent to whoami is a 401 pointing at /api/v1/access-token/refresh" \
    unauth_is '/api/v1/access-token/refresh'
http GET /api/v1/github/access-token -H "Authorization: Bearer $key"
check "an API key sent to the key list is a 401 pointing at the refresh endpoint" \
    unauth_is '/api/v1/access-token/refresh'

# --- The key made at the start has expired by now. ---
while [ "$(date +%s)" -lt $((short_made + 2)) ]; do sleep 0.2; done
refresh "$short_key"
check "a key past its expires_at is a 401 'expired'" unauth_is 'expired'
