#!/bin/sh
# request-layer.sh: drives programs directly as plain CGI, with inputs web
# servers would filter (negative or garbage Content-Length, short bodies,
# unknown methods), to prove the library itself answers each with a JSON 4xx.
# Environment: BIN (a build dir), T (scratch), SERVER (label), TOP.
. "$TOP/tests/harness/lib.sh"

ECHO=$BIN/tests/progs/echo

# cgi PROG METHOD URI [VAR=VALUE...] < stdin: sets STATUS, body in $T/body.
cgi() {
	_prog=$1; _m=$2; _u=$3; shift 3
	env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
	    UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
	    TT_DATABASE_URL="${TT_DATABASE_URL:-}" REQUEST_METHOD="$_m" \
	    REQUEST_URI="$_u" GATEWAY_INTERFACE=CGI/1.1 "$@" \
	    timeout 10 "$_prog" >"$T/out" 2>>"$T/stderr"
	_rc=$?
	parse_out
	return $_rc
}

# parse_out: STATUS, $T/body and $T/hdrs from the program's output $T/out.
parse_out() {
	STATUS=$(sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$T/out")
	sed '1,/^\r$/d' "$T/out" >"$T/body"
	sed -n '1,/^\r$/p' "$T/out" >"$T/hdrs"
}

printf '{}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=-1 <"$T/in"
check "negative Content-Length is a 400" error_is 400 INVALID_PARAM
printf '{}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=abc <"$T/in"
check "non-numeric Content-Length is a 400" error_is 400 INVALID_PARAM
printf '{}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json "CONTENT_LENGTH= 2" <"$T/in"
check "Content-Length with a space is a 400" error_is 400 INVALID_PARAM
printf '{}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=+2 <"$T/in"
check "Content-Length with a sign is a 400" error_is 400 INVALID_PARAM
printf '{}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=99999999999999999999999 <"$T/in"
check "Content-Length past 64 bits is a 400" error_is 400 INVALID_PARAM
printf '{}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json <"$T/in"
check "POST without Content-Length is a 411" error_is 411 LENGTH_REQUIRED

# A body larger than the limit must be refused without being read: stdin
# is a FIFO nobody writes to, so a read would hang until the timeout.
mkfifo "$T/fifo"
start=$(date +%s)
cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=1048577 <"$T/fifo" &
exec 3>"$T/fifo"
wait $!
exec 3>&-
parse_out
rm -f "$T/fifo"
check "a body over the limit is a 413" error_is 413 PAYLOAD_TOO_LARGE
check "the 413 comes without reading the body" [ $(( $(date +%s) - start )) -lt 5 ]

printf '{"a"' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=20 <"$T/in"
check "a body shorter than Content-Length is a 400" error_is 400 INVALID_PARAM
cgi "$ECHO" POST /echo CONTENT_TYPE=application/json CONTENT_LENGTH=0 </dev/null
check "a missing body is a 400" error_is 400 INVALID_JSON
printf '{"a":1}' >"$T/in"; cgi "$ECHO" POST /echo CONTENT_LENGTH=7 <"$T/in"
check "a body without Content-Type is a 415" error_is 415 UNSUPPORTED_MEDIA_TYPE
printf '{"a":1}' >"$T/in"; cgi "$ECHO" BREW /echo CONTENT_LENGTH=7 <"$T/in"
check "an unknown method is a 405" error_is 405 METHOD_NOT_ALLOWED
cgi "$ECHO" GET '/echo/7/a%2Fb/c%252F?q=x+y%21' </dev/null
check "path captures are decoded once" json_is '.key' 'a/b/c%2F'
check "query values are decoded" json_is '.q' 'x y!'
cgi "$ECHO" GET '/echo/9007199254740993/k' </dev/null
check "an {int} beyond 2^53 does not match (404)" error_is 404 NOT_FOUND
cgi "$ECHO" GET '/echo/1/k?q=%zz' </dev/null
check "a malformed query value is a 400" error_is 400 INVALID_PARAM
cgi "$ECHO" GET '' SCRIPT_NAME=/echo PATH_INFO=/3/x QUERY_STRING=q=1 </dev/null
check "without REQUEST_URI the path comes from SCRIPT_NAME+PATH_INFO" json_is .n 3

# Configuration is validated at start: a bad value stops the program
# with a message naming the variable.
cgi "$ECHO" GET /echo/1/k TT_ACCESS_TOKEN_TTL=0 </dev/null
rc=$?
check "a bad TT_ACCESS_TOKEN_TTL stops the program (exit 1)" [ "$rc" = 1 ]
check "the message names the variable" grep -q 'TT_ACCESS_TOKEN_TTL' "$T/stderr"
