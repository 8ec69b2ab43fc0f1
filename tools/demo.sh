#!/bin/sh
# demo.sh: called by `make run`: a demo user, installation 12345 with that
# user as a member, and an API key with every capability, printed once
# with a curl line that works against the local server.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
port=${1:-8080}
ttctl=$top/bin/ttctl

user=$("$ttctl" user create --github-login demo)
"$ttctl" installation create --id 12345 --login demo-org >/dev/null
"$ttctl" installation add-member --id 12345 --user "$user" >/dev/null
"$ttctl" manifests seed --installation 12345 --count 36 >/dev/null
key=$("$ttctl" key create --user "$user" --name "make run demo" \
    --cap installation:12345 --cap kv_store_read --cap kv_store_write \
    --cap kv_store_system_read --cap kv_store_system_write \
    --cap access_token_create 2>/dev/null)

cat <<MSG

Demo user $user, member of installation 12345.
API key (shown once; every capability):

  export TERRATEAM_API_KEY=$key

Exchange it for a 60-second access token and call the API:

  TOKEN=\$(curl -s -X POST \\
    http://127.0.0.1:$port/api/v1/access-token/refresh \\
    -H "Authorization: Bearer \$TERRATEAM_API_KEY" | jq -r .access_token)
  curl -s http://127.0.0.1:$port/api/v1/whoami -H "Authorization: Bearer \$TOKEN"
MSG
