#!/bin/bash
# kv-terraform-wrapper.sh: scenario 2 of the architecture document: a
# Terraform wrapper stores deployment metadata in the KV store around a
# run. TERRAFORM (default "terraform") is the command run in between.
#   TERRATEAM_API_KEY, TERRATEAM_URL (default http://127.0.0.1:8080),
#   INSTALLATION_ID (default 12345)
set -eu
: "${TERRATEAM_API_KEY:?set TERRATEAM_API_KEY}"
URL=${TERRATEAM_URL:-http://127.0.0.1:8080}
INSTALLATION_ID=${INSTALLATION_ID:-12345}
TERRAFORM=${TERRAFORM:-terraform}

# Get short-lived token
ACCESS_TOKEN=$(curl -s -X POST \
  "$URL/api/v1/access-token/refresh" \
  -H "Authorization: Bearer $TERRATEAM_API_KEY" \
  | jq -r '.access_token')

# Store deployment metadata
curl -X PUT \
  "$URL/api/v1/github/kv/$INSTALLATION_ID/key/deploy.timestamp" \
  -H "Authorization: Bearer $ACCESS_TOKEN" \
  -H "Content-Type: application/json" \
  -d "{\"value\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"

# Run terraform
$TERRAFORM apply -auto-approve

# Store results
curl -X PUT \
  "$URL/api/v1/github/kv/$INSTALLATION_ID/key/deploy.status" \
  -H "Authorization: Bearer $ACCESS_TOKEN" \
  -H "Content-Type: application/json" \
  -d '{"value": "success"}'
