#!/bin/sh
# fastcgi-sockets.sh: the unix sockets the web server talks FastCGI over
# are the web server's alone (SECURITY.md threat 25, CVE-2025-23016): a
# local user who can connect to one can send the programs crafted
# records. lighttpd keeps them in tt_sockdir, mod_fcgid in FcgidIPCDir.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

case $SERVER in
*lighttpd-cgi*)
	echo "ok - [$SERVER] plain CGI: no FastCGI socket to protect"
	exit 0
	;;
*apache*)	dir=${WEBDIR:-$PGDIR}/apache/fcgid ;;
*)		dir=${WEBDIR:-$PGDIR}/lighttpd/sock ;;
esac
if [ "$(id -u)" -eq 0 ]; then
	user=www-data
else
	user=$(id -un)
fi

# mod_fcgid starts programs on demand: reach a few of them first.
http GET /healthz
http POST /api/v1/access-token/refresh -H 'Content-Length: 0'
http GET /api/v1/github/kv/1/key/x
http GET /api/v1/whoami

socks=$(find "$dir" -type s 2>/dev/null)
n=$(printf '%s\n' "$socks" | grep -c .)
check "FastCGI sockets exist in $(basename "$dir")/ ($n)" [ "$n" -ge 1 ]

# others_locked_out SOCKET: no one but the owner (and its group) can
# connect: the socket is not world-writable, or its directory is not
# world-searchable; and no one else can replace it.
others_locked_out() {
	_s=$1; _d=$(dirname "$1")
	_sm=$(stat -c %a "$_s"); _dm=$(stat -c %a "$_d")
	_so=$(stat -c %U "$_s"); _do=$(stat -c %U "$_d")
	_why=
	[ "$_so" = "$user" ] || [ "$_so" = root ] || _why="socket owned by $_so"
	[ "$_do" = "$user" ] || [ "$_do" = root ] || _why="directory owned by $_do"
	[ $((0$_dm & 022)) -eq 0 ] || _why="directory writable by others"
	[ $((0$_sm & 02)) -eq 0 ] || [ $((0$_dm & 01)) -eq 0 ] ||
	    _why="socket world-writable in a world-searchable directory"
	[ -z "$_why" ] && return 0
	echo "# $_s: mode $_sm owner $_so, directory $_dm $_do: $_why"
	return 1
}

bad=0
for s in $socks; do
	others_locked_out "$s" || bad=$((bad + 1))
done
check "no FastCGI socket is open to other users ($n checked; e.g. $(stat -c '%a %U' \
    "$(printf '%s\n' "$socks" | head -1)") in a $(stat -c '%a %U' "$dir") directory)" [ "$bad" -eq 0 ]

# As root, try it: another account must be refused by the kernel.
if [ "$(id -u)" -eq 0 ] && [ "$n" -ge 1 ]; then
	refused=0
	for s in $socks; do
		if runuser -u nobody -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
sys.exit(1)' "$s"; then
			refused=$((refused + 1))
		else
			echo "# user nobody could connect to $s"
		fi
	done
	check "user nobody cannot connect to any FastCGI socket" [ "$refused" -eq "$n" ]
fi
