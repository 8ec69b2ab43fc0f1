/* ttctl_manifests.c: ttctl manifests seed (deterministic demo data). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ttctl.h"
#include "valid.h"

/*
 * Three repositories, then COUNT work manifests one hour apart from
 * 2026-01-01, cycling through run types, states, kinds (pull request,
 * drift, index) and one to three dirspaces each. Ids derive from the
 * installation and the sequence number, so seeding twice adds nothing.
 */
static const char *const seed_sql[] = {
	"INSERT INTO installations (id, login) VALUES ($1::bigint, "
	"'seed-' || $1) ON CONFLICT (id) DO NOTHING",

	"INSERT INTO repositories (installation_id, id, owner, name) "
	"SELECT $1::bigint, $1::bigint * 10 + g, 'mycompany', "
	"(ARRAY['infra', 'network', 'platform'])[g] FROM generate_series(1, 3) g "
	"ON CONFLICT DO NOTHING",

	"INSERT INTO work_manifests (installation_id, id, repo_id, pull_number, "
	"run_type, state, kind, base_sha, sha, base_branch, branch, tag_query, "
	"username, run_id, environment, pull_request_title, created_at, "
	"completed_at) SELECT $1::bigint, md5($1 || '-wm-' || g)::uuid, "
	"$1::bigint * 10 + 1 + g % 3, "
	"CASE WHEN g % 7 = 0 OR g % 11 = 0 THEN NULL ELSE 100 + g % 13 END, "
	"(ARRAY['plan', 'apply', 'plan', 'index', 'build-config', "
	"'build-tree'])[1 + g % 6], "
	"(ARRAY['completed', 'completed', 'running', 'queued', "
	"'aborted'])[1 + g % 5], "
	"CASE WHEN g % 7 = 0 THEN 'drift' WHEN g % 11 = 0 THEN 'index' "
	"ELSE 'pr' END, "
	"substr(md5('base' || g) || md5('y' || g), 1, 40), substr(md5('head' || g) || "
	"md5('x' || g), 1, 40), 'main', 'feature/change-' || g % 13, "
	"CASE WHEN g % 4 = 0 THEN 'dir:env/prod' ELSE '' END, "
	"(ARRAY['alice', 'bob', 'carol'])[1 + g % 3], "
	"CASE WHEN g % 2 = 0 THEN (7000000 + g)::text END, "
	"CASE WHEN g % 3 = 0 THEN 'production' END, "
	"CASE WHEN g % 7 = 0 OR g % 11 = 0 THEN NULL ELSE "
	"'Change ' || g % 13 END, "
	"timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour', "
	"CASE WHEN g % 5 IN (0, 1) THEN timestamptz '2026-01-01 00:00:00+00' + "
	"g * interval '1 hour' + interval '3 minutes' END "
	"FROM generate_series(1, $2::int) g ON CONFLICT DO NOTHING",

	"INSERT INTO work_manifest_dirspaces (installation_id, work_manifest_id, "
	"dir, workspace, success, has_changes) SELECT $1::bigint, "
	"md5($1 || '-wm-' || g)::uuid, "
	"(ARRAY['env/prod', 'env/staging', 'modules/vpc'])[k], "
	"CASE WHEN k = 3 THEN 'shared' ELSE 'default' END, "
	"CASE WHEN g % 5 IN (0, 1) THEN (g + k) % 4 <> 0 END, (g + k) % 2 = 0 "
	"FROM generate_series(1, $2::int) g, generate_series(1, 3) k "
	"WHERE k <= 1 + g % 3 ON CONFLICT DO NOTHING",
};

int
ttctl_manifests(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*inst, *count, *p[2];
	int64_t			 v;
	size_t			 i;

	inst = ttctl_opt(argc, argv, "--installation");
	count = ttctl_opt(argc, argv, "--count");
	if (argc < 1 || strcmp(argv[0], "seed") != 0 || inst == NULL ||
	    tt_valid_int64(inst, 1, INT64_MAX / 16, &v) != 0 ||
	    count == NULL || tt_valid_int64(count, 1, 2000000, &v) != 0)
		return ttctl_fail(TTCTL_USAGE, "usage: ttctl manifests seed "
		    "--installation N --count K (K up to 2000000)");
	p[0] = inst;
	p[1] = count;
	if (tt_db_begin(ctl->arena) != TT_OK ||
	    tt_db_exec(ctl->arena, "SET LOCAL statement_timeout = 0", 0, NULL,
	    &r) != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "database unreachable");
	for (i = 0; i < sizeof(seed_sql) / sizeof(seed_sql[0]); i++) {
		if (tt_db_exec(ctl->arena, seed_sql[i], i == 0 || i == 1 ? 1 : 2,
		    p, &r) != TT_OK) {
			tt_db_rollback(ctl->arena);
			return ttctl_fail(TTCTL_REFUSED, "seeding failed (%s)",
			    tt_db_last_sqlstate());
		}
	}
	if (tt_db_commit(ctl->arena) != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "seeding failed to commit");
	/* Fresh statistics, so the planner sees the new rows at once. */
	(void)tt_db_exec(ctl->arena, "ANALYZE work_manifests, "
	    "work_manifest_dirspaces, repositories", 0, NULL, &r);
	printf(ctl->json ? "{\"installation_id\":%s,\"count\":%s}\n" :
	    "seeded installation %s with %s work manifests\n", inst, count);
	return TTCTL_OK;
}
