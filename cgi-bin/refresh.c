/*
 * refresh.c: POST /api/v1/access-token/refresh: an API key, or an OIDC ID
 * token a trust policy accepts, to an access token.
 *
 * The bearer's kind is told apart without work: the tt_live_ prefix is
 * an API key (the benchmarked path, unchanged); a JWT whose iss is ours
 * is an access token sent to the wrong place; any other JWT is tried as
 * an ID token (lib/trust.c).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "apikey.h"
#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "jwks.h"
#include "log.h"
#include "oidc.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "signkey.h"
#include "token.h"
#include "trust.h"

int main(void);

/*
 * Looks the key up by its hash. last_used_at is written only when it is
 * more than a minute old, by a second statement, so nearly every refresh
 * is one read-only round trip (DESIGN: no second write on a hot path).
 */
static struct tt_db_stmt stmt_key = {
	"refresh_key",
	"SELECT id, user_id, capabilities::text AS capabilities, "
	"revoked_at IS NOT NULL AS revoked, "
	"(expires_at IS NOT NULL AND expires_at <= now()) AS expired, "
	"(last_used_at IS NULL OR last_used_at < now() - interval '60 seconds') "
	"AS stale FROM api_keys WHERE key_sha256 = decode($1, 'hex')",
	1, 1, 0, 0
};

static struct tt_db_stmt stmt_touch = {
	"refresh_touch",
	"UPDATE api_keys SET last_used_at = now() WHERE id = $1::uuid AND "
	"(last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
	1, 1, 0, 0
};

/* Signs the access token and writes the answer both paths share. */
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
	req->session = NULL;
	return TT_OK;
}

/*
 * An OIDC ID token: a 401 names the check that failed, never what a
 * policy holds. (An audit hook would go here: g.policy->id or NULL, the
 * check, and g.identity.)
 */
static enum tt_err
exchange_oidc(struct tt_req *req, struct tt_resp *resp, const char *token)
{
	struct tt_trust_grant	 g;
	struct tt_token_claims	 c;
	enum tt_oidc_check	 check;
	const char		*why;
	enum tt_err		 e;

	e = tt_trust_exchange(req->arena, token, req->now, &g, &check, &why);
	if (e == TT_EUNAUTH) {
		tt_log_info("oidc exchange refused: %s", why);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "%s",
		    tt_oidc_check_str(check));
	}
	if (e == TT_EUNAVAIL && check == TT_OIDC_SIGNATURE)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "the OIDC issuer's "
		    "signing keys could not be fetched; try again later");
	if (e != TT_OK)
		return e;
	memset(&c, 0, sizeof(c));
	c.user_id = g.policy->user_id;
	c.policy_id = g.policy->id;
	c.oidc = g.identity;
	c.caps = g.policy->caps;
	return answer(req, resp, &c, g.ttl);
}

static enum tt_err
handle_refresh(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_db_res	*res;
	struct tt_token_claims	 c;
	const char		*key, *p[1], *capstext, *why, *iss;
	char			 hash[65];
	enum tt_err		 e;

	if ((key = tt_session_bearer(req, resp)) == NULL)
		return TT_EUNAUTH;
	if (strncmp(key, TT_APIKEY_PREFIX, strlen(TT_APIKEY_PREFIX)) != 0 &&
	    tt_token_looks_like(key)) {
		if (tt_oidc_issuer_of(req->arena, key, tt_config.jwt_issuer,
		    &iss))
			return exchange_oidc(req, resp, key);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this is an access "
		    "token, not an API key: send the API key (tt_live_...) "
		    "here, and the access token to the other endpoints");
	}
	/* The checksum rejects typos and guesses before any database work. */
	if (!tt_apikey_check(key))
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "malformed API key: "
		    "expected tt_live_ followed by 42 letters and digits");

	tt_apikey_hash_hex(key, hash);
	p[0] = hash;
	if ((e = tt_db_run(req->arena, &stmt_key, p, &res)) != TT_OK)
		return e;
	if (tt_db_nrows(res) != 1)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "unknown API key");
	if (strcmp(tt_db_get(res, 0, "revoked"), "t") == 0)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL,
		    "this API key has been revoked");
	if (strcmp(tt_db_get(res, 0, "expired"), "t") == 0)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL,
		    "this API key has expired");

	if (strcmp(tt_db_get(res, 0, "stale"), "t") == 0) {
		struct tt_db_res	*t;
		const char		*id[1] = { tt_db_get(res, 0, "id") };

		/* Best effort: a failed touch must not refuse the refresh. */
		(void)tt_db_run(req->arena, &stmt_touch, id, &t);
	}
	capstext = tt_db_get(res, 0, "capabilities");
	memset(&c, 0, sizeof(c));
	c.caps = tt_json_parse(req->arena, capstext, strlen(capstext), &why);
	if (c.caps == NULL)
		return TT_EINTERNAL;
	c.user_id = tt_db_get(res, 0, "user_id");
	c.api_key_id = tt_db_get(res, 0, "id");
	return answer(req, resp, &c, tt_config.access_token_ttl);
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
