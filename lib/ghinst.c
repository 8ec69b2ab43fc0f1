/*
 * ghinst.c: installations, their members and repositories as GitHub's
 * installation and installation_repositories events report them, and
 * the rows a pull request's workflow makes sure of (ghpull.c).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ghinst.h"
#include "json.h"

TT_DB_STMT(stmt_inst_upsert) = {
	.name = "gh_inst_upsert",
	.sql =
	    "INSERT INTO installations (id, login, account_type, state) VALUES "
	    "($1::bigint, $2, coalesce($3, 'Organization'), 'active') ON CONFLICT "
	    "(id) DO UPDATE SET login = EXCLUDED.login, account_type = "
	    "EXCLUDED.account_type, state = 'active', updated_at = now()",
	.nparams = 3,
	.retry = 1,
};

TT_DB_STMT(stmt_inst_ensure) = {
	.name = "gh_inst_ensure",
	.sql =
	    "INSERT INTO installations (id, login) VALUES ($1::bigint, $2) "
	    "ON CONFLICT (id) DO NOTHING",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_inst_state) = {
	.name = "gh_inst_state",
	.sql =
	    "UPDATE installations SET state = $2, updated_at = now() WHERE id = "
	    "$1::bigint",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_members_drop) = {
	.name = "gh_members_drop",
	.sql =
	    "DELETE FROM installation_members WHERE installation_id = $1::bigint",
	.nparams = 1,
	.retry = 1,
};

/*
 * The installing user, when a user is bound to that GitHub account id (a
 * login can name another account by now): a GitHub membership.
 */
TT_DB_STMT(stmt_member_add) = {
	.name = "gh_member_add",
	.sql =
	    "INSERT INTO installation_members (installation_id, user_id, "
	    "via_github, via_admin) SELECT $1::bigint, u.id, true, false FROM "
	    "users u WHERE u.github_id = $2::bigint ON CONFLICT (installation_id, "
	    "user_id) DO UPDATE SET via_github = true WHERE NOT "
	    "installation_members.via_github",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_repo_upsert) = {
	.name = "gh_repo_upsert",
	.sql =
	    "INSERT INTO repositories (installation_id, id, owner, name) VALUES "
	    "($1::bigint, $2::bigint, $3, $4) ON CONFLICT (installation_id, id) "
	    "DO UPDATE SET owner = EXCLUDED.owner, name = EXCLUDED.name, "
	    "removed_at = NULL",
	.nparams = 4,
	.retry = 1,
};

TT_DB_STMT(stmt_repo_removed) = {
	.name = "gh_repo_removed",
	.sql =
	    "UPDATE repositories SET removed_at = now() WHERE installation_id = "
	    "$1::bigint AND id = $2::bigint",
	.nparams = 2,
	.retry = 1,
};

static enum tt_err
run(struct tt_arena *a, struct tt_db_stmt *st, const char *p0,
    const char *p1, const char *p2, const char *p3)
{
	const char		*p[4] = { p0, p1, p2, p3 };
	struct tt_db_res	*r;

	return tt_db_run(a, st, p, &r);
}

/* Repositories listed in a payload array ({id, name, full_name}). */
static enum tt_err
repos_apply(struct tt_arena *a, const char *inst, const char *owner,
    const cJSON *list, int added)
{
	const cJSON	*r;
	const char	*id, *name;
	enum tt_err	 e;

	cJSON_ArrayForEach(r, list) {
		if ((id = tt_json_id(a, r, "id")) == NULL)
			continue;
		if (!added) {
			if ((e = run(a, &stmt_repo_removed, inst, id, NULL,
			    NULL)) != TT_OK)
				return e;
			continue;
		}
		name = tt_json_string(r, "name");
		if (name == NULL || owner == NULL)
			continue;
		if ((e = run(a, &stmt_repo_upsert, inst, id, owner, name)) !=
		    TT_OK)
			return e;
	}
	return TT_OK;
}

enum tt_err
tt_ghinst_process(struct tt_arena *a, const char *event, const char *action,
    const cJSON *pl, const char **outcome)
{
	const cJSON	*in = tt_json_object(pl, "installation"), *acct;
	const char	*inst, *login, *sender;
	enum tt_err	 e;

	*outcome = "ignored: no installation in payload";
	if (in == NULL || (inst = tt_json_id(a, in, "id")) == NULL)
		return TT_OK;
	acct = tt_json_object(in, "account");
	login = acct ? tt_json_string(acct, "login") : NULL;
	sender = tt_json_object(pl, "sender") ? tt_json_id(a, tt_json_object(pl, "sender"), "id") : NULL;
	if (action == NULL)
		action = "";

	if (strcmp(event, "installation_repositories") == 0) {
		if ((e = run(a, &stmt_inst_ensure, inst, login ? login : "",
		    NULL, NULL)) != TT_OK)
			return e;
		if ((e = repos_apply(a, inst, login, cJSON_GetObjectItemCaseSensitive(pl,
		    "repositories_added"), 1)) != TT_OK ||
		    (e = repos_apply(a, inst, login, cJSON_GetObjectItemCaseSensitive(pl,
		    "repositories_removed"), 0)) != TT_OK)
			return e;
		*outcome = "repositories updated";
		return TT_OK;
	}
	if (strcmp(action, "created") == 0) {
		if (login == NULL)
			return TT_OK;
		if ((e = run(a, &stmt_inst_upsert, inst, login,
		    acct ? tt_json_string(acct, "type") : NULL, NULL)) !=
		    TT_OK)
			return e;
		if ((e = repos_apply(a, inst, login, cJSON_GetObjectItemCaseSensitive(pl,
		    "repositories"), 1)) != TT_OK)
			return e;
		if (sender != NULL && (e = run(a, &stmt_member_add, inst,
		    sender, NULL, NULL)) != TT_OK)
			return e;
		*outcome = "installation created";
	} else if (strcmp(action, "deleted") == 0) {
		if ((e = run(a, &stmt_inst_state, inst, "deleted", NULL,
		    NULL)) != TT_OK || (e = run(a, &stmt_members_drop, inst,
		    NULL, NULL, NULL)) != TT_OK)
			return e;
		*outcome = "installation deleted";
	} else if (strcmp(action, "suspend") == 0) {
		if ((e = run(a, &stmt_inst_state, inst, "suspended", NULL,
		    NULL)) != TT_OK)
			return e;
		*outcome = "installation suspended";
	} else if (strcmp(action, "unsuspend") == 0) {
		if ((e = run(a, &stmt_inst_state, inst, "active", NULL,
		    NULL)) != TT_OK)
			return e;
		*outcome = "installation unsuspended";
	} else
		*outcome = "ignored: installation action";
	return TT_OK;
}

enum tt_err
tt_ghinst_ensure(struct tt_arena *a, const char *inst, const char *login)
{
	return run(a, &stmt_inst_ensure, inst, login, NULL, NULL);
}

enum tt_err
tt_ghinst_repo(struct tt_arena *a, const char *inst, const char *id,
    const char *owner, const char *name)
{
	return run(a, &stmt_repo_upsert, inst, id, owner, name);
}
