/* session.c: the session middleware every authenticated route passes. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apikey.h"
#include "arena.h"
#include "caps.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "token.h"
#include "route.h"
#include "session.h"
#include "signkey.h"
#include "valid.h"

/*
 * One round trip: is the key (or, for an OIDC exchange, the trust
 * policy) behind the token still there and live, and (when the route
 * names an installation) is its user a member right now.
 */
#define CHECK_SQL \
	"SELECT k.user_id, k.live, " \
	"($2::bigint IS NULL OR EXISTS (SELECT 1 FROM installation_members m " \
	"WHERE m.user_id = k.user_id AND m.installation_id = $2::bigint)) " \
	"AS member FROM (" \
	"SELECT user_id, (revoked_at IS NULL AND (expires_at IS NULL OR " \
	"expires_at > now())) AS live FROM api_keys WHERE id = $1::uuid " \
	"UNION ALL SELECT user_id, true FROM oidc_trust_policies " \
	"WHERE id = $3::uuid) k"

static struct tt_db_stmt stmt_check = {
	"session_check",
	CHECK_SQL,
	3, 1, 0, 1
};

/*
 * The same check as an assert (tt_db_guard_assert), for a write sent in
 * the check's round trip: one row with the same columns when the check
 * passes as check_verdict judges it (live, the token's user, a member),
 * else an error (which PostgreSQL logs as an invalid integer "terrateam:
 * the session check refused this write") that stops the write. The outer
 * join turns "no such key" into a row of NULLs, which fails too; a token
 * names exactly one of a key and a trust policy ($1, $3), and both are
 * primary keys, so the check has at most one row.
 */
static struct tt_db_stmt stmt_check_assert = {
	"session_check_assert",
	"SELECT c.user_id, c.live, c.member FROM (SELECT 1) one LEFT JOIN ("
	CHECK_SQL ") c ON true WHERE (CASE WHEN ($1::uuid IS NULL) <> "
	"($3::uuid IS NULL) AND c.live AND c.member AND c.user_id::text = $4 "
	"THEN '1' ELSE 'terrateam: the session check refused this write' "
	"END)::int = 1",
	4, 1, 0, 1
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

static enum tt_err
check_caps(struct tt_req *req, struct tt_resp *resp, unsigned need)
{
	unsigned	bit;
	const char	*name;

	for (bit = 1; bit < TT_CAP_INSTALLATION; bit <<= 1) {
		if (!(need & bit))
			continue;
		name = tt_caps_name(bit);
		if (name != NULL && !tt_caps_has(req->session->caps, name) &&
		    resp == NULL)
			return TT_EFORBIDDEN;
		if (name != NULL && !tt_caps_has(req->session->caps, name))
			return tt_resp_fail(resp, TT_EFORBIDDEN,
			    "MISSING_CAPABILITY", "this token lacks the %s "
			    "capability", name);
	}
	return TT_OK;
}

/* The key behind the token: live, and still the token's user's. */
static enum tt_err
key_verdict(struct tt_session *s, struct tt_db_res *res,
    struct tt_resp *resp)
{
	const char	*live;

	if (tt_db_nrows(res) != 1 || (live = tt_db_get(res, 0, "live")) ==
	    NULL || strcmp(live, "t") != 0 ||
	    strcmp(tt_db_get(res, 0, "user_id"), s->user_id) != 0)
		return unauth(resp, s->api_key_id != NULL ? "the API key "
		    "behind this access token was revoked or has expired" :
		    "the trust policy behind this access token was removed");
	return TT_OK;
}

static enum tt_err
member_verdict(struct tt_session *s, struct tt_db_res *res,
    struct tt_resp *resp)
{
	if (s->installation_id &&
	    strcmp(tt_db_get(res, 0, "member"), "t") != 0)
		return tt_resp_fail(resp, TT_EFORBIDDEN,
		    "NO_INSTALLATION_ACCESS", "user is not a member of "
		    "installation %s", s->inst);
	return TT_OK;
}

/*
 * What the verified claims alone decide: the route's capabilities and
 * the installation_id capability. resp NULL: only the verdict.
 */
static enum tt_err
claims_allow(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session	*s = req->session;
	const struct tt_route	*rt = req->route;
	enum tt_err		 e;

	if ((e = check_caps(req, resp, rt->caps)) != TT_OK)
		return e;
	if (s->installation_id && ((rt->caps & TT_CAP_INSTALLATION) ||
	    tt_caps_restricted(s->caps)) &&
	    !tt_caps_has_installation(s->caps, s->installation_id))
		return resp == NULL ? TT_EFORBIDDEN : tt_resp_fail(resp,
		    TT_EFORBIDDEN, "NO_INSTALLATION_ACCESS", "this token has "
		    "no installation_id capability for installation %s",
		    s->inst);
	return TT_OK;
}

/* tt_db_guard callback: the deferred check's result, kept for settle. */
static enum tt_err
check_verdict(void *ctx, struct tt_db_res *res)
{
	struct tt_session	*s = ctx;
	struct tt_resp		 r;
	enum tt_err		 e;

	memset(&r, 0, sizeof(r));
	if ((e = key_verdict(s, res, &r)) == TT_OK)
		e = member_verdict(s, res, &r);
	s->decided = 1;
	s->verdict = e;
	if (e != TT_OK) {
		/* tt_resp_fail's text is static: a later failure reuses it. */
		s->fail_id = r.err_id;
		s->fail_detail = tt_arena_strdup(s->req->arena, r.err_detail);
	}
	return e;
}

enum tt_err
tt_session_require(struct tt_req *req, struct tt_resp *resp)
{
	const struct tt_route	*rt = req->route;
	struct tt_session	*s;
	struct tt_token_claims	 c;
	struct tt_token_rules	 rules;
	struct tt_db_res	*res;
	const unsigned char	*secret;
	const char		*token, *kid, *why, *inst = NULL, **p;
	size_t			 len;
	int64_t			 iid = 0;
	enum tt_err		 e;

	if ((token = tt_session_bearer(req, resp)) == NULL)
		return TT_EUNAUTH;
	if (strncmp(token, TT_APIKEY_PREFIX, strlen(TT_APIKEY_PREFIX)) == 0)
		return unauth(resp, "this is an API key, not an access token: "
		    "exchange the API key at /api/v1/access-token/refresh and "
		    "send the access_token it returns");

	/* Shape, algorithm and kid first: no key, no database. */
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
	if ((e = tt_token_verify(req->arena, token, secret, len, &rules, &c,
	    &why)) != TT_OK) {
		if (strcmp(why, "token expired") == 0)
			return unauth(resp, "access token expired: refresh it "
			    "at /api/v1/access-token/refresh");
		return unauth(resp, why);
	}

	s = tt_arena_alloc(req->arena, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->user_id = c.user_id;
	s->api_key_id = c.api_key_id;
	s->policy_id = c.policy_id;
	s->oidc = c.oidc;
	s->caps = c.caps;
	s->exp = c.exp;
	req->session = s;

	if (rt->flags & TT_ROUTE_INSTALLATION) {
		inst = tt_req_param(req, "installation_id");
		if (inst == NULL || tt_valid_int64(inst, 1, INT64_MAX,
		    &iid) != 0)
			return tt_resp_fail(resp, TT_ENOTFOUND, NULL,
			    "no such installation");
		s->installation_id = iid;
	}

	/*
	 * The key must still be live, and membership is looked up live. When
	 * the claims already grant the route, that lookup rides along with
	 * the handler's first read (one round trip, tt_db_guard); its verdict
	 * is final before any byte of the answer is written (serve.c calls
	 * tt_session_settle). Otherwise it runs now, so that a revoked key
	 * still answers 401 before any 403.
	 */
	p = tt_arena_alloc(req->arena, 4 * sizeof(*p));
	p[0] = s->api_key_id;
	p[1] = iid ? inst : NULL;
	p[2] = s->policy_id;
	p[3] = s->user_id;
	s->inst = inst;
	s->req = req;
	if (claims_allow(req, NULL) == TT_OK) {
		s->guarded = 1;
		tt_db_guard(&stmt_check, p, check_verdict, s);
		tt_db_guard_assert(&stmt_check_assert);
		return TT_OK;
	}
	if ((e = tt_db_run(req->arena, &stmt_check, p,
	    &res)) != TT_OK)
		return e;
	if ((e = key_verdict(s, res, resp)) != TT_OK)
		return e;
	if ((e = claims_allow(req, resp)) != TT_OK)
		return e;
	return member_verdict(s, res, resp);
}

/*
 * The outcome of a guarded request's deferred check: when the check
 * failed, its error replaces whatever the handler built.
 */
enum tt_err
tt_session_settle(struct tt_req *req, struct tt_resp *resp, enum tt_err e)
{
	struct tt_session	*s = req->session;
	enum tt_err		 ge;

	if (s == NULL || !s->guarded)
		return e;
	/* The handler read nothing: run the check alone now. */
	if (!s->decided && (ge = tt_db_guard_flush(req->arena)) != TT_OK &&
	    !s->decided) {
		/* The check itself could not run (database down). */
		resp->err_id = NULL;
		resp->err_detail = NULL;
		s->decided = 1;
		s->verdict = ge;
		s->fail_id = s->fail_detail = NULL;
	}
	if (s->verdict == TT_OK)
		return e;
	/* Drop the handler's answer; keep only the check's. */
	tt_buf_clear(&resp->headers);
	tt_buf_clear(&resp->body);
	resp->has_content_type = 0;
	resp->has_cache_control = 0;
	resp->status = 0;
	resp->err_id = s->fail_id;
	resp->err_detail = s->fail_detail;
	ge = s->verdict;
	req->session = NULL;
	return ge;
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
