/* fuzz_route.c: libFuzzer target for the route matcher over raw paths. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "route.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

static const char *const patterns[] = {
	"/",
	"/api/v1/health",
	"/api/v1/access-token/refresh",
	"/api/v1/github/kv/{int:installation_id}/key/{rest:key}",
	"/api/v1/github/kv/{int:installation_id}/count/{rest:prefix}",
	"/api/v1/github/installations/{int:installation_id}/stacks",
	"/api/v1/api-keys/{uuid:id}",
	"/api/v1/stacks/{str:name}/{int:n}/plan",
	"/{str:a}/{str:b}/{str:c}/{str:d}",
	"/{str:a}/{str:b}/{str:c}/{str:d}/{str:e}",
	"/x/{rest:r}/y",
	"/{bogus:x}",
};

static enum tt_err
handler(struct tt_req *req, struct tt_resp *resp)
{
	(void)req;
	(void)resp;
	return TT_OK;
}

static const struct tt_route routes[] = {
	{ TT_GET, "/api/v1/health", 0, 0, 0, handler },
	{ TT_GET | TT_HEAD, "/api/v1/github/kv/{int:installation_id}/key/"
	  "{rest:key}", 0, 0, 0, handler },
	{ TT_PUT, "/api/v1/github/kv/{int:installation_id}/key/{rest:key}",
	  0, 0, 0, handler },
	{ TT_DELETE, "/api/v1/api-keys/{uuid:id}", 0, 0, 0, handler },
	{ TT_POST, "/api/v1/stacks/{str:name}/{int:n}/plan", 0, 0, 0,
	  handler },
};

/* 1 if pattern declares the capture name with the given type. */
static int
is_type(const char *pattern, const char *name, const char *type)
{
	char	needle[64];
	size_t	tn = strlen(type), nn = strlen(name);

	if (tn + nn + 4 > sizeof(needle))
		return 0;
	needle[0] = '{';
	memcpy(needle + 1, type, tn);
	needle[tn + 1] = ':';
	memcpy(needle + tn + 2, name, nn);
	needle[tn + nn + 2] = '}';
	needle[tn + nn + 3] = '\0';
	return strstr(pattern, needle) != NULL;
}

/* What a successful match promises about each capture. */
static void
check(const char *pattern, const struct tt_path_param *p, size_t np)
{
	size_t	i;
	int64_t	v;

	if (np > TT_MAX_PATH_PARAMS)
		abort();
	for (i = 0; i < np; i++) {
		if (p[i].name == NULL || p[i].value == NULL || p[i].len == 0 ||
		    p[i].value[p[i].len] != '\0')
			abort();
		/*
		 * XXX {rest} may hold a decoded NUL (len > strlen); the unit
		 * test test_rest_rejects_nul tracks that, so it is not
		 * checked here.
		 */
		if (is_type(pattern, p[i].name, "rest"))
			continue;
		if (strlen(p[i].value) != p[i].len ||
		    memchr(p[i].value, '/', p[i].len) != NULL)
			abort();
		if (is_type(pattern, p[i].name, "int") &&
		    tt_valid_int64(p[i].value, 1, 9007199254740992LL, &v) != 0)
			abort();
		if (is_type(pattern, p[i].name, "uuid") &&
		    !tt_valid_uuid(p[i].value))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_path_param	 params[TT_MAX_PATH_PARAMS];
	struct tt_req		 req;
	enum tt_route_result	 r;
	unsigned		 allow, m;
	size_t			 i, np;
	char			*path;

	if (arena == NULL)
		arena = tt_arena_new();

	path = tt_arena_strndup(arena, (const char *)data, size);
	for (i = 0; i < TT_NITEMS(patterns); i++) {
		np = 0;
		if (tt_route_match_pattern(arena, patterns[i], path, params,
		    &np))
			check(patterns[i], params, np);
	}

	for (m = TT_GET; m <= TT_HEAD; m <<= 1) {
		memset(&req, 0, sizeof(req));
		req.arena = arena;
		req.method = (enum tt_method)m;
		req.path = path;
		r = tt_route_match(routes, TT_NITEMS(routes), &req, &allow);
		if (r == TT_ROUTE_FOUND) {
			if (req.route == NULL || !(req.route->method & m))
				abort();
			check(req.route->pattern, req.params, req.nparams);
		} else if (r == TT_ROUTE_NO_METHOD) {
			if (allow == 0 || (allow & m))
				abort();
		} else if (r != TT_ROUTE_NO_PATH || allow != 0)
			abort();
	}

	tt_arena_reset(arena);
	return 0;
}
