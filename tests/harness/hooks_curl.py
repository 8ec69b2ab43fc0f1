#!/usr/bin/env python3
"""hooks_curl.py SECRET_FILE URL OUTDIR FILE...: a curl config (curl -K)
that POSTs each FILE as a signed webhook delivery with its own GUID, the
event type being the file name up to its first dot (octokit's examples:
pull_request.opened.json). One curl process sends them all over one
connection; for each it writes "STATUS EVENT FILE" on a line, and the
answer's body to OUTDIR/N.body (N counting from 1)."""
import hashlib, hmac, os, sys, uuid

# The first line is the current secret (a second one is the previous).
secret = open(sys.argv[1], "rb").read().split(b"\n")[0].strip()
url, outdir = sys.argv[2], sys.argv[3]


def quoted(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


for n, path in enumerate(sys.argv[4:], 1):
    event = os.path.basename(path).split(".")[0]
    sig = hmac.new(secret, open(path, "rb").read(), hashlib.sha256).hexdigest()
    if n > 1:
        print("next")
    print("url = " + quoted(url))
    print("request = POST")
    print("header = " + quoted("Content-Type: application/json"))
    print("header = " + quoted("X-GitHub-Event: " + event))
    print("header = " + quoted("X-GitHub-Delivery: " + str(uuid.uuid4())))
    print("header = " + quoted("X-Hub-Signature-256: sha256=" + sig))
    print("data-binary = " + quoted("@" + path))
    print("output = " + quoted(os.path.join(outdir, "%d.body" % n)))
    print("write-out = " + quoted("%%{http_code} %s %s\\n" % (event, path)))
    print("max-time = 20")
