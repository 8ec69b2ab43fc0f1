#!/bin/bash
# read-standby.sh: TT_DATABASE_READ_URL. The programs write to a primary
# and read the read-only routes' data (KV reads, work manifests,
# dirspaces, stacks) from a hot standby whose replay is paused, so
# everything done on the primary after the pause is missing there: a
# standby as far behind as it can be. Checks:
#   - the reads really come from the standby (a value written after the
#     pause is not found; found once replay resumes);
#   - a key revoked, and a member removed, on the primary are refused at
#     once on every read route, whatever the standby says: the session
#     check stays on the primary (db.c, run_one);
#   - an outsider gets the same answer through the standby path as
#     without one (the isolation property's core);
#   - the standby gone: reads answer the JSON 503 with Retry-After,
#     writes still work; with the primary also listed and
#     target_session_attrs=prefer-standby, reads go on from the primary.
. "$TOP/tests/harness/dbcase.sh"

dbcase_cluster p --primary || { echo "not ok - [$SERVER] primary started"; exit 1; }
dbcase_standby s p || { echo "not ok - [$SERVER] standby started"; exit 1; }
# ttctl and the helpers of lib.sh work on the primary.
TT_DATABASE_URL=$URL_p
export TT_DATABASE_URL
TT_DATABASE_READ_URL="$URL_s application_name=reader" dbcase_web "$URL_p" ||
    { echo "not ok - [$SERVER] web server started"; exit 1; }

user=$(new_user)
outsider=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
ic=installation:$inst
new_token "$user" kv_store_read kv_store_write; tok=$TOKEN
new_token "$user" kv_store_read kv_store_write "$ic"; tok2=$TOKEN; key2=$KEY_ID
new_token "$user" kv_store_read "$ic"; tok3=$TOKEN
new_token "$outsider" kv_store_read kv_store_write; otok=$TOKEN

kv_json PUT "$tok" "$inst/key/early" '{"data":"before the pause"}'
check "a write goes to the primary" status_is 200
# Wait for the standby to have it, then stop its replay.
for _ in $(seq 50); do
	[ "$(dbcase_psql "$URL_s" "SELECT count(*) FROM kv_store WHERE key = 'early'")" = 1 ] && break
	sleep 0.1
done
kv GET "$tok" "$inst/key/early"
check "a value the standby has is read" status_is 200
check "... with its data" data_is '"before the pause"'
dbcase_psql "$URL_s" "SELECT pg_wal_replay_pause()" >/dev/null
sleep 0.3

kv_json PUT "$tok" "$inst/key/late" '{"data":"after the pause"}'
check "a write after the pause answers 200 (the primary)" status_is 200
kv GET "$tok" "$inst/key/late"
check "the standby is read: the newer value is not there yet" error_is 404 NOT_FOUND
n=$(dbcase_psql "$URL_s" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reader'")
check "the programs hold connections to the standby ($n)" [ "${n:-0}" -ge 1 ]

# Revocation and membership removal, done on the primary after the pause
# (the standby still sees the key live and the user a member).
whoami "$tok2"
check "the second key's token works before its revocation" status_is 200
"$TOP/bin/ttctl" key revoke "$key2" >/dev/null
kv GET "$tok2" "$inst/key/early"
check "revoked on the primary: a KV read through the standby path is 401 at once" error_is 401 UNAUTHORIZED
kv GET "$tok2" "$inst/iter/e?prefix=true"
check "... KV iter too" error_is 401 UNAUTHORIZED
http GET "/api/v1/github/installations/$inst/work-manifests" -H "Authorization: Bearer $tok2"
check "... the work manifest list too" error_is 401 UNAUTHORIZED
http GET "/api/v1/github/installations/$inst/dirspaces" -H "Authorization: Bearer $tok2"
check "... the dirspace list too" error_is 401 UNAUTHORIZED
http GET "/api/v1/github/installations/$inst/repos/1/prs/1/stacks" -H "Authorization: Bearer $tok2"
check "... stacks too" error_is 401 UNAUTHORIZED

"$TOP/bin/ttctl" installation remove-member --id "$inst" --user "$user" >/dev/null
kv GET "$tok" "$inst/key/early"
check "removed on the primary: a KV read through the standby path is 403 at once" error_is 403 NO_INSTALLATION_ACCESS
body_removed=$(cat "$T/body")
http GET "/api/v1/github/installations/$inst/work-manifests" -H "Authorization: Bearer $tok3"
check "... the work manifest list too" error_is 403 NO_INSTALLATION_ACCESS
http GET "/api/v1/github/installations/$inst/dirspaces" -H "Authorization: Bearer $tok3"
check "... the dirspace list too" error_is 403 NO_INSTALLATION_ACCESS
http GET "/api/v1/github/installations/$inst/repos/1/prs/1/stacks" -H "Authorization: Bearer $tok3"
check "... stacks too" error_is 403 NO_INSTALLATION_ACCESS

# An outsider: the same answer as the removed member, and as for an
# installation that does not exist.
kv GET "$otok" "$inst/key/early"
check "an outsider is refused through the standby path" error_is 403 NO_INSTALLATION_ACCESS
check "... with the same body as the removed member" [ "$(cat "$T/body")" = "$body_removed" ]
kv GET "$otok" "$inst/key/late"
check "... whether the key exists on the standby or not" [ "$(cat "$T/body")" = "$body_removed" ]
kv GET "$otok" "$((inst + 1))/key/early"
check "... and as for an installation that does not exist (its id aside)" \
    [ "$(sed "s/$((inst + 1))/$inst/g" "$T/body")" = "$body_removed" ]

# Replay resumes: the standby catches up and the newer value is read.
"$TOP/bin/ttctl" installation add-member --id "$inst" --user "$user" >/dev/null
dbcase_psql "$URL_s" "SELECT pg_wal_replay_resume()" >/dev/null
for _ in $(seq 50); do
	kv GET "$tok" "$inst/key/late"
	[ "$STATUS" = 200 ] && break
	sleep 0.1
done
check "replay resumed: the newer value is read from the standby" data_is '"after the pause"'

# The standby gone: reads fail alone, as a 503; writes go on.
PGSTOP_MODE=immediate "$TOP/tests/harness/pg.sh" stop "$T/s"
kv GET "$tok" "$inst/key/late"
check "the standby down: a KV read is the JSON 503" error_is 503 UNAVAILABLE
check "... with Retry-After" header_matches Retry-After '^[0-9]+$'
http GET "/api/v1/github/installations/$inst/work-manifests" -H "Authorization: Bearer $tok3"
check "... a work manifest list too" error_is 503 UNAVAILABLE
kv_json PUT "$tok" "$inst/key/later" '{"data":"standby down"}'
check "... while writes still answer 200" status_is 200
whoami "$tok"
check "... and whoami too (the session check is on the primary)" status_is 200

# prefer-standby with the primary listed too: reads fall back to it.
"$TOP/tests/harness/web.sh" lighttpd stop "$T/web" "${BASE##*:}" >/dev/null 2>&1
s_sock=$(printf '%s' "$URL_s" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
p_sock=$(printf '%s' "$URL_p" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
TT_DATABASE_READ_URL="host=$s_sock,$p_sock port=$PGPORT_s,$PGPORT_p user=terrateam dbname=terrateam target_session_attrs=prefer-standby" \
    dbcase_web "$URL_p" web2 || { echo "not ok - [$SERVER] second web server started"; exit 1; }
kv GET "$tok" "$inst/key/later"
check "prefer-standby, the standby down: reads are served by the primary" status_is 200
check "... with the data written meanwhile" data_is '"standby down"'
