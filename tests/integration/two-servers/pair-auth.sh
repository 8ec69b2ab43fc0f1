#!/bin/bash
# pair-auth.sh: two web servers over one database share all credential state.
# A token minted through one is accepted by the other; a key revoked
# through one is refused by the other on the very next request, by every
# process; `ttctl secret rotate` is seen by both (SECURITY.md threats 6
# and 7; README "Signing secrets live in the database").
# passes: pair
# needs: -
. "$TOP/tests/harness/lib.sh"

A=$BASE B=${BASE2:-}
check "run.sh gave a second server (BASE2)" test -n "$B" -a "$B" != "$A"
[ -n "$B" ] || exit 1

# burst URL TOKEN: 8 concurrent whoami requests at once, so that several
# of the server's access-tokens processes answer; prints the statuses.
burst() {
	_u=$1/api/v1/whoami
	curl -s --parallel --parallel-immediate --parallel-max 8 --max-time 20 \
	    -H "Authorization: Bearer $2" -w '%{http_code}\n' \
	    -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	    -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	    "$_u" "$_u" "$_u" "$_u" "$_u" "$_u" "$_u" "$_u" | sort | uniq -c |
	    awk '{printf "%s%sx%s", sep, $2, $1; sep=" "}'
}

user=$(new_user)
new_installation
add_member "$INST" "$user"

# --- Minted through one, accepted by the other. ---
new_key "$user" "installation:$INST" kv_store_read kv_store_write
key=$KEY
on "$A" refresh "$key"; t_a=$TOKEN
on "$B" refresh "$key"; t_b=$TOKEN
check "the key refreshes through both servers" test -n "$t_a" -a -n "$t_b"
on "$B" whoami "$t_a"
check "a token minted through A is accepted by B" json_is .id "$user"
on "$A" whoami "$t_b"
check "a token minted through B is accepted by A" json_is .id "$user"
on "$B" kv_json PUT "$t_a" "$INST/key/two.servers" '{"data": "written through B"}'
check "B writes a KV record with A's token" status_is 200
on "$A" kv GET "$t_b" "$INST/key/two.servers"
check "A reads it back with B's token" json_is .data "written through B"

# --- Revoked through one, refused by the other at once. ---
new_key "$user" access_token_create kv_store_read
admin=$KEY
on "$A" refresh "$admin"; t_admin_a=$TOKEN
on "$B" refresh "$admin"; t_admin_b=$TOKEN

new_key "$user" kv_store_read
v1=$KEY v1_id=$KEY_ID
on "$A" refresh "$v1"; t_v1=$TOKEN
check "before revocation A's token for the key works for 8 concurrent requests to B" \
    test "$(burst "$B" "$t_v1")" = 200x8
on "$A" http DELETE "/api/v1/github/access-token?id=$v1_id" \
    -H "Authorization: Bearer $t_admin_a"
check "the key is revoked through A (204)" status_is 204
on "$B" whoami "$t_v1"
check "B refuses its token on the very next request" unauth_is revoked
out=$(burst "$B" "$t_v1"); echo "# statuses: $out"
check "8 concurrent requests to B are all refused" test "$out" = 401x8
on "$B" refresh "$v1"
check "B refuses the revoked key's refresh" unauth_is revoked

new_key "$user" kv_store_read
v2=$KEY v2_id=$KEY_ID
on "$B" refresh "$v2"; t_v2=$TOKEN
check "before revocation B's token for the key works for 8 concurrent requests to A" \
    test "$(burst "$A" "$t_v2")" = 200x8
on "$B" http DELETE "/api/v1/github/access-token?id=$v2_id" \
    -H "Authorization: Bearer $t_admin_b"
check "the key is revoked through B (204)" status_is 204
on "$A" whoami "$t_v2"
check "A refuses its token on the very next request" unauth_is revoked
out=$(burst "$A" "$t_v2"); echo "# statuses: $out"
check "8 concurrent requests to A are all refused" test "$out" = 401x8
on "$A" http DELETE "/api/v1/github/access-token?id=$v2_id" \
    -H "Authorization: Bearer $t_admin_a"
check "revoking it again through A is a 404 (B's revocation is seen)" \
    fails_with 404 NOT_FOUND

new_key "$user" kv_store_read
v3=$KEY v3_id=$KEY_ID
on "$A" refresh "$v3"; t_v3a=$TOKEN
on "$B" refresh "$v3"; t_v3b=$TOKEN
"$TOP/bin/ttctl" key revoke "$v3_id" >/dev/null 2>&1
on "$A" whoami "$t_v3b"
check "after ttctl key revoke A refuses B's token" unauth_is revoked
on "$B" whoami "$t_v3a"
check "after ttctl key revoke B refuses A's token" unauth_is revoked

on "$B" whoami "$t_a"
check "a token of the user's other key still works on B" json_is .id "$user"

# --- ttctl secret rotate is seen by both. ---
new_key "$user" kv_store_read
key=$KEY key_id=$KEY_ID
on "$A" refresh "$key"; old_a=$TOKEN
on "$B" refresh "$key"; old_b=$TOKEN
current_secret
old_kid=$KID old_secret=$SECRET_HEX
"$TOP/bin/ttctl" secret rotate >/dev/null 2>&1
rc=$?
current_secret
check "ttctl secret rotate makes a new current secret" \
    sh -c '[ "$1" = 0 ] && [ -n "$2" ] && [ "$2" != "$3" ]' - "$rc" "$KID" "$old_kid"

on "$B" whoami "$old_a"
check "B accepts A's token signed before the rotation" json_is .id "$user"
on "$A" whoami "$old_b"
check "A accepts B's token signed before the rotation" json_is .id "$user"

now=$(date +%s)
claims="{\"iss\":\"terrateam\",\"sub\":\"$user\",\"iat\":$now,\"exp\":$((now + 60)),\"jti\":\"two\",\"terrateam\":{\"user_id\":\"$user\",\"api_key_id\":\"$key_id\",\"capabilities\":[\"kv_store_read\"]}}"
forge_many >"$T/tokens" <<EOF
--kid $KID --secret-hex $SECRET_HEX --claims '$claims'
--kid $old_kid --secret-hex $SECRET_HEX --claims '$claims'
EOF
new_signed=$(sed -n 1p "$T/tokens")
mixed=$(sed -n 2p "$T/tokens")
remember "$new_signed"
check "A accepts a token signed by the new secret at once (8 concurrent requests)" \
    test "$(burst "$A" "$new_signed")" = 200x8
check "B accepts it at once (8 concurrent requests)" \
    test "$(burst "$B" "$new_signed")" = 200x8
on "$A" whoami "$mixed"
check "A refuses the retired kid with the new secret's signature" unauth_is signature
on "$B" whoami "$mixed"
check "B refuses it too" unauth_is signature

# Which kid signs new tokens switches within 30 s per process (not
# waited for here); whichever it is, the other server accepts it.
on "$A" refresh "$key"; new_a=$TOKEN
on "$B" refresh "$key"; new_b=$TOKEN
on "$B" whoami "$new_a"
check "B accepts a token A minted after the rotation" json_is .id "$user"
on "$A" whoami "$new_b"
check "A accepts a token B minted after the rotation" json_is .id "$user"
