#!/bin/sh
# database-down.sh: with PostgreSQL stopped every answer is a JSON 503 with
# Retry-After; once it is back, answers are 200 again without restarting
# the web server or the programs.
. "$TOP/tests/harness/lib.sh"

http GET /healthz
check "healthz is 200 before the outage" status_is 200

# Warm the refresh and whoami programs so they hold a connection that the
# outage will break (the first request afterwards must not be a 500).
user=$("$TOP/bin/ttctl" user create --github-login "down-$$-$RANDOM")
key=$("$TOP/bin/ttctl" key create --user "$user" --name down --cap kv_store_read 2>/dev/null)
[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$key" >>"$TT_ISSUED_SECRETS"
statuses=
refresh_status() {
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' -H "Authorization: Bearer $key"
	statuses="$statuses $STATUS"
}
for i in 1 2 3 4 5 6 7 8; do refresh_status; done
check "refresh works before the outage" status_is 200

PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$PGDIR" "$PGPORT"
http GET /healthz
check "database down: healthz is a JSON 503" error_is 503 UNAVAILABLE
check "database down: 503 carries Retry-After" header_matches Retry-After '^[0-9]+$'
http GET /healthz
check "database down: a second request is still a 503, not a crash" error_is 503 UNAVAILABLE
for i in 1 2 3 4 5 6 7 8; do refresh_status; done
check "database down: refresh answers 503 with Retry-After" error_is 503 UNAVAILABLE

"$TOP/tests/harness/pg.sh" start "$PGDIR" "$PGPORT" >/dev/null
ok=0; i=0
while [ $i -lt 50 ]; do
	http GET /healthz
	[ "$STATUS" = 200 ] && { ok=1; break; }
	sleep 0.1; i=$((i + 1))
done
check "database back: healthz is 200 again within 5 s" [ $ok = 1 ]
for i in 1 2 3 4 5 6 7 8; do refresh_status; done
check "database back: refresh is 200 again without a restart" status_is 200
check "no refresh answered 500 before, during or after the outage" \
    sh -c 'case "$1" in *500*) echo "# statuses:$1"; exit 1;; esac' - "$statuses"
