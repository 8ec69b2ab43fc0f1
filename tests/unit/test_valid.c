/* test_valid.c: unit tests for valid.c (integers, UTF-8, UUIDs, ids). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "valid.h"

/* tt_valid_int64 over [min, max]: 0 and the value, or -1. */
static int
ok64(const char *s, int64_t min, int64_t max, int64_t want)
{
	int64_t	v = 12345;

	return tt_valid_int64(s, min, max, &v) == 0 && v == want;
}

static int
bad64(const char *s, int64_t min, int64_t max)
{
	int64_t	v;

	return tt_valid_int64(s, min, max, &v) == -1;
}

static void
test_int64_accepts_plain_decimals(void **state)
{
	(void)state;
	assert_true(ok64("0", 0, 10, 0));
	assert_true(ok64("7", 0, 10, 7));
	assert_true(ok64("10", 0, 10, 10));
	assert_true(ok64("-5", -10, 10, -5));
	assert_true(ok64("-0", -1, 1, 0));
	assert_true(ok64("007", 0, 10, 7));
	assert_true(ok64("9223372036854775807", 0, INT64_MAX, INT64_MAX));
	assert_true(ok64("-9223372036854775808", INT64_MIN, 0, INT64_MIN));
	assert_true(ok64("-9223372036854775807", INT64_MIN, 0,
	    -INT64_MAX));
}

static void
test_int64_range_is_inclusive_and_checked(void **state)
{
	(void)state;
	assert_true(bad64("11", 0, 10));
	assert_true(bad64("0", 1, 10));
	assert_true(bad64("-11", -10, 10));
	assert_true(bad64("3601", 1, 3600));
	assert_true(ok64("3600", 1, 3600, 3600));
	assert_true(ok64("1", 1, 3600, 1));
}

static void
test_int64_rejects_signs_spaces_and_garbage(void **state)
{
	(void)state;
	assert_true(bad64("", INT64_MIN, INT64_MAX));
	assert_true(bad64("-", INT64_MIN, INT64_MAX));
	assert_true(bad64("+1", INT64_MIN, INT64_MAX));
	assert_true(bad64(" 1", INT64_MIN, INT64_MAX));
	assert_true(bad64("1 ", INT64_MIN, INT64_MAX));
	assert_true(bad64("1\n", INT64_MIN, INT64_MAX));
	assert_true(bad64("1a", INT64_MIN, INT64_MAX));
	assert_true(bad64("0x10", INT64_MIN, INT64_MAX));
	assert_true(bad64("1.0", INT64_MIN, INT64_MAX));
	assert_true(bad64("1e3", INT64_MIN, INT64_MAX));
	assert_true(bad64("--1", INT64_MIN, INT64_MAX));
	assert_true(bad64("1-", INT64_MIN, INT64_MAX));
	assert_true(bad64(NULL, INT64_MIN, INT64_MAX));
}

static void
test_int64_rejects_minus_when_min_is_not_negative(void **state)
{
	(void)state;
	assert_true(bad64("-1", 0, INT64_MAX));
	assert_true(bad64("-0", 0, INT64_MAX));
	assert_true(bad64("-0", 1, INT64_MAX));
	assert_true(ok64("-0", -1, INT64_MAX, 0));
}

static void
test_int64_overflow(void **state)
{
	(void)state;
	assert_true(bad64("9223372036854775808", INT64_MIN, INT64_MAX));
	assert_true(bad64("9223372036854775810", INT64_MIN, INT64_MAX));
	assert_true(bad64("18446744073709551616", INT64_MIN, INT64_MAX));
	assert_true(bad64("99999999999999999999999", INT64_MIN, INT64_MAX));
	assert_true(bad64("-9223372036854775809", INT64_MIN, INT64_MAX));
	assert_true(bad64("-18446744073709551616", INT64_MIN, INT64_MAX));
	/* Leading zeros do not count towards overflow. */
	assert_true(ok64("000000000000000000000009223372036854775807",
	    INT64_MIN, INT64_MAX, INT64_MAX));
}

static void
test_int64n_uses_the_length(void **state)
{
	int64_t	v = 0;

	(void)state;
	assert_int_equal(tt_valid_int64n("12345", 3, 0, 1000, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(tt_valid_int64n("12345", 0, 0, 1000, &v), -1);
	assert_int_equal(tt_valid_int64n("1\0" "2", 3, 0, 1000, &v), -1);
	assert_int_equal(tt_valid_int64n("-", 1, -5, 5, &v), -1);
}

static int
utf8(const char *s)
{
	return tt_valid_utf8(s, strlen(s));
}

static void
test_utf8_accepts_well_formed(void **state)
{
	(void)state;
	assert_true(tt_valid_utf8("", 0));
	assert_true(utf8("plain ascii ~\x7f"));
	assert_true(utf8("\xc2\x80"));			/* U+0080 */
	assert_true(utf8("\xc3\xa9t\xc3\xa9"));		/* été */
	assert_true(utf8("\xdf\xbf"));			/* U+07FF */
	assert_true(utf8("\xe0\xa0\x80"));		/* U+0800 */
	assert_true(utf8("\xe2\x82\xac"));		/* € */
	assert_true(utf8("\xed\x9f\xbf"));		/* U+D7FF */
	assert_true(utf8("\xee\x80\x80"));		/* U+E000 */
	assert_true(utf8("\xef\xbf\xbf"));		/* U+FFFF */
	assert_true(utf8("\xf0\x90\x80\x80"));		/* U+10000 */
	assert_true(utf8("\xf0\x9f\x98\x80"));		/* 😀 */
	assert_true(utf8("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	/* NUL is a valid code point; callers reject it separately. */
	assert_true(tt_valid_utf8("a\0b", 3));
}

static void
test_utf8_rejects_overlongs(void **state)
{
	(void)state;
	assert_false(utf8("\xc0\x80"));
	assert_false(utf8("\xc1\xbf"));
	assert_false(utf8("\xe0\x80\x80"));
	assert_false(utf8("\xe0\x9f\xbf"));
	assert_false(utf8("\xf0\x80\x80\x80"));
	assert_false(utf8("\xf0\x8f\xbf\xbf"));
}

static void
test_utf8_rejects_surrogates_and_out_of_range(void **state)
{
	(void)state;
	assert_false(utf8("\xed\xa0\x80"));		/* U+D800 */
	assert_false(utf8("\xed\xbf\xbf"));		/* U+DFFF */
	assert_false(utf8("\xed\xa0\xbd\xed\xb8\x80"));	/* CESU-8 pair */
	assert_false(utf8("\xf4\x90\x80\x80"));		/* U+110000 */
	assert_false(utf8("\xf5\x80\x80\x80"));
	assert_false(utf8("\xf8\x88\x80\x80\x80"));
	assert_false(utf8("\xff"));
	assert_false(utf8("\xfe"));
}

static void
test_utf8_rejects_truncated_and_stray_bytes(void **state)
{
	(void)state;
	assert_false(utf8("\xc3"));
	assert_false(utf8("a\xc3"));
	assert_false(utf8("\xe2\x82"));
	assert_false(utf8("\xf0\x9f\x98"));
	assert_false(utf8("\x80"));			/* lone continuation */
	assert_false(utf8("a\xbf" "b"));
	assert_false(utf8("\xc3" "a"));			/* lead, no cont. */
	assert_false(utf8("\xe2\x28\xa1"));
	/* The length bounds the check: a valid sequence cut by n. */
	assert_false(tt_valid_utf8("\xe2\x82\xac", 2));
	assert_true(tt_valid_utf8("a\xe2\x82\xac", 1));
}

static void
test_uuid(void **state)
{
	(void)state;
	assert_true(tt_valid_uuid("6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"));
	assert_true(tt_valid_uuid("6F1C0D2E-3B4A-4C5D-8E9F-0A1B2C3D4E5F"));
	assert_true(tt_valid_uuid("00000000-0000-0000-0000-000000000000"));
	assert_false(tt_valid_uuid(NULL));
	assert_false(tt_valid_uuid(""));
	assert_false(tt_valid_uuid("6f1c0d2e3b4a4c5d8e9f0a1b2c3d4e5f"));
	assert_false(tt_valid_uuid("{6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f}"));
	assert_false(tt_valid_uuid("6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5"));
	assert_false(tt_valid_uuid("6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f0"));
	assert_false(tt_valid_uuid("6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5g"));
	assert_false(tt_valid_uuid("6f1c0d2e-3b4a-4c5d-8e9f+0a1b2c3d4e5f"));
	assert_false(tt_valid_uuid("6f1c0d2e3-b4a-4c5d-8e9f-0a1b2c3d4e5f"));
	assert_false(tt_valid_uuid(" 6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5"));
}

static void
test_request_id(void **state)
{
	char	id[200];

	(void)state;
	assert_true(tt_valid_request_id("a"));
	assert_true(tt_valid_request_id("req-1.2_3:AZaz09"));
	memset(id, 'r', 128);
	id[128] = '\0';
	assert_true(tt_valid_request_id(id));
	id[128] = 'r';
	id[129] = '\0';
	assert_false(tt_valid_request_id(id));
	assert_false(tt_valid_request_id(NULL));
	assert_false(tt_valid_request_id(""));
	assert_false(tt_valid_request_id("a b"));
	assert_false(tt_valid_request_id("a\nb"));
	assert_false(tt_valid_request_id("a/b"));
	assert_false(tt_valid_request_id("a\"b"));
	assert_false(tt_valid_request_id("a%20b"));
	assert_false(tt_valid_request_id("\xc3\xa9"));
}

int main(void);

static void
test_utf8_scrub(void **state)
{
	char	a[] = "kk\xc3", b[] = "\xc3\xa9t\xc3\xa9", c[] = "a\xe2\x82x\xff",
		d[] = "\xed\xa0\x80z";

	(void)state;
	tt_valid_utf8_scrub(a);
	assert_string_equal(a, "kk?");
	tt_valid_utf8_scrub(b);
	assert_string_equal(b, "\xc3\xa9t\xc3\xa9");
	tt_valid_utf8_scrub(c);
	assert_string_equal(c, "a??x?");
	assert_true(tt_valid_utf8(c, strlen(c)));
	tt_valid_utf8_scrub(d);	/* a surrogate is no character */
	assert_true(tt_valid_utf8(d, strlen(d)));
	assert_int_equal(d[3], 'z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int64_accepts_plain_decimals),
		cmocka_unit_test(test_int64_range_is_inclusive_and_checked),
		cmocka_unit_test(test_int64_rejects_signs_spaces_and_garbage),
		cmocka_unit_test(
		    test_int64_rejects_minus_when_min_is_not_negative),
		cmocka_unit_test(test_int64_overflow),
		cmocka_unit_test(test_int64n_uses_the_length),
		cmocka_unit_test(test_utf8_accepts_well_formed),
		cmocka_unit_test(test_utf8_rejects_overlongs),
		cmocka_unit_test(test_utf8_rejects_surrogates_and_out_of_range),
		cmocka_unit_test(test_utf8_rejects_truncated_and_stray_bytes),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_utf8_scrub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
