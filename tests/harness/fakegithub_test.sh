#!/bin/sh
# fakegithub_test.sh: self-test of tests/harness/fakegithub.py and
# fakegithub.sh. Starts the server, exercises every route and every fault
# mode with curl, prints TAP ("ok N - ..." / "not ok N - ..."), stops the
# server and exits non-zero on any failure. Needs python3, curl, jq. The
# dispatch section runs fakerunner.py (next to fakegithub.py) against a
# tiny server that answers every initiate with {"type": "done"}.
#   sh tests/harness/fakegithub_test.sh
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FAKEGH_SCRIPT=$HERE/fakegithub.py
. "$HERE/fakegithub.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/fakegh-test.XXXXXX")
N=0
FAILED=0
BGPIDS=

cleanup() {
	for _p in $BGPIDS; do
		kill "$_p" 2>/dev/null
	done
	fakegh_stop
	if [ "$FAILED" -ne 0 ] && [ -f "$W/srv/server.log" ]; then
		echo "# server log (last 30 lines):"
		tail -30 "$W/srv/server.log" | sed 's/^/#   /'
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check DESCRIPTION COMMAND...
check() {
	_d=$1
	shift
	N=$((N + 1))
	if "$@"; then
		echo "ok $N - $_d"
	else
		echo "not ok $N - $_d"
		FAILED=$((FAILED + 1))
	fi
}

# req METHOD PATH [curl args...]: STATUS, TIME; body in $W/body, headers in $W/hdrs.
req() {
	_m=$1
	_p=$2
	shift 2
	_out=$(curl -s -o "$W/body" -D "$W/hdrs" -w '%{http_code} %{time_total}' \
	    --max-time 20 -X "$_m" "$FAKEGH_URL$_p" "$@")
	CURLRC=$?
	STATUS=${_out% *}
	TIME=${_out#* }
}

# areq METHOD PATH [curl args...]: req with the current installation token.
areq() {
	_m=$1
	_p=$2
	shift 2
	req "$_m" "$_p" -H "Authorization: Bearer $TOK" "$@"
}

status_is() {
	[ "$STATUS" = "$1" ] && return 0
	echo "# expected status $1, got $STATUS: $(head -c 300 "$W/body" | tr '\n' ' ')"
	return 1
}

# jqt EXPR [jq args...]: the body satisfies the jq expression.
jqt() {
	_e=$1
	shift
	jq -e "$@" "$_e" <"$W/body" >/dev/null 2>&1 && return 0
	echo "# body fails $_e: $(head -c 300 "$W/body" | tr '\n' ' ')"
	return 1
}

header() {
	grep -i "^$1:" "$W/hdrs" | tail -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

header_matches() {
	_v=$(header "$1")
	printf '%s' "$_v" | grep -Eq "$2" && return 0
	echo "# header $1 is '$_v', expected /$2/"
	return 1
}

no_header() {
	grep -qi "^$1:" "$W/hdrs" || return 0
	echo "# unexpected header $(grep -i "^$1:" "$W/hdrs" | tr -d '\r')"
	return 1
}

# lt A B / ge A B: floating-point comparisons.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
now() { date +%s.%N; }

# new_token: issues an installation token into TOK.
new_token() {
	req POST /app/installations/12345/access_tokens \
	    -H "Authorization: Bearer $JWT"
	TOK=$(jq -r .token <"$W/body")
}

gh_headers() {
	header_matches content-type '^application/json; charset=utf-8$' &&
	    header_matches x-ratelimit-limit '^[0-9]+$' &&
	    header_matches x-ratelimit-remaining '^[0-9]+$' &&
	    header_matches x-ratelimit-reset '^[0-9]{10}$' &&
	    header_matches x-github-request-id '^[0-9A-F:]+$' &&
	    header_matches content-length '^[0-9]+$'
}

# --- start -------------------------------------------------------------
t0=$(now)
fakegh_start "$W/srv"
rc=$?
t1=$(now)
check "fakegh_start starts the server" [ "$rc" = 0 ]
[ "$rc" = 0 ] || exit 1
check "the server is up within 1 s ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s)" \
    lt "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" 1
check "FAKEGH_URL points at the port file's port" \
    [ "$FAKEGH_URL" = "http://127.0.0.1:$(cat "$W/srv/port")" ]
check "FAKEGH_PID is the running server" kill -0 "$FAKEGH_PID"

# A syntactically plausible RS256 app JWT (not verified by the server).
JWT=eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDYwMCwiaXNzIjoiNDI0MiJ9.c2lnbmF0dXJl

# --- access tokens -----------------------------------------------------
req POST /app/installations/12345/access_tokens
check "access_tokens without Authorization: 401 Bad credentials" \
    eval 'status_is 401 && jqt ".message == \"Bad credentials\""'
req POST /app/installations/12345/access_tokens -H 'Authorization: Basic dXNlcjpwYXNz'
check "access_tokens with Basic auth: 401" \
    eval 'status_is 401 && jqt ".message == \"Bad credentials\""'
req POST /app/installations/12345/access_tokens -H "Authorization: token $JWT"
check "access_tokens with 'token' scheme (not Bearer): 401" status_is 401
new_token
exp=$(date -u -d "$(jq -r .expires_at <"$W/body")" +%s 2>/dev/null || echo 0)
check "access_tokens with Bearer JWT: 201 and a ghs_ token" \
    eval 'status_is 201 && printf %s "$TOK" | grep -Eq "^ghs_[A-Za-z0-9]{36}$"'
check "access_tokens: expires_at is ISO 8601 Z about an hour ahead" \
    eval 'jqt ".expires_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\")" &&
    [ $((exp - $(date +%s))) -ge 3590 ] && [ $((exp - $(date +%s))) -le 3610 ]'
check "access_tokens: permissions object and repository_selection all" \
    jqt '(.permissions | type == "object" and length > 0) and .repository_selection == "all"'
check "responses carry GitHub's headers" gh_headers
curl -s "$FAKEGH_URL/_fake/tokens" >"$W/body"
check "/_fake/tokens lists the token with the app JWT that asked for it" \
    jqt 'map(select(.token == $t and .jwt == $j and .installation_id == 12345)) | length == 1' \
    --arg t "$TOK" --arg j "$JWT"
check "fakegh_tokens prints the same list" \
    eval '[ "$(fakegh_tokens | jq -r ".[0].token")" = "$TOK" ]'

# --- authentication of /repos ------------------------------------------
req GET /repos/o/r/pulls/1/files
check "/repos without Authorization: 401 Bad credentials" \
    eval 'status_is 401 && jqt ".message == \"Bad credentials\"" && gh_headers'
req GET /repos/o/r/pulls/1/files -H 'Authorization: Bearer ghs_notissuedxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
check "/repos with a token never issued: 401" status_is 401
req GET /repos/o/r/pulls/1/files -H "Authorization: Bearer $JWT"
check "/repos with the app JWT instead of a token: 401" status_is 401
req GET /repos/o/r/pulls/1/files -H "Authorization: token $TOK"
check "/repos with 'token ghs_...': 200" status_is 200
areq GET /repos/o/r/pulls/1/files
check "/repos with 'Bearer ghs_...': 200" status_is 200

# --- 404s ----------------------------------------------------------------
req GET /nothing/here
check "unknown route: 404 {\"message\":\"Not Found\"}" \
    eval 'status_is 404 && jqt ".message == \"Not Found\"" && gh_headers'
areq GET /repos/o/r/branches
check "unknown /repos route with a valid token: 404" \
    eval 'status_is 404 && jqt ".message == \"Not Found\""'
areq DELETE /repos/o/r/check-runs
check "wrong method on a known path: 404" status_is 404

# --- keep-alive --------------------------------------------------------
conns=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$FAKEGH_URL/nothing" "$FAKEGH_URL/nothing")
check "HTTP/1.1 keep-alive: curl reuses the connection (num_connects: $conns)" \
    [ "$conns" = "1 0 " ]

# --- pull request files ------------------------------------------------
i=1
set --
while [ $i -le 250 ]; do
	set -- "$@" "dir$((i % 7))/file$i.tf"
	i=$((i + 1))
done
check "fakegh_pr_files configures 250 files" fakegh_pr_files acme infra 7 "$@"
set --
areq GET '/repos/acme/infra/pulls/7/files?per_page=100&page=1'
link=$(header link)
check "files page 1 of 3: 100 files" eval 'status_is 200 && jqt "length == 100"'
check "files page 1: first is file1, last is file100" \
    jqt '.[0].filename == "dir1/file1.tf" and .[99].filename == "dir2/file100.tf"'
check "files page 1: Link rel=next page=2 and rel=last page=3, absolute" \
    eval 'printf %s "$link" | grep -Fq "<$FAKEGH_URL/repos/acme/infra/pulls/7/files?per_page=100&page=2>; rel=\"next\"" &&
    printf %s "$link" | grep -Fq "<$FAKEGH_URL/repos/acme/infra/pulls/7/files?per_page=100&page=3>; rel=\"last\"" ||
    { echo "# link: $link"; false; }'
next=$(printf %s "$link" | sed -n 's/.*<\([^>]*\)>; rel="next".*/\1/p')
curl -s -o "$W/body" -D "$W/hdrs" -H "Authorization: Bearer $TOK" "$next"
link=$(header link)
check "following rel=next: page 2 has 100 files starting at file101" \
    jqt 'length == 100 and .[0].filename == "dir3/file101.tf"'
check "files page 2: Link has next=3, last=3, prev=1, first=1" \
    eval 'printf %s "$link" | grep -Fq "page=3>; rel=\"next\"" &&
    printf %s "$link" | grep -Fq "page=3>; rel=\"last\"" &&
    printf %s "$link" | grep -Fq "page=1>; rel=\"prev\"" &&
    printf %s "$link" | grep -Fq "page=1>; rel=\"first\"" || { echo "# link: $link"; false; }'
next=$(printf %s "$link" | sed -n 's/.*<\([^>]*\)>; rel="next".*/\1/p')
curl -s -o "$W/body" -D "$W/hdrs" -H "Authorization: Bearer $TOK" "$next"
link=$(header link)
check "files page 3: the last 50 files, file201..file250" \
    jqt 'length == 50 and .[0].filename == "dir5/file201.tf" and .[49].filename == "dir5/file250.tf"'
check "files page 3: Link has no rel=next" \
    eval '! printf %s "$link" | grep -q "rel=\"next\"" && printf %s "$link" | grep -q "rel=\"prev\""'
areq GET /repos/acme/infra/pulls/7/files
check "files default per_page is 30, last page 9" \
    eval 'jqt "length == 30" && header_matches link "per_page=30&page=9>; rel=\"last\""'
areq GET '/repos/acme/infra/pulls/7/files?per_page=500'
check "files per_page is capped at 100" jqt 'length == 100'
areq GET '/repos/acme/infra/pulls/7/files?per_page=100&page=4'
check "files past the last page: []" jqt 'length == 0'
areq GET '/repos/acme/infra/pulls/7/files?per_page=1'
check "file objects have GitHub's fields" \
    jqt '.[0] | (.sha | test("^[0-9a-f]{40}$")) and .filename == "dir1/file1.tf" and
        .status == "modified" and .additions == 1 and .deletions == 0 and .changes == 1'
areq GET '/repos/acme/infra/pulls/8/files'
check "unknown PR: 200 [] without Link" \
    eval 'status_is 200 && jqt ". == []" && no_header link'
fakegh_pr_files acme infra 9 a/main.tf
areq GET '/repos/acme/infra/pulls/9/files'
check "a one-page PR has no Link header" eval 'jqt "length == 1" && no_header link'

# --- check runs ----------------------------------------------------------
areq POST /repos/acme/infra/check-runs -H 'Content-Type: application/json' -d '{"name":"plan"}'
check "check-run without head_sha: 422 Invalid request. with errors" \
    eval 'status_is 422 && jqt ".message == \"Invalid request.\" and (.errors | length > 0)"'
areq POST /repos/acme/infra/check-runs -d '{"head_sha":"abc"}'
check "check-run without name: 422" status_is 422
areq POST /repos/acme/infra/check-runs -d '{not json'
check "check-run with broken JSON: 400 Problems parsing JSON" \
    eval 'status_is 400 && jqt ".message == \"Problems parsing JSON\""'
areq POST /repos/acme/infra/check-runs -H 'Content-Type: application/json' \
    -d '{"name":"terrateam plan","head_sha":"0123456789abcdef0123456789abcdef01234567"}'
crid=$(jq -r .id <"$W/body")
check "check-run created: 201 with an integer id, status queued" \
    eval 'status_is 201 && jqt "(.id | type == \"number\") and .status == \"queued\" and .name == \"terrateam plan\" and .head_sha == \"0123456789abcdef0123456789abcdef01234567\""'
areq POST /repos/acme/infra/check-runs -d '{"name":"apply","head_sha":"abc","status":"in_progress"}'
check "check-run created with the given status" \
    eval 'status_is 201 && jqt ".status == \"in_progress\" and .id != $crid"'
areq PATCH "/repos/acme/infra/check-runs/$crid" \
    -d '{"status":"completed","conclusion":"success","output":{"title":"Plan","summary":"1 to add"}}'
check "check-run updated: 200 with the new fields" \
    eval 'status_is 200 && jqt ".id == $crid and .status == \"completed\" and .conclusion == \"success\" and .name == \"terrateam plan\" and .output.summary == \"1 to add\""'
areq PATCH /repos/acme/infra/check-runs/999 -d '{"status":"completed"}'
check "unknown check-run: 404" status_is 404
areq PATCH "/repos/other/repo/check-runs/$crid" -d '{"status":"completed"}'
check "check-run of another repository: 404" status_is 404

# --- comments ------------------------------------------------------------
areq POST /repos/acme/infra/issues/7/comments -d '{"text":"x"}'
check "comment without body: 422" \
    eval 'status_is 422 && jqt ".message == \"Invalid request.\""'
areq POST /repos/acme/infra/issues/7/comments -d '{"body":"## Plan\nok ✓"}'
check "comment created: 201 with id, body and html_url" \
    eval 'status_is 201 && jqt "(.id | type == \"number\") and .body == \"## Plan\nok ✓\" and (.html_url | test(\"^https://github.com/acme/infra/.*7\"))"'
curl -s "$FAKEGH_URL/_fake/state" >"$W/body"
check "/_fake/state lists the check runs and the comment" \
    jqt '(.check_runs | length == 2) and (.comments | length == 1)'

# --- contents ------------------------------------------------------------
long=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "line %d of a long terrateam config\n", i }')
fakegh_content acme infra .terrateam/config.yml "" "$long"
fakegh_content acme infra .terrateam/config.yml deadbeef "version: 2"
fakegh_content acme infra gone.txt "" "present for other refs"
fakegh_content acme infra gone.txt cafe
areq GET '/repos/acme/infra/contents/.terrateam/config.yml?ref=0123abc'
check "content for any ref: 200 type file, base64" \
    eval 'status_is 200 && jqt ".type == \"file\" and .encoding == \"base64\" and .path == \".terrateam/config.yml\" and (.sha | test(\"^[0-9a-f]{40}$\"))"'
check "content decodes to the configured text" \
    eval '[ "$(jq -r .content <"$W/body" | base64 -d)" = "$long" ]'
check "content base64 is wrapped every 60 characters" \
    jqt '.content | split("\n") | map(select(length > 0)) | (length > 1) and all(length <= 60) and (.[0] | length == 60)'
check "content size is the byte length" \
    eval 'jqt ".size == $(printf %s "$long" | wc -c)"'
areq GET '/repos/acme/infra/contents/.terrateam/config.yml?ref=deadbeef'
check "content for a specific ref wins over any-ref" \
    eval '[ "$(jq -r .content <"$W/body" | base64 -d)" = "version: 2" ]'
areq GET '/repos/acme/infra/contents/gone.txt?ref=cafe'
check "content null for a ref: 404 Not Found" \
    eval 'status_is 404 && jqt ".message == \"Not Found\""'
areq GET '/repos/acme/infra/contents/gone.txt?ref=other'
check "the same path at another ref: 200" status_is 200
areq GET '/repos/acme/infra/contents/missing.tf?ref=abc'
check "unconfigured content: 404" status_is 404

# --- token revocation and expiry -------------------------------------------
OLD=$TOK
fakegh_revoke_tokens
areq GET /repos/acme/infra/pulls/9/files
check "after revoke-tokens the old token gets 401" status_is 401
new_token
areq GET /repos/acme/infra/pulls/9/files
check "a freshly issued token works after revocation" \
    eval '[ "$TOK" != "$OLD" ] && status_is 200'
fakegh_config '{"token_ttl": 0}'
new_token
areq GET /repos/acme/infra/pulls/9/files
check "an expired token (token_ttl 0) gets 401" status_is 401
fakegh_config '{"token_ttl": 3600}'
new_token

# --- recorded requests ---------------------------------------------------
fakegh_requests '/check-runs$' POST >"$W/body"
check "fakegh_requests filters by path regex and method" \
    jqt 'length == 5 and all(.method == "POST")'
check "a recorded request has method, path, headers, body, time, status" \
    jqt 'map(select(.status == 201)) | .[0] | .path == "/repos/acme/infra/check-runs" and
        (.headers.authorization | startswith("Bearer ghs_")) and
        .headers["content-type"] == "application/json" and
        (.body | fromjson | .name == "terrateam plan") and
        (.time | type == "number") and .fault == null'
fakegh_requests 'per_page=100&page=2' >"$W/body"
check "recorded paths include the query string" jqt 'length == 1'
check "fakegh_count counts (check-runs POST: 5)" \
    [ "$(fakegh_count '/check-runs$' POST)" = 5 ]
check "fakegh_count without a method counts every method" \
    [ "$(fakegh_count '/check-runs')" = 9 ]
fakegh_requests >"$W/body"
total=$(jq length <"$W/body")
check "control requests are not recorded" jqt 'all(.path | startswith("/_fake/") | not)'
check "requests.jsonl has one line per recorded request ($total)" \
    eval '[ "$(wc -l <"$W/srv/requests.jsonl")" -eq "$total" ] &&
    [ "$(tail -1 "$W/srv/requests.jsonl" | jq -r .seq)" = "$total" ]'

# --- faults --------------------------------------------------------------
fakegh_fault '{"mode":"normal","count":1}'
fakegh_fault '{"mode":"error","status":503,"count":1}'
areq GET /repos/acme/infra/pulls/9/files
s1=$STATUS
areq GET /repos/acme/infra/pulls/9/files
s2=$STATUS
cp "$W/body" "$W/body503"
areq GET /repos/acme/infra/pulls/9/files
check "normal x1 then error 503 x1: 200, 503, 200" \
    [ "$s1 $s2 $STATUS" = "200 503 200" ]
cp "$W/body503" "$W/body"
check "error body is {\"message\":\"Server Error\"}" jqt '.message == "Server Error"'
fakegh_fault '{"mode":"error","status":500}'
fakegh_fault '{"mode":"error","status":502}'
areq GET /repos/acme/infra/pulls/9/files
s1=$STATUS
areq GET /repos/acme/infra/pulls/9/files
check "faults queue in order (500 then 502), default count 1" \
    eval '[ "$s1 $STATUS" = "500 502" ] && gh_headers'

fakegh_fault '{"mode":"slow","delay":1.2}'
areq GET /repos/acme/infra/pulls/9/files
check "slow 1.2 s: answers normally after the delay ($TIME s)" \
    eval 'status_is 200 && ge "$TIME" 1.2 && lt "$TIME" 3'

fakegh_fault '{"mode":"ratelimit403","reset_in":120}'
t=$(date +%s)
areq GET /repos/acme/infra/pulls/9/files
reset=$(header x-ratelimit-reset)
check "ratelimit403: 403, x-ratelimit-remaining 0, reset now+120" \
    eval 'status_is 403 && header_matches x-ratelimit-remaining "^0$" &&
    [ $((reset - t)) -ge 118 ] && [ $((reset - t)) -le 122 ] &&
    jqt ".message | startswith(\"API rate limit exceeded\")"'
fakegh_fault '{"mode":"ratelimit429","retry_after":7}'
areq GET /repos/acme/infra/pulls/9/files
check "ratelimit429: 429 with retry-after 7" \
    eval 'status_is 429 && header_matches retry-after "^7$"'
fakegh_fault '{"mode":"secondary403","retry_after":30}'
areq POST /repos/acme/infra/issues/7/comments -d '{"body":"x"}'
check "secondary403: 403 with retry-after and the secondary limit message" \
    eval 'status_is 403 && header_matches retry-after "^30$" &&
    jqt ".message | startswith(\"You have exceeded a secondary rate limit\")"'

fakegh_fault '{"mode":"redirect","location":"http://evil.invalid/steal"}'
out=$(curl -s -o /dev/null -w '%{http_code} %{num_redirects} %{redirect_url}' \
    -H "Authorization: Bearer $TOK" "$FAKEGH_URL/repos/acme/infra/pulls/9/files")
check "redirect: 302 with Location to another host ($out)" \
    [ "$out" = "302 0 http://evil.invalid/steal" ]
fakegh_fault '{"mode":"redirect","status":307,"location":"http://127.0.0.2:1/x"}'
areq POST /repos/acme/infra/check-runs -d '{"name":"a","head_sha":"b"}'
check "redirect 307" eval 'status_is 307 && header_matches location "^http://127.0.0.2:1/x$"'

fakegh_fault '{"mode":"blackhole","match":"/pulls/666/"}'
(
	curl -s -o /dev/null -m 2 -H "Authorization: Bearer $TOK" \
	    "$FAKEGH_URL/repos/acme/infra/pulls/666/files"
	echo $? >"$W/bh.rc"
) &
bh=$!
BGPIDS="$BGPIDS $bh"
sleep 0.4
areq GET /repos/acme/infra/pulls/9/files
check "during a blackhole, a concurrent request answers fast ($TIME s)" \
    eval 'status_is 200 && lt "$TIME" 0.5'
wait "$bh"
check "blackhole: curl -m 2 times out (exit $(cat "$W/bh.rc" 2>/dev/null))" \
    [ "$(cat "$W/bh.rc" 2>/dev/null)" = 28 ]
fakegh_requests '/pulls/666/' >"$W/body"
check "the blackholed request is recorded (fault blackhole, status null)" \
    jqt 'length == 1 and .[0].fault == "blackhole" and .[0].status == null'
fakegh_fault '{"mode":"blackhole","delay":0.5}'
req GET /nothing
check "blackhole with delay 0.5: the connection closes without an answer" \
    eval '[ "$CURLRC" = 52 ] && lt "$TIME" 1.5 && ge "$TIME" 0.5'

fakegh_fault '{"mode":"hangup"}'
req GET /nothing
check "hangup: closed without an answer (curl exit $CURLRC)" [ "$CURLRC" = 52 ]

fakegh_fault '{"mode":"huge","size":52428800}'
out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 30 \
    -H "Authorization: Bearer $TOK" "$FAKEGH_URL/repos/acme/infra/pulls/9/files")
check "huge: 200 with 50 MiB ($out)" [ "$out" = "200 52428800" ]
fakegh_fault '{"mode":"huge","size":52428800}'
curl -s -o /dev/null --max-filesize 1000000 --max-time 30 \
    -H "Authorization: Bearer $TOK" "$FAKEGH_URL/repos/acme/infra/pulls/9/files"
rc=$?
check "huge: a capped client can refuse it (curl --max-filesize exit $rc)" [ "$rc" = 63 ]
fakegh_fault '{"mode":"huge","size":3000000,"chunked":true}'
out=$(curl -s -D "$W/hdrs" -o /dev/null -w '%{http_code} %{size_download}' --max-time 30 \
    "$FAKEGH_URL/nothing")
check "huge chunked: 3000000 bytes without Content-Length ($out)" \
    eval '[ "$out" = "200 3000000" ] && no_header content-length'
areq GET /repos/acme/infra/pulls/9/files
check "the server still answers after a huge body was abandoned" status_is 200

fakegh_fault '{"mode":"error","match":"/contents/"}'
areq GET /repos/acme/infra/pulls/9/files
s1=$STATUS
areq GET '/repos/acme/infra/contents/gone.txt?ref=x'
s2=$STATUS
areq GET '/repos/acme/infra/contents/gone.txt?ref=x'
check "match restricts a fault to matching paths: 200, 500, 200" \
    [ "$s1 $s2 $STATUS" = "200 500 200" ]
fakegh_fault '{"mode":"error","status":502,"method":"POST"}'
areq GET /repos/acme/infra/pulls/9/files
s1=$STATUS
areq POST /repos/acme/infra/issues/7/comments -d '{"body":"x"}'
check "method restricts a fault to one method: GET 200, POST 502" \
    [ "$s1 $STATUS" = "200 502" ]
fakegh_fault '{"mode":"error","status":503,"count":-1,"match":"/pulls/9/"}'
r=
for i in 1 2 3 4; do
	areq GET /repos/acme/infra/pulls/9/files
	r="$r$STATUS "
done
areq GET /repos/acme/infra/pulls/7/files
check "count -1 applies forever (${r}), other paths unaffected" \
    eval '[ "$r" = "503 503 503 503 " ] && status_is 200'
curl -s "$FAKEGH_URL/_fake/faults" >"$W/body"
check "/_fake/faults shows the permanent fault" jqt 'length == 1 and .[0].count == -1'
fakegh_requests >"$W/body"
check "faulted requests are recorded with their fault's name" \
    jqt '[.[].fault | select(. != null)] | unique == ["blackhole","error","hangup","huge","normal","ratelimit403","ratelimit429","redirect","secondary403","slow"]'
req POST /_fake/fault -d '{"mode":"explode"}'
check "an unknown fault mode is refused with 400" status_is 400

# --- scoped installation tokens ------------------------------------------
req POST /app/installations/12345/access_tokens -H "Authorization: Bearer $JWT" \
    -d '{"repositories":["infra"],"permissions":{"contents":"read","pull_requests":"write"}}'
STOK=$(jq -r .token <"$W/body")
check "a scoped token: 201, selected, the permissions asked, the repositories" \
    eval 'status_is 201 && jqt ".repository_selection == \"selected\" and
    .permissions == {\"contents\":\"read\",\"pull_requests\":\"write\"} and
    (.repositories | map(.name)) == [\"infra\"]"'
fakegh_tokens >"$W/body"
check "/_fake/tokens records the scoping asked for" \
    jqt 'map(select(.token == $t))[0] | .repositories == ["infra"] and
        .requested_permissions == {"contents":"read","pull_requests":"write"} and
        .permissions == .requested_permissions and .repository_selection == "selected"' \
    --arg t "$STOK"
check "an unscoped token: repositories and requested_permissions null, the App's permissions" \
    jqt 'map(select(.token == $t))[0] | .repositories == null and
        .requested_permissions == null and .permissions.actions == "write" and
        .repository_selection == "all"' --arg t "$TOK"
req GET /repos/acme/infra/pulls/7/files -H "Authorization: Bearer $STOK"
s1=$STATUS
req GET /repos/acme/other/pulls/7/files -H "Authorization: Bearer $STOK"
check "a token scoped to infra: 200 there, 404 on another repository" \
    eval '[ "$s1" = 200 ] && status_is 404 && jqt ".message == \"Not Found\""'
req POST /repos/acme/infra/check-runs -H "Authorization: Bearer $STOK" \
    -d '{"name":"x","head_sha":"y"}'
check "a token without checks: write: 403 Resource not accessible by integration" \
    eval 'status_is 403 && jqt ".message == \"Resource not accessible by integration\""'
req POST /app/installations/12345/access_tokens -H "Authorization: Bearer $JWT" \
    -d '{"permissions":{"administration":"write"}}'
s1=$STATUS
req POST /app/installations/12345/access_tokens -H "Authorization: Bearer $JWT" \
    -d '{"permissions":{"contents":"admin"}}'
check "asking for a permission or level the App lacks: 422" \
    eval '[ "$s1" = 422 ] && status_is 422'
req POST /app/installations/12345/access_tokens -H "Authorization: Bearer $JWT" \
    -d '{"repositories":"infra"}'
check "repositories not an array of names: 422" status_is 422

# --- pull requests -------------------------------------------------------
H1=1111111111111111111111111111111111111111
H2=2222222222222222222222222222222222222222
H3=3333333333333333333333333333333333333333
check "fakegh_pull sets a pull request" fakegh_pull acme infra 21 "$H1" feature-x main
areq GET /repos/acme/infra/pulls/21
check "GET pulls/21: 200 number, state open, head {sha, ref}, base {sha, ref}" \
    eval 'status_is 200 && gh_headers && jqt ".number == 21 and .state == \"open\" and
    .head.sha == \"$H1\" and .head.ref == \"feature-x\" and .base.ref == \"main\" and
    (.base.sha | test(\"^[0-9a-f]{40}$\")) and .merged == false" --arg H1 "$H1"'
check "GET pulls/21: a title, user.login octocat by default, head.repo.full_name" \
    jqt '(.title | length > 0) and .user.login == "octocat" and
        .head.repo.full_name == "acme/infra" and .base.label == "acme:main"'
fakegh_pull acme infra 21 "$H2" feature-x main closed "Retitled" ana
areq GET /repos/acme/infra/pulls/21
check "fakegh_pull again: closed, new head sha, title and author" \
    jqt '.state == "closed" and .head.sha == $h and .title == "Retitled" and
        .user.login == "ana" and (.closed_at | type == "string")' --arg h "$H2"
areq GET /repos/acme/infra/pulls/22
s1=$STATUS
areq GET /repos/acme/other/pulls/21
check "an unset pull request, or another repository's: 404" \
    eval '[ "$s1" = 404 ] && status_is 404'
req POST /_fake/pull -d '{"owner":"acme","repo":"infra","number":3,"head_sha":"x","head_ref":"y","base_ref":"main","state":"merged"}'
check "/_fake/pull with state neither open nor closed: 400" status_is 400

# --- collaborator permissions --------------------------------------------
areq GET /repos/acme/infra/collaborators/ana/permission
check "a user nobody set: permission read (tests opt in to write)" \
    eval 'status_is 200 && jqt ".permission == \"read\" and .role_name == \"read\" and
    .user.login == \"ana\" and .user.permissions.push == false"'
fakegh_permission acme infra ana write
fakegh_permission acme infra Boss admin
fakegh_permission acme infra mallory none
fakegh_permission acme infra tri triage
fakegh_permission acme infra mai maintain
r=
for u in ana boss mallory tri mai; do
	areq GET "/repos/acme/infra/collaborators/$u/permission"
	r="$r$(jq -r '"\(.permission)/\(.role_name)"' <"$W/body") "
done
check "fakegh_permission: write, admin (login case-insensitive), none, triage -> read, maintain -> write ($r)" \
    [ "$r" = "write/write admin/admin none/none read/triage write/maintain " ]
areq GET /repos/acme/other/collaborators/ana/permission
check "permissions are per repository (ana on acme/other: read)" jqt '.permission == "read"'
check "fakegh_permission refuses an unknown permission" \
    eval '! fakegh_permission acme infra ana owner 2>/dev/null'

# --- check runs: GET and PATCH -------------------------------------------
areq POST /repos/acme/infra/check-runs \
    -d "{\"name\":\"terrateam plan\",\"head_sha\":\"$H1\",\"status\":\"in_progress\"}"
CID=$(jq -r .id <"$W/body")
areq PATCH "/repos/acme/infra/check-runs/$CID" \
    -d '{"status":"completed","conclusion":"success","output":{"title":"Plan","summary":"1 to add"}}'
check "PATCH check-runs/ID: 200 completed, success, the output" \
    eval 'status_is 200 && jqt ".status == \"completed\" and .conclusion == \"success\" and
    .output.title == \"Plan\" and .output.summary == \"1 to add\" and (.completed_at | type == \"string\")"'
areq GET "/repos/acme/infra/check-runs/$CID"
check "GET check-runs/ID: the current check run" \
    eval 'status_is 200 && gh_headers && jqt ".id == $CID and .conclusion == \"success\" and
    .output.summary == \"1 to add\" and .head_sha == \"$H1\""'
areq GET "/repos/acme/other/check-runs/$CID"
s1=$STATUS
areq GET /repos/acme/infra/check-runs/1
check "GET check-runs: another repository's or an unknown one: 404" \
    eval '[ "$s1" = 404 ] && status_is 404'
fakegh_requests "/check-runs/$CID\$" PATCH >"$W/body"
check "the PATCH is recorded with its status, conclusion and output" \
    jqt 'length == 1 and (.[0].body | fromjson | .conclusion == "success" and .output.title == "Plan")'

# --- workflows -----------------------------------------------------------
areq GET /repos/acme/infra/actions/workflows
check "workflows: one by default, Terrateam Workflow, terrateam.yml, active" \
    eval 'status_is 200 && gh_headers && jqt ".total_count == 1 and (.workflows[0] |
    .id == 161335 and .name == \"Terrateam Workflow\" and
    .path == \".github/workflows/terrateam.yml\" and .state == \"active\")"'
check "fakegh_workflows acme empty '[]'" fakegh_workflows acme empty '[]'
areq GET /repos/acme/empty/actions/workflows
check "a repository with no workflows: total_count 0" jqt '.total_count == 0 and .workflows == []'
fakegh_workflows acme other '[{"id": 77, "name": "CI", "path": ".github/workflows/ci.yml"},
    {"path": ".github/workflows/tt.yml", "inputs": ["work-token", "api-base-url", "environment"]}]'
areq GET /repos/acme/other/actions/workflows
check "fakegh_workflows: the ids given, else 161335 + index; the default's other fields" \
    jqt '.total_count == 2 and [.workflows[].id] == [77, 161336] and
        .workflows[1].name == "Terrateam Workflow" and .workflows[1].path == ".github/workflows/tt.yml"'
fakegh_workflows acme off '[{"state": "disabled_manually"}, {"id": 5, "path": ".github/workflows/push.yml", "dispatchable": false}]'

# --- dispatches ----------------------------------------------------------
DI='{"ref":"feature-x","inputs":{"work-token":"wm-1","api-base-url":"http://127.0.0.1:1/api/github"}}'
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches -d "$DI"
check "dispatch by file name: 204, no body" \
    eval 'status_is 204 && [ ! -s "$W/body" ] && header_matches x-github-request-id "^[0-9A-F:]+$"'
areq POST /repos/acme/infra/actions/workflows/161335/dispatches -d "$DI"
check "dispatch by numeric id: 204" status_is 204
r=
for wf in nope.yml 999 ci.yml; do
	areq POST "/repos/acme/infra/actions/workflows/$wf/dispatches" -d "$DI"
	r="$r$STATUS "
done
check "dispatch of an unknown workflow: 404 ($r)" [ "$r" = "404 404 404 " ]
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d '{"ref":"feature-x","inputs":{"work-token":"w","api-base-url":"u","environment":"prod"}}'
check "an input the workflow does not declare: 422 Unexpected inputs" \
    eval 'status_is 422 && jqt ".message | startswith(\"Unexpected inputs provided\") and contains(\"environment\")"'
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d '{"ref":"feature-x","inputs":{"work-token":123,"api-base-url":"u"}}'
check "an input value that is not a string: 422" \
    eval 'status_is 422 && jqt ".message | contains(\"is not a string\")"'
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d '{"inputs":{"work-token":"w"}}'
check "no ref: 422" eval 'status_is 422 && jqt ".message | contains(\"ref\")"'
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d '{"ref":"main","inputs":{"api-base-url":"u"}}'
check "the required work-token missing: 422" \
    eval 'status_is 422 && jqt ".message == \"Required input '"'"'work-token'"'"' not provided\""'
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches -d 'nope'
check "a body that is not JSON: 400" status_is 400
areq POST /repos/acme/other/actions/workflows/tt.yml/dispatches \
    -d '{"ref":"refs/heads/feature-x","inputs":{"work-token":"w","environment":"prod"}}'
check "a workflow declaring environment takes it; ref refs/heads/...: 204" status_is 204
areq POST /repos/acme/off/actions/workflows/161335/dispatches -d "$DI"
s1=$STATUS
areq POST /repos/acme/off/actions/workflows/push.yml/dispatches -d "$DI"
check "a disabled workflow, one without workflow_dispatch: 422, 422" \
    eval '[ "$s1" = 422 ] && status_is 422 && jqt ".message | contains(\"workflow_dispatch\")"'
fakegh_dispatches acme infra >"$W/body"
check "fakegh_dispatches OWNER REPO: the two accepted, workflow_id as sent, no run" \
    jqt 'length == 2 and [.[].workflow_id] == ["terrateam.yml", "161335"] and
        all(.workflow == 161335 and .ref == "feature-x" and .branch == "feature-x" and
        .inputs == {"work-token": "wm-1", "api-base-url": "http://127.0.0.1:1/api/github"} and
        .run_id == null)'
fakegh_dispatches >"$W/body"
check "fakegh_dispatches: every repository's (3); refs/heads/ stripped in branch" \
    jqt 'length == 3 and .[2].ref == "refs/heads/feature-x" and .[2].branch == "feature-x" and .[2].workflow == 161336'
check "dispatch requests are recorded like any other" \
    [ "$(fakegh_count '/dispatches$' POST)" = 13 ]
req POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches -d "$DI"
check "dispatch without a token: 401" status_is 401

# --- dispatches that run the stand-in runner -----------------------------
python3 - "$W/done.port" "$W/done.bodies" <<'PY' 2>/dev/null &
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(sys.argv[2], "ab") as f:
            f.write(body + b"\n")
        data = b'{"type": "done"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
BGPIDS="$BGPIDS $!"
i=0
while [ ! -s "$W/done.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
DONE=http://127.0.0.1:$(cat "$W/done.port")/api/github
check "fakegh_runner on ARGS" fakegh_runner on --backoff-initial 0.01 --plan-text 'x y'
check "fakegh_branch sets a branch head" fakegh_branch acme infra feature-y "$H3"
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d "{\"ref\":\"refs/heads/feature-y\",\"inputs\":{\"work-token\":\"wm-ok\",\"api-base-url\":\"$DONE\"}}"
s1=$STATUS
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d "{\"ref\":\"feature-x\",\"inputs\":{\"work-token\":\"wm-404\",\"api-base-url\":\"$FAKEGH_URL/api/github\"}}"
s2=$STATUS
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d '{"ref":"feature-x","inputs":{"work-token":"wm-nobase"}}'
check "runner on: dispatches answer 204 at once ($s1 $s2 $STATUS)" \
    [ "$s1 $s2 $STATUS" = "204 204 204" ]
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches -d \
    "{\"ref\":\"no-such-branch\",\"inputs\":{\"work-token\":\"w\",\"api-base-url\":\"$DONE\"}}"
check "runner on: a ref with no registered head: 422 No ref found for" \
    eval 'status_is 422 && jqt ".message == \"No ref found for: no-such-branch\""'
check "fakegh_wait_runs 3: every run completed" fakegh_wait_runs 3 30
fakegh_runs acme infra >"$W/runs"
cp "$W/runs" "$W/body"
check "fakegh_runs: three runs with fresh ids from 9100000001" \
    jqt 'length == 3 and ([.[].id] | sort) == [9100000001, 9100000002, 9100000003]'
RID=$(jq -r '.[] | select(.inputs["work-token"] == "wm-ok") | .id' <"$W/runs")
RID2=$(jq -r '.[] | select(.inputs["work-token"] == "wm-404") | .id' <"$W/runs")
check "the run against a done server: success, exit 0, head sha of its branch" \
    jqt '.[] | select(.id == $id) | .conclusion == "success" and .exit_status == 0 and
        .head_sha == $h and .head_branch == "feature-y" and .status == "completed"' \
    --argjson id "$RID" --arg h "$H3"
check "the runner was started with --work-token, --api-base-url, --run-id, --sha, then the args" \
    jqt '.[] | select(.id == $id) | .args[1:] | . == ["--api-base-url", $b, "--work-token",
        "wm-ok", "--run-id", ($id | tostring), "--sha", $h, "--log", .[9],
        "--backoff-initial", "0.01", "--plan-text", "x y"]' \
    --argjson id "$RID" --arg h "$H3" --arg b "$DONE"
check "the runner's R1 reached the done server: {run_id: the run id, sha}" \
    eval '[ "$(head -1 "$W/done.bodies" | jq -c .)" = "{\"run_id\":\"$RID\",\"sha\":\"$H3\"}" ]'
LOGF=$(jq -r --argjson id "$RID" '.[] | select(.id == $id) | .log' <"$W/runs")
check "the run's log file is the runner's --log (exit 0, one initiate)" \
    eval 'case $LOGF in "$W/srv/runs/run-$RID.jsonl") ;; *) false ;; esac &&
    [ "$(tail -1 "$LOGF" | jq -c "[.event, .status, .manifests]")" = "[\"exit\",0,1]" ]'
check "a runner that got 404 from initiate: failure, exit 1, its output says why" \
    eval 'jq -e --argjson id "$RID2" ".[] | select(.id == \$id) | .conclusion == \"failure\" and
    .exit_status == 1 and .head_sha == \"$H2\"" <"$W/runs" >/dev/null &&
    grep -q "work manifest not found" "$W/srv/runs/run-$RID2.out"'
check "a dispatch without api-base-url: the run fails without starting" \
    jqt '.[] | select(.inputs["work-token"] == "wm-nobase") | .conclusion == "failure" and
        .exit_status == null and (.error | contains("api-base-url"))'
fakegh_dispatches acme infra >"$W/body"
check "each dispatch records its run id" \
    jqt 'map(.run_id) | contains([$a, $b])' --argjson a "$RID" --argjson b "$RID2"
check "dispatches that started a run: 3" jqt '[.[] | select(.run_id != null)] | length == 3'
areq GET "/repos/acme/infra/actions/runs/$RID"
check "GET actions/runs/ID: the run (workflow_dispatch, head sha and branch, completed, success, path)" \
    eval 'status_is 200 && gh_headers && jqt ".id == $RID and .event == \"workflow_dispatch\" and
    .head_sha == \"$H3\" and .head_branch == \"feature-y\" and .status == \"completed\" and
    .conclusion == \"success\" and .path == \".github/workflows/terrateam.yml\" and .workflow_id == 161335"'
areq GET "/repos/acme/other/actions/runs/$RID"
s1=$STATUS
areq GET /repos/acme/infra/actions/runs/42
check "GET actions/runs: another repository's or an unknown run: 404" \
    eval '[ "$s1" = 404 ] && status_is 404'
fakegh_runner_config '{"delay": 1}' >/dev/null
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d "{\"ref\":\"feature-y\",\"inputs\":{\"work-token\":\"wm-late\",\"api-base-url\":\"$DONE\"}}"
RID3=$(fakegh_runs acme infra | jq -r '.[] | select(.inputs["work-token"] == "wm-late") | .id')
areq GET "/repos/acme/infra/actions/runs/$RID3"
check "with delay 1 a run is queued first" jqt '.status == "queued" and .conclusion == null'
fakegh_wait_runs 4 30
areq GET "/repos/acme/infra/actions/runs/$RID3"
check "then completes" jqt '.status == "completed" and .conclusion == "success"'
fakegh_fault '{"mode":"blackhole","match":"^/hang/","count":-1}'
fakegh_runner_config '{"delay": 0}' >/dev/null
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches \
    -d "{\"ref\":\"feature-y\",\"inputs\":{\"work-token\":\"wm-hang\",\"api-base-url\":\"$FAKEGH_URL/hang\"}}"
i=0
HPID=
while [ -z "$HPID" ] && [ $i -lt 100 ]; do
	HPID=$(fakegh_runs acme infra | jq -r '.[] | select(.inputs["work-token"] == "wm-hang" and
	    .status == "in_progress") | .pid')
	sleep 0.05
	i=$((i + 1))
done
check "a runner whose initiate hangs is in progress" eval '[ -n "$HPID" ] && kill -0 "$HPID"'
check "fakegh_runner off" fakegh_runner off
areq POST /repos/acme/infra/actions/workflows/terrateam.yml/dispatches -d "$DI"
check "runner off: 204, no run" \
    eval 'status_is 204 && [ "$(fakegh_runs | jq length)" = 5 ] &&
    [ "$(fakegh_dispatches acme infra | jq ".[-1].run_id")" = null ]'

# --- reset ---------------------------------------------------------------
fakegh_reset
areq GET /repos/acme/infra/pulls/9/files
s1=$STATUS
new_token
areq GET /repos/acme/infra/pulls/7/files
s2=$STATUS
check "reset forgets tokens, faults and PR files (401, then 200 [])" \
    eval '[ "$s1 $s2" = "401 200" ] && jqt ". == []"'
check "reset clears the recorded requests and requests.jsonl" \
    eval '[ "$(fakegh_count "")" = 3 ] && [ "$(wc -l <"$W/srv/requests.jsonl")" = 3 ]'
check "reset ends a running runner" \
    eval 'i=0; while kill -0 "$HPID" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done;
    ! kill -0 "$HPID" 2>/dev/null'
fakegh_runs >"$W/body"
s1=$(jq length <"$W/body")
areq GET /repos/acme/infra/pulls/21
s2=$STATUS
areq GET /repos/acme/other/actions/workflows
s3=$(jq .total_count <"$W/body")
areq GET /repos/acme/infra/collaborators/ana/permission
check "reset forgets runs, pulls, workflows and permissions ($s1 $s2 $s3)" \
    eval '[ "$s1 $s2 $s3" = "0 404 1" ] && jqt ".permission == \"read\"" &&
    [ "$(fakegh_dispatches | jq length)" = 0 ]'

# --- stopping ------------------------------------------------------------
fakegh_fault '{"mode":"blackhole"}'
(
	curl -s -o /dev/null -m 20 "$FAKEGH_URL/nothing"
	echo $? >"$W/bh2.rc"
) &
bh=$!
BGPIDS="$BGPIDS $bh"
sleep 0.3
pid=$FAKEGH_PID
t0=$(now)
fakegh_stop
t1=$(now)
wait "$bh"
check "SIGTERM stops the server promptly despite a held connection" \
    eval '! kill -0 "$pid" 2>/dev/null && lt "$(awk -v a="$t0" -v b="$t1" "BEGIN{print b-a}")" 2'
check "the held connection was closed at shutdown (curl exit $(cat "$W/bh2.rc"))" \
    [ "$(cat "$W/bh2.rc")" = 52 ]
check "the server logged to stderr" grep -q 'listening on http://127.0.0.1:' "$W/srv/server.log"

sleep 30 &
parent=$!
python3 "$FAKEGH_SCRIPT" --port 0 --port-file "$W/p2/port" --state-dir "$W/p2" \
    --parent-pid "$parent" 2>/dev/null &
orphan=$!
BGPIDS="$BGPIDS $orphan $parent"
i=0
while [ ! -s "$W/p2/port" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
kill "$parent"
i=0
while kill -0 "$orphan" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
check "--parent-pid: the server exits when its parent is gone" \
    eval '! kill -0 "$orphan" 2>/dev/null'
wait "$orphan" 2>/dev/null
wait "$parent" 2>/dev/null

echo "1..$N"
[ "$FAILED" -eq 0 ] || echo "# $FAILED of $N failed"
[ "$FAILED" -eq 0 ]
