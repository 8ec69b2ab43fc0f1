#!/bin/sh
# fastcgi-process.sh: one FastCGI process (spawn-fcgi, driven with cgi-fcgi)
# answers many requests in a row, good and bad, and stays the same process:
# per-request state is reset and nothing a client sends kills it.
. "$TOP/tests/harness/lib.sh"

sock=$T/echo.sock
spawn-fcgi -s "$sock" -P "$T/pid" -- "$BIN/tests/progs/echo" >/dev/null 2>&1
pid=$(cat "$T/pid" 2>/dev/null)
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

fcgi() {
	env -i REQUEST_METHOD="$1" REQUEST_URI="$2" CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(printf '%s' "$3" | wc -c)" \
	    cgi-fcgi -bind -connect "$sock" >"$T/out" 2>/dev/null <<BODY
$3
BODY
	sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$T/out"
}

good=0; bad=0; n=0
while [ $n -lt 40 ]; do
	[ "$(fcgi POST /echo "{\"n\":$n}")" = 200 ] && good=$((good + 1))
	[ "$(fcgi POST /echo '{"n":')" = 400 ] && bad=$((bad + 1))
	n=$((n + 1))
done
check "40 good requests in one process answer 200" [ $good = 40 ]
check "40 malformed requests in the same process answer 400" [ $bad = 40 ]
check "the FastCGI process is still the same one" kill -0 "$pid"
kill "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM ends the FastCGI process" sh -c "! kill -0 $pid 2>/dev/null"
