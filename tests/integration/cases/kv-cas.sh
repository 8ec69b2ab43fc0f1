#!/bin/bash
# kv-cas.sh: compare-and-set (API.md section 3): create-only without a
# version, version match or 409, and exactly one winner among concurrent
# writers expecting the same version.
# passes: lighttpd apache asan cgi valgrind
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

cas() { kv_json PUT "$tok" "$A/cas/key/$1" "$2"; }
get() { kv GET "$tok" "$A/key/$1"; }
# stored KEY DATA VERSION: the committed record holds this value and version.
stored() {
	get "$1"
	status_is 200 && data_is "$2" && json_is .version "$3"
}

# --- Without a version: create only. ---
cas c1 '{"data":{"v":1}}'
check "CAS without a version on a new key is a 200" status_is 200
check "the CAS answer carries the standard headers" std_headers
check "CAS answers the record with its data, version 0" \
    sh -c 'jq -e ".key == \"c1\" and .idx == 0 and .version == 0 and .data == {v: 1} and .committed == true" <"$1" >/dev/null' - "$T/body"
check "the created record reads back" stored c1 '{"v":1}' 0
cas c1 '{"data":{"v":"again"}}'
check "CAS without a version on an existing key is a 409 ALREADY_EXISTS" \
    error_is 409 ALREADY_EXISTS
check "the 409 carries the standard headers" std_headers
check "the refused create left the value and version alone" stored c1 '{"v":1}' 0
cas c1 '{"value":"alias","idx":4}'
check "CAS create-only of another idx of the key (\"value\" alias) is a 200" \
    sh -c '[ "$1" = 200 ] && jq -e ".idx == 4 and .version == 0 and .data == \"alias\"" <"$2" >/dev/null' - "$STATUS" "$T/body"

# --- With a version: write only on a match. ---
cas c1 '{"data":{"v":2},"version":0}'
check "CAS with the stored version is a 200" status_is 200
check "the winning CAS answers version 1 and the new data" \
    sh -c 'jq -e ".version == 1 and .data == {v: 2}" <"$1" >/dev/null' - "$T/body"
check "the CAS write reads back" stored c1 '{"v":2}' 1
cas c1 '{"data":{"v":"stale"},"version":0}'
check "CAS with an old version is a 409 VERSION_MISMATCH" \
    error_is 409 VERSION_MISMATCH
check "the lost CAS left the value and version alone" stored c1 '{"v":2}' 1
cas c1 '{"data":{"v":"future"},"version":7}'
check "CAS with a version ahead of the stored one is a 409 VERSION_MISMATCH" \
    error_is 409 VERSION_MISMATCH
check "the value is still unchanged" stored c1 '{"v":2}' 1
cas c1 '{"data":{"v":3},"version":1}'
check "CAS with the new version wins again (version 2)" \
    sh -c '[ "$1" = 200 ] && jq -e ".version == 2" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv_json PUT "$tok" "$A/key/c1" '{"data":{"v":4}}'
check "a plain PUT after CAS continues the count (version 3)" json_is .version 3
cas c1 '{"data":{"v":"x"},"version":2}'
check "CAS with the version before the plain PUT is a 409" \
    error_is 409 VERSION_MISMATCH

cas nothing '{"data":1,"version":0}'
check "CAS with a version on a missing key is a 409" status_is 409
get nothing
check "the refused CAS created nothing" error_is 404 NOT_FOUND

cas c1 '{"data":1,"version":-1}'
check "CAS with version -1 is a 400" error_is 400 INVALID_PARAM
cas c1 '{"data":1,"version":"3"}'
check "CAS with a string version is a 400" error_is 400 INVALID_PARAM
cas c1 '{"data":1,"version":1.5}'
check "CAS with a fractional version is a 400" error_is 400 INVALID_PARAM
check "the refused bodies left the value alone" stored c1 '{"v":4}' 3

# --- Sixteen concurrent writers expecting the same version. ---
kv_json PUT "$tok" "$A/key/race" '{"data":"start"}'
kv_json PUT "$tok" "$A/key/race" '{"data":"before"}'
get race
old=$(jq -r .version <"$T/body")
check "the race key starts at version 1" [ "$old" = 1 ]
mkdir -p "$T/race"
for i in $(seq 1 16); do
	curl -s -o "$T/race/body.$i" -w '%{http_code}' --max-time 20 -X PUT \
	    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    --data-binary "{\"data\":\"writer-$i\",\"version\":$old}" \
	    "$BASE/api/v1/github/kv/$A/cas/key/race" >"$T/race/status.$i" &
done
wait
wins=0 losses=0 other=
for i in $(seq 1 16); do
	s=$(cat "$T/race/status.$i")
	case $s in
	200) wins=$((wins + 1)); winner=$i ;;
	409) jq -e '.id == "VERSION_MISMATCH"' <"$T/race/body.$i" >/dev/null &&
	    losses=$((losses + 1)) || other="$other $i:409:$(head -c 100 "$T/race/body.$i")" ;;
	*) other="$other $i:$s:$(head -c 100 "$T/race/body.$i")" ;;
	esac
done
[ -z "$other" ] || echo "# unexpected answers:$other"
check "16 concurrent CAS writers: exactly one 200" [ "$wins" = 1 ]
check "16 concurrent CAS writers: fifteen 409 VERSION_MISMATCH" [ "$losses" = 15 ]
check "the winner's answer has version old+1" \
    sh -c 'jq -e ".version == $2 + 1" <"$1" >/dev/null' - "$T/race/body.${winner:-0}" "$old"
get race
check "after the race the version is old+1" json_is .version $((old + 1))
check "after the race the value is the winner's" data_is "\"writer-${winner:-none}\""
