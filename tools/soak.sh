#!/bin/bash
# soak.sh: `make soak MINUTES=10`: the mixed load of tests/harness/mixed.lua
# (refresh, whoami, KV get/put/CAS, manifests, signed webhooks) against
# lighttpd for MINUTES, in 30-second wrk runs each audited against the
# database; every 10 s each program's resident memory, open descriptors
# and processes, and PostgreSQL's connections are sampled. Processes warm
# up at their own pace (a process opens its database connection at its
# first request), so the baseline is the highest sample of the first half
# of the run; the last sample may not exceed it by more than:
#   resident memory of a program (all its processes): 10 % + 2 MiB
#   open descriptors of a program: nothing (no growth at all)
#   PostgreSQL connections of the programs: nothing, and never more than
#   one per program process
#   processes of a program: the same pids (none crashed and came back)
# Samples go to build/soak/samples.tsv; the last line is
# "N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
minutes=${MINUTES:-10}
threads=4
harness=$top/tests/harness
out=$top/build/soak
mkdir -p "$out"
rm -f "$out"/*.tsv "$out"/tap.log
programs="health refresh access-tokens kv manifests stacks github-events"

dir=$(mktemp -d /tmp/tt-soak.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
pgport=$(free_port)
sampler=
cleanup() {
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
	"$harness/web.sh" lighttpd stop "$dir" "$port" 2>/dev/null || true
	"$harness/pg.sh" stop "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TT_DATABASE_URL=$("$harness/pg.sh" start "$dir" "$pgport" --durable) || exit 1
export TT_DATABASE_URL TT_LOG_LEVEL=warn
"$top/bin/ttctl" migrate >/dev/null || exit 1
openssl rand -hex 24 >"$dir/webhook-secret"
chmod 644 "$dir/webhook-secret"
export TT_GITHUB_WEBHOOK_SECRET_FILE=$dir/webhook-secret
"$harness/web.sh" lighttpd start "$dir" "$port" "$top/build/cgi-bin" >/dev/null || exit 1
base=http://127.0.0.1:$port

ttctl=$top/bin/ttctl
inst=12345
user=$("$ttctl" user create --github-login soak)
"$ttctl" installation create --id $inst --login soak-org >/dev/null
"$ttctl" installation add-member --id $inst --user "$user" >/dev/null
"$ttctl" manifests seed --installation $inst --count 100 >/dev/null
# The mix refreshes with this key all the time: no per-key 429s.
key=$("$ttctl" key create --user "$user" --name soak --cap installation:$inst \
    --cap kv_store_read --cap kv_store_write --rate-limit 1000000000 2>/dev/null)
token=$(curl -s -X POST -H 'Content-Length: 0' -H "Authorization: Bearer $key" \
    "$base/api/v1/access-token/refresh" | jq -r .access_token)
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"data": "read me"}' \
    "$base/api/v1/github/kv/$inst/key/mixed.read"

# sample: one line per program every 10 s: seconds, program, resident
# kB, descriptors, process count, pids; and PostgreSQL's connections.
lpid=$(cat "$dir/lighttpd/pid")
sample() {
	local t0=$SECONDS t p pids pid rss fds
	while :; do
		t=$((SECONDS - t0))
		for p in $programs; do
			pids=$(ps -o pid= --ppid "$lpid" -o comm= | awk -v p="$p" '$2 == p { print $1 }' | sort -n | tr '\n' ,)
			rss=0 fds=0
			for pid in ${pids//,/ }; do
				rss=$((rss + $(awk '/^VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)))
				fds=$((fds + $(ls /proc/$pid/fd 2>/dev/null | wc -l)))
			done
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' $t "$p" "$rss" "$fds" \
			    "$(echo "${pids%,}" | tr , '\n' | grep -c .)" "${pids%,}"
		done >>"$out/samples.tsv"
		printf '%s\tpostgresql\t0\t0\t%s\t-\n' $t "$(psql "$TT_DATABASE_URL" -Atc \
		    "SELECT count(*) FROM pg_stat_activity WHERE application_name IN
		    ('health', 'refresh', 'access-tokens', 'kv', 'manifests', 'stacks', 'github-events')")" \
		    >>"$out/samples.tsv"
		sleep 10
	done
}
sample &
sampler=$!

echo "soak: $minutes min of mixed load on $base (lighttpd, $threads connections)"
end=$((SECONDS + minutes * 60))
run=0
while [ $SECONDS -lt $end ]; do
	run=$((run + 1))
	left=$((end - SECONDS))
	secs=$((left < 30 ? left : 30))
	[ $secs -lt 1 ] && break
	wd=$dir/wrk.$run
	mkdir -p "$wd"
	python3 "$harness/mixed_hooks.py" "$dir/webhook-secret" $((secs * 1500)) "$dir/hooks"
	MIXED_KEY=$key MIXED_TOKEN=$token MIXED_INST=$inst MIXED_HOOKS=$dir/hooks \
	MIXED_OUT=$wd MIXED_THREADS=$threads MIXED_RUN=$run \
	    wrk -t$threads -c$threads -d${secs}s --timeout 10s \
	    -s "$harness/mixed.lua" "$base" >"$wd/wrk.out" 2>&1
	INST=$inst THREADS=$threads LABEL="soak run $run" MIXED_RUN=$run \
	    python3 "$harness/mixed_audit.py" "$wd" >"$wd/audit" 2>&1
	grep -E '^(ok|not ok)' "$wd/audit" >>"$out/tap.log"
	if grep -q '^not ok' "$wd/audit"; then
		sed 's/^/  /' "$wd/audit"
	fi
	echo "run $run: $(awk '/^Requests\/sec/ { print $2 }' "$wd/wrk.out") req/s, audit: $(grep -c '^ok' "$wd/audit") ok, $(grep -c '^not ok' "$wd/audit") not ok"
	# A fresh token for the next run (the last one may be near its end).
	token=$(curl -s -X POST -H 'Content-Length: 0' -H "Authorization: Bearer $key" \
	    "$base/api/v1/access-token/refresh" | jq -r .access_token)
done
sleep 1
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
sampler=

python3 - "$out/samples.tsv" >>"$out/tap.log" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for t, prog, rss, fds, n, pids in rows:
    by.setdefault(prog, []).append((int(t), int(rss), int(fds), int(n), pids))
times = sorted({r[0] for v in by.values() for r in v})
if len(times) < 3:
    print("not ok - soak: fewer than 3 samples (run at least a minute)")
    sys.exit(0)
half = [t for t in times if t <= times[-1] / 2]
print(f"# baseline: the highest sample up to {half[-1]} s; last sample at {times[-1]} s")
procs = sum(v[-1][3] for p, v in by.items() if p != "postgresql")
print("# %-14s %12s %12s %8s %8s %6s" % ("program", "rss kB base", "rss kB last", "fd base", "fd last", "procs"))
for prog, v in by.items():
    first = [r for r in v if r[0] <= half[-1]]
    b = (0, max(r[1] for r in first), max(r[2] for r in first),
         max(r[3] for r in first), first[-1][4])
    e = v[-1]
    if prog == "postgresql":
        print(f"# {prog:14s} connections {b[3]} -> {e[3]}")
        print(("ok" if e[3] <= b[3] and e[3] <= procs else "not ok") +
              f" - soak: PostgreSQL connections of the programs {b[3]} -> {e[3]} "
              f"(no growth, at most one per process: {procs})")
        continue
    print("# %-14s %12d %12d %8d %8d %6d" % (prog, b[1], e[1], b[2], e[2], e[3]))
    bound = b[1] * 1.10 + 2048
    print(("ok" if e[1] <= bound else "not ok") +
          f" - soak: {prog} resident memory {b[1]} -> {e[1]} kB (bound {bound:.0f} kB)")
    print(("ok" if e[2] <= b[2] else "not ok") +
          f" - soak: {prog} open descriptors {b[2]} -> {e[2]} (no growth)")
    print(("ok" if e[4] == b[4] and e[3] > 0 else "not ok") +
          f" - soak: {prog} kept its {e[3]} processes (pids {e[4]}), none died")
PY
grep -E '^#' "$out/tap.log" | sed 's/^# //'
grep -E '^not ok' "$out/tap.log"
echo "samples: $out/samples.tsv"
echo "$(grep -c '^ok' "$out/tap.log") passed, $(grep -c '^not ok' "$out/tap.log") failed"
! grep -q '^not ok' "$out/tap.log"
