#!/usr/bin/env python3
"""forge.py: mint JWTs for the threat tests (standard library only).

  forge.py [--kid K] [--secret-hex H] [--alg HS256] [--header JSON]
           [--claims JSON] [--sig ok|none|empty|garbage|flip]
           [--flip header|payload|sig]

Without --kid/--secret-hex it reads the current signing secret from the
database named by TT_DATABASE_URL (psql). The header defaults to
{"alg": ALG, "kid": K, "typ": "JWT"}; HS256/HS384/HS512 (any case) sign
with the named hash; "none" signs nothing.
"""
import argparse, base64, hashlib, hmac, json, os, subprocess, sys


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def current_secret():
    out = subprocess.run(
        ["psql", os.environ["TT_DATABASE_URL"], "-Atc",
         "SELECT kid, encode(secret, 'hex') FROM jwt_secrets "
         "WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1"],
        check=True, capture_output=True, text=True).stdout.strip()
    kid, hexsecret = out.split("|")
    return kid, hexsecret


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kid")
    ap.add_argument("--secret-hex")
    ap.add_argument("--alg", default="HS256")
    ap.add_argument("--header")
    ap.add_argument("--claims", default="{}")
    ap.add_argument("--sig", default="ok")
    ap.add_argument("--flip")
    a = ap.parse_args()
    kid, hexsecret = a.kid, a.secret_hex
    if kid is None or hexsecret is None:
        k, h = current_secret()
        kid = kid or k
        hexsecret = hexsecret or h
    secret = bytes.fromhex(hexsecret)
    header = json.loads(a.header) if a.header else \
        {"alg": a.alg, "kid": kid, "typ": "JWT"}
    h = b64(json.dumps(header, separators=(",", ":")).encode())
    p = b64(a.claims.encode())
    signing = (h + "." + p).encode()
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}.get(a.alg.upper())
    if a.sig == "none" or a.alg.lower() == "none" or digest is None:
        sig = b""
    else:
        sig = hmac.new(secret, signing, digest).digest()
    if a.sig == "empty":
        sig = b""
    elif a.sig == "garbage":
        sig = b"\x00" * 32
    token = [h, p, b64(sig)]
    if a.flip:
        i = {"header": 0, "payload": 1, "sig": 2}[a.flip]
        raw = bytearray(base64.urlsafe_b64decode(token[i] + "=" * (-len(token[i]) % 4)))
        raw[len(raw) // 2] ^= 0x01
        token[i] = b64(bytes(raw))
    sys.stdout.write(".".join(token))


if __name__ == "__main__":
    main()
