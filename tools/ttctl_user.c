/* ttctl_user.c: ttctl user and installation subcommands. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
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

/* ttctl user create [--github-login L] | user list */
int
ttctl_user(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*p[1];
	int			 i;

	if (argc >= 1 && strcmp(argv[0], "create") == 0) {
		p[0] = ttctl_opt(argc, argv, "--github-login");
		if (run(ctl, "INSERT INTO users (github_login) VALUES ($1) "
		    "ON CONFLICT (github_login) DO UPDATE SET github_login = "
		    "excluded.github_login RETURNING id", 1, p, &r))
			return TTCTL_REFUSED;
		if (ctl->json)
			printf("{\"id\":\"%s\"}\n", tt_db_get(r, 0, "id"));
		else
			printf("%s\n", tt_db_get(r, 0, "id"));
		return TTCTL_OK;
	}
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		if (run(ctl, "SELECT id, coalesce(github_login, '') AS login "
		    "FROM users ORDER BY created_at, id", 0, NULL, &r))
			return TTCTL_REFUSED;
		for (i = 0; i < tt_db_nrows(r); i++) {
			if (ctl->json) {
				cJSON	*o = cJSON_CreateObject();

				cJSON_AddStringToObject(o, "id",
				    tt_db_get(r, i, "id"));
				cJSON_AddStringToObject(o, "github_login",
				    tt_db_get(r, i, "login"));
				ttctl_print_json(o);
			} else
				printf("%s  %s\n", tt_db_get(r, i, "id"),
				    tt_db_get(r, i, "login"));
		}
		return TTCTL_OK;
	}
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl user create "
	    "[--github-login L] | ttctl user list");
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
		if (run(ctl, "INSERT INTO installation_members (installation_id, "
		    "user_id) SELECT i.id, u.id FROM installations i, users u "
		    "WHERE i.id = $1::bigint AND u.id = $2::uuid "
		    "ON CONFLICT DO NOTHING RETURNING 1", 2, p, &r))
			return TTCTL_REFUSED;
	} else if (strcmp(argv[0], "remove-member") == 0) {
		if (run(ctl, "DELETE FROM installation_members WHERE "
		    "installation_id = $1::bigint AND user_id = $2::uuid "
		    "RETURNING 1", 2, p, &r))
			return TTCTL_REFUSED;
		if (tt_db_nrows(r) == 0)
			return ttctl_fail(TTCTL_REFUSED, "user %s is not a "
			    "member of installation %s", user, id);
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
