/* test_route.c: unit tests for route.c (typed patterns, 404 vs 405). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "route.h"
#include "testhelp.h"

static struct tt_path_param	 P[TT_MAX_PATH_PARAMS];
static size_t			 NP;

static int
match(const char *pat, const char *path)
{
	memset(P, 0, sizeof(P));
	NP = 99;
	return tt_route_match_pattern(A, pat, path, P, &NP);
}

/* Asserts capture i is name = value with length len. */
static void
param(size_t i, const char *name, const char *value, size_t len)
{
	assert_true(i < NP);
	assert_string_equal(P[i].name, name);
	assert_int_equal(P[i].len, len);
	assert_memory_equal(P[i].value, value, len);
	assert_int_equal(P[i].value[len], '\0');
}

static void
test_literals(void **state)
{
	(void)state;
	assert_true(match("/", "/"));
	assert_int_equal(NP, 0);
	assert_true(match("/health", "/health"));
	assert_true(match("/api/v1/health", "/api/v1/health"));
	assert_false(match("/health", "/healthz"));
	assert_false(match("/health", "/healt"));
	assert_false(match("/health", "/Health"));
	assert_false(match("/health", "/"));
	assert_false(match("/", "/health"));
	assert_false(match("/health", ""));
	assert_false(match("/health", "health"));
	assert_false(match("/a/b", "/a"));
	assert_false(match("/a", "/a/b"));
	assert_false(match("/a/b", "/a//b"));
	/* Literals are compared raw, not decoded. */
	assert_false(match("/health", "/%68ealth"));
}

static void
test_trailing_slash_does_not_match(void **state)
{
	(void)state;
	assert_false(match("/health", "/health/"));
	assert_false(match("/health/", "/health"));
	assert_true(match("/health/", "/health/"));
	assert_false(match("/kv/{int:id}", "/kv/1/"));
	assert_false(match("/kv/{str:k}", "/kv/x/"));
}

static void
test_int_captures(void **state)
{
	const char	*pat = "/inst/{int:installation_id}/x";

	(void)state;
	assert_true(match(pat, "/inst/1/x"));
	assert_int_equal(NP, 1);
	param(0, "installation_id", "1", 1);
	assert_true(match(pat, "/inst/9007199254740992/x"));	/* 2^53 */
	param(0, "installation_id", "9007199254740992", 16);
	assert_false(match(pat, "/inst/9007199254740993/x"));
	assert_false(match(pat, "/inst/99999999999999999999/x"));
	assert_false(match(pat, "/inst/0/x"));
	assert_false(match(pat, "/inst/-1/x"));
	assert_false(match(pat, "/inst/+1/x"));
	assert_false(match(pat, "/inst/1a/x"));
	assert_false(match(pat, "/inst/%20/x"));
	assert_false(match(pat, "/inst//x"));
	assert_false(match(pat, "/inst/1%00/x"));
	assert_false(match(pat, "/inst/%zz/x"));
	/*
	 * Documented as found: leading zeros and escaped digits pass the
	 * range check and are captured as sent, decoded but not
	 * canonicalised ("01" stays "01"). Callers that need the number
	 * parse it again (session.c does).
	 */
	assert_true(match(pat, "/inst/01/x"));
	param(0, "installation_id", "01", 2);
	assert_true(match(pat, "/inst/%31/x"));
	param(0, "installation_id", "1", 1);
}

static void
test_uuid_captures(void **state)
{
	const char	*pat = "/keys/{uuid:id}";

	(void)state;
	assert_true(match(pat, "/keys/6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"));
	param(0, "id", "6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f", 36);
	assert_true(match(pat, "/keys/6F1C0D2E-3B4A-4C5D-8E9F-0A1B2C3D4E5F"));
	assert_false(match(pat, "/keys/6f1c0d2e3b4a4c5d8e9f0a1b2c3d4e5f"));
	assert_false(match(pat, "/keys/6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5"));
	assert_false(match(pat, "/keys/not-a-uuid"));
	assert_false(match(pat, "/keys/"));
	assert_false(match(pat,
	    "/keys/6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f%00"));
}

static void
test_str_captures(void **state)
{
	const char	*pat = "/stacks/{str:name}/plan";

	(void)state;
	assert_true(match(pat, "/stacks/web/plan"));
	param(0, "name", "web", 3);
	assert_true(match(pat, "/stacks/a%20b+c/plan"));
	param(0, "name", "a b+c", 5);		/* no plus_space in paths */
	assert_true(match(pat, "/stacks/%252F/plan"));
	param(0, "name", "%2F", 3);		/* decoded once only */
	assert_false(match(pat, "/stacks/a%2Fb/plan"));
	assert_false(match(pat, "/stacks/a%2fb/plan"));
	assert_false(match(pat, "/stacks/a/b/plan"));
	assert_false(match(pat, "/stacks//plan"));
	assert_false(match(pat, "/stacks/a%00b/plan"));
	assert_false(match(pat, "/stacks/a%2/plan"));
}

static void
test_rest_captures(void **state)
{
	const char	*pat = "/api/v1/github/kv/{int:installation_id}"
			    "/key/{rest:key}";

	(void)state;
	assert_true(match(pat, "/api/v1/github/kv/42/key/simple"));
	assert_int_equal(NP, 2);
	param(0, "installation_id", "42", 2);
	param(1, "key", "simple", 6);
	assert_true(match(pat, "/api/v1/github/kv/42/key/a/b/c/"));
	param(1, "key", "a/b/c/", 6);
	assert_true(match(pat, "/api/v1/github/kv/42/key/a%2Fb"));
	param(1, "key", "a/b", 3);
	assert_true(match(pat, "/api/v1/github/kv/42/key/%252F"));
	param(1, "key", "%2F", 3);
	assert_true(match(pat, "/api/v1/github/kv/42/key//"));
	param(1, "key", "/", 1);
	assert_false(match(pat, "/api/v1/github/kv/42/key/"));
	assert_false(match(pat, "/api/v1/github/kv/42/key"));
	assert_false(match(pat, "/api/v1/github/kv/42/key/a%zz"));
	assert_false(match(pat, "/api/v1/github/kv/0/key/a"));
	/* {rest} must be the last segment or nothing matches. */
	assert_false(match("/{rest:r}/x", "/a/x"));
	assert_false(match("/{rest:r}/x", "/x"));
}

static void
test_rest_rejects_nul(void **state)
{
	/*
	 * {int}, {uuid} and {str} refuse a decoded NUL, {rest} does not:
	 * "key/a%00b" is captured with len 3, and tt_req_param, which has
	 * no length, hands a handler "a". Found by this test.
	 */
	const char	*pat = "/kv/{int:id}/key/{rest:key}";
	int		 m;

	(void)state;
	m = match(pat, "/kv/1/key/a%00b");
	if (m)
		print_error("# matched: key len %zu, strlen %zu\n", P[1].len,
		    strlen(P[1].value));
	assert_false(m);
	assert_false(match(pat, "/kv/1/key/%00"));
}

static void
test_bad_patterns_never_match(void **state)
{
	(void)state;
	assert_false(match("/{bogus:x}", "/a"));
	assert_false(match("/{nocolon}", "/a"));
	assert_false(match("/{}", "/a"));
	/* At most TT_MAX_PATH_PARAMS captures. */
	assert_true(match("/{str:a}/{str:b}/{str:c}/{str:d}", "/1/2/3/4"));
	assert_int_equal(NP, 4);
	param(3, "d", "4", 1);
	assert_false(match("/{str:a}/{str:b}/{str:c}/{str:d}/{str:e}",
	    "/1/2/3/4/5"));
	assert_true(NP <= TT_MAX_PATH_PARAMS);
}

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
	{ TT_POST, "/api/v1/access-token/refresh", 0, 0, 0, handler },
	{ TT_DELETE, "/api/v1/api-keys/{uuid:id}", 0, 0, 0, handler },
};

static enum tt_route_result
route(enum tt_method m, const char *path, struct tt_req *req,
    unsigned *allow)
{
	memset(req, 0, sizeof(*req));
	req->arena = A;
	req->method = m;
	req->path = path;
	*allow = 0xdead;
	return tt_route_match(routes, TT_NITEMS(routes), req, allow);
}

static void
test_route_match_found(void **state)
{
	struct tt_req	req;
	unsigned	allow;

	(void)state;
	assert_int_equal(route(TT_GET, "/api/v1/health", &req, &allow),
	    TT_ROUTE_FOUND);
	assert_ptr_equal(req.route, &routes[0]);
	assert_int_equal(req.nparams, 0);

	assert_int_equal(route(TT_PUT, "/api/v1/github/kv/7/key/a/b", &req,
	    &allow), TT_ROUTE_FOUND);
	assert_ptr_equal(req.route, &routes[2]);
	assert_int_equal(req.nparams, 2);
	assert_string_equal(tt_req_param(&req, "installation_id"), "7");
	assert_string_equal(tt_req_param(&req, "key"), "a/b");

	assert_int_equal(route(TT_HEAD, "/api/v1/github/kv/7/key/k", &req,
	    &allow), TT_ROUTE_FOUND);
	assert_ptr_equal(req.route, &routes[1]);
}

static void
test_route_match_no_method(void **state)
{
	struct tt_req	req;
	unsigned	allow;

	(void)state;
	assert_int_equal(route(TT_POST, "/api/v1/health", &req, &allow),
	    TT_ROUTE_NO_METHOD);
	assert_int_equal(allow, TT_GET);
	assert_null(req.route);

	/* Allow collects every method known for the path. */
	assert_int_equal(route(TT_DELETE, "/api/v1/github/kv/7/key/k", &req,
	    &allow), TT_ROUTE_NO_METHOD);
	assert_int_equal(allow, TT_GET | TT_HEAD | TT_PUT);
	assert_string_equal(tt_http_allow(A, allow), "GET, PUT, HEAD");

	assert_int_equal(route(TT_GET, "/api/v1/access-token/refresh", &req,
	    &allow), TT_ROUTE_NO_METHOD);
	assert_int_equal(allow, TT_POST);
}

static void
test_route_match_no_path(void **state)
{
	struct tt_req	req;
	unsigned	allow;

	(void)state;
	assert_int_equal(route(TT_GET, "/api/v1/nothing", &req, &allow),
	    TT_ROUTE_NO_PATH);
	assert_int_equal(allow, 0);
	assert_null(req.route);
	/* A typed capture that fails is a 404, not a 405. */
	assert_int_equal(route(TT_GET, "/api/v1/github/kv/abc/key/k", &req,
	    &allow), TT_ROUTE_NO_PATH);
	assert_int_equal(route(TT_DELETE, "/api/v1/api-keys/nope", &req,
	    &allow), TT_ROUTE_NO_PATH);
	assert_int_equal(route(TT_GET, "/api/v1/health/", &req, &allow),
	    TT_ROUTE_NO_PATH);
	assert_int_equal(allow, 0);
	assert_int_equal(route(TT_GET, "/api/v1/health", &req, &allow),
	    TT_ROUTE_FOUND);
	assert_int_equal(tt_route_match(routes, 0, &req, &allow),
	    TT_ROUTE_NO_PATH);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_trailing_slash_does_not_match),
		cmocka_unit_test(test_int_captures),
		cmocka_unit_test(test_uuid_captures),
		cmocka_unit_test(test_str_captures),
		cmocka_unit_test(test_rest_captures),
		cmocka_unit_test(test_rest_rejects_nul),
		cmocka_unit_test(test_bad_patterns_never_match),
		cmocka_unit_test(test_route_match_found),
		cmocka_unit_test(test_route_match_no_method),
		cmocka_unit_test(test_route_match_no_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
