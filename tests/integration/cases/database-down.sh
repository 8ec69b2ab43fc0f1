#!/bin/bash
# database-down.sh: with PostgreSQL stopped every answer is a JSON 503 with
# Retry-After; once it is back, answers are 200 again without restarting
# the web server or the programs. Then the same with requests flowing
# (`pg_ctl stop -m immediate` mid-request), and with the programs'
# sessions killed by pg_terminate_backend.
# passes: lighttpd apache asan proxy cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

http GET /healthz
check "healthz is 200 before the outage" status_is 200

# Warm the refresh and whoami programs so they hold a connection that the
# outage will break (the first request afterwards must not be a 500).
user=$("$TOP/bin/ttctl" user create --github-login "down-$$-$RANDOM")
key=$("$TOP/bin/ttctl" key create --user "$user" --name down --cap kv_store_read 2>/dev/null)
[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$key" >>"$TT_ISSUED_SECRETS"
statuses=
refresh_status() {
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' -H "Authorization: Bearer $key"
	statuses="$statuses $STATUS"
}
for i in 1 2 3 4 5 6 7 8; do refresh_status; done
check "refresh works before the outage" status_is 200

PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$PGDIR" "$PGPORT"
http GET /healthz
check "database down: healthz is a JSON 503" error_is 503 UNAVAILABLE
check "database down: 503 carries Retry-After" header_matches Retry-After '^[0-9]+$'
http GET /healthz
check "database down: a second request is still a 503, not a crash" error_is 503 UNAVAILABLE
for i in 1 2 3 4 5 6 7 8; do refresh_status; done
check "database down: refresh answers 503 with Retry-After" error_is 503 UNAVAILABLE

"$TOP/tests/harness/pg.sh" start "$PGDIR" "$PGPORT" >/dev/null
check "database back: healthz is 200 again within 5 s" healthy_within 50
for i in 1 2 3 4 5 6 7 8; do refresh_status; done
check "database back: refresh is 200 again without a restart" status_is 200
check "no refresh answered 500 before, during or after the outage" \
    sh -c 'case "$1" in *500*) echo "# statuses:$1"; exit 1;; esac' - "$statuses"

# --- The same with requests flowing: four clients loop over healthz,
# refresh, whoami and a KV read while PostgreSQL is stopped with
# `pg_ctl stop -m immediate` and started again, then while the programs'
# sessions are killed with pg_terminate_backend. Every answer is a 200 or
# a JSON 503 with Retry-After (no 500, no dropped connection) within the
# statement timeout; within 5 s of each fault's end every route is 200.
flow_user=$(new_user)
new_installation
add_member "$INST" "$flow_user"
# The clients refresh far more often than TT_REFRESH_RATE_PER_KEY allows:
# the key gets its own limit (ttctl key create --rate-limit).
new_token "$flow_user" kv_store_read kv_store_write --rate-limit 1000000
flow_key=$KEY flow_token=$TOKEN
kv_json PUT "$flow_token" "$INST/key/flow" '{"data": "flowing"}'
check "flow: a KV record to read while the faults happen" status_is 200

KEY=$flow_key TOKEN=$flow_token INST=$INST BASE=$BASE SERVER=$SERVER \
    python3 - <<'PY'
import http.client, json, os, re, subprocess, threading, time, urllib.parse

base = urllib.parse.urlparse(os.environ["BASE"])
server, top = os.environ["SERVER"], os.environ["TOP"]
pgdir, pgport = os.environ["PGDIR"], os.environ["PGPORT"]
limit = int(os.environ.get("TT_STATEMENT_TIMEOUT_MS", "5000")) / 1000
tok = {"Authorization": "Bearer " + os.environ["TOKEN"]}
ROUTES = [
    ("healthz", "GET", "/healthz", {}),
    ("refresh", "POST", "/api/v1/access-token/refresh",
     {"Authorization": "Bearer " + os.environ["KEY"], "Content-Length": "0"}),
    ("whoami", "GET", "/api/v1/whoami", tok),
    ("kv get", "GET", f"/api/v1/github/kv/{os.environ['INST']}/key/flow", tok),
]
phase = ["before"]
log = []        # (phase at start, phase at end, route, status, seconds, end, why)
stop = threading.Event()

def tap(ok, what):
    print(("ok" if ok else "not ok") + f" - [{server}] flow: {what}", flush=True)

def shape(status, hdrs, body):
    """None if the answer is a 200 or the documented 503, else why not."""
    if status == 200:
        return None
    if status != 503:
        return f"status {status}: {body[:120]!r}"
    try:
        j = json.loads(body)
    except ValueError:
        return f"503 without JSON: {body[:120]!r}"
    if j.get("id") != "UNAVAILABLE":
        return f"503 id {j.get('id')}"
    if not (hdrs.get("Content-Type") or "").startswith("application/json"):
        return "503 Content-Type " + str(hdrs.get("Content-Type"))
    if not re.fullmatch(r"[0-9]+", hdrs.get("Retry-After") or ""):
        return "503 without Retry-After"
    return None

def client(k):
    i = k
    while not stop.is_set():
        name, m, p, h = ROUTES[i % len(ROUTES)]
        i += 1
        ph, t0 = phase[0], time.monotonic()
        try:
            c = http.client.HTTPConnection(base.hostname, base.port,
                                           timeout=limit + 5)
            c.request(m, p, body=b"" if m == "POST" else None, headers=h)
            r = c.getresponse()
            body = r.read()
            st, why = r.status, shape(r.status, r.headers, body)
            c.close()
        except Exception as e:  # a dropped connection is a failure
            st, why = 0, f"{type(e).__name__}: {e}"
        t1 = time.monotonic()
        log.append((ph, phase[0], name, st, t1 - t0, t1, why))
        time.sleep(0.01)

def run(*cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))

def recover(label, since):
    """Waits up to 5 s for a 200 from every route started after since;
    then 0.7 s more in which every answer must be a 200."""
    phase[0] = label + " recovering"
    deadline = since + 5
    while time.monotonic() < deadline:
        last = {}
        for e in log:
            if e[5] - e[4] >= since:
                last[e[2]] = e[3]
        if len(last) == len(ROUTES) and set(last.values()) == {200}:
            break
        time.sleep(0.05)
    took = time.monotonic() - since
    phase[0] = label + " after"
    time.sleep(0.7)
    after = [e for e in log if e[0] == e[1] == label + " after"]
    bad = [e for e in after if e[3] != 200]
    tap(took < 5 and after and not bad,
        f"{label}: every route is 200 again after {took:.1f} s (< 5 s, no restart), "
        f"and all {len(after)} answers of the next 0.7 s are 200")
    for e in bad[:5]:
        print(f"# {e[2]}: {e[3]} {e[6]}")

threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
time.sleep(0.4)

# PostgreSQL stopped hard while requests are in flight.
phase[0] = "stopping"
r = run(f"{top}/tests/harness/pg.sh", "stop", pgdir, pgport,
        env={"PGSTOP_MODE": "immediate"})
phase[0] = "down"
time.sleep(1)
phase[0] = "starting"
r = run(f"{top}/tests/harness/pg.sh", "start", pgdir, pgport)
up = time.monotonic()
tap(r.returncode == 0, "PostgreSQL started again")
recover("restart", up)

# The programs' sessions killed while requests are in flight.
phase[0] = "terminating"
killed = 0
for _ in range(3):
    r = run("psql", os.environ["TT_DATABASE_URL"], "-Atc",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name IN ('health', 'refresh', 'access-tokens', "
            "'kv', 'manifests', 'stacks', 'github-events')")
    killed += int(r.stdout.strip() or 0)
    time.sleep(0.2)
phase[0] = "terminated"
gone = time.monotonic()
print(f"# {killed} sessions terminated")
if server != "lighttpd-cgi":  # plain CGI holds no session between requests
    tap(killed > 0, "pg_terminate_backend ended the programs' sessions")
recover("terminate", gone)

stop.set()
for t in threads:
    t.join()

# Every answer of every phase: a 200 or the documented 503, in time.
counts = {}
for e in log:
    key = e[0] if e[0] == e[1] else e[0] + "->" + e[1]
    counts.setdefault(key, {}).setdefault(e[3], 0)
    counts[key][e[3]] += 1
for k, v in counts.items():
    print(f"# {k}: " + ", ".join(f"{n}x{s}" for s, n in sorted(v.items())))
bad = [e for e in log if e[6] is not None]
tap(not bad, f"all {len(log)} answers were 200 or a JSON 503 with Retry-After "
    "(no 500, no dropped connection)")
for e in bad[:5]:
    print(f"# {e[0]}->{e[1]} {e[2]}: {e[6]}")
down = [e for e in log if e[0] == e[1] == "down"]
tap(down and all(e[3] == 503 for e in down),
    f"while PostgreSQL was down all {len(down)} answers were 503")
slow = max(e[4] for e in log)
tap(slow < limit, f"the slowest answer took {slow:.2f} s (< the {limit:g} s statement timeout)")
PY

# --- Writes on sessions the database ended while they sat idle. Every kv
# process first holds a session (rounds of 16 concurrent reads), then
# pg_terminate_backend ends them with no request in flight, then 16
# concurrent writes (PUTs, and compare-and-set creates) must all be 200.
# A write the dead session never carried is sent on a new session, not
# refused with a 503 because it "may have run" (lib/db.c).
TOKEN=$flow_token INST=$INST BASE=$BASE SERVER=$SERVER python3 - <<'PY'
import http.client, json, os, subprocess, threading, time, urllib.parse

base = urllib.parse.urlparse(os.environ["BASE"])
server, inst = os.environ["SERVER"], os.environ["INST"]
H = {"Authorization": "Bearer " + os.environ["TOKEN"],
     "Content-Type": "application/json"}
N = 16

def tap(ok, what):
    print(("ok" if ok else "not ok") + f" - [{server}] idle sessions ended: {what}",
          flush=True)

def call(m, path, body, out, i):
    try:
        c = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
        c.request(m, path, body=body, headers=H)
        r = c.getresponse()
        out[i] = (r.status, r.read()[:200])
        c.close()
    except Exception as e:  # a dropped connection is a failure
        out[i] = (0, str(e))

def burst(reqs):
    out = [None] * len(reqs)
    ts = [threading.Thread(target=call, args=(*q, out, i))
          for i, q in enumerate(reqs)]
    for t in ts: t.start()
    for t in ts: t.join()
    return out

def kv_sessions(sql):
    r = subprocess.run(["psql", os.environ["TT_DATABASE_URL"], "-Atc",
                        sql + " FROM pg_stat_activity WHERE application_name = 'kv'"],
                       capture_output=True, text=True)
    return int(r.stdout.strip() or 0)

kv = f"/api/v1/github/kv/{inst}"
for _ in range(3):
    burst([("GET", f"{kv}/key/flow", None)] * N)
held = kv_sessions("SELECT count(*)")
print(f"# {held} kv sessions held before the terminate")
if server != "lighttpd-cgi":  # plain CGI holds no session between requests
    tap(held > 0, "the kv programs held sessions")
kv_sessions("SELECT count(pg_terminate_backend(pid))")
for _ in range(50):  # pg_terminate_backend only signals: wait for the exits
    if kv_sessions("SELECT count(*)") == 0:
        break
    time.sleep(0.1)
tag = f"{os.getpid()}-{time.monotonic_ns()}"
reqs = []
for i in range(N):
    if i % 2:
        reqs.append(("PUT", f"{kv}/key/idle-{tag}-{i}", json.dumps({"data": i})))
    else:
        reqs.append(("PUT", f"{kv}/cas/key/idle-{tag}-{i}", json.dumps({"data": i})))
out = burst(reqs)
bad = [(q[1], o) for q, o in zip(reqs, out) if o[0] != 200]
tap(not bad, f"all {N} writes right after it were 200 "
    f"(statuses {sorted(set(o[0] for o in out))})")
for b in bad[:4]:
    print(f"# {b}")
PY
