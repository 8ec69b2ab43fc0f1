#!/bin/bash
# pair-kv-cas-race.sh: 16 writers race compare-and-set on one key, 8 through
# each of two web servers over one database, round after round; in every
# round exactly one wins, and no acknowledged update is lost (as
# cases/kv-cas-race.sh checks for one server).
# passes: pair
# needs: -
. "$TOP/tests/harness/lib.sh"

rounds=40
user=$(new_user)
new_installation
add_member "$INST" "$user"
new_key "$user" kv_store_read kv_store_write

out=$(BASE=$BASE BASE2=$BASE2 KEY=$KEY INST=$INST ROUNDS=$rounds python3 - <<'PY' 2>&1
import http.client, json, os, threading, urllib.parse

bases = [urllib.parse.urlparse(os.environ[v]) for v in ("BASE", "BASE2")]
inst, rounds = os.environ["INST"], int(os.environ["ROUNDS"])
WRITERS = 16

def conn(i):
    b = bases[i % 2]
    return http.client.HTTPConnection(b.hostname, b.port, timeout=30)

c = conn(0)
c.request("POST", "/api/v1/access-token/refresh", body=b"",
          headers={"Authorization": "Bearer " + os.environ["KEY"]})
token = json.loads(c.getresponse().read())["access_token"]
print("TOKEN", token)
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
path = f"/api/v1/github/kv/{inst}/cas/key/race/counter"

# Writer i goes to server i % 2, on a new connection per request.
def cas(body, results, i):
    k = conn(i)
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
version, total, bad, wins_by = 0, 0, [], [0, 0]
for rnd in range(rounds):
    results = [None] * WRITERS
    ts = [threading.Thread(target=cas, args=({"data": total + i + 1,
          "version": version}, results, i)) for i in range(WRITERS)]
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
    wins_by[wins[0] % 2] += 1
    total += wins[0] + 1
    version += 1
c.close()
finals = []
for i in (0, 1):
    c = conn(i)
    c.request("GET", f"/api/v1/github/kv/{inst}/key/race/counter", headers=H)
    f = json.loads(c.getresponse().read())
    finals.append((f.get("version"), f.get("data")))
    c.close()
print("ROUNDS", rounds, "BAD", bad[:3])
print("WINS first", wins_by[0], "second", wins_by[1])
print("FINAL", finals[0][0], finals[0][1], finals[1][0], finals[1][1], version, total)
PY
)
tok=$(printf '%s\n' "$out" | sed -n 's/^TOKEN //p')
remember "$tok"
printf '%s\n' "$out" | grep -v '^TOKEN' | sed 's/^/# /'
check "every one of $rounds rounds across two servers had exactly one winner and 15 VERSION_MISMATCH" \
    sh -c 'printf "%s\n" "$1" | grep -qx "ROUNDS [0-9]* BAD \[\]"' - "$out"
check "no acknowledged update was lost (both servers read the final version and sum)" \
    sh -c 'printf "%s\n" "$1" | awk "/^FINAL/ { exit !(\$2 == \$6 && \$4 == \$6 && \$3 == \$7 && \$5 == \$7 && \$6 == $2) }"' - "$out" "$rounds"
