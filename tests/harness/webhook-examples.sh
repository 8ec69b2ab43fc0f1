#!/bin/sh
# webhook-examples.sh OUTDIR: real GitHub webhook payloads for the tests.
#
# Fetches @octokit/webhooks-examples (pinned below) with `npm pack`,
# checks the tarball's sha512 integrity against the recorded value, and
# writes every example of api.github.com/index.json to
#
#   OUTDIR/<event>.<n>.json    one payload, compact JSON (UTF-8); <event>
#                              is the entry's "name" (what GitHub sends in
#                              X-GitHub-Event), <n> its index (from 0) in
#                              that entry's "examples" array
#   OUTDIR/index.tsv           file, event, action ("-" if none),
#                              installation id ("-" if none), one a line
#
# e.g. pull_request.0.json (opened), pull_request.22.json (synchronize),
# installation.1.json (created), installation_repositories.0.json (added),
# ping.0.json. Pick by action with: awk -F'\t' '$2=="pull_request" &&
# $3=="opened" {print $1}' OUTDIR/index.tsv
#
# Idempotent: OUTDIR/.webhook-examples.stamp names the version written;
# when it matches and every file it lists is present nothing is fetched.
# Prints how many files it wrote. Needs npm (or WEBHOOK_EXAMPLES_TGZ=the
# tarball, for offline use) and python3.
set -eu

PKG=@octokit/webhooks-examples
VERSION=7.6.1
INTEGRITY=sha512-De6U3XB6O3DtCa7bKgCMzTHdeopqqZ6SNivMYJnK65ierKL1AnNIA0tkRYCRS7lwGT792d+Ps1WbfHlso6MynQ==

OUT=${1:?usage: webhook-examples.sh OUTDIR}
STAMP=$OUT/.webhook-examples.stamp
MANIFEST=$OUT/.webhook-examples.files
WANT="$PKG@$VERSION $INTEGRITY"

mkdir -p "$OUT"

# Already populated with this version?
if [ -f "$STAMP" ] && [ -f "$MANIFEST" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
	missing=0
	while IFS= read -r f; do
		[ -f "$OUT/$f" ] || missing=$((missing + 1))
	done <"$MANIFEST"
	if [ "$missing" -eq 0 ]; then
		echo "webhook-examples: $OUT already holds $PKG@$VERSION ($(wc -l <"$MANIFEST") examples); wrote 0 files"
		exit 0
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/webhook-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ -n "${WEBHOOK_EXAMPLES_TGZ:-}" ]; then
	tgz=$WEBHOOK_EXAMPLES_TGZ
else
	# --prefer-offline: a tarball already in npm's cache is reused; the
	# integrity check below is what makes that safe either way.
	if ! npm pack "$PKG@$VERSION" --pack-destination "$tmp" --prefer-offline \
	    --silent --no-fund --no-audit >"$tmp/npm.out" 2>"$tmp/npm.err"; then
		echo "webhook-examples: npm pack $PKG@$VERSION failed:" >&2
		cat "$tmp/npm.err" >&2
		exit 1
	fi
	tgz=$tmp/octokit-webhooks-examples-$VERSION.tgz
fi
[ -f "$tgz" ] || { echo "webhook-examples: no tarball at $tgz" >&2; exit 1; }

got=$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tgz")
if [ "$got" != "$INTEGRITY" ]; then
	echo "webhook-examples: integrity mismatch for $tgz" >&2
	echo "  expected $INTEGRITY" >&2
	echo "  got      $got" >&2
	exit 1
fi

tar -xzf "$tgz" -C "$tmp" package/api.github.com/index.json

# Replace what an earlier run wrote (only the files it listed).
rm -f "$STAMP"
if [ -f "$MANIFEST" ]; then
	while IFS= read -r f; do
		case $f in
		*/* | '' | .*) ;;
		*) rm -f "$OUT/$f" ;;
		esac
	done <"$MANIFEST"
	rm -f "$MANIFEST"
fi

python3 - "$tmp/package/api.github.com/index.json" "$OUT" <<'EOF'
import json, os, re, sys

src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as fh:
    index = json.load(fh)
files, rows = [], []
for entry in index:
    event = entry["name"]
    if not re.fullmatch(r"[a-z0-9_]+", event):
        sys.exit("webhook-examples: unexpected event name %r" % event)
    for n, example in enumerate(entry.get("examples") or []):
        name = "%s.%d.json" % (event, n)
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            json.dump(example, fh, ensure_ascii=False, separators=(",", ":"))
        inst = (example.get("installation") or {}).get("id") if isinstance(example, dict) else None
        action = example.get("action") if isinstance(example, dict) else None
        files.append(name)
        rows.append("%s\t%s\t%s\t%s" % (name, event, action or "-",
                                        "-" if inst is None else inst))
with open(os.path.join(out, "index.tsv"), "w") as fh:
    fh.write("".join(r + "\n" for r in rows))
with open(os.path.join(out, ".webhook-examples.files"), "w") as fh:
    fh.write("".join(f + "\n" for f in files))
EOF

printf '%s\n' "$WANT" >"$STAMP"
n=$(wc -l <"$MANIFEST")
events=$(cut -f2 "$OUT/index.tsv" | sort -u | wc -l)
echo "webhook-examples: wrote $n files ($events event types) from $PKG@$VERSION to $OUT"
