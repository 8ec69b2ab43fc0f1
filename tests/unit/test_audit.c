/* test_audit.c: unit tests for audit.c (cleaning outside text). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "valid.h"
#include "testhelp.h"

static void
test_clean_keeps_plain_text(void **state)
{
	(void)state;
	assert_string_equal(tt_audit_clean(A, "curl/7.88.1", 256),
	    "curl/7.88.1");
	assert_string_equal(tt_audit_clean(A, "caf\xc3\xa9", 256),
	    "caf\xc3\xa9");
	assert_null(tt_audit_clean(A, NULL, 256));
	assert_null(tt_audit_clean(A, "", 256));
}

static void
test_clean_replaces_bad_bytes(void **state)
{
	(void)state;
	assert_string_equal(tt_audit_clean(A, "a\xff\xfe" "b", 256), "a??b");
	assert_string_equal(tt_audit_clean(A, "a\tb\x01\x7f" "c\n", 256),
	    "a?b??c?");
	/* An overlong '/' and a UTF-16 surrogate are not UTF-8. */
	assert_string_equal(tt_audit_clean(A, "x\xc0\xafy", 256), "x??y");
	assert_string_equal(tt_audit_clean(A, "\xed\xa0\x80", 256), "???");
}

static void
test_clean_bounds_on_a_character(void **state)
{
	char	big[1000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(strlen(tt_audit_clean(A, big, 256)), 256);
	/* "é" (2 bytes) straddling the bound is dropped, not cut in two. */
	assert_string_equal(tt_audit_clean(A, "abc\xc3\xa9", 4), "abc");
	assert_string_equal(tt_audit_clean(A, "abc\xc3\xa9", 5),
	    "abc\xc3\xa9");
	/* A 4-byte character cut after 1, 2 or 3 of its bytes. */
	assert_string_equal(tt_audit_clean(A, "a\xf0\x9f\x98\x80", 2), "a");
	assert_string_equal(tt_audit_clean(A, "a\xf0\x9f\x98\x80", 3), "a");
	assert_string_equal(tt_audit_clean(A, "a\xf0\x9f\x98\x80", 4), "a");
	assert_string_equal(tt_audit_clean(A, "a\xf0\x9f\x98\x80", 5),
	    "a\xf0\x9f\x98\x80");
	/* Stray continuation bytes at the bound still end up valid. */
	memset(big, 0x80, 300);
	big[300] = '\0';
	{
		char	*s = tt_audit_clean(A, big, 256);

		assert_true(strlen(s) <= 256);
		assert_true(tt_valid_utf8(s, strlen(s)));
	}
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_keeps_plain_text),
		cmocka_unit_test(test_clean_replaces_bad_bytes),
		cmocka_unit_test(test_clean_bounds_on_a_character),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
