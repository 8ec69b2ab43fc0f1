#!/bin/bash
# auth-secret-rotation.sh: `ttctl secret rotate` logs nobody out (API.md
# 1.2: several secrets can be active, kid picks one). Tokens signed by the
# retired secret keep verifying; refreshes keep working. Which kid signs
# new tokens is not asserted: processes cache the secrets up to 30 s.
# passes: lighttpd apache asan
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_key "$user" kv_store_read
key=$KEY key_id=$KEY_ID

refresh "$key"
check "before the rotation a refresh works" status_is 200
old_token=$TOKEN
current_secret
old_kid=$KID old_secret=$SECRET_HEX

"$TOP/bin/ttctl" secret rotate >/dev/null 2>&1
rc=$?
check "ttctl secret rotate succeeds" [ $rc = 0 ]
"$TOP/bin/ttctl" --json secret list >"$T/secrets" 2>/dev/null
current_secret
check "a new current secret exists with a new kid" \
    sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' - "$KID" "$old_kid"
check "ttctl secret list shows the old kid as retired" \
    sh -c 'jq -se --arg k "$1" "map(select(.kid == \$k))[0] | has(\"retired_at\")" <"$2" >/dev/null' - "$old_kid" "$T/secrets"

whoami "$old_token"
check "a token signed before the rotation still works on whoami" \
    json_is .id "$user"

refresh "$key"
check "a refresh after the rotation works" status_is 200
whoami "$TOKEN"
check "the token from that refresh works" json_is .id "$user"

# Tokens forged with either secret, claims otherwise genuine.
now=$(date +%s)
claims="{\"iss\":\"terrateam\",\"sub\":\"$user\",\"iat\":$now,\"exp\":$((now + 60)),\"jti\":\"rot\",\"terrateam\":{\"user_id\":\"$user\",\"api_key_id\":\"$key_id\",\"capabilities\":[\"kv_store_read\"]}}"
forge_many >"$T/tokens" <<EOF
--kid $KID --secret-hex $SECRET_HEX --claims '$claims'
--kid $old_kid --secret-hex $old_secret --claims '$claims'
--kid $old_kid --secret-hex $SECRET_HEX --claims '$claims'
EOF
new_signed=$(sed -n 1p "$T/tokens")
old_signed=$(sed -n 2p "$T/tokens")
mixed=$(sed -n 3p "$T/tokens")
remember "$new_signed" "$old_signed"
whoami "$new_signed"
check "a token signed by the new secret is accepted at once (no restart)" \
    json_is .id "$user"
whoami "$old_signed"
check "a token signed by the retired secret after the rotation (as a process still caching it as current would) is accepted" \
    json_is .id "$user"
whoami "$mixed"
check "the retired kid with the new secret's signature is refused" \
    unauth_is 'signature'
