#!/bin/bash
# auth-expiry-boundaries.sh: the exact edges of the time rules (SECURITY.md
# threats 4 and 5, API.md 1.2 step 4) with the default clock leeway L:
# a token is expired once now >= exp + L; iat and nbf may be at most L in
# the future; exp - iat may be at most the 60 s TTL.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

L=${TT_CLOCK_LEEWAY:-5}
TTL=${TT_ACCESS_TOKEN_TTL:-60}
user=$(new_user)
new_key "$user" kv_store_read
key_id=$KEY_ID
current_secret

# mk NOW IAT EXP [NBF]: claims with times as offsets from NOW.
mk() {
	printf '{"iss":"terrateam","sub":"%s","iat":%d,"exp":%d,%s' \
	    "$user" $(($1 + $2)) $(($1 + $3)) "${4:+\"nbf\":$(($1 + ${4:-0})),}"
	printf '"jti":"edge","terrateam":{"user_id":"%s","api_key_id":"%s",' \
	    "$user" "$key_id"
	printf '"capabilities":["kv_store_read"]}}'
}

# at IAT EXP [NBF]: sends whoami a token whose times are offsets from
# the second the server handles it in. Tokens for this second and the
# next two are forged first (one Python run); then the clock is read just
# before the request and again after the answer, and if the second
# changed in between the edge was not tested: it tries again, up to 5
# times, and sets TICKED if every try straddled a second.
at() {
	_try=0 TICKED=1 _base=0
	while [ $_try -lt 5 ]; do
		_now=$(date +%s)
		if [ $((_now - _base)) -gt 2 ]; then
			_base=$_now
			for _i in 0 1 2; do
				echo "--kid $KID --secret-hex $SECRET_HEX --claims '$(mk $((_base + _i)) "$@")'"
			done | forge_many >"$T/edge-tokens"
			_now=$(date +%s)
			[ $((_now - _base)) -gt 2 ] && { _try=$((_try + 1)); continue; }
		fi
		_t=$(sed -n "$((_now - _base + 1))p" "$T/edge-tokens")
		whoami "$_t"
		[ "$(date +%s)" = "$_now" ] && { TICKED=0; break; }
		_try=$((_try + 1))
	done
	[ "$STATUS" = 200 ] && remember "$_t"
}
steady() {
	[ $TICKED = 0 ] && return 0
	echo "# the clock ticked during all 5 tries: edge not tested"
	return 1
}
accepted() { steady && json_is .id "$user"; }
refused() { steady && unauth_is "$1"; }

# --- exp (threat 4): expired once now >= exp + L. ---
at $((-L - TTL)) $((-L))
check "exp = now - L (L=$L) is refused as expired" refused expired
at $((-L + 1 - TTL)) $((-L + 1))
check "exp = now - L + 1 is still accepted" accepted
at $((-TTL)) 0
check "exp = now is accepted (within the leeway)" accepted

# --- iat and nbf in the future (threat 5): at most L ahead. ---
at $L $((L + TTL))
check "iat = now + L is accepted" accepted
at $((L + 1)) $((L + 1 + TTL))
check "iat = now + L + 1 is refused" refused 'future'
at 0 $TTL $L
check "nbf = now + L is accepted" accepted
at 0 $TTL $((L + 1))
check "nbf = now + L + 1 is refused" refused 'not valid yet'

# --- Lifetime: exp - iat at most the TTL. ---
at 0 $TTL
check "exp - iat = $TTL (the TTL) is accepted" accepted
at -1 $TTL
check "exp - iat = $((TTL + 1)) is refused" refused 'lifetime'
at 0 -1
check "exp before iat is refused" refused 'lifetime'
