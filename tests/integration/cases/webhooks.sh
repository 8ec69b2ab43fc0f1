#!/bin/bash
# webhooks.sh: GitHub's webhook (API.md section 5): signatures, the
# delivery ledger, pull request processing against the stand-in GitHub,
# retries after an outage, and every real payload of every event type.
# passes: lighttpd apache asan cgi valgrind
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakegithub.sh"

. "$TOP/tests/harness/hooks.sh"

fakegh_reset >/dev/null
nonce=$(uuid)

# --- Signatures (SECURITY.md threat 15). ---
printf '{"zen":"Keep it logically awesome.","hook_id":1,"nonce":"%s"}' "$nonce" >"$T/ping.json"
d=$(uuid); hook ping "$d" "$T/ping.json"
check "a signed ping is a 200" status_is 200
check "the ping answer says pong" json_is .status pong
check "the ping is recorded as done" test "$(state_of "$d")" = done
good=$(sign "$T/ping.json")
for bad in "" "sha1=$(openssl dgst -sha1 -hmac "$SECRET" <"$T/ping.json" | awk '{print $NF}')" \
    "sha256=$(echo "${good#sha256=}" | tr a-f A-F)" \
    "${good%?}$( [ "${good: -1}" = 0 ] && echo 1 || echo 0)" "sha256=" \
    "sha256=$(openssl dgst -sha256 -hmac "" <"$T/ping.json" | awk '{print $NF}')"; do
	d=$(uuid); hook ping "$d" "$T/ping.json" "$bad"
	check "signature '${bad:0:20}...' is refused with 401" status_is 401
	check "... and nothing is stored" test "$(stored "$d")" = 0
done
cp "$T/ping.json" "$T/flip.json"; printf ' ' >>"$T/flip.json"
d=$(uuid); hook ping "$d" "$T/flip.json" "$good"
check "a body changed after signing is refused with 401" status_is 401
d=$(uuid); hook ping not-a-guid "$T/ping.json"
check "an X-GitHub-Delivery that is no GUID is a 400" status_is 400
printf '[1,2' >"$T/broken.json"
hook ping "$(uuid)" "$T/broken.json"
check "signed but broken JSON is a 400" status_is 400

# --- Unhandled events are recorded and answered 202. ---
printf '{"action":"created","nonce":"%s","starred_at":null}' "$nonce" >"$T/star.json"
d=$(uuid); hook star "$d" "$T/star.json"
check "an unhandled event type is a 202" status_is 202
check "... recorded as ignored" test "$(state_of "$d")" = ignored

# --- installation created: installation, repositories, membership. ---
inst=$((RANDOM * 32768 + RANDOM + 1000000))
login=octo-$nonce
# The installing user is found by GitHub account id (the sender's), never
# by login: a user merely named like the sender gets nothing.
sender_id=$(( 2000000000 + ($$ * 32768 + RANDOM) % 900000000 ))
user=$("$ttctl" user create --github-login "sender-$nonce")
"$ttctl" user link --id "$user" --github-id "$sender_id" >/dev/null
# (Once the first is linked, the login names a second, unlinked user.)
namesake=$("$ttctl" user create --github-login "sender-$nonce")
cat >"$T/inst.json" <<JSON
{"action":"created","installation":{"id":$inst,"account":{"login":"$login","type":"Organization"}},
 "repositories":[{"id":$((inst + 1)),"name":"infra","full_name":"$login/infra"},
                 {"id":$((inst + 2)),"name":"app","full_name":"$login/app"}],
 "sender":{"login":"sender-$nonce","id":$sender_id}}
JSON
d=$(uuid); hook installation "$d" "$T/inst.json"
check "installation.created is a 202" status_is 202
check "installation.created is processed" wait_state "$d" done
check "the installation exists" test "$(q "SELECT login FROM installations WHERE id = $inst")" = "$login"
check "its two repositories exist" test "$(q "SELECT count(*) FROM repositories WHERE installation_id = $inst")" = 2
check "the installing user (by account id) is a member, through GitHub" test "$(q "SELECT via_github AND NOT via_admin FROM installation_members WHERE installation_id = $inst AND user_id = '$user'")" = t
check "a user that only has the sender's login is not" test "$(q "SELECT count(*) FROM installation_members WHERE installation_id = $inst AND user_id = '$namesake'")" = 0

# --- pull_request opened: files, manifest, stacks, check run, comment. ---
repo=$((inst + 1)); pr=7; sha=$(openssl rand -hex 20)
fakegh_pr_files "$login" infra $pr main.tf modules/net/vars.tfvars README.md \
    docs/x.md modules/net/main.tf env/prod/terragrunt.hcl >/dev/null
pr_json() { # ACTION SHA
	cat <<JSON
{"action":"$1","number":$pr,"installation":{"id":$inst},
 "repository":{"id":$repo,"name":"infra","owner":{"login":"$login"}},
 "pull_request":{"number":$pr,"title":"Add network","user":{"login":"dev"},
  "head":{"sha":"$2","ref":"feature"},"base":{"sha":"$(printf '%040d' 0)","ref":"main"}},
 "nonce":"$nonce"}
JSON
}
pr_json opened "$sha" >"$T/pr.json"
d=$(uuid)
t0=$(date +%s%N); hook pull_request "$d" "$T/pr.json"; t1=$(date +%s%N)
check "pull_request.opened is a 202" status_is 202
check "... answered before processing (under 2 s)" test $(( (t1 - t0) / 1000000 )) -lt 2000
check "pull_request.opened is processed" wait_state "$d" done
wm=$(q "SELECT work_manifest_id FROM webhook_deliveries WHERE delivery_id = '$d'")
check "one queued plan work manifest for the pull request" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $pr AND run_type = 'plan' AND state = 'queued'")" = 1
check "its dirspaces are the changed Terraform directories" \
    test "$(q "SELECT string_agg(dir || ':' || workspace, ',' ORDER BY dir) FROM work_manifest_dirspaces WHERE work_manifest_id = '$wm'")" = ".:default,env/prod:default,modules/net:default"
check "stacks are stored for the pull request" \
    test "$(q "SELECT jsonb_array_length(stacks->0->'stacks'->0->'dirspaces') FROM pull_request_stacks WHERE installation_id = $inst AND pull_number = $pr")" = 3
check "one check run at GitHub" test "$(fakegh_count "/repos/$login/infra/check-runs" POST)" = 1
fakegh_requests "/repos/$login/infra/check-runs" POST >"$T/cr.json"
check "the check run names itself and the head sha" \
    test "$(jq -r '.[0].body | fromjson | "\(.name)|\(.head_sha)"' "$T/cr.json")" = "terrateam plan|$sha"
check "one comment on the pull request" test "$(fakegh_count "/repos/$login/infra/issues/$pr/comments" POST)" = 1
fakegh_requests "/repos/$login/infra/issues/$pr/comments" POST >"$T/cm.json"
check "the comment body lists the directories" \
    jq -e '.[0].body | fromjson | .body | contains("modules/net")' "$T/cm.json"
check "GitHub calls carry the API version header" \
    test "$(jq -r '.[0].headers["x-github-api-version"]' "$T/cr.json")" = 2022-11-28

# The manifest is visible through the manifests API.
add_member "$inst" "$(new_user)" >/dev/null 2>&1 || true
m=$(new_user); add_member "$inst" "$m"; new_token "$m" "installation:$inst"
http GET "/api/v1/github/installations/$inst/work-manifests" -H "Authorization: Bearer $TOKEN"
check "the manifests API lists the new work manifest" json_is '[.work_manifests[] | .id] | index("'"$wm"'") != null' true

# --- Redeliveries: same id three times, same body under a new id. ---
for i in 1 2 3; do
	hook pull_request "$d" "$T/pr.json"
	check "redelivery $i of the same id is a 200" status_is 200
done
hook pull_request "$(uuid)" "$T/pr.json"
check "the same body under a new id is a 200" status_is 200
sleep 0.5
check "still exactly one work manifest" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $pr")" = 1
check "still exactly one check run" test "$(fakegh_count "/repos/$login/infra/check-runs" POST)" = 1
check "still exactly one comment" test "$(fakegh_count "/repos/$login/infra/issues/$pr/comments" POST)" = 1

# --- A GitHub outage: the delivery waits, a later drain completes it. ---
sha2=$(openssl rand -hex 20); pr_json synchronize "$sha2" >"$T/sync.json"
fakegh_fault '{"mode":"error","status":503,"count":1,"match":"check-runs"}' >/dev/null
d2=$(uuid); hook pull_request "$d2" "$T/sync.json"
check "synchronize during an outage is still a 202" status_is 202
check "the delivery failed and waits for a retry" wait_state "$d2" failed
check "its error names the step" test -n "$(q "SELECT last_error FROM webhook_deliveries WHERE delivery_id = '$d2' AND last_error LIKE '%check run%'")"
q "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE delivery_id = '$d2'" >/dev/null
"$ttctl" events drain >"$T/drain.out" 2>&1
check "ttctl events drain completes it" wait_state "$d2" done
check "the synchronize made one more manifest, not two" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $pr")" = 2
check "one check run per head sha (no duplicate after the retry)" \
    test "$(fakegh_requests "/repos/$login/infra/check-runs" POST | jq "[.[] | select(.status == 201) | .body | fromjson | select(.head_sha == \"$sha2\")] | length")" = 1
check "one comment per delivery" test "$(fakegh_count "/repos/$login/infra/issues/$pr/comments" POST)" = 2

# --- ttctl events show and replay (docs/OPERATIONS.md). ---
lid=$(q "SELECT id FROM webhook_deliveries WHERE delivery_id = '$d2'")
"$ttctl" events show "$d2" >"$T/show.out" 2>&1
check "ttctl events show GUID prints the delivery with its effects" \
    jq -e --arg d "$d2" '.delivery_id == $d and .state == "done" and (.work_manifest_id | length) == 36 and .payload.action == "synchronize"' "$T/show.out"
"$ttctl" events show "$lid" >"$T/show2.out" 2>&1
check "ttctl events show LEDGER-ID prints the same delivery" jq -e --arg d "$d2" '.delivery_id == $d' "$T/show2.out"
"$ttctl" events replay "$d2" >"$T/replay.out" 2>&1
check "ttctl events replay processes it again at once" \
    sh -c 'grep -q "queued again" "$1" && grep -q "^1 deliveries processed$" "$1"' - "$T/replay.out"
check "... and it is done again" wait_state "$d2" done
check "... keeping the effects it had made (no new manifest)" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $pr")" = 2

# --- An older delivery retried after a newer one keeps the newer head. ---
shaA=$(openssl rand -hex 20); pr_json synchronize "$shaA" >"$T/syncA.json"
shaB=$(openssl rand -hex 20); pr_json synchronize "$shaB" >"$T/syncB.json"
# The client tries a GET three times before the delivery fails.
fakegh_fault '{"mode":"error","status":503,"count":3,"match":"/files"}' >/dev/null
dA=$(uuid); hook pull_request "$dA" "$T/syncA.json"
check "head A: GitHub fails its file list, the delivery waits" wait_state "$dA" failed
dB=$(uuid); hook pull_request "$dB" "$T/syncB.json"
check "head B, delivered after it, is processed" wait_state "$dB" done
q "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE delivery_id = '$dA'" >/dev/null
"$ttctl" events drain >"$T/drainA.out" 2>&1
check "head A's retry is processed after B" wait_state "$dA" done
check "... and makes head A's plan" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $pr AND sha = '$shaA'")" = 1
check "the pull request's head is still B" \
    test "$(q "SELECT head_sha FROM pull_requests WHERE installation_id = $inst AND pull_number = $pr")" = "$shaB"
check "its stored stacks are still B's" \
    test "$(q "SELECT head_sha FROM pull_request_stacks WHERE installation_id = $inst AND pull_number = $pr")" = "$shaB"

# --- A black-holed GitHub never delays the answer. ---
fakegh_fault '{"mode":"blackhole","count":1,"delay":30}' >/dev/null
sha3=$(openssl rand -hex 20); pr_json synchronize "$sha3" >"$T/bh.json"
t0=$(date +%s%N); hook pull_request "$(uuid)" "$T/bh.json"; t1=$(date +%s%N)
check "with GitHub black-holed the webhook is still a 202" status_is 202
check "... answered in under 2 s" test $(( (t1 - t0) / 1000000 )) -lt 2000

# --- closed aborts queued manifests. ---
pr_json closed "$sha2" >"$T/closed.json"
d3=$(uuid); hook pull_request "$d3" "$T/closed.json"
check "closed is processed" wait_state "$d3" done
check "closed aborts the pull request's queued manifests" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $pr AND state = 'queued'")" = 0

# --- Every real payload of every event type: never a 5xx. ---
# One curl for all of them (tests/harness/hooks_curl.py signs them): a
# process or two per delivery made this loop most of the suite's time.
mkdir -p "$T/ex"
python3 "$TOP/tests/harness/hooks_curl.py" "$TT_GITHUB_WEBHOOK_SECRET_FILE" \
    "$BASE/api/github/v1/events" "$T/ex" "$WEBHOOK_EXAMPLES"/*.json >"$T/ex.curl"
curl -s -K "$T/ex.curl" >"$T/ex.out"
n=$(ls "$WEBHOOK_EXAMPLES"/*.json | wc -l); got=$(wc -l <"$T/ex.out"); bad=0; i=0
while read -r status ev f; do
	i=$((i + 1))
	case $status in 200|202) ;; *) bad=$((bad + 1)); echo "# $ev $(basename "$f"): $status $(head -c 200 "$T/ex/$i.body")" ;; esac
done <"$T/ex.out"
check "all $n octokit example payloads answered 200/202" test "$bad" = 0 -a "$got" = "$n" -a "$n" -gt 300
check "no 500 for any payload in the ledger's processing" \
    test "$(q "SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'")" = 0
