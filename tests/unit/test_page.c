/* test_page.c: unit tests for page.c (opaque keyset cursors). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
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

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
