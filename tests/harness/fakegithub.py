#!/usr/bin/env python3
"""fakegithub.py: a stand-in GitHub REST API for the test suite (stdlib only).

  fakegithub.py --port 0 --port-file DIR/port --state-dir DIR
                [--host 127.0.0.1] [--parent-pid PID]

A threaded HTTP/1.1 server (keep-alive, every answer carries a
Content-Length) emulating what a GitHub App calls:

  POST  /app/installations/{id}/access_tokens      Bearer <app JWT> -> 201;
        optional body {"repositories": [names], "repository_ids": [ids],
        "permissions": {name: level}} scopes the token (recorded in
        /_fake/tokens; a level above the App's: 422)
  GET   /repos/{o}/{r}/pulls/{n}/files?per_page&page (paginated, Link)
  GET   /repos/{o}/{r}/pulls/{n}                    -> 200 (/_fake/pull) / 404
  POST  /repos/{o}/{r}/check-runs                   -> 201
  PATCH /repos/{o}/{r}/check-runs/{id}              -> 200
  GET   /repos/{o}/{r}/check-runs/{id}              -> 200 / 404
  POST  /repos/{o}/{r}/issues/{n}/comments          -> 201
  GET   /repos/{o}/{r}/contents/{path}?ref=SHA      -> 200 base64 / 404
  GET   /repos/{o}/{r}/collaborators/{user}/permission -> 200 {"permission":
        admin|write|read|none, "role_name", "user"}; every user is "read"
        unless /_fake/permission says otherwise (tests opt in to write)
  GET   /repos/{o}/{r}/actions/workflows            -> 200 {"total_count",
        "workflows"}; by default every repository has one, id 161335,
        "Terrateam Workflow", .github/workflows/terrateam.yml, active,
        declaring the inputs work-token (required) and api-base-url
  POST  /repos/{o}/{r}/actions/workflows/{id or file name}/dispatches
        {"ref", "inputs"} -> 204; 404 unknown workflow; 422 when ref is
        missing, an input is undeclared, not a string or a required one is
        missing, the workflow is disabled or has no workflow_dispatch, or
        (runner on) the ref (a branch, or refs/heads/BRANCH) is unknown.
        With /_fake/runner on, each dispatch starts fakerunner.py (next to
        this file) with --api-base-url and --work-token from the inputs,
        --run-id a fresh number (from 9100000001), --sha the branch's head
        (/_fake/branch or /_fake/pull), --log STATE_DIR/runs/run-ID.jsonl,
        then the configured args; its output goes to runs/run-ID.out
  GET   /repos/{o}/{r}/actions/runs/{id}            -> 200 a spawned run
        (event workflow_dispatch, status queued|in_progress|completed,
        conclusion success (exit 0)|failure|cancelled) / 404

and what a person's sign-in (OAuth web flow, issue 9) calls:

  GET   /login/oauth/authorize?client_id&redirect_uri&state
        -> 302 redirect_uri?code=C&state=S at once, as the configured
           user (/_fake/oauth-user; default octocat, no installations);
           with deny=1 configured: redirect_uri?error=access_denied&state=S
  POST  /login/oauth/access_token  JSON or form {client_id, client_secret,
        code, redirect_uri} -> 200 {"access_token":"ghu_...",...}; a code
        is single-use and must come with the authorize call's client_id and
        redirect_uri (and the configured client_secret, when one is set),
        else 200 {"error":"bad_verification_code"} as GitHub answers
  GET   /user                      Bearer ghu_... -> the user
  GET   /user/installations?per_page&page  Bearer ghu_... -> that user's
        {"total_count", "installations": [{"id", "account": {"login"}}]}

Every /repos/ route needs "Authorization: Bearer ghs_..." (or "token
ghs_...") naming an installation token this server issued that is neither
revoked nor expired, else 401 {"message":"Bad credentials"}. A token scoped to
repositories gets 404 for any other; one whose permissions lack what a
route needs (pull_requests read, checks write/read, issues or
pull_requests write, contents read, actions read/write, metadata read)
gets 403 "Resource not accessible by integration". Anything else
answers 404 {"message":"Not Found"}.

Control API (no auth, JSON, never recorded, never faulted):

  POST /_fake/reset            forget requests, faults, config, tokens,
                               check runs, comments, workflows, branches,
                               pulls, permissions, dispatches, runs (ending
                               running runners), runner setting; truncate
                               requests.jsonl
  POST /_fake/fault            {"mode":M,"count":n,"match":REGEX,"method":M,
                               ...params}; queued in order (see FAULTS)
  GET  /_fake/faults           the fault queue
  POST /_fake/pr-files         {"owner","repo","number","files":[name|object]}
  POST /_fake/content          {"owner","repo","path","ref":sha|null,
                               "content":text|null}
  POST /_fake/revoke-tokens    revoke every issued token
  POST /_fake/config           {"token_ttl": seconds} (default 3600)
  GET  /_fake/requests         recorded API requests [?path=REGEX&method=M]
  GET  /_fake/tokens           issued installation tokens (with the JWT)
  GET  /_fake/state            check runs, comments, dispatches and runs so far
  POST /_fake/workflows        {"owner", "repo", "workflows": [{"id"?, "name"?,
                               "path"?, "state"?, "inputs"?: [names] or {name:
                               {"required": bool}}, "dispatchable"?}] ([]: none;
                               null: back to the default; fields default to
                               the default workflow's, ids to 161335 + index)
  POST /_fake/branch           {"owner", "repo", "branch", "sha"}: a branch head
  POST /_fake/pull             {"owner", "repo", "number", "head_sha", "head_ref",
                               "base_ref", "base_sha"?, "state"? (open|closed),
                               "title"?, "user"? (login), "body"?, "merged"?,
                               "draft"?}; also sets the head branch's sha
  POST /_fake/permission       {"owner", "repo", "user", "permission": admin|
                               maintain|write|triage|read|none}
  POST /_fake/runner           {"enabled": bool, "args": [fakerunner args],
                               "delay": seconds queued, "script", "python"}
                               (partial updates; answers the whole setting)
  GET  /_fake/dispatches       recorded dispatches [?owner&repo]: {"owner",
                               "repo", "workflow_id" (as sent), "workflow" (id),
                               "ref", "branch", "inputs", "time", "run_id"}
  GET  /_fake/runs             spawned runs [?owner&repo]: {"id", "head_sha",
                               "head_branch", "status", "conclusion",
                               "exit_status", "log", "output", "args",
                               "inputs", "error", ...}
  POST /_fake/oauth-user       {"login", "id", "installations": [{"id",
                               "login"}], "client_secret"?: S, "deny"?: bool}
                               who the next sign-ins are
  GET  /_fake/oauth-tokens     issued user tokens (ghu_...)

Recorded request: {"seq", "method", "path" (with query), "headers" (dict,
lower-case names, repeated headers joined with ", "), "raw_headers"
([[name, value]...] as sent), "body" (text), "time" (epoch float),
"time_iso", "status" (int, or null when never answered), "fault" (mode
name or null)}. Each is also appended to STATE_DIR/requests.jsonl.

FAULTS. Each API request takes the first queued fault whose "match"
(re.search against the path including the query string; default: any)
and "method" (default: any) fit it; the fault's count is decremented
and it leaves the queue at 0 (count -1: forever; default count 1).
  normal                           answer normally (use to let n pass)
  slow          delay=1            sleep, then answer normally
  error         status=500         {"message":"Server Error"}
  ratelimit403  reset_in=60        403, x-ratelimit-remaining: 0
  ratelimit429  retry_after=1      429, retry-after
  secondary403  retry_after=1      403, retry-after, secondary limit message
  redirect      status=302 location=URL
  blackhole     delay=3600         read the request, never answer; hold the
                                   socket until the delay ends or shutdown
  hangup                           close the connection without an answer
  huge          size=50MiB chunked=false   200 with that many body bytes
"message" overrides the error modes' message.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATE_LIMIT = 5000
DEFAULT_PERMISSIONS = {
    "actions": "write",
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}
FAULT_MODES = {"normal", "slow", "error", "ratelimit403", "ratelimit429",
               "secondary403", "redirect", "blackhole", "hangup", "huge"}
DOCS = "https://docs.github.com/rest"
LEVELS = {"none": 0, "read": 1, "write": 2, "admin": 3}
# A role -> the legacy "permission" the permission endpoint reports.
ROLES = {"admin": "admin", "maintain": "write", "write": "write",
         "triage": "read", "read": "read", "none": "none"}
DEFAULT_ROLE = "read"
DEFAULT_WORKFLOW = {"id": 161335, "name": "Terrateam Workflow",
                    "path": ".github/workflows/terrateam.yml", "state": "active",
                    "dispatchable": True,
                    "inputs": {"work-token": {"required": True},
                               "api-base-url": {"required": False}}}
FIRST_RUN_ID = 9100000001
HERE = os.path.dirname(os.path.abspath(__file__))
ALNUM = string.ascii_letters + string.digits


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def repo_id(name):
    """A stable repository id for a name."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:7], 16)


def log(msg):
    sys.stderr.write("fakegithub %s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class State:
    def __init__(self, state_dir):
        self.lock = threading.Lock()
        self.state_dir = state_dir
        self.jsonl_path = os.path.join(state_dir, "requests.jsonl")
        self.stop = threading.Event()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = []
            self.seq = 0
            self.faults = []
            self.pr_files = {}
            self.contents = {}
            self.tokens = {}
            self.token_ttl = 3600
            self.check_runs = {}
            self.comments = []
            self.next_id = 1000000001
            self.rl_used = 0
            self.oauth_user = {"login": "octocat", "id": 583231,
                               "installations": []}
            self.oauth_secret = None
            self.oauth_deny = False
            self.oauth_codes = {}
            self.user_tokens = {}
            self.rl_reset = int(time.time()) + 3600
            self.workflows = {}
            self.branches = {}
            self.pulls = {}
            self.roles = {}
            self.dispatches = []
            self.runs = {}
            self.next_run_id = FIRST_RUN_ID
            self.runner = {"enabled": False, "args": [], "delay": 0.0,
                           "script": os.path.join(HERE, "fakerunner.py"),
                           "python": sys.executable}
            self.gen = getattr(self, "gen", 0) + 1
            old, self.procs = getattr(self, "procs", {}), {}
            with open(self.jsonl_path, "w"):
                pass
        self.kill(old)

    def kill(self, procs):
        """Ends spawned runner processes (those of a reset, or all at exit)."""
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.time() + 3
        for p in procs.values():
            try:
                p.wait(max(0.0, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def take_fault(self, method, target):
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("match") and not re.search(f["match"], target):
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        del self.faults[i]
                return dict(f)
            return None

    def record(self, rec):
        with self.lock:
            self.seq += 1
            rec["seq"] = self.seq
            self.requests.append(rec)
            with open(self.jsonl_path, "a") as fh:
                fh.write(json.dumps(rec) + "\n")
                fh.flush()

    def valid_token(self, tok):
        with self.lock:
            t = self.tokens.get(tok)
            return bool(t) and not t["revoked"] and time.time() < t["expires_epoch"]

    def token_entry(self, tok):
        with self.lock:
            t = self.tokens.get(tok)
            return dict(t) if t else None

    def repo_workflows(self, owner, repo):
        with self.lock:
            wfs = self.workflows.get((owner, repo))
            return [dict(DEFAULT_WORKFLOW)] if wfs is None else [dict(w) for w in wfs]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "github.com"

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    # --- plumbing ---------------------------------------------------------
    @property
    def st(self):
        return self.server.state

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def base_url(self):
        host = self.headers.get("Host")
        if not host:
            h, p = self.server.server_address[:2]
            host = "%s:%d" % (h, p)
        return "http://" + host

    def gh_headers(self, remaining=None, reset=None):
        with self.st.lock:
            self.st.rl_used += 1
            used = self.st.rl_used
            rl_reset = self.st.rl_reset
        if remaining is None:
            remaining = max(0, RATE_LIMIT - used)
        return [
            ("x-ratelimit-limit", str(RATE_LIMIT)),
            ("x-ratelimit-remaining", str(remaining)),
            ("x-ratelimit-reset", str(reset if reset is not None else rl_reset)),
            ("x-ratelimit-used", str(used)),
            ("x-ratelimit-resource", "core"),
            ("x-github-request-id", "%04X:%04X:%06X:%06X:%08X" % (
                secrets.randbits(16), secrets.randbits(16), secrets.randbits(24),
                secrets.randbits(24), int(time.time()))),
            ("x-github-api-version-selected", "2022-11-28"),
        ]

    def send_json(self, status, obj, headers=(), gh=True):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        if gh:
            for k, v in self.gh_headers():
                self.send_header(k, v)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        self.status_sent = status

    def send_gh_error(self, status, message, headers=(), extra=None):
        obj = {"message": message, "documentation_url": DOCS}
        if extra:
            obj.update(extra)
        self.send_json(status, obj, headers)

    # --- entry point ------------------------------------------------------
    def do_any(self):
        self.status_sent = None
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = urllib.parse.parse_qs(parsed.query)
        try:
            if path.startswith("/_fake/"):
                self.control(path, query, body)
            else:
                self.api(path, query, body)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # a bug here must not look like a hang
            log("internal error on %s %s: %r" % (self.command, self.path, e))
            if self.status_sent is None:
                self.send_json(500, {"message": "fakegithub internal error: %r" % e}, gh=False)
            else:
                self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_any

    # --- the API ----------------------------------------------------------
    def api(self, path, query, body):
        now = time.time()
        hdrs = {}
        for k, v in self.headers.items():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        rec = {
            "method": self.command, "path": self.path, "headers": hdrs,
            "raw_headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "replace"),
            "time": now, "time_iso": iso(now), "status": None, "fault": None,
        }
        fault = self.st.take_fault(self.command, self.path)
        mode = fault["mode"] if fault else None
        rec["fault"] = mode
        if mode in ("blackhole", "hangup"):
            self.st.record(rec)
            self.close_connection = True
            if mode == "blackhole":
                self.st.stop.wait(float(fault.get("delay", 3600)))
            return
        try:
            if mode == "slow":
                time.sleep(float(fault.get("delay", 1)))
            if mode in (None, "normal", "slow"):
                self.route(path, query, body)
            else:
                self.faulted(fault)
        finally:
            rec["status"] = self.status_sent
            self.st.record(rec)

    def faulted(self, f):
        mode = f["mode"]
        msg = f.get("message")
        if mode == "error":
            self.send_json(int(f.get("status", 500)), {"message": msg or "Server Error"})
        elif mode == "ratelimit403":
            reset = int(time.time() + float(f.get("reset_in", 60)))
            data = json.dumps({"message": msg or "API rate limit exceeded",
                               "documentation_url": DOCS}).encode()
            self.send_response(403)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            for k, v in self.gh_headers(remaining=0, reset=reset):
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.status_sent = 403
        elif mode == "ratelimit429":
            self.send_gh_error(429, msg or "API rate limit exceeded",
                               [("retry-after", str(f.get("retry_after", 1)))])
        elif mode == "secondary403":
            self.send_gh_error(403, msg or "You have exceeded a secondary rate limit",
                               [("retry-after", str(f.get("retry_after", 1)))])
        elif mode == "redirect":
            loc = f.get("location") or f.get("url") or "http://redirected.invalid/"
            self.send_json(int(f.get("status", 302)),
                           {"message": msg or "Moved", "url": loc},
                           [("location", loc)])
        elif mode == "huge":
            size = int(f.get("size", 50 * 1024 * 1024))
            chunked = bool(f.get("chunked", False))
            self.send_response(200)
            self.send_header("content-type", "application/json; charset=utf-8")
            if chunked:
                self.send_header("transfer-encoding", "chunked")
            else:
                self.send_header("content-length", str(size))
            for k, v in self.gh_headers():
                self.send_header(k, v)
            self.end_headers()
            self.status_sent = 200
            block = b"x" * 65536
            left = size
            while left > 0 and not self.st.stop.is_set():
                piece = block[:min(left, len(block))]
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
                left -= len(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            if left > 0:
                self.close_connection = True
        else:
            self.send_gh_error(500, "fakegithub: unknown fault " + mode)

    def route(self, path, query, body):
        m = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if m:
            if self.command != "POST":
                return self.send_gh_error(404, "Not Found")
            return self.access_token(m.group(1), body)
        if path == "/login/oauth/authorize" and self.command == "GET":
            return self.oauth_authorize(query)
        if path == "/login/oauth/access_token" and self.command == "POST":
            return self.oauth_token(body)
        if path in ("/user", "/user/installations") and self.command == "GET":
            auth = (self.headers.get("Authorization") or "").strip()
            m = re.fullmatch(r"(?:[Bb]earer|token) +(ghu_[A-Za-z0-9]+)", auth)
            with self.st.lock:
                user = self.st.user_tokens.get(m.group(1)) if m else None
            if user is None:
                return self.send_gh_error(401, "Bad credentials")
            if path == "/user":
                return self.send_json(200, {"login": user["login"], "id": user["id"],
                                            "type": "User", "name": user["login"]})
            return self.user_installations(user, query)
        if path.startswith("/repos/"):
            auth = self.headers.get("Authorization") or ""
            m = re.fullmatch(r"(?:[Bb]earer|token) +(ghs_[A-Za-z0-9]+)", auth.strip())
            if not m or not self.st.valid_token(m.group(1)):
                return self.send_gh_error(401, "Bad credentials")
            self.token = self.st.token_entry(m.group(1))
            return self.repos(path, query, body)
        return self.send_gh_error(404, "Not Found")

    def access_token(self, inst, body):
        auth = (self.headers.get("Authorization") or "").strip()
        parts = auth.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            return self.send_gh_error(401, "Bad credentials")
        jwt = parts[1].strip()
        req = {}
        if body.strip():
            try:
                req = json.loads(body)
            except ValueError:
                return self.send_gh_error(400, "Problems parsing JSON")
        if not isinstance(req, dict):
            req = {}
        now = time.time()
        with self.st.lock:
            ttl = self.st.token_ttl
        tok = "ghs_" + "".join(secrets.choice(ALNUM) for _ in range(36))
        # GitHub's scoping: {"repositories": [names], "repository_ids":
        # [ids], "permissions": {name: level}}, each at most what the App
        # has (DEFAULT_PERMISSIONS).
        names = req.get("repositories")
        ids = req.get("repository_ids")
        asked = req.get("permissions")
        if names is not None and (not isinstance(names, list) or
                                  not all(isinstance(n, str) and n for n in names)):
            return self.invalid("Installation", "repositories", "invalid")
        if ids is not None and (not isinstance(ids, list) or
                                not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            return self.invalid("Installation", "repository_ids", "invalid")
        if asked is not None:
            if not isinstance(asked, dict) or not all(
                    k in DEFAULT_PERMISSIONS and v in LEVELS and
                    LEVELS[v] <= LEVELS[DEFAULT_PERMISSIONS[k]] for k, v in asked.items()):
                return self.send_gh_error(422, "The permissions requested are not granted to this installation.")
        perms = asked or DEFAULT_PERMISSIONS
        sel = "selected" if (names or ids) else "all"
        claims = None
        try:
            p = jwt.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        except Exception:
            pass
        entry = {"token": tok, "installation_id": int(inst), "jwt": jwt,
                 "jwt_claims": claims, "issued_at": iso(now),
                 "expires_at": iso(now + ttl), "expires_epoch": now + ttl,
                 "revoked": False, "repositories": names, "repository_ids": ids,
                 "requested_permissions": asked, "permissions": dict(perms),
                 "repository_selection": sel}
        with self.st.lock:
            self.st.tokens[tok] = entry
        out = {"token": tok, "expires_at": entry["expires_at"],
               "permissions": perms, "repository_selection": sel}
        if names:
            out["repositories"] = [{"id": repo_id(n), "name": n} for n in names]
        self.send_json(201, out)

    def oauth_authorize(self, query):
        def arg(n):
            return (query.get(n) or [""])[0]
        uri, state = arg("redirect_uri"), arg("state")
        if not arg("client_id") or not uri.startswith("http"):
            return self.send_gh_error(404, "Not Found")
        sep = "&" if "?" in uri else "?"
        with self.st.lock:
            deny = self.st.oauth_deny
            user = dict(self.st.oauth_user)
            code = "".join(secrets.choice(ALNUM) for _ in range(20))
            if not deny:
                self.st.oauth_codes[code] = {"user": user, "redirect_uri": uri,
                                             "client_id": arg("client_id")}
        q = {"error": "access_denied"} if deny else {"code": code}
        q["state"] = state
        loc = uri + sep + urllib.parse.urlencode(q)
        self.send_response(302)
        self.send_header("Location", loc)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.wfile.flush()
        self.status_sent = 302

    def oauth_token(self, body):
        ctype = (self.headers.get("Content-Type") or "").lower()
        try:
            if "json" in ctype:
                req = json.loads(body or b"{}")
            else:
                req = {k: v[0] for k, v in urllib.parse.parse_qs(
                    body.decode() if isinstance(body, bytes) else body).items()}
        except ValueError:
            req = {}
        if not isinstance(req, dict):
            req = {}
        with self.st.lock:
            c = self.st.oauth_codes.pop(req.get("code") or "", None)
            secret = self.st.oauth_secret
        if (c is None or c["client_id"] != req.get("client_id") or
                c["redirect_uri"] != req.get("redirect_uri") or
                (secret is not None and secret != req.get("client_secret"))):
            return self.send_json(200, {"error": "bad_verification_code",
                                        "error_description": "The code passed is incorrect or expired."})
        tok = "ghu_" + "".join(secrets.choice(ALNUM) for _ in range(36))
        with self.st.lock:
            self.st.user_tokens[tok] = c["user"]
        self.send_json(200, {"access_token": tok, "token_type": "bearer", "scope": ""})

    def user_installations(self, user, query):
        insts = [{"id": int(i["id"]), "app_id": 4242, "target_type": "Organization",
                  "account": {"login": i["login"], "id": int(i["id"]) + 7,
                              "type": "Organization"}}
                 for i in user.get("installations") or []]
        per = int((query.get("per_page") or ["30"])[0])
        page = int((query.get("page") or ["1"])[0])
        self.send_json(200, {"total_count": len(insts),
                             "installations": insts[(page - 1) * per:page * per]})

    def repos(self, path, query, body):
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/(.+)", path)
        if not m:
            return self.send_gh_error(404, "Not Found")
        owner, repo, rest = m.groups()
        route = self.repo_route(owner, repo, rest, query, body, path)
        if route is None:
            return self.send_gh_error(404, "Not Found")
        perms, level, fn = route
        # A token scoped to repositories sees no other; one scoped to
        # permissions can do only what they allow.
        t = self.token or {}
        if t.get("repositories") and repo.lower() not in [n.lower() for n in t["repositories"]]:
            return self.send_gh_error(404, "Not Found")
        have = max(LEVELS.get((t.get("permissions") or {}).get(p, "none"), 0) for p in perms)
        if have < LEVELS[level]:
            return self.send_gh_error(403, "Resource not accessible by integration")
        return fn()

    def repo_route(self, owner, repo, rest, query, body, path):
        """(permissions any of which will do, level, handler) or None."""
        c = self.command
        get = c in ("GET", "HEAD")
        m = re.fullmatch(r"pulls/(\d+)/files", rest)
        if m and get:
            n = int(m.group(1))
            return (("pull_requests",), "read",
                    lambda: self.pr_files(owner, repo, n, path, query))
        m = re.fullmatch(r"pulls/(\d+)", rest)
        if m and get:
            n = int(m.group(1))
            return (("pull_requests",), "read", lambda: self.pull(owner, repo, n))
        if rest == "check-runs" and c == "POST":
            return (("checks",), "write", lambda: self.check_run_create(owner, repo, body))
        m = re.fullmatch(r"check-runs/(\d+)", rest)
        if m and c == "PATCH":
            n = int(m.group(1))
            return (("checks",), "write", lambda: self.check_run_update(owner, repo, n, body))
        if m and get:
            n = int(m.group(1))
            return (("checks",), "read", lambda: self.check_run_get(owner, repo, n))
        m = re.fullmatch(r"issues/(\d+)/comments", rest)
        if m and c == "POST":
            n = int(m.group(1))
            return (("issues", "pull_requests"), "write",
                    lambda: self.comment(owner, repo, n, body))
        m = re.fullmatch(r"contents/(.+)", rest)
        if m and get:
            ref = (query.get("ref") or [None])[0]
            fpath = urllib.parse.unquote(m.group(1))
            return (("contents",), "read", lambda: self.content(owner, repo, fpath, ref))
        if rest == "actions/workflows" and get:
            return (("actions",), "read", lambda: self.workflows(owner, repo))
        m = re.fullmatch(r"actions/workflows/([^/]+)/dispatches", rest)
        if m and c == "POST":
            wid = urllib.parse.unquote(m.group(1))
            return (("actions",), "write", lambda: self.dispatch(owner, repo, wid, body))
        m = re.fullmatch(r"actions/runs/(\d+)", rest)
        if m and get:
            n = int(m.group(1))
            return (("actions",), "read", lambda: self.run_get(owner, repo, n))
        m = re.fullmatch(r"collaborators/([^/]+)/permission", rest)
        if m and get:
            login = urllib.parse.unquote(m.group(1))
            return (("metadata",), "read", lambda: self.permission(owner, repo, login))
        return None

    def json_body(self, body):
        try:
            obj = json.loads(body or b"null")
        except ValueError:
            self.send_gh_error(400, "Problems parsing JSON")
            return None
        if not isinstance(obj, dict):
            self.send_gh_error(400, "Problems parsing JSON")
            return None
        return obj

    def invalid(self, resource, field, code="missing_field"):
        self.send_gh_error(422, "Invalid request.", extra={"errors": [
            {"resource": resource, "field": field, "code": code}]})

    def pr_files(self, owner, repo, number, path, query):
        with self.st.lock:
            files = list(self.st.pr_files.get((owner, repo, number), []))

        def intarg(name, default):
            try:
                return int((query.get(name) or [default])[0])
            except ValueError:
                return default
        per = intarg("per_page", 30)
        per = 30 if per < 1 else min(per, 100)
        page = max(1, intarg("page", 1))
        last = max(1, (len(files) + per - 1) // per)
        items = files[(page - 1) * per: page * per]
        base = self.base_url()
        out = []
        for f in items:
            obj = {"sha": hashlib.sha1(f["filename"].encode()).hexdigest(),
                   "filename": f["filename"], "status": "modified",
                   "additions": 1, "deletions": 0, "changes": 1,
                   "blob_url": "https://github.com/%s/%s/blob/HEAD/%s" % (owner, repo, f["filename"]),
                   "raw_url": "https://github.com/%s/%s/raw/HEAD/%s" % (owner, repo, f["filename"]),
                   "contents_url": "%s/repos/%s/%s/contents/%s" % (base, owner, repo, f["filename"]),
                   "patch": "@@ -1 +1,2 @@\n+changed"}
            obj.update(f)
            out.append(obj)
        links = []
        if last > 1:
            def url(p):
                q = {k: v[-1] for k, v in query.items()}
                q["per_page"] = str(per)
                q["page"] = str(p)
                return "<%s%s?%s>" % (base, path, urllib.parse.urlencode(q))
            if page > 1:
                links.append(url(min(page - 1, last)) + '; rel="prev"')
            if page < last:
                links.append(url(page + 1) + '; rel="next"')
                links.append(url(last) + '; rel="last"')
            if page > 1:
                links.append(url(1) + '; rel="first"')
        self.send_json(200, out, [("link", ", ".join(links))] if links else [])

    def check_run_create(self, owner, repo, body):
        req = self.json_body(body)
        if req is None:
            return
        for field in ("name", "head_sha"):
            if not isinstance(req.get(field), str) or not req[field]:
                return self.invalid("CheckRun", field)
        rid = self.st.new_id()
        now = iso(time.time())
        base = self.base_url()
        run = {"id": rid, "node_id": "CR_%d" % rid, "name": req["name"],
               "head_sha": req["head_sha"],
               "status": req.get("status") or "queued",
               "conclusion": req.get("conclusion"),
               "external_id": req.get("external_id", ""),
               "details_url": req.get("details_url"),
               "started_at": req.get("started_at", now),
               "completed_at": req.get("completed_at"),
               "output": {"title": None, "summary": None, "text": None,
                          "annotations_count": 0,
                          "annotations_url": "%s/repos/%s/%s/check-runs/%d/annotations" % (base, owner, repo, rid)},
               "url": "%s/repos/%s/%s/check-runs/%d" % (base, owner, repo, rid),
               "html_url": "https://github.com/%s/%s/runs/%d" % (owner, repo, rid),
               "check_suite": {"id": rid + 7},
               "app": {"id": 1, "slug": "fake-app"},
               "pull_requests": [],
               "owner": owner, "repo": repo}
        if isinstance(req.get("output"), dict):
            run["output"].update(req["output"])
        if req.get("conclusion"):
            run["status"] = "completed"
            run["completed_at"] = run["completed_at"] or now
        with self.st.lock:
            self.st.check_runs[rid] = run
        self.send_json(201, run)

    def check_run_update(self, owner, repo, rid, body):
        req = self.json_body(body)
        if req is None:
            return
        with self.st.lock:
            run = self.st.check_runs.get(rid)
            if run and (run["owner"], run["repo"]) == (owner, repo):
                for k, v in req.items():
                    if k == "output" and isinstance(v, dict):
                        run["output"].update(v)
                    elif k not in ("id", "url", "html_url", "node_id", "owner", "repo"):
                        run[k] = v
                if req.get("conclusion"):
                    run["status"] = "completed"
                    run["completed_at"] = run.get("completed_at") or iso(time.time())
                run = dict(run)
            else:
                run = None
        if run is None:
            return self.send_gh_error(404, "Not Found")
        self.send_json(200, run)

    def comment(self, owner, repo, number, body):
        req = self.json_body(body)
        if req is None:
            return
        if not isinstance(req.get("body"), str):
            return self.invalid("IssueComment", "body")
        cid = self.st.new_id()
        now = iso(time.time())
        c = {"id": cid, "node_id": "IC_%d" % cid,
             "url": "%s/repos/%s/%s/issues/comments/%d" % (self.base_url(), owner, repo, cid),
             "html_url": "https://github.com/%s/%s/pull/%d#issuecomment-%d" % (owner, repo, number, cid),
             "issue_url": "%s/repos/%s/%s/issues/%d" % (self.base_url(), owner, repo, number),
             "body": req["body"], "user": {"login": "fake-app[bot]", "type": "Bot"},
             "created_at": now, "updated_at": now, "author_association": "NONE",
             "owner": owner, "repo": repo, "number": number}
        with self.st.lock:
            self.st.comments.append(c)
        self.send_json(201, c)

    def content(self, owner, repo, path, ref):
        with self.st.lock:
            key = (owner, repo, path, ref)
            if ref is not None and key in self.st.contents:
                text = self.st.contents[key]
            else:
                text = self.st.contents.get((owner, repo, path, None))
        if text is None:
            return self.send_gh_error(404, "Not Found")
        raw = text.encode()
        b64 = base64.b64encode(raw).decode()
        wrapped = "".join(b64[i:i + 60] + "\n" for i in range(0, len(b64), 60))
        sha = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
        base = self.base_url()
        url = "%s/repos/%s/%s/contents/%s%s" % (
            base, owner, repo, urllib.parse.quote(path),
            "?ref=" + urllib.parse.quote(ref) if ref else "")
        self.send_json(200, {
            "type": "file", "encoding": "base64", "size": len(raw),
            "name": path.rsplit("/", 1)[-1], "path": path, "content": wrapped,
            "sha": sha, "url": url,
            "git_url": "%s/repos/%s/%s/git/blobs/%s" % (base, owner, repo, sha),
            "html_url": "https://github.com/%s/%s/blob/%s/%s" % (owner, repo, ref or "main", path),
            "download_url": "https://raw.githubusercontent.com/%s/%s/%s/%s" % (owner, repo, ref or "main", path)})

    def check_run_get(self, owner, repo, rid):
        with self.st.lock:
            run = self.st.check_runs.get(rid)
            run = dict(run) if run and (run["owner"], run["repo"]) == (owner, repo) else None
        if run is None:
            return self.send_gh_error(404, "Not Found")
        self.send_json(200, run)

    def send_empty(self, status):
        self.send_response(status)
        for k, v in self.gh_headers():
            self.send_header(k, v)
        self.send_header("content-length", "0")
        self.end_headers()
        self.wfile.flush()
        self.status_sent = status

    # --- pull requests and collaborators -----------------------------------
    def pull(self, owner, repo, number):
        with self.st.lock:
            pr = self.st.pulls.get((owner, repo, number))
            pr = dict(pr) if pr else None
            nfiles = len(self.st.pr_files.get((owner, repo, number), []))
        if pr is None:
            return self.send_gh_error(404, "Not Found")
        base = self.base_url()
        api = "%s/repos/%s/%s" % (base, owner, repo)
        web = "https://github.com/%s/%s" % (owner, repo)
        rep = {"id": repo_id(owner + "/" + repo), "name": repo,
               "full_name": "%s/%s" % (owner, repo), "private": True,
               "owner": {"login": owner, "type": "Organization"},
               "default_branch": "main", "url": api, "html_url": web}
        user = {"login": pr["user"], "id": repo_id("user:" + pr["user"]), "type": "User"}
        closed = pr["state"] == "closed"
        self.send_json(200, {
            "url": "%s/pulls/%d" % (api, number), "id": pr["id"],
            "node_id": "PR_%d" % pr["id"],
            "html_url": "%s/pull/%d" % (web, number),
            "diff_url": "%s/pull/%d.diff" % (web, number),
            "issue_url": "%s/issues/%d" % (api, number),
            "number": number, "state": pr["state"], "locked": False,
            "title": pr["title"], "user": user, "body": pr.get("body"),
            "created_at": pr["created_at"], "updated_at": pr["updated_at"],
            "closed_at": pr["updated_at"] if closed else None,
            "merged_at": pr["updated_at"] if pr["merged"] else None,
            "merge_commit_sha": None, "draft": pr["draft"],
            "head": {"label": "%s:%s" % (owner, pr["head_ref"]), "ref": pr["head_ref"],
                     "sha": pr["head_sha"], "user": {"login": owner}, "repo": rep},
            "base": {"label": "%s:%s" % (owner, pr["base_ref"]), "ref": pr["base_ref"],
                     "sha": pr["base_sha"], "user": {"login": owner}, "repo": rep},
            "author_association": "MEMBER", "merged": pr["merged"],
            "mergeable": None, "mergeable_state": "unknown",
            "comments": 0, "commits": 1, "additions": nfiles, "deletions": 0,
            "changed_files": nfiles})

    def permission(self, owner, repo, login):
        with self.st.lock:
            role = self.st.roles.get((owner, repo, login.lower()), DEFAULT_ROLE)
        lv = LEVELS[ROLES[role]]
        self.send_json(200, {
            "permission": ROLES[role], "role_name": role,
            "user": {"login": login, "id": repo_id("user:" + login), "type": "User",
                     "site_admin": False,
                     "permissions": {"admin": role == "admin",
                                     "maintain": role in ("admin", "maintain"),
                                     "push": lv >= LEVELS["write"],
                                     "triage": lv >= LEVELS["write"] or role == "triage",
                                     "pull": lv >= LEVELS["read"]}}})

    # --- Actions: workflows, dispatches, runs ------------------------------
    def workflow_view(self, owner, repo, w):
        api = "%s/repos/%s/%s" % (self.base_url(), owner, repo)
        return {"id": w["id"], "node_id": "W_kwDO%d" % w["id"], "name": w["name"],
                "path": w["path"], "state": w["state"],
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "url": "%s/actions/workflows/%d" % (api, w["id"]),
                "html_url": "https://github.com/%s/%s/blob/main/%s" % (owner, repo, w["path"]),
                "badge_url": "https://github.com/%s/%s/workflows/%s/badge.svg" % (
                    owner, repo, urllib.parse.quote(w["name"]))}

    def workflows(self, owner, repo):
        wfs = self.st.repo_workflows(owner, repo)
        self.send_json(200, {"total_count": len(wfs),
                             "workflows": [self.workflow_view(owner, repo, w) for w in wfs]})

    def dispatch(self, owner, repo, wid, body):
        wf = None
        for w in self.st.repo_workflows(owner, repo):
            if wid == str(w["id"]) or wid == w["path"].rsplit("/", 1)[-1]:
                wf = w
                break
        if wf is None:
            return self.send_gh_error(404, "Not Found")
        req = self.json_body(body)
        if req is None:
            return
        ref = req.get("ref")
        if not isinstance(ref, str) or not ref:
            return self.send_gh_error(422, "Invalid request.\n\n\"ref\" wasn't supplied.")
        inputs = req.get("inputs", {})
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, dict):
            return self.send_gh_error(422, "Invalid request.\n\nFor 'properties/inputs', %s is not an object."
                                      % json.dumps(inputs))
        if not wf.get("dispatchable", True):
            return self.send_gh_error(422, "Workflow does not have 'workflow_dispatch' trigger")
        if wf["state"] != "active":
            return self.send_gh_error(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
        declared = wf.get("inputs") or {}
        extra = sorted(k for k in inputs if k not in declared)
        if extra:
            return self.send_gh_error(422, "Unexpected inputs provided: %s" % json.dumps(extra))
        for k, v in inputs.items():
            if not isinstance(v, str):
                return self.send_gh_error(422, "Invalid request.\n\nFor 'properties/%s', %s is not a string."
                                          % (k, json.dumps(v)))
        for k, d in declared.items():
            if d.get("required") and k not in inputs:
                return self.send_gh_error(422, "Required input '%s' not provided" % k)
        branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ref
        with self.st.lock:
            runner = dict(self.st.runner)
            sha = self.st.branches.get((owner, repo, branch))
            if runner["enabled"] and sha is None:
                sha = False
            gen = self.st.gen
            rec = {"owner": owner, "repo": repo, "workflow_id": wid, "workflow": wf["id"],
                   "ref": ref, "branch": branch, "inputs": inputs, "time": time.time(),
                   "time_iso": iso(time.time()), "run_id": None}
            if sha is not False:
                self.st.dispatches.append(rec)
            if runner["enabled"] and sha:
                rid = self.st.next_run_id
                self.st.next_run_id += 1
                rec["run_id"] = rid
                now = iso(time.time())
                self.st.runs[rid] = {
                    "id": rid, "owner": owner, "repo": repo, "workflow_id": wf["id"],
                    "name": wf["name"], "path": wf["path"], "head_branch": branch,
                    "head_sha": sha, "status": "queued", "conclusion": None,
                    "created_at": now, "updated_at": now, "run_started_at": None,
                    "run_number": len(self.st.runs) + 1, "inputs": dict(inputs),
                    "args": None, "exit_status": None, "error": None, "pid": None,
                    "log": os.path.join(self.st.state_dir, "runs", "run-%d.jsonl" % rid),
                    "output": os.path.join(self.st.state_dir, "runs", "run-%d.out" % rid)}
        if sha is False:
            return self.send_gh_error(422, "No ref found for: %s" % ref)
        if rec["run_id"] is not None:
            threading.Thread(target=run_job, args=(self.st, gen, rec["run_id"], runner),
                             daemon=True).start()
        self.send_empty(204)

    def run_get(self, owner, repo, rid):
        with self.st.lock:
            r = self.st.runs.get(rid)
            r = dict(r) if r and (r["owner"], r["repo"]) == (owner, repo) else None
        if r is None:
            return self.send_gh_error(404, "Not Found")
        api = "%s/repos/%s/%s" % (self.base_url(), owner, repo)
        self.send_json(200, {
            "id": rid, "name": r["name"], "node_id": "WFR_%d" % rid,
            "head_branch": r["head_branch"], "head_sha": r["head_sha"], "path": r["path"],
            "display_title": r["name"], "run_number": r["run_number"],
            "event": "workflow_dispatch", "status": r["status"],
            "conclusion": r["conclusion"], "workflow_id": r["workflow_id"],
            "run_attempt": 1, "url": "%s/actions/runs/%d" % (api, rid),
            "html_url": "https://github.com/%s/%s/actions/runs/%d" % (owner, repo, rid),
            "jobs_url": "%s/actions/runs/%d/jobs" % (api, rid),
            "logs_url": "%s/actions/runs/%d/logs" % (api, rid),
            "created_at": r["created_at"], "updated_at": r["updated_at"],
            "run_started_at": r["run_started_at"],
            "repository": {"id": repo_id(owner + "/" + repo), "name": repo,
                           "full_name": "%s/%s" % (owner, repo)}})

    # --- control API ------------------------------------------------------
    def control(self, path, query, body):
        c = self.command
        st = self.st
        try:
            req = json.loads(body) if body.strip() else {}
        except ValueError:
            return self.send_json(400, {"error": "bad JSON"}, gh=False)
        if c == "POST" and path == "/_fake/reset":
            st.reset()
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "POST" and path == "/_fake/fault":
            if not isinstance(req, dict) or req.get("mode") not in FAULT_MODES:
                return self.send_json(400, {"error": "mode must be one of " +
                                            ", ".join(sorted(FAULT_MODES))}, gh=False)
            f = dict(req)
            f["count"] = int(f.get("count", 1))
            if f["count"] == 0:
                return self.send_json(200, {"ok": True, "queued": len(st.faults)}, gh=False)
            if f.get("match"):
                try:
                    re.compile(f["match"])
                except re.error as e:
                    return self.send_json(400, {"error": "bad match: %s" % e}, gh=False)
            with st.lock:
                st.faults.append(f)
                n = len(st.faults)
            return self.send_json(200, {"ok": True, "queued": n}, gh=False)
        if c == "GET" and path == "/_fake/faults":
            with st.lock:
                return self.send_json(200, list(st.faults), gh=False)
        if c == "POST" and path == "/_fake/pr-files":
            try:
                key = (req["owner"], req["repo"], int(req["number"]))
                files = [{"filename": f} if isinstance(f, str) else dict(f)
                         for f in req.get("files") or []]
                assert all(isinstance(f.get("filename"), str) for f in files)
            except (KeyError, TypeError, ValueError, AssertionError):
                return self.send_json(400, {"error": "need owner, repo, number, files"}, gh=False)
            with st.lock:
                st.pr_files[key] = files
            return self.send_json(200, {"ok": True, "files": len(files)}, gh=False)
        if c == "POST" and path == "/_fake/content":
            try:
                key = (req["owner"], req["repo"], req["path"], req.get("ref"))
                text = req.get("content")
                assert text is None or isinstance(text, str)
            except (KeyError, TypeError, AssertionError):
                return self.send_json(400, {"error": "need owner, repo, path, content"}, gh=False)
            with st.lock:
                st.contents[key] = text
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "POST" and path == "/_fake/revoke-tokens":
            with st.lock:
                for t in st.tokens.values():
                    t["revoked"] = True
                n = len(st.tokens)
            return self.send_json(200, {"ok": True, "revoked": n}, gh=False)
        if c == "POST" and path == "/_fake/config":
            with st.lock:
                if "token_ttl" in req:
                    st.token_ttl = float(req["token_ttl"])
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "GET" and path == "/_fake/requests":
            pat = (query.get("path") or [None])[0]
            meth = (query.get("method") or [None])[0]
            try:
                rx = re.compile(pat) if pat else None
            except re.error as e:
                return self.send_json(400, {"error": "bad path regex: %s" % e}, gh=False)
            with st.lock:
                out = [r for r in st.requests
                       if (rx is None or rx.search(r["path"])) and
                       (not meth or r["method"] == meth.upper())]
            return self.send_json(200, out, gh=False)
        if c == "GET" and path == "/_fake/tokens":
            with st.lock:
                return self.send_json(200, list(st.tokens.values()), gh=False)
        if c == "POST" and path == "/_fake/oauth-user":
            if not isinstance(req, dict) or not req.get("login") or not req.get("id"):
                return self.send_json(400, {"error": "need login, id"}, gh=False)
            with st.lock:
                st.oauth_user = {"login": req["login"], "id": int(req["id"]),
                                 "installations": list(req.get("installations") or [])}
                st.oauth_secret = req.get("client_secret")
                st.oauth_deny = bool(req.get("deny"))
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "GET" and path == "/_fake/oauth-tokens":
            with st.lock:
                return self.send_json(200, sorted(st.user_tokens), gh=False)
        if c == "GET" and path == "/_fake/state":
            with st.lock:
                return self.send_json(200, {"check_runs": list(st.check_runs.values()),
                                            "comments": list(st.comments),
                                            "dispatches": list(st.dispatches),
                                            "runs": list(st.runs.values())}, gh=False)
        if c == "POST" and path == "/_fake/workflows":
            try:
                key = (req["owner"], req["repo"])
                wfs = req.get("workflows")
                if wfs is not None:
                    out = []
                    for i, w in enumerate(wfs):
                        x = dict(DEFAULT_WORKFLOW)
                        x["id"] = DEFAULT_WORKFLOW["id"] + i
                        x.update(w)
                        ins = x["inputs"]
                        if isinstance(ins, list):
                            ins = {k: {"required": False} for k in ins}
                        assert isinstance(ins, dict) and isinstance(x["id"], int)
                        assert isinstance(x["path"], str) and isinstance(x["name"], str)
                        x["inputs"] = ins
                        out.append(x)
                    wfs = out
            except (KeyError, TypeError, AssertionError):
                return self.send_json(400, {"error": "need owner, repo, workflows: "
                                            "[{id?, name?, path?, state?, inputs?, "
                                            "dispatchable?}] or null"}, gh=False)
            with st.lock:
                if wfs is None:
                    st.workflows.pop(key, None)
                else:
                    st.workflows[key] = wfs
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "POST" and path == "/_fake/branch":
            try:
                key = (req["owner"], req["repo"], req["branch"])
                assert isinstance(req["sha"], str) and req["sha"]
            except (KeyError, TypeError, AssertionError):
                return self.send_json(400, {"error": "need owner, repo, branch, sha"}, gh=False)
            with st.lock:
                st.branches[key] = req["sha"]
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "POST" and path == "/_fake/pull":
            try:
                key = (req["owner"], req["repo"], int(req["number"]))
                pr = {"head_sha": req["head_sha"], "head_ref": req["head_ref"],
                      "base_ref": req["base_ref"],
                      "base_sha": req.get("base_sha") or
                      hashlib.sha1(("base:" + req["base_ref"]).encode()).hexdigest(),
                      "state": req.get("state") or "open",
                      "title": req.get("title") or "Pull request %s" % req["number"],
                      "user": req.get("user") or "octocat", "body": req.get("body"),
                      "merged": bool(req.get("merged")), "draft": bool(req.get("draft"))}
                assert pr["state"] in ("open", "closed")
                assert all(isinstance(pr[k], str) and pr[k] for k in
                           ("head_sha", "head_ref", "base_ref", "base_sha", "user"))
            except (KeyError, TypeError, ValueError, AssertionError):
                return self.send_json(400, {"error": "need owner, repo, number, head_sha, "
                                            "head_ref, base_ref; state open|closed"}, gh=False)
            now = iso(time.time())
            with st.lock:
                old = st.pulls.get(key)
                pr["id"] = old["id"] if old else 1700000000 + len(st.pulls) + 1
                pr["created_at"] = old["created_at"] if old else now
                pr["updated_at"] = now
                st.pulls[key] = pr
                st.branches[(key[0], key[1], pr["head_ref"])] = pr["head_sha"]
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "POST" and path == "/_fake/permission":
            try:
                key = (req["owner"], req["repo"], req["user"].lower())
                assert req["permission"] in ROLES
            except (KeyError, TypeError, AttributeError, AssertionError):
                return self.send_json(400, {"error": "need owner, repo, user, permission (" +
                                            ", ".join(ROLES) + ")"}, gh=False)
            with st.lock:
                st.roles[key] = req["permission"]
            return self.send_json(200, {"ok": True}, gh=False)
        if c == "POST" and path == "/_fake/runner":
            if not isinstance(req, dict) or not isinstance(req.get("args", []), list):
                return self.send_json(400, {"error": "need {enabled, args: [...], delay, "
                                            "script, python}"}, gh=False)
            with st.lock:
                for k in ("enabled", "args", "delay", "script", "python"):
                    if k in req:
                        st.runner[k] = req[k]
                st.runner["enabled"] = bool(st.runner["enabled"])
                out = dict(st.runner)
            return self.send_json(200, out, gh=False)
        if c == "GET" and path in ("/_fake/dispatches", "/_fake/runs"):
            o = (query.get("owner") or [None])[0]
            r = (query.get("repo") or [None])[0]
            with st.lock:
                items = list(st.dispatches) if path == "/_fake/dispatches" else \
                    [dict(x) for x in st.runs.values()]
            items = [x for x in items if (o is None or x["owner"] == o) and
                     (r is None or x["repo"] == r)]
            return self.send_json(200, items, gh=False)
        return self.send_json(404, {"error": "no such control route"}, gh=False)


def run_job(st, gen, rid, runner):
    """Runs fakerunner.py for a dispatch, as the workflow would, and keeps
    its run's status: queued, in_progress, completed (success when it exits
    0, failure otherwise, cancelled when a reset or the exit ended it)."""
    if runner.get("delay"):
        st.stop.wait(float(runner["delay"]))

    def update(**kw):
        with st.lock:
            if st.gen != gen or rid not in st.runs:
                return None
            st.runs[rid].update(kw, updated_at=iso(time.time()))
            return dict(st.runs[rid])
    with st.lock:
        r = dict(st.runs.get(rid) or {}) if st.gen == gen else None
    if not r or st.stop.is_set():
        update(status="completed", conclusion="cancelled")
        return
    base_url = r["inputs"].get("api-base-url")
    if not base_url:
        update(status="completed", conclusion="failure",
               error="no api-base-url input (the real runner would call https://app.terrateam.io)")
        return
    cmd = [runner.get("python") or sys.executable, runner["script"],
           "--api-base-url", base_url, "--work-token", r["inputs"].get("work-token", ""),
           "--run-id", str(rid), "--sha", r["head_sha"], "--log", r["log"]] + \
        [str(a) for a in runner.get("args") or []]
    os.makedirs(os.path.dirname(r["log"]), exist_ok=True)
    # Run ids start again after a reset: a run's files are its own.
    for f in (r["log"], r["output"]):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass
    try:
        with open(r["output"], "ab") as out:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, cwd=st.state_dir)
    except OSError as e:
        update(status="completed", conclusion="failure", error="could not start: %s" % e)
        return
    with st.lock:
        if st.gen == gen:
            st.procs[rid] = p
    if update(status="in_progress", run_started_at=iso(time.time()), pid=p.pid,
              args=cmd[1:]) is None:
        p.terminate()
    rc = p.wait()
    with st.lock:
        st.procs.pop(rid, None)
    update(status="completed", exit_status=rc,
           conclusion="success" if rc == 0 else
           "cancelled" if rc < 0 or st.stop.is_set() else "failure")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="stand-in GitHub REST API")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--state-dir", default=".")
    ap.add_argument("--parent-pid", type=int,
                    help="exit when this process no longer exists")
    a = ap.parse_args()
    os.makedirs(a.state_dir, exist_ok=True)
    srv = Server((a.host, a.port), Handler)
    srv.state = State(a.state_dir)
    port = srv.server_address[1]
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True)
    t.start()
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    log("listening on http://%s:%d (pid %d)" % (a.host, port, os.getpid()))
    while not stopping.wait(0.2):
        if a.parent_pid:
            try:
                os.kill(a.parent_pid, 0)
            except ProcessLookupError:
                log("parent %d gone" % a.parent_pid)
                break
            except PermissionError:
                pass
    log("stopping")
    srv.state.stop.set()
    srv.shutdown()
    srv.server_close()
    with srv.state.lock:
        procs = dict(srv.state.procs)
    srv.state.kill(procs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
