#!/bin/bash
# auth-capabilities.sh: the key management API (API.md 1.3, 1.4) needs
# access_token_create, never hands out a capability the caller lacks,
# validates its input with 400 INVALID_PARAM, pages with an opaque cursor
# and only ever touches the caller's own keys.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

KEYS=/api/v1/github/access-token
# create TOKEN BODY: POST a key-creation body.
create() {
	http POST $KEYS -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' --data-binary "$2"
	[ "$STATUS" = 201 ] && remember "$(jq -r '.api_key // empty' <"$T/body")"
}
# nkeys USER: how many live keys the user has (ttctl, not the API).
nkeys() {
	"$TOP/bin/ttctl" --json key list --user "$1" 2>/dev/null | jq -s length
}

user=$(new_user)
new_key "$user" kv_store_read
refresh "$KEY"; t_plain=$TOKEN
new_key "$user" access_token_create kv_store_read
refresh "$KEY"; t_admin=$TOKEN

# --- Without access_token_create: 403 on every key management call. ---
http GET $KEYS -H "Authorization: Bearer $t_plain"
check "GET without access_token_create is a 403 MISSING_CAPABILITY" \
    fails_with 403 MISSING_CAPABILITY
check "the 403 carries the standard headers" std_headers
create "$t_plain" '{"name":"x","capabilities":["kv_store_read"]}'
check "POST without access_token_create is a 403 MISSING_CAPABILITY" \
    fails_with 403 MISSING_CAPABILITY
http DELETE "$KEYS?id=$KEY_ID" -H "Authorization: Bearer $t_plain"
check "DELETE without access_token_create is a 403 MISSING_CAPABILITY" \
    fails_with 403 MISSING_CAPABILITY
refresh "$KEY"
check "the key the refused DELETE named is still live" status_is 200

# --- No escalation: a new key holds at most the caller's capabilities. ---
before=$(nkeys "$user")
create "$t_admin" '{"name":"escalate","capabilities":["kv_store_write"]}'
check "creating a key with a capability the caller lacks is a 403" \
    fails_with 403 MISSING_CAPABILITY
check "no key was created by the refused request" [ "$(nkeys "$user")" = "$before" ]
# An unrestricted caller may narrow: an installation_id entry restricts
# the new key (API.md 1.3: restrictions, not grants).
create "$t_admin" '{"name":"narrowed","capabilities":["kv_store_read",{"name":"installation_id","id":"12345"}]}'
check "an unrestricted caller creates a key restricted to one installation (201)" \
    status_is 201
check "no other key was created" [ "$(nkeys "$user")" = "$((before + 1))" ]

# --- Installation entries restrict; they never widen (API.md 1.3). ---
# A key restricted to A with access_token_create, of a user who is a member
# of A and B, asks for keys without any restriction, restricted to B, and
# to A: only the last is a key it may give.
new_installation; rA=$INST
new_installation; rB=$INST
add_member "$rA" "$user"
add_member "$rB" "$user"
new_key "$user" access_token_create kv_store_read kv_store_write "installation:$rA"
refresh "$KEY"; t_onlyA=$TOKEN
before=$(nkeys "$user")
create "$t_onlyA" '{"name":"widen","capabilities":["kv_store_read","kv_store_write"]}'
check "a caller restricted to A cannot create an unrestricted key (403)" \
    fails_with 403 MISSING_CAPABILITY
create "$t_onlyA" '{"name":"empty","capabilities":[]}'
check "a caller restricted to A cannot create a key with no restriction at all (403)" \
    fails_with 403 MISSING_CAPABILITY
create "$t_onlyA" "{\"name\":\"to-B\",\"capabilities\":[\"kv_store_read\",{\"name\":\"installation_id\",\"id\":\"$rB\"}]}"
check "a caller restricted to A cannot create a key restricted to B (403)" \
    fails_with 403 MISSING_CAPABILITY
check "no key was created by the refused requests" [ "$(nkeys "$user")" = "$before" ]
create "$t_onlyA" "{\"name\":\"to-A\",\"capabilities\":[\"kv_store_read\",{\"name\":\"installation_id\",\"id\":\"$rA\"}]}"
check "a caller restricted to A creates a key restricted to A (201)" status_is 201
refresh "$(jq -r .api_key <"$T/body")"
kv GET "$TOKEN" "$rB/key/anything"
check "the key it created cannot reach B, where its user is a member (403)" \
    fails_with 403 NO_INSTALLATION_ACCESS
kv GET "$TOKEN" "$rA/key/anything"
check "the key it created reaches A (404: no such key, past the session check)" \
    fails_with 404 NOT_FOUND

create "$t_admin" '{"name":"read only","capabilities":["kv_store_read"]}'
check "creating a key with a subset of the caller's capabilities is a 201" \
    status_is 201
check "the 201 carries the standard headers" std_headers
check "the answer names the key and its capabilities" \
    json_is '[.name, (.capabilities | tojson)] | join(" ")' 'read only ["kv_store_read"]'
check "api_key is a tt_live_ key and refresh_token the same key" \
    json_is '(.api_key | test("^tt_live_[0-9A-Za-z]{42}$")) and .api_key == .refresh_token' true
check "the answer has the key's id" json_is '.id | test("^[0-9a-f-]{36}$")' true
sub=$(jq -r .api_key <"$T/body")
sub_id=$(jq -r .id <"$T/body")
refresh "$sub"
check "the new key works at refresh" status_is 200
whoami "$TOKEN"
check "its whoami capabilities are exactly the requested subset" \
    json_is '.capabilities | tojson' '["kv_store_read"]'
check "its whoami api_key_id is the created id" json_is .api_key_id "$sub_id"

create "$t_admin" '{"name":"no caps","capabilities":[]}'
check "a key with no capabilities at all may be created" status_is 201
future=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
create "$t_admin" "{\"name\":\"dated\",\"capabilities\":[\"kv_store_read\"],\"expires_at\":\"$future\"}"
check "expires_at in the future is accepted and echoed" json_is .expires_at "$future"
name200=$(printf '%0200d' 0 | tr 0 n)
create "$t_admin" "{\"name\":\"$name200\",\"capabilities\":[]}"
check "a name of exactly 200 bytes is accepted" status_is 201

# --- Invalid bodies: 400 INVALID_PARAM. ---
bad() {
	create "$t_admin" "$2"
	check "$1 is a 400 INVALID_PARAM" fails_with 400 INVALID_PARAM
}
before=$(nkeys "$user")
bad "an unknown capability string" '{"name":"x","capabilities":["kv_store_admin"]}'
bad "a capability in another case" '{"name":"x","capabilities":["KV_STORE_READ"]}'
bad "capabilities not an array" '{"name":"x","capabilities":"kv_store_read"}'
bad "a missing capabilities member" '{"name":"x"}'
bad "a duplicate capability" '{"name":"x","capabilities":["kv_store_read","kv_store_read"]}'
bad "a body that is not an object" '["kv_store_read"]'
bad "a missing name" '{"capabilities":["kv_store_read"]}'
bad "an empty name" '{"name":"","capabilities":["kv_store_read"]}'
bad "a name of 201 bytes" "{\"name\":\"${name200}n\",\"capabilities\":[]}"
bad "a name that is not a string" '{"name":7,"capabilities":[]}'
bad "a name with a control character" '{"name":"a\nb","capabilities":[]}'
bad "an unknown member" '{"name":"x","capabilities":[],"admin":true}'
bad "expires_at in the past" '{"name":"x","capabilities":[],"expires_at":"2000-01-01T00:00:00Z"}'
bad "expires_at that is not a time" '{"name":"x","capabilities":[],"expires_at":"next tuesday"}'
bad "expires_at as a number" "{\"name\":\"x\",\"capabilities\":[],\"expires_at\":$(date +%s)}"
check "no key was created by the invalid bodies" [ "$(nkeys "$user")" = "$before" ]

# --- Listing: keyset pages of the caller's keys. ---
puser=$(new_user)
new_key "$puser" access_token_create
refresh "$KEY"; t_pager=$TOKEN
for _ in 1 2 3 4 5; do new_key "$puser" kv_store_read; done
"$TOP/bin/ttctl" --json key list --user "$puser" 2>/dev/null |
    jq -r .id | sort >"$T/want"
check "test setup: the paging user has 6 keys" [ "$(wc -l <"$T/want")" = 6 ]
# walk LIMIT: follows Link rel="next" from the first page; the ids seen
# go to $T/seen, the page count to PAGES; SIZES_OK=0 if a page was over
# the limit. The Link URL may be absolute or a path.
walk() {
	: >"$T/seen"
	url="$KEYS?limit=$1" PAGES=0 SIZES_OK=1
	while [ -n "$url" ] && [ $PAGES -lt 20 ]; do
		http GET "$url" -H "Authorization: Bearer $t_pager"
		[ "$STATUS" = 200 ] || { echo "# page $PAGES: $STATUS"; break; }
		jq -r '.results[].id' <"$T/body" >>"$T/seen"
		[ "$(jq '.results | length' <"$T/body")" -le "$1" ] || SIZES_OK=0
		PAGES=$((PAGES + 1))
		url=$(header Link | sed -n 's/^<\([^>]*\)>; *rel="next"$/\1/p' |
		    sed 's|^https\{0,1\}://[^/]*||')
	done
	echo "# limit=$1: followed $PAGES pages"
}
each_once() {
	sort "$T/seen" | diff - "$T/want" >/dev/null && return 0
	echo "# listed twice: $(sort "$T/seen" | uniq -d | tr '\n' ' ')"
	echo "# never listed: $(sort -u "$T/seen" | comm -13 - "$T/want" | tr '\n' ' ')"
	return 1
}
walk 2
check "limit=2 pages through the keys by Link rel=\"next\" (3 pages)" [ $PAGES = 3 ]
check "no page holds more than limit results" [ $SIZES_OK = 1 ]
check "the limit=2 pages list every key of the user exactly once" each_once
check "the last page has no Link rel=\"next\"" \
    sh -c '! grep -qi "^Link:" "$1"' - "$T/hdrs"
# Keys made within one second are where a keyset cursor and the ORDER BY
# must agree exactly: one key a page walks every boundary.
walk 1
one_each() { [ $PAGES = 6 ] && [ $SIZES_OK = 1 ] && each_once; }
check "limit=1 lists every key exactly once, one page each" one_each
http GET "$KEYS" -H "Authorization: Bearer $t_pager"
check "without limit all 6 keys come on one page" json_is '.results | length' 6
check "list entries carry id, name, capabilities, created_at" \
    json_is '[.results[] | has("id") and has("name") and has("capabilities") and has("created_at")] | all' true
check "the list never shows key material" \
    json_is '[.results[] | has("api_key") or has("refresh_token") or has("key_sha256")] | any' false
check "the list holds only the caller's keys" \
    sh -c 'jq -r ".results[].id" "$1" | sort | diff - "$2" >/dev/null' - "$T/body" "$T/want"

http GET "$KEYS?limit=101" -H "Authorization: Bearer $t_pager"
check "GET ?limit=101 is clamped to 100, not refused (all 6 keys, 200)" \
    json_is '.results | length' 6
for q in 'limit=0' 'limit=-1' 'limit=abc' 'limit=' 'page=garbage!' \
    "page=$(printf 'p1\n123\nnot-a-uuid' | base64 | tr '+/' '-_' | tr -d '=\n')" \
    "page=$(printf 'p1\n123\n%s%s' "$KEY_ID" "'; DROP TABLE api_keys;--" | base64 | tr '+/' '-_' | tr -d '=\n')"; do
	http GET "$KEYS?$q" -H "Authorization: Bearer $t_pager"
	check "GET ?${q:0:40} is a 400 INVALID_PARAM" fails_with 400 INVALID_PARAM
done

# --- DELETE: the caller's own keys only. ---
new_key "$user" kv_store_read
foreign=$KEY foreign_id=$KEY_ID
http DELETE "$KEYS?id=$foreign_id" -H "Authorization: Bearer $t_pager"
check "DELETE of another user's key is a 404" fails_with 404 NOT_FOUND
refresh "$foreign"
check "the other user's key still works after the refused DELETE" status_is 200
http DELETE "$KEYS?id=$(cat /proc/sys/kernel/random/uuid)" \
    -H "Authorization: Bearer $t_pager"
check "DELETE of an unknown key id is a 404" fails_with 404 NOT_FOUND
http DELETE "$KEYS" -H "Authorization: Bearer $t_pager"
check "DELETE without id is a 400 INVALID_PARAM" fails_with 400 INVALID_PARAM
http DELETE "$KEYS?id=not-a-uuid" -H "Authorization: Bearer $t_pager"
check "DELETE with a non-uuid id is a 400 INVALID_PARAM" fails_with 400 INVALID_PARAM
http DELETE "$KEYS?id=$foreign_id%27%20OR%20%271%27=%271" \
    -H "Authorization: Bearer $t_pager"
check "DELETE with an injected id is a 400 INVALID_PARAM" fails_with 400 INVALID_PARAM
refresh "$foreign"
check "the other user's key survived every DELETE" status_is 200
