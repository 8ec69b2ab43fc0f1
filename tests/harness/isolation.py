#!/usr/bin/env python3
# isolation.py: the generator and sender of
# tests/integration/cases/isolation-property.sh (API.md 1.3, last rule).
#
#   python3 isolation.py CONFIG.json
#
# CONFIG (written by the case): base URL, the victim installation T, a
# nonexistent installation N (same number of digits), a sandbox W where
# the insider's writes land, the seed, the number of inputs per route,
# the API keys of each caller and the user who mints revoked keys.
#
# For every route that takes a user-controlled expression, cursor, key,
# index or body, it generates COUNT inputs from the seed, sends each one
# to T and to N as every caller who must not see T (outsider, removed
# member, revoked key's live token), and compares the answers: status,
# body with both installation ids replaced by a placeholder, and every
# header but those that vary per request or per connection. The insider
# sends the same inputs (reads to T, writes to W) as the positive
# control: its answers must vary, or the inputs would prove nothing.
#
# Prints "# ..." diagnostics and "CHECK\t0|1\tDESCRIPTION" lines, which
# the case turns into TAP with `check`. One keep-alive connection; keys
# are refreshed into tokens when a token is 30 s old (tokens live 60 s).
import http.client
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse
import uuid

# Headers that differ between two identical answers: per request,
# per connection, or implied by the body compared whole.
IGNORED = {"date", "server", "x-request-id", "content-length", "connection",
           "keep-alive", "transfer-encoding"}
TOKEN_AGE = 30.0


def q(s):
    return urllib.parse.quote(str(s), safe="")


class Client:
    """One keep-alive connection to BASE, reopened when the server closes it."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.base = base
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None
        self.sent = 0

    def send(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=20)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                self.sent += 1
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, r.reason, r.getheaders(), data.decode(
                    "utf-8", "replace")
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    return 0, "no answer", [], ""
        return 0, "no answer", [], ""


class Caller:
    """A caller's credentials: a key per scope, refreshed into tokens."""

    def __init__(self, run, name, keys=None, mint_user=None):
        self.run, self.name = run, name
        self.keys = keys or {}
        self.mint_user = mint_user
        self.tokens = {}
        self.minted = 0

    def token(self, scope):
        tok, at = self.tokens.get(scope, (None, 0.0))
        if tok is None or time.monotonic() - at > TOKEN_AGE:
            tok = self.mint(scope) if self.mint_user else \
                self.run.refresh(self.keys[scope])
            self.tokens[scope] = (tok, time.monotonic())
        return tok

    def mint(self, scope):
        """A fresh key of an insider, refreshed, then revoked (ttctl)."""
        r = self.run
        caps = ["kv_store_read", "kv_store_write"] if scope == "kv" else \
            ["installation:%s" % r.T, "installation:%s" % r.N]
        self.minted += 1
        args = [r.ttctl, "--json", "key", "create", "--user", self.mint_user,
                "--name", "iso-revoked-%d-%d" % (os.getpid(), self.minted)]
        for c in caps:
            args += ["--cap", c]
        out = json.loads(subprocess.run(args, check=True, capture_output=True,
                                        text=True).stdout)
        r.remember(out["api_key"])
        tok = r.refresh(out["api_key"])
        subprocess.run([r.ttctl, "key", "revoke", out["id"]], check=True,
                       capture_output=True)
        return tok


class Input:
    """One generated request; the path holds {inst} for the installation."""

    def __init__(self, method, path, query=(), body=None, headers=None):
        self.method, self.path = method, path
        self.query = list(query)
        self.body = None if body is None else (
            body if isinstance(body, str) else json.dumps(body))
        self.headers = headers or {}

    def url(self, inst):
        p = self.path.replace("{inst}", str(inst))
        if self.query:
            p += "?" + "&".join(k if v is None else "%s=%s" % (k, v)
                                for k, v in self.query)
        return p

    def show(self):
        s = "%s %s" % (self.method, self.url("{INST}"))
        if self.body is not None:
            s += " body " + self.body[:200]
        for k, v in self.headers.items():
            s += " [%s: %s]" % (k, v[:60])
        return s


class Gen:
    """The generators, one per route, over what the insider can see in T."""

    def __init__(self, rng, facts):
        self.r, self.f = rng, facts

    def pick(self, seq):
        return self.r.choice(seq)

    def maybe(self, p=0.5):
        return self.r.random() < p

    def word(self, lo=1, hi=8):
        return "".join(self.r.choice("abcdefghijklmnopqrstuvwxyz-_.")
                       for _ in range(self.r.randint(lo, hi)))

    def uuid(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def prefix_of(self, s):
        return s[:self.r.randint(1, len(s))]

    # --- KV ---
    def kv_key(self):
        k = self.f["kv_keys"]
        c = self.r.random()
        if c < 0.55:
            return self.pick(k)
        if c < 0.75:
            return self.pick(["secret/nope", "secret/alpha/x", "zzz", "public",
                              "secret/" + self.word(), self.word(1, 20)])
        if c < 0.9:
            return self.prefix_of(self.pick(k))
        # Too long (400 INVALID_KEY for the insider). Control characters
        # and bytes that are not UTF-8 are left out: lighttpd refuses them
        # in a URL itself (a 400 page), for every installation alike.
        return self.pick(["a" * 1025, "secret/" + "b" * 1020])

    def kv_path_key(self, key):
        # Slashes as sent by most clients, or percent-encoded.
        return urllib.parse.quote(key, safe="" if self.maybe(0.2) else "/")

    def jsonpath(self):
        strings = self.f["kv_strings"]
        paths = ["$", "$.password", "$.nested.y", "$.tags[*]", "$.more",
                 "$.pending", "$.staged", "$[*]", "$.*"]
        c = self.r.random()
        if c < 0.18:     # matches something in some record
            return self.pick(paths + ["$.pin", "$.nested.x", "$.tags[0]",
                                      "$.size()", "$.type()"])
        if c < 0.50:     # fails at run time when (and only when) it matches
            pre = self.prefix_of(self.pick(strings)) if self.maybe(0.7) \
                else self.word(1, 3)
            return self.pick([
                'strict %s ? (@ starts with "%s").x' % (self.pick(paths), pre),
                'strict %s ? (@ like_regex "^%s").x' % (self.pick(paths), pre),
                "strict $ ? (@ > %d).x" % self.r.randint(0, 65536),
                "strict $.pin ? (@ < %d).x" % self.r.randint(0, 9999),
                'strict $.password ? (@ starts with "%s").x.y' % pre,
            ])
        if c < 0.70:     # fails at run time whatever the record
            return self.pick(["strict $.nope", "$.pin / 0", "$ / 0",
                              "strict $.tags[9]", "$.password.double()",
                              "$.pin.datetime()", "strict $.*.zz",
                              "$.keyvalue().key.double()", "-$",
                              "$.nested.x / ($.nested.x - 1)"])
        if c < 0.85:     # does not parse
            return self.pick(["$$$", "(", "$.a[", "strict", "$ ? (", "@",
                              "$.pin +", "lax lax $", "$.\"", "$[1 to", ""])
        return self.pick(["$.zzz", '$ ? (@ == "nomatch")', "$.tags[99]",
                          "lax $.none.deeper", '$.password ? (@ == "x")'])

    def selects(self):
        out = []
        for _ in range(self.r.choice([1, 1, 1, 2, 3])):
            c = self.r.random()
            if c < 0.85:
                out.append(("select", q(self.pick(["v", "x", "a_b", "s"]) +
                                        "=" + self.jsonpath())))
            else:    # not name=jsonpath at all
                out.append(("select", q(self.pick(["nothing", "=x", "a=",
                                                   "=", "x==y"]))))
        return out

    def opt(self, name, values, p=0.5):
        return [(name, q(self.pick(values)))] if self.maybe(p) else []

    def idx(self, p=0.5):
        return self.opt("idx", [0, 0, 1, 1, 2, 7, -1, "abc", 2147483648, ""], p)

    def committed(self, p=0.4):
        return self.opt("committed", ["true", "false", "false", "maybe", "1"], p)

    def kv_get(self):
        key = self.kv_key()
        return Input("GET", "/api/v1/github/kv/{inst}/key/" + self.kv_path_key(key),
                     (self.selects() if self.maybe(0.85) else []) +
                     self.idx() + self.committed())

    def kv_iter(self):
        key = self.prefix_of(self.pick(self.f["kv_keys"])) if self.maybe(0.7) \
            else self.kv_key()
        query = [("prefix", self.pick(["true"] * 6 + ["false", "yes"]))]
        query += [("limit", q(self.pick([1] * 6 + [2, 30, 1000, 0, 1001, "x"])))]
        query += self.selects() if self.maybe(0.85) else []
        query += self.idx(0.3) + self.committed(0.3)
        query += self.opt("inclusive", ["true", "false", "no"], 0.3)
        self.r.shuffle(query)
        return Input("GET", "/api/v1/github/kv/{inst}/iter/" + self.kv_path_key(key),
                     query)

    def kv_count(self):
        return Input("GET", "/api/v1/github/kv/{inst}/count/key/" +
                     self.kv_path_key(self.kv_key()), self.committed(0.5))

    def kv_size(self):
        return Input("GET", "/api/v1/github/kv/{inst}/size/key/" +
                     self.kv_path_key(self.kv_key()),
                     self.idx(0.6) + self.committed(0.4))

    def kv_value(self):
        return self.pick(["hunter3", 31338, {"password": "x"}, [1, 2], None,
                          True, {"nested": {"x": 2}}, "b" * self.r.randint(1, 50)])

    def write_body(self, cas):
        b = {}
        c = self.r.random()
        if c < 0.8:
            b["data" if self.maybe(0.7) else "value"] = self.kv_value()
        elif c < 0.9:
            b["data"], b["value"] = 1, 2
        if self.maybe(0.3):
            b["idx"] = self.pick([0, 1, 3, -1, "x", 2147483648])
        if self.maybe(0.3):
            b["committed"] = self.pick([True, False, "no"])
        if self.maybe(0.15):
            b[self.pick(["read_caps", "write_caps"])] = self.pick(
                [["kv_store_system_read"], [1], "x", None])
        if self.maybe(0.08):
            b["bogus"] = 1
        if cas and self.maybe(0.7):
            b["version"] = self.pick([0, 0, 1, 1, 2, 3, 17, -1, "x"])
        return b

    def kv_put(self):
        return Input("PUT", "/api/v1/github/kv/{inst}/key/" +
                     self.kv_path_key(self.kv_key()), (), self.write_body(False))

    def kv_cas(self):
        return Input("PUT", "/api/v1/github/kv/{inst}/cas/key/" +
                     self.kv_path_key(self.kv_key()), (), self.write_body(True))

    def kv_delete(self):
        return Input("DELETE", "/api/v1/github/kv/{inst}/key/" +
                     self.kv_path_key(self.kv_key()),
                     self.idx(0.5) + self.opt("version",
                                              [0, 0, 1, 2, 5, -1, "v"], 0.5))

    def kv_commit(self):
        c = self.r.random()
        if c < 0.8:
            keys = []
            for _ in range(self.r.randint(0, 3)):
                e = {"key": self.pick(self.f["kv_keys"] + ["secret/nope"])}
                if self.maybe(0.4):
                    e["idx"] = self.pick([0, 1, 2, -1, "x"])
                if self.maybe(0.05):
                    e["extra"] = True
                keys.append(e)
            body = {"keys": keys}
        else:
            body = self.pick([{"keys": "x"}, {"keys": [{}]}, {"keys": [],
                              "more": 1}, [], {"keys": [{"key": "\x01"}]},
                              {"keys": [{"key": "a" * 1025}]}])
        return Input("POST", "/api/v1/github/kv/{inst}/commit", (), body)

    # --- Work manifests and dirspaces ---
    def tagquery(self, dirspaces):
        f = self.f
        c = self.r.random()
        if c < 0.35:
            valid = ["state:queued", "state:completed", "kind:drift or kind:index",
                     "not state:completed repo:infra", "created_at:2026-01-01",
                     "created_at:'2026-01-01 05:00..2026-01-01 06:00'",
                     "created_at:2026-01-01..", "created_at:..2026-01-02",
                     "sort:asc", "repo:infra", "repo:network and state:running",
                     "pr:3", "type:plan", "workspace:default", "branch:main",
                     "user:nobody", "environment:prod",
                     "id:" + self.pick(f["wm_ids"]), "id:" + self.uuid(),
                     "(state:queued or state:running) and not kind:drift"]
            if dirspaces:
                valid += ["state:success workspace:shared", "state:failure",
                          "dir:" + self.pick(["base", "apps", "x", "modules/net"])]
            return self.pick(valid)
        if c < 0.5:     # does not parse
            return self.pick(["(state:queued", "repo:'x", "and", "state:", ")",
                              "not", "a or or b", 'repo:"x', "(((((",
                              "repo:'x'') OR true --'", ":", "state:queued)"])
        if c < 0.6:     # unknown tag
            return self.pick(["colour:red", "%s:%s" % (self.word(2, 6), self.word())])
        if c < 0.85:    # dates: bad, or a range read in a time zone
            return self.pick(["created_at:2026-02-30", "created_at:yesterday",
                              "created_at:2026-13-01..2026-01-01",
                              "created_at:'2026-01-01 25:00'",
                              "created_at:0000-01-01", "created_at:99999-01-01",
                              "created_at:294277-01-01",
                              "created_at:'2026-01-01 %02d:%02d..2026-01-02'" %
                              (self.r.randint(0, 23), self.r.randint(0, 59)),
                              "created_at:2026-01-0%d" % self.r.randint(1, 9)])
        return self.pick(["pr:99999999999999999999", "id:not-a-uuid", "pr:abc",
                          "pr:-1", "id:" + self.uuid()[:20],
                          "user:" + "x" * 300])

    def list_query(self, dirspaces):
        f = self.f
        query = []
        if self.maybe(0.8):
            query.append(("q", q(self.tagquery(dirspaces))))
        if self.maybe(0.45):
            query.append(("tz", q(self.pick(
                ["UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata",
                 "Pacific/Chatham", "Etc/GMT+5", "Not/AZone", "Mars/Olympus",
                 "Not/AZone", "bad tz!", "A" * 70, "+05", "EST5EDT", ""]))))
        if self.maybe(0.5):
            query.append(("limit", q(self.pick(
                [1, 2, 5, 20, 100, 0, 101, -1, "abc", 1000, "", "5x"]))))
        if self.maybe(0.5):
            cur = f["ds_cursors" if dirspaces else "wm_cursors"]
            c = self.r.random()
            if c < 0.5 and cur:
                page = self.pick(cur)
            elif c < 0.7 and cur:
                page = self.pick(cur)
                i = self.r.randrange(len(page))
                page = page[:i] + self.pick("AQZaz09-_") + page[i + 1:]
            elif c < 0.8 and cur:
                page = self.pick(cur)[:self.r.randint(0, 20)]
            else:
                page = self.pick(["garbage", "", "x" * 300, "%2F%2B", "AAAA",
                                  self.word(8, 40)])
            query.append(("page", page if page.startswith("%") else q(page)))
        self.r.shuffle(query)
        return query

    def inm(self, etags):
        if self.maybe(0.2):
            return {"If-None-Match": self.pick(etags + ['"garbage"', "*"])}
        return {}

    def wm_list(self):
        base = self.pick(["/api/v1/github/installations/{inst}/work-manifests"] * 3 +
                         ["/api/v1/installations/{inst}/work-manifests"])
        return Input("GET", base, self.list_query(False),
                     headers=self.inm(self.f["etags"]))

    def dirspaces(self):
        base = self.pick(["/api/v1/github/installations/{inst}/dirspaces"] * 3 +
                         ["/api/v1/installations/{inst}/dirspaces"])
        return Input("GET", base, self.list_query(True),
                     headers=self.inm(self.f["etags"]))

    def wm_one(self):
        i = self.pick(self.f["wm_ids"]) if self.maybe(0.6) else self.uuid()
        return Input("GET", "/api/v1/github/installations/{inst}/work-manifests/" + i,
                     headers=self.inm(self.f["etags"]))

    def stacks(self):
        f = self.f
        repo = self.pick(f["repos"] * 3 + [self.r.randint(1, 2 ** 53),
                                           f["N"] * 10 + 1, 1])
        pr = self.pick(f["prs"] * 3 + [self.r.randint(1, 1000), 2 ** 53])
        return Input("GET", "/api/v1/github/installations/{inst}/repos/%d/prs/%d/stacks"
                     % (repo, pr), headers=self.inm(self.f["etags"]))


# Each route: name, label, generator, whether it writes, the token scope,
# and fixed inputs sent first (so that every run holds the oracle).
def anchors(f):
    kv = "/api/v1/github/kv/{inst}"
    sel = lambda p: [("select", q("v=" + p))]
    return {
        "kv_get": [Input("GET", kv + "/key/secret/alpha"),
                   Input("GET", kv + "/key/secret/bravo",
                         sel('strict $ ? (@ starts with "bo").x')),
                   Input("GET", kv + "/key/secret/bravo",
                         sel('strict $ ? (@ starts with "zz").x')),
                   Input("GET", kv + "/key/secret/nope")],
        "kv_iter": [Input("GET", kv + "/iter/secret/b",
                          [("prefix", "true"), ("limit", "1")] +
                          sel('strict $ ? (@ starts with "bo").x')),
                    Input("GET", kv + "/iter/secret/b",
                          [("prefix", "true"), ("limit", "1")] +
                          sel('strict $ ? (@ starts with "zz").x')),
                    Input("GET", kv + "/iter/secret/", [("prefix", "true"),
                                                         ("limit", "1")])],
        "kv_count": [Input("GET", kv + "/count/key/secret/alpha"),
                     Input("GET", kv + "/count/key/secret/nope")],
        "kv_size": [Input("GET", kv + "/size/key/secret/alpha", [("idx", "1")]),
                    Input("GET", kv + "/size/key/secret/alpha", [("idx", "5")])],
        "kv_put": [Input("PUT", kv + "/key/secret/alpha", (), {"data": "x"}),
                   Input("PUT", kv + "/key/secret/alpha", (), {"data": 1, "idx": -1})],
        "kv_cas": [Input("PUT", kv + "/cas/key/secret/charlie", (), {"data": 1}),
                   Input("PUT", kv + "/cas/key/secret/new", (), {"data": 1}),
                   Input("PUT", kv + "/cas/key/secret/charlie", (),
                         {"data": 1, "version": 9})],
        "kv_delete": [Input("DELETE", kv + "/key/secret/alpha", [("version", "9")]),
                      Input("DELETE", kv + "/key/secret/charlie", [("idx", "abc")]),
                      Input("DELETE", kv + "/key/secret/charlie", [("idx", "0")])],
        "kv_commit": [Input("POST", kv + "/commit", (),
                            {"keys": [{"key": "secret/delta"}]}),
                      Input("POST", kv + "/commit", (), {"keys": "x"})],
        "wm_list": [Input("GET", "/api/v1/github/installations/{inst}/work-manifests"),
                    Input("GET", "/api/v1/github/installations/{inst}/work-manifests",
                          [("q", q("created_at:2026-01-01")), ("tz", "Not%2FAZone")]),
                    Input("GET", "/api/v1/github/installations/{inst}/work-manifests",
                          [("q", q("colour:red"))])],
        "dirspaces": [Input("GET", "/api/v1/github/installations/{inst}/dirspaces"),
                      Input("GET", "/api/v1/github/installations/{inst}/dirspaces",
                            [("q", q("created_at:2026-01-01")), ("tz", "Not%2FAZone")]),
                      Input("GET", "/api/v1/github/installations/{inst}/dirspaces",
                            [("page", "garbage")])],
        "wm_one": [Input("GET", "/api/v1/github/installations/{inst}/work-manifests/"
                         + f["wm_ids"][0]),
                   Input("GET", "/api/v1/github/installations/{inst}/work-manifests/"
                         + str(uuid.UUID(int=1)))],
        "stacks": [Input("GET", "/api/v1/github/installations/{inst}/repos/%d/prs/%d/stacks"
                         % (f["repos"][0], f["prs"][0])),
                   Input("GET", "/api/v1/github/installations/{inst}/repos/%d/prs/999/stacks"
                         % f["repos"][0])],
    }


ROUTES = [
    ("kv_get", "KV get", "kv_get", False, "kv"),
    ("kv_iter", "KV iter", "kv_iter", False, "kv"),
    ("kv_count", "KV count", "kv_count", False, "kv"),
    ("kv_size", "KV size", "kv_size", False, "kv"),
    ("kv_put", "KV put", "kv_put", True, "kv"),
    ("kv_cas", "KV compare-and-set", "kv_cas", True, "kv"),
    ("kv_delete", "KV delete", "kv_delete", True, "kv"),
    ("kv_commit", "KV commit", "kv_commit", True, "kv"),
    ("wm_list", "work-manifests list", "wm_list", False, "inst"),
    ("dirspaces", "dirspaces list", "dirspaces", False, "inst"),
    ("wm_one", "work-manifest by id", "wm_one", False, "inst"),
    ("stacks", "stacks", "stacks", False, "inst"),
]
EXPECT = {"outsider": (403, "NO_INSTALLATION_ACCESS"),
          "removed member": (403, "NO_INSTALLATION_ACCESS"),
          "revoked key's token": (401, "UNAUTHORIZED")}


class Run:
    def __init__(self, cfg):
        self.cfg = cfg
        self.T, self.N, self.W = cfg["T"], cfg["N"], cfg["W"]
        self.ttctl = os.path.join(cfg["top"], "bin", "ttctl")
        self.client = Client(cfg["base"])
        self.recorded = set()

    def remember(self, secret):
        path = os.environ.get("TT_ISSUED_SECRETS")
        if path and secret:
            with open(path, "a") as fh:
                fh.write(secret + "\n")

    def refresh(self, key):
        st, _, _, body = self.client.send(
            "POST", "/api/v1/access-token/refresh", b"",
            {"Authorization": "Bearer " + key})
        if st != 200:
            raise SystemExit("# refresh failed with %d: %s" % (st, body[:300]))
        tok = json.loads(body)["access_token"]
        self.remember(tok)
        return tok

    def send(self, caller, scope, inp, inst):
        hdrs = dict(inp.headers)
        hdrs["Authorization"] = "Bearer " + caller.token(scope)
        url = inp.url(inst)
        st, reason, headers, body = self.client.send(inp.method, url, inp.body, hdrs)
        return st, reason, headers, body, url

    def normal(self, st, headers, body):
        def ph(s):
            return s.replace(str(self.T), "{INST}").replace(str(self.N), "{INST}")
        h = tuple(sorted((k.lower(), ph(v)) for k, v in headers
                         if k.lower() not in IGNORED))
        return (st, h, ph(body))

    def record(self, key, method, url, st, reason, headers, body):
        """The first answer of each kind into TT_RESPONSE_LOG (openapi check)."""
        path = os.environ.get("TT_RESPONSE_LOG")
        if not path or st == 0 or key in self.recorded:
            return
        self.recorded.add(key)
        hb = "HTTP/1.1 %d %s\r\n" % (st, reason) + "".join(
            "%s: %s\r\n" % (k, v) for k, v in headers)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\x1e%s\t%s%s\t%d\t%s\n%s\n\x1f\n%s\n" % (
                method, self.cfg["base"], url, st, os.environ.get("CASE", "?"),
                hb, body))

    # Facts the insider sees in T: manifest ids, real cursors and ETags.
    def recon(self, insider):
        f = {"kv_keys": self.cfg["kv_keys"], "kv_strings": self.cfg["kv_strings"],
             "repos": self.cfg["repos"], "prs": self.cfg["prs"], "N": self.N,
             "wm_ids": [], "wm_cursors": [], "ds_cursors": [], "etags": []}

        def get(path):
            st, _, headers, body, _ = self.send(insider, "inst", Input("GET", path),
                                                self.T)
            h = {k.lower(): v for k, v in headers}
            if h.get("etag"):
                f["etags"].append(h["etag"])
            return st, h, body

        def cursors(path, into):
            for _ in range(3):
                st, h, body = get(path)
                links = h.get("link", "")
                for part in links.split(","):
                    if "<" in part and "page=" in part:
                        u = part[part.index("<") + 1:part.index(">")]
                        into.append(urllib.parse.parse_qs(
                            urllib.parse.urlsplit(u).query)["page"][0])
                nxt = [p for p in links.split(",") if 'rel="next"' in p]
                if not nxt:
                    break
                path = nxt[0][nxt[0].index("<") + 1:nxt[0].index(">")]
            return st, body

        wm = "/api/v1/github/installations/%s/work-manifests" % self.T
        st, body = cursors(wm + "?limit=4", f["wm_cursors"])
        cursors(wm + "?limit=3&q=state%3Aqueued", f["wm_cursors"])
        cursors("/api/v1/github/installations/%s/dirspaces?limit=5" % self.T,
                f["ds_cursors"])
        if st == 200:
            f["wm_ids"] = [m["id"] for m in json.loads(body)["work_manifests"]]
        if not f["wm_ids"]:
            f["wm_ids"] = [str(uuid.UUID(int=2))]
        for i in f["wm_ids"][:2]:
            get(wm + "/" + i)
        get("/api/v1/github/installations/%s/repos/%d/prs/%d/stacks" % (
            self.T, f["repos"][0], f["prs"][0]))
        ok = len(f["wm_cursors"]) >= 2 and len(f["ds_cursors"]) >= 1 and \
            len(f["etags"]) >= 3
        return f, ok

    def main(self):
        cfg = self.cfg
        keys = cfg["keys"]
        insider = Caller(self, "insider", keys["insider"])
        callers = [Caller(self, "outsider", keys["outsider"]),
                   Caller(self, "removed member", keys["removed"]),
                   Caller(self, "revoked key's token", mint_user=cfg["mint_user"])]
        rng = random.Random(cfg["seed"])
        facts, ok = self.recon(insider)
        check(ok, "insider: real page cursors (%d work manifests, %d dirspaces) "
              "and ETags (%d) are taken from T's answers to generate from"
              % (len(facts["wm_cursors"]), len(facts["ds_cursors"]),
                 len(facts["etags"])))
        gen = Gen(rng, facts)
        fixed = anchors(facts)
        started = time.monotonic()
        for name, label, meth, writes, scope in ROUTES:
            inputs = fixed[name] + [getattr(gen, meth)()
                                    for _ in range(cfg["count"] - len(fixed[name]))]
            seen = {c.name: [] for c in callers}
            mine = []
            for inp in inputs:
                for c in callers:
                    for target, inst in (("N", self.N), ("T", self.T)):
                        st, reason, headers, body, url = self.send(c, scope, inp, inst)
                        a = self.normal(st, headers, body)
                        seen[c.name].append((inp, target, a))
                        self.record((c.name, name, a), inp.method, url, st, reason,
                                    headers, body)
                # The insider: reads in T, writes in its sandbox W.
                inst = self.W if writes else self.T
                st, reason, headers, body, url = self.send(insider, scope, inp, inst)
                mine.append((inp, st, body))
                eid = ""
                try:
                    eid = json.loads(body).get("id", "") if st >= 400 else ""
                except (ValueError, AttributeError):
                    pass
                self.record(("insider", name, st, eid), inp.method, url, st,
                            reason, headers, body)
            for c in callers:
                verdict(c.name, label, len(inputs), seen[c.name])
            control(label, writes, name, mine, self.W if writes else self.T)
        sent = self.client.sent
        print("# %d requests in %.1f s (%d revoked keys minted)" % (
            sent, time.monotonic() - started, callers[2].minted))


def check(ok, desc):
    print("CHECK\t%d\t%s" % (0 if ok else 1, desc))
    sys.stdout.flush()


def short(a):
    st, h, body = a
    return "%d %s" % (st, body[:300].replace("\n", " "))


def verdict(who, label, n, answers):
    """Every answer of one caller on one route equals the first N answer."""
    ref_inp, _, ref = answers[0]
    want_st, want_id = EXPECT[who]
    try:
        ref_id = json.loads(ref[2]).get("id")
    except (ValueError, AttributeError):
        ref_id = None
    # An error answer carries no validator and no page links.
    extra = [k for k, _ in ref[1] if k in ("etag", "link", "set-cookie")]
    diffs = [(i, t, a) for i, t, a in answers if a != ref]
    kinds = {}
    for _, t, a in answers:
        kinds[a[0]] = kinds.get(a[0], 0) + 1
    ok = not diffs and not extra and ref[0] == want_st and ref_id == want_id
    check(ok, "%s: %d generated %s inputs, each sent to T and to a "
          "nonexistent installation, all answer the same %d %s" % (
              who, n, label, ref[0], ref_id or ""))
    if ref[0] != want_st or ref_id != want_id or extra:
        print("# %s %s: the answer is %s %s, expected %d %s without %s" % (
            who, label, short(ref), dict(ref[1]), want_st, want_id,
            "ETag, Link or Set-Cookie"))
    if diffs:
        i, t, a = diffs[0]
        print("# %s %s: %d of %d answers differ (statuses %s)" % (
            who, label, len(diffs), len(answers), ", ".join(
                "%d x%d" % kv for kv in sorted(kinds.items()))))
        print("# first:   %s -> %s (installation N)" % (ref_inp.show(), short(ref)))
        print("# differs: %s -> %s (installation %s)" % (i.show(), short(a), t))
        if a[1] != ref[1]:
            print("# headers: %s versus %s" % (dict(ref[1]), dict(a[1])))


def control(label, writes, name, mine, inst):
    """The insider's answers to the same inputs must vary."""
    sts = {}
    for _, st, _ in mine:
        sts[st] = sts.get(st, 0) + 1
    need = {200, 400} if name in ("kv_get", "kv_iter") else set()
    ok = len(sts) >= 2 and 200 in sts and need <= set(sts)
    where = "its sandbox W" if writes else "T"
    check(ok, "insider: the same %d %s inputs in %s get answers that vary "
          "(%s): they would be an oracle without the session's verdict" % (
              len(mine), label, where, ", ".join(
                  "%d x%d" % kv for kv in sorted(sts.items()))))


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        Run(json.load(fh)).main()
