/*
 * ttctl_manifests.c: ttctl manifests seed (deterministic demo data) and
 * complete (a run's results, as a runner reports them).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ttctl.h"
#include "valid.h"

#define MANIFESTS_USAGE \
	"usage: ttctl manifests seed --installation N --count K " \
	"(K up to 2000000)\n" \
	"       ttctl manifests complete ID " \
	"--dirspace DIR:WORKSPACE=success|failure [--dirspace ...] " \
	"[--has-changes]"

/* Longest --dirspace argument accepted. */
#define DIRSPACE_MAX	4096

/* One --dirspace of manifests complete; arena-owned strings. */
struct dirspace {
	const char	*dir;
	const char	*workspace;
	const char	*success;	/* "true" or "false", a parameter */
};

static int	 parse_dirspace(struct tt_arena *, const char *,
		    struct dirspace *);
static cJSON	*json_bool(const char *);
static int	 db_fail(enum tt_err);
static int	 print_complete(struct ttctl *, const char *id,
		    const char *state, struct tt_db_res *);
static int	 record_results(struct ttctl *, const char *,
		    const struct dirspace *, int, const char *,
		    struct tt_db_res **, struct tt_db_res **);
static int	 manifests_complete(struct ttctl *, int, char **);
static int	 manifests_seed(struct ttctl *, int, char **);

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

static int
manifests_seed(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*inst, *count, *p[2];
	int64_t			 v;
	size_t			 i;

	inst = ttctl_opt(argc, argv, "--installation");
	count = ttctl_opt(argc, argv, "--count");
	if (inst == NULL || tt_valid_int64(inst, 1, INT64_MAX / 16, &v) != 0 ||
	    count == NULL || tt_valid_int64(count, 1, 2000000, &v) != 0)
		return ttctl_fail(TTCTL_USAGE, MANIFESTS_USAGE);
	p[0] = inst;
	p[1] = count;
	tt_db_set_answer_wait(0);	/* as long as the seeding takes */
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

/*
 * Splits "DIR:WORKSPACE=success|failure" at the last '=' (the result has
 * none) and then at the last ':' before it, so DIR may hold '/', ':' and
 * '='. Returns 0 and fills ds with arena-owned copies, or -1 when the
 * argument is malformed, too long, not UTF-8, or DIR or WORKSPACE empty.
 */
static int
parse_dirspace(struct tt_arena *a, const char *arg, struct dirspace *ds)
{
	const char	*eq, *colon;
	size_t		 n;

	n = strlen(arg);
	if (n > DIRSPACE_MAX || !tt_valid_utf8(arg, n) ||
	    (eq = strrchr(arg, '=')) == NULL)
		return -1;
	if (strcmp(eq + 1, "success") == 0)
		ds->success = "true";
	else if (strcmp(eq + 1, "failure") == 0)
		ds->success = "false";
	else
		return -1;
	colon = memrchr(arg, ':', (size_t)(eq - arg));
	if (colon == NULL || colon == arg || colon + 1 == eq)
		return -1;
	ds->dir = tt_arena_strndup(a, arg, (size_t)(colon - arg));
	ds->workspace = tt_arena_strndup(a, colon + 1,
	    (size_t)(eq - colon - 1));
	return 0;
}

static int
db_fail(enum tt_err e)
{
	return ttctl_fail(TTCTL_REFUSED, "database: %s (%s)", tt_err_str(e),
	    tt_db_last_sqlstate());
}

/* A boolean column as JSON: true, false or null. */
static cJSON *
json_bool(const char *v)
{
	if (v == NULL)
		return cJSON_CreateNull();
	return cJSON_CreateBool(strcmp(v, "t") == 0);
}

/*
 * Prints the manifest's new state and every one of its dirspaces (r:
 * dir, workspace, success, has_changes) as one line or one JSON object.
 */
static int
print_complete(struct ttctl *ctl, const char *id, const char *state,
    struct tt_db_res *r)
{
	cJSON	*o, *list, *d;
	int	 i, done = 0;

	if (!ctl->json) {
		for (i = 0; i < tt_db_nrows(r); i++)
			if (tt_db_get(r, i, "success") != NULL)
				done++;
		printf("work manifest %s %s: %d of %d dirspaces have a "
		    "result\n", id, state, done, tt_db_nrows(r));
		return TTCTL_OK;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "state", state);
	list = cJSON_AddArrayToObject(o, "dirspaces");
	for (i = 0; i < tt_db_nrows(r); i++) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "dir", tt_db_get(r, i, "dir"));
		cJSON_AddStringToObject(d, "workspace",
		    tt_db_get(r, i, "workspace"));
		cJSON_AddItemToObject(d, "success",
		    json_bool(tt_db_get(r, i, "success")));
		cJSON_AddItemToObject(d, "has_changes",
		    json_bool(tt_db_get(r, i, "has_changes")));
		cJSON_AddItemToArray(list, d);
	}
	ttctl_print_json(o);
	return TTCTL_OK;
}

/*
 * Inside the caller's transaction: locks work manifest id, refuses it when
 * missing, aborted or completed, gives each named dirspace its result and
 * moves the manifest on: running while some dirspace has no result, else
 * completed at now() (its runner's token ended; nothing is posted to
 * GitHub: an operator's record, not a run's). Returns TTCTL_OK with *wm (its id and new state)
 * and *dirs (all its dirspaces), or TTCTL_REFUSED after saying why, when
 * the caller must roll back. Results are arena-owned.
 */
static int
record_results(struct ttctl *ctl, const char *id, const struct dirspace *ds,
    int n, const char *changes, struct tt_db_res **wm, struct tt_db_res **dirs)
{
	struct tt_db_res	*r;
	const char		*p[6], *state;
	enum tt_err		 e;
	int			 i;

	p[0] = id;
	if ((e = tt_db_exec(ctl->arena, "SELECT installation_id, id, state "
	    "FROM work_manifests WHERE id = $1::uuid FOR UPDATE", 1, p,
	    &r)) != TT_OK)
		return db_fail(e);
	if (tt_db_nrows(r) == 0)
		return ttctl_fail(TTCTL_REFUSED, "no work manifest %s", id);
	if (tt_db_nrows(r) > 1)
		return ttctl_fail(TTCTL_REFUSED, "work manifest id %s is in %d "
		    "installations", id, tt_db_nrows(r));
	state = tt_db_get(r, 0, "state");
	if (strcmp(state, "aborted") == 0 || strcmp(state, "completed") == 0)
		return ttctl_fail(TTCTL_REFUSED, "work manifest %s is already "
		    "%s", id, state);

	/* One result at a time, so an unknown dirspace can be named. */
	p[0] = tt_db_get(r, 0, "installation_id");
	p[1] = tt_db_get(r, 0, "id");
	p[5] = changes;
	for (i = 0; i < n; i++) {
		p[2] = ds[i].dir;
		p[3] = ds[i].workspace;
		p[4] = ds[i].success;
		if ((e = tt_db_exec(ctl->arena, "UPDATE work_manifest_dirspaces "
		    "SET success = $5::boolean, has_changes = $6::boolean "
		    "WHERE installation_id = $1::bigint AND work_manifest_id = "
		    "$2::uuid AND dir = $3 AND workspace = $4", 6, p,
		    &r)) != TT_OK)
			return db_fail(e);
		if (tt_db_affected(r) != 1)
			return ttctl_fail(TTCTL_REFUSED, "work manifest %s has "
			    "no dirspace %s:%s", id, ds[i].dir,
			    ds[i].workspace);
	}

	if ((e = tt_db_exec(ctl->arena, "UPDATE work_manifests wm SET "
	    "state = CASE WHEN c.pending THEN 'running' ELSE 'completed' END, "
	    "completed_at = CASE WHEN c.pending THEN wm.completed_at ELSE "
	    "now() END, reported_at = CASE WHEN c.pending THEN NULL ELSE "
	    "now() END, token_sha256 = CASE WHEN c.pending THEN "
	    "wm.token_sha256 END FROM (SELECT EXISTS (SELECT 1 FROM "
	    "work_manifest_dirspaces d WHERE d.installation_id = $1::bigint "
	    "AND d.work_manifest_id = $2::uuid AND d.success IS NULL) AS "
	    "pending) c WHERE wm.installation_id = $1::bigint AND wm.id = "
	    "$2::uuid RETURNING wm.id, wm.state", 2, p, wm)) != TT_OK)
		return db_fail(e);
	if ((e = tt_db_exec(ctl->arena, "SELECT dir, workspace, success, "
	    "has_changes FROM work_manifest_dirspaces WHERE installation_id = "
	    "$1::bigint AND work_manifest_id = $2::uuid ORDER BY dir, "
	    "workspace", 2, p, dirs)) != TT_OK)
		return db_fail(e);
	return TTCTL_OK;
}

/*
 * ttctl manifests complete ID --dirspace DIR:WORKSPACE=success|failure
 * [--dirspace ...] [--has-changes]: records a run's results the way a
 * runner reports them, all or nothing, in one transaction.
 */
static int
manifests_complete(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*wm, *dirs;
	struct dirspace		*ds;
	const char		*changes = "false";
	enum tt_err		 e;
	int			 i, j, n = 0, rc;

	/* Every argument is checked before the first statement. */
	if (argc < 2 || !tt_valid_uuid(argv[1]))
		return ttctl_fail(TTCTL_USAGE, MANIFESTS_USAGE);
	ds = tt_arena_alloc(ctl->arena, (size_t)argc * sizeof(*ds));
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--has-changes") == 0)
			changes = "true";
		else if (strcmp(argv[i], "--json") == 0)
			continue;
		else if (strcmp(argv[i], "--dirspace") == 0 && i + 1 < argc) {
			if (parse_dirspace(ctl->arena, argv[++i], &ds[n]) != 0)
				return ttctl_fail(TTCTL_USAGE, "--dirspace "
				    "takes DIR:WORKSPACE=success|failure, not "
				    "\"%s\"", argv[i]);
			for (j = 0; j < n; j++)
				if (strcmp(ds[j].dir, ds[n].dir) == 0 &&
				    strcmp(ds[j].workspace,
				    ds[n].workspace) == 0)
					return ttctl_fail(TTCTL_USAGE,
					    "dirspace %s:%s given twice",
					    ds[n].dir, ds[n].workspace);
			n++;
		} else
			return ttctl_fail(TTCTL_USAGE, MANIFESTS_USAGE);
	}
	if (n == 0)
		return ttctl_fail(TTCTL_USAGE, MANIFESTS_USAGE);

	if ((e = tt_db_begin(ctl->arena)) != TT_OK)
		return db_fail(e);
	if ((rc = record_results(ctl, argv[1], ds, n, changes, &wm,
	    &dirs)) != TTCTL_OK) {
		tt_db_rollback(ctl->arena);
		return rc;
	}
	if ((e = tt_db_commit(ctl->arena)) != TT_OK)
		return db_fail(e);
	return print_complete(ctl, tt_db_get(wm, 0, "id"),
	    tt_db_get(wm, 0, "state"), dirs);
}

/* ttctl manifests seed ... | complete ... */
int
ttctl_manifests(struct ttctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "seed") == 0)
		return manifests_seed(ctl, argc, argv);
	if (argc >= 1 && strcmp(argv[0], "complete") == 0)
		return manifests_complete(ctl, argc, argv);
	return ttctl_fail(TTCTL_USAGE, MANIFESTS_USAGE);
}
