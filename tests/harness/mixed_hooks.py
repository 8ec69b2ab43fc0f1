#!/usr/bin/env python3
"""mixed_hooks.py SECRET_FILE COUNT OUT: signed ping deliveries for
tests/harness/mixed.lua, one "guid signature body" line each, every one
with its own GUID and body (the ledger is unique on both)."""
import hashlib, hmac, sys, uuid

# The first line is the current secret (a second one is the previous).
secret = open(sys.argv[1], "rb").read().split(b"\n")[0].strip()
with open(sys.argv[3], "w") as f:
    for i in range(int(sys.argv[2])):
        g = str(uuid.uuid4())
        body = ('{"zen":"mixed load %d","hook_id":%d,"hook":{"type":"App",'
                '"id":%d},"guid":"%s"}' % (i, i, i, g))
        sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write(f"{g} sha256={sig} {body}\n")
