#!/bin/bash
# oidc-exchange.sh: keyless CI login (issue 11). An ID token from a
# trusted issuer (tests/harness/fakeoidc.py, started once per suite) is
# exchanged at /api/v1/access-token/refresh when it matches a trust
# policy; every refusal is a 401 naming the failed check and nothing of
# the policy. Each run makes its own issuers, so runs against the
# suite's several servers (one database) never see each other's keys.
# Every exchange leaves an audit row (event 'exchange', the outcome, the
# policy that matched); each run refreshes from a loopback address of its
# own (REFRESH_FROM), so its rows and its refused-credential bucket are
# its own. A flood of refused tokens from one address gets 429s, a valid
# one never does. Each ID token is exchanged once; a token's lifetime
# (exp - iat) is bounded by its policy; a failed fetch of an issuer's
# keys is not repeated for 30 s.
# passes: lighttpd apache asan proxy cgi
# needs: oidc
. "$TOP/tests/harness/lib.sh"
. "$TOP/tests/harness/fakeoidc.sh"

run=$$x$RANDOM
ISS=$(oidc_issuer "gh-$run")
ISS2=$(oidc_issuer "other-$run")
BAD=$(oidc_issuer "untrusted-$run")
SUB='repo:mycompany/infra:ref:refs/heads/main'
now=$(date +%s)
addr=$(rand_addr)
REFRESH_FROM=$addr

q() { psql "$TT_DATABASE_URL" -Atc "$1"; }

# audited EVENT OUTCOME POLICY USER: the newest audit row from the
# address refreshes come from (REFRESH_FROM) is that ("-" for NULL).
audited() {
	_row=$(q "SELECT event || ' ' || outcome || ' ' ||
	    coalesce(policy_id::text, '-') || ' ' || coalesce(user_id::text, '-')
	    FROM audit_events WHERE source_address = '$REFRESH_FROM'
	    ORDER BY id DESC LIMIT 1")
	[ "$_row" = "$*" ] && return 0
	echo "# newest audit row from $REFRESH_FROM: '$_row', expected '$*'"
	return 1
}

# policy_audited EVENT POLICY USER: ttctl's row of a policy change.
policy_audited() {
	test "$(q "SELECT count(*) FROM audit_events WHERE event = '$1'
	    AND outcome = 'ok' AND via = 'ttctl' AND policy_id = '$2'
	    AND user_id = '$3' AND api_key_id IS NULL")" = 1
}

user=$(new_user)
new_installation; inst=$INST
add_member "$inst" "$user"
user2=$(new_user)
new_installation; inst2=$INST
add_member "$inst2" "$user2"

# mint JSON-MEMBERS: an ID token of issuer gh-$run (more members override).
mint() {
	_t=$(oidc_mint "{\"issuer\":\"gh-$run\"${1:+,$1}}")
	remember "$_t"
	printf '%s' "$_t"
}

# --- Policies: ttctl oidc trust add|list|remove. ---
pol=$("$TOP/bin/ttctl" oidc trust add --name "infra main $run" \
    --issuer "$ISS" --audience terrateam \
    --subject 'repo:mycompany/infra:ref:refs/heads/*' \
    --claim repository_owner=mycompany --claim 'environment=prod*' \
    --user "$user" --cap "installation:$inst" --cap kv_store_read \
    --cap access_token_create --max-ttl 30 2>"$T/err")
check "ttctl oidc trust add prints the new policy's id" \
    bash -c "[[ '$pol' =~ ^[0-9a-f-]{36}$ ]] || { cat '$T/err'; false; }"
pol2=$("$TOP/bin/ttctl" oidc trust add --name "other $run" --issuer "$ISS2" \
    --audience ci-other --subject 'repo:mycompany/infra:*' --user "$user2" \
    --cap "installation:$inst2" --cap kv_store_read 2>"$T/err")
check "a second issuer's policy is added" \
    bash -c "[[ '$pol2' =~ ^[0-9a-f-]{36}$ ]] || { cat '$T/err'; false; }"
check "and audited" policy_audited policy_add "$pol2" "$user2"
"$TOP/bin/ttctl" oidc trust add --name "greedy $run" --issuer "$ISS" \
    --audience terrateam --subject "$SUB" --user "$user" \
    --cap "installation:$inst2" >/dev/null 2>"$T/err"
check "a policy granting an installation its user is not a member of is refused" \
    bash -c "[ $? = 1 ] && grep -q 'not a member of installation $inst2' '$T/err'"
check "ttctl oidc trust add is audited (policy_add, via ttctl, its user)" \
    policy_audited policy_add "$pol" "$user"
TT_OIDC_ALLOW_LOOPBACK=0 "$TOP/bin/ttctl" oidc trust add --name "loop $run" \
    --issuer "$ISS" --audience terrateam --subject "$SUB" --user "$user" \
    --cap kv_store_read >/dev/null 2>"$T/err"
check "an http:// loopback issuer needs TT_OIDC_ALLOW_LOOPBACK=1" \
    bash -c "[ $? = 1 ] && grep -q 'https' '$T/err'"
"$TOP/bin/ttctl" oidc trust add --name "plain $run" \
    --issuer "http://issuer.example.com" --audience terrateam --subject "$SUB" \
    --user "$user" --cap kv_store_read >/dev/null 2>"$T/err"
check "an http:// issuer off loopback is refused" bash -c "[ $? = 1 ]"
"$TOP/bin/ttctl" --json oidc trust list >"$T/list"
check "refused policies leave no policy_add row" test "$(q "SELECT count(*)
    FROM audit_events WHERE event = 'policy_add' AND user_id = '$user'")" = 1
check "ttctl oidc trust list --json shows the policy" test "$(jq -s --arg id "$pol" \
    'map(select(.id == $id)) | length == 1 and .[0].max_ttl == 30 and
     .[0].max_token_age == 3600 and
     .[0].subject == "repo:mycompany/infra:ref:refs/heads/*" and
     .[0].conditions.repository_owner == "mycompany"' "$T/list")" = true

# --- The accepted exchange. ---
stats0=$(oidc_stats "gh-$run" | jq .jwks)
refresh "$(mint)"
check "a matching RS256 ID token is exchanged (200)" status_is 200
check "the exchange is audited: ok, its policy and user" audited exchange ok "$pol" "$user"
check "a granted exchange has no per-key limit headers (no key)" \
    bash -c "! grep -qi '^RateLimit-' '$T/hdrs'"
check "the lifetime is min(60 s, the policy's 30 s)" json_is .expires_in 30
check "the answer is a key refresh's" json_is .token_type Bearer
at=$TOKEN
whoami "$at"
check "the access token acts as the policy's user" json_is .id "$user"
check "the workflow's sub is recorded in the token" json_is .oidc.sub "$SUB"
check "the workflow's repository and run_id are recorded" \
    json_is '.oidc.repository + " " + .oidc.run_id' "mycompany/infra 4242"
check "the policy is named in the token" json_is .oidc.policy_id "$pol"
check "the capabilities are the policy's" json_is '.capabilities | length' 3
http GET "/api/v1/github/audit?limit=20" -H "Authorization: Bearer $at"
check "the policy's user reads the trail with the exchanged token" status_is 200
check "it holds the exchange, with its policy" json_is "[.results[] |
    select(.event == \"exchange\" and .outcome == \"ok\" and
    .policy_id == \"$pol\" and .via == \"api\")] | length > 0" true
check "and ttctl's policy_add" json_is "[.results[] |
    select(.event == \"policy_add\" and .policy_id == \"$pol\" and
    .via == \"ttctl\")] | length" 1
claim=$(python3 -c 'import base64, sys; p = sys.argv[1].split(".")[1]
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$at")
check "the access token's terrateam claim holds the identity" bash -c \
    "printf '%s' '$claim' | jq -e '.terrateam.oidc.sub == \"$SUB\" and (.terrateam | has(\"api_key_id\") | not)' >/dev/null"
http GET "/api/v1/github/installations/$inst/work-manifests" \
    -H "Authorization: Bearer $at"
check "it lists the installation's work manifests" status_is 200
http GET "/api/v1/github/installations/$inst2/work-manifests" \
    -H "Authorization: Bearer $at"
check "it reaches no other installation (403)" status_is 403
refresh "$(mint '"kid":"e1"')"
check "an ES256 ID token from the issuer's P-256 key is exchanged" status_is 200
check "audited: ok" audited exchange ok "$pol" "$user"
refresh "$(mint '"claims":{"environment":"production-eu"}')"
check "a condition pattern with * matches" status_is 200
check "audited: ok" audited exchange ok "$pol" "$user"
check "the issuer's JWKS was fetched once for all of these (cached)" \
    test "$(oidc_stats "gh-$run" | jq .jwks)" -eq $((stats0 + 1))

# --- Each ID token is exchanged once: its issuer and jti are recorded
# in the statement that audits the grant (a unique key decides). ---
tok=$(mint)
refresh "$tok"
check "an ID token is exchanged (200)" status_is 200
refresh "$tok"
check "the same ID token again: 401 'token already used'" \
    unauth_is 'token already used'
check "audited: replayed, with the policy it matched" \
    audited exchange replayed "$pol" "$user"
REFRESH_FROM=$(rand_addr) refresh "$tok"
check "from another address too" unauth_is 'token already used'
# Twelve at once, from an address of their own (the 11 refusals count
# against it). They are made to race: a session holds a lock on the
# jti table that every exchange statement waits for (SHARE against the
# INSERT's ROW EXCLUSIVE), so those the server runs at once reach the
# table together when it is let go; a check-then-insert would grant
# more than one.
apar=$(rand_addr)
tok=$(mint)
psql "$TT_DATABASE_URL" -qAt -c "BEGIN" \
    -c "LOCK TABLE oidc_exchanged_jti IN SHARE MODE" \
    -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null &
barrier=$!
for n in $(seq 100); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'ShareLock'
	    AND relation = 'oidc_exchanged_jti'::regclass")" = 1 ] && break
	sleep 0.02
done
refresh_parallel 12 "$tok" "$apar" >"$T/codes" &
par=$!
sleep 1.5
echo "# $(q "SELECT count(*) FROM pg_locks WHERE NOT granted AND
    relation = 'oidc_exchanged_jti'::regclass") exchanges wait at the barrier"
wait $barrier
wait $par
codes=$(cat "$T/codes")
check "12 parallel exchanges of one ID token: exactly one 200" \
    test "$(printf '%s\n' "$codes" | grep -c '^200$')" = 1
check "and 11 401s" test "$(printf '%s\n' "$codes" | grep -c '^401$')" = 11
check "audited: one ok and 11 replayed" test "$(q "SELECT string_agg(outcome
    || ' ' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) AS n
    FROM audit_events WHERE source_address = '$apar' GROUP BY
    outcome) s")" = "ok 1,replayed 11"
# The same, step by step: another exchange of the token has recorded its
# jti and not committed yet (a session stands in for it). This exchange
# waits for it, then is refused when it commits, or granted when it
# rolls back: never both granted, never both refused.
# inflight END: the session's transaction, ended by END after 1.5 s.
inflight() {
	{ echo "BEGIN; INSERT INTO oidc_exchanged_jti VALUES ('$ISS',
	    'inflight-$run', now() + interval '5 minutes');"
	  sleep 1.5; echo "$1;"; } | psql "$TT_DATABASE_URL" -qAt >/dev/null &
	_infl=$!
	for _n in $(seq 100); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE state =
		    'idle in transaction' AND query LIKE '%inflight-$run%'")" = 1 ] &&
		    break
		sleep 0.02
	done
	_t=$(date +%s%3N)
	refresh "$(mint "\"claims\":{\"jti\":\"inflight-$run\"}")"
	WAITED=$(( $(date +%s%3N) - _t ))
	wait $_infl
}
inflight ROLLBACK
check "an exchange of a token whose other exchange rolls back: 200" status_is 200
echo "# it waited $WAITED ms for the other one"
q "DELETE FROM oidc_exchanged_jti WHERE jti = 'inflight-$run'" >/dev/null
inflight COMMIT
check "one whose other exchange commits: 401 'token already used'" \
    unauth_is 'token already used'
check "after waiting for it" test "$WAITED" -ge 500

# A row of a token expired for every server does not block its jti (an
# issuer may reuse one); ttctl audit prune drops it an hour after exp.
q "INSERT INTO oidc_exchanged_jti VALUES ('$ISS', 'old-$run',
    now() - interval '10 minutes'), ('$ISS', 'older-$run',
    now() - interval '2 hours')" >/dev/null
refresh "$(mint "\"claims\":{\"jti\":\"old-$run\"}")"
check "a jti whose recorded token has expired is exchanged again" status_is 200
refresh "$(mint "\"claims\":{\"jti\":\"old-$run\"}")"
check "and is then recorded anew: 401 'token already used'" \
    unauth_is 'token already used'
"$TOP/bin/ttctl" --json audit prune >"$T/prune"
check "ttctl audit prune drops exchanged jti an hour past their exp" \
    test "$(q "SELECT string_agg(jti, ',' ORDER BY jti) FROM oidc_exchanged_jti
        WHERE issuer = '$ISS' AND jti LIKE 'old%-$run'")" = "old-$run"
check "and counts them" jq -e '.exchanged_tokens >= 1' "$T/prune"

# --- Capabilities never exceed the user's. ---
http POST /api/v1/github/access-token -H "Authorization: Bearer $at" \
    -H 'Content-Type: application/json' \
    -d '{"name":"wider","capabilities":["kv_store_write"]}'
check "a key with more than the policy grants cannot be made from it" status_is 403

# --- Refusals, each naming its check. ---
refresh "$(oidc_mint "{\"issuer\":\"untrusted-$run\"}")"
check "an issuer no policy trusts: 401 'issuer not trusted'" unauth_is 'issuer not trusted'
check "audited: issuer, no policy" audited exchange issuer - -
refresh "$(mint '"claims":{"aud":"someone-else"}')"
check "a wrong audience: 401 'audience'" unauth_is 'audience not accepted'
check "audited: audience, no policy" audited exchange audience - -
refresh "$(mint '"claims":{"sub":"repo:mycompany/infra:pull_request"}')"
check "a wrong subject: 401 'subject'" unauth_is 'subject not accepted'
check "the refusal reveals nothing of the policy" \
    bash -c "! grep -Eq 'refs/heads|mycompany|$user' '$T/body'"
check "audited: subject" audited exchange subject - -
refresh "$(mint '"claims":{"environment":"staging"}')"
check "a failed claim condition: 401 'claim condition'" unauth_is 'claim condition'
check "audited: claim" audited exchange claim - -
refresh "$(mint '"claims":{"repository_owner":null}')"
check "a missing condition claim: 401 'claim condition'" unauth_is 'claim condition'
check "audited: claim" audited exchange claim - -
refresh "$(mint "\"claims\":{\"exp\":$((now - 100)),\"iat\":$((now - 400)),\"nbf\":$((now - 400))}")"
check "an expired ID token: 401 'expired'" unauth_is 'token expired'
check "audited: expired" audited exchange expired - -
refresh "$(mint "\"claims\":{\"exp\":$((now + 1000)),\"nbf\":$((now + 100))}")"
check "a not-yet-valid ID token (nbf): 401 'not valid yet'" unauth_is 'not valid yet'
check "audited: not_yet_valid" audited exchange not_yet_valid - -
refresh "$(mint "\"claims\":{\"exp\":$((now + 1000)),\"iat\":$((now + 100)),\"nbf\":null}")"
check "an ID token issued in the future (iat): 401 'not valid yet'" unauth_is 'not valid yet'
check "audited: not_yet_valid" audited exchange not_yet_valid - -
refresh "$(mint '"alg":"none"')"
check "alg none: 401 'signature'" unauth_is 'signature'
check "audited: signature" audited exchange signature - -
refresh "$(mint '"alg":"HS256-pubkey"')"
check "HS256 signed with the issuer's public key: 401 'signature'" unauth_is 'signature'
check "audited: signature" audited exchange signature - -
refresh "$(mint '"alg":"RS256-wrongkey"')"
check "an RS256 signature by another key: 401 'signature'" unauth_is 'signature'
check "audited: signature" audited exchange signature - -
refresh "$(mint '"header":{"alg":"ES256"}')"
check "an RSA key's token claiming ES256: 401 'signature'" unauth_is 'signature'
check "audited: signature" audited exchange signature - -
refresh "$(mint '"claims":{"exp":"9999999999"}')"
check "a string exp is malformed: 401" unauth_is 'malformed'
check "audited: malformed" audited exchange malformed - -

# --- An ID token's lifetime (exp - iat): at most the policy's
# --max-token-age, 3600 s unless set. ---
t0=$(date +%s)
refresh "$(mint "\"claims\":{\"iat\":$t0,\"nbf\":$t0,\"exp\":$((t0 + 315360000))}")"
check "an ID token whose exp is ten years after its iat: 401 'lifetime'" \
    unauth_is 'lifetime \(exp - iat\) too long'
check "audited: lifetime" audited exchange lifetime - -
refresh "$(mint "\"claims\":{\"iat\":$t0,\"nbf\":$t0,\"exp\":$((t0 + 3601))}")"
check "one second past the default 3600 s: 401 'lifetime'" unauth_is 'lifetime'
check "audited: lifetime" audited exchange lifetime - -
refresh "$(mint "\"claims\":{\"iat\":$t0,\"nbf\":$t0,\"exp\":$((t0 + 3600))}")"
check "exactly 3600 s is exchanged" status_is 200
check "audited: ok" audited exchange ok "$pol" "$user"
refresh "$(mint "\"claims\":{\"iat\":null}")"
check "an ID token without iat is malformed (no lifetime to check): 401" \
    unauth_is 'malformed'
check "audited: malformed" audited exchange malformed - -
refresh "$(mint "\"claims\":{\"jti\":null}")"
check "an ID token without jti is malformed (it could not be used once only): 401" \
    unauth_is 'malformed'
check "audited: malformed" audited exchange malformed - -

# --- The second issuer matches only its own policies. ---
refresh "$(oidc_mint "{\"issuer\":\"other-$run\"}")"
check "a token of the second issuer does not match the first's policy" \
    unauth_is 'audience not accepted'
check "audited: audience" audited exchange audience - -
refresh "$(oidc_mint "{\"issuer\":\"other-$run\",\"claims\":{\"aud\":\"ci-other\"}}")"
check "with its own audience it is exchanged" status_is 200
check "audited: ok, the second issuer's policy and user" audited exchange ok "$pol2" "$user2"
whoami "$TOKEN"
check "as its own policy's user" json_is .id "$user2"

# --- A policy's own --max-token-age (1..86400). ---
ISS3=$(oidc_issuer "long-$run")
for bad in 0 86401 x; do
	"$TOP/bin/ttctl" oidc trust add --name "long $run" --issuer "$ISS3" \
	    --audience terrateam --subject "$SUB" --user "$user" \
	    --cap kv_store_read --max-token-age $bad >/dev/null 2>"$T/err"
	check "--max-token-age $bad is a usage error (2)" \
	    bash -c "[ $? = 2 ] && grep -q 'max-token-age' '$T/err'"
done
pol3=$("$TOP/bin/ttctl" oidc trust add --name "long $run" --issuer "$ISS3" \
    --audience terrateam --subject "$SUB" --user "$user" --cap kv_store_read \
    --max-token-age 7200 2>"$T/err")
check "a policy with --max-token-age 7200 is added" \
    bash -c "[[ '$pol3' =~ ^[0-9a-f-]{36}$ ]] || { cat '$T/err'; false; }"
"$TOP/bin/ttctl" --json oidc trust list >"$T/list"
check "ttctl oidc trust list --json shows its max_token_age" \
    test "$(jq -s --arg id "$pol3" 'map(select(.id == $id)) | .[0].max_token_age' "$T/list")" = 7200
t0=$(date +%s)
refresh "$(oidc_mint "{\"issuer\":\"long-$run\",\"claims\":{\"iat\":$t0,\"nbf\":$t0,\"exp\":$((t0 + 7200))}}")"
check "it exchanges a 2-hour ID token" status_is 200
check "audited: ok, that policy" audited exchange ok "$pol3" "$user"
refresh "$(oidc_mint "{\"issuer\":\"long-$run\",\"claims\":{\"iat\":$t0,\"nbf\":$t0,\"exp\":$((t0 + 7201))}}")"
check "and refuses one a second longer: 401 'lifetime'" unauth_is 'lifetime'
"$TOP/bin/ttctl" oidc trust remove "$pol3" >/dev/null

# --- Key rotation: an unknown kid, then the issuer publishes it. ---
oidc_post /_fake/key "{\"issuer\":\"gh-$run\",\"kid\":\"k2\",\"kty\":\"RSA\"}" >/dev/null
refresh "$(mint '"kid":"k2"')"
check "a kid the issuer has not published: 401 'signature'" unauth_is 'signature'
check "audited: signature" audited exchange signature - -
oidc_post /_fake/publish "{\"issuer\":\"gh-$run\",\"kid\":\"k2\"}" >/dev/null
sleep 6		# refetches on an unknown kid: one per issuer per 5 s
before=$(oidc_stats "gh-$run" | jq .jwks)
refresh "$(mint '"kid":"k2"')"
check "after the rotation the new kid is fetched once and accepted" status_is 200
check "audited: ok" audited exchange ok "$pol" "$user"
check "exactly one JWKS fetch for it" \
    test "$(oidc_stats "gh-$run" | jq .jwks)" -eq $((before + 1))

# --- Removing the policy ends its tokens. ---
refresh "$(mint)"		# fresh: the first may have expired (slow builds)
at=$TOKEN
whoami "$at"
check "an exchanged access token works before its policy is removed" status_is 200
"$TOP/bin/ttctl" oidc trust remove "$pol" >/dev/null
check "ttctl oidc trust remove removes it" bash -c "[ $? = 0 ]"
check "ttctl oidc trust remove is audited (policy_remove, via ttctl)" \
    policy_audited policy_remove "$pol" "$user"
whoami "$at"
check "an access token of a removed policy is refused at once" \
    unauth_is 'trust policy .* removed'
refresh "$(mint)"
check "and the issuer is no longer trusted" unauth_is 'issuer not trusted'
check "audited: issuer" audited exchange issuer - -

# --- A flood of refused ID tokens from one address: 429s (the same
# bucket, TT_REFRESH_RATE_PER_ADDRESS = 30 a minute, as refused keys),
# but never for a valid one. ---
a3=$(rand_addr)
badtok=$(oidc_mint "{\"issuer\":\"other-$run\"}")
remember "$badtok"
REFRESH_FROM=$a3
t0=$(date +%s%3N)
codes=$(refresh_burst 30 "$badtok" "$a3")
check "30 refused ID tokens from one address are 30 401s" \
    test "$(printf '%s\n' "$codes" | grep -c '^401$')" = 30
refresh "$badtok"
el=$(( $(date +%s%3N) - t0 ))
echo "# 31 refused ID tokens in $el ms (the bucket gains one every 2000 ms)"
extra=0
if [ "$el" -ge 2000 ]; then
	# A slow server: tokens came back meanwhile; spend them first.
	while [ "$STATUS" = 401 ] && [ $extra -lt 200 ]; do
		extra=$((extra + 1))
		refresh "$badtok"
	done
	el=$(( $(date +%s%3N) - t0 ))
fi
check "the 31st refused ID token from that address is a 429 ($extra from refill)" \
    fails_with 429 RATE_LIMITED
check "no more were refused with 401 than the refill allows" \
    test $extra -le $((el / 2000))
check "the 429 says when to retry" header_matches Retry-After '^[12]$'
check "the 429 says the address's limit, 30" header_matches RateLimit-Limit '^30$'
check "the 429 says none remain" header_matches RateLimit-Remaining '^0$'
check "the 429 has the standard headers" std_headers
# A valid ID token is granted even from a limited address: nobody can
# guess one, so only refused ones are limited. Once the bucket gains a
# token back, a refused ID token spends it (a 401) and the address is
# dry for a whole step (2 s): a fresh good token is sent right then
# (again when that took 1.5 s or more).
good=none
for try in 1 2 3 4 5; do
	prev=429 n=0
	while [ $n -lt 100 ]; do
		refresh "$badtok"
		[ "$STATUS" = 401 ] && [ "$prev" = 429 ] && break
		prev=$STATUS n=$((n + 1))
		sleep 0.05
	done
	goodtok=$(oidc_mint "{\"issuer\":\"other-$run\",\"claims\":{\"aud\":\"ci-other\"}}")
	remember "$goodtok"
	t1=$(date +%s%3N)
	refresh "$goodtok"
	good=$STATUS
	[ $(( $(date +%s%3N) - t1 )) -lt 1500 ] && break
	echo "# try $try took 1.5 s or more: the bucket may have refilled; again"
done
STATUS=$good
check "a valid ID token from the limited address is exchanged (200)" status_is 200
check "audited as ok, with its policy" audited exchange ok "$pol2" "$user2"
check "the refused ID tokens are audited as audience" \
    test "$(q "SELECT count(*) FROM audit_events WHERE source_address = '$a3'
        AND event = 'exchange' AND outcome = 'audience'")" -ge $((30 + extra))
check "and the limited ones as address_rate_limited" \
    test "$(q "SELECT count(*) FROM audit_events WHERE source_address = '$a3'
        AND event = 'exchange' AND outcome = 'address_rate_limited'")" -ge 2
refresh "$goodtok"
check "that ID token again from there is refused (429, or 401 if the bucket refilled)" \
    bash -c '[ "$1" = 429 ] || grep -q "token already used" "$2"' - "$STATUS" "$T/body"
REFRESH_FROM=$(rand_addr)
refresh "$goodtok"
check "and from another address: 401 'token already used'" \
    unauth_is 'token already used'

"$TOP/bin/ttctl" oidc trust remove "$pol2" >/dev/null
check "the second policy's removal is audited" \
    policy_audited policy_remove "$pol2" "$user2"

# --- An issuer whose keys cannot be fetched: the failure is kept for
# 30 s (in oidc_jwks_cache, for every process), so each exchange naming
# it meanwhile is a 503 with Retry-After and no outbound fetch, and
# counts against the address (the token cannot be verified). ---
# fetches NAME: "discovery jwks" requests the stand-in saw for issuer NAME.
fetches() { oidc_stats "$1" | jq -r '"\(.discovery) \(.jwks)"'; }
DOWN=$(oidc_issuer "down-$run")
JDOWN=$(oidc_issuer "jwksdown-$run")
for i in "$DOWN" "$JDOWN"; do
	"$TOP/bin/ttctl" oidc trust add --name "down $run" --issuer "$i" \
	    --audience terrateam --subject "$SUB" --user "$user" \
	    --cap kv_store_read >/dev/null
done
oidc_post /_fake/fail "{\"issuer\":\"down-$run\",\"what\":\"discovery\",\"status\":503}" >/dev/null
oidc_post /_fake/fail "{\"issuer\":\"jwksdown-$run\",\"what\":\"jwks\",\"status\":500}" >/dev/null
REFRESH_FROM=$(rand_addr)
refresh "$(oidc_mint "{\"issuer\":\"down-$run\"}")"
check "an issuer whose discovery document fails: 503" fails_with 503 UNAVAILABLE
check "with Retry-After 30" header_matches Retry-After '^30$'
check "audited: keys_unavailable" audited exchange keys_unavailable - -
check "the stand-in saw one discovery request" test "$(fetches "down-$run")" = "1 0"
codes=
for n in 1 2 3 4 5; do
	refresh "$(oidc_mint "{\"issuer\":\"down-$run\"}")"
	codes="$codes$STATUS "
done
check "5 more exchanges naming it within 30 s: 503s" test "$codes" = "503 503 503 503 503 "
check "with Retry-After the seconds left" header_matches Retry-After '^([1-9]|[12][0-9]|30)$'
check "and the stand-in saw no new request" test "$(fetches "down-$run")" = "1 0"
# The issuer heals: nobody knows before the 30 s are over.
oidc_post /_fake/fail "{\"issuer\":\"down-$run\",\"what\":\"discovery\",\"status\":0}" >/dev/null
refresh "$(oidc_mint "{\"issuer\":\"down-$run\"}")"
check "an exchange naming the healed issuer within the 30 s: still 503" \
    fails_with 503 UNAVAILABLE
check "still no new request" test "$(fetches "down-$run")" = "1 0"
refresh "$(oidc_mint "{\"issuer\":\"jwksdown-$run\"}")"
check "an issuer whose JWKS fails: 503" fails_with 503 UNAVAILABLE
check "with Retry-After 30" header_matches Retry-After '^30$'
check "after one discovery and one JWKS request" test "$(fetches "jwksdown-$run")" = "1 1"
refresh "$(oidc_mint "{\"issuer\":\"jwksdown-$run\"}")"
check "the next one within 30 s: 503" fails_with 503 UNAVAILABLE
check "with no new request" test "$(fetches "jwksdown-$run")" = "1 1"

# A flood of forged tokens naming that issuer from one address ends in
# 429s: unverifiable tokens count as refused ones.
a4=$(rand_addr)
REFRESH_FROM=$a4
forged=$(oidc_mint "{\"issuer\":\"jwksdown-$run\",\"alg\":\"RS256-wrongkey\"}")
t0=$(date +%s%3N)
codes=$(refresh_burst 30 "$forged" "$a4")
check "30 forged tokens naming the failing issuer from one address: 30 503s" \
    test "$(printf '%s\n' "$codes" | grep -c '^503$')" = 30
refresh "$forged"
extra=0
while [ "$STATUS" = 503 ] && [ $extra -lt 200 ]; do
	# A slow server: tokens came back meanwhile; spend them first.
	extra=$((extra + 1))
	refresh "$forged"
done
el=$(( $(date +%s%3N) - t0 ))
check "then a 429 ($extra more 503s from refill)" fails_with 429 RATE_LIMITED
check "no more 503s than the refill allows" test $extra -le $((el / 2000))
check "audited: address_rate_limited" audited exchange address_rate_limited - -
check "the flood made at most one more fetch (the 30 s may have run out)" \
    bash -c '[ "$1" = "1 1" ] || [ "$1" = "2 2" ]' - "$(fetches "jwksdown-$run")"

# Once the 30 s are over (the row says so) the issuer is fetched again,
# and a good fetch clears the failure.
q "UPDATE oidc_jwks_cache SET failed_until = now() - interval '1 second'
    WHERE issuer = '$DOWN'" >/dev/null
REFRESH_FROM=$(rand_addr)
refresh "$(oidc_mint "{\"issuer\":\"down-$run\"}")"
check "after them it is fetched again and the token exchanged" status_is 200
check "with one new discovery and one JWKS request" test "$(fetches "down-$run")" = "2 1"
check "and the failure is cleared" test "$(q "SELECT failed_until IS NULL
    FROM oidc_jwks_cache WHERE issuer = '$DOWN'")" = t
for i in "$DOWN" "$JDOWN"; do
	q "SELECT id FROM oidc_trust_policies WHERE issuer = '$i'" |
	    while read -r id; do "$TOP/bin/ttctl" oidc trust remove "$id" >/dev/null; done
done
