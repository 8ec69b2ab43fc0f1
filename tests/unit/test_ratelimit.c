/* test_ratelimit.c: unit tests for ratelimit.c (the RateLimit-* figures). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "http.h"
#include "ratelimit.h"

static const char *
hdrs(struct tt_resp *r)
{
	return r->headers.p != NULL ? r->headers.p : "";
}

static void
test_step(void **state)
{
	struct tt_rate	r = { 60, 60000000 };

	(void)state;
	assert_int_equal(tt_rate_step_us(&r), 1000000);
	r.limit = 7;	/* rounded down, so limit steps fit in the window */
	assert_int_equal(tt_rate_step_us(&r), 8571428);
	assert_true(7 * tt_rate_step_us(&r) <= r.window_us);
	assert_true(8 * tt_rate_step_us(&r) > r.window_us);
	assert_int_equal(tt_rate_ceil_s(0), 0);
	assert_int_equal(tt_rate_ceil_s(-5), 0);
	assert_int_equal(tt_rate_ceil_s(1), 1);
	assert_int_equal(tt_rate_ceil_s(1000000), 1);
	assert_int_equal(tt_rate_ceil_s(1000001), 2);
}

static void
test_granted(void **state)
{
	struct tt_rate	r = { 60, 60000000 };
	struct tt_resp	resp;

	(void)state;
	/* The first request of a full bucket: one step ahead. */
	memset(&resp, 0, sizeof(resp));
	tt_rate_headers_ok(&resp, &r, 1000000);
	assert_string_equal(hdrs(&resp), "RateLimit-Limit: 60\r\n"
	    "RateLimit-Remaining: 59\r\nRateLimit-Reset: 1\r\n");
	tt_buf_free(&resp.headers);
	/* The 60th: the whole window ahead, nothing left. */
	memset(&resp, 0, sizeof(resp));
	tt_rate_headers_ok(&resp, &r, 60000000);
	assert_string_equal(hdrs(&resp), "RateLimit-Limit: 60\r\n"
	    "RateLimit-Remaining: 0\r\nRateLimit-Reset: 60\r\n");
	tt_buf_free(&resp.headers);
	/* Half a step of refill counts for nothing yet. */
	memset(&resp, 0, sizeof(resp));
	tt_rate_headers_ok(&resp, &r, 58500000);
	assert_non_null(strstr(hdrs(&resp), "RateLimit-Remaining: 1\r\n"));
	assert_non_null(strstr(hdrs(&resp), "RateLimit-Reset: 59\r\n"));
	tt_buf_free(&resp.headers);
}

static void
test_refused(void **state)
{
	struct tt_rate	r = { 30, 60000000 };
	struct tt_resp	resp;

	(void)state;
	/* Just emptied: one step (2 s) until the next request fits. */
	memset(&resp, 0, sizeof(resp));
	tt_rate_headers_refused(&resp, &r, 60000000);
	assert_string_equal(hdrs(&resp), "Retry-After: 2\r\n"
	    "RateLimit-Limit: 30\r\nRateLimit-Remaining: 0\r\n"
	    "RateLimit-Reset: 60\r\n");
	tt_buf_free(&resp.headers);
	/* Nearly refilled by one: never less than 1 s. */
	memset(&resp, 0, sizeof(resp));
	tt_rate_headers_refused(&resp, &r, 58000001);
	assert_non_null(strstr(hdrs(&resp), "Retry-After: 1\r\n"));
	tt_buf_free(&resp.headers);
	memset(&resp, 0, sizeof(resp));
	tt_rate_headers_refused(&resp, &r, 0);
	assert_non_null(strstr(hdrs(&resp), "Retry-After: 1\r\n"));
	tt_buf_free(&resp.headers);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_granted),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
