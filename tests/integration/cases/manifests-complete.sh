#!/bin/bash
# manifests-complete.sh: ttctl manifests complete records a run's results
# as a runner reports them: queued -> running -> completed, has_changes,
# --json, all-or-nothing refusals (unknown id or dirspace, aborted or
# completed manifest), usage errors (exit 2) before any SQL, and DIR with
# '/', ':' and '='. Needs only ttctl and PostgreSQL; every server's run
# uses its own installation.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

inst=$(( (RANDOM << 15 | RANDOM) + 100000 ))
tt=$TOP/bin/ttctl

q() { psql "$TT_DATABASE_URL" -qAtc "$1"; }

# complete ARGS...: runs ttctl manifests ARGS; sets RC, stdout in $T/body
# (for json_is), stderr in $T/err.
complete() {
	"$tt" manifests "$@" >"$T/body" 2>"$T/err"
	RC=$?
}

rc_is() {
	[ "$RC" = "$1" ] && return 0
	echo "# exit status $RC, expected $1; stderr: $(head -c 300 "$T/err")"
	return 1
}

# refused_with CODE REGEX: the exit status and the message on stderr.
refused_with() {
	rc_is "$1" || return 1
	grep -Eq "$2" "$T/err" && return 0
	echo "# stderr '$(head -c 300 "$T/err")' does not match /$2/"
	return 1
}

# snapshot ID: the manifest's state, completed_at, dirspaces and the
# trigger-kept dirspaces_json on one line.
snapshot() {
	q "SELECT wm.state || ' ' || coalesce(wm.completed_at::text, '-') ||
	    ' ' || coalesce((SELECT string_agg(d.dir || ':' || d.workspace ||
	    '=' || coalesce(d.success::text, '-') || '/' ||
	    coalesce(d.has_changes::text, '-'), ',' ORDER BY d.dir,
	    d.workspace) FROM work_manifest_dirspaces d WHERE
	    d.installation_id = wm.installation_id AND
	    d.work_manifest_id = wm.id), '') || ' ' || wm.dirspaces_json
	    FROM work_manifests wm WHERE wm.id = '$1'"
}

# ds ID DIR WORKSPACE: success/has_changes of one dirspace.
ds() {
	q "SELECT coalesce(success::text, '-') || '/' ||
	    coalesce(has_changes::text, '-') FROM work_manifest_dirspaces
	    WHERE work_manifest_id = '$1' AND dir = '$2' AND workspace = '$3'"
}

same() {
	[ "$1" = "$2" ] && return 0
	echo "# '$1' is not '$2'"
	return 1
}

"$tt" manifests seed --installation "$inst" --count 10 >/dev/null
# By manifest: state, number of dirspaces (1 to 3, in the order
# env/prod:default, env/staging:default, modules/vpc:shared).
pick() {
	q "SELECT wm.id FROM work_manifests wm WHERE wm.installation_id =
	    $inst AND wm.state = '$1' AND (SELECT count(*) FROM
	    work_manifest_dirspaces d WHERE d.installation_id = $inst AND
	    d.work_manifest_id = wm.id) = $2 ORDER BY wm.created_at LIMIT 1"
}
q3=$(pick queued 3)
q1=$(pick queued 1)
ab=$(pick aborted 2)
check "seeding gives queued and aborted manifests to work on" \
    test -n "$q3" -a -n "$q1" -a -n "$ab"

# Usage errors: exit 2, before any SQL (an unreachable database still
# answers 2), and nothing changes.
before=$(snapshot "$q3")
usage() {
	TT_DATABASE_URL="host=$T/nowhere port=1 dbname=none" complete "$@"
	rc_is 2
}
check "complete without an id is a usage error" usage complete
check "complete with a malformed id is a usage error" \
    usage complete not-a-uuid --dirspace env/prod:default=success
check "complete with a truncated id is a usage error" \
    usage complete "${q3%?}" --dirspace env/prod:default=success
check "complete without --dirspace is a usage error" usage complete "$q3"
check "--dirspace without a value is a usage error" \
    usage complete "$q3" --dirspace
check "a result other than success|failure is a usage error" \
    usage complete "$q3" --dirspace env/prod:default=maybe
check "a dirspace without ':' is a usage error" \
    usage complete "$q3" --dirspace env/prod=success
check "a dirspace without '=' is a usage error" \
    usage complete "$q3" --dirspace env/prod:default
check "an empty workspace is a usage error" \
    usage complete "$q3" --dirspace env/prod:=success
check "an empty dir is a usage error" \
    usage complete "$q3" --dirspace :default=success
check "an unknown option is a usage error" \
    usage complete "$q3" --dirspace env/prod:default=success --force
check "the same dirspace twice is a usage error" \
    usage complete "$q3" --dirspace env/prod:default=success \
    --dirspace env/prod:default=failure
complete complete "$q3" --dirspace env/prod:default=success --bogus
check "a usage error with a reachable database is exit 2 too" rc_is 2
check "usage errors changed nothing" same "$(snapshot "$q3")" "$before"

# queued -> running -> completed.
complete complete "$q3" --dirspace env/prod:default=success
check "the first result answers 0" rc_is 0
check "the human line names the manifest and its new state" \
    grep -q "work manifest $q3 running: 1 of 3 dirspaces have a result" "$T/body"
check "a queued manifest with results pending becomes running" \
    same "$(q "SELECT state || ' ' || (completed_at IS NULL) FROM work_manifests WHERE id = '$q3'")" "running true"
check "the dirspace records success, has_changes false by default" \
    same "$(ds "$q3" env/prod default)" "true/false"
check "the other dirspaces still have no result" \
    same "$(q "SELECT count(*) FROM work_manifest_dirspaces WHERE work_manifest_id = '$q3' AND success IS NULL")" 2
check "the trigger kept dirspaces_json in step" \
    same "$(q "SELECT dirspaces_json::json -> 0 ->> 'success' FROM work_manifests WHERE id = '$q3'")" true

complete complete "$q3" --json --dirspace env/staging:default=failure --has-changes
check "a second result with --json answers 0" rc_is 0
check "--json prints the id" json_is .id "$q3"
check "--json prints the state (still running)" json_is .state running
check "--json lists every dirspace of the manifest" json_is '.dirspaces | length' 3
check "--json: dir, workspace, success, has_changes on each" \
    json_is '[.dirspaces[] | keys | tostring] | unique | .[]' '["dir","has_changes","success","workspace"]'
check "--json: a failure with --has-changes" \
    json_is '.dirspaces[] | select(.dir == "env/staging" and .workspace == "default") | [.success, .has_changes] | tostring' '[false,true]'
check "--json: an earlier result is kept" \
    json_is '.dirspaces[] | select(.dir == "env/prod") | [.success, .has_changes] | tostring' '[true,false]'
check "--json: a dirspace without a result has success null" \
    json_is '.dirspaces[] | select(.dir == "modules/vpc") | .success' null
check "--has-changes is stored" same "$(ds "$q3" env/staging default)" "false/true"

"$tt" --json manifests complete "$q3" --dirspace modules/vpc:shared=success \
    >"$T/body" 2>"$T/err"
RC=$?
check "the last result answers 0 (--json before the command)" rc_is 0
check "the last result completes the manifest" json_is .state completed
check "completed in the database with completed_at set" \
    same "$(q "SELECT state || ' ' || (completed_at IS NOT NULL AND completed_at > now() - interval '1 minute') FROM work_manifests WHERE id = '$q3'")" "completed true"

# Refusals: exit 1, nothing changed.
before=$(snapshot "$q3")
complete complete "$q3" --dirspace modules/vpc:shared=failure
check "a completed manifest is refused" refused_with 1 "already completed"
check "the refusal changed nothing" same "$(snapshot "$q3")" "$before"

before=$(snapshot "$ab")
complete complete "$ab" --dirspace env/prod:default=success
check "an aborted manifest is refused" refused_with 1 "already aborted"
check "the aborted manifest is unchanged" same "$(snapshot "$ab")" "$before"

unknown=$(q "SELECT gen_random_uuid()")
complete complete "$unknown" --dirspace env/prod:default=success
check "an unknown id is refused" refused_with 1 "no work manifest $unknown"

before=$(snapshot "$q1")
complete complete "$q1" --dirspace env/prod:default=success \
    --dirspace env/nowhere:default=success --has-changes
check "an unknown dirspace is refused and named" \
    refused_with 1 "has no dirspace env/nowhere:default"
check "nothing changed, not even the known dirspace" \
    same "$(snapshot "$q1")" "$before"
check "the manifest is still queued" \
    same "$(q "SELECT state FROM work_manifests WHERE id = '$q1'")" queued
complete complete "$q1" --dirspace env/prod:shared=success
check "a known dir with another workspace is unknown" \
    refused_with 1 "has no dirspace env/prod:shared"

# The manifest row is locked first: an abort committed while the report
# waits for the lock wins, and the report is refused, not applied.
race=$(pick running 2)
q "BEGIN; UPDATE work_manifests SET state = 'aborted', completed_at = now()
    WHERE id = '$race'; SELECT pg_sleep(2); COMMIT" >/dev/null &
abort_pid=$!
for _ in $(seq 50); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE pid <>
	    pg_backend_pid() AND wait_event = 'PgSleep' AND
	    query LIKE '%$race%'")" = 1 ] && break
	sleep 0.1
done
complete complete "$race" --dirspace env/prod:default=success \
    --dirspace env/staging:default=success
wait "$abort_pid"
check "a report waiting behind an abort is refused once the abort commits" \
    refused_with 1 "already aborted"
check "the abort stands and no result was recorded" \
    same "$(q "SELECT state || ' ' || (SELECT count(*) FROM work_manifest_dirspaces d WHERE d.work_manifest_id = '$race' AND d.success IS NOT NULL) FROM work_manifests WHERE id = '$race'")" "aborted 0"

# All results in one call: queued straight to completed.
complete complete "$q1" --dirspace env/prod:default=failure
check "queued with all results given becomes completed" \
    same "$RC $(q "SELECT state || ' ' || (completed_at IS NOT NULL) FROM work_manifests WHERE id = '$q1'")" "0 completed true"

# DIR with '/', ':' and '=': split at the last ':' before the last '='.
odd=$(q "INSERT INTO work_manifests (installation_id, repo_id, run_type,
    kind, base_sha, sha, base_branch, branch) VALUES ($inst, ${inst}1,
    'apply', 'drift', 'a', 'b', 'main', 'x') RETURNING id")
q "INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id,
    dir, workspace) VALUES ($inst, '$odd', 'env/a:b', 'default'),
    ($inst, '$odd', 'x=y:z/w', 'ws'), ($inst, '$odd', 'env/a', 'b:default')"
ODD=$(printf '%s' "$odd" | tr a-f A-F)
complete complete "$ODD" --json --has-changes --dirspace env/a:b:default=success \
    --dirspace 'x=y:z/w:ws=failure'
check "an upper-case id is accepted and answered in canonical form" \
    json_is .id "$odd"
check "DIR env/a:b with workspace default" \
    same "$(ds "$odd" env/a:b default)" "true/true"
check "DIR x=y:z/w with workspace ws" same "$(ds "$odd" x=y:z/w ws)" "false/true"
check "split at the last ':': dir env/a, workspace b:default untouched" \
    same "$(ds "$odd" env/a b:default)" "-/-"
check "two of three results: running" json_is .state running
