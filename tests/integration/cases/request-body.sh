#!/bin/sh
# request-body.sh: JSON bodies are checked before any handler runs.
# passes: lighttpd apache asan proxy cgi cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

post() { http POST /echo -H 'Content-Type: application/json' --data-binary "$@"; }

post '{"a":[1,2,{"b":"c"}]}'
check "a valid body reaches the handler" json_is .body.a[2].b c

post '{"a":1'
check "truncated JSON is a 400" error_is 400 INVALID_JSON
post '{}garbage'
check "trailing garbage is a 400" error_is 400 INVALID_JSON
post '{"a":1,"a":2}'
check "duplicate member names are a 400" error_is 400 INVALID_JSON
post '{"a":"x\u0000y"}'
check "the \\u0000 escape is a 400" error_is 400 INVALID_JSON
post '[1e400]'
check "a number out of double range is a 400" error_is 400 INVALID_JSON
printf '{"a":"\377"}' >"$T/bad-utf8"
post @"$T/bad-utf8"
check "invalid UTF-8 is a 400" error_is 400 INVALID_JSON
deep=$(printf '%065d' 0 | tr 0 '['; printf '%065d' 0 | tr 0 ']')
post "$deep"
check "nesting deeper than 64 is a 400" error_is 400 INVALID_JSON
ok64=$(printf '%064d' 0 | tr 0 '['; printf '%064d' 0 | tr 0 ']')
post "$ok64"
check "nesting of exactly 64 is accepted" status_is 200

http POST /echo -H 'Content-Type: text/plain' --data-binary '{}'
check "a non-JSON content type is a 415" error_is 415 UNSUPPORTED_MEDIA_TYPE
http POST /echo -H 'Content-Type: application/json; charset=utf-8' --data-binary '{}'
check "application/json with a charset is accepted" status_is 200

head -c 4097 /dev/zero | tr '\0' ' ' >"$T/big"
post @"$T/big"
check "a body over the route's limit is a 413" error_is 413 PAYLOAD_TOO_LARGE

http POST /echo -H 'Content-Type: application/json' -H 'Content-Length: 0'
check "an empty body is a 400" error_is 400 INVALID_JSON

# --- A leading byte order mark (U+FEFF): cJSON alone would skip it and
# the stored text would then fail later with an unrelated message. ---
user=$(new_user)
new_installation; add_member "$INST" "$user"
new_token "$user" kv_store_read kv_store_write access_token_create; tok=$TOKEN
printf '\357\273\277{"data":"bom"}' >"$T/bom-kv"
kv_json PUT "$tok" "$INST/key/bom" @"$T/bom-kv"
check "a KV PUT body starting with a byte order mark is a 400" \
    fails_with 400 INVALID_JSON
check "... that names the byte order mark" \
    body_matches 'byte order mark \(U\+FEFF\)'
kv GET "$tok" "$INST/key/bom"
check "... and nothing was stored" fails_with 404 NOT_FOUND
printf '\357\273\277{"name":"bom","capabilities":["kv_store_read"]}' >"$T/bom-key"
http POST /api/v1/github/access-token -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' --data-binary @"$T/bom-key"
check "a key creation body starting with a byte order mark is a 400" \
    fails_with 400 INVALID_JSON
check "... that names the byte order mark" \
    body_matches 'byte order mark \(U\+FEFF\)'
tail -c +4 "$T/bom-kv" >"$T/no-bom-kv"
kv_json PUT "$tok" "$INST/key/bom" @"$T/no-bom-kv"
check "the same KV body without the mark is a 200" status_is 200

# --- Body limits per route (SECURITY.md threat 12). The web server caps
# each route at its program's limit (1 MiB, TT_MAX_BODY_BYTES; 25 MiB for
# the webhook) and answers a body one byte over with its own JSON 413,
# before the program sees any of it. ---
case $SERVER in
lighttpd-cgi*) logs=${WEBDIR:-$PGDIR}/lighttpd-cgi/log ;;
lighttpd*) logs=${WEBDIR:-$PGDIR}/lighttpd/log ;;
apache-proxy*) logs=${WEBDIR:-$PGDIR}/apache-proxy/log ;;
apache*) logs=${WEBDIR:-$PGDIR}/apache/log ;;
esac
# logged RID: a program logged a request with this X-Request-Id (each
# logs one line per request, after its answer: wait_logged waits 5 s).
logged() { grep -rqs -- "rid=$1 " "$logs"; }
wait_logged() {
	_wl=0
	while ! logged "$1" && [ $_wl -lt 50 ]; do sleep 0.1; _wl=$((_wl + 1)); done
	logged "$1"
}
not_logged() {
	logged "$1" || return 0
	echo "# a program logged request $1: $(grep -rhs -- "rid=$1 " "$logs" | head -1)"
	return 1
}
# by_web_server: the answer came from the web server itself (the
# programs set X-Request-Id on every answer).
by_web_server() {
	[ -z "$(header X-Request-Id)" ] && return 0
	echo "# answered by a program: X-Request-Id $(header X-Request-Id)"
	return 1
}
# body FILE N: a KV PUT body of exactly N bytes, {"data":"xxx..."}.
body() { { printf '{"data":"'; head -c $(($2 - 11)) /dev/zero | tr '\0' x; printf '"}'; } >"$1"; }
rid=bl$$x$RANDOM

body "$T/kv-max" 1048576
kv_json PUT "$tok" "$INST/key/big" @"$T/kv-max" -H "X-Request-Id: $rid-max"
check "a KV PUT body of exactly 1 MiB (the largest value it can carry) is a 200" \
    status_is 200
check "... and reached the program (its log has the request)" wait_logged "$rid-max"
kv GET "$tok" "$INST/size/key/big"
check "... which stored all 1048567 bytes of the value" json_is .size 1048567

body "$T/kv-over" 1048577
kv_json PUT "$tok" "$INST/key/big" @"$T/kv-over" -H "X-Request-Id: $rid-over"
check "a KV PUT body of 1 MiB + 1 byte is a JSON 413" \
    error_is 413 PAYLOAD_TOO_LARGE
check "... from the web server itself" by_web_server
head -c 2097152 /dev/zero >"$T/kv-2m"
kv_json PUT "$tok" "$INST/key/big" @"$T/kv-2m" -H "X-Request-Id: $rid-2m"
check "a KV PUT body of 2 MiB is a JSON 413" error_is 413 PAYLOAD_TOO_LARGE
check "... from the web server itself" by_web_server
kv_json PUT "$tok" "$INST/key/big" @"$T/kv-over" -H "X-Request-Id: $rid-chunked" \
    -H 'Transfer-Encoding: chunked'
case $SERVER in
apache-proxy*)
	# mod_proxy_fcgi streams a chunked body on without CONTENT_LENGTH,
	# and the programs refuse a body of unknown length unread.
	check "a chunked KV PUT body is refused unread (411)" \
	    fails_with 411 LENGTH_REQUIRED ;;
*)
	# lighttpd counts it as it comes; under mod_fcgid, LimitRequestBody
	# stops it and the program gets the part read, over its limit.
	check "a chunked KV PUT body of 1 MiB + 1 byte is a JSON 413" \
	    error_is 413 PAYLOAD_TOO_LARGE ;;
esac

head -c 26214401 /dev/zero >"$T/hook-over"
http POST /api/github/v1/events -H 'Content-Type: application/json' \
    -H "X-Request-Id: $rid-hook-over" --data-binary @"$T/hook-over"
check "a webhook body of 25 MiB + 1 byte is a JSON 413" \
    error_is 413 PAYLOAD_TOO_LARGE
check "... from the web server itself" by_web_server
case $SERVER in
apache-proxy*) ;;	# no chunked bodies there (above)
*)
	http POST /api/github/v1/events -H 'Content-Type: application/json' \
	    -H 'Transfer-Encoding: chunked' --data-binary @"$T/hook-over"
	# Under mod_fcgid this needs FcgidMaxRequestLen above the webhook's
	# LimitRequestBody, or mod_fcgid's own HTML 500 comes first.
	check "a chunked webhook body of 25 MiB + 1 byte is a JSON 413" \
	    error_is 413 PAYLOAD_TOO_LARGE ;;
esac
head -c 26214400 "$T/hook-over" >"$T/hook-max"
http POST /api/github/v1/events -H 'Content-Type: application/json' \
    -H "X-Request-Id: $rid-hook-max" --data-binary @"$T/hook-max"
check "a webhook body of exactly 25 MiB reaches the program (401: not signed)" \
    fails_with 401 UNAUTHORIZED
rm -f "$T/hook-over" "$T/hook-max"

# The programs log after answering: once a later request is in the log,
# a refused one would be there too had any program seen it.
http GET /healthz -H "X-Request-Id: $rid-last"
check "a later request is in the programs' log" wait_logged "$rid-last"
for r in over 2m hook-over; do
	check "the refused body ($r) never reached a program" not_logged "$rid-$r"
done
