#!/bin/bash
# openapi.sh: GET /api/v1/openapi.json serves the document the build made
# from docs/openapi.yaml, cacheable and revalidated by its ETag.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

http GET /api/v1/openapi.json
check "the document answers 200" status_is 200
check "it is JSON" header_matches Content-Type '^application/json'
check "it is OpenAPI 3.1" json_is .openapi 3.1.0
check "it is the document the build made from docs/openapi.yaml" \
    test "$(jq -cS . "$T/body")" = "$(jq -cS . "$TOP/build/openapi.json")"
check "it documents itself" json_is '.paths | has("/api/v1/openapi.json")' true
check "it may be cached for five minutes" header_matches Cache-Control '^public, max-age=300$'
check "it carries nosniff and a request id" sh -c \
    'grep -qi "^X-Content-Type-Options: nosniff" "$1" && grep -qi "^X-Request-Id: " "$1"' - "$T/hdrs"
etag=$(header ETag)
check "it has a strong ETag" header_matches ETag '^"[0-9a-f]{32}"$'

http GET /api/v1/openapi.json -H "If-None-Match: $etag"
check "If-None-Match with its ETag is a 304" status_is 304
check "... without a body" test ! -s "$T/body"
http GET /api/v1/openapi.json -H 'If-None-Match: "0123"'
check "another ETag gets the document" status_is 200

http POST /api/v1/openapi.json -H 'Content-Length: 0'
check "POST is a JSON 405" error_is 405 METHOD_NOT_ALLOWED
check "... allowing GET" header_matches Allow '^GET$'
http GET /api/v1/openapi.yaml
check "other names under /api/v1 stay a JSON 404" error_is 404 NOT_FOUND
