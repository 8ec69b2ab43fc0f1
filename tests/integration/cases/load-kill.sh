#!/bin/bash
# load-kill.sh: wrk's mixed load (refresh, whoami, KV get, put and CAS,
# the manifest list, signed webhooks; tests/harness/mixed.lua) while the
# programs are killed with SIGKILL one at a time, by their own pids. The
# web server starts them again; only the requests in flight at a kill may
# fail; afterwards every KV write answered 200 and every delivery answered
# 2xx is in the database (issue 8: "nothing acknowledged is lost").
# Under plain CGI there is no long-lived program to kill: the same load
# runs, and the same audit holds.
# passes: lighttpd apache asan cgi
# needs: github
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/hooks.sh"

if ! command -v wrk >/dev/null; then
	check "wrk is installed (tools/install-deps.sh)" false
	exit 0
fi

user=$(new_user)
new_installation
add_member "$INST" "$user"
# The load refreshes with one key thousands of times: its own limit
# (ttctl key create --rate-limit) keeps the per-key bucket from answering
# 429, so only the kills can make a request fail.
new_token "$user" "installation:$INST" kv_store_read kv_store_write \
    --rate-limit 1000000000
key=$KEY token=$TOKEN
kv_json PUT "$token" "$INST/key/mixed.read" '{"data": "read me"}'
check "a KV record for the load to read" status_is 200

# Signed ping deliveries, each with its own GUID and body.
python3 "$TOP/tests/harness/mixed_hooks.py" "$TT_GITHUB_WEBHOOK_SECRET_FILE" 6000 "$T/hooks"

case $SERVER in
*cgi*) victims= ;;
*)	victims="kv refresh github-events access-tokens manifests kv health github-events" ;;
esac

# The server's own pid: its programs are its descendants.
server_pid() {
	case $SERVER in
	lighttpd*) cat "${WEBDIR:-$PGDIR}/lighttpd/pid" 2>/dev/null ;;
	apache*) cat "${WEBDIR:-$PGDIR}/${SERVER%%-*}/run/httpd.pid" 2>/dev/null ;;
	esac
}

threads=4 seconds=8
mkdir -p "$T/wrk"
MIXED_KEY=$key MIXED_TOKEN=$token MIXED_INST=$INST MIXED_HOOKS=$T/hooks \
MIXED_OUT=$T/wrk MIXED_THREADS=$threads \
    wrk -t$threads -c$threads -d${seconds}s --timeout 10s \
    -s "$TOP/tests/harness/mixed.lua" "$BASE" >"$T/wrk.out" 2>&1 &
wrk_pid=$!

# One program process killed every 0.8 s, the first after 1 s of load.
sleep 1
SPID=$(server_pid) VICTIMS=$victims python3 - >"$T/kills" <<'PY'
import os, signal, time
victims = os.environ["VICTIMS"].split()
root = int(os.environ.get("SPID") or 0)

def programs():
    """pid -> program name for the server's descendants that are ours."""
    parent, names = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            parent[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
            names[int(d)] = os.path.basename(os.readlink(f"/proc/{d}/exe"))
        except OSError:
            pass
    out = {}
    for pid, name in names.items():
        p = pid
        while p > 1 and p in parent:
            p = parent[p]
            if p == root:
                out[pid] = name
                break
    return out

for v in victims:
    procs = [p for p, n in programs().items() if n == v]
    if procs:
        pid = min(procs)
        os.kill(pid, signal.SIGKILL)
        dead = False
        for _ in range(50):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    dead = f.read().split(") ")[1][0] in "ZX"
            except OSError:
                dead = True
            if dead:
                break
            time.sleep(0.01)
        print(f"killed {v} {pid} {'dead' if dead else 'alive'}", flush=True)
    else:
        print(f"missing {v}", flush=True)
    time.sleep(0.8)
PY
wait $wrk_pid
wrk_rc=$?
sed 's/^/# wrk: /' "$T/wrk.out" | grep -v '^# wrk: *$' | head -12
sed 's/^/# /' "$T/kills"
check "wrk ran the mixed load to its end" [ $wrk_rc = 0 -a -s "$T/wrk/summary" ]
if [ -n "$victims" ]; then
	check "each of the $(echo $victims | wc -w) kills found a live program process and it died" \
	    sh -c '[ "$(grep -c " dead$" "$1")" = "$2" ]' - "$T/kills" "$(echo $victims | wc -w)"
fi

# Every route answers again: the web server started the programs anew.
http GET /healthz
check "after the kills: healthz is 200" status_is 200
refresh "$key"
check "after the kills: refresh is 200" status_is 200
whoami "$TOKEN"
check "after the kills: whoami is 200" status_is 200
kv GET "$TOKEN" "$INST/key/mixed.read"
check "after the kills: KV get is 200" status_is 200
http GET "/api/v1/github/installations/$INST/work-manifests" -H "Authorization: Bearer $TOKEN"
check "after the kills: the manifest list is 200" status_is 200

# The audit: tallies, then every acknowledgement against the database.
INST=$INST KILLS=$(grep -c ' dead$' "$T/kills") THREADS=$threads \
LABEL="$SERVER] [load-kill" python3 "$TOP/tests/harness/mixed_audit.py" "$T/wrk"
