#!/bin/bash
# manifests.sh: work manifests and dirspaces: fields, access, keyset
# pagination that neither skips nor repeats rows while rows are added,
# ETag/If-None-Match.
# passes: lighttpd apache asan cgi cgi-asan valgrind
# needs: -
. "$TOP/tests/harness/lib.sh"

inst=$(( (RANDOM << 15 | RANDOM) + 100000 ))
other=$((inst + 1))
tt=$TOP/bin/ttctl
user=$($tt user create --github-login "wm-$$-$RANDOM")
$tt installation create --id "$inst" --login "wm-$inst" >/dev/null
$tt installation create --id "$other" --login "wm-$other" >/dev/null
$tt installation add-member --id "$inst" --user "$user" >/dev/null
$tt installation add-member --id "$other" --user "$user" >/dev/null
$tt manifests seed --installation "$inst" --count 45 >/dev/null
$tt manifests seed --installation "$other" --count 3 >/dev/null
key=$($tt key create --user "$user" --name wm --cap "installation:$inst" 2>/dev/null)
nocap=$($tt key create --user "$user" --name wm-nocap --cap kv_store_read 2>/dev/null)
tok() {
	curl -s -X POST -H 'Content-Length: 0' -H "Authorization: Bearer $1" \
	    "$BASE/api/v1/access-token/refresh" | jq -r .access_token
}
T1=$(tok "$key"); T0=$(tok "$nocap")
[ -n "${TT_ISSUED_SECRETS:-}" ] && printf '%s\n' "$key" "$nocap" "$T1" "$T0" >>"$TT_ISSUED_SECRETS"
A="Authorization: Bearer $T1"
WM=/api/v1/github/installations/$inst/work-manifests

http GET "$WM" -H "$A"
check "list answers 200 with 20 manifests by default" json_is '.work_manifests | length' 20
check "newest first" json_is '.work_manifests[0].created_at' 2026-01-02T21:00:00Z
check "a PR manifest has kind.pull_number" json_is '[.work_manifests[] | select(.kind | type == "object")][0].kind.pull_number | type' number
check "a drift manifest has kind \"drift\"" json_is '[.work_manifests[] | select(.kind == "drift")] | length > 0' true
check "null optional fields are omitted" json_is '[.work_manifests[] | select(has("run_id") and .run_id == null)] | length' 0
check "repo_id is a string" json_is '.work_manifests[0].repo_id | type' string
check "a next link is given" header_matches Link 'rel="next"'

http GET "/api/v1/installations/$inst/work-manifests?limit=3" -H "$A"
check "the legacy path without /github answers too" json_is '.work_manifests | length' 3

# Walk every page while new rows keep arriving at the head.
seen=$T/seen; : >"$seen"
url="$WM?limit=7"; pages=0
while [ -n "$url" ] && [ $pages -lt 20 ]; do
	http GET "$url" -H "$A"
	jq -r '.work_manifests[].id' <"$T/body" >>"$seen"
	psql "$TT_DATABASE_URL" -qAtc "INSERT INTO work_manifests (installation_id, repo_id, pull_number, run_type, state, base_sha, sha, base_branch, branch, created_at) VALUES ($inst, ${inst}1, 1, 'plan', 'completed', 'a', 'b', 'main', 'x', now())" >/dev/null
	url=$(header Link | sed -n 's/.*<\([^>]*\)>; rel="next".*/\1/p')
	pages=$((pages + 1))
done
check "paging visits all 45 seeded rows once while rows are inserted" \
    sh -c '[ "$(sort "$1" | uniq | wc -l)" = 45 ] && [ "$(wc -l <"$1")" = 45 ]' - "$seen"

# prev goes back to the same rows.
http GET "$WM?limit=5" -H "$A"
first=$(jq -c '[.work_manifests[].id]' <"$T/body")
next=$(header Link | sed -n 's/.*<\([^>]*\)>; rel="next".*/\1/p')
http GET "$next" -H "$A"
prev=$(header Link | sed -n 's/.*<\([^>]*\)>; rel="prev".*/\1/p')
http GET "$prev" -H "$A"
check "rel=prev returns the previous page" json_is '[.work_manifests[].id] | tostring' "$first"

id=$(jq -r '.work_manifests[0].id' <"$T/body")
http GET "$WM/$id" -H "$A"
check "one work manifest by id" json_is .id "$id"
etag=$(header ETag)
http GET "$WM/$id" -H "$A" -H "If-None-Match: $etag"
check "If-None-Match with its ETag answers 304" status_is 304
http GET "$WM?limit=4" -H "$A"
etag=$(header ETag)
http GET "$WM?limit=4" -H "$A" -H "If-None-Match: $etag"
check "the list's ETag also gives 304" status_is 304

oid=$(psql "$TT_DATABASE_URL" -qAtc "SELECT id FROM work_manifests WHERE installation_id = $other LIMIT 1")
http GET "$WM/$oid" -H "$A"
check "a manifest of another installation is a 404" error_is 404 NOT_FOUND
http GET "/api/v1/github/installations/$other/work-manifests" -H "$A"
check "another installation's list needs its capability (403)" error_is 403 NO_INSTALLATION_ACCESS
http GET "$WM" -H "Authorization: Bearer $T0"
check "without the installation_id capability: 403" error_is 403 NO_INSTALLATION_ACCESS
http GET "$WM"
check "without a token: 401" error_is 401 UNAUTHORIZED

http GET "/api/v1/github/installations/$inst/dirspaces?limit=10" -H "$A"
check "dirspaces list rows with dir, workspace and state" \
    json_is '[.dirspaces[] | select(has("dir") and has("workspace") and (.state | test("^(aborted|failure|queued|running|success|unknown)$")))] | length' 10
check "dirspace rows carry no dirspaces or repo_id" json_is '[.dirspaces[] | select(has("dirspaces") or has("repo_id"))] | length' 0
ds=$(jq -c . <"$T/body")
http GET "/api/v1/installations/$inst/dirspaces?limit=10" -H "$A"
check "the legacy dirspaces path without /github answers the same rows" \
    sh -c '[ "$1" = 200 ] && [ "$(jq -c . <"$2")" = "$3" ]' - "$STATUS" "$T/body" "$ds"
check "... with a next link on the legacy path" \
    header_matches Link "^</api/v1/installations/$inst/dirspaces[?]limit=10&page="
http GET "/api/v1/installations/$other/dirspaces" -H "$A"
check "the legacy dirspaces path needs the installation's capability (403)" \
    error_is 403 NO_INSTALLATION_ACCESS
http GET "/api/v1/installations/$inst/dirspaces"
check "the legacy dirspaces path without a token: 401" error_is 401 UNAUTHORIZED

http GET "$WM?limit=0" -H "$A"
check "limit 0 is a 400" error_is 400 INVALID_PARAM
for l in -1 abc ''; do
	http GET "$WM?limit=$l" -H "$A"
	check "limit '$l' is a 400" error_is 400 INVALID_PARAM
done
http GET "$WM?page=garbage" -H "$A"
check "a garbage cursor is a 400" error_is 400 INVALID_PARAM
# The tag query language.
q() { http GET "$WM" -G --data-urlencode "q=$1" -d limit=100 ${2:+--data-urlencode "tz=$2"} -H "$A"; }
q 'state:queued'
check "q state:queued keeps queued manifests only" json_is '[.work_manifests[].state] | unique | tostring' '["queued"]'
check "q state:queued finds 9 of 45" json_is '.work_manifests | length' 9
q 'kind:drift or kind:index'
check "q with or" json_is '[.work_manifests[].kind] | unique | tostring' '["drift","index"]'
q 'not state:completed repo:infra'
check "q with not and juxtaposition" json_is '[.work_manifests[] | select(.state == "completed" or .repo != "infra")] | length' 0
q 'created_at:2026-01-01'
check "q created_at: one UTC day" json_is '.work_manifests | length' 23
q 'created_at:2026-01-01' 'America/New_York'
check "q created_at: the same day in New York" json_is '.work_manifests | length' 24
q "created_at:'2026-01-01 05:00..2026-01-01 06:00'"
check "q created_at: a minute range, both ends included" json_is '.work_manifests | length' 2
q 'sort:asc'
check "q sort:asc gives oldest first" json_is '.work_manifests[0].created_at' 2026-01-01T01:00:00Z
q "repo:'x'') OR true --'"
check "q quoting is data, never SQL (an unterminated quote is a parse error)" error_is 400 PARSE_ERROR
q "repo:\"x' OR '1'='1\""
check "q with SQL in a quoted value matches nothing" json_is '.work_manifests | length' 0
q 'colour:red'
check "q with an unknown key: 400 UNKNOWN_TAG" error_is 400 UNKNOWN_TAG
check "the message points at the offset" json_is '.data | test("offset 0")' true
q '(state:queued'
check "q with a syntax error: 400 PARSE_ERROR" error_is 400 PARSE_ERROR
q 'created_at:2026-02-30'
check "q with an impossible date: 400 BAD_DATE_FORMAT" error_is 400 BAD_DATE_FORMAT
q 'created_at:2026-01-01' 'Mars/Olympus'
check "an unknown tz is a 400" error_is 400 INVALID_PARAM
http GET "/api/v1/github/installations/$inst/dirspaces" -G --data-urlencode 'q=state:success workspace:shared' -d limit=100 -H "$A"
check "dirspaces q filters on the derived state and the workspace" \
    json_is '[.dirspaces[] | select(.state != "success" or .workspace != "shared")] | length' 0

# Links keep the query: paging a filtered list stays filtered.
seen=$T/seenq; : >"$seen"
http GET "$WM" -G --data-urlencode 'q=state:queued' -d limit=2 -H "$A"
pages=0
while [ $pages -lt 10 ]; do
	jq -r '.work_manifests[].state' <"$T/body" >>"$seen"
	url=$(header Link | sed -n 's/.*<\([^>]*\)>; rel="next".*/\1/p')
	[ -z "$url" ] && break
	http GET "$url" -H "$A"
	pages=$((pages + 1))
done
check "a filtered list pages through all 9 queued manifests and nothing else" \
    sh -c '[ "$(grep -c . "$1")" = 9 ] && [ "$(sort -u "$1")" = queued ]' - "$seen"

# A limit above 100 is clamped to 100 (as Terrateam does), not refused:
# with more than 100 rows, a page of 100 and a next link saying so.
$tt manifests seed --installation "$inst" --count 110 >/dev/null
http GET "$WM?limit=101" -H "$A"
check "limit 101 is clamped: 100 manifests" json_is '.work_manifests | length' 100
check "... and the next page's link says limit=100" \
    header_matches Link '^<[^>]*[?]limit=100&page=[^>]*>; rel="next"'
http GET "/api/v1/github/installations/$inst/dirspaces?limit=99999999999999999999" -H "$A"
check "dirspaces: a limit past 64 bits is clamped: 100 rows" \
    json_is '.dirspaces | length' 100
check "... and the next page's link says limit=100" \
    header_matches Link '^<[^>]*[?]limit=100&page=[^>]*>; rel="next"'
