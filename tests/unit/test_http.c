/* test_http.c: unit tests for http.c (status table, errors, accessors). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "json.h"
#include "tt.h"
#include "testhelp.h"


static int
upper_snake(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return s[i - 1] != '_';
}

static void
test_every_error_has_a_row(void **state)
{
	unsigned	e;
	int		st;

	(void)state;
	for (e = 0; e < TT_E__MAX; e++) {
		st = tt_http_status((enum tt_err)e);
		assert_int_not_equal(st, 0);
		assert_in_range(st, 200, 599);
		if (e != TT_OK)
			assert_in_range(st, 400, 599);
		assert_true(upper_snake(tt_http_error_id((enum tt_err)e)));
		assert_non_null(tt_http_error_message((enum tt_err)e));
		assert_true(tt_http_error_message((enum tt_err)e)[0] != '\0');
		assert_non_null(tt_err_str((enum tt_err)e));
		assert_string_not_equal(tt_err_str((enum tt_err)e), "unknown");
		/* Every status we emit has its own reason phrase. */
		if (st != 500)
			assert_string_not_equal(tt_http_reason(st),
			    "Internal Server Error");
	}
}

static void
test_error_names_are_distinct(void **state)
{
	unsigned	e, f;

	(void)state;
	for (e = 0; e < TT_E__MAX; e++)
		for (f = e + 1; f < TT_E__MAX; f++)
			assert_string_not_equal(tt_err_str((enum tt_err)e),
			    tt_err_str((enum tt_err)f));
}

static void
test_known_rows_and_out_of_range(void **state)
{
	(void)state;
	assert_int_equal(tt_http_status(TT_OK), 200);
	assert_int_equal(tt_http_status(TT_EINVAL), 400);
	assert_int_equal(tt_http_status(TT_EJSON), 400);
	assert_int_equal(tt_http_status(TT_EUNAUTH), 401);
	assert_int_equal(tt_http_status(TT_EFORBIDDEN), 403);
	assert_int_equal(tt_http_status(TT_ENOTFOUND), 404);
	assert_int_equal(tt_http_status(TT_EMETHOD), 405);
	assert_int_equal(tt_http_status(TT_ECONFLICT), 409);
	assert_int_equal(tt_http_status(TT_ELENGTH), 411);
	assert_int_equal(tt_http_status(TT_ETOOBIG), 413);
	assert_int_equal(tt_http_status(TT_EMEDIA), 415);
	assert_int_equal(tt_http_status(TT_ERATE), 429);
	assert_int_equal(tt_http_status(TT_EUNAVAIL), 503);
	assert_int_equal(tt_http_status(TT_ETIMEOUT), 503);
	assert_int_equal(tt_http_status(TT_EINTERNAL), 500);
	assert_string_equal(tt_http_error_id(TT_ECONFLICT), "VERSION_MISMATCH");
	assert_string_equal(tt_http_error_id(TT_EFORBIDDEN),
	    "MISSING_CAPABILITY");

	/* Codes outside the table fall back to 500 INTERNAL. */
	assert_int_equal(tt_http_status(TT_E__MAX), 500);
	assert_int_equal(tt_http_status((enum tt_err)-1), 500);
	assert_string_equal(tt_http_error_id(TT_E__MAX), "INTERNAL");
	assert_string_equal(tt_http_error_message(TT_E__MAX),
	    "internal error");
	assert_string_equal(tt_err_str(TT_E__MAX), "unknown");
	assert_string_equal(tt_http_reason(404), "Not Found");
	assert_string_equal(tt_http_reason(999), "Internal Server Error");
}

static void
test_method_names(void **state)
{
	(void)state;
	assert_int_equal(tt_http_method("GET"), TT_GET);
	assert_int_equal(tt_http_method("POST"), TT_POST);
	assert_int_equal(tt_http_method("PUT"), TT_PUT);
	assert_int_equal(tt_http_method("DELETE"), TT_DELETE);
	assert_int_equal(tt_http_method("PATCH"), TT_PATCH);
	assert_int_equal(tt_http_method("HEAD"), TT_HEAD);
	assert_int_equal(tt_http_method("get"), 0);
	assert_int_equal(tt_http_method("GET "), 0);
	assert_int_equal(tt_http_method("OPTIONS"), 0);
	assert_int_equal(tt_http_method(""), 0);
	assert_int_equal(tt_http_method(NULL), 0);
}

static void
test_allow_formatting(void **state)
{
	(void)state;
	assert_string_equal(tt_http_allow(A, 0), "");
	assert_string_equal(tt_http_allow(A, TT_GET), "GET");
	assert_string_equal(tt_http_allow(A, TT_PUT | TT_GET), "GET, PUT");
	assert_string_equal(tt_http_allow(A, TT_DELETE | TT_POST),
	    "POST, DELETE");
	assert_string_equal(tt_http_allow(A, TT_GET | TT_POST | TT_PUT |
	    TT_DELETE | TT_PATCH | TT_HEAD),
	    "GET, POST, PUT, DELETE, PATCH, HEAD");
	/* Unknown bits are ignored. */
	assert_string_equal(tt_http_allow(A, 0x100 | TT_HEAD), "HEAD");
}

/* The value of header name in resp's header lines, or NULL. */
static const char *
header(const struct tt_resp *resp, const char *name)
{
	const char	*p = resp->headers.p, *end;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0') {
		end = strstr(p, "\r\n");
		assert_non_null(end);
		if (strncmp(p, name, n) == 0 && p[n] == ':' && p[n + 1] == ' ')
			return tt_arena_strndup(A, p + n + 2,
			    (size_t)(end - p - n - 2));
		p = end + 2;
	}
	return NULL;
}

/* Runs tt_http_error on a fresh response and checks the JSON body. */
static void
error_body(enum tt_err e, struct tt_resp *resp, const char *id,
    const char *data)
{
	const char	*why;
	cJSON		*j;

	tt_http_error(resp, e);
	assert_int_equal(resp->status, tt_http_status(e));
	assert_non_null(resp->body.p);
	j = tt_json_parse(A, resp->body.p, resp->body.n, &why);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(j), 2);
	assert_string_equal(tt_json_string(j, "id"), id);
	assert_string_equal(tt_json_string(j, "data"), data);
}

static void
test_error_bodies(void **state)
{
	struct tt_resp	resp;
	unsigned	e;

	(void)state;
	for (e = 1; e < TT_E__MAX; e++) {
		memset(&resp, 0, sizeof(resp));
		error_body((enum tt_err)e, &resp, tt_http_error_id(e),
		    tt_http_error_message(e));
		if (e == TT_EUNAUTH)
			assert_non_null(header(&resp, "WWW-Authenticate"));
		else
			assert_null(header(&resp, "WWW-Authenticate"));
		if (tt_http_status(e) == 503 || tt_http_status(e) == 429)
			assert_string_equal(header(&resp, "Retry-After"), "2");
		else
			assert_null(header(&resp, "Retry-After"));
		tt_buf_free(&resp.headers);
		tt_buf_free(&resp.body);
	}
}

static void
test_unauthorized_has_www_authenticate(void **state)
{
	struct tt_resp	 resp;
	const char	*h;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	error_body(TT_EUNAUTH, &resp, "UNAUTHORIZED",
	    "missing or invalid credentials");
	assert_int_equal(resp.status, 401);
	h = header(&resp, "WWW-Authenticate");
	assert_non_null(h);
	assert_string_equal(h, "Bearer realm=\"terrateam\", "
	    "error=\"invalid_token\", "
	    "error_description=\"missing or invalid credentials\"");
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);

	/* A detail with quotes, backslashes or controls stays one token. */
	memset(&resp, 0, sizeof(resp));
	resp.www_auth_error = "invalid_request";
	resp.err_detail = "bad \"x\"\\\r\nInjected: 1";
	tt_http_error(&resp, TT_EUNAUTH);
	h = header(&resp, "WWW-Authenticate");
	assert_string_equal(h, "Bearer realm=\"terrateam\", "
	    "error=\"invalid_request\", "
	    "error_description=\"bad xInjected: 1\"");
	assert_null(header(&resp, "Injected"));
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);
}

static void
test_unavailable_has_retry_after(void **state)
{
	struct tt_resp	resp;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	error_body(TT_EUNAVAIL, &resp, "UNAVAILABLE",
	    tt_http_error_message(TT_EUNAVAIL));
	assert_int_equal(resp.status, 503);
	assert_string_equal(header(&resp, "Retry-After"), "2");
	assert_null(header(&resp, "WWW-Authenticate"));
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);
}

/* A handler's own Retry-After (a rate limit's) is kept, not doubled. */
static void
test_own_retry_after_is_kept(void **state)
{
	struct tt_resp	resp;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	tt_resp_header(&resp, "Retry-After", "%d", 17);
	error_body(TT_ERATE, &resp, "RATE_LIMITED",
	    tt_http_error_message(TT_ERATE));
	assert_int_equal(resp.status, 429);
	assert_string_equal(header(&resp, "Retry-After"), "17");
	assert_null(strstr(strstr(resp.headers.p, "Retry-After") + 1,
	    "Retry-After"));
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);
}

static void
test_resp_fail_overrides_id_and_detail(void **state)
{
	struct tt_resp	resp;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(tt_resp_fail(&resp, TT_EINVAL, "INVALID_KEY",
	    "key %s is %d bytes", "\"k\"", 0), TT_EINVAL);
	error_body(TT_EINVAL, &resp, "INVALID_KEY", "key \"k\" is 0 bytes");
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);

	/* A NULL id keeps the table's. */
	memset(&resp, 0, sizeof(resp));
	tt_resp_fail(&resp, TT_ENOTFOUND, NULL, "no such %s", "thing");
	error_body(TT_ENOTFOUND, &resp, "NOT_FOUND", "no such thing");
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);
}

static void
test_resp_json_and_headers(void **state)
{
	struct tt_resp	resp;

	(void)state;
	memset(&resp, 0, sizeof(resp));
	tt_resp_json(&resp, 201, "{\"a\":1}");
	tt_resp_json(&resp, 200, "{\"b\":2}");	/* replaces, not appends */
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.p, "{\"b\":2}");
	assert_int_equal(resp.has_content_type, 0);
	tt_resp_header(&resp, "X-Thing", "%d-%s", 7, "x");
	tt_resp_header(&resp, "content-type", "text/plain");
	assert_int_equal(resp.has_content_type, 1);
	assert_string_equal(resp.headers.p,
	    "X-Thing: 7-x\r\ncontent-type: text/plain\r\n");
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);
}

static void
test_request_accessors(void **state)
{
	char		*env[] = {
		"REQUEST_METHOD=GET",
		"CONTENT_TYPE=application/json",
		"CONTENT_LENGTH=12",
		"HTTP_AUTHORIZATION=Bearer abc",
		"HTTP_X_REQUEST_ID=r1",
		"HTTP_X=short",
		NULL,
	};
	struct tt_req	req;
	int		bad;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.arena = A;
	req.envp = env;
	req.query = "a=1&b=%zz&c=x+y";
	assert_string_equal(tt_req_env(&req, "REQUEST_METHOD"), "GET");
	assert_null(tt_req_env(&req, "REQUEST"));
	assert_null(tt_req_env(&req, "MISSING"));
	assert_string_equal(tt_req_header(&req, "Authorization"),
	    "Bearer abc");
	assert_string_equal(tt_req_header(&req, "authorization"),
	    "Bearer abc");
	assert_string_equal(tt_req_header(&req, "X-Request-Id"), "r1");
	assert_string_equal(tt_req_header(&req, "Content-Type"),
	    "application/json");
	assert_string_equal(tt_req_header(&req, "content-length"), "12");
	assert_string_equal(tt_req_header(&req, "x"), "short");
	assert_null(tt_req_header(&req, "X-Missing"));

	assert_string_equal(tt_req_query(&req, "a", &bad), "1");
	assert_int_equal(bad, 0);
	assert_null(tt_req_query(&req, "b", &bad));
	assert_int_equal(bad, 1);
	assert_string_equal(tt_req_query(&req, "c", &bad), "x y");

	req.params[0].name = "id";
	req.params[0].value = "42";
	req.params[0].len = 2;
	req.nparams = 1;
	assert_string_equal(tt_req_param(&req, "id"), "42");
	assert_null(tt_req_param(&req, "ID"));
	assert_null(tt_req_param(&req, "other"));
}

static void
test_long_header_names(void **state)
{
	char		 var[400], name[300];
	char		*env[] = { var, NULL };
	struct tt_req	 req;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.envp = env;

	/* "HTTP_" + 122 bytes + NUL fills the 128-byte name exactly. */
	memset(name, 'A', 122);
	name[122] = '\0';
	snprintf(var, sizeof(var), "HTTP_%s=v", name);
	assert_string_equal(tt_req_header(&req, name), "v");

	/* One byte longer is refused, even though the variable exists. */
	memset(name, 'A', 123);
	name[123] = '\0';
	snprintf(var, sizeof(var), "HTTP_%s=v", name);
	assert_null(tt_req_header(&req, name));
	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_null(tt_req_header(&req, name));
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_error_has_a_row),
		cmocka_unit_test(test_error_names_are_distinct),
		cmocka_unit_test(test_known_rows_and_out_of_range),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_allow_formatting),
		cmocka_unit_test(test_error_bodies),
		cmocka_unit_test(test_unauthorized_has_www_authenticate),
		cmocka_unit_test(test_unavailable_has_retry_after),
		cmocka_unit_test(test_own_retry_after_is_kept),
		cmocka_unit_test(test_resp_fail_overrides_id_and_detail),
		cmocka_unit_test(test_resp_json_and_headers),
		cmocka_unit_test(test_request_accessors),
		cmocka_unit_test(test_long_header_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
