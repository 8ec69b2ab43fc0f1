/* token.c: the JWT verification wrapper of SECURITY.md over libjwt 1.10. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <errno.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
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

enum tt_err
tt_token_header(struct tt_arena *a, const char *token, const char **kid,
    const char **why)
{
	const char	*dot, *alg, *typ, *jwhy;
	unsigned char	*raw;
	size_t		 len, dots, rawlen;
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
	raw = tt_crypto_b64url_decode(a, token, (size_t)(dot - token), &rawlen);
	if (raw == NULL || (h = tt_json_parse(a, (const char *)raw, rawlen,
	    &jwhy)) == NULL || !cJSON_IsObject(h)) {
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
	*kid = tt_json_string(h, "kid");
	if (*kid == NULL || (*kid)[0] == '\0' || strlen(*kid) > 64) {
		*why = "token has no signing key id";
		return TT_EUNAUTH;
	}
	*kid = tt_arena_strdup(a, *kid);
	return TT_OK;
}

enum tt_err
tt_token_sign(struct tt_arena *a, const char *kid, const unsigned char *secret,
    size_t secretlen, const struct tt_token_claims *c, char **token)
{
	jwt_t		*j = NULL;
	cJSON		*grants;
	char		*json = NULL, *out = NULL;
	enum tt_err	 rc = TT_EINTERNAL;

	if (secretlen < TT_TOKEN_MIN_SECRET)
		return TT_EINTERNAL;
	grants = cJSON_CreateObject();
	cJSON	*tt = cJSON_AddObjectToObject(grants, "terrateam");
	cJSON_AddStringToObject(tt, "user_id", c->user_id);
	cJSON_AddItemToObject(tt, "capabilities",
	    cJSON_Duplicate(c->caps, 1));
	cJSON_AddStringToObject(tt, "api_key_id", c->api_key_id);
	cJSON_AddStringToObject(grants, "iss", c->issuer);
	cJSON_AddStringToObject(grants, "sub", c->user_id);
	cJSON_AddStringToObject(grants, "jti", c->jti);
	if ((json = cJSON_PrintUnformatted(grants)) == NULL)
		goto out;
	if (jwt_new(&j) != 0 ||
	    jwt_set_alg(j, JWT_ALG_HS256, secret, (int)secretlen) != 0 ||
	    jwt_add_header(j, "kid", kid) != 0 ||
	    jwt_add_grants_json(j, json) != 0 ||
	    jwt_add_grant_int(j, "iat", (long)c->iat) != 0 ||
	    jwt_add_grant_int(j, "exp", (long)c->exp) != 0)
		goto out;
	if ((out = jwt_encode_str(j)) == NULL)
		goto out;
	*token = tt_arena_strdup(a, out);
	rc = TT_OK;
out:
	if (out != NULL) {
		memset(out, 0, strlen(out));
		free(out);
	}
	cJSON_free(json);
	cJSON_Delete(grants);
	jwt_free(j);
	return rc;
}

/* An integer claim written as a JSON integer (not a string or float). */
static int
int_claim(jwt_t *j, const char *name, int64_t *v, int *present)
{
	char	*raw;
	long	 n;
	size_t	 i;
	int	 ok = 1;

	raw = jwt_get_grants_json(j, name);
	*present = raw != NULL;
	if (raw == NULL)
		return 0;
	for (i = 0; raw[i] != '\0'; i++)
		if (raw[i] < '0' || raw[i] > '9')
			ok = 0;
	if (i == 0 || i > 15)
		ok = 0;
	free(raw);
	if (!ok)
		return -1;
	errno = 0;
	n = jwt_get_grant_int(j, name);
	if (errno != 0 || n <= 0)
		return -1;
	*v = n;
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
    const struct tt_token_rules *r, struct tt_token_claims *c, const char **why)
{
	jwt_t		*j = NULL;
	char		*tt = NULL;
	const char	*s, *jwhy;
	cJSON		*claim;
	int64_t		 nbf;
	int		 present;
	enum tt_err	 rc;

	memset(c, 0, sizeof(*c));
	/* Never a NULL or short key: libjwt would accept any signature. */
	if (secret == NULL || secretlen < TT_TOKEN_MIN_SECRET)
		return fail(why, "no usable signing key");
	if (strlen(token) > TT_TOKEN_MAX_LEN)
		return fail(why, "token too long");
	if (jwt_decode(&j, token, secret, (int)secretlen) != 0 || j == NULL)
		return fail(why, "bad token signature");
	if (jwt_get_alg(j) != JWT_ALG_HS256) {
		rc = fail(why, "token algorithm must be HS256");
		goto out;
	}

	if (int_claim(j, "exp", &c->exp, &present) != 0 || !present) {
		rc = fail(why, "token has no valid exp claim");
		goto out;
	}
	if (int_claim(j, "iat", &c->iat, &present) != 0 || !present) {
		rc = fail(why, "token has no valid iat claim");
		goto out;
	}
	if (int_claim(j, "nbf", &nbf, &present) != 0 && present) {
		rc = fail(why, "token has an invalid nbf claim");
		goto out;
	}
	if (present && nbf > (int64_t)r->now + r->leeway) {
		rc = fail(why, "token not valid yet");
		goto out;
	}
	if ((int64_t)r->now >= c->exp + r->leeway) {
		rc = fail(why, "token expired");
		goto out;
	}
	if (c->iat > (int64_t)r->now + r->leeway) {
		rc = fail(why, "token issued in the future");
		goto out;
	}
	if (c->exp - c->iat > r->max_ttl || c->exp < c->iat) {
		rc = fail(why, "token lifetime too long");
		goto out;
	}
	s = jwt_get_grant(j, "iss");
	if (s == NULL || strcmp(s, r->issuer) != 0) {
		rc = fail(why, "token issuer not accepted");
		goto out;
	}
	c->issuer = tt_arena_strdup(a, s);
	s = jwt_get_grant(j, "jti");
	c->jti = tt_arena_strdup(a, s ? s : "");

	/* The terrateam claim, parsed under the same rules as bodies. */
	if ((tt = jwt_get_grants_json(j, "terrateam")) == NULL ||
	    (claim = tt_json_parse(a, tt, strlen(tt), &jwhy)) == NULL ||
	    !cJSON_IsObject(claim)) {
		rc = fail(why, "token has no terrateam claim");
		goto out;
	}
	c->user_id = tt_json_string(claim, "user_id");
	c->api_key_id = tt_json_string(claim, "api_key_id");
	c->caps = cJSON_GetObjectItemCaseSensitive(claim, "capabilities");
	s = jwt_get_grant(j, "sub");
	if (!tt_valid_uuid(c->user_id) || !tt_valid_uuid(c->api_key_id) ||
	    !cJSON_IsArray(c->caps) || s == NULL ||
	    strcmp(s, c->user_id) != 0) {
		rc = fail(why, "token claims are malformed");
		goto out;
	}
	rc = TT_OK;
out:
	if (tt != NULL)
		free(tt);
	jwt_free(j);
	return rc;
}
