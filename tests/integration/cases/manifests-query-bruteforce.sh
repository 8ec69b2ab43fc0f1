#!/bin/bash
# manifests-query-bruteforce.sh: random tag queries combining every key
# with and/or/not and parentheses return exactly the work manifests a
# brute-force filter over the same generated rows returns.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

inst=$(( (RANDOM << 15 | RANDOM) + 400000 ))
tt=$TOP/bin/ttctl
user=$($tt user create --github-login "bf-$$-$RANDOM")
$tt installation create --id "$inst" --login "bf-$inst" >/dev/null
$tt installation add-member --id "$inst" --user "$user" >/dev/null
$tt manifests seed --installation "$inst" --count 120 >/dev/null
key=$($tt key create --user "$user" --name bf --cap "installation:$inst" 2>/dev/null)
[ -n "${TT_ISSUED_SECRETS:-}" ] && echo "$key" >>"$TT_ISSUED_SECRETS"

psql "$TT_DATABASE_URL" -qAt -F $'\t' -c "SELECT wm.id, wm.branch, coalesce(wm.environment, ''), wm.kind, coalesce(wm.pull_number::text, ''), r.name, wm.state, wm.run_type, coalesce(wm.username, ''), to_char(wm.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), coalesce((SELECT string_agg(d.dir || '|' || d.workspace, ',') FROM work_manifest_dirspaces d WHERE d.installation_id = wm.installation_id AND d.work_manifest_id = wm.id), '') FROM work_manifests wm JOIN repositories r ON r.installation_id = wm.installation_id AND r.id = wm.repo_id WHERE wm.installation_id = $inst" >"$T/rows"

out=$(BASE=$BASE KEY=$key INST=$inst ROWS=$T/rows python3 - <<'PY' 2>&1
import http.client, json, os, random, urllib.parse

base = urllib.parse.urlparse(os.environ["BASE"])
inst = os.environ["INST"]
rows = []
for line in open(os.environ["ROWS"]):
    f = line.rstrip("\n").split("\t")
    ds = [tuple(x.split("|")) for x in f[10].split(",") if x]
    rows.append(dict(id=f[0], branch=f[1], environment=f[2], kind=f[3], pr=f[4],
                     repo=f[5], state=f[6], type=f[7], user=f[8], created=f[9],
                     dirs={d for d, _ in ds}, workspaces={w for _, w in ds}))

def conn():
    return http.client.HTTPConnection(base.hostname, base.port, timeout=30)

c = conn()
c.request("POST", "/api/v1/access-token/refresh", body=b"",
          headers={"Authorization": "Bearer " + os.environ["KEY"]})
token = json.loads(c.getresponse().read())["access_token"]
print("TOKEN", token)

rnd = random.Random(int(inst))
values = {k: sorted({r[k] for r in rows if r[k]}) for k in
          ("branch", "environment", "kind", "pr", "repo", "state", "type", "user")}
values["dir"] = sorted(set().union(*(r["dirs"] for r in rows)))
values["workspace"] = sorted(set().union(*(r["workspaces"] for r in rows)))
values["id"] = [r["id"] for r in rows[:5]]
days = sorted({r["created"][:10] for r in rows})

def term():
    k = rnd.choice(list(values) + ["created_at"])
    if k == "created_at":
        a, b = sorted(rnd.sample(days, 2))
        form = rnd.choice(["day", "range", "from", "to"])
        q = {"day": a, "range": f"{a}..{b}", "from": f"{a}..", "to": f"..{b}"}[form]
        def pred(r, a=a, b=b, form=form):
            d = r["created"][:10]
            return {"day": d == a, "range": a <= d <= b, "from": d >= a, "to": d <= b}[form]
        return f"created_at:{q}", pred
    # A value no row has, but of the key's type (bad values are a 400).
    nomatch = {"id": "00000000-0000-4000-8000-000000000000", "pr": "99999",
               "kind": "index" if "index" not in values["kind"] else "drift"}.get(k, "nomatch")
    v = rnd.choice(values[k] + [nomatch])
    quoted = f"'{v}'" if rnd.random() < 0.3 else (f'"{v}"' if rnd.random() < 0.3 else v)
    if k == "dir":
        return f"dir:{quoted}", lambda r, v=v: v in r["dirs"]
    if k == "workspace":
        return f"workspace:{quoted}", lambda r, v=v: v in r["workspaces"]
    return f"{k}:{quoted}", lambda r, k=k, v=v: r[k] == v

def expr(depth=0):
    if depth > 2 or rnd.random() < 0.35:
        t = term()
        if rnd.random() < 0.25:
            return f"not {t[0]}", lambda r, p=t[1]: not p(r)
        return t
    a, b = expr(depth + 1), expr(depth + 1)
    op = rnd.choice(["and", "or", ""])
    if op == "or":
        return f"({a[0]} or {b[0]})", lambda r, x=a[1], y=b[1]: x(r) or y(r)
    return f"({a[0]} {op} {b[0]})".replace("  ", " "), lambda r, x=a[1], y=b[1]: x(r) and y(r)

def api(q):
    ids, url = [], (f"/api/v1/github/installations/{inst}/work-manifests?limit=100&q="
                    + urllib.parse.quote(q))
    for _ in range(10):
        k = conn()
        k.request("GET", url, headers={"Authorization": "Bearer " + token})
        r = k.getresponse()
        body = json.loads(r.read())
        if r.status != 200:
            return None, body
        ids += [w["id"] for w in body["work_manifests"]]
        link = r.getheader("Link") or ""
        nxt = [p.split(">")[0].lstrip(" <") for p in link.split(",") if 'rel="next"' in p]
        if not nxt:
            break
        url = nxt[0]
    return ids, None

bad = 0
for n in range(60):
    q, pred = expr()
    want = sorted(r["id"] for r in rows if pred(r))
    got, err = api(q)
    if got is None or sorted(got) != want or len(got) != len(set(got)):
        bad += 1
        print("MISMATCH", q, "want", len(want), "got", err if got is None else len(got))
print("QUERIES 60 BAD", bad)
PY
)
tok=$(printf '%s\n' "$out" | sed -n 's/^TOKEN //p')
[ -n "${TT_ISSUED_SECRETS:-}" ] && [ -n "$tok" ] && echo "$tok" >>"$TT_ISSUED_SECRETS"
printf '%s\n' "$out" | grep -v '^TOKEN' | head -20 | sed 's/^/# /'
check "60 random queries over every key return exactly the brute-force rows" \
    sh -c 'printf "%s\n" "$1" | grep -qx "QUERIES 60 BAD 0"' - "$out"
