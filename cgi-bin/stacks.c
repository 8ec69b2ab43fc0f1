/* stacks.c: a pull request's stacks with live states (API.md section 4). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "caps.h"
#include "db.h"
#include "json.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "stacks.h"

int main(void);

/*
 * The stored stacks (the repository must belong to the installation)
 * with each dirspace's latest result at the pull request's head, which
 * triggers keep in results (sql/008): one row by primary key.
 */
static struct tt_db_stmt stmt_stacks = {
	"stacks_get",
	"SELECT s.stacks_text AS stacks, s.config_error, s.head_sha, "
	"s.results_text AS results FROM pull_request_stacks s JOIN "
	"repositories r ON r.installation_id = s.installation_id AND r.id = "
	"s.repo_id WHERE s.installation_id = $1::bigint AND s.repo_id = "
	"$2::bigint AND s.pull_number = $3::bigint",
	3, 1, 0, 1
};

/* {"dir": {"workspace": [run_type, success, has_changes]}} */
static struct tt_stacks_run *
read_runs(struct tt_arena *a, const char *text, size_t *n)
{
	struct tt_stacks_run	*runs;
	const cJSON		*obj, *dir, *ws, *t;
	size_t			 i = 0, cap = 0;

	*n = 0;
	if ((obj = tt_json_parse_stored(a, text, strlen(text))) == NULL)
		return NULL;
	cJSON_ArrayForEach(dir, obj)
		cap += (size_t)cJSON_GetArraySize(dir);
	runs = tt_arena_alloc(a, (cap + 1) * sizeof(*runs));
	cJSON_ArrayForEach(dir, obj)
		cJSON_ArrayForEach(ws, dir) {
			t = cJSON_GetArrayItem(ws, 0);
			if (i >= cap || !cJSON_IsString(t))
				continue;
			runs[i].dir = dir->string;
			runs[i].workspace = ws->string;
			runs[i].run_type = t->valuestring;
			runs[i].success = cJSON_IsTrue(cJSON_GetArrayItem(ws,
			    1));
			runs[i].has_changes = cJSON_IsTrue(cJSON_GetArrayItem(
			    ws, 2));
			i++;
		}
	*n = i;
	return runs;
}

static enum tt_err
handle_stacks(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_stacks_run	*runs;
	struct tt_db_res	*r;
	const cJSON		*stored;
	const char		*p[3], *text;
	size_t			 nruns;
	enum tt_err		 e;

	p[0] = tt_req_param(req, "installation_id");
	p[1] = tt_req_param(req, "repo_id");
	p[2] = tt_req_param(req, "pull_number");
	if ((e = tt_db_run(req->arena, &stmt_stacks, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return tt_resp_fail(resp, TT_ENOTFOUND, NULL, "no stacks stored "
		    "for this pull request");
	if (tt_db_get(r, 0, "config_error") != NULL)
		return tt_resp_fail(resp, TT_ECONFLICT, "CONFIG_ERROR",
		    ".terrateam/config.yml at %.40s: %s", tt_db_get(r, 0,
		    "head_sha"), tt_db_get(r, 0, "config_error"));
	text = tt_db_get(r, 0, "stacks");
	if ((stored = tt_json_parse_stored(req->arena, text, strlen(text))) ==
	    NULL)
		return TT_EINTERNAL;
	runs = read_runs(req->arena, tt_db_get(r, 0, "results"), &nruns);
	resp->status = 200;
	tt_buf_clear(&resp->body);
	tt_stacks_render(req->arena, &resp->body, stored, runs, nruns);
	tt_resp_etag(req, resp);
	return TT_OK;
}

#define PR	"/api/v1/github/installations/{int:installation_id}" \
		"/repos/{int:repo_id}/prs/{int:pull_number}/stacks"

static const struct tt_route routes[] = {
	{ TT_GET, PR, TT_CAP_INSTALLATION, TT_ROUTE_AUTH |
	  TT_ROUTE_INSTALLATION, 0, handle_stacks },
};

int
main(void)
{
	return tt_serve("stacks", routes, TT_NITEMS(routes));
}
