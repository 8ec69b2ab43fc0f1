#!/bin/bash
# misconfig.sh: a GitHub App key or webhook secret file the programs
# cannot read fails loudly. The copies here are root:root 0600 and the
# programs run as www-data, as the web servers run them on a Debian host
# (as another user than root: mode 000 and the same user), so the
# kernel's permission check is what refuses them, as in production. The
# programs run as CGI because the suite's web servers start once per
# pass with the suite's readable files; the code paths are those of
# FastCGI (the start check, the request, the work after the answer).
# Expected: an error line naming the variable, the file and the system's
# reason at each program's start, one more at each delivery held back,
# /healthz 503 naming the variable (without the path), and never a byte
# of the key or the secret in any of it.
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/hooks.sh"

if [ "$(id -u)" -eq 0 ]; then
	as_user() { runuser -u www-data -- "$@"; }
	lock() { chown root:root "$1"; chmod 600 "$1"; }
	chmod 711 "$T"
else
	as_user() { "$@"; }
	lock() { chmod 000 "$1"; }
fi
if ! as_user test -x "$BIN/cgi-bin/health"; then
	echo "not ok - [$SERVER] misconfig: the web server's user cannot run $BIN/cgi-bin/health"
	exit 0
fi
keys=$T/keys
mkdir -p "$keys"; chmod 755 "$keys"
cp "$TT_GITHUB_APP_PRIVATE_KEY_FILE" "$keys/app-locked.pem"
cp "$TT_GITHUB_APP_PRIVATE_KEY_FILE" "$keys/app-ok.pem"
cp "$TT_GITHUB_WEBHOOK_SECRET_FILE" "$keys/secret-locked"
cp "$TT_GITHUB_WEBHOOK_SECRET_FILE" "$keys/secret-ok"
chmod 644 "$keys/app-ok.pem" "$keys/secret-ok"
lock "$keys/app-locked.pem"
lock "$keys/secret-locked"
denied=$(as_user cat "$keys/app-locked.pem" 2>&1 >/dev/null | sed 's/.*: //')
check "the locked copies cannot be read by the programs' user ($denied)" \
    [ "$denied" = "Permission denied" ]

# prog NAME KEYFILE SECRETFILE METHOD URI [VAR=VALUE...] <BODY: one CGI
# run as the web server's user; the answer parsed into STATUS, $T/body
# and $T/hdrs, the program's log in $T/err.
prog() {
	_n=$1 _k=$2 _s=$3 _m=$4 _u=$5
	shift 5
	as_user env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
	    UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" TT_DATABASE_URL="$TT_DATABASE_URL" \
	    TT_GITHUB_API_URL="$TT_GITHUB_API_URL" TT_GITHUB_APP_ID=4242 \
	    TT_GITHUB_APP_PRIVATE_KEY_FILE="$_k" \
	    TT_GITHUB_WEBHOOK_SECRET_FILE="$_s" REQUEST_METHOD="$_m" \
	    REQUEST_URI="$_u" GATEWAY_INTERFACE=CGI/1.1 "$@" \
	    timeout 20 "$BIN/cgi-bin/$_n" >"$T/out" 2>"$T/err"
	STATUS=$(sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$T/out")
	sed '1,/^\r$/d' "$T/out" >"$T/body"
	sed -n '1,/^\r$/p' "$T/out" >"$T/hdrs"
	cat "$T/err" >>"$T/all.err"
}
# delivery KEYFILE SECRETFILE: a signed pull_request.opened delivery to
# github-events; sets D to its GUID.
delivery() {
	D=$(uuid)
	printf '{"action":"opened","number":1,"installation":{"id":%s},"nonce":"%s"}' \
	    "$((RANDOM + 900000))" "$D" >"$T/pr.json"
	prog github-events "$1" "$2" POST /api/github/v1/events \
	    CONTENT_TYPE=application/json CONTENT_LENGTH="$(wc -c <"$T/pr.json")" \
	    HTTP_X_GITHUB_EVENT=pull_request HTTP_X_GITHUB_DELIVERY="$D" \
	    HTTP_X_HUB_SIGNATURE_256="$(sign "$T/pr.json")" <"$T/pr.json"
}
# logs REGEX: the last run's log has an error line matching it.
logs() {
	grep -Eq "^[^ ]+ [a-z-]+\[[0-9]+\] error .*$1" "$T/err" && return 0
	echo "# no error line matches /$1/ in: $(head -c 600 "$T/err" | tr '\n' '|')"
	return 1
}
esc() { printf '%s' "$1" | sed 's/[][\.*^$/]/\\&/g'; }
key_locked=$(esc "$keys/app-locked.pem")
secret_locked=$(esc "$keys/secret-locked")
: >"$T/all.err"

# --- The App's key file. ---
prog health "$keys/app-ok.pem" "$keys/secret-ok" GET /healthz </dev/null
check "with readable files /healthz is a 200 (the control)" status_is 200
check "... and health logs no error at its start" \
    sh -c "! grep -q ' error ' '$T/err'"

prog health "$keys/app-locked.pem" "$keys/secret-ok" GET /healthz </dev/null
check "an unreadable App key file makes /healthz a 503" \
    fails_with 503 UNAVAILABLE
check "... naming the variable and the reason" body_matches \
    'TT_GITHUB_APP_PRIVATE_KEY_FILE cannot be read: Permission denied'
check "... but not the file's path" sh -c "! grep -qF '$keys' '$T/body'"
check "health logs it at its start: variable, file, reason" \
    logs "GitHub setup: cannot open TT_GITHUB_APP_PRIVATE_KEY_FILE $key_locked: Permission denied"

delivery "$keys/app-locked.pem" "$keys/secret-ok"
check "a pull_request delivery is still recorded and answered 202" \
    status_is 202
check "... and waits in the ledger" test "$(state_of "$D")" = received
check "github-events logs the key at its start: variable, file, reason" \
    logs "GitHub setup: cannot open TT_GITHUB_APP_PRIVATE_KEY_FILE $key_locked: Permission denied; webhook deliveries .*wait"
check "... and that this delivery waits, and why" \
    logs "delivery $D \(pull_request\) waits in the ledger: cannot open TT_GITHUB_APP_PRIVATE_KEY_FILE $key_locked: Permission denied"
first=$D
delivery "$keys/app-locked.pem" "$keys/secret-ok"
check "the next delivery gets its own line" \
    logs "delivery $D \(pull_request\) waits in the ledger: .*Permission denied"
check "... and waits too" test "$(state_of "$D")" = received
# Not to be processed later by another case's drain.
q "DELETE FROM webhook_deliveries WHERE delivery_id IN ('$first', '$D')" >/dev/null

# --- The webhook secret file. ---
delivery "$keys/app-ok.pem" "$keys/secret-locked"
check "an unreadable webhook secret file refuses the delivery (503)" \
    fails_with 503 UNAVAILABLE
check "... which is not stored" test "$(stored "$D")" = 0
check "github-events logs the secret at its start: variable, file, reason" \
    logs "GitHub setup: cannot read TT_GITHUB_WEBHOOK_SECRET_FILE $secret_locked: Permission denied; every webhook delivery is refused"
check "... and the refused delivery, with the file and the reason" \
    logs "webhook refused: cannot read TT_GITHUB_WEBHOOK_SECRET_FILE $secret_locked: Permission denied"
prog health "$keys/app-ok.pem" "$keys/secret-locked" GET /healthz </dev/null
check "an unreadable webhook secret file makes /healthz a 503" \
    fails_with 503 UNAVAILABLE
check "... naming the variable and the reason" body_matches \
    'TT_GITHUB_WEBHOOK_SECRET_FILE cannot be read: Permission denied'

# --- Nothing of the key or the secret in any of it. ---
pem_line=$(sed -n 2p "$TT_GITHUB_APP_PRIVATE_KEY_FILE")
check "no line of the programs' logs holds the secret or the key" \
    sh -c "! grep -qF -e '$SECRET' -e '$pem_line' '$T/all.err'"
