#!/bin/bash
# isolation-property.sh: tenant isolation as a property (API.md 1.3, last
# rule; SECURITY.md threat 10). For every route that takes a
# user-controlled expression, cursor, key, index or body (KV select, idx,
# committed, prefix, limit, inclusive, version and write bodies; manifest
# and dirspace q, tz, limit, page, If-None-Match; manifest ids; stacks
# repo and pull request numbers), generated inputs are sent to a victim
# installation T by three callers who must not see it: an outsider (no
# membership), a removed member and a revoked key's live token. Each
# caller gets one answer (status, body with the installation id replaced
# by a placeholder, headers but Date, Server, X-Request-Id and the
# connection's) whatever it sends, and the same for an installation that
# does not exist. An insider sending the same inputs gets answers that
# vary (200, 304, 400, 404, 409): the inputs would be an oracle if the
# session's verdict did not come first (the insider's writes go to its
# sandbox W, seeded alike; T must be unchanged at the end). Not generated,
# as the same for every installation before any program runs: the
# transport checks (JSON syntax, Content-Type, body size), URLs the web
# server refuses (control characters, bytes that are not UTF-8) and paths
# that match no route (ids that are no number or uuid). The inputs come
# from tests/harness/isolation.py, seeded per run (the seed is printed):
# ISOLATION_SEED=N replays a run's choices (over the new run's ids and
# cursors), ISOLATION_COUNT sets the inputs per route.
# passes: lighttpd apache asan proxy cgi cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

tt=$TOP/bin/ttctl
sql() { psql "$TT_DATABASE_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

seed=${ISOLATION_SEED:-$RANDOM}
# Plain CGI costs a process and a database connection per request
# (about 25 ms, more under ASan): fewer inputs there, the same property.
case $SERVER in
lighttpd-cgi-asan)	count=${ISOLATION_COUNT:-6} ;;
lighttpd-cgi*)		count=${ISOLATION_COUNT:-12} ;;
*)			count=${ISOLATION_COUNT:-60} ;;
esac
echo "# seed $seed, $count inputs per route (replay: ISOLATION_SEED=$seed)"

# --- The victim T, the insider's sandbox W, and N that nobody made. ---
# TI, WI, NI are their ids ($T is the case's scratch directory).
new_installation; TI=$INST
new_installation; WI=$INST
# N: as many digits as T (bodies compare with the id replaced), never
# created, by this case or another.
while :; do
	NI=9${TI:1:6}$(printf '%08d' $(((RANDOM * 32768 + RANDOM) % 100000000)))
	[ "$(sql "SELECT count(*) FROM installations WHERE id = $NI")" = 0 ] && break
done
insider=$(new_user); removed=$(new_user); outsider=$(new_user)
add_member "$TI" "$insider"; add_member "$WI" "$insider"; add_member "$TI" "$removed"

"$tt" manifests seed --installation "$TI" --count 30 >/dev/null
repo=$((TI * 10 + 1)); pr=7
sql "INSERT INTO pull_request_stacks (installation_id, repo_id, pull_number,
    head_sha, stacks) VALUES ($TI, $repo, $pr, repeat('a', 40),
    '[{\"name\": \"base\", \"stacks\": [{\"name\": \"base\",
      \"paths\": [[\"base\"]], \"after\": [],
      \"dirspaces\": [{\"dir\": \"base\", \"workspace\": \"default\"}]}]}]');
    INSERT INTO pull_request_stacks (installation_id, repo_id, pull_number,
    head_sha, stacks, config_error) VALUES ($TI, $repo, $((pr + 1)),
    repeat('b', 40), '[]', 'secret config error of T')" >/dev/null

new_token "$insider" kv_store_read kv_store_write; t_in=$TOKEN; k_in=$KEY
new_key "$insider" "installation:$TI" "installation:$NI"; k_in_inst=$KEY

# seed_kv INST: the secret records, in T and (for the insider's
# writes) in W: objects, strings and a number, two chunks, staged and
# committed, so that jsonpaths can match, miss or fail.
seed_kv() {
	_ok=0
	for _w in \
	    "secret/alpha|{\"data\":{\"password\":\"hunter2\",\"pin\":4242,\"tags\":[\"ops\",\"db\"],\"nested\":{\"x\":1,\"y\":\"why\"}}}" \
	    "secret/alpha|{\"data\":\"alpha-chunk-1\",\"idx\":1}" \
	    "secret/bravo|{\"data\":\"bosun-token-7\",\"committed\":false}" \
	    "secret/bravo|{\"data\":{\"more\":\"bravo-tail\"},\"idx\":1,\"committed\":false}" \
	    "secret/charlie|{\"data\":31337}" \
	    "public/zeta|{\"data\":[1,2,3]}"; do
		kv_json PUT "$t_in" "$1/key/${_w%%|*}" "${_w#*|}"
		[ "$STATUS" = 200 ] || { _ok=1; echo "# PUT ${_w%%|*} in $1: $STATUS"; }
	done
	kv_json POST "$t_in" "$1/commit" '{"keys":[{"key":"secret/bravo"}]}'
	json_is '.keys | length' 2 || _ok=1
	for _w in \
	    "secret/bravo|{\"data\":{\"staged\":\"next-bosun\"},\"committed\":false}" \
	    "secret/delta|{\"data\":{\"pending\":\"delta-value\"},\"committed\":false}"; do
		kv_json PUT "$t_in" "$1/key/${_w%%|*}" "${_w#*|}"
		[ "$STATUS" = 200 ] || { _ok=1; echo "# PUT ${_w%%|*} in $1: $STATUS"; }
	done
	return $_ok
}
check "setup: the insider writes T's secret records (two chunks, staged, committed)" \
    seed_kv "$TI"
check "setup: the same records in the insider's sandbox W" seed_kv "$WI"

# --- Positive controls: the data is there and the insider sees it vary. ---
kv GET "$t_in" "$TI/key/secret/alpha"
check "insider: T's secret/alpha is a 200 with its data" \
    json_is .data.password hunter2
kv GET "$t_in" "$TI/key/secret/bravo" -G \
    --data-urlencode 'select=v=strict $ ? (@ starts with "bo").x'
check "insider: a select that fails at run time on a matching value is a 400" \
    fails_with 400 INVALID_PARAM
kv GET "$t_in" "$TI/key/secret/bravo" -G \
    --data-urlencode 'select=v=strict $ ? (@ starts with "zz").x'
check "insider: the same select on a value that does not match is a 200" \
    status_is 200
kv GET "$t_in" "$TI/iter/secret/?prefix=true&limit=1"
check "insider: iter prefix=true limit=1 lists T's first secret key" \
    json_is '.results[0].key' secret/alpha
refresh "$k_in_inst"; t_in_inst=$TOKEN
http GET "/api/v1/github/installations/$TI/work-manifests" -H "Authorization: Bearer $t_in_inst"
check "insider: T's work manifests are a 200 with a next page" \
    sh -c '[ "$1" = 200 ] && grep -q "rel=\"next\"" "$2"' - "$STATUS" "$T/hdrs"
http GET "/api/v1/github/installations/$TI/repos/$repo/prs/$pr/stacks" \
    -H "Authorization: Bearer $t_in_inst"
check "insider: the pull request's stacks are a 200" json_is '.stacks[0].name' base

# --- The callers who must not see T. ---
new_key "$outsider" kv_store_read kv_store_write; k_out=$KEY
new_key "$outsider" "installation:$TI" "installation:$NI"; k_out_inst=$KEY
new_key "$removed" kv_store_read kv_store_write; k_rm=$KEY
new_key "$removed" "installation:$TI" "installation:$NI"; k_rm_inst=$KEY
refresh "$k_rm"
kv GET "$TOKEN" "$TI/key/secret/alpha"
check "removed member: before removal it reads T's secret/alpha" \
    json_is .data.password hunter2
"$tt" installation remove-member --id "$TI" --user "$removed" >/dev/null 2>&1
check "removed member: ttctl installation remove-member" [ $? = 0 ]
kv GET "$TOKEN" "$TI/key/secret/alpha"
check "removed member: its token from before the removal now gets a 403" \
    fails_with 403 NO_INSTALLATION_ACCESS
new_token "$insider" kv_store_read
kv GET "$TOKEN" "$TI/key/secret/alpha"
check "revoked key: an insider key's token reads T before the revocation" \
    json_is .data.password hunter2
"$tt" key revoke "$KEY_ID" >/dev/null 2>&1
kv GET "$TOKEN" "$TI/key/secret/alpha"
check "revoked key: the same live token then gets a 401" unauth_is revoked

# What T holds, and that N holds nothing, before the generated requests.
snapshot() {
	sql "SELECT key, idx, version, committed, data::text, read_caps::text,
	    write_caps::text FROM kv_store WHERE installation_id = $TI
	    ORDER BY key, idx, committed"
	sql "SELECT count(*) FROM kv_store WHERE installation_id = $NI"
	sql "SELECT count(*) FROM installations WHERE id = $NI"
	sql "SELECT count(*) FROM work_manifests WHERE installation_id = $TI"
}
before=$(snapshot)

# --- The property, over the generated inputs. ---
jq -n --arg base "$BASE" --arg top "$TOP" --argjson T "$TI" --argjson N "$NI" \
    --argjson W "$WI" --argjson seed "$seed" --argjson count "$count" \
    --arg mint "$insider" --argjson repo "$repo" --argjson pr "$pr" \
    --arg ki "$k_in" --arg kii "$k_in_inst" --arg ko "$k_out" \
    --arg koi "$k_out_inst" --arg kr "$k_rm" --arg kri "$k_rm_inst" '{
	base: $base, top: $top, T: $T, N: $N, W: $W, seed: $seed,
	count: $count, mint_user: $mint,
	repos: [$repo, $repo + 1], prs: [$pr, $pr + 1],
	kv_keys: ["secret/alpha", "secret/bravo", "secret/charlie",
	    "secret/delta", "public/zeta"],
	kv_strings: ["hunter2", "alpha-chunk-1", "bosun-token-7", "bravo-tail",
	    "why", "next-bosun", "delta-value"],
	keys: {insider: {kv: $ki, inst: $kii}, outsider: {kv: $ko, inst: $koi},
	    removed: {kv: $kr, inst: $kri}}}' >"$T/iso.json"
start=$SECONDS
python3 "$TOP/tests/harness/isolation.py" "$T/iso.json" >"$T/iso.out" 2>"$T/iso.err"
rc=$?
tab=$'\t'
while IFS= read -r line; do
	case $line in
	CHECK$tab*)
		line=${line#CHECK"$tab"}
		check "${line#*"$tab"}" [ "${line%%"$tab"*}" = 0 ] ;;
	'#'*)	echo "$line" ;;
	esac
done <"$T/iso.out"
echo "# generated requests took $((SECONDS - start)) s on $SERVER"
check "the generator ran to its end" \
    sh -c '[ "$1" = 0 ] && grep -q "^# [0-9]* requests in" "$2" ||
        { sed "s/^/# /" "$3" | tail -5; false; }' - "$rc" "$T/iso.out" "$T/iso.err"

after=$(snapshot)
check "no generated write changed T's records, and none reached N" \
    [ "$before" = "$after" ]
[ "$before" = "$after" ] ||
    diff <(echo "$before") <(echo "$after") | head -10 | sed 's/^/# /'
