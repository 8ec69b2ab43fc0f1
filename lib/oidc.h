/* oidc.h: OIDC ID tokens: parsing, time rules and trust policy matching. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_OIDC_H
#define TT_OIDC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tt.h"

struct tt_arena;
struct cJSON;

/* GitHub's ID tokens are about 1.2 KB; anything past this is refused. */
#define TT_OIDC_MAX_LEN		8192
/* The longest jti kept (GitHub's is a 36-byte UUID). */
#define TT_OIDC_MAX_JTI		256
/*
 * The longest exp - iat a policy accepts by default (--max-token-age),
 * and the most one may set: an exchanged jti is kept until its exp.
 */
#define TT_OIDC_DEFAULT_TOKEN_AGE	3600
#define TT_OIDC_MAX_TOKEN_AGE		86400

/* A parsed, not yet verified ID token (arena-owned). */
struct tt_oidc_token {
	const char	*alg;		/* the header's, checked against the key */
	const char	*kid;
	const char	*iss;
	const char	*sub;
	const char	*jti;		/* 1..TT_OIDC_MAX_JTI bytes */
	const struct cJSON *aud;	/* a string or an array of strings */
	int64_t		 exp, iat, nbf;
	int		 has_nbf;
	const struct cJSON *claims;	/* the whole payload */
	size_t		 signed_len;	/* header.payload is token[0..n) */
	unsigned char	*sig;
	size_t		 siglen;
};

/* One trust policy (arena-owned strings). */
struct tt_oidc_policy {
	const char	*id;
	const char	*issuer;
	const char	*audience;
	const char	*subject;	/* exact, or '*' globs */
	const struct cJSON *conditions;	/* {"claim": "pattern"} */
	const char	*user_id;
	struct cJSON	*caps;
	int64_t		 max_ttl;
	int64_t		 max_token_age;	/* longest exp - iat accepted, s */
};

/* Which check refused a token; each has a message safe for the client. */
enum tt_oidc_check {
	TT_OIDC_OK = 0,
	TT_OIDC_MALFORMED,
	TT_OIDC_ISSUER,
	TT_OIDC_EXPIRED,
	TT_OIDC_NOT_YET_VALID,
	TT_OIDC_SIGNATURE,
	TT_OIDC_AUDIENCE,
	TT_OIDC_SUBJECT,
	TT_OIDC_CONDITION,
	TT_OIDC_LIFETIME,	/* exp - iat above the policy's max_token_age */
	TT_OIDC_REPLAYED,	/* its jti was exchanged before (refresh.c) */
	TT_OIDC__MAX
};

/* "OIDC token refused: audience not accepted" and so on. */
const char	*tt_oidc_check_str(enum tt_oidc_check);

/*
 * The check's name in the audit trail: "ok", "malformed", "issuer",
 * "expired", "not_yet_valid", "signature", "audience", "subject",
 * "claim", "lifetime", "replayed".
 */
const char	*tt_oidc_check_name(enum tt_oidc_check);

/*
 * 1 when the bearer could be an ID token: a JWT (tt_token_looks_like,
 * at most TT_OIDC_MAX_LEN) whose payload has a string "iss" other than
 * ours, which is returned in *iss (arena-owned). Cheap: no signature work.
 */
int		 tt_oidc_issuer_of(struct tt_arena *, const char *token,
		    const char *our_issuer, const char **iss);

/*
 * Parses a compact JWS ID token strictly: length, charset, three
 * segments, a JSON header with string "alg" and "kid" (no "crit", "typ"
 * absent or "JWT"), claims with string iss and sub, aud a string or a
 * non-empty array of strings, exp and iat plain positive integers, nbf
 * one when present, jti a string of 1..TT_OIDC_MAX_JTI bytes (a token
 * without iat or jti cannot be held to a lifetime or to one use, so it
 * is refused), and a base64url signature (maybe empty: refused later,
 * by the signature check). TT_EUNAUTH with *why.
 */
enum tt_err	 tt_oidc_parse(struct tt_arena *, const char *token,
		    struct tt_oidc_token *, const char **why);

/*
 * The access token wrapper's time rules with leeway: refused when
 * now >= exp + leeway (TT_OIDC_EXPIRED), or when nbf or iat is after
 * now + leeway (TT_OIDC_NOT_YET_VALID).
 */
enum tt_oidc_check tt_oidc_times(const struct tt_oidc_token *, time_t now,
		    int64_t leeway);

/* 1 if s matches pattern, where '*' matches any run of characters. */
int		 tt_oidc_glob(const char *pattern, const char *s);

/*
 * Whether a (verified) token meets a policy: issuer, audience (aud is
 * or holds it), subject pattern, each condition (the named claim a
 * string that matches the pattern), then its lifetime (exp at or after
 * iat, exp - iat at most the policy's max_token_age). The first check
 * that fails.
 */
enum tt_oidc_check tt_oidc_match(const struct tt_oidc_policy *,
		    const struct tt_oidc_token *);

/*
 * 1 if conditions is a valid conditions object: at most 20 members,
 * names of [a-z0-9_] (1..64, not iss, aud, sub, exp, nbf, iat), values
 * non-empty strings of at most 512 bytes. *why otherwise.
 */
int		 tt_oidc_conditions_valid(const struct cJSON *,
		    const char **why);

#endif
