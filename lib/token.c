/*
 * token.c: HS256 access tokens: signing and the verification wrapper.
 *
 * Verification applies every rule of SECURITY.md's "JWT verification
 * wrapper" but does the JWS work itself with OpenSSL's HMAC and the
 * project's strict cJSON parser instead of libjwt 1.10.2: none of
 * libjwt's weak spots (algorithm taken from the token, any signature
 * accepted with an empty key, alloca() on the token, jansson keeping the
 * last of duplicate members where cJSON keeps the first) can then be
 * reached, and a verification costs a few microseconds instead of ~25.
 * libjwt stays in the unit tests as an independent implementation: RFC
 * 7515 A.1 and every token we sign must verify there too.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "token.h"
#include "valid.h"

static int
token_chars_ok(const char *t, size_t *dots)
{
	size_t	i;

	*dots = 0;
	for (i = 0; t[i] != '\0'; i++) {
		char	c = t[i];

		if (c == '.')
			(*dots)++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
tt_token_looks_like(const char *t)
{
	size_t	dots;

	return t != NULL && strlen(t) <= TT_TOKEN_MAX_LEN &&
	    token_chars_ok(t, &dots) && dots == 2 && t[0] != '.';
}

/* Decodes one base64url segment and parses it as a JSON object. */
static cJSON *
segment_json(struct tt_arena *a, const char *seg, size_t n)
{
	unsigned char	*raw;
	size_t		 len;
	const char	*why;
	cJSON		*j;

	raw = tt_crypto_b64url_decode(a, seg, n, &len);
	if (raw == NULL)
		return NULL;
	j = tt_json_parse(a, (const char *)raw, len, &why);
	return cJSON_IsObject(j) ? j : NULL;
}

/*
 * The header every token of ours has, {"alg":"HS256","kid":"<hex>",
 * "typ":"JWT"} byte for byte: its kid (arena copy), or NULL for any
 * other header, which then takes the full parse below. What this accepts,
 * that parse accepts too, with the same kid; it only skips the JSON work
 * on the path every request takes (twice: session, then verify).
 */
static const char *
own_header_kid(struct tt_arena *a, const char *seg, size_t n)
{
	static const char	 pre[] = "{\"alg\":\"HS256\",\"kid\":\"";
	static const char	 post[] = "\",\"typ\":\"JWT\"}";
	unsigned char		*raw;
	size_t			 len, k, i;

	raw = tt_crypto_b64url_decode(a, seg, n, &len);
	if (raw == NULL || len <= sizeof(pre) - 1 + sizeof(post) - 1 ||
	    memcmp(raw, pre, sizeof(pre) - 1) != 0 ||
	    memcmp(raw + len - (sizeof(post) - 1), post,
	    sizeof(post) - 1) != 0)
		return NULL;
	k = len - (sizeof(pre) - 1) - (sizeof(post) - 1);
	if (k > 64)
		return NULL;
	for (i = sizeof(pre) - 1; i < sizeof(pre) - 1 + k; i++)
		if (!((raw[i] >= '0' && raw[i] <= '9') ||
		    (raw[i] >= 'a' && raw[i] <= 'f')))
			return NULL;
	return tt_arena_strndup(a, (const char *)raw + sizeof(pre) - 1, k);
}

enum tt_err
tt_token_header(struct tt_arena *a, const char *token, const char **kid,
    const char **why)
{
	const char	*dot, *alg, *typ;
	size_t		 len, dots;
	cJSON		*h;

	len = strlen(token);
	if (len > TT_TOKEN_MAX_LEN) {
		*why = "token too long";
		return TT_EUNAUTH;
	}
	if (!token_chars_ok(token, &dots) || dots != 2) {
		*why = "malformed token";
		return TT_EUNAUTH;
	}
	dot = strchr(token, '.');
	if ((*kid = own_header_kid(a, token, (size_t)(dot - token))) != NULL)
		return TT_OK;
	if ((h = segment_json(a, token, (size_t)(dot - token))) == NULL) {
		*why = "malformed token header";
		return TT_EUNAUTH;
	}
	alg = tt_json_string(h, "alg");
	if (alg == NULL || strcmp(alg, "HS256") != 0) {
		*why = "token algorithm must be HS256";
		return TT_EUNAUTH;
	}
	typ = tt_json_string(h, "typ");
	if (cJSON_GetObjectItemCaseSensitive(h, "typ") != NULL &&
	    (typ == NULL || strcmp(typ, "JWT") != 0)) {
		*why = "token type must be JWT";
		return TT_EUNAUTH;
	}
	if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL) {
		*why = "token header has critical extensions";
		return TT_EUNAUTH;
	}
	*kid = tt_json_string(h, "kid");
	if (*kid == NULL || (*kid)[0] == '\0' || strlen(*kid) > 64) {
		*why = "token has no signing key id";
		return TT_EUNAUTH;
	}
	*kid = tt_arena_strdup(a, *kid);
	return TT_OK;
}

/* Appends one base64url segment of a JSON tree to the buffer. */
static void
put_segment(struct tt_arena *a, struct tt_buf *b, const cJSON *j)
{
	char	*s;

	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		tt_oom(0);
	tt_buf_puts(b, tt_crypto_b64url_encode(a, (unsigned char *)s,
	    strlen(s)));
	cJSON_free(s);
}

/*
 * The compact JWS, header and claims with their members in sorted order
 * (as Terrateam serialises them), so equal claims give equal bytes.
 */
enum tt_err
tt_token_sign(struct tt_arena *a, const char *kid, const unsigned char *secret,
    size_t secretlen, const struct tt_token_claims *c, char **token)
{
	struct tt_buf	 b = { 0 };
	unsigned char	 mac[TT_SHA256_LEN];
	cJSON		*h, *p, *tt;

	if (secretlen < TT_TOKEN_MIN_SECRET || c->caps == NULL ||
	    (c->api_key_id == NULL) == (c->policy_id == NULL))
		return TT_EINTERNAL;
	h = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(h, "alg", "HS256");
	cJSON_AddStringToObject(h, "kid", kid);
	cJSON_AddStringToObject(h, "typ", "JWT");
	p = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddNumberToObject(p, "exp", (double)c->exp);
	cJSON_AddNumberToObject(p, "iat", (double)c->iat);
	cJSON_AddStringToObject(p, "iss", c->issuer);
	cJSON_AddStringToObject(p, "jti", c->jti);
	cJSON_AddStringToObject(p, "sub", c->user_id);
	tt = cJSON_AddObjectToObject(p, "terrateam");
	if (c->api_key_id != NULL)
		cJSON_AddStringToObject(tt, "api_key_id", c->api_key_id);
	cJSON_AddItemReferenceToObject(tt, "capabilities", c->caps);
	if (c->policy_id != NULL) {
		cJSON	*o = cJSON_Duplicate(c->oidc, 1);

		if (o == NULL && (o = cJSON_CreateObject()) == NULL)
			tt_oom(0);
		cJSON_DeleteItemFromObjectCaseSensitive(o, "policy_id");
		cJSON_AddStringToObject(o, "policy_id", c->policy_id);
		cJSON_AddItemToObject(tt, "oidc", o);
	}
	cJSON_AddStringToObject(tt, "user_id", c->user_id);

	put_segment(a, &b, h);
	tt_buf_puts(&b, ".");
	put_segment(a, &b, p);
	tt_crypto_hmac_sha256(secret, secretlen, b.p, b.n, mac);
	tt_buf_puts(&b, ".");
	tt_buf_puts(&b, tt_crypto_b64url_encode(a, mac, sizeof(mac)));
	*token = tt_arena_strndup(a, b.p, b.n);
	memset(b.p, 0, b.n);
	tt_buf_free(&b);
	return TT_OK;
}

/*
 * 1 if the top-level member name of the (already validated) object text
 * has a plain integer literal as its value, 0 if it has something else,
 * -1 if absent. An escaped member name makes the whole payload suspect
 * (-2): no issuer of ours writes one.
 */
static int
integer_literal(const char *s, size_t n, const char *name)
{
	size_t	i = 0, k, nlen = strlen(name);
	int	depth = 0, found = -1;

	while (i < n) {
		char	c = s[i];

		if (c == '"') {
			size_t	start = ++i;
			int	esc = 0;

			while (i < n && s[i] != '"') {
				if (s[i] == '\\') {
					esc = 1;
					i++;
				}
				i++;
			}
			k = i++;	/* closing quote */
			if (depth != 1)
				continue;
			/* A member name is followed by ':'. */
			while (i < n && (s[i] == ' ' || s[i] == '\t' ||
			    s[i] == '\n' || s[i] == '\r'))
				i++;
			if (i >= n || s[i] != ':')
				continue;
			if (esc)
				return -2;
			if (k - start != nlen || memcmp(s + start, name, nlen))
				continue;
			i++;
			while (i < n && (s[i] == ' ' || s[i] == '\t' ||
			    s[i] == '\n' || s[i] == '\r'))
				i++;
			found = i < n && s[i] >= '0' && s[i] <= '9';
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			if (found && i < n && s[i] != ',' && s[i] != '}' &&
			    s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r')
				found = 0;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		i++;
	}
	return found;
}

int
tt_token_int_claim(const cJSON *p, const char *raw, size_t rawlen,
    const char *name, int64_t *v, int *present)
{
	const cJSON	*c;
	int		 lit;

	c = cJSON_GetObjectItemCaseSensitive(p, name);
	*present = c != NULL;
	if (c == NULL)
		return 0;
	lit = integer_literal(raw, rawlen, name);
	if (!cJSON_IsNumber(c) || lit != 1 || !isfinite(c->valuedouble) ||
	    c->valuedouble != floor(c->valuedouble) || c->valuedouble <= 0 ||
	    c->valuedouble > 9007199254740992.0)
		return -1;
	*v = (int64_t)c->valuedouble;
	return 0;
}

static enum tt_err
fail(const char **why, const char *msg)
{
	*why = msg;
	return TT_EUNAUTH;
}

enum tt_err
tt_token_verify(struct tt_arena *a, const char *token,
    const unsigned char *secret, size_t secretlen,
    const struct tt_token_rules *r, struct tt_token_claims *c,
    const char **why)
{
	const char	*d1, *d2, *s, *kid;
	unsigned char	*sig, *raw, mac[TT_SHA256_LEN];
	size_t		 siglen, rawlen;
	int64_t		 nbf;
	int		 present;
	cJSON		*p, *claim;
	enum tt_err	 e;

	memset(c, 0, sizeof(*c));
	/* Never without a real key. */
	if (secret == NULL || secretlen < TT_TOKEN_MIN_SECRET)
		return fail(why, "no usable signing key");
	/* Shape, charset, length and the HS256 header, again. */
	if ((e = tt_token_header(a, token, &kid, why)) != TT_OK)
		return e;
	d1 = strchr(token, '.');
	d2 = strchr(d1 + 1, '.');

	/* The signature: exactly 32 bytes, compared in constant time. */
	sig = tt_crypto_b64url_decode(a, d2 + 1, strlen(d2 + 1), &siglen);
	if (sig == NULL || siglen != TT_SHA256_LEN)
		return fail(why, "bad token signature");
	tt_crypto_hmac_sha256(secret, secretlen, token, (size_t)(d2 - token),
	    mac);
	if (!tt_crypto_equal(mac, sig, sizeof(mac)))
		return fail(why, "bad token signature");

	raw = tt_crypto_b64url_decode(a, d1 + 1, (size_t)(d2 - d1 - 1),
	    &rawlen);
	if (raw == NULL || (p = tt_json_parse(a, (const char *)raw, rawlen,
	    why)) == NULL || !cJSON_IsObject(p))
		return fail(why, "malformed token claims");

	if (tt_token_int_claim(p, (char *)raw, rawlen, "exp", &c->exp,
	    &present) != 0 || !present)
		return fail(why, "token has no valid exp claim");
	if (tt_token_int_claim(p, (char *)raw, rawlen, "iat", &c->iat,
	    &present) != 0 || !present)
		return fail(why, "token has no valid iat claim");
	if (tt_token_int_claim(p, (char *)raw, rawlen, "nbf", &nbf,
	    &present) != 0)
		return fail(why, "token has an invalid nbf claim");
	if (present && nbf > (int64_t)r->now + r->leeway)
		return fail(why, "token not valid yet");
	if ((int64_t)r->now >= c->exp + r->leeway)
		return fail(why, "token expired");
	if (c->iat > (int64_t)r->now + r->leeway)
		return fail(why, "token issued in the future");
	if (c->exp < c->iat || c->exp - c->iat > r->max_ttl)
		return fail(why, "token lifetime too long");
	s = tt_json_string(p, "iss");
	if (s == NULL || strcmp(s, r->issuer) != 0)
		return fail(why, "token issuer not accepted");
	c->issuer = s;
	s = tt_json_string(p, "jti");
	c->jti = s ? s : "";

	claim = cJSON_GetObjectItemCaseSensitive(p, "terrateam");
	if (!cJSON_IsObject(claim))
		return fail(why, "token has no terrateam claim");
	c->user_id = tt_json_string(claim, "user_id");
	c->api_key_id = tt_json_string(claim, "api_key_id");
	c->oidc = cJSON_GetObjectItemCaseSensitive(claim, "oidc");
	c->policy_id = tt_json_string(c->oidc, "policy_id");
	c->caps = cJSON_GetObjectItemCaseSensitive(claim, "capabilities");
	s = tt_json_string(p, "sub");
	/* Exactly one of a key and a trust policy stands behind a token. */
	if (c->api_key_id != NULL ? c->oidc != NULL :
	    !cJSON_IsObject(c->oidc) || !tt_valid_uuid(c->policy_id))
		return fail(why, "token claims are malformed");
	if (!tt_valid_uuid(c->user_id) || (c->api_key_id != NULL &&
	    !tt_valid_uuid(c->api_key_id)) ||
	    !cJSON_IsArray(c->caps) || s == NULL ||
	    strcmp(s, c->user_id) != 0)
		return fail(why, "token claims are malformed");
	return TT_OK;
}
