#!/bin/bash
# auth-token-forgery.sh: forged access tokens are refused (SECURITY.md
# threats 1, 2, 3, 5 and 21). A token forged correctly with the real
# signing secret is accepted first, so every refusal below is the check
# under test and not some other accident of the forged claims.
# passes: lighttpd apache asan cgi-asan
# needs: -
. "$TOP/tests/harness/lib.sh"

user=$(new_user)
other=$(new_user)
new_key "$user" access_token_create kv_store_read
key_id=$KEY_ID
current_secret
wrong_sec=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
NOW=$(date +%s)

# claims [NAME=JSON...]: the claims of a genuine token for the key as
# compact JSON, a member replaced in place or added at the end for each
# NAME=JSON, left out for NAME=-. (Plain shell: some thirty are forged.)
claims() {
	local m k v out=
	local -A set=()
	for m in "$@"; do set[${m%%=*}]=${m#*=}; done
	local -A base=([iss]='"terrateam"' [sub]="\"$user\"" [iat]=$NOW
	    [exp]=$((NOW + 60)) [jti]='"forged"'
	    [terrateam]="{\"user_id\":\"$user\",\"api_key_id\":\"$key_id\",\"capabilities\":[\"access_token_create\",\"kv_store_read\"]}")
	for k in iss sub iat exp jti terrateam; do
		v=${set[$k]-${base[$k]}}
		unset "set[$k]"
		[ "$v" = - ] || out="$out${out:+,}\"$k\":$v"
	done
	for k in "${!set[@]}"; do out="$out,\"$k\":${set[$k]}"; done
	printf '{%s}' "$out"
}
hdr() { printf '{"alg":"%s","kid":"%s","typ":"JWT"}' "$1" "$KID"; }

# Every token is forged in one batch. spec DESCRIPTION REASON ARGS: the
# forge.py arguments (shell words, JSON in '...') and a regex the 401's
# description must match, which shows the token fell for that reason.
S="--kid $KID --secret-hex $SECRET_HEX"
: >"$T/specs"
spec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$T/specs"; }
long_x=$(printf '%0100d' 0 | tr 0 a)
spec "alg none with an empty signature" HS256 "$S --alg none --claims '$(claims)'"
spec "alg none with an HS256 signature by the right secret" HS256 \
    "$S --header '$(hdr none)' --claims '$(claims)'"
spec "alg none with a garbage signature" HS256 "$S --alg none --sig garbage --claims '$(claims)'"
spec "HS512 signed with the right secret" HS256 "$S --alg HS512 --claims '$(claims)'"
spec "HS384 signed with the right secret" HS256 "$S --alg HS384 --claims '$(claims)'"
spec "header alg \"hs256\" signed with the right secret" HS256 \
    "$S --header '$(hdr hs256)' --claims '$(claims)'"
spec "RS256 header (HMAC-signed with the secret)" HS256 \
    "$S --header '$(hdr RS256)' --claims '$(claims)'"
spec "signed with a different 32-byte secret" signature \
    "--kid $KID --secret-hex $wrong_sec --claims '$(claims)'"
spec "1-bit flip in the header" . "$S --flip header --claims '$(claims)'"
spec "1-bit flip in a header member the server ignores" signature \
    "$S --header '{\"alg\":\"HS256\",\"kid\":\"$KID\",\"typ\":\"JWT\",\"x\":\"$long_x\"}' --flip header --claims '$(claims)'"
spec "1-bit flip in the payload" signature "$S --flip payload --claims '$(claims)'"
spec "1-bit flip in the signature" signature "$S --flip sig --claims '$(claims)'"
spec "empty signature" signature "$S --sig empty --claims '$(claims)'"
spec "no kid in the header" 'key id' "$S --header '{\"alg\":\"HS256\",\"typ\":\"JWT\"}' --claims '$(claims)'"
spec "a kid that names no secret" 'unknown or retired key' \
    "--kid nosuchkid$$ --secret-hex $SECRET_HEX --claims '$(claims)'"
spec "nbf 60 s in the future" 'not valid yet' "$S --claims '$(claims nbf=$((NOW + 60)))'"
spec "iat 60 s in the future" 'issued in the future' \
    "$S --claims '$(claims iat=$((NOW + 60)) exp=$((NOW + 120)))'"
spec "exp an hour ahead of iat (lifetime over 60 s)" 'lifetime' \
    "$S --claims '$(claims exp=$((NOW + 3600)))'"
spec "no exp claim" exp "$S --claims '$(claims exp=-)'"
spec "exp as the string \"123\"" exp "$S --claims '$(claims exp='"123"')'"
spec "exp as a string holding a valid time" exp "$S --claims '$(claims exp="\"$((NOW + 60))\"")'"
spec "exp as a float (.5)" exp "$S --claims '$(claims exp=$((NOW + 60)).5)'"
spec "exp as an integral float (.0)" exp "$S --claims '$(claims exp=$((NOW + 60)).0)'"
spec "exp in exponent notation" exp "$S --claims '$(claims exp=$((NOW + 60))e0)'"
spec "two exp members, the last one valid" malformed \
    "$S --claims '$(claims exp="1,\"exp\":$((NOW + 60))")'"
spec "iss not terrateam" issuer "$S --claims '$(claims iss='"evil"')'"
spec "sub naming a user other than terrateam.user_id" claims \
    "$S --claims '$(claims sub="\"$other\"")'"

# sized N: forge arguments for a correctly signed token of exactly N
# bytes, padding a claim. Lengths are computed: base64url turns m bytes
# into ceil(4m/3) characters, never 1 mod 4, so a header member of 0..3
# bytes moves the total as well.
b64len() { echo $(((4 * $1 + 2) / 3)); }
sized() {
	_c0=$(claims pad='""')
	for x in "" a aa aaa; do
		_h="{\"alg\":\"HS256\",\"kid\":\"$KID\",\"typ\":\"JWT\",\"x\":\"$x\"}"
		_P=$(($1 - 45 - $(b64len ${#_h})))
		_m=$((_P * 3 / 4))
		[ "$(b64len $_m)" -eq $_P ] && [ $_m -ge ${#_c0} ] || continue
		_pad=$(head -c $((_m - ${#_c0})) /dev/zero | tr '\0' A)
		echo "$S --header '$_h' --claims '$(claims pad="\"$_pad\"")'"
		return
	done
}
{
	echo "$S --claims '$(claims)'"
	sized 4096
	sized 4097
	cut -f3 "$T/specs"
} | forge_many >"$T/tokens"
good=$(sed -n 1p "$T/tokens")
t4096=$(sed -n 2p "$T/tokens")
t4097=$(sed -n 3p "$T/tokens")
remember "$good" "$t4096"

# --- The control: the forger's genuine token is accepted. ---
whoami "$good"
check "control: a correctly forged HS256 token is accepted by whoami" \
    status_is 200
check "control: whoami reports the forged claims' user" json_is .id "$user"
http GET /api/v1/github/access-token -H "Authorization: Bearer $good"
check "control: the forged token is accepted by the key list" status_is 200

# --- Each forgery: a JSON 401 on whoami and on the key list. ---
tail -n +4 "$T/tokens" | paste "$T/specs" - | cut -f1,2,4 >"$T/cases"
check "test setup: every forgery was minted" \
    [ "$(awk -F'\t' '$3 != ""' "$T/cases" | wc -l)" -eq "$(wc -l <"$T/specs")" ]
while IFS="$(printf '\t')" read -r desc why t <&3; do
	whoami "$t"
	check "$desc: whoami is a 401" unauth_is "$why"
	http GET /api/v1/github/access-token -H "Authorization: Bearer $t"
	check "$desc: the key list is a 401" unauth_is "$why"
done 3<"$T/cases"

t=$(sed -n 1p "$T/cases" | cut -f3)
http POST /api/v1/access-token/refresh -H 'Content-Length: 0' \
    -H "Authorization: Bearer $t"
check "alg none with an empty signature: refresh is a 401" unauth_is

# --- Threat 21: oversized tokens. ---
check "test setup: forged tokens of exactly 4096 and 4097 bytes" \
    [ ${#t4096} -eq 4096 -a ${#t4097} -eq 4097 ]
whoami "$t4096"
check "a correctly signed token of 4096 bytes is accepted" status_is 200
whoami "$t4097"
check "a correctly signed token of 4097 bytes is a 401 (too long)" \
    unauth_is 'too long'

a=$(head -c 40000 /dev/zero | tr '\0' A)
# 6000 bytes pass both web servers' header limits and reach the program.
mid="eyJ${a:0:3000}.${a:0:2950}.${a:0:43}"
whoami "$mid"
check "a 6000-byte token of valid characters is a 401 (too long)" \
    unauth_is 'too long'
big="eyJ${a:0:32000}.${a:0:33528}.sig"
check "test setup: the fake token is 65536 bytes" [ ${#big} -eq 65536 ]
four_xx() { case $STATUS in 4??) return 0 ;; esac; echo "# got $STATUS"; return 1; }
whoami "$big"
echo "# $SERVER answers $STATUS to a 65536-byte token"
check "a 65536-byte token is a 4xx (web server or program), never a 5xx" four_xx
http GET /api/v1/github/access-token -H "Authorization: Bearer $big"
check "a 65536-byte token on the key list is a 4xx too" four_xx
whoami "$good"
check "the workers still answer a good request after the oversized tokens" \
    json_is .id "$user"
