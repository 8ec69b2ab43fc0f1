#!/bin/sh
# list-work-manifests.sh: scenario 1 of the architecture document: a CI job
# exchanges its API key for an access token and lists work manifests.
#   TERRATEAM_API_KEY   the key (tt_live_...)
#   TERRATEAM_URL       the server (default http://127.0.0.1:8080)
#   INSTALLATION_ID     default 12345
set -eu
: "${TERRATEAM_API_KEY:?set TERRATEAM_API_KEY}"
URL=${TERRATEAM_URL:-http://127.0.0.1:8080}
INSTALLATION_ID=${INSTALLATION_ID:-12345}

# Step 1: Get access token
TOKEN=$(curl -X POST \
  "$URL/api/v1/access-token/refresh" \
  -H "Authorization: Bearer ${TERRATEAM_API_KEY}" \
  | jq -r '.access_token')

# Step 2: Use token to call API
curl "$URL/api/v1/github/installations/$INSTALLATION_ID/work-manifests" \
  -H "Authorization: Bearer $TOKEN"
