/* test_buf.c: unit tests for buf.c, the growable byte buffer. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"

static void
test_put_and_puts_append(void **state)
{
	struct tt_buf	b = { 0 };

	(void)state;
	tt_buf_puts(&b, "abc");
	assert_int_equal(b.n, 3);
	assert_string_equal(b.p, "abc");
	tt_buf_put(&b, "defgh", 2);
	assert_int_equal(b.n, 5);
	assert_string_equal(b.p, "abcde");
	assert_true(b.cap > b.n);
	tt_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.cap, 0);
}

static void
test_empty_put_still_terminates(void **state)
{
	struct tt_buf	b = { 0 };

	(void)state;
	tt_buf_put(&b, NULL, 0);
	assert_non_null(b.p);
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	tt_buf_puts(&b, "");
	assert_int_equal(b.n, 0);
	tt_buf_free(&b);
}

static void
test_binary_bytes_keep_their_length(void **state)
{
	struct tt_buf	b = { 0 };

	(void)state;
	tt_buf_put(&b, "a\0b", 3);
	assert_int_equal(b.n, 3);
	assert_memory_equal(b.p, "a\0b", 4);	/* NUL after the data too */
	tt_buf_free(&b);
}

static void
test_printf_formats_and_appends(void **state)
{
	struct tt_buf	b = { 0 };

	(void)state;
	tt_buf_puts(&b, "x=");
	tt_buf_printf(&b, "%d,%s,%zu", -7, "y", (size_t)42);
	assert_string_equal(b.p, "x=-7,y,42");
	assert_int_equal(b.n, strlen("x=-7,y,42"));
	tt_buf_printf(&b, "%s", "");
	assert_int_equal(b.n, strlen("x=-7,y,42"));
	tt_buf_free(&b);
}

static void
test_growth_keeps_content(void **state)
{
	struct tt_buf	b = { 0 };
	char		chunk[1000];
	size_t		i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		tt_buf_put(&b, chunk, sizeof(chunk));
	}
	assert_int_equal(b.n, 1000 * 1000);
	assert_true(b.cap >= b.n + 1);
	assert_int_equal(b.p[b.n], '\0');
	for (i = 0; i < 1000; i++) {
		assert_int_equal(b.p[i * 1000], 'a' + (int)(i % 26));
		assert_int_equal(b.p[i * 1000 + 999], 'a' + (int)(i % 26));
	}
	/* A single printf larger than the initial capacity. */
	tt_buf_clear(&b);
	tt_buf_printf(&b, "%5000s|", "end");
	assert_int_equal(b.n, 5001);
	assert_string_equal(b.p + 4997, "end|");
	tt_buf_free(&b);
}

static void
test_clear_keeps_memory(void **state)
{
	struct tt_buf	 b = { 0 };
	char		*p;
	size_t		 cap;

	(void)state;
	tt_buf_clear(&b);		/* on an empty buffer: no crash */
	assert_null(b.p);
	tt_buf_puts(&b, "something");
	p = b.p;
	cap = b.cap;
	tt_buf_clear(&b);
	assert_int_equal(b.n, 0);
	assert_string_equal(b.p, "");
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.cap, cap);
	tt_buf_puts(&b, "new");
	assert_string_equal(b.p, "new");
	tt_buf_free(&b);
	tt_buf_free(&b);		/* twice is harmless */
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_and_puts_append),
		cmocka_unit_test(test_empty_put_still_terminates),
		cmocka_unit_test(test_binary_bytes_keep_their_length),
		cmocka_unit_test(test_printf_formats_and_appends),
		cmocka_unit_test(test_growth_keeps_content),
		cmocka_unit_test(test_clear_keeps_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
