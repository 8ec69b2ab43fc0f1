#!/bin/bash
# github-client.sh: the GitHub App client (lib/github.c, lib/ghauth.c)
# through tests/progs/ghcall against the stand-in GitHub: the RS256 App
# JWT, installation tokens shared by processes through the database,
# the refresh after a 401, retries, rate limits, redirects, oversize
# bodies, the time budget, and no token in any log.
# It needs PostgreSQL and the fake but no web server, so it runs in the
# suite's first server pass only; later passes say so in one line.
# passes: lighttpd apache asan
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakegithub.sh"

marker=${PGDIR:-$T}/github-client.ran
if [ -e "$marker" ]; then
	check "GitHub client checked once for this suite, in the [$(cat "$marker")] pass" true
	exit 0
fi
echo "${SERVER:-?}" >"$marker"

# --- Prerequisites: a missing one fails the case, it never skips. ---
case ${SERVER:-} in
*-asan)	build=$TOP/build-san ;;
*)	build=$TOP/build ;;
esac
GHCALL=${GHCALL:-$build/tests/progs/ghcall}
missing=
for tool in openssl jq psql python3 curl base64 xxd; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -x "$GHCALL" ] || missing="$missing $GHCALL"
[ -n "${TT_DATABASE_URL:-}" ] || missing="$missing TT_DATABASE_URL"
[ -f "${PGDIR:-}/pg.log" ] || missing="$missing \$PGDIR/pg.log"
if [ -n "$missing" ]; then
	echo "not ok - [${SERVER:-?}] GitHub client prerequisites missing:$missing"
	exit 1
fi
if [ -z "${FAKEGH_URL:-}" ]; then
	# Run by hand: a fake of our own.
	fakegh_start "$T/fakegh" || {
		echo "not ok - [${SERVER:-?}] the stand-in GitHub did not start"
		exit 1
	}
	trap fakegh_stop EXIT
else
	# The suite's fake: keep the tokens other cases got for the leak check.
	remember $(fakegh_tokens | jq -r '.[].token')
fi
fakegh_reset >/dev/null || {
	echo "not ok - [${SERVER:-?}] the stand-in GitHub does not answer at $FAKEGH_URL"
	exit 1
}

# A key of our own; the installation ids are this run's only.
openssl genrsa -out "$T/app.pem" 2048 2>/dev/null &&
    openssl rsa -in "$T/app.pem" -pubout -out "$T/pub.pem" 2>/dev/null || {
	echo "not ok - [${SERVER:-?}] openssl could not make an RSA key"
	exit 1
}
TT_GITHUB_API_URL=$FAKEGH_URL
TT_GITHUB_APP_ID=$((RANDOM + 100000))
TT_GITHUB_APP_PRIVATE_KEY_FILE=$T/app.pem
export TT_GITHUB_API_URL TT_GITHUB_APP_ID TT_GITHUB_APP_PRIVATE_KEY_FILE
inst=$(( (RANDOM << 15 | RANDOM) + 700000000 ))

q() { psql "$TT_DATABASE_URL" -Atc "$1"; }
ms() { date +%s%3N; }

# gh ARGS...: one ghcall process; OUT is its line, ELAPSED its run time
# in ms; stdout and stderr stay in $T/gh.N.out and $T/gh.N.err.
n=0
gh() {
	n=$((n + 1))
	_t0=$(ms)
	"$GHCALL" "$@" >"$T/gh.$n.out" 2>"$T/gh.$n.err"
	ELAPSED=$(( $(ms) - _t0 ))
	OUT=$(cat "$T/gh.$n.out")
}
# is JQ VALUE: ghcall's line has that value there.
is() {
	_v=$(printf '%s' "$OUT" | jq -r "$1" 2>/dev/null)
	[ "$_v" = "$2" ] && return 0
	echo "# $1 is '$_v', expected '$2' in: $(printf '%s' "$OUT" | head -c 300)"
	echo "# stderr: $(tail -3 "$T/gh.$n.err" | tr '\n' ' ')"
	return 1
}
# answered RC STATUS [ERROR]
answered() {
	is .rc "$1" && is .status "$2" && { [ $# -lt 3 ] || is .error "$3"; }
}
# faster_than MS: the last ghcall took less than that.
faster_than() {
	[ "$ELAPSED" -lt "$1" ] && return 0
	echo "# took $ELAPSED ms, expected < $1 ms"
	return 1
}
# count PATHREGEX [METHOD] [N]: requests the fake recorded; with N, is it N.
count() {
	_c=$(fakegh_count "$1" "${2:-}")
	[ $# -lt 3 ] && { echo "$_c"; return 0; }
	[ "$_c" = "$3" ] && return 0
	echo "# $_c requests ${2:-} $1, expected $3"
	return 1
}
between() {
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ] && return 0
	echo "# $1 is not in [$2, $3]"
	return 1
}
fault() { fakegh_fault "$1" >/dev/null || echo "# could not queue fault $1"; }
files() { echo "/repos/octo/infra/pulls/$1/files"; }
tokpath="/app/installations/$inst/access_tokens"

# b64d: base64url on stdin, decoded.
b64d() {
	_s=$(tr '_-' '/+')
	case $(( ${#_s} % 4 )) in
	2) _s="$_s==" ;;
	3) _s="$_s=" ;;
	esac
	printf '%s' "$_s" | base64 -d 2>/dev/null
}

# --- The App JWT (API.md 5: RS256, iss = app id, iat now-60, exp now+540). ---
gh call "$inst" GET "$(files 1)"
check "a first call gets an installation token and GitHub's answer" answered ok 200
check "... the body is GitHub's JSON" is '.body | type' array
check "one access_tokens request for it" count "$tokpath" POST 1
req=$(fakegh_requests "$tokpath" POST | jq -c '.[0]')
jwt=$(printf '%s' "$req" | jq -r '.headers.authorization' | sed -n 's/^Bearer //p')
IFS=. read -r jh jc js jx <<<"$jwt"
check "the access_tokens request carries a three-part JWT as Bearer" \
    test -n "$jh" -a -n "$jc" -a -n "$js" -a -z "$jx"
printf '%s.%s' "$jh" "$jc" >"$T/jwt.input"
printf '%s' "$js" | b64d >"$T/jwt.sig"
verifies() { openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/jwt.sig" "$1" >/dev/null 2>&1; }
check "the JWT the fake received verifies with the App's public key (RS256)" verifies "$T/jwt.input"
printf '%s.%sx' "$jh" "$jc" >"$T/jwt.bad"
check "... and a changed JWT does not" eval '! verifies "$T/jwt.bad"'
check "its header is {\"alg\":\"RS256\",\"typ\":\"JWT\"}" \
    test "$(printf '%s' "$jh" | b64d)" = '{"alg":"RS256","typ":"JWT"}'
claims=$(printf '%s' "$jc" | b64d)
recv=$(printf '%s' "$req" | jq -r '.time | floor')
check "iss is the app id, as a string" \
    test "$(printf '%s' "$claims" | jq -c .iss)" = "\"$TT_GITHUB_APP_ID\""
check "iat is now - 60" between "$(printf '%s' "$claims" | jq .iat)" $((recv - 65)) $((recv - 58))
check "exp is iat + 600 (now + 540)" \
    test "$(printf '%s' "$claims" | jq '.exp - .iat')" = 600
check "the claims are exactly iat, exp, iss" \
    test "$(printf '%s' "$claims" | jq -c 'keys')" = '["exp","iat","iss"]'
gh jwt
mv "$T/gh.$n.out" "$T/jwt.out"
check "ghcall jwt prints an App JWT with the same header" \
    test "$(cut -d. -f1 "$T/jwt.out")" = "$jh"

# --- Headers on every request. ---
get=$(fakegh_requests "$(files 1)" GET | jq -c '.[0].headers')
hdr() { printf '%s' "$get" | jq -r --arg h "$1" '.[$h] // "(none)"'; }
check "Accept: application/vnd.github+json" test "$(hdr accept)" = application/vnd.github+json
check "X-GitHub-Api-Version: 2022-11-28" test "$(hdr x-github-api-version)" = 2022-11-28
check "User-Agent: terrateam-c" test "$(hdr user-agent)" = terrateam-c
check "Authorization: Bearer <installation token>" eval '[[ $(hdr authorization) =~ ^Bearer\ ghs_[A-Za-z0-9]+$ ]]'
check "no Content-Type on a GET" test "$(hdr content-type)" = "(none)"
check "no Content-Type on the body-less access_tokens POST" \
    test "$(printf '%s' "$req" | jq -r '.headers["content-type"] // "(none)"')" = "(none)"
check "the access_tokens POST has the same Accept, version and User-Agent" \
    test "$(printf '%s' "$req" | jq -r '[.headers.accept, .headers["x-github-api-version"], .headers["user-agent"]] | join(" ")')" = \
    "application/vnd.github+json 2022-11-28 terrateam-c"

# --- One token for every process, kept sealed in the database. ---
gh call "$inst" GET "$(files 1)"
check "a second ghcall process succeeds" answered ok 200
check "... without a new access_tokens request (the database cache)" count "$tokpath" POST 1
check "both processes sent the same token" \
    test "$(fakegh_requests "$(files 1)" GET | jq '[.[].headers.authorization] | unique | length')" = 1
tok=$(fakegh_tokens | jq -r --argjson i "$inst" '[.[] | select(.installation_id == $i)][0].token')
row=$(q "SELECT encode(sealed, 'hex') || ' ' || extract(epoch FROM expires_at)::bigint FROM github_installation_tokens WHERE installation_id = $inst")
sealed=${row% *}
tokhex=$(printf '%s' "$tok" | xxd -p | tr -d '\n')
check "the cache row holds nonce, ciphertext and tag (12 + ${#tok} + 16 bytes)" \
    test "${#sealed}" = $(( 2 * (12 + ${#tok} + 16) ))
check "... and not the token" eval '[ -n "$tokhex" ] && [[ $sealed != *"$tokhex"* ]]'
check "... with the expires_at GitHub sent" \
    test "${row#* }" = "$(fakegh_tokens | jq --argjson i "$inst" '[.[] | select(.installation_id == $i)][0].expires_epoch | floor')"

# --- Revoked token: 401, one new token, one more try. ---
fakegh_revoke_tokens >/dev/null
gh call "$inst" GET "$(files 1)"
check "after the tokens are revoked a call still succeeds" answered ok 200
check "... through exactly one new token" count "$tokpath" POST 2
check "... the old token got a 401, the new one a 200" \
    test "$(fakegh_requests "$(files 1)" GET | jq -c '[.[-2:][] | .status]')" = '[401,200]'
check "... and the new token replaced the row (a later process fetches none)" \
    eval 'gh call "$inst" GET "$(files 1)" && answered ok 200 && count "$tokpath" POST 2'

# --- A row that does not open is ignored and replaced. ---
inst2=$((inst + 1))
q "INSERT INTO github_installation_tokens (installation_id, sealed, expires_at) VALUES ($inst2, '\\x$(openssl rand -hex 60)', now() + interval '1 hour')" >/dev/null
gh call "$inst2" GET "$(files 1)"
check "a cache row sealed with another key is ignored" answered ok 200
check "... a token is fetched" count "/app/installations/$inst2/access_tokens" POST 1
check "... and the row replaced by one that opens" \
    eval 'gh call "$inst2" GET "$(files 1)" && answered ok 200 && count "/app/installations/$inst2/access_tokens" POST 1'

# --- A token is used only until 5 minutes before it expires. ---
inst3=$((inst + 2))
fakegh_config '{"token_ttl":240}' >/dev/null
gh call "$inst3" GET "$(files 1)"
gh call "$inst3" GET "$(files 1)"
check "tokens that expire within 5 minutes are not reused" \
    eval 'answered ok 200 && count "/app/installations/$inst3/access_tokens" POST 2'
fakegh_config '{"token_ttl":3600}' >/dev/null

# --- 5xx and network errors: up to 3 tries for reads. ---
fault '{"mode":"error","status":502,"count":2,"match":"/pulls/2/files"}'
gh call "$inst" GET "$(files 2)"
check "a GET answered 502 twice, then 200, succeeds" answered ok 200 null
check "... in 3 requests" count "$(files 2)" GET 3
check "... after backing off about 0.5 s and 1 s" between "$ELAPSED" 1000 4000
fault '{"mode":"error","status":503,"count":3,"match":"/pulls/3/files"}'
gh call "$inst" GET "$(files 3)"
check "a GET that keeps failing with 503 is unavailable" answered unavailable 503
check "... after exactly 3 requests" count "$(files 3)" GET 3
fault '{"mode":"hangup","count":1,"match":"/pulls/4/files"}'
gh call "$inst" GET "$(files 4)"
check "a connection closed without an answer is retried" answered ok 200
check "... in 2 requests" count "$(files 4)" GET 2

# --- Writes are not retried in-process (the delivery retry does it). ---
body='{"name":"terrateam plan","head_sha":"0123456789abcdef0123456789abcdef01234567"}'
fault '{"mode":"error","status":500,"count":1,"match":"/check-runs","method":"POST"}'
gh call "$inst" POST /repos/octo/infra/check-runs "$body"
check "a check run POST answered 500 is unavailable" answered unavailable 500
check "... after exactly 1 request" count /check-runs POST 1
check "... and the log line names method, path and status" \
    grep -q 'github POST /repos/octo/infra/check-runs failed: .*status 500' "$T/gh.$n.err"
gh call "$inst" POST /repos/octo/infra/check-runs "$body"
check "the next check run POST is created" answered ok 201
id=$(printf '%s' "$OUT" | jq -r .body.id)
post=$(fakegh_requests /check-runs POST | jq -c '.[-1]')
check "... sent as Content-Type: application/json" \
    test "$(printf '%s' "$post" | jq -r '.headers["content-type"]')" = application/json
check "... with the body as given" \
    test "$(printf '%s' "$post" | jq -c '.body | fromjson')" = "$(printf '%s' "$body" | jq -c .)"
fault '{"mode":"error","status":502,"count":1,"match":"/check-runs/","method":"PATCH"}'
gh call "$inst" PATCH "/repos/octo/infra/check-runs/$id" '{"status":"completed","conclusion":"success"}'
check "a PATCH answered 502 is unavailable after 1 request" \
    eval 'answered unavailable 502 && count "/check-runs/$id" PATCH 1'

# --- Rate limits: reported with the wait, never slept on. ---
fault '{"mode":"ratelimit403","reset_in":120,"match":"/pulls/5/"}'
gh call "$inst" GET "$(files 5)"
check "403 with x-ratelimit-remaining: 0 is unavailable" answered unavailable 403
check "... retry_after is the time until x-ratelimit-reset" between "$(printf '%s' "$OUT" | jq .retry_after)" 117 121
check "... answered at once, in 1 request" eval 'faster_than 1000 && count "$(files 5)" GET 1'
fault '{"mode":"ratelimit429","retry_after":7,"match":"/pulls/6/"}'
gh call "$inst" GET "$(files 6)"
check "429 with retry-after: 7 is unavailable, retry_after 7" \
    eval 'answered unavailable 429 && is .retry_after 7'
check "... answered at once, in 1 request" eval 'faster_than 1000 && count "$(files 6)" GET 1'
fault '{"mode":"secondary403","retry_after":3,"match":"/pulls/7/"}'
gh call "$inst" GET "$(files 7)"
check "a secondary limit (403, retry-after: 3) is unavailable, retry_after 3" \
    eval 'answered unavailable 403 && is .retry_after 3 && faster_than 1000'
fault '{"mode":"error","status":403,"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","match":"/pulls/8/"}'
gh call "$inst" GET "$(files 8)"
check "a secondary limit without headers waits 60 s" \
    eval 'answered unavailable 403 && is .retry_after 60 && faster_than 1000 && count "$(files 8)" GET 1'
fault '{"mode":"error","status":403,"message":"Resource not accessible by integration","match":"/pulls/9/"}'
gh call "$inst" GET "$(files 9)"
check "a 403 that is no rate limit is GitHub's answer for the caller" \
    eval 'answered ok 403 && is .retry_after 0 && is .body.message "Resource not accessible by integration"'
fault '{"mode":"ratelimit429","retry_after":2,"match":"/check-runs","method":"POST"}'
gh call "$inst" POST /repos/octo/infra/check-runs "$body"
check "a rate-limited POST is unavailable with retry_after, in 1 request" \
    eval 'answered unavailable 429 && is .retry_after 2 && count /check-runs POST 3'

# --- Redirects are refused, not followed. ---
fault "{\"mode\":\"redirect\",\"status\":302,\"location\":\"$FAKEGH_URL$(files 1)\",\"match\":\"/pulls/10/\"}"
before=$(count "$(files 1)" GET)
gh call "$inst" GET "$(files 10)"
check "a 302 is unavailable: redirect refused" answered unavailable 302 "redirect refused"
check "... and not followed" eval 'count "$(files 10)" GET 1 && count "$(files 1)" GET "$before"'
fault "{\"mode\":\"redirect\",\"status\":307,\"location\":\"$FAKEGH_URL/repos/octo/infra/check-runs\",\"match\":\"/check-runs\",\"method\":\"POST\"}"
gh call "$inst" POST /repos/octo/infra/check-runs "$body"
check "a 307 on a POST is refused too, in 1 request" \
    eval 'answered unavailable 307 "redirect refused" && count /check-runs POST 4'

# --- Bodies over 10 MiB are refused. ---
fault '{"mode":"huge","size":12582912,"match":"/pulls/11/"}'
gh call "$inst" GET "$(files 11)"
check "a 12 MiB answer (Content-Length) is refused" answered unavailable 200 "response too large"
check "... after 1 request" count "$(files 11)" GET 1
fault '{"mode":"huge","size":11534336,"chunked":true,"match":"/pulls/12/"}'
gh call "$inst" GET "$(files 12)"
check "an 11 MiB chunked answer (no length) is cut off and refused" answered unavailable 200 "response too large"
fault '{"mode":"huge","size":1048576,"match":"/pulls/13/"}'
gh call "$inst" GET "$(files 13)"
check "a 1 MiB answer is kept whole" eval 'answered ok 200 && is ".body | length" 1048576'

# --- The time budget. ---
fault '{"mode":"blackhole","delay":30,"match":"/pulls/14/"}'
gh budget 1500 call "$inst" GET "$(files 14)"
check "a call into a black hole with a 1500 ms budget is unavailable" is .rc unavailable
check "... and returns within about 2 s ($ELAPSED ms)" between "$ELAPSED" 1300 2200
check "... without a second try" count "$(files 14)" GET 1

# --- Nothing left over, no token or JWT in any log. ---
check "every queued fault was used" \
    test "$(curl -s "$FAKEGH_URL/_fake/faults" | jq length)" = 0
fakegh_tokens | jq -r '.[].token' >"$T/secrets"
fakegh_tokens | jq -r '.[].jwt' >>"$T/secrets"
remember $(cat "$T/secrets")
check "the fake issued the 5 tokens this case asked for" \
    test "$(grep -c ghs_ "$T/secrets")" = 5
check "PostgreSQL logged the token cache's statements (so the next check sees them)" \
    grep -qE 'github_token_put|INSERT INTO github_installation_tokens' "$PGDIR/pg.log"
logs=$(ls "$PGDIR/pg.log" "$PGDIR"/data/log/* "$PGDIR"/data/pg_log/* "$T"/gh.*.out "$T"/gh.*.err 2>/dev/null)
hits=$(grep -lF -f "$T/secrets" $logs 2>/dev/null)
check "no installation token or App JWT in PostgreSQL's log or any ghcall output" test -z "$hits"
[ -z "$hits" ] || echo "# found in: $hits"
