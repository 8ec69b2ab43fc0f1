#!/bin/bash
# kv-access.sh: who may read and write the KV store (API.md 1.3 and 3;
# SECURITY.md threats 9 and 10): route capabilities, installation
# membership and installation_id restrictions, namespaces per
# installation, and the row-level read_caps / write_caps.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

owner=$(new_user)	# member of A and B
outsider=$(new_user)	# member of A only
new_installation; A=$INST
new_installation; B=$INST
add_member "$A" "$owner"
add_member "$B" "$owner"
add_member "$A" "$outsider"

new_token "$owner" kv_store_read kv_store_write; t_rw=$TOKEN
new_token "$owner" kv_store_read; t_ro=$TOKEN
new_token "$owner" kv_store_write; t_wo=$TOKEN
new_token "$owner" kv_store_read kv_store_write "installation:$A"; t_onlyA=$TOKEN
new_token "$outsider" kv_store_read kv_store_write; t_out=$TOKEN
new_token "$owner" kv_store_read kv_store_write kv_store_system_read \
    kv_store_system_write; t_sys=$TOKEN

# unchanged PATH DATA VERSION: as t_sys (which may read everything), the
# committed record at PATH holds DATA at VERSION.
unchanged() {
	kv GET "$t_sys" "$1"
	status_is 200 && data_is "$2" && json_is .version "$3"
}
kv_json PUT "$t_rw" "$A/key/shared" '{"data":"in-A"}'
check "setup: the owner writes key 'shared' in A" status_is 200
kv_json PUT "$t_rw" "$B/key/shared" '{"data":"in-B"}'
check "setup: the owner writes key 'shared' in B" status_is 200

# --- Threat 9: a read-only token cannot write. ---
kv GET "$t_ro" "$A/key/shared"
check "a kv_store_read token reads" status_is 200
kv_json PUT "$t_ro" "$A/key/shared" '{"data":"ro-put"}'
check "read-only token: PUT is a 403 MISSING_CAPABILITY" error_is 403 MISSING_CAPABILITY
check "the 403 carries the standard headers" std_headers
kv_json PUT "$t_ro" "$A/cas/key/shared" '{"data":"ro-cas","version":0}'
check "read-only token: CAS is a 403 MISSING_CAPABILITY" error_is 403 MISSING_CAPABILITY
kv DELETE "$t_ro" "$A/key/shared"
check "read-only token: DELETE is a 403 MISSING_CAPABILITY" error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_rw" "$A/key/shared" '{"data":"staged-by-rw","committed":false}'
kv_json POST "$t_ro" "$A/commit" '{"keys":[{"key":"shared"}]}'
check "read-only token: commit is a 403 MISSING_CAPABILITY" error_is 403 MISSING_CAPABILITY
check "the record is unchanged after the refused writes (data, version 0)" \
    unchanged "$A/key/shared" '"in-A"' 0
kv GET "$t_rw" "$A/key/shared?committed=false"
check "the refused commit left the staged record staged" data_is '"staged-by-rw"'

# A token without kv_store_read cannot read.
kv GET "$t_wo" "$A/key/shared"
check "write-only token: GET is a 403 MISSING_CAPABILITY" error_is 403 MISSING_CAPABILITY
kv GET "$t_wo" "$A/count/key/shared"
check "write-only token: count is a 403" error_is 403 MISSING_CAPABILITY
kv GET "$t_wo" "$A/size/key/shared"
check "write-only token: size is a 403" error_is 403 MISSING_CAPABILITY
kv GET "$t_wo" "$A/iter/shared"
check "write-only token: iter is a 403" error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_wo" "$A/cas/key/shared" '{"data":"wo-cas","version":0}'
check "write-only token: CAS (needs read too) is a 403" error_is 403 MISSING_CAPABILITY
kv DELETE "$t_wo" "$A/key/shared"
check "write-only token: DELETE (needs read too) is a 403" error_is 403 MISSING_CAPABILITY
check "the record is still unchanged" unchanged "$A/key/shared" '"in-A"' 0

# --- Threat 10: installations are separate namespaces. ---
kv GET "$t_rw" "$A/key/shared"
check "the same key name in A holds A's value" data_is '"in-A"'
kv GET "$t_rw" "$B/key/shared"
check "the same key name in B holds B's value" data_is '"in-B"'
kv GET "$t_rw" "$A/iter/shared"
check "iterating A lists only A's record" \
    json_is '[.results[].data] | tojson' '["in-A"]'
kv_json POST "$t_rw" "$B/commit" '{"keys":[{"key":"shared"}]}'
check "a commit in B finds nothing staged in B" json_is '.keys | tojson' '[]'
kv GET "$t_rw" "$A/key/shared?committed=false"
check "A's staged record of the same key stays staged" data_is '"staged-by-rw"'
check "A's committed record is untouched" unchanged "$A/key/shared" '"in-A"' 0

# A user who is not a member of B.
kv GET "$t_out" "$B/key/shared"
check "non-member: GET on B is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv_json PUT "$t_out" "$B/key/shared" '{"data":"from-outsider"}'
check "non-member: PUT on B is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv DELETE "$t_out" "$B/key/shared"
check "non-member: DELETE on B is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv GET "$t_out" "$B/iter/shared"
check "non-member: iter on B is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv GET "$t_out" "$A/key/shared"
check "the same token reads its own installation A" data_is '"in-A"'
check "B's record is unchanged" unchanged "$B/key/shared" '"in-B"' 0

# A token restricted to A, of a user who is a member of B too.
kv GET "$t_onlyA" "$A/key/shared"
check "installation:A token: GET on A is a 200" data_is '"in-A"'
kv GET "$t_onlyA" "$B/key/shared"
check "installation:A token: GET on B is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv_json PUT "$t_onlyA" "$B/key/shared" '{"data":"from-onlyA"}'
check "installation:A token: PUT on B is a 403" error_is 403 NO_INSTALLATION_ACCESS
kv_json PUT "$t_onlyA" "$B/cas/key/shared" '{"data":"from-onlyA","version":0}'
check "installation:A token: CAS on B is a 403" error_is 403 NO_INSTALLATION_ACCESS
kv DELETE "$t_onlyA" "$B/key/shared"
check "installation:A token: DELETE on B is a 403" error_is 403 NO_INSTALLATION_ACCESS
kv_json POST "$t_onlyA" "$B/commit" '{"keys":[{"key":"shared"}]}'
check "installation:A token: commit on B is a 403" error_is 403 NO_INSTALLATION_ACCESS
check "B's record is still unchanged" unchanged "$B/key/shared" '"in-B"' 0

# An installation nobody made.
kv GET "$t_rw" "9007199254740991/key/shared"
check "an installation that does not exist is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS

# Removing a member cuts access at once, for a token issued before.
new_installation; C=$INST
add_member "$C" "$outsider"
kv_json PUT "$t_out" "$C/key/mine" '{"data":"before removal"}'
check "a member writes in C" status_is 200
kv GET "$t_out" "$C/key/mine"
check "a member reads in C" data_is '"before removal"'
"$TOP/bin/ttctl" installation remove-member --id "$C" --user "$outsider" >/dev/null 2>&1
kv GET "$t_out" "$C/key/mine"
check "after remove-member the same token's GET is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv_json PUT "$t_out" "$C/key/mine" '{"data":"after removal"}'
check "after remove-member its PUT is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
# A write shares its round trip with the membership check (db.c,
# tt_db_run_apart): a refused check must stop the write, not only its answer.
kv_json PUT "$t_out" "$C/cas/key/mine" '{"data":"cas after removal","version":0}'
check "after remove-member its CAS is a 403 NO_INSTALLATION_ACCESS" \
    error_is 403 NO_INSTALLATION_ACCESS
kv_json PUT "$t_out" "$C/cas/key/fresh" '{"data":"create after removal"}'
check "after remove-member its create-only CAS is a 403" \
    error_is 403 NO_INSTALLATION_ACCESS
kv DELETE "$t_out" "$C/key/mine"
check "after remove-member its DELETE is a 403" error_is 403 NO_INSTALLATION_ACCESS
add_member "$C" "$owner"
check "after the refused writes the record in C is unchanged" \
    unchanged "$C/key/mine" '"before removal"' 0
kv GET "$t_sys" "$C/key/fresh"
check "the refused create-only CAS created nothing" error_is 404 NOT_FOUND

# Revoking the key cuts its access token's writes at once (401), and
# none of them changes anything.
new_token "$owner" kv_store_read kv_store_write; t_doomed=$TOKEN
kv_json PUT "$t_doomed" "$A/key/revoked" '{"data":"before revocation"}'
check "setup: a key's token writes before the key is revoked" status_is 200
"$TOP/bin/ttctl" key revoke "$KEY_ID" >/dev/null 2>&1
kv_json PUT "$t_doomed" "$A/key/revoked" '{"data":"after revocation"}'
check "revoked key: PUT is a 401" unauth_is 'revoked'
kv_json PUT "$t_doomed" "$A/cas/key/revoked" '{"data":"cas","version":0}'
check "revoked key: CAS is a 401" unauth_is 'revoked'
kv_json PUT "$t_doomed" "$A/cas/key/revoked-new" '{"data":"create"}'
check "revoked key: create-only CAS is a 401" unauth_is 'revoked'
kv DELETE "$t_doomed" "$A/key/revoked"
check "revoked key: DELETE is a 401" unauth_is 'revoked'
check "revoked key: the record is unchanged" \
    unchanged "$A/key/revoked" '"before revocation"' 0
kv GET "$t_sys" "$A/key/revoked-new"
check "revoked key: the create-only CAS created nothing" error_is 404 NOT_FOUND

# --- Row-level read_caps. ---
kv_json PUT "$t_sys" "$A/key/secret" '{"data":"classified","read_caps":["kv_store_system_read"]}'
check "a record with read_caps is written" status_is 200
check "the answer echoes read_caps" json_is '.read_caps | tojson' '["kv_store_system_read"]'
kv GET "$t_rw" "$A/key/secret"
check "read_caps: a token without the cap gets a 404 NOT_FOUND" \
    error_is 404 NOT_FOUND
check "the 404 body does not leak the value" \
    sh -c '! grep -q classified "$1"' - "$T/body"
kv GET "$t_rw" "$A/count/key/secret"
check "read_caps: count is a 404 without the cap" error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/size/key/secret"
check "read_caps: size is a 404 without the cap" error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/iter/secret"
check "read_caps: iter without the cap does not list the record" \
    sh -c '[ "$1" = 200 ] && jq -e "[.results[].key] | index(\"secret\") == null" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv GET "$t_sys" "$A/key/secret"
check "read_caps: a token with the cap reads the record" data_is '"classified"'
check "... and sees its read_caps" json_is '.read_caps | tojson' '["kv_store_system_read"]'
kv GET "$t_sys" "$A/iter/secret?prefix=true"
check "read_caps: iter with the cap lists it" json_is '[.results[].key] | join(",")' secret

# --- Row-level write_caps. ---
kv_json PUT "$t_sys" "$A/key/locked" '{"data":"L","write_caps":["kv_store_system_write"]}'
check "a record with write_caps is written (version 0)" \
    sh -c '[ "$1" = 200 ] && jq -e ".version == 0 and .write_caps == [\"kv_store_system_write\"]" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv GET "$t_rw" "$A/key/locked"
check "write_caps alone do not hide the record" data_is '"L"'
kv_json PUT "$t_rw" "$A/key/locked" '{"data":"overwritten"}'
check "write_caps: overwrite without the cap is a 403 MISSING_CAPABILITY" \
    error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_rw" "$A/cas/key/locked" '{"data":"cas","version":0}'
check "write_caps: CAS without the cap is a 403 MISSING_CAPABILITY" \
    error_is 403 MISSING_CAPABILITY
kv DELETE "$t_rw" "$A/key/locked"
check "write_caps: DELETE without the cap is a 403 MISSING_CAPABILITY" \
    error_is 403 MISSING_CAPABILITY
kv DELETE "$t_rw" "$A/key/locked?idx=0&version=0"
check "write_caps: DELETE of idx 0 at its version without the cap is a 403" \
    error_is 403 MISSING_CAPABILITY
check "write_caps: the record is unchanged (L, version 0)" \
    unchanged "$A/key/locked" '"L"' 0
# A staged replacement, committed by a token without the cap.
kv_json PUT "$t_sys" "$A/key/locked" '{"data":"staged","committed":false}'
kv_json POST "$t_rw" "$A/commit" '{"keys":[{"key":"locked"}]}'
check "write_caps: commit of a staged replacement without the cap is a 403" \
    error_is 403 MISSING_CAPABILITY
check "write_caps: the refused commit left the record unchanged" \
    unchanged "$A/key/locked" '"L"' 0
kv GET "$t_sys" "$A/key/locked?committed=false"
check "the refused commit left the staged record staged" data_is '"staged"'

# --- Chunk 0's caps govern every chunk of its key (API.md 3). ---
# A two-chunk value whose chunk 0 carries read_caps and write_caps; chunk 1
# was written without caps of its own.
kv_json PUT "$t_sys" "$A/key/big" '{"data":"part0","read_caps":["kv_store_system_read"],"write_caps":["kv_store_system_write"]}'
check "chunk 0 of a protected two-chunk value is written" status_is 200
kv_json PUT "$t_sys" "$A/key/big" '{"data":"part1","idx":1}'
check "its chunk 1 is written without caps of its own" status_is 200
kv GET "$t_rw" "$A/key/big?idx=1"
check "chunk 0's read_caps hide chunk 1 too (404)" error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/iter/big?prefix=true"
check "iter lists no chunk of the key without chunk 0's read_caps" \
    json_is '.results | length' 0
kv GET "$t_rw" "$A/count/key/big"
check "count finds no chunk without chunk 0's read_caps (404)" error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/size/key/big?idx=1"
check "size of chunk 1 is a 404 without chunk 0's read_caps" error_is 404 NOT_FOUND
kv_json PUT "$t_rw" "$A/key/big" '{"data":"evil","idx":1}'
check "overwriting chunk 1 without chunk 0's write_caps is a 403" \
    error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_rw" "$A/key/big" '{"data":"evil","idx":2}'
check "extending the value with a chunk 2 is a 403" error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_rw" "$A/key/big" '{"data":"evil","idx":2,"committed":false}'
check "staging a chunk 2 is a 403" error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_rw" "$A/cas/key/big" '{"data":"evil","idx":2}'
check "creating chunk 2 by CAS is a 403" error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_rw" "$A/cas/key/big" '{"data":"evil","idx":1,"version":0}'
check "CAS on chunk 1 at its version is a 403" error_is 403 MISSING_CAPABILITY
kv DELETE "$t_rw" "$A/key/big?idx=1"
check "deleting chunk 1 is a 403" error_is 403 MISSING_CAPABILITY
kv_json PUT "$t_sys" "$A/key/big" '{"data":"staged1","idx":1,"committed":false}'
kv_json POST "$t_rw" "$A/commit" '{"keys":[{"key":"big","idx":1}]}'
check "committing a staged chunk 1 (staged without caps) is a 403" \
    error_is 403 MISSING_CAPABILITY
# committed=false (committed or not) keeps chunk 0's read_caps: no chunk,
# committed or staged, for a token without them.
kv GET "$t_rw" "$A/key/big?idx=1&committed=false"
check "committed=false: chunk 0's read_caps hide chunk 1, staged or not (404)" \
    error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/key/big?committed=false"
check "committed=false: chunk 0 itself is a 404 without its read_caps" \
    error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/iter/big?prefix=true&committed=false"
check "committed=false: iter lists no chunk without chunk 0's read_caps" \
    json_is '.results | length' 0
kv GET "$t_rw" "$A/count/key/big?committed=false"
check "committed=false: count is a 404 without chunk 0's read_caps" \
    error_is 404 NOT_FOUND
kv GET "$t_rw" "$A/size/key/big?committed=false"
check "committed=false: size is a 404 without chunk 0's read_caps" \
    error_is 404 NOT_FOUND
kv GET "$t_sys" "$A/key/big?idx=1&committed=false"
check "committed=false: a token with the caps reads the staged chunk 1" \
    json_is '[.data, .committed] | tojson' '["staged1",false]'
kv GET "$t_sys" "$A/count/key/big"
check "the value still has its two chunks" json_is .count 2
check "chunk 1 is unchanged (part1, version 0)" unchanged "$A/key/big?idx=1" '"part1"' 0
kv_json PUT "$t_sys" "$A/key/big" '{"data":"part2","idx":2}'
check "a token holding chunk 0's caps extends the value (200)" status_is 200

# A token holding the cap may do all of it.
kv_json POST "$t_sys" "$A/commit" '{"keys":[{"key":"locked"}]}'
check "write_caps: commit with the cap is a 200 listing the record" \
    json_is '.keys | tojson' '[{"key":"locked","idx":0}]'
check "the committed replacement is at version 1" \
    unchanged "$A/key/locked" '"staged"' 1
kv_json PUT "$t_sys" "$A/key/locked" '{"data":"L2","write_caps":["kv_store_system_write"]}'
check "write_caps: overwrite with the cap is a 200 (version 2)" \
    sh -c '[ "$1" = 200 ] && jq -e ".version == 2" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv_json PUT "$t_sys" "$A/cas/key/locked" '{"data":"L3","version":2,"write_caps":["kv_store_system_write"]}'
check "write_caps: CAS with the cap is a 200 (version 3)" \
    sh -c '[ "$1" = 200 ] && jq -e ".version == 3 and .data == \"L3\"" <"$2" >/dev/null' - "$STATUS" "$T/body"
kv_json PUT "$t_rw" "$A/key/locked" '{"data":"again"}'
check "the write_caps given with the overwrite still protect it" \
    error_is 403 MISSING_CAPABILITY
kv DELETE "$t_sys" "$A/key/locked"
check "write_caps: DELETE with the cap is {\"result\": true}" json_is .result true
kv GET "$t_sys" "$A/key/locked"
check "the deleted record is gone" error_is 404 NOT_FOUND
