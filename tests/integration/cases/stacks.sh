#!/bin/bash
# stacks.sh: stacks (API.md section 4) end to end: .terrateam/config.yml
# read at the head sha through the stand-in GitHub when a pull request
# arrives, the stacks route with states driven by `ttctl manifests
# complete`, access rules, and configuration errors reported, not crashed.
# passes: lighttpd apache asan cgi cgi-asan valgrind
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakegithub.sh"
. "$TOP/tests/harness/hooks.sh"

fakegh_reset >/dev/null
nonce=$(uuid)
new_installation; inst=$INST
login=org-$inst
repo=$((inst % 1000000000 + 5000)); other_repo=$((repo + 1))
m=$(new_user); add_member "$inst" "$m"; new_token "$m" "installation:$inst"
A="Authorization: Bearer $TOKEN"
zero=$(printf '%040d' 0)

# pr_json PR ACTION SHA [REPO_NAME]
pr_json() {
	cat <<JSON
{"action":"$2","number":$1,"installation":{"id":$inst},
 "repository":{"id":$repo,"name":"${4:-infra}","owner":{"login":"$login"}},
 "pull_request":{"number":$1,"title":"Stacks $1","user":{"login":"dev"},
  "head":{"sha":"$3","ref":"feature-$1"},"base":{"sha":"$zero","ref":"main"}},
 "nonce":"$nonce"}
JSON
}
# open_pr PR SHA: posts pull_request.opened and waits for it; sets D.
open_pr() {
	pr_json "$1" opened "$2" >"$T/pr-$1.json"
	D=$(uuid); hook pull_request "$D" "$T/pr-$1.json"
	wait_state "$D" done
}
stacks() { http GET "/api/v1/github/installations/$inst/repos/$repo/prs/$1/stacks" -H "$A"; }
wm_of() { q "SELECT work_manifest_id FROM webhook_deliveries WHERE delivery_id = '$1'"; }
# state_at JQ: a state out of the last stacks answer.
state_at() { json_is "$1" "$2"; }

# --- A configuration with a top-level stack, nested ones and ordering. ---
cat >"$T/config.yml" <<'YAML'
# Terrateam configuration, as a repository holds it.
dirs:
  base:
    tags: [base]
  "apps/*/dev":
    tags: [dev]
  "apps/*/prod":
    tags: [prod]
stacks:
  names:
    apps:
      stacks: [dev-apps, prod-apps]
    prod-apps:
      tag_query: prod
      rules:
        apply_after: [dev-apps]
    dev-apps:
      tag_query: "dev and not dir:apps/legacy/dev"
      rules:
        plan_after: [base]
    base:
      tag_query: base
    empty:
      tag_query: "tag:nothing-has-this"
YAML
pr=11; sha=$(openssl rand -hex 20)
fakegh_content "$login" infra .terrateam/config.yml "$sha" "$(cat "$T/config.yml")" >/dev/null
fakegh_pr_files "$login" infra $pr base/main.tf apps/web/dev/main.tf \
    apps/web/prod/main.tf apps/legacy/dev/x.tf misc/a.tf README.md >/dev/null
check "the pull request is processed with its config.yml" open_pr $pr "$sha"
check "config.yml was read at the head sha" \
    test "$(fakegh_requests "/repos/$login/infra/contents/.terrateam/config.yml" GET | jq -r '.[-1].path')" = "/repos/$login/infra/contents/.terrateam/config.yml?ref=$sha"
wm=$(wm_of "$D")
check "a work manifest holds the five dirspaces" \
    test "$(q "SELECT count(*) FROM work_manifest_dirspaces WHERE work_manifest_id = '$wm'")" = 5

stacks $pr
check "the stacks route answers 200" status_is 200
check "top-level stacks in order: base, apps, empty, default" \
    json_is '[.stacks[].name] | join(",")' base,apps,empty,default
check "apps holds its nested stacks, dev before prod" \
    json_is '[.stacks[1].stacks[].name] | join(",")' dev-apps,prod-apps
check "a nested stack's path runs from the top" \
    json_is '.stacks[1].stacks[1].paths | tostring' '[["apps","prod-apps"]]'
check "a top-level stack's path is its name" \
    json_is '.stacks[0].stacks[0].paths | tostring' '[["base"]]'
check "dirspaces are selected by tags from dirs (glob and exact)" \
    json_is '[.stacks[1].stacks[0].dirspaces[].dirspace.dir] | join(",")' apps/web/dev
check "not dir: keeps a dirspace out; it goes to default" \
    json_is '[.stacks[3].stacks[0].dirspaces[].dirspace.dir] | join(",")' apps/legacy/dev,misc
check "nothing has run yet: every dirspace is plan_pending" \
    json_is '[.stacks[].stacks[].dirspaces[].state] | unique | join(",")' plan_pending
check "a stack without dirspaces is no_changes" \
    json_is '.stacks[2].state + "/" + .stacks[2].stacks[0].state' no_changes/no_changes
check "the answer has exactly the documented fields" \
    json_is '[(.stacks[1] | keys), (.stacks[1].stacks[0] | keys), (.stacks[1].stacks[0].dirspaces[0] | keys)] | tostring' \
    '[["name","stacks","state"],["dirspaces","name","paths","state"],["dirspace","state"]]'
check "the check run lists the stacks in order" \
    test "$(fakegh_requests "/repos/$login/infra/check-runs" POST | jq -r '.[-1].body | fromjson | .output.summary | contains("Stacks, in order: `base`, `dev-apps`, `prod-apps`, `default`")')" = true
etag=$(header ETag)

# --- States as a runner reports results. ---
complete() { "$ttctl" manifests complete "$@" >/dev/null 2>"$T/complete.err" || echo "# ttctl manifests complete: $(cat "$T/complete.err")"; }
complete "$wm" --dirspace base:default=success --has-changes
complete "$wm" --dirspace apps/web/dev:default=success --has-changes
complete "$wm" --dirspace apps/web/prod:default=failure
stacks $pr
check "base planned with changes and nothing before it: apply_ready" state_at .stacks[0].state apply_ready
check "a dirspace planned with changes is apply_pending" state_at .stacks[0].stacks[0].dirspaces[0].state apply_pending
check "dev-apps planned with changes waits for base: apply_pending" state_at .stacks[1].stacks[0].state apply_pending
check "a failed plan is plan_failed" state_at .stacks[1].stacks[1].state plan_failed
check "the outer stack takes its worst: plan_failed" state_at .stacks[1].state plan_failed
check "default still has unplanned dirspaces: plan_pending" state_at .stacks[3].state plan_pending
check "the ETag changed with the states" test "$(header ETag)" != "$etag"
http GET "/api/v1/github/installations/$inst/repos/$repo/prs/$pr/stacks" -H "$A" -H "If-None-Match: $(header ETag)"
check "If-None-Match with the current ETag is a 304" status_is 304

# An apply (as a runner would record it) of base and dev.
apply_wm() { # DIR SUCCESS: a completed apply of one dirspace at the head sha
	_id=$(uuid)
	q "INSERT INTO work_manifests (installation_id, id, repo_id, pull_number, run_type, state, kind, base_sha, sha, base_branch, branch, tag_query, completed_at) VALUES ($inst, '$_id', $repo, $pr, 'apply', 'completed', 'pr', '$zero', '$sha', 'main', 'feature-$pr', '', now());
	   INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id, dir, workspace, success, has_changes) VALUES ($inst, '$_id', '$1', 'default', $2, true)" >/dev/null
}
apply_wm base true
stacks $pr
check "an applied dirspace is apply_success" state_at .stacks[0].stacks[0].dirspaces[0].state apply_success
check "with base applied, dev-apps is apply_ready" state_at .stacks[1].stacks[0].state apply_ready
apply_wm apps/web/dev false
stacks $pr
check "a failed apply is apply_failed" state_at .stacks[1].stacks[0].state apply_failed
check "... which the outer stack shows when worse than the rest" state_at '.stacks[1].stacks | map(.state) | join(",")' apply_failed,plan_failed
apply_wm apps/web/dev true
stacks $pr
check "the latest result wins: apply_success after a retry" state_at .stacks[1].stacks[0].state apply_success

# A new commit: results of the old head no longer count.
sha2=$(openssl rand -hex 20)
fakegh_content "$login" infra .terrateam/config.yml "$sha2" "$(cat "$T/config.yml")" >/dev/null
pr_json $pr synchronize "$sha2" >"$T/sync.json"
d2=$(uuid); hook pull_request "$d2" "$T/sync.json"
check "a synchronize is processed" wait_state "$d2" done
stacks $pr
check "after a new commit every dirspace is plan_pending again" \
    json_is '[.stacks[].stacks[].dirspaces[].state] | unique | join(",")' plan_pending

# --- Access. ---
http GET "/api/v1/github/installations/$inst/repos/$repo/prs/999/stacks" -H "$A"
check "a pull request with nothing stored is a 404" error_is 404 NOT_FOUND
new_installation; inst2=$INST
q "INSERT INTO repositories (installation_id, id, owner, name) VALUES ($inst2, $other_repo, 'x', 'y')" >/dev/null
http GET "/api/v1/github/installations/$inst/repos/$other_repo/prs/$pr/stacks" -H "$A"
check "another installation's repository is a 404" error_is 404 NOT_FOUND
http GET "/api/v1/github/installations/$inst2/repos/$repo/prs/$pr/stacks" -H "$A"
check "another installation is a 403" status_is 403
http GET "/api/v1/github/installations/$inst/repos/$repo/prs/$pr/stacks"
check "no token is a 401" status_is 401
n=$(new_user); new_token "$n" "installation:$inst"
http GET "/api/v1/github/installations/$inst/repos/$repo/prs/$pr/stacks" -H "Authorization: Bearer $TOKEN"
check "a token with the capability but no membership is a 403" status_is 403
http GET "/api/v1/github/installations/$inst/repos/x/prs/$pr/stacks" -H "$A"
check "a repository id that is no number is a 404" status_is 404
http POST "/api/v1/github/installations/$inst/repos/$repo/prs/$pr/stacks" -H "$A" -H 'Content-Length: 0'
check "POST is a 405" status_is 405

# --- No config.yml: everything in default. ---
pr=12; sha=$(openssl rand -hex 20)
fakegh_pr_files "$login" infra $pr a/main.tf b/main.tf >/dev/null
check "a pull request without config.yml is processed" open_pr $pr "$sha"
stacks $pr
check "without config.yml every dirspace is in default" \
    json_is '[.stacks[].name] + [.stacks[0].stacks[0].dirspaces[].dirspace.dir] | join(",")' default,a,b

# --- Configuration errors: reported, stored, never a crash. ---
cfg_error() { # PR CONFIG WHAT: the error is reported and served as 409
	_pr=$1; _sha=$(openssl rand -hex 20)
	fakegh_content "$login" infra .terrateam/config.yml "$_sha" "$2" >/dev/null
	fakegh_pr_files "$login" infra "$_pr" x/main.tf >/dev/null
	check "$3: the delivery is done, not failed" open_pr "$_pr" "$_sha"
	check "$3: no work manifest" test "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $_pr")" = 0
	stacks "$_pr"
	check "$3: the stacks route answers 409 CONFIG_ERROR" error_is 409 CONFIG_ERROR
	check "$3: ... saying what is wrong" body_matches "$4"
	check "$3: a comment on the pull request says so" \
	    test "$(fakegh_requests "/repos/$login/infra/issues/$_pr/comments" POST | jq -r ".[0].body | fromjson | .body | contains(\"invalid\")")" = true
	check "$3: the check run failed" \
	    test "$(fakegh_requests "/repos/$login/infra/check-runs" POST | jq -r "[.[] | .body | fromjson | select(.head_sha == \"$_sha\")][0].conclusion")" = failure
}
cfg_error 21 $'stacks:\n  names:\n    a: {tag_query: "x"\n' "invalid YAML" 'line [0-9]+'
cfg_error 22 $'stacks:\n  names:\n    a:\n      tag_query: a\n      rules: {plan_after: [b]}\n    b:\n      tag_query: b\n      rules: {apply_after: [a]}\n' "an ordering cycle" 'cycle'
cfg_error 23 $'stacks:\n  names:\n    a: {tag_query: "dir:x"}\n    b: {tag_query: "dir:x or dir:y"}\n' "overlapping selectors" 'selected by both'
cfg_error 24 $'a: &x [1]\nb: *x\n' "a YAML anchor and alias" 'anchor|alias'
head -c 600000 /dev/zero | tr '\0' '#' >"$T/big.yml"
cfg_error 25 "@$T/big.yml" "a 600 KB config.yml" 'larger than'
# A fixed config on the next commit replaces the error.
sha=$(openssl rand -hex 20)
fakegh_content "$login" infra .terrateam/config.yml "$sha" $'stacks:\n  names:\n    a: {tag_query: "dir:x"}\n' >/dev/null
pr_json 21 synchronize "$sha" >"$T/fix.json"
d=$(uuid); hook pull_request "$d" "$T/fix.json"
check "a fixed config.yml on the next commit is processed" wait_state "$d" done
stacks 21
check "... and the stacks route answers 200 again" json_is '[.stacks[].name] | join(",")' a
