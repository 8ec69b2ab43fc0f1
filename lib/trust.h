/* trust.h: OIDC trust policies (table oidc_trust_policies) and the exchange. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_TRUST_H
#define TT_TRUST_H

#include <stdint.h>
#include <time.h>

#include "oidc.h"
#include "tt.h"

struct tt_arena;
struct tt_audit_src;
struct cJSON;

/* A stored policy as ttctl shows it. Arena-owned. */
struct tt_trust_row {
	struct tt_oidc_policy	 p;
	const char		*name;
	const char		*created_at;	/* RFC 3339 UTC */
};

/*
 * Stores a policy after the rules of key creation: capabilities valid
 * (tt_caps_valid) and every installation:N among them an installation
 * the user is a member of; conditions valid (tt_oidc_conditions_valid);
 * issuer https (http on loopback only with TT_OIDC_ALLOW_LOOPBACK=1);
 * max_ttl 1..3600; max_token_age 1..TT_OIDC_MAX_TOKEN_AGE (the caller
 * sets it: TT_OIDC_DEFAULT_TOKEN_AGE unless told otherwise). TT_EINVAL
 * with *why for a refused policy. The
 * 'policy_add' audit row (from src) is written in the same statement.
 */
enum tt_err	 tt_trust_add(struct tt_arena *, const char *name,
		    const struct tt_oidc_policy *,
		    const struct tt_audit_src *src, struct tt_trust_row *out,
		    const char **why);

/* Every policy, oldest first (*rows an arena array of *n). */
enum tt_err	 tt_trust_list(struct tt_arena *, struct tt_trust_row **rows,
		    int *n);

/*
 * Deletes policy id; the access tokens it minted stop working at their
 * next request, and a 'policy_remove' audit row (from src) is written
 * in the same statement. TT_ENOTFOUND when there is no such policy.
 */
enum tt_err	 tt_trust_remove(struct tt_arena *, const char *id,
		    const struct tt_audit_src *src);

/*
 * Forgets the exchanged ID tokens (the replay check's rows) an hour
 * past their exp; *n is how many (ttctl audit prune).
 */
enum tt_err	 tt_trust_prune(struct tt_arena *, int64_t *n);

/* The policy as a JSON object; arena-owned. */
struct cJSON	*tt_trust_json(struct tt_arena *, const struct tt_trust_row *);

/*
 * What a successful exchange grants (arena-owned), and the token's
 * issuer, jti and exp, which the caller records so that it is granted
 * once only.
 */
struct tt_trust_grant {
	const struct tt_oidc_policy *policy;
	int64_t		 ttl;		/* min(access token TTL, policy max) */
	struct cJSON	*identity;	/* {"sub","repository","run_id"} */
	const char	*issuer, *jti;
	int64_t		 exp;
	int64_t		 retry_s;	/* TT_EUNAVAIL: s until tried again */
};

/*
 * Exchanges an ID token: the issuer must be one some policy trusts,
 * times within leeway, the signature good under the issuer's JWKS
 * (shared cache; fetched when stale; refetched once on an unknown kid,
 * at most every TT_TRUST_REFETCH_S per issuer; never fetched within
 * TT_JWKS_RETRY_S of a failed fetch), then the issuer's policies are
 * tried oldest first and the first that matches wins. TT_OK with *g
 * filled. TT_EUNAUTH with *check naming the failed check (when policies
 * disagree, the one that got furthest). TT_EUNAVAIL (check
 * TT_OIDC_SIGNATURE) when the issuer's keys cannot be read and none are
 * cached, with g->retry_s the seconds until they are fetched again;
 * database errors as they come. *why is for the log only.
 */
#define TT_TRUST_REFETCH_S	5
enum tt_err	 tt_trust_exchange(struct tt_arena *, const char *token,
		    time_t now, struct tt_trust_grant *g,
		    enum tt_oidc_check *check, const char **why);

#endif
