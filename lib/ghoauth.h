/* ghoauth.h: people sign in with GitHub (OAuth web flow, user tokens). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHOAUTH_H
#define TT_GHOAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;

/* One installation the user can reach, as GET /user/installations lists. */
struct tt_ghoauth_inst {
	int64_t		 id;
	const char	*login;		/* the account's login */
};

/*
 * TT_OK when TT_GITHUB_OAUTH_CLIENT_ID and a readable, non-empty
 * TT_GITHUB_OAUTH_CLIENT_SECRET_FILE are set; else TT_EUNAVAIL.
 */
enum tt_err	 tt_ghoauth_configured(void);

/*
 * GitHub's authorize URL (TT_GITHUB_URL/login/oauth/authorize) with the
 * client id, redirect_uri and state, arena-owned.
 */
const char	*tt_ghoauth_authorize_url(struct tt_arena *,
		    const char *redirect_uri, const char *state);

/*
 * Exchanges an authorization code for a user token (arena-owned; a
 * secret). TT_EINVAL: GitHub refused the code; TT_EUNAVAIL: no answer.
 * *why says which.
 */
enum tt_err	 tt_ghoauth_exchange(struct tt_arena *, const char *code,
		    const char *redirect_uri, const char **token,
		    const char **why);

/* GET /user with the user token: the account id and login. */
enum tt_err	 tt_ghoauth_user(struct tt_arena *, const char *token,
		    int64_t *id, const char **login, const char **why);

/*
 * GET /user/installations (every page, at most 1,000 installations):
 * an arena array of *n installations.
 */
enum tt_err	 tt_ghoauth_installations(struct tt_arena *,
		    const char *token, struct tt_ghoauth_inst **insts,
		    size_t *n, const char **why);

#endif
