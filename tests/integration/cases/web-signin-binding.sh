#!/bin/bash
# web-signin-binding.sh: a GitHub sign-in finds its user by GitHub account
# id only, never by login (logins are renamed and reused): an account with
# the login an admin gave a user gets a user of its own; an admin binds
# an account to an existing user with `ttctl user link`; a sign-in
# replaces the memberships that came from GitHub and keeps those an admin
# added with `ttctl installation add-member`.
# passes: lighttpd apache asan
# needs: github
. "$TOP/tests/harness/lib.sh"

q() { psql "$TT_DATABASE_URL" -Atc "$1"; }
ttctl() { "$TOP/bin/ttctl" "$@"; }
cookie() { awk -v n="$2" '$6 == n { v = $7 } END { print v }' "$1"; }
secret=$(cat "$TT_GITHUB_OAUTH_CLIENT_SECRET_FILE")
# as_github LOGIN ID INSTALLATION...: who the stand-in's next sign-ins are.
as_github() {
	_l=$1 _i=$2; shift 2
	_insts=$(for _n in "$@"; do printf '{"id":%s,"login":"org-%s"}\n' "$_n" "$_n"; done | paste -sd,)
	curl -sSf --max-time 10 -X POST "$FAKEGH_URL/_fake/oauth-user" \
	    -H 'Content-Type: application/json' \
	    -d "{\"login\":\"$_l\",\"id\":$_i,\"client_secret\":\"$secret\",\"installations\":[$_insts]}" >/dev/null
}
# signin: the browser round trip in a fresh cookie jar; sets SESS, USER
# (the signed-in user's id), INSTS (its installations, sorted, comma
# separated) and LOGIN from GET /api/v1/web/session.
signin() {
	_jar=$(mktemp "$T/jar.XXXXXX")
	http GET /api/v1/github/login -c "$_jar" -b "$_jar"
	_cb=$(curl -s -o /dev/null -w '%{redirect_url}' "$(header Location)")
	http GET "${_cb#"$BASE"}" -c "$_jar" -b "$_jar"
	SESS=$(cookie "$_jar" tt_session)
	remember "$SESS"
	http GET /api/v1/web/session -b "tt_session=$SESS"
	USER=$(jq -r '.user.id // empty' "$T/body")
	LOGIN=$(jq -r '.user.login // empty' "$T/body")
	INSTS=$(jq -r '[.installations[]?.id] | sort | join(",")' "$T/body")
}
sorted() { printf '%s\n' "$@" | sort | paste -sd,; }
source_of() { # INSTALLATION USER: github, admin, github+admin or nothing
	q "SELECT concat_ws('+', CASE WHEN via_github THEN 'github' END,
	    CASE WHEN via_admin THEN 'admin' END) FROM installation_members
	    WHERE installation_id = $1 AND user_id = '$2'"
}

new_installation; inst_admin=$INST
new_installation; inst_gh1=$INST
new_installation; inst_gh2=$INST
# Two GitHub accounts of this run; the login is the one an admin gave.
gid_a=$(( 1000000000 + ($$ * 32768 + RANDOM) % 900000000 ))
gid_b=$((gid_a + 1))
login="bind-$$-$RANDOM"

# --- An admin's user named by a login, with a membership and a key. ---
old=$(ttctl user create --github-login "$login")
add_member "$inst_admin" "$old"
new_key "$old" kv_store_read
old_key=$KEY_ID
check "ttctl user create --github-login finds the same unlinked user again" \
    [ "$(ttctl user create --github-login "$login")" = "$old" ]

# --- (1) Another account holding that login signs in: a new user. ---
as_github "$login" "$gid_a" "$inst_gh1"
signin
check "the sign-in succeeds" [ -n "$SESS" ]
check "an account with the login of a user made by ttctl gets a NEW user" \
    bash -c "[ -n '$USER' ] && [ '$USER' != '$old' ]"
check "bound to the account's id" [ "$(q "SELECT id FROM users WHERE github_id = $gid_a")" = "$USER" ]
check "its page session lists only what GitHub lists for it, not the admin's membership" \
    [ "$INSTS" = "$inst_gh1" ]
http GET /api/v1/github/access-token -b "tt_session=$SESS"
check "the old user's keys are not visible to it" \
    bash -c "[ '$STATUS' = 200 ] && ! jq -e --arg k '$old_key' '.results[] | select(.id == \$k)' '$T/body' >/dev/null"
check "the old user is not bound to the account" [ "$(q "SELECT coalesce(github_id::text, 'none') FROM users WHERE id = '$old'")" = none ]
check "and its admin membership is untouched" [ "$(source_of "$inst_admin" "$old")" = admin ]
check "ttctl user create --github-login still names the admin's user, not the signed-in one" \
    [ "$(ttctl user create --github-login "$login")" = "$old" ]

# --- (2) The admin links the user to an account. ---
ttctl user link --id "$old" --github-id "$gid_a" >"$T/out" 2>"$T/err"
check "linking to an account bound to another user is refused (exit 1)" [ $? = 1 ]
check "saying which user has it" grep -q "GitHub account $gid_a is already linked to user $USER" "$T/err"
ttctl --json user link --id "$old" --github-id "$gid_b" >"$T/out" 2>"$T/err"
check "ttctl user link --id U --github-id N (exit 0)" [ $? = 0 ]
check "its --json output names the user and the account" \
    jq -e --arg u "$old" --argjson g "$gid_b" '.id == $u and .github_id == $g' "$T/out"
ttctl user link --id "$old" --github-id "$gid_b" >"$T/out" 2>&1
check "linking again to the same account is done already (exit 0)" [ $? = 0 ]
check "human output says so" grep -q "^user $old is linked to GitHub account $gid_b\$" "$T/out"
ttctl user link --id "$old" --github-id "$((gid_b + 1))" >/dev/null 2>"$T/err"
check "a user linked to another account is refused (exit 1)" [ $? = 1 ]
check "saying which account it has" grep -q "user $old is already linked to GitHub account $gid_b" "$T/err"
ttctl user link --id "$old" --github-id abc >/dev/null 2>&1
check "a GitHub id that is no number is bad usage (exit 2)" [ $? = 2 ]
ttctl user link --id "$(cat /proc/sys/kernel/random/uuid)" --github-id "$((gid_b + 2))" >/dev/null 2>"$T/err"
check "an unknown user is refused (exit 1)" [ $? = 1 ]

as_github "$login-renamed" "$gid_b" "$inst_gh1" "$inst_gh2" "$inst_admin"
signin
check "signing in as the linked account gives the linked user" [ "$USER" = "$old" ]
check "whose login (display only) follows GitHub's" [ "$LOGIN" = "$login-renamed" ]
check "with the admin's and GitHub's memberships" \
    [ "$INSTS" = "$(sorted "$inst_admin" "$inst_gh1" "$inst_gh2")" ]
check "a membership both gave is marked as both" [ "$(source_of "$inst_admin" "$old")" = github+admin ]
http GET /api/v1/github/access-token -b "tt_session=$SESS"
check "and the user's own keys" \
    jq -e --arg k "$old_key" '[.results[].id] | index($k) != null' "$T/body"

# --- (3) A sign-in replaces GitHub's memberships, keeps the admin's. ---
as_github "$login-renamed" "$gid_b" "$inst_gh2"
signin
check "the same user again" [ "$USER" = "$old" ]
check "an installation GitHub no longer lists is gone; the admin's stays" \
    [ "$INSTS" = "$(sorted "$inst_admin" "$inst_gh2")" ]
check "the admin's membership lost only its GitHub part" [ "$(source_of "$inst_admin" "$old")" = admin ]
check "the dropped one has no row left" [ -z "$(source_of "$inst_gh1" "$old")" ]

# remove-member ends a membership whoever added it; GitHub's comes back
# at the next sign-in while GitHub lists it.
ttctl installation remove-member --id "$inst_gh2" --user "$old" >/dev/null 2>"$T/err"
check "remove-member ends a GitHub membership too (exit 0)" [ $? = 0 ]
check "and says it comes back at the next sign-in" grep -q "next GitHub sign-in" "$T/err"
http GET /api/v1/web/session -b "tt_session=$SESS"
check "the session no longer lists it" \
    json_is '[.installations[].id] | sort | join(",")' "$inst_admin"
signin
check "GitHub still lists it: the next sign-in brings it back" \
    [ "$INSTS" = "$(sorted "$inst_admin" "$inst_gh2")" ]
ttctl installation add-member --id "$inst_gh2" --user "$old" >/dev/null
as_github "$login-renamed" "$gid_b"
signin
check "an admin's add-member on a GitHub membership outlives GitHub's list" \
    [ "$INSTS" = "$(sorted "$inst_admin" "$inst_gh2")" ]

# --- unlink: the account no longer signs in as the user. ---
ttctl user unlink --id "$old" >"$T/out" 2>&1
check "ttctl user unlink (exit 0)" [ $? = 0 ]
http GET /api/v1/web/session -b "tt_session=$SESS"
check "ends the user's GitHub sessions" json_is .signed_in false
signin
check "the account then gets a user of its own" bash -c "[ -n '$USER' ] && [ '$USER' != '$old' ]"
