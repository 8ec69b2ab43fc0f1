#!/bin/bash
# examples-scenarios.sh: the architecture document's three scenarios, as
# written there (only the host changed), and the scripts in examples/,
# against this server.
# passes: lighttpd apache asan proxy cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$("$TOP/bin/ttctl" user create --github-login "ex-$$-$RANDOM")
"$TOP/bin/ttctl" installation create --id 12345 --login demo-org >/dev/null
"$TOP/bin/ttctl" installation add-member --id 12345 --user "$user" >/dev/null
"$TOP/bin/ttctl" manifests seed --installation 12345 --count 25 >/dev/null
TERRATEAM_API_KEY=$("$TOP/bin/ttctl" key create --user "$user" --name examples \
    --cap installation:12345 --cap kv_store_read --cap kv_store_write 2>/dev/null)
[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$TERRATEAM_API_KEY" >>"$TT_ISSUED_SECRETS"
export TERRATEAM_API_KEY

# Scenario 1, step 1, verbatim but for the host.
TOKEN=$(curl -X POST \
  "$BASE/api/v1/access-token/refresh" \
  -H "Authorization: Bearer ${TERRATEAM_API_KEY}" 2>/dev/null \
  | jq -r '.access_token' 2>/dev/null)
case $SERVER in
lighttpd*)
	# lighttpd 1.4.69 answers 411 to a POST without Content-Length
	# before any module runs (README, "Web servers").
	http POST /api/v1/access-token/refresh -H "Authorization: Bearer $TERRATEAM_API_KEY"
	check "lighttpd refuses a body-less POST without Content-Length (documented)" status_is 411
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' -H "Authorization: Bearer $TERRATEAM_API_KEY"
	check "with Content-Length: 0 the refresh succeeds on lighttpd" status_is 200
	;;
*)
	check "scenario 1: curl -X POST | jq -r .access_token yields a JWT" \
	    sh -c 'printf %s "$1" | grep -Eq "^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"' - "$TOKEN"
	[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$TOKEN" >>"$TT_ISSUED_SECRETS"
	http GET /api/v1/whoami -H "Authorization: Bearer $TOKEN"
	check "scenario 1: the token it yields is accepted" json_is .id "$user"
	# Step 2, verbatim but for the host.
	curl -s "$BASE/api/v1/github/installations/12345/work-manifests" \
	  -H "Authorization: Bearer $TOKEN" >"$T/body"
	check "scenario 1: step 2 lists work manifests" json_is '.work_manifests | length' 20
	TERRATEAM_URL=$BASE sh "$TOP/examples/list-work-manifests.sh" >"$T/body" 2>/dev/null
	check "examples/list-work-manifests.sh lists work manifests" json_is '.work_manifests | length' 20
	# Scenario 2: the wrapper, with a stand-in for terraform.
	TERRATEAM_URL=$BASE TERRAFORM=true bash "$TOP/examples/kv-terraform-wrapper.sh" >/dev/null 2>&1
	check "scenario 2: the wrapper script exits 0" [ $? = 0 ]
	ACCESS_TOKEN=$(curl -s -X POST -H 'Content-Length: 0' "$BASE/api/v1/access-token/refresh" \
	    -H "Authorization: Bearer $TERRATEAM_API_KEY" | jq -r .access_token)
	[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$ACCESS_TOKEN" >>"$TT_ISSUED_SECRETS"
	http GET /api/v1/github/kv/12345/key/deploy.status -H "Authorization: Bearer $ACCESS_TOKEN"
	check "scenario 2: deploy.status was stored as \"success\"" json_is .data success
	http GET /api/v1/github/kv/12345/key/deploy.timestamp -H "Authorization: Bearer $ACCESS_TOKEN"
	check "scenario 2: deploy.timestamp was stored" sh -c 'jq -e ".data | test(\"^[0-9]{4}-\")" "$1" >/dev/null' - "$T/body"
	;;
esac

# Scenario 3, the document's Python class (requests), URL changed only.
out=$(BASE=$BASE python3 - <<'PY' 2>&1
import os
import time
import requests
from datetime import datetime, timedelta

BASE = os.environ['BASE']

class TerrateamClient:
    def __init__(self, api_key):
        self.api_key = api_key
        self.access_token = None
        self.token_expires_at = None

    def get_access_token(self):
        # Refresh if expired or about to expire
        if not self.access_token or datetime.now() >= self.token_expires_at:
            response = requests.post(
                f'{BASE}/api/v1/access-token/refresh',
                headers={'Authorization': f'Bearer {self.api_key}'}
            )
            data = response.json()
            self.access_token = data['access_token']
            # Refresh 10 seconds before expiration
            self.token_expires_at = datetime.now() + timedelta(seconds=50)

        return self.access_token

    def list_work_manifests(self, installation_id):
        token = self.get_access_token()  # Auto-refreshes if needed
        response = requests.get(
            f'{BASE}/api/v1/github/installations/{installation_id}/work-manifests',
            headers={'Authorization': f'Bearer {token}'}
        )
        return response.json()

# Usage
client = TerrateamClient(api_key=os.environ['TERRATEAM_API_KEY'])

manifests = client.list_work_manifests(12345)
print(f"Found {len(manifests['work_manifests'])} manifests")
t1 = client.get_access_token()
t2 = client.get_access_token()
assert t1 == t2, "cached token not reused"
print(t1)
PY
)
check "scenario 3 (requests): the document's client finds the manifests" \
    sh -c '[ "$(printf "%s\n" "$1" | head -1)" = "Found 20 manifests" ]' - "$out"
[ -n "${TT_ISSUED_SECRETS:-}" ] && printf '%s\n' "$out" | tail -1 >>"$TT_ISSUED_SECRETS"

# Scenario 3, the standard-library client shipped in examples/.
tok=$(TERRATEAM_URL=$BASE python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import monitor
c = monitor.TerrateamClient(__import__("os").environ["TERRATEAM_API_KEY"], __import__("os").environ["TERRATEAM_URL"])
a = c.get_access_token(); b = c.get_access_token()
print(a if a == b else "")' "$TOP/examples" 2>/dev/null)
[ -n "${TT_ISSUED_SECRETS:-}" ] && [ -n "$tok" ] && echo "$tok" >>"$TT_ISSUED_SECRETS"
http GET /api/v1/whoami -H "Authorization: Bearer $tok"
check "examples/monitor.py: its auto-refreshing client gets a working token" json_is .id "$user"
out=$(TERRATEAM_URL=$BASE MONITOR_ROUNDS=2 MONITOR_INTERVAL=0 python3 "$TOP/examples/monitor.py" 2>&1)
check "examples/monitor.py lists work manifests in a loop" \
    sh -c '[ "$(printf "%s\n" "$1" | grep -c "^Found 20 manifests$")" = 2 ]' - "$out"
