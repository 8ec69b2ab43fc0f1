/* ttctl_user.c: ttctl user and installation subcommands. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ttctl.h"
#include "valid.h"

static int
run(struct ttctl *ctl, const char *sql, int n, const char *const *p,
    struct tt_db_res **r)
{
	enum tt_err	e;

	if ((e = tt_db_exec(ctl->arena, sql, n, p, r)) != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "database: %s (%s)",
		    tt_err_str(e), tt_db_last_sqlstate());
	return 0;
}

/*
 * ttctl user link --id U --github-id N: GitHub account N signs in as user
 * U from now on. Refused when N is bound to another user or U to another
 * account; linking U to the account it has is a no-op.
 */
static int
user_link(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*p[2], *had, *owner;
	int64_t			 gid;

	p[0] = ttctl_opt(argc, argv, "--id");
	p[1] = ttctl_opt(argc, argv, "--github-id");
	if (p[0] == NULL || !tt_valid_uuid(p[0]) || p[1] == NULL ||
	    tt_valid_int64(p[1], 1, INT64_MAX / 2, &gid) != 0)
		return ttctl_fail(TTCTL_USAGE, "usage: ttctl user link --id "
		    "UUID --github-id N (the GitHub account's numeric id: "
		    "https://api.github.com/users/<login>, field \"id\")");
	p[1] = tt_arena_printf(ctl->arena, "%lld", (long long)gid);
	if (run(ctl, "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1::uuid) "
	    "AS known, coalesce((SELECT github_id::text FROM users WHERE id = "
	    "$1::uuid), '') AS had, coalesce((SELECT id::text FROM users WHERE "
	    "github_id = $2::bigint), '') AS owner",
	    2, p, &r))
		return TTCTL_REFUSED;
	had = tt_db_get(r, 0, "had");
	owner = tt_db_get(r, 0, "owner");
	if (strcmp(tt_db_get(r, 0, "known"), "t") != 0)
		return ttctl_fail(TTCTL_REFUSED, "no user %s", p[0]);
	if (owner[0] != '\0' && strcmp(owner, p[0]) != 0)
		return ttctl_fail(TTCTL_REFUSED, "GitHub account %s is already "
		    "linked to user %s (ttctl user unlink --id %s first)", p[1],
		    owner, owner);
	if (had[0] != '\0' && strcmp(had, p[1]) != 0)
		return ttctl_fail(TTCTL_REFUSED, "user %s is already linked to "
		    "GitHub account %s (ttctl user unlink --id %s first)", p[0],
		    had, p[0]);
	if (had[0] == '\0') {
		if (tt_db_exec(ctl->arena, "UPDATE users SET github_id = "
		    "$2::bigint WHERE id = $1::uuid AND github_id IS NULL "
		    "RETURNING id", 2, p, &r) != TT_OK || tt_db_nrows(r) != 1)
			return ttctl_fail(TTCTL_REFUSED, "user %s or GitHub "
			    "account %s was linked at the same time: run the "
			    "command again", p[0], p[1]);
	}
	if (ctl->json)
		printf("{\"id\":\"%s\",\"github_id\":%s}\n", p[0], p[1]);
	else
		printf("user %s is linked to GitHub account %s\n", p[0], p[1]);
	return TTCTL_OK;
}

/*
 * ttctl user unlink --id U: no GitHub account signs in as U any more, and
 * U's sessions begun with GitHub end. Its memberships stay (GitHub ones
 * too, until an admin removes them).
 */
static int
user_unlink(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*p[1];

	p[0] = ttctl_opt(argc, argv, "--id");
	if (p[0] == NULL || !tt_valid_uuid(p[0]))
		return ttctl_fail(TTCTL_USAGE, "usage: ttctl user unlink --id "
		    "UUID");
	if (run(ctl, "WITH u AS (UPDATE users SET github_id = NULL WHERE id = "
	    "$1::uuid AND github_id IS NOT NULL RETURNING id), s AS (DELETE "
	    "FROM web_sessions WHERE user_id IN (SELECT id FROM u) AND via = "
	    "'github') SELECT id FROM u", 1, p, &r))
		return TTCTL_REFUSED;
	if (tt_db_nrows(r) == 0)
		return ttctl_fail(TTCTL_REFUSED, "no user %s linked to a GitHub "
		    "account", p[0]);
	if (ctl->json)
		printf("{\"id\":\"%s\",\"github_id\":null}\n", p[0]);
	else
		printf("user %s is no longer linked to a GitHub account\n",
		    p[0]);
	return TTCTL_OK;
}

/*
 * ttctl user create [--github-login L] | user list
 * | user link --id U --github-id N | user unlink --id U
 */
int
ttctl_user(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*p[1];
	int			 i;

	if (argc >= 1 && strcmp(argv[0], "create") == 0) {
		/*
		 * The login is a name to show. It finds the user again only
		 * while no GitHub account is linked to it: a sign-in finds
		 * users by account id alone.
		 */
		p[0] = ttctl_opt(argc, argv, "--github-login");
		if (run(ctl, "INSERT INTO users (github_login) VALUES ($1) "
		    "ON CONFLICT (github_login) WHERE github_id IS NULL DO "
		    "UPDATE SET github_login = excluded.github_login "
		    "RETURNING id", 1, p, &r))
			return TTCTL_REFUSED;
		if (ctl->json)
			printf("{\"id\":\"%s\"}\n", tt_db_get(r, 0, "id"));
		else
			printf("%s\n", tt_db_get(r, 0, "id"));
		return TTCTL_OK;
	}
	if (argc >= 1 && strcmp(argv[0], "link") == 0)
		return user_link(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "unlink") == 0)
		return user_unlink(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		if (run(ctl, "SELECT id, coalesce(github_login, '') AS login, "
		    "coalesce(github_id::text, '') AS github_id "
		    "FROM users ORDER BY created_at, id", 0, NULL, &r))
			return TTCTL_REFUSED;
		for (i = 0; i < tt_db_nrows(r); i++) {
			if (ctl->json) {
				cJSON		*o = cJSON_CreateObject();
				const char	*g = tt_db_get(r, i, "github_id");

				cJSON_AddStringToObject(o, "id",
				    tt_db_get(r, i, "id"));
				cJSON_AddStringToObject(o, "github_login",
				    tt_db_get(r, i, "login"));
				if (g[0] != '\0')
					cJSON_AddRawToObject(o, "github_id", g);
				else
					cJSON_AddNullToObject(o, "github_id");
				ttctl_print_json(o);
			} else
				printf("%s  %s  %s\n", tt_db_get(r, i, "id"),
				    tt_db_get(r, i, "login"),
				    tt_db_get(r, i, "github_id"));
		}
		return TTCTL_OK;
	}
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl user create "
	    "[--github-login L] | user list | user link --id UUID "
	    "--github-id N | user unlink --id UUID");
}

/*
 * ttctl installation create --id N --login L
 * ttctl installation add-member|remove-member --id N --user U
 */
int
ttctl_installation(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*p[2], *id, *login, *user;
	int64_t			 v;

	id = ttctl_opt(argc, argv, "--id");
	if (argc < 1 || id == NULL || tt_valid_int64(id, 1, INT64_MAX, &v))
		return ttctl_fail(TTCTL_USAGE, "usage: ttctl installation "
		    "create --id N --login L | add-member|remove-member --id N "
		    "--user UUID");
	p[0] = id;
	if (strcmp(argv[0], "create") == 0) {
		if ((login = ttctl_opt(argc, argv, "--login")) == NULL)
			return ttctl_fail(TTCTL_USAGE, "--login is required");
		p[1] = login;
		if (run(ctl, "INSERT INTO installations (id, login) VALUES "
		    "($1::bigint, $2) ON CONFLICT (id) DO UPDATE SET login = "
		    "excluded.login, updated_at = now()", 2, p, &r))
			return TTCTL_REFUSED;
		printf(ctl->json ? "{\"id\":%s}\n" : "%s\n", id);
		return TTCTL_OK;
	}
	user = ttctl_opt(argc, argv, "--user");
	if (user == NULL || !tt_valid_uuid(user))
		return ttctl_fail(TTCTL_USAGE, "--user UUID is required");
	p[1] = user;
	if (strcmp(argv[0], "add-member") == 0) {
		/* An admin's membership: a GitHub sign-in leaves it alone. */
		if (run(ctl, "INSERT INTO installation_members (installation_id, "
		    "user_id, via_github, via_admin) SELECT i.id, u.id, false, "
		    "true FROM installations i, users u "
		    "WHERE i.id = $1::bigint AND u.id = $2::uuid "
		    "ON CONFLICT (installation_id, user_id) DO UPDATE SET "
		    "via_admin = true WHERE NOT installation_members.via_admin "
		    "RETURNING 1", 2, p, &r))
			return TTCTL_REFUSED;
	} else if (strcmp(argv[0], "remove-member") == 0) {
		/*
		 * Whoever added it: the user is no member from now on. A
		 * GitHub membership comes back at the user's next sign-in
		 * if GitHub still lists the installation for them.
		 */
		if (run(ctl, "DELETE FROM installation_members WHERE "
		    "installation_id = $1::bigint AND user_id = $2::uuid "
		    "RETURNING via_github", 2, p, &r))
			return TTCTL_REFUSED;
		if (tt_db_nrows(r) == 0)
			return ttctl_fail(TTCTL_REFUSED, "user %s is not a "
			    "member of installation %s", user, id);
		if (strcmp(tt_db_get(r, 0, "via_github"), "t") == 0)
			fprintf(stderr, "ttctl: the membership came from "
			    "GitHub: it comes back at the user's next GitHub "
			    "sign-in if GitHub still lists installation %s for "
			    "them\n", id);
	} else
		return ttctl_fail(TTCTL_USAGE, "unknown installation command");
	if (strcmp(argv[0], "add-member") == 0 && tt_db_nrows(r) == 0) {
		/* Either already a member, or one of the two is unknown. */
		if (run(ctl, "SELECT 1 FROM installation_members WHERE "
		    "installation_id = $1::bigint AND user_id = $2::uuid", 2, p,
		    &r))
			return TTCTL_REFUSED;
		if (tt_db_nrows(r) == 0)
			return ttctl_fail(TTCTL_REFUSED, "no installation %s or "
			    "no user %s", id, user);
	}
	if (ctl->json)
		printf("{\"installation_id\":%s,\"user_id\":\"%s\"}\n", id, user);
	else
		printf("ok\n");
	return TTCTL_OK;
}
