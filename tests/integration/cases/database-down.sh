#!/bin/sh
# database-down.sh: with PostgreSQL stopped every answer is a JSON 503 with
# Retry-After; once it is back, answers are 200 again without restarting
# the web server or the programs.
. "$TOP/tests/harness/lib.sh"

http GET /healthz
check "healthz is 200 before the outage" status_is 200

PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$PGDIR" "$PGPORT"
http GET /healthz
check "database down: healthz is a JSON 503" error_is 503 UNAVAILABLE
check "database down: 503 carries Retry-After" header_matches Retry-After '^[0-9]+$'
http GET /healthz
check "database down: a second request is still a 503, not a crash" error_is 503 UNAVAILABLE

"$TOP/tests/harness/pg.sh" start "$PGDIR" "$PGPORT" >/dev/null
ok=0; i=0
while [ $i -lt 50 ]; do
	http GET /healthz
	[ "$STATUS" = 200 ] && { ok=1; break; }
	sleep 0.1; i=$((i + 1))
done
check "database back: healthz is 200 again within 5 s" [ $ok = 1 ]
