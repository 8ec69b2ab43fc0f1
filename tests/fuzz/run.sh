#!/bin/bash
# run.sh: builds the libFuzzer targets and runs each for a short time.
# SPDX-License-Identifier: MIT
#   tests/fuzz/run.sh [SECONDS]		(default 10 seconds per target)
# One TAP line per target on stdout; everything else is a '#' comment.
# Binaries, scratch corpora, logs and crashing inputs go to build/fuzz/;
# the committed corpus in tests/fuzz/corpus/ is only read.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
case $secs in
''|*[!0-9]*)
	echo "usage: tests/fuzz/run.sh [SECONDS]" >&2
	exit 2
	;;
esac

TARGETS="json route url content_length token cursor kv tagquery ghsig ghname yaml stacks apikey oidc cookie audit clientaddr runner"
# The lib modules the targets reach, directly or through each other.
LIB="apikey arena audit buf clientaddr clock config crypto db dbcancel dbpipe ghauth github ghinst ghpull ghtext runner dispatch ghcomment ghsig http json kv ledger log page route stacks stackstate tagquery token url valid websession yaml jwk jwks oidc"
CC=${FUZZ_CC:-clang}
OUT=$TOP/build/fuzz
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=undefined -fno-omit-frame-pointer -std=c11 \
-D_GNU_SOURCE -iquote $TOP/lib $(pkg-config --cflags libpq libcjson 2>/dev/null)"
LIBS="$(pkg-config --libs libcjson libcrypto libpq libcurl yaml-0.1 zlib 2>/dev/null || \
    echo -lcjson -lcrypto -lpq -lcurl -lyaml -lz) -lm"
failed=0

# comment FILE: the last lines of a log, as TAP comments.
comment() {
	tail -n "${2:-20}" "$1" | sed 's/^/# /'
}

mkdir -p "$OUT/obj" || exit 1
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}

# build_obj MODULE: one library object, with the targets' instrumentation.
build_obj() {
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -c -o "$OUT/obj/$1.o" "$TOP/lib/$1.c" \
	    >"$OUT/obj/$1.log" 2>&1; then
		echo "# could not compile lib/$1.c:"
		comment "$OUT/obj/$1.log"
		return 1
	fi
}

# run_target NAME: builds and runs one target; prints its TAP lines and
# returns non-zero on a failure.
run_target() {
	t=$1
	bin=$OUT/fuzz_$t
	log=$OUT/fuzz_$t.log
	work=$OUT/work/$t
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -o "$bin" "$TOP/tests/fuzz/fuzz_$t.c" $objs $LIBS \
	    >"$log" 2>&1; then
		comment "$log"
		echo "not ok - fuzz $t: build failed"
		return 1
	fi

	# A scratch copy of the seeds, so new inputs stay out of git.
	rm -rf "$work"
	mkdir -p "$work"
	if [ -d "$TOP/tests/fuzz/corpus/$t" ]; then
		cp "$TOP/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null
	fi
	dict=
	if [ -f "$TOP/tests/fuzz/$t.dict" ]; then
		dict=-dict=$TOP/tests/fuzz/$t.dict
	fi
	stamp=$OUT/fuzz_$t.stamp
	: >"$stamp"

	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	    "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$OUT/fuzz_$t-" $dict \
	    "$work" >"$log" 2>&1 </dev/null
	rc=$?
	found=$(find "$OUT" -maxdepth 1 -type f -name "fuzz_$t-*" \
	    -newer "$stamp" 2>/dev/null)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "# fuzz $t: ${runs:-?} inputs in ${secs}s, exit status $rc"
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		comment "$log" 30
		for f in $found; do
			echo "# input written to $f"
		done
		echo "not ok - fuzz $t ${secs}s: exit status $rc"
		return 1
	fi
	echo "ok - fuzz $t ${secs}s"
}

# in_parallel FUNCTION ITEMS...: FUNCTION on each item, JOBS at a time
# (the targets are independent; each runs for the whole SECONDS, so two
# cores halve the wall time). Each item's output goes to
# build/fuzz/ITEM.FUNCTION.out, printed in ITEMS order afterwards;
# returns non-zero when any call failed.
in_parallel() {
	fn=$1
	shift
	running=0
	for it in "$@"; do
		( "$fn" "$it" >"$OUT/$it.$fn.out" 2>&1; echo $? >"$OUT/$it.$fn.rc" ) &
		running=$((running + 1))
		if [ $running -ge "$JOBS" ]; then
			wait -n 2>/dev/null || wait
			running=$((running - 1))
		fi
	done
	wait
	bad=0
	for it in "$@"; do
		cat "$OUT/$it.$fn.out"
		[ "$(cat "$OUT/$it.$fn.rc" 2>/dev/null)" = 0 ] || bad=1
	done
	return $bad
}

# The library, once, with the same instrumentation as the targets.
objs=
for m in $LIB; do
	objs="$objs $OUT/obj/$m.o"
done
# shellcheck disable=SC2086
if ! in_parallel build_obj $LIB; then
	for t in $TARGETS; do
		echo "not ok - fuzz $t: the library did not build"
	done
	exit 1
fi

# shellcheck disable=SC2086
in_parallel run_target $TARGETS || failed=1

exit $failed
