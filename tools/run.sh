#!/bin/sh
# run.sh: `make run`: a private PostgreSQL under var/, migrations, and a
# web server on 127.0.0.1:$PORT (default 8080) serving every program, in
# the foreground. Ctrl-C stops everything it started. Running it again
# reuses the cluster and its data.
#
# WEB=apache (default) or WEB=lighttpd. Apache is the default because
# lighttpd 1.4.69 (Debian 12) answers 411 to any POST without a
# Content-Length header before its configuration is consulted, and the
# refresh call in the architecture document (`curl -X POST` with no body)
# sends exactly that; every other request works the same on both.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
port=${PORT:-8080}
web=${WEB:-apache}
case $web in
apache) pidfile=$var/apache/run/httpd.pid; errlog=$var/apache/log/error.log ;;
lighttpd) pidfile=$var/lighttpd/pid; errlog=$var/lighttpd/log/error.log ;;
*) echo "WEB must be apache or lighttpd" >&2; exit 2 ;;
esac
harness=$top/tests/harness

mkdir -p "$var"
chmod 755 "$var"

# Every TT_* variable set here reaches the programs and ttctl; the
# database defaults to the cluster under var/.
TT_DATABASE_URL=${TT_DATABASE_URL:-$("$harness/pg.sh" url "$var" 5432)}
export TT_DATABASE_URL
# The address people use: GitHub sign-in's callback URL and the cookies'
# Secure flag come from it (plain http only on loopback). Set it to the
# https address of a tunnel or proxy in front of this server to use that.
TT_PUBLIC_URL=${TT_PUBLIC_URL:-http://127.0.0.1:$port}
export TT_PUBLIC_URL

stop() {
	trap - INT TERM EXIT
	echo
	echo "stopping"
	"$harness/web.sh" "$web" stop "$var" "$port" 2>/dev/null || true
	"$harness/pg.sh" stop "$var" 5432
}
trap stop INT TERM EXIT

# The webhook secret: generated once under var/github/, kept across runs.
# Readable by the programs (www-data when run as root), nobody else.
if [ -z "${TT_GITHUB_WEBHOOK_SECRET_FILE:-}" ]; then
	TT_GITHUB_WEBHOOK_SECRET_FILE=$var/github/webhook-secret
	mkdir -p "$var/github"
	if [ ! -s "$TT_GITHUB_WEBHOOK_SECRET_FILE" ]; then
		(umask 077; openssl rand -hex 32 >"$TT_GITHUB_WEBHOOK_SECRET_FILE")
	fi
	if [ "$(id -u)" -eq 0 ]; then
		chgrp www-data "$var/github" "$TT_GITHUB_WEBHOOK_SECRET_FILE"
		chmod 750 "$var/github"
		chmod 640 "$TT_GITHUB_WEBHOOK_SECRET_FILE"
	fi
fi
export TT_GITHUB_WEBHOOK_SECRET_FILE

echo "starting PostgreSQL in $var"
"$harness/pg.sh" start "$var" 5432 --durable >/dev/null
"$top/bin/ttctl" migrate

rm -rf "$var/$web"
"$harness/web.sh" "$web" start "$var" "$port" "$top/build/cgi-bin"
[ -x "$top/tools/demo.sh" ] && "$top/tools/demo.sh" "$port"

if [ -n "${TT_GITHUB_APP_ID:-}" ] && [ -n "${TT_GITHUB_APP_PRIVATE_KEY_FILE:-}" ]; then
	app="GitHub App $TT_GITHUB_APP_ID configured (key $TT_GITHUB_APP_PRIVATE_KEY_FILE)."
else
	app="No GitHub App configured: deliveries are verified, stored and wait
(bin/ttctl events list); they are processed once the App is set."
fi
if [ -n "${TT_GITHUB_OAUTH_CLIENT_ID:-}" ] && [ -n "${TT_GITHUB_OAUTH_CLIENT_SECRET_FILE:-}" ]; then
	signin="Sign-in with GitHub: OAuth App $TT_GITHUB_OAUTH_CLIENT_ID, callback URL
  $TT_PUBLIC_URL/api/v1/github/callback"
else
	signin="No sign-in configured yet. Register an OAuth App (github.com > Settings >
Developer settings > OAuth Apps; or your GitHub App's client id and secret)
with the callback URL $TT_PUBLIC_URL/api/v1/github/callback, put
its client secret in a file and run again with
    TT_GITHUB_OAUTH_CLIENT_ID=<client id> TT_GITHUB_OAUTH_CLIENT_SECRET_FILE=<file> make run"
fi
cat <<MSG

API Access page (people sign in, create and revoke API keys):
  $TT_PUBLIC_URL/web/
$signin

GitHub webhooks: POST http://127.0.0.1:$port/api/github/v1/events
  secret file: $TT_GITHUB_WEBHOOK_SECRET_FILE
$app
To connect a GitHub App (github.com > Settings > Developer settings >
GitHub Apps > New GitHub App):
  - Webhook URL: https://<this host, as GitHub reaches it>/api/github/v1/events
  - Webhook secret: the contents of the secret file above
  - Repository permissions: Actions (read and write), Checks (read and
    write), Contents (read), Pull requests (read and write), Issues (read
    and write), Metadata (read)
  - Subscribe to events: Pull request, Issue comment, Workflow job
    (installation events always arrive)
  - Generate a private key, then run again with
      TT_GITHUB_APP_ID=<App ID> TT_GITHUB_APP_PRIVATE_KEY_FILE=<key.pem> make run
    and stored deliveries are processed with: bin/ttctl events drain
  - Plans run in each repository's .github/workflows/terrateam.yml (README,
    "Running plans"), whose runner calls back $TT_PUBLIC_URL/api/github:
    set TT_PUBLIC_URL to an address GitHub Actions can reach

terrateam-c is serving on http://127.0.0.1:$port ($web)
  curl -s http://127.0.0.1:$port/healthz
logs: $errlog  (PostgreSQL: $var/pg.log)
Press Ctrl-C to stop.
MSG
while kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; do
	sleep 1
done
echo "$web exited; see $errlog" >&2
exit 1
