/* web-session.c: people sign in to the API Access page (issue 9). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "ghoauth.h"
#include "json.h"
#include "log.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "signin.h"
#include "websession.h"

int main(void);

#define PAGE		"/web/"		/* the only place sign-in returns to */
#define CALLBACK	"/api/v1/github/callback"
#define STATE_TTL	600

/* 302 to the page; err (a fixed word) tells it what went wrong. */
static enum tt_err
to_page(struct tt_resp *resp, const char *err)
{
	tt_resp_header(resp, "Location", "%s%s%s", PAGE, err ? "?error=" : "",
	    err ? err : "");
	tt_resp_json(resp, 302, "{}");
	return TT_OK;
}

/*
 * The callback URL GitHub sends the browser back to: TT_PUBLIC_URL's,
 * never the request's Host (which the client chooses). NULL, logged,
 * when TT_PUBLIC_URL is not set.
 */
static const char *
redirect_uri(struct tt_req *req)
{
	if (tt_config.public_url == NULL) {
		tt_log_errx("GitHub sign-in refused: TT_PUBLIC_URL is not set "
		    "(the OAuth callback URL is built from it)");
		return NULL;
	}
	return tt_arena_printf(req->arena, "%s%s", tt_config.public_url,
	    CALLBACK);
}

/*
 * GET /api/v1/github/login: to GitHub's authorize page with a state that
 * is also set in a cookie, so the callback accepts only this browser.
 */
static enum tt_err
handle_login(struct tt_req *req, struct tt_resp *resp)
{
	const char	*state, *uri;

	if (tt_ghoauth_configured() != TT_OK)
		return tt_resp_fail(resp, TT_EUNAVAIL, "NOT_CONFIGURED",
		    "GitHub sign-in is not configured (TT_GITHUB_OAUTH_"
		    "CLIENT_ID, TT_GITHUB_OAUTH_CLIENT_SECRET_FILE)");
	if ((uri = redirect_uri(req)) == NULL)
		return tt_resp_fail(resp, TT_EUNAVAIL, "NOT_CONFIGURED",
		    "GitHub sign-in is not configured: TT_PUBLIC_URL is not "
		    "set (the server's public base URL, e.g. "
		    "https://tt.example.com; the OAuth callback URL is built "
		    "from it)");
	state = tt_websession_random(req->arena);
	tt_websession_set_cookie(resp, TT_WEBSESSION_STATE, state,
	    CALLBACK, STATE_TTL);
	tt_resp_header(resp, "Location", "%s",
	    tt_ghoauth_authorize_url(req->arena, uri, state));
	tt_resp_json(resp, 302, "{}");
	return TT_OK;
}

/* The user's installations from GitHub become their memberships. */
static enum tt_err
refresh_installations(struct tt_req *req, const char *uid,
    const char *token, const char **why)
{
	struct tt_ghoauth_inst	*insts;
	size_t			 n;
	enum tt_err		 e;

	if ((e = tt_ghoauth_installations(req->arena, token, &insts, &n,
	    why)) != TT_OK)
		return e;
	return tt_signin_set_installations(req->arena, uid, insts, n);
}

/*
 * GET /api/v1/github/callback?code=&state=: the state must equal this
 * browser's state cookie; the code becomes a user token, the token the
 * GitHub user and their installations, and the browser gets a session.
 */
static enum tt_err
handle_callback(struct tt_req *req, struct tt_resp *resp)
{
	const char		*code, *state, *want, *uri, *token, *login,
				*why = NULL, *uid;
	int64_t			 gid;
	int			 bad;
	enum tt_err		 e;

	/* The state is single-use: the cookie goes whatever happens. */
	tt_websession_set_cookie(resp, TT_WEBSESSION_STATE, "", CALLBACK,
	    0);
	state = tt_req_query(req, "state", &bad);
	want = tt_websession_cookie(req, TT_WEBSESSION_STATE);
	if (state == NULL || want == NULL || strlen(want) !=
	    TT_WEBSESSION_ID_B64 || strlen(state) != strlen(want) ||
	    !tt_crypto_equal(state, want, strlen(want)))
		return to_page(resp, "state");
	if (tt_req_query(req, "error", &bad) != NULL)
		return to_page(resp, "denied");
	code = tt_req_query(req, "code", &bad);
	if (code == NULL || code[0] == '\0' || strlen(code) > 256)
		return to_page(resp, "denied");
	if (tt_ghoauth_configured() != TT_OK ||
	    (uri = redirect_uri(req)) == NULL)
		return to_page(resp, "unavailable");
	if ((e = tt_ghoauth_exchange(req->arena, code, uri, &token,
	    &why)) != TT_OK ||
	    (e = tt_ghoauth_user(req->arena, token, &gid, &login,
	    &why)) != TT_OK) {
		tt_log_warnx("github sign-in failed: %s", why);
		return to_page(resp, "github");
	}
	if ((e = tt_signin_github_user(req->arena, gid, login, &uid)) != TT_OK)
		return e;
	e = refresh_installations(req, uid, token, &why);
	if (e == TT_EUNAVAIL || e == TT_EINVAL) {
		tt_log_warnx("github sign-in of %s: installations: %s", login,
		    why != NULL ? why : "database");
		return to_page(resp, "github");
	}
	if (e != TT_OK)
		return e;
	if ((e = tt_websession_start(req, resp, uid, "github")) != TT_OK)
		return e;
	tt_log_info("%s signed in with GitHub", login);
	return to_page(resp, NULL);
}

/*
 * GET /api/v1/web/login/remote: where the web server authenticated the
 * person (basic auth, LDAP) and set REMOTE_USER; only when
 * TT_WEB_REMOTE_USER=1. The user is found by that name or created.
 */
static enum tt_err
handle_remote(struct tt_req *req, struct tt_resp *resp)
{
	const char		*ru, *uid;
	enum tt_err		 e;
	size_t			 i, n;

	if (!tt_config.web_remote_user)
		return tt_resp_fail(resp, TT_ENOTFOUND, NULL,
		    "web server sign-in is not enabled (TT_WEB_REMOTE_USER)");
	ru = tt_req_env(req, "REMOTE_USER");
	n = ru != NULL ? strlen(ru) : 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)ru[i] < 0x20 || ru[i] == 0x7f)
			break;
	if (n == 0 || n > 200 || i < n)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "the web server "
		    "did not authenticate this request (no REMOTE_USER): "
		    "protect this path in its configuration");
	if ((e = tt_signin_remote_user(req->arena, ru, &uid)) != TT_OK)
		return e;
	if ((e = tt_websession_start(req, resp, uid, "remote_user")) != TT_OK)
		return e;
	return to_page(resp, NULL);
}

/* GET /api/v1/web/session: who is signed in, for the page. */
static enum tt_err
handle_session(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_resp	 r;
	cJSON		*j, *u, *how;
	enum tt_err	 e;

	memset(&r, 0, sizeof(r));
	e = tt_websession_require(req, &r);
	tt_buf_free(&r.headers);
	tt_buf_free(&r.body);
	if (e != TT_OK && e != TT_EUNAUTH)
		return e;
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddBoolToObject(j, "signed_in", e == TT_OK);
	how = cJSON_AddObjectToObject(j, "sign_in");
	cJSON_AddBoolToObject(how, "github", tt_ghoauth_configured() == TT_OK);
	cJSON_AddBoolToObject(how, "remote_user",
	    tt_config.web_remote_user != 0);
	if (e == TT_OK) {
		u = cJSON_AddObjectToObject(j, "user");
		cJSON_AddStringToObject(u, "id", req->session->user_id);
		cJSON_AddStringToObject(u, "login", req->session->login);
		cJSON_AddItemReferenceToObject(j, "installations",
		    req->session->installations);
		cJSON_AddStringToObject(j, "csrf_token",
		    tt_websession_csrf(req));
	} else if (tt_websession_cookie(req, TT_WEBSESSION_COOKIE) != NULL)
		tt_websession_set_cookie(resp, TT_WEBSESSION_COOKIE, "",
		    "/", 0);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* POST /api/v1/web/logout: ends the browser session (CSRF token). */
static enum tt_err
handle_logout(struct tt_req *req, struct tt_resp *resp)
{
	enum tt_err	e;

	if ((e = tt_websession_require(req, resp)) != TT_OK)
		return e;
	if ((e = tt_websession_end(req, resp)) != TT_OK)
		return e;
	resp->status = 204;
	return TT_OK;
}

static const struct tt_route routes[] = {
	{ TT_GET, "/api/v1/github/login", 0, 0, 0, handle_login },
	{ TT_GET, CALLBACK, 0, 0, 0, handle_callback },
	{ TT_GET, "/api/v1/web/session", 0, 0, 0, handle_session },
	{ TT_POST, "/api/v1/web/logout", 0, 0, 0, handle_logout },
	{ TT_GET, "/api/v1/web/login/remote", 0, 0, 0, handle_remote },
};

int
main(void)
{
	return tt_serve("web-session", routes, TT_NITEMS(routes));
}
