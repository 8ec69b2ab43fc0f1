#!/bin/sh
# npm-install.sh SRC DIR: the npm packages of SRC/package.json, as pinned
# (with their integrity hashes) by SRC/package-lock.json, into
# DIR/node_modules, install scripts never run. Idempotent: when DIR
# already holds this lock's packages nothing is fetched. Needs Node.js 18
# or later and npm. Used by tests/openapi/install.sh and
# tests/browser/install.sh.
set -eu

src=${1:?usage: npm-install.sh SRC DIR}
dir=${2:?usage: npm-install.sh SRC DIR}
mkdir -p "$dir"
if [ -d "$dir/node_modules" ] &&
    cmp -s "$src/package-lock.json" "$dir/.installed-lock"; then
	exit 0
fi
for tool in node npm; do
	command -v $tool >/dev/null 2>&1 || {
		echo "npm-install.sh: $tool not found (Node.js 18 or later and npm are needed)" >&2
		exit 1
	}
done
cp "$src/package.json" "$src/package-lock.json" "$dir/"
rm -f "$dir/.installed-lock"
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
cp "$src/package-lock.json" "$dir/.installed-lock"
