# hooks.sh: sourced by cases that post GitHub webhooks: signing, posting
# and waiting for a delivery's processing. Needs lib.sh and the
# TT_GITHUB_WEBHOOK_SECRET_FILE tests/run.sh sets.

SECRET=$(cat "$TT_GITHUB_WEBHOOK_SECRET_FILE")
ttctl=$TOP/bin/ttctl
q() { psql "$TT_DATABASE_URL" -Atc "$1"; }
# uuid: a random (version 4) UUID from the kernel, without running a
# program (a Python start costs up to half a second behind pyenv's shim,
# and the webhook cases make many deliveries).
uuid() { printf '%s\n' "$(</proc/sys/kernel/random/uuid)"; }
sign() { printf 'sha256=%s' "$(openssl dgst -sha256 -hmac "$SECRET" <"$1" | awk '{print $NF}')"; }

# hook EVENT DELIVERY FILE [SIGNATURE]: POSTs a delivery as GitHub does.
hook() {
	_sig=${4-$(sign "$3")}
	http POST /api/github/v1/events -H 'Content-Type: application/json' \
	    -H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: $2" \
	    ${_sig:+-H "X-Hub-Signature-256: $_sig"} --data-binary "@$3"
}
stored() { q "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = '$1'"; }
state_of() { q "SELECT state FROM webhook_deliveries WHERE delivery_id = '$1'"; }
# wait_state DELIVERY STATE: processing happens after the answer.
wait_state() {
	for _i in $(seq 1 100); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "# delivery $1 is '$(state_of "$1")', expected '$2'; $(q "SELECT last_error FROM webhook_deliveries WHERE delivery_id = '$1'")"
	return 1
}

