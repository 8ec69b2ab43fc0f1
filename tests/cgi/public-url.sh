#!/bin/sh
# public-url.sh: GitHub sign-in's callback URL and the cookies' Secure
# flag come from TT_PUBLIC_URL, never from the request (Host, HTTPS,
# X-Forwarded-*). Without TT_PUBLIC_URL the GitHub login answers a clear
# 503 and logs why; a bad value stops the program at start.
. "$TOP/tests/harness/lib.sh"

# cgi PATH [VAR=value...]: one CGI request to web-session with GitHub
# sign-in configured; the answer in $T/out, the log in $T/err; prints
# the status.
cgi() {
	_u=$1; shift
	env -i PATH="$PATH" TT_DATABASE_URL="$TT_DATABASE_URL" \
	    TT_GITHUB_URL="${TT_GITHUB_URL:-https://github.com}" \
	    TT_GITHUB_OAUTH_CLIENT_ID=Iv1.testclient \
	    TT_GITHUB_OAUTH_CLIENT_SECRET_FILE="$T/secret" \
	    REQUEST_METHOD=GET REQUEST_URI="$_u" "$@" \
	    "$BIN/cgi-bin/web-session" >"$T/out" 2>"$T/err"
	_rc=$?
	sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$T/out"
	return $_rc
}
hostile="HTTP_HOST=evil.example HTTP_X_FORWARDED_HOST=evil.example HTTP_X_FORWARDED_PROTO=https"
echo 'not-a-real-secret' >"$T/secret"

# --- Not set: the GitHub login refuses, clearly. ---
check "without TT_PUBLIC_URL the GitHub login answers 503" \
    [ "$(cgi /api/v1/github/login HTTP_HOST=127.0.0.1:8080)" = 503 ]
check "NOT_CONFIGURED, naming TT_PUBLIC_URL" \
    grep -q '"id":"NOT_CONFIGURED","data":"GitHub sign-in is not configured: TT_PUBLIC_URL is not set' "$T/out"
check "no redirect and no state cookie" sh -c '! grep -qiE "^(Location|Set-Cookie):" "$1"' - "$T/out"
check "and the log says why" grep -q 'TT_PUBLIC_URL is not set' "$T/err"
check "the callback goes back to the page with error=unavailable" \
    [ "$(cgi "/api/v1/github/callback?code=c&state=$(printf 'a%.0s' $(seq 43))" \
    HTTP_COOKIE="tt_oauth_state=$(printf 'a%.0s' $(seq 43))" HTTP_HOST=127.0.0.1)" = 302 ]
check "(Location /web/?error=unavailable)" grep -q '^Location: /web/?error=unavailable' "$T/out"

# --- Set: the request cannot move the callback URL or Secure. ---
# shellcheck disable=SC2086 # $hostile is a list of VAR=value words
check "https TT_PUBLIC_URL, a hostile Host: still a 302 to GitHub" \
    [ "$(cgi /api/v1/github/login TT_PUBLIC_URL=https://tt.example.com $hostile)" = 302 ]
check "whose redirect_uri is TT_PUBLIC_URL's callback" \
    grep -q '^Location: .*[?&]redirect_uri=https%3A%2F%2Ftt.example.com%2Fapi%2Fv1%2Fgithub%2Fcallback&' "$T/out"
check "the Host appears nowhere in the answer" sh -c '! grep -qi evil "$1"' - "$T/out"
check "the state cookie is Secure (https)" grep -q '^Set-Cookie: tt_oauth_state=.*; Secure' "$T/out"
cgi /api/v1/github/login TT_PUBLIC_URL=https://tt.example.com HTTP_HOST=127.0.0.1:8080 >/dev/null
check "also when the Host is loopback and HTTPS is off" \
    grep -q '^Set-Cookie: tt_oauth_state=.*; Secure' "$T/out"
# shellcheck disable=SC2086
cgi /api/v1/github/login TT_PUBLIC_URL=http://127.0.0.1:8080 $hostile HTTPS=on >/dev/null
check "http TT_PUBLIC_URL: redirect_uri is its callback whatever the Host" \
    grep -q '^Location: .*[?&]redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fapi%2Fv1%2Fgithub%2Fcallback&' "$T/out"
check "and no Secure, whatever the Host and HTTPS say" \
    sh -c 'grep -q "^Set-Cookie: tt_oauth_state=" "$1" && ! grep -q "Secure" "$1"' - "$T/out"

# --- REMOTE_USER sign-in needs no TT_PUBLIC_URL; its cookie follows it. ---
name="public-url-$$"
check "REMOTE_USER sign-in works without TT_PUBLIC_URL" \
    [ "$(cgi /api/v1/web/login/remote TT_WEB_REMOTE_USER=1 REMOTE_USER="$name" HTTP_HOST=127.0.0.1)" = 302 ]
remember "$(sed -n 's/^Set-Cookie: tt_session=\([A-Za-z0-9_-]*\);.*/\1/p' "$T/out" | tr -d '\r')"
check "its session cookie is Secure even on a loopback Host over plain HTTP" \
    grep -q '^Set-Cookie: tt_session=.*; Secure' "$T/out"
cgi /api/v1/web/login/remote TT_WEB_REMOTE_USER=1 REMOTE_USER="$name" \
    TT_PUBLIC_URL=http://localhost:8080 HTTP_HOST=evil.example HTTPS=on >/dev/null
remember "$(sed -n 's/^Set-Cookie: tt_session=\([A-Za-z0-9_-]*\);.*/\1/p' "$T/out" | tr -d '\r')"
check "with an http TT_PUBLIC_URL it is not Secure" \
    sh -c 'grep -q "^Set-Cookie: tt_session=" "$1" && ! grep -q "Secure" "$1"' - "$T/out"

# --- A bad value stops the program with a message naming it. ---
for bad in https://tt.example.com/ 'https://tt.example.com?x=1' http://tt.example.com \
    tt.example.com 'https://tt.example.com#f'; do
	cgi /api/v1/github/login TT_PUBLIC_URL="$bad" >/dev/null
	rc=$?
	check "TT_PUBLIC_URL=$bad stops the program (exit 1) with a message" \
	    sh -c '[ "$1" = 1 ] && grep -q "configuration error: invalid TT_PUBLIC_URL" "$2"' - "$rc" "$T/err"
done
