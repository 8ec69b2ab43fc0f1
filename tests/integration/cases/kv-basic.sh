#!/bin/bash
# kv-basic.sh: the KV store's set/get round trip, records, chunks, count,
# size, delete, select and iteration (API.md section 3).
# passes: lighttpd apache asan proxy cgi cgi-asan valgrind
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

put() { kv_json PUT "$tok" "$A/key/$1" "$2"; }
get() { kv GET "$tok" "$A/$1"; }
# idxs: the (key, idx) pairs of an iteration, as "key:idx,key:idx".
idxs() { json_is '[.results[] | "\(.key):\(.idx)"] | join(",")' "$1"; }
TS='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

# --- Set and get: every JSON type comes back as sent. ---
put str '{"data":"hello"}'
check "PUT a string value is a 200" status_is 200
check "the PUT answer carries the standard headers" std_headers
check "PUT answers the record with \"data\": null (Terrateam's clients need it)" \
    json_is '[has("data"), .data] | tojson' '[true,null]'
check "PUT's record: key, idx 0, version 0, committed" \
    json_is '[.key, .idx, .version, .committed] | tojson' '["str",0,0,true]'
check "PUT's record: created_at is YYYY-MM-DDTHH:MM:SSZ" \
    json_is ".created_at | test(\"$TS\")" true
get key/str
check "GET the string is a 200" status_is 200
check "the GET answer carries the standard headers" std_headers
check "GET returns the string" data_is '"hello"'
check "GET's record: key, idx, version, committed" \
    json_is '[.key, .idx, .version, .committed] | tojson' '["str",0,0,true]'
check "GET's record: created_at is YYYY-MM-DDTHH:MM:SSZ" \
    json_is ".created_at | test(\"$TS\")" true
check "GET's record: size is the JSON text's length (7 for \"hello\")" \
    json_is .size 7
check "GET's record has no read_caps or write_caps when none were set" \
    json_is 'has("read_caps") or has("write_caps")' false

n=0
for v in '{"a":{"b":[1,2,{"c":null}]},"z":"é\"\\\n"}' '[1,"two",null,true,{"x":[]}]' \
    'null' 'true' 'false' '0' '-17' '3.25' '""' '{}' '[]'; do
	n=$((n + 1))
	put "type/$n" "{\"data\":$v}"
	ok=$STATUS
	get "key/type/$n"
	check "set/get round trip of $v" sh -c '[ "$1" = 200 ] && [ "$2" = 200 ]' - "$ok" "$STATUS"
	check "GET returns $v" data_is "$v"
done

# Numbers beyond a double keep every digit (grep the raw body: jq 1.6
# reads numbers as doubles).
put num/big '{"data":12345678901234567890}'
get key/num/big
check "12345678901234567890 comes back with every digit" \
    body_matches '"data": *12345678901234567890[,}]'
put num/frac '{"data":1.0000000000000002}'
get key/num/frac
check "1.0000000000000002 comes back with every digit" \
    body_matches '"data": *1\.0000000000000002[,}]'
put num/nested '{"data":{"n":[98765432109876543210987654321]}}'
get key/num/nested
check "a 29-digit number inside an object keeps every digit" \
    body_matches '98765432109876543210987654321'

# --- "value" is an alias of "data". ---
put alias '{"value":{"from":"value"}}'
check "PUT with \"value\" instead of \"data\" is a 200" status_is 200
get key/alias
check "the \"value\" alias stores the value" data_is '{"from":"value"}'

# --- Versions: 0 on insert, +1 per overwrite. ---
put str '{"data":"second"}'
check "the first overwrite answers version 1" json_is .version 1
put str '{"data":"third"}'
check "the second overwrite answers version 2" json_is .version 2
get key/str
check "GET after two overwrites: version 2 and the last value" \
    sh -c 'jq -e ".version == 2 and .data == \"third\"" <"$1" >/dev/null' - "$T/body"

# --- Chunks: idx numbers the records of one key. ---
put chunks '{"data":"aaa","idx":0}'
put chunks '{"data":"bbbb","idx":1}'
check "PUT with idx 1 answers idx 1" json_is .idx 1
put chunks '{"data":"cc","idx":2}'
get 'key/chunks?idx=1'
check "GET ?idx=1 returns chunk 1" \
    sh -c 'jq -e ".idx == 1 and .data == \"bbbb\" and .key == \"chunks\"" <"$1" >/dev/null' - "$T/body"
get key/chunks
check "GET without idx returns chunk 0" data_is '"aaa"'
get 'key/chunks?idx=7'
check "GET of a missing idx is a 404 NOT_FOUND" error_is 404 NOT_FOUND
get count/key/chunks
check "count of three chunks is 200 {count: 3, max_idx: 2}" \
    sh -c '[ "$1" = 200 ] && jq -e ".count == 3 and .max_idx == 2" <"$2" >/dev/null' - "$STATUS" "$T/body"
check "the count answer carries the standard headers" std_headers
get 'size/key/chunks?idx=1'
check "size of chunk 1 is 6 (\"bbbb\")" json_is .size 6
get size/key/chunks
check "size without idx is the total of the chunks (5+6+4)" json_is .size 15

# --- Missing keys. ---
get key/missing
check "GET of a missing key is a 404 NOT_FOUND" error_is 404 NOT_FOUND
check "the 404 carries the standard headers" std_headers
get count/key/missing
check "count of a missing key is a 404 NOT_FOUND" error_is 404 NOT_FOUND
get size/key/missing
check "size of a missing key is a 404 NOT_FOUND" error_is 404 NOT_FOUND
get 'size/key/chunks?idx=9'
check "size of a missing idx is a 404 NOT_FOUND" error_is 404 NOT_FOUND

# --- Query parameters are checked. ---
get 'key/str?idx=-1'
check "GET ?idx=-1 is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM
get 'key/str?idx=x'
check "GET ?idx=x is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM
get 'key/str?committed=yes'
check "GET ?committed=yes is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM

# --- Delete. ---
kv DELETE "$tok" "$A/key/chunks?version=99"
check "DELETE with a wrong version is 200 {\"result\": false}" \
    sh -c '[ "$1" = 200 ] && jq -e ".result == false" <"$2" >/dev/null' - "$STATUS" "$T/body"
get count/key/chunks
check "the DELETE with a wrong version deleted nothing" json_is .count 3
kv DELETE "$tok" "$A/key/chunks?idx=1"
check "DELETE ?idx=1 is 200 {\"result\": true}" \
    sh -c '[ "$1" = 200 ] && jq -e ".result == true" <"$2" >/dev/null' - "$STATUS" "$T/body"
check "the DELETE answer carries the standard headers" std_headers
get 'key/chunks?idx=1'
check "the deleted chunk is gone" error_is 404 NOT_FOUND
get count/key/chunks
check "the other chunks remain (count 2, max_idx 2)" \
    json_is '[.count, .max_idx] | tojson' '[2,2]'
kv DELETE "$tok" "$A/key/chunks"
check "DELETE without idx is {\"result\": true}" json_is .result true
get count/key/chunks
check "DELETE without idx removed every chunk" error_is 404 NOT_FOUND
kv DELETE "$tok" "$A/key/chunks"
check "DELETE of a missing key is 200 {\"result\": false}" \
    sh -c '[ "$1" = 200 ] && jq -e ".result == false" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv DELETE "$tok" "$A/key/str?version=2"
check "DELETE with the right version is {\"result\": true}" json_is .result true
get key/str
check "the key deleted by version is gone" error_is 404 NOT_FOUND

# --- select=name=jsonpath. ---
put sel '{"data":{"a":{"b":5},"c":[1,2,3],"s":"x"}}'
get 'key/sel?select=x=%24.a.b&select=y=%24.nope'
check "GET with two selects is a 200" status_is 200
check "select: a matching path gives its value, a missing one null" \
    data_is '{"x":5,"y":null}'
get 'key/sel?select=second=%24.c%5B1%5D'
check "select of an array element" data_is '{"second":2}'
get 'key/sel?select=x=%24.a%5B'
check "an invalid jsonpath is a 400" error_is 400 INVALID_PARAM
get 'key/sel?select=nothing'
check "a select without = is a 400" error_is 400 INVALID_PARAM
# Several pairs in one parameter, joined by commas (Terrateam's client):
# a comma starts a new pair only when a name and one '=' follow it and it
# is outside a string literal.
get 'key/sel?select=x=%24.a.b,y=%24.c%5B1%5D'
check "select: two pairs joined by a comma" data_is '{"x":5,"y":2}'
get 'key/sel?select=x%3D%24.a.b%2Cy%3D%24.s'
check "select: two pairs joined by an encoded comma" data_is '{"x":5,"y":"x"}'
get 'key/sel?select=arr=%24.c%5B2,0%5D,s=%24.s'
check "select: a comma inside [...] stays in its path" data_is '{"arr":3,"s":"x"}'
get 'key/sel?select=m=%24.s%20%3F%20(%40%20!%3D%20%22,z=1%22),n=%24.a.b'
check "select: a comma inside a string literal stays in its path" \
    data_is '{"m":"x","n":5}'
get 'key/sel?select=x=%24.a.b,y=%24.s&select=z=%24.c%5B0%5D'
check "select: joined and repeated pairs together" data_is '{"x":5,"y":"x","z":1}'
get 'key/sel?select=x=%24.a.b,y='
check "select: a joined pair without a path is a 400" error_is 400 INVALID_PARAM
get key/sel
check "the stored value is untouched by selects" \
    data_is '{"a":{"b":5},"c":[1,2,3],"s":"x"}'

# --- Iteration, in an installation of its own so the keys are known. ---
new_installation; I=$INST
add_member "$I" "$user"
for kd in 'it/a 0' 'it/a 1' 'it/c 2' 'it/c 0' 'it/b 0' 'it/c 1' 'iu 0' 'a 0'; do
	set -- $kd
	kv_json PUT "$tok" "$I/key/$1" "{\"data\":\"$1#$2\",\"idx\":$2}"
done
kv GET "$tok" "$I/iter/it/a"
check "iter is a 200" status_is 200
check "the iter answer carries the standard headers" std_headers
check "iter from it/a: every key >= it/a, ordered by key then idx" \
    idxs 'it/a:0,it/a:1,it/b:0,it/c:0,it/c:1,it/c:2,iu:0'
check "iter results carry their data and version" \
    json_is '.results[1] | [.data, .version, .committed] | tojson' '["it/a#1",0,true]'
kv GET "$tok" "$I/iter/it/a?inclusive=false"
check "iter inclusive=false skips the start key" \
    idxs 'it/b:0,it/c:0,it/c:1,it/c:2,iu:0'
kv GET "$tok" "$I/iter/it/?prefix=true"
check "iter prefix=true stops at the end of the prefix" \
    idxs 'it/a:0,it/a:1,it/b:0,it/c:0,it/c:1,it/c:2'
kv GET "$tok" "$I/iter/it/c?idx=1"
check "iter from it/c idx 1 starts at that chunk" idxs 'it/c:1,it/c:2,iu:0'
kv GET "$tok" "$I/iter/it/c?idx=1&inclusive=false"
check "iter from it/c idx 1 with inclusive=false starts after it" \
    idxs 'it/c:2,iu:0'
kv GET "$tok" "$I/iter/it/a?limit=2"
check "iter limit=2 gives the first two" idxs 'it/a:0,it/a:1'
kv GET "$tok" "$I/iter/0?limit=1000"
check "iter limit=1000 is accepted" idxs 'a:0,it/a:0,it/a:1,it/b:0,it/c:0,it/c:1,it/c:2,iu:0'
kv GET "$tok" "$I/iter/it/a?limit=1001"
check "iter limit=1001 is clamped, not refused (200)" \
    idxs 'it/a:0,it/a:1,it/b:0,it/c:0,it/c:1,it/c:2,iu:0'
kv GET "$tok" "$I/iter/it/a?limit=0"
check "iter limit=0 is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM
kv GET "$tok" "$I/iter/it/a?limit=-5"
check "iter limit=-5 is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM
kv GET "$tok" "$I/iter/it/a?limit=many"
check "iter limit=many is a 400 INVALID_PARAM" error_is 400 INVALID_PARAM
# 1001 chunks of one key: a limit above 1000 answers 1000 of them.
new_installation; M=$INST
add_member "$M" "$user"
psql "$TT_DATABASE_URL" -qAtc "INSERT INTO kv_store (installation_id, key, idx, data, size) SELECT $M, 'many', i, to_jsonb(i), length(i::text) FROM generate_series(0, 1000) i" >/dev/null
kv GET "$tok" "$M/iter/many?limit=5000"
check "iter limit=5000 over 1001 records answers 1000 (the maximum)" \
    json_is '[(.results | length), .results[-1].idx] | tojson' '[1000,999]'
kv GET "$tok" "$I/iter/zzz"
check "iter past the last key is 200 with no results" \
    sh -c '[ "$1" = 200 ] && jq -e ".results == []" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv GET "$tok" "$I/iter/it/?prefix=true&select=v=%24"
check "iter with select gives {name: match} per record" \
    json_is '[.results[].data.v] | join(",")' 'it/a#0,it/a#1,it/b#0,it/c#0,it/c#1,it/c#2'
kv GET "$tok" "$I/iter/it/?prefix=true&limit=2&select=v=%24,w=%24.nope"
check "iter with pairs joined by a comma gives both names per record" \
    json_is '[.results[].data | tojson] | join(",")' '{"v":"it/a#0","w":null},{"v":"it/a#1","w":null}'
