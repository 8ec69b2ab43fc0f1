/* access-tokens.c: API key management (API.md 1.4), whoami (1.5), audit. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "audit.h"
#include "caps.h"
#include "json.h"
#include "keystore.h"
#include "page.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "url.h"
#include "valid.h"

int main(void);

#define NAME_MAX_BYTES	200

static int
name_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > NAME_MAX_BYTES)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * POST /api/v1/github/access-token: a new key, at most the caller's caps
 * and never wider than its installation restriction.
 */
static enum tt_err
handle_create(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_keystore_key	 k;
	struct tt_audit_src	 src;
	const cJSON		*body = req->json, *caps, *m;
	const char		*name, *expires = NULL, *why;
	char			 key[TT_APIKEY_LEN + 1];
	enum tt_err		 e;
	cJSON			*j;

	if (!cJSON_IsObject(body))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "body must be an object");
	cJSON_ArrayForEach(m, body)
		if (strcmp(m->string, "name") != 0 &&
		    strcmp(m->string, "capabilities") != 0 &&
		    strcmp(m->string, "expires_at") != 0)
			return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
			    "unknown member \"%.64s\"", m->string);
	name = tt_json_string(body, "name");
	if (name == NULL || !name_ok(name))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "name must be a string of 1 to %d printable bytes",
		    NAME_MAX_BYTES);
	caps = cJSON_GetObjectItemCaseSensitive(body, "capabilities");
	if (!tt_caps_valid(caps, &why))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM", "%s", why);
	if (!tt_caps_may_grant(caps, req->session->caps, req->session->web,
	    &why))
		return tt_resp_fail(resp, TT_EFORBIDDEN, "MISSING_CAPABILITY",
		    "%s", why);
	m = cJSON_GetObjectItemCaseSensitive(body, "expires_at");
	if (m != NULL && !cJSON_IsNull(m)) {
		if (!cJSON_IsString(m) || strlen(m->valuestring) > 64)
			return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
			    "expires_at must be an RFC 3339 time");
		expires = m->valuestring;
	}

	tt_audit_src_req(req, &src);
	e = tt_keystore_create(req->arena, req->session->user_id, name, caps,
	    expires, 0, &src, key, &k);
	if (e == TT_EINVAL)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "expires_at must be an RFC 3339 time in the future");
	if (e != TT_OK)
		return e;
	j = tt_keystore_json(req->arena, &k);
	cJSON_AddStringToObject(j, "refresh_token", key);
	cJSON_AddStringToObject(j, "api_key", key);
	tt_resp_cjson(resp, 201, j);
	memset(key, 0, sizeof(key));
	return TT_OK;
}

/* GET /api/v1/github/access-token: the caller's keys, keyset pages. */
static enum tt_err
handle_list(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_keystore_key	*keys;
	const char		*cursor;
	int64_t			 limit;
	int			 n, i, bad;
	enum tt_err		 e;
	cJSON			*j, *arr;

	if ((e = tt_page_limit(req, resp, TT_PAGE_DEFAULT, TT_PAGE_MAX,
	    &limit)) != TT_OK)
		return e;
	cursor = tt_req_query(req, "page", &bad);
	if (bad)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "invalid page cursor");
	/* One row more than asked tells whether a next page exists. */
	e = tt_keystore_list(req->arena, req->session->user_id, limit + 1,
	    cursor, 0, &keys, &n);
	if (e == TT_EINVAL)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "invalid page cursor");
	if (e != TT_OK)
		return e;
	j = tt_json_own(req->arena, cJSON_CreateObject());
	arr = cJSON_AddArrayToObject(j, "results");
	for (i = 0; i < n && i < limit; i++)
		cJSON_AddItemReferenceToArray(arr,
		    tt_keystore_json(req->arena, &keys[i]));
	if (n > limit)
		tt_resp_header(resp, "Link", "<%s?limit=%lld&page=%s>; "
		    "rel=\"next\"", req->path, (long long)limit,
		    keys[limit - 1].cursor);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* DELETE /api/v1/github/access-token?id=: revokes one of the caller's. */
static enum tt_err
handle_revoke(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_audit_src	 src;
	const char		*id;
	int			 bad;
	enum tt_err		 e;

	id = tt_req_query(req, "id", &bad);
	if (id == NULL || !tt_valid_uuid(id))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "id must be the key's uuid");
	tt_audit_src_req(req, &src);
	e = tt_keystore_revoke(req->arena, req->session->user_id, id, &src);
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, TT_ENOTFOUND, NULL,
		    "no such API key");
	if (e != TT_OK)
		return e;
	resp->status = 204;
	return TT_OK;
}

/*
 * GET /api/v1/github/audit: the audit trail of the caller's user (its
 * keys' refreshes, refused or not, creations and revocations), newest
 * first, keyset pages.
 */
static enum tt_err
handle_audit(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_audit_row	*rows;
	const char		*cursor;
	int64_t			 limit;
	int			 n, i, bad;
	enum tt_err		 e;
	cJSON			*j, *arr;

	if ((e = tt_page_limit(req, resp, TT_PAGE_DEFAULT, TT_PAGE_MAX,
	    &limit)) != TT_OK)
		return e;
	cursor = tt_req_query(req, "page", &bad);
	if (bad)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "invalid page cursor");
	e = tt_audit_list(req->arena, req->session->user_id, NULL, limit + 1,
	    cursor, &rows, &n);
	if (e == TT_EINVAL)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "invalid page cursor");
	if (e != TT_OK)
		return e;
	j = tt_json_own(req->arena, cJSON_CreateObject());
	arr = cJSON_AddArrayToObject(j, "results");
	for (i = 0; i < n && i < limit; i++)
		cJSON_AddItemReferenceToArray(arr,
		    tt_audit_json(req->arena, &rows[i]));
	if (n > limit)
		tt_resp_header(resp, "Link", "<%s?limit=%lld&page=%s>; "
		    "rel=\"next\"", req->path, (long long)limit,
		    rows[limit - 1].cursor);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* GET /api/v1/whoami: who the token says the caller is. */
static enum tt_err
handle_whoami(struct tt_req *req, struct tt_resp *resp)
{
	const struct tt_session	*s = req->session;
	char			 exp[32];
	struct tm		 tm;
	time_t			 t = (time_t)s->exp;
	cJSON			*j;

	gmtime_r(&t, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "id", s->user_id);
	cJSON_AddItemToObject(j, "vcs", cJSON_CreateStringArray(
	    (const char *const[]){ "github" }, 1));
	cJSON_AddItemReferenceToObject(j, "capabilities", s->caps);
	if (s->api_key_id != NULL)
		cJSON_AddStringToObject(j, "api_key_id", s->api_key_id);
	else
		cJSON_AddItemReferenceToObject(j, "oidc", s->oidc);
	cJSON_AddStringToObject(j, "expires_at", exp);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

#define KEYS	"/api/v1/github/access-token"

static const struct tt_route routes[] = {
	{ TT_POST, KEYS, TT_CAP_ACCESS_TOKEN_CREATE,
	  TT_ROUTE_AUTH | TT_ROUTE_COOKIE | TT_ROUTE_JSON_BODY, 0,
	  handle_create },
	{ TT_GET, KEYS, TT_CAP_ACCESS_TOKEN_CREATE,
	  TT_ROUTE_AUTH | TT_ROUTE_COOKIE, 0, handle_list },
	{ TT_DELETE, KEYS, TT_CAP_ACCESS_TOKEN_CREATE,
	  TT_ROUTE_AUTH | TT_ROUTE_COOKIE, 0, handle_revoke },
	{ TT_GET, "/api/v1/whoami", 0, TT_ROUTE_AUTH, 0, handle_whoami },
	{ TT_GET, "/api/v1/github/audit", 0, TT_ROUTE_AUTH, 0, handle_audit },
};

int
main(void)
{
	return tt_serve("access-tokens", routes, TT_NITEMS(routes));
}
