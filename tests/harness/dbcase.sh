# dbcase.sh: sourced by the cases of tests/integration/database/, which
# build their own database topology (a primary and a standby, a pooler,
# Patroni) instead of using the suite's cluster. tests/run.sh gives each
# case TOP, BUILD (the build directory: BUILD/cgi-bin), T (an empty
# directory of its own) and CASE; everything the case starts lives under
# T and is stopped when the case ends, however it ends.
#
#   dbcase_at_exit COMMAND...     run at the end (last registered first)
#   dbcase_port                   a free TCP port on 127.0.0.1
#   dbcase_cluster NAME [--primary]
#                                 a durable cluster in T/NAME on a free
#                                 port, migrated: sets PGPORT_NAME and
#                                 URL_NAME (its conninfo). Not in $(...):
#                                 what is registered to stop it would be
#                                 lost with the subshell. --primary: one
#                                 standbys can stream from (pg.sh)
#   dbcase_standby NAME PRIMARY [--sync]
#                                 a hot standby of cluster PRIMARY in
#                                 T/NAME on a free port, streaming (and
#                                 synchronous with --sync); sets
#                                 PGPORT_NAME and URL_NAME. Not in $(...)
#   dbcase_web URL [NAME]         lighttpd (the shipped lighttpd.conf) in
#                                 T/NAME (default web) over BUILD/cgi-bin
#                                 with TT_DATABASE_URL=URL; sets BASE
#   dbcase_github                 the stand-in GitHub and the TT_GITHUB_*
#                                 the programs need for webhook deliveries
#   dbcase_psql CONNINFO SQL      one value, or nothing when unreachable
#   dbcase_is_503 BODY HEADERS    the answer saved in these files is the
#                                 JSON 503 (UNAVAILABLE, Retry-After)
#   dbcase_verdict STATUS BODY HEADERS KEEP
#                                 a load client's verdict on an answer:
#                                 sets v to ack (2xx), 503 (the JSON 503)
#                                 or bad (anything else, its body copied
#                                 to KEEP); after any but ack, waits 0.2 s
#                                 as a client backing off
#   dbcase_web_pids               the web server's process and its
#                                 children (the same ones must serve
#                                 throughout a failover)
#   dbcase_secs FROM TO           seconds between two EPOCHREALTIME
#                                 readings, to 0.1 s
SERVER=${SERVER:-database}
. "$TOP/tests/harness/lib.sh"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
_dbcase_exit=()

dbcase_at_exit() {
	_dbcase_exit=("$*" "${_dbcase_exit[@]}")
}

_dbcase_cleanup() {
	local c
	for c in "${_dbcase_exit[@]}"; do
		eval "$c" >/dev/null 2>&1
	done
}
trap _dbcase_cleanup EXIT
trap 'exit 130' INT TERM

dbcase_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

dbcase_cluster() {
	local name=$1 port url
	shift
	port=$(dbcase_port)
	eval "PGPORT_$name=$port"
	dbcase_at_exit PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$T/$name"
	url=$("$TOP/tests/harness/pg.sh" start "$T/$name" "$port" --durable "$@") || return 1
	eval "URL_$name=\$url"
	TT_DATABASE_URL=$url "$TOP/bin/ttctl" migrate >/dev/null || return 1
}

dbcase_standby() {
	local name=$1 primary=$2 port url
	shift 2
	port=$(dbcase_port)
	eval "PGPORT_$name=$port"
	dbcase_at_exit PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$T/$name"
	url=$("$TOP/tests/harness/pg.sh" standby "$T/$name" "$port" \
	    "$T/$primary" "$(eval "echo \$PGPORT_$primary")" "$@") || return 1
	eval "URL_$name=\$url"
}

dbcase_web() {
	local url=$1 name=${2:-web} port
	port=$(dbcase_port)
	mkdir -p "$T/$name"
	[ "$(id -u)" -eq 0 ] && chmod 755 "$T/$name"
	TT_DATABASE_URL=$url "$TOP/tests/harness/web.sh" lighttpd start \
	    "$T/$name" "$port" "$BUILD/cgi-bin" >"$T/$name.out" 2>&1 ||
	    { cat "$T/$name.out"; return 1; }
	dbcase_at_exit "$TOP/tests/harness/web.sh" lighttpd stop "$T/$name" "$port"
	BASE=http://127.0.0.1:$port
	WEBDIR=$T/$name
}

dbcase_github() {
	local gh
	gh=$(dbcase_port)
	openssl genrsa -out "$T/app.pem" 2048 2>/dev/null || return 1
	openssl rand -hex 24 >"$T/webhook-secret"
	chmod 644 "$T/app.pem" "$T/webhook-secret"
	TT_GITHUB_API_URL=http://127.0.0.1:$gh
	TT_GITHUB_APP_ID=4242
	TT_GITHUB_APP_PRIVATE_KEY_FILE=$T/app.pem
	TT_GITHUB_WEBHOOK_SECRET_FILE=$T/webhook-secret
	export TT_GITHUB_API_URL TT_GITHUB_APP_ID TT_GITHUB_APP_PRIVATE_KEY_FILE \
	    TT_GITHUB_WEBHOOK_SECRET_FILE
	. "$TOP/tests/harness/fakegithub.sh"
	fakegh_start "$T/fakegh" "$gh" || return 1
	dbcase_at_exit fakegh_stop
}

dbcase_psql() {
	psql "$1" -Atqc "$2" 2>/dev/null
}

dbcase_is_503() {
	[[ $(<"$1") =~ ^\{\"id\":\"UNAVAILABLE\",\"data\":\"[^\"]+\"\}$ ]] &&
	    grep -qiE '^Retry-After: *[0-9]+' "$2" &&
	    grep -qiE '^Content-Type: *application/json' "$2"
}

dbcase_verdict() {
	case $1 in
	2??)	v=ack; return ;;
	503)	v=503; dbcase_is_503 "$2" "$3" || v=bad ;;
	*)	v=bad ;;
	esac
	[ "$v" = bad ] && cp "$2" "$4" 2>/dev/null
	sleep 0.2
}

dbcase_web_pids() {
	local p
	p=$(cat "$WEBDIR/lighttpd/pid")
	echo "$p $(pgrep -P "$p" | sort -n | tr '\n' ' ')"
}

dbcase_secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}
