#!/bin/bash
# read-own-writes.sh: a client that reads its own write at once through
# TT_DATABASE_READ_URL. The standby is synchronous and applies WAL
# 300 ms late (recovery_min_apply_delay: a slow standby on purpose).
# Checks:
#   - by default a KV PUT answered 200 and a GET right after it read
#     through the standby do not agree: the GET finds the older value.
#     This is the documented lag (docs/OPERATIONS.md, "Reads from a
#     standby"), and it shows the case can see the difference;
#   - with options='-c synchronous_commit=remote_apply' in
#     TT_DATABASE_URL (a site's own options, kept beside the programs'
#     settings: lib/db.c, url_options) every PUT is answered only once
#     the standby has applied it, so each GET right after it finds the
#     new value; each such PUT takes at least the apply delay. (That
#     the programs' own settings hold beside the URL's options is
#     test_dbconn's test_url_options.)
. "$TOP/tests/harness/dbcase.sh"

dbcase_cluster p --primary || { echo "not ok - [$SERVER] primary started"; exit 1; }
dbcase_standby s p --sync || { echo "not ok - [$SERVER] standby started"; exit 1; }
dbcase_psql "$URL_s" "ALTER SYSTEM SET recovery_min_apply_delay = '300ms'" >/dev/null
dbcase_psql "$URL_s" "SELECT pg_reload_conf()" >/dev/null
check "the standby applies 300 ms late" \
    [ "$(dbcase_psql "$URL_s" "SHOW recovery_min_apply_delay")" = 300ms ]
TT_DATABASE_URL=$URL_p
export TT_DATABASE_URL
TT_DATABASE_READ_URL="$URL_s application_name=reader" dbcase_web "$URL_p" web1 ||
    { echo "not ok - [$SERVER] web server started"; exit 1; }

user=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN

# pairs N LABEL: N rounds of a PUT of a new value and a GET at once;
# sets fresh (GETs that found the value just put), slow (PUTs that took
# 0.3 s or more) and ok (PUTs answered 200).
pairs() {
	local i t0 secs
	fresh=0 slow=0 ok=0
	for i in $(seq "$1"); do
		t0=$EPOCHREALTIME
		kv_json PUT "$tok" "$inst/key/own-$2" "{\"data\":\"$2 $i\"}"
		secs=$(dbcase_secs "$t0" "$EPOCHREALTIME")
		[ "$STATUS" = 200 ] && ok=$((ok + 1))
		awk -v s="$secs" 'BEGIN { exit !(s >= 0.3) }' && slow=$((slow + 1))
		kv GET "$tok" "$inst/key/own-$2"
		[ "$STATUS" = 200 ] && [ "$(jq -c .data "$T/body")" = "\"$2 $i\"" ] &&
		    fresh=$((fresh + 1))
	done
}

pairs 6 plain
check "default settings: the PUTs answer 200 ($ok of 6)" [ "$ok" = 6 ]
check "... and a GET right after reads the standby's older value ($fresh of 6 fresh)" [ "$fresh" -lt 6 ]
"$TOP/tests/harness/web.sh" lighttpd stop "$T/web1" "${BASE##*:}" >/dev/null 2>&1

TT_DATABASE_READ_URL="$URL_s application_name=reader" \
    dbcase_web "$URL_p options='-c synchronous_commit=remote_apply'" web2 ||
    { echo "not ok - [$SERVER] web server started"; exit 1; }
pairs 6 applied
check "remote_apply in TT_DATABASE_URL: the PUTs answer 200 ($ok of 6)" [ "$ok" = 6 ]
check "... each GET right after its PUT reads the new value ($fresh of 6)" [ "$fresh" = 6 ]
check "... each PUT waited for the standby's apply ($slow of 6 took 0.3 s or more)" [ "$slow" = 6 ]
n=$(dbcase_psql "$URL_s" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reader'")
check "... and the GETs were the standby's ($n connections)" [ "${n:-0}" -ge 1 ]
