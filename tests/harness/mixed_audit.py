#!/usr/bin/env python3
"""mixed_audit.py DIR: what tests/harness/mixed.lua recorded in DIR,
against the database: TAP lines, "not ok" when an answer that should not
be there came back or an acknowledged write is missing.
Environment: TT_DATABASE_URL, INST (the KV installation), KILLS (program
processes killed during the run), THREADS (wrk's connections), LABEL,
MIXED_RUN (as given to the
load, 0 by default)."""
import glob, os, subprocess, sys

d = sys.argv[1]
inst, label = os.environ["INST"], os.environ["LABEL"]
run = os.environ.get("MIXED_RUN", "0")
kills, threads = int(os.environ.get("KILLS", "0")), int(os.environ["THREADS"])


def tap(ok, what):
    print(("ok" if ok else "not ok") + f" - [{label}] {what}", flush=True)


def q(sql):
    r = subprocess.run(["psql", os.environ["TT_DATABASE_URL"], "-Atc", sql],
                       capture_output=True, text=True)
    return r.stdout.split("\n")[:-1]


counts, puts, hooks, cas = {}, [], [], {}
for f in glob.glob(d + "/thread.*"):
    for line in open(f):
        w = line.split()
        if w[0] == "count":
            k = (w[1], int(w[2]))
            counts[k] = counts.get(k, 0) + int(w[3])
        elif w[0] == "put":
            puts.append(w[1])
        elif w[0] == "hook":
            hooks.append(w[1])
        elif w[0] == "cas":
            cas[w[1]] = max(cas.get(w[1], 0), int(w[2]))
summary = {k: int(v) for k, v in (l.split() for l in open(d + "/summary"))}
by_op = {}
for (op, st), n in sorted(counts.items()):
    by_op.setdefault(op, []).append(f"{n}x{st}")
for op, v in by_op.items():
    print(f"# {op}: " + ", ".join(v))
print("# socket errors: " + ", ".join(
    f"{k} {v}" for k, v in summary.items() if k != "requests"))

# A CAS answered 409 after a write whose answer was lost is the API
# working (the client reads the record and goes on); anything else that
# is not 2xx is a failure, and there may be no more of them than requests
# in flight at the kills.
bad = sum(n for (op, st), n in counts.items()
          if not 200 <= st < 300 and not (op == "cas" and st == 409))
errs = sum(summary[k] for k in ("connect", "read", "write", "timeout"))
budget = kills * threads
# Plain CGI starts a process per request: a few hundred answers in 8 s
# on a busy 2-core machine. The per-route checks below show every route
# was reached.
tap(sum(counts.values()) >= 50, f"{sum(counts.values())} answers in the run (at least 50)")
tap(bad + errs <= budget,
    f"{bad} non-2xx answers and {errs} socket errors, at most {budget} "
    f"(the requests in flight at {kills} kills)")
cas409 = sum(n for (op, st), n in counts.items() if op == "cas" and st == 409)
tap(cas409 <= bad + errs + kills,
    f"{cas409} CAS conflicts, no more than the CAS answers lost")
for op in ("refresh", "whoami", "kvget", "kvput", "cas", "wmlist", "hook"):
    tap(counts.get((op, 200), 0) + counts.get((op, 202), 0) > 0,
        f"{op} was answered 2xx during the run")

# Every KV write answered 200 is stored, with its value.
rows = dict(r.split("|", 1) for r in q(
    f"SELECT key, data::text FROM kv_store WHERE installation_id = {inst} "
    f"AND committed AND key LIKE 'mixed.put/{run}/%'"))
missing = [k for k in puts if rows.get(k) != k.rsplit("/", 1)[1]]
tap(puts and not missing,
    f"all {len(puts)} KV puts answered 200 are stored with their data")
for k in missing[:5]:
    print(f"# missing or wrong: {k} -> {rows.get(k)}")

# Every CAS answered 200 is stored, or a later one is.
got = dict(r.split("|", 1) for r in q(
    f"SELECT key, data::text FROM kv_store WHERE installation_id = {inst} "
    f"AND committed AND key LIKE 'mixed.cas/{run}/%'"))
behind = [k for k, v in cas.items() if int(got.get(k, "-1")) < v]
tap(cas and not behind,
    f"the {len(cas)} CAS keys hold their last acknowledged value or later")

# Every delivery answered 2xx is in the ledger.
stored = set(q("SELECT delivery_id FROM webhook_deliveries WHERE event = 'ping'"))
lost = [g for g in hooks if g not in stored]
tap(hooks and not lost,
    f"all {len(hooks)} deliveries answered 2xx are in the ledger")
