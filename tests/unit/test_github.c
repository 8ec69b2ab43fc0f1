/* test_github.c: the GitHub HTTP client without GitHub: names, paths,
 * methods, base URLs and the time budget. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "github.h"

static struct tt_arena	*A;

static int
setup(void **state)
{
	(void)state;
	A = tt_arena_new();
	tt_config.github_api_url = "http://127.0.0.1:1";
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tt_github_cleanup();
	tt_arena_free(A);
	return 0;
}

static void
test_name_valid(void **state)
{
	static const char *const good[] = { "a", "terrateam", "infra-live",
	    "my_repo.v2", "A-Z.0-9_", "my..repo", ".github", "-" };
	static const char *const bad[] = { "", ".", "..", "a/b", "a b",
	    "a%2fb", "a?b", "a#b", "ä", "a\nb", "a\\b", "a:b", "a@b" };
	char	long_name[102];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(tt_github_name_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(tt_github_name_valid(bad[i]));
	assert_false(tt_github_name_valid(NULL));
	memset(long_name, 'x', sizeof(long_name));
	long_name[100] = '\0';
	assert_true(tt_github_name_valid(long_name));
	long_name[100] = 'x';
	long_name[101] = '\0';
	assert_false(tt_github_name_valid(long_name));
}

/* One exchange against a closed loopback port: no GitHub needed. */
static enum tt_err
http(const char *method, const char *path, struct tt_github_resp *r)
{
	return tt_github_http(A, method, path, "Bearer x", NULL, 0, r);
}

static void
test_path_valid(void **state)
{
	static const char *const good[] = { "/", "/app",
	    "/repos/o/r/pulls/1/files?per_page=100&page=2",
	    "/repos/o/my..repo/check-runs", "/repos/o/.github/contents/a.tf",
	    "/repos/o/r/contents/dir/main.tf?ref=feature%2Fx",
	    "/search/issues?q=a+b,c~d" };
	static const char *const bad[] = { "", "repos/o/r", "//evil.example/x",
	    "/repos//o", "/repos/o/r/..", "/repos/../app", "/./app",
	    "/repos/o/r/.", "/repos/o/r/../x?y", "/repos/%2e%2e/app",
	    "/repos/%2E./x", "/repos/o%2fr", "/repos/o%5cr", "/a%", "/a%2",
	    "/a%zz", "/a b", "/a\r\nX-Injected: 1", "/a\n", "/a#frag",
	    "/a@b", "/a:b", "http://evil.example/", "/a\\b", "/a;b",
	    "/a\"b", "/a<b>", "/a|b", "/a'b", "/a\tb" };
	struct tt_github_resp	 r;
	char			 big[2100];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(http("GET", bad[i], &r), TT_EINVAL);
		assert_string_equal(r.error, "invalid path");
		assert_int_equal(r.status, 0);
	}
	assert_int_equal(http("GET", NULL, &r), TT_EINVAL);
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(http("GET", big, &r), TT_EINVAL);

	/* A good path gets as far as the network (refused: port 1). */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(http("GET", good[i], &r), TT_EUNAVAIL);
		assert_int_equal(r.status, 0);
		assert_non_null(r.error);
		assert_string_not_equal(r.error, "invalid path");
	}
}

static void
test_method_checks(void **state)
{
	static const char *const bad[] = { "get", "HEAD", "OPTIONS", "TRACE",
	    "CONNECT", "", "GET ", "POST\r\n" };
	struct tt_github_resp	 r;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(http(bad[i], "/app", &r), TT_EINVAL);
		assert_string_equal(r.error, "invalid method");
	}
	assert_int_equal(tt_github_http(A, "GET", "/app", "Bearer x\r\nX: y",
	    NULL, 0, &r), TT_EINVAL);
}

static void
test_base_url(void **state)
{
	static const char *const bad[] = { "http://example.com",
	    "http://127.0.0.1.example.com", "http://localhost.evil",
	    "ftp://127.0.0.1", "file:///etc/passwd", "https://" };
	struct tt_github_resp	 r;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tt_config.github_api_url = bad[i];
		assert_int_equal(http("GET", "/app", &r), TT_EUNAVAIL);
		assert_string_equal(r.error, "unusable TT_GITHUB_API_URL");
	}
	tt_config.github_api_url = "http://localhost:1/";
	assert_int_equal(http("GET", "/app", &r), TT_EUNAVAIL);
	assert_string_not_equal(r.error, "unusable TT_GITHUB_API_URL");
	tt_config.github_api_url = "http://127.0.0.1:1";

	/* The web base (sign-in) is held to the same rule. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tt_config.github_url = bad[i];
		assert_int_equal(tt_github_web_post(A, "/login/oauth/"
		    "access_token", "{}", &r), TT_EUNAVAIL);
		assert_string_equal(r.error, "unusable TT_GITHUB_URL");
	}
	tt_config.github_url = "http://127.0.0.1:1";
	assert_int_equal(tt_github_web_post(A, "/login/oauth/access_token",
	    "{}", &r), TT_EUNAVAIL);
	assert_string_not_equal(r.error, "unusable TT_GITHUB_URL");
}

static void
test_budget(void **state)
{
	struct tt_github_resp	r;
	struct timespec		ts = { 0, 5 * 1000000 };

	(void)state;
	tt_github_set_budget_ms(1);
	nanosleep(&ts, NULL);
	assert_int_equal(http("GET", "/app", &r), TT_EUNAVAIL);
	assert_string_equal(r.error, "budget spent");
	assert_int_equal(r.status, 0);

	/* 0 removes the deadline. */
	tt_github_set_budget_ms(0);
	assert_int_equal(http("GET", "/app", &r), TT_EUNAVAIL);
	assert_string_not_equal(r.error, "budget spent");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_path_valid),
		cmocka_unit_test(test_method_checks),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
