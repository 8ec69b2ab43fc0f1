#!/bin/bash
# oidc-github-actions.sh: the "list" step of docs/examples/
# github-actions-oidc.yml, extracted from the YAML (so the document and
# this test cannot drift), run as GitHub's runner runs it (bash -eo
# pipefail) against the stand-in issuer, which also plays GitHub's
# ACTIONS_ID_TOKEN_REQUEST_URL endpoint. No API key exists anywhere.
# passes: lighttpd apache asan
# needs: oidc
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakeoidc.sh"

wf=$TOP/docs/examples/github-actions-oidc.yml
run=$$x$RANDOM
ISS=$(oidc_issuer "actions-$run")
user=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
"$TOP/bin/ttctl" manifests seed --installation "$inst" --count 3 >/dev/null

python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["permissions"]["id-token"] == "write"
job = d["jobs"]["list"]
step = [s for s in job["steps"] if s.get("id") == "list"][0]
open(sys.argv[2], "w").write(step["run"])
open(sys.argv[3], "w").write(job["env"]["TERRATEAM_AUDIENCE"])' \
    "$wf" "$T/step.sh" "$T/audience"
check "the workflow asks for id-token: write and has the list step" test -s "$T/step.sh"
aud=$(cat "$T/audience")

pol=$("$TOP/bin/ttctl" oidc trust add --name "actions $run" --issuer "$ISS" \
    --audience "$aud" --subject 'repo:mycompany/infra:ref:refs/heads/main' \
    --claim repository_owner=mycompany --user "$user" \
    --cap "installation:$inst")
request_token=$(openssl rand -hex 20)
remember "$request_token"
oidc_post /_fake/actions "{\"issuer\":\"actions-$run\",\"request_token\":\"$request_token\",
    \"claims\":{\"sub\":\"repo:mycompany/infra:ref:refs/heads/main\"}}" >/dev/null

# step ENV...: the step with the runner's variables; output in $T/out.
step() {
	env -i PATH="$PATH" HOME="$T" "$@" \
	    ACTIONS_ID_TOKEN_REQUEST_URL="$FAKEOIDC_URL/actions-$run/actions-token?api-version=2.0" \
	    TERRATEAM_URL="$BASE" TERRATEAM_INSTALLATION_ID="$inst" \
	    TERRATEAM_AUDIENCE="$aud" \
	    bash --noprofile --norc -eo pipefail "$T/step.sh" >"$T/out" 2>"$T/err"
}
# The runner masks what follows ::add-mask::; the tokens join the secrets.
remember_masked() {
	sed -n 's/^::add-mask:://p' "$T/out" >>"${TT_ISSUED_SECRETS:-/dev/null}"
}

step ACTIONS_ID_TOKEN_REQUEST_TOKEN="$request_token"
rc=$?
remember_masked
check "the workflow's step runs to the end" bash -c "[ $rc = 0 ] || { cat '$T/err'; false; }"
check "it lists the installation's three work manifests" \
    test "$(grep -cE '^[0-9a-f-]{36}  [a-z-]+  [a-z]+  ' "$T/out")" = 3
check "it fetched one ID token from the request URL" \
    test "$(oidc_stats "actions-$run" | jq .actions)" = 1

# A workflow of another branch is refused, and the step fails loudly.
oidc_post /_fake/actions "{\"issuer\":\"actions-$run\",\"request_token\":\"$request_token\",
    \"claims\":{\"sub\":\"repo:mycompany/infra:ref:refs/heads/feature\"}}" >/dev/null
step ACTIONS_ID_TOKEN_REQUEST_TOKEN="$request_token"
rc=$?
remember_masked
check "a branch the policy does not name fails the step" bash -c "[ $rc != 0 ]"
check "with the refusal's reason" grep -q 'subject not accepted' "$T/err"
"$TOP/bin/ttctl" oidc trust remove "$pol" >/dev/null
