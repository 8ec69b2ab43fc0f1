#!/bin/sh
# run.sh: `make run`: a private PostgreSQL under var/, migrations, and
# lighttpd on 127.0.0.1:$PORT (default 8080) in the foreground serving
# every program. Ctrl-C stops everything it started. Running it again
# reuses the cluster and its data.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
port=${PORT:-8080}
harness=$top/tests/harness

mkdir -p "$var"
chmod 755 "$var"

# Every TT_* variable set here reaches the programs and ttctl; the
# database defaults to the cluster under var/.
TT_DATABASE_URL=${TT_DATABASE_URL:-$("$harness/pg.sh" url "$var" 5432)}
export TT_DATABASE_URL

stop() {
	trap - INT TERM EXIT
	echo
	echo "stopping"
	"$harness/web.sh" lighttpd stop "$var" "$port" 2>/dev/null || true
	"$harness/pg.sh" stop "$var" 5432
}
trap stop INT TERM EXIT

echo "starting PostgreSQL in $var"
"$harness/pg.sh" start "$var" 5432 --durable >/dev/null
"$top/bin/ttctl" migrate

"$harness/web.sh" lighttpd start "$var" "$port" "$top/build/cgi-bin"
[ -x "$top/tools/demo.sh" ] && "$top/tools/demo.sh" "$port"

cat <<MSG

terrateam-c is serving on http://127.0.0.1:$port
  curl -s http://127.0.0.1:$port/healthz
logs: $var/lighttpd/log/error.log  (PostgreSQL: $var/pg.log)
Press Ctrl-C to stop.
MSG
while kill -0 "$(cat "$var/lighttpd/pid")" 2>/dev/null; do
	sleep 1
done
echo "lighttpd exited; see $var/lighttpd/log/error.log" >&2
exit 1
