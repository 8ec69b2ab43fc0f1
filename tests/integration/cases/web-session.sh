#!/bin/bash
# web-session.sh: people sign in to the API Access page (issue 9) with
# GitHub's OAuth web flow against the stand-in GitHub, and their browser
# session (a cookie) may call the key-management routes only: CSRF token
# on every state-changing call, never accepted by the data endpoints.
# passes: lighttpd apache asan cgi valgrind
# needs: github
. "$TOP/tests/harness/lib.sh"

q() { psql "$TT_DATABASE_URL" -Atc "$1"; }
jar=$T/jar
# cookie JAR NAME: a cookie's value in a curl cookie jar.
cookie() { awk -v n="$2" '$6 == n { v = $7 } END { print v }' "$1"; }
# set_cookie NAME: the response's Set-Cookie line for NAME.
set_cookie() { grep -i "^Set-Cookie: $1=" "$T/hdrs" | tail -1 | tr -d '\r'; }

new_installation; inst=$INST
new_installation; inst_gone=$INST
inst_new=2$(printf '%07d%05d' "$$" "$RANDOM")
gid=$(( ($$ * 32768 + RANDOM) % 900000000 + 1000 ))
login="web-$gid"
fakegh_oauth_user() {
	curl -sSf --max-time 10 -X POST "$FAKEGH_URL/_fake/oauth-user" \
	    -H 'Content-Type: application/json' -d "$1" >/dev/null
}
secret=$(cat "$TT_GITHUB_OAUTH_CLIENT_SECRET_FILE")
who() {
	printf '{"login":"%s","id":%s,"client_secret":"%s","installations":[%s]}' \
	    "$login" "$gid" "$secret" "$1"
}
fakegh_oauth_user "$(who "{\"id\":$inst,\"login\":\"kv-$inst\"},{\"id\":$inst_new,\"login\":\"brand-new\"}")"

# signin JAR: the whole browser round trip; sets CB_LOCATION.
signin() {
	http GET /api/v1/github/login -c "$1" -b "$1"
	_auth=$(header Location)
	_cb=$(curl -s -o /dev/null -w '%{redirect_url}' "$_auth")
	http GET "${_cb#"$BASE"}" -c "$1" -b "$1"
	CB_LOCATION=$(header Location)
}

# --- The page itself, served by the web server from web/. ---
http GET /web/
check "the page is served at /web/" status_is 200
check "as HTML" header_matches Content-Type '^text/html'
check "with no external script, style or font" \
    bash -c "grep -q 'src=\"app.js\"' '$T/body' && ! grep -Eq '(src|href)=\"(https?:)?//' '$T/body'"
http GET /web/app.js
check "its script is JavaScript" header_matches Content-Type 'javascript'
http GET /web/app.css
check "its style sheet is CSS" header_matches Content-Type '^text/css'

# --- The authorize redirect and the state cookie. ---
http GET /api/v1/github/login -c "$jar" -b "$jar"
check "login redirects to GitHub's authorize page" status_is 302
loc=$(header Location)
check "the authorize URL is TT_GITHUB_URL's, with client id, callback and state" \
    bash -c "[[ '$loc' == '$FAKEGH_URL/login/oauth/authorize?client_id=Iv1.testclient&redirect_uri=http%3A%2F%2F127.0.0.1%3A'*'%2Fapi%2Fv1%2Fgithub%2Fcallback&state='* ]]"
state=${loc#*state=}; state=${state%%&*}
sc=$(set_cookie tt_oauth_state)
check "the state is bound to the browser: the same value in an HttpOnly cookie" \
    bash -c "[ -n '$state' ] && [ '$(cookie "$jar" tt_oauth_state)' = '$state' ]"
check "state cookie: HttpOnly, SameSite=Lax, callback path, 10 minutes, no Secure (TT_PUBLIC_URL is http on loopback)" \
    bash -c "printf '%s' '$sc' | grep -q 'Path=/api/v1/github/callback; Max-Age=600; HttpOnly; SameSite=Lax\$'"
# The callback URL and Secure come from TT_PUBLIC_URL (the harness sets
# it to this server's http://127.0.0.1:PORT), never from the request.
pub=$(printf '%s' "$BASE" | sed 's/:/%3A/g; s|/|%2F|g')
http GET /api/v1/github/login -H 'Host: evil.example' -H 'X-Forwarded-Host: evil.example' \
    -H 'X-Forwarded-Proto: https'
check "a hostile Host header still gets a redirect to GitHub" status_is 302
check "whose redirect_uri is TT_PUBLIC_URL's callback, not the Host's" header_matches Location \
    "redirect_uri=${pub}%2Fapi%2Fv1%2Fgithub%2Fcallback&"
check "the Host appears nowhere in it" bash -c "! grep -qi '^Location:.*evil' '$T/hdrs'"
check "and the state cookie's Secure flag does not change with the Host (none: TT_PUBLIC_URL is http)" \
    bash -c "grep -qi '^Set-Cookie: tt_oauth_state=' '$T/hdrs' && ! grep -qi '^Set-Cookie: tt_oauth_state=.*Secure' '$T/hdrs'"

# --- A callback from another browser, or without state, signs nobody in. ---
cb=$(curl -s -o /dev/null -w '%{redirect_url}' "$loc")
: >"$T/other"
http GET "${cb#"$BASE"}" -c "$T/other" -b "$T/other"
check "a callback without this browser's state cookie is refused" header_matches Location '^/web/\?error=state$'
check "and sets no session cookie" bash -c "! grep -qi '^Set-Cookie: tt_session=[^;]' '$T/hdrs'"
http GET "/api/v1/github/callback?code=abc&state=$state" -b "$jar"
check "a callback whose code GitHub never issued fails (state ok)" header_matches Location '^/web/\?error=github$'
http GET "/api/v1/github/callback?error=access_denied&state=$state" -b "tt_oauth_state=$state"
check "GitHub's access_denied goes back to the page" header_matches Location '^/web/\?error=denied$'
http GET "/api/v1/github/callback?code=abc&state=${state}x" -b "tt_oauth_state=$state"
check "a state that differs from the cookie is refused" header_matches Location '^/web/\?error=state$'

# --- The sign-in. ---
rm -f "$jar"
signin "$jar"
check "the callback sends the browser to the page, and only there" bash -c "[ '$CB_LOCATION' = /web/ ]"
sess=$(cookie "$jar" tt_session)
remember "$sess"
sc=$(set_cookie tt_session)
check "session cookie: 43 base64url characters (32 random bytes)" bash -c "[[ '$sess' =~ ^[A-Za-z0-9_-]{43}$ ]]"
check "session cookie: Path=/, expiry, HttpOnly, SameSite=Lax" \
    bash -c "printf '%s' '$sc' | grep -Eq '; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Lax\$'"
check "the state cookie is cleared by the callback" \
    bash -c "grep -qi '^Set-Cookie: tt_oauth_state=; Path=/api/v1/github/callback; Max-Age=0' '$T/hdrs'"
hash=$(printf '%s' "$sess" | tr '_-' '/+' | sed 's/$/=/' | base64 -d 2>/dev/null | sha256sum | cut -c1-64)
check "only the SHA-256 of the session id is stored" \
    bash -c "[ \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT count(*) FROM web_sessions WHERE id_sha256 = decode('$hash', 'hex')\")\" = 1 ]"
uid=$(q "SELECT id FROM users WHERE github_id = $gid")
check "the GitHub user became a user (github_login, github_id)" \
    bash -c "[ -n '$uid' ] && [ \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT github_login FROM users WHERE id = '$uid'\")\" = '$login' ]"

http GET /api/v1/web/session -b "tt_session=$sess"
check "the session answers who is signed in" json_is .user.login "$login"
check "with the user's installations from GitHub (one new to the server)" \
    json_is '[.installations[].id] | sort | join(",")' "$(printf '%s\n' "$inst" "$inst_new" | sort | paste -sd,)"
csrf=$(jq -r .csrf_token "$T/body")
check "and a CSRF token" bash -c "[[ '$csrf' =~ ^[0-9a-f]{64}$ ]]"
http GET /api/v1/web/session
check "without the cookie: not signed in, GitHub offered" json_is '[.signed_in, .sign_in.github] | join(",")' "false,true"

# A second sign-in refreshes the memberships from GitHub (those an
# admin added stay: web-signin-binding.sh).
fakegh_oauth_user "$(who "{\"id\":$inst,\"login\":\"kv-$inst\"}")"
signin "$T/jar2"
sess2=$(cookie "$T/jar2" tt_session)
remember "$sess2"
check "signing in again keeps the same user" \
    bash -c "[ \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT count(*) FROM users WHERE github_id = $gid\")\" = 1 ]"
check "and replaces the GitHub memberships with GitHub's list" \
    bash -c "[ \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT string_agg(installation_id::text, ',') FROM installation_members WHERE user_id = '$uid'\")\" = '$inst' ]"
check "each sign-in is its own session" bash -c "[ -n '$sess2' ] && [ '$sess2' != '$sess' ]"

# --- Key management with the cookie; CSRF on every state-changing call. ---
K=/api/v1/github/access-token
body="{\"name\":\"from the page\",\"capabilities\":[{\"name\":\"installation_id\",\"id\":\"$inst\"},\"kv_store_read\",\"kv_store_write\"]}"
http POST $K -b "tt_session=$sess" -H 'Content-Type: application/json' -d "$body"
check "create without X-CSRF-Token: 403 CSRF" error_is 403 CSRF
# The token with its last character changed (to 0, or to 1 when it is 0).
case $csrf in *0) wrong=${csrf%?}1 ;; *) wrong=${csrf%?}0 ;; esac
http POST $K -b "tt_session=$sess" -H 'Content-Type: application/json' -H "X-CSRF-Token: $wrong" -d "$body"
check "create with a wrong CSRF token: 403 CSRF" error_is 403 CSRF
http POST $K -b "tt_session=$sess2" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" -d "$body"
check "another session's CSRF token does not fit" error_is 403 CSRF
http POST $K -b "tt_session=$sess" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" -d "$body"
check "create with the cookie and its CSRF token" status_is 201
key=$(jq -r .api_key "$T/body"); key_id=$(jq -r .id "$T/body")
remember "$key"
http POST $K -b "tt_session=$sess" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
    -d '{"name":"too much","capabilities":["access_token_create"]}'
check "a page session cannot grant access_token_create" error_is 403 MISSING_CAPABILITY
http POST $K -b "tt_session=$sess" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
    -d "{\"name\":\"gone\",\"capabilities\":[{\"name\":\"installation_id\",\"id\":\"$inst_gone\"}]}"
check "nor an installation the user is no member of" error_is 403 MISSING_CAPABILITY
http POST $K -b "tt_session=$sess" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
    -d '{"name":"anywhere","capabilities":["kv_store_read","kv_store_write"]}'
check "nor a key restricted to no installation (the page restricts every key)" \
    error_is 403 MISSING_CAPABILITY
http GET $K -b "tt_session=$sess"
check "list with the cookie (a GET needs no CSRF token)" json_is '[.results[].id] | join(",")' "$key_id"

refresh "$key"
check "the page's key refreshes" status_is 200
tok=$TOKEN
kv PUT "$tok" "$inst/key/web.greeting" -H 'Content-Type: application/json' -d '{"value":"hi"}'
check "and its token writes the KV store of the chosen installation" status_is 200

# --- The data endpoints never take the cookie. ---
http GET "/api/v1/github/kv/$inst/key/web.greeting" -b "tt_session=$sess"
check "KV read with the cookie only: 401" error_is 401 UNAUTHORIZED
http PUT "/api/v1/github/kv/$inst/key/web.greeting" -b "tt_session=$sess" -H "X-CSRF-Token: $csrf" \
    -H 'Content-Type: application/json' -d '{"value":"x"}'
check "KV write with the cookie and CSRF token: 401" error_is 401 UNAUTHORIZED
http GET "/api/v1/github/installations/$inst/work-manifests" -b "tt_session=$sess"
check "work manifests with the cookie only: 401" error_is 401 UNAUTHORIZED
http GET "/api/v1/github/installations/$inst/repos/1/prs/1/stacks" -b "tt_session=$sess"
check "stacks with the cookie only: 401" error_is 401 UNAUTHORIZED
http GET /api/v1/whoami -b "tt_session=$sess"
check "whoami with the cookie only: 401" error_is 401 UNAUTHORIZED
http POST /api/v1/access-token/refresh -b "tt_session=$sess" -H 'Content-Length: 0'
check "refresh with the cookie only: 401" error_is 401 UNAUTHORIZED
http GET $K -b "tt_session=$sess" -H "Authorization: Bearer $tok"
check "with a bearer token the cookie is ignored (the token lacks access_token_create)" \
    error_is 403 MISSING_CAPABILITY

# --- Revoke, sign out, expiry. ---
http DELETE "$K?id=$key_id" -b "tt_session=$sess"
check "revoke without the CSRF token: 403" error_is 403 CSRF
http DELETE "$K?id=$key_id" -b "tt_session=$sess" -H "X-CSRF-Token: $csrf"
check "revoke with the cookie and CSRF token" status_is 204
refresh "$key"
check "the revoked key no longer refreshes" status_is 401

http POST /api/v1/web/logout -b "tt_session=$sess" -H 'Content-Length: 0'
check "sign-out needs the CSRF token" error_is 403 CSRF
http POST /api/v1/web/logout -b "tt_session=$sess" -H 'Content-Length: 0' -H "X-CSRF-Token: $csrf"
check "sign-out" status_is 204
check "clears the cookie" bash -c "grep -qi '^Set-Cookie: tt_session=; Path=/; Max-Age=0' '$T/hdrs'"
http GET $K -b "tt_session=$sess"
check "a signed-out session is refused" error_is 401 UNAUTHORIZED
check "and is gone from the database" \
    bash -c "[ \"\$(psql '$TT_DATABASE_URL' -Atc \"SELECT count(*) FROM web_sessions WHERE id_sha256 = decode('$hash', 'hex')\")\" = 0 ]"

q "UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE user_id = '$uid'" >/dev/null
http GET $K -b "tt_session=$sess2"
check "an expired session is refused" error_is 401 UNAUTHORIZED
http GET /api/v1/web/session -b "tt_session=$sess2"
check "and the page is told to sign in again" json_is .signed_in false
http GET $K -b "tt_session=not-a-session"
check "a malformed cookie is refused" error_is 401 UNAUTHORIZED

# Web server sign-in is off unless TT_WEB_REMOTE_USER=1.
http GET /api/v1/web/login/remote
check "REMOTE_USER sign-in is off by default" error_is 404 NOT_FOUND
