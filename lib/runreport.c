/*
 * runreport.c: a run's check run and comment on GitHub (runreport.h),
 * from what the runner reported: the manifest's dirspaces with their
 * outcomes, and each dirspace's plan or apply text from the results.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "ghauth.h"
#include "ghtext.h"
#include "github.h"
#include "json.h"
#include "log.h"
#include "runreport.h"
#include "serve.h"

/* GitHub calls made after an answer end within this many milliseconds. */
#define AFTER_BUDGET_MS	5000

TT_DB_STMT(stmt_report) = {
	.name = "runreport_get",
	.sql =
	    "SELECT wm.run_type, wm.sha, wm.pull_number::text AS pull_number, "
	    "wm.check_run_id::text AS check_run_id, wm.results::text AS "
	    "results, wm.state, wm.end_reason, wm.reported_at IS NOT NULL AS "
	    "reported, wm.dispatched_at IS NOT NULL AS dispatched, r.owner, "
	    "r.name "
	    "AS repo, (SELECT json_agg(json_build_object('dir', d.dir, "
	    "'workspace', d.workspace, 'success', d.success, 'has_changes', "
	    "d.has_changes) ORDER BY d.rank, d.dir, d.workspace)::text FROM "
	    "work_manifest_dirspaces d WHERE d.installation_id = "
	    "wm.installation_id AND d.work_manifest_id = wm.id) AS dirspaces "
	    "FROM work_manifests wm JOIN repositories r ON r.installation_id = "
	    "wm.installation_id AND r.id = wm.repo_id WHERE wm.installation_id "
	    "= $1::bigint AND wm.id = $2::uuid AND wm.state IN ('completed', "
	    "'aborted') AND (wm.results IS NOT NULL OR wm.dispatched_at IS NOT "
	    "NULL OR wm.check_run_id IS NOT NULL)",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_reported) = {
	.name = "runreport_done",
	.sql =
	    "UPDATE work_manifests SET reported_at = now() WHERE "
	    "installation_id = $1::bigint AND id = $2::uuid",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_unreported) = {
	.name = "runreport_pending",
	.sql =
	    "SELECT installation_id::text AS inst, id::text AS id FROM "
	    "work_manifests WHERE reported_at IS NULL AND state IN "
	    "('completed', 'aborted') AND (results IS NOT NULL OR "
	    "dispatched_at IS NOT NULL OR check_run_id IS NOT NULL) AND "
	    "completed_at > now() - interval "
	    "'1 day' ORDER BY completed_at LIMIT $1::int",
	.nparams = 1,
	.retry = 1,
};

/* What an answer's after-work needs, copied out of its request. */
static struct {
	int	 what;		/* 0 none, 1 started, 2 results */
	int64_t	 inst;
	char	 owner[128], repo[128], check_run_id[24], id[40];
} later;

static void
after(void *arg)
{
	struct tt_arena	*a = tt_arena_new();
	cJSON		*b;
	char		 path[512];

	(void)arg;
	tt_github_set_budget_ms(AFTER_BUDGET_MS);
	if (later.what == 1 && later.check_run_id[0] != '\0') {
		struct tt_github_resp	r;

		b = tt_json_own(a, cJSON_CreateObject());
		cJSON_AddStringToObject(b, "status", "in_progress");
		snprintf(path, sizeof(path), "/repos/%s/%s/check-runs/%s",
		    later.owner, later.repo, later.check_run_id);
		if (tt_ghauth_call(a, later.inst, "PATCH", path, b, &r) !=
		    TT_OK || r.status != 200)
			tt_log_warnx("check run %s not marked in progress",
			    later.check_run_id);
	} else if (later.what == 2)
		(void)tt_runreport_results(a, later.inst, later.id);
	later.what = 0;
	tt_github_set_budget_ms(0);
	tt_db_end_request();
	tt_arena_free(a);
}

void
tt_runreport_started_later(int64_t inst, const char *owner,
    const char *repo, const char *check_run_id)
{
	later.what = 1;
	later.inst = inst;
	snprintf(later.owner, sizeof(later.owner), "%s", owner);
	snprintf(later.repo, sizeof(later.repo), "%s", repo);
	snprintf(later.check_run_id, sizeof(later.check_run_id), "%s",
	    check_run_id != NULL ? check_run_id : "");
	tt_serve_after(after, NULL);
}

void
tt_runreport_results_later(int64_t inst, const char *id)
{
	later.what = 2;
	later.inst = inst;
	snprintf(later.id, sizeof(later.id), "%s", id);
	tt_serve_after(after, NULL);
}

/* A dirspace's text from the results: its plan, or its apply's output. */
static const char *
dirspace_text(const cJSON *results, const char *dir, const char *ws)
{
	const cJSON	*st, *scope, *payload;
	const char	*name, *text = NULL, *t;

	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(results,
	    "steps")) {
		scope = cJSON_GetObjectItemCaseSensitive(st, "scope");
		name = tt_json_string(st, "step");
		if (name == NULL || tt_json_string(scope, "dir") == NULL ||
		    tt_json_string(scope, "workspace") == NULL ||
		    strcmp(tt_json_string(scope, "dir"), dir) != 0 ||
		    strcmp(tt_json_string(scope, "workspace"), ws) != 0)
			continue;
		payload = cJSON_GetObjectItemCaseSensitive(st, "payload");
		if (strcmp(name, "tf/plan") == 0 &&
		    (t = tt_json_string(payload, "plan")) != NULL)
			text = t;
		else if ((strcmp(name, "tf/plan") == 0 ||
		    strcmp(name, "tf/apply") == 0) &&
		    (t = tt_json_string(payload, "text")) != NULL &&
		    text == NULL)
			text = t;
	}
	return text;
}

/*
 * The comment: one section per dirspace with its outcome and text; past
 * TT_GHTEXT_MAX the rest of the texts are left out, with a note.
 */
static const char *
comment_body(struct tt_arena *a, const char *run_type, const char *sha,
    const cJSON *dirspaces, const cJSON *results, int *ok)
{
	struct tt_buf	 b = { 0 };
	const cJSON	*d;
	const char	*dir, *ws, *text, *s;
	int		 left = 0, success;
	size_t		 room;

	*ok = 1;
	cJSON_ArrayForEach(d, dirspaces)
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d,
		    "success")))
			*ok = 0;
	tt_buf_printf(&b, "**Terrateam** %s %s at `%.12s`\n",
	    run_type, *ok ? "succeeded" : "failed", sha);
	cJSON_ArrayForEach(d, dirspaces) {
		dir = tt_json_string(d, "dir");
		ws = tt_json_string(d, "workspace");
		success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d,
		    "success"));
		tt_buf_printf(&b, "\n### `%.200s` (workspace `%.100s`): %s%s\n",
		    dir, ws, success ? "success" : "failure",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d,
		    "has_changes")) ? ", changes" : "");
		text = dirspace_text(results, dir, ws);
		if (text == NULL)
			continue;
		room = b.n < TT_GHTEXT_MAX - 200 ? TT_GHTEXT_MAX - 200 - b.n :
		    0;
		if (room < 200) {
			left++;
			continue;
		}
		tt_buf_printf(&b, "%s\n", tt_ghtext_fenced(a, text, room));
	}
	if (left > 0)
		tt_buf_printf(&b, "\n(The output of %d more dirspace%s does not "
		    "fit in one comment.)\n", left, left == 1 ? "" : "s");
	s = tt_arena_strndup(a, b.p, b.n);
	tt_buf_free(&b);
	return s;
}

/*
 * The text of a manifest that ended without results: a failed or timed
 * out run (*conclusion "failure"), or one a new head or a close aborted
 * ("cancelled").
 */
static const char *
ended_body(struct tt_arena *a, struct tt_db_res *res, const char **conclusion)
{
	int	aborted = strcmp(tt_db_get(res, 0, "state"), "aborted") == 0;

	*conclusion = aborted ? "cancelled" : "failure";
	return tt_arena_printf(a, "**Terrateam** %s %s at `%.12s`: %s\n",
	    tt_db_get(res, 0, "run_type"), aborted ? "cancelled" : "failed",
	    tt_db_get(res, 0, "sha"), tt_db_get(res, 0, "end_reason") != NULL ?
	    tt_db_get(res, 0, "end_reason") : "ended without results");
}

enum tt_err
tt_runreport_results(struct tt_arena *a, int64_t inst, const char *id)
{
	struct tt_github_resp	 r;
	struct tt_db_res	*res;
	const char		*p[2], *why, *owner, *repo, *body, *check;
	const char		*pr, *conclusion, *ds;
	cJSON			*results, *dirspaces, *b, *out;
	int			 ok;
	enum tt_err		 e;

	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	p[1] = id;
	if ((e = tt_db_run(a, &stmt_report, p, &res)) != TT_OK)
		return e;
	if (tt_db_nrows(res) != 1 || strcmp(tt_db_get(res, 0, "reported"),
	    "t") == 0)
		return TT_OK;
	owner = tt_db_get(res, 0, "owner");
	repo = tt_db_get(res, 0, "repo");
	pr = tt_db_get(res, 0, "pull_number");
	if (tt_db_get(res, 0, "results") == NULL) {
		body = ended_body(a, res, &conclusion);
		/*
		 * Only a run that failed is news to the pull request: a
		 * cancelled one's has a newer head or is closed, and one
		 * never dispatched was explained when it was queued.
		 */
		if (strcmp(conclusion, "cancelled") == 0 ||
		    strcmp(tt_db_get(res, 0, "dispatched"), "t") != 0)
			pr = NULL;
	} else {
		results = tt_json_parse_stored(a, tt_db_get(res, 0, "results"),
		    strlen(tt_db_get(res, 0, "results")));
		ds = tt_db_get(res, 0, "dirspaces") != NULL ?
		    tt_db_get(res, 0, "dirspaces") : "[]";
		dirspaces = tt_json_parse(a, ds, strlen(ds), &why);
		if (results == NULL || dirspaces == NULL)
			return TT_EINTERNAL;
		body = comment_body(a, tt_db_get(res, 0, "run_type"),
		    tt_db_get(res, 0, "sha"), dirspaces, results, &ok);
		conclusion = ok ? "success" : "failure";
	}

	if ((check = tt_db_get(res, 0, "check_run_id")) != NULL) {
		b = tt_json_own(a, cJSON_CreateObject());
		cJSON_AddStringToObject(b, "status", "completed");
		cJSON_AddStringToObject(b, "conclusion", conclusion);
		out = cJSON_AddObjectToObject(b, "output");
		cJSON_AddStringToObject(out, "title", tt_arena_printf(a,
		    "%s %s", tt_db_get(res, 0, "run_type"),
		    strcmp(conclusion, "success") == 0 ? "succeeded" :
		    strcmp(conclusion, "cancelled") == 0 ? "cancelled" :
		    "failed"));
		cJSON_AddStringToObject(out, "summary", body);
		if (tt_ghauth_call(a, inst, "PATCH", tt_arena_printf(a,
		    "/repos/%s/%s/check-runs/%s", owner, repo, check), b, &r) !=
		    TT_OK || r.status != 200) {
			tt_log_warnx("work manifest %s: check run %s not "
			    "completed (status %ld)", id, check, r.status);
			return TT_EUNAVAIL;
		}
	}
	if (pr != NULL) {
		b = tt_json_own(a, cJSON_CreateObject());
		cJSON_AddStringToObject(b, "body", body);
		if (tt_ghauth_call(a, inst, "POST", tt_arena_printf(a,
		    "/repos/%s/%s/issues/%s/comments", owner, repo, pr), b,
		    &r) != TT_OK || r.status != 201) {
			tt_log_warnx("work manifest %s: results comment not "
			    "posted (status %ld)", id, r.status);
			return TT_EUNAVAIL;
		}
	}
	return tt_db_run(a, &stmt_reported, p, &res);
}

int
tt_runreport_pending(struct tt_arena *a, int max)
{
	struct tt_db_res	*res;
	const char		*p[1];
	int			 i, n = 0;

	p[0] = tt_arena_printf(a, "%d", max);
	if (tt_db_run(a, &stmt_unreported, p, &res) != TT_OK)
		return -1;
	for (i = 0; i < tt_db_nrows(res); i++)
		if (tt_runreport_results(a, strtoll(tt_db_get(res, i, "inst"),
		    NULL, 10), tt_db_get(res, i, "id")) == TT_OK)
			n++;
	return n;
}

void
tt_runreport_cleanup(void)
{
	tt_ghauth_cleanup();
	tt_github_cleanup();
}
