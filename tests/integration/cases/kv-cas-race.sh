#!/bin/bash
# kv-cas-race.sh: 16 writers race compare-and-set on one key, round after
# round; in every round exactly one wins, and no acknowledged update is
# lost (the final value is the sum of all winning increments). 200 rounds
# through lighttpd FastCGI, 20 through the other servers.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

case $SERVER in
lighttpd) rounds=200 ;;
*) rounds=20 ;;
esac
tt=$TOP/bin/ttctl
inst=$(( (RANDOM << 15 | RANDOM) + 200000 ))
user=$($tt user create --github-login "race-$$-$RANDOM")
$tt installation create --id "$inst" --login "race-$inst" >/dev/null
$tt installation add-member --id "$inst" --user "$user" >/dev/null
key=$($tt key create --user "$user" --name race --cap kv_store_read --cap kv_store_write 2>/dev/null)
[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$key" >>"$TT_ISSUED_SECRETS"

out=$(BASE=$BASE KEY=$key INST=$inst ROUNDS=$rounds python3 - <<'PY' 2>&1
import http.client, json, os, sys, threading, urllib.parse

base = urllib.parse.urlparse(os.environ["BASE"])
inst, rounds = os.environ["INST"], int(os.environ["ROUNDS"])
WRITERS = 16

def conn():
    return http.client.HTTPConnection(base.hostname, base.port, timeout=30)

c = conn()
c.request("POST", "/api/v1/access-token/refresh", body=b"",
          headers={"Authorization": "Bearer " + os.environ["KEY"]})
token = json.loads(c.getresponse().read())["access_token"]
print("TOKEN", token)
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
path = f"/api/v1/github/kv/{inst}/cas/key/race/counter"

# A new connection per request: a keep-alive connection the server has
# timed out would fail the round for the wrong reason.
def cas(body, results, i, conns):
    k = conn()
    try:
        k.request("PUT", path, body=json.dumps(body), headers=H)
        r = k.getresponse()
        raw = r.read()
        try:
            results[i] = (r.status, json.loads(raw))
        except ValueError:  # not JSON: keep the status and the text
            results[i] = (r.status, {"text": raw[:200].decode("latin-1")})
    except Exception as e:  # a broken connection is a failure, not a pass
        results[i] = (0, str(e))
    finally:
        k.close()

c.request("PUT", path, body=json.dumps({"data": 0}), headers=H)
r = c.getresponse(); first = json.loads(r.read())
assert r.status == 200, (r.status, first)
version, total, bad = 0, 0, []
conns = None
for rnd in range(rounds):
    results = [None] * WRITERS
    ts = [threading.Thread(target=cas, args=({"data": total + i + 1,
          "version": version}, results, i, conns)) for i in range(WRITERS)]
    for t in ts: t.start()
    for t in ts: t.join()
    wins = [i for i, r in enumerate(results) if r[0] == 200]
    lost = [r for r in results if r[0] == 409 and r[1].get("id") == "VERSION_MISMATCH"]
    if len(wins) != 1 or len(lost) != WRITERS - 1:
        odd = [r for r in results if r[0] != 200 and not (r[0] == 409 and
               r[1].get("id") == "VERSION_MISMATCH")] or [results[i] for i in wins]
        bad.append((rnd, [r[0] for r in results], str(odd)[:600]))
        break
    w = results[wins[0]][1]
    if w["version"] != version + 1 or w["data"] != total + wins[0] + 1:
        bad.append((rnd, w)); break
    total += wins[0] + 1
    version += 1
c.close()
c = conn()
c.request("GET", f"/api/v1/github/kv/{inst}/key/race/counter", headers=H)
final = json.loads(c.getresponse().read())
print("ROUNDS", rounds, "BAD", bad[:3])
print("FINAL", final.get("version"), final.get("data"), version, total)
PY
)
tok=$(printf '%s\n' "$out" | sed -n 's/^TOKEN //p')
[ -n "${TT_ISSUED_SECRETS:-}" ] && [ -n "$tok" ] && echo "$tok" >>"$TT_ISSUED_SECRETS"
printf '%s\n' "$out" | grep -v '^TOKEN' | sed 's/^/# /'
check "every one of $rounds rounds had exactly one winner and 15 VERSION_MISMATCH" \
    sh -c 'printf "%s\n" "$1" | grep -qx "ROUNDS [0-9]* BAD \[\]"' - "$out"
check "no acknowledged update was lost (final version and sum match)" \
    sh -c 'printf "%s\n" "$1" | awk "/^FINAL/ { exit !(\$2 == \$4 && \$3 == \$5 && \$4 == $2) }"' - "$out" "$rounds"
