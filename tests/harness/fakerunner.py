#!/usr/bin/python3
"""fakerunner.py: a stand-in for Terrateam's runner (the GitHub Action
terrateamio/action, terrat_runner/ at 55f9550) for the test suite. It makes
the calls the real runner makes against our server (docs/RUNNER.md sections
2 and 5), in the same order, with the same headers, bodies, retries and
results, but runs no git and no Terraform: init, plan and apply are
simulated, and the plan file is made of deterministic bytes. Stdlib only.

  fakerunner.py --api-base-url B --work-token W --run-id R --sha S [options]
  fakerunner.py --print-plan-data DIR WS [--plan-text T] [--plan-bytes N]

Options:
  --api-base-url B      the dispatch input api-base-url (a trailing / is
                        dropped, as the real runner does)
  --work-token W        the dispatch input work-token (the manifest id)
  --run-id R            sent as the string run_id in R1
  --sha S               sent as sha in R1
  --plan-text TEXT      the plan text (payload "plan") of every dirspace; @FILE
                        reads it from a file. {dir}, {workspace}, {token},
                        {sha} and {run_id} are replaced (plain text, no other
                        brace handling). Default: a Terraform-like text naming
                        the dirspace. The plan FILE's bytes derive from dir,
                        workspace and this text before replacement, so a
                        plan job and an apply job given the same --plan-text
                        agree on them; pass the same value to both.
  --plan-bytes N        pad each plan file to at least N bytes (R3 is about
                        1.8 N); default: about 400 bytes
  --text-bytes N        pad each plan text to at least N characters (R5
                        carries it twice per dirspace)
  --has-changes V       true or false for every dirspace, or DIR:WS=true|false
                        for one; repeatable; default true
  --outputs JSON        a tf/apply step's "outputs" (terraform output -json);
                        sent only when non-empty, as the runner does
  --fail SPEC           repeatable. DIR:WS:STEP makes a simulated step fail
                        (DIR or WS may be *): STEP init, plan or apply fails
                        as Terraform would (payload text); init-raise,
                        plan-raise or apply-raise makes the step raise, so it
                        is reported by its bare type (init, plan, apply) with
                        an empty payload. "pre" adds a failing pre-hook "run"
                        step (then only the pre-hook steps are sent). "merge"
                        fails the base-branch merge right after R1: exit 1,
                        no further call, as the real runner
  --parallel N          dirspaces run at once within a row; default the
                        config's parallel_runs, else 3
  --dirspace-delay S    seconds each dirspace's simulated init takes (0)
  --stop-after PHASE    crash after PHASE of the first manifest: initiate,
                        pre-hooks, dirspaces (alias plans), results (before
                        R6); exit 4
  --resend-results      send each R5 twice, byte for byte (a retried PUT
                        after a lost 200); both must get 200
  --log FILE            append one JSON line per HTTP attempt and per event
                        (see LOG); it holds the manifest token, so do not
                        name it *.log (tests/run.sh's leak check reads those)
  --timeout S           per-call timeout (120, as the runner; for tests)
  --backoff-initial S   first sleep between tries (1, as the runner; tests)
  --print-plan-data DIR WS   print the plan_data R3 sends for that dirspace
                        (base64 of the envelope; R4's "data" must equal it)
                        and exit

The protocol, as the runner does it:
  R1 POST B/v1/work-manifests/W/initiate {"run_id": R, "sha": S}, no
     credential. 404 ends the job ("work manifest not found"), another
     non-200 too; {"type": "done"} ends it with 0.
  R2 POST B/v1/work-manifests/W/access-token, "authorization: bearer T",
     Content-Length: 0, once before the pre-hooks and once in each
     dirspace (step auth/update-terrateam-github-token).
  R3 POST .../plans {"path", "workspace", "plan_data", "has_changes"} per
     dirspace of a plan; plan_data = base64 of the JSON envelope
     {"data": base64(plan file), "method": "terrateam", "version": 1}.
  R4 GET .../plans?path=DIR&workspace=WS per dirspace of an apply; "data"
     is base64-decoded and JSON-parsed (the envelope) as the runner does.
  R5 PUT B/v1/work-manifests/W, result version 2: {"steps": [...]}, each
     step {"ignore_errors", "payload", "scope", "step", "success"}; the
     token masked as *** in every string except those exactly equal to a
     dir, a workspace or a step name.
  R6 R1 again until "done", at most 11 initiates per job.
Each call is tried 5 times (the runner's TRIES = 5) on connection errors,
timeouts, 5xx and 429, sleeping 1 s, then x1.5. Requests carry the
headers python-requests sends (User-Agent, Accept-Encoding: gzip, deflate,
Accept: */*, Connection: keep-alive), a JSON body as json.dumps writes it
with Content-Type: application/json. Redirects are not followed (requests
would follow them; our server never redirects).

Steps per manifest: pre-hooks scope {"type": "run", "flow": "hooks",
"subflow": "pre"}: auth/update-terrateam-github-token. Each dirspace,
scope {"type": "dirspace", "dir", "workspace"}: the auth step, tf/init,
then tf/plan (payload plan, has_changes, text, visible_on) or tf/apply
(text, outputs?, visible_on); a failed step stops its dirspace's later
steps. Dirspaces are grouped as the runner's dir_exec does: by rank,
ascending, and within a rank one workspace per dir in a row; a row's
dirspaces run at once (--parallel), rows one after another. unsafe-apply
runs auth, tf/init and the apply without R4; like the runner (whose
unsafe-apply step returns nothing when there are no outputs) it reports a
bare failed "unsafe_apply" step unless --outputs is given.

Apply check: the plan file read from R4 is compared with the one a plan of
the same dirspace and --plan-text would have stored. plan_check in the
log: ok (the envelope is byte for byte R3's plan_data), envelope-differs
(the plan file is right but the envelope is not the bytes R3 sent),
plan-differs (another plan file: tf/apply fails, as Terraform would on a
stale plan), not-json (the runner then takes the bytes as the plan file),
http-STATUS, error (the step raised).

Exit status: 0 done (also when steps failed: they show only in R5); 1 as
the runner fails: R1 404 or other non-200, R1 unreachable after the tries,
R5 non-200 (for a pre-hook failure: >= 400), merge failure; 2 usage; 3 the
server's answer breaks the protocol (R1 not JSON, no token, result_version
not 2, missing rank, unknown type, ...); 4 --stop-after.

LOG (--log FILE): JSON lines, each with "event" and "t" (epoch):
  start     args
  http      call (R1..R5), manifest (0-based), attempt (1..5), method,
            path (with query), status (null: no answer), error, elapsed,
            req_bytes, req_sha256, auth (the authorization header sent, or
            null), dir, workspace, resp_bytes, read (what was taken from the
            answer: R1 type; R2 access_token_sha256; R3/R5 text; R4
            plan_check)
  manifest  manifest, type, token, changed_dirspaces, base_ref,
            result_version, run_kind, run_kind_data, config
  dirspace  manifest, dir, workspace, rank, row, start, end, success,
            plan_check (apply)
  results   manifest, results (the R5 body as sent, masked)
  warning   message (e.g. cost estimation left enabled in config)
  exit      status, message, manifests (initiate calls made)
"""
import argparse
import base64
import concurrent.futures
import gzip
import hashlib
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
import zlib

TRIES = 5
INITIAL_SLEEP = 1.0
BACKOFF = 1.5
TIMEOUT = 120.0
MAX_RUNS = 11
USER_AGENT = "python-requests/2.32.3"
AUTH_STEP = "auth/update-terrateam-github-token"
PRE_SCOPE = {"type": "run", "flow": "hooks", "subflow": "pre"}
DEFAULT_PLAN_TEXT = (
    "Terraform used the selected providers to generate the following execution\n"
    "plan. Resource actions are indicated with the following symbols:\n"
    "+ create\n\n"
    "Terraform will perform the following actions:\n\n"
    "  # null_resource.fake will be created\n"
    "+ resource \"null_resource\" \"fake\" {\n"
    "+     id       = (known after apply)\n"
    "+     triggers = {\n"
    "+         \"dir\"       = \"{dir}\"\n"
    "+         \"workspace\" = \"{workspace}\"\n"
    "      }\n"
    "  }\n\n"
    "Plan: 1 to add, 0 to change, 0 to destroy.\n")
NO_CHANGES_TEXT = (
    "No changes. Your infrastructure matches the configuration.\n\n"
    "Terraform has compared your real infrastructure against your configuration\n"
    "and found no differences, so no changes are needed ({dir}, {workspace}).\n")
STOP_PHASES = ("initiate", "pre-hooks", "dirspaces", "plans", "results")


class Exit(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


class CallError(Exception):
    """No answer after the tries (connection error or timeout)."""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


# --- the plan file -------------------------------------------------------
def plan_file_bytes(d, ws, plan_text, size=0):
    """The simulated plan file of a dirspace: a zip-like header, the names,
    every byte value 0..255 (so it is not UTF-8) and the plan text, padded
    to SIZE with bytes derived from them."""
    seed = hashlib.sha256(("%s\0%s\0%s" % (d, ws, plan_text)).encode()).digest()
    out = bytearray(b"PK\x03\x04fakerunner-plan\x00")
    out += d.encode() + b"\x00" + ws.encode() + b"\x00" + seed
    out += bytes(range(256)) + plan_text.encode()
    head = len(out)
    n = 0
    while len(out) < size:
        out += hashlib.sha256(seed + n.to_bytes(8, "big")).digest()
        n += 1
    return bytes(out[:max(size, head)])


def plan_envelope(d, ws, plan_text, size=0):
    """The bytes the runner base64-encodes into R3's plan_data."""
    raw = plan_file_bytes(d, ws, plan_text, size)
    env = {"data": base64.b64encode(raw).decode("utf-8"),
           "method": "terrateam", "version": 1}
    return json.dumps(env).encode("utf-8")


def plan_data(d, ws, plan_text, size=0):
    return base64.b64encode(plan_envelope(d, ws, plan_text, size)).decode("utf-8")


# --- masking, as work_exec._mask_secrets -----------------------------------
def mask(value, secrets, unmasked):
    if isinstance(value, str):
        if value in unmasked:
            return value
        for s in secrets:
            if s in value:
                value = value.replace(s, "***")
        return value
    if isinstance(value, dict):
        return {k: mask(v, secrets, unmasked) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secrets, unmasked) for v in value]
    return value


# --- rows, as dir_exec._order_dirs_by_rank -------------------------------
def order_by_rank(dirs):
    ranking = {}
    for d in dirs:
        ranking.setdefault(d["rank"], {}).setdefault(d["path"], []).append(d)
    ret = []
    for k in sorted(ranking.keys()):
        row = []
        vs = list(ranking[k].values())
        added = True
        while added:
            added = False
            for v in vs:
                if v:
                    row.append(v.pop())
                    added = True
            ret.append(row)
            row = []
    # The runner's loop appends a last, empty row per rank: harmless there
    # (Pool.map of nothing), dropped here.
    return [r for r in ret if r]


class Log:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.fh = open(path, "a", encoding="utf-8") if path else None

    def write(self, event, **kw):
        if self.fh is None:
            return
        rec = {"event": event, "t": time.time()}
        rec.update(kw)
        line = json.dumps(rec)
        with self.lock:
            self.fh.write(line + "\n")
            self.fh.flush()


def say(msg):
    sys.stderr.write("fakerunner: %s\n" % msg)
    sys.stderr.flush()


class Runner:
    def __init__(self, a):
        self.a = a
        self.log = Log(a.log)
        base = a.api_base_url
        if base.endswith("/"):
            base = base[:-1]
        self.base = base
        u = urllib.parse.urlsplit(base)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise Exit(2, "--api-base-url must be an http(s) URL: %r" % a.api_base_url)
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.base_path = u.path
        self.token = None
        self.manifest = 0
        self.initiates = 0
        self.stopped = False
        self.plan_text = a.plan_text
        if self.plan_text is not None and self.plan_text.startswith("@"):
            with open(self.plan_text[1:], encoding="utf-8") as fh:
                self.plan_text = fh.read()
        self.has_changes = {}
        self.has_changes_default = True
        for v in a.has_changes or []:
            if v in ("true", "false"):
                self.has_changes_default = v == "true"
                continue
            key, sep, b = v.rpartition("=")
            d, sep2, ws = key.rpartition(":")
            if not sep or not sep2 or b not in ("true", "false"):
                raise Exit(2, "--has-changes wants true, false or DIR:WS=true|false: %r" % v)
            self.has_changes[(d, ws)] = b == "true"
        self.fails = []
        self.fail_pre = False
        self.fail_merge = False
        steps = ("init", "plan", "apply", "init-raise", "plan-raise", "apply-raise")
        for f in a.fail or []:
            if f == "pre":
                self.fail_pre = True
                continue
            if f == "merge":
                self.fail_merge = True
                continue
            parts = f.rsplit(":", 2)
            if len(parts) != 3 or parts[2] not in steps:
                raise Exit(2, "--fail wants DIR:WS:STEP (STEP one of %s), pre or merge: %r"
                           % (", ".join(steps), f))
            self.fails.append(tuple(parts))
        self.outputs = None
        if a.outputs is not None:
            try:
                self.outputs = json.loads(a.outputs)
            except ValueError as e:
                raise Exit(2, "--outputs is not JSON: %s" % e)

    # --- HTTP ---------------------------------------------------------------
    def url_path(self, sub=None, query=None):
        p = self.base_path + "/v1/work-manifests/" + self.a.work_token
        if sub:
            p += "/" + sub
        # requests' requote_uri: quote what is not already URL-safe.
        p = urllib.parse.quote(p, safe="!#$%&'()*+,/:;=?@[]~")
        if query:
            p += "?" + urllib.parse.urlencode(query)
        return p

    def once(self, method, path, body, auth):
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.a.timeout)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.a.timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Accept-Encoding", "gzip, deflate")
            conn.putheader("Accept", "*/*")
            conn.putheader("Connection", "keep-alive")
            if auth:
                conn.putheader("authorization", auth)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
                if body:
                    conn.putheader("Content-Type", "application/json")
            elif method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", "0")
            conn.endheaders(body if body else None)
            r = conn.getresponse()
            data = r.read()
            enc = (r.getheader("Content-Encoding") or "").lower()
            if enc == "gzip":
                data = gzip.decompress(data)
            elif enc == "deflate":
                try:
                    data = zlib.decompress(data)
                except zlib.error:
                    data = zlib.decompress(data, -zlib.MAX_WBITS)
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def call(self, name, method, sub=None, obj=None, query=None, auth=True,
             dirspace=None, reader=None):
        """One runner call with requests_retry's tries. OBJ: the JSON body
        (None: no body). Returns the last Response (possibly a 5xx), or
        raises CallError when the last try got no answer."""
        path = self.url_path(sub, query)
        body = None if obj is None else json.dumps(obj, allow_nan=False).encode("utf-8")
        return self.call_raw(name, method, path, body, auth, dirspace, reader)

    def call_raw(self, name, method, path, body, auth=True, dirspace=None, reader=None):
        hdr = ("bearer " + self.token) if auth else None
        sleep = self.a.backoff_initial
        for attempt in range(1, TRIES + 1):
            t0 = time.time()
            err = None
            res = None
            try:
                res = self.once(method, path, body, hdr)
            except (OSError, http.client.HTTPException, socket.timeout,
                    EOFError, zlib.error) as e:
                err = "%s: %s" % (type(e).__name__, e)
            rec = {"call": name, "manifest": self.manifest, "attempt": attempt,
                   "method": method, "path": path,
                   "status": res.status if res else None, "error": err,
                   "elapsed": round(time.time() - t0, 4),
                   "req_bytes": len(body or b""),
                   "req_sha256": hashlib.sha256(body or b"").hexdigest(),
                   "auth": (hdr.split(" ", 1)[0] + " ***") if hdr else None,
                   "dir": dirspace[0] if dirspace else None,
                   "workspace": dirspace[1] if dirspace else None,
                   "resp_bytes": len(res.body) if res else None}
            if res is not None and reader is not None:
                try:
                    rec["read"] = reader(res)
                except Exception as e:
                    rec["read"] = {"error": repr(e)}
            self.log.write("http", **rec)
            retry = res is None or 500 <= res.status < 600 or res.status == 429
            if not retry or attempt == TRIES:
                break
            time.sleep(sleep)
            sleep *= BACKOFF
        if res is None:
            raise CallError(err)
        return res

    # --- the job -----------------------------------------------------------
    def run(self):
        self.log.write("start", args=vars(self.a))
        run_count = 0
        while True:
            done = self.run_one()
            run_count += 1
            self.manifest += 1
            if done:
                break
            if run_count > MAX_RUNS - 1:
                say("performed too many work manifests, exiting to prevent an unexpected loop")
                break
        if run_count == 1:
            say("the work manifest was completed before this started")

    def stop(self, phase):
        if self.a.stop_after and not self.stopped:
            want = "dirspaces" if self.a.stop_after == "plans" else self.a.stop_after
            if want == phase:
                self.stopped = True
                raise Exit(4, "stopped after %s (--stop-after)" % phase)

    def run_one(self):
        self.initiates += 1

        def read_r1(r):
            try:
                return {"type": r.json().get("type")}
            except Exception:
                return {"type": None}
        try:
            r = self.call("R1", "POST", "initiate",
                          {"run_id": self.a.run_id, "sha": self.a.sha},
                          auth=False, reader=read_r1)
        except CallError as e:
            raise Exit(1, "initiate: no answer: %s" % e)
        if r.status == 404:
            raise Exit(1, "work manifest not found")
        if r.status != 200:
            raise Exit(1, "Invalid work manifest response code %d: %s" % (r.status, r.text[:300]))
        try:
            wm = r.json()
        except ValueError as e:
            raise Exit(3, "initiate: the answer is not JSON: %s" % e)
        if not isinstance(wm, dict) or not isinstance(wm.get("type"), str):
            raise Exit(3, "initiate: the answer has no type: %s" % r.text[:300])
        if wm["type"] == "done":
            say("work manifest is completed, exiting")
            return True
        self.check_manifest(wm)
        self.token = wm["token"]
        cfg = wm["config"]
        self.log.write("manifest", manifest=self.manifest, type=wm["type"],
                       token=wm["token"], changed_dirspaces=wm["changed_dirspaces"],
                       base_ref=wm["base_ref"], result_version=wm.get("result_version"),
                       run_kind=wm.get("run_kind"), run_kind_data=wm.get("run_kind_data"),
                       config=cfg)
        say("manifest %d: %s of %d dirspace(s)" % (self.manifest, wm["type"],
                                                  len(wm["changed_dirspaces"])))
        ce = cfg.get("cost_estimation") or {}
        if wm["type"] == "plan" and (not isinstance(ce, dict) or ce.get("enabled", True)):
            self.warn("config leaves cost estimation on (cost_estimation.enabled is not "
                      "false): the real runner would set up Infracost and call B/infracost/")
        ps = cfg.get("plan_storage") or {}
        if isinstance(ps, dict) and ps.get("method", "terrateam") != "terrateam":
            self.warn("config's plan_storage method is %r: fakerunner stores plans "
                      "with the server (terrateam) anyway" % ps.get("method"))
        self.stop("initiate")
        if self.fail_merge:
            raise Exit(1, "Could not merge destination branch (--fail merge)")

        # Pre-hooks.
        steps = [self.auth_step(PRE_SCOPE, None)]
        if self.fail_pre:
            steps.append(self.step(PRE_SCOPE, "run", False, {
                "text": "\nfakerunner: a pre-hook failed (--fail pre)\n",
                "cmd": ["false"], "exit_code": 1, "visible_on": "error"}))
        if not all(s["success"] or s["ignore_errors"] for s in steps):
            self.stop("pre-hooks")
            r = self.put_results(wm, {"steps": steps})
            if r.status >= 400:
                raise Exit(1, "Failed to send results (%d)" % r.status)
            return False
        self.stop("pre-hooks")

        # Dirspaces, row by row.
        parallel = self.a.parallel
        if parallel is None:
            parallel = cfg.get("parallel_runs", 3)
            if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
                parallel = 3
        rows = order_by_rank(wm["changed_dirspaces"])
        for i, row in enumerate(rows):
            with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as ex:
                for out in ex.map(lambda d, i=i: self.dirspace(wm, d, i), row):
                    steps.extend(out)
        self.stop("dirspaces")

        results = {"steps": steps}
        r = self.put_results(wm, results)
        if r.status != 200:
            raise Exit(1, "Failed to send results (%d): %s" % (r.status, r.text[:300]))
        self.stop("results")
        return False

    def warn(self, msg):
        say("warning: " + msg)
        self.log.write("warning", manifest=self.manifest, message=msg)

    def check_manifest(self, wm):
        t = wm["type"]
        if t not in ("plan", "apply", "unsafe-apply"):
            raise Exit(3, "fakerunner does not run %r manifests" % t)
        if not isinstance(wm.get("token"), str) or not wm["token"]:
            raise Exit(3, "the manifest has no token")
        if not isinstance(wm.get("config"), dict):
            raise Exit(3, "the manifest's config is not an object")
        if wm.get("result_version") != 2:
            raise Exit(3, "the manifest's result_version is %r, not 2" % wm.get("result_version"))
        cds = wm.get("changed_dirspaces")
        if not isinstance(cds, list):
            raise Exit(3, "the manifest has no changed_dirspaces list")
        for d in cds:
            if not (isinstance(d, dict) and isinstance(d.get("path"), str) and
                    isinstance(d.get("workspace"), str) and isinstance(d.get("rank"), int) and
                    not isinstance(d.get("rank"), bool)):
                raise Exit(3, "a changed dirspace lacks path, workspace or an integer rank: %r" % (d,))
        b = wm.get("base_ref")
        if not isinstance(b, str) or not b or (len(b) == 40 and all(c in "0123456789abcdef" for c in b)):
            raise Exit(3, "base_ref %r is not a branch name" % (b,))

    def step(self, scope, name, success, payload, ignore_errors=False):
        return {"ignore_errors": ignore_errors, "payload": payload, "scope": scope,
                "step": name, "success": success}

    def failing(self, d, ws, what):
        for fd, fw, fs in self.fails:
            if fs == what and fd in ("*", d) and fw in ("*", ws):
                return True
        return False

    def auth_step(self, scope, dirspace):
        def read(r):
            try:
                at = r.json().get("access_token")
            except Exception:
                at = None
            return {"access_token_sha256": hashlib.sha256(at.encode()).hexdigest()
                    if isinstance(at, str) else None,
                    "access_token_length": len(at) if isinstance(at, str) else None}
        try:
            r = self.call("R2", "POST", "access-token", None, dirspace=dirspace, reader=read)
            if r.status == 200:
                r.json()["access_token"]
                return self.step(scope, AUTH_STEP, True, {"visible_on": "error"})
            text = "\n        Status {}\n\n        {}\n        ".format(r.status, r.text)
            return self.step(scope, AUTH_STEP, False, {"text": text, "visible_on": "error"})
        except Exception:
            # The runner reports a step that raised by its bare type.
            return self.step(scope, "update_terrateam_github_token", False, {})

    def dirspace(self, wm, d, row):
        path, ws = d["path"], d["workspace"]
        scope = {"type": "dirspace", "dir": path, "workspace": ws}
        t0 = time.time()
        info = {}
        out = [self.auth_step(scope, (path, ws))]
        ok = out[-1]["success"]
        if ok:
            out.append(self.init_step(scope, path, ws))
            ok = out[-1]["success"]
        if ok:
            if wm["type"] == "plan":
                out.append(self.plan_step(scope, path, ws))
            else:
                out.append(self.apply_step(scope, path, ws, wm["type"], info))
        self.log.write("dirspace", manifest=self.manifest, dir=path, workspace=ws,
                       rank=d["rank"], row=row, start=t0, end=time.time(),
                       success=all(s["success"] or s["ignore_errors"] for s in out),
                       plan_check=info.get("plan_check"))
        return out

    def render(self, text, path, ws):
        for k, v in (("{dir}", path), ("{workspace}", ws), ("{token}", self.token or ""),
                     ("{sha}", self.a.sha), ("{run_id}", self.a.run_id)):
            text = text.replace(k, v)
        return text

    def init_step(self, scope, path, ws):
        if self.failing(path, ws, "init-raise"):
            return self.step(scope, "init", False, {})
        if self.a.dirspace_delay > 0:
            time.sleep(self.a.dirspace_delay)
        if self.failing(path, ws, "init"):
            return self.step(scope, "tf/init", False, {
                "text": "\nError: fakerunner was told to fail init in %s (%s)\n" % (path, ws),
                "visible_on": "error"})
        # The token appears in the output, as a careless provider's might:
        # the results must carry it masked.
        text = ("\nInitializing the backend...\n"
                "fakerunner: TERRATEAM_TOKEN=%s\n\n"
                "Terraform has been successfully initialized!\n" % self.token)
        return self.step(scope, "tf/init", True, {"text": text, "visible_on": "error"})

    def plan_text_for(self, path, ws, has_changes):
        if self.plan_text is not None:
            src = self.plan_text
        else:
            src = DEFAULT_PLAN_TEXT if has_changes else NO_CHANGES_TEXT
        text = self.render(src, path, ws)
        n = 0
        while len(text) < self.a.text_bytes:
            text += "# padding line %07d of the plan of %s (%s)\n" % (n, path, ws)
            n += 1
        return text

    def plan_source(self):
        return self.plan_text if self.plan_text is not None else DEFAULT_PLAN_TEXT

    def plan_step(self, scope, path, ws):
        if self.failing(path, ws, "plan-raise"):
            return self.step(scope, "plan", False, {})
        if self.failing(path, ws, "plan"):
            return self.step(scope, "tf/plan", False, {
                "text": "\nError: fakerunner was told to fail the plan of %s (%s)\n" % (path, ws),
                "visible_on": "always"})
        has_changes = self.has_changes.get((path, ws), self.has_changes_default)
        pd = plan_data(path, ws, self.plan_source(), self.a.plan_bytes)
        try:
            r = self.call("R3", "POST", "plans",
                          {"path": path, "workspace": ws, "plan_data": pd,
                           "has_changes": has_changes},
                          dirspace=(path, ws),
                          reader=lambda r: {"text": r.text[:300]})
            stored, output = r.status == 200, r.text
        except Exception as e:
            stored, output = False, str(e)
        if not stored:
            return self.step(scope, "tf/plan", False, {
                "text": "Could not store plan file, with the following error:\n\n" + output,
                "visible_on": "always"})
        text = self.plan_text_for(path, ws, has_changes)
        stdout = ("\nfakerunner: terraform plan -detailed-exitcode -out "
                  "$TERRATEAM_PLAN_FILE in %s (%s)\n\n" % (path, ws)) + text
        return self.step(scope, "tf/plan", True, {
            "plan": text, "has_changes": has_changes, "text": stdout,
            "visible_on": "always"})

    def examine_r4(self, r, path, ws):
        """What the runner's _load_plan makes of a 200 R4 answer: (check,
        plan file bytes or None, the exception it would raise or None)."""
        want_raw = plan_file_bytes(path, ws, self.plan_source(), self.a.plan_bytes)
        want_env = plan_envelope(path, ws, self.plan_source(), self.a.plan_bytes)
        try:
            raw = base64.b64decode(r.json()["data"])
            try:
                env = json.loads(raw)
            except json.JSONDecodeError:
                # The runner then takes the bytes as the plan file itself.
                return ("not-json", raw, None)
            if env["method"] != "terrateam":
                return ("unknown-method", None, Exception("Unknown method"))
            f = base64.b64decode(env["data"])
        except Exception as e:  # binascii.Error is a ValueError
            return ("error", None, e)
        if f != want_raw:
            return ("plan-differs", f, None)
        return ("ok" if raw == want_env else "envelope-differs", f, None)

    def load_plan(self, path, ws, info):
        """_load_plan: (ok, text), or raises as the runner's would (a
        non-JSON answer, no "data", bad base64, an envelope that is not
        UTF-8 JSON: the step is then reported bare)."""
        def read(r):
            if r.status != 200:
                return {"plan_check": "http-%d" % r.status}
            return {"plan_check": self.examine_r4(r, path, ws)[0]}
        info["plan_check"] = "error"
        r = self.call("R4", "GET", "plans", query={"path": path, "workspace": ws},
                      dirspace=(path, ws), reader=read)
        if r.status != 200:
            info["plan_check"] = "http-%d" % r.status
            return (False, "Could not load plan from backend")
        check, f, exc = self.examine_r4(r, path, ws)
        info["plan_check"] = check
        if exc is not None:
            raise exc
        info["plan_file"] = f
        return (True, None)

    def apply_step(self, scope, path, ws, kind, info):
        bare = "apply" if kind == "apply" else "unsafe_apply"
        if self.failing(path, ws, "apply-raise"):
            return self.step(scope, bare, False, {})
        if kind == "apply":
            try:
                ok, text = self.load_plan(path, ws, info)
            except Exception:
                return self.step(scope, "apply", False, {})
            if not ok:
                return self.step(scope, "tf/apply", False, {"text": text, "visible_on": "always"})
            if info["plan_file"] != plan_file_bytes(path, ws, self.plan_source(), self.a.plan_bytes):
                return self.step(scope, "tf/apply", False, {
                    "text": "\nError: Saved plan is stale\n\nfakerunner: the plan file of "
                            "%s (%s) from the server is not the one planned (%d bytes, md5 %s)\n"
                            % (path, ws, len(info["plan_file"]),
                               hashlib.md5(info["plan_file"]).hexdigest()),
                    "visible_on": "always"})
        if self.failing(path, ws, "apply"):
            return self.step(scope, "tf/apply", False, {
                "text": "\nError: fakerunner was told to fail the apply of %s (%s)\n" % (path, ws),
                "visible_on": "always"})
        text = ("\nfakerunner: terraform apply $TERRATEAM_PLAN_FILE in %s (%s)\n\n"
                "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n" % (path, ws))
        if self.outputs:
            return self.step(scope, "tf/apply", True, {
                "text": text, "outputs": self.outputs, "visible_on": "always"})
        if kind == "unsafe-apply":
            return self.step(scope, bare, False, {})
        return self.step(scope, "tf/apply", True, {"text": text, "visible_on": "always"})

    def put_results(self, wm, results):
        unmasked = set([d["path"] for d in wm["changed_dirspaces"]] +
                       [d["workspace"] for d in wm["changed_dirspaces"]] +
                       [s["step"] for s in results["steps"]])
        results = mask(results, [self.token] if self.token else [], unmasked)
        self.log.write("results", manifest=self.manifest, results=results)
        path = self.url_path()
        body = json.dumps(results, allow_nan=False).encode("utf-8")
        try:
            r = self.call_raw("R5", "PUT", path, body,
                              reader=lambda r: {"text": r.text[:300]})
            if self.a.resend_results and r.status == 200:
                r2 = self.call_raw("R5", "PUT", path, body,
                                   reader=lambda r: {"text": r.text[:300], "resent": True})
                if r2.status != 200:
                    raise Exit(1, "the resent results got %d: %s" % (r2.status, r2.text[:300]))
        except CallError as e:
            raise Exit(1, "results: no answer: %s" % e)
        return r


def main(argv=None):
    ap = argparse.ArgumentParser(description="stand-in for terrateamio/action's runner")
    ap.add_argument("--api-base-url")
    ap.add_argument("--work-token")
    ap.add_argument("--run-id")
    ap.add_argument("--sha")
    ap.add_argument("--plan-text")
    ap.add_argument("--plan-bytes", type=int, default=0)
    ap.add_argument("--text-bytes", type=int, default=0)
    ap.add_argument("--has-changes", action="append")
    ap.add_argument("--outputs")
    ap.add_argument("--fail", action="append")
    ap.add_argument("--parallel", type=int)
    ap.add_argument("--dirspace-delay", type=float, default=0.0)
    ap.add_argument("--stop-after", choices=STOP_PHASES)
    ap.add_argument("--resend-results", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--timeout", type=float, default=TIMEOUT)
    ap.add_argument("--backoff-initial", type=float, default=INITIAL_SLEEP)
    ap.add_argument("--print-plan-data", nargs=2, metavar=("DIR", "WS"))
    a = ap.parse_args(argv)
    if a.print_plan_data:
        text = a.plan_text
        if text is not None and text.startswith("@"):
            with open(text[1:], encoding="utf-8") as fh:
                text = fh.read()
        print(plan_data(a.print_plan_data[0], a.print_plan_data[1],
                        DEFAULT_PLAN_TEXT if text is None else text, a.plan_bytes))
        return 0
    for need in ("api_base_url", "work_token", "run_id", "sha"):
        if not getattr(a, need):
            ap.error("--%s is required" % need.replace("_", "-"))
    runner = None
    try:
        runner = Runner(a)
        runner.run()
        code, msg = 0, "done"
    except Exit as e:
        code, msg = e.code, e.message
    if code:
        say("error: " + msg)
    if runner is not None:
        runner.log.write("exit", status=code, message=msg, manifests=runner.initiates)
    return code


if __name__ == "__main__":
    sys.exit(main())
