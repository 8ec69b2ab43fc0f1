# lib.sh: helpers sourced by test cases. A case prints one TAP line per
# check ("ok - ..." / "not ok - ..."); lines starting with '#' explain.
# Environment from tests/run.sh: BASE (http://127.0.0.1:PORT), SERVER
# (its name), T (a scratch dir), PGDIR and PGPORT (the cluster), WEBDIR
# (where the web server keeps its files: WEBDIR/<kind>/log, ...), TOP;
# the cases in two-servers/ also BASE2, a second server over the same
# build and database.

: "${T:=$(mktemp -d)}"

# http METHOD PATH [curl args...]: sets STATUS; body in $T/body, headers in
# $T/hdrs. With TT_RESPONSE_LOG set (tests/run.sh sets it for each server)
# the response is also recorded there, for tests/openapi/check.mjs.
http() {
	_m=$1; _p=$2; shift 2
	# curl leaves -o's file alone when no body comes (204, 304).
	: >"$T/body"
	_w=$(curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code} %{url_effective}' \
	    --max-time 20 -X "$_m" "$BASE$_p" "$@") || _w=000
	STATUS=${_w%% *}
	[ -n "${TT_RESPONSE_LOG:-}" ] && [ "$STATUS" != 000 ] &&
	    record_response "$_m" "${_w#* }"
	return 0
}

# record_response METHOD URL: appends the last response to $TT_RESPONSE_LOG
# as "\036METHOD\tURL\tSTATUS\tCASE\n" HEADERS "\n\037\n" BODY "\n". Bash
# reads both files without starting a process (a fraction of a
# millisecond a request); JSON bodies hold neither separator.
record_response() {
	printf '\036%s\t%s\t%s\t%s\n%s\n\037\n%s\n' "$1" "$2" "$STATUS" \
	    "${CASE:-?}" "$(<"$T/hdrs")" "$(<"$T/body")" >>"$TT_RESPONSE_LOG"
}

# on URL COMMAND...: runs a helper (http, refresh, whoami, kv, ...)
# against the server at URL instead of BASE; the variables it sets
# (STATUS, TOKEN, ...) stay set.
on() {
	_on_save=$BASE; BASE=$1; shift
	"$@"; _on_rc=$?
	BASE=$_on_save
	return $_on_rc
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

# --- Credentials: users, keys and tokens a case sets up for itself. ---

# remember SECRET...: records an issued API key or access token for the
# log-leak check that runs after the suite (SECURITY.md threat 18).
remember() {
	[ -n "${TT_ISSUED_SECRETS:-}" ] || return 0
	for _s in "$@"; do
		[ -n "$_s" ] && printf '%s\n' "$_s" >>"$TT_ISSUED_SECRETS"
	done
	return 0
}

# new_user: prints the id of a fresh user.
new_user() {
	"$TOP/bin/ttctl" user create
}

# new_key USER CAP... [--expires-in D]: a fresh API key for the user with
# these capabilities (kv_store_read, installation:ID, ...); sets KEY and
# KEY_ID (empty on failure) and remembers the key.
new_key() {
	_u=$1; shift
	_tt_keyn=$((${_tt_keyn:-0} + 1))
	_args=; _pass=0
	for _c in "$@"; do
		if [ $_pass = 1 ]; then
			_args="$_args $_c"; _pass=0
		elif [ "${_c#--}" != "$_c" ]; then
			_args="$_args $_c"; _pass=1
		else
			_args="$_args --cap $_c"
		fi
	done
	# shellcheck disable=SC2086 # capabilities never contain spaces
	_out=$("$TOP/bin/ttctl" --json key create --user "$_u" \
	    --name "case-$$-$_tt_keyn" $_args 2>"$T/ttctl.err")
	KEY=$(printf '%s' "$_out" | jq -r '.api_key // empty' 2>/dev/null)
	KEY_ID=$(printf '%s' "$_out" | jq -r '.id // empty' 2>/dev/null)
	[ -n "$KEY" ] || echo "# ttctl key create failed: $(cat "$T/ttctl.err")"
	remember "$KEY"
}

# unknown_key: a well-formed API key (its checksum right) never issued.
unknown_key() {
	python3 -c '
import secrets, zlib
b = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
r = "".join(secrets.choice(b) for _ in range(36))
c = zlib.crc32(r.encode()); s = ""
for _ in range(6):
    s = b[c % 62] + s; c //= 62
print("tt_live_" + r + s)'
}

# refresh KEY: POST /api/v1/access-token/refresh with the key (with an
# explicit Content-Length: lighttpd refuses body-less POSTs without it);
# sets STATUS and TOKEN (empty unless 200) and remembers the token. When
# REFRESH_FROM is set, sends from that loopback address (rand_addr).
refresh() {
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
	    -H "Authorization: Bearer $1" ${REFRESH_FROM:+--interface "$REFRESH_FROM"}
	TOKEN=
	[ "$STATUS" = 200 ] && TOKEN=$(jq -r '.access_token // empty' <"$T/body" 2>/dev/null)
	remember "$TOKEN"
}

# rand_addr: a loopback address of a case's own (127.x.y.z reaches a
# server bound to 127.0.0.1 on Linux), so its refresh rate-limit buckets
# and audit rows are its own: other cases refresh (some with bad
# credentials) from 127.0.0.1.
rand_addr() { echo "127.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))"; }

# healthy_within N: 0 once /healthz answers 200 (tried every 0.1 s, at
# most N times), 1 if it never did; for a case that restarts PostgreSQL.
healthy_within() {
	_hw=0
	while [ $_hw -lt "$1" ]; do
		http GET /healthz
		[ "$STATUS" = 200 ] && return 0
		sleep 0.1; _hw=$((_hw + 1))
	done
	return 1
}

# refresh_burst N CREDENTIAL ADDR: N refreshes over one keep-alive connection
# from ADDR; prints the statuses, one a line.
refresh_burst() {
	_cfg=$T/burst.cfg
	: >"$_cfg"
	for _i in $(seq "$1"); do
		printf 'url = "%s/api/v1/access-token/refresh"\noutput = "/dev/null"\n' \
		    "$BASE" >>"$_cfg"
	done
	curl -s -X POST -H 'Content-Length: 0' -H "Authorization: Bearer $2" \
	    --interface "$3" -w '%{http_code}\n' -K "$_cfg"
}

# refresh_parallel N CREDENTIAL ADDR: N refreshes at once, each on its own
# connection, from ADDR; prints the statuses, one a line.
refresh_parallel() {
	_cfg=$T/parallel.cfg
	: >"$_cfg"
	for _i in $(seq "$1"); do
		printf 'url = "%s/api/v1/access-token/refresh"\noutput = "/dev/null"\n' \
		    "$BASE" >>"$_cfg"
	done
	# (curl draws its parallel progress meter on stderr even with -s.)
	curl -s --parallel --parallel-immediate --parallel-max "$1" -X POST \
	    -H 'Content-Length: 0' -H "Authorization: Bearer $2" \
	    --interface "$3" -w '%{http_code}\n' -K "$_cfg" 2>/dev/null
}

# whoami TOKEN: GET /api/v1/whoami with the token.
whoami() {
	http GET /api/v1/whoami -H "Authorization: Bearer $1"
}

# forge ARGS...: a JWT from tests/harness/forge.py (see there).
forge() {
	python3 "$TOP/tests/harness/forge.py" "$@"
}

# forge_many: forge.py once per line of stdin, the line holding its
# arguments as shell words (quote JSON in '...'); prints one token per
# line. One Python process for all: each start costs about 0.1 s.
forge_many() {
	python3 -c '
import shlex, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import forge
for line in sys.stdin:
    if line.strip():
        sys.argv = ["forge.py"] + shlex.split(line)
        forge.main()
        sys.stdout.write("\n")
' "$TOP/tests/harness"
}

# current_secret: sets KID and SECRET_HEX to the current signing secret
# (forge.py's own query), so forge calls need no database round trip.
current_secret() {
	_ks=$(psql "$TT_DATABASE_URL" -Atc "SELECT kid, encode(secret, 'hex') \
	    FROM jwt_secrets WHERE retired_at IS NULL ORDER BY created_at DESC \
	    LIMIT 1")
	KID=${_ks%%|*} SECRET_HEX=${_ks#*|}
}

# body_matches REGEX: the response body matches the extended regex.
body_matches() {
	grep -Eq "$1" "$T/body" && return 0
	echo "# body does not match /$1/: $(head -c 300 "$T/body" | tr '\n' ' ')"
	return 1
}

# fails_with STATUS ID: error_is, but reads the compact body the programs
# write ({"id":"...","data":"..."}) without jq, which costs 30 ms a run;
# any other layout goes to error_is. Sets ERR_DATA to the description.
# Needs bash ([[ =~ ]]), as does unauth_is: run.sh runs every case with it.
fails_with() {
	status_is "$1" || return 1
	_b=$(<"$T/body")
	_re='^[{]"id":"([A-Z_]*)","data":"(([^"\\]|\\.)*)"[}]$'
	if [[ $_b =~ $_re ]]; then
		ERR_DATA=${BASH_REMATCH[2]}
		[ "${BASH_REMATCH[1]}" = "$2" ] || {
			echo "# error id is ${BASH_REMATCH[1]}, expected $2: $(printf %s "$_b" | head -c 300)"
			return 1
		}
		header_matches Content-Type '^application/json'
	else
		error_is "$1" "$2" && ERR_DATA=$(jq -r .data <"$T/body")
	fi
}

# unauth_is [REGEX]: a JSON 401 UNAUTHORIZED with an RFC 6750 challenge,
# whose description ("data") matches the regex if one is given.
unauth_is() {
	fails_with 401 UNAUTHORIZED &&
	    header_matches WWW-Authenticate '^Bearer realm="terrateam", error="invalid_token"' || return 1
	[ $# -eq 0 ] && return 0
	printf '%s' "$ERR_DATA" | grep -Eq "$1" && return 0
	echo "# description '$ERR_DATA' does not match /$1/"
	return 1
}

# --- KV store (API.md section 3). ---

# new_installation: creates an installation under an id no other case or
# run uses (the suite runs every case once per server on one database);
# sets INST to it.
new_installation() {
	_tt_instn=$((${_tt_instn:-0} + 1))
	INST=1$(printf '%07d%05d%02d' "$$" "$RANDOM" "$_tt_instn")
	"$TOP/bin/ttctl" installation create --id "$INST" --login "kv-$INST" \
	    >/dev/null 2>"$T/ttctl.err" ||
	    echo "# ttctl installation create failed: $(cat "$T/ttctl.err")"
}

# add_member INSTALLATION USER
add_member() {
	"$TOP/bin/ttctl" installation add-member --id "$1" --user "$2" \
	    >/dev/null 2>"$T/ttctl.err" ||
	    echo "# ttctl installation add-member failed: $(cat "$T/ttctl.err")"
}

# new_token USER CAP...: an access token for a fresh key of the user with
# these capabilities; sets TOKEN (and KEY, KEY_ID).
new_token() {
	new_key "$@"
	refresh "$KEY"
	[ -n "$TOKEN" ] || echo "# refresh failed with $STATUS: $(head -c 300 "$T/body")"
}

# kv METHOD TOKEN PATH [curl args...]: a KV request; PATH is relative to
# /api/v1/github/kv/ and starts with the installation id.
kv() {
	_km=$1; _kt=$2; _kp=$3; shift 3
	http "$_km" "/api/v1/github/kv/$_kp" -H "Authorization: Bearer $_kt" "$@"
}

# kv_json METHOD TOKEN PATH BODY [curl args...]: the same with a JSON body
# (BODY as curl's --data-binary takes it: text, or @file).
kv_json() {
	_km=$1; _kt=$2; _kp=$3; _kb=$4; shift 4
	kv "$_km" "$_kt" "$_kp" -H 'Content-Type: application/json' \
	    --data-binary "$_kb" "$@"
}

# data_is JSON: the body's "data" equals the JSON value (key order aside).
data_is() {
	_want=$(printf '%s' "$1" | jq -cS . 2>/dev/null)
	_got=$(jq -cS .data <"$T/body" 2>/dev/null)
	[ -n "$_want" ] && [ "$_got" = "$_want" ] && return 0
	echo "# data is '$_got', expected '$_want' in $(head -c 300 "$T/body" | tr '\n' ' ')"
	return 1
}
