/*
 * signin.c: the users of people who sign in to the API Access page
 * (GitHub OAuth or the web server's REMOTE_USER) and the memberships
 * GitHub gives them. The SQL functions live in sql/016.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "ghoauth.h"
#include "signin.h"

TT_DB_STMT(stmt_github_user) = {
	.name = "web_github_user",
	.sql = "SELECT tt_web_github_user($1::bigint, $2) AS id",
	.nparams = 2,
};

TT_DB_STMT(stmt_installations) = {
	.name = "web_installations",
	.sql =
	    "SELECT tt_web_set_installations($1::uuid, $2::bigint[], $3::text[])",
	.nparams = 3,
};

TT_DB_STMT(stmt_remote_user) = {
	.name = "web_remote_user",
	.sql =
	    "INSERT INTO users (remote_user) VALUES ($1) ON CONFLICT (remote_user) "
	    "DO UPDATE SET remote_user = EXCLUDED.remote_user RETURNING id",
	.nparams = 1,
};

enum tt_err
tt_signin_github_user(struct tt_arena *a, int64_t id, const char *login,
    const char **user_id)
{
	struct tt_db_res	*res;
	const char		*p[2];
	enum tt_err		 e;

	p[0] = tt_arena_printf(a, "%lld", (long long)id);
	p[1] = login;
	if ((e = tt_db_run(a, &stmt_github_user, p, &res)) != TT_OK)
		return e;
	*user_id = tt_db_get(res, 0, "id");
	return TT_OK;
}

enum tt_err
tt_signin_remote_user(struct tt_arena *a, const char *name,
    const char **user_id)
{
	struct tt_db_res	*res;
	const char		*p[1];
	enum tt_err		 e;

	p[0] = name;
	if ((e = tt_db_run(a, &stmt_remote_user, p, &res)) != TT_OK)
		return e;
	*user_id = tt_db_get(res, 0, "id");
	return TT_OK;
}

enum tt_err
tt_signin_set_installations(struct tt_arena *a, const char *user_id,
    const struct tt_ghoauth_inst *insts, size_t n)
{
	struct tt_db_res	*res;
	struct tt_buf		 ids = { 0 }, logins = { 0 };
	const char		*p[3];
	size_t			 i;

	tt_buf_puts(&ids, "{");
	tt_buf_puts(&logins, "{");
	for (i = 0; i < n; i++) {
		/* Logins are [A-Za-z0-9._-]: no quoting needed. */
		tt_buf_printf(&ids, "%s%lld", i ? "," : "",
		    (long long)insts[i].id);
		tt_buf_printf(&logins, "%s\"%s\"", i ? "," : "",
		    insts[i].login);
	}
	tt_buf_puts(&ids, "}");
	tt_buf_puts(&logins, "}");
	p[0] = user_id;
	p[1] = tt_arena_strndup(a, ids.p, ids.n);
	p[2] = tt_arena_strndup(a, logins.p, logins.n);
	tt_buf_free(&ids);
	tt_buf_free(&logins);
	return tt_db_run(a, &stmt_installations, p, &res);
}
