/*
 * dispatch.c: a queued work manifest handed to the repository's
 * Terrateam workflow (RUNNER.md section 1): the workflow found, a
 * workflow_dispatch on the pull request's branch with the manifest's id
 * and this server's base URL, and the dispatch recorded on the manifest
 * so that a retried delivery never dispatches twice. A manifest that
 * cannot be dispatched ends at once, with the reason.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "ghauth.h"
#include "github.h"
#include "json.h"
#include "log.h"

TT_DB_STMT(stmt_wm) = {
	.name = "dispatch_wm",
	.sql =
	    "SELECT wm.branch, wm.dispatched_at IS NOT NULL AS dispatched, "
	    "wm.state, r.owner, r.name AS repo FROM work_manifests wm JOIN "
	    "repositories r ON r.installation_id = wm.installation_id AND r.id "
	    "= wm.repo_id WHERE wm.installation_id = $1::bigint AND wm.id = "
	    "$2::uuid",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_done) = {
	.name = "dispatch_done",
	.sql =
	    "UPDATE work_manifests SET dispatched_at = now() WHERE "
	    "installation_id = $1::bigint AND id = $2::uuid AND dispatched_at "
	    "IS NULL",
	.nparams = 2,
	.retry = 1,
};

/* A manifest nothing will run: ended with the reason $3. */
TT_DB_STMT(stmt_undispatchable) = {
	.name = "dispatch_end",
	.sql =
	    "WITH m AS (UPDATE work_manifests SET state = 'completed', "
	    "completed_at = now(), token_sha256 = NULL, end_reason = $3 WHERE "
	    "installation_id = $1::bigint AND id = $2::uuid AND state = "
	    "'queued' AND dispatched_at IS NULL RETURNING installation_id, id) "
	    "UPDATE work_manifest_dirspaces d SET success = false FROM m WHERE "
	    "d.installation_id = m.installation_id AND d.work_manifest_id = "
	    "m.id AND d.success IS NULL",
	.nparams = 3,
	.retry = 1,
};

/* A 403 that is GitHub's refusal, not its rate limit. */
static int
forbidden(const struct tt_github_resp *r)
{
	return r->status == 403 && r->retry_after <= 0;
}

/* The workflow's id: the one at TT_DISPATCH_WORKFLOW_PATH, else by name. */
static enum tt_err
find_workflow(struct tt_arena *a, int64_t inst, const char *owner,
    const char *repo, const char **id, struct tt_github_resp *r)
{
	const cJSON	*w;
	const char	*path, *name, *by_name = NULL;

	*id = NULL;
	if (tt_ghauth_call(a, inst, "GET", tt_arena_printf(a,
	    "/repos/%s/%s/actions/workflows?per_page=100", owner, repo), NULL,
	    r) != TT_OK || (r->status != 200 && r->status != 404 &&
	    !forbidden(r)))
		return TT_EUNAVAIL;
	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(r->json,
	    "workflows")) {
		path = tt_json_string(w, "path");
		name = tt_json_string(w, "name");
		if (path != NULL && strcmp(path, TT_DISPATCH_WORKFLOW_PATH) ==
		    0) {
			*id = tt_json_id(a, w, "id");
			return TT_OK;
		}
		if (name != NULL && strcmp(name, TT_DISPATCH_WORKFLOW_NAME) ==
		    0 && by_name == NULL)
			by_name = tt_json_id(a, w, "id");
	}
	*id = by_name;
	return TT_OK;
}

/* Ends manifest p[1] of installation p[0], which nothing will run. */
static enum tt_err
undispatchable(struct tt_arena *a, const char **p,
    enum tt_dispatch_outcome o)
{
	struct tt_db_res	*res;
	const char		*q[3];

	q[0] = p[0];
	q[1] = p[1];
	q[2] = tt_dispatch_outcome_text(o);
	return tt_db_run(a, &stmt_undispatchable, q, &res);
}

enum tt_err
tt_dispatch(struct tt_arena *a, int64_t inst, const char *id,
    enum tt_dispatch_outcome *outcome, const char **error,
    int64_t *retry_after)
{
	struct tt_github_resp	 r;
	struct tt_db_res	*res;
	const char		*p[2], *owner, *repo, *branch, *wf;
	cJSON			*b, *in;
	enum tt_err		 e;

	memset(&r, 0, sizeof(r));
	*outcome = TT_DISPATCH_DONE;
	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	p[1] = id;
	if ((e = tt_db_run(a, &stmt_wm, p, &res)) != TT_OK)
		return e;
	if (tt_db_nrows(res) != 1 || strcmp(tt_db_get(res, 0, "dispatched"),
	    "t") == 0 || strcmp(tt_db_get(res, 0, "state"), "queued") != 0)
		return TT_OK;
	if (tt_config.public_url == NULL) {
		*outcome = TT_DISPATCH_NO_URL;
		return undispatchable(a, p, *outcome);
	}
	owner = tt_db_get(res, 0, "owner");
	repo = tt_db_get(res, 0, "repo");
	branch = tt_db_get(res, 0, "branch");
	if (!tt_github_name_valid(owner) || !tt_github_name_valid(repo))
		return TT_EINVAL;
	if (find_workflow(a, inst, owner, repo, &wf, &r) != TT_OK) {
		*error = tt_arena_printf(a, "listing workflows: %s, status %ld",
		    r.error ? r.error : "", r.status);
		*retry_after = r.retry_after;
		return TT_EUNAVAIL;
	}
	if (forbidden(&r) || wf == NULL) {
		*outcome = forbidden(&r) ? TT_DISPATCH_FORBIDDEN :
		    TT_DISPATCH_NO_WORKFLOW;
		return undispatchable(a, p, *outcome);
	}
	b = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(b, "ref", branch);
	in = cJSON_AddObjectToObject(b, "inputs");
	cJSON_AddStringToObject(in, "work-token", id);
	cJSON_AddStringToObject(in, "api-base-url", tt_arena_printf(a,
	    "%s/api/github", tt_config.public_url));
	if (tt_ghauth_call(a, inst, "POST", tt_arena_printf(a,
	    "/repos/%s/%s/actions/workflows/%s/dispatches", owner, repo, wf),
	    b, &r) != TT_OK || (r.status != 204 && r.status != 422 &&
	    !forbidden(&r))) {
		*error = tt_arena_printf(a, "dispatching the workflow: %s, "
		    "status %ld", r.error ? r.error : "", r.status);
		*retry_after = r.retry_after;
		return TT_EUNAVAIL;
	}
	if (r.status != 204) {
		/* The workflow does not take our inputs, the branch is gone,
		 * or the App may not start workflows. */
		tt_log_warnx("work manifest %s: the dispatch was refused "
		    "(%ld)", id, r.status);
		*outcome = r.status == 422 ? TT_DISPATCH_REFUSED :
		    TT_DISPATCH_FORBIDDEN;
		return undispatchable(a, p, *outcome);
	}
	return tt_db_run(a, &stmt_done, p, &res);
}

const char *
tt_dispatch_outcome_text(enum tt_dispatch_outcome o)
{
	switch (o) {
	case TT_DISPATCH_DONE:
		return NULL;
	case TT_DISPATCH_NO_URL:
		return "this server has no TT_PUBLIC_URL, so the runner could "
		    "not call back: ask its operator to set it";
	case TT_DISPATCH_NO_WORKFLOW:
		return "the repository has no `" TT_DISPATCH_WORKFLOW_PATH "` "
		    "workflow to run it: add one (README, \"Running plans\")";
	case TT_DISPATCH_REFUSED:
		return "GitHub refused to start `" TT_DISPATCH_WORKFLOW_PATH
		    "`: it must take the inputs `work-token` and "
		    "`api-base-url` on `workflow_dispatch`";
	case TT_DISPATCH_FORBIDDEN:
		return "the GitHub App may not start workflows: it needs the "
		    "Actions (read and write) permission, accepted by the "
		    "installation";
	}
	return NULL;
}
