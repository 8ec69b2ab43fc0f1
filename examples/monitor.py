#!/usr/bin/env python3
"""monitor.py: scenario 3 of the architecture document, with the standard
library only: a long-running client that refreshes its 60-second access
token shortly before it expires and lists work manifests periodically.

  TERRATEAM_API_KEY   the key (tt_live_...)
  TERRATEAM_URL       the server (default http://127.0.0.1:8080)
  INSTALLATION_ID     default 12345
  MONITOR_INTERVAL    seconds between calls (default 300)
  MONITOR_ROUNDS      stop after this many calls (default: run forever)
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request


class TerrateamClient:
    def __init__(self, api_key, base_url):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.access_token = None
        self.token_expires_at = 0.0

    def _call(self, method, path, token, body=None):
        req = urllib.request.Request(
            self.base_url + path, method=method, data=body,
            headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def get_access_token(self):
        # Refresh 10 seconds before expiration.
        if not self.access_token or time.monotonic() >= self.token_expires_at:
            data = self._call("POST", "/api/v1/access-token/refresh",
                              self.api_key, body=b"")
            self.access_token = data["access_token"]
            self.token_expires_at = (time.monotonic()
                                     + data.get("expires_in", 60) - 10)
        return self.access_token

    def list_work_manifests(self, installation_id):
        token = self.get_access_token()  # auto-refreshes if needed
        return self._call(
            "GET", f"/api/v1/github/installations/{installation_id}"
                   "/work-manifests", token)


def main():
    client = TerrateamClient(os.environ["TERRATEAM_API_KEY"],
                             os.environ.get("TERRATEAM_URL",
                                            "http://127.0.0.1:8080"))
    installation = os.environ.get("INSTALLATION_ID", "12345")
    interval = float(os.environ.get("MONITOR_INTERVAL", "300"))
    rounds = int(os.environ.get("MONITOR_ROUNDS", "0"))
    n = 0
    while True:
        try:
            manifests = client.list_work_manifests(installation)
            print(f"Found {len(manifests['work_manifests'])} manifests",
                  flush=True)
        except urllib.error.HTTPError as e:
            print(f"error: HTTP {e.code}: {e.read().decode(errors='replace')}",
                  file=sys.stderr, flush=True)
            return 1
        n += 1
        if rounds and n >= rounds:
            return 0
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main())
