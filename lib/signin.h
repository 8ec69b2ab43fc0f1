/* signin.h: who signs in to the API Access page, as a user of ours. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_SIGNIN_H
#define TT_SIGNIN_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_ghoauth_inst;

/*
 * The user bound to GitHub account id (made, and bound, when none is;
 * never found by login, which GitHub recycles), its login kept up to
 * date for display. *user_id is arena-owned.
 */
enum tt_err	 tt_signin_github_user(struct tt_arena *, int64_t id,
		    const char *login, const char **user_id);

/* The user named by the web server's REMOTE_USER, made when new. */
enum tt_err	 tt_signin_remote_user(struct tt_arena *, const char *name,
		    const char **user_id);

/*
 * The installations GitHub lists for the user become its GitHub-sourced
 * memberships (those an admin added stay as they are).
 */
enum tt_err	 tt_signin_set_installations(struct tt_arena *,
		    const char *user_id, const struct tt_ghoauth_inst *,
		    size_t n);

#endif
