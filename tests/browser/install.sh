#!/bin/sh
# install.sh DIR: the npm package tests/browser/api-access.mjs needs
# (playwright-core), as pinned with its integrity hash by
# tests/browser/package-lock.json, into DIR/node_modules. The browser is
# Debian's /usr/bin/chromium: playwright-core never downloads one.
# Idempotent: when DIR already holds this lock's packages nothing is
# fetched. Needs Node.js 18 or later and npm.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: install.sh DIR}
mkdir -p "$dir"
if [ -d "$dir/node_modules" ] &&
    cmp -s "$here/package-lock.json" "$dir/.installed-lock"; then
	exit 0
fi
for tool in node npm; do
	command -v $tool >/dev/null 2>&1 || {
		echo "install.sh: $tool not found (Node.js 18 or later and npm are needed)" >&2
		exit 1
	}
done
cp "$here/package.json" "$here/package-lock.json" "$dir/"
rm -f "$dir/.installed-lock"
(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
cp "$here/package-lock.json" "$dir/.installed-lock"
