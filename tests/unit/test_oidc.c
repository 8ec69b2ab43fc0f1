/* test_oidc.c: unit tests for oidc.c (ID tokens, policies) and jwk.c. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "jwk.h"
#include "jwks.h"
#include "oidc.h"
#include "token.h"

#include "testhelp.h"

#define NOW	1700000000

static EVP_PKEY	*rsa, *rsa_small, *p256;

/* A JSON text parsed under the project's rules. */
static cJSON *
J(const char *s)
{
	const char	*why;

	return tt_json_parse(A, s, strlen(s), &why);
}
static char	*jwks;		/* rsa as "r1", p256 as "e1" */

static char *
b64(const unsigned char *p, size_t n)
{
	return tt_crypto_b64url_encode(A, p, n);
}

static char *
bn_b64(EVP_PKEY *k, const char *name)
{
	BIGNUM		*bn = NULL;
	unsigned char	 buf[1024];
	int		 n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64(buf, (size_t)n);
}

static char *
rsa_jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
	return tt_arena_printf(A, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\","
	    "\"e\":\"%s\"%s}", kid, bn_b64(k, OSSL_PKEY_PARAM_RSA_N),
	    bn_b64(k, OSSL_PKEY_PARAM_RSA_E), extra);
}

static char *
ec_jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
	unsigned char	pub[65];
	size_t		n;

	assert_int_equal(EVP_PKEY_get_octet_string_param(k,
	    OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n), 1);
	assert_int_equal(n, 65);
	return tt_arena_printf(A, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":"
	    "\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}", kid, b64(pub + 1, 32),
	    b64(pub + 33, 32), extra);
}

/* A compact JWS of the two JSON texts, signed by k (RS256 or ES256). */
static char *
jws(EVP_PKEY *k, const char *header, const char *claims)
{
	char		*in;
	unsigned char	 sig[1024], raw[64];
	size_t		 n = sizeof(sig);
	EVP_MD_CTX	*md = EVP_MD_CTX_new();

	in = tt_arena_printf(A, "%s.%s", b64((const unsigned char *)header,
	    strlen(header)), b64((const unsigned char *)claims,
	    strlen(claims)));
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &n, (unsigned char *)in,
	    strlen(in)), 1);
	EVP_MD_CTX_free(md);
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		const unsigned char	*p = sig;
		ECDSA_SIG		*es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		const BIGNUM		*r, *s;

		ECDSA_SIG_get0(es, &r, &s);
		BN_bn2binpad(r, raw, 32);
		BN_bn2binpad(s, raw + 32, 32);
		ECDSA_SIG_free(es);
		return tt_arena_printf(A, "%s.%s", in, b64(raw, 64));
	}
	return tt_arena_printf(A, "%s.%s", in, b64(sig, n));
}

static const char *
claims(const char *extra)
{
	return tt_arena_printf(A, "{\"iss\":\"https://issuer.example\","
	    "\"aud\":\"terrateam\",\"sub\":\"repo:o/r:ref:refs/heads/main\","
	    "\"exp\":%d,\"iat\":%d,\"nbf\":%d,\"repository_owner\":\"o\","
	    "\"environment\":\"production\",\"jti\":\"j-1\"%s}", NOW + 300,
	    NOW, NOW, extra);
}

static int
group_setup(void **state)
{
	setup(state);
	rsa = EVP_RSA_gen(2048);
	rsa_small = EVP_RSA_gen(1024);
	p256 = EVP_EC_gen("P-256");
	assert_non_null(rsa);
	assert_non_null(p256);
	jwks = tt_arena_printf(A, "{\"keys\":[%s,%s,%s]}",
	    rsa_jwk(rsa, "r1", ",\"use\":\"sig\",\"alg\":\"RS256\""),
	    ec_jwk(p256, "e1", ""), rsa_jwk(rsa_small, "small", ""));
	return 0;
}

static int
group_teardown(void **state)
{
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_small);
	EVP_PKEY_free(p256);
	return teardown(state);
}

/* Parses and checks the signature the way trust.c does. */
static enum tt_err
verify(const char *set, const char *token, const char **why)
{
	struct tt_oidc_token	t;
	enum tt_err		e;

	if ((e = tt_oidc_parse(A, token, &t, why)) != TT_OK)
		return e;
	return tt_jwk_verify(A, set, strlen(set), t.kid, t.alg, token,
	    t.signed_len, t.sig, t.siglen, why);
}

static void
test_parse(void **state)
{
	struct tt_oidc_token	 t;
	const char		*why, *tok;

	(void)state;
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"typ\":\"JWT\"}",
	    claims(""));
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_OK);
	assert_string_equal(t.iss, "https://issuer.example");
	assert_string_equal(t.kid, "r1");
	assert_string_equal(t.alg, "RS256");
	assert_int_equal(t.exp, NOW + 300);
	assert_int_equal(t.has_nbf, 1);
	assert_string_equal(t.jti, "j-1");
	assert_int_equal(t.siglen, 256);

	/* Shapes refused before any key work. */
	assert_int_equal(tt_oidc_parse(A, "a.b", &t, &why), TT_EUNAUTH);
	assert_int_equal(tt_oidc_parse(A, "a.b.c.d", &t, &why), TT_EUNAUTH);
	assert_int_equal(tt_oidc_parse(A, "e30.e30.", &t, &why), TT_EUNAUTH);
	tok = jws(rsa, "{\"alg\":\"RS256\"}", claims(""));
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token header has no kid");
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"b64\"]}",
	    claims(""));
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_EUNAUTH);
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"x\",\"sub\":\"s\",\"aud\":[],\"exp\":1,\"iat\":1}");
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token has no valid aud claim");
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"x\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1.5,\"iat\":1}");
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token has no valid exp claim");
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"x\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":2,\"iat\":1,"
	    "\"iat\":1}");
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_EUNAUTH);
}

/* Without iat or jti a token cannot be held to a lifetime or one use. */
static void
test_parse_iat_jti(void **state)
{
	struct tt_oidc_token	 t;
	const char		*why, *h = "{\"alg\":\"RS256\",\"kid\":\"r1\"}";
	char			 jti[TT_OIDC_MAX_JTI + 2];

	(void)state;
#define BASE_CLAIMS "\"iss\":\"x\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":2"
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, "{" BASE_CLAIMS
	    ",\"iat\":1,\"jti\":\"u\"}"), &t, &why), TT_OK);
	assert_string_equal(t.jti, "u");
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, "{" BASE_CLAIMS
	    ",\"jti\":\"u\"}"), &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token has no valid iat claim");
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, "{" BASE_CLAIMS
	    ",\"iat\":1}"), &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token has no valid jti claim");
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, "{" BASE_CLAIMS
	    ",\"iat\":1,\"jti\":\"\"}"), &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token has no valid jti claim");
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, "{" BASE_CLAIMS
	    ",\"iat\":1,\"jti\":7}"), &t, &why), TT_EUNAUTH);
	assert_string_equal(why, "token has no valid jti claim");
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, "{" BASE_CLAIMS
	    ",\"iat\":1,\"jti\":[\"u\"]}"), &t, &why), TT_EUNAUTH);

	/* TT_OIDC_MAX_JTI bytes are kept, one more is refused. */
	memset(jti, 'j', sizeof(jti) - 2);
	jti[sizeof(jti) - 2] = '\0';
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, tt_arena_printf(A,
	    "{" BASE_CLAIMS ",\"iat\":1,\"jti\":\"%s\"}", jti)), &t, &why),
	    TT_OK);
	assert_int_equal(strlen(t.jti), TT_OIDC_MAX_JTI);
	jti[sizeof(jti) - 2] = 'j';
	jti[sizeof(jti) - 1] = '\0';
	assert_int_equal(tt_oidc_parse(A, jws(rsa, h, tt_arena_printf(A,
	    "{" BASE_CLAIMS ",\"iat\":1,\"jti\":\"%s\"}", jti)), &t, &why),
	    TT_EUNAUTH);
#undef BASE_CLAIMS
}

static void
test_issuer_of(void **state)
{
	const char	*iss, *tok;

	(void)state;
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", claims(""));
	assert_int_equal(tt_oidc_issuer_of(A, tok, "terrateam", &iss), 1);
	assert_string_equal(iss, "https://issuer.example");
	/* Our own issuer's tokens are access tokens, not ID tokens. */
	assert_int_equal(tt_oidc_issuer_of(A, tok, "https://issuer.example",
	    &iss), 0);
	assert_int_equal(tt_oidc_issuer_of(A, "tt_live_x", "t", &iss), 0);
}

static void
test_times(void **state)
{
	struct tt_oidc_token	t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.iat = NOW;
	t.exp = NOW + 60;
	assert_int_equal(tt_oidc_times(&t, NOW, 5), TT_OIDC_OK);
	/* The access token wrapper's rule: refused from exp + leeway on. */
	assert_int_equal(tt_oidc_times(&t, NOW + 64, 5), TT_OIDC_OK);
	assert_int_equal(tt_oidc_times(&t, NOW + 65, 5), TT_OIDC_EXPIRED);
	t.has_nbf = 1;
	t.nbf = NOW + 6;
	assert_int_equal(tt_oidc_times(&t, NOW, 5), TT_OIDC_NOT_YET_VALID);
	t.nbf = NOW + 5;
	assert_int_equal(tt_oidc_times(&t, NOW, 5), TT_OIDC_OK);
	t.iat = NOW + 6;
	assert_int_equal(tt_oidc_times(&t, NOW, 5), TT_OIDC_NOT_YET_VALID);
}

static void
test_glob(void **state)
{
	(void)state;
	assert_true(tt_oidc_glob("repo:o/r:ref:refs/heads/main",
	    "repo:o/r:ref:refs/heads/main"));
	assert_false(tt_oidc_glob("repo:o/r:ref:refs/heads/main",
	    "repo:o/r:ref:refs/heads/main2"));
	assert_true(tt_oidc_glob("repo:o/r:*", "repo:o/r:pull_request"));
	assert_true(tt_oidc_glob("repo:o/*:ref:*", "repo:o/x/y:ref:z"));
	assert_false(tt_oidc_glob("repo:o/*:ref:*", "repo:p/x:ref:z"));
	assert_true(tt_oidc_glob("*", ""));
	assert_false(tt_oidc_glob("a", ""));
	assert_true(tt_oidc_glob("a*b*c", "aXbYbc"));
	assert_false(tt_oidc_glob("a*b*c", "aXbYbd"));
	/* No '?' or '[' magic: literal characters. */
	assert_false(tt_oidc_glob("a?", "ab"));
	assert_true(tt_oidc_glob("a[1]", "a[1]"));
	/* Long inputs stay linear-ish (no exponential backtracking). */
	assert_false(tt_oidc_glob("*a*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_match(void **state)
{
	struct tt_oidc_token	 t;
	struct tt_oidc_policy	 p;
	const char		*why, *tok;

	(void)state;
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    claims(",\"run_id\":\"7\""));
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_OK);
	memset(&p, 0, sizeof(p));
	p.issuer = "https://issuer.example";
	p.audience = "terrateam";
	p.subject = "repo:o/r:ref:refs/heads/*";
	p.conditions = J("{\"repository_owner\":\"o\","
	    "\"environment\":\"prod*\"}");
	p.max_token_age = TT_OIDC_DEFAULT_TOKEN_AGE;
	assert_non_null(p.conditions);
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_OK);
	p.issuer = "https://other.example";
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_ISSUER);
	p.issuer = "https://issuer.example";
	p.audience = "terrateam2";
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_AUDIENCE);
	p.audience = "terrateam";
	p.subject = "repo:o/r:pull_request";
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_SUBJECT);
	p.subject = "repo:o/r:*";
	p.conditions = J("{\"environment\":\"staging\"}");
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_CONDITION);
	/* A condition on a claim the token lacks, or not a string. */
	p.conditions = J("{\"job\":\"*\"}");
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_CONDITION);
	p.conditions = J("{\"exp\":\"*\"}");
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_CONDITION);

	/* aud as an array. */
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "{\"iss\":\"i\","
	    "\"sub\":\"s\",\"aud\":[\"x\",\"terrateam\"],\"exp\":2,\"iat\":1,"
	    "\"jti\":\"u\"}");
	assert_int_equal(tt_oidc_parse(A, tok, &t, &why), TT_OK);
	p.issuer = "i";
	p.subject = "s";
	p.conditions = J("{}");
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_OK);
}

/* exp - iat above the policy's max_token_age: refused, after all else. */
static void
test_lifetime(void **state)
{
	struct tt_oidc_token	 t;
	struct tt_oidc_policy	 p;
	const char		*why;

	(void)state;
	/* Ten years ahead, as in the finding. */
	assert_int_equal(tt_oidc_parse(A, jws(rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}", tt_arena_printf(A,
	    "{\"iss\":\"i\",\"sub\":\"s\",\"aud\":\"a\",\"iat\":%d,"
	    "\"exp\":%d,\"jti\":\"u\"}", NOW, NOW + 315360000)), &t, &why),
	    TT_OK);
	memset(&p, 0, sizeof(p));
	p.issuer = "i";
	p.audience = "a";
	p.subject = "s";
	p.conditions = J("{}");
	p.max_token_age = TT_OIDC_DEFAULT_TOKEN_AGE;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_LIFETIME);
	p.max_token_age = TT_OIDC_MAX_TOKEN_AGE;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_LIFETIME);

	/* The bound itself is accepted, one second more is not. */
	t.exp = t.iat + 3600;
	p.max_token_age = 3600;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_OK);
	t.exp++;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_LIFETIME);
	p.max_token_age = 7200;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_OK);
	/* exp before iat, as the access token's rule (lib/token.c). */
	t.exp = t.iat - 1;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_LIFETIME);
	/* A policy with no bound set (0) accepts nothing. */
	p.max_token_age = 0;
	t.exp = t.iat + 1;
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_LIFETIME);

	/* Checked last: a wrong audience is named first. */
	t.exp = t.iat + 315360000;
	p.max_token_age = 3600;
	p.audience = "b";
	assert_int_equal(tt_oidc_match(&p, &t), TT_OIDC_AUDIENCE);
	assert_true(TT_OIDC_LIFETIME > TT_OIDC_CONDITION);
}

/* The audit trail's outcome names: one per check, each in sql/017. */
static void
test_check_names(void **state)
{
	static const char *const want[TT_OIDC__MAX] = {
		"ok", "malformed", "issuer", "expired", "not_yet_valid",
		"signature", "audience", "subject", "claim", "lifetime",
		"replayed",
	};
	int	i;

	(void)state;
	for (i = 0; i < TT_OIDC__MAX; i++)
		assert_string_equal(tt_oidc_check_name(i), want[i]);
	assert_string_equal(tt_oidc_check_name(TT_OIDC__MAX), "malformed");
	assert_string_equal(tt_oidc_check_name(TT_OIDC_CONDITION), "claim");
	for (i = 0; i < TT_OIDC__MAX; i++)
		assert_non_null(strstr(tt_oidc_check_str(i), "OIDC token"));
	assert_non_null(strstr(tt_oidc_check_str(TT_OIDC_REPLAYED),
	    "already used"));
}

static void
test_conditions_valid(void **state)
{
	const char	*why;

	(void)state;
	assert_true(tt_oidc_conditions_valid(J("{\"environment\":\"prod\"}"), &why));
	assert_false(tt_oidc_conditions_valid(J("{\"sub\":\"x\"}"), &why));
	assert_false(tt_oidc_conditions_valid(J("{\"Env\":\"x\"}"), &why));
	assert_false(tt_oidc_conditions_valid(J("{\"env\":1}"), &why));
	assert_false(tt_oidc_conditions_valid(J("{\"env\":\"\"}"), &why));
	assert_false(tt_oidc_conditions_valid(J("[]"),
	    &why));
}

static void
test_jwk_signatures(void **state)
{
	const char	*why, *tok, *c = claims("");

	(void)state;
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r1\"}", c);
	assert_int_equal(verify(jwks, tok, &why), TT_OK);
	tok = jws(p256, "{\"alg\":\"ES256\",\"kid\":\"e1\"}", c);
	assert_int_equal(verify(jwks, tok, &why), TT_OK);

	/* The algorithm comes from the key: any other header alg fails. */
	tok = jws(rsa, "{\"alg\":\"RS512\",\"kid\":\"r1\"}", c);
	assert_int_equal(verify(jwks, tok, &why), TT_EUNAUTH);
	tok = jws(p256, "{\"alg\":\"RS256\",\"kid\":\"e1\"}", c);
	assert_int_equal(verify(jwks, tok, &why), TT_EUNAUTH);
	/* alg none, empty signature. */
	tok = tt_arena_printf(A, "%s.%s.", b64((const unsigned char *)
	    "{\"alg\":\"none\",\"kid\":\"r1\"}", 27), b64((const unsigned char *)
	    c, strlen(c)));
	assert_int_equal(verify(jwks, tok, &why), TT_EUNAUTH);
	/* HS256 with the public key's n as the secret. */
	{
		unsigned char	mac[32];
		char		*in = tt_arena_printf(A, "%s.%s",
		    b64((const unsigned char *)"{\"alg\":\"HS256\",\"kid\":"
		    "\"r1\"}", 28), b64((const unsigned char *)c, strlen(c)));
		const char	*n = bn_b64(rsa, OSSL_PKEY_PARAM_RSA_N);

		tt_crypto_hmac_sha256(n, strlen(n), in, strlen(in), mac);
		tok = tt_arena_printf(A, "%s.%s", in, b64(mac, 32));
		assert_int_equal(verify(jwks, tok, &why), TT_EUNAUTH);
	}
	/* Signed by another key, or tampered with. */
	tok = jws(p256, "{\"alg\":\"ES256\",\"kid\":\"e1\"}", c);
	tok = tt_arena_printf(A, "%.*sA%s", (int)(strrchr(tok, '.') - tok + 1),
	    tok, strrchr(tok, '.') + 2);
	assert_int_not_equal(verify(jwks, tok, &why), TT_OK);
	/* Unknown kid, and a kid whose RSA key is too short. */
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"r9\"}", c);
	assert_int_equal(verify(jwks, tok, &why), TT_ENOTFOUND);
	tok = jws(rsa_small, "{\"alg\":\"RS256\",\"kid\":\"small\"}", c);
	assert_int_equal(verify(jwks, tok, &why), TT_ENOTFOUND);
	/* A key marked for another use, or another algorithm. */
	tok = jws(rsa, "{\"alg\":\"RS256\",\"kid\":\"enc\"}", c);
	assert_int_equal(verify(tt_arena_printf(A, "{\"keys\":[%s]}",
	    rsa_jwk(rsa, "enc", ",\"use\":\"enc\"")), tok, &why), TT_ENOTFOUND);
	assert_int_equal(verify(tt_arena_printf(A, "{\"keys\":[%s]}",
	    rsa_jwk(rsa, "enc", ",\"alg\":\"RS384\"")), tok, &why),
	    TT_ENOTFOUND);
}

static void
test_jwk_malformed(void **state)
{
	const char	*why, *tok, *set;
	char		*x;

	(void)state;
	tok = jws(p256, "{\"alg\":\"ES256\",\"kid\":\"e1\"}", claims(""));
	assert_int_equal(verify("[]", tok, &why), TT_EINVAL);
	assert_int_equal(verify("{\"keys\":{}}", tok, &why), TT_EINVAL);
	assert_int_equal(verify("{\"keys\":[1]}", tok, &why), TT_EINVAL);
	assert_int_equal(verify("{\"keys\":[]}", tok, &why), TT_ENOTFOUND);
	/* A point not on the curve: x of the real key, y changed. */
	set = ec_jwk(p256, "e1", "");
	x = strstr(set, "\"y\":\"") + 5;
	*x = *x == 'A' ? 'B' : 'A';
	assert_int_equal(verify(tt_arena_printf(A, "{\"keys\":[%s]}", set),
	    tok, &why), TT_ENOTFOUND);
	assert_int_equal(verify("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"kid\":\"e1\",\"x\":\"AA\",\"y\":\"AA\"}]}", tok, &why),
	    TT_ENOTFOUND);
	assert_int_equal(verify("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\","
	    "\"kid\":\"e1\",\"x\":\"AA\",\"y\":\"AA\"}]}", tok, &why),
	    TT_ENOTFOUND);
	assert_true(tt_jwk_set_valid(A, "{\"keys\":[]}", 11, &why));
	assert_false(tt_jwk_set_valid(A, "{\"keys\":[]} x", 13, &why));
}

static void
test_max_age(void **state)
{
	(void)state;
	assert_int_equal(tt_jwks_max_age(NULL), TT_JWKS_DEFAULT_TTL);
	assert_int_equal(tt_jwks_max_age(" public, max-age=120"), 120);
	assert_int_equal(tt_jwks_max_age("max-age=0"), 0);
	assert_int_equal(tt_jwks_max_age("no-store"), 0);
	assert_int_equal(tt_jwks_max_age("public, no-cache, max-age=60"), 0);
	assert_int_equal(tt_jwks_max_age("s-maxage=5, max-age=99"), 99);
	assert_int_equal(tt_jwks_max_age("max-age=99999999999999"),
	    TT_JWKS_MAX_TTL);
	assert_int_equal(tt_jwks_max_age("max-age=x"), TT_JWKS_DEFAULT_TTL);
	assert_int_equal(tt_jwks_max_age("public"), TT_JWKS_DEFAULT_TTL);
}

/* An exchanged access token carries the policy and identity, not a key. */
static void
test_access_token_for_policy(void **state)
{
	static const unsigned char	 secret[32] = "0123456789abcdef0123456789abcdef";
	struct tt_token_claims		 c, v;
	struct tt_token_rules		 r = { NOW, 5, 60, "terrateam" };
	const char			*why;
	char				*tok;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.issuer = "terrateam";
	c.user_id = "6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f";
	c.policy_id = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
	c.oidc = J("{\"sub\":\"repo:o/r\",\"run_id\":\"7\"}");
	c.caps = J("[\"kv_store_read\"]");
	c.jti = "j";
	c.iat = NOW;
	c.exp = NOW + 30;
	assert_int_equal(tt_token_sign(A, "k", secret, 32, &c, &tok), TT_OK);
	assert_int_equal(tt_token_verify(A, tok, secret, 32, &r, &v, &why),
	    TT_OK);
	assert_null(v.api_key_id);
	assert_string_equal(v.policy_id, c.policy_id);
	assert_string_equal(tt_json_string(v.oidc, "sub"), "repo:o/r");
	/* Both a key and a policy, or neither, is refused at signing. */
	c.api_key_id = c.policy_id;
	assert_int_equal(tt_token_sign(A, "k", secret, 32, &c, &tok),
	    TT_EINTERNAL);
	c.api_key_id = c.policy_id = NULL;
	assert_int_equal(tt_token_sign(A, "k", secret, 32, &c, &tok),
	    TT_EINTERNAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_iat_jti),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_issuer_of),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_check_names),
		cmocka_unit_test(test_conditions_valid),
		cmocka_unit_test(test_jwk_signatures),
		cmocka_unit_test(test_jwk_malformed),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_access_token_for_policy),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
