#!/usr/bin/env python3
"""fakegithub.py: a stand-in GitHub REST API for the test suite (stdlib only).

  fakegithub.py --port 0 --port-file DIR/port --state-dir DIR
                [--host 127.0.0.1] [--parent-pid PID]

A threaded HTTP/1.1 server (keep-alive, every answer carries a
Content-Length) emulating what a GitHub App calls:

  POST  /app/installations/{id}/access_tokens      Bearer <app JWT> -> 201
  GET   /repos/{o}/{r}/pulls/{n}/files?per_page&page (paginated, Link)
  POST  /repos/{o}/{r}/check-runs                   -> 201
  PATCH /repos/{o}/{r}/check-runs/{id}              -> 200
  POST  /repos/{o}/{r}/issues/{n}/comments          -> 201
  GET   /repos/{o}/{r}/contents/{path}?ref=SHA      -> 200 base64 / 404

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
revoked nor expired, else 401 {"message":"Bad credentials"}. Anything else
answers 404 {"message":"Not Found"}.

Control API (no auth, JSON, never recorded, never faulted):

  POST /_fake/reset            forget requests, faults, config, tokens,
                               check runs, comments; truncate requests.jsonl
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
  GET  /_fake/state            check runs and comments created so far
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
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATE_LIMIT = 5000
DEFAULT_PERMISSIONS = {
    "checks": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}
FAULT_MODES = {"normal", "slow", "error", "ratelimit403", "ratelimit429",
               "secondary403", "redirect", "blackhole", "hangup", "huge"}
DOCS = "https://docs.github.com/rest"
ALNUM = string.ascii_letters + string.digits


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


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
            with open(self.jsonl_path, "w"):
                pass

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
        perms = req.get("permissions") or DEFAULT_PERMISSIONS
        sel = "selected" if (req.get("repositories") or req.get("repository_ids")) else "all"
        claims = None
        try:
            p = jwt.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        except Exception:
            pass
        entry = {"token": tok, "installation_id": int(inst), "jwt": jwt,
                 "jwt_claims": claims, "issued_at": iso(now),
                 "expires_at": iso(now + ttl), "expires_epoch": now + ttl,
                 "revoked": False}
        with self.st.lock:
            self.st.tokens[tok] = entry
        self.send_json(201, {"token": tok, "expires_at": entry["expires_at"],
                             "permissions": perms, "repository_selection": sel})

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
        c = self.command
        m = re.fullmatch(r"pulls/(\d+)/files", rest)
        if m and c in ("GET", "HEAD"):
            return self.pr_files(owner, repo, int(m.group(1)), path, query)
        if rest == "check-runs" and c == "POST":
            return self.check_run_create(owner, repo, body)
        m = re.fullmatch(r"check-runs/(\d+)", rest)
        if m and c == "PATCH":
            return self.check_run_update(owner, repo, int(m.group(1)), body)
        m = re.fullmatch(r"issues/(\d+)/comments", rest)
        if m and c == "POST":
            return self.comment(owner, repo, int(m.group(1)), body)
        m = re.fullmatch(r"contents/(.+)", rest)
        if m and c in ("GET", "HEAD"):
            ref = (query.get("ref") or [None])[0]
            return self.content(owner, repo, urllib.parse.unquote(m.group(1)), ref)
        return self.send_gh_error(404, "Not Found")

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
                                            "comments": list(st.comments)}, gh=False)
        return self.send_json(404, {"error": "no such control route"}, gh=False)


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
