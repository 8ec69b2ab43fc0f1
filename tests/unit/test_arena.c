/* test_arena.c: unit tests for arena.c (allocation, alignment, defers). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "tt.h"

/* The order in which deferred cleanups ran, as a string of tags. */
static char	ran[32];
static size_t	nran;

static void
record(void *p)
{
	if (nran < sizeof(ran) - 1)
		ran[nran++] = *(const char *)p;
	ran[nran] = '\0';
}

static void
free_counter(void *p)
{
	(*(int *)p)++;
}

static int
setup(void **state)
{
	*state = tt_arena_new();
	nran = 0;
	ran[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	tt_arena_free(*state);
	return 0;
}

static void
test_many_allocations_span_chunks(void **state)
{
	struct tt_arena	*a = *state;
	unsigned char	*p[2000];
	size_t		 i, j;

	/* 2000 * 100 bytes (rounded to 112) is several 64 KiB chunks. */
	for (i = 0; i < TT_NITEMS(p); i++) {
		p[i] = tt_arena_alloc(a, 100);
		assert_non_null(p[i]);
		for (j = 0; j < 100; j++)
			assert_int_equal(p[i][j], 0);
		memset(p[i], (int)(i & 0xff), 100);
	}
	/* No allocation overlapped another: every fill is intact. */
	for (i = 0; i < TT_NITEMS(p); i++)
		for (j = 0; j < 100; j++)
			assert_int_equal(p[i][j], i & 0xff);
}

static void
test_large_allocation(void **state)
{
	struct tt_arena	*a = *state;
	unsigned char	*small, *big, *huge, *after;
	size_t		 i;

	small = tt_arena_alloc(a, 10);
	memset(small, 's', 10);
	big = tt_arena_alloc(a, 16 * 1024 + 1);
	huge = tt_arena_alloc(a, 200 * 1024);
	after = tt_arena_alloc(a, 10);
	for (i = 0; i < 16 * 1024 + 1; i++)
		assert_int_equal(big[i], 0);
	for (i = 0; i < 200 * 1024; i++)
		assert_int_equal(huge[i], 0);
	memset(big, 'b', 16 * 1024 + 1);
	memset(huge, 'h', 200 * 1024);
	memset(after, 'a', 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(small[i], 's');
		assert_int_equal(after[i], 'a');
	}
	assert_int_equal(big[16 * 1024], 'b');
	assert_int_equal(huge[200 * 1024 - 1], 'h');
}

static void
test_zero_size_allocations_are_distinct(void **state)
{
	struct tt_arena	*a = *state;
	void		*p, *q;

	p = tt_arena_alloc(a, 0);
	q = tt_arena_alloc(a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
}

static void
test_alignment_is_16(void **state)
{
	struct tt_arena	*a = *state;
	size_t		 sizes[] = { 1, 3, 8, 15, 16, 17, 100, 5000,
			    16 * 1024 + 3, 70 * 1024 };
	size_t		 i, k;
	void		*p;

	/*
	 * The header promises 16-byte alignment for every size (enough for
	 * max_align_t, long double, __int128). With struct chunk's 24-byte
	 * header before data[], every pointer is 8 mod 16 on x86-64.
	 */
	for (k = 0; k < 50; k++)
		for (i = 0; i < TT_NITEMS(sizes); i++) {
			p = tt_arena_alloc(a, sizes[i]);
			assert_int_equal((uintptr_t)p % 16, 0);
		}
	p = tt_arena_strdup(a, "x");
	assert_int_equal((uintptr_t)p % 16, 0);
}

static void
test_strdup_strndup_printf(void **state)
{
	struct tt_arena	*a = *state;
	const char	 src[] = "hello, world";
	char		*s, *big;
	size_t		 i;

	s = tt_arena_strdup(a, src);
	assert_string_equal(s, src);
	assert_ptr_not_equal(s, src);
	assert_string_equal(tt_arena_strdup(a, ""), "");

	/* strndup stops at n even without a NUL in range. */
	s = tt_arena_strndup(a, src, 5);
	assert_string_equal(s, "hello");
	assert_int_equal(s[5], '\0');
	assert_string_equal(tt_arena_strndup(a, src, 0), "");

	s = tt_arena_printf(a, "%s=%d/%05.1f", "k", -42, 3.14159);
	assert_string_equal(s, "k=-42/003.1");
	assert_string_equal(tt_arena_printf(a, "%s", ""), "");

	/* A formatted string larger than a chunk. */
	big = tt_arena_printf(a, "%100000d", 7);
	assert_int_equal(strlen(big), 100000);
	for (i = 0; i < 99999; i++)
		assert_int_equal(big[i], ' ');
	assert_int_equal(big[99999], '7');
}

static void
test_defer_runs_last_first_on_reset(void **state)
{
	struct tt_arena		*a = *state;
	static const char	 t1 = '1', t2 = '2', t3 = '3';

	tt_arena_defer(a, record, (void *)&t1);
	tt_arena_defer(a, record, (void *)&t2);
	tt_arena_defer(a, record, (void *)&t3);
	assert_string_equal(ran, "");
	tt_arena_reset(a);
	assert_string_equal(ran, "321");

	/* Each cleanup runs once: a second reset runs nothing. */
	tt_arena_reset(a);
	assert_string_equal(ran, "321");
}

static void
test_defer_runs_on_free_and_skips_null(void **state)
{
	struct tt_arena	*a;
	int		 n = 0;

	(void)state;
	a = tt_arena_new();
	tt_arena_defer(a, free_counter, &n);
	tt_arena_defer(a, free_counter, NULL);	/* ignored: fn(NULL) never */
	tt_arena_defer(a, free_counter, &n);
	tt_arena_free(a);
	assert_int_equal(n, 2);
	tt_arena_free(NULL);
}

static void
test_reuse_after_reset(void **state)
{
	struct tt_arena		*a = *state;
	static const char	 t = 'x';
	char			*s;
	unsigned char		*p;
	size_t			 i, round;

	for (round = 0; round < 5; round++) {
		/* Dirty several chunks and a large block, then reset. */
		for (i = 0; i < 300; i++) {
			p = tt_arena_alloc(a, 1000);
			memset(p, 0xab, 1000);
		}
		p = tt_arena_alloc(a, 40000);
		memset(p, 0xcd, 40000);
		tt_arena_defer(a, record, (void *)&t);
		tt_arena_reset(a);
		assert_int_equal(nran, round + 1);

		/* Memory handed out after a reset is zeroed again. */
		p = tt_arena_alloc(a, 1000);
		for (i = 0; i < 1000; i++)
			assert_int_equal(p[i], 0);
		s = tt_arena_printf(a, "round %zu", round);
		assert_non_null(strstr(s, "round"));
	}
}

static void
test_xmalloc_xrealloc(void **state)
{
	char	*p;

	(void)state;
	p = tt_xmalloc(0);
	assert_non_null(p);
	p = tt_xrealloc(p, 10);
	memcpy(p, "123456789", 10);
	p = tt_xrealloc(p, 100000);
	assert_string_equal(p, "123456789");
	free(p);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_many_allocations_span_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_allocation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_zero_size_allocations_are_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alignment_is_16,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_strdup_strndup_printf,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_defer_runs_last_first_on_reset, setup, teardown),
		cmocka_unit_test(test_defer_runs_on_free_and_skips_null),
		cmocka_unit_test_setup_teardown(test_reuse_after_reset,
		    setup, teardown),
		cmocka_unit_test(test_xmalloc_xrealloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
