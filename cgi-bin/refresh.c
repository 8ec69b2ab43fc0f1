/* refresh.c: POST /api/v1/access-token/refresh, API key to access token. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "apikey.h"
#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "signkey.h"
#include "token.h"

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

static enum tt_err
handle_refresh(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_db_res	*res;
	struct tt_token_claims	 c;
	const unsigned char	*secret;
	const char		*key, *kid, *p[1], *capstext, *why;
	char			 hash[65], *token;
	unsigned char		 jti[16];
	size_t			 len;
	enum tt_err		 e;
	cJSON			*j;

	if ((key = tt_session_bearer(req, resp)) == NULL)
		return TT_EUNAUTH;
	if (tt_token_looks_like(key))
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this is an access "
		    "token, not an API key: send the API key (tt_live_...) "
		    "here, and the access token to the other endpoints");
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
	c.issuer = tt_config.jwt_issuer;
	c.user_id = tt_db_get(res, 0, "user_id");
	c.api_key_id = tt_db_get(res, 0, "id");
	tt_crypto_random(jti, sizeof(jti));
	c.jti = tt_arena_alloc(req->arena, 2 * sizeof(jti) + 1);
	tt_crypto_hex(jti, sizeof(jti), (char *)c.jti);
	c.iat = (int64_t)req->now;
	c.exp = c.iat + tt_config.access_token_ttl;

	if ((e = tt_signkey_current(req->arena, req->now, &kid, &secret,
	    &len)) != TT_OK)
		return e;
	if ((e = tt_token_sign(req->arena, kid, secret, len, &c, &token)) !=
	    TT_OK)
		return e;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "access_token", token);
	cJSON_AddStringToObject(j, "token", token);
	cJSON_AddStringToObject(j, "token_type", "Bearer");
	cJSON_AddNumberToObject(j, "expires_in",
	    (double)tt_config.access_token_ttl);
	tt_resp_cjson(resp, 200, j);
	req->session = NULL;
	return TT_OK;
}

static const struct tt_route routes[] = {
	{ TT_POST, "/api/v1/access-token/refresh", 0, 0, 0, handle_refresh },
};

int
main(void)
{
	return tt_serve("refresh", routes, TT_NITEMS(routes));
}
