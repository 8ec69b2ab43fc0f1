#!/bin/sh
# routing-errors.sh: unknown paths and wrong methods get JSON 404/405.
# passes: lighttpd apache asan proxy cgi cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

http GET /api/v1/no/such/path
check "unknown API path is a JSON 404" error_is 404 NOT_FOUND
check "404 carries the standard headers" std_headers

http GET /api/
check "the bare /api/ prefix is a JSON 404" error_is 404 NOT_FOUND
http GET '/api/v1/%zz'
# Apache refuses it itself (400); lighttpd passes it on and the program
# answers 404: either way a client error, never a 5xx.
check "a malformed escape in an API path is a 400 or 404" \
    sh -c '[ "$1" = 400 ] || [ "$1" = 404 ]' - "$STATUS"

http DELETE /healthz
check "wrong method is a JSON 405" error_is 405 METHOD_NOT_ALLOWED
check "405 names the allowed methods" header_matches Allow '^GET$'

http PUT /echo -H 'Content-Type: application/json' --data-binary '{}'
check "PUT on a POST+PUT route is accepted" status_is 200
http GET /echo
check "GET on a POST/PUT-only path lists both in Allow" header_matches Allow '^POST, PUT$'
