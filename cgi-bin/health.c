/*
 * health.c: GET /healthz (database reachable, migrations current, the
 * GitHub settings that are set usable), the API's OpenAPI document, and a
 * JSON 404 for any other /api/ path (the web server configurations send
 * those here).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "asset.h"
#include "config.h"
#include "db.h"
#include "ghauth.h"
#include "ghsetup.h"
#include "ghsig.h"
#include "json.h"
#include "route.h"
#include "serve.h"

#ifndef TT_SCHEMA_VERSION
#error "TT_SCHEMA_VERSION must be set by the Makefile"
#endif

#define OPENAPI_MAX_BYTES	(4 * 1024 * 1024)

static enum tt_err
handle_health(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_ghsetup_problem	 p[TT_GHSETUP_MAX];
	enum tt_err			 e;
	const char			*what;
	int64_t				 version;
	size_t				 n, i;
	cJSON				*j;

	e = tt_db_schema_version(req->arena, &version);
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL,
		    "database schema missing: run ttctl migrate");
	if (e != TT_OK)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL,
		    "database unreachable");
	if (version < TT_SCHEMA_VERSION)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL,
		    "database schema version %lld, this build needs %d: run "
		    "ttctl migrate", (long long)version, TT_SCHEMA_VERSION);

	/* A GitHub setting that is set and unusable fails loudly too. */
	if ((n = tt_ghsetup_check(p, TT_NITEMS(p))) > 0) {
		what = "";
		for (i = 0; i < n; i++)
			what = tt_arena_printf(req->arena, "%s%s%s %s", what,
			    i > 0 ? "; " : "", p[i].var, p[i].reason);
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "GitHub setup: "
		    "%s (the program log names the file)", what);
	}

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "status", "ok");
	cJSON_AddStringToObject(j, "database", "ok");
	cJSON_AddNumberToObject(j, "schema_version", (double)version);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

/*
 * GET /api/v1/openapi.json: the document the build made from
 * docs/openapi.yaml (TT_OPENAPI_FILE), cacheable and revalidated by ETag.
 */
static enum tt_err
handle_openapi(struct tt_req *req, struct tt_resp *resp)
{
	const char	*doc;
	size_t		 len;

	if (tt_asset_get(tt_config.openapi_file, OPENAPI_MAX_BYTES, &doc,
	    &len) != TT_OK)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "the API "
		    "description is not installed (see TT_OPENAPI_FILE)");
	tt_resp_json(resp, 200, doc);
	tt_resp_header(resp, "Cache-Control", "public, max-age=300");
	tt_resp_etag(req, resp);
	return TT_OK;
}

static const struct tt_route routes[] = {
	{ TT_GET, "/healthz", 0, 0, 0, handle_health },
	{ TT_GET, "/api/v1/openapi.json", 0, 0, 0, handle_openapi },
};

int
main(void)
{
	int	rc;

	tt_serve_at_start(tt_ghsetup_log);
	rc = tt_serve("health", routes, TT_NITEMS(routes));
	tt_asset_cleanup();
	tt_ghauth_cleanup();
	tt_ghsig_cleanup();
	return rc;
}
