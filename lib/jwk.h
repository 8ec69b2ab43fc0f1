/* jwk.h: JSON Web Keys (RFC 7517) and RS256/ES256 signatures over them. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_JWK_H
#define TT_JWK_H

#include <stddef.h>

#include "tt.h"

struct tt_arena;

/* The largest JWKS document accepted (fetched or cached). */
#define TT_JWK_MAX_SET	(256 * 1024)

/*
 * 1 if text[0..len) is a JWKS: a JSON object (project parser rules) whose
 * "keys" is an array of at most 100 objects. *why says what is wrong.
 */
int		 tt_jwk_set_valid(struct tt_arena *, const char *text,
		    size_t len, const char **why);

/*
 * Verifies a JWS signature over msg with the key whose "kid" is kid in
 * the JWKS text. The algorithm comes from the key, never from the token:
 * an RSA key (n, e; 2048 to 8192 bits, "alg" absent or RS256) verifies
 * RS256 only, a P-256 EC key (crv, x, y; "alg" absent or ES256) ES256
 * only; "use", when present, must be "sig". The token's header alg must
 * name the key's algorithm, or the signature is refused. Keys are built
 * with EVP_PKEY_fromdata and checked with EVP_DigestVerify.
 *
 * TT_OK: the signature is good. TT_ENOTFOUND: no usable key has that
 * kid (refetch the set once). TT_EINVAL: text is not a JWKS.
 * TT_EUNAUTH: wrong algorithm or bad signature. *why in each failure.
 */
enum tt_err	 tt_jwk_verify(struct tt_arena *, const char *jwks,
		    size_t jwkslen, const char *kid, const char *alg,
		    const void *msg, size_t msglen, const unsigned char *sig,
		    size_t siglen, const char **why);

#endif
