#!/bin/sh
# healthz.sh: GET /healthz reports the database and schema version.
# passes: lighttpd apache asan proxy cgi cgi-asan valgrind
# needs: -
. "$TOP/tests/harness/lib.sh"

http GET /healthz
check "healthz answers 200" status_is 200
check "healthz reports status ok" json_is .status ok
check "healthz reports database ok" json_is .database ok
check "healthz reports the schema version" json_is .schema_version "$SCHEMA_VERSION"
check "healthz carries the standard headers" std_headers

http GET /healthz -H 'X-Request-Id: trace-abc.123'
check "a sane X-Request-Id is echoed" header_matches X-Request-Id '^trace-abc\.123$'
http GET /healthz -H 'X-Request-Id: bad id<script>'
check "an unsafe X-Request-Id is replaced" header_matches X-Request-Id '^[0-9a-f]{24}$'
