#!/bin/bash
# auth-revocation.sh: revoking an API key (API or ttctl) stops its next
# refresh and cuts off the access tokens it already minted at once, not
# when they expire (SECURITY.md threats 6 and 7, option b; API.md 1.2
# step 5). Other keys of the same user are untouched.
# passes: lighttpd apache asan cgi
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
new_key "$user" access_token_create kv_store_read
admin=$KEY
admin_id=$KEY_ID
new_key "$user" kv_store_read
bystander=$KEY
new_key "$user" kv_store_read
victim=$KEY
victim_id=$KEY_ID
new_key "$user" kv_store_read
cli_victim=$KEY
cli_victim_id=$KEY_ID

refresh "$admin"; t_admin=$TOKEN
refresh "$bystander"; t_bystander=$TOKEN
refresh "$victim"
check "before revocation the key refreshes" status_is 200
t_victim=$TOKEN
whoami "$t_victim"
check "before revocation its access token works" json_is .id "$user"
refresh "$cli_victim"; t_cli=$TOKEN

# --- Revoked through the API. ---
http DELETE "/api/v1/github/access-token?id=$victim_id" \
    -H "Authorization: Bearer $t_admin"
check "DELETE /api/v1/github/access-token?id= revokes the key (204)" status_is 204
refresh "$victim"
check "the next refresh with the revoked key is a 401 'revoked'" unauth_is 'revoked'
whoami "$t_victim"
check "an access token minted before the revocation is refused at once" \
    unauth_is 'revoked'
http GET /api/v1/github/access-token -H "Authorization: Bearer $t_admin"
check "the revoked key is gone from the owner's key list" \
    json_is "[.results[].id] | index(\"$victim_id\")" null
http DELETE "/api/v1/github/access-token?id=$victim_id" \
    -H "Authorization: Bearer $t_admin"
check "revoking it a second time is a 404" fails_with 404 NOT_FOUND

# --- Revoked with ttctl. ---
"$TOP/bin/ttctl" key revoke "$cli_victim_id" >/dev/null 2>&1
rc=$?
check "ttctl key revoke succeeds" [ $rc = 0 ]
refresh "$cli_victim"
check "after ttctl key revoke the key's refresh is a 401" unauth_is 'revoked'
whoami "$t_cli"
check "after ttctl key revoke its access token is refused at once" unauth_is 'revoked'

# --- The user's other keys are untouched. ---
whoami "$t_bystander"
check "another key's access token still works" json_is .id "$user"
refresh "$bystander"
check "another key of the same user still refreshes" status_is 200
t_bystander=$TOKEN

# --- A key may revoke itself; its own token dies with it. ---
http DELETE "/api/v1/github/access-token?id=$admin_id" \
    -H "Authorization: Bearer $t_admin"
check "a key can revoke itself (204)" status_is 204
whoami "$t_admin"
check "the self-revoking token is refused on its next use" unauth_is 'revoked'
refresh "$admin"
check "the self-revoked key no longer refreshes" unauth_is 'revoked'
whoami "$t_bystander"
check "after all that, the other key's new token still works" status_is 200
