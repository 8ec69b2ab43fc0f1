/* test_page.c: unit tests for page.c (page limits, opaque keyset cursors). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "http.h"
#include "page.h"
#include "testhelp.h"


static void
test_roundtrip(void **state)
{
	const char	*in[3] = { "1700000000123456",
			    "6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f", "x y" };
	const char	*out[3];
	char		*c;
	size_t		 i;

	(void)state;
	c = tt_page_encode(A, in, 3);
	for (i = 0; c[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
		    "mnopqrstuvwxyz0123456789-_", c[i]));
	assert_int_equal(tt_page_decode(A, c, out, 3), 0);
	for (i = 0; i < 3; i++)
		assert_string_equal(out[i], in[i]);
	/* The field count is part of the format. */
	assert_int_equal(tt_page_decode(A, c, out, 2), -1);
	assert_int_equal(tt_page_decode(A, c, out, 4), -1);
}

static char *
b64(const char *s)
{
	return tt_crypto_b64url_encode(A, (const unsigned char *)s, strlen(s));
}

static void
test_rejects_garbage(void **state)
{
	const char	*out[2];
	char		 big[2000];

	(void)state;
	assert_int_equal(tt_page_decode(A, NULL, out, 2), -1);
	assert_int_equal(tt_page_decode(A, "", out, 2), -1);
	assert_int_equal(tt_page_decode(A, "!!!", out, 2), -1);
	assert_int_equal(tt_page_decode(A, "abc=", out, 2), -1);
	assert_int_equal(tt_page_decode(A, b64("p2\na\nb"), out, 2), -1);
	assert_int_equal(tt_page_decode(A, b64("p1\na\n"), out, 2), -1);
	assert_int_equal(tt_page_decode(A, b64("p1\n\nb"), out, 2), -1);
	assert_int_equal(tt_page_decode(A, b64("p1\na\tb\nc"), out, 2), -1);
	assert_int_equal(tt_page_decode(A, b64("p1\n\xff\nb"), out, 2), -1);
	assert_int_equal(tt_page_decode(A, b64("p1\na\nb"), out, 2), 0);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tt_page_decode(A, big, out, 2), -1);
}

/* The limit tt_page_limit takes from query (def 20, max 100), or -1. */
static int64_t
limit(const char *query)
{
	struct tt_req	req;
	struct tt_resp	resp;
	int64_t		v = -2;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.arena = A;
	req.query = query;
	if (tt_page_limit(&req, &resp, 20, 100, &v) != TT_OK) {
		assert_string_equal(resp.err_id, "INVALID_PARAM");
		assert_non_null(strstr(resp.err_detail, "limit"));
		return -1;
	}
	return v;
}

static void
test_limit_in_range_is_kept(void **state)
{
	(void)state;
	assert_int_equal(limit(""), 20);
	assert_int_equal(limit("page=x"), 20);
	assert_int_equal(limit("limit=1"), 1);
	assert_int_equal(limit("limit=7"), 7);
	assert_int_equal(limit("limit=007"), 7);
	assert_int_equal(limit("limit=100"), 100);
}

/* Above the maximum is the maximum, as Terrateam clamps; never a 400. */
static void
test_limit_above_the_maximum_is_clamped(void **state)
{
	(void)state;
	assert_int_equal(limit("limit=101"), 100);
	assert_int_equal(limit("limit=1000"), 100);
	assert_int_equal(limit("limit=9223372036854775807"), 100);
	assert_int_equal(limit("limit=99999999999999999999999999"), 100);
	assert_int_equal(limit("limit=0101"), 100);
}

static void
test_limit_below_one_or_not_a_number_is_refused(void **state)
{
	(void)state;
	assert_int_equal(limit("limit=0"), -1);
	assert_int_equal(limit("limit=000"), -1);
	assert_int_equal(limit("limit=-1"), -1);
	assert_int_equal(limit("limit=-101"), -1);
	assert_int_equal(limit("limit="), -1);
	assert_int_equal(limit("limit"), -1);
	assert_int_equal(limit("limit=abc"), -1);
	assert_int_equal(limit("limit=+5"), -1);
	assert_int_equal(limit("limit=5x"), -1);
	assert_int_equal(limit("limit=1e3"), -1);
	assert_int_equal(limit("limit=%20101"), -1);
	assert_int_equal(limit("limit=%zz"), -1);
	assert_int_equal(limit("limit=1%00"), -1);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects_garbage),
		cmocka_unit_test(test_limit_in_range_is_kept),
		cmocka_unit_test(test_limit_above_the_maximum_is_clamped),
		cmocka_unit_test(test_limit_below_one_or_not_a_number_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
