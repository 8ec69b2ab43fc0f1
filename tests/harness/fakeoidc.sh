# fakeoidc.sh: helpers for tests/harness/fakeoidc.py, meant to be sourced
# (needs curl, jq, python3 with python3-cryptography).
#
#   fakeoidc_start DIR [PORT]  start it (port file and log in DIR; PORT,
#                          else any free one); exports FAKEOIDC_URL,
#                          FAKEOIDC_PID (never ends with FAKE_PARENT_PID=0)
#   fakeoidc_stop          SIGTERM it and wait
#   oidc_issuer NAME       create issuer NAME; prints its URL
#   oidc_mint JSON         prints a token ({"issuer", "kid", "alg", "claims", "header"})
#   oidc_post PATH JSON    any other control call
#   oidc_stats NAME        {"discovery": n, "jwks": n, "actions": n}

fakeoidc_start() {
	_fo_dir=${1:?fakeoidc_start DIR}
	mkdir -p "$_fo_dir" || return 1
	rm -f "$_fo_dir/port"
	python3 "$TOP/tests/harness/fakeoidc.py" --port "${2:-0}" \
	    --port-file "$_fo_dir/port" --parent-pid "${FAKE_PARENT_PID:-$$}" \
	    </dev/null >>"$_fo_dir/server.log" 2>&1 &
	FAKEOIDC_PID=$!
	_fo_i=0
	while [ ! -s "$_fo_dir/port" ]; do
		_fo_i=$((_fo_i + 1))
		if [ "$_fo_i" -gt 200 ] || ! kill -0 "$FAKEOIDC_PID" 2>/dev/null; then
			echo "fakeoidc.sh: server did not start; log:" >&2
			tail -20 "$_fo_dir/server.log" >&2
			kill "$FAKEOIDC_PID" 2>/dev/null
			unset FAKEOIDC_PID
			return 1
		fi
		sleep 0.05
	done
	FAKEOIDC_URL=http://127.0.0.1:$(cat "$_fo_dir/port")
	export FAKEOIDC_URL FAKEOIDC_PID
}

fakeoidc_stop() {
	[ -n "${FAKEOIDC_PID:-}" ] || return 0
	kill -TERM "$FAKEOIDC_PID" 2>/dev/null
	wait "$FAKEOIDC_PID" 2>/dev/null
	unset FAKEOIDC_PID FAKEOIDC_URL
	return 0
}

oidc_post() {
	curl -sSf --max-time 20 -X POST "$FAKEOIDC_URL$1" \
	    -H 'Content-Type: application/json' --data-binary "$2"
}

oidc_issuer() {
	oidc_post /_fake/issuer "{\"name\":\"$1\"}" | jq -r .issuer
}

oidc_mint() {
	oidc_post /_fake/mint "$1" | jq -r .token
}

oidc_stats() {
	curl -sSf --max-time 10 "$FAKEOIDC_URL/_fake/stats" | jq -c ".[\"$1\"]"
}
