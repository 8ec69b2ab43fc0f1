#!/bin/bash
# readme-tour.sh: the README's 60-second tour (the shell block between
# <!-- tour --> and <!-- /tour -->) run as written, from the top of the
# checkout, against this server, after what `make run` does first
# (tools/demo.sh); then its output is checked line by line.
# passes: lighttpd apache asan cgi cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

# make run's state: the demo user, installation 12345, seeded manifests.
"$TOP/tools/demo.sh" "${BASE##*:}" >"$T/demo.out" 2>&1
check "tools/demo.sh (what make run does before the tour) succeeds" [ $? = 0 ]
remember "$(sed -n 's/^ *export TERRATEAM_API_KEY=//p' "$T/demo.out")"

# The block: the lines between the markers, inside one ```sh fence.
awk '/^<!-- tour -->$/ { n++; on = 1; next } /^<!-- \/tour -->$/ { on = 0 } on' \
    "$TOP/README.md" >"$T/block.md"
check "README.md has one tour block, fenced as sh" sh -c '
	[ "$(grep -c "^<!-- tour -->$" "$1")" = 1 ] &&
	[ "$(head -1 "$2")" = "\`\`\`sh" ] && [ "$(tail -1 "$2")" = "\`\`\`" ] &&
	[ "$(grep -c "^\`\`\`" "$2")" = 2 ]' - "$TOP/README.md" "$T/block.md"
sed '1d;$d' "$T/block.md" >"$T/tour.sh"
check "the tour talks to make run's address unless TERRATEAM_URL says otherwise" \
    grep -qF 'URL=${TERRATEAM_URL:-http://127.0.0.1:8080}' "$T/tour.sh"

# Run it in a shell of its own; afterwards the same shell hands back the
# key and the token it made (for the checks and the log-leak check).
(cd "$TOP" && env -u TERRATEAM_API_KEY -u TOKEN TERRATEAM_URL=$BASE \
    bash -e -o pipefail -c '. "$1"; printf "%s\n%s\n" "$TERRATEAM_API_KEY" "$TOKEN" >"$2"' \
    tour "$T/tour.sh" "$T/creds" >"$T/out" 2>"$T/err")
rc=$?
check "the tour block exits 0" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/# stderr: /' "$T/err" | head -20
key=$(sed -n 1p "$T/creds" 2>/dev/null)
token=$(sed -n 2p "$T/creds" 2>/dev/null)
remember "$key" "$token"
sed 's/^/# out: /' "$T/out"

check "ttctl key create made a tt_live_ key" \
    sh -c 'printf %s "$1" | grep -Eq "^tt_live_[A-Za-z0-9]{40,}$"' - "$key"
check "stderr holds only the key's id line" sh -c '
	[ "$(grep -c . "$1")" = 1 ] &&
	grep -Eq "^key id [0-9a-f-]{36} \"tour\" .*shown once" "$1"' - "$T/err"
demo=$("$TOP/bin/ttctl" user create --github-login demo)
whoami "$token"
check "the token it refreshed is the demo user's, from the new key" \
    sh -c 'jq -e --arg u "$2" ".id == \$u and (.api_key_id | test(\"^[0-9a-f-]{36}$\"))" "$1" >/dev/null' \
    - "$T/body" "$demo"
check "it prints exactly five lines" [ "$(wc -l <"$T/out")" = 5 ]
check "three work manifests: id, run type, state, repo, branch" sh -c '
	[ "$(head -3 "$1" | grep -cE "^[0-9a-f]{8}-[0-9a-f-]{27}  [a-z-]+  [a-z_]+  [^ ]+  [^ ]+$")" = 3 ]' \
    - "$T/out"
check "the KV put answers the record's key and version" \
    grep -qE '^\{"key":"tour\.greeting","version":[0-9]+\}$' <(sed -n 4p "$T/out")
check "the KV get reads back the value" [ "$(sed -n 5p "$T/out")" = "hello from the tour" ]
