/* health.c: GET /healthz, database reachable and migrations current. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "route.h"
#include "serve.h"

#ifndef TT_SCHEMA_VERSION
#error "TT_SCHEMA_VERSION must be set by the Makefile"
#endif

static struct tt_db_stmt stmt_schema = {
	"health_schema",
	"SELECT coalesce(max(version), 0) AS version FROM schema_migrations",
	0, 1, 0, 0
};

static enum tt_err
handle_health(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_db_res	*res;
	enum tt_err		 e;
	const char		*v;
	long long		 version;
	cJSON			*j;

	e = tt_db_run(req->arena, &stmt_schema, NULL, &res);
	if (e != TT_OK && strcmp(tt_db_last_sqlstate(), "42P01") == 0)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL,
		    "database schema missing: run ttctl migrate");
	if (e != TT_OK)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL,
		    "database unreachable");
	v = tt_db_get(res, 0, "version");
	version = v ? strtoll(v, NULL, 10) : 0;
	if (version < TT_SCHEMA_VERSION)
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL,
		    "database schema version %lld, this build needs %d: run "
		    "ttctl migrate", version, TT_SCHEMA_VERSION);

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "status", "ok");
	cJSON_AddStringToObject(j, "database", "ok");
	cJSON_AddNumberToObject(j, "schema_version", (double)version);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

static const struct tt_route routes[] = {
	{ TT_GET, "/healthz", 0, 0, 0, handle_health },
};

int
main(void)
{
	return tt_serve("health", routes, TT_NITEMS(routes));
}
