#!/bin/sh
# install.sh DIR: the npm package tests/browser/api-access.mjs needs
# (playwright-core), as pinned with its integrity hash by
# tests/browser/package-lock.json, into DIR/node_modules
# (tests/harness/npm-install.sh). The browser is Debian's
# /usr/bin/chromium: playwright-core never downloads one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD
exec "$here/../harness/npm-install.sh" "$here" "${1:?usage: install.sh DIR}"
