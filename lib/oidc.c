/*
 * oidc.c: OIDC ID tokens: parsing, time rules and trust policy matching.
 *
 * Nothing here touches the network, the database or a key: trust.c
 * finds the policies and the issuer's keys, jwk.c checks the signature.
 * The order of checks is fixed by trust.c: issuer, times, signature, and
 * only then the policies' audience, subject, conditions and lifetime, so
 * an unsigned token learns nothing about what the policies hold. The
 * last check, that the token was not exchanged before, is refresh.c's
 * (its statement records the jti).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "json.h"
#include "oidc.h"
#include "token.h"

static const char *const check_msg[TT_OIDC__MAX] = {
	[TT_OIDC_OK] = "OIDC token accepted",
	[TT_OIDC_MALFORMED] = "OIDC token refused: malformed token",
	[TT_OIDC_ISSUER] = "OIDC token refused: issuer not trusted",
	[TT_OIDC_EXPIRED] = "OIDC token refused: token expired",
	[TT_OIDC_NOT_YET_VALID] = "OIDC token refused: token not valid yet",
	[TT_OIDC_SIGNATURE] = "OIDC token refused: signature not verified",
	[TT_OIDC_AUDIENCE] = "OIDC token refused: audience not accepted",
	[TT_OIDC_SUBJECT] = "OIDC token refused: subject not accepted",
	[TT_OIDC_CONDITION] = "OIDC token refused: a claim condition is not "
	    "met",
	[TT_OIDC_LIFETIME] = "OIDC token refused: token lifetime (exp - iat) "
	    "too long",
	[TT_OIDC_REPLAYED] = "OIDC token refused: token already used",
};

/* The audit trail's outcomes (sql/017 lists them in a CHECK). */
static const char *const check_name[TT_OIDC__MAX] = {
	[TT_OIDC_OK] = "ok",
	[TT_OIDC_MALFORMED] = "malformed",
	[TT_OIDC_ISSUER] = "issuer",
	[TT_OIDC_EXPIRED] = "expired",
	[TT_OIDC_NOT_YET_VALID] = "not_yet_valid",
	[TT_OIDC_SIGNATURE] = "signature",
	[TT_OIDC_AUDIENCE] = "audience",
	[TT_OIDC_SUBJECT] = "subject",
	[TT_OIDC_CONDITION] = "claim",
	[TT_OIDC_LIFETIME] = "lifetime",
	[TT_OIDC_REPLAYED] = "replayed",
};

const char *
tt_oidc_check_str(enum tt_oidc_check c)
{
	return c < TT_OIDC__MAX ? check_msg[c] : "OIDC token refused";
}

const char *
tt_oidc_check_name(enum tt_oidc_check c)
{
	return c < TT_OIDC__MAX ? check_name[c] : "malformed";
}

/* Decodes one base64url segment; its JSON object, or NULL. */
static cJSON *
segment(struct tt_arena *a, const char *s, size_t n, char **raw,
    size_t *rawlen)
{
	unsigned char	*r;
	const char	*why;
	cJSON		*j;

	if ((r = tt_crypto_b64url_decode(a, s, n, rawlen)) == NULL)
		return NULL;
	j = tt_json_parse(a, (const char *)r, *rawlen, &why);
	if (raw != NULL)
		*raw = (char *)r;
	return cJSON_IsObject(j) ? j : NULL;
}

int
tt_oidc_issuer_of(struct tt_arena *a, const char *token, const char *ours,
    const char **iss)
{
	const char	*d1, *d2, *s;
	size_t		 n;
	cJSON		*p;

	*iss = NULL;
	if (!tt_token_looks_like(token) || strlen(token) > TT_OIDC_MAX_LEN)
		return 0;
	d1 = strchr(token, '.');
	d2 = strchr(d1 + 1, '.');
	if ((p = segment(a, d1 + 1, (size_t)(d2 - d1 - 1), NULL, &n)) == NULL ||
	    (s = tt_json_string(p, "iss")) == NULL || s[0] == '\0' ||
	    strcmp(s, ours) == 0)
		return 0;
	*iss = s;
	return 1;
}

static enum tt_err
bad(const char **why, const char *msg)
{
	*why = msg;
	return TT_EUNAUTH;
}

/* aud: one string, or a non-empty array of strings. */
static int
aud_valid(const cJSON *aud)
{
	const cJSON	*e;

	if (cJSON_IsString(aud))
		return 1;
	if (!cJSON_IsArray(aud) || cJSON_GetArraySize(aud) == 0)
		return 0;
	cJSON_ArrayForEach(e, aud) {
		if (!cJSON_IsString(e))
			return 0;
	}
	return 1;
}

enum tt_err
tt_oidc_parse(struct tt_arena *a, const char *token, struct tt_oidc_token *t,
    const char **why)
{
	const char	*d1, *d2, *typ;
	char		*raw;
	size_t		 n, rawlen;
	const cJSON	*h, *p;
	int		 present;

	memset(t, 0, sizeof(*t));
	if (!tt_token_looks_like(token) || strlen(token) > TT_OIDC_MAX_LEN)
		return bad(why, "malformed token");
	d1 = strchr(token, '.');
	d2 = strchr(d1 + 1, '.');
	if ((h = segment(a, token, (size_t)(d1 - token), NULL, &n)) == NULL)
		return bad(why, "malformed token header");
	t->alg = tt_json_string(h, "alg");
	t->kid = tt_json_string(h, "kid");
	typ = tt_json_string(h, "typ");
	if (t->alg == NULL || t->alg[0] == '\0')
		return bad(why, "token header has no alg");
	if (t->kid == NULL || t->kid[0] == '\0' || strlen(t->kid) > 256)
		return bad(why, "token header has no kid");
	if ((cJSON_GetObjectItemCaseSensitive(h, "typ") != NULL &&
	    (typ == NULL || strcmp(typ, "JWT") != 0)) ||
	    cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL)
		return bad(why, "token header not accepted");

	if ((p = segment(a, d1 + 1, (size_t)(d2 - d1 - 1), &raw, &rawlen)) ==
	    NULL)
		return bad(why, "malformed token claims");
	t->claims = p;
	t->iss = tt_json_string(p, "iss");
	t->sub = tt_json_string(p, "sub");
	t->aud = cJSON_GetObjectItemCaseSensitive(p, "aud");
	if (t->iss == NULL || t->iss[0] == '\0')
		return bad(why, "token has no iss claim");
	if (t->sub == NULL || t->sub[0] == '\0')
		return bad(why, "token has no sub claim");
	if (!aud_valid(t->aud))
		return bad(why, "token has no valid aud claim");
	if (tt_token_int_claim(p, raw, rawlen, "exp", &t->exp, &present) != 0 ||
	    !present)
		return bad(why, "token has no valid exp claim");
	if (tt_token_int_claim(p, raw, rawlen, "iat", &t->iat, &present) != 0 ||
	    !present)
		return bad(why, "token has no valid iat claim");
	if (tt_token_int_claim(p, raw, rawlen, "nbf", &t->nbf,
	    &t->has_nbf) != 0)
		return bad(why, "token has an invalid nbf claim");
	t->jti = tt_json_string(p, "jti");
	if (t->jti == NULL || t->jti[0] == '\0' ||
	    strlen(t->jti) > TT_OIDC_MAX_JTI)
		return bad(why, "token has no valid jti claim");

	/* An empty signature ("alg": "none") fails at the signature check. */
	t->sig = tt_crypto_b64url_decode(a, d2 + 1, strlen(d2 + 1), &t->siglen);
	if (t->sig == NULL)
		return bad(why, "malformed token signature");
	t->signed_len = (size_t)(d2 - token);
	return TT_OK;
}

enum tt_oidc_check
tt_oidc_times(const struct tt_oidc_token *t, time_t now, int64_t leeway)
{
	if ((int64_t)now >= t->exp + leeway)
		return TT_OIDC_EXPIRED;
	if ((t->has_nbf && t->nbf > (int64_t)now + leeway) ||
	    t->iat > (int64_t)now + leeway)
		return TT_OIDC_NOT_YET_VALID;
	return TT_OIDC_OK;
}

/* '*' matches any run, all else is literal; linear backtracking only. */
int
tt_oidc_glob(const char *p, const char *s)
{
	const char	*star = NULL, *mark = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++mark;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static int
aud_has(const cJSON *aud, const char *want)
{
	const cJSON	*e;

	if (cJSON_IsString(aud))
		return strcmp(aud->valuestring, want) == 0;
	cJSON_ArrayForEach(e, aud) {
		if (cJSON_IsString(e) && strcmp(e->valuestring, want) == 0)
			return 1;
	}
	return 0;
}

enum tt_oidc_check
tt_oidc_match(const struct tt_oidc_policy *pol, const struct tt_oidc_token *t)
{
	const cJSON	*c;
	const char	*v;

	if (strcmp(pol->issuer, t->iss) != 0)
		return TT_OIDC_ISSUER;
	if (!aud_has(t->aud, pol->audience))
		return TT_OIDC_AUDIENCE;
	if (!tt_oidc_glob(pol->subject, t->sub))
		return TT_OIDC_SUBJECT;
	cJSON_ArrayForEach(c, pol->conditions) {
		if (!cJSON_IsString(c) || c->string == NULL)
			return TT_OIDC_CONDITION;
		v = tt_json_string(t->claims, c->string);
		if (v == NULL || !tt_oidc_glob(c->valuestring, v))
			return TT_OIDC_CONDITION;
	}
	/* Last: only a token that meets all else learns of the bound. */
	if (t->exp < t->iat || t->exp - t->iat > pol->max_token_age)
		return TT_OIDC_LIFETIME;
	return TT_OIDC_OK;
}

int
tt_oidc_conditions_valid(const cJSON *c, const char **why)
{
	static const char *const reserved[] = { "iss", "aud", "sub", "exp",
	    "nbf", "iat" };
	const cJSON	*m;
	size_t		 i, n = 0;

	if (!cJSON_IsObject(c)) {
		*why = "conditions must be an object";
		return 0;
	}
	cJSON_ArrayForEach(m, c) {
		const char	*k = m->string;

		if (++n > 20) {
			*why = "at most 20 claim conditions";
			return 0;
		}
		if (k == NULL || k[0] == '\0' || strlen(k) > 64 ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(k)) {
			*why = "a condition names a claim of [a-z0-9_]";
			return 0;
		}
		for (i = 0; i < TT_NITEMS(reserved); i++)
			if (strcmp(k, reserved[i]) == 0) {
				*why = "iss, aud, sub and times are not "
				    "conditions: use the policy's own fields";
				return 0;
			}
		if (!cJSON_IsString(m) || m->valuestring[0] == '\0' ||
		    strlen(m->valuestring) > 512) {
			*why = "a condition's value must be a non-empty string";
			return 0;
		}
	}
	return 1;
}
