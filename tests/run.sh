#!/bin/bash
# run.sh: runs the test suites and prints "N passed, N failed" last.
#   tests/run.sh unit|integration|sanitize|fuzz|lint|all
#   CASES='kv-*' tests/run.sh integration    only the matching cases
# Every suite prints TAP-style lines; a crashed or silent suite counts as
# a failure, never as a pass.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-all}
OUT=$TOP/build/test-results
mkdir -p "$OUT"
LOG=$OUT/tap.log
: >"$LOG"
SCHEMA_VERSION=$(ls "$TOP/sql" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -1)
export TOP SCHEMA_VERSION

cleanup_dirs=()
cleanup() {
	for d in "${cleanup_dirs[@]}"; do
		for k in lighttpd lighttpd-cgi apache; do
			[ -d "$d/$k" ] && "$TOP/tests/harness/web.sh" $k stop "$d" 0 2>/dev/null
		done
		[ -d "$d/data" ] && "$TOP/tests/harness/pg.sh" stop "$d"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# record NAME: reads a program's TAP from stdin into the log, then turns a
# bad exit status or a short plan into failures.
record() {
	local name=$1 rc=$2 file=$3 plan got
	grep -aE '^(ok|not ok)( |$)|^#' "$file" | tee -a "$LOG"
	got=$(grep -acE '^(ok|not ok)( |$)' "$file")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$file" | head -1)
	if [ -n "$plan" ] && [ "$got" -lt "$plan" ]; then
		echo "not ok - $name: $((plan - got)) planned tests did not report" | tee -a "$LOG"
	fi
	if [ "$rc" -ne 0 ] && ! grep -aq '^not ok' "$file"; then
		echo "not ok - $name exited with status $rc" | tee -a "$LOG"
	fi
	if [ "$got" -eq 0 ] && [ "$rc" -eq 0 ]; then
		echo "not ok - $name ran no test" | tee -a "$LOG"
	fi
}

run_unit() {
	local dir=$1 label=$2 t rc
	echo "# unit tests ($label)"
	for t in "$dir"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		case $t in *.d|*.o) continue ;; esac
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$OUT/unit.out" 2>&1
		rc=$?
		sed -i "s/^\(ok\|not ok\) \([0-9]*\) - /\1 - [$label $(basename "$t")] /" "$OUT/unit.out"
		record "$label $(basename "$t")" $rc "$OUT/unit.out"
	done
}

# Starts a cluster for a suite; sets PGDIR, PGPORT, TT_DATABASE_URL.
start_db() {
	PGDIR=$(mktemp -d /tmp/tt-test.XXXXXX)
	cleanup_dirs+=("$PGDIR")
	PGPORT=$(free_port)
	export PGDIR PGPORT
	TT_DATABASE_URL=$("$TOP/tests/harness/pg.sh" start "$PGDIR" "$PGPORT") || return 1
	export TT_DATABASE_URL
	"$TOP/bin/ttctl" migrate >/dev/null || return 1
	start_github || return 1
}

# The stand-in GitHub API, an App key and a webhook secret for a suite;
# every program of the suite gets them through TT_GITHUB_*.
start_github() {
	. "$TOP/tests/harness/fakegithub.sh"
	fakegh_start "$PGDIR/fakegh" || return 1
	openssl genrsa -out "$PGDIR/app.pem" 2048 2>/dev/null || return 1
	openssl rand -hex 24 >"$PGDIR/webhook-secret"
	chmod 644 "$PGDIR/app.pem" "$PGDIR/webhook-secret"
	TT_GITHUB_API_URL=$FAKEGH_URL
	TT_GITHUB_APP_ID=4242
	TT_GITHUB_APP_PRIVATE_KEY_FILE=$PGDIR/app.pem
	TT_GITHUB_WEBHOOK_SECRET_FILE=$PGDIR/webhook-secret
	export TT_GITHUB_API_URL TT_GITHUB_APP_ID TT_GITHUB_APP_PRIVATE_KEY_FILE \
	    TT_GITHUB_WEBHOOK_SECRET_FILE
	# Real payloads of every event type, fetched once per checkout.
	WEBHOOK_EXAMPLES=$TOP/build/webhook-examples
	"$TOP/tests/harness/webhook-examples.sh" "$WEBHOOK_EXAMPLES" >/dev/null || return 1
	export WEBHOOK_EXAMPLES
}

# The webhook secret and the installation tokens the fake issued join
# the secrets no log may contain.
github_secrets() {
	cat "$PGDIR/webhook-secret" >>"$TT_ISSUED_SECRETS"
	fakegh_tokens 2>/dev/null | jq -r '.[] | if type == "object" then .token else . end' \
	    >>"$TT_ISSUED_SECRETS" 2>/dev/null
	fakegh_stop
}

# run_cases SERVER BASE [DIR]: every integration case in DIR (cases/ by
# default) against one server.
run_cases() {
	local server=$1 base=$2 dir=${3:-$TOP/tests/integration/cases} c rc
	for c in "$dir"/*.sh; do
		# CASES=pattern runs only the matching cases (by hand).
		case $(basename "$c") in ${CASES:-*}) ;; *) continue ;; esac
		T=$(mktemp -d "$PGDIR/case.XXXXXX")
		BASE=$base SERVER=$server T=$T bash "$c" >"$OUT/case.out" 2>&1
		rc=$?
		record "[$server] $(basename "$c")" $rc "$OUT/case.out"
	done
}

# run_cgi LABEL BUILD: the programs run directly, without a web server.
run_cgi() {
	local label=$1 build=$2 c rc
	echo "# CGI-mode tests ($label)"
	for c in "$TOP"/tests/cgi/*.sh; do
		T=$(mktemp -d "$PGDIR/cgi.XXXXXX")
		BIN=$build SERVER=$label T=$T bash "$c" >"$OUT/case.out" 2>&1
		rc=$?
		record "[$label] $(basename "$c")" $rc "$OUT/case.out"
		if grep -D skip -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T"/* 2>/dev/null; then
			grep -D skip -hE -A10 'AddressSanitizer|LeakSanitizer|runtime error:' "$T"/* | head -30 | sed 's/^/# /'
			echo "not ok - [$label] $(basename "$c"): sanitizer report" | tee -a "$LOG"
		fi
	done
}

# extra_conf KIND TESTBIN: routes for the test-only echo program.
extra_conf() {
	local kind=$1 testbin=$2 f=$PGDIR/$1-extra.conf
	case $kind in
	lighttpd)
		cat >"$f" <<CONF
\$HTTP["url"] =~ "^/echo" {
	fastcgi.server = ( "/" => ( "echo" => (
		"bin-path" => "$testbin/echo",
		"socket" => var.tt_sockdir + "/echo.sock",
		"max-procs" => 1,
		"check-local" => "disable",
	)))
}
CONF
		;;
	apache)
		cat >"$f" <<CONF
ScriptAliasMatch "^/echo" "$testbin/echo"
<Directory "$testbin">
	SetHandler fcgid-script
	Options +ExecCGI
	Require all granted
</Directory>
CONF
		;;
	esac
	echo "$f"
}

# serve KIND LABEL BUILD: one web server over one build, all cases.
serve() {
	local kind=$1 label=$2 build=$3 port extra
	port=$(free_port)
	extra=$(extra_conf "$kind" "$build/tests/progs")
	echo "# integration: $label on port $port"
	if ! TESTBIN=$build/tests/progs "$TOP/tests/harness/web.sh" "$kind" start \
	    "$PGDIR" "$port" "$build/cgi-bin" "$extra" >"$OUT/web.out" 2>&1; then
		cat "$OUT/web.out"
		echo "not ok - [$label] web server failed to start" | tee -a "$LOG"
		return
	fi
	run_cases "$label" "http://127.0.0.1:$port"
	"$TOP/tests/harness/web.sh" "$kind" stop "$PGDIR" "$port"
	rm -rf "${PGDIR:?}/$kind"/sock
	mv "$PGDIR/$kind" "$PGDIR/$kind.$label"
}

# serve_pair BUILD: two lighttpd servers on two ports, the same build and
# the same database, as a site scaled out behind a load balancer runs
# them; the cases in two-servers/ get the first as BASE, the second as
# BASE2.
serve_pair() {
	local build=$1 a=$PGDIR/pair-a b=$PGDIR/pair-b pa pb d
	mkdir -p "$a" "$b"
	cleanup_dirs+=("$a" "$b")
	pa=$(free_port)
	pb=$(free_port)
	while [ "$pb" = "$pa" ]; do pb=$(free_port); done
	echo "# integration: two lighttpd servers on ports $pa and $pb, one database"
	for d in "$a:$pa" "$b:$pb"; do
		if ! "$TOP/tests/harness/web.sh" lighttpd start "${d%:*}" "${d##*:}" \
		    "$build/cgi-bin" >"$OUT/web.out" 2>&1; then
			cat "$OUT/web.out"
			echo "not ok - [two-servers] web server failed to start" | tee -a "$LOG"
			"$TOP/tests/harness/web.sh" lighttpd stop "$a" "$pa"
			return
		fi
	done
	BASE2=http://127.0.0.1:$pb run_cases two-servers "http://127.0.0.1:$pa" \
	    "$TOP/tests/integration/two-servers"
	"$TOP/tests/harness/web.sh" lighttpd stop "$a" "$pa" &
	d=$!
	"$TOP/tests/harness/web.sh" lighttpd stop "$b" "$pb"
	wait "$d"
	rm -rf "$a/lighttpd/sock" "$b/lighttpd/sock"
}

# leak_check LABEL: no issued key, token or signing secret in any log the
# servers, the programs or PostgreSQL wrote (SECURITY.md threat 18).
leak_check() {
	local label=$1 n hits
	psql "$TT_DATABASE_URL" -Atc "SELECT encode(secret, 'hex') FROM jwt_secrets" \
	    >>"$TT_ISSUED_SECRETS" 2>/dev/null
	# Only real credentials (a failed exchange can record "null").
	grep -E '^.{20,}$' "$TT_ISSUED_SECRETS" | sort -u >"$TT_ISSUED_SECRETS.u"
	mv "$TT_ISSUED_SECRETS.u" "$TT_ISSUED_SECRETS"
	n=$(grep -c . "$TT_ISSUED_SECRETS")
	if [ "$n" -lt 5 ]; then
		echo "not ok - [$label] log leak check: only $n secrets were recorded" | tee -a "$LOG"
		return
	fi
	hits=$(find "$PGDIR" -name '*.log' -type f -exec grep -lF -f "$TT_ISSUED_SECRETS" {} + 2>/dev/null)
	if [ -n "$hits" ]; then
		echo "$hits" | sed 's/^/# secret found in /'
		echo "not ok - [$label] no key, token or secret in any log ($n checked)" | tee -a "$LOG"
	else
		echo "ok - [$label] no key, token or secret in any log ($n checked)" | tee -a "$LOG"
	fi
}

run_integration() {
	echo "# integration tests"
	if ! start_db; then
		echo "not ok - integration: PostgreSQL did not start" | tee -a "$LOG"
		return
	fi
	TT_ISSUED_SECRETS=$PGDIR/issued-secrets
	: >"$TT_ISSUED_SECRETS"
	export TT_ISSUED_SECRETS
	run_cgi cgi "$TOP/build"
	serve lighttpd lighttpd "$TOP/build"
	serve_pair "$TOP/build"
	serve apache apache "$TOP/build"
	serve lighttpd-cgi lighttpd-cgi "$TOP/build"
	github_secrets
	leak_check integration
	"$TOP/tests/harness/pg.sh" stop "$PGDIR"
}

run_sanitize() {
	echo "# sanitizer build (ASan + UBSan)"
	run_unit "$TOP/build-san" san
	if ! start_db; then
		echo "not ok - sanitize: PostgreSQL did not start" | tee -a "$LOG"
		return
	fi
	TT_ISSUED_SECRETS=$PGDIR/issued-secrets
	: >"$TT_ISSUED_SECRETS"
	export TT_ISSUED_SECRETS
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    run_cgi cgi-asan "$TOP/build-san"
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    serve lighttpd lighttpd-asan "$TOP/build-san"
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    serve lighttpd-cgi lighttpd-cgi-asan "$TOP/build-san"
	github_secrets
	leak_check sanitize
	"$TOP/tests/harness/pg.sh" stop "$PGDIR"
	if grep -rlE 'AddressSanitizer|LeakSanitizer|runtime error:' "$PGDIR" >/dev/null 2>&1; then
		grep -rhE -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$PGDIR" | head -60 | sed 's/^/# /'
		echo "not ok - sanitizers reported errors in the programs' logs" | tee -a "$LOG"
	else
		echo "ok - sanitizers reported nothing in the programs' logs" | tee -a "$LOG"
	fi
}

run_fuzz() {
	echo "# fuzz targets (short runs)"
	"$TOP/tests/fuzz/run.sh" "${FUZZ_SECONDS:-10}" >"$OUT/fuzz.out" 2>&1
	record fuzz $? "$OUT/fuzz.out"
}

run_lint() {
	echo "# lint"
	"$TOP/tools/lint.sh" >"$OUT/lint.out" 2>&1
	record lint $? "$OUT/lint.out"
}

case $suite in
lint)		run_lint ;;
unit)		run_unit "$TOP/build" unit ;;
integration)	run_integration ;;
sanitize)	run_sanitize ;;
fuzz)		run_fuzz ;;
all)
	run_lint
	run_unit "$TOP/build" unit
	run_integration
	run_sanitize
	run_fuzz
	;;
*)	echo "usage: tests/run.sh unit|integration|sanitize|fuzz|all" >&2; exit 2 ;;
esac

pass=$(grep -cE '^ok( |$)' "$LOG")
fail=$(grep -cE '^not ok( |$)' "$LOG")
grep -E '^not ok' "$LOG" | sed 's/^/# FAILED: /'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
