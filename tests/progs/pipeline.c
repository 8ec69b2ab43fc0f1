/*
 * pipeline.c: a test-only program for serve.c's request pipeline
 * (tests/unit/test_serve.c runs it as plain CGI): one route per step to
 * look at. Its handlers say on stderr that they ran, so a test can tell
 * a refusal answered before the handler from one answered after it.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "arena.h"
#include "caps.h"
#include "json.h"
#include "route.h"
#include "serve.h"

int main(void);

/* GET|HEAD /plain: what the pipeline made of the request. */
static enum tt_err
handle_plain(struct tt_req *req, struct tt_resp *resp)
{
	cJSON	*j;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "remote_addr", req->remote_addr != NULL ?
	    req->remote_addr : "(none)");
	cJSON_AddStringToObject(j, "request_id", req->request_id);
	cJSON_AddStringToObject(j, "path", req->path);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* POST|PUT /json: the parsed body back. */
static enum tt_err
handle_json(struct tt_req *req, struct tt_resp *resp)
{
	cJSON	*j;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddItemReferenceToObject(j, "body", req->json);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/* GET /own-headers: a handler's Content-Type and Cache-Control. */
static enum tt_err
handle_own_headers(struct tt_req *req, struct tt_resp *resp)
{
	(void)req;
	tt_resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
	tt_resp_header(resp, "Cache-Control", "max-age=60");
	tt_resp_json(resp, 200, "plain text");
	return TT_OK;
}

/* DELETE /empty: 204. */
static enum tt_err
handle_empty(struct tt_req *req, struct tt_resp *resp)
{
	(void)req;
	tt_resp_json(resp, 204, "{\"never\":\"sent\"}");
	return TT_OK;
}

/*
 * The authenticated routes: an answer a refused caller must never see,
 * with a header of its own; no statement.
 */
static enum tt_err
handle_secret(struct tt_req *req, struct tt_resp *resp)
{
	(void)req;
	fprintf(stderr, "pipeline: handler ran\n");
	tt_resp_header(resp, "X-Handler", "ran");
	tt_resp_json(resp, 200, "{\"secret\":\"the handler's answer\"}");
	return TT_OK;
}

#define INST	(TT_ROUTE_AUTH | TT_ROUTE_INSTALLATION)

static const struct tt_route routes[] = {
	{ TT_GET | TT_HEAD, "/plain", 0, 0, 0, handle_plain },
	{ TT_POST | TT_PUT, "/json", 0, TT_ROUTE_JSON_BODY, 64, handle_json },
	{ TT_GET, "/own-headers", 0, 0, 0, handle_own_headers },
	{ TT_DELETE, "/empty", 0, 0, 0, handle_empty },
	{ TT_GET, "/auth/{int:installation_id}", TT_CAP_KV_READ, INST, 0,
	  handle_secret },
	{ TT_GET, "/gated/{int:installation_id}", TT_CAP_KV_READ,
	  INST | TT_ROUTE_GATED, 0, handle_secret },
};

int
main(void)
{
	return tt_serve("pipeline", routes, TT_NITEMS(routes));
}
