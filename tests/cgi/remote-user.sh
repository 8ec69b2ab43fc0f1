#!/bin/sh
# remote-user.sh: web server sign-in (issue 9). The web-session program run
# as CGI the way a web server runs it after basic auth or LDAP: with
# TT_WEB_REMOTE_USER=1 the REMOTE_USER it sets names the user (created on
# first sign-in) and the browser gets a session cookie; the session then
# lists keys through access-tokens. Without the setting REMOTE_USER is
# never trusted.
. "$TOP/tests/harness/lib.sh"

name="ldap-user-$$"
# cgi PROGRAM PATH [VAR=value...]: one CGI request; the answer in $T/out.
cgi() {
	_p=$1; _u=$2; shift 2
	env -i PATH="$PATH" TT_DATABASE_URL="$TT_DATABASE_URL" \
	    REQUEST_METHOD=GET REQUEST_URI="$_u" HTTP_HOST=127.0.0.1 "$@" \
	    "$BIN/cgi-bin/$_p" >"$T/out" 2>"$T/err"
	sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$T/out"
}
users() {
	psql "$TT_DATABASE_URL" -Atc "SELECT count(*) FROM users WHERE remote_user = '$name'"
}

check "without TT_WEB_REMOTE_USER, REMOTE_USER is not trusted (404)" \
    [ "$(cgi web-session /api/v1/web/login/remote REMOTE_USER="$name")" = 404 ]
check "and no user was made" [ "$(users)" = 0 ]
check "enabled, a request the web server did not authenticate is a 401" \
    [ "$(cgi web-session /api/v1/web/login/remote TT_WEB_REMOTE_USER=1)" = 401 ]
check "enabled, REMOTE_USER signs in: 302 to the page" \
    [ "$(cgi web-session /api/v1/web/login/remote TT_WEB_REMOTE_USER=1 REMOTE_USER="$name")" = 302 ]
check "the answer goes to /web/" grep -q '^Location: /web/' "$T/out"
sess=$(sed -n 's/^Set-Cookie: tt_session=\([A-Za-z0-9_-]*\);.*HttpOnly; SameSite=Lax.*/\1/p' "$T/out" | tr -d '\r')
remember "$sess"
check "with an HttpOnly session cookie" [ ${#sess} = 43 ]
check "the user was created, named by REMOTE_USER" [ "$(users)" = 1 ]
cgi web-session /api/v1/web/login/remote TT_WEB_REMOTE_USER=1 REMOTE_USER="$name" >/dev/null
check "a second sign-in is the same user" [ "$(users)" = 1 ]
check "the session knows the user" \
    [ "$(cgi web-session /api/v1/web/session HTTP_COOKIE="tt_session=$sess")" = 200 ]
check "by the REMOTE_USER name" grep -q "\"login\":\"$name\"" "$T/out"
check "and its cookie lists the user's keys" \
    [ "$(cgi access-tokens /api/v1/github/access-token HTTP_COOKIE="tt_session=$sess")" = 200 ]
check "a control character in REMOTE_USER is refused" \
    [ "$(cgi web-session /api/v1/web/login/remote TT_WEB_REMOTE_USER=1 "REMOTE_USER=$(printf 'a\tb')")" = 401 ]
