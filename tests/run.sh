#!/bin/bash
# run.sh: runs the test suites and prints "N passed, N failed" last.
#   tests/run.sh all          everything (make test)
#   tests/run.sh check        lint, unit tests and the lighttpd pass (make check)
#   tests/run.sh unit|integration|sanitize|valgrind|fuzz|lint
#   tests/run.sh case NAME [--server lighttpd|apache|proxy|cgi|asan]
#                             one case against one web server, in seconds:
#                             PostgreSQL, the server and the stand-ins the
#                             case needs stay up for the next call (build/
#                             case-env/); the server restarts by itself
#                             after a rebuild. tests/run.sh case --stop ends it.
#   CASES='kv-* audit-trail.sh' tests/run.sh integration    only those cases
#   tests/run.sh database [NAME ...]
#                             the database-topology cases (tests/integration/
#                             database/): each starts its own clusters, stand-ins
#                             and web server (failover, a dead host, Patroni,
#                             PgBouncer), so they run apart from the passes
# Each case says in its header which passes run it ("# passes: lighttpd
# apache ...") and which stand-ins it needs ("# needs: github oidc").
# Every suite prints TAP-style lines; a crashed or silent suite counts as
# a failure, never as a pass.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-all}
OUT=$TOP/build/test-results
mkdir -p "$OUT"
LOG=$OUT/tap.log
: >"$LOG"
: >"$OUT/times.log"
: >"$OUT/failures.log"
# Debian's python3, the one tools/install-deps.sh installs the modules
# for, ahead of a version manager's shim on PATH (pyenv's takes half a
# second to start; the cases start Python hundreds of times).
if [ -x /usr/bin/python3 ]; then
	mkdir -p "$OUT/bin"
	ln -sf /usr/bin/python3 "$OUT/bin/python3"
	PATH=$OUT/bin:$PATH
fi
SCHEMA_VERSION=$(ls "$TOP/sql" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | tail -1)
export TOP SCHEMA_VERSION
# Each web server gets its own address as TT_PUBLIC_URL (tests/harness/
# web.sh); one from the caller's shell would send sign-ins elsewhere.
unset TT_PUBLIC_URL
# Every server runs behind a "proxy" at 127.0.0.9 (no case sends from it
# but trusted-proxies.sh; rand_addr never makes it): requests from there
# name their client in X-Forwarded-For.
TT_TRUSTED_PROXIES=127.0.0.9
export TT_TRUSTED_PROXIES

cleanup_dirs=()
cleanup() {
	for d in "${cleanup_dirs[@]}"; do
		for k in lighttpd lighttpd-cgi apache apache-proxy; do
			[ -d "$d/$k" ] && "$TOP/tests/harness/web.sh" $k stop "$d" 0 2>/dev/null
		done
		[ -d "$d/data" ] && "$TOP/tests/harness/pg.sh" stop "$d"
	done
	# A passing run leaves nothing behind (each directory holds a
	# database cluster); a failing or interrupted one keeps them.
	if [ "${fail:-}" = 0 ]; then
		rm -rf "${cleanup_dirs[@]}"
	elif [ ${#cleanup_dirs[@]} -gt 0 ]; then
		echo "# kept for a look: ${cleanup_dirs[*]}" >&2
	fi
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
	# Each failure with the diagnostics printed just before and after
	# it (six lines each way at most), for the summary at the end: CI
	# keeps only the tail of the output.
	awk '/^#/ { if (after > 0) { print; after--; next } d[n++ % 6] = $0; next }
	    /^not ok( |$)/ { for (i = (n > 6 ? n - 6 : 0); i < n; i++) print d[i % 6]
		print; n = 0; after = 6; next }
	    /^ok( |$)/ { n = 0; after = 0 }' "$file" >>"$OUT/failures.log"
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

# run_unit BUILD LABEL: every unit test binary of BUILD. Those that need
# a database (tests/unit/testdb.h) find a private, migrated cluster in
# TT_DATABASE_URL, started here once for them all and stopped after them
# (and removed with the suite's other directories when all passed).
run_unit() {
	local dir=$1 label=$2 t rc start=$SECONDS
	local PGDIR PGPORT TT_DATABASE_URL
	echo "# unit tests ($label)"
	PGDIR=$(mktemp -d /tmp/tt-unit.XXXXXX)
	cleanup_dirs+=("$PGDIR")
	if ! start_cluster >"$OUT/unit-pg.out" 2>&1; then
		sed 's/^/# /' "$OUT/unit-pg.out"
		echo "not ok - [$label] unit tests: PostgreSQL did not start" | tee -a "$LOG"
		TT_DATABASE_URL=
	fi
	export TT_DATABASE_URL
	for t in "$dir"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		case $t in *.d|*.o) continue ;; esac
		# A test that hangs (a deadline gone, say) fails, after 5 minutes.
		CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 300 "$t" >"$OUT/unit.out" 2>&1
		rc=$?
		[ $rc = 124 ] && echo "not ok - [$label $(basename "$t")] still running after 300 s: stopped" >>"$OUT/unit.out"
		sed -i "s/^\(ok\|not ok\) \([0-9]*\) - /\1 - [$label $(basename "$t")] /" "$OUT/unit.out"
		record "$label $(basename "$t")" $rc "$OUT/unit.out"
	done
	"$TOP/tests/harness/pg.sh" stop "$PGDIR"
	echo "# time unit ($label): $((SECONDS - start)) s" | tee -a "$OUT/times.log"
}

# Starts a cluster for a suite; sets PGDIR, PGPORT, TT_DATABASE_URL, and
# starts both stand-ins (a suite runs every case).
start_db() {
	PGDIR=$(mktemp -d /tmp/tt-test.XXXXXX)
	cleanup_dirs+=("$PGDIR")
	start_cluster || return 1
	github_env "$(free_port)" || return 1
	start_github || return 1
	start_oidc "$(free_port)" || return 1
}

# start_cluster: PostgreSQL in PGDIR on a free port, migrated.
start_cluster() {
	PGPORT=$(free_port)
	export PGDIR PGPORT
	TT_DATABASE_URL=$("$TOP/tests/harness/pg.sh" start "$PGDIR" "$PGPORT") || return 1
	export TT_DATABASE_URL
	"$TOP/bin/ttctl" migrate >/dev/null || return 1
}

# The stand-in OIDC issuer (tests/harness/fakeoidc.py) on PORT, once per
# suite like the fake GitHub: cases create their own issuers on it
# (oidc_issuer NAME) under FAKEOIDC_URL. TT_OIDC_ALLOW_LOOPBACK=1 lets
# the programs and ttctl trust its http:// loopback URLs.
start_oidc() {
	. "$TOP/tests/harness/fakeoidc.sh"
	fakeoidc_start "$PGDIR/fakeoidc" "$1" || return 1
	TT_OIDC_ALLOW_LOOPBACK=1
	export TT_OIDC_ALLOW_LOOPBACK
}

# github_env PORT: an App key, a webhook secret and an OAuth client
# secret in PGDIR, and the TT_GITHUB_* that point every program of the
# suite at the stand-in GitHub on PORT (started by start_github, or
# never, for cases that need no GitHub).
github_env() {
	openssl genrsa -out "$PGDIR/app.pem" 2048 2>/dev/null || return 1
	openssl rand -hex 24 >"$PGDIR/webhook-secret"
	openssl rand -hex 20 >"$PGDIR/oauth-secret"
	chmod 644 "$PGDIR/app.pem" "$PGDIR/webhook-secret" "$PGDIR/oauth-secret"
	GH_PORT=$1
	TT_GITHUB_API_URL=http://127.0.0.1:$GH_PORT
	TT_GITHUB_APP_ID=4242
	TT_GITHUB_APP_PRIVATE_KEY_FILE=$PGDIR/app.pem
	TT_GITHUB_WEBHOOK_SECRET_FILE=$PGDIR/webhook-secret
	# People sign in to the API Access page through the same stand-in.
	TT_GITHUB_URL=$TT_GITHUB_API_URL
	TT_GITHUB_OAUTH_CLIENT_ID=Iv1.testclient
	TT_GITHUB_OAUTH_CLIENT_SECRET_FILE=$PGDIR/oauth-secret
	export GH_PORT TT_GITHUB_API_URL TT_GITHUB_APP_ID \
	    TT_GITHUB_APP_PRIVATE_KEY_FILE TT_GITHUB_WEBHOOK_SECRET_FILE \
	    TT_GITHUB_URL TT_GITHUB_OAUTH_CLIENT_ID \
	    TT_GITHUB_OAUTH_CLIENT_SECRET_FILE
	# Real payloads of every event type, fetched once per checkout.
	WEBHOOK_EXAMPLES=$TOP/build/webhook-examples
	"$TOP/tests/harness/webhook-examples.sh" "$WEBHOOK_EXAMPLES" >/dev/null || return 1
	export WEBHOOK_EXAMPLES
}

# start_github: the stand-in GitHub API on github_env's port.
start_github() {
	. "$TOP/tests/harness/fakegithub.sh"
	fakegh_start "$PGDIR/fakegh" "$GH_PORT"
}

# The webhook secret and the installation tokens the fake issued join
# the secrets no log may contain.
github_secrets() {
	cat "$PGDIR/webhook-secret" "$PGDIR/oauth-secret" >>"$TT_ISSUED_SECRETS"
	fakegh_tokens 2>/dev/null | jq -r '.[] | if type == "object" then .token else . end' \
	    >>"$TT_ISSUED_SECRETS" 2>/dev/null
	fakegh_oauth_tokens 2>/dev/null | jq -r '.[]' >>"$TT_ISSUED_SECRETS" 2>/dev/null
	fakegh_stop
	fakeoidc_stop
}

# matches_cases NAME: the case is one CASES names (a list of patterns;
# unset: every case).
matches_cases() {
	local p -
	[ -z "${CASES:-}" ] && return 0
	set -f	# the patterns are not file names here
	for p in $CASES; do
		# shellcheck disable=SC2254 # p is a pattern
		case $1 in $p) return 0 ;; esac
	done
	return 1
}

# run_cases SERVER BASE [DIR]: every integration case in DIR (cases/ by
# default), or those of SUBSET, against one server.
run_cases() {
	local server=$1 base=$2 dir=${3:-$TOP/tests/integration/cases} c rc start
	for c in "$dir"/*.sh; do
		# CASES='pattern ...' runs only the cases matching one of the
		# patterns (by hand); a pass may run only those named in SUBSET.
		matches_cases "$(basename "$c")" || continue
		case " ${SUBSET:-$(basename "$c")} " in
		*[[:space:]]$(basename "$c")[[:space:]]*) ;; *) continue ;; esac
		T=$(mktemp -d "$PGDIR/case.XXXXXX")
		start=$SECONDS
		BASE=$base SERVER=$server T=$T WEBDIR=$PGDIR \
		    CASE=$(basename "$c") bash "$c" >"$OUT/case.out" 2>&1
		rc=$?
		record "[$server] $(basename "$c")" $rc "$OUT/case.out"
		echo "# time [$server] $(basename "$c"): $((SECONDS - start)) s" >>"$OUT/times.log"
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
	apache-proxy)
		cat >"$f" <<CONF
ProxyPassMatch "^/echo" "unix:\${TT_SOCKDIR}/echo.sock|fcgi://tt-echo/"
<LocationMatch "^/echo">
	CGIPassAuth On
	ProxyFCGIBackendType GENERIC
</LocationMatch>
CONF
		;;
	esac
	echo "$f"
}

# openapi_tools: the npm packages tests/openapi/check.mjs needs, installed
# under build/ once per checkout; sets OPENAPI_TOOLS.
openapi_tools() {
	OPENAPI_TOOLS=$TOP/build/openapi-tools
	export OPENAPI_TOOLS
	"$TOP/tests/openapi/install.sh" "$OPENAPI_TOOLS" >"$OUT/npm.out" 2>&1 && return 0
	sed 's/^/# /' "$OUT/npm.out" | tail -20
	return 1
}

# check_document: docs/openapi.yaml (as built) is valid OpenAPI 3.1 and
# agrees with the programs' route tables.
check_document() {
	if ! openapi_tools; then
		echo "not ok - openapi: validator packages could not be installed" | tee -a "$LOG"
		return
	fi
	node "$TOP/tests/openapi/check.mjs" document "$TOP/build/openapi.json" \
	    "$TOP" >"$OUT/openapi.out" 2>&1
	record "openapi document" $? "$OUT/openapi.out"
}

# check_responses LABEL BUILD LOG: every response the cases recorded in
# one server pass, against the document that build serves (one process).
check_responses() {
	local label=$1 build=$2 log=$3
	# CASES (by hand) may leave a pass with no case at all: nothing to check.
	if [ -n "${CASES:-}" ] && [ ! -s "$log" ]; then
		echo "# [$label] no case matching CASES ran: no responses to check"
		return
	fi
	if [ -z "${OPENAPI_TOOLS:-}" ] && ! openapi_tools; then
		echo "not ok - [$label] openapi: validator packages could not be installed" | tee -a "$LOG"
		return
	fi
	node "$TOP/tests/openapi/check.mjs" responses "$build/openapi.json" \
	    "$log" "$label" >"$OUT/openapi.$label.out" 2>&1
	record "[$label] openapi responses" $? "$OUT/openapi.$label.out"
}

# serve KIND LABEL BUILD [CGIBIN]: one web server over one build's
# programs (or those in CGIBIN), all cases (or those of SUBSET). The
# configuration comes from CONFDIR (web.sh), the checkout by default.
# Every response the cases received is then checked against the OpenAPI
# document.
serve() {
	local kind=$1 label=$2 build=$3 cgibin=${4:-$3/cgi-bin} port extra
	port=$(free_port)
	extra=$(extra_conf "$kind" "$build/tests/progs")
	echo "# integration: $label on port $port, programs in $cgibin"
	if ! TESTBIN=$build/tests/progs "$TOP/tests/harness/web.sh" "$kind" start \
	    "$PGDIR" "$port" "$cgibin" "$extra" >"$OUT/web.out" 2>&1; then
		cat "$OUT/web.out"
		echo "not ok - [$label] web server failed to start" | tee -a "$LOG"
		return
	fi
	TT_RESPONSE_LOG=$PGDIR/responses.$label
	: >"$TT_RESPONSE_LOG"
	export TT_RESPONSE_LOG
	run_cases "$label" "http://127.0.0.1:$port"
	unset TT_RESPONSE_LOG
	# The browser test needs one server kind only; with CASES it runs
	# when the pattern names web or browser (CASES='web*').
	if [ "$label" = lighttpd ]; then
		case "${CASES:-all}" in all|*web*|*browser*)
			run_browser "http://127.0.0.1:$port" ;;
		esac
	fi
	check_responses "$label" "$build" "$PGDIR/responses.$label"
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

# install_copy: `make install` into a staging DESTDIR, moved to its
# run_browser BASE: the API Access page in the system's headless Chromium
# through playwright-core (npm, installed under build/ once per checkout),
# against the server at BASE and the stand-in GitHub (about 20 s; the
# lighttpd FastCGI pass only). Screenshots of each step in $OUT/browser/.
run_browser() {
	local tools=$TOP/build/browser-tools inst rc
	echo "# browser: API Access page in headless Chromium against $1"
	if [ ! -x /usr/bin/chromium ]; then
		echo "not ok - [browser] /usr/bin/chromium missing (tools/install-deps.sh)" | tee -a "$LOG"
		return
	fi
	if ! "$TOP/tests/browser/install.sh" "$tools" >"$OUT/browser-npm.out" 2>&1; then
		sed 's/^/# /' "$OUT/browser-npm.out" | tail -5
		echo "not ok - [browser] playwright-core could not be installed" | tee -a "$LOG"
		return
	fi
	inst=3$(printf '%07d%05d' "$$" "$RANDOM")
	"$TOP/bin/ttctl" installation create --id "$inst" --login browser-org >/dev/null
	rm -rf "$OUT/browser"
	timeout 120 node "$TOP/tests/browser/api-access.mjs" "$tools" "$1" \
	    "$FAKEGH_URL" "$OUT/browser" "$inst" >"$OUT/browser.out" 2>&1
	rc=$?
	record "[browser] api-access.mjs" $rc "$OUT/browser.out"
}

# PREFIX as a package manager would; the Apache passes then serve that
# copy, so the suite proves the installed layout. Sets INSTALLED.
install_copy() {
	local stage=$PGDIR/stage want got db
	INSTALLED=$PGDIR/installed
	echo "# make install into $stage, then moved to $INSTALLED"
	if ! make -C "$TOP" --no-print-directory SANITIZE=0 install \
	    DESTDIR="$stage" PREFIX="$INSTALLED" >"$OUT/install.out" 2>&1; then
		sed 's/^/# /' "$OUT/install.out"
		echo "not ok - [install] make install DESTDIR=... PREFIX=..." | tee -a "$LOG"
		return 1
	fi
	echo "ok - [install] make install DESTDIR=... PREFIX=..." | tee -a "$LOG"
	tap "[install] nothing is written outside DESTDIR" [ ! -e "$INSTALLED" ]

	# Every program, ttctl, every migration, the OpenAPI document and the
	# drop-in files, with their modes, and nothing else.
	want=$( {
		for f in "$TOP"/build/cgi-bin/*; do
			[ -f "$f" ] && [ -x "$f" ] && echo "755 lib/cgi-bin/terrateam-c/${f##*/}"
		done
		echo "755 bin/ttctl"
		for f in "$TOP"/sql/*.sql; do echo "644 share/terrateam-c/sql/${f##*/}"; done
		echo "644 share/terrateam-c/openapi.json"
		for f in "$TOP"/web/*; do echo "644 share/terrateam-c/web/${f##*/}"; done
		for f in "$TOP"/errors/*; do echo "644 share/terrateam-c/errors/${f##*/}"; done
		for f in README.md apache.conf apache-proxy-fcgi.conf lighttpd.conf; do
			echo "644 share/doc/terrateam-c/$f"
		done
	} | sort)
	got=$(cd "$stage$INSTALLED" && find . ! -type d -printf '%m %P\n' | sort)
	tap "[install] the installed files and their modes are the expected ones" \
	    [ "$got" = "$want" ]
	[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") | sed 's/^/# /'
	mv "$stage$INSTALLED" "$INSTALLED"

	# The installed ttctl finds the installed migrations by itself.
	db=tt_installed
	psql "$TT_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null 2>&1
	env -u TT_SQL_DIR TT_DATABASE_URL="$TT_DATABASE_URL dbname=$db" \
	    "$INSTALLED/bin/ttctl" migrate >"$OUT/install.out" 2>&1
	tap "[install] installed ttctl migrate, no TT_SQL_DIR, reaches schema version $SCHEMA_VERSION" \
	    grep -q "^schema version $SCHEMA_VERSION " "$OUT/install.out"
	psql "$TT_DATABASE_URL" -qc "DROP DATABASE $db" >/dev/null 2>&1
	return 0
}

# uninstall_copy: `make uninstall` leaves only the directories that are
# not the package's own.
uninstall_copy() {
	local left
	make -C "$TOP" --no-print-directory SANITIZE=0 uninstall \
	    PREFIX="$INSTALLED" >"$OUT/install.out" 2>&1
	tap "[install] make uninstall" [ $? = 0 ]
	left=$(cd "$INSTALLED" && find . -mindepth 1 -printf '%P\n' | sort | tr '\n' ' ')
	tap "[install] make uninstall removes what install put there" \
	    [ "$left" = "bin lib lib/cgi-bin share share/doc " ]
	echo "# left after make uninstall: $left"
}

# tap DESCRIPTION COMMAND...: one TAP line in the log for a check run here.
tap() {
	local d=$1
	shift
	if "$@"; then
		echo "ok - $d" | tee -a "$LOG"
	else
		echo "not ok - $d" | tee -a "$LOG"
	fi
}

# tag NAME FILE: the words of a case's "# NAME:" header line.
tag() {
	sed -n "s/^# $1: *//p" "$2" | head -1
}

# cases_for PASS: the cases whose "# passes:" line names PASS. The full
# passes (lighttpd, apache, asan) run every case; the others the cases
# that reach their own code: proxy (mod_proxy_fcgi: each route to its
# program, errors and bodies through Apache's proxy, KV keys with encoded
# slashes, the database going away under long-lived processes), cgi and
# cgi-asan (plain CGI: a process and a connection per request, the
# request from the environment and stdin, the webhook's work after its
# answer), valgrind (each program under memcheck).
cases_for() {
	local c out=
	for c in "$TOP"/tests/integration/cases/*.sh; do
		case " $(tag passes "$c") " in
		*" $1 "*) out="$out $(basename "$c")" ;;
		esac
	done
	echo "$out"
}

# run_integration [lighttpd-only]: every server pass over one database
# (make check: the lighttpd FastCGI pass only).
run_integration() {
	echo "# integration tests"
	if ! start_db; then
		echo "not ok - integration: PostgreSQL did not start" | tee -a "$LOG"
		return
	fi
	TT_ISSUED_SECRETS=$PGDIR/issued-secrets
	: >"$TT_ISSUED_SECRETS"
	export TT_ISSUED_SECRETS
	check_document
	run_cgi cgi "$TOP/build"
	SUBSET=$(cases_for lighttpd) serve lighttpd lighttpd "$TOP/build"
	if [ "${1:-}" = lighttpd-only ]; then
		github_secrets
		leak_check integration
		"$TOP/tests/harness/pg.sh" stop "$PGDIR"
		return
	fi
	serve_pair "$TOP/build"
	# Apache serves the installed copy: its programs, its error
	# documents, its apache.conf (mod_fcgid, every case) and its
	# apache-proxy-fcgi.conf (spawn-fcgi and mod_proxy_fcgi, the cases
	# tagged proxy).
	if install_copy; then
		CONFDIR=$INSTALLED/share/doc/terrateam-c SUBSET=$(cases_for apache) \
		ERRDIR=$INSTALLED/share/terrateam-c/errors \
		    serve apache apache "$TOP/build" "$INSTALLED/lib/cgi-bin/terrateam-c"
		CONFDIR=$INSTALLED/share/doc/terrateam-c SUBSET=$(cases_for proxy) \
		ERRDIR=$INSTALLED/share/terrateam-c/errors \
		    serve apache-proxy apache-proxy "$TOP/build" \
		    "$INSTALLED/lib/cgi-bin/terrateam-c"
		uninstall_copy
	fi
	SUBSET=$(cases_for cgi) serve lighttpd-cgi lighttpd-cgi "$TOP/build"
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
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SUBSET=$(cases_for asan) \
	    serve lighttpd lighttpd-asan "$TOP/build-san"
	# Plain CGI under ASan: the cases that reach each program's CGI body
	# and request reading (the FastCGI pass above ran every case).
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SUBSET=$(cases_for cgi-asan) \
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

# The programs of the valgrind pass: one lighttpd whose FastCGI programs
# run under memcheck, one process each (valgrind starts once per
# process), with the cases tagged valgrind, which together reach every
# program.
VALGRIND_PROGRAMS="health refresh access-tokens kv manifests stacks github-events work-manifests
    web-session"

# vg_lines LOG: a memcheck log without its banner, heap totals and pids.
vg_lines() {
	sed '1,/Parent PID:/d; /HEAP SUMMARY:/,/total heap usage/d
	    /^==[0-9]*== *$/d; s/^==[0-9]*== *//' "$1"
}

# valgrind_report PROGRAM LOGDIR: one TAP line from the program's memcheck
# logs (one per process; valgrind writes the summary when it exits).
valgrind_report() {
	local prog=$1 dir=$2 f bad= n=0
	for f in "$dir/$prog".*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if ! grep -q 'ERROR SUMMARY:' "$f"; then
			bad=$f; echo "# $prog: $(basename "$f") has no summary (the process did not exit)"
		elif grep -q 'Process terminating with default action' "$f"; then
			bad=$f; echo "# $prog: $(basename "$f"): killed by a signal, not a clean exit"
		elif ! grep -q 'ERROR SUMMARY: 0 errors' "$f" ||
		    grep -qE 'definitely lost: [1-9]' "$f"; then
			bad=$f
		fi
		if [ -n "$bad" ]; then
			vg_lines "$bad" | head -40 | sed 's/^/# /'
			break
		fi
	done
	if [ $n -eq 0 ]; then
		echo "not ok - valgrind $prog: no log (the program never ran)" | tee -a "$LOG"
	elif [ -n "$bad" ]; then
		echo "not ok - valgrind $prog: $(grep -h 'ERROR SUMMARY' "$bad" |
		    sed 's/^==[0-9]*== //; s/ (suppressed.*//' | head -1), first: $(vg_lines "$bad" |
		    head -2 | tr '\n' ' ')($(basename "$bad"), $n processes)" | tee -a "$LOG"
	else
		echo "ok - valgrind $prog: no errors, no definite leaks ($n processes)" | tee -a "$LOG"
	fi
}

# The release build's programs under valgrind behind lighttpd: a wrapper
# per program execs memcheck, lighttpd ends them with SIGTERM when it
# stops, and each process's log must show no error and no definite leak.
run_valgrind() {
	local vg p i pids pid start=$SECONDS
	echo "# valgrind memcheck (lighttpd, FastCGI)"
	if ! command -v valgrind >/dev/null; then
		echo "not ok - valgrind is not installed" | tee -a "$LOG"
		return
	fi
	if ! start_db; then
		echo "not ok - valgrind: PostgreSQL did not start" | tee -a "$LOG"
		return
	fi
	TT_ISSUED_SECRETS=$PGDIR/issued-secrets
	: >"$TT_ISSUED_SECRETS"
	export TT_ISSUED_SECRETS
	vg=$PGDIR/valgrind
	mkdir -p "$vg/cgi-bin" "$vg/log" "$vg/tests"
	ln -s "$TOP/build/tests/progs" "$vg/tests/progs"
	for p in $VALGRIND_PROGRAMS; do
		cat >"$vg/cgi-bin/$p" <<WRAP
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --vgdb=no --log-file="$vg/log/$p.%p" "$TOP/build/cgi-bin/$p" "\$@"
WRAP
		chmod 755 "$vg/cgi-bin/$p"
	done
	[ "$(id -u)" -eq 0 ] && chown www-data:www-data "$vg/log"
	# The response check reads the document next to the programs.
	ln -s "$TOP/build/openapi.json" "$vg/openapi.json"
	SUBSET=$(cases_for valgrind) TT_MAX_PROCS=1 serve lighttpd valgrind "$vg"

	# lighttpd has sent SIGTERM; memcheck's leak search takes a while.
	pids=$(ls "$vg/log" | sed 's/.*\.//')
	for i in $(seq 1 120); do
		for pid in $pids; do
			kill -0 "$pid" 2>/dev/null && break
			pid=
		done
		[ -z "$pid" ] && break
		sleep 0.5
	done
	for pid in $pids; do
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	done
	for p in $VALGRIND_PROGRAMS; do
		valgrind_report "$p" "$vg/log"
	done
	github_secrets
	leak_check valgrind
	"$TOP/tests/harness/pg.sh" stop "$PGDIR"
	echo "# valgrind pass: $((SECONDS - start)) s"
}

# run_database [NAME ...]: the cases of tests/integration/database/ (all,
# or those named; CASES patterns apply too). Each gets the build in BUILD
# and an empty directory T of its own, starts the PostgreSQL clusters,
# stand-ins and web server it needs there, and stops them before it ends
# (tests/harness/dbcase.sh); T goes when the case passed.
run_database() {
	local c rc start names=" $* " t
	echo "# database topologies"
	for c in "$TOP"/tests/integration/database/*.sh; do
		[ -f "$c" ] || continue
		matches_cases "$(basename "$c")" || continue
		[ "$names" = "  " ] || case $names in
			*" $(basename "$c")"*|*" $(basename "$c" .sh) "*) ;;
			*) continue ;;
		esac
		t=$(mktemp -d /tmp/tt-db.XXXXXX)
		[ "$(id -u)" -eq 0 ] && chmod 755 "$t"
		start=$SECONDS
		BUILD=$TOP/build T=$t CASE=$(basename "$c") SERVER=database \
		    timeout -k 10 600 bash "$c" >"$OUT/database.out" 2>&1
		rc=$?
		[ $rc = 124 ] && echo "not ok - [database] $(basename "$c") still running after 600 s: stopped" >>"$OUT/database.out"
		record "[database] $(basename "$c")" $rc "$OUT/database.out"
		# Its clusters are stopped (dbcase.sh); a failing case keeps
		# its directory for a look.
		if [ $rc = 0 ] && ! grep -q '^not ok' "$OUT/database.out"; then
			rm -rf "$t"
		else
			echo "# kept for a look: $t"
		fi
		echo "# time [database] $(basename "$c"): $((SECONDS - start)) s" | tee -a "$OUT/times.log"
	done
}

# The database lane alongside the sanitizer and valgrind passes (its
# cases mostly wait: for a promotion, a leader key to expire, a dead
# host's connect_timeout), into a directory of its own; database_wait
# adds its results to the suite's.
database_start() {
	echo "# database topologies (alongside the next passes)"
	mkdir -p "$OUT/database"
	( OUT=$OUT/database LOG=$OUT/database/tap.log
	  : >"$LOG"; : >"$OUT/failures.log"; : >"$OUT/times.log"
	  run_database ) >"$OUT/database/stdout" 2>&1 &
	DATABASE_PID=$!
}

database_wait() {
	wait "$DATABASE_PID"
	cat "$OUT/database/stdout"
	cat "$OUT/database/tap.log" >>"$LOG"
	cat "$OUT/database/failures.log" >>"$OUT/failures.log"
	cat "$OUT/database/times.log" >>"$OUT/times.log"
	# A lane that died before its cases reported is a failure.
	grep -q '^# time \[database\]' "$OUT/database/times.log" ||
	    echo "not ok - database lane: no case finished" | tee -a "$LOG"
}

run_fuzz() {
	echo "# fuzz targets (short runs)"
	"$TOP/tests/fuzz/run.sh" "${FUZZ_SECONDS:-10}" >"$OUT/fuzz.out" 2>&1
	record fuzz $? "$OUT/fuzz.out"
}

# The fuzz targets, at the lowest priority on one core, while the server
# passes run (they wait on the network and the database more than they
# compute); fuzz_wait records them.
fuzz_start() {
	echo "# fuzz targets (short runs, alongside the server passes)"
	FUZZ_JOBS=1 nice -n 19 "$TOP/tests/fuzz/run.sh" "${FUZZ_SECONDS:-10}" \
	    >"$OUT/fuzz.out" 2>&1 &
	FUZZ_PID=$!
}

fuzz_wait() {
	local rc
	wait "$FUZZ_PID"
	rc=$?
	record fuzz $rc "$OUT/fuzz.out"
}

run_lint() {
	echo "# lint"
	"$TOP/tools/lint.sh" >"$OUT/lint.out" 2>&1
	record lint $? "$OUT/lint.out"
}

# --- One case in seconds (tests/run.sh case NAME [--server KIND]). ---
# The environment lives in build/case-env/: a cluster, the stand-ins the
# cases asked for so far (on ports chosen when it was made, so a stand-in
# started later needs no server restart), and one web server, restarted
# when another kind is asked for or the programs were rebuilt. env holds
# what a case needs to know, sourced by each call.
CASE_ENV=$TOP/build/case-env

case_env_save() {
	{
		for v in PGDIR PGPORT TT_DATABASE_URL GH_PORT OIDC_PORT \
		    TT_GITHUB_API_URL TT_GITHUB_APP_ID TT_GITHUB_APP_PRIVATE_KEY_FILE \
		    TT_GITHUB_WEBHOOK_SECRET_FILE TT_GITHUB_URL \
		    TT_GITHUB_OAUTH_CLIENT_ID TT_GITHUB_OAUTH_CLIENT_SECRET_FILE \
		    TT_OIDC_ALLOW_LOOPBACK WEBHOOK_EXAMPLES; do
			printf 'export %s=%q\n' "$v" "${!v}"
		done
	} >"$CASE_ENV/env"
}

# case_web_stop: the environment's web servers, if any.
case_web_stop() {
	local f kind port
	for f in "$CASE_ENV"/web.*.state; do
		[ -f "$f" ] || continue
		read -r kind port _ <"$f"
		"$TOP/tests/harness/web.sh" "$kind" stop "${f%.state}" "$port" \
		    >/dev/null 2>&1
		rm -rf "${f%.state}"/*/sock "$f"
	done
}

case_stop() {
	[ -d "$CASE_ENV" ] || return 0
	case_web_stop
	[ -f "$CASE_ENV/env" ] && . "$CASE_ENV/env"
	for f in "$CASE_ENV"/fake*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "${PGDIR:-}" ] && [ -d "$PGDIR/data" ] &&
	    "$TOP/tests/harness/pg.sh" stop "$PGDIR" >/dev/null 2>&1
	rm -rf "$CASE_ENV"
	echo "# case environment stopped"
}

# case_stand_in NAME: the stand-in running (github or oidc); 1 when it was
# started now.
case_stand_in() {
	local pidf=$CASE_ENV/fake$1.pid
	[ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null && return 0
	case $1 in
	github)
		start_github >/dev/null || return 2
		echo "$FAKEGH_PID" >"$pidf" ;;
	oidc)
		start_oidc "$OIDC_PORT" >/dev/null || return 2
		echo "$FAKEOIDC_PID" >"$pidf" ;;
	*)	echo "# unknown stand-in $1" >&2; return 2 ;;
	esac
	return 1
}

# case_web NAME KIND BUILD: the web server NAME (web.a, web.b) of KIND
# over BUILD's programs, started unless it already runs them; sets PORT.
case_web() {
	local f=$CASE_ENV/$1.state kind=$2 build=$3 port stamp
	stamp=$CASE_ENV/$1/stamp
	if [ -f "$f" ]; then
		read -r k port b <"$f"
		if [ "$k" = "$kind" ] && [ "$b" = "$build" ] &&
		    [ -z "$(find "$build/cgi-bin" -newer "$stamp" -type f 2>/dev/null | head -1)" ] &&
		    curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then
			PORT=$port
			return 0
		fi
		"$TOP/tests/harness/web.sh" "$k" stop "$CASE_ENV/$1" "$port" >/dev/null 2>&1
		rm -rf "$CASE_ENV/$1"/*/sock "$f"
	fi
	port=$(free_port)
	mkdir -p "$CASE_ENV/$1"
	touch "$stamp"
	if ! TESTBIN=$build/tests/progs "$TOP/tests/harness/web.sh" "$kind" start \
	    "$CASE_ENV/$1" "$port" "$build/cgi-bin" \
	    "$(cd "$CASE_ENV" && PGDIR=$CASE_ENV/$1 extra_conf "$kind" "$build/tests/progs")" \
	    >"$CASE_ENV/$1.out" 2>&1; then
		cat "$CASE_ENV/$1.out" >&2
		return 1
	fi
	echo "$kind $port $build" >"$f"
	PORT=$port
}

run_one_case() {
	local name= server=lighttpd file needs n kind build label restart=0 rc
	local start=$SECONDS
	while [ $# -gt 0 ]; do
		case $1 in
		--stop) case_stop; return 0 ;;
		--server) server=${2:-}; shift ;;
		--server=*) server=${1#--server=} ;;
		*) name=$1 ;;
		esac
		shift
	done
	file=$TOP/tests/integration/cases/${name%.sh}.sh
	[ -f "$file" ] || file=$TOP/tests/integration/two-servers/${name%.sh}.sh
	if [ -z "$name" ] || [ ! -f "$file" ]; then
		echo "usage: tests/run.sh case NAME [--server lighttpd|apache|proxy|cgi|asan]" >&2
		echo "       (NAME: a file of tests/integration/cases/ or two-servers/)" >&2
		return 2
	fi
	# The labels are the suite's, which some cases look at.
	case $server in
	lighttpd)	kind=lighttpd build=$TOP/build label=lighttpd ;;
	apache)		kind=apache build=$TOP/build label=apache ;;
	proxy)		kind=apache-proxy build=$TOP/build label=apache-proxy ;;
	cgi)		kind=lighttpd-cgi build=$TOP/build label=lighttpd-cgi ;;
	asan)		kind=lighttpd build=$TOP/build-san label=lighttpd-asan
			export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
			export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;;
	*)	echo "unknown server $server" >&2; return 2 ;;
	esac
	[ -x "$build/cgi-bin/health" ] || { echo "# build first: make$( [ "$server" = asan ] && echo ' SANITIZE=1')" >&2; return 2; }

	mkdir -p "$CASE_ENV"
	[ -f "$CASE_ENV/env" ] && . "$CASE_ENV/env"
	if [ -z "${PGDIR:-}" ] || ! psql "${TT_DATABASE_URL:-x}" -Atqc 'SELECT 1' >/dev/null 2>&1; then
		# A new environment (or its cluster died): everything afresh.
		case_web_stop
		rm -rf "$CASE_ENV"/pg "$CASE_ENV"/fake*.pid
		PGDIR=$CASE_ENV/pg
		mkdir -p "$PGDIR"
		start_cluster || { echo "not ok - PostgreSQL did not start"; return 1; }
		github_env "$(free_port)" || return 1
		OIDC_PORT=$(free_port)
		TT_OIDC_ALLOW_LOOPBACK=1
		export OIDC_PORT TT_OIDC_ALLOW_LOOPBACK
		case_env_save
	fi
	export FAKE_PARENT_PID=0
	needs=$(tag needs "$file")
	for n in $needs; do
		[ "$n" = - ] && continue
		case_stand_in "$n"
		case $? in 1) ;; 2) echo "not ok - the $n stand-in did not start"; return 1 ;; esac
	done
	. "$TOP/tests/harness/fakegithub.sh"
	. "$TOP/tests/harness/fakeoidc.sh"
	FAKEGH_URL=$TT_GITHUB_API_URL FAKEGH_DIR=$PGDIR/fakegh
	FAKEOIDC_URL=http://127.0.0.1:$OIDC_PORT
	export FAKEGH_URL FAKEGH_DIR FAKEOIDC_URL

	if ! case_web web.a "$kind" "$build"; then
		echo "not ok - [$label] web server failed to start"
		return 1
	fi
	BASE=http://127.0.0.1:$PORT
	if [ "$(tag passes "$file")" = pair ]; then
		label=two-servers
		if ! case_web web.b lighttpd "$build"; then
			echo "not ok - [$label] second web server failed to start"
			return 1
		fi
		export BASE2=http://127.0.0.1:$PORT
	fi
	echo "# $(basename "$file") against $server at $BASE (environment: build/case-env, ready in $((SECONDS - start)) s)"
	T=$(mktemp -d "$CASE_ENV/case.XXXXXX")
	# A case that runs once per suite (its marker in PGDIR) runs each time.
	rm -f "$PGDIR"/*.ran
	BASE=$BASE SERVER=$label T=$T WEBDIR=$CASE_ENV/web.a \
	    CASE=$(basename "$file") bash "$file" >"$OUT/case.out" 2>&1
	rc=$?
	record "[$label] $(basename "$file")" $rc "$OUT/case.out"
	rm -rf "$T"
	if [ "$server" = asan ]; then
		if grep -rqE 'AddressSanitizer|LeakSanitizer|runtime error:' \
		    "$CASE_ENV/web.a" 2>/dev/null; then
			grep -rhE -A20 'AddressSanitizer|LeakSanitizer|runtime error:' \
			    "$CASE_ENV/web.a" | head -40 | sed 's/^/# /'
			echo "not ok - [$label] sanitizers reported errors" | tee -a "$LOG"
		else
			echo "ok - [$label] sanitizers reported nothing" | tee -a "$LOG"
		fi
	fi
	pass=$(grep -cE '^ok( |$)' "$LOG")
	fail=$(grep -cE '^not ok( |$)' "$LOG")
	echo "# $((SECONDS - start)) s; the environment stays up (tests/run.sh case --stop ends it)"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

case $suite in
lint)		run_lint ;;
unit)		run_unit "$TOP/build" unit ;;
integration)	run_integration ;;
sanitize)	run_sanitize ;;
fuzz)		run_fuzz ;;
valgrind)	run_valgrind ;;
database)	shift; run_database "$@" ;;
case)		shift; run_one_case "$@"; exit $? ;;
check)
	run_lint
	run_unit "$TOP/build" unit
	run_integration lighttpd-only
	;;
all)
	run_lint
	run_unit "$TOP/build" unit
	fuzz_start
	run_integration
	database_start
	run_sanitize
	run_valgrind
	database_wait
	fuzz_wait
	;;
*)	echo "usage: tests/run.sh all|check|unit|integration|sanitize|valgrind|fuzz|lint|database" >&2
	echo "       tests/run.sh case NAME [--server lighttpd|apache|proxy|cgi|asan] | case --stop" >&2
	exit 2 ;;
esac

pass=$(grep -cE '^ok( |$)' "$LOG")
fail=$(grep -cE '^not ok( |$)' "$LOG")
# Every failure, then its diagnostics (at most 40 lines in all), last.
grep -E '^not ok' "$LOG" | sed 's/^/# FAILED: /'
if [ -s "$OUT/failures.log" ]; then
	echo "# what the failing checks printed around them:"
	head -40 "$OUT/failures.log" | sed 's/^/# | /'
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
