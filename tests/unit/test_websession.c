/* test_websession.c: unit tests for websession.c (cookies, Secure). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "websession.h"
#include "testhelp.h"

/* A request whose environment is the given "NAME=value" strings. */
static struct tt_req *
req_with(char **env)
{
	static struct tt_req	r;

	memset(&r, 0, sizeof(r));
	r.arena = A;
	r.envp = env;
	return &r;
}

static const char *
cookie_of(const char *header, const char *name)
{
	char	 line[512];
	char	*env[] = { line, NULL };

	snprintf(line, sizeof(line), "HTTP_COOKIE=%s", header);
	return tt_websession_cookie(req_with(env), name);
}

static void
test_cookie_found(void **state)
{
	(void)state;
	assert_string_equal(cookie_of("tt_session=abc", "tt_session"), "abc");
	assert_string_equal(cookie_of("a=1; tt_session=xyz; b=2",
	    "tt_session"), "xyz");
	assert_string_equal(cookie_of("a=1;tt_session=q-_9", "tt_session"),
	    "q-_9");
	/* The first of two wins. */
	assert_string_equal(cookie_of("tt_session=one; tt_session=two",
	    "tt_session"), "one");
}

static void
test_cookie_not_found(void **state)
{
	char	*none[] = { NULL };
	char	 big[400];

	(void)state;
	assert_null(tt_websession_cookie(req_with(none), "tt_session"));
	assert_null(cookie_of("", "tt_session"));
	assert_null(cookie_of("xtt_session=abc", "tt_session"));
	assert_null(cookie_of("tt_sessionx=abc", "tt_session"));
	assert_null(cookie_of("tt_session=", "tt_session"));
	assert_null(cookie_of("a=tt_session=abc", "tt_session"));
	/* Not cookie-octets: quote, comma, backslash. */
	assert_null(cookie_of("tt_session=a\"b", "tt_session"));
	assert_null(cookie_of("tt_session=a,b", "tt_session"));
	assert_null(cookie_of("tt_session=a\\b", "tt_session"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "tt_session=", 11);
	assert_null(cookie_of(big, "tt_session"));
}

/* Secure follows TT_PUBLIC_URL's scheme; without it, always Secure. */
static void
test_secure(void **state)
{
	(void)state;
	tt_config.public_url = NULL;
	tt_config.public_url_https = 0;
	assert_true(tt_websession_secure());
	tt_config.public_url = "https://tt.example.com";
	tt_config.public_url_https = 1;
	assert_true(tt_websession_secure());
	tt_config.public_url = "http://127.0.0.1:8080";
	tt_config.public_url_https = 0;
	assert_false(tt_websession_secure());
	tt_config.public_url = NULL;
}

static void
test_set_cookie(void **state)
{
	struct tt_resp	 resp;

	(void)state;
	tt_config.public_url = NULL;
	tt_config.public_url_https = 0;
	memset(&resp, 0, sizeof(resp));
	tt_websession_set_cookie(&resp, "tt_session", "v", "/", 60);
	tt_buf_put(&resp.headers, "", 1);
	assert_string_equal(resp.headers.p, "Set-Cookie: tt_session=v; "
	    "Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure\r\n");
	tt_buf_free(&resp.headers);

	tt_config.public_url = "http://127.0.0.1:8080";
	memset(&resp, 0, sizeof(resp));
	tt_websession_set_cookie(&resp, "tt_session", "v", "/", 0);
	tt_buf_put(&resp.headers, "", 1);
	/* Max-Age 0 deletes it, and never repeats the value. */
	assert_string_equal(resp.headers.p, "Set-Cookie: tt_session=; "
	    "Path=/; Max-Age=0; HttpOnly; SameSite=Lax\r\n");
	tt_buf_free(&resp.headers);
	tt_config.public_url = NULL;
}

static void
test_random_ids(void **state)
{
	const char	*a, *b;

	(void)state;
	a = tt_websession_random(A);
	b = tt_websession_random(A);
	assert_int_equal(strlen(a), TT_WEBSESSION_ID_B64);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_"), TT_WEBSESSION_ID_B64);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_found),
		cmocka_unit_test(test_cookie_not_found),
		cmocka_unit_test(test_secure),
		cmocka_unit_test(test_set_cookie),
		cmocka_unit_test(test_random_ids),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
