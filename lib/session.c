/*
 * session.c: the session check every authenticated route passes, whole,
 * in this one file.
 *
 * serve.c calls tt_session_require after routing and reading the body,
 * the handler only when it returns TT_OK, and tt_session_finish after
 * the handler, before anything is written. Nothing a handler could say
 * reaches the client before the verdict is final. The sequence, each
 * step answering alone when it refuses:
 *
 *   1. the credential: Authorization: Bearer <token>       401
 *      (a browser session cookie instead, on the key-management routes
 *      only: websession.c, then its CSRF token on writes   401/403)
 *   2. the token itself, without the database: shape, alg,
 *      kid, signature, expiry, issuer (token.c)             401
 *   3. one statement (stmt_check): is the key or trust
 *      policy behind the token still live, and is its user
 *      a member of the path's installation now
 *   4. the verdict, read in this order:
 *      a. the key or policy revoked, expired or removed     401
 *      b. a capability the route needs is not in the claims 403
 *      c. the path's installation is outside the token's
 *         installation_id restriction                       403
 *      d. the user is not a member of it (or it does not
 *         exist: the same answer, word for word)            403
 *
 * Step 3 runs alone and is waited for, except on the routes that read or
 * write an installation's data in one statement (TT_ROUTE_GATED: KV and
 * stacks, where it gains 13-20 %; docs/PERFORMANCE.md) when 4b and 4c
 * already pass. There it travels
 * as a gate (stmt_gate, db.h) in the round trip of the handler's first
 * statement, ahead of it: the gate fails unless 4a and 4d pass, and a
 * failed statement makes PostgreSQL skip the rest of the pipeline, so
 * the handler's statement never runs for a refused caller (no answer,
 * error or timing of it exists) and the handler gets TT_EREFUSED. The
 * gate's result is read before the statement's. tt_session_finish then
 * settles it: gate passed, the handler's answer stands; gate refused, or
 * never reached (the handler ran no statement), steps 3 and 4 run alone
 * and a refusal replaces the handler's answer whole.
 *
 * The runner's routes (TT_ROUTE_RUNNER, the work-manifests program) take
 * another credential in step 1: a work manifest's token (runner.h). Step 2
 * is its shape; steps 3 and 4 are one statement (stmt_runner): the token
 * is the path's manifest's, which is queued or running and younger than
 * TT_RUN_TIMEOUT, or has ended on the results route (TT_ROUTE_RUNNER_ENDED,
 * for a resent PUT); anything else is a 401.
 *
 * Nothing in steps 1-4 reads an installation's data, so a caller who may
 * not see an installation gets the same answer whatever else the request
 * holds (select, q, page, prefix, idx): isolation-property.sh checks it
 * on every server.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apikey.h"
#include "arena.h"
#include "caps.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "route.h"
#include "runner.h"
#include "session.h"
#include "signkey.h"
#include "token.h"
#include "valid.h"
#include "websession.h"

/*
 * Step 3. One row: the user of the key ($1) or of the trust policy ($3)
 * (a token names exactly one), whether it is live, and whether that user
 * is a member of installation $2 (true when $2 is NULL: no installation
 * in the path). No row: the key or policy is gone.
 */
#define CHECK_SQL \
	"SELECT k.user_id, k.live, ($2::bigint IS NULL OR EXISTS (SELECT 1 " \
	"FROM installation_members m WHERE m.user_id = k.user_id AND " \
	"m.installation_id = $2::bigint)) AS member FROM (SELECT user_id, " \
	"(revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())) " \
	"AS live FROM api_keys WHERE id = $1::uuid UNION ALL SELECT user_id, " \
	"true FROM oidc_trust_policies WHERE id = $3::uuid) k"

TT_DB_STMT(stmt_check) = {
	.name = "session_check",
	.sql = CHECK_SQL,
	.nparams = 3,
	.retry = 1,
};

/*
 * Step 3 as a gate: one row when 4a and 4d pass (live, the token's user
 * $4, a member), else an error (logged by PostgreSQL as an invalid
 * integer "terrateam: the session check refused this request"), which
 * stops what follows it. The outer join turns "no such key" into a row
 * of NULLs, which fails too; a token names exactly one of a key and a
 * trust policy ($1, $3).
 */
TT_DB_STMT(stmt_gate) = {
	.name = "session_gate",
	.sql =
	    "SELECT 1 AS pass FROM (SELECT 1) one LEFT JOIN (" CHECK_SQL ") c "
	    "ON true WHERE (CASE WHEN ($1::uuid IS NULL) <> ($3::uuid IS NULL) "
	    "AND c.live AND c.member AND c.user_id::text = $4 THEN '1' ELSE "
	    "'terrateam: the session check refused this request' END)::int = 1",
	.nparams = 4,
	.retry = 1,
};

/* The runner's steps 3 and 4: the manifest $1 whose token hashes to $2. */
TT_DB_STMT(stmt_runner) = {
	.name = "session_runner",
	.sql =
	    "SELECT installation_id, state IN ('queued', 'running') AND "
	    "created_at > now() - $3::bigint * interval '1 second' AS live, "
	    "state = 'completed' AS ended FROM work_manifests WHERE id = "
	    "$1::uuid AND token_sha256 = decode($2, 'hex')",
	.nparams = 3,
	.retry = 1,
};

static enum tt_err
unauth(struct tt_resp *resp, const char *msg)
{
	return tt_resp_fail(resp, TT_EUNAUTH, NULL, "%s", msg);
}

const char *
tt_session_bearer(struct tt_req *req, struct tt_resp *resp)
{
	const char	*h, *t;
	size_t		 n;

	h = tt_req_header(req, "Authorization");
	if (h == NULL || h[0] == '\0') {
		unauth(resp, "missing Authorization: Bearer header");
		return NULL;
	}
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t')) {
		unauth(resp, "Authorization must use the Bearer scheme");
		return NULL;
	}
	for (t = h + 6; *t == ' ' || *t == '\t'; t++)
		;
	n = strlen(t);
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (n == 0) {
		unauth(resp, "empty bearer token");
		return NULL;
	}
	return tt_arena_strndup(req->arena, t, n);
}

/* Step 2: the token verified without the database; the claims into *c. */
static enum tt_err
verify_token(struct tt_req *req, struct tt_resp *resp, const char *token,
    struct tt_token_claims *c)
{
	struct tt_token_rules	 rules;
	const unsigned char	*secret;
	const char		*kid, *why;
	size_t			 len;
	enum tt_err		 e;

	if (strncmp(token, TT_APIKEY_PREFIX, strlen(TT_APIKEY_PREFIX)) == 0)
		return unauth(resp, "this is an API key, not an access token: "
		    "exchange the API key at /api/v1/access-token/refresh and "
		    "send the access_token it returns");
	if ((e = tt_token_header(req->arena, token, &kid, &why)) != TT_OK)
		return unauth(resp, why);
	e = tt_signkey_lookup(req->arena, req->now, kid, &secret, &len);
	if (e == TT_ENOTFOUND)
		return unauth(resp, "token signed with an unknown or retired "
		    "key: refresh the access token");
	if (e != TT_OK)
		return e;
	rules.now = req->now;
	rules.leeway = tt_config.clock_leeway;
	rules.max_ttl = tt_config.access_token_ttl;
	rules.issuer = tt_config.jwt_issuer;
	if (tt_token_verify(req->arena, token, secret, len, &rules, c,
	    &why) == TT_OK)
		return TT_OK;
	if (strcmp(why, "token expired") == 0)
		return unauth(resp, "access token expired: refresh it at "
		    "/api/v1/access-token/refresh");
	return unauth(resp, why);
}

/* Step 4b: every capability bit the route needs, from the claims. */
static enum tt_err
check_caps(struct tt_req *req, struct tt_resp *resp)
{
	unsigned	bit;
	const char	*name;

	for (bit = 1; bit < TT_CAP_INSTALLATION; bit <<= 1) {
		if (!(req->route->caps & bit) ||
		    (name = tt_caps_name(bit)) == NULL)
			continue;
		if (!tt_caps_has(req->session->caps, name))
			return tt_resp_fail(resp, TT_EFORBIDDEN,
			    "MISSING_CAPABILITY", "this token lacks the %s "
			    "capability", name);
	}
	return TT_OK;
}

/*
 * Step 4c: a token with installation_id capabilities is restricted to
 * them; routes that need one (TT_CAP_INSTALLATION) need the path's.
 */
static enum tt_err
check_restriction(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session	*s = req->session;

	if (s->installation_id == 0)
		return TT_OK;
	if (((req->route->caps & TT_CAP_INSTALLATION) ||
	    tt_caps_restricted(s->caps)) &&
	    !tt_caps_has_installation(s->caps, s->installation_id))
		return tt_resp_fail(resp, TT_EFORBIDDEN,
		    "NO_INSTALLATION_ACCESS", "this token has no "
		    "installation_id capability for installation %s", s->inst);
	return TT_OK;
}

/* Steps 3 and 4, alone: the database's answer, then the verdict in order. */
static enum tt_err
check_live(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session	*s = req->session;
	struct tt_db_res	*res;
	const char		*live, *user;
	enum tt_err		 e;

	if ((e = tt_db_run(req->arena, &stmt_check, s->check_params,
	    &res)) != TT_OK)
		return e;

	live = tt_db_nrows(res) == 1 ? tt_db_get(res, 0, "live") : NULL;
	user = tt_db_nrows(res) == 1 ? tt_db_get(res, 0, "user_id") : NULL;
	if (live == NULL || strcmp(live, "t") != 0 || user == NULL ||
	    strcmp(user, s->user_id) != 0)
		return unauth(resp, s->api_key_id != NULL ? "the API key "
		    "behind this access token was revoked or has expired" :
		    "the trust policy behind this access token was removed");
	if ((e = check_caps(req, resp)) != TT_OK ||
	    (e = check_restriction(req, resp)) != TT_OK)
		return e;
	if (strcmp(tt_db_get(res, 0, "member"), "t") != 0)
		return tt_resp_fail(resp, TT_EFORBIDDEN,
		    "NO_INSTALLATION_ACCESS", "user is not a member of "
		    "installation %s", s->inst);
	return TT_OK;
}

/* The runner's credential: steps 2 to 4 for TT_ROUTE_RUNNER. */
static enum tt_err
runner_require(struct tt_req *req, struct tt_resp *resp, const char *token)
{
	struct tt_session	*s;
	struct tt_db_res	*res;
	unsigned char		 h[TT_SHA256_LEN];
	char			 hash[2 * TT_SHA256_LEN + 1];
	const char		*p[3], *id, *live, *ended;
	enum tt_err		 e;

	if (strlen(token) != TT_RUNNER_TOKEN_LEN || strncmp(token,
	    TT_RUNNER_TOKEN_PREFIX, strlen(TT_RUNNER_TOKEN_PREFIX)) != 0)
		return unauth(resp, "not a work manifest's token: send the "
		    "token its initiate answered");
	id = tt_req_param(req, "work_manifest_id");
	tt_crypto_sha256(token, strlen(token), h);
	tt_crypto_hex(h, sizeof(h), hash);
	p[0] = id;
	p[1] = hash;
	p[2] = tt_arena_printf(req->arena, "%lld",
	    (long long)tt_config.run_timeout);
	if ((e = tt_db_run(req->arena, &stmt_runner, p, &res)) != TT_OK)
		return e;
	live = tt_db_nrows(res) == 1 ? tt_db_get(res, 0, "live") : NULL;
	ended = tt_db_nrows(res) == 1 ? tt_db_get(res, 0, "ended") : NULL;
	if (live == NULL || (strcmp(live, "t") != 0 &&
	    (!(req->route->flags & TT_ROUTE_RUNNER_ENDED) ||
	    strcmp(ended, "t") != 0)))
		return unauth(resp, "this token is not this work manifest's, "
		    "or the manifest has ended");
	s = tt_arena_alloc(req->arena, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->user_id = "-";
	s->work_manifest_id = id;
	s->ended = strcmp(live, "t") != 0;
	s->inst = tt_db_get(res, 0, "installation_id");
	(void)tt_valid_int64(s->inst, 1, INT64_MAX, &s->installation_id);
	req->session = s;
	return TT_OK;
}

enum tt_err
tt_session_require(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_token_claims	 c;
	struct tt_session	*s;
	struct tt_resp		 scratch;
	const char		*token, *inst, **p;
	int64_t			 iid = 0;
	enum tt_err		 e;

	/* Step 1. */
	if ((req->route->flags & TT_ROUTE_COOKIE) &&
	    tt_req_header(req, "Authorization") == NULL &&
	    tt_req_header(req, "Cookie") != NULL)
		return tt_websession_require(req, resp);
	if ((token = tt_session_bearer(req, resp)) == NULL)
		return TT_EUNAUTH;
	if (req->route->flags & TT_ROUTE_RUNNER)
		return runner_require(req, resp, token);

	/* Step 2. */
	if ((e = verify_token(req, resp, token, &c)) != TT_OK)
		return e;
	if (req->route->flags & TT_ROUTE_INSTALLATION) {
		inst = tt_req_param(req, "installation_id");
		if (inst == NULL || tt_valid_int64(inst, 1, INT64_MAX,
		    &iid) != 0)
			return tt_resp_fail(resp, TT_ENOTFOUND, NULL,
			    "no such installation");
	} else
		inst = NULL;
	s = tt_arena_alloc(req->arena, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->user_id = c.user_id;
	s->api_key_id = c.api_key_id;
	s->policy_id = c.policy_id;
	s->oidc = c.oidc;
	s->caps = c.caps;
	s->exp = c.exp;
	s->installation_id = iid;
	s->inst = inst;
	p = tt_arena_alloc(req->arena, 4 * sizeof(*p));
	p[0] = s->api_key_id;
	p[1] = iid != 0 ? inst : NULL;
	p[2] = s->policy_id;
	p[3] = s->user_id;
	s->check_params = p;
	req->session = s;

	/* Step 3 as the gate of the handler's first statement (see above). */
	memset(&scratch, 0, sizeof(scratch));
	if ((req->route->flags & TT_ROUTE_GATED) &&
	    check_caps(req, &scratch) == TT_OK &&
	    check_restriction(req, &scratch) == TT_OK) {
		s->gated = 1;
		tt_db_gate(&stmt_gate, p);
		return TT_OK;
	}
	/* Steps 3 and 4 (a refused request's log line still names its user). */
	return check_live(req, resp);
}

enum tt_err
tt_session_finish(struct tt_req *req, struct tt_resp *resp, enum tt_err e)
{
	struct tt_session	*s = req->session;
	struct tt_resp		 verdict;
	enum tt_db_gate_state	 gs;
	enum tt_err		 ve;

	if (s == NULL || !s->gated || (gs = tt_db_gate_state()) ==
	    TT_DB_GATE_PASSED)
		return e;
	/* Refused, or never reached: steps 3 and 4 alone decide. */
	tt_db_gate(NULL, NULL);
	memset(&verdict, 0, sizeof(verdict));
	if ((ve = check_live(req, &verdict)) != TT_OK) {
		/* The handler's answer goes, whole; only the verdict's is left. */
		tt_buf_clear(&resp->headers);
		tt_buf_clear(&resp->body);
		resp->has_content_type = resp->has_cache_control = 0;
		resp->status = 0;
		resp->err_id = verdict.err_id;
		resp->err_detail = NULL;
		if (verdict.err_detail != NULL) {
			memcpy(resp->detail, verdict.detail, sizeof(resp->detail));
			resp->err_detail = resp->detail;
		}
		return ve;
	}
	if (gs == TT_DB_GATE_REFUSED || e == TT_EREFUSED) {
		/* The gate refused what the check passes: a race with a
		 * revocation or a membership change, or a bug. */
		tt_log_warnx("the session gate refused a request its check "
		    "passes");
		return TT_EUNAVAIL;
	}
	return e;
}

const char *
tt_session_user(const struct tt_req *req)
{
	return req->session != NULL ? req->session->user_id : "-";
}

void
tt_session_cleanup(void)
{
	tt_signkey_free();
}
