# fakegithub.sh: POSIX sh helpers for tests/harness/fakegithub.py, meant
# to be sourced (needs curl, jq, python3).
#
#   fakegh_start DIR [PORT]     start the server (state, port file and
#                               server.log in DIR; PORT, else any free
#                               one); exports FAKEGH_URL, FAKEGH_PID,
#                               FAKEGH_DIR. It ends with the calling
#                               shell, or never with FAKE_PARENT_PID=0
#   fakegh_stop                 SIGTERM it and wait (SIGKILL after 5 s)
#   fakegh_reset                forget requests, faults, config and tokens
#   fakegh_fault JSON           queue a fault, e.g. '{"mode":"error","status":503}'
#   fakegh_config JSON          e.g. '{"token_ttl":0}'
#   fakegh_pr_files OWNER REPO N FILE...
#   fakegh_content OWNER REPO PATH REF [TEXT]   REF "" or "null": any ref;
#                               no TEXT: the file answers 404
#   fakegh_revoke_tokens
#   fakegh_tokens               JSON array of issued installation tokens
#   fakegh_oauth_user JSON      who the next GitHub sign-ins are
#   fakegh_oauth_tokens         JSON array of issued user tokens
#   fakegh_requests [PATHREGEX] [METHOD]   JSON array of recorded requests
#   fakegh_count PATHREGEX METHOD          number of matching requests
#   fakegh_workflows OWNER REPO JSON       the repository's workflows: a JSON
#                               array ('[]': none; 'null': the default one)
#   fakegh_branch OWNER REPO BRANCH SHA    a branch head (a dispatch's sha)
#   fakegh_pull OWNER REPO N HEAD_SHA HEAD_REF BASE_REF [STATE [TITLE [LOGIN]]]
#                               GET .../pulls/N's answer (STATE open|closed);
#                               also the head branch's sha
#   fakegh_permission OWNER REPO USER PERMISSION   admin, maintain, write,
#                               triage, read or none (default read)
#   fakegh_runner on [ARG...] | off        run fakerunner.py on each dispatch
#                               (ARGs added to its command line) or not
#   fakegh_runner_config JSON   e.g. '{"enabled":true,"delay":2,"args":[]}'
#   fakegh_dispatches [OWNER REPO]         JSON array of recorded dispatches
#   fakegh_runs [OWNER REPO]    JSON array of spawned runs (id, head_sha,
#                               status, conclusion, exit_status, log, output)
#   fakegh_wait_runs N [SECONDS]           wait until N runs exist and all
#                               have completed (default 60 s); 1 on timeout
#
# The server script is $FAKEGH_SCRIPT, else $TOP/tests/harness/fakegithub.py,
# else fakegithub.py next to the running script ($0) or in ../harness/.
# Every helper returns non-zero when the server does not answer 2xx.

_fakegh_script() {
	if [ -n "${FAKEGH_SCRIPT:-}" ]; then
		printf '%s\n' "$FAKEGH_SCRIPT"
		return
	fi
	for _fg_s in ${TOP:+"$TOP/tests/harness/fakegithub.py"} \
	    "$(dirname "$0")/fakegithub.py" "$(dirname "$0")/../harness/fakegithub.py" \
	    "$(dirname "$0")/harness/fakegithub.py"; do
		if [ -f "$_fg_s" ]; then
			printf '%s\n' "$_fg_s"
			return
		fi
	done
	echo "fakegithub.sh: cannot find fakegithub.py; set FAKEGH_SCRIPT" >&2
	return 1
}

fakegh_start() {
	_fg_dir=${1:?fakegh_start DIR}
	_fg_py=$(_fakegh_script) || return 1
	mkdir -p "$_fg_dir" || return 1
	rm -f "$_fg_dir/port"
	python3 "$_fg_py" --port "${2:-0}" --port-file "$_fg_dir/port" \
	    --state-dir "$_fg_dir" --parent-pid "${FAKE_PARENT_PID:-$$}" \
	    </dev/null >>"$_fg_dir/server.log" 2>&1 &
	FAKEGH_PID=$!
	FAKEGH_DIR=$_fg_dir
	_fg_i=0
	while [ ! -s "$_fg_dir/port" ]; do
		_fg_i=$((_fg_i + 1))
		if [ "$_fg_i" -gt 100 ] || ! kill -0 "$FAKEGH_PID" 2>/dev/null; then
			echo "fakegithub.sh: server did not start; log:" >&2
			tail -20 "$_fg_dir/server.log" >&2
			kill "$FAKEGH_PID" 2>/dev/null
			unset FAKEGH_PID
			return 1
		fi
		sleep 0.05
	done
	FAKEGH_URL=http://127.0.0.1:$(cat "$_fg_dir/port")
	export FAKEGH_URL FAKEGH_PID FAKEGH_DIR
}

fakegh_stop() {
	[ -n "${FAKEGH_PID:-}" ] || return 0
	kill -TERM "$FAKEGH_PID" 2>/dev/null
	_fg_i=0
	while kill -0 "$FAKEGH_PID" 2>/dev/null; do
		_fg_i=$((_fg_i + 1))
		if [ "$_fg_i" -gt 100 ]; then
			echo "fakegithub.sh: server $FAKEGH_PID ignored SIGTERM; killing" >&2
			kill -KILL "$FAKEGH_PID" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$FAKEGH_PID" 2>/dev/null
	unset FAKEGH_PID FAKEGH_URL
	return 0
}

# _fakegh_post PATH JSON
_fakegh_post() {
	curl -sSf --max-time 10 -o /dev/null -X POST "$FAKEGH_URL$1" \
	    -H 'Content-Type: application/json' --data-binary "$2"
}

fakegh_reset() { _fakegh_post /_fake/reset '{}'; }
fakegh_fault() { _fakegh_post /_fake/fault "$1"; }
fakegh_config() { _fakegh_post /_fake/config "$1"; }
fakegh_revoke_tokens() { _fakegh_post /_fake/revoke-tokens '{}'; }

fakegh_pr_files() {
	_fg_o=$1 _fg_r=$2 _fg_n=$3
	shift 3
	_fg_j=$(jq -n --arg o "$_fg_o" --arg r "$_fg_r" --argjson n "$_fg_n" \
	    '{owner: $o, repo: $r, number: $n, files: $ARGS.positional}' \
	    --args "$@") || return 1
	_fakegh_post /_fake/pr-files "$_fg_j"
}

# fakegh_content OWNER REPO PATH REF [TEXT | @FILE]: serves a file at a
# ref (REF "" or null: every ref); without TEXT the file is absent.
fakegh_content() {
	_fg_f=$(mktemp) || return 1
	if [ $# -ge 5 ] && [ "${5#@}" != "$5" ]; then
		jq -n --arg o "$1" --arg r "$2" --arg p "$3" --arg ref "$4" \
		    --rawfile c "${5#@}" '{owner: $o, repo: $r, path: $p,
		    ref: (if $ref == "" or $ref == "null" then null else $ref end),
		    content: $c}' >"$_fg_f"
	elif [ $# -ge 5 ]; then
		jq -n --arg o "$1" --arg r "$2" --arg p "$3" --arg ref "$4" \
		    --arg c "$5" '{owner: $o, repo: $r, path: $p,
		    ref: (if $ref == "" or $ref == "null" then null else $ref end),
		    content: $c}' >"$_fg_f"
	else
		jq -n --arg o "$1" --arg r "$2" --arg p "$3" --arg ref "$4" \
		    '{owner: $o, repo: $r, path: $p,
		    ref: (if $ref == "" or $ref == "null" then null else $ref end),
		    content: null}' >"$_fg_f"
	fi
	_fakegh_post /_fake/content "@$_fg_f"
	_fg_rc=$?
	rm -f "$_fg_f"
	return $_fg_rc
}

fakegh_tokens() {
	curl -sSf --max-time 10 "$FAKEGH_URL/_fake/tokens"
}

# fakegh_oauth_user JSON: who the next GitHub sign-ins are, e.g.
# '{"login":"ana","id":7,"installations":[{"id":12345,"login":"org"}]}'
fakegh_oauth_user() {
	curl -sSf --max-time 10 -X POST "$FAKEGH_URL/_fake/oauth-user" \
	    -H 'Content-Type: application/json' -d "$1" >/dev/null
}

# fakegh_oauth_tokens: JSON array of the user tokens (ghu_...) issued.
fakegh_oauth_tokens() {
	curl -sSf --max-time 10 "$FAKEGH_URL/_fake/oauth-tokens"
}

fakegh_requests() {
	curl -sSf --max-time 10 -G "$FAKEGH_URL/_fake/requests" \
	    --data-urlencode "path=${1:-}" --data-urlencode "method=${2:-}"
}

fakegh_count() {
	fakegh_requests "${1:-}" "${2:-}" | jq length
}

# fakegh_workflows OWNER REPO JSON: the repository's workflows, e.g.
# '[{"path":".github/workflows/other.yml","name":"Other"}]'; '[]' none,
# 'null' the default Terrateam Workflow again.
fakegh_workflows() {
	_fg_j=$(jq -n --arg o "$1" --arg r "$2" --argjson w "$3" \
	    '{owner: $o, repo: $r, workflows: $w}') || return 1
	_fakegh_post /_fake/workflows "$_fg_j"
}

fakegh_branch() {
	_fg_j=$(jq -n --arg o "$1" --arg r "$2" --arg b "$3" --arg s "$4" \
	    '{owner: $o, repo: $r, branch: $b, sha: $s}') || return 1
	_fakegh_post /_fake/branch "$_fg_j"
}

# fakegh_pull OWNER REPO N HEAD_SHA HEAD_REF BASE_REF [STATE [TITLE [LOGIN]]]
fakegh_pull() {
	_fg_j=$(jq -n --arg o "$1" --arg r "$2" --argjson n "$3" --arg hs "$4" \
	    --arg hr "$5" --arg br "$6" --arg st "${7:-open}" --arg t "${8:-}" \
	    --arg u "${9:-}" '{owner: $o, repo: $r, number: $n, head_sha: $hs,
	    head_ref: $hr, base_ref: $br, state: $st}
	    + (if $t == "" then {} else {title: $t} end)
	    + (if $u == "" then {} else {user: $u} end)') || return 1
	_fakegh_post /_fake/pull "$_fg_j"
}

fakegh_permission() {
	_fg_j=$(jq -n --arg o "$1" --arg r "$2" --arg u "$3" --arg p "$4" \
	    '{owner: $o, repo: $r, user: $u, permission: $p}') || return 1
	_fakegh_post /_fake/permission "$_fg_j"
}

# fakegh_runner on [ARG...] | off: whether a dispatch runs fakerunner.py
# (against its api-base-url input); ARGs go to its command line, e.g.
# fakegh_runner on --plan-text 'x' --resend-results
fakegh_runner() {
	case ${1:-} in
	on)
		shift
		_fg_j=$(jq -n '{enabled: true, args: $ARGS.positional}' --args -- "$@") ||
		    return 1
		;;
	off)
		_fg_j='{"enabled": false}'
		;;
	*)
		echo "fakegh_runner on [ARG...] | off" >&2
		return 2
		;;
	esac
	_fakegh_post /_fake/runner "$_fg_j"
}

fakegh_runner_config() { _fakegh_post /_fake/runner "$1"; }

# _fakegh_get PATH [OWNER REPO]
_fakegh_get() {
	if [ $# -ge 3 ]; then
		curl -sSf --max-time 10 -G "$FAKEGH_URL$1" \
		    --data-urlencode "owner=$2" --data-urlencode "repo=$3"
	else
		curl -sSf --max-time 10 "$FAKEGH_URL$1"
	fi
}

fakegh_dispatches() { _fakegh_get /_fake/dispatches "$@"; }
fakegh_runs() { _fakegh_get /_fake/runs "$@"; }

# fakegh_wait_runs N [SECONDS]: waits until at least N runs were spawned
# and none is queued or in progress; 1 after SECONDS (default 60).
fakegh_wait_runs() {
	_fg_n=${1:?fakegh_wait_runs N [SECONDS]}
	_fg_end=$(($(date +%s) + ${2:-60}))
	while :; do
		_fakegh_get /_fake/runs | jq -e --argjson n "$_fg_n" \
		    'length >= $n and all(.status == "completed")' >/dev/null 2>&1 &&
		    return 0
		[ "$(date +%s)" -ge "$_fg_end" ] && return 1
		sleep 0.1
	done
}
