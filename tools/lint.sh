#!/bin/sh
# lint.sh: `make lint`: grep bans from STYLE.md and SECURITY.md section 8.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
fail=0
ban() {
	hits=$(grep -rnE "$1" --include='*.c' --include='*.h' lib cgi-bin tools tests/progs 2>/dev/null | grep -v 'lint: allow')
	if [ -n "$hits" ]; then
		echo "not ok - lint: $2"
		echo "$hits" | sed 's/^/# /'
		fail=1
	else
		echo "ok - lint: $2"
	fi
}
ban '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok|rand)\(' "no unbounded or unchecked libc calls"
ban 'cJSON_GetObjectItem\(' "cJSON lookups are case-sensitive"
ban 'cJSON_GetErrorPtr|cJSON_Compare|cJSONUtils_' "no process-global or unsafe cJSON APIs"
ban 'SSL_VERIFY(PEER|HOST), *0' "TLS verification is never disabled"
ban 'PQexec\([^"]*$' "PQexec only with literal SQL (migrations excepted)"
# Threat 17: secrets are compared only through tt_crypto_equal.
ban '(str|mem)n?cmp\([^)]*\b(sig|mac|secret|hmac|signature|key_sha256)\b' "no strcmp/memcmp on secrets (tt_crypto_equal)"
# Both Apache shapes send the same paths to the same programs, in order.
routes_fcgid=$(sed -n 's|^ScriptAliasMatch "\([^"]*\)" "${TT_CGIBIN}/\([a-z-]*\)"$|\1 \2|p' apache.conf)
routes_proxy=$(sed -n 's|^ProxyPassMatch "\([^"]*\)" "unix:${TT_SOCKDIR}/\([a-z-]*\)\.sock[|]fcgi://tt-\2/"$|\1 \2|p' apache-proxy-fcgi.conf)
if [ -n "$routes_fcgid" ] && [ "$routes_fcgid" = "$routes_proxy" ]; then
	echo "ok - lint: apache.conf and apache-proxy-fcgi.conf route alike"
else
	echo "not ok - lint: apache.conf and apache-proxy-fcgi.conf route alike"
	echo "$routes_fcgid" | sed 's/^/# apache.conf: /'
	echo "$routes_proxy" | sed 's/^/# apache-proxy-fcgi.conf: /'
	fail=1
fi
# Every integration case says which passes run it and what it needs
# (tests/run.sh reads these lines).
untagged=
for c in tests/integration/cases/*.sh tests/integration/two-servers/*.sh; do
	grep -qE '^# passes: [a-z -]+$' "$c" && grep -qE '^# needs: (-|[a-z ]+)$' "$c" ||
	    untagged="$untagged $c"
	for w in $(sed -n 's/^# passes: //p' "$c"); do
		case " lighttpd apache asan proxy cgi cgi-asan valgrind pair " in
		*" $w "*) ;; *) untagged="$untagged $c($w)" ;;
		esac
	done
	for w in $(sed -n 's/^# needs: //p' "$c"); do
		case " - github oidc " in *" $w "*) ;; *) untagged="$untagged $c($w)" ;; esac
	done
done
if [ -z "$untagged" ]; then
	echo "ok - lint: every case declares its passes and stand-ins"
else
	echo "not ok - lint: every case declares its passes and stand-ins"
	echo "# missing or unknown:$untagged"
	fail=1
fi
# `check DESC [ a ] && [ b ]` checks only a: the && ends check's
# command, and b's failure is never reported. Both go in one command
# (eval '...', sh -c '...').
halfchecked=$(find tests -name '*.sh' -exec awk '
	cont && /^[ \t]*\[ .*\] (&&|\|\|) / { print FILENAME ":" FNR ": " $0 }
	{ cont = /^[ \t]*check .*\\$/ }
	/^[ \t]*check "[^"]*" \[ .*\] (&&|\|\|) / { print FILENAME ":" FNR ": " $0 }
' {} +)
if [ -z "$halfchecked" ]; then
	echo "ok - lint: no check whose && or || runs outside it"
else
	echo "not ok - lint: no check whose && or || runs outside it"
	echo "$halfchecked" | sed 's/^/# /'
	fail=1
fi
# Every TT_* variable the programs read (lib/config.c) is in the README's
# table and reaches the programs under apache.conf, which passes only
# what it lists (lighttpd and spawn-fcgi pass their whole environment);
# ttctl's own (the migrations, the audit trail's pruning) aside.
unlisted=
for v in $(grep -o '"TT_[A-Z_]*"' lib/config.c | tr -d '"' | sort -u); do
	grep -q "^| \`$v\`\|, \`$v\` |" README.md || unlisted="$unlisted README:$v"
	case $v in TT_SQL_DIR|TT_AUDIT_RETENTION_DAYS) continue ;; esac
	grep -q "FcgidInitialEnv $v \"\${$v}\"" apache.conf || unlisted="$unlisted apache.conf:$v"
done
if [ -z "$unlisted" ]; then
	echo "ok - lint: every TT_* variable is in the README and apache.conf"
else
	echo "not ok - lint: every TT_* variable is in the README and apache.conf"
	echo "# missing:$unlisted"
	fail=1
fi
exit $fail
