#!/bin/sh
# routes-reach-programs.sh: the web server configuration sends each
# program's paths to that program. A request without credentials gets the
# program's own 401, where a wrong route would end in the health
# program's JSON 404 (or the server's own).
# passes: lighttpd apache asan proxy cgi cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

http POST /api/v1/access-token/refresh -H 'Content-Length: 0'
check "refresh: a POST without a key reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/whoami
check "access-tokens: whoami reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/github/access-token
check "access-tokens: the key list reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/github/audit
check "access-tokens: the audit trail reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/github/kv/1/key/k
check "kv: a key reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/github/installations/1/work-manifests
check "manifests: the list reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/installations/1/work-manifests
check "manifests: the legacy path reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/github/installations/1/dirspaces
check "manifests: dirspaces reach the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/installations/1/dirspaces
check "manifests: the legacy dirspaces path reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/github/installations/1/repos/2/prs/3/stacks
check "stacks: a pull request's stacks reach the program (401)" error_is 401 UNAUTHORIZED
http POST /api/github/v1/events -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: ping' --data-binary '{}'
check "github-events: an unsigned delivery reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /healthz
check "health: /healthz reaches the program" status_is 200
http POST /api/v1/web/logout -H 'Content-Length: 0'
check "web-session: sign-out without a session reaches the program (401)" error_is 401 UNAUTHORIZED
http GET /api/v1/web/session
check "web-session: the session reaches the program" json_is .signed_in false
http GET /api/v1/web/login/remote
check "web-session: REMOTE_USER sign-in reaches the program (404 when off)" error_is 404 NOT_FOUND
http GET /api/v1/github/callback
check "web-session: the GitHub callback reaches the program" header_matches Location '^/web/\?error=state$'
