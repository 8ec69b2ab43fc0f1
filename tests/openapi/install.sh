#!/bin/sh
# install.sh DIR: the npm packages tests/openapi/check.mjs needs, as pinned
# (with their integrity hashes) by tests/openapi/package-lock.json, into
# DIR/node_modules (tests/harness/npm-install.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../harness/npm-install.sh" "$here" "${1:?usage: install.sh DIR}"
