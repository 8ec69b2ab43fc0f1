#!/usr/bin/env python3
"""fakeoidc.py: a stand-in OIDC issuer (GitHub Actions-like) for the tests.

  fakeoidc.py --port 0 --port-file FILE [--parent-pid PID]

Serves any number of issuers on one loopback port; issuer NAME is
http://127.0.0.1:PORT/NAME (created by POST /_fake/issuer). Needs python3
and Debian's python3-cryptography.

  GET  /NAME/.well-known/openid-configuration   {"issuer", "jwks_uri"}
  GET  /NAME/jwks                  published keys, Cache-Control: max-age
  GET  /NAME/actions-token?audience=A   what GitHub's
                                   ACTIONS_ID_TOKEN_REQUEST_URL answers:
                                   {"count":1,"value":TOKEN}; needs
                                   "Authorization: bearer REQUEST_TOKEN"

Control API (JSON in and out, no auth):

  POST /_fake/issuer   {"name", "max_age"?: 300}: a new issuer with an
                       RSA key "k1" and a P-256 key "e1", both published
  POST /_fake/key      {"issuer", "kid", "kty": "RSA"|"EC",
                       "published": false}: another key
  POST /_fake/publish  {"issuer", "kid"}: publish it (key rotation)
  POST /_fake/mint     {"issuer", "kid": "k1", "alg"?: RS256|ES256|none|
                       HS256-pubkey|RS256-wrongkey, "claims": {...},
                       "header": {...}} -> {"token"}. Default claims:
                       iss, aud "terrateam", sub, iat/nbf now, exp now+300,
                       jti (a fresh UUID, as GitHub's), repository,
                       repository_owner, run_id, environment; a claim
                       given as null is left out. alg defaults to
                       the key's own (RS256 for RSA, ES256 for EC).
  POST /_fake/actions  {"issuer", "request_token", "kid"?, "claims"}: what
                       /NAME/actions-token mints (aud = its ?audience=)
  POST /_fake/fail     {"issuer", "what": "discovery"|"jwks", "status"}:
                       that document answers status (e.g. 503) from now
                       on, still counted in the stats; status 0 heals it
  GET  /_fake/stats    {"NAME": {"discovery": n, "jwks": n, "actions": n}}
"""
import argparse
import base64
import json
import os
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

LOCK = threading.Lock()
ISSUERS = {}
BASE = ""


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def new_key(kty):
    if kty == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(kid, key):
    pub = key.public_key()
    if isinstance(key, rsa.RSAPrivateKey):
        nums = pub.public_numbers()
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": b64(uint(nums.n)), "e": b64(uint(nums.e))}
    nums = pub.public_numbers()
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256",
            "crv": "P-256", "x": b64(uint(nums.x, 32)), "y": b64(uint(nums.y, 32))}


def sign(alg, key, data):
    if alg == "RS256":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return uint(r, 32) + uint(s, 32)
    if alg == "none":
        return b""
    if alg == "HS256":
        # The classic confusion attack: the public key's PEM as HMAC secret.
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        h = hmac.HMAC(pem, hashes.SHA256())
        h.update(data)
        return h.finalize()
    raise ValueError("unknown alg " + alg)


def mint(name, kid="k1", alg=None, claims=None, header=None):
    iss = ISSUERS[name]
    key = iss["keys"][kid]["key"]
    own = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    alg = alg or own
    signer = key
    if alg == "HS256-pubkey":
        alg = "HS256"
    elif alg == "RS256-wrongkey":
        alg, signer = "RS256", new_key("RSA")
    now = int(time.time())
    c = {"iss": BASE + "/" + name, "aud": "terrateam",
         "sub": "repo:mycompany/infra:ref:refs/heads/main",
         "iat": now, "nbf": now, "exp": now + 300, "jti": str(uuid.uuid4()),
         "repository": "mycompany/infra", "repository_owner": "mycompany",
         "run_id": "4242", "environment": "production"}
    for k, v in (claims or {}).items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    h = {"alg": alg, "kid": kid, "typ": "JWT"}
    for k, v in (header or {}).items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v
    signing = (b64(json.dumps(h).encode()) + "." +
               b64(json.dumps(c).encode())).encode()
    return signing.decode() + "." + b64(sign(alg, signer, signing))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def do_GET(self):
        u = urlparse(self.path)
        parts = u.path.strip("/").split("/")
        with LOCK:
            if u.path == "/_fake/stats":
                return self.answer(200, {n: i["stats"] for n, i in ISSUERS.items()})
            iss = ISSUERS.get(parts[0]) if parts else None
            if iss is None:
                return self.answer(404, {"message": "no such issuer"})
            rest = "/".join(parts[1:])
            if rest == ".well-known/openid-configuration":
                iss["stats"]["discovery"] += 1
                if iss["fail"].get("discovery"):
                    return self.answer(iss["fail"]["discovery"],
                                       {"message": "failing on purpose"})
                return self.answer(200, {
                    "issuer": BASE + "/" + parts[0],
                    "jwks_uri": BASE + "/" + parts[0] + "/jwks",
                    "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
            if rest == "jwks":
                iss["stats"]["jwks"] += 1
                if iss["fail"].get("jwks"):
                    return self.answer(iss["fail"]["jwks"],
                                       {"message": "failing on purpose"})
                keys = [jwk(k, v["key"]) for k, v in iss["keys"].items()
                        if v["published"]]
                return self.answer(200, {"keys": keys}, {
                    "Cache-Control": "public, max-age=%d" % iss["max_age"]})
            if rest == "actions-token":
                iss["stats"]["actions"] += 1
                a = iss.get("actions")
                auth = self.headers.get("Authorization") or ""
                if a is None or auth.lower() != "bearer " + a["request_token"].lower():
                    return self.answer(401, {"message": "bad request token"})
                aud = parse_qs(u.query).get("audience", [None])[0]
                claims = dict(a.get("claims") or {})
                if aud is not None:
                    claims["aud"] = aud
                tok = mint(parts[0], a.get("kid", "k1"), None, claims)
                return self.answer(200, {"count": 1, "value": tok})
        return self.answer(404, {"message": "not found"})

    def do_POST(self):
        try:
            b = self.body()
        except ValueError:
            return self.answer(400, {"message": "bad JSON"})
        with LOCK:
            try:
                return self.control(urlparse(self.path).path, b)
            except (KeyError, ValueError) as e:
                return self.answer(400, {"message": "bad request: %r" % (e,)})

    def control(self, path, b):
        if path == "/_fake/issuer":
            ISSUERS[b["name"]] = {
                "max_age": int(b.get("max_age", 300)),
                "keys": {"k1": {"key": new_key("RSA"), "published": True},
                         "e1": {"key": new_key("EC"), "published": True}},
                "stats": {"discovery": 0, "jwks": 0, "actions": 0},
                "fail": {}}
            return self.answer(200, {"issuer": BASE + "/" + b["name"]})
        iss = ISSUERS[b["issuer"]]
        if path == "/_fake/key":
            iss["keys"][b["kid"]] = {"key": new_key(b.get("kty", "RSA")),
                                     "published": bool(b.get("published", False))}
            return self.answer(200, {})
        if path == "/_fake/publish":
            iss["keys"][b["kid"]]["published"] = True
            return self.answer(200, {})
        if path == "/_fake/mint":
            return self.answer(200, {"token": mint(
                b["issuer"], b.get("kid", "k1"), b.get("alg"),
                b.get("claims"), b.get("header"))})
        if path == "/_fake/actions":
            iss["actions"] = b
            return self.answer(200, {})
        if path == "/_fake/fail":
            if b["what"] not in ("discovery", "jwks"):
                raise ValueError("what: discovery or jwks")
            iss["fail"][b["what"]] = int(b["status"])
            return self.answer(200, {})
        return self.answer(404, {"message": "not found"})


def main():
    global BASE
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--parent-pid", type=int)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    BASE = "http://127.0.0.1:%d" % srv.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(
        target=srv.shutdown).start())
    if args.parent_pid:
        def watch():
            while True:
                try:
                    os.kill(args.parent_pid, 0)
                except OSError:
                    srv.shutdown()
                    return
                time.sleep(1)
        threading.Thread(target=watch, daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
