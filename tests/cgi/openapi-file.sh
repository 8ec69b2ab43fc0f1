#!/bin/sh
# openapi-file.sh: the health program serves the file TT_OPENAPI_FILE
# names (lib/asset.c; its unit test covers replacement) and answers 503
# when it is missing.
# Environment: BIN (a build dir), T (scratch), SERVER (label), TOP.
. "$TOP/tests/harness/lib.sh"

# get [VAR=VALUE...]: GET /api/v1/openapi.json from health run as CGI.
get() {
	env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
	    UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" REQUEST_METHOD=GET \
	    REQUEST_URI=/api/v1/openapi.json GATEWAY_INTERFACE=CGI/1.1 "$@" \
	    timeout 10 "$BIN/cgi-bin/health" >"$T/out" 2>>"$T/stderr"
	STATUS=$(sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$T/out")
	sed '1,/^\r$/d' "$T/out" >"$T/body"
	sed -n '1,/^\r$/p' "$T/out" >"$T/hdrs"
}

get
check "by default the build's own openapi.json is served" \
    test "$(jq -cS . "$T/body" 2>/dev/null)" = "$(jq -cS . "$BIN/openapi.json")"

printf '{"openapi":"3.1.0","paths":{}}' >"$T/doc.json"
get TT_OPENAPI_FILE="$T/doc.json"
check "TT_OPENAPI_FILE names another file" json_is '.paths | length' 0
check "... with a Cache-Control of its own, not no-store" \
    header_matches Cache-Control '^public, max-age=300$'

get TT_OPENAPI_FILE="$T/none.json"
check "a missing file is a 503" error_is 503 UNAVAILABLE
check "... that says how to fix it" json_is '.data | test("TT_OPENAPI_FILE")' true
check "... and logs the path" grep -q "could not open asset $T/none.json" "$T/stderr"
