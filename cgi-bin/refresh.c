/*
 * refresh.c: POST /api/v1/access-token/refresh: an API key, or an OIDC ID
 * token a trust policy accepts, to an access token.
 *
 * The bearer's kind is told apart without work: the tt_live_ prefix is
 * an API key (the benchmarked path: one statement, tt_refresh_key, or a
 * read when the key has tokens reserved, lib/refreshq.h); a key whose
 * checksum fails, or a JWT whose iss is ours (an access token sent to
 * the wrong place), is a 401 that touches no database; any other JWT is
 * tried as an ID token (lib/trust.c), then recorded (its jti, so that it
 * is granted once), audited and, when refused, counted against the
 * address's bucket (one statement, tt_refresh_exchange).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "apikey.h"
#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "json.h"
#include "jwks.h"
#include "log.h"
#include "oidc.h"
#include "ratelimit.h"
#include "refresh.h"
#include "refreshq.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "signkey.h"
#include "token.h"
#include "trust.h"

int main(void);

/* Signs the access token and writes the answer both kinds share. */
static enum tt_err
answer(struct tt_req *req, struct tt_resp *resp, struct tt_token_claims *c,
    int64_t ttl)
{
	const unsigned char	*secret;
	const char		*kid;
	char			*token;
	unsigned char		 jti[16];
	size_t			 len;
	enum tt_err		 e;
	cJSON			*j;

	c->issuer = tt_config.jwt_issuer;
	tt_crypto_random(jti, sizeof(jti));
	c->jti = tt_arena_alloc(req->arena, 2 * sizeof(jti) + 1);
	tt_crypto_hex(jti, sizeof(jti), (char *)c->jti);
	c->iat = (int64_t)req->now;
	c->exp = c->iat + ttl;

	if ((e = tt_signkey_current(req->arena, req->now, &kid, &secret,
	    &len)) != TT_OK)
		return e;
	if ((e = tt_token_sign(req->arena, kid, secret, len, c, &token)) !=
	    TT_OK)
		return e;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "access_token", token);
	cJSON_AddStringToObject(j, "token", token);
	cJSON_AddStringToObject(j, "token_type", "Bearer");
	cJSON_AddNumberToObject(j, "expires_in", (double)ttl);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* The 429 of an address past its refused-credential limit. */
static enum tt_err
address_limited(struct tt_resp *resp, const struct tt_refresh_caller *c,
    int64_t ahead_us)
{
	struct tt_rate	rate;

	rate.limit = tt_config.refresh_rate_per_address;
	rate.window_us = c->window_us;
	tt_rate_headers_refused(resp, &rate, ahead_us);
	return tt_resp_fail(resp, TT_ERATE, NULL, "too many refused "
	    "credentials from this address: try again later");
}

/*
 * An OIDC ID token: a 401 names the check that failed, never what a
 * policy holds. Every exchange that reached a verdict is recorded.
 */
static enum tt_err
exchange_oidc(struct tt_req *req, struct tt_resp *resp, const char *token)
{
	struct tt_refresh_caller	 caller;
	struct tt_trust_grant		 g;
	struct tt_token_claims		 c;
	enum tt_refresh_outcome		 outcome;
	enum tt_oidc_check		 check;
	const char			*why, *known;
	int64_t				 before;
	enum tt_err			 e, re;

	e = tt_trust_exchange(req->arena, token, req->now, &g, &check, &why);
	if (e == TT_OK)
		known = "ok";
	else if (e == TT_EUNAUTH)
		known = tt_oidc_check_name(check);
	else if (e == TT_EUNAVAIL && check == TT_OIDC_SIGNATURE)
		known = "keys_unavailable";
	else
		return e;
	tt_refresh_caller(req, &caller);
	if ((re = tt_refresh_exchange(req->arena, &caller, known, &g,
	    req->now, &outcome, &before)) != TT_OK)
		return re;
	if (outcome == TT_REFRESH_ADDRESS_LIMITED)
		return address_limited(resp, &caller, before);
	if (outcome == TT_REFRESH_REPLAYED) {
		tt_log_info("oidc exchange refused: token already used");
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "%s",
		    tt_oidc_check_str(TT_OIDC_REPLAYED));
	}
	if (e == TT_EUNAUTH) {
		tt_log_info("oidc exchange refused: %s", why);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "%s",
		    tt_oidc_check_str(check));
	}
	if (e == TT_EUNAVAIL) {
		/* Not fetched again before then, by any process. */
		tt_resp_header(resp, "Retry-After", "%lld",
		    (long long)(g.retry_s > 0 ? g.retry_s : 1));
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "the OIDC issuer's "
		    "signing keys could not be fetched; try again later");
	}
	memset(&c, 0, sizeof(c));
	c.user_id = g.policy->user_id;
	c.policy_id = g.policy->id;
	c.oidc = g.identity;
	c.caps = g.policy->caps;
	return answer(req, resp, &c, g.ttl);
}

/* An API key, well formed: refreshed, or refused with its reason. */
static enum tt_err
refresh_key(struct tt_req *req, struct tt_resp *resp, const char *key)
{
	struct tt_refresh_caller	 caller;
	struct tt_refresh_key		 k;
	struct tt_token_claims		 c;
	struct tt_rate			 rate;
	const char			*why;
	char				 hash[65];
	int				 done;
	enum tt_err			 e;

	tt_refresh_caller(req, &caller);
	tt_apikey_hash_hex(key, hash);
	if ((e = tt_refreshq_spend(req->arena, &caller, hash, &k,
	    &done)) != TT_OK)
		return e;
	if (!done && (e = tt_refresh_key(req->arena, &caller, hash,
	    tt_refreshq_want(hash), &k)) != TT_OK)
		return e;

	rate.limit = k.limit;
	rate.window_us = caller.window_us;
	switch (k.outcome) {
	case TT_REFRESH_OK:
		break;
	case TT_REFRESH_KEY_LIMITED:
		tt_rate_headers_refused(resp, &rate, k.key_before);
		return tt_resp_fail(resp, TT_ERATE, NULL, "this API key has "
		    "made %lld refreshes in %lld s: try again later",
		    (long long)rate.limit,
		    (long long)tt_config.refresh_rate_window);
	case TT_REFRESH_ADDRESS_LIMITED:
		tt_refreshq_drop(hash);
		return address_limited(resp, &caller, k.addr_before);
	case TT_REFRESH_REVOKED:
		tt_refreshq_drop(hash);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this API key has "
		    "been revoked");
	case TT_REFRESH_EXPIRED:
		tt_refreshq_drop(hash);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this API key has "
		    "expired");
	default:
		tt_refreshq_drop(hash);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "unknown API key");
	}
	tt_rate_headers_ok(resp, &rate, k.ahead_us);
	if (!done)
		tt_refreshq_store(hash, &k, caller.window_us);
	memset(&c, 0, sizeof(c));
	if ((c.caps = tt_json_parse(req->arena, k.caps, strlen(k.caps),
	    &why)) == NULL)
		return TT_EINTERNAL;
	c.user_id = k.user_id;
	c.api_key_id = k.id;
	return answer(req, resp, &c, tt_config.access_token_ttl);
}

static enum tt_err
refresh(struct tt_req *req, struct tt_resp *resp)
{
	const char	*bearer, *iss;

	if ((bearer = tt_session_bearer(req, resp)) == NULL)
		return TT_EUNAUTH;
	if (strncmp(bearer, TT_APIKEY_PREFIX, strlen(TT_APIKEY_PREFIX)) != 0 &&
	    tt_token_looks_like(bearer)) {
		if (tt_oidc_issuer_of(req->arena, bearer, tt_config.jwt_issuer,
		    &iss))
			return exchange_oidc(req, resp, bearer);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this is an access "
		    "token, not an API key: send the API key (tt_live_...) "
		    "here, and the access token to the other endpoints");
	}
	/* The checksum tells typos and guesses from keys: no database. */
	if (!tt_apikey_check(bearer))
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "malformed API key: "
		    "expected tt_live_ followed by 42 letters and digits");
	return refresh_key(req, resp, bearer);
}

static enum tt_err
handle_refresh(struct tt_req *req, struct tt_resp *resp)
{
	enum tt_err	e;

	e = refresh(req, resp);
	tt_refreshq_settle(req->arena);
	return e;
}

static const struct tt_route routes[] = {
	{ TT_POST, "/api/v1/access-token/refresh", 0, 0, 0, handle_refresh },
};

int
main(void)
{
	int	rc;

	rc = tt_serve("refresh", routes, TT_NITEMS(routes));
	tt_jwks_cleanup();
	return rc;
}
