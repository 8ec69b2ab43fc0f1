/* stacks.c: a pull request's stacks with live states (API.md section 4). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "caps.h"
#include "json.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "stacks.h"

int main(void);

static enum tt_err
handle_stacks(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_stacks_stored	 st;
	enum tt_err		 e;

	e = tt_stacks_load(req->arena, tt_req_param(req, "installation_id"),
	    tt_req_param(req, "repo_id"), tt_req_param(req, "pull_number"),
	    &st);
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, e, NULL, "no stacks stored for this "
		    "pull request");
	if (e != TT_OK)
		return e;
	if (st.config_error != NULL)
		return tt_resp_fail(resp, TT_ECONFLICT, "CONFIG_ERROR",
		    ".terrateam/config.yml at %.40s: %s", st.head_sha,
		    st.config_error);
	resp->status = 200;
	tt_buf_clear(&resp->body);
	tt_stacks_render(req->arena, &resp->body, st.stacks, st.runs,
	    st.nruns);
	tt_resp_etag(req, resp);
	return TT_OK;
}

#define PR	"/api/v1/github/installations/{int:installation_id}" \
		"/repos/{int:repo_id}/prs/{int:pull_number}/stacks"

static const struct tt_route routes[] = {
	{ TT_GET, PR, TT_CAP_INSTALLATION, TT_ROUTE_AUTH |
	  TT_ROUTE_INSTALLATION | TT_ROUTE_GATED, 0, handle_stacks },
};

int
main(void)
{
	return tt_serve("stacks", routes, TT_NITEMS(routes));
}
