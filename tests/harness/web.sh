#!/bin/sh
# web.sh: start and stop the web servers the tests and `make run` use.
#   web.sh lighttpd start|stop DIR PORT CGIBIN [extra.conf]  (FastCGI)
#   web.sh lighttpd-cgi start|stop DIR PORT CGIBIN           (plain CGI)
#   web.sh apache start|stop DIR PORT CGIBIN [extra.conf]    (mod_fcgid)
#   web.sh apache-proxy start|stop DIR PORT CGIBIN [extra.conf]
#                      (mod_proxy_fcgi to programs started by spawn-fcgi)
# The programs get the caller's TT_* environment, and TT_PUBLIC_URL
# http://127.0.0.1:PORT when the caller has none. As root the servers run
# their workers as www-data, as on a Debian host. CONFDIR names the
# directory of apache.conf, apache-proxy-fcgi.conf and lighttpd.conf
# (default: the checkout; an installed copy's share/doc/terrateam-c),
# ERRDIR that of the web servers' own JSON error files (default: the
# checkout's errors/; an installed copy's share/terrateam-c/errors).
# TESTBIN (optional) holds the test-only echo program. TT_MAX_PROCS=N
# runs N processes of each program under lighttpd instead of
# lighttpd.conf's (the valgrind pass).
set -eu

kind=$1; cmd=$2; dir=$3; port=$4; cgibin=${5:-}; extra=${6:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
confdir=${CONFDIR:-$top}
errdir=${ERRDIR:-$top/errors}
sd="$dir/$kind"

owner() {
	[ "$(id -u)" -eq 0 ] && chown -R www-data:www-data "$@"
	return 0
}
# reachable DIR: as root the workers run as www-data, which must be able
# to walk down to the programs; a checkout made in a private directory
# (mktemp -d is mode 700) gets the search bit on each such ancestor.
reachable() {
	[ "$(id -u)" -eq 0 ] || return 0
	_r=$(cd "$1" && pwd -P) || return 1
	while [ -n "$_r" ] && [ "$_r" != / ]; do
		if ! runuser -u www-data -- test -x "$_r" 2>/dev/null; then
			echo "web.sh: letting www-data search $_r (chmod o+x)" >&2
			chmod o+x "$_r"
		fi
		_r=$(dirname "$_r")
	done
}

userconf() {
	[ "$(id -u)" -eq 0 ] || return 0
	echo "$1"
}

wait_port() {
	i=0
	while ! curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "web.sh: $kind did not start on $port" >&2; return 1; }
		sleep 0.1
	done
}

stop_pidfile() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
}

lighttpd_main() {
	cat <<CONF
server.document-root = "$sd/www"
server.port = $port
server.bind = "127.0.0.1"
server.pid-file = "$sd/pid"
server.errorlog = "$sd/log/error.log"
server.breakagelog = "$sd/log/cgi-stderr.log"
$(userconf 'server.username = "www-data"')
$(userconf 'server.groupname = "www-data"')
var.tt_cgibin = "$cgibin"
var.tt_sockdir = "$sd/sock"
var.tt_webdir = "$top/web"
var.tt_errdir = "$errdir"
CONF
}

# apache_main: the part of httpd.conf both Apache shapes share.
m=/usr/lib/apache2/modules
apache_main() {
	cat <<CONF
ServerRoot "$sd"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$sd/run/httpd.pid"
DefaultRuntimeDir "$sd/run"
Mutex file:$sd/run default
ErrorLog "$sd/log/error.log"
LogLevel warn
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule alias_module $m/mod_alias.so
LoadModule mime_module $m/mod_mime.so
LoadModule headers_module $m/mod_headers.so
TypesConfig /etc/mime.types
$(userconf 'User www-data')
$(userconf 'Group www-data')
DocumentRoot "$sd"
CONF
}

# spawn_user: spawn-fcgi's options for the programs' and the socket's
# owner (as root: www-data, as on a Debian host).
# The TT_* variables apache.conf hands the programs (FcgidInitialEnv), as
# an ERE alternation, less the two defined here always: each one set in
# this environment becomes a Define.
passed_env() {
	sed -n 's/^[[:space:]]*FcgidInitialEnv \(TT_[A-Z_]*\) .*/\1/p' \
	    "$confdir/apache.conf" | grep -vxE 'TT_DATABASE_URL|TT_LOG_LEVEL' |
	    sort -u | paste -sd'|' -
}

spawn_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	echo "-u www-data -g www-data -U www-data -G www-data"
}

case "$cmd" in start) reachable "$top"; [ -n "$cgibin" ] && reachable "$cgibin" ;; esac

# The programs' public base URL (GitHub sign-in's callback, the cookies'
# Secure flag): this server on loopback unless the caller set one.
TT_PUBLIC_URL=${TT_PUBLIC_URL:-http://127.0.0.1:$port}
export TT_PUBLIC_URL

case "$kind:$cmd" in
lighttpd:start)
	mkdir -p "$sd/sock" "$sd/log" "$sd/www"
	chmod 755 "$dir" "$sd"; chmod 700 "$sd/sock"
	owner "$sd"
	conf=$confdir/lighttpd.conf
	if [ -n "${TT_MAX_PROCS:-}" ]; then
		sed "s/\"max-procs\" => [0-9]*/\"max-procs\" => $TT_MAX_PROCS/" \
		    "$confdir/lighttpd.conf" >"$sd/tt.conf"
		conf=$sd/tt.conf
	fi
	{ lighttpd_main; [ -n "$extra" ] && cat "$extra"; echo "include \"$conf\""; } >"$sd/lighttpd.conf"
	lighttpd -f "$sd/lighttpd.conf"
	wait_port
	;;
lighttpd-cgi:start)
	mkdir -p "$sd/log" "$sd/www"
	chmod 755 "$dir" "$sd"
	owner "$sd"
	{
		lighttpd_main
		sed "s|@CGIBIN@|$cgibin|g; s|@TESTBIN@|${TESTBIN:-}|g" "$top/tests/harness/lighttpd-cgi.conf"
		# mod_cgi gives programs a clean environment: pass TT_* along.
		echo 'server.modules += ( "mod_setenv" )'
		echo 'setenv.set-environment = ('
		env | grep -E '^(TT_[A-Z0-9_]+|ASAN_OPTIONS|UBSAN_OPTIONS)=' |
		    sed 's/\\/\\\\/g; s/"/\\"/g; s/^\([^=]*\)=\(.*\)$/\t"\1" => "\2",/'
		echo ')'
	} >"$sd/lighttpd.conf"
	lighttpd -f "$sd/lighttpd.conf"
	wait_port
	;;
apache:start)
	mkdir -p "$sd/log" "$sd/run" "$sd/fcgid"
	chmod 755 "$dir" "$sd"
	owner "$sd"
	{
		apache_main
		cat <<CONF
LoadModule fcgid_module $m/mod_fcgid.so
FcgidIPCDir "$sd/fcgid"
FcgidProcessTableFile "$sd/fcgid/shm"
Define TT_CGIBIN $cgibin
Define TT_WEBDIR $top/web
Define TT_ERRDIR $errdir
Define TT_DATABASE_URL "${TT_DATABASE_URL:-}"
Define TT_LOG_LEVEL "${TT_LOG_LEVEL:-info}"
$(env | grep -E "^($(passed_env))=" | sed 's/^\([^=]*\)=\(.*\)$/Define \1 "\2"/')
$( [ -n "$extra" ] && cat "$extra" )
Include "$confdir/apache.conf"
CONF
	} >"$sd/httpd.conf"
	apache2 -f "$sd/httpd.conf" -k start
	wait_port
	;;
apache-proxy:start)
	# The programs first, as apache-proxy-fcgi.conf says: four processes
	# each on a socket only the web server's user may use.
	mkdir -p "$sd/log" "$sd/run" "$sd/sock"
	chmod 755 "$dir" "$sd"; chmod 700 "$sd/sock"
	owner "$sd"
	for p in "$cgibin"/* ${TESTBIN:+"$TESTBIN/echo"}; do
		[ -f "$p" ] && [ -x "$p" ] || continue
		n=$(basename "$p")
		spawn-fcgi -F 4 $(spawn_user) -M 0600 -s "$sd/sock/$n.sock" \
		    -P "$sd/run/$n.pid" \
		    -- /bin/sh -c 'exec "$0" 2>>"$1"' "$p" "$sd/log/programs.log" \
		    >>"$sd/log/spawn.log"
	done
	{
		apache_main
		echo "Define TT_SOCKDIR $sd/sock"
		echo "Define TT_WEBDIR $top/web"
		echo "Define TT_ERRDIR $errdir"
		[ -n "$extra" ] && cat "$extra"
		echo "Include \"$confdir/apache-proxy-fcgi.conf\""
	} >"$sd/httpd.conf"
	apache2 -f "$sd/httpd.conf" -k start
	wait_port
	;;
lighttpd:stop|lighttpd-cgi:stop)
	stop_pidfile "$sd/pid"
	;;
apache:stop|apache-proxy:stop)
	[ -f "$sd/run/httpd.pid" ] && apache2 -f "$sd/httpd.conf" -k stop 2>/dev/null || true
	i=0
	while [ -f "$sd/run/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	stop_pidfile "$sd/run/httpd.pid"
	for f in "$sd"/run/*.pid; do
		[ -f "$f" ] || continue
		for pid in $(cat "$f"); do
			kill "$pid" 2>/dev/null || true
		done
		rm -f "$f"
	done
	rm -f "$sd"/sock/*.sock
	;;
*)
	echo "usage: web.sh lighttpd|lighttpd-cgi|apache|apache-proxy start|stop DIR PORT CGIBIN" >&2
	exit 2
	;;
esac
