#!/bin/bash
# dead-host.sh: a database host that died without refusing anything (a
# dead machine drops packets; nothing sends a reset). The stand-in,
# tests/harness/blackhole.py, accepts TCP on loopback and never answers,
# or relays to the real cluster until told to go silent mid-connection.
# Checks:
#   - the silent host listed first (target_session_attrs=read-write):
#     the first request of each fresh process pays connect_timeout, then
#     libpq goes on to the next host; later ones cost nothing extra (the
#     connection is kept); all answer right;
#   - the silent host alone: every answer is the JSON 503 with
#     Retry-After, within connect_timeout and slack, again and again;
#   - a held connection that goes silent: the answer deadline (db.c,
#     wait_answer: TT_STATEMENT_TIMEOUT_MS + 1 s) and the 0.5 s of the
#     cancel attempt (dbcancel.c) end the request with the 503; the next one goes on to the next host listed, and a
#     program with only that host recovers once the host is back;
#   - keepalives* and tcp_user_timeout in the URL are taken; against a
#     silent peer whose kernel still ACKs (all loopback can show) they do
#     not fire: the answer deadline is what bounds the wait;
#   - as root, with the programs in a network namespace of their own and
#     the host across a veth pair whose far address is removed (packets
#     vanish, nothing ACKs): tcp_user_timeout ends a request in flight
#     before the answer deadline, and keepalives find an idle connection
#     dead, so the next request pays connect_timeout only.
# Figures go out as "# ..." lines.
. "$TOP/tests/harness/dbcase.sh"

CT=2		# connect_timeout (libpq's least)
ST=500		# TT_STATEMENT_TIMEOUT_MS; the answer deadline is ST + 1 s,
		# apart from connect_timeout
SLACK=1.5	# seconds for a busy machine
TT_STATEMENT_TIMEOUT_MS=$ST
export TT_STATEMENT_TIMEOUT_MS

dbcase_cluster p || { echo "not ok - [$SERVER] cluster started"; exit 1; }
TT_DATABASE_URL=$URL_p
export TT_DATABASE_URL
sock=$T/p/run

BH=$(dbcase_port)
python3 "$TOP/tests/harness/blackhole.py" "$BH" "$sock/.s.PGSQL.$PGPORT_p" \
    >"$T/blackhole.log" 2>&1 &
BH_PID=$!
dbcase_at_exit "kill $BH_PID"
# mode MARK: waits until the stand-in has said it (ready, silent, relaying)
# as often as asked (its log, one word a line).
mode() {
	for _ in $(seq 50); do
		[ "$(grep -c "^$1\$" "$T/blackhole.log")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}
check "the stand-in listens on 127.0.0.1:$BH, relaying" mode ready

common="user=terrateam dbname=terrateam connect_timeout=$CT"
listed="host=127.0.0.1,$sock port=$BH,$PGPORT_p $common target_session_attrs=read-write"

# wave NAME TOKEN N PATH [N PATH]...: the requests all at once, each on
# its own connection (lighttpd gives each to a process not busy: N = 4,
# lighttpd.conf's max-procs, reaches every process of a program), from
# network namespace WAVE_NETNS if set; $T/NAME gets "STATUS SECONDS
# RETRY-AFTER BODYFILE" a line.
wave() {
	local name=$1 tok=$2 i=0
	shift 2
	: >"$T/$name.cfg"
	while [ $# -ge 2 ]; do
		for _ in $(seq "$1"); do
			i=$((i + 1))
			printf 'url = "%s%s"\noutput = "%s"\n' "$BASE" "$2" \
			    "$T/$name.$i" >>"$T/$name.cfg"
		done
		shift 2
	done
	${WAVE_NETNS:+ip netns exec "$WAVE_NETNS"} curl -s --parallel --parallel-immediate --parallel-max 16 --max-time 20 \
	    -H "Authorization: Bearer $tok" \
	    -w '%{http_code} %{time_total} %header{retry-after}x %{filename_effective}\n' \
	    -K "$T/$name.cfg" >"$T/$name" 2>/dev/null
}
# sum X...: their sum (seconds).
sum() {
	awk 'BEGIN { for (i = 1; i < ARGC; i++) s += ARGV[i]; print s + 0 }' "$@"
}
# figures NAME: "n=.. min .. max .. s" of a wave.
figures() {
	awk '{ t = $2 + 0; if (NR == 1 || t < lo) lo = t; if (t > hi) hi = t }
	    END { printf "n=%d min %.2f max %.2f s", NR, lo, hi }' "$T/$1"
}
# all_status NAME CODE
all_status() {
	awk -v c="$2" '$1 != c { bad++ } END { exit !(NR > 0 && !bad) }' "$T/$1" &&
	    return 0
	echo "# $1: $(cut -d' ' -f1 "$T/$1" | sort | uniq -c | tr '\n' ' ')"
	return 1
}
# within NAME LO HI: every request of the wave took LO to HI seconds.
within() {
	awk -v lo="$2" -v hi="$3" '$2 < lo || $2 > hi { bad++ }
	    END { exit !(NR > 0 && !bad) }' "$T/$1" && return 0
	echo "# $1: $(figures "$1"), expected within $2..$3 s"
	return 1
}
# unavailable NAME: every answer is the JSON 503 with Retry-After.
unavailable() {
	all_status "$1" 503 || return 1
	awk '$3 !~ /^[0-9]+x$/ { bad++ } END { exit !!bad }' "$T/$1" || {
		echo "# $1: a 503 without Retry-After"; return 1; }
	local _c _t _r f
	while read -r _c _t _r f; do
		grep -q '^{"id":"UNAVAILABLE","data":"' "$f" ||
		    { echo "# $1: $(head -c 200 "$f")"; return 1; }
	done <"$T/$1"
}
# answered NAME: every answer is 200 and says what it should (whoami:
# the user; KV: the value stored).
answered() {
	all_status "$1" 200 || return 1
	local _c _t _r f
	while read -r _c _t _r f; do
		grep -q -e "\"$user\"" -e '"stored before"' "$f" ||
		    { echo "# $1: $(head -c 200 "$f")"; return 1; }
	done <"$T/$1"
}
# both CHECK1 CHECK2 ARGS...: the two checks on the same arguments.
both() {
	local c1=$1 c2=$2
	shift 2
	"$c1" "$1" && "$c2" "$@"
}
# conns APP: the connections the real cluster holds for this
# application_name.
conns() {
	dbcase_psql "$URL_p" "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'"
}

# --- Keepalives and tcp_user_timeout in the URL (server C): the
# stand-in first, relaying. tcp_user_timeout and the keepalive probes are
# set below the answer deadline: were they to fire on a silent peer, the
# requests further down would end before it. ---
tuned="keepalives=1 keepalives_idle=1 keepalives_interval=1 keepalives_count=1 tcp_user_timeout=500"
dbcase_web "$listed $tuned application_name=dead-c" web-c ||
    { echo "not ok - [$SERVER] web server C started"; exit 1; }
BASE_C=$BASE
user=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN
kv_json PUT "$tok" "$inst/key/k" '{"data":"stored before"}'
check "keepalives* and tcp_user_timeout in the URL: a KV write answers 200" status_is 200
whoami="4 /api/v1/whoami"
kvget="4 /api/v1/github/kv/$inst/key/k"
# shellcheck disable=SC2086 # counts and paths
wave c-warm "$tok" $whoami $kvget
check "... every process of access-tokens and kv answers right ($(figures c-warm))" answered c-warm
n=$(conns dead-c)
check "... through the stand-in, relaying: the cluster holds $n connections for them" [ "${n:-0}" -ge 8 ]
echo "# C, the stand-in relaying: $(figures c-warm)"

kill -USR1 $BH_PID
check "the stand-in goes silent" mode silent

# --- The silent host first in the list (server A). ---
dbcase_web "$listed application_name=dead-a" web-a ||
    { echo "not ok - [$SERVER] web server A started"; exit 1; }
# shellcheck disable=SC2086
wave a-first "$tok" $whoami $kvget
check "silent host first: the first request of each process answers right" answered a-first
check "... each having waited about connect_timeout ($(figures a-first))" \
    within a-first $((CT - 1)) "$(sum "$CT" "$ST"e-3 "$SLACK")"
n=$(conns dead-a)
check "... then connected to the next host: the cluster holds $n connections" [ "${n:-0}" -ge 8 ]
# shellcheck disable=SC2086
wave a-later "$tok" $whoami $kvget
check "later requests on the same processes answer right" answered a-later
check "... at no extra cost ($(figures a-later))" within a-later 0 0.5
for _ in 1 2; do
	# shellcheck disable=SC2086
	wave a-more "$tok" $whoami $kvget
	cat "$T/a-more" >>"$T/a-all"
done
check "... and still none after ($(figures a-all))" within a-all 0 0.5
echo "# A, silent host first: first request per process $(figures a-first); later $(figures a-later), then $(figures a-all)"

# --- The silent host alone (server B). ---
dbcase_web "host=127.0.0.1 port=$BH $common application_name=dead-b" web-b ||
    { echo "not ok - [$SERVER] web server B started"; exit 1; }
BASE_B=$BASE
# shellcheck disable=SC2086
wave b-1 "$tok" $whoami $kvget
check "silent host alone: every answer is the JSON 503 with Retry-After" unavailable b-1
check "... within connect_timeout and slack ($(figures b-1))" \
    within b-1 $((CT - 1)) "$(sum "$CT" "$SLACK")"
# shellcheck disable=SC2086
wave b-2 "$tok" $whoami $kvget
check "... again: no connection is kept, each request waits anew ($(figures b-2))" \
    both unavailable within b-2 $((CT - 1)) "$(sum "$CT" "$SLACK")"
echo "# B, silent host alone: 503 in $(figures b-1), then $(figures b-2)"

# --- The held connections of C go silent. ---
BASE=$BASE_C
deadline=$(sum "$ST"e-3 1)
# Past the deadline a program asks the host, within 0.5 s more, to cancel
# a backend waiting for a synchronous standby (lib/dbcancel.c): a silent
# host costs that too.
cancel=0.5
# deadlines LOG N: the programs said N times they gave up waiting.
deadlines() {
	local n
	n=$(grep -c "did not answer within $((ST + 1000)) ms" "$1")
	[ "$n" = "$2" ] && return 0
	echo "# $1: $n answer deadlines, expected $2"
	return 1
}
# shellcheck disable=SC2086
wave c-silent "$tok" $whoami $kvget
check "a held connection gone silent: the JSON 503 with Retry-After" unavailable c-silent
check "... at the answer deadline, TT_STATEMENT_TIMEOUT_MS + 1 s, and the cancel's 0.5 s ($(figures c-silent))" \
    within c-silent "$(sum "$deadline" -0.2)" "$(sum "$(sum "$deadline" "$cancel")" "$SLACK")"
check "... each ended by the programs' answer deadline" \
    deadlines "$T/web-c/lighttpd/log/cgi-stderr.log" 8
echo "# tcp_user_timeout=500 and keepalives 1+1x1 s did not end them first: the stand-in's kernel ACKs"
# shellcheck disable=SC2086
wave c-next "$tok" $whoami $kvget
check "the next request goes on to the next host listed and answers right" answered c-next
check "... after connect_timeout on the silent one ($(figures c-next))" \
    within c-next $((CT - 1)) "$(sum "$CT" "$ST"e-3 "$SLACK")"
# shellcheck disable=SC2086
wave c-after "$tok" $whoami $kvget
check "... then at no extra cost ($(figures c-after))" within c-after 0 0.5
echo "# C, held connections silenced: 503 in $(figures c-silent); next request $(figures c-next); after $(figures c-after)"

# --- The host back: B, which lists it alone, recovers. ---
BASE=$BASE_B
kill -USR2 $BH_PID
check "the stand-in relays again" mode relaying
# shellcheck disable=SC2086
wave b-back "$tok" $whoami $kvget
check "the host back: the program that lists it alone answers right" answered b-back
check "... at once ($(figures b-back))" within b-back 0 1
# Its connections, held, go silent in turn: the deadline, then the 503
# for each request (connect_timeout), then back.
kill -USR1 $BH_PID
mode silent 2
# shellcheck disable=SC2086
wave b-silent "$tok" $whoami $kvget
check "B's held connections gone silent: the JSON 503 at the deadline ($(figures b-silent))" \
    both unavailable within b-silent "$(sum "$deadline" -0.2)" "$(sum "$(sum "$deadline" "$cancel")" "$SLACK")"
check "... each by the answer deadline" \
    deadlines "$T/web-b/lighttpd/log/cgi-stderr.log" 8
kill -USR2 $BH_PID
mode relaying 2
# shellcheck disable=SC2086
wave b-again "$tok" $whoami $kvget
check "... and back once the host is ($(figures b-again))" \
    both answered within b-again 0 1
echo "# B, host back: $(figures b-back); silenced again: 503 in $(figures b-silent); back: $(figures b-again)"

# --- Packets that vanish (root: network namespaces). The programs (D) in
# namespace A, the relay in namespace B across a veth pair; removing B's
# address makes B drop what A sends, unanswered. D has the default
# statement timeout (5 s: its answer deadline is 6 s);
# tcp_user_timeout=1000 and keepalives 1 s + 1 s (the kernel lets
# tcp_user_timeout, when set, stand for keepalives_count). Not with
# keepalives=0: libpq (15) then sets no TCP_USER_TIMEOUT either. ---
nsa=dh$$a nsb=dh$$b
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$nsa" 2>/dev/null; then
	echo "# not run: packets that vanish (needs root and ip netns; not counted)"
	exit 0
fi
dbcase_at_exit ip netns del "$nsa"
ip netns add "$nsb"
dbcase_at_exit ip netns del "$nsb"
if ! ip link add "${nsa}v" netns "$nsa" type veth peer name "${nsb}v" netns "$nsb"; then
	echo "# not run: packets that vanish (no veth pair; not counted)"
	exit 0
fi
ip -n "$nsa" addr add 10.77.0.1/24 dev "${nsa}v"
ip -n "$nsb" addr add 10.77.0.2/24 dev "${nsb}v"
for n in "$nsa" "$nsb"; do
	ip -n "$n" link set lo up
	ip -n "$n" link set "${n}v" up
done
ip netns exec "$nsb" python3 "$TOP/tests/harness/blackhole.py" 5432 \
    "$sock/.s.PGSQL.$PGPORT_p" --bind=10.77.0.2 >"$T/relay-b.log" 2>&1 &
RB_PID=$!
dbcase_at_exit "kill $RB_PID"
(BH_LOG=$T/relay-b.log; for _ in $(seq 50); do grep -q ready "$BH_LOG" && exit 0; sleep 0.1; done; exit 1)
check "packets that vanish: a relay in its own namespace, across a veth pair" [ $? = 0 ]
mkdir -p "$T/web-d"
dport=8080
TT_STATEMENT_TIMEOUT_MS=5000 TT_DATABASE_URL="host=10.77.0.2 port=5432 $common application_name=dead-d keepalives_idle=1 keepalives_interval=1 keepalives_count=1 tcp_user_timeout=1000" \
    ip netns exec "$nsa" "$TOP/tests/harness/web.sh" lighttpd start "$T/web-d" \
    "$dport" "$BUILD/cgi-bin" >"$T/web-d.out" 2>&1 ||
    { cat "$T/web-d.out"; echo "not ok - [$SERVER] web server D started"; exit 1; }
dbcase_at_exit "$TOP/tests/harness/web.sh" lighttpd stop "$T/web-d" "$dport"
BASE=http://127.0.0.1:$dport WAVE_NETNS=$nsa
dlog=$T/web-d/lighttpd/log/cgi-stderr.log
# shellcheck disable=SC2086
wave d-warm "$tok" $whoami $kvget
check "D, in its namespace, answers right ($(figures d-warm))" answered d-warm
ip -n "$nsb" addr del 10.77.0.2/24 dev "${nsb}v"
# shellcheck disable=SC2086
wave d-flight "$tok" $kvget
check "the host's packets vanish: a request in flight is the JSON 503" unavailable d-flight
check "... before the answer deadline: tcp_user_timeout, then connect_timeout ($(figures d-flight))" \
    within d-flight 1 "$(sum 1 "$CT" "$SLACK")"
# shellcheck disable=SC2086
wave d-idle "$tok" $whoami
check "an idle connection, found dead by keepalives meanwhile: the JSON 503" unavailable d-idle
check "... after connect_timeout only ($(figures d-idle))" \
    within d-idle $((CT - 1)) "$(sum "$CT" "$SLACK")"
n=$(grep -c "did not answer within" "$dlog")
check "... none of them ended by the answer deadline ($n)" [ "$n" = 0 ]
n=$(grep -c "connection lost" "$dlog")
check "... each found its connection lost ($n)" [ "$n" = 8 ]
echo "# D, packets vanish: in flight (tcp_user_timeout 1 s + connect_timeout) $(figures d-flight); idle (keepalives) $(figures d-idle); the deadline would be 6 s"
