#!/bin/bash
# kv-commit.sh: staged writes (committed: false) stay invisible to default
# reads until POST /commit makes them visible at once; a read with
# committed=false means "committed or not" per (key, idx), the staged
# record where there is one, else the committed one (API.md section 3).
# passes: lighttpd apache asan cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

put() { kv_json PUT "$tok" "$A/key/$1" "$2"; }
get() { kv GET "$tok" "$A/$1"; }
commit() { kv_json POST "$tok" "$A/commit" "$1"; }
# visible PATH DATA VERSION: a 200 with this data and version.
visible() {
	get "$1"
	status_is 200 && data_is "$2" && json_is .version "$3"
}

# --- A staged write to a new key. ---
put new '{"data":"staged","committed":false}'
check "a staged PUT is a 200" status_is 200
check "the staged PUT answers committed: false, version 0" \
    json_is '[.committed, .version] | tojson' '[false,0]'
get key/new
check "a staged new key is a 404 to a default GET" error_is 404 NOT_FOUND
get key/new?committed=true
check "... and to committed=true" error_is 404 NOT_FOUND
get key/new?committed=false
check "the staged key is visible with committed=false" \
    sh -c '[ "$1" = 200 ] && jq -e ".data == \"staged\" and .committed == false" <"$2" >/dev/null' - "$STATUS" "$T/body"
get count/key/new
check "count of a staged-only key is a 404" error_is 404 NOT_FOUND
get count/key/new?committed=false
check "count with committed=false sees the staged record" json_is .count 1
kv GET "$tok" "$A/iter/new"
check "a default iter does not list the staged record" json_is '.results | length' 0
kv GET "$tok" "$A/iter/new?committed=false"
check "iter with committed=false lists it" json_is '[.results[].key] | join(",")' new

# --- A staged overwrite of a committed record. ---
put over '{"data":"old"}'
put over '{"data":"new","committed":false}'
check "staging over a committed record is a 200" status_is 200
check "a default GET still returns the committed value" visible key/over '"old"' 0
check "GET committed=false returns the staged value" \
    visible 'key/over?committed=false' '"new"' 0

# --- Three staged chunks appear at once. ---
for i in 0 1 2; do
	put multi "{\"data\":\"chunk-$i\",\"idx\":$i,\"committed\":false}"
done
get count/key/multi
check "no chunk is visible before the commit" error_is 404 NOT_FOUND
get count/key/multi?committed=false
check "three chunks are staged" \
    json_is '[.count, .max_idx] | tojson' '[3,2]'
commit '{"keys":[{"key":"multi"}]}'
check "POST /commit is a 200" status_is 200
check "the commit answer carries the standard headers" std_headers
check "commit returns the committed {key, idx} list" \
    json_is '.keys | tojson' '[{"key":"multi","idx":0},{"key":"multi","idx":1},{"key":"multi","idx":2}]'
get count/key/multi
check "after the commit all three chunks are visible" \
    json_is '[.count, .max_idx] | tojson' '[3,2]'
check "chunk 1 reads back committed, version 0" \
    visible 'key/multi?idx=1' '"chunk-1"' 0
check "... and says committed: true" json_is .committed true
get count/key/multi?committed=false
check "committed=false after the commit counts the committed chunks" \
    json_is '[.count, .max_idx] | tojson' '[3,2]'
kv GET "$tok" "$A/iter/multi?committed=false"
check "nothing stays staged after the commit" \
    json_is '[.results[] | select(.key == "multi") | .committed] | tojson' '[true,true,true]'

# --- committed=false: committed or not (Terrateam's "ttm kv get -d"). ---
put either '{"data":"c0"}'
put either '{"data":"c1","idx":1}'
put either '{"data":"s1","idx":1,"committed":false}'
put either '{"data":"s2","idx":2,"committed":false}'
get key/either?committed=false
check "GET committed=false of a committed key answers the committed record" \
    json_is '[.data, .committed, .version] | tojson' '["c0",true,0]'
get 'key/either?committed=false&idx=1'
check "GET committed=false answers the staged record where there is one" \
    json_is '[.data, .committed] | tojson' '["s1",false]'
get 'key/either?committed=false&idx=3'
check "GET committed=false of an idx with neither is a 404" error_is 404 NOT_FOUND
get count/key/either?committed=false
check "count committed=false counts each idx once (0, 1, 2)" \
    json_is '[.count, .max_idx] | tojson' '[3,2]'
get count/key/either
check "a default count counts the committed ones (0, 1)" \
    json_is '[.count, .max_idx] | tojson' '[2,1]'
get size/key/either?committed=false
check "size committed=false sums one record per idx (c0 + s1 + s2)" \
    json_is .size 12
get 'size/key/either?committed=false&idx=1'
check "size committed=false of idx 1 is the staged record's" json_is .size 4
get 'size/key/either?committed=false&idx=0'
check "size committed=false of idx 0 is the committed record's" json_is .size 4
kv GET "$tok" "$A/iter/either?committed=false"
check "iter committed=false yields one record per (key, idx), staged first" \
    json_is '[.results[] | select(.key == "either") | "\(.idx):\(.data)"] | join(",")' '0:c0,1:s1,2:s2'
kv GET "$tok" "$A/iter/either?committed=false&limit=2"
check "iter committed=false: the limit counts records answered" \
    json_is '[.results[] | "\(.idx):\(.data)"] | join(",")' '0:c0,1:s1'

# --- Committing a replacement bumps the version. ---
commit '{"keys":[{"key":"over","idx":0}]}'
check "commit of a staged overwrite with idx returns it" \
    json_is '.keys | tojson' '[{"key":"over","idx":0}]'
check "the staged value replaced the committed one at version 1" \
    visible key/over '"new"' 1
put multi '{"data":"chunk-0b","idx":0,"committed":false}'
put multi '{"data":"chunk-1b","idx":1,"committed":false}'
check "the old chunks are still what a default read sees" \
    visible 'key/multi?idx=1' '"chunk-1"' 0
commit '{"keys":[{"key":"multi"},{"key":"new"}]}'
check "commit of two keys lists the records of both" \
    json_is '[.keys[] | "\(.key):\(.idx)"] | join(",")' 'multi:0,multi:1,new:0'
check "replaced chunk 0 is at version 1" visible 'key/multi?idx=0' '"chunk-0b"' 1
check "replaced chunk 1 is at version 1" visible 'key/multi?idx=1' '"chunk-1b"' 1
check "untouched chunk 2 stays at version 0" visible 'key/multi?idx=2' '"chunk-2"' 0
check "the staged new key is now visible at version 0" visible key/new '"staged"' 0

# --- Nothing staged: an empty list, nothing changed. ---
commit '{"keys":[{"key":"multi"}]}'
check "committing a key with nothing staged returns an empty list" \
    sh -c '[ "$1" = 200 ] && jq -e ".keys == []" <"$2" >/dev/null' - "$STATUS" "$T/body"
commit '{"keys":[{"key":"never-written","idx":3}]}'
check "committing a key that does not exist returns an empty list" \
    sh -c '[ "$1" = 200 ] && jq -e ".keys == []" <"$2" >/dev/null' - "$STATUS" "$T/body"
commit '{"keys":[]}'
check "an empty keys list is a 200 with an empty list" \
    sh -c '[ "$1" = 200 ] && jq -e ".keys == []" <"$2" >/dev/null' - "$STATUS" "$T/body"
check "the committed chunks are unchanged" visible 'key/multi?idx=1' '"chunk-1b"' 1

# --- Bad bodies: 400, and nothing is committed. ---
put pending '{"data":"p","committed":false}'
n=0
for b in '[]' '{}' '"keys"' '{"keys":"pending"}' '{"keys":{"key":"pending"}}' \
    '{"keys":[{"key":"pending"}],"extra":1}' '{"keys":[{"key":"pending"},"pending"]}' \
    '{"keys":[{"key":"pending"},{"idx":0}]}' '{"keys":[{"key":"pending"},{"key":""}]}' \
    '{"keys":[{"key":"pending"},{"key":7}]}' '{"keys":[{"key":"pending","idx":-1}]}' \
    '{"keys":[{"key":"pending","idx":"0"}]}' '{"keys":[{"key":"pending","idx":0.5}]}' \
    '{"keys":[{"key":"pending","extra":true}]}' '{"keys":[{"key":"pending"},{"key":"bad\u0001"}]}'; do
	n=$((n + 1))
	commit "$b"
	check "commit body $b is a 400" sh -c '[ "$1" = 400 ] && jq -e ".id | test(\"^(INVALID_PARAM|INVALID_KEY)$\")" <"$2" >/dev/null || { echo "# got $1: $(head -c 200 "$2")"; exit 1; }' - "$STATUS" "$T/body"
done
jq -nc '{keys: [range(1001) | {key: "pending"}]}' >"$T/many.json"
commit @"$T/many.json"
check "a commit of 1001 entries is a 400" error_is 400 INVALID_PARAM
get key/pending
check "after the refused commits the staged record is still invisible" \
    error_is 404 NOT_FOUND
kv POST "$tok" "$A/commit" -H 'Content-Type: text/plain' \
    --data-binary '{"keys":[{"key":"pending"}]}'
check "a commit that is not application/json is a 415" \
    error_is 415 UNSUPPORTED_MEDIA_TYPE
get key/pending
check "... and commits nothing" error_is 404 NOT_FOUND
commit '{"keys":[{"key":"pending"}]}'
check "a good commit after them commits the staged record" \
    json_is '.keys | tojson' '[{"key":"pending","idx":0}]'
