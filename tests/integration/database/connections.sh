#!/bin/bash
# connections.sh: each FastCGI process holds one database connection, so
# the connections the database sees are what the web server
# configuration implies. lighttpd (the shipped lighttpd.conf) is driven
# with bursts of concurrent requests to every program until all its
# "max-procs" processes served one; then pg_stat_activity (by
# application_name, which the programs set to their own name) must show
# exactly max-procs connections per program, their sum in all, and no
# more after further bursts. The expectation is read from lighttpd.conf
# itself: change a max-procs there and it changes here. Apache's maximum
# is computed from apache.conf (FcgidMaxProcessesPerClass times its
# programs) and apache-proxy-fcgi.conf (spawn-fcgi -F per program) and
# printed; Apache's mod_fcgid is then driven the same way and must never
# exceed its maximum (mod_fcgid grows its pools slowly: reaching the
# maximum is not checked).
. "$TOP/tests/harness/dbcase.sh"

conf=$TOP/lighttpd.conf
dbcase_cluster c || { echo "not ok - [$SERVER] cluster started"; exit 1; }
TT_DATABASE_URL=$URL_c
export TT_DATABASE_URL
dbcase_github || { echo "not ok - [$SERVER] stand-in GitHub started"; exit 1; }
# Many refreshes from one address: no 429 before the database is asked
# (the buckets are rows, but let every request do the same work).
TT_REFRESH_RATE_PER_ADDRESS=1000000 dbcase_web "$URL_c" ||
    { echo "not ok - [$SERVER] web server started"; exit 1; }

# The programs of lighttpd.conf and their max-procs, "name count" a line.
expect_lighttpd() {
	awk '
	/^[ \t]*#/ { next }
	/"bin-path"/ { n = $0; sub(/.*\//, "", n); sub(/".*/, "", n) }
	/"max-procs"/ && n != "" { c = $0; gsub(/[^0-9]/, "", c); print n, c; n = "" }
	' "$1"
}
expected=$(expect_lighttpd "$conf")
total=$(awk '{ s += $2 } END { print s + 0 }' <<<"$expected")
echo "# lighttpd.conf: $(tr '\n' ' ' <<<"$expected")= $total connections"
check "lighttpd.conf names programs and their max-procs" [ "$(wc -l <<<"$expected")" -ge 9 ]

user=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
key=$("$TOP/bin/ttctl" key create --user "$user" --name conn \
    --cap installation:"$inst" --rate-limit 1000000000 2>/dev/null)
refresh "$key"; tok=$TOKEN
check "a token for the bursts" [ -n "$tok" ]
. "$TOP/tests/harness/hooks.sh"
printf '{"zen":"connections","hook_id":1}' >"$T/ping.json"
ping_sig=$(sign "$T/ping.json")
ping_id=$(uuid)
cookie="tt_session=$(printf 'A%.0s' $(seq 43))"

# burst PROGRAM N: N requests at once, each on its own connection, that
# make the program ask the database.
burst() {
	local cfg=$T/burst-$1.cfg i a=()
	: >"$cfg"
	for i in $(seq "$2"); do
		case $1 in
		refresh)	 echo "url = \"$BASE/api/v1/access-token/refresh\"" ;;
		access-tokens)	 echo "url = \"$BASE/api/v1/whoami\"" ;;
		github-events)	 echo "url = \"$BASE/api/github/v1/events\"" ;;
		work-manifests)	 echo "url = \"$BASE/api/github/v1/work-manifests/00000000-0000-4000-8000-000000000000/plans?path=a&workspace=b\"" ;;
		web-session)	 echo "url = \"$BASE/api/v1/web/session\"" ;;
		kv)		 echo "url = \"$BASE/api/v1/github/kv/$inst/key/k$i\"" ;;
		stacks)		 echo "url = \"$BASE/api/v1/github/installations/$inst/repos/1/prs/1/stacks\"" ;;
		manifests)	 echo "url = \"$BASE/api/v1/github/installations/$inst/work-manifests\"" ;;
		health)		 echo "url = \"$BASE/healthz\"" ;;
		*)		 echo "# burst: no request for program $1" >&2; return 1 ;;
		esac
		echo 'output = "/dev/null"'
	done >>"$cfg"
	case $1 in
	refresh)	a=(-X POST -H 'Content-Length: 0' -H "Authorization: Bearer $key") ;;
	github-events)	a=(-X POST -H 'Content-Type: application/json' \
			    -H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: $ping_id" \
			    -H "X-Hub-Signature-256: $ping_sig" --data-binary "@$T/ping.json") ;;
	work-manifests)	a=(-H "Authorization: bearer tt_run_$(printf '0%.0s' $(seq 64))") ;;
	web-session)	a=(-H "Cookie: $cookie") ;;
	*)		a=(-H "Authorization: Bearer $tok") ;;
	esac
	curl -s --max-time 20 --parallel --parallel-immediate --parallel-max "$2" \
	    "${a[@]}" -w '%{http_code}\n' -K "$cfg" 2>/dev/null >>"$T/statuses"
}

# bursts K: a burst of K requests per process at once for each "program
# processes" line of stdin; returns once all are answered (the case's
# other children, the stand-in GitHub, are not waited for).
bursts() {
	local p n pids=()
	while read -r p n; do
		burst "$p" $((n * $1)) &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# held: "program count" a line, the connections the database sees from
# the programs (psql's own, application_name psql, aside).
held() {
	dbcase_psql "$URL_c" "SELECT application_name || ' ' || count(*)
	    FROM pg_stat_activity WHERE datname = 'terrateam'
	    AND usename = 'terrateam' AND backend_type = 'client backend'
	    AND pid <> pg_backend_pid() AND application_name <> 'psql'
	    GROUP BY application_name ORDER BY 1"
}
# held_total: their sum.
held_total() { held | awk '{ s += $2 } END { print s + 0 }'; }

sorted=$(sort <<<"$expected")
# Bursts of 4 requests per process of each program, until every process
# served one (at most 30 rounds).
start=$SECONDS
for round in $(seq 30); do
	bursts 4 <<<"$expected"
	[ "$(held | sort)" = "$sorted" ] && break
done
got=$(held | sort)
echo "# after $round round(s), $((SECONDS - start)) s: $(tr '\n' ' ' <<<"$got")"
echo "# statuses: $(sort "$T/statuses" | uniq -c | tr '\n' ' ')"
check "every program holds max-procs connections (lighttpd.conf)" [ "$got" = "$sorted" ]
check "... $total in all" [ "$(held_total)" = "$total" ]
check "no request failed for want of a connection (no 5xx)" \
    [ "$(grep -c '^5' "$T/statuses")" = 0 ]
for _ in 1 2 3; do
	bursts 4 <<<"$expected"
done
check "three more rounds of bursts: still $total, none more" [ "$(held_total)" = "$total" ]
check "... each program still at its max-procs" [ "$(held | sort)" = "$sorted" ]

# A smaller max-procs in a copy of lighttpd.conf changes the expectation
# (TT_MAX_PROCS rewrites every block, as the valgrind pass does).
"$TOP/tests/harness/web.sh" lighttpd stop "$WEBDIR" "${BASE##*:}" >/dev/null 2>&1
for _ in $(seq 50); do [ "$(held_total)" = 0 ] && break; sleep 0.1; done
check "lighttpd stopped: its programs' connections are gone" [ "$(held_total)" = 0 ]
TT_MAX_PROCS=2 TT_REFRESH_RATE_PER_ADDRESS=1000000 dbcase_web "$URL_c" web2 ||
    { echo "not ok - [$SERVER] second web server started"; exit 1; }
expected=$(expect_lighttpd "$WEBDIR/lighttpd/tt.conf")
total2=$(awk '{ s += $2 } END { print s + 0 }' <<<"$expected")
for round in $(seq 30); do
	bursts 4 <<<"$expected"
	[ "$(held | sort)" = "$(sort <<<"$expected")" ] && break
done
check "max-procs 2 everywhere: $total2 connections" [ "$(held_total)" = "$total2" ]
"$TOP/tests/harness/web.sh" lighttpd stop "$WEBDIR" "${BASE##*:}" >/dev/null 2>&1

# Apache: the maxima its two configurations imply.
aconf=$TOP/apache.conf
per_class=$(awk '$1 == "FcgidMaxProcessesPerClass" { print $2 }' "$aconf")
all_max=$(awk '$1 == "FcgidMaxProcesses" { print $2 }' "$aconf")
aprogs=$(grep -o '"${TT_CGIBIN}/[a-z-]*"' "$aconf" | sort -u | wc -l)
amax=$((per_class * aprogs))
# mod_fcgid's own cap over all classes (default 1000).
[ "$amax" -gt "${all_max:-1000}" ] && amax=${all_max:-1000}
pconf=$TOP/apache-proxy-fcgi.conf
pprocs=$(sed -n 's/.*spawn-fcgi -F \([0-9]*\).*/\1/p' "$pconf" | head -1)
pprogs=$(awk '/for p in/, /; do/' "$pconf" | tr -d '#\\' |
    sed 's/.*for p in//; s/; do.*//' | wc -w)
pmax=$((pprocs * pprogs))
echo "# apache.conf: FcgidMaxProcessesPerClass $per_class x $aprogs programs = at most $amax connections"
echo "# apache-proxy-fcgi.conf: spawn-fcgi -F $pprocs x $pprogs programs = $pmax connections"
check "apache.conf: a maximum per class, and programs" eval '[ "${per_class:-0}" -gt 0 ] && [ "$aprogs" -ge 9 ]'
check "apache-proxy-fcgi.conf: processes per program, and programs" eval '[ "${pprocs:-0}" -gt 0 ] && [ "$pprogs" -ge 9 ]'

# mod_fcgid: bursts, then the count never above the maximum.
aport=$(dbcase_port)
mkdir -p "$T/apache"
TT_REFRESH_RATE_PER_ADDRESS=1000000 "$TOP/tests/harness/web.sh" apache start \
    "$T/apache" "$aport" "$BUILD/cgi-bin" >"$T/apache.out" 2>&1 ||
    { cat "$T/apache.out"; echo "not ok - [$SERVER] Apache started"; exit 1; }
dbcase_at_exit "$TOP/tests/harness/web.sh" apache stop "$T/apache" "$aport"
BASE=http://127.0.0.1:$aport
peak=0
for _ in $(seq 10); do
	sed "s/ .*/ $per_class/" <<<"$(expect_lighttpd "$conf")" | bursts 2
	n=$(held_total)
	[ "$n" -gt "$peak" ] && peak=$n
done
echo "# Apache mod_fcgid after 10 rounds: $(held | tr '\n' ' ')(peak $peak, maximum $amax)"
check "Apache: at most FcgidMaxProcessesPerClass connections per program" \
    [ -z "$(held | awk -v m="$per_class" '$2 > m')" ]
check "... at most $amax in all" [ "$peak" -le "$amax" ]
check "... and every program holds at least one" [ "$(held | wc -l)" = "$aprogs" ]
