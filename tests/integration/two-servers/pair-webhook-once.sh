#!/bin/bash
# pair-webhook-once.sh: GitHub may deliver the same webhook to two web servers
# behind one load balancer at once (a redelivery racing the original).
# The delivery is recorded once and processed once: one work manifest,
# one check run and one comment at GitHub; one server answers 202, the
# other 200.
# passes: pair
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakegithub.sh"
. "$TOP/tests/harness/hooks.sh"

A=$BASE B=$BASE2

# both EVENT FILE DELIVERY_A DELIVERY_B: posts the signed file to A and
# to B at the same moment; prints the two statuses, sorted.
both() {
	_sig=$(sign "$2")
	curl -s --parallel --parallel-immediate --max-time 20 -X POST \
	    -H 'Content-Type: application/json' -H "X-GitHub-Event: $1" \
	    -H "X-Hub-Signature-256: $_sig" --data-binary "@$2" \
	    -w '%{http_code}\n' -o "$T/body.a" \
	    -H "X-GitHub-Delivery: $3" "$A/api/github/v1/events" \
	    --next -s --max-time 20 -X POST \
	    -H 'Content-Type: application/json' -H "X-GitHub-Event: $1" \
	    -H "X-Hub-Signature-256: $_sig" --data-binary "@$2" \
	    -w '%{http_code}\n' -o "$T/body.b" \
	    -H "X-GitHub-Delivery: $4" "$B/api/github/v1/events" | sort | tr '\n' ' '
}

nonce=$(uuid)
inst=$((RANDOM * 32768 + RANDOM + 3000000))
login=pair-$nonce
cat >"$T/inst.json" <<JSON
{"action":"created","installation":{"id":$inst,"account":{"login":"$login","type":"Organization"}},
 "repositories":[{"id":$((inst + 1)),"name":"infra","full_name":"$login/infra"}],
 "sender":{"login":"sender-$nonce","id":1}}
JSON
d=$(uuid)
both installation "$T/inst.json" "$d" "$d" >"$T/st"
check "installation.created sent to both: one 202, one 200" test "$(cat "$T/st")" = "200 202 "
check "... processed" wait_state "$d" done
check "... one installation row" test "$(q "SELECT count(*) FROM installations WHERE id = $inst")" = 1

repo=$((inst + 1))
pr_json() { # NUMBER SHA
	cat <<JSON
{"action":"opened","number":$1,"installation":{"id":$inst},
 "repository":{"id":$repo,"name":"infra","owner":{"login":"$login"}},
 "pull_request":{"number":$1,"title":"Race $1","user":{"login":"dev"},
  "head":{"sha":"$2","ref":"race-$1"},"base":{"sha":"$(printf '%040d' 0)","ref":"main"}},
 "nonce":"$nonce"}
JSON
}

# effects PR SHA: "manifests check-runs comments" for the pull request.
effects() {
	printf '%s %s %s' \
	    "$(q "SELECT count(*) FROM work_manifests WHERE installation_id = $inst AND pull_number = $1")" \
	    "$(fakegh_requests "/repos/$login/infra/check-runs" POST | jq "[.[] | select(.body | fromjson | .head_sha == \"$2\")] | length")" \
	    "$(fakegh_count "/repos/$login/infra/issues/$1/comments" POST)"
}

# Two pull requests, each opened once with one delivery id sent to both
# servers; then one sent to both under two ids (same body).
for pr in 1 2 3; do
	sha=$(openssl rand -hex 20)
	fakegh_pr_files "$login" infra "$pr" "mod$pr/main.tf" >/dev/null
	pr_json "$pr" "$sha" >"$T/pr$pr.json"
	d=$(uuid)
	if [ $pr = 3 ]; then
		d2=$(uuid)
		what="the same body under two delivery ids"
	else
		d2=$d
		what="delivery $pr (one id)"
	fi
	st=$(both pull_request "$T/pr$pr.json" "$d" "$d2")
	check "$what sent to both at once: one 202, one 200" test "$st" = "200 202 "
	[ "$st" = "200 202 " ] || echo "# statuses: $st; $(cat "$T/body.a" "$T/body.b")"
	first=$(q "SELECT delivery_id FROM webhook_deliveries WHERE delivery_id IN ('$d', '$d2')")
	check "$what is recorded once" test "$(q "SELECT count(*) FROM webhook_deliveries WHERE delivery_id IN ('$d', '$d2')")" = 1
	check "$what is processed" wait_state "$first" done
	sleep 0.3
	check "$what made one work manifest, one check run, one comment" \
	    test "$(effects "$pr" "$sha")" = "1 1 1"
	[ "$(effects "$pr" "$sha")" = "1 1 1" ] || echo "# effects: $(effects "$pr" "$sha")"
	check "$what was tried once (attempts = 1)" \
	    test "$(q "SELECT attempts FROM webhook_deliveries WHERE delivery_id = '$first'")" = 1
done
