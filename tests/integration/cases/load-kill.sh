#!/bin/bash
# load-kill.sh: wrk's mixed load (refresh, whoami, KV get, put and CAS,
# the manifest list, signed webhooks; tests/harness/mixed.lua) while the
# programs are killed with SIGKILL one at a time, by their own pids. The
# web server starts them again; only the requests in flight at a kill may
# fail; afterwards every KV write answered 200 and every delivery answered
# 2xx is in the database (issue 8: "nothing acknowledged is lost").
# Under plain CGI there is no long-lived program to kill: the same load
# runs, and the same audit holds.
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/hooks.sh"

if ! command -v wrk >/dev/null; then
	check "wrk is installed (tools/install-deps.sh)" false
	exit 0
fi

user=$(new_user)
new_installation
add_member "$INST" "$user"
new_token "$user" "installation:$INST" kv_store_read kv_store_write
key=$KEY token=$TOKEN
kv_json PUT "$token" "$INST/key/mixed.read" '{"data": "read me"}'
check "a KV record for the load to read" status_is 200

# Signed ping deliveries, each with its own GUID and body.
SECRET=$SECRET python3 - "$T/hooks" <<'PY'
import hashlib, hmac, os, sys, uuid
secret = os.environ["SECRET"].encode()
with open(sys.argv[1], "w") as f:
    for i in range(6000):
        g = str(uuid.uuid4())
        body = '{"zen":"load %d","hook_id":%d,"hook":{"type":"App","id":%d},"guid":"%s"}' % (i, i, i, g)
        sig = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write(f"{g} {sig} {body}\n")
PY

case $SERVER in
*cgi*) victims= ;;
*)	victims="kv refresh github-events access-tokens manifests kv health github-events" ;;
esac

# The server's own pid: its programs are its descendants.
server_pid() {
	case $SERVER in
	lighttpd*) cat "$PGDIR/lighttpd/pid" 2>/dev/null ;;
	apache*) cat "$PGDIR/${SERVER%%-*}/run/httpd.pid" 2>/dev/null ;;
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
TT_DATABASE_URL=$TT_DATABASE_URL INST=$INST KILLS=$(grep -c ' dead$' "$T/kills") \
THREADS=$threads SERVER=$SERVER python3 - "$T/wrk" <<'PY'
import glob, os, subprocess, sys
d = sys.argv[1]
inst, kills, threads = os.environ["INST"], int(os.environ["KILLS"]), int(os.environ["THREADS"])
server = os.environ["SERVER"]

def tap(ok, what):
    print(("ok" if ok else "not ok") + f" - [{server}] load-kill: {what}", flush=True)

def q(sql):
    r = subprocess.run(["psql", os.environ["TT_DATABASE_URL"], "-Atc", sql],
                       capture_output=True, text=True)
    return r.stdout.split("\n")[:-1]

counts, puts, hooks, cas = {}, [], [], {}
for f in glob.glob(d + "/thread.*"):
    for line in open(f):
        w = line.split()
        if w[0] == "count":
            counts[(w[1], int(w[2]))] = counts.get((w[1], int(w[2])), 0) + int(w[3])
        elif w[0] == "put":
            puts.append(w[1])
        elif w[0] == "hook":
            hooks.append(w[1])
        elif w[0] == "cas":
            cas[w[1]] = max(cas.get(w[1], 0), int(w[2]))
summary = dict(l.split() for l in open(d + "/summary"))
summary = {k: int(v) for k, v in summary.items()}
by_op = {}
for (op, st), n in sorted(counts.items()):
    by_op.setdefault(op, []).append(f"{n}x{st}")
for op, v in by_op.items():
    print(f"# {op}: " + ", ".join(v))
print("# socket errors: " + ", ".join(f"{k} {v}" for k, v in summary.items() if k != "requests"))

# A CAS answered 409 after a write whose answer was lost is the API
# working (the client resyncs); anything else not 2xx is a failure, and
# there may be no more of them than requests in flight at the kills.
bad = sum(n for (op, st), n in counts.items()
          if not 200 <= st < 300 and not (op == "cas" and st == 409))
errs = summary["connect"] + summary["read"] + summary["write"] + summary["timeout"]
budget = kills * threads
tap(sum(counts.values()) > 200, f"{sum(counts.values())} answers in the run")
tap(bad + errs <= budget,
    f"{bad} non-2xx answers and {errs} socket errors, at most {budget} "
    f"(the requests in flight at {kills} kills)")
cas409 = sum(n for (op, st), n in counts.items() if op == "cas" and st == 409)
lost = bad + errs
tap(cas409 <= lost + kills, f"{cas409} CAS conflicts, no more than the CAS answers lost")
for op in ("refresh", "whoami", "kvget", "kvput", "cas", "wmlist", "hook"):
    tap(counts.get((op, 200), 0) + counts.get((op, 202), 0) > 0,
        f"{op} was answered 2xx during the run")

# Every KV write answered 200 is stored, with its value.
rows = dict(r.split("|", 1) for r in q(
    f"SELECT key, data::text FROM kv_store WHERE installation_id = {inst} "
    "AND committed AND key LIKE 'mixed.put/%'"))
missing = [k for k in puts if rows.get(k) != k.rsplit("/", 1)[1]]
tap(puts and not missing, f"all {len(puts)} KV puts answered 200 are stored with their data")
for k in missing[:5]:
    print(f"# missing or wrong: {k} -> {rows.get(k)}")

# Every CAS answered 200 is stored, or a later one is.
got = dict(r.split("|", 1) for r in q(
    f"SELECT key, data::text FROM kv_store WHERE installation_id = {inst} "
    "AND committed AND key LIKE 'mixed.cas/%'"))
behind = [k for k, v in cas.items() if int(got.get(k, "-1")) < v]
tap(cas and not behind, f"the {len(cas)} CAS keys hold their last acknowledged value or later")

# Every delivery answered 2xx is in the ledger.
stored = set(q("SELECT delivery_id FROM webhook_deliveries WHERE event = 'ping'"))
lost = [g for g in hooks if g not in stored]
tap(hooks and not lost, f"all {len(hooks)} deliveries answered 2xx are in the ledger")
PY
