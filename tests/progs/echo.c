/* echo.c: a test-only program that exercises the request layer. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>

#include "arena.h"
#include "json.h"
#include "route.h"
#include "serve.h"

int main(void);

/* POST /echo: answers with the parsed JSON body it received. */
static enum tt_err
handle_echo(struct tt_req *req, struct tt_resp *resp)
{
	cJSON	*j;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddItemReferenceToObject(j, "body", req->json);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* GET /echo/{int:n}/{rest:key}: answers with the decoded captures. */
static enum tt_err
handle_params(struct tt_req *req, struct tt_resp *resp)
{
	cJSON		*j;
	int		 bad;
	const char	*q;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "n", tt_req_param(req, "n"));
	cJSON_AddStringToObject(j, "key", tt_req_param(req, "key"));
	q = tt_req_query(req, "q", &bad);
	if (bad)
		return tt_resp_fail(resp, TT_EINVAL, NULL, "bad q");
	if (q != NULL)
		cJSON_AddStringToObject(j, "q", q);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

static const struct tt_route routes[] = {
	{ TT_POST, "/echo", 0, TT_ROUTE_JSON_BODY, 4096, handle_echo },
	{ TT_PUT, "/echo", 0, TT_ROUTE_JSON_BODY, 4096, handle_echo },
	{ TT_GET, "/echo/{int:n}/{rest:key}", 0, 0, 0, handle_params },
};

int
main(void)
{
	return tt_serve("echo", routes, TT_NITEMS(routes));
}
