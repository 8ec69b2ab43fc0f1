#!/bin/bash
# runner-story.sh: plans and applies through Terrateam's runner (the
# shared docs' RUNNER.md) end to end: a pull request is dispatched to
# its workflow, the stand-in runner (tests/harness/fakerunner.py, started
# by the stand-in GitHub for each dispatch) plans, the check run and the
# comment show it, `terrateam apply` from someone with write access
# applies the stored plan byte for byte; then what goes wrong: a push
# mid-run, a failed plan, a comment without write access, two applies at
# once, a failed workflow run, a run that never reports, a repository
# without the workflow, a sha the manifest does not have.
# passes: lighttpd apache asan proxy cgi valgrind
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakegithub.sh"
. "$TOP/tests/harness/hooks.sh"

fakegh_reset >/dev/null
fakegh_runner off >/dev/null
nonce=$(uuid)
new_installation; inst=$INST
login=org-$inst
repo=$((inst % 1000000000 + 7000))
m=$(new_user); add_member "$inst" "$m"; new_token "$m" "installation:$inst"
A="Authorization: Bearer $TOKEN"
zero=$(printf '%040d' 0)
B=/api/github/v1/work-manifests

# eventually SECONDS COMMAND...: the command succeeds within SECONDS.
eventually() {
	_ev_end=$(($(date +%s) + $1)); shift
	until "$@"; do
		[ "$(date +%s)" -ge "$_ev_end" ] && return 1
		sleep 0.2
	done
}
ghstate() { curl -sSf --max-time 10 "$FAKEGH_URL/_fake/state"; }
# pr_json PR ACTION SHA [STATE]
pr_json() {
	cat <<JSON
{"action":"$2","number":$1,"installation":{"id":$inst},
 "repository":{"id":$repo,"name":"infra","owner":{"login":"$login"}},
 "pull_request":{"number":$1,"title":"Runner $1","user":{"login":"dev"},
  "state":"${4:-open}",
  "head":{"sha":"$3","ref":"feature-$1"},"base":{"sha":"$zero","ref":"main"}},
 "nonce":"$nonce"}
JSON
}
# pr_event PR ACTION SHA: posts the pull_request delivery and waits for
# it (the head registered with the stand-in GitHub first); sets D, WM.
pr_event() {
	fakegh_pull "$login" infra "$1" "$3" "feature-$1" main >/dev/null
	pr_json "$1" "$2" "$3" >"$T/pr.json"
	D=$(uuid); hook pull_request "$D" "$T/pr.json"
	wait_state "$D" done
	WM=$(q "SELECT work_manifest_id FROM webhook_deliveries WHERE delivery_id = '$D'")
}
# comment PR USER TEXT: an issue_comment delivery; sets D.
comment() {
	jq -n --argjson inst "$inst" --argjson repo "$repo" --arg o "$login" \
	    --argjson n "$1" --arg u "$2" --arg b "$3" --arg nonce "$nonce" \
	    '{action: "created", installation: {id: $inst},
	      repository: {id: $repo, name: "infra", owner: {login: $o}},
	      issue: {number: $n, pull_request: {url: "x"}},
	      comment: {id: (now * 1000 | floor), body: $b, user: {login: $u}},
	      nonce: $nonce}' >"$T/comment.json"
	D=$(uuid); hook issue_comment "$D" "$T/comment.json"
	wait_state "$D" done
}
outcome() { q "SELECT outcome FROM webhook_deliveries WHERE delivery_id = '$1'"; }
state() { q "SELECT state FROM work_manifests WHERE id = '$1'"; }
state_is() { [ "$(state "$1")" = "$2" ] || { echo "# manifest $1 is $(state "$1"), expected $2"; return 1; }; }
check_run_of() { q "SELECT check_run_id FROM work_manifests WHERE id = '$1'"; }
# check_run_is ID STATUS [CONCLUSION]
check_run_is() {
	ghstate | jq -e --argjson id "$1" --arg s "$2" --arg c "${3:-}" \
	    '.check_runs[] | select(.id == $id) | .status == $s and
	     ($c == "" or .conclusion == $c)' >/dev/null
}
outcome_has() { outcome "$1" | grep -qi -- "$2" || { echo "# outcome: $(outcome "$1")"; return 1; }; }
stacks() { http GET "/api/v1/github/installations/$inst/repos/$repo/prs/$1/stacks" -H "$A"; }
run_of() { fakegh_runs "$login" infra | jq -c --arg w "$1" '[.[] | select(.inputs["work-token"] == $w)] | last'; }
# initiate ID SHA [RUN_ID]: R1 by hand; sets STATUS, RT (the token or "").
initiate() {
	http POST "$B/$1/initiate" -H 'Content-Type: application/json' \
	    --data-binary "{\"run_id\":\"${3:-1}\",\"sha\":\"$2\"}"
	RT=$(jq -r '.token // ""' "$T/body" 2>/dev/null)
	remember "$RT"
}
token_call() { http POST "$B/$1/access-token" -H "Authorization: bearer $2" -H 'Content-Length: 0'; }

cat >"$T/config.yml" <<'YAML'
# Cost estimation off, as the runner would otherwise call its proxy.
cost_estimation:
  enabled: false
dirs:
  network:
    tags: [base]
  "apps/*":
    tags: [app]
stacks:
  names:
    base:
      tag_query: base
    apps:
      tag_query: app
      rules:
        plan_after: [base]
YAML
fakegh_content "$login" infra .terrateam/config.yml "" "@$T/config.yml" >/dev/null
fakegh_pr_files "$login" infra 41 network/main.tf apps/web/main.tf >/dev/null
plan_text='Plan: 1 to add, 0 to change, 0 to destroy ({dir})'
# The first run sends its results twice, as the runner does after a lost 200.
fakegh_runner on --plan-text "$plan_text" --resend-results --backoff-initial 0.2 >/dev/null

# --- The story: a plan, then `terrateam apply`. ---
pr=41; sha=$(openssl rand -hex 20)
check "a pull request is processed" pr_event $pr opened "$sha"
wm=$WM
check "... into a plan work manifest" test "$(q "SELECT run_type FROM work_manifests WHERE id = '$wm'")" = plan
fakegh_dispatches "$login" infra >"$T/disp.json"
check "the workflow was dispatched once, on the pull request's branch" \
    jq -e --arg w "$wm" '[.[] | select(.inputs["work-token"] == $w)] |
      length == 1 and .[0].ref == "feature-41" and
      .[0].workflow_id != null' "$T/disp.json"
check "... with api-base-url the server's public URL and /api/github" \
    jq -e --arg w "$wm" '.[] | select(.inputs["work-token"] == $w) |
      .inputs["api-base-url"] | test("^https?://[^/]+/api/github$")' "$T/disp.json"
check "the dispatch is recorded on the manifest" \
    test "$(q "SELECT dispatched_at IS NOT NULL FROM work_manifests WHERE id = '$wm'")" = t
check "the runner ran it to the end" fakegh_wait_runs 1 60
run=$(run_of "$wm")
check "... and exited 0" test "$(jq -r .exit_status <<<"$run")" = 0
log=$(jq -r .log <<<"$run")
check "... its results, sent twice, got 200 both times" \
    test "$(jq -s '[.[] | select(.event == "http" and .call == "R5") | .status] | . == [200, 200]' "$log")" = true
check "... asking for the GitHub token before the pre-hooks and for each dirspace" \
    test "$(jq -s '[.[] | select(.event == "http" and .call == "R2" and .status == 200)] | length' "$log")" -ge 3
check "the manifest completed" eventually 10 state_is "$wm" completed
check "both dirspaces succeeded with changes" \
    test "$(q "SELECT count(*) FROM work_manifest_dirspaces WHERE work_manifest_id = '$wm' AND success AND has_changes")" = 2
check "the dirspaces were ranked by their stacks (network first)" \
    test "$(q "SELECT string_agg(dir || ':' || rank, ',' ORDER BY rank, dir) FROM work_manifest_dirspaces WHERE work_manifest_id = '$wm'")" = "network:0,apps/web:1"
check "both plans are stored" \
    test "$(q "SELECT count(*) FROM work_manifest_plans WHERE work_manifest_id = '$wm'")" = 2
cr=$(check_run_of "$wm")
check "the check run is completed: success" eventually 10 check_run_is "$cr" completed success
check "the check run was marked in progress first" \
    test "$(fakegh_requests "/check-runs/$cr\$" PATCH | jq '[.[] | select(.body | fromjson | .status == "in_progress")] | length')" -ge 1
check "the plan is posted as a comment with each dirspace's plan text" \
    eventually 10 sh -c "curl -sSf '$FAKEGH_URL/_fake/state' | jq -e '[.comments[].body | select(test(\"plan succeeded\") and contains(\"(network)\") and contains(\"(apps/web)\"))] | length == 1' >/dev/null"
check "the token never shows in the comment (the runner masks it)" \
    sh -c "! curl -sSf '$FAKEGH_URL/_fake/state' | jq -r '.comments[].body' | grep -q 'tt_run_'"
stacks $pr
check "the stacks route shows both dirspaces apply_pending" \
    jq -e '[.. | objects | select(has("dirspaces")) | .dirspaces[]?.state] | length >= 2 and all(. == "apply_pending")' "$T/body"

# A reader who may not apply.
fakegh_permission "$login" infra mallory read >/dev/null
n0=$(fakegh_dispatches "$login" infra | jq length)
check "'terrateam apply' from a reader is processed" comment $pr mallory "terrateam apply"
check "... and refused, naming write access" outcome_has "$D" write
check "... with no work manifest and no dispatch" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND run_type = 'apply'")" = 0
check "... (dispatches unchanged)" test "$(fakegh_dispatches "$login" infra | jq length)" = "$n0"
check "... and told so on the pull request" eventually 10 sh -c "curl -sSf '$FAKEGH_URL/_fake/state' | jq -e '.comments[-1].body | test(\"will not apply\")' >/dev/null"

# A writer applies.
fakegh_permission "$login" infra alice write >/dev/null
fakegh_runner on --plan-text "$plan_text" --backoff-initial 0.2 >/dev/null
check "'terrateam apply' from a writer is processed" comment $pr alice "terrateam apply"
awm=$(q "SELECT id FROM work_manifests WHERE installation_id = $inst AND run_type = 'apply'")
check "... into one apply manifest for both dirspaces" \
    test "$(q "SELECT count(*) FROM work_manifest_dirspaces WHERE work_manifest_id = '$awm'")" = 2
check "the apply ran to the end" fakegh_wait_runs 2 60
arun=$(run_of "$awm")
check "... and exited 0" test "$(jq -r .exit_status <<<"$arun")" = 0
alog=$(jq -r .log <<<"$arun")
check "each dirspace's plan came back byte for byte as the plan stored it" \
    test "$(jq -s '[.[] | select(.event == "dirspace" and .plan_check != null) | .plan_check] | (length == 2 and all(. == "ok"))' "$alog")" = true
check "the apply manifest completed with both dirspaces applied" \
    eventually 10 sh -c "test \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT count(*) FROM work_manifest_dirspaces WHERE work_manifest_id = '$awm' AND success\")\" = 2"
acr=$(check_run_of "$awm")
check "the apply's check run is completed: success" eventually 10 check_run_is "$acr" completed success
check "the apply is posted as a comment" \
    eventually 10 sh -c "curl -sSf '$FAKEGH_URL/_fake/state' | jq -e '[.comments[].body | select(test(\"apply succeeded\"))] | length == 1' >/dev/null"
check "the plan's results, sent twice, were posted once" \
    test "$(ghstate | jq '[.comments[].body | select(test("plan succeeded") and contains("(apps/web)"))] | length')" = 1
stacks $pr
check "the stacks route shows both dirspaces apply_success" \
    jq -e '[.. | objects | select(has("dirspaces")) | .dirspaces[]?.state] | length >= 2 and all(. == "apply_success")' "$T/body"

# The runner's token after its manifest ended.
tok=$(jq -r 'select(.event == "manifest") | .token' "$log" | head -1)
remember "$tok"
check "the plan's token was found in the runner's log" test -n "$tok"
token_call "$wm" "$tok"
check "the plan's token is refused once its manifest completed (401)" status_is 401
initiate "$wm" "$sha" 1
check "initiate on the completed manifest answers done" json_is .type done
check "... with no token" test -z "$RT"

# --- A push mid-run aborts the run. ---
fakegh_runner off >/dev/null
fakegh_pr_files "$login" infra 42 network/main.tf >/dev/null
pr=42; sha=$(openssl rand -hex 20)
pr_event $pr opened "$sha"; wm=$WM
initiate "$wm" "$sha" 77
check "the runner starts the run (initiate 200 with a token)" test -n "$RT"
check "... and the manifest is running" state_is "$wm" running
cr=$(check_run_of "$wm")
check "... its check run in progress" eventually 10 check_run_is "$cr" in_progress
rt=$RT
initiate "$wm" "$sha" 78
check "a second run's initiate of a running manifest gets done, no token" \
    sh -c "[ -z '$RT' ] && jq -e '.type == \"done\"' '$T/body' >/dev/null"
initiate "$wm" "$sha" 77
check "the same run's retried initiate gets the manifest again" test -n "$RT"
rt=$RT
sha2=$(openssl rand -hex 20)
check "a push (synchronize) is processed" pr_event $pr synchronize "$sha2"
check "the running manifest is aborted" state_is "$wm" aborted
token_call "$wm" "$rt"
check "its token is refused (401)" status_is 401
http PUT "$B/$wm" -H "Authorization: bearer $rt" -H 'Content-Type: application/json' \
    --data-binary '{"steps":[]}'
check "its results are refused (401)" status_is 401
check "its check run is cancelled" eventually 10 check_run_is "$cr" completed cancelled
check "the new head has its own plan manifest, dispatched" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE id = '$WM' AND sha = '$sha2' AND state = 'queued' AND dispatched_at IS NOT NULL")" = 1
wm2=$WM

# --- The runner's sha is not the manifest's. ---
initiate "$wm2" "$sha" 79
check "initiate with another sha answers done" json_is .type done
check "... with no token" test -z "$RT"
check "... and ends the manifest" state_is "$wm2" aborted

# --- A failed workflow run fails its manifest. ---
pr_event $pr synchronize "$(openssl rand -hex 20)"; wm=$WM
initiate "$wm" "$(q "SELECT sha FROM work_manifests WHERE id = '$wm'")" 9123456
check "a run starts" state_is "$wm" running
cr=$(check_run_of "$wm")
jq -n --argjson inst "$inst" --argjson repo "$repo" --arg o "$login" --arg nonce "$nonce" \
    '{action: "completed", installation: {id: $inst},
      repository: {id: $repo, name: "infra", owner: {login: $o}},
      workflow_job: {id: 1, run_id: 9123456, status: "completed",
        conclusion: "failure", name: "Terrateam Action"}, nonce: $nonce}' >"$T/job.json"
D=$(uuid); hook workflow_job "$D" "$T/job.json"
check "a workflow_job failure delivery is processed" wait_state "$D" done
check "... and fails the run's manifest" state_is "$wm" completed
check "... its dirspaces failed" \
    test "$(q "SELECT bool_and(NOT success) FROM work_manifest_dirspaces WHERE work_manifest_id = '$wm'")" = t
check "... its check run failed" eventually 10 check_run_is "$cr" completed failure
check "... and the pull request told" eventually 10 sh -c "curl -sSf '$FAKEGH_URL/_fake/state' | jq -e '.comments[-1].body | test(\"failed.*workflow run failed\")' >/dev/null"

# --- A failed plan: no apply. ---
fakegh_runner on --plan-text "$plan_text" --fail 'network:*:plan' --backoff-initial 0.2 >/dev/null
fakegh_pr_files "$login" infra 43 network/main.tf >/dev/null
pr=43; sha=$(openssl rand -hex 20)
nruns=$(fakegh_runs | jq length)
pr_event $pr opened "$sha"; wm=$WM
check "a plan that fails runs to the end" fakegh_wait_runs $((nruns + 1)) 60
check "... its runner exited 0 (the runner does when steps fail)" \
    test "$(run_of "$wm" | jq -r .exit_status)" = 0
check "... the manifest completed with the dirspace failed" eventually 10 sh -c \
    "test \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT success FROM work_manifest_dirspaces WHERE work_manifest_id = '$wm'\")\" = f"
cr=$(check_run_of "$wm")
check "... its check run failed" eventually 10 check_run_is "$cr" completed failure
stacks $pr
check "... the stacks route says plan_failed" \
    jq -e '[.. | objects | select(has("dirspaces")) | .dirspaces[]?.state] | length >= 1 and all(. == "plan_failed")' "$T/body"
comment $pr alice "terrateam apply"
check "'terrateam apply' after a failed plan is refused" \
    sh -c "[ \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = 43 AND run_type = 'apply'\")\" = 0 ]"

# --- Two applies at once. ---
fakegh_runner on --plan-text "$plan_text" --backoff-initial 0.2 >/dev/null
fakegh_pr_files "$login" infra 44 apps/api/main.tf >/dev/null
pr=44; sha=$(openssl rand -hex 20)
nruns=$(fakegh_runs | jq length)
pr_event $pr opened "$sha"; wm=$WM
check "another plan runs" fakegh_wait_runs $((nruns + 1)) 60
check "... and completes" eventually 10 state_is "$wm" completed
fakegh_runner off >/dev/null
comment $pr alice "terrateam apply"
check "a first apply is queued (its run not started)" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = 44 AND run_type = 'apply' AND state = 'queued'")" = 1
comment $pr alice "terrateam apply"
check "a second apply of the same dirspace meanwhile is refused" \
    test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = 44 AND run_type = 'apply'")" = 1
check "... saying one is already queued or running" outcome_has "$D" 'is being applied'

# --- A run that never reports ends after TT_RUN_TIMEOUT. ---
awm=$(q "SELECT id FROM work_manifests WHERE installation_id = $inst AND pull_number = 44 AND run_type = 'apply'")
acr=$(check_run_of "$awm")
q "UPDATE work_manifests SET created_at = now() - interval '25 hours' WHERE id = '$awm'" >/dev/null
check "ttctl events drain ends it" sh -c "'$ttctl' events drain >/dev/null"
check "... as failed, no results within TT_RUN_TIMEOUT" \
    test "$(q "SELECT state || ': ' || end_reason FROM work_manifests WHERE id = '$awm'")" = "completed: no results within TT_RUN_TIMEOUT"
check "... its check run failed" eventually 10 check_run_is "$acr" completed failure

# --- A repository without the workflow. ---
fakegh_workflows "$login" infra '[]' >/dev/null
fakegh_pr_files "$login" infra 45 network/main.tf >/dev/null
pr=45; sha=$(openssl rand -hex 20)
pr_event $pr opened "$sha"; wm=$WM
check "without the workflow, the plan manifest ends at once" state_is "$wm" completed
check "... saying why" test "$(q "SELECT end_reason LIKE '%.github/workflows/terrateam.yml%' FROM work_manifests WHERE id = '$wm'")" = t
cr=$(check_run_of "$wm")
check "... its check run failed" eventually 10 check_run_is "$cr" completed failure
check "... the pull request's comment says it will not run" \
    sh -c "curl -sSf '$FAKEGH_URL/_fake/state' | jq -e '[.comments[].body | select(contains(\"It will not run\") and contains(\"terrateam.yml\"))] | length >= 1' >/dev/null"
fakegh_workflows "$login" infra null >/dev/null

# --- A closed pull request's queued run ends. ---
fakegh_runner off >/dev/null
fakegh_pr_files "$login" infra 46 network/main.tf >/dev/null
pr=46; sha=$(openssl rand -hex 20)
pr_event $pr opened "$sha"; wm=$WM
pr_json $pr closed "$sha" closed >"$T/close.json"
D=$(uuid); hook pull_request "$D" "$T/close.json"; wait_state "$D" done >/dev/null
check "closing the pull request aborts its queued plan" state_is "$wm" aborted
initiate "$wm" "$sha" 5
check "... whose initiate then answers done" json_is .type done

check "no runner broke the protocol (exit 3) or crashed" \
    test "$(fakegh_runs | jq '[.[] | select(.exit_status != 0 and .exit_status != null)] | length')" = 0
