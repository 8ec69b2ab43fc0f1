#!/usr/bin/python3
"""fakerunner_test.py: self-test of tests/harness/fakerunner.py against a
tiny stand-in server written here (a model of our server's runner routes:
manifests handed out in order, plans stored by dirspace, results kept, a
queue of faults). Runs fakerunner.py as a process for each scenario and
prints TAP ("ok N - ..." / "not ok N - ..."); exits non-zero on any
failure. Stdlib only; takes about 20 s.
  python3 tests/harness/fakerunner_test.py
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "fakerunner.py")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import fakerunner  # noqa: E402  (for plan_data and plan_file_bytes)

SHA = "0123456789abcdef0123456789abcdef01234567"
TOKEN = "wmtok-Q7m2ZkP9xL4vR8sT1nB6yW3cH5jD0fGa"
BASE_PATH = "/api/github"

N = 0
FAILED = 0


def check(desc, cond, why=None):
    global N, FAILED
    N += 1
    if cond:
        print("ok %d - %s" % (N, desc))
    else:
        FAILED += 1
        print("not ok %d - %s" % (N, desc))
        if why is not None:
            for line in str(why).splitlines()[:12]:
                print("#   " + line[:300])
    sys.stdout.flush()


class Fake:
    """The stand-in server's state; one scenario at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.gen = getattr(self, "gen", 0) + 1
            self.requests = []
            self.queue = []            # manifests handed out by initiate, in order
            self.tokens = {}           # token -> W
            self.plans = {}            # (W, path, ws) -> plan_data
            self.results = []          # (W, body bytes)
            self.faults = []           # [call, status|"pass"|"sleep:S"|"hangup", count (-1: ever)]
            self.r2_delay = 0.0
            self.inflight = 0
            self.max_inflight = 0
            self.r4 = "normal"         # normal | raw | reserialize | missing
            self.plan_for = {}         # (path, ws) of an apply -> (W, path, ws) plan
            self.results_status = [200]

    def manifest(self, w, kind, dirspaces, token=TOKEN, **extra):
        m = {"type": kind, "token": token, "config": {"cost_estimation": {"enabled": False}},
             "changed_dirspaces": [{"path": d, "workspace": ws, "rank": r}
                                   for d, ws, r in dirspaces],
             "base_ref": "main", "result_version": 2,
             "run_kind": "pr", "run_kind_data": {"id": "7"}}
        m.update(extra)
        with self.lock:
            self.queue.append((w, m))
            self.tokens[token] = w

    def take_fault(self, call):
        with self.lock:
            for f in self.faults:
                if f[0] == call and f[2] != 0:
                    f[2] -= 1
                    return f[1]
        return None


FAKE = Fake()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, obj=None, raw=None):
        data = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        m = re.fullmatch(BASE_PATH + r"/v1/work-manifests/([^/]+)(?:/(initiate|access-token|plans))?",
                         u.path)
        call = None
        if m:
            sub = m.group(2)
            call = {("POST", "initiate"): "R1", ("POST", "access-token"): "R2",
                    ("POST", "plans"): "R3", ("GET", "plans"): "R4",
                    ("PUT", None): "R5"}.get((self.command, sub))
        rec = {"t": time.time(), "call": call, "method": self.command, "path": self.path,
               "headers": list(self.headers.items()), "body": body}
        with FAKE.lock:
            FAKE.requests.append(rec)
        if call is None:
            return self.send(404, {"id": "NOT_FOUND", "data": "no such route"})
        f = FAKE.take_fault(call)
        if f == "hangup":
            self.close_connection = True
            return
        if isinstance(f, str) and f.startswith("sleep:"):
            gen = FAKE.gen
            time.sleep(float(f[6:]))
            if gen != FAKE.gen:     # the scenario is over: answer nothing
                self.close_connection = True
                return
        elif f is not None and f != "pass":
            return self.send(f, {"id": "FAULT", "data": "fault %d" % f})
        w = urllib.parse.unquote(m.group(1))
        if call == "R1":
            with FAKE.lock:
                if FAKE.queue and FAKE.queue[0][0] == w:
                    return self.send(200, FAKE.queue.pop(0)[1])
            if w == "missing":
                return self.send(404, {"id": "NOT_FOUND", "data": "no manifest"})
            return self.send(200, {"type": "done"})
        auth = self.headers.get("Authorization") or ""
        parts = auth.split(" ", 1)
        if len(parts) != 2 or parts[0].lower() != "bearer" or FAKE.tokens.get(parts[1]) != w:
            return self.send(401, {"id": "UNAUTHORIZED", "data": "bad token"})
        if call == "R2":
            with FAKE.lock:
                FAKE.inflight += 1
                FAKE.max_inflight = max(FAKE.max_inflight, FAKE.inflight)
            time.sleep(FAKE.r2_delay)
            with FAKE.lock:
                FAKE.inflight -= 1
            return self.send(200, {"access_token": "ghs_" + "x" * 36})
        if call == "R3":
            req = json.loads(body)
            with FAKE.lock:
                FAKE.plans[(w, req["path"], req["workspace"])] = req["plan_data"]
            return self.send(200)
        if call == "R4":
            q = urllib.parse.parse_qs(u.query)
            key = (q["path"][0], q["workspace"][0])
            with FAKE.lock:
                src = FAKE.plan_for.get(key)
                pd = FAKE.plans.get(src) if src else None
            if pd is None or FAKE.r4 == "missing":
                return self.send(404, {"id": "NOT_FOUND", "data": "no plan"})
            if FAKE.r4 == "raw":
                env = json.loads(base64.b64decode(pd))
                return self.send(200, {"data": env["data"]})
            if FAKE.r4 == "reserialize":
                env = json.loads(base64.b64decode(pd))
                pd = base64.b64encode(json.dumps(env, separators=(",", ":")).encode()).decode()
            return self.send(200, {"data": pd})
        if call == "R5":
            with FAKE.lock:
                FAKE.results.append((w, body))
                st = FAKE.results_status.pop(0) if len(FAKE.results_status) > 1 else FAKE.results_status[0]
            return self.send(st, {} if st == 200 else {"id": "X", "data": "refused"})

    do_GET = do_POST = do_PUT = do_any


def run(w, *args, timeout=60):
    """Runs fakerunner against the stand-in; returns (rc, stderr, log records)."""
    fd, logf = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    cmd = [sys.executable, RUNNER, "--api-base-url", BASE + "/", "--work-token", w,
           "--run-id", "4242", "--sha", SHA, "--log", logf] + list(args)
    if "--backoff-initial" not in args:
        cmd += ["--backoff-initial", "0.02"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    with open(logf) as fh:
        log = [json.loads(line) for line in fh]
    os.unlink(logf)
    return p.returncode, p.stderr.decode(), log


def calls(kind=None):
    with FAKE.lock:
        return [r for r in FAKE.requests if kind is None or r["call"] == kind]


def hdr(rec, name):
    for k, v in rec["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def last_results():
    with FAKE.lock:
        return json.loads(FAKE.results[-1][1]) if FAKE.results else None


def steps_of(res, d=None, ws=None, pre=False):
    out = []
    for s in res["steps"]:
        sc = s["scope"]
        if pre and sc.get("type") == "run":
            out.append(s)
        elif not pre and sc.get("type") == "dirspace" and sc["dir"] == d and sc["workspace"] == ws:
            out.append(s)
    return out


def main():
    global BASE
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    BASE = "http://127.0.0.1:%d%s" % (srv.server_address[1], BASE_PATH)

    # --- a plan, then done ---------------------------------------------------
    FAKE.reset()
    ds = [("infra/app", "default", 0), ("infra/db", "prod", 0)]
    FAKE.manifest("w-plan", "plan", ds)
    rc, err, log = run("w-plan", "--has-changes", "infra/db:prod=false")
    check("plan: exit 0", rc == 0, err)
    seq = [r["call"] for r in calls()]
    check("plan: R1, R2 (pre-hooks), then per dirspace R2 and R3, R5, R1",
          seq[0] == "R1" and seq[1] == "R2" and sorted(seq[2:6]) == ["R2", "R2", "R3", "R3"] and
          seq[6:] == ["R5", "R1"], seq)
    r1 = calls("R1")[0]
    check("R1: POST .../initiate with {run_id: string, sha}",
          r1["method"] == "POST" and r1["path"] == BASE_PATH + "/v1/work-manifests/w-plan/initiate" and
          json.loads(r1["body"]) == {"run_id": "4242", "sha": SHA} and
          r1["body"] == json.dumps({"run_id": "4242", "sha": SHA}).encode(), r1)
    check("R1: no credential, Content-Type application/json, requests' headers",
          hdr(r1, "authorization") is None and hdr(r1, "content-type") == "application/json" and
          hdr(r1, "user-agent").startswith("python-requests/") and
          hdr(r1, "accept-encoding") == "gzip, deflate" and hdr(r1, "accept") == "*/*", r1["headers"])
    r2s = calls("R2")
    check("R2: 'authorization: bearer T' with the lower-case header name and scheme",
          all(("authorization", "bearer " + TOKEN) in r["headers"] for r in r2s) and len(r2s) == 3,
          [r["headers"] for r in r2s])
    check("R2: Content-Length: 0, no body, no Content-Type",
          all(hdr(r, "content-length") == "0" and r["body"] == b"" and
              hdr(r, "content-type") is None for r in r2s))
    r3 = {json.loads(r["body"])["path"]: json.loads(r["body"]) for r in calls("R3")}
    check("R3: {path, workspace, plan_data, has_changes} per dirspace",
          set(r3) == {"infra/app", "infra/db"} and
          all(set(b) == {"path", "workspace", "plan_data", "has_changes"} for b in r3.values()) and
          r3["infra/app"]["has_changes"] is True and r3["infra/db"]["has_changes"] is False, r3)
    env = json.loads(base64.b64decode(r3["infra/app"]["plan_data"]))
    raw = base64.b64decode(env["data"])
    check("R3: plan_data is base64 of {data, method: terrateam, version: 1}",
          list(env) == ["data", "method", "version"] and env["method"] == "terrateam" and
          env["version"] == 1, env)
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    check("R3: the plan file is deterministic and not UTF-8",
          not utf8 and raw == fakerunner.plan_file_bytes("infra/app", "default",
                                                         fakerunner.DEFAULT_PLAN_TEXT))
    out = subprocess.run([sys.executable, RUNNER, "--print-plan-data", "infra/app", "default"],
                         stdout=subprocess.PIPE).stdout.decode().strip()
    check("--print-plan-data prints R3's plan_data", out == r3["infra/app"]["plan_data"])
    check("R3: Content-Type application/json and the bearer header",
          all(hdr(r, "content-type") == "application/json" and
              hdr(r, "authorization") == "bearer " + TOKEN for r in calls("R3")))
    r5 = calls("R5")[0]
    res = json.loads(r5["body"])
    check("R5: PUT B/v1/work-manifests/W with the bearer header",
          r5["method"] == "PUT" and r5["path"] == BASE_PATH + "/v1/work-manifests/w-plan" and
          hdr(r5, "authorization") == "bearer " + TOKEN and
          hdr(r5, "content-type") == "application/json", r5["path"])
    check("R5: only 'steps' (no gates), each step with exactly ignore_errors, payload, scope, step, success",
          list(res) == ["steps"] and
          all(list(s) == ["ignore_errors", "payload", "scope", "step", "success"] for s in res["steps"]),
          res)
    pre = steps_of(res, pre=True)
    check("R5: the pre-hooks scope holds auth/update-terrateam-github-token",
          [(s["step"], s["scope"], s["success"]) for s in pre] ==
          [("auth/update-terrateam-github-token",
            {"type": "run", "flow": "hooks", "subflow": "pre"}, True)], pre)
    app = steps_of(res, "infra/app", "default")
    check("R5: each dirspace has auth, tf/init, tf/plan, all successful",
          [s["step"] for s in app] == ["auth/update-terrateam-github-token", "tf/init", "tf/plan"] and
          all(s["success"] and s["ignore_errors"] is False for s in app) and
          app[0]["scope"] == {"type": "dirspace", "dir": "infra/app", "workspace": "default"}, app)
    p = app[2]["payload"]
    check("R5: tf/plan's payload has plan, has_changes, text, visible_on",
          set(p) == {"plan", "has_changes", "text", "visible_on"} and p["has_changes"] is True and
          "infra/app" in p["plan"] and p["plan"] in p["text"], p)
    db = steps_of(res, "infra/db", "prod")
    check("R5: has_changes false for the dirspace told so",
          db[2]["payload"]["has_changes"] is False and "No changes." in db[2]["payload"]["plan"], db)
    check("masking: the token is nowhere in R5; tf/init's text shows ***",
          TOKEN.encode() not in r5["body"] and
          "TERRATEAM_TOKEN=***" in app[1]["payload"]["text"], app[1])
    kinds = [x["event"] for x in log]
    check("log: start, manifest, http per call, dirspace, results, exit",
          kinds[0] == "start" and kinds[-1] == "exit" and "manifest" in kinds and
          kinds.count("dirspace") == 2 and kinds.count("results") == 1 and
          kinds.count("http") == 8, kinds)
    h = [x for x in log if x["event"] == "http"]
    check("log: http records have method, path, status, body size and hash",
          all(x["status"] == 200 and x["method"] and x["path"] for x in h) and
          [x for x in h if x["call"] == "R1"][0]["req_sha256"] == hashlib.sha256(r1["body"]).hexdigest() and
          [x for x in h if x["call"] == "R5"][0]["req_bytes"] == len(r5["body"]), h[:2])
    check("log: R2 records the access token's hash, not the token",
          all(x["read"]["access_token_sha256"] == hashlib.sha256(b"ghs_" + b"x" * 36).hexdigest()
              for x in h if x["call"] == "R2") and "ghs_xxx" not in json.dumps(log))
    ex = log[-1]
    check("log: exit 0 after 2 initiates", ex["status"] == 0 and ex["manifests"] == 2, ex)
    plans = dict(FAKE.plans)

    # --- apply -----------------------------------------------------------------
    FAKE.reset()
    FAKE.plans = plans
    FAKE.plan_for = {("infra/app", "default"): ("w-plan", "infra/app", "default"),
                     ("infra/db", "prod"): ("w-plan", "infra/db", "prod")}
    FAKE.manifest("w-apply", "apply", ds)
    rc, err, log = run("w-apply", "--outputs", '{"url": {"value": "https://x", "type": "string"}}')
    check("apply: exit 0", rc == 0, err)
    r4 = calls("R4")
    check("R4: GET .../plans?path=<URL-encoded>&workspace=",
          sorted(r["path"] for r in r4) ==
          [BASE_PATH + "/v1/work-manifests/w-apply/plans?path=infra%2Fapp&workspace=default",
           BASE_PATH + "/v1/work-manifests/w-apply/plans?path=infra%2Fdb&workspace=prod"] and
          all(hdr(r, "content-length") is None and hdr(r, "authorization") == "bearer " + TOKEN
              for r in r4), [r["path"] for r in r4])
    dl = [x for x in log if x["event"] == "dirspace"]
    check("apply: the plan round trip is byte-exact (plan_check ok)",
          [x["plan_check"] for x in dl] == ["ok", "ok"], dl)
    res = last_results()
    app = steps_of(res, "infra/app", "default")
    check("R5: auth, tf/init, tf/apply with text and outputs",
          [s["step"] for s in app] == ["auth/update-terrateam-github-token", "tf/init", "tf/apply"] and
          app[2]["success"] and set(app[2]["payload"]) == {"text", "outputs", "visible_on"} and
          app[2]["payload"]["outputs"]["url"]["value"] == "https://x", app)

    FAKE.reset()
    FAKE.plans = plans
    FAKE.plan_for = {("infra/app", "default"): ("w-plan", "infra/app", "default")}
    FAKE.manifest("w-apply", "apply", [("infra/app", "default", 0)])
    rc, err, log = run("w-apply")
    app = steps_of(last_results(), "infra/app", "default")
    check("apply without --outputs: tf/apply has no outputs",
          rc == 0 and set(app[2]["payload"]) == {"text", "visible_on"}, app)

    FAKE.reset()
    FAKE.plans = plans
    FAKE.manifest("w-apply", "apply", [("infra/app", "default", 0)])
    rc, err, log = run("w-apply")
    app = steps_of(last_results(), "infra/app", "default")
    check("apply, R4 404: tf/apply fails 'Could not load plan from backend', exit 0",
          rc == 0 and app[2]["step"] == "tf/apply" and not app[2]["success"] and
          app[2]["payload"] == {"text": "Could not load plan from backend", "visible_on": "always"} and
          [x for x in log if x["event"] == "dirspace"][0]["plan_check"] == "http-404", app)

    for mode, want_check, want_step, ok in (
            ("raw", "error", "apply", False),
            ("reserialize", "envelope-differs", "tf/apply", True)):
        FAKE.reset()
        FAKE.plans = plans
        FAKE.r4 = mode
        FAKE.plan_for = {("infra/app", "default"): ("w-plan", "infra/app", "default")}
        FAKE.manifest("w-apply", "apply", [("infra/app", "default", 0)])
        rc, err, log = run("w-apply")
        app = steps_of(last_results(), "infra/app", "default")
        pc = [x for x in log if x["event"] == "dirspace"][0]["plan_check"]
        check("apply, R4 answers %s: plan_check %s, step %s success %s" % (mode, want_check, want_step, ok),
              rc == 0 and pc == want_check and app[2]["step"] == want_step and
              app[2]["success"] is ok and (ok or app[2]["payload"] == {}), (pc, app[2]))

    FAKE.reset()
    FAKE.plans = plans
    FAKE.plan_for = {("infra/app", "default"): ("w-plan", "infra/app", "default")}
    FAKE.manifest("w-apply", "apply", [("infra/app", "default", 0)])
    rc, err, log = run("w-apply", "--plan-text", "another plan")
    app = steps_of(last_results(), "infra/app", "default")
    check("apply with another --plan-text than the plan's: plan-differs, tf/apply fails",
          rc == 0 and [x for x in log if x["event"] == "dirspace"][0]["plan_check"] == "plan-differs" and
          not app[2]["success"] and "stale" in app[2]["payload"]["text"], app[2])

    # --- big plans, --plan-text -------------------------------------------------
    FAKE.reset()
    FAKE.manifest("w-big", "plan", [("big", "default", 0)])
    rc, err, log = run("w-big", "--plan-bytes", "1100000", "--text-bytes", "1100000",
                       "--plan-text", "plan of {dir}/{workspace} at {sha} run {run_id} token {token}\n")
    r3 = calls("R3")[0]
    pd = json.loads(r3["body"])["plan_data"]
    f = base64.b64decode(json.loads(base64.b64decode(pd))["data"])
    res = last_results()
    p = steps_of(res, "big", "default")[2]["payload"]
    check("--plan-bytes: a 1.1 MB plan file, R3 over 1.8 MB",
          len(f) == 1100000 and len(r3["body"]) > 1800000, (len(f), len(r3["body"])))
    check("--text-bytes and --plan-text placeholders: plan text over 1.1 MB, R5 over 2.2 MB",
          p["plan"].startswith("plan of big/default at %s run 4242 token ***\n" % SHA) and
          len(p["plan"]) >= 1100000 - len(TOKEN) and len(calls("R5")[0]["body"]) > 2200000,
          (p["plan"][:100], len(p["plan"]), len(calls("R5")[0]["body"])))
    out = subprocess.run([sys.executable, RUNNER, "--print-plan-data", "big", "default", "--plan-bytes",
                          "1100000", "--plan-text",
                          "plan of {dir}/{workspace} at {sha} run {run_id} token {token}\n"],
                         stdout=subprocess.PIPE).stdout.decode().strip()
    check("--print-plan-data with --plan-text and --plan-bytes matches R3", out == pd)

    # --- retries ---------------------------------------------------------------
    FAKE.reset()
    FAKE.faults = [["R1", 503, 2], ["R5", 503, 1], ["R3", 429, 1]]
    FAKE.manifest("w-retry", "plan", [("a", "default", 0)])
    rc, err, log = run("w-retry", "--backoff-initial", "1")
    t = [r["t"] for r in calls("R1")]
    check("R1 503 twice: tried again after 1 s, then 1.5 s; exit 0",
          rc == 0 and len(t) == 4 and 0.95 <= t[1] - t[0] < 1.4 and 1.45 <= t[2] - t[1] < 1.9,
          [round(b - a, 3) for a, b in zip(t, t[1:])])
    check("R5 503 once and R3 429 once: each tried again, both stored",
          len(calls("R5")) == 2 and len(calls("R3")) == 2 and
          calls("R5")[0]["body"] == calls("R5")[1]["body"] and
          steps_of(last_results(), "a", "default")[2]["success"])

    FAKE.reset()
    FAKE.faults = [["R1", 503, -1]]
    rc, err, log = run("w-x")
    check("R1 503 for ever: 5 tries, then exit 1",
          rc == 1 and len(calls("R1")) == 5 and "Invalid work manifest response code 503" in err, err)

    FAKE.reset()
    FAKE.faults = [["R1", "hangup", -1]]
    rc, err, log = run("w-x")
    check("R1 connection closed without an answer: 5 tries, exit 1",
          rc == 1 and len(calls("R1")) == 5 and
          [x["status"] for x in log if x["event"] == "http"] == [None] * 5, err)

    FAKE.reset()
    FAKE.faults = [["R5", "sleep:1.5", 1]]
    FAKE.manifest("w-slow", "plan", [("a", "default", 0)])
    rc, err, log = run("w-slow", "--timeout", "0.5")
    h5 = [x for x in log if x["event"] == "http" and x["call"] == "R5"]
    check("R5 slower than --timeout: timed out, tried again, exit 0",
          rc == 0 and len(h5) == 2 and h5[0]["status"] is None and "timed out" in h5[0]["error"] and
          h5[1]["status"] == 200, h5)

    FAKE.reset()
    FAKE.faults = [["R2", 401, 1]]
    FAKE.manifest("w-401", "plan", [("a", "default", 0)])
    rc, err, log = run("w-401")
    check("a 4xx is not retried (R2 401 once: 1 pre-hook R2 attempt)",
          [x["status"] for x in log if x["event"] == "http" and x["call"] == "R2"][0] == 401 and
          len([x for x in log if x["event"] == "http" and x["call"] == "R2"]) == 1)

    # --- exit status -----------------------------------------------------------
    FAKE.reset()
    rc, err, log = run("missing")
    check("R1 404: exit 1 'work manifest not found', one call",
          rc == 1 and "work manifest not found" in err and len(calls()) == 1, err)

    FAKE.reset()
    FAKE.results_status = [500]
    FAKE.manifest("w-r5", "plan", [("a", "default", 0)])
    rc, err, log = run("w-r5")
    check("R5 500 for ever: 5 tries, exit 1 'Failed to send results'",
          rc == 1 and len(calls("R5")) == 5 and "Failed to send results" in err, err)

    FAKE.reset()
    FAKE.results_status = [403]
    FAKE.manifest("w-r5", "plan", [("a", "default", 0)])
    rc, err, log = run("w-r5")
    check("R5 403: not retried, exit 1, no R6", rc == 1 and len(calls("R5")) == 1 and
          len(calls("R1")) == 1, err)

    FAKE.reset()
    FAKE.results_status = [204]
    FAKE.manifest("w-r5", "plan", [("a", "default", 0)])
    rc, err, log = run("w-r5")
    check("R5 204 (not exactly 200): exit 1", rc == 1, err)

    FAKE.reset()
    FAKE.manifest("w-v1", "plan", [("a", "default", 0)], result_version=1)
    rc, err, log = run("w-v1")
    check("result_version 1: exit 3 before any R2", rc == 3 and "result_version" in err and
          not calls("R2"), err)

    FAKE.reset()
    FAKE.manifest("w-rank", "plan", [("a", "default", 0)])
    FAKE.queue[0][1]["changed_dirspaces"][0].pop("rank")
    rc, err, log = run("w-rank")
    check("a dirspace without rank: exit 3", rc == 3 and "rank" in err, err)

    FAKE.reset()
    FAKE.manifest("w-sha", "plan", [("a", "default", 0)], base_ref=SHA)
    rc, err, log = run("w-sha")
    check("base_ref a sha, not a branch: exit 3", rc == 3 and "branch" in err, err)

    FAKE.reset()
    FAKE.manifest("w-ce", "plan", [("a", "default", 0)], config={})
    rc, err, log = run("w-ce")
    check("config {} (cost estimation left on): a warning in the log, exit 0",
          rc == 0 and any(x["event"] == "warning" and "cost estimation" in x["message"] for x in log))

    FAKE.reset()
    FAKE.manifest("w-stop", "plan", [("a", "default", 0)])
    rc, err, log = run("w-stop", "--stop-after", "initiate")
    check("--stop-after initiate: exit 4 after R1 alone", rc == 4 and [r["call"] for r in calls()] == ["R1"])

    FAKE.reset()
    FAKE.manifest("w-stop", "plan", [("a", "default", 0)])
    rc, err, log = run("w-stop", "--stop-after", "plans")
    check("--stop-after plans: exit 4 after R3, no R5",
          rc == 4 and [r["call"] for r in calls()] == ["R1", "R2", "R2", "R3"])

    FAKE.reset()
    FAKE.manifest("w-stop", "plan", [("a", "default", 0)])
    rc, err, log = run("w-stop", "--stop-after", "results")
    check("--stop-after results: exit 4 after R5, no R6",
          rc == 4 and [r["call"] for r in calls()] == ["R1", "R2", "R2", "R3", "R5"])

    FAKE.reset()
    FAKE.manifest("w-merge", "plan", [("a", "default", 0)])
    rc, err, log = run("w-merge", "--fail", "merge")
    check("--fail merge: exit 1 after R1, no R5", rc == 1 and [r["call"] for r in calls()] == ["R1"])

    # --- failures show only in the results ----------------------------------
    FAKE.reset()
    FAKE.manifest("w-fail", "plan", [("a", "default", 0), ("b", "default", 0), ("c", "default", 0),
                                     ("d", "default", 0)], config={"cost_estimation": {"enabled": False}})
    rc, err, log = run("w-fail", "--fail", "a:default:plan", "--fail", "b:*:init",
                       "--fail", "c:default:plan-raise")
    res = last_results()
    a, b, c, d = (steps_of(res, x, "default") for x in "abcd")
    check("steps failed, exit still 0", rc == 0, err)
    check("a failed tf/plan has only text and visible_on; no R3 for it",
          a[2]["step"] == "tf/plan" and not a[2]["success"] and
          set(a[2]["payload"]) == {"text", "visible_on"} and
          all(json.loads(r["body"])["path"] != "a" for r in calls("R3")), a)
    check("a failed tf/init stops its dirspace: no tf/plan",
          [s["step"] for s in b] == ["auth/update-terrateam-github-token", "tf/init"] and
          not b[1]["success"], b)
    check("a step that raised is reported by its bare type with an empty payload",
          c[2]["step"] == "plan" and c[2]["payload"] == {} and not c[2]["success"], c)
    check("the other dirspace succeeded", all(s["success"] for s in d) and len(d) == 3, d)

    FAKE.reset()
    FAKE.faults = [["R3", 500, -1]]
    FAKE.manifest("w-r3", "plan", [("a", "default", 0)])
    rc, err, log = run("w-r3")
    a = steps_of(last_results(), "a", "default")
    check("R3 500 for ever: 5 tries, tf/plan fails 'Could not store plan file', exit 0",
          rc == 0 and len(calls("R3")) == 5 and not a[2]["success"] and
          a[2]["payload"]["text"].startswith("Could not store plan file, with the following error:\n\n"), a)

    FAKE.reset()
    FAKE.faults = [["R3", 201, 1]]
    FAKE.manifest("w-r3", "plan", [("a", "default", 0)])
    rc, err, log = run("w-r3")
    a = steps_of(last_results(), "a", "default")
    check("R3 201 (not exactly 200): tf/plan fails", rc == 0 and not a[2]["success"], a)

    FAKE.reset()
    FAKE.faults = [["R2", "pass", 1], ["R2", 403, 1]]
    FAKE.manifest("w-r2", "plan", [("a", "default", 0)])
    rc, err, log = run("w-r2")
    a = steps_of(last_results(), "a", "default")
    check("a dirspace's R2 403: its auth step fails with the status, nothing after it",
          rc == 0 and len(a) == 1 and not a[0]["success"] and "Status 403" in a[0]["payload"]["text"] and
          not calls("R3"), a)

    FAKE.reset()
    FAKE.faults = [["R2", 403, 1]]
    FAKE.manifest("w-pre", "plan", [("a", "default", 0)])
    rc, err, log = run("w-pre")
    res = last_results()
    check("the pre-hooks' R2 403: R5 holds only the failed pre-hook step, then R6; exit 0",
          rc == 0 and len(res["steps"]) == 1 and res["steps"][0]["scope"]["type"] == "run" and
          not res["steps"][0]["success"] and len(calls("R2")) == 1 and
          [r["call"] for r in calls()][-1] == "R1", res)

    FAKE.reset()
    FAKE.manifest("w-pre", "plan", [("a", "default", 0)])
    rc, err, log = run("w-pre", "--fail", "pre")
    res = last_results()
    check("--fail pre: a failed 'run' pre-hook step, no dirspace steps",
          rc == 0 and [s["step"] for s in res["steps"]] == ["auth/update-terrateam-github-token", "run"] and
          not calls("R3"), res)

    # --- parallelism -------------------------------------------------------
    FAKE.reset()
    FAKE.r2_delay = 0.3
    FAKE.manifest("w-par", "plan", [("r0a", "default", 0), ("r0b", "default", 0), ("r0c", "default", 0),
                                    ("r1a", "default", 1), ("r1b", "default", 1)])
    rc, err, log = run("w-par")
    r2 = [(r["t"], r) for r in calls("R2")][1:]
    dl = {x["dir"]: x for x in log if x["event"] == "dirspace"}
    check("rank 0's three dirspaces run at once (3 R2 in flight)",
          rc == 0 and FAKE.max_inflight == 3 and
          max(dl[x]["start"] for x in ("r0a", "r0b", "r0c")) < min(dl[x]["end"] for x in ("r0a", "r0b", "r0c")),
          FAKE.max_inflight)
    check("rank 1 starts after every rank 0 dirspace has ended",
          min(dl[x]["start"] for x in ("r1a", "r1b")) >= max(dl[x]["end"] for x in ("r0a", "r0b", "r0c")),
          dl)
    res = last_results()
    check("R5 lists the dirspaces rank by rank",
          [s["scope"]["dir"] for s in res["steps"] if s["scope"]["type"] == "dirspace"][::3] ==
          ["r0a", "r0b", "r0c", "r1a", "r1b"], res["steps"])

    FAKE.reset()
    FAKE.r2_delay = 0.2
    FAKE.manifest("w-par", "plan", [("p%d" % i, "default", 0) for i in range(5)])
    rc, err, log = run("w-par", "--parallel", "2")
    check("--parallel 2: at most 2 dirspaces at once", rc == 0 and FAKE.max_inflight == 2,
          FAKE.max_inflight)

    FAKE.reset()
    FAKE.r2_delay = 0.2
    FAKE.manifest("w-par", "plan", [("p%d" % i, "default", 0) for i in range(5)],
                  config={"parallel_runs": 5, "cost_estimation": {"enabled": False}})
    rc, err, log = run("w-par")
    check("config parallel_runs 5: 5 at once", rc == 0 and FAKE.max_inflight == 5, FAKE.max_inflight)

    FAKE.reset()
    FAKE.r2_delay = 0.2
    FAKE.manifest("w-ws", "plan", [("same", "ws1", 0), ("same", "ws2", 0), ("other", "default", 0)])
    rc, err, log = run("w-ws")
    dl = {(x["dir"], x["workspace"]): x for x in log if x["event"] == "dirspace"}
    one, two = dl[("same", "ws1")], dl[("same", "ws2")]
    check("two workspaces of one dir in one rank run one after the other (the runner's rows)",
          rc == 0 and (one["start"] >= two["end"] or two["start"] >= one["end"]) and
          one["row"] != two["row"], dl)

    # --- masking -----------------------------------------------------------
    FAKE.reset()
    tok = "sekret-tok"
    FAKE.manifest("w-mask", "plan", [(tok, "sekret-tok-ws", 0)], token=tok)
    rc, err, log = run("w-mask", "--plan-text", "{token} in {dir}")
    res = last_results()
    s = res["steps"][1:]
    check("masking: a dir exactly equal to the token stays as it is",
          rc == 0 and len(s) == 3 and s[0]["scope"]["dir"] == tok, res)
    check("masking: a workspace that holds the token stays as it is (exactly a workspace)",
          len(s) == 3 and s[0]["scope"]["workspace"] == "sekret-tok-ws", s)
    check("masking: the token inside a longer string becomes ***",
          len(s) == 3 and s[2]["payload"]["plan"] == "*** in ***" and
          "TERRATEAM_TOKEN=***" in s[1]["payload"]["text"], s)

    # --- --resend-results ------------------------------------------------------
    FAKE.reset()
    FAKE.manifest("w-resend", "plan", [("a", "default", 0)])
    rc, err, log = run("w-resend", "--resend-results")
    r5 = calls("R5")
    check("--resend-results: two identical PUTs, both 200, exit 0",
          rc == 0 and len(r5) == 2 and r5[0]["body"] == r5[1]["body"] and
          [x["status"] for x in log if x["event"] == "http" and x["call"] == "R5"] == [200, 200], err)

    FAKE.reset()
    FAKE.results_status = [200, 401]
    FAKE.manifest("w-resend", "plan", [("a", "default", 0)])
    rc, err, log = run("w-resend", "--resend-results")
    check("--resend-results, the resent PUT gets 401: exit 1", rc == 1 and "resent" in err, err)

    # --- the done loop -------------------------------------------------------
    FAKE.reset()
    FAKE.manifest("w-loop", "plan", [("a", "default", 0)])
    FAKE.manifest("w-loop", "apply", [("a", "default", 0)])
    rc, err, log = run("w-loop")
    check("two manifests in one job, then done: 3 initiates, 2 results",
          rc == 0 and len(calls("R1")) == 3 and len(calls("R5")) == 2, [r["call"] for r in calls()])

    FAKE.reset()
    for i in range(13):
        FAKE.manifest("w-many", "plan", [("a", "default", 0)])
    rc, err, log = run("w-many")
    check("manifests for ever: stops after 11 initiates, exit 0",
          rc == 0 and len(calls("R1")) == 11 and len(calls("R5")) == 11 and "too many" in err, err)

    FAKE.reset()
    rc, err, log = run("w-none")
    check("done at once: exit 0, one call", rc == 0 and [r["call"] for r in calls()] == ["R1"], err)

    FAKE.reset()
    FAKE.manifest("w-ua", "unsafe-apply", [("a", "default", 0)])
    rc, err, log = run("w-ua")
    a = steps_of(last_results(), "a", "default")
    check("unsafe-apply without outputs: no R4, a bare failed unsafe_apply step (as the runner)",
          rc == 0 and not calls("R4") and a[2]["step"] == "unsafe_apply" and a[2]["payload"] == {}, a)

    srv.shutdown()
    print("1..%d" % N)
    if FAILED:
        print("# %d of %d failed" % (FAILED, N))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
