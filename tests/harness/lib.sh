# lib.sh: helpers sourced by test cases. A case prints one TAP line per
# check ("ok - ..." / "not ok - ..."); lines starting with '#' explain.
# Environment from tests/run.sh: BASE (http://127.0.0.1:PORT), SERVER
# (its name), T (a scratch dir), PGDIR and PGPORT (the cluster), TOP.

: "${T:=$(mktemp -d)}"

# http METHOD PATH [curl args...]: sets STATUS; body in $T/body, headers in $T/hdrs.
http() {
	_m=$1; _p=$2; shift 2
	STATUS=$(curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' \
	    --max-time 20 -X "$_m" "$BASE$_p" "$@") || STATUS=000
}

# check DESCRIPTION COMMAND...: runs the command as the assertion.
check() {
	_d=$1; shift
	if "$@"; then
		echo "ok - [${SERVER:-?}] $_d"
	else
		echo "not ok - [${SERVER:-?}] $_d"
	fi
}

status_is() {
	[ "$STATUS" = "$1" ] && return 0
	echo "# expected status $1, got $STATUS: $(head -c 300 "$T/body" | tr '\n' ' ')"
	return 1
}

# json_is JQ_EXPR VALUE: the body's value at the expression, as jq -r prints it.
json_is() {
	_v=$(jq -r "$1" <"$T/body" 2>/dev/null)
	[ "$_v" = "$2" ] && return 0
	echo "# $1 is '$_v', expected '$2' in $(head -c 300 "$T/body" | tr '\n' ' ')"
	return 1
}

# header NAME: prints the last value of a response header.
header() {
	grep -i "^$1:" "$T/hdrs" | tail -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

# header_matches NAME REGEX
header_matches() {
	_v=$(header "$1")
	printf '%s' "$_v" | grep -Eq "$2" && return 0
	echo "# header $1 is '$_v', expected /$2/"
	return 1
}

# error_is STATUS ID: a JSON error of the documented shape.
error_is() {
	status_is "$1" && json_is .id "$2" &&
	    json_is '.data | type' string &&
	    header_matches Content-Type '^application/json'
}

# The JSON error shape and the headers every response carries.
std_headers() {
	header_matches Content-Type '^application/json' &&
	    header_matches Cache-Control 'no-store' &&
	    header_matches X-Content-Type-Options '^nosniff$' &&
	    header_matches X-Request-Id '^[A-Za-z0-9._:-]{1,128}$'
}
