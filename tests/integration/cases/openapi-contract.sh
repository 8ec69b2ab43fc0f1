#!/bin/bash
# openapi-contract.sh: every operation of the OpenAPI document answers the
# request layer's documented errors: a 401 with a Bearer challenge without
# a token, and for JSON bodies 413, 415 and an empty body. (The webhook,
# which checks its signature first, has its own case.) The operations are read
# from the document, so a new one is swept without a change here (and the
# suite validates each answer against the document).
# passes: lighttpd apache asan cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

doc=$TOP/build/openapi.json
# METHOD PATH AUTH BODY, one operation a line, path parameters filled in.
jq -r '.security as $top | .paths | to_entries[] | .key as $p | .value
    | to_entries[] | select(.key | test("^(get|put|post|delete)$"))
    | [(.key | ascii_upcase), $p,
       ((.value.security // $top) == [{"accessToken": []}]),
       (.value.requestBody.required == true
        and (.value.requestBody.content | has("application/json")))]
    | @tsv' "$doc" |
    sed 's/{installation_id}/1/; s/{key}/contract\/k/; s/{repo_id}/1/;
         s/{pull_number}/1/; s/{work_manifest_id}/00000000-0000-4000-8000-000000000000/' \
    >"$T/ops"
check "the document lists operations with a token and a JSON body" \
    test "$(grep -c $'\ttrue\t' "$T/ops")" -gt 10 -a "$(grep -c $'\ttrue$' "$T/ops")" -ge 4

head -c 1048577 /dev/zero | tr '\0' ' ' >"$T/big.json"
while IFS=$'\t' read -r m p auth body; do
	json=()
	[ "$body" = true ] && json=(-H 'Content-Type: application/json' --data-binary '{}')
	if [ "$auth" = true ]; then
		http "$m" "$p" "${json[@]}"
		check "$m $p without a token is a 401" unauth_is 'missing Authorization'
	fi
	[ "$auth" = true ] && [ "$body" = true ] || continue
	http "$m" "$p" -H 'Content-Type: text/plain' --data-binary '{}'
	check "$m $p with a text/plain body is a 415" error_is 415 UNSUPPORTED_MEDIA_TYPE
	http "$m" "$p" -H 'Content-Type: application/json' --data-binary "@$T/big.json"
	check "$m $p with a body over 1 MiB is a 413" error_is 413 PAYLOAD_TOO_LARGE
	# Web servers pass a request without a body on with Content-Length 0
	# (400); lighttpd answers a body-less POST itself (411, README).
	http "$m" "$p"
	check "$m $p without a body is a 400 INVALID_JSON (or lighttpd's 411)" \
	    eval '[ "$STATUS" = 411 ] || fails_with 400 INVALID_JSON'
done <"$T/ops"
