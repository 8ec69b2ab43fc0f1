/*
 * runner.c: a work manifest as Terrateam's runner drives it (runner.h):
 * initiate and the manifest it answers, the runner's token, plans stored
 * and fetched byte for byte, results, and the manifests a pull request,
 * a push or a failed workflow run ends.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "runner.h"

/*
 * Seconds after a run started within which its own initiate is answered
 * again: the runner tries a call 5 times, 120 s each, sleeping 1 s and
 * then 1.5 times longer between tries (about 610 s in all).
 */
#define TT_RUNNER_RETRY_WINDOW	900

/* The manifest and its repository, locked for initiate. */
TT_DB_STMT(stmt_find) = {
	.name = "runner_find",
	.sql =
	    "SELECT wm.installation_id, wm.state, wm.sha, wm.run_id, "
	    "wm.run_type, wm.base_branch, wm.pull_number, wm.config_json, "
	    "wm.check_run_id::text AS check_run_id, extract(epoch FROM now() - "
	    "wm.created_at)::bigint AS age, coalesce(extract(epoch FROM now() - "
	    "wm.started_at)::bigint, 0) AS running_for, r.owner, r.name AS repo FROM "
	    "work_manifests wm JOIN repositories r ON r.installation_id = "
	    "wm.installation_id AND r.id = wm.repo_id WHERE wm.id = $1::uuid "
	    "FOR UPDATE OF wm",
	.nparams = 1,
};

TT_DB_STMT(stmt_end) = {
	.name = "runner_end",
	.sql =
	    "UPDATE work_manifests SET state = 'aborted', completed_at = now(), "
	    "token_sha256 = NULL, end_reason = $3 WHERE installation_id = "
	    "$1::bigint AND id = $2::uuid",
	.nparams = 3,
};

/* Running under run $3 with a new token (hash $4, hex). */
TT_DB_STMT(stmt_start) = {
	.name = "runner_start",
	.sql =
	    "UPDATE work_manifests SET state = 'running', run_id = $3, "
	    "started_at = coalesce(started_at, now()), token_sha256 = "
	    "decode($4, 'hex') WHERE installation_id = $1::bigint AND id = "
	    "$2::uuid",
	.nparams = 4,
};

TT_DB_STMT(stmt_dirspaces) = {
	.name = "runner_dirspaces",
	.sql =
	    "SELECT dir, workspace, rank, stack_name FROM "
	    "work_manifest_dirspaces WHERE installation_id = $1::bigint AND "
	    "work_manifest_id = $2::uuid ORDER BY rank, dir, workspace",
	.nparams = 2,
	.retry = 1,
};

/* A plan of one of the manifest's own dirspaces; a resent one replaces. */
TT_DB_STMT(stmt_plan_put) = {
	.name = "runner_plan_put",
	.sql =
	    "INSERT INTO work_manifest_plans (installation_id, work_manifest_id, "
	    "dir, workspace, plan_data, has_changes) SELECT $1::bigint, "
	    "$2::uuid, $3, $4, $5, $6::bool WHERE EXISTS (SELECT 1 FROM "
	    "work_manifest_dirspaces d WHERE d.installation_id = $1::bigint AND "
	    "d.work_manifest_id = $2::uuid AND d.dir = $3 AND d.workspace = $4) "
	    "ON CONFLICT (installation_id, work_manifest_id, dir, workspace) DO "
	    "UPDATE SET plan_data = EXCLUDED.plan_data, has_changes = "
	    "EXCLUDED.has_changes, created_at = now() RETURNING 1 AS stored",
	.nparams = 6,
	.retry = 1,
};

/*
 * The plan an apply applies: of the newest completed plan manifest of the
 * same pull request, at the same head sha, whose dirspace succeeded.
 */
TT_DB_STMT(stmt_plan_get) = {
	.name = "runner_plan_get",
	.sql =
	    "SELECT p.plan_data FROM work_manifests a JOIN work_manifests pm ON "
	    "pm.installation_id = a.installation_id AND pm.repo_id = a.repo_id "
	    "AND pm.pull_number = a.pull_number AND pm.sha = a.sha AND "
	    "pm.run_type = 'plan' AND pm.state = 'completed' JOIN "
	    "work_manifest_dirspaces d ON d.installation_id = pm.installation_id "
	    "AND d.work_manifest_id = pm.id AND d.dir = $3 AND d.workspace = $4 "
	    "AND d.success JOIN work_manifest_plans p ON p.installation_id = "
	    "pm.installation_id AND p.work_manifest_id = pm.id AND p.dir = $3 "
	    "AND p.workspace = $4 WHERE a.installation_id = $1::bigint AND a.id "
	    "= $2::uuid AND a.run_type = 'apply' ORDER BY pm.completed_at DESC, "
	    "pm.created_at DESC LIMIT 1",
	.nparams = 4,
	.retry = 1,
};

TT_DB_STMT(stmt_lock) = {
	.name = "runner_lock",
	.sql =
	    "SELECT state, results_sha256 = decode($3, 'hex') AS same FROM "
	    "work_manifests WHERE installation_id = $1::bigint AND id = $2::uuid "
	    "FOR UPDATE",
	.nparams = 3,
};

/*
 * Each dirspace's outcome from $3 ([{dir, workspace, success,
 * has_changes}]); a dirspace the results do not name failed.
 */
TT_DB_STMT(stmt_outcomes) = {
	.name = "runner_outcomes",
	.sql =
	    "UPDATE work_manifest_dirspaces d SET success = coalesce(r.success, "
	    "false), has_changes = r.has_changes FROM work_manifest_dirspaces "
	    "dd LEFT JOIN jsonb_to_recordset($3::jsonb) AS r(dir text, workspace "
	    "text, success boolean, has_changes boolean) ON r.dir = dd.dir AND "
	    "r.workspace = dd.workspace WHERE dd.installation_id = $1::bigint "
	    "AND dd.work_manifest_id = $2::uuid AND d.installation_id = "
	    "dd.installation_id AND d.work_manifest_id = dd.work_manifest_id "
	    "AND d.dir = dd.dir AND d.workspace = dd.workspace",
	.nparams = 3,
};

TT_DB_STMT(stmt_complete) = {
	.name = "runner_complete",
	.sql =
	    "UPDATE work_manifests SET state = 'completed', completed_at = "
	    "now(), results = $3::jsonb, results_sha256 = decode($4, 'hex') "
	    "WHERE installation_id = $1::bigint AND id = $2::uuid",
	.nparams = 4,
};

TT_DB_STMT(stmt_repo) = {
	.name = "runner_repo",
	.sql =
	    "SELECT r.owner, r.name AS repo FROM work_manifests wm JOIN "
	    "repositories r ON r.installation_id = wm.installation_id AND r.id "
	    "= wm.repo_id WHERE wm.installation_id = $1::bigint AND wm.id = "
	    "$2::uuid",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_abort_pr) = {
	.name = "runner_abort_pr",
	.sql =
	    "WITH m AS (UPDATE work_manifests SET state = 'aborted', "
	    "completed_at = now(), token_sha256 = NULL, end_reason = $5 WHERE "
	    "installation_id = $1::bigint AND repo_id = $2::bigint AND "
	    "pull_number = $3::bigint AND state IN ('queued', 'running') AND "
	    "($4::text IS NULL OR sha <> $4) AND NOT EXISTS (SELECT 1 FROM "
	    "webhook_deliveries w WHERE w.work_manifest_id = work_manifests.id "
	    "AND w.id > $6::bigint) RETURNING 1) SELECT count(*) AS n FROM m",
	.nparams = 6,
	.retry = 1,
};

TT_DB_STMT(stmt_fail_run) = {
	.name = "runner_fail_run",
	.sql =
	    "WITH m AS (UPDATE work_manifests SET state = 'completed', "
	    "completed_at = now(), token_sha256 = NULL, end_reason = "
	    "'the workflow run failed' WHERE installation_id = $1::bigint AND "
	    "run_id = $2 AND state IN ('queued', 'running') RETURNING "
	    "installation_id, id), d AS (UPDATE work_manifest_dirspaces d SET "
	    "success = false FROM m WHERE d.installation_id = m.installation_id "
	    "AND d.work_manifest_id = m.id AND d.success IS NULL RETURNING 1) "
	    "SELECT (SELECT count(*) FROM m) AS n, (SELECT count(*) FROM d) AS "
	    "dirspaces",
	.nparams = 2,
	.retry = 1,
};

/*
 * Dispatched runs that have not reported within TT_RUN_TIMEOUT ($1
 * seconds) fail, as a failed workflow run does: the runner may never
 * have started (no runner free, a workflow that does not run it) or
 * ended without its results.
 */
TT_DB_STMT(stmt_expire) = {
	.name = "runner_expire",
	.sql =
	    "WITH m AS (UPDATE work_manifests SET state = 'completed', "
	    "completed_at = now(), token_sha256 = NULL, end_reason = "
	    "'no results within TT_RUN_TIMEOUT' WHERE state IN ('queued', "
	    "'running') AND dispatched_at IS NOT NULL AND created_at < now() - "
	    "$1::bigint * interval '1 second' RETURNING installation_id, id), "
	    "d AS (UPDATE work_manifest_dirspaces d SET success = false FROM m "
	    "WHERE d.installation_id = m.installation_id AND "
	    "d.work_manifest_id = m.id AND d.success IS NULL RETURNING 1) "
	    "SELECT (SELECT count(*) FROM m) AS n, (SELECT count(*) FROM d) AS "
	    "dirspaces",
	.nparams = 1,
	.retry = 1,
};

/* Plans past TT_PLAN_RETENTION_DAYS ($1), and those of closed pull requests. */
TT_DB_STMT(stmt_prune) = {
	.name = "runner_prune",
	.sql =
	    "WITH d AS (DELETE FROM work_manifest_plans p USING work_manifests "
	    "wm WHERE wm.installation_id = p.installation_id AND wm.id = "
	    "p.work_manifest_id AND (p.created_at < now() - $1::int * interval "
	    "'1 day' OR EXISTS (SELECT 1 FROM pull_requests pr WHERE "
	    "pr.installation_id = wm.installation_id AND pr.repo_id = "
	    "wm.repo_id AND pr.pull_number = wm.pull_number AND pr.state = "
	    "'closed')) RETURNING 1) SELECT count(*) AS n FROM d",
	.nparams = 1,
	.retry = 1,
};

/* A new token into tok (TT_RUNNER_TOKEN_LEN + 1), its SHA-256 as hex. */
static void
new_token(char *tok, char hash[2 * TT_SHA256_LEN + 1])
{
	unsigned char	r[32], h[TT_SHA256_LEN];

	tt_crypto_random(r, sizeof(r));
	memcpy(tok, TT_RUNNER_TOKEN_PREFIX, strlen(TT_RUNNER_TOKEN_PREFIX));
	tt_crypto_hex(r, sizeof(r), tok + strlen(TT_RUNNER_TOKEN_PREFIX));
	tt_crypto_sha256(tok, TT_RUNNER_TOKEN_LEN, h);
	tt_crypto_hex(h, sizeof(h), hash);
	OPENSSL_cleanse(r, sizeof(r));
}

/*
 * The repository configuration for the runner: as stored, with cost
 * estimation off unless it turns it on (the runner would otherwise call
 * an Infracost proxy this server does not offer).
 */
static cJSON *
runner_config(struct tt_arena *a, const char *stored)
{
	cJSON		*c = NULL, *ce;
	const char	*why;

	if (stored != NULL)
		c = tt_json_parse(a, stored, strlen(stored), &why);
	if (!cJSON_IsObject(c))
		c = tt_json_own(a, cJSON_CreateObject());
	ce = cJSON_GetObjectItemCaseSensitive(c, "cost_estimation");
	if (!cJSON_IsObject(ce)) {
		cJSON_DeleteItemFromObjectCaseSensitive(c, "cost_estimation");
		ce = cJSON_AddObjectToObject(c, "cost_estimation");
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ce, "enabled"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(ce, "enabled");
		cJSON_AddFalseToObject(ce, "enabled");
	}
	return c;
}

/* The manifest's JSON for the runner (RUNNER.md section 3). */
static enum tt_err
manifest_json(struct tt_arena *a, const char *inst, const char *id,
    const struct tt_db_res *wm, const char *token, const char **out)
{
	struct tt_db_res	*r;
	const char		*p[2];
	cJSON			*j, *arr, *d, *kind;
	enum tt_err		 e;
	int			 i;

	p[0] = inst;
	p[1] = id;
	if ((e = tt_db_run(a, &stmt_dirspaces, p, &r)) != TT_OK)
		return e;
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", tt_db_get(wm, 0, "run_type"));
	cJSON_AddStringToObject(j, "token", token);
	cJSON_AddItemReferenceToObject(j, "config", runner_config(a,
	    tt_db_get(wm, 0, "config_json")));
	arr = cJSON_AddArrayToObject(j, "changed_dirspaces");
	for (i = 0; i < tt_db_nrows(r); i++) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "path", tt_db_get(r, i, "dir"));
		cJSON_AddStringToObject(d, "workspace", tt_db_get(r, i,
		    "workspace"));
		cJSON_AddNumberToObject(d, "rank", (double)strtol(tt_db_get(r,
		    i, "rank"), NULL, 10));
		cJSON_AddStringToObject(d, "stack_name", tt_db_get(r, i,
		    "stack_name"));
		cJSON_AddItemToArray(arr, d);
	}
	cJSON_AddStringToObject(j, "base_ref", tt_db_get(wm, 0,
	    "base_branch"));
	cJSON_AddNumberToObject(j, "result_version", 2);
	if (tt_db_get(wm, 0, "pull_number") != NULL) {
		cJSON_AddStringToObject(j, "run_kind", "pr");
		kind = cJSON_AddObjectToObject(j, "run_kind_data");
		cJSON_AddStringToObject(kind, "id", tt_db_get(wm, 0,
		    "pull_number"));
	}
	*out = tt_json_print(a, j);
	cJSON_Delete(j);
	return TT_OK;
}

enum tt_err
tt_runner_initiate(struct tt_arena *a, const char *id, const char *run_id,
    const char *sha, struct tt_runner_started *out)
{
	struct tt_db_res	*wm, *r;
	const char		*p[4], *state, *inst, *why = NULL;
	char			 tok[TT_RUNNER_TOKEN_LEN + 1];
	char			 hash[2 * TT_SHA256_LEN + 1];
	enum tt_err		 e;

	memset(out, 0, sizeof(*out));
	if ((e = tt_db_begin(a)) != TT_OK)
		return e;
	p[0] = id;
	if ((e = tt_db_run(a, &stmt_find, p, &wm)) != TT_OK)
		goto fail;
	if (tt_db_nrows(wm) != 1) {
		e = TT_ENOTFOUND;
		goto fail;
	}
	state = tt_db_get(wm, 0, "state");
	inst = tt_db_get(wm, 0, "installation_id");
	out->installation_id = strtoll(inst, NULL, 10);
	out->owner = tt_db_get(wm, 0, "owner");
	out->repo = tt_db_get(wm, 0, "repo");
	out->check_run_id = tt_db_get(wm, 0, "check_run_id");
	if (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0) {
		out->done = 1;
		return tt_db_commit(a);
	}
	if (strtoll(tt_db_get(wm, 0, "age"), NULL, 10) >
	    tt_config.run_timeout)
		why = "timed out";
	else if (strcmp(state, "queued") == 0 &&
	    strcmp(sha, tt_db_get(wm, 0, "sha")) != 0)
		why = "the runner's sha is not the manifest's";
	if (why != NULL) {
		p[0] = inst;
		p[1] = id;
		p[2] = why;
		if ((e = tt_db_run(a, &stmt_end, p, &r)) != TT_OK)
			goto fail;
		out->done = 1;
		return tt_db_commit(a);
	}
	/*
	 * Running: only its own run's retry of a lost answer gets it again
	 * (a new token), at the same sha and within the runner's retry
	 * budget: the run id and manifest id show in a public repository's
	 * Actions logs.
	 */
	if (strcmp(state, "running") == 0 && (tt_db_get(wm, 0, "run_id") ==
	    NULL || strcmp(tt_db_get(wm, 0, "run_id"), run_id) != 0 ||
	    strcmp(sha, tt_db_get(wm, 0, "sha")) != 0 ||
	    strtoll(tt_db_get(wm, 0, "running_for"), NULL, 10) >
	    TT_RUNNER_RETRY_WINDOW)) {
		out->done = 1;
		return tt_db_commit(a);
	}
	out->started = strcmp(state, "queued") == 0;
	new_token(tok, hash);
	p[0] = inst;
	p[1] = id;
	p[2] = run_id;
	p[3] = hash;
	if ((e = tt_db_run(a, &stmt_start, p, &r)) != TT_OK ||
	    (e = manifest_json(a, inst, id, wm, tok, &out->manifest)) != TT_OK)
		goto fail;
	OPENSSL_cleanse(tok, sizeof(tok));
	return tt_db_commit(a);
fail:
	OPENSSL_cleanse(tok, sizeof(tok));
	tt_db_rollback(a);
	return e;
}

/* 1 if s is standard base64 (RFC 4648 section 4, padded). */
static int
base64_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '+' || s[i] == '/')
			continue;
		if (s[i] == '=' && i >= n - 2 && (i == n - 1 || s[i + 1] == '='))
			continue;
		return 0;
	}
	return 1;
}

enum tt_err
tt_runner_plan_store(struct tt_arena *a, int64_t inst, const char *id,
    const char *dir, const char *workspace, const char *plan_data,
    int has_changes)
{
	struct tt_db_res	*r;
	const char		*p[6];
	enum tt_err		 e;

	if (!base64_ok(plan_data))
		return TT_EINVAL;
	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	p[1] = id;
	p[2] = dir;
	p[3] = workspace;
	p[4] = plan_data;
	p[5] = has_changes ? "true" : "false";
	if ((e = tt_db_run(a, &stmt_plan_put, p, &r)) != TT_OK)
		return e;
	return tt_db_nrows(r) == 1 ? TT_OK : TT_ENOTFOUND;
}

enum tt_err
tt_runner_plan_fetch(struct tt_arena *a, int64_t inst, const char *id,
    const char *dir, const char *workspace, const char **plan_data)
{
	struct tt_db_res	*r;
	const char		*p[4];
	enum tt_err		 e;

	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	p[1] = id;
	p[2] = dir;
	p[3] = workspace;
	if ((e = tt_db_run(a, &stmt_plan_get, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	*plan_data = tt_db_get(r, 0, "plan_data");
	return TT_OK;
}

cJSON *
tt_runner_outcomes(struct tt_arena *a, const cJSON *body)
{
	const cJSON	*steps, *st, *scope, *payload;
	const char	*type, *dir, *ws, *name;
	cJSON		*byds, *o, *list, *d;
	int		 ok, run_failed = 0;

	steps = cJSON_GetObjectItemCaseSensitive(body, "steps");
	if (!cJSON_IsObject(body) || !cJSON_IsArray(steps))
		return NULL;
	byds = tt_json_own(a, cJSON_CreateObject());
	cJSON_ArrayForEach(st, steps) {
		scope = cJSON_GetObjectItemCaseSensitive(st, "scope");
		if (!cJSON_IsObject(st) || !cJSON_IsObject(scope) ||
		    (type = tt_json_string(scope, "type")) == NULL)
			return NULL;
		ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st,
		    "success")) || cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(st, "ignore_errors"));
		if (strcmp(type, "run") == 0) {
			run_failed |= !ok;
			continue;
		}
		if (strcmp(type, "dirspace") != 0 ||
		    (dir = tt_json_string(scope, "dir")) == NULL ||
		    (ws = tt_json_string(scope, "workspace")) == NULL)
			return NULL;
		/* dir and workspace joined by a byte neither may hold. */
		name = tt_arena_printf(a, "%s%c%s", dir, 1, ws);
		if ((o = cJSON_GetObjectItemCaseSensitive(byds, name)) ==
		    NULL) {
			o = cJSON_AddObjectToObject(byds, name);
			cJSON_AddStringToObject(o, "dir", dir);
			cJSON_AddStringToObject(o, "workspace", ws);
			cJSON_AddTrueToObject(o, "success");
		}
		if (!ok)
			cJSON_ReplaceItemInObjectCaseSensitive(o, "success",
			    cJSON_CreateFalse());
		payload = cJSON_GetObjectItemCaseSensitive(st, "payload");
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st,
		    "step")) && strcmp(cJSON_GetObjectItemCaseSensitive(st,
		    "step")->valuestring, "tf/plan") == 0 &&
		    cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(payload,
		    "has_changes"))) {
			cJSON_DeleteItemFromObjectCaseSensitive(o,
			    "has_changes");
			cJSON_AddBoolToObject(o, "has_changes", cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(payload,
			    "has_changes")));
		}
	}
	list = tt_json_own(a, cJSON_CreateArray());
	cJSON_ArrayForEach(o, byds) {
		d = cJSON_Duplicate(o, 1);
		if (run_failed)
			cJSON_ReplaceItemInObjectCaseSensitive(d, "success",
			    cJSON_CreateFalse());
		cJSON_AddItemToArray(list, d);
	}
	return list;
}

enum tt_err
tt_runner_results(struct tt_arena *a, int64_t inst, const char *id,
    const cJSON *body, const char *raw, size_t rawlen,
    struct tt_runner_reported *out)
{
	struct tt_db_res	*r;
	unsigned char		 h[TT_SHA256_LEN];
	char			 hash[2 * TT_SHA256_LEN + 1];
	const char		*p[4], *same;
	cJSON			*list;
	enum tt_err		 e;

	memset(out, 0, sizeof(*out));
	tt_crypto_sha256(raw, rawlen, h);
	tt_crypto_hex(h, sizeof(h), hash);
	if ((e = tt_db_begin(a)) != TT_OK)
		return e;
	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	p[1] = id;
	p[2] = hash;
	if ((e = tt_db_run(a, &stmt_lock, p, &r)) != TT_OK)
		goto fail;
	if (tt_db_nrows(r) != 1) {
		e = TT_ENOTFOUND;
		goto fail;
	}
	if (strcmp(tt_db_get(r, 0, "state"), "running") != 0 &&
	    strcmp(tt_db_get(r, 0, "state"), "queued") != 0) {
		/* Ended: the same results again are answered as before. */
		same = tt_db_get(r, 0, "same");
		out->again = same != NULL && strcmp(same, "t") == 0;
		out->refused = !out->again;
		return tt_db_commit(a);
	}
	if ((list = tt_runner_outcomes(a, body)) == NULL) {
		e = TT_EINVAL;
		goto fail;
	}
	p[2] = tt_json_print(a, list);
	if ((e = tt_db_run(a, &stmt_outcomes, p, &r)) != TT_OK)
		goto fail;
	p[2] = raw;
	p[3] = hash;
	if ((e = tt_db_run(a, &stmt_complete, p, &r)) != TT_OK)
		goto fail;
	return tt_db_commit(a);
fail:
	tt_db_rollback(a);
	return e;
}

enum tt_err
tt_runner_repo(struct tt_arena *a, int64_t inst, const char *id,
    const char **owner, const char **repo)
{
	struct tt_db_res	*r;
	const char		*p[2];
	enum tt_err		 e;

	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	p[1] = id;
	if ((e = tt_db_run(a, &stmt_repo, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	*owner = tt_db_get(r, 0, "owner");
	*repo = tt_db_get(r, 0, "repo");
	return TT_OK;
}

enum tt_err
tt_runner_abort_pr(struct tt_arena *a, const char *inst, const char *repo_id,
    const char *pull_number, const char *sha, const char *why,
    const char *ledger_id, int64_t *n)
{
	struct tt_db_res	*r;
	const char		*p[6];
	enum tt_err		 e;

	p[0] = inst;
	p[1] = repo_id;
	p[2] = pull_number;
	p[3] = sha;
	p[4] = why;
	p[5] = ledger_id;
	if ((e = tt_db_run(a, &stmt_abort_pr, p, &r)) != TT_OK)
		return e;
	*n = strtoll(tt_db_get(r, 0, "n"), NULL, 10);
	return TT_OK;
}

enum tt_err
tt_runner_fail_run(struct tt_arena *a, const char *inst, const char *run_id,
    int64_t *n)
{
	struct tt_db_res	*r;
	const char		*p[2];
	enum tt_err		 e;

	p[0] = inst;
	p[1] = run_id;
	if ((e = tt_db_run(a, &stmt_fail_run, p, &r)) != TT_OK)
		return e;
	*n = strtoll(tt_db_get(r, 0, "n"), NULL, 10);
	return TT_OK;
}

enum tt_err
tt_runner_prune_plans(struct tt_arena *a, int64_t days, int64_t *n)
{
	struct tt_db_res	*r;
	const char		*p[1];
	enum tt_err		 e;

	p[0] = tt_arena_printf(a, "%lld", (long long)days);
	if ((e = tt_db_run(a, &stmt_prune, p, &r)) != TT_OK)
		return e;
	*n = strtoll(tt_db_get(r, 0, "n"), NULL, 10);
	return TT_OK;
}

enum tt_err
tt_runner_expire(struct tt_arena *a, int64_t *n)
{
	struct tt_db_res	*r;
	const char		*p[1];
	enum tt_err		 e;

	p[0] = tt_arena_printf(a, "%lld", (long long)tt_config.run_timeout);
	if ((e = tt_db_run(a, &stmt_expire, p, &r)) != TT_OK)
		return e;
	*n = strtoll(tt_db_get(r, 0, "n"), NULL, 10);
	return TT_OK;
}
