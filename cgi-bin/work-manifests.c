/*
 * work-manifests.c: the routes Terrateam's runner calls back on
 * (RUNNER.md: initiate, its GitHub token, plans, results), under
 * /api/github/v1/work-manifests/{id}. Initiate takes no credential;
 * the others the manifest's own token (session.c). Every answer the
 * runner reads is a 200, as it expects.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "ghauth.h"
#include "json.h"
#include "route.h"
#include "runner.h"
#include "runreport.h"
#include "serve.h"
#include "session.h"

int main(void);

static enum tt_err
bad(struct tt_resp *resp, const char *msg)
{
	return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM", "%s", msg);
}

/* A run id (GitHub's, a number as text) or a 40-hex sha. */
static int
word_ok(const char *s, size_t max, int hex)
{
	size_t	i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f') || (!hex && ((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'g' && s[i] <= 'z') || s[i] == '-' ||
		    s[i] == '_'))))
			return 0;
	return !hex || n == 40;
}

/* POST .../initiate {"run_id", "sha"}: the manifest, or "done" (R1, R6). */
static enum tt_err
handle_initiate(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_runner_started	 st;
	const char			*run_id, *sha;
	enum tt_err			 e;

	run_id = tt_json_string(req->json, "run_id");
	sha = tt_json_string(req->json, "sha");
	if (!word_ok(run_id, 64, 0))
		return bad(resp, "run_id must be the run's id (1 to 64 letters, "
		    "digits, '-' or '_')");
	if (!word_ok(sha, 40, 1))
		return bad(resp, "sha must be 40 lower-case hex digits");
	e = tt_runner_initiate(req->arena, tt_req_param(req,
	    "work_manifest_id"), run_id, sha, &st);
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, e, NULL, "no such work manifest");
	if (e != TT_OK)
		return e;
	if (st.done) {
		tt_resp_json(resp, 200, "{\"type\":\"done\"}");
		return TT_OK;
	}
	tt_resp_json(resp, 200, st.manifest);
	/* The check run shows it running, once it has been answered. */
	if (st.started)
		tt_runreport_started_later(st.installation_id, st.owner,
		    st.repo, st.check_run_id);
	return TT_OK;
}

/* POST .../access-token: a GitHub token for this repository (R2). */
static enum tt_err
handle_access_token(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session	*s = req->session;
	const char		*owner, *repo, *token;
	enum tt_err		 e;
	cJSON			*j;

	if ((e = tt_runner_repo(req->arena, s->installation_id,
	    s->work_manifest_id, &owner, &repo)) != TT_OK)
		return e;
	if ((e = tt_ghauth_runner_token(req->arena, s->installation_id, repo,
	    &token)) != TT_OK)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "GitHub gave no "
		    "installation token: try again later");
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "access_token", token);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* POST .../plans {"path", "workspace", "plan_data", "has_changes"} (R3). */
static enum tt_err
handle_plan_put(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session	*s = req->session;
	const char		*dir, *ws, *data;
	const cJSON		*hc;
	enum tt_err		 e;

	dir = tt_json_string(req->json, "path");
	ws = tt_json_string(req->json, "workspace");
	data = tt_json_string(req->json, "plan_data");
	hc = cJSON_GetObjectItemCaseSensitive(req->json, "has_changes");
	if (dir == NULL || ws == NULL || data == NULL || !cJSON_IsBool(hc))
		return bad(resp, "a plan is {\"path\", \"workspace\", "
		    "\"plan_data\": base64, \"has_changes\": boolean}");
	e = tt_runner_plan_store(req->arena, s->installation_id,
	    s->work_manifest_id, dir, ws, data, cJSON_IsTrue(hc));
	if (e == TT_EINVAL)
		return bad(resp, "plan_data must be base64");
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, e, NULL, "not a dirspace of this work "
		    "manifest");
	if (e != TT_OK)
		return e;
	tt_resp_json(resp, 200, "{}");
	return TT_OK;
}

/* GET .../plans?path=&workspace=: the plan an apply applies (R4). */
static enum tt_err
handle_plan_get(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session	*s = req->session;
	const char		*dir, *ws, *data;
	int			 bad1, bad2;
	enum tt_err		 e;
	cJSON			*j;

	dir = tt_req_query(req, "path", &bad1);
	ws = tt_req_query(req, "workspace", &bad2);
	if (dir == NULL || ws == NULL || bad1 || bad2)
		return bad(resp, "path and workspace are required");
	e = tt_runner_plan_fetch(req->arena, s->installation_id,
	    s->work_manifest_id, dir, ws, &data);
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, e, NULL, "no successful plan of this "
		    "dirspace at this sha");
	if (e != TT_OK)
		return e;
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "data", data);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* PUT ...: the results, version 2 (R5). A resent PUT changes nothing. */
static enum tt_err
handle_results(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_session		*s = req->session;
	struct tt_runner_reported	 r;
	enum tt_err			 e;

	e = tt_runner_results(req->arena, s->installation_id,
	    s->work_manifest_id, req->json, req->body, req->body_len, &r);
	if (e == TT_EINVAL)
		return bad(resp, "results must be result version 2: "
		    "{\"steps\": [{\"step\", \"success\", \"scope\", ...}]}");
	if (e != TT_OK)
		return e;
	if (r.refused)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this work "
		    "manifest has ended");
	tt_resp_json(resp, 200, "{}");
	/* The check run and the comment, once it has been answered. */
	if (!r.again)
		tt_runreport_results_later(s->installation_id,
		    s->work_manifest_id);
	return TT_OK;
}

#define WM	"/api/github/v1/work-manifests/{uuid:work_manifest_id}"
#define RUN	(TT_ROUTE_AUTH | TT_ROUTE_RUNNER)

static const struct tt_route routes[] = {
	{ TT_POST, WM "/initiate", 0, TT_ROUTE_JSON_BODY, 0, handle_initiate },
	{ TT_POST, WM "/access-token", 0, RUN, 0, handle_access_token },
	{ TT_POST, WM "/plans", 0, RUN | TT_ROUTE_JSON_BODY |
	  TT_ROUTE_PLAN_BODY, 0, handle_plan_put },
	{ TT_GET, WM "/plans", 0, RUN, 0, handle_plan_get },
	{ TT_PUT, WM, 0, RUN | TT_ROUTE_RUNNER_ENDED | TT_ROUTE_JSON_BODY |
	  TT_ROUTE_PLAN_BODY, 0, handle_results },
};

int
main(void)
{
	int	rc;

	rc = tt_serve("work-manifests", routes, TT_NITEMS(routes));
	tt_runreport_cleanup();
	return rc;
}
