/*
 * ghevents.c: routes a recorded webhook delivery: its kind on arrival,
 * installation and repository events, pull requests handed to ghpull.c,
 * and the drain that claims due deliveries and settles each in the ledger.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ghauth.h"
#include "ghevents.h"
#include "ghpull.h"
#include "json.h"
#include "ledger.h"
#include "log.h"

enum tt_ghevents_kind
tt_ghevents_kind(const char *event, const char *action)
{
	static const char *const pr_actions[] = {
		"opened", "reopened", "synchronize", "ready_for_review",
		"closed",
	};
	size_t	i;

	if (strcmp(event, "ping") == 0)
		return TT_GHEVENTS_PING;
	if (strcmp(event, "installation") == 0 ||
	    strcmp(event, "installation_repositories") == 0)
		return TT_GHEVENTS_PROCESS;
	if (strcmp(event, "pull_request") == 0 && action != NULL)
		for (i = 0; i < TT_NITEMS(pr_actions); i++)
			if (strcmp(action, pr_actions[i]) == 0)
				return TT_GHEVENTS_PROCESS;
	return TT_GHEVENTS_IGNORED;
}

/* --- Installations and repositories. --- */

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

/* A JSON member as decimal text, for an id. */
static const char *
id_of(struct tt_arena *a, const cJSON *o, const char *name)
{
	int64_t	v;

	if (tt_json_int64(o, name, 1, INT64_MAX, &v) != 0)
		return NULL;
	return tt_arena_printf(a, "%lld", (long long)v);
}

static const cJSON *
obj(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsObject(v) ? v : NULL;
}

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
		if ((id = id_of(a, r, "id")) == NULL)
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

static enum tt_err
on_installation(struct tt_arena *a, const char *event, const char *action,
    const cJSON *pl, const char **outcome)
{
	const cJSON	*in = obj(pl, "installation"), *acct;
	const char	*inst, *login, *sender;
	enum tt_err	 e;

	*outcome = "ignored: no installation in payload";
	if (in == NULL || (inst = id_of(a, in, "id")) == NULL)
		return TT_OK;
	acct = obj(in, "account");
	login = acct ? tt_json_string(acct, "login") : NULL;
	sender = obj(pl, "sender") ? id_of(a, obj(pl, "sender"), "id") : NULL;
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
tt_ghevents_process(struct tt_arena *a, const struct tt_ledger_item *it,
    const char **outcome, const char **error, int64_t *retry_after)
{
	const char	*why;
	cJSON		*pl;
	enum tt_err	 e;

	*outcome = NULL;
	*error = NULL;
	*retry_after = 0;
	if ((pl = tt_json_parse(a, it->payload, strlen(it->payload), &why)) ==
	    NULL || !cJSON_IsObject(pl)) {
		*outcome = "ignored: payload is no JSON object";
		return TT_OK;
	}
	if (strcmp(it->event, "installation") == 0 ||
	    strcmp(it->event, "installation_repositories") == 0)
		e = on_installation(a, it->event, it->action, pl, outcome);
	else if (strcmp(it->event, "pull_request") == 0 && it->action != NULL)
		e = tt_ghpull_process(a, it, pl, outcome, error, retry_after);
	else {
		*outcome = "ignored";
		e = TT_OK;
	}
	if (e != TT_OK && *error == NULL)
		*error = tt_arena_printf(a, "database: %s", tt_err_str(e));
	return e;
}

int
tt_ghevents_drain(struct tt_arena *a, const char *id, int max)
{
	struct tt_ledger_item	 it;
	const char		*outcome, *error;
	char			 why[256];
	int64_t			 retry_after;
	int			 n = 0;
	enum tt_err		 e;

	/* Without a GitHub App, deliveries wait rather than burn attempts. */
	if (tt_ghauth_configured(why, sizeof(why)) != TT_OK) {
		tt_log_debug("deliveries wait: %s", why);
		return 0;
	}
	while (n < max) {
		e = tt_ledger_claim(a, id, &it);
		if (e == TT_ENOTFOUND)
			break;
		if (e != TT_OK)
			return -1;
		n++;
		e = tt_ghevents_process(a, &it, &outcome, &error,
		    &retry_after);
		if (e == TT_OK)
			e = tt_ledger_done(a, it.id, outcome);
		else
			e = tt_ledger_fail(a, &it, error, retry_after);
		if (e != TT_OK)
			return -1;
		if (id != NULL)
			break;
	}
	return n;
}
