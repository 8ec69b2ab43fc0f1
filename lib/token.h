/* token.h: HS256 access tokens: signing and the verification wrapper. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_TOKEN_H
#define TT_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tt.h"

struct tt_arena;
struct cJSON;

#define TT_TOKEN_MAX_LEN		4096
#define TT_TOKEN_MIN_SECRET	32

/* What an access token says (arena-owned strings). */
struct tt_token_claims {
	const char	*issuer;
	const char	*user_id;	/* uuid, also "sub" */
	const char	*api_key_id;	/* uuid, or NULL for an OIDC exchange */
	const char	*policy_id;	/* uuid of the trust policy, or NULL */
	struct cJSON	*oidc;		/* {"policy_id","sub","repository","run_id"} */
	const char	*jti;
	int64_t		 iat;
	int64_t		 exp;
	struct cJSON	*caps;		/* capability array */
};

/* Rules a token must meet besides its signature. */
struct tt_token_rules {
	time_t		 now;
	int64_t		 leeway;	/* seconds of clock skew */
	int64_t		 max_ttl;	/* longest exp - iat accepted */
	const char	*issuer;
};

/*
 * Signs claims as a compact JWS with header {"alg":"HS256","kid":kid,
 * "typ":"JWT"} and the claims' members in sorted order; the secret must be
 * at least TT_TOKEN_MIN_SECRET bytes. *token is arena-owned.
 */
enum tt_err	 tt_token_sign(struct tt_arena *, const char *kid,
		    const unsigned char *secret, size_t secretlen,
		    const struct tt_token_claims *, char **token);

/*
 * The first half of verification, with no key and no database: length at
 * most TT_TOKEN_MAX_LEN, charset [A-Za-z0-9_.-], three segments, a JSON
 * header whose "alg" is exactly "HS256", "typ" absent or "JWT", and a
 * string "kid" (returned, arena-owned). TT_EUNAUTH with *why otherwise.
 * The terrateam claim holds either "api_key_id" (a key refresh) or an
 * "oidc" object whose "policy_id" names the trust policy (an exchange).
 */
enum tt_err	 tt_token_header(struct tt_arena *, const char *token,
		    const char **kid, const char **why);

/*
 * The rest (header checks again): a 32-byte HMAC-SHA256 signature by the
 * given secret (never empty) compared in constant time, exp/iat required
 * integer literals, nbf
 * and iat not in the future beyond leeway, now < exp + leeway, lifetime
 * at most max_ttl, the issuer, and the terrateam claim's shape. Fills
 * *claims. TT_EUNAUTH with *why (safe to show the client) on failure.
 */
enum tt_err	 tt_token_verify(struct tt_arena *, const char *token,
		    const unsigned char *secret, size_t secretlen,
		    const struct tt_token_rules *, struct tt_token_claims *,
		    const char **why);

/*
 * A positive integer claim of the parsed claims p whose raw text is
 * raw[0..rawlen): 0 with *present 0 when absent, 0 with *v set when it
 * is a plain integer literal (no fraction, exponent or sign) at most
 * 2^53, -1 for anything else. Shared by every JWT verifier.
 */
int		 tt_token_int_claim(const struct cJSON *p, const char *raw,
		    size_t rawlen, const char *name, int64_t *v, int *present);

/* 1 if the string has the shape of a JWT (three base64url segments). */
int		 tt_token_looks_like(const char *);

#endif
