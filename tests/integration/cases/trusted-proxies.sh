#!/bin/bash
# trusted-proxies.sh: behind a load balancer every request comes from the
# balancer's address. Only a peer listed in TT_TRUSTED_PROXIES (the suite
# sets 127.0.0.9) may name its client in X-Forwarded-For (the rightmost
# entry it did not add itself); the address bucket and the audit trail
# then count each client apart, so one client's refused credentials
# never lock out the others behind the same balancer, and anyone else's
# X-Forwarded-For is ignored.
# passes: lighttpd apache asan proxy cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

PROXY=127.0.0.9
q() { psql "$TT_DATABASE_URL" -Atc "$1"; }

# via FROM XFF CREDENTIAL: a refresh sent from FROM with X-Forwarded-For.
via() {
	http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
	    -H "Authorization: Bearer $3" ${2:+-H "X-Forwarded-For: $2"} \
	    --interface "$1"
}
# audited ADDR: the refresh rows recorded with ADDR as source.
audited() { q "SELECT count(*) FROM audit_events WHERE source_address = '$1'"; }

# Documentation addresses (RFC 5737), different each run of the case.
n=$((RANDOM % 200 + 20))
A=198.51.100.$n B=203.0.113.$n C=192.0.2.$n
unknown=$(unknown_key)
user=$(new_user)
new_key "$user" kv_store_read; good=$KEY

# --- Through the trusted proxy: the client from X-Forwarded-For. ---
via "$PROXY" "$A" "$unknown"
check "a refused key through the proxy is a 401" unauth_is 'unknown'
check "its audit row names the client, not the proxy" test "$(audited "$A")" = 1
via "$PROXY" "10.9.8.7, $B" "$unknown"
check "the rightmost entry the proxy added is the client ($B)" \
    test "$(audited "$B")" = 1
check "the entry the client made up itself counts for nothing" \
    test "$(audited 10.9.8.7)" = 0
via "$PROXY" "[2001:DB8::${n}]:4711" "$unknown"
check "an IPv6 client with a port is recorded in canonical form" \
    test "$(audited "2001:db8::$n")" = 1

# --- One client's refused credentials lock out that client only. ---
for i in $(seq 1 35); do via "$PROXY" "$A" "$unknown"; done
check "client A, past its 30 refused credentials, gets a 429" \
    fails_with 429 RATE_LIMITED
via "$PROXY" "$C" "$unknown"
check "client C behind the same proxy still gets its 401" unauth_is 'unknown'
via "$PROXY" "$A" "$good"
check "client A's valid key is still a 200" status_is 200
via "$PROXY" "" "$good"
check "the proxy itself (no X-Forwarded-For) refreshes a valid key" status_is 200

# --- Anyone else's X-Forwarded-For is ignored. ---
other=$(rand_addr)
via "$other" "$C" "$unknown"
check "a peer that is not a trusted proxy is recorded as itself" \
    test "$(audited "$other")" = 1
check "and the client it named is not" test "$(audited "$C")" = 1
via "$other" "$A" "$unknown"
check "naming rate-limited client A from elsewhere is no 429 (a 401)" \
    unauth_is 'unknown'
