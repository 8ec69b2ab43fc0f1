#!/bin/bash
# kv-keys.sh: KV keys taken from the path and the bodies of writes
# (API.md section 3; SECURITY.md threats 11, 13, 14): odd and hostile
# keys are stored verbatim or refused with a 4xx, never a 5xx; a key is
# the rest of the path percent-decoded once, so %2F is '/', %252F is the
# literal "%2F", and "..", "//" are part of the key, never path
# navigation; value size and body shape are checked.
# passes: lighttpd apache asan proxy cgi cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

# Every answer's status is kept to prove that none was a 5xx.
: >"$T/statuses"
# k METHOD PATH [curl args...]: a KV request in A with the token; PATH
# is relative to /api/v1/github/kv/A/.
k() {
	_kmeth=$1; _kpath=$2; shift 2
	kv "$_kmeth" "$tok" "$A/$_kpath" "$@"
	echo "$STATUS $_kmeth $_kpath" >>"$T/statuses"
}
put() { k PUT "key/$1" -H 'Content-Type: application/json' --data-binary "$2" "${@:3}"; }
get() { k GET "key/$1" "${@:2}"; }
# round_trip RAWPATH KEY: a value written under the raw path reads back
# under it, with the record's key the decoded KEY.
round_trip() {
	_rtv="v-$RANDOM"
	put "$1" "{\"data\":\"$_rtv\"}" --path-as-is
	status_is 200 && json_is .key "$2" || return 1
	get "$1" --path-as-is
	status_is 200 && json_is .key "$2" && data_is "\"$_rtv\""
}
# bad_key: a 4xx; when the program answers (JSON), a 400 INVALID_KEY.
# (lighttpd refuses control characters and invalid UTF-8 in URLs itself
# with an HTML 400: url-ctrls-reject.)
bad_key() {
	four_xx || return 1
	jq -e . "$T/body" >/dev/null 2>&1 || return 0
	error_is 400 INVALID_KEY
}
four_xx() {
	case $STATUS in 4??) return 0 ;; esac
	echo "# expected a 4xx, got $STATUS: $(head -c 200 "$T/body")"
	return 1
}

# --- Keys stored verbatim. ---
check "a key with '/' round-trips" round_trip dir/sub/leaf dir/sub/leaf
check "a key with a space (%20) round-trips" round_trip 'with%20space' 'with space'
check "a UTF-8 key (caf%C3%A9) round-trips" round_trip 'caf%C3%A9' 'café'
check "a key with a quote (%27) round-trips" round_trip 'it%27s' "it's"
sqli="'; DROP TABLE kv_store;--"
sqli_enc='%27%3B%20DROP%20TABLE%20kv_store%3B--'
check "the key \"$sqli\" round-trips" round_trip "$sqli_enc" "$sqli"
check "a key with ?-free punctuation round-trips" \
    round_trip 'punct:b@c!$&%28%29*+,;=~' 'punct:b@c!$&()*+,;=~'
k GET "count/key/$sqli_enc"
check "count of the injection key is 1" json_is .count 1
k GET "iter/$sqli_enc?prefix=true"
check "iter with the injection key as prefix lists exactly it" \
    json_is '[.results[].key] | tojson' "$(jq -nc --arg k "$sqli" '[$k]')"
get "$sqli_enc?select=$sqli_enc=%24"
check "a select name that looks like SQL is just a name holding the value" \
    sh -c '[ "$1" = 200 ] && jq -e --arg k "$3" ".data | keys == [\$k] and (.[\$k] | type) == \"string\"" <"$2" >/dev/null' - "$STATUS" "$T/body" "$sqli"
get "$sqli_enc?select=v=%24%22%27%3B%20DROP%20TABLE%20kv_store%3B--"
check "a select path with SQL in it is a 4xx (an invalid jsonpath)" four_xx

# --- Length: 1..1024 bytes. ---
k1024=$(printf '%01024d' 0 | tr 0 k)
check "a 1024-byte key is accepted" round_trip "$k1024" "$k1024"
put "${k1024}k" '{"data":1}'
check "a 1025-byte key is a 400 INVALID_KEY" error_is 400 INVALID_KEY
get "${k1024}k"
check "GET of a 1025-byte key is a 400 INVALID_KEY" error_is 400 INVALID_KEY
e512=$(for i in $(seq 512); do printf '%%C3%%A9'; done)
check "512 × é (1024 bytes) is accepted" round_trip "$e512" "$(for i in $(seq 512); do printf 'é'; done)"
put "${e512}x" '{"data":1}'
check "512 × é + 1 byte (1025 bytes) is a 400 INVALID_KEY" error_is 400 INVALID_KEY
long=$(printf '%010000d' 0 | tr 0 L)
put "$long" '{"data":1}'
check "a 10000-byte key is a 4xx" four_xx

# --- Control characters and bad encodings. ---
put 'nul%00byte' '{"data":1}'
check "a key with %00 is a 4xx" four_xx
get 'nul%00byte'
check "GET of a key with %00 is a 4xx" four_xx
echo "# %00 in a key: $STATUS $(jq -r '.id? // empty' <"$T/body" 2>/dev/null || echo '(not JSON)')"
put 'ctl%01byte' '{"data":1}'
check "a key with %01 is a 4xx (400 INVALID_KEY from the program)" bad_key
echo "# %01 in a key: $STATUS $(jq -r '.id? // empty' <"$T/body" 2>/dev/null || echo '(not JSON)')"
put 'tab%09key' '{"data":1}'
check "a key with a tab (%09) is refused (4xx, INVALID_KEY from the program)" bad_key
put 'del%7Fkey' '{"data":1}'
check "a key with DEL (%7F) is refused (4xx, INVALID_KEY from the program)" bad_key
put 'c1%C2%85key' '{"data":1}'
check "a key with a C1 control (U+0085) is refused (4xx, INVALID_KEY from the program)" bad_key
put 'bad%FFutf8' '{"data":1}'
check "a key with invalid UTF-8 (%FF) is refused (4xx, INVALID_KEY from the program)" bad_key
put 'bad%C3' '{"data":1}'
check "a key with a truncated UTF-8 sequence is refused (4xx, INVALID_KEY from the program)" bad_key
put 'pct%' '{"data":1}'
check "a key with a bare % is a 4xx" four_xx
put 'pct%zz' '{"data":1}'
check "a key with %zz is a 4xx" four_xx

# --- Decoded once: %2F is '/', %252F is the literal "%2F". ---
put a/b '{"data":"slash"}'
check "PUT a/b is a 200" status_is 200
get 'a%2Fb'
check "GET a%2Fb reads the key a/b" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"a/b\" and .data == \"slash\"" <"$2" >/dev/null' - "$STATUS" "$T/body"
put 'a%2fb' '{"data":"slash-2"}'
check "PUT a%2fb overwrites a/b (version 1)" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"a/b\" and .version == 1" <"$2" >/dev/null' - "$STATUS" "$T/body"
put 'a%252Fb' '{"data":"literal"}'
check "PUT a%252Fb creates the literal key a%2Fb" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"a%2Fb\" and .version == 0" <"$2" >/dev/null' - "$STATUS" "$T/body"
get 'a%252Fb'
check "GET a%252Fb reads the literal key" data_is '"literal"'
get a/b
check "a/b is untouched by a%252Fb" \
    sh -c 'jq -e ".data == \"slash-2\" and .version == 1" <"$1" >/dev/null' - "$T/body"

# --- Dot segments and double slashes are part of the key. ---
put b '{"data":"plain-b"}'
put a/../b '{"data":"dotdot"}' --path-as-is
check "PUT a/../b (sent as is) is a 200 for the key a/../b" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"a/../b\"" <"$2" >/dev/null || { echo "# got $1: $(head -c 200 "$2")"; exit 1; }' - "$STATUS" "$T/body"
get b
check "a/../b does not alias b: b keeps its value" \
    sh -c 'jq -e ".key == \"b\" and .data == \"plain-b\" and .version == 0" <"$1" >/dev/null || { echo "# got: $(head -c 200 "$1")"; exit 1; }' - "$T/body"
get a/../b --path-as-is
check "GET a/../b reads its own value" \
    sh -c 'jq -e ".key == \"a/../b\" and .data == \"dotdot\"" <"$1" >/dev/null || { echo "# got: $(head -c 200 "$1")"; exit 1; }' - "$T/body"
put c '{"data":"plain-c"}'
put 'x/%2e%2e/c' '{"data":"encoded-dotdot"}' --path-as-is
check "PUT x/%2e%2e/c is a 200 for the key x/../c" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"x/../c\"" <"$2" >/dev/null || { echo "# got $1: $(head -c 200 "$2")"; exit 1; }' - "$STATUS" "$T/body"
get c
check "x/%2e%2e/c does not alias c" data_is '"plain-c"'
put ./d '{"data":"dot-d"}' --path-as-is
check "PUT ./d is the key ./d" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"./d\"" <"$2" >/dev/null || { echo "# got $1: $(head -c 200 "$2")"; exit 1; }' - "$STATUS" "$T/body"
get d
check "./d does not alias d" error_is 404 NOT_FOUND
put 'a//b' '{"data":"double"}' --path-as-is
check "PUT a//b is the key a//b (version 0)" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"a//b\" and .version == 0" <"$2" >/dev/null || { echo "# got $1: $(head -c 200 "$2")"; exit 1; }' - "$STATUS" "$T/body"
get a/b
check "a//b does not alias a/b" data_is '"slash-2"'
get 'a//b' --path-as-is
check "GET a//b reads its own value" data_is '"double"'
put 'trailing/' '{"data":"t"}'
check "a key with a trailing slash is its own key" \
    sh -c '[ "$1" = 200 ] && jq -e ".key == \"trailing/\"" <"$2" >/dev/null' - "$STATUS" "$T/body"
k GET "iter/a?prefix=true"
check "iter over prefix a lists a/../b, a//b, a/b and a%2Fb as four keys" \
    json_is '[.results[].key] | sort | tojson' '["a%2Fb","a/../b","a//b","a/b"]'
put 'p_x' '{"data":1}'
put 'pax' '{"data":1}'
k GET "iter/p_?prefix=true"
check "iter prefix p_ is a plain prefix, not a LIKE pattern (no pax)" \
    json_is '[.results[].key] | tojson' '["p_x"]'
k GET "iter/a%25?prefix=true"
check "iter prefix a% lists only the literal a%2Fb" \
    json_is '[.results[].key] | tojson' '["a%2Fb"]'

# --- Values over the limit and malformed bodies. ---
head -c 1048576 /dev/zero | tr '\0' x | sed 's/^/{"data":"/; s/$/"}/' >"$T/big.json"
put big @"$T/big.json"
check "a value over 1 MiB is a 413 PAYLOAD_TOO_LARGE" error_is 413 PAYLOAD_TOO_LARGE
get big
check "the refused value was not stored" error_is 404 NOT_FOUND
head -c 1000000 /dev/zero | tr '\0' y | sed 's/^/{"data":"/; s/$/"}/' >"$T/large.json"
put large @"$T/large.json"
check "a value of 1000000 characters is accepted" \
    sh -c '[ "$1" = 200 ] && jq -e ".size == 1000002" <"$2" >/dev/null || { echo "# got $1: $(head -c 200 "$2")"; exit 1; }' - "$STATUS" "$T/body"
# The limit holds for the value as stored, not only as sent: 1e300 is
# 5 bytes in the body and 301 digits in the stored JSON text, so 3500 of
# them (a 21 KB body) store more than 1 MiB.
{ printf '{"data":['; for i in $(seq 3499); do printf '1e300,'; done; printf '1e300]}'; } >"$T/expand.json"
put expand @"$T/expand.json"
check "a value whose stored JSON text exceeds 1 MiB (3500 × 1e300) is a 413" \
    error_is 413 PAYLOAD_TOO_LARGE
[ "$STATUS" = 200 ] && echo "# stored with size $(jq -r .size <"$T/body") from a body of $(wc -c <"$T/expand.json") bytes"

n=0
for b in '"just a string"' '[{"data":1}]' '42' 'null' '{"data":1,"bogus":2}' \
    '{"data":1,"idx":-1}' '{"data":1,"idx":"1"}' '{"data":1,"idx":1.5}' \
    '{"data":1,"idx":2147483648}' '{"data":1,"committed":"yes"}' \
    '{"data":1,"committed":1}' '{"data":1,"read_caps":["bogus"]}' \
    '{"data":1,"read_caps":"kv_store_read"}' '{"data":1,"write_caps":[{"name":"nope"}]}' \
    '{"data":1,"value":2}' '{"value":1,"data":2}' '{}' '{"idx":0}' \
    '{"data":1,"version":0}' '{"Data":1}'; do
	n=$((n + 1))
	put malformed "$b"
	check "PUT body $b is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM
done
k PUT "cas/key/malformed" -H 'Content-Type: application/json' --data-binary '{"data":1,"version":"0"}'
check "CAS body with a string version is a 400" error_is 400 INVALID_PARAM
k PUT "cas/key/malformed" -H 'Content-Type: application/json' --data-binary '{"data":1,"bogus":true}'
check "CAS body with an unknown member is a 400" error_is 400 INVALID_PARAM
put malformed '{"data":1'
check "truncated JSON is a 400 INVALID_JSON" error_is 400 INVALID_JSON
put malformed '{"data":1,"data":2}'
check "a duplicate data member is a 400" status_is 400
k PUT key/malformed -H 'Content-Type: text/plain' --data-binary '{"data":1}'
check "a body that is not application/json is a 415" error_is 415 UNSUPPORTED_MEDIA_TYPE
get malformed
check "no malformed write stored anything" error_is 404 NOT_FOUND

# --- Afterwards: the tables are intact and nothing was a 5xx. ---
check "the kv_store table still exists" \
    sh -c '[ "$(psql "$TT_DATABASE_URL" -Atc "SELECT to_regclass('"'"'kv_store'"'"') IS NOT NULL")" = t ]'
put after '{"data":"still works"}'
get after
check "a normal write and read work after all of that" data_is '"still works"'
get "$sqli_enc"
check "the injection key is still just a key" json_is .key "$sqli"
check "no answer in this case was a 5xx or 000" \
    sh -c '! grep -E "^(5..|000) " "$1" || exit 1' - "$T/statuses"
