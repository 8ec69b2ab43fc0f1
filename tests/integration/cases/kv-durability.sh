#!/bin/bash
# kv-durability.sh: an acknowledged KV write survives PostgreSQL crashing
# right after the answer. `pg_ctl stop -m immediate` throws away WAL that
# was only in PostgreSQL's buffers: a write whose commit did not wait for
# its WAL flush (synchronous_commit off, as refresh's audit rows do) can
# be answered and then lost. Tried: KV writes with synchronous_commit off
# lost the last ten or so acknowledged keys here. KV writes now commit
# without waiting and then wait for a second transaction's flush in the
# same round trip (lib/db.c, tt_db_run_apart); this case fails when that
# second transaction does not flush (one that writes no WAL, such as
# SELECT txid_current(), commits without a flush: tried, lost writes).
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_installation; A=$INST
add_member "$A" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

# Twenty keys written once and one key overwritten twenty times, as fast
# as the answers come (one curl, one connection), then the crash with no
# pause.
block() {
	printf 'url = "%s/api/v1/github/kv/%s/key/%s"\noutput = "/dev/null"\n' \
	    "$BASE" "$A" "$1"
	printf 'request = "PUT"\nheader = "Authorization: Bearer %s"\n' "$tok"
	printf 'header = "Content-Type: application/json"\n'
	printf 'data = "{\\"value\\": %s}"\nwrite-out = "%%{http_code}\\n"\nnext\n' "$2"
}
: >"$T/dur.cfg"
for i in $(seq 1 20); do
	block "dur.$i" "$i" >>"$T/dur.cfg"
	block dur.last "$i" >>"$T/dur.cfg"
done
codes=$(curl -s -K "$T/dur.cfg")
PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$PGDIR" "$PGPORT"
check "all 40 writes were acknowledged before the crash" \
    test "$(printf '%s\n' "$codes" | grep -c '^20[01]$')" = 40

"$TOP/tests/harness/pg.sh" start "$PGDIR" "$PGPORT" >/dev/null
check "PostgreSQL is back within 5 s" healthy_within 50

lost=
for i in $(seq 1 20); do
	kv GET "$tok" "$A/key/dur.$i"
	[ "$STATUS" = 200 ] && jq -e --argjson v "$i" '.data == $v' "$T/body" >/dev/null ||
	    lost="$lost dur.$i($STATUS)"
done
check "every acknowledged key is there after the crash${lost:+: lost$lost}" \
    test -z "$lost"
kv GET "$tok" "$A/key/dur.last"
check "the key overwritten twenty times holds the last acknowledged value (version 19)" \
    jq -e '.data == 20 and .version == 19' "$T/body"
