/*
 * jwk.c: JSON Web Keys (RFC 7517) and RS256/ES256 signatures over them.
 *
 * The key's own type decides the algorithm (RSA: RS256, EC P-256:
 * ES256); a token whose header names another one ("none", HS256 with
 * the public key as the secret, RS512 ...) is refused before any key
 * material is touched. Keys are assembled from their JWK members with
 * EVP_PKEY_fromdata, and libjwt is never asked to verify anything.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "json.h"
#include "jwk.h"

#define MAX_KEYS	100
#define RSA_MIN_BITS	2048
#define RSA_MAX_BITS	8192
#define P256_LEN	32
#define USE_SIGNING	"sig"	/* the JWK "use" of a signing key */

enum alg { ALG_NONE, ALG_RS256, ALG_ES256 };

static const cJSON	*set_keys(struct tt_arena *, const char *, size_t,
			    const char **);
static enum alg		 key_alg(const cJSON *);
static EVP_PKEY		*rsa_key(struct tt_arena *, const cJSON *);
static EVP_PKEY		*ec_key(struct tt_arena *, const cJSON *);
static unsigned char	*member_bytes(struct tt_arena *, const cJSON *,
			    const char *, size_t *);
static int		 verify_sig(EVP_PKEY *, enum alg, const void *, size_t,
			    const unsigned char *, size_t);

/* The "keys" array of a JWKS, or NULL with *why. */
static const cJSON *
set_keys(struct tt_arena *a, const char *text, size_t len, const char **why)
{
	const cJSON	*j, *keys, *k;
	int		 n = 0;

	if (len == 0 || len > TT_JWK_MAX_SET) {
		*why = "JWKS empty or too large";
		return NULL;
	}
	if ((j = tt_json_parse(a, text, len, why)) == NULL)
		return NULL;
	keys = cJSON_GetObjectItemCaseSensitive(j, "keys");
	if (!cJSON_IsObject(j) || !cJSON_IsArray(keys)) {
		*why = "JWKS has no keys array";
		return NULL;
	}
	cJSON_ArrayForEach(k, keys) {
		if (!cJSON_IsObject(k) || ++n > MAX_KEYS) {
			*why = "JWKS keys must be at most 100 objects";
			return NULL;
		}
	}
	return keys;
}

int
tt_jwk_set_valid(struct tt_arena *a, const char *text, size_t len,
    const char **why)
{
	return set_keys(a, text, len, why) != NULL;
}

/* What a key may verify: from kty (and crv), agreeing with alg and use. */
static enum alg
key_alg(const cJSON *k)
{
	const char	*kty, *alg, *use, *crv;
	enum alg	 r;

	kty = tt_json_string(k, "kty");
	alg = tt_json_string(k, "alg");
	use = tt_json_string(k, "use");
	if (kty == NULL)
		return ALG_NONE;
	if (strcmp(kty, "RSA") == 0)
		r = ALG_RS256;
	else if (strcmp(kty, "EC") == 0 && (crv = tt_json_string(k, "crv")) !=
	    NULL && strcmp(crv, "P-256") == 0)
		r = ALG_ES256;
	else
		return ALG_NONE;
	if (cJSON_GetObjectItemCaseSensitive(k, "alg") != NULL && (alg == NULL ||
	    strcmp(alg, r == ALG_RS256 ? "RS256" : "ES256") != 0))
		return ALG_NONE;
	if (cJSON_GetObjectItemCaseSensitive(k, "use") != NULL && (use == NULL ||
	    strcmp(use, USE_SIGNING) != 0))
		return ALG_NONE;
	return r;
}

/* A base64url member decoded; NULL when absent or malformed. */
static unsigned char *
member_bytes(struct tt_arena *a, const cJSON *k, const char *name, size_t *n)
{
	const char	*s = tt_json_string(k, name);

	if (s == NULL || s[0] == '\0' || strlen(s) > 2048)
		return NULL;
	return tt_crypto_b64url_decode(a, s, strlen(s), n);
}

static void
free_pkey(void *p)
{
	EVP_PKEY_free(p);
}

/* Builds a key from parameters; registered with the arena. */
static EVP_PKEY *
from_params(struct tt_arena *a, const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	if (pk != NULL)
		tt_arena_defer(a, free_pkey, pk);
	return pk;
}

static EVP_PKEY *
rsa_key(struct tt_arena *a, const cJSON *k)
{
	unsigned char	*n, *e;
	size_t		 nlen, elen;
	BIGNUM		*bn = NULL, *be = NULL;
	OSSL_PARAM_BLD	*bld;
	EVP_PKEY	*pk = NULL;
	int		 bits;

	if ((n = member_bytes(a, k, "n", &nlen)) == NULL ||
	    (e = member_bytes(a, k, "e", &elen)) == NULL)
		return NULL;
	/* No leading zero bytes; the public exponent small, odd, >= 3. */
	if (nlen == 0 || n[0] == 0 || elen == 0 || elen > 8 || e[0] == 0 ||
	    (e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3))
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		tt_oom(0);
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) != NULL &&
	    (be = BN_bin2bn(e, (int)elen, NULL)) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		pk = from_params(a, "RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	if (pk == NULL)
		return NULL;
	bits = EVP_PKEY_get_bits(pk);
	return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS ? pk : NULL;
}

static EVP_PKEY *
ec_key(struct tt_arena *a, const cJSON *k)
{
	unsigned char	*x, *y, pub[1 + 2 * P256_LEN];
	size_t		 xlen, ylen;
	OSSL_PARAM_BLD	*bld;
	EVP_PKEY	*pk = NULL;
	EVP_PKEY_CTX	*ctx;

	if ((x = member_bytes(a, k, "x", &xlen)) == NULL ||
	    (y = member_bytes(a, k, "y", &ylen)) == NULL ||
	    xlen != P256_LEN || ylen != P256_LEN)
		return NULL;
	pub[0] = 0x04;		/* uncompressed point */
	memcpy(pub + 1, x, P256_LEN);
	memcpy(pub + 1 + P256_LEN, y, P256_LEN);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		tt_oom(0);
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
	    sizeof(pub)) == 1)
		pk = from_params(a, "EC", bld);
	OSSL_PARAM_BLD_free(bld);
	if (pk == NULL)
		return NULL;
	/* The point must be on the curve. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_public_check(ctx) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* ES256's raw r || s signature as the DER ECDSA-Sig-Value EVP expects. */
static int
es256_der(const unsigned char *sig, unsigned char **der, int *derlen)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;

	*der = NULL;
	if ((es = ECDSA_SIG_new()) == NULL)
		tt_oom(0);
	r = BN_bin2bn(sig, P256_LEN, NULL);
	s = BN_bin2bn(sig + P256_LEN, P256_LEN, NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	*derlen = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return *derlen > 0 ? 0 : -1;
}

/* 1 if sig is alg's signature of msg under pk. */
static int
verify_sig(EVP_PKEY *pk, enum alg alg, const void *msg, size_t msglen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*md;
	unsigned char	*der = NULL;
	const unsigned char *s = sig;
	int		 derlen = 0, ok = 0;

	if (alg == ALG_RS256) {
		if (siglen != (size_t)EVP_PKEY_get_size(pk))
			return 0;
	} else {
		if (siglen != 2 * P256_LEN || es256_der(sig, &der, &derlen) != 0)
			return 0;
		s = der;
		siglen = (size_t)derlen;
	}
	if ((md = EVP_MD_CTX_new()) == NULL)
		tt_oom(0);
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, s, siglen, msg, msglen) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok;
}

enum tt_err
tt_jwk_verify(struct tt_arena *a, const char *jwks, size_t jwkslen,
    const char *kid, const char *alg, const void *msg, size_t msglen,
    const unsigned char *sig, size_t siglen, const char **why)
{
	const cJSON	*keys, *k;
	const char	*id;
	enum alg	 ka;
	EVP_PKEY	*pk;

	if ((keys = set_keys(a, jwks, jwkslen, why)) == NULL)
		return TT_EINVAL;
	cJSON_ArrayForEach(k, keys) {
		id = tt_json_string(k, "kid");
		if (id == NULL || kid == NULL || strcmp(id, kid) != 0 ||
		    (ka = key_alg(k)) == ALG_NONE)
			continue;
		if (alg == NULL || strcmp(alg, ka == ALG_RS256 ? "RS256" :
		    "ES256") != 0) {
			*why = "token algorithm does not match the issuer's key";
			return TT_EUNAUTH;
		}
		pk = ka == ALG_RS256 ? rsa_key(a, k) : ec_key(a, k);
		if (pk == NULL)
			continue;
		if (!verify_sig(pk, ka, msg, msglen, sig, siglen)) {
			*why = "bad token signature";
			return TT_EUNAUTH;
		}
		return TT_OK;
	}
	*why = "no key of the issuer has the token's kid";
	return TT_ENOTFOUND;
}
