#!/bin/bash
# runner-attacker.sh: the runner's routes (RUNNER.md R1-R6) from the
# side of a caller who must not see a work manifest. Manifests are made as
# production makes them: signed pull_request and issue_comment webhooks
# queue plan and apply manifests of two installations, which the stand-in
# GitHub records as workflow dispatches (the runner is off: this case
# calls initiate itself, as the runner would). Asserted: a token answers
# only on its own manifest's routes while it is queued or running, and
# everywhere else exactly (status, headers, body) as a made-up token of
# the right shape, whatever the path's manifest is (queued, running,
# completed, aborted, of another installation, none); initiate hands out
# a token only for a queued manifest at its sha or its own run's retry;
# the GitHub token of R2 is of the manifest's installation, scoped to its
# one repository and three permissions; after the results the token is
# refused but for the identical resent results, after an abort
# everywhere; an apply fetches only the plan of its own pull request,
# repository and installation (even when another has the same pull
# request number, repository id, head sha and dirspace, and completed
# later); hostile bodies and queries are JSON 4xx, never a 5xx, and name
# nothing of another manifest; no runner token reaches a log.
# passes: lighttpd apache asan
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakegithub.sh"
. "$TOP/tests/harness/hooks.sh"

fakegh_reset >/dev/null
fakegh_runner off >/dev/null
nonce=$(uuid)
zero=$(printf '%040d' 0)
WMP=/api/github/v1/work-manifests
J='Content-Type: application/json'
: >"$T/tokens"		# every runner token this case was given
: >"$T/secrets"		# strings of the victims an attacker must never read
: >"$T/attacker"	# every answer an attacker got, for the leak check
: >"$T/r2"		# every GitHub token R2 answered, and the manifest

# --- Two installations; each has a repository "infra" with the same id
# (a reinstalled App gets a new installation id for the same
# repository), the first also a repository "other". ---
new_installation; i1=$INST
new_installation; i2=$INST
o1=atk1-$i1 o2=atk2-$i2
rid=$((i1 % 1000000000 + 7000)); rid_other=$((rid + 1))
CONFIG=$'dirs:\n  app:\n    tags: [app]\n'
for r in "$o1 infra" "$o1 other" "$o2 infra"; do
	# shellcheck disable=SC2086 # owner and repository, two words
	fakegh_content $r .terrateam/config.yml "" "$CONFIG" >/dev/null
done

# pr_json INST OWNER REPO_ID REPO PR ACTION SHA
pr_json() {
	cat <<JSON
{"action":"$6","number":$5,"installation":{"id":$1},
 "repository":{"id":$3,"name":"$4","owner":{"login":"$2"}},
 "pull_request":{"number":$5,"title":"Runner attack $5","user":{"login":"dev"},
  "head":{"sha":"$7","ref":"feature-$5"},"base":{"sha":"$zero","ref":"main"}},
 "nonce":"$nonce"}
JSON
}
# pr_hook INST OWNER REPO_ID REPO PR ACTION SHA: posts it and waits for
# its processing; sets WM to the manifest it queued (empty: none).
pr_hook() {
	pr_json "$@" >"$T/pr.json"
	_ph=$(uuid); hook pull_request "$_ph" "$T/pr.json"
	wait_state "$_ph" done || { WM=; return 1; }
	WM=$(q "SELECT work_manifest_id FROM webhook_deliveries WHERE delivery_id = '$_ph'")
	[ -n "$WM" ]
}
# comment INST OWNER REPO_ID REPO PR USER BODY: an issue_comment created on
# the pull request; sets WM to the manifest it queued (empty: none).
comment() {
	cat >"$T/comment.json" <<JSON
{"action":"created","installation":{"id":$1},
 "repository":{"id":$3,"name":"$4","owner":{"login":"$2"}},
 "issue":{"number":$5,"title":"Runner attack $5","pull_request":{"url":"x"}},
 "comment":{"id":$RANDOM,"body":"$7","user":{"login":"$6"}},
 "sender":{"login":"$6"},"nonce":"$nonce"}
JSON
	_cm=$(uuid); hook issue_comment "$_cm" "$T/comment.json"
	wait_state "$_cm" done || { WM=; return 1; }
	WM=$(q "SELECT work_manifest_id FROM webhook_deliveries WHERE delivery_id = '$_cm'")
	[ -n "$WM" ]
}
# dispatched OWNER REPO ID: the stand-in GitHub recorded a dispatch of the
# workflow with the manifest id as its work-token input.
dispatched() {
	fakegh_dispatches "$1" "$2" | jq -e --arg id "$3" \
	    'any(.[]; .inputs["work-token"] == $id)' >/dev/null
}
state() { q "SELECT state FROM work_manifests WHERE id = '$1'"; }

# initiate ID RUN_ID SHA: R1; sets TOK to the answered token (else empty).
initiate() {
	http POST "$WMP/$1/initiate" -H "$J" \
	    --data-binary "{\"run_id\":\"$2\",\"sha\":\"$3\"}"
	TOK=$(jq -r '.token // empty' <"$T/body" 2>/dev/null)
	if [ -n "$TOK" ]; then
		remember "$TOK"
		printf '%s\n' "$TOK" >>"$T/tokens"
	fi
	return 0
}
is_done() { json_is 'tostring' '{"type":"done"}' && status_is 200; }
no_token() {
	! grep -q 'tt_run_' "$T/body" && return 0
	echo "# a token was answered: $(head -c 200 "$T/body")"
	return 1
}
# r2 ID TOKEN, r3 ID TOKEN BODY, r4 ID TOKEN QUERY, r5 ID TOKEN BODY
# (r2 keeps each GitHub token it is answered, with the manifest's id.)
r2() {
	http POST "$WMP/$1/access-token" -H "Authorization: Bearer $2" -H 'Content-Length: 0'
	[ "$STATUS" = 200 ] && printf '%s %s\n' "$(jq -r .access_token <"$T/body")" "$1" >>"$T/r2"
	return 0
}
r3() { http POST "$WMP/$1/plans" -H "Authorization: Bearer $2" -H "$J" --data-binary "$3"; }
r4() { http GET "$WMP/$1/plans?$3" -H "Authorization: Bearer $2"; }
r5() { http PUT "$WMP/$1" -H "Authorization: Bearer $2" -H "$J" --data-binary "$3"; }
# route NAME ID TOKEN: one of the four with a body that would be right.
route() {
	case $1 in
	R2) r2 "$2" "$3" ;;
	R3) r3 "$2" "$3" "$(plan_body app default "$PLAN_ATTACK")" ;;
	R4) r4 "$2" "$3" 'path=app&workspace=default' ;;
	R5) r5 "$2" "$3" "$(results app default true)" ;;
	esac
}
# answer: the last answer as a caller sees it (status, headers but those
# of the connection and the request, body).
answer() {
	printf '%s\n' "$STATUS"
	tr -d '\r' <"$T/hdrs" | grep -viE '^(date|server|x-request-id|connection|keep-alive):' | sort
	cat "$T/body"
}
# same_as_ref ROUTE: the last answer is the made-up token's on that route.
same_as_ref() {
	answer | cmp -s - "$T/ref-$1" && return 0
	echo "# not the made-up token's answer: $STATUS $(head -c 200 "$T/body")"
	return 1
}
# same_as TEXT: the last answer is TEXT (an earlier answer).
same_as() {
	[ "$(answer)" = "$1" ] && return 0
	echo "# a different answer: $STATUS $(head -c 200 "$T/body")"
	return 1
}
# attacker_saw: keeps the last answer for the leak check at the end.
attacker_saw() { { cat "$T/hdrs" "$T/body"; echo; } >>"$T/attacker"; }

# plan_body DIR WS MARKER: R3's body, plan_data as the runner makes it.
plan_body() {
	_pd=$(printf '{"data": "%s", "method": "terrateam", "version": 1}' \
	    "$(printf 'plan file %s' "$3" | base64 -w0)" | base64 -w0)
	printf '{"path":"%s","workspace":"%s","plan_data":"%s","has_changes":true}' "$1" "$2" "$_pd"
}
plan_data_of() { plan_body "$@" | jq -r .plan_data; }
# results DIR WS HAS_CHANGES [DIR2]: a successful result version 2.
results() {
	_st=$(printf '{"step":"tf/plan","success":true,"ignore_errors":false,"scope":{"type":"dirspace","dir":"%s","workspace":"%s"},"payload":{"plan":"+ x","has_changes":%s,"text":"+ x"}}' "$1" "$2" "$3")
	[ -n "${4:-}" ] && _st="$_st,$(printf '{"step":"tf/plan","success":true,"ignore_errors":false,"scope":{"type":"dirspace","dir":"%s","workspace":"default"},"payload":{"plan":"","has_changes":false,"text":""}}' "$4")"
	printf '{"steps":[{"step":"auth/update-terrateam-github-token","success":true,"ignore_errors":false,"scope":{"type":"run","flow":"hooks","subflow":"pre"},"payload":{}},%s]}' "$_st"
}
PLAN_ATTACK=attacker-$nonce
rand_token() { printf 'tt_run_%s' "$(openssl rand -hex 32)"; }

# --- The manifests, made by webhooks. Every plan manifest has the
# dirspaces app and a secret directory of its own. ---
s1=$(openssl rand -hex 20)	# the head of PR 1 everywhere, and of PR 6
mk_plan() { # NAME INST OWNER REPO_ID REPO PR SHA
	fakegh_pr_files "$3" "$5" "$6" app/main.tf "sec-$1-$nonce/main.tf" README.md >/dev/null
	echo "sec-$1-$nonce" >>"$T/secrets"
	check "setup: pull request $6 of $3/$5 queues plan manifest $1" \
	    pr_hook "$2" "$3" "$4" "$5" "$6" opened "$7"
	printf '%s\n' "$WM" >>"$T/secrets"
}
mk_plan A "$i1" "$o1" "$rid" infra 1 "$s1"; wm_A=$WM
check "setup: the workflow was dispatched with manifest A's id as work-token" \
    dispatched "$o1" infra "$wm_A"
sB=$(openssl rand -hex 20); mk_plan B "$i1" "$o1" "$rid" infra 2 "$sB"; wm_B=$WM
sC=$(openssl rand -hex 20); mk_plan C "$i1" "$o1" "$rid" infra 3 "$sC"; wm_C=$WM
sD=$(openssl rand -hex 20); mk_plan D "$i1" "$o1" "$rid" infra 4 "$sD"; wm_D=$WM
sE=$(openssl rand -hex 20); mk_plan E "$i1" "$o1" "$rid" infra 5 "$sE"; wm_E=$WM
mk_plan F "$i2" "$o2" "$rid" infra 1 "$s1"; wm_F=$WM	# installation 2: PR 1, same repo id and sha
sQ=$(openssl rand -hex 20); mk_plan Q "$i2" "$o2" "$rid" infra 2 "$sQ"; wm_Q=$WM
mk_plan G "$i1" "$o1" "$rid_other" other 1 "$s1"; wm_G=$WM	# installation 1's other repository: PR 1
mk_plan H "$i1" "$o1" "$rid" infra 6 "$s1"; wm_H=$WM	# PR 6 of infra, at PR 1's head sha
check "setup: installation 2's dispatch went to its own repository" \
    dispatched "$o2" infra "$wm_F"
check "setup: every manifest is queued" \
    test "$(q "SELECT string_agg(DISTINCT state, ',') FROM work_manifests WHERE id IN ('$wm_A','$wm_B','$wm_C','$wm_D','$wm_E','$wm_F','$wm_Q','$wm_G','$wm_H')")" = queued

# A, C, D, E, F, G and H start running (B and Q are for below).
initiate "$wm_A" 9100000101 "$s1"; tA=$TOK
check "R1: a queued manifest at its sha answers the manifest with a token" \
    json_is '.type + " " + (.token | test("^tt_run_[0-9a-f]{64}$") | tostring)' 'plan true'
check "R1: ... its own dirspaces and config only" \
    json_is '[([.changed_dirspaces[].path] | sort | join(",")), (.config.dirs | keys | join(","))] | join(" ")' "app,sec-A-$nonce app"
check "R1: ... and it is running" test "$(state "$wm_A")" = running
initiate "$wm_C" 9100000103 "$sC"; tC=$TOK
initiate "$wm_D" 9100000104 "$sD"; tD=$TOK
initiate "$wm_E" 9100000105 "$sE"; tE=$TOK
initiate "$wm_F" 9100000201 "$s1"; tF=$TOK
initiate "$wm_G" 9100000106 "$s1"; tG=$TOK
initiate "$wm_H" 9100000107 "$s1"; tH=$TOK
check "setup: seven manifests were started, each with its own token" \
    test "$(sort -u "$T/tokens" | grep -c .)" = 7

# --- Initiate (R1): no token but for a queued manifest at its sha, or
# its own run's retry. ---
initiate "$(uuid)" 9100000999 "$s1"
check "R1: an unknown manifest is a 404" fails_with 404 NOT_FOUND
check "R1: ... naming nothing" no_token
initiate "$wm_C" 9100000999 "$sC"
check "R1: a running manifest asked by another run is done" is_done
check "R1: ... without a token" no_token
check "R1: ... and is still running under its run" \
    test "$(q "SELECT state || ' ' || run_id FROM work_manifests WHERE id = '$wm_C'")" = "running 9100000103"
r2 "$wm_C" "$tC"
check "R1: ... its token still works (R2 is a 200)" status_is 200
initiate "$wm_C" 9100000103 "$sC"
check "R1: a running manifest asked again by its own run (a retry) gets a new token" \
    json_is '.token | test("^tt_run_[0-9a-f]{64}$")' true
tC_old=$tC; tC=$TOK
check "R1: ... a new one" test "$tC" != "$tC_old"
r2 "$wm_C" "$tC_old"
check "R1: ... and the old token is refused (one live token a manifest)" unauth_is
r2 "$wm_C" "$tC"
check "R1: ... the new one works" status_is 200
initiate "$wm_C" 9100000103 "$(openssl rand -hex 20)"
check "R1: its own run at another sha is done" is_done
check "R1: ... without a token" no_token
check "R1: ... and the manifest still runs" test "$(state "$wm_C")" = running
# The run id and manifest id are public in a public repository's Actions
# logs: past the runner's retry budget its own run gets no new token.
q "UPDATE work_manifests SET started_at = now() - interval '16 minutes' WHERE id = '$wm_C'" >/dev/null
initiate "$wm_C" 9100000103 "$sC"
check "R1: its own run past the runner's retry budget (15 min) is done" is_done
check "R1: ... without a token" no_token
r2 "$wm_C" "$tC"
check "R1: ... and the live token still works" status_is 200
q "UPDATE work_manifests SET started_at = now() WHERE id = '$wm_C'" >/dev/null
wrong=$(openssl rand -hex 20)
initiate "$wm_B" 9100000102 "$wrong"
check "R1: a queued manifest at another sha is done" is_done
check "R1: ... without a token" no_token
check "R1: ... and it has ended (aborted)" test "$(state "$wm_B")" = aborted
initiate "$wm_B" 9100000102 "$sB"
check "R1: ... even at its sha afterwards: done" is_done
check "R1: ... without a token" no_token
initiate "$wm_Q" 9100000202 "$sQ"; tQ=$TOK
check "R1: installation 2's queued manifest starts as any other" test -n "$tQ"
for bad in '{"run_id":"1","sha":"'"$(echo "$s1" | tr a-f A-F)"'"}' \
    '{"run_id":"","sha":"'"$s1"'"}' '{"run_id":"1 2","sha":"'"$s1"'"}' \
    '{"run_id":1,"sha":"'"$s1"'"}' '{"run_id":"1"}' '[]' '"x"'; do
	http POST "$WMP/$wm_A/initiate" -H "$J" --data-binary "$bad"
	check "R1: body ${bad:0:40}... is a 400" fails_with 400 INVALID_PARAM
done
http POST "$WMP/$wm_A/initiate" -H "$J" --data-binary '{"run_id":'
check "R1: broken JSON is a 400" fails_with 400 INVALID_JSON
check "R1: ... and A is still running" test "$(state "$wm_A")" = running

# --- The GitHub token of R2: the manifest's installation, its one
# repository, three permissions. ---
ghtok() { # prints the fake's record of the access token in the last answer
	fakegh_tokens | jq -c --arg t "$(jq -r .access_token <"$T/body")" \
	    '[.[] | select(.token == $t)][0]'
}
r2 "$wm_A" "$tA"
check "R2: A's token gets a GitHub token" json_is '.access_token | startswith("ghs_")' true
ghtok >"$T/gh1"
check "R2: ... of installation 1" jq -e --argjson i "$i1" '.installation_id == $i' "$T/gh1"
check "R2: ... scoped to the repository infra alone, by name" \
    jq -e '.repositories == ["infra"] and .repository_ids == null and .repository_selection == "selected"' "$T/gh1"
check "R2: ... with contents read, pull requests and issues write, nothing else" \
    jq -e '.requested_permissions == {"contents":"read","pull_requests":"write","issues":"write"}' "$T/gh1"
r2 "$wm_G" "$tG"
ghtok >"$T/gh3"
check "R2: the other repository's manifest gets a token for other alone" \
    jq -e --argjson i "$i1" '.installation_id == $i and .repositories == ["other"]' "$T/gh3"
r2 "$wm_F" "$tF"
ghtok >"$T/gh2"
check "R2: installation 2's manifest (same repository id and name) gets installation 2's" \
    jq -e --argjson i "$i2" '.installation_id == $i and .repositories == ["infra"]' "$T/gh2"
# Every scoped token this case made the server ask for (R2 is the only
# caller that scopes).
fakegh_tokens | jq --argjson a "$i1" --argjson b "$i2" \
    '[.[] | select(.repositories != null and (.installation_id == $a or .installation_id == $b))]' >"$T/scoped"
check "R2: each of its $(jq length "$T/scoped") scoped tokens names one repository and the three permissions" \
    jq -e 'length >= 3 and all(.repositories | length == 1) and all(.repository_ids == null) and
	all(.requested_permissions == {"contents":"read","pull_requests":"write","issues":"write"})' "$T/scoped"
check "R2: installation 2's scoped tokens are only those of its manifests (one so far)" \
    jq -e --argjson b "$i2" '[.[] | select(.installation_id == $b)] | length == 1' "$T/scoped"

# --- A token on a manifest that is not its own: the same answer as a
# made-up token of the right shape, whatever the manifest. ---
# D completes and E is aborted first, so that ended manifests are among
# the targets (and their tokens among the attackers').
r3 "$wm_D" "$tD" "$(plan_body app default "D-$nonce")"
check "setup: D stores a plan" status_is 200
r5 "$wm_D" "$tD" "$(results app default true "sec-D-$nonce")"
check "setup: D's results are a 200" status_is 200
check "setup: D has completed" test "$(state "$wm_D")" = completed
check "setup: a synchronize of PR 5 with a new head queues a new plan" \
    pr_hook "$i1" "$o1" "$rid" infra 5 synchronize "$(openssl rand -hex 20)"
wm_E2=$WM; printf '%s\n' "$wm_E2" >>"$T/secrets"
check "setup: ... and E, running at the old head, is aborted" test "$(state "$wm_E")" = aborted

# Targets: NAME=ID. Attackers: NAME=TOKEN, a token of another manifest
# (running, ended, aborted, another installation) or made up.
targets="B=$wm_B C=$wm_C D=$wm_D E=$wm_E F=$wm_F Q=$wm_Q G=$wm_G E2=$wm_E2"
for i in 1 2 3; do targets="$targets rand$i=$(uuid)"; done
targets="$targets upperC=$(echo "$wm_C" | tr a-f A-F) upperF=$(echo "$wm_F" | tr a-f A-F)"
attackers="A=$tA D=$tD E=$tE F=$tF Q=$tQ Cold=$tC_old"
attackers="$attackers Cupper=tt_run_$(echo "${tC#tt_run_}" | tr a-f A-F) Fupper=tt_run_$(echo "${tF#tt_run_}" | tr a-f A-F)"
for i in 1 2 3; do attackers="$attackers made$i=$(rand_token)"; done
# The reference: a made-up token on a manifest that does not exist.
for R in R2 R3 R4 R5; do
	route "$R" "$(uuid)" "$(rand_token)"
	answer >"$T/ref-$R"
	attacker_saw
done
route R2 "$(uuid)" "$(rand_token)"
check "reference: a made-up token is a 401 UNAUTHORIZED with a Bearer challenge" unauth_is
check "reference: the four routes answer alike" \
    eval 'cmp -s "$T/ref-R2" "$T/ref-R3" && cmp -s "$T/ref-R2" "$T/ref-R4" && cmp -s "$T/ref-R2" "$T/ref-R5"'
for R in R2 R3 R4 R5; do
	for tg in $targets; do
		tn=${tg%%=*} tid=${tg#*=} bad=0 n=0
		for at in $attackers; do
			an=${at%%=*} atok=${at#*=}
			# A token on its own manifest is no attack.
			[ "$tn" = "$an" ] || [ "$tn" = "upper$an" ] && continue
			route "$R" "$tid" "$atok"
			attacker_saw
			n=$((n + 1))
			if ! answer | cmp -s - "$T/ref-$R"; then
				bad=$((bad + 1))
				echo "# $R on $tn with $an's token: $STATUS $(head -c 200 "$T/body")"
			fi
		done
		check "$R on $tn: all $n other tokens answer as a made-up one (401, same headers and body)" \
		    test "$bad" = 0 -a "$n" -gt 0
	done
done
check "the attacks changed no manifest's state" \
    test "$(q "SELECT string_agg(state, ',' ORDER BY created_at) FROM work_manifests WHERE id IN ('$wm_B','$wm_C','$wm_D','$wm_E','$wm_F','$wm_Q','$wm_G','$wm_E2')")" = aborted,running,completed,aborted,running,running,running,queued
check "... and stored no plan" \
    test "$(q "SELECT count(*) FROM work_manifest_plans WHERE plan_data = '$(plan_data_of app default "$PLAN_ATTACK")'")" = 0

# Malformed ids match no route: the same 4xx with any token.
for id in not-a-uuid "${wm_C//-/}" "${wm_C}0" "${wm_C:1}" "$wm_C%00" "..%2f$wm_C" '%20'; do
	for R in R2 R3 R4 R5; do
		route "$R" "$id" "$(rand_token)"; answer >"$T/mref"
		bad=0
		case $STATUS in 400|404) ;; *) bad=1; echo "# $R on '$id': $STATUS" ;; esac
		for atok in "$tA" "$tF" "$tC"; do
			route "$R" "$id" "$atok"
			attacker_saw
			answer | cmp -s - "$T/mref" || { bad=1; echo "# $R on '$id': $STATUS $(head -c 200 "$T/body")"; }
		done
	done
	check "malformed id '$id': every route answers alike for any token (a 4xx)" test "$bad" = 0
done

# Tokens of the wrong shape: one answer, whatever the manifest (even the
# token's own).
for R in R2 R5; do
	route "$R" "$(uuid)" "${tC%?}"; answer >"$T/wref"
	bad=0
	for tid in "$wm_C" "$wm_D" "$wm_F" "$(uuid)"; do
		for atok in "${tC%?}" "${tC}0" "${tC#tt_run_}" "tt_RUN_${tC#tt_run_}" "$tA$tA"; do
			route "$R" "$tid" "$atok"
			attacker_saw
			answer | cmp -s - "$T/wref" || { bad=1; echo "# $R: $STATUS $(head -c 200 "$T/body")"; }
		done
	done
	check "$R: a token of the wrong shape gets one answer on every manifest, its own too" test "$bad" = 0
	check "$R: ... a 401" test "$(head -1 "$T/wref")" = 401
done
http POST "$WMP/$wm_C/access-token" -H 'Content-Length: 0'
check "R2 without Authorization is a 401" unauth_is
http POST "$WMP/$wm_C/access-token" -H 'Content-Length: 0' -H "Authorization: Basic $(printf 'x:%s' "$tC" | base64 -w0)"
check "R2 with the token in Basic is a 401" unauth_is
http POST "$WMP/$wm_C/access-token" -H 'Content-Length: 0' -H "Authorization: bearer $tC"
check "R2 with a lower-case bearer is a 200 (RUNNER.md: any case)" status_is 200

# --- After the results: only the identical results again. ---
res_D=$(results app default true "sec-D-$nonce")
for R in R2 R3 R4; do
	route "$R" "$wm_D" "$tD"
	check "$R: D's token after its results answers as a made-up token" same_as_ref "$R"
done
r5 "$wm_D" "$tD" "$(results app default false "sec-D-$nonce")"
check "R5: other results for ended D are a 401" unauth_is 'ended'
r5 "$wm_D" "$tD" "$res_D "
check "R5: the same results with one byte more are a 401" unauth_is
r5 "$wm_D" "$tD" "$res_D"
check "R5: the identical results resent are a 200" status_is 200
check "R5: ... changing nothing" \
    test "$(q "SELECT state || ' ' || (results = '$res_D'::jsonb) FROM work_manifests WHERE id = '$wm_D'")" = "completed true"
r5 "$wm_D" "$(rand_token)" "$res_D"
check "R5: the identical results with a made-up token answer as any" same_as_ref R5
r5 "$wm_D" "$tA" "$res_D"
check "R5: ... and with another manifest's token" same_as_ref R5
for R in R2 R3 R4 R5; do
	route "$R" "$wm_E" "$tE"
	check "$R: aborted E's own token answers as a made-up token" same_as_ref "$R"
done
initiate "$wm_D" 9100000104 "$sD"
check "R1: a completed manifest is done for its own run too" is_done
initiate "$wm_E" 9100000105 "$sE"
check "R1: an aborted one is done" is_done
initiate "$wm_F" 9100000201 "$s1"
check "R1: ... another installation's running one asked by its run: a retry (as any)" \
    json_is '.token | startswith("tt_run_")' true
tF=$TOK

# --- R4: an apply fetches only its own pull request's plan. ---
# A, then G (other repository) and F (installation 2), then H (PR 6)
# store a plan of app and report success with changes: the newest are of
# the other repository, installation and pull request, at the same sha.
r3 "$wm_A" "$tA" "$(plan_body app default "A-$nonce")"
check "setup: A stores its plan of app" status_is 200
r3 "$wm_A" "$tA" "$(plan_body "sec-A-$nonce" default "A2-$nonce")"
r5 "$wm_A" "$tA" "$(results app default true "sec-A-$nonce")"
check "setup: A reports app planned with changes" status_is 200
r3 "$wm_G" "$tG" "$(plan_body app default "G-$nonce")"
r5 "$wm_G" "$tG" "$(results app default true)"
check "setup: G (repository other, PR 1) stores and reports a plan of app" status_is 200
r3 "$wm_F" "$tF" "$(plan_body app default "F-$nonce")"
r5 "$wm_F" "$tF" "$(results app default true)"
check "setup: F (installation 2, PR 1) stores and reports a plan of app" status_is 200
r5 "$wm_H" "$tH" "$(results app default true)"
check "setup: H (PR 6) reports app planned with changes, storing no plan" status_is 200
for m in A G F; do plan_data_of app default "$m-$nonce" >>"$T/secrets"; done

user=writer-$i1
fakegh_permission "$o1" infra "$user" write >/dev/null
fakegh_pull "$o1" infra 1 "$s1" feature-1 main >/dev/null
check "setup: 'terrateam apply' on PR 1 queues an apply manifest" \
    comment "$i1" "$o1" "$rid" infra 1 "$user" "terrateam apply"
wm_AP=$WM
check "setup: ... an apply of app" \
    test "$(q "SELECT run_type || ' ' || string_agg(d.dir, ',') FROM work_manifests wm JOIN work_manifest_dirspaces d ON d.work_manifest_id = wm.id WHERE wm.id = '$wm_AP' GROUP BY run_type")" = "apply app"
check "setup: ... dispatched" dispatched "$o1" infra "$wm_AP"
initiate "$wm_AP" 9100000111 "$s1"; tAP=$TOK
check "R1: the apply starts with a token" test -n "$tAP"
check "R1: ... and the repository's config (an apply comment once crashed github-events here)" \
    json_is '.type + " " + (.config.dirs.app.tags | tostring)' 'apply ["app"]'
r4 "$wm_AP" "$tAP" 'path=app&workspace=default'
check "R4: the apply gets PR 1's plan of app" json_is .data "$(plan_data_of app default "A-$nonce")"
cp "$T/body" "$T/control"	# for the leak check's control below
r4 "$wm_AP" "$tAP" 'path=app&workspace=default&x=1'
check "R4: ... also with another parameter" json_is .data "$(plan_data_of app default "A-$nonce")"
r4 "$wm_AP" "$tAP" "path=sec-A-$nonce&workspace=default"
check "R4: A's plan of its other directory (stored, succeeded without changes) is served" \
    json_is .data "$(plan_data_of "sec-A-$nonce" default "A2-$nonce")"
r4 "$wm_AP" "$tAP" 'path=nothing&workspace=default'
check "R4: a dirspace nobody planned is a 404" fails_with 404 NOT_FOUND
absent=$(answer)
r4 "$wm_AP" "$tAP" 'path=app&workspace=other'
check "R4: another workspace of app is the same 404" same_as "$absent"
r4 "$wm_A" "$tA" 'path=app&workspace=default'
check "R4: A's token, its manifest completed, answers as a made-up token" same_as_ref R4
r4 "$wm_AP" "$tF" 'path=app&workspace=default'
check "R4: installation 2's token on the apply answers as a made-up token" same_as_ref R4
r4 "$wm_F" "$tAP" 'path=app&workspace=default'
check "R4: the apply's token on installation 2's plan answers as a made-up token" same_as_ref R4
r4 "$wm_Q" "$tQ" 'path=app&workspace=default'
check "R4: a plan manifest's token (installation 2) gets no plan" fails_with 404 NOT_FOUND
check "R4: ... the same answer as a missing dirspace" same_as "$absent"
attacker_saw
r5 "$wm_AP" "$tAP" '{"steps":[{"step":"tf/apply","success":true,"ignore_errors":false,"scope":{"type":"dirspace","dir":"app","workspace":"default"},"payload":{"text":"applied"}}]}'
check "setup: the apply reports its results" status_is 200
for R in R2 R3 R4; do
	route "$R" "$wm_AP" "$tAP"
	check "$R: the apply's token after its results answers as a made-up token" same_as_ref "$R"
done

# Initiate tells anyone who has an id whether it is a manifest and has
# ended (RUNNER.md: done, never 404), nothing more: the same answer for
# either installation's ended manifest, whatever run or sha.
initiate "$wm_D" 9100000999 "$wrong"; ended_r1=$(answer)
check "R1: an ended manifest of installation 1 is done" is_done
for m in "$wm_F" "$wm_G" "$wm_E" "$wm_B" "$wm_AP"; do
	initiate "$m" "$RANDOM" "$(openssl rand -hex 20)"
	check "R1: ended $m (either installation): the same answer" same_as "$ended_r1"
done

# A run past TT_RUN_TIMEOUT (its age as the drain would see it): its
# token is refused as any, and initiate ends it.
q "UPDATE work_manifests SET created_at = now() - interval '8 days' WHERE id = '$wm_Q'" >/dev/null
for R in R2 R3 R4 R5; do
	route "$R" "$wm_Q" "$tQ"
	check "$R: a token of a manifest past TT_RUN_TIMEOUT answers as a made-up token" same_as_ref "$R"
done
initiate "$wm_Q" 9100000202 "$sQ"
check "R1: its own run asking again gets done, no token" is_done
check "R1: ... and it has ended" test "$(state "$wm_Q")" = aborted

fakegh_pull "$o1" infra 6 "$s1" feature-6 main >/dev/null
check "setup: 'terrateam apply' on PR 6 (same head sha, no plan stored) queues an apply" \
    comment "$i1" "$o1" "$rid" infra 6 "$user" "terrateam apply"
wm_HP=$WM
initiate "$wm_HP" 9100000112 "$s1"; tHP=$TOK
r4 "$wm_HP" "$tHP" 'path=app&workspace=default'
check "R4: PR 6's apply gets no plan of PR 1, the other repository or installation 2" \
    fails_with 404 NOT_FOUND
check "R4: ... the same answer as a dirspace nobody planned" same_as "$absent"
attacker_saw
r4 "$wm_HP" "$tHP" "path=sec-A-$nonce&workspace=default"
check "R4: ... nor PR 1's plan of its own directory" same_as "$absent"
attacker_saw

# --- Hostile bodies and queries: JSON 4xx, never a 5xx. ---
# C is running: what is refused changes nothing (checked after).
nul_dir=$(printf 'app\\u0000x')
long=$(head -c 100000 /dev/zero | tr '\0' a)
# answered "STATUS...": the status is one of them, the body {} for a 200,
# else a JSON error.
answered() {
	case " $1 " in *" $STATUS "*) ;; *)
		echo "# status $STATUS: $(head -c 200 "$T/body")"; return 1 ;; esac
	if [ "$STATUS" = 200 ]; then
		json_is tostring '{}'
	else
		jq -e '.id and (.data | type == "string")' "$T/body" >/dev/null
	fi
}
hostile() { # EXPECTED-STATUSES DESCRIPTION CURL-ARGS...: sends to C's R3
	_want=$1 _desc=$2; shift 2
	http POST "$WMP/$wm_C/plans" -H "Authorization: Bearer $tC" "$@"
	attacker_saw
	check "R3 $_desc: ${_want// / or }" answered "$_want"
}
hostile 400 "non-JSON" -H "$J" --data-binary 'plan=1'
hostile 415 "as text/plain" -H 'Content-Type: text/plain' --data-binary "$(plan_body app default x)"
hostile 400 "an array" -H "$J" --data-binary '[1,2]'
hostile 400 "path a number" -H "$J" --data-binary '{"path":1,"workspace":"default","plan_data":"","has_changes":true}'
hostile 400 "has_changes a string" -H "$J" --data-binary '{"path":"app","workspace":"default","plan_data":"","has_changes":"true"}'
hostile 400 "plan_data not base64" -H "$J" --data-binary '{"path":"app","workspace":"default","plan_data":"@@@@","has_changes":true}'
hostile 400 "a NUL in path" -H "$J" --data-binary "{\"path\":\"$nul_dir\",\"workspace\":\"default\",\"plan_data\":\"\",\"has_changes\":true}"
hostile 404 "path ../../etc" -H "$J" --data-binary "$(plan_body ../../etc default x)"
hostile 404 "path of another manifest's dirspace" -H "$J" --data-binary "$(plan_body "sec-D-$nonce" default x)"
hostile 404 "a 100 KB path" -H "$J" --data-binary "$(plan_body "$long" default x)"
hostile 404 "a 100 KB workspace" -H "$J" --data-binary "$(plan_body app "$long" x)"
hostile 400 "invalid UTF-8" -H "$J" --data-binary "$(printf '{"path":"\xff\xfe","workspace":"default","plan_data":"","has_changes":true}')"
head -c 2100000 /dev/zero | tr '\0' A >"$T/bigdata"
{ printf '{"path":"app","workspace":"default","has_changes":true,"plan_data":"'; cat "$T/bigdata"; printf '"}'; } >"$T/bigplan"
hostile 200 "a 2 MB plan" -H "$J" --data-binary "@$T/bigplan"
http POST "$WMP/$wm_C/access-token" -H "Authorization: Bearer $tC" -H "$J" --data-binary "@$T/bigplan"
attacker_saw
check "R2 with a 2 MB body: a 413 JSON error (1 MiB limit)" \
    eval '[ "$STATUS" = 413 ] && jq -e .id "$T/body" >/dev/null'
q4() { # EXPECTED DESCRIPTION QUERY
	r4 "$wm_C" "$tC" "$3"
	attacker_saw
	check "R4 $2: ${1// / or }" answered "$1"
}
q4 400 "without workspace" 'path=app'
q4 400 "without path" 'workspace=default'
q4 400 "a bad escape" 'path=app%zz&workspace=default'
# A NUL or bytes that are not UTF-8 in the URL: the web server may refuse
# them itself (its own page, no X-Request-Id), before any program.
q4web() { # DESCRIPTION QUERY
	r4 "$wm_C" "$tC" "$2"
	attacker_saw
	if [ -z "$(header X-Request-Id)" ]; then
		check "R4 $1: the web server's own 400 or 404" answered_web
	else
		check "R4 $1: 400 or 404" answered "400 404"
	fi
}
answered_web() { case $STATUS in 400|404) return 0 ;; esac; echo "# status $STATUS"; return 1; }
q4web "a NUL in path" 'path=app%00x&workspace=default'
q4web "invalid UTF-8" 'path=%ff%fe&workspace=default'
q4 404 "path traversal" 'path=..%2f..%2fetc%2fpasswd&workspace=default'
q4 404 "another manifest's secret directory" "path=sec-A-$nonce&workspace=default"
q4 404 "a 4000-byte path" "path=$(head -c 4000 /dev/zero | tr '\0' a)&workspace=default"
q4 "400 404" "path given twice" 'path=app&path=x&workspace=default'
q4 404 "a plan manifest's own plan (R4 is for applies)" 'path=app&workspace=default'
bad5() { # DESCRIPTION BODY
	r5 "$wm_C" "$tC" "$2"
	attacker_saw
	check "R5 $1: a 400 JSON error" fails_with 400 "$3"
}
bad5 "{}" '{}' INVALID_PARAM
bad5 "steps an object" '{"steps":{}}' INVALID_PARAM
bad5 "a step without scope" '{"steps":[{"step":"x","success":true}]}' INVALID_PARAM
bad5 "a dirspace scope without dir" '{"steps":[{"step":"x","success":true,"scope":{"type":"dirspace","workspace":"w"}}]}' INVALID_PARAM
bad5 "a scope of another type" '{"steps":[{"step":"x","success":true,"scope":{"type":"evil"}}]}' INVALID_PARAM
bad5 "a NUL in a step name" '{"steps":[{"step":"x\u0000y","success":true,"scope":{"type":"run"}}]}' INVALID_JSON
bad5 "broken JSON" '{"steps":[' INVALID_JSON
check "R5: ... and C is still running" test "$(state "$wm_C")" = running
r2 "$wm_C" "$tC"
check "R5: ... its token live" status_is 200
# A 5 MB result: the plan text twice, as the runner sends it.
{
	printf '{"steps":[{"step":"tf/plan","success":true,"ignore_errors":false,"scope":{"type":"dirspace","dir":"app","workspace":"default"},"payload":{"has_changes":true,"plan":"'
	head -c 2600000 /dev/zero | tr '\0' p
	printf '","text":"'
	head -c 2600000 /dev/zero | tr '\0' t
	printf '"}}]}'
} >"$T/big5"
http PUT "$WMP/$wm_C" -H "Authorization: Bearer $tC" -H "$J" --data-binary "@$T/big5"
check "R5: 5 MB of results are a 200" status_is 200
check "R5: ... C has completed" test "$(state "$wm_C")" = completed
http PUT "$WMP/$wm_C" -H "Authorization: Bearer $tC" -H "$J" --data-binary "@$T/big5"
check "R5: ... and the identical 5 MB resent are a 200 again" status_is 200
r2 "$wm_C" "$tC"
check "R2: ... C's token is refused now" same_as_ref R2
# comment_len PR: the length of the second comment posted on the pull
# request (the first said the plan was queued; the results' comment
# follows the results' answer).
comment_len() {
	fakegh_requests "/repos/$o1/infra/issues/$1/comments" POST |
	    jq -r '[.[] | select(.status == 201) | .body | fromjson | .body | length] | .[1] // empty'
}
comment_cut() {
	_cc=0
	while [ -z "$(comment_len 3)" ] && [ $_cc -lt 100 ]; do sleep 0.1; _cc=$((_cc + 1)); done
	_n=$(comment_len 3)
	[ -n "$_n" ] && [ "$_n" -le 65536 ] && return 0
	echo "# the results comment is '$_n' characters long"
	return 1
}
check "R5: ... whose comment is cut to GitHub's 65536 characters" comment_cut
http GET /healthz
check "the server is healthy after all of it" status_is 200

# Every GitHub token R2 answered: of its manifest's installation, scoped
# to its manifest's repository.
r2_tokens_right() {
	fakegh_tokens >"$T/issued"
	_bad=0
	while read -r _tok _id; do
		_want=$(q "SELECT wm.installation_id || ' ' || r.name FROM work_manifests wm JOIN repositories r ON r.installation_id = wm.installation_id AND r.id = wm.repo_id WHERE wm.id = '$_id'")
		_got=$(jq -r --arg t "$_tok" '.[] | select(.token == $t) | "\(.installation_id) \(.repositories | join(","))"' "$T/issued")
		[ "$_got" = "$_want" ] || { _bad=1; echo "# manifest $_id ($_want) got a token of $_got"; }
	done <"$T/r2"
	[ "$_bad" = 0 ]
}
check "R2: each of the $(grep -c . "$T/r2") GitHub tokens answered is of its manifest's installation and repository" \
    r2_tokens_right

# --- Nothing of a victim in any answer an attacker got. ---
grep . "$T/secrets" >"$T/secrets.n"; mv "$T/secrets.n" "$T/secrets"
check "control: the leak check sees a victim's plan where it is (the apply's own answer)" \
    grep -qF -f "$T/secrets" "$T/control"
leaks=$(grep -aoF -f "$T/secrets" "$T/attacker" | sort -u | head -5)
check "no answer to an attacker holds another manifest's id, directory or plan" \
    test -z "$leaks"
[ -n "$leaks" ] && echo "# leaked: $leaks"
check "no answer to an attacker holds a runner token" \
    test -z "$(grep -aoF -f "$T/tokens" "$T/attacker" | head -1)"
check "no 5xx in any answer to an attacker" \
    eval '! grep -aqE "^HTTP/[0-9.]+ 5[0-9][0-9]" "$T/attacker"'

# --- No runner token in the web server's logs. ---
case $SERVER in
lighttpd*) logs=${WEBDIR:-$PGDIR}/lighttpd/log ;;
apache-proxy*) logs=${WEBDIR:-$PGDIR}/apache-proxy/log ;;
apache*) logs=${WEBDIR:-$PGDIR}/apache/log ;;
esac
sleep 0.5	# the programs log after they answer
check "the server's logs exist" test -d "$logs"
check "no runner token ($(grep -c . "$T/tokens") of them) in the server's logs" \
    test -z "$(grep -rlF -f "$T/tokens" "$logs" 2>/dev/null)"
check "no GitHub token R2 answered in them" \
    test -z "$(cut -d' ' -f1 "$T/r2" | grep -rlF -f - "$logs" 2>/dev/null)"
check "no runner token's hex part in them either" \
    test -z "$(sed 's/^tt_run_//' "$T/tokens" | grep -rlF -f - "$logs" 2>/dev/null)"
