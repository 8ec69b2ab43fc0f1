#!/bin/bash
# bench.sh: `make bench`: wrk on loopback against each web server serving
# the programs as shipped, each scenario reported as requests/s, p50, p99
# and its ratio to a bare hello-world program served the same way in the
# same run: lighttpd (lighttpd.conf, mod_fastcgi) against a FastCGI
# hello-world, Apache (apache.conf, mod_fcgid) against the same
# hello-world under mod_fcgid, plain CGI (lighttpd mod_cgi) against the
# hello-world as a CGI program.
#   BENCH_SERVERS ("lighttpd apache cgi"; also "standby": lighttpd with
#   TT_DATABASE_READ_URL on a hot standby of the bench cluster,
#   "standby-apply": the same with the standby synchronous and the
#   cluster's synchronous_commit = remote_apply, and "cgi-pgbouncer":
#   plain CGI as "cgi", the programs connecting through PgBouncer in
#   session pooling in front of the bench cluster (docs/OPERATIONS.md
#   section 8: ignore_startup_parameters = options, the settings on the
#   role); BENCH_SERVERS="cgi cgi-pgbouncer" BENCH_SCENARIOS="whoami
#   kv-get" compares a database route's ratio to the CGI hello-world
#   with and without it; "unnamed": lighttpd with TT_DATABASE_PREPARE=0,
#   "pgbouncer-tx": the same through PgBouncer in transaction pooling
#   with a pool of 8 server connections, and "cgi-unnamed": plain CGI
#   with TT_DATABASE_PREPARE=0), BENCH_SECONDS (10),
#   BENCH_CONNECTIONS (32), BENCH_THREADS (2),
#   BENCH_SCENARIOS ("refresh whoami": only those, after hello; default all;
#   runner-plan, runner-init, initiate and results: the runner's calls,
#   docs/PERFORMANCE.md), BENCH_RUNS (40000 manifests per server for
#   initiate and results)
#   BENCH_CGIBIN (the programs to measure, default build/cgi-bin: another
#   build's, for alternating runs of two builds)
# The programs run as the shipped configuration runs them: its process
# counts and the default log level (one info line per request).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
harness=$top/tests/harness

dir=$(mktemp -d /tmp/tt-bench.XXXXXX)
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
pgport=$(free_port)
kind= port=
cleanup() {
	[ -n "${BENCH_KEEP:-}" ] && return
	[ -n "$kind" ] && "$harness/web.sh" "$kind" stop "$dir" "$port" 2>/dev/null
	[ -d "$dir/standby" ] && "$harness/pg.sh" stop "$dir/standby"
	cat "$dir"/pgbouncer-*/pgbouncer.pid 2>/dev/null | xargs -r kill
	"$harness/pg.sh" stop "$dir"
	rm -rf "$dir"
}
trap cleanup EXIT

# A standby needs a primary ready to stream (the other servers measure
# the cluster as before).
primary=
case " ${BENCH_SERVERS:-} " in *" standby"*) primary=--primary ;; esac
TT_DATABASE_URL=$("$harness/pg.sh" start "$dir" "$pgport" --durable $primary)
export TT_DATABASE_URL
unset TT_LOG_LEVEL
cgibin=${BENCH_CGIBIN:-$top/build/cgi-bin}
hello=$top/build/tests/progs/hello
"$top/bin/ttctl" migrate >/dev/null

# The hello-world of each server, routed as the programs are.
cat >"$dir/lighttpd-extra.conf" <<CONF
\$HTTP["url"] =~ "^/hello$" {
	fastcgi.server = ( "/" => ( "hello" => (
		"bin-path" => "$hello",
		"socket" => var.tt_sockdir + "/hello.sock",
		"max-procs" => 4,
		"check-local" => "disable",
	)))
}
CONF
cat >"$dir/apache-extra.conf" <<CONF
ScriptAliasMatch "^/hello$" "$hello"
<Directory "$(dirname "$hello")">
	SetHandler fcgid-script
	Options +ExecCGI
	Require all granted
</Directory>
CONF

# serve KIND: starts the web server of KIND (stopping the last one);
# sets kind, port, base.
serve() {
	[ -n "$kind" ] && "$harness/web.sh" "$kind" stop "$dir" "$port" >/dev/null 2>&1
	kind=$1
	port=$(free_port)
	case $kind in
	lighttpd|apache)
		"$harness/web.sh" "$kind" start "$dir" "$port" "$cgibin" \
		    "$dir/$kind-extra.conf" >/dev/null ;;
	lighttpd-cgi)
		TESTBIN=$(dirname "$hello") "$harness/web.sh" "$kind" start \
		    "$dir" "$port" "$cgibin" >/dev/null ;;
	esac
	base=http://127.0.0.1:$port
}
serve lighttpd

# A user, an installation and a key for the authenticated scenarios.
ttctl=$top/bin/ttctl
user=$("$ttctl" user create --github-login bench)
"$ttctl" installation create --id 12345 --login bench-org >/dev/null
"$ttctl" installation add-member --id 12345 --user "$user" >/dev/null
# The refresh scenario runs the whole rate-limit path (bucket and audit
# row); the key's own limit keeps it from answering 429.
key=$("$ttctl" key create --user "$user" --name bench --cap installation:12345 \
    --cap kv_store_read --cap kv_store_write --cap access_token_create \
    --rate-limit 1000000000 2>/dev/null)
cat >"$dir/refresh.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $key"
wrk.body = ""
LUA
# refresh-64: 64 keys of the same user in turn, as many CI jobs with
# their own keys do (each within the default 60 a minute), next to
# "refresh", where every request updates the one key's bucket row.
for i in $(seq 1 64); do
	"$ttctl" key create --user "$user" --name "bench-$i" --cap installation:12345 \
	    --rate-limit 1000000000 2>/dev/null
done | awk 'BEGIN { print "local keys = {" } { printf "\"%s\",\n", $0 }
    END { print "}" }' >"$dir/refresh64.lua"
cat >>"$dir/refresh64.lua" <<'LUA'
local n = 0
request = function()
	n = n + 1
	return wrk.format("POST", nil,
	    { ["Authorization"] = "Bearer " .. keys[n % #keys + 1] }, "")
end
LUA
# token: a fresh access token (they live 60 s; each scenario takes less).
token() {
	curl -s -X POST -H 'Content-Length: 0' -H "Authorization: Bearer $key" \
	    "$base/api/v1/access-token/refresh" | jq -r .access_token
}

# bearer_script: a wrk script sending a fresh access token.
bearer_script() {
	printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$(token)" >"$dir/bearer.lua"
	echo "$dir/bearer.lua"
}
# put_script: the same, overwriting one KV record each request.
put_script() {
	bearer_script >/dev/null
	cat "$dir/bearer.lua" - >"$dir/put.lua" <<'LUA'
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"value": {"deployed_at": "2026-11-29T10:30:00Z", "status": "success"}}'
LUA
	echo "$dir/put.lua"
}
# put64_script: the same overwrite spread over 64 existing records in
# turn, as many CI jobs writing their own keys do. Every kv-put request
# waits for the previous one's commit to reach the disk (they all lock
# one row); here commits overlap and PostgreSQL flushes them together.
put64_script() {
	put_script >/dev/null
	cat "$dir/put.lua" - >"$dir/put64.lua" <<'LUA'
local n = 0
request = function()
	n = n + 1
	return wrk.format(nil, "/api/v1/github/kv/12345/key/bench.put." .. (n % 64))
end
LUA
	echo "$dir/put64.lua"
}

"$ttctl" manifests seed --installation 12345 --count 500 >/dev/null
curl -s -X PUT -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
    -d '{"value": "2024-01-15T10:30:00Z"}' \
    "$base/api/v1/github/kv/12345/key/deploy.timestamp" >/dev/null
for i in $(seq 0 63); do
	echo "url = \"$base/api/v1/github/kv/12345/key/bench.put.$i\""
done >"$dir/put64.curl"
curl -s -X PUT -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' \
    -d '{"value": "seed"}' -K "$dir/put64.curl" >/dev/null

# A pull request with 3 stacks (one nested) over 20 dirspaces, and a
# completed plan of all of them at its head, so stacks-get derives every
# state from stored results.
psql -q "$TT_DATABASE_URL" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO work_manifests (installation_id, id, repo_id, pull_number,
    run_type, state, kind, base_sha, sha, base_branch, branch, tag_query,
    completed_at)
VALUES (12345, 'b0000000-0000-4000-8000-000000000001', 123451, 9001, 'plan',
    'completed', 'pr', repeat('0', 40), repeat('b', 40), 'main', 'bench', '',
    now());
INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id, dir,
    workspace, success, has_changes)
SELECT 12345, 'b0000000-0000-4000-8000-000000000001',
    'stack' || (g % 3) || '/dir' || g, 'default', g % 7 <> 0, g % 2 = 0
FROM generate_series(1, 20) g;
INSERT INTO pull_request_stacks (installation_id, repo_id, pull_number,
    head_sha, stacks)
SELECT 12345, 123451, 9001, repeat('b', 40), jsonb_build_array(
    jsonb_build_object('name', 'base', 'stacks', jsonb_build_array(
        jsonb_build_object('name', 'stack0', 'paths', '[["base", "stack0"]]'::jsonb,
            'dirspaces', s0, 'after', '[]'::jsonb))),
    jsonb_build_object('name', 'apps', 'stacks', jsonb_build_array(
        jsonb_build_object('name', 'stack1', 'paths', '[["apps", "stack1"]]'::jsonb,
            'dirspaces', s1, 'after', '["stack0"]'::jsonb),
        jsonb_build_object('name', 'stack2', 'paths', '[["apps", "stack2"]]'::jsonb,
            'dirspaces', s2, 'after', '["stack0", "stack1"]'::jsonb))))
FROM (SELECT
    jsonb_agg(d) FILTER (WHERE n % 3 = 0) AS s0,
    jsonb_agg(d) FILTER (WHERE n % 3 = 1) AS s1,
    jsonb_agg(d) FILTER (WHERE n % 3 = 2) AS s2
    FROM (SELECT g AS n, jsonb_build_object('dir', 'stack' || (g % 3) ||
        '/dir' || g, 'workspace', 'default') AS d
        FROM generate_series(1, 20) g) x) y
ON CONFLICT DO NOTHING;
SQL

# The runner (RUNNER.md): an apply of that pull request, running under
# run "bench" with a known token, and the plan it fetches (R4) from a
# completed plan of the same head; its initiate (R1) is the run's retry
# of a lost answer (a new token each time, so it runs after runner-plan).
run_wm=b0000000-0000-4000-8000-000000000003
psql -q "$TT_DATABASE_URL" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO repositories (installation_id, id, owner, name)
VALUES (12345, 123451, 'bench-org', 'infra') ON CONFLICT DO NOTHING;
INSERT INTO work_manifests (installation_id, id, repo_id, pull_number,
    run_type, state, kind, base_sha, sha, base_branch, branch, tag_query,
    completed_at, config_json)
VALUES (12345, 'b0000000-0000-4000-8000-000000000002', 123451, 9002, 'plan',
    'completed', 'pr', repeat('0', 40), repeat('c', 40), 'main', 'bench', '',
    now(), '{}');
INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id, dir,
    workspace, success, has_changes)
VALUES (12345, 'b0000000-0000-4000-8000-000000000002', 'network', 'default',
    true, true);
INSERT INTO work_manifest_plans (installation_id, work_manifest_id, dir,
    workspace, plan_data, has_changes)
SELECT 12345, 'b0000000-0000-4000-8000-000000000002', 'network', 'default',
    encode(convert_to(repeat('a plan of 4 KiB ', 256), 'UTF8'), 'base64'), true;
INSERT INTO work_manifests (installation_id, id, repo_id, pull_number,
    run_type, state, kind, base_sha, sha, base_branch, branch, tag_query,
    config_json, run_id, started_at, token_sha256)
VALUES (12345, 'b0000000-0000-4000-8000-000000000003', 123451, 9002, 'apply',
    'running', 'pr', repeat('0', 40), repeat('c', 40), 'main', 'bench', '',
    '{}', 'bench', now(), NULL);
INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id, dir,
    workspace)
VALUES (12345, 'b0000000-0000-4000-8000-000000000003', 'network', 'default');
SQL
# runner_script: the apply running again under a fresh token (an earlier
# server's runner-init replaced it), and a wrk script sending it.
runner_script() {
	run_token=tt_run_$(openssl rand -hex 32)
	psql -q "$TT_DATABASE_URL" -c "UPDATE work_manifests SET state = 'running',
	    started_at = now(), token_sha256 = sha256(convert_to('$run_token', 'UTF8'))
	    WHERE installation_id = 12345 AND id = '$run_wm'" >/dev/null
	printf 'wrk.headers["Authorization"] = "bearer %s"\n' "$run_token" >"$dir/runner.lua"
	echo "$dir/runner.lua"
}
cat >"$dir/initiate.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"run_id": "bench", "sha": "$(printf 'c%.0s' $(seq 1 40))"}'
LUA

# initiate and results: each request takes a manifest of its own (as a
# runner does), BENCH_RUNS fresh ones per server: queued ones to start
# (R1: the token made and stored), running ones to complete (R5: a
# version-2 result of one dirspace, as the runner sends it, with a plan
# text of 1 KiB twice). wrk's threads take every n-th manifest.
runs=${BENCH_RUNS:-40000}
# They live in installation 12346, so that the lists of 12345 stay the
# same for every server.
"$ttctl" installation create --id 12346 --login bench-runs >/dev/null
psql -q "$TT_DATABASE_URL" -c "INSERT INTO repositories (installation_id, id,
    owner, name) VALUES (12346, 123461, 'bench-runs', 'infra')" >/dev/null
# runs_sql STATE: BENCH_RUNS manifests of a new batch in STATE, each
# with one dirspace; sets batch.
runs_sql() {
	# (in the subshell of the scenario's $(...): the count is kept in a file)
	batch=$(($(cat "$dir/batch" 2>/dev/null || echo 0) + 1))
	echo "$batch" >"$dir/batch"
	psql -q "$TT_DATABASE_URL" -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO work_manifests (installation_id, id, repo_id, pull_number,
    run_type, state, kind, base_sha, sha, base_branch, branch, tag_query,
    config_json, run_id, started_at, token_sha256)
SELECT 12346, format('b1%s-0000-4000-8000-%s', lpad('$batch', 6, '0'),
    lpad(g::text, 12, '0'))::uuid, 123461, 9100 + $batch, 'plan', '$1', 'pr',
    repeat('0', 40), repeat('c', 40), 'main', 'bench', '', '{}',
    CASE WHEN '$1' = 'running' THEN 'bench' END,
    CASE WHEN '$1' = 'running' THEN now() END,
    CASE WHEN '$1' = 'running' THEN sha256(convert_to('tt_run_' ||
        encode(sha256(convert_to('bench-$batch-' || g, 'UTF8')), 'hex'),
        'UTF8')) END
FROM generate_series(0, $runs - 1) g;
INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id, dir,
    workspace)
SELECT 12346, format('b1%s-0000-4000-8000-%s', lpad('$batch', 6, '0'),
    lpad(g::text, 12, '0'))::uuid, 'network', 'default'
FROM generate_series(0, $runs - 1) g;
SQL
}
# runs_lua METHOD SUFFIX BODY [TOKENS]: a wrk script over this batch.
runs_lua() {
	{
		printf 'local batch, threads, runs = %d, %d, %d\n' "$batch" \
		    "$threads" "$runs"
		printf 'local body = %s\n' "$3"
		if [ -n "${4:-}" ]; then
			echo 'local tokens = {'
			psql -At "$TT_DATABASE_URL" -c "SELECT '\"tt_run_' ||
			    encode(sha256(convert_to('bench-$batch-' || g, 'UTF8')),
			    'hex') || '\",' FROM generate_series(0, $runs - 1) g"
			echo '}'
		fi
		cat <<LUA
local next_tid = 0
function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
end
local n = -1
request = function()
	n = n + 1
	-- Past the batch, manifests come round again (answered 401 or done).
	local i = (n * threads + tid) % runs
	local h = { ["Content-Type"] = "application/json" }
	if tokens then h["Authorization"] = "bearer " .. tokens[i + 1] end
	return wrk.format("$1", string.format(
	    "/api/github/v1/work-manifests/b1%06d-0000-4000-8000-%012d$2",
	    batch, i), h, body)
end
LUA
	} >"$dir/runs.lua"
	echo "$dir/runs.lua"
}
initiate_script() {
	runs_sql queued
	runs_lua POST /initiate "'{\"run_id\": \"bench\", \"sha\": \"$(printf 'c%.0s' $(seq 1 40))\"}'"
}
results_script() {
	runs_sql running
	runs_lua PUT "" "[[$(jq -cn --arg t "$(head -c 768 /dev/zero | tr '\0' x | fold -w 64)" '{steps: [
	    {step: "auth/update-terrateam-github-token", success: true, ignore_errors: false,
	     scope: {type: "run", flow: "hooks", subflow: "pre"}, payload: {}},
	    {step: "tf/init", success: true, ignore_errors: false,
	     scope: {type: "dirspace", dir: "network", workspace: "default"}, payload: {text: "Terraform has been successfully initialized!"}},
	    {step: "tf/plan", success: true, ignore_errors: false,
	     scope: {type: "dirspace", dir: "network", workspace: "default"},
	     payload: {plan: $t, has_changes: true, text: $t, visible_on: "always"}}]}')]]" tokens
}

# Scenarios: name, path, and a command printing the wrk script to use
# (run just before the scenario, so access tokens are fresh).
scenarios=(
	"hello|/hello|"
	"healthz|/healthz|"
	"refresh|/api/v1/access-token/refresh|echo $dir/refresh.lua"
	"refresh-64|/api/v1/access-token/refresh|echo $dir/refresh64.lua"
	"whoami|/api/v1/whoami|bearer_script"
	"kv-get|/api/v1/github/kv/12345/key/deploy.timestamp|bearer_script"
	"kv-put|/api/v1/github/kv/12345/key/bench.put|put_script"
	"kv-put-64|/api/v1/github/kv/12345/key/bench.put.0|put64_script"
	"wm-list|/api/v1/github/installations/12345/work-manifests|bearer_script"
	"wm-filtered|/api/v1/github/installations/12345/work-manifests?q=repo%3Ainfra%20and%20state%3Acompleted|bearer_script"
	"stacks-get|/api/v1/github/installations/12345/repos/123451/prs/9001/stacks|bearer_script"
	"runner-plan|/api/github/v1/work-manifests/$run_wm/plans?path=network&workspace=default|runner_script"
	"runner-init|/api/github/v1/work-manifests/$run_wm/initiate|echo $dir/initiate.lua"
	"initiate|/|initiate_script"
	"results|/|results_script"
)

# to_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.02s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
		else printf "%s", v }'
}

# bench LABEL: every scenario against the running server, hello first.
bench() {
	local hello_rps= s name path script wargs out rps p50 p99 bad ratio
	echo
	echo "wrk -t$threads -c$conns -d${secs}s on $base ($1)"
	printf '%-12s %10s %9s %9s %8s %8s\n' scenario req/s p50ms p99ms non2xx ratio
	for s in "${scenarios[@]}"; do
		IFS='|' read -r name path script <<<"$s"
		case " hello ${BENCH_SCENARIOS:-$name} " in
		*" $name "*) ;;
		*) continue ;;
		esac
		wargs=()
		[ -n "$script" ] && wargs=(-s "$($script)")
		out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "${wargs[@]}" "$base$path")
		rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
		p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
		p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
		bad=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
		[ -z "$hello_rps" ] && hello_rps=$rps
		ratio=$(awk -v a="$rps" -v b="$hello_rps" 'BEGIN { printf "%.2fx", a / b }')
		printf '%-12s %10.0f %9s %9s %8s %8s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}" "$ratio"
	done
}

# standby_url: a hot standby of the bench cluster, made once (after the
# data above, which it copies); sets standby to its conninfo.
standby=
standby_url() {
	[ -n "$standby" ] && return
	standby=$("$harness/pg.sh" standby "$dir/standby" "$(free_port)" "$dir" "$pgport")
}

# pgbouncer_url MODE POOL: PgBouncer (pool_mode MODE, default_pool_size
# POOL; tests/harness/pgbouncer.sh) in front of the bench cluster, its
# socket in dir/pgbouncer-MODE, with the programs' settings on the role,
# as OPERATIONS.md says (PgBouncer 1.18 drops the options startup
# parameter they send); sets pgbouncer to the programs' conninfo.
# pgbouncer_off stops it and takes the role settings back.
pgbouncer=
pgbouncer_url() {
	local p
	p=$(free_port)
	"$harness/pgbouncer.sh" role-settings "$TT_DATABASE_URL" set
	"$harness/pgbouncer.sh" start "$dir/pgbouncer-$1" "$dir" "$pgport" "$p" \
	    "$1" "$2"
	pgbouncer="host=$dir/pgbouncer-$1 port=$p user=terrateam dbname=terrateam"
}
pgbouncer_off() {
	kill "$(cat "$dir"/pgbouncer-*/pgbouncer.pid)" 2>/dev/null || true
	rm -f "$dir"/pgbouncer-*/pgbouncer.pid
	"$harness/pgbouncer.sh" role-settings "$TT_DATABASE_URL" reset
}

for server in ${BENCH_SERVERS:-lighttpd apache cgi}; do
	case $server in
	lighttpd)
		serve lighttpd
		bench "lighttpd, lighttpd.conf: 4 FastCGI processes per program" ;;
	apache)
		serve apache
		bench "Apache, apache.conf: mod_fcgid, up to 8 processes per program" ;;
	cgi)
		serve lighttpd-cgi
		bench "lighttpd plain CGI: a process and a connection per request" ;;
	cgi-pgbouncer)
		pgbouncer_url session 20
		TT_DATABASE_URL=$pgbouncer serve lighttpd-cgi
		bench "lighttpd plain CGI, the connection per request to PgBouncer (session pooling)"
		# The servers after this one measure the cluster as before.
		pgbouncer_off ;;
	cgi-unnamed)
		TT_DATABASE_PREPARE=0 serve lighttpd-cgi
		bench "lighttpd plain CGI, TT_DATABASE_PREPARE=0 (statements sent unnamed)" ;;
	unnamed)
		TT_DATABASE_PREPARE=0 serve lighttpd
		bench "lighttpd.conf, TT_DATABASE_PREPARE=0 (statements sent unnamed)" ;;
	pgbouncer-tx)
		pgbouncer_url transaction 8
		TT_DATABASE_PREPARE=0 TT_DATABASE_URL=$pgbouncer serve lighttpd
		bench "lighttpd.conf through PgBouncer (transaction pooling, 8 server connections), TT_DATABASE_PREPARE=0"
		pgbouncer_off ;;
	standby|standby-apply)
		standby_url
		if [ $server = standby-apply ]; then
			"$harness/pg.sh" sync "$dir" "$pgport" on >/dev/null
			psql -q "$TT_DATABASE_URL" -c "ALTER SYSTEM SET synchronous_commit = remote_apply" \
			    -c "SELECT pg_reload_conf()" >/dev/null
			what="a synchronous standby, synchronous_commit = remote_apply"
		else
			what="an asynchronous standby"
		fi
		TT_DATABASE_READ_URL=$standby serve lighttpd
		bench "lighttpd.conf, TT_DATABASE_READ_URL on $what"
		# The servers after this one measure the cluster as before.
		if [ $server = standby-apply ]; then
			psql -q "$TT_DATABASE_URL" -c "ALTER SYSTEM RESET synchronous_commit" \
			    -c "SELECT pg_reload_conf()" >/dev/null
			"$harness/pg.sh" sync "$dir" "$pgport" off >/dev/null
		fi ;;
	*)	echo "unknown server $server" >&2; exit 2 ;;
	esac
done
